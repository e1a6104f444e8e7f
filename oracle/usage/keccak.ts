// Keccak-256 for the usage oracle's hot paths (leaf hashes, Merkle trees, EIP-712 digests): a
// small WebAssembly module generated here byte by byte (no build step, no binary in the repo)
// that runs the Keccak-f[1600] permutation on 64-bit lanes. JavaScript Keccak (viem/noble)
// works on pairs of 32-bit halves and costs several times more per hash; a million-row
// export needs about ten million permutations. Tested against @noble/hashes.

// ------------------------------------------------------------------ module layout
/** Round constants (24 × 8 bytes). */
const RC_OFF = 0;
/** The sponge state (25 × 8 bytes). */
const STATE_OFF = 256;
/** The last, padded block (136 bytes). */
const PAD_OFF = 512;
/** A 32-byte scratch hash (the inner hash of a leaf). */
const TMP_OFF = 704;
/** A sorted pair of node hashes (64 bytes). */
const PAIR_OFF = 768;
/** First byte free for callers. */
export const KECCAK_WORK_OFF = 1024;

const RATE = 136;

/** The 24 round constants, from the LFSR of the Keccak reference. */
function roundConstants(): bigint[] {
  let r = 1;
  const bit = () => {
    const out = r & 1;
    r = r & 0x80 ? ((r << 1) ^ 0x171) & 0xff : (r << 1) & 0xff;
    return out;
  };
  const constants: bigint[] = [];
  for (let i = 0; i < 24; i++) {
    let c = 0n;
    for (let j = 0; j < 7; j++) if (bit()) c |= 1n << BigInt((1 << j) - 1);
    constants.push(c);
  }
  return constants;
}

/** Rotation offsets r[x + 5y] (ρ step). */
function rotations(): number[] {
  const r = new Array<number>(25).fill(0);
  let x = 1;
  let y = 0;
  for (let t = 0; t < 24; t++) {
    r[x + 5 * y] = (((t + 1) * (t + 2)) / 2) % 64;
    [x, y] = [y, (2 * x + 3 * y) % 5];
  }
  return r;
}

// ------------------------------------------------------------------ bytecode helpers
const I32 = 0x7f;
const I64 = 0x7e;

function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function sleb(value: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const byte = Number(value & 0x7fn);
    value >>= 7n;
    const done = (value === 0n && (byte & 0x40) === 0) || (value === -1n && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return out;
  }
}

const vec = (items: number[][]): number[] => [...uleb(items.length), ...items.flat()];
const name = (s: string): number[] => [...uleb(s.length), ...Buffer.from(s, "ascii")];
const section = (id: number, body: number[]): number[] => [id, ...uleb(body.length), ...body];

const op = {
  get: (i: number) => [0x20, ...uleb(i)],
  set: (i: number) => [0x21, ...uleb(i)],
  tee: (i: number) => [0x22, ...uleb(i)],
  i32: (n: number) => [0x41, ...sleb(BigInt(n))],
  i64: (n: bigint) => [0x42, ...sleb(BigInt.asIntN(64, n))],
  i64load: (offset: number) => [0x29, 0x03, ...uleb(offset)],
  i64store: (offset: number) => [0x37, 0x03, ...uleb(offset)],
  i32load: (offset: number) => [0x28, 0x02, ...uleb(offset)],
  load8: (offset: number) => [0x2d, 0x00, ...uleb(offset)],
  store8: (offset: number) => [0x3a, 0x00, ...uleb(offset)],
  call: (f: number) => [0x10, ...uleb(f)],
  block: [0x02, 0x40],
  loop: [0x03, 0x40],
  if: [0x04, 0x40],
  else: [0x05],
  end: [0x0b],
  br: (depth: number) => [0x0c, ...uleb(depth)],
  brIf: (depth: number) => [0x0d, ...uleb(depth)],
  i32add: [0x6a],
  i32sub: [0x6b],
  i32shl: [0x74],
  i32ltS: [0x48],
  i32ltU: [0x49],
  i32geU: [0x4f],
  i32ne: [0x47],
  i32or: [0x72],
  i64and: [0x83],
  i64xor: [0x85],
  i64rotl: [0x89],
  memcopy: [0xfc, 0x0a, 0x00, 0x00],
  memfill: [0xfc, 0x0b, 0x00],
};

/** Code for the address `base + (index << shift)`: element `index` of the array at `base` (both locals). */
const elementAddress = (base: number, index: number, shift: number): number[] => [
  ...op.get(base),
  ...op.get(index),
  ...op.i32(shift),
  ...op.i32shl,
  ...op.i32add,
];

/** A function body: locals as (count, type) runs, then the code. */
function body(locals: [number, number][], code: number[]): number[] {
  const inner = [...vec(locals.map(([n, t]) => [...uleb(n), t])), ...code, ...op.end];
  return [...uleb(inner.length), ...inner];
}

/** permute(state): Keccak-f[1600] on the 25 lanes at `state`. */
function permuteBody(): number[] {
  const s = 0;
  const a = (i: number) => 1 + i;
  const b = (i: number) => 26 + i;
  const c = (i: number) => 51 + i;
  const d = (i: number) => 56 + i;
  const round = 61;
  const rot = rotations();
  const code: number[] = [];
  for (let i = 0; i < 25; i++) code.push(...op.get(s), ...op.i64load(8 * i), ...op.set(a(i)));
  code.push(...op.i32(0), ...op.set(round), ...op.loop);
  // θ
  for (let x = 0; x < 5; x++) {
    code.push(...op.get(a(x)));
    for (let y = 1; y < 5; y++) code.push(...op.get(a(x + 5 * y)), ...op.i64xor);
    code.push(...op.set(c(x)));
  }
  for (let x = 0; x < 5; x++) {
    code.push(...op.get(c((x + 4) % 5)), ...op.get(c((x + 1) % 5)), ...op.i64(1n), ...op.i64rotl, ...op.i64xor, ...op.set(d(x)));
  }
  // θ applied, then ρ and π: B[y, 2x + 3y] = rotl(A[x, y] ^ D[x], r[x, y])
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      const i = x + 5 * y;
      code.push(...op.get(a(i)), ...op.get(d(x)), ...op.i64xor);
      if (rot[i] !== 0) code.push(...op.i64(BigInt(rot[i])), ...op.i64rotl);
      code.push(...op.set(b(y + 5 * ((2 * x + 3 * y) % 5))));
    }
  }
  // χ: A[x, y] = B[x, y] ^ (~B[x + 1, y] & B[x + 2, y])
  for (let y = 0; y < 5; y++) {
    for (let x = 0; x < 5; x++) {
      code.push(
        ...op.get(b(x + 5 * y)),
        ...op.get(b(((x + 1) % 5) + 5 * y)),
        ...op.i64(-1n),
        ...op.i64xor,
        ...op.get(b(((x + 2) % 5) + 5 * y)),
        ...op.i64and,
        ...op.i64xor,
        ...op.set(a(x + 5 * y)),
      );
    }
  }
  // ι
  code.push(...op.get(a(0)), ...op.get(round), ...op.i32(3), ...op.i32shl, ...op.i64load(RC_OFF), ...op.i64xor, ...op.set(a(0)));
  code.push(...op.get(round), ...op.i32(1), ...op.i32add, ...op.tee(round), ...op.i32(24), ...op.i32ltU, ...op.brIf(0), ...op.end);
  for (let i = 0; i < 25; i++) code.push(...op.get(s), ...op.get(a(i)), ...op.i64store(8 * i));
  return body(
    [
      [60, I64],
      [1, I32],
    ],
    code,
  );
}

/** XORs the 17 lanes at `from` (a local holding a pointer) into the state. */
function absorb(from: number): number[] {
  const code: number[] = [];
  for (let k = 0; k < RATE / 8; k++) {
    code.push(...op.i32(STATE_OFF), ...op.i32(STATE_OFF), ...op.i64load(8 * k), ...op.get(from), ...op.i64load(8 * k), ...op.i64xor, ...op.i64store(8 * k));
  }
  return code;
}

/** keccak(in, len, out): Keccak-256 of `len` bytes at `in`, 32 bytes written to `out`. */
function keccakBody(): number[] {
  const [input, len, out, pad] = [0, 1, 2, 3];
  return body(
    [[1, I32]],
    [
      ...op.i32(STATE_OFF),
      ...op.i32(0),
      ...op.i32(200),
      ...op.memfill,
      // full blocks
      ...op.block,
      ...op.loop,
      ...op.get(len),
      ...op.i32(RATE),
      ...op.i32ltU,
      ...op.brIf(1),
      ...absorb(input),
      ...op.i32(STATE_OFF),
      ...op.call(0),
      ...op.get(input),
      ...op.i32(RATE),
      ...op.i32add,
      ...op.set(input),
      ...op.get(len),
      ...op.i32(RATE),
      ...op.i32sub,
      ...op.set(len),
      ...op.br(0),
      ...op.end,
      ...op.end,
      // the last block: the rest, 0x01, zeros, 0x80
      ...op.i32(PAD_OFF),
      ...op.i32(0),
      ...op.i32(RATE),
      ...op.memfill,
      ...op.i32(PAD_OFF),
      ...op.get(input),
      ...op.get(len),
      ...op.memcopy,
      ...op.get(len),
      ...op.i32(1),
      ...op.store8(PAD_OFF),
      ...op.i32(0),
      ...op.i32(0),
      ...op.load8(PAD_OFF + RATE - 1),
      ...op.i32(0x80),
      ...op.i32or,
      ...op.store8(PAD_OFF + RATE - 1),
      ...op.i32(PAD_OFF),
      ...op.set(pad),
      ...absorb(pad),
      ...op.i32(STATE_OFF),
      ...op.call(0),
      ...op.get(out),
      ...op.i32(STATE_OFF),
      ...op.i32(32),
      ...op.memcopy,
    ],
  );
}

/**
 * leafHashes(table, count, out): for each of `count` (offset, length) pairs of i32 at `table`,
 * `keccak256(keccak256(bytes))` (the standard Merkle leaf hash) written to `out + 32 i`.
 */
function leafHashesBody(): number[] {
  const [table, count, out, i] = [0, 1, 2, 3];
  return body(
    [[1, I32]],
    [
      ...op.i32(0),
      ...op.set(i),
      ...op.block,
      ...op.loop,
      ...op.get(i),
      ...op.get(count),
      ...op.i32geU,
      ...op.brIf(1),
      ...elementAddress(table, i, 3),
      ...op.i32load(0),
      ...elementAddress(table, i, 3),
      ...op.i32load(4),
      ...op.i32(TMP_OFF),
      ...op.call(1),
      ...op.i32(TMP_OFF),
      ...op.i32(32),
      ...elementAddress(out, i, 5),
      ...op.call(1),
      ...op.get(i),
      ...op.i32(1),
      ...op.i32add,
      ...op.set(i),
      ...op.br(0),
      ...op.end,
      ...op.end,
    ],
  );
}

/**
 * tree(nodes, n): the inner nodes of an OpenZeppelin StandardMerkleTree whose 2n − 1 nodes
 * (32 bytes each) are at `nodes`, the n leaf hashes already in place at the end: node i =
 * keccak256(sorted(node 2i + 1, node 2i + 2)), from i = n − 2 down to the root.
 */
function treeBody(): number[] {
  const [nodes, n, i, left, right, j, lb, rb] = [0, 1, 2, 3, 4, 5, 6, 7];
  return body(
    [[6, I32]],
    [
      ...op.get(n),
      ...op.i32(2),
      ...op.i32sub,
      ...op.set(i),
      ...op.block,
      ...op.loop,
      ...op.get(i),
      ...op.i32(0),
      ...op.i32ltS,
      ...op.brIf(1),
      // left = nodes + 32 (2i + 1), right = left + 32
      ...elementAddress(nodes, i, 6),
      ...op.i32(32),
      ...op.i32add,
      ...op.tee(left),
      ...op.i32(32),
      ...op.i32add,
      ...op.set(right),
      // first differing byte
      ...op.i32(0),
      ...op.set(j),
      ...op.block,
      ...op.loop,
      ...op.get(j),
      ...op.i32(32),
      ...op.i32geU,
      ...op.brIf(1),
      ...op.get(left),
      ...op.get(j),
      ...op.i32add,
      ...op.load8(0),
      ...op.set(lb),
      ...op.get(right),
      ...op.get(j),
      ...op.i32add,
      ...op.load8(0),
      ...op.set(rb),
      ...op.get(lb),
      ...op.get(rb),
      ...op.i32ne,
      ...op.brIf(1),
      ...op.get(j),
      ...op.i32(1),
      ...op.i32add,
      ...op.set(j),
      ...op.br(0),
      ...op.end,
      ...op.end,
      // equal (j = 32, lb = rb) or left < right: left first
      ...op.get(lb),
      ...op.get(rb),
      ...op.i32ltU,
      ...op.get(j),
      ...op.i32(32),
      ...op.i32geU,
      ...op.i32or,
      ...op.if,
      ...op.i32(PAIR_OFF),
      ...op.get(left),
      ...op.i32(32),
      ...op.memcopy,
      ...op.i32(PAIR_OFF + 32),
      ...op.get(right),
      ...op.i32(32),
      ...op.memcopy,
      ...op.else,
      ...op.i32(PAIR_OFF),
      ...op.get(right),
      ...op.i32(32),
      ...op.memcopy,
      ...op.i32(PAIR_OFF + 32),
      ...op.get(left),
      ...op.i32(32),
      ...op.memcopy,
      ...op.end,
      ...op.i32(PAIR_OFF),
      ...op.i32(64),
      ...elementAddress(nodes, i, 5),
      ...op.call(1),
      ...op.get(i),
      ...op.i32(1),
      ...op.i32sub,
      ...op.set(i),
      ...op.br(0),
      ...op.end,
      ...op.end,
    ],
  );
}

function moduleBytes(): Uint8Array {
  const constants = Buffer.alloc(24 * 8);
  roundConstants().forEach((c, i) => constants.writeBigUInt64LE(c, 8 * i));
  const types = vec([
    [0x60, ...vec([[I32]]), ...vec([])],
    [0x60, ...vec([[I32], [I32], [I32]]), ...vec([])],
    [0x60, ...vec([[I32], [I32]]), ...vec([])],
  ]);
  const functions = vec([[0], [1], [1], [2]]);
  const memory = vec([[0x00, ...uleb(1)]]);
  const exports = vec([
    [...name("memory"), 0x02, 0],
    [...name("keccak"), 0x00, 1],
    [...name("leafHashes"), 0x00, 2],
    [...name("tree"), 0x00, 3],
  ]);
  const code = vec([permuteBody(), keccakBody(), leafHashesBody(), treeBody()]);
  const data = vec([[0x00, ...op.i32(RC_OFF), ...op.end, ...uleb(constants.length), ...constants]]);
  return Uint8Array.from([
    ...[0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00],
    ...section(1, types),
    ...section(3, functions),
    ...section(5, memory),
    ...section(7, exports),
    ...section(10, code),
    ...section(11, data),
  ]);
}

/** The parts of the WebAssembly API used here (the project's TypeScript lib has no DOM types). */
interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}
interface WasmApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object, imports: object) => { exports: unknown };
}
const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

interface KeccakExports {
  memory: WasmMemory;
  keccak(input: number, length: number, out: number): void;
  leafHashes(table: number, count: number, out: number): void;
  tree(nodes: number, count: number): void;
}

/**
 * The WebAssembly Keccak instance and a view of its memory. Callers lay their input out from
 * {@link KECCAK_WORK_OFF} on (after {@link KeccakWasm.reserve}) and call the exports.
 */
export class KeccakWasm {
  readonly exports: KeccakExports;
  /** The instance's memory as a Buffer; replaced when the memory grows. */
  bytes: Buffer;

  constructor() {
    const instance = new wasm.Instance(new wasm.Module(moduleBytes()), {});
    this.exports = instance.exports as unknown as KeccakExports;
    this.bytes = Buffer.from(this.exports.memory.buffer);
  }

  /** Makes sure the memory holds at least `end` bytes; returns the (possibly new) view. */
  reserve(end: number): Buffer {
    const have = this.exports.memory.buffer.byteLength;
    if (end > have) {
      this.exports.memory.grow(Math.ceil((end - have) / 65_536));
      this.bytes = Buffer.from(this.exports.memory.buffer);
    }
    return this.bytes;
  }

  /** Keccak-256 of `data`. */
  hash(data: Uint8Array): Buffer {
    const out = KECCAK_WORK_OFF;
    const input = out + 32;
    const bytes = this.reserve(input + data.length);
    bytes.set(data, input);
    this.exports.keccak(input, data.length, out);
    return Buffer.from(bytes.subarray(out, out + 32));
  }
}

let shared: KeccakWasm | undefined;

/** The process's Keccak instance (compiled on first use). */
export function keccakWasm(): KeccakWasm {
  shared ??= new KeccakWasm();
  return shared;
}

/**
 * Keccak-256 of `data` as a Buffer.
 * @example keccak256Bytes(Buffer.from("abc")).toString("hex"); // "4e03657a…"
 */
export function keccak256Bytes(data: Uint8Array): Buffer {
  return keccakWasm().hash(data);
}

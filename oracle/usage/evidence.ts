// Usage evidence (SERVICES §2 "Evidence"): an OpenZeppelin StandardMerkleTree over a batch's
// slices; `recordsRoot = tree.root`. Any record can then be proven from the tree dump kept in
// the evidence bundle.
import { StandardMerkleTree } from "@openzeppelin/merkle-tree";
import type { Hex } from "viem";
import { bytes32ToSku, skuToBytes32 } from "../../sdk/eip712";
import { ValidationError } from "../../sdk/errors";
import type { SliceRow } from "../state/usageState";
import { keccakPairInto, leafHashesInto } from "./hashing";
import { sharedLeafHashPool, type LeafHashPool, type PoolBlock } from "./hashPool";

/** Leaf types, normative (SERVICES §2). */
export const USAGE_LEAF_ENCODING: string[] = ["string", "uint256", "bytes32", "uint64", "uint64", "uint64"];

/** The slice fields a leaf holds, in the leaf's order (one per {@link USAGE_LEAF_ENCODING} type). */
export const USAGE_LEAF_FIELDS = ["recordId", "agreementId", "sku", "sliceStart", "sliceEnd", "gpuSeconds"] as const satisfies readonly (keyof SliceRow)[];

/** A slice's {@link USAGE_LEAF_FIELDS} as a stored slice holds them: the sku by name, numbers as bigints. */
export type UsageLeafFields = Pick<SliceRow, (typeof USAGE_LEAF_FIELDS)[number]>;

/**
 * `[recordId, agreementId, sku, sliceStart, sliceEnd, gpuSeconds]`: numbers as decimal
 * strings (so a tree dump is plain JSON), sku as bytes32 hex. Hashes exactly like the same
 * leaf with bigints.
 */
export type UsageLeaf = [recordId: string, agreementId: string, sku: Hex, sliceStart: string, sliceEnd: string, gpuSeconds: string];

/** A tree dump as stored in the evidence bundle (`format: "standard-v1"`). */
export type UsageTreeDump = ReturnType<StandardMerkleTree<UsageLeaf>["dump"]>;

const MAX_UINT64 = 2n ** 64n - 1n;

function uint64(name: string, value: bigint): string {
  if (value < 0n || value > MAX_UINT64) throw new ValidationError(`Leaf ${name} = ${value} is not a uint64.`);
  return value.toString();
}

/** The leaf of one slice. */
export function usageLeaf(slice: UsageLeafFields): UsageLeaf {
  if (slice.agreementId < 0n) throw new ValidationError(`Leaf agreementId = ${slice.agreementId} is negative.`);
  return [
    slice.recordId,
    slice.agreementId.toString(),
    skuToBytes32(slice.sku),
    uint64("sliceStart", slice.sliceStart),
    uint64("sliceEnd", slice.sliceEnd),
    uint64("gpuSeconds", slice.gpuSeconds),
  ];
}

/** Reads a leaf back into bigints and the sku name. */
export function decodeUsageLeaf(leaf: UsageLeaf): UsageLeafFields {
  return {
    recordId: leaf[0],
    agreementId: BigInt(leaf[1]),
    sku: bytes32ToSku(leaf[2]),
    sliceStart: BigInt(leaf[3]),
    sliceEnd: BigInt(leaf[4]),
    gpuSeconds: BigInt(leaf[5]),
  };
}

const TWO_32 = 4_294_967_296;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);
/** ABI head of a leaf: 6 words, then the string's length word; the string's bytes follow. */
const LEAF_HEAD = 7 * 32;
/** Bytes of encodings a {@link LeafHasher} lays out before hashing them (one block for the worker thread). */
const ENCODING_BUDGET = 1 << 20;

const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;
/** A 32-bit value as a Uint32Array element that lands in memory big-endian (byte-swapped on little-endian hosts). */
const swap32 = LITTLE_ENDIAN
  ? (v: number): number => (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | (v >>> 24)) >>> 0
  : (v: number): number => v >>> 0;

/** A uint64 leaf value as a number when it is one, else as a checked bigint. */
function uint64Value(name: string, value: bigint | number | string): number | bigint {
  if (typeof value === "number" && Number.isSafeInteger(value) && value >= 0) return value;
  const big = BigInt(value);
  if (big < 0n || big > MAX_UINT64) throw new ValidationError(`Leaf ${name} = ${big} is not a uint64.`);
  return big <= MAX_SAFE ? Number(big) : big;
}

/** Options of a {@link LeafHasher}. */
export interface LeafHasherOptions {
  /** Bytes of encodings laid out before they are hashed as one block (default 1 MiB). */
  budget?: number;
  /**
   * The worker thread that hashes full blocks while this thread goes on (default: the process's shared pool,
   * started on the first full block); `null` hashes every block on this thread.
   */
  pool?: LeafHashPool | null;
}

/**
 * Lays out leaves' ABI encodings (`abi.encode(string, uint256, bytes32, uint64, uint64, uint64)`)
 * one after the other and hashes them, a block (1 MiB of encodings) at a time, with hash-wasm's Keccak:
 * `keccak256(keccak256(encoding))` each, OpenZeppelin's standard leaf hash. A full block goes to a worker
 * thread (hashPool.ts) while more leaves are added; the last block, and any the worker has not finished
 * when {@link hash} is called, are hashed on this thread. Few leaves (one block) never leave this thread.
 *
 * @example
 * const hasher = new LeafHasher();
 * hasher.add("slurm:syd1:4101:1790000000", 1n, skuToBytes32("h100-sxm"), 1_790_000_000, 1_790_003_600, 28_800);
 * const hashes = hasher.hash(); // 32 bytes per leaf
 */
export class LeafHasher {
  private bytes = new Uint8Array(1 << 16);
  private words = new Uint32Array(this.bytes.buffer);
  private table = new Int32Array(1 << 10);
  /** End of the encodings not hashed yet, and how many leaves they are. */
  private end = 0;
  private n = 0;
  /** Hashes of the leaves already hashed (or handed to the worker) since the last {@link hash}. */
  private done = Buffer.alloc(0);
  private doneCount = 0;
  private readonly skuWords = new Map<string, Uint32Array>();
  private readonly budget: number;
  private readonly poolOption: LeafHashPool | null | undefined;
  /** The pool of the blocks in flight, and those blocks (oldest first). */
  private pool: LeafHashPool | undefined;
  private pending: PoolBlock[] = [];

  constructor(options: LeafHasherOptions = {}) {
    this.budget = options.budget ?? ENCODING_BUDGET;
    this.poolOption = options.pool;
  }

  /** Leaves added since the last {@link hash}. */
  get count(): number {
    return this.doneCount + this.n;
  }

  private room(bytes: number): void {
    // Hash what is laid out once it is a block: the buffer stays small for any number of leaves.
    if (this.end + bytes > this.budget && this.n > 0) this.flush(false);
    if (this.end + bytes > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(this.bytes.length * 2, this.end + bytes));
      bigger.set(this.bytes.subarray(0, this.end));
      this.bytes = bigger;
      this.words = new Uint32Array(bigger.buffer);
    }
    if (2 * this.n + 2 > this.table.length) {
      const bigger = new Int32Array(this.table.length * 2);
      bigger.set(this.table);
      this.table = bigger;
    }
  }

  /** Writes a uint word (8 big-endian u32) at word index `w`. */
  private word(value: number | bigint, w: number): void {
    const words = this.words;
    if (typeof value === "number") {
      for (let i = 0; i < 6; i++) words[w + i] = 0;
      words[w + 6] = swap32(Math.floor(value / TWO_32));
      words[w + 7] = swap32(value >>> 0);
      return;
    }
    const hex = value.toString(16).padStart(64, "0");
    for (let i = 0; i < 8; i++) words[w + i] = swap32(parseInt(hex.slice(8 * i, 8 * i + 8), 16));
  }

  /** The bytes32 of a sku as this hasher writes it (for {@link addChecked}). */
  skuWord(sku: Hex): Uint32Array {
    let word = this.skuWords.get(sku);
    if (word === undefined) {
      const bytes = Buffer.from(sku.slice(2), "hex");
      if (bytes.length !== 32 || sku.length !== 66) throw new ValidationError(`Leaf sku ${sku} is not 32 bytes.`);
      word = new Uint32Array(Uint8Array.from(bytes).buffer);
      this.skuWords.set(sku, word);
    }
    return word;
  }

  /**
   * Adds one leaf (`sku` as bytes32 hex); returns its index.
   * @throws ValidationError when agreementId is negative or above uint256, or a uint64 value does not fit;
   * RetryableError when the worker thread failed (the hasher starts over).
   */
  add(
    recordId: string,
    agreementId: bigint | number | string,
    sku: Hex,
    sliceStart: bigint | number | string,
    sliceEnd: bigint | number | string,
    gpuSeconds: bigint | number | string,
  ): number {
    let id: number | bigint;
    if (typeof agreementId === "number" && Number.isSafeInteger(agreementId) && agreementId >= 0) id = agreementId;
    else {
      const big = BigInt(agreementId);
      if (big < 0n || big >= 1n << 256n) throw new ValidationError(`Leaf agreementId = ${big} is not a uint256.`);
      id = big <= MAX_SAFE ? Number(big) : big;
    }
    return this.addChecked(
      recordId,
      id,
      this.skuWord(sku),
      uint64Value("sliceStart", sliceStart),
      uint64Value("sliceEnd", sliceEnd),
      uint64Value("gpuSeconds", gpuSeconds),
    );
  }

  /**
   * {@link add} for values already checked: agreementId a safe integer ≥ 0 or a bigint below
   * 2^256, the others safe integers ≥ 0 or bigints below 2^64, `skuWord` from {@link skuWord}.
   */
  addChecked(recordId: string, id: number | bigint, skuWord: Uint32Array, start: number | bigint, end: number | bigint, gpus: number | bigint): number {
    const most = LEAF_HEAD + Math.ceil((3 * recordId.length) / 32) * 32 + 32;
    this.room(most);
    const at = this.end;
    const w = at >> 2;
    const words = this.words;
    for (let i = 0; i < 7; i++) words[w + i] = 0;
    words[w + 7] = swap32(0xc0); // the string's offset: after the 6 head words
    this.word(id, w + 8);
    for (let i = 0; i < 8; i++) words[w + 16 + i] = skuWord[i];
    this.word(start, w + 24);
    this.word(end, w + 32);
    this.word(gpus, w + 40);
    // The string: ASCII byte by byte, anything else through the UTF-8 encoder.
    const bytes = this.bytes;
    const text = at + LEAF_HEAD;
    let length = recordId.length;
    for (let i = 0; i < length; i++) {
      const c = recordId.charCodeAt(i);
      if (c >= 0x80) {
        length = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).write(recordId, text, "utf8");
        break;
      }
      bytes[text + i] = c;
    }
    this.word(length, w + 48);
    const size = LEAF_HEAD + Math.ceil(length / 32) * 32;
    for (let i = text + length; i < at + size; i++) bytes[i] = 0;
    this.table[2 * this.n] = at;
    this.table[2 * this.n + 1] = size;
    this.end = at + size;
    this.n += 1;
    return this.doneCount + this.n - 1;
  }

  /** Adds a leaf given as {@link UsageLeaf}. */
  addLeaf(leaf: UsageLeaf): number {
    return this.add(leaf[0], leaf[1], leaf[2], leaf[3], leaf[4], leaf[5]);
  }

  /**
   * The leaf hashes of the leaves added (32 bytes each, in order); starts over afterwards.
   * @throws RetryableError when the worker thread failed (the hasher starts over; nothing it hashed is returned).
   */
  hash(): Buffer {
    try {
      this.flush(true);
      const pool = this.pool;
      if (pool !== undefined) {
        if (pool.failure !== undefined) throw pool.failure;
        // What the worker finished, then the rest here: newest first, as the worker takes the oldest first.
        const left = this.pending.filter((block) => !pool.collect(block, this.done, false, leafHashesInto));
        for (let k = left.length - 1; k >= 0; k--) pool.collect(left[k], this.done, true, leafHashesInto);
        this.pending = [];
      }
      return this.done.subarray(0, 32 * this.doneCount);
    } catch (err) {
      this.discard();
      throw err;
    } finally {
      this.done = Buffer.alloc(0);
      this.doneCount = 0;
      this.pool = undefined;
    }
  }

  /** Drops the leaves added since the last {@link hash} (their blocks taken back from the worker). */
  discard(): void {
    for (const block of this.pending) this.pool?.drop(block);
    this.pending = [];
    this.pool = undefined;
    this.done = Buffer.alloc(0);
    this.doneCount = 0;
    this.end = 0;
    this.n = 0;
  }

  /** Hashes the leaves laid out so far into {@link done}: on this thread when `last`, else a full block to the worker. */
  private flush(last: boolean): void {
    if (this.n === 0) return;
    const need = 32 * (this.doneCount + this.n);
    if (need > this.done.length) {
      const bigger = Buffer.allocUnsafe(Math.max(need, 2 * this.done.length));
      this.done.copy(bigger, 0, 0, 32 * this.doneCount);
      this.done = bigger;
    }
    const at = 32 * this.doneCount;
    if (last || !this.handOff(at)) leafHashesInto(this.bytes, this.table, this.n, this.done, at);
    this.doneCount += this.n;
    this.end = 0;
    this.n = 0;
  }

  /**
   * Hands the laid-out block to the worker; false when it is to be hashed here (no pool, or a block too big for
   * a slot). With every slot in use, the newest of this hasher's blocks the worker has not started is taken back
   * and hashed here, and its slot reused: this thread never waits.
   * @throws RetryableError when the worker failed.
   */
  private handOff(at: number): boolean {
    const pool = (this.pool ??= this.poolOption === undefined ? (sharedLeafHashPool() ?? undefined) : (this.poolOption ?? undefined));
    if (pool === undefined) return false;
    try {
      if (pool.failure !== undefined) throw pool.failure;
      this.pending = this.pending.filter((block) => !pool.collect(block, this.done, false, leafHashesInto));
    } catch (err) {
      this.discard();
      throw err;
    }
    if (!pool.fits(this.end, this.n)) return false;
    let slot = pool.acquire();
    for (let k = this.pending.length - 1; slot < 0 && k >= 0; k--) {
      const block = this.pending[k];
      if (!pool.reclaim(block)) continue;
      const { bytes, table } = pool.slotData(block.slot);
      leafHashesInto(bytes, table, block.count, this.done, block.at);
      this.pending.splice(k, 1);
      slot = block.slot;
    }
    if (slot < 0) return false;
    pool.submit(slot, this.bytes, this.end, this.table, this.n);
    this.pending.push({ slot, at, count: this.n });
    return true;
  }
}

/**
 * The standard leaf hash of a usage leaf, `keccak256(keccak256(abi.encode(leaf)))`, equal to
 * OpenZeppelin's `standardLeafHash(USAGE_LEAF_ENCODING, leaf)` but encoded by hand for this one
 * leaf shape (the generic ABI encoder dominates the cost of large trees).
 */
export function usageLeafHash(leaf: UsageLeaf): Buffer {
  const hasher = new LeafHasher();
  hasher.addLeaf(leaf);
  return hasher.hash();
}

/** Builds a StandardMerkleTree from precomputed parts (its constructor is protected). */
class PrecomputedUsageTree extends StandardMerkleTree<UsageLeaf> {
  static from(tree: string[], values: { value: UsageLeaf; treeIndex: number }[]): StandardMerkleTree<UsageLeaf> {
    return new PrecomputedUsageTree(tree, values, USAGE_LEAF_ENCODING);
  }
}

const INDEX_SPAN = 2 ** 21;

/**
 * Leaf indices in the order of their hashes (ascending bytes; equal hashes keep their order, as
 * the stable sort of StandardMerkleTree.of). Sorts numbers (the hash's first 4 bytes and the
 * index packed in one double) natively, then settles equal prefixes by the whole hash.
 */
function hashOrder(hashes: Uint8Array, n: number): number[] {
  const byHash = (a: number, b: number) => Buffer.compare(hashes.subarray(32 * a, 32 * a + 32), hashes.subarray(32 * b, 32 * b + 32)) || a - b;
  if (n >= INDEX_SPAN) return Array.from({ length: n }, (_, i) => i).sort(byHash);
  const view = new DataView(hashes.buffer, hashes.byteOffset, hashes.byteLength);
  const keys = new Float64Array(n);
  for (let i = 0; i < n; i++) keys[i] = view.getUint32(32 * i) * INDEX_SPAN + i;
  keys.sort();
  const order = new Array<number>(n);
  for (let i = 0; i < n; i++) order[i] = keys[i] % INDEX_SPAN;
  for (let i = 0; i < n; ) {
    let j = i + 1;
    const prefix = Math.floor(keys[i] / INDEX_SPAN);
    while (j < n && Math.floor(keys[j] / INDEX_SPAN) === prefix) j++;
    if (j - i > 1) {
      const run = order.slice(i, j).sort(byHash);
      for (let r = 0; r < run.length; r++) order[i + r] = run[r];
    }
    i = j;
  }
  return order;
}

/**
 * The nodes of the StandardMerkleTree over leaves with these leaf hashes (32 bytes each, leaf
 * order): `nodes` holds the 2n − 1 node hashes (root first) and `treeIndex[i]` is leaf i's node.
 * @throws ValidationError for no leaves (a tree needs one).
 */
export function usageTreeNodes(hashes: Uint8Array): { nodes: Buffer; treeIndex: number[] } {
  const n = hashes.length / 32;
  if (n === 0 || !Number.isInteger(n)) throw new ValidationError("A usage tree needs at least one slice.");
  const order = hashOrder(hashes, n);
  const size = 2 * n - 1;
  const nodes = Buffer.from(new ArrayBuffer(32 * size));
  // Leaves go to the end, in hash order: copied as 32-bit words (one native call per leaf costs more).
  const from = new Uint32Array(Uint8Array.from(hashes).buffer);
  const to = new Uint32Array(nodes.buffer, nodes.byteOffset, 8 * size);
  const treeIndex = new Array<number>(n);
  for (let i = 0; i < n; i++) {
    const leaf = order[i];
    const node = size - 1 - i;
    for (let w = 0; w < 8; w++) to[8 * node + w] = from[8 * leaf + w];
    treeIndex[leaf] = node;
  }
  // Inner node i = keccak256(sorted(node 2i + 1, node 2i + 2)), from the last inner node up to the root.
  for (let i = n - 2; i >= 0; i--) {
    const left = 64 * i + 32;
    let j = 0;
    while (j < 32 && nodes[left + j] === nodes[left + 32 + j]) j++;
    keccakPairInto(to, left >> 2, j < 32 && nodes[left + j] > nodes[left + 32 + j], nodes, 32 * i);
  }
  return { nodes, treeIndex };
}

/** The root of the StandardMerkleTree over leaves with these leaf hashes (32 bytes each, leaf order). */
export function usageRootOfHashes(hashes: Uint8Array): Hex {
  return `0x${usageTreeNodes(hashes).nodes.toString("hex", 0, 32)}`;
}

/**
 * The evidence tree of a batch's slices (its `leaves`): the same tree, root and dump as
 * `StandardMerkleTree.of(slices.map(usageLeaf), USAGE_LEAF_ENCODING)` (leaves sorted by hash,
 * sorted-pair node hashing), built with {@link LeafHasher} and hash-wasm's Keccak.
 * @throws ValidationError for an empty batch (a tree needs one leaf).
 * @example const tree = buildUsageTree(batch.leaves); const recordsRoot = tree.root;
 */
export function buildUsageTree(slices: readonly UsageLeafFields[]): StandardMerkleTree<UsageLeaf> {
  return usageTreeOf(slices.map(usageLeaf));
}

/** {@link buildUsageTree} from leaves already encoded (e.g. read back from the state). */
export function usageTreeOf(leaves: readonly UsageLeaf[], hashes?: Uint8Array): StandardMerkleTree<UsageLeaf> {
  if (leaves.length === 0) throw new ValidationError("A usage tree needs at least one slice.");
  let leafHashes = hashes;
  if (leafHashes === undefined) {
    const hasher = new LeafHasher();
    for (const leaf of leaves) hasher.addLeaf(leaf);
    leafHashes = hasher.hash();
  }
  const { nodes, treeIndex } = usageTreeNodes(leafHashes);
  const hex = nodes.toString("hex");
  const tree = new Array<string>(nodes.length / 32);
  for (let i = 0; i < tree.length; i++) tree[i] = `0x${hex.slice(64 * i, 64 * i + 64)}`;
  return PrecomputedUsageTree.from(
    tree,
    leaves.map((value, i) => ({ value, treeIndex: treeIndex[i] })),
  );
}

/** `recordsRoot` of a batch's slices. */
export function usageRecordsRoot(slices: readonly UsageLeafFields[]): Hex {
  return buildUsageTree(slices).root as Hex;
}

/** Every leaf of one record in a batch, each with its proof against the batch's root. */
export interface RecordProof {
  root: Hex;
  recordId: string;
  leaves: { leaf: UsageLeaf; proof: Hex[] }[];
}

function loadTree(dump: UsageTreeDump): StandardMerkleTree<UsageLeaf> {
  const encoding = dump.leafEncoding;
  if (encoding.length !== USAGE_LEAF_ENCODING.length || encoding.some((t, i) => t !== USAGE_LEAF_ENCODING[i])) {
    throw new ValidationError(`Tree dump has leaf encoding ${JSON.stringify(encoding)}, not a usage tree's.`, {
      fix: "Pass the tree dump of a usage evidence bundle.",
    });
  }
  return StandardMerkleTree.load(dump);
}

/**
 * Proves one record: every leaf of `recordId` in the dumped tree with its proof (a record
 * has one leaf per window it crosses; a carried late slice may add more). The dump is
 * validated first (every node re-hashed), so a tampered dump throws.
 * @returns undefined when the record has no leaf in this tree.
 */
export function proveRecord(dump: UsageTreeDump, recordId: string): RecordProof | undefined {
  const tree = loadTree(dump);
  const leaves: RecordProof["leaves"] = [];
  for (const [index, leaf] of tree.entries()) {
    if (leaf[0] === recordId) leaves.push({ leaf, proof: tree.getProof(index) as Hex[] });
  }
  return leaves.length === 0 ? undefined : { root: tree.root as Hex, recordId, leaves };
}

/** Whether `leaf` with `proof` belongs to the tree of `root` (a batch's recordsRoot). */
export function verifyRecordProof(root: Hex, leaf: UsageLeaf, proof: readonly Hex[]): boolean {
  try {
    return StandardMerkleTree.verify(root, USAGE_LEAF_ENCODING, leaf, [...proof]);
  } catch {
    // A leaf that cannot be ABI-encoded (wrong types, sizes) belongs to no tree.
    return false;
  }
}

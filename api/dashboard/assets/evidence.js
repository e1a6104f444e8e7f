// @ts-check
// Checks a usage record's Merkle proof in the browser, independently of the server: Keccak-256, the ABI
// encoding of a usage leaf (SERVICES §2: string, uint256, bytes32, uint64, uint64, uint64) and
// OpenZeppelin StandardMerkleTree's hashing (leaf = keccak256(keccak256(abi.encode(leaf))), sorted pairs).

const MASK = (1n << 64n) - 1n;
const RC = [
  0x0000000000000001n, 0x0000000000008082n, 0x800000000000808an, 0x8000000080008000n, 0x000000000000808bn, 0x0000000080000001n,
  0x8000000080008081n, 0x8000000000008009n, 0x000000000000008an, 0x0000000000000088n, 0x0000000080008009n, 0x000000008000000an,
  0x000000008000808bn, 0x800000000000008bn, 0x8000000000008089n, 0x8000000000008003n, 0x8000000000008002n, 0x8000000000000080n,
  0x000000000000800an, 0x800000008000000an, 0x8000000080008081n, 0x8000000000008080n, 0x0000000080000001n, 0x8000000080008008n,
];
// rotation offsets, lane x + 5y
const ROT = [0, 1, 62, 28, 27, 36, 44, 6, 55, 20, 3, 10, 43, 25, 39, 41, 45, 15, 21, 8, 18, 2, 61, 56, 14].map(BigInt);

/**
 * @param {bigint} v
 * @param {bigint} n
 */
const rotl = (v, n) => (n === 0n ? v : ((v << n) | (v >> (64n - n))) & MASK);

/** @param {bigint[]} s the 25 lanes */
function keccakF(s) {
  /** @type {bigint[]} */
  const c = new Array(5).fill(0n);
  /** @type {bigint[]} */
  const b = new Array(25).fill(0n);
  for (let round = 0; round < 24; round++) {
    for (let x = 0; x < 5; x++) c[x] = s[x] ^ s[x + 5] ^ s[x + 10] ^ s[x + 15] ^ s[x + 20];
    for (let x = 0; x < 5; x++) {
      const d = c[(x + 4) % 5] ^ rotl(c[(x + 1) % 5], 1n);
      for (let y = 0; y < 25; y += 5) s[x + y] ^= d;
    }
    for (let x = 0; x < 5; x++) {
      for (let y = 0; y < 5; y++) b[y + 5 * ((2 * x + 3 * y) % 5)] = rotl(s[x + 5 * y], ROT[x + 5 * y]);
    }
    for (let y = 0; y < 25; y += 5) {
      for (let x = 0; x < 5; x++) s[x + y] = b[x + y] ^ (~b[((x + 1) % 5) + y] & MASK & b[((x + 2) % 5) + y]);
    }
    s[0] ^= RC[round];
  }
}

/**
 * Keccak-256 (the Ethereum one, not SHA3-256).
 * @param {Uint8Array} data
 * @returns {Uint8Array} 32 bytes
 */
export function keccak256(data) {
  const rate = 136;
  const padded = new Uint8Array(Math.floor(data.length / rate + 1) * rate);
  padded.set(data);
  padded[data.length] ^= 0x01;
  padded[padded.length - 1] ^= 0x80;
  const s = new Array(25).fill(0n);
  for (let off = 0; off < padded.length; off += rate) {
    for (let i = 0; i < rate / 8; i++) {
      let lane = 0n;
      for (let j = 7; j >= 0; j--) lane = (lane << 8n) | BigInt(padded[off + 8 * i + j]);
      s[i] ^= lane;
    }
    keccakF(s);
  }
  const out = new Uint8Array(32);
  for (let i = 0; i < 4; i++) {
    let lane = s[i];
    for (let j = 0; j < 8; j++) {
      out[8 * i + j] = Number(lane & 0xffn);
      lane >>= 8n;
    }
  }
  return out;
}

/** @param {string} hex 0x-prefixed */
export function fromHex(hex) {
  const clean = hex.slice(2);
  if (!/^([0-9a-fA-F]{2})*$/.test(clean)) throw new Error(`not hex: ${hex}`);
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** @param {Uint8Array} bytes */
export const toHex = (bytes) => `0x${Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("")}`;

/** @param {bigint} v */
function word(v) {
  return fromHex(`0x${v.toString(16).padStart(64, "0")}`);
}

/** @param {Uint8Array[]} parts */
function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

/**
 * `abi.encode(recordId, agreementId, sku, sliceStart, sliceEnd, gpuSeconds)` of a usage leaf.
 * @param {{ recordId: string, agreementId: string, sku: string, sliceStart: string, sliceEnd: string, gpuSeconds: string }} leaf
 */
export function encodeUsageLeaf(leaf) {
  const text = new TextEncoder().encode(leaf.recordId);
  const paddedText = new Uint8Array(Math.ceil(text.length / 32) * 32);
  paddedText.set(text);
  return concat([
    word(6n * 32n),
    word(BigInt(leaf.agreementId)),
    fromHex(leaf.sku),
    word(BigInt(leaf.sliceStart)),
    word(BigInt(leaf.sliceEnd)),
    word(BigInt(leaf.gpuSeconds)),
    word(BigInt(text.length)),
    paddedText,
  ]);
}

/**
 * @param {Uint8Array} a
 * @param {Uint8Array} b
 */
function compare(a, b) {
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/**
 * The root a leaf and its proof lead to (OpenZeppelin StandardMerkleTree / MerkleProof.processProof).
 * @param {Parameters<typeof encodeUsageLeaf>[0]} leaf
 * @param {string[]} proof sibling hashes
 * @returns {string} the root, 0x-hex
 */
export function rootOf(leaf, proof) {
  let node = keccak256(keccak256(encodeUsageLeaf(leaf)));
  for (const sibling of proof) {
    const other = fromHex(sibling);
    node = keccak256(compare(node, other) <= 0 ? concat([node, other]) : concat([other, node]));
  }
  return toHex(node);
}

// The usage oracle's Merkle hashing: node and leaf hashes written into preallocated buffers, with sdk/keccak.ts
// (hash-wasm once loaded; the entry points await `loadKeccak`).
import { keccak as hash } from "../../sdk/keccak";

const pair = new Uint8Array(64);
const pairWords = new Uint32Array(pair.buffer);

/**
 * A Merkle node: Keccak-256 of the two 32-byte hashes at words `[at, at + 16)` of `words`, in that order or, with
 * `swap`, the second first; written to `out` at byte `to`.
 */
export function keccakPairInto(words: Uint32Array, at: number, swap: boolean, out: Uint8Array, to: number): void {
  const first = swap ? at + 8 : at;
  const second = swap ? at : at + 8;
  for (let k = 0; k < 8; k++) {
    pairWords[k] = words[first + k];
    pairWords[8 + k] = words[second + k];
  }
  out.set(hash(pair), to);
}

/**
 * The standard Merkle leaf hash `keccak256(keccak256(encoding))` of each encoding `bytes[offset, offset + length)`,
 * 32 bytes each written to `out` from `at` on, in order. `table` holds `count` (offset, length) pairs.
 */
export function leafHashesInto(bytes: Uint8Array, table: Int32Array, count: number, out: Uint8Array, at: number): void {
  for (let i = 0; i < count; i++) {
    const from = table[2 * i];
    out.set(hash(hash(bytes.subarray(from, from + table[2 * i + 1]))), at + 32 * i);
  }
}

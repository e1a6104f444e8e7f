// Keccak-256 for the usage oracle's hot paths (leaf hashes, Merkle trees, the EIP-712 digest),
// from hash-wasm (maintained WebAssembly; tested against @noble/hashes and viem). hash-wasm
// instantiates asynchronously: the pipeline's entry points await {@link loadKeccak} (ingestion,
// signing, the bench); a synchronous caller before that is served by viem's keccak256 (the same
// hash, pure JavaScript, several times slower).
import { createKeccak, type IHasher } from "hash-wasm";
import { keccak256 } from "viem";

let wasm: IHasher | undefined;
const loading: Promise<void> = createKeccak(256).then((hasher) => {
  wasm = hasher;
});
// Awaited by the entry points, which see a failure; no unhandled rejection before that.
loading.catch(() => undefined);

/**
 * Resolves once hash-wasm's Keccak is instantiated (started on import).
 * @example await loadKeccak(); const digest = keccak256Bytes(data);
 */
export function loadKeccak(): Promise<void> {
  return loading;
}

/** Whether hash-wasm serves {@link keccak256Bytes} (else viem does, until {@link loadKeccak} resolves). */
export function keccakLoaded(): boolean {
  return wasm !== undefined;
}

/** Keccak-256 of `data`: hash-wasm's once instantiated, viem's before. */
const hash = (data: Uint8Array): Uint8Array => (wasm === undefined ? keccak256(data, "bytes") : wasm.init().update(data).digest("binary"));

/**
 * Keccak-256 of `data` as a Buffer of 32 bytes.
 * @example keccak256Bytes(Buffer.from("abc")).toString("hex"); // "4e03657a…"
 */
export function keccak256Bytes(data: Uint8Array): Buffer {
  const digest = hash(data);
  return Buffer.from(digest.buffer, digest.byteOffset, 32);
}

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

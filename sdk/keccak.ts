// Keccak-256 for hot paths (the usage oracle's leaves and Merkle trees, the API's notification ids), from hash-wasm
// (maintained WebAssembly; tested against @noble/hashes and viem). hash-wasm instantiates asynchronously: callers
// await {@link loadKeccak} at their entry points; a synchronous call before that is served by viem's keccak256 (the
// same hash, pure JavaScript, several times slower).
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

/** Keccak-256 of `data` (32 bytes, a fresh array): hash-wasm's once instantiated, viem's before. */
export const keccak = (data: Uint8Array): Uint8Array => (wasm === undefined ? keccak256(data, "bytes") : wasm.init().update(data).digest("binary"));

/**
 * Keccak-256 of `data` as a Buffer of 32 bytes.
 * @example keccak256Bytes(Buffer.from("abc")).toString("hex"); // "4e03657a…"
 */
export function keccak256Bytes(data: Uint8Array): Buffer {
  const digest = keccak(data);
  return Buffer.from(digest.buffer, digest.byteOffset, 32);
}

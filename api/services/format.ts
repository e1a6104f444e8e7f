// Row → response mappers: amounts stay decimal strings, times become ISO 8601 UTC, addresses EIP-55.
import { getAddress } from "viem";
import { bytes32ToSku } from "../../sdk/eip712";

const checksummed = new Map<string, string>();

/** EIP-55 form of a stored lower-case address (memoized: the same addresses recur). */
export function addr(lower: string): string {
  let out = checksummed.get(lower);
  if (out === undefined) {
    out = getAddress(lower);
    if (checksummed.size > 100_000) checksummed.clear();
    checksummed.set(lower, out);
  }
  return out;
}

/** Unix seconds → "2026-10-01T00:00:00Z". */
export function iso(unix: number): string {
  return new Date(unix * 1000).toISOString().replace(".000Z", "Z");
}

/** 0 (the ledger's "never") → null. */
export function isoOrNull(unix: number): string | null {
  return unix === 0 ? null : iso(unix);
}

/** A stored bytes32 sku as its name, or the raw hex when it is not a valid sku. */
export function skuName(value: string): string {
  try {
    return bytes32ToSku(value as `0x${string}`);
  } catch {
    return value;
  }
}

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

const days = new Map<number, string>();
const two = (n: number): string => (n < 10 ? `0${n}` : String(n));

/**
 * Unix seconds → "2026-10-01T00:00:00Z". `Date#toISOString` is ~1 µs and an answer has hundreds of times: the
 * date part is computed once per day, the time of day by arithmetic.
 */
export function iso(unix: number): string {
  if (!Number.isSafeInteger(unix) || unix < 0 || unix > 253_402_300_799) return new Date(unix * 1000).toISOString().replace(".000Z", "Z");
  const day = Math.floor(unix / 86_400);
  let date = days.get(day);
  if (date === undefined) {
    date = new Date(day * 86_400_000).toISOString().slice(0, 11);
    if (days.size > 100_000) days.clear();
    days.set(day, date);
  }
  const s = unix - day * 86_400;
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return `${date}${two(h)}:${two(m)}:${two(s % 60)}Z`;
}

/** 0 (the ledger's "never") → null. */
export function isoOrNull(unix: number): string | null {
  return unix === 0 ? null : iso(unix);
}

const skus = new Map<string, string>();

/** A stored bytes32 sku as its name, or the raw hex when it is not a valid sku (memoized: few skus recur). */
export function skuName(value: string): string {
  let name = skus.get(value);
  if (name === undefined) {
    try {
      name = bytes32ToSku(value as `0x${string}`);
    } catch {
      name = value;
    }
    if (skus.size > 10_000) skus.clear();
    skus.set(value, name);
  }
  return name;
}

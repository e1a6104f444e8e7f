// The report's canonical form and hash. The report file is the RFC 8785 (JCS) serialization of the report —
// object keys sorted by UTF-16 code units, no whitespace, strings as ECMAScript JSON.stringify writes them — with
// every amount a decimal string, so `reportHash = keccak256(file bytes)` can be recomputed by anyone with any
// keccak tool and compared with the hash an auditor published on chain (`recordAudit`). The serialization is the
// project's one RFC 8785 function (sdk/canonicalJson.ts, the `canonicalize` package), shared with the revenue
// oracle's evidenceHash; the report adds one rule of its own: its only numbers are safe integers.
import { keccak256, stringToBytes, type Hex } from "viem";
import { canonicalJson, type JsonValue as CanonicalJsonValue } from "../../sdk/canonicalJson";

/** A JSON value of the report (no numbers other than safe integers; amounts are strings). */
export type JsonValue = CanonicalJsonValue;

/** Throws when a number of `value` is not a safe integer (a report writes amounts as decimal strings). */
function assertSafeIntegers(value: JsonValue | undefined): void {
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`Report numbers must be safe integers, not ${value}.`);
  } else if (Array.isArray(value)) {
    for (const item of value as readonly JsonValue[]) assertSafeIntegers(item);
  } else if (value !== null && typeof value === "object") {
    for (const item of Object.values(value)) assertSafeIntegers(item);
  }
}

/**
 * RFC 8785 canonical JSON of a report value.
 * @throws Error on a number that is not a safe integer; ValidationError on a lone surrogate (not I-JSON).
 */
export function canonicalize(value: JsonValue): string {
  assertSafeIntegers(value);
  return canonicalJson(value);
}

/** keccak256 of the report file's bytes. */
export function reportHashOf(fileBytes: Uint8Array | string): Hex {
  return keccak256(typeof fileBytes === "string" ? stringToBytes(fileBytes) : fileBytes);
}

/** Whether `text` is exactly the canonical serialization of the JSON it holds (a report file as written). */
export function isCanonical(text: string): boolean {
  try {
    return canonicalize(JSON.parse(text) as JsonValue) === text;
  } catch {
    return false;
  }
}

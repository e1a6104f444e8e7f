// The report's canonical form and hash. The report file is the RFC 8785 (JCS) serialization of the report —
// object keys sorted by UTF-16 code units, no whitespace, strings as ECMAScript JSON.stringify writes them — with
// every amount a decimal string, so `reportHash = keccak256(file bytes)` can be recomputed by anyone with any
// keccak tool and compared with the hash an auditor published on chain (`recordAudit`).
import { keccak256, stringToBytes, type Hex } from "viem";

/** A JSON value of the report (no numbers other than safe integers; amounts are strings). */
export type JsonValue = string | number | boolean | null | JsonValue[] | { [key: string]: JsonValue };

/** RFC 8785 canonical JSON of `value`. */
export function canonicalize(value: JsonValue): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`Report numbers must be safe integers, not ${value}.`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalize).join(",")}]`;
  const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.filter((k) => value[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalize(value[k])}`).join(",")}}`;
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

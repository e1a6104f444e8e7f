// RFC 8785 (JSON Canonicalization Scheme) for every hash the project puts on chain: the revenue oracle's
// `evidenceHash` (keccak256 of the evidence JSON) and the auditor's `reportHash` (keccak256 of the report file).
// The serialization is the `canonicalize` package's (object keys sorted by UTF-16 code units, no whitespace,
// strings and numbers as ECMAScript's JSON.stringify writes them). Its CommonJS release (2.1) does not refuse lone
// surrogates, which RFC 8785 §3.2.2.2 requires ("MUST cause a compliant JCS implementation to terminate with an
// appropriate error"); the check is made here, before serializing.
import canonicalize from "canonicalize";
import { ValidationError } from "./errors";

/** A JSON value (I-JSON, RFC 7493): strings without lone surrogates, finite numbers. */
export type JsonValue = string | number | boolean | null | readonly JsonValue[] | { readonly [key: string]: JsonValue | undefined };

/** A lone surrogate (U+D800–U+DFFF not part of a pair): with the `u` flag a well-formed pair is one code point. */
const LONE_SURROGATE = /\p{Surrogate}/u;

/** Throws ValidationError on the first string (value or key) of `value` holding a lone surrogate. */
function assertWellFormed(value: JsonValue | undefined): void {
  if (typeof value === "string") {
    if (LONE_SURROGATE.test(value)) throw loneSurrogate(value);
  } else if (Array.isArray(value)) {
    for (const item of value as readonly JsonValue[]) assertWellFormed(item);
  } else if (value !== null && typeof value === "object") {
    for (const [key, item] of Object.entries(value)) {
      if (LONE_SURROGATE.test(key)) throw loneSurrogate(key);
      assertWellFormed(item);
    }
  }
}

function loneSurrogate(text: string): ValidationError {
  const at = text.search(LONE_SURROGATE);
  return new ValidationError(`Text ${JSON.stringify(text)} has a lone surrogate at index ${at}; it is not valid I-JSON (RFC 8785 §3.2.2.2).`);
}

/**
 * The RFC 8785 canonical JSON of `value`. Object members whose value is undefined are left out.
 * @throws ValidationError on a lone surrogate in a string or a key; Error on NaN or ±Infinity.
 * @example canonicalJson({ b: "1", a: [true, null, 2] }) // '{"a":[true,null,2],"b":"1"}'
 */
export function canonicalJson(value: JsonValue): string {
  assertWellFormed(value);
  const text = canonicalize(value);
  if (text === undefined) throw new ValidationError(`${String(value)} has no JSON form.`);
  return text;
}

// Revenue evidence (SERVICES §3): evidenceHash = keccak256 of the RFC 8785 canonical JSON
// array of the period's [id, "units"] pairs sorted by id, then ["carry", "units"] when an
// amount was carried in. The canonical form is the project's one RFC 8785 function
// (sdk/canonicalJson.ts, shared with the auditor's report hash); a lone surrogate in an id is
// refused there, as RFC 8785 §3.2.2.2 requires.
import { keccak256, stringToBytes, type Hex } from "viem";
import { canonicalJson as sdkCanonicalJson } from "../../sdk/canonicalJson";
import { ValidationError } from "../../sdk/errors";
import type { PeriodFigures, PeriodItem } from "./periods";

/** A JSON value of the restricted shape the evidence uses: a string or an array of them. */
export type CanonicalValue = string | readonly CanonicalValue[];

/**
 * A string as RFC 8785 serializes it (sdk/canonicalJson.ts): `"` and `\` escaped with a
 * backslash; U+0008, U+0009, U+000A, U+000C, U+000D as `\b \t \n \f \r`; every other control
 * character below U+0020 as `\u00xx` (lower-case hex); everything else, `/` and non-ASCII included, as is.
 * @throws ValidationError on a lone surrogate (not valid I-JSON).
 */
export function canonicalJsonString(value: string): string {
  return sdkCanonicalJson(value);
}

/** The RFC 8785 canonical JSON of a string or nested arrays of strings (sdk/canonicalJson.ts). */
export function canonicalJson(value: CanonicalValue): string {
  return sdkCanonicalJson(value);
}

/** A period's evidence: the canonical JSON (saved in the evidence folder) and its hash. */
export interface RevenueEvidence {
  json: string;
  evidenceHash: Hex;
}

/**
 * The evidence of a period from its items and the carry it received: pairs
 * `[id, "units"]` (amounts as signed decimal strings of 6-decimal units) sorted by id
 * (UTF-16 code units), then `["carry", "units"]` when carryIn ≠ 0.
 * @throws ValidationError when two items share an id.
 * @example revenueEvidence([{ id: "txn_1", amount: 12_340_000n }], -500_000n).json
 * // '[["txn_1","12340000"],["carry","-500000"]]'
 */
export function revenueEvidence(items: readonly PeriodItem[], carryIn: bigint): RevenueEvidence {
  const sorted = [...items].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  sorted.forEach((item, i) => {
    if (i > 0 && item.id === sorted[i - 1].id)
      throw new ValidationError(`Revenue id ${JSON.stringify(item.id)} appears twice in one period.`);
  });
  const pairs: string[][] = sorted.map((item) => [item.id, item.amount.toString()]);
  if (carryIn !== 0n) pairs.push(["carry", carryIn.toString()]);
  const json = canonicalJson(pairs);
  return { json, evidenceHash: keccak256(stringToBytes(json)) };
}

/** {@link revenueEvidence} of a computed period. */
export function periodEvidence(period: Pick<PeriodFigures, "items" | "carryIn">): RevenueEvidence {
  return revenueEvidence(period.items, period.carryIn);
}

// The signer sets an oracle's keys sign for (PROTOCOL §5, §7, v1.1): the set in force, and a
// set PROGRAM proposed that comes into force at its effectiveAt with no further transaction
// or event. The ledger counts signatures against the set in force at submission; this file
// says what the operator must hear when the configured keys and the two sets disagree. Used by
// both oracles.
import type { Address } from "viem";

/** A signer set as the ledger's views return it (`partner(p)` or `revenueSigners()`). */
export interface SignerSetView {
  /** The set in force at the block read. */
  signers: readonly Address[];
  threshold: number;
  /** A set PROGRAM proposed that is not in force yet (absent or empty when none). */
  pendingSigners?: readonly Address[];
  pendingThreshold?: number;
  /** When the pending set comes into force, unix seconds (absent or 0 when none). */
  pendingAt?: bigint;
}

/** `2026-10-03T10:00:00Z (effectiveAt 1790935200)`. */
export function effectiveAtText(at: bigint): string {
  return `${new Date(Number(at) * 1000).toISOString().replace(".000Z", "Z")} (effectiveAt ${at})`;
}

function members(set: readonly Address[]): Set<string> {
  return new Set(set.map((a) => a.toLowerCase()));
}

/**
 * Warnings for the operator about configured keys and a pending set: keys that are signers
 * only from effectiveAt (signatures with them are refused until then), and keys in force that
 * stop being signers at effectiveAt. Empty when nothing is pending or the keys are in both.
 * `whose` names the set, e.g. "partner 0x…'s signer set".
 * @example for (const w of signerSetWarnings(keys, set, "the revenue signer set")) log(w);
 */
export function signerSetWarnings(keys: readonly Address[], set: SignerSetView, whose: string): string[] {
  const pending = set.pendingSigners ?? [];
  if (!set.pendingAt || pending.length === 0) return [];
  const now = members(set.signers);
  const next = members(pending);
  const joining = keys.filter((k) => !now.has(k.toLowerCase()) && next.has(k.toLowerCase()));
  const leaving = keys.filter((k) => now.has(k.toLowerCase()) && !next.has(k.toLowerCase()));
  const when = effectiveAtText(set.pendingAt);
  const warnings: string[] = [];
  if (joining.length > 0) {
    warnings.push(
      `warning: configured signer key(s) ${joining.join(", ")} are not in ${whose} in force, only in the set PROGRAM proposed ` +
        `(${set.pendingThreshold} of ${pending.length}), which comes into force at ${when}; until then the ledger refuses their signatures.`,
    );
  }
  if (leaving.length > 0) {
    warnings.push(
      `warning: configured signer key(s) ${leaving.join(", ")} are in ${whose} in force but not in the set PROGRAM proposed ` +
        `(${set.pendingThreshold} of ${pending.length}: ${pending.join(", ")}), which comes into force at ${when}; ` +
        `from then on the ledger refuses their signatures: configure keys of the new set before then.`,
    );
  }
  return warnings;
}

/**
 * A sentence to add to a refusal of keys that are not in the set in force, when some of them
 * are in the pending set ("" otherwise).
 */
export function pendingMembershipNote(keys: readonly Address[], set: SignerSetView): string {
  if (!set.pendingAt) return "";
  const next = members(set.pendingSigners ?? []);
  const joining = keys.filter((k) => next.has(k.toLowerCase()));
  if (joining.length === 0) return "";
  return ` ${joining.join(", ")} ${joining.length === 1 ? "is" : "are"} in the set PROGRAM proposed, in force from ${effectiveAtText(set.pendingAt)}.`;
}

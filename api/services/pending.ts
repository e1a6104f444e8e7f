// Changes PROGRAM proposed (PROTOCOL v1.1 §3): a signer set, a revenue signer set or a payout address comes into
// force at its effectiveAt with no further event, so the index keeps what events put in force beside the pending
// change, and an answer decides at its block's time (`ReadContext.now`, meta.blockTimestamp) which one is in force
// and whether a change is still pending — as the ledger's views `partner()` and `revenueSigners()` do at that block
// (the rule: sdk/ledgerRules.ts `inForce` / `stillPending`).
// A wallet migration is different: it waits for `executeStartupMigration`, so it stays pending after its notice.
import { inForce, stillPending } from "../../sdk/ledgerRules";
import type { PendingMigration, PendingPayout, PendingSignerSet } from "../schemas/resources";
import { addr, iso } from "./format";

/** A signer set as stored: a JSON array of lower-case addresses and a threshold. */
export interface StoredSignerSet {
  signers: string;
  threshold: number;
}

/** Seconds from `now` until `effectiveAt`, 0 once it has come. */
const secondsLeft = (effectiveAt: number, now: number): number => Math.max(0, effectiveAt - now);

const signersOf = (set: StoredSignerSet): { signers: string[]; threshold: number } => ({
  signers: (JSON.parse(set.signers) as string[]).map(addr),
  threshold: set.threshold,
});

/**
 * The signer set in force at `now` and the set still pending (null when none, or once it is in force).
 * @param current the set events put in force
 * @param pending PROGRAM's proposed set and its effectiveAt (0: none)
 */
export function signerSetAt(
  current: StoredSignerSet,
  pending: StoredSignerSet & { effectiveAt: number },
  now: number,
): { signers: string[]; threshold: number; pending: PendingSignerSet | null } {
  const change = { value: pending as StoredSignerSet, effectiveAt: BigInt(pending.effectiveAt) };
  const waiting = stillPending(change, BigInt(now));
  return {
    ...signersOf(inForce(current, change, BigInt(now))),
    pending: waiting && { ...signersOf(waiting.value), effectiveAt: iso(pending.effectiveAt), secondsLeft: secondsLeft(pending.effectiveAt, now) },
  };
}

/**
 * The payout address in force at `now` (the partner itself when none was set) and the one still pending.
 * @param current the address events put in force (null: none set)
 * @param pending PROGRAM's proposed address (null: none) and its effectiveAt
 */
export function payoutAt(
  partner: string,
  current: string | null,
  pending: { payout: string | null; effectiveAt: number },
  now: number,
): { payout: string; pendingPayout: PendingPayout | null } {
  const change = pending.payout === null ? null : { value: pending.payout, effectiveAt: BigInt(pending.effectiveAt) };
  const waiting = stillPending(change, BigInt(now));
  return {
    payout: addr(inForce(current ?? partner, change, BigInt(now))),
    pendingPayout: waiting && { payout: addr(waiting.value), effectiveAt: iso(pending.effectiveAt), secondsLeft: secondsLeft(pending.effectiveAt, now) },
  };
}

/** PROGRAM's proposed wallet migration (null when none): pending until executed, cancelled or cleared. */
export function migrationAt(to: string | null, effectiveAt: number, now: number): PendingMigration | null {
  if (to === null || effectiveAt === 0) return null;
  return { to: addr(to), effectiveAt: iso(effectiveAt), secondsLeft: secondsLeft(effectiveAt, now) };
}

// invariant.2 — PROTOCOL §10.2: Σ applied payments = Σ distributed = Σ claimable + programClaimable + Σ claimed,
// from the events (PaymentApplied, Distributed, Claimed) and the claimable views at the audited block.
import type { LedgerEvent } from "../chain/events";
import type { Findings } from "../findings";
import { CHECKS } from "./catalog";

const ID = CHECKS.invariant2.id;

export function checkInvariant2(f: Findings, events: readonly LedgerEvent[], claimableNow: bigint, block: bigint): void {
  let applied = 0n;
  let distributed = 0n;
  let claimed = 0n;
  for (const e of events) {
    if (e.eventName === "PaymentApplied") applied += e.args.amount;
    else if (e.eventName === "Distributed") distributed += e.args.amount;
    else if (e.eventName === "Claimed") claimed += e.args.amount;
  }
  const at = { block: block.toString() };
  f.equal(ID, null, "Σ distributed = Σ applied", applied, distributed, at);
  f.equal(ID, null, "Σ claimable + programClaimable + Σ claimed = Σ applied", applied, claimableNow + claimed, at);
}

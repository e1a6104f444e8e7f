// invariant.1 — PROTOCOL §10.1: settlement tokens held by the ledger ≥ Σ claimable + programClaimable (the views),
// equal unless tokens were sent to it directly; the surplus must be exactly the direct transfers.
import type { Findings } from "../findings";
import { CHECKS } from "./catalog";

const ID = CHECKS.invariant1.id;

export function checkInvariant1(f: Findings, c: { balance: bigint; owed: bigint; direct: bigint; block: bigint }): void {
  const at = { block: c.block.toString() };
  f.holds(ID, null, "ledger balance ≥ Σ claimable + programClaimable", c.balance >= c.owed, `≥ ${c.owed}`, c.balance.toString(), at);
  f.equal(ID, null, "ledger balance − (Σ claimable + programClaimable) = direct transfers", c.direct, c.balance - c.owed, at);
}

// invariant.4 — PROTOCOL §10.4: per agreement paid ≤ obligation; every owed_k ≤ max(cap − obligation before k, 0)
// at its finalization (with the owed amounts the chain booked).
import type { Findings, Location } from "../findings";
import type { AgreementModel } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.invariant4.id;

/** At a finalization: the owed amount the chain booked fits the cap's headroom. */
export function checkInvariant4Owed(f: Findings, a: AgreementModel, k: number, c: { owed: bigint; cap: bigint; obligationBefore: bigint }, at: Location): void {
  const headroom = c.cap > c.obligationBefore ? c.cap - c.obligationBefore : 0n;
  f.holds(ID, a.id, `period[${k}].owed ≤ cap headroom`, c.owed <= headroom, `≤ ${headroom} (cap ${c.cap} − obligation ${c.obligationBefore})`, c.owed.toString(), at);
}

/** At the audited block: the agreement's paid ≤ obligation, as its view shows them. */
export function checkInvariant4Paid(f: Findings, agreementId: bigint, c: { paid: bigint; obligation: bigint }, at: Location): void {
  f.holds(ID, agreementId, "paid ≤ obligation", c.paid <= c.obligation, `≤ ${c.obligation}`, c.paid.toString(), at);
}

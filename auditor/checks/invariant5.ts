// invariant.5 — PROTOCOL §10.5: per (agreement, partner) paidToPartner ≤ receivable ≤ mulDiv(burnedAt, payoutBps,
// 10 000) (as the views show them); every accepted line kept spent ≤ the spendLimit then in force.
import type { Address } from "viem";
import * as shareMath from "../../sdk/shareMath";
import type { Findings, Location } from "../findings";
import { CHECKS } from "./catalog";

const ID = CHECKS.invariant5.id;

/** At an accepted line: spent after it ≤ the spend limit in force at submission. */
export function checkInvariant5Line(f: Findings, agreementId: bigint, c: { partner: Address; spentAfter: bigint; limit: bigint }, at: Location): void {
  f.holds(ID, agreementId, () => `position(${c.partner}).spent after line ≤ spendLimit`, c.spentAfter <= c.limit, () => `≤ ${c.limit}`, () => c.spentAfter.toString(), at);
}

/** At the audited block, from the partnerPosition view. */
export function checkInvariant5Position(
  f: Findings,
  agreementId: bigint,
  c: { partner: Address; paidToPartner: bigint; receivable: bigint; burnedAt: bigint; payoutBps: bigint },
  at: Location,
): void {
  const bound = shareMath.applyBps(c.burnedAt, c.payoutBps);
  f.holds(ID, agreementId, `position(${c.partner}).paidToPartner ≤ receivable`, c.paidToPartner <= c.receivable, `≤ ${c.receivable}`, c.paidToPartner.toString(), at);
  f.holds(ID, agreementId, `position(${c.partner}).receivable ≤ burnedAt × payoutBps`, c.receivable <= bound, `≤ ${bound}`, c.receivable.toString(), at);
}

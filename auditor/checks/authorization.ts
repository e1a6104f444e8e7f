// authorization — partner authorizations (PROTOCOL §4): increases apply at once, decreases AUTH_NOTICE later,
// never below what was spent, at most 16 partners, only registered partners.
import type { Address } from "viem";
import type { Findings, Location } from "../findings";
import type { AgreementModel } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.authorization.id;

export function checkAuthorization(
  f: Findings,
  a: AgreementModel,
  c: { partner: Address; registered: boolean; spendLimit: bigint; spent: bigint; partnersBefore: number; listed: boolean; expectedEffectiveAt: bigint; effectiveAt: bigint },
  at: Location,
): void {
  const who = `authorization(${c.partner})`;
  f.holds(ID, a.id, `${who}.status`, ["Proposed", "Active", "Terminated"].includes(a.status), "Proposed, Active or Terminated", a.status, at);
  f.holds(ID, a.id, `${who}.partner`, c.registered, "a registered partner", "an unregistered partner", at);
  f.holds(ID, a.id, `${who}.spendLimit`, c.spendLimit >= c.spent, `≥ spent ${c.spent}`, c.spendLimit.toString(), at);
  f.holds(ID, a.id, `${who}.partnerCount`, c.listed || c.partnersBefore < 16, "≤ 16 partners", String(c.partnersBefore + 1), at);
  f.equal(ID, a.id, `${who}.effectiveAt`, c.expectedEffectiveAt, c.effectiveAt, at);
}

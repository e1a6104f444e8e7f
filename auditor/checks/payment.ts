// payment — each PaymentApplied applies 0 < amount ≤ outstanding (obligation − paid) (PROTOCOL §8).
import type { Findings, Location } from "../findings";
import type { AgreementModel } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.payment.id;

export function checkPayment(f: Findings, a: AgreementModel, c: { amount: bigint; outstanding: bigint }, at: Location): void {
  f.holds(ID, a.id, `payment[${a.payments.length}].amount`, c.amount > 0n && c.amount <= c.outstanding, `0 < amount ≤ outstanding ${c.outstanding}`, c.amount.toString(), at);
}

// usage.dispute — usage disputes and credit notes (PROTOCOL §6): opened by the startup or an AUDITOR inside the
// batch's dispute window, once; resolved with refund ≤ the agreement's credits in the batch and the partner's
// receivable lowered by mulDiv(refund, payoutBps, 10 000), never below what it was paid.
import type { Hex } from "viem";
import type { Findings, Location } from "../findings";
import type { AgreementModel } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.usageDispute.id;

export const checkUsageDispute = {
  opened(
    f: Findings,
    a: AgreementModel,
    c: { batchId: Hex; batchKnown: boolean; windowCloses: bigint; now: bigint; alreadyDisputed: boolean; byStartup: boolean; byAuditor: boolean },
    at: Location,
  ): void {
    const name = `usageDispute(${c.batchId})`;
    f.holds(ID, a.id, `${name}.batch`, c.batchKnown, "a recorded batch", "an unknown batch", at);
    f.holds(ID, a.id, `${name}.openedAt`, c.now < c.windowCloses, `< ${c.windowCloses} (dispute window)`, c.now.toString(), at);
    f.holds(ID, a.id, `${name}.once`, !c.alreadyDisputed, "the first dispute", "a second dispute", at);
    f.holds(ID, a.id, `${name}.by`, c.byStartup || c.byAuditor, "the startup or an AUDITOR", "another account", at);
  },
  resolved(
    f: Findings,
    a: AgreementModel,
    c: { batchId: Hex; open: boolean; refund: bigint; creditsInBatch: bigint; expectedRemoved: bigint; removed: bigint },
    at: Location,
  ): void {
    const name = `usageDispute(${c.batchId})`;
    f.holds(ID, a.id, `${name}.state`, c.open, "Open", "not open", at);
    f.holds(ID, a.id, `${name}.refund`, c.refund <= c.creditsInBatch, `≤ ${c.creditsInBatch} (the agreement's credits in the batch)`, c.refund.toString(), at);
    f.equal(ID, a.id, `${name}.receivableRemoved`, c.expectedRemoved, c.removed, at);
  },
};

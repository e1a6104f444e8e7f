// view.agreement — agreement(id), reportingClose(id) and pendingMigration(id) at the audited block equal the
// recomputation (PROTOCOL §12): terms, status, acceptedAt, terminatedAt, creditsMinted, consumed, cap, obligation,
// paid, outstanding, delinquent and nextDue (FIFO: the oldest unsettled period), nextPeriodToFinalize, periodCount,
// partnerCount; PROGRAM's migration proposal until it is executed, cancelled or cleared.
import { maxUint256 } from "viem";
import * as shareMath from "../../sdk/shareMath";
import type { AgreementViewData } from "../chain/snapshot";
import type { Findings, Location } from "../findings";
import { AGREEMENT_STATUS } from "../../sdk/abis";
import { consumedOf, oldestUnsettled, reportingClose, type AgreementModel, type LedgerModel } from "../replay/model";
import { CHECKS } from "./catalog";

const ID = CHECKS.agreementView.id;

export function checkAgreementView(
  f: Findings,
  m: LedgerModel,
  a: AgreementModel,
  view: AgreementViewData | undefined,
  chainReportingClose: bigint | undefined,
  chainPendingMigration: { to: string; effectiveAt: bigint } | undefined,
  blockTime: bigint,
  at: Location,
): void {
  if (!view || view.status === 0) {
    f.holds(ID, a.id, "agreement(id)", false, "an existing agreement", "none on chain", at);
    return;
  }
  const t = a.terms;
  const v = view;
  const eq = (figure: string, expected: bigint | string | boolean | number, found: bigint | string | boolean | number) => f.equal(ID, a.id, figure, expected, found, at);
  eq("terms.startup", a.startup, v.terms.startup);
  eq("terms.creditLimit", t.creditLimit, v.terms.creditLimit);
  eq("terms.revenueShareBps", t.revenueShareBps, BigInt(v.terms.revenueShareBps));
  eq("terms.capMultipleBps", t.capMultipleBps, BigInt(v.terms.capMultipleBps));
  eq("terms.partnerFirstBps", t.partnerFirstBps, BigInt(v.terms.partnerFirstBps));
  eq("terms.startTime", t.startTime, v.terms.startTime);
  eq("terms.endTime", t.endTime, v.terms.endTime);
  eq("terms.periodDuration", t.periodDuration, BigInt(v.terms.periodDuration));
  eq("terms.gracePeriod", t.gracePeriod, BigInt(v.terms.gracePeriod));
  eq("terms.termsHash", t.termsHash, v.terms.termsHash);
  eq("status", a.status, AGREEMENT_STATUS[v.status] ?? String(v.status));
  eq("acceptedAt", a.acceptedAt, v.acceptedAt);
  eq("terminatedAt", a.terminatedAt, v.terminatedAt);
  eq("creditsMinted", a.creditsMinted, v.creditsMinted);
  const consumed = consumedOf(a);
  eq("consumed", consumed, v.consumed);
  eq("cap", shareMath.cap(consumed, t.capMultipleBps), v.cap);
  eq("obligation", a.obligation, v.obligation);
  eq("paid", a.paid, v.paid);
  eq("outstanding", a.obligation - a.paid, v.outstanding);
  const oldest = oldestUnsettled(a);
  eq("nextDue", oldest?.due ?? 0n, v.nextDue);
  eq("delinquent", oldest !== undefined && blockTime >= oldest.due, v.delinquent);
  eq("nextPeriodToFinalize", BigInt(a.nextPeriodToFinalize), BigInt(v.nextPeriodToFinalize));
  eq("periodCount", BigInt(a.periodCount), BigInt(v.periodCount));
  eq("partnerCount", BigInt(a.partnerList.length), v.partnerCount);
  eq("reportingClose", reportingClose(m, a) ?? maxUint256, chainReportingClose ?? "reverted");
  const pending = a.pendingMigration;
  eq("pendingMigration", pending ? `${pending.to} from ${pending.effectiveAt}` : "none",
    !chainPendingMigration ? "unreadable" : chainPendingMigration.effectiveAt === 0n ? "none" : `${chainPendingMigration.to} from ${chainPendingMigration.effectiveAt}`);
}

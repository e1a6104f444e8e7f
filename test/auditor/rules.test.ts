import { expect } from "chai";
import { getAddress, maxUint256, toHex, type Address, type Hex } from "viem";
import { AGREEMENT_STATUS } from "../../sdk/abis";
import { checkAgreementView } from "../../auditor/checks/agreementView";
import { checkPositionView } from "../../auditor/checks/positionView";
import type { AgreementViewData, PositionViewData } from "../../auditor/chain/snapshot";
import { Findings } from "../../auditor/findings";
import { expectGroup } from "../../auditor/replay/lineChecks";
import {
  oldestUnsettled,
  payoutAt,
  quorumAt,
  reportingClose,
  type AgreementModel,
  type AgreementStatus,
  type LedgerConstants,
  type LedgerModel,
  type PartnerModel,
  type PeriodModel,
  type PositionModel,
} from "../../auditor/replay/model";
import { emptyModel, rateAt } from "../../auditor/replay/replay";
import {
  inForceVectors,
  lineGroupExpected,
  lineGroupReportingGrace,
  lineGroupVectors,
  limitsVectors,
  nextDueVectors,
  rateAtVectors,
  rateWindowVectors,
  reportingCloseVectors,
  type LineGroupVector,
} from "../vectors/ledgerRulesVectors";

// The auditor re-derives every ledger rule on its own (auditor/replay, auditor/checks); here its own rule functions
// run test/vectors/ledger-rules.json, imported from auditor/** only in this test. Each check maps every vector to
// [name, result] so a mismatch names the vector.

const DAY = 86_400n;
const CONSTANTS: LedgerConstants = {
  disputeWindow: 3n * DAY, rateNotice: 7n * DAY, authNotice: 7n * DAY, reportingGrace: 7n * DAY, signerNotice: 2n * DAY,
  migrationNotice: 7n * DAY, payoutNotice: 7n * DAY,
};
const STARTUP: Address = "0x00000000000000000000000000000000000005A1";
const PARTNER: Address = "0x00000000000000000000000000000000000000F1";
const SKU = toHex("h100-sxm", { size: 32 });
const AT = { block: "1" };

function period(index: number, over: Partial<PeriodModel> = {}): PeriodModel {
  return {
    index, start: 0n, end: 0n, state: "None", version: 0n, submittedAt: 0n, revenue: 0n, evidenceHash: `0x${"00".repeat(32)}`, reports: [],
    disputes: 0, owed: 0n, cumulativeObligation: 0n, due: 0n, finalizations: 0, ...over,
  };
}

/** An auditor agreement model with every figure a vector does not set at a neutral value. */
function agreement(over: Partial<AgreementModel> & { endTime?: bigint; startTime?: bigint } = {}): AgreementModel {
  const { endTime = 2_100_000_000n, startTime = 1_900_000_000n, ...rest } = over;
  return {
    id: 1n,
    terms: {
      startup: STARTUP, creditLimit: 100_000_000_000n, revenueShareBps: 800n, capMultipleBps: 15_000n, partnerFirstBps: 6_000n,
      startTime, endTime, periodDuration: 30n * DAY, gracePeriod: 15n * DAY, termsHash: `0x${"11".repeat(32)}`,
    },
    createdAt: AT, status: "Active", startup: STARTUP, wallets: [STARTUP], acceptedAt: startTime, terminatedAt: 0n,
    creditsMinted: 0n, refundsMinted: 0n, creditsHeld: 0n, creditsBurnedByUsage: 0n, creditsExpired: 0n, obligation: 0n, paid: 0n,
    nextPeriodToFinalize: 0, periodCount: 12, partnerList: [], positions: new Map(), periods: [], payments: [], usageDisputes: new Map(),
    ...rest,
  };
}

function position(over: Partial<PositionModel> = {}): PositionModel {
  return {
    partner: PARTNER, spendLimit: { value: 0n }, maxGpus: { value: 0n }, spent: 0n, burnedAt: 0n, receivable: 0n, paidToPartner: 0n,
    lastUsageEnd: 0n, refunded: 0n, linesAccepted: 0, gpuSeconds: 0n, ...over,
  };
}

/** The `agreement(id)` view the auditor would have to find for `a`, with nextDue and delinquent given. */
function viewOf(a: AgreementModel, nextDue: bigint, delinquent: boolean): AgreementViewData {
  const t = a.terms;
  return {
    terms: {
      startup: t.startup, creditLimit: t.creditLimit, revenueShareBps: Number(t.revenueShareBps), capMultipleBps: Number(t.capMultipleBps),
      partnerFirstBps: Number(t.partnerFirstBps), startTime: t.startTime, endTime: t.endTime, periodDuration: Number(t.periodDuration),
      gracePeriod: Number(t.gracePeriod), termsHash: t.termsHash,
    },
    status: AGREEMENT_STATUS.indexOf(a.status), acceptedAt: a.acceptedAt, terminatedAt: a.terminatedAt, creditsMinted: a.creditsMinted,
    consumed: 0n, cap: 0n, obligation: a.obligation, paid: a.paid, outstanding: a.obligation - a.paid, delinquent, nextDue,
    nextPeriodToFinalize: a.nextPeriodToFinalize, periodCount: a.periodCount, partnerCount: 0n,
  };
}

/** The auditor's verdict on `agreement(id).nextDue / .delinquent` at `now`: the figures it found wrong. */
function settlementDiscrepancies(a: AgreementModel, nextDue: bigint, delinquent: boolean, now: bigint): string[] {
  const f = new Findings();
  const m = emptyModel(CONSTANTS);
  checkAgreementView(f, m, a, viewOf(a, nextDue, delinquent), maxUint256, { to: "0x0000000000000000000000000000000000000000", effectiveAt: 0n }, now, AT);
  return f.discrepancies.map((d) => d.figure).filter((figure) => figure === "nextDue" || figure === "delinquent");
}

function nextDueModel(v: (typeof nextDueVectors)[number]): AgreementModel {
  const finalized = v.finalized.map((p, k) => period(k, { state: "Finalized", cumulativeObligation: p.cumulativeObligation, due: p.due }));
  return agreement({
    paid: v.paid,
    obligation: finalized.at(-1)?.cumulativeObligation ?? 0n,
    nextPeriodToFinalize: finalized.length,
    periods: [...finalized, ...Array.from({ length: 12 - finalized.length }, (_, k) => period(finalized.length + k))],
  });
}

/** The auditor's outcome for a line-group vector: acceptance and every line's reason. */
function auditorLineGroup(v: LineGroupVector): { accepted: boolean; reasons?: string[] } {
  const m: LedgerModel = { ...emptyModel({ ...CONSTANTS, reportingGrace: lineGroupReportingGrace }), lastUnpausedAt: v.agreement.lastUnpausedAt };
  m.creditBalances.set(STARTUP.toLowerCase(), v.balance);
  const x = v.agreement;
  const a =
    x.status === "None"
      ? undefined
      : agreement({
          status: x.status as AgreementStatus, startTime: x.startTime, endTime: x.endTime, terminatedAt: x.terminatedAt,
          periodCount: x.periodCount, nextPeriodToFinalize: x.nextPeriodToFinalize,
        });
  const p = position({
    spent: v.position.spent, lastUsageEnd: v.position.lastUsageEnd, spendLimit: { value: v.position.spendLimit }, maxGpus: { value: v.position.maxGpus },
  });
  const got = expectGroup(m, {
    a, p, rates: v.lines.map((l) => l.rate), gpuSeconds: v.lines.map((l) => l.gpuSeconds), periodStart: v.periodStart, periodEnd: v.periodEnd, now: v.now,
  });
  if ("all" in got) {
    const all = got.all;
    return all.accepted ? { accepted: true } : { accepted: false, reasons: v.lines.map(() => String(all.reason)) };
  }
  expect(got.oneFails, `${v.name}: gpuSeconds are known, so one place fails`).to.have.length(1);
  const [{ index, reason }] = got.oneFails;
  return { accepted: false, reasons: v.lines.map((_, j) => (j === index ? String(reason) : "SiblingRejected")) };
}

function partnerWithRates(schedule: { creditsPerGpuHour: bigint; effectiveFrom: bigint }[]): PartnerModel {
  return {
    address: PARTNER, registered: true, active: true, payoutBps: 7_000n, quorum: { current: { signers: [], threshold: 1 } }, payout: {},
    nextSequence: 0n, rates: new Map([[SKU.toLowerCase(), schedule]]),
  };
}

describe("auditor rule functions on test/vectors/ledger-rules.json", function () {
  it("when periods are finalized and paid, its oldest unsettled period gives nextDue for every vector (PROTOCOL §8)", function () {
    const got = nextDueVectors.map((v) => [v.name, oldestUnsettled(nextDueModel(v))?.due ?? 0n]);
    expect(got).to.deep.equal(nextDueVectors.map((v) => [v.name, v.expected.nextDue]));
  });

  it("when it checks agreement(id), it accepts every vector's nextDue and delinquent and refuses the opposite delinquency", function () {
    const got = nextDueVectors.map((v) => {
      const a = nextDueModel(v);
      return [v.name, settlementDiscrepancies(a, v.expected.nextDue, v.expected.delinquent, v.now), settlementDiscrepancies(a, v.expected.nextDue, !v.expected.delinquent, v.now)];
    });
    expect(got).to.deep.equal(nextDueVectors.map((v) => [v.name, [], ["delinquent"]]));
  });

  it("when the ledger pauses, unpauses or terminates, its reportingClose matches every vector (PROTOCOL §3; ∞ as 2^256 − 1)", function () {
    const got = reportingCloseVectors.map((v) => {
      const m = { ...emptyModel({ ...CONSTANTS, reportingGrace: v.reportingGrace }), paused: v.paused, lastUnpausedAt: v.lastUnpausedAt };
      return [v.name, reportingClose(m, agreement({ endTime: v.endTime, terminatedAt: v.terminatedAt })) ?? maxUint256];
    });
    expect(got).to.deep.equal(reportingCloseVectors.map((v) => [v.name, v.expected]));
  });

  it("when a decrease is pending, its partnerPosition check accepts every vector's limits and pending decreases (PROTOCOL §4)", function () {
    const got = limitsVectors.map((v) => {
      const s = v.stored;
      const limit = (value: bigint, pending: bigint, at: bigint) => (at === 0n ? { value } : { value, pending: { value: pending, at } });
      const a = agreement();
      a.positions.set(PARTNER.toLowerCase(), position({
        spendLimit: limit(s.spendLimit, s.pendingSpendLimit, s.pendingSpendLimitAt), maxGpus: limit(s.maxGpus, s.pendingMaxGpus, s.pendingMaxGpusAt),
      }));
      const e = v.expected;
      const view: PositionViewData = {
        spendLimit: e.spendLimit, maxGpus: Number(e.maxGpus), pendingSpendLimit: e.pendingSpendLimit, pendingSpendLimitAt: e.pendingSpendLimitAt,
        pendingMaxGpus: Number(e.pendingMaxGpus), pendingMaxGpusAt: e.pendingMaxGpusAt, spent: 0n, burnedAt: 0n, receivable: 0n, paidToPartner: 0n, lastUsageEnd: 0n,
      };
      const f = new Findings();
      checkPositionView(f, a, PARTNER, view, v.now, AT);
      return [v.name, f.discrepancies.map((d) => `${d.figure}: expected ${d.expected}, found ${d.found}`)];
    });
    expect(got).to.deep.equal(limitsVectors.map((v) => [v.name, []]));
  });

  it("when a change is pending, the signer set and payout address in force match every vector's value (PROTOCOL §3)", function () {
    const got = inForceVectors.map((v) => {
      const quorum = quorumAt(
        { current: { signers: [], threshold: Number(v.current) }, pending: v.pending ? { signers: [], threshold: Number(v.pending.value), effectiveAt: v.pending.effectiveAt } : undefined },
        v.now,
      ).threshold;
      const asAddress = (x: bigint) => getAddress(toHex(x, { size: 20 }));
      const partner = partnerWithRates([]);
      partner.payout = { current: asAddress(v.current), pending: v.pending ? { payout: asAddress(v.pending.value), effectiveAt: v.pending.effectiveAt } : undefined };
      return [v.name, BigInt(quorum), BigInt(payoutAt(partner, v.now))];
    });
    expect(got).to.deep.equal(inForceVectors.map((v) => [v.name, v.expected.value, v.expected.value]));
  });

  it("when a schedule has changes, its rateAt gives the rate at a time for every vector (PROTOCOL §5)", function () {
    const got = rateAtVectors.map((v) => [v.name, rateAt(partnerWithRates(v.schedule), SKU as Hex, v.at, v.at).rate]);
    expect(got).to.deep.equal(rateAtVectors.map((v) => [v.name, v.expected.creditsPerGpuHour]));
  });

  it("when a window meets a rate change, its rateAt gives the window's rate or the straddled change for every vector (PROTOCOL §5)", function () {
    const got = rateWindowVectors.map((v) => {
      const r = rateAt(partnerWithRates(v.schedule), SKU as Hex, v.periodStart, v.periodEnd);
      return [v.name, r.straddled === undefined ? { rate: r.rate } : { straddled: r.straddled }];
    });
    expect(got).to.deep.equal(rateWindowVectors.map((v) => [v.name, v.expected]));
  });

  it("when one agreement's lines are checked, its expectGroup gives every vector's acceptance and reasons (PROTOCOL §6)", function () {
    const got = lineGroupVectors.map((v) => [v.name, auditorLineGroup(v)]);
    const expected = lineGroupVectors.map((v) => {
      const e = lineGroupExpected(v);
      return [v.name, e.accepted ? { accepted: true } : e];
    });
    expect(got).to.deep.equal(expected);
  });
});

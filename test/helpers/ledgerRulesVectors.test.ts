import { expect } from "chai";
import { toHex } from "viem";
import {
  LedgerModel,
  Rejection,
  RevState,
  Status,
  type AgreementModel,
  type Constants,
  type ModelConfig,
  type PeriodModel,
  type PositionModel,
} from "./ledgerModel";
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
  type RateEntryVector,
} from "../vectors/ledgerRulesVectors";

// The test model (test/helpers/ledgerModel.ts) re-derives the ledger's rules from the specification on purpose; here
// its own views and checks run test/vectors/ledger-rules.json. Each check maps every vector to [name, result] so a
// mismatch names the vector.

const DAY = 86_400n;
const CONSTANTS: Constants = {
  disputeWindow: 3n * DAY, rateNotice: 7n * DAY, authNotice: 7n * DAY, reportingGrace: 7n * DAY, signerNotice: 2n * DAY,
  migrationNotice: 7n * DAY, payoutNotice: 7n * DAY,
};
const STARTUP = "0x00000000000000000000000000000000000005a1";
const PARTNER = "0x00000000000000000000000000000000000000f1";
const SIGNER = "0x00000000000000000000000000000000000000e1";
const SKU = toHex("h100-sxm", { size: 32 });
const ID = 1n;

function model(now: bigint, over: { constants?: Constants; rates?: ModelConfig["rates"] } = {}): LedgerModel {
  const role = (hash: string) => ({ hash, holders: [] as string[] });
  return new LedgerModel({
    now,
    ledger: "0x00000000000000000000000000000000000000aa",
    treasury: "0x00000000000000000000000000000000000000bb",
    constants: over.constants ?? CONSTANTS,
    roles: { program: role("0x01"), auditor: role("0x02"), pauser: role("0x03") },
    partners: [{ address: PARTNER, payoutBps: 7_000n, signers: [SIGNER], threshold: 1 }],
    revenueSigners: null,
    rates: over.rates ?? [],
    usdcBalances: {},
    usdcAllowances: {},
  });
}

function emptyPeriod(): PeriodModel {
  return { state: RevState.None, version: 0n, submittedAt: 0n, revenue: 0n, evidenceHash: `0x${"00".repeat(32)}`, owed: 0n, cumulativeObligation: 0n, due: 0n, finalizations: 0 };
}

/** Puts an agreement into `m` with every figure a vector does not set at a neutral value. */
function addAgreement(
  m: LedgerModel,
  over: { status?: Status; startTime?: bigint; endTime?: bigint; terminatedAt?: bigint; periodCount?: number; paid?: bigint; periods?: PeriodModel[]; nextPeriodToFinalize?: number } = {},
): AgreementModel {
  const periodCount = over.periodCount ?? 12;
  const periods = over.periods ?? [];
  const a: AgreementModel = {
    id: ID,
    terms: {
      startup: STARTUP, creditLimit: 100_000_000_000n, revenueShareBps: 800n, capMultipleBps: 15_000n, partnerFirstBps: 6_000n,
      startTime: over.startTime ?? 1_900_000_000n, endTime: over.endTime ?? 2_100_000_000n, periodDuration: 30n * DAY, gracePeriod: 15n * DAY,
      termsHash: `0x${"11".repeat(32)}`,
    },
    status: over.status ?? Status.Active, acceptedAt: 1_900_000_000n, terminatedAt: over.terminatedAt ?? 0n, periodCount: BigInt(periodCount),
    nextPeriodToFinalize: BigInt(over.nextPeriodToFinalize ?? periods.length), consumed: 0n, obligation: periods.at(-1)?.cumulativeObligation ?? 0n,
    paid: over.paid ?? 0n, refundsMinted: 0n, partnerList: [], positions: new Map(),
    periods: [...periods, ...Array.from({ length: periodCount - periods.length }, emptyPeriod)],
  };
  m.agreements.set(ID, a);
  return a;
}

function emptyPosition(): PositionModel {
  return { spendLimit: { value: 0n }, maxGpus: { value: 0n }, spent: 0n, burnedAt: 0n, receivable: 0n, paidToPartner: 0n, lastUsageEnd: 0n };
}

const ratesOf = (sku: string, schedule: RateEntryVector[]): ModelConfig["rates"] =>
  schedule.map((e) => ({ partner: PARTNER, sku, creditsPerGpuHour: e.creditsPerGpuHour, effectiveFrom: e.effectiveFrom }));

/** The model's rate for a window: its private `rateFor` (the one submitUsage prices lines with), or its refusal. */
function modelRateFor(m: LedgerModel, start: bigint, end: bigint): { rate: bigint } | { straddled: bigint } {
  try {
    return { rate: m["rateFor"](PARTNER, SKU, start, end) };
  } catch (err) {
    const e = err as { errorName?: string; args?: unknown[] };
    if (e.errorName === "UsageRateStraddled" && e.args?.[0] === SKU) return { straddled: e.args[1] as bigint };
    throw err;
  }
}

const STATUS: Record<string, Status> = {
  Proposed: Status.Proposed, Active: Status.Active, Terminated: Status.Terminated, Expired: Status.Expired, Cancelled: Status.Cancelled,
};

/** The model's outcome for a line-group vector: submitUsage of a one-agreement batch, each line's outcome. */
function modelLineGroup(v: LineGroupVector): { accepted: boolean; credits?: string[]; reasons?: string[] } {
  const skus = v.lines.map((_, k) => toHex(`sku-${k}`, { size: 32 }));
  const rates = v.lines.flatMap((l, k) => (l.rate === 0n ? [] : ratesOf(skus[k], [{ creditsPerGpuHour: l.rate, effectiveFrom: 0n }])));
  const m = model(v.now, { constants: { ...CONSTANTS, reportingGrace: lineGroupReportingGrace }, rates });
  m.lastUnpausedAt = v.agreement.lastUnpausedAt;
  const x = v.agreement;
  if (x.status !== "None") {
    const periods = Array.from({ length: x.periodCount }, emptyPeriod);
    if (x.nextPeriodToFinalize >= x.periodCount) periods[x.periodCount - 1].state = RevState.Finalized;
    const a = addAgreement(m, {
      status: STATUS[x.status], startTime: x.startTime, endTime: x.endTime, terminatedAt: x.terminatedAt, periodCount: x.periodCount,
      periods, nextPeriodToFinalize: x.nextPeriodToFinalize,
    });
    a.partnerList.push(PARTNER);
    a.positions.set(PARTNER, {
      ...emptyPosition(), spent: v.position.spent, burnedAt: v.position.spent, lastUsageEnd: v.position.lastUsageEnd,
      spendLimit: { value: v.position.spendLimit }, maxGpus: { value: v.position.maxGpus },
    });
  }
  m.dsxc.set(STARTUP, v.balance);
  const outcome = m.submitUsage(
    { partner: PARTNER, sequence: 0n, periodStart: v.periodStart, periodEnd: v.periodEnd, recordsRoot: `0x${"00".repeat(32)}`, lines: v.lines.map((l, k) => ({ agreementId: ID, sku: skus[k], gpuSeconds: l.gpuSeconds })) },
    [SIGNER],
  );
  if (!outcome.ok) throw new Error(`${v.name}: the model refused the batch: ${outcome.error.name}(${outcome.error.args.join(", ")})`);
  const lines = outcome.value.lines;
  return lines.every((l) => l.accepted)
    ? { accepted: true, credits: lines.map((l) => String(l.accepted && l.credits)) }
    : { accepted: false, reasons: lines.map((l) => (l.accepted ? `accepted ${l.credits}` : Rejection[l.reason])) };
}

describe("test model (test/helpers/ledgerModel.ts) on test/vectors/ledger-rules.json", function () {
  it("when periods are finalized and paid, its settlement (nextDue, delinquent) matches every vector (PROTOCOL §8)", function () {
    const got = nextDueVectors.map((v) => {
      const m = model(v.now);
      const periods = v.finalized.map((p) => ({ ...emptyPeriod(), state: RevState.Finalized, cumulativeObligation: p.cumulativeObligation, due: p.due }));
      return [v.name, m.settlement(addAgreement(m, { paid: v.paid, periods }))];
    });
    expect(got).to.deep.equal(nextDueVectors.map((v) => [v.name, v.expected]));
  });

  it("when the ledger pauses, unpauses or terminates, its reportingClose matches every vector (PROTOCOL §3)", function () {
    const got = reportingCloseVectors.map((v) => {
      const m = model(0n, { constants: { ...CONSTANTS, reportingGrace: v.reportingGrace } });
      m.paused = v.paused;
      m.lastUnpausedAt = v.lastUnpausedAt;
      return [v.name, m.reportingClose(addAgreement(m, { endTime: v.endTime, terminatedAt: v.terminatedAt }))];
    });
    expect(got).to.deep.equal(reportingCloseVectors.map((v) => [v.name, v.expected]));
  });

  it("when a decrease is pending, its partnerPosition view matches every vector (PROTOCOL §4)", function () {
    const got = limitsVectors.map((v) => {
      const m = model(v.now);
      const s = v.stored;
      const limit = (value: bigint, pending: bigint, at: bigint) => (at === 0n ? { value } : { value, pending: { value: pending, at } });
      addAgreement(m).positions.set(PARTNER, {
        ...emptyPosition(),
        spendLimit: limit(s.spendLimit, s.pendingSpendLimit, s.pendingSpendLimitAt),
        maxGpus: limit(s.maxGpus, s.pendingMaxGpus, s.pendingMaxGpusAt),
      });
      const p = m.partnerPositionView(ID, PARTNER);
      return [v.name, { spendLimit: p.spendLimit, maxGpus: p.maxGpus, pendingSpendLimit: p.pendingSpendLimit, pendingSpendLimitAt: p.pendingSpendLimitAt, pendingMaxGpus: p.pendingMaxGpus, pendingMaxGpusAt: p.pendingMaxGpusAt }];
    });
    expect(got).to.deep.equal(limitsVectors.map((v) => [v.name, v.expected]));
  });

  it("when a change is pending, its revenueSigners and payout views match every vector (PROTOCOL §3)", function () {
    const got = inForceVectors.map((v) => {
      const m = model(v.now);
      m.revenueSigners = { signers: [], threshold: Number(v.current) };
      m.pendingRevenueSigners = v.pending ? { value: { signers: [], threshold: Number(v.pending.value) }, at: v.pending.effectiveAt } : undefined;
      const signers = m.revenueSignersView();
      const asAddress = (x: bigint) => toHex(x, { size: 20 });
      const partner = m.partners.get(PARTNER)!;
      partner.payout = asAddress(v.current);
      partner.pendingPayout = v.pending ? { value: asAddress(v.pending.value), at: v.pending.effectiveAt } : undefined;
      return [v.name, { value: BigInt(signers.threshold), stillPending: signers.pendingAt !== 0n }, BigInt(m.partnerView(PARTNER).payout)];
    });
    expect(got).to.deep.equal(inForceVectors.map((v) => [v.name, v.expected, v.expected.value]));
  });

  it("when a schedule has changes, the rate it prices a line with at a time matches every vector (PROTOCOL §5)", function () {
    const got = rateAtVectors.map((v) => [v.name, modelRateFor(model(0n, { rates: ratesOf(SKU, v.schedule) }), v.at, v.at)]);
    expect(got).to.deep.equal(rateAtVectors.map((v) => [v.name, { rate: v.expected.creditsPerGpuHour }]));
  });

  it("when a window meets a rate change, the window's rate or the straddled change matches every vector (PROTOCOL §5)", function () {
    const got = rateWindowVectors.map((v) => [v.name, modelRateFor(model(0n, { rates: ratesOf(SKU, v.schedule) }), v.periodStart, v.periodEnd)]);
    expect(got).to.deep.equal(rateWindowVectors.map((v) => [v.name, v.expected]));
  });

  it("when one agreement's lines are submitted, its outcome of the group matches every vector (PROTOCOL §6)", function () {
    const got = lineGroupVectors.map((v) => [v.name, modelLineGroup(v)]);
    expect(got).to.deep.equal(lineGroupVectors.map((v) => [v.name, lineGroupExpected(v)]));
  });
});

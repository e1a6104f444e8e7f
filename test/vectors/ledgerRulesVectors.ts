// test/vectors/ledger-rules.json as typed bigints, for every implementation that runs it: sdk/ledgerRules.ts, the
// API's SQL, the contracts (through contracts/test/LedgerRulesHarness.sol), the auditor and the test model.
import raw from "./ledger-rules.json";

const n = BigInt;

export interface NextDueVector {
  name: string;
  finalized: { cumulativeObligation: bigint; due: bigint }[];
  paid: bigint;
  now: bigint;
  expected: { nextDue: bigint; delinquent: boolean };
}

export interface ReportingCloseVector {
  name: string;
  endTime: bigint;
  terminatedAt: bigint;
  paused: boolean;
  lastUnpausedAt: bigint;
  reportingGrace: bigint;
  expected: bigint;
}

export interface StoredLimitsFields {
  spendLimit: bigint;
  pendingSpendLimit: bigint;
  pendingSpendLimitAt: bigint;
  maxGpus: bigint;
  pendingMaxGpus: bigint;
  pendingMaxGpusAt: bigint;
}

export interface LimitsVector {
  name: string;
  stored: StoredLimitsFields;
  now: bigint;
  expected: {
    spendLimit: bigint;
    maxGpus: bigint;
    pendingSpendLimit: bigint;
    pendingSpendLimitAt: bigint;
    pendingMaxGpus: bigint;
    pendingMaxGpusAt: bigint;
  };
}

export interface InForceVector {
  name: string;
  current: bigint;
  pending: { value: bigint; effectiveAt: bigint } | null;
  now: bigint;
  expected: { value: bigint; stillPending: boolean };
}

export interface RateEntryVector {
  creditsPerGpuHour: bigint;
  effectiveFrom: bigint;
}

export interface RateAtVector {
  name: string;
  schedule: RateEntryVector[];
  at: bigint;
  expected: RateEntryVector;
}

export interface RateWindowVector {
  name: string;
  schedule: RateEntryVector[];
  periodStart: bigint;
  periodEnd: bigint;
  /** The rate the window is priced at, or the change that straddles it (the batch is refused). */
  expected: { rate: bigint } | { straddled: bigint };
}

export type AgreementStatusName = "None" | "Proposed" | "Active" | "Terminated" | "Expired" | "Cancelled";
export const AGREEMENT_STATUS_ORDINAL: Record<AgreementStatusName, number> = {
  None: 0, Proposed: 1, Active: 2, Terminated: 3, Expired: 4, Cancelled: 5,
};

export interface LineGroupVector {
  name: string;
  agreement: {
    status: AgreementStatusName;
    startTime: bigint;
    endTime: bigint;
    terminatedAt: bigint;
    lastUnpausedAt: bigint;
    periodCount: number;
    nextPeriodToFinalize: number;
  };
  position: { spent: bigint; lastUsageEnd: bigint; spendLimit: bigint; maxGpus: bigint };
  balance: bigint;
  periodStart: bigint;
  periodEnd: bigint;
  now: bigint;
  lines: { gpuSeconds: bigint; rate: bigint }[];
  expected: { accepted: true; credits: bigint[] } | { accepted: false; reasons: string[] };
}

const entry = (e: { creditsPerGpuHour: string; effectiveFrom: string }): RateEntryVector => ({
  creditsPerGpuHour: n(e.creditsPerGpuHour),
  effectiveFrom: n(e.effectiveFrom),
});

export const nextDueVectors: NextDueVector[] = raw.nextDue.map((v) => ({
  name: v.name,
  finalized: v.finalized.map((p) => ({ cumulativeObligation: n(p.cumulativeObligation), due: n(p.due) })),
  paid: n(v.paid),
  now: n(v.now),
  expected: { nextDue: n(v.expected.nextDue), delinquent: v.expected.delinquent },
}));

export const reportingCloseVectors: ReportingCloseVector[] = raw.reportingClose.map((v) => ({
  name: v.name,
  endTime: n(v.endTime),
  terminatedAt: n(v.terminatedAt),
  paused: v.paused,
  lastUnpausedAt: n(v.lastUnpausedAt),
  reportingGrace: n(v.reportingGrace),
  expected: n(v.expected),
}));

const bigints = <K extends string>(o: Record<K, string>): Record<K, bigint> =>
  Object.fromEntries(Object.entries(o).map(([k, v]) => [k, n(v as string)])) as Record<K, bigint>;

export const limitsVectors: LimitsVector[] = raw.limitsInForce.map((v) => ({
  name: v.name,
  stored: bigints(v.stored),
  now: n(v.now),
  expected: bigints(v.expected),
}));

export const inForceVectors: InForceVector[] = raw.inForce.map((v) => ({
  name: v.name,
  current: n(v.current),
  pending: v.pending === null ? null : { value: n(v.pending.value), effectiveAt: n(v.pending.effectiveAt) },
  now: n(v.now),
  expected: { value: n(v.expected.value), stillPending: v.expected.stillPending },
}));

export const rateAtVectors: RateAtVector[] = raw.rateAt.map((v) => ({
  name: v.name,
  schedule: v.schedule.map(entry),
  at: n(v.at),
  expected: entry(v.expected),
}));

export const rateWindowVectors: RateWindowVector[] = raw.rateForWindow.map((v) => ({
  name: v.name,
  schedule: v.schedule.map(entry),
  periodStart: n(v.periodStart),
  periodEnd: n(v.periodEnd),
  expected: "straddled" in v.expected ? { straddled: n(v.expected.straddled as string) } : { rate: n((v.expected as { rate: string }).rate) },
}));

/** The reporting grace every line-group vector assumes (the harness ledger is deployed with it). */
export const lineGroupReportingGrace = n(raw.lineGroup.reportingGrace);

export const lineGroupVectors: LineGroupVector[] = raw.lineGroup.vectors.map((v) => ({
  name: v.name,
  agreement: {
    status: v.agreement.status as AgreementStatusName,
    startTime: n(v.agreement.startTime),
    endTime: n(v.agreement.endTime),
    terminatedAt: n(v.agreement.terminatedAt),
    lastUnpausedAt: n(v.agreement.lastUnpausedAt),
    periodCount: v.agreement.periodCount,
    nextPeriodToFinalize: v.agreement.nextPeriodToFinalize,
  },
  position: bigints(v.position),
  balance: n(v.balance),
  periodStart: n(v.periodStart),
  periodEnd: n(v.periodEnd),
  now: n(v.now),
  lines: v.lines.map((l) => ({ gpuSeconds: n(l.gpuSeconds), rate: n(l.rate) })),
  expected: v.expected.accepted
    ? { accepted: true, credits: (v.expected.credits ?? []).map(n) }
    : { accepted: false, reasons: v.expected.reasons ?? [] },
}));

/** A vector's expected outcome as plain strings (what every implementation's result is compared in). */
export function lineGroupExpected(v: LineGroupVector): { accepted: boolean; credits?: string[]; reasons?: string[] } {
  return v.expected.accepted ? { accepted: true, credits: v.expected.credits.map(String) } : { accepted: false, reasons: v.expected.reasons };
}

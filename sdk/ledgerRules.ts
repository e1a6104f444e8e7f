// The ledger's time- and state-dependent rules (PROTOCOL §3–§8) as pure functions over bigint: the one TypeScript
// home of each rule, used by the API, its indexer and (later) the oracle preflight, the CLI and the demo. The
// contracts are the other implementation; the auditor (auditor/replay) and the test model (test/helpers/ledgerModel.ts)
// re-derive every rule on purpose. All of them run test/vectors/ledger-rules.json (docs/ledger.md, "Where each rule
// lives"). Times are unix seconds; arithmetic is sdk/shareMath.ts.
import { maxUint256 } from "viem";
import { credits as creditsOf } from "./shareMath";

// ------------------------------------------------------------------------------------------------ §3 pending changes

/** A change PROGRAM proposed (or an authorization decrease): in force from `effectiveAt` on (0: none). */
export interface PendingChange<T> {
  value: T;
  effectiveAt: bigint;
}

/**
 * Whether a change with time `effectiveAt` is in force at `now` (PROTOCOL §3): from `effectiveAt` on, with no
 * further transaction (a proposed migration is executable, a proposed signer set or payout address rules).
 * @example hasTakenEffect(100n, 99n); // false
 * @example hasTakenEffect(100n, 100n); // true
 */
export function hasTakenEffect(effectiveAt: bigint, now: bigint): boolean {
  return now >= effectiveAt;
}

/**
 * The value in force at `now` given a pending change (PROTOCOL §3): the pending value once `now ≥ effectiveAt`, with
 * no further transaction; `current` while it waits, or when there is none (`pending` absent or `effectiveAt` 0).
 * Contract: SignatureQuorum.inForce, PartnerLogic.payoutInForce, PositionWord.limitsInForce.
 * @example inForce(2n, { value: 1n, effectiveAt: 100n }, 99n); // 2n
 * @example inForce(2n, { value: 1n, effectiveAt: 100n }, 100n); // 1n
 */
export function inForce<T>(current: T, pending: PendingChange<T> | null | undefined, now: bigint): T {
  return pending && pending.effectiveAt !== 0n && hasTakenEffect(pending.effectiveAt, now) ? pending.value : current;
}

/**
 * The pending change as the views show it at `now`: only while it waits (`effectiveAt > now`); null once it is in
 * force or when there is none (the views then show zeros).
 */
export function stillPending<T>(pending: PendingChange<T> | null | undefined, now: bigint): PendingChange<T> | null {
  return pending && !hasTakenEffect(pending.effectiveAt, now) ? pending : null;
}

// ------------------------------------------------------------------------------------------------ §3 reporting close

/** R while the ledger is paused (∞), as the ledger's `reportingClose(id)` view returns it: 2^256 − 1. */
export const REPORTING_CLOSE_PAUSED = maxUint256;

/** effectiveEnd = min(endTime, terminatedAt) for a terminated agreement, else endTime (PROTOCOL §3, §6). */
export function effectiveEnd(endTime: bigint, terminatedAt: bigint): bigint {
  return terminatedAt !== 0n && terminatedAt < endTime ? terminatedAt : endTime;
}

/** What an agreement's reporting close depends on. */
export interface ReportingCloseInput {
  endTime: bigint;
  /** 0 when the agreement was never terminated. */
  terminatedAt: bigint;
  paused: boolean;
  /** The time of the last `Unpaused` (0: never paused). */
  lastUnpausedAt: bigint;
  reportingGrace: bigint;
}

/**
 * R = paused ? ∞ : max(effectiveEnd, lastUnpausedAt) + REPORTING_GRACE (PROTOCOL §3); ∞ is
 * {@link REPORTING_CLOSE_PAUSED}. Usage is accepted while now < R; expiry and the last period's finalization need
 * now ≥ R. Contract: AgreementMath.reportingClose.
 */
export function reportingClose(x: ReportingCloseInput): bigint {
  if (x.paused) return REPORTING_CLOSE_PAUSED;
  const end = effectiveEnd(x.endTime, x.terminatedAt);
  return (end > x.lastUnpausedAt ? end : x.lastUnpausedAt) + x.reportingGrace;
}

/**
 * Whether reporting has closed at `now` for an agreement whose close is R (PROTOCOL §3): usage is accepted while
 * now < R and refused (`ReportingClosed`) from R on.
 * @example reportingClosed(100n, 99n); // false
 * @example reportingClosed(100n, 100n); // true
 */
export function reportingClosed(close: bigint, now: bigint): boolean {
  return now >= close;
}

// ------------------------------------------------------------------------------------------------ §4 authorization

/** One field of an authorization as stored: the value set and a decrease waiting for AUTH_NOTICE (at 0: none). */
export interface StoredLimit {
  value: bigint;
  pending: bigint;
  pendingAt: bigint;
}

/** Both fields of a (agreement, partner) authorization as stored. */
export interface StoredAuthorization {
  spendLimit: StoredLimit;
  maxGpus: StoredLimit;
}

/** The authorization as `partnerPosition(id, partner)` shows it at a time (pending fields 0 unless still waiting). */
export interface LimitsInForce {
  spendLimit: bigint;
  maxGpus: bigint;
  pendingSpendLimit: bigint;
  pendingSpendLimitAt: bigint;
  pendingMaxGpus: bigint;
  pendingMaxGpusAt: bigint;
}

/** The value of one stored field in force at `now`: a pending decrease rules from its time on (PROTOCOL §4). */
export function limitInForce(limit: StoredLimit, now: bigint): bigint {
  return inForce(limit.value, { value: limit.pending, effectiveAt: limit.pendingAt }, now);
}

/**
 * The limits in force at `now` around a pending decrease, each field on its own, and the decreases still waiting
 * (PROTOCOL §4, §12 `partnerPosition`). Contract: PositionWord.limitsInForce and LedgerViews.partnerPosition.
 */
export function limitsInForce(auth: StoredAuthorization, now: bigint): LimitsInForce {
  const spend = stillPending({ value: auth.spendLimit.pending, effectiveAt: auth.spendLimit.pendingAt }, now);
  const gpus = stillPending({ value: auth.maxGpus.pending, effectiveAt: auth.maxGpus.pendingAt }, now);
  return {
    spendLimit: limitInForce(auth.spendLimit, now),
    maxGpus: limitInForce(auth.maxGpus, now),
    pendingSpendLimit: spend?.value ?? 0n,
    pendingSpendLimitAt: spend?.effectiveAt ?? 0n,
    pendingMaxGpus: gpus?.value ?? 0n,
    pendingMaxGpusAt: gpus?.effectiveAt ?? 0n,
  };
}

/**
 * One field after `authorizePartner` asks for `wanted` at `now` (PROTOCOL §4): an increase (or the same value)
 * applies at once and drops a pending decrease; a decrease waits until `decreaseAt` (now + AUTH_NOTICE) while the
 * value in force at `now` keeps ruling; a new call replaces a pending decrease. Contract: AgreementLogic.authorizePartner.
 */
export function authorizeLimit(limit: StoredLimit, wanted: bigint, now: bigint, decreaseAt: bigint): StoredLimit {
  const current = limitInForce(limit, now);
  return wanted >= current ? { value: wanted, pending: 0n, pendingAt: 0n } : { value: current, pending: wanted, pendingAt: decreaseAt };
}

// ------------------------------------------------------------------------------------------------ §5 rate in force

/** One rate-card entry: base units of credits per GPU-hour from `effectiveFrom` on. */
export interface RateEntry {
  creditsPerGpuHour: bigint;
  effectiveFrom: bigint;
}

/**
 * The entry of a (partner, sku) schedule in effect at `at`: the one with the latest `effectiveFrom ≤ at` (undefined
 * when none). Contract: LedgerViews.rate (the `rate(partner, sku, at)` view).
 */
export function rateEntryAt(schedule: readonly RateEntry[], at: bigint): RateEntry | undefined {
  let found: RateEntry | undefined;
  for (const e of schedule) if (e.effectiveFrom <= at && (found === undefined || e.effectiveFrom >= found.effectiveFrom)) found = e;
  return found;
}

/** The end of a term of `periods` revenue periods from `startTime` (PROTOCOL §4: the term is whole periods). */
export function termEnd(startTime: bigint, periods: number | bigint, periodDuration: bigint): bigint {
  return startTime + BigInt(periods) * periodDuration;
}

/** Rates start on whole hours (PROTOCOL §5). */
export const RATE_HOUR = 3600n;

/**
 * The earliest `effectiveFrom` a (partner, sku) schedule accepts at `now` (PROTOCOL §5): a first rate may start in
 * the current hour; a later one no earlier than now + RATE_NOTICE. `effectiveFrom` must also be a whole hour.
 * Contract: PartnerLogic.scheduleRate (`RateTooEarly(effectiveFrom, earliest)`).
 */
export function earliestRateStart(hasSchedule: boolean, now: bigint, rateNotice: bigint): bigint {
  return hasSchedule ? now + rateNotice : now - (now % RATE_HOUR);
}

/** The rate in effect at `at` (0 when none). */
export function rateAt(schedule: readonly RateEntry[], at: bigint): bigint {
  return rateEntryAt(schedule, at)?.creditsPerGpuHour ?? 0n;
}

/**
 * The rate a usage batch's window [periodStart, periodEnd) is priced at (PROTOCOL §5): the rate in effect at
 * periodStart (0: none), unless a change starts strictly inside the window (periodStart < effectiveFrom < periodEnd),
 * which refuses the whole batch (`UsageRateStraddled(sku, effectiveFrom)`, the earliest such change).
 * Contract: UsageRecorder._rateFor.
 */
export function rateForWindow(
  schedule: readonly RateEntry[],
  periodStart: bigint,
  periodEnd: bigint,
): { rate: bigint; straddled?: undefined } | { straddled: bigint; rate?: undefined } {
  let straddled: bigint | undefined;
  for (const e of schedule) {
    if (e.effectiveFrom > periodStart && e.effectiveFrom < periodEnd && (straddled === undefined || e.effectiveFrom < straddled)) straddled = e.effectiveFrom;
  }
  return straddled === undefined ? { rate: rateAt(schedule, periodStart) } : { straddled };
}

// ------------------------------------------------------------------------------------------------ §6 line checks

/** AgreementStatus names (PROTOCOL §4). */
export type AgreementStatusName = "None" | "Proposed" | "Active" | "Terminated" | "Expired" | "Cancelled";

/** UsageRejection reasons (PROTOCOL §6). */
export type UsageRejectionName =
  | "NotOpen"
  | "OutsideTerm"
  | "ReportingClosed"
  | "NoRate"
  | "Overlap"
  | "OverGpuBound"
  | "OverAuthorization"
  | "InsufficientCredits"
  | "SiblingRejected";

/** Everything PROTOCOL §6's line checks read for one agreement's lines of a batch, as it stood before the batch. */
export interface LineGroupInput {
  /** The agreement; undefined when it does not exist (NotOpen). */
  agreement:
    | {
        status: AgreementStatusName;
        startTime: bigint;
        endTime: bigint;
        /** 0 when never terminated. */
        terminatedAt: bigint;
        /** R at submission ({@link reportingClose}). */
        reportingClose: bigint;
        /** The agreement's last revenue period is Finalized (nextPeriodToFinalize == periodCount). */
        lastPeriodFinalized: boolean;
      }
    | undefined;
  /** The (agreement, partner) position before the batch, with the limits in force at submission ({@link limitsInForce}). */
  position: { spent: bigint; lastUsageEnd: bigint; spendLimit: bigint; maxGpus: bigint };
  /** The startup wallet's DSXC balance. */
  balance: bigint;
  periodStart: bigint;
  periodEnd: bigint;
  /** The submission's block time. */
  now: bigint;
  /** The group's lines in batch order, each with the rate of its sku for the window ({@link rateForWindow}; 0: none). */
  lines: readonly { gpuSeconds: bigint; rate: bigint }[];
}

/** The outcome of one agreement's lines of a batch: all accepted with their credits, or all rejected. */
export type LineGroupOutcome =
  | { accepted: true; credits: bigint[] }
  | {
      accepted: false;
      /** Each line's reason, in line order. */
      reasons: UsageRejectionName[];
      /** The first failing line of a line-level failure; undefined for an agreement-wide reason (on every line). */
      failedAt?: number;
    };

/**
 * PROTOCOL §6's line checks for one agreement's lines of a batch (contiguous, as lines ascend), accepted or rejected
 * together: an agreement-wide reason (NotOpen, OutsideTerm, ReportingClosed) on every line; otherwise NoRate,
 * Overlap, OverGpuBound, OverAuthorization, InsufficientCredits line by line with the group's earlier lines counted,
 * the first failing line with its reason and every other line `SiblingRejected`. The batch checks (signatures,
 * sequence, order, empty lines, a straddled rate) come before and revert instead. Contract: UsageRecorder.
 */
export function checkLineGroup(g: LineGroupInput): LineGroupOutcome {
  const everyLine = (reason: UsageRejectionName): LineGroupOutcome => ({ accepted: false, reasons: g.lines.map(() => reason) });
  const a = g.agreement;
  if (a === undefined || (a.status !== "Active" && a.status !== "Terminated")) return everyLine("NotOpen");
  if (g.periodStart < a.startTime || g.periodEnd > effectiveEnd(a.endTime, a.terminatedAt)) return everyLine("OutsideTerm");
  if (reportingClosed(a.reportingClose, g.now) || a.lastPeriodFinalized) return everyLine("ReportingClosed");
  const p = g.position;
  const gpuBound = p.maxGpus * (g.periodEnd - g.periodStart);
  let gpuSeconds = 0n;
  let spent = p.spent;
  let balance = g.balance;
  const credits: bigint[] = [];
  for (const [k, line] of g.lines.entries()) {
    let reason: UsageRejectionName | undefined;
    const lineCredits = line.rate === 0n ? 0n : creditsOf(line.gpuSeconds, line.rate);
    if (line.rate === 0n) reason = "NoRate";
    else if (g.periodStart < p.lastUsageEnd) reason = "Overlap";
    else if (gpuSeconds + line.gpuSeconds > gpuBound) reason = "OverGpuBound";
    else if (spent + lineCredits > p.spendLimit) reason = "OverAuthorization";
    else if (lineCredits > balance) reason = "InsufficientCredits";
    if (reason !== undefined) {
      const own = reason;
      return { accepted: false, reasons: g.lines.map((_, j) => (j === k ? own : "SiblingRejected")), failedAt: k };
    }
    gpuSeconds += line.gpuSeconds;
    spent += lineCredits;
    balance -= lineCredits;
    credits.push(lineCredits);
  }
  return { accepted: true, credits };
}

// ------------------------------------------------------------------------------------------------ §8 delinquency

/** A finalized revenue period as settlement sees it: the obligation through it and its due date. */
export interface FinalizedPeriod {
  cumulativeObligation: bigint;
  due: bigint;
}

/**
 * nextDue (PROTOCOL §8): the due date of the oldest finalized period that `paid` does not settle (period k is settled
 * when paid ≥ the obligation through k), 0 when none. `finalized` are the periods 0 … nextPeriodToFinalize − 1 in
 * order. Contract: LedgerViews._nextDue (the `agreement(id)` view).
 */
export function nextDue(finalized: readonly FinalizedPeriod[], paid: bigint): bigint {
  for (const period of finalized) if (period.cumulativeObligation > paid) return period.due;
  return 0n;
}

/**
 * Delinquent (PROTOCOL §8): an unsettled period's due date has come, i.e. `now ≥ nextDue` (due dates never decrease,
 * so the oldest unsettled period is due first). The API's SQL form is api/db/rules.ts `delinquentSql`.
 */
export function isDelinquent(nextDueAt: bigint, now: bigint): boolean {
  return nextDueAt !== 0n && now >= nextDueAt;
}

/** nextDue and delinquent at `now`, as the `agreement(id)` view shows them. */
export function settlement(finalized: readonly FinalizedPeriod[], paid: bigint, now: bigint): { nextDue: bigint; delinquent: boolean } {
  const due = nextDue(finalized, paid);
  return { nextDue: due, delinquent: isDelinquent(due, now) };
}

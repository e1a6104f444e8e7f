// Revenue periods (SERVICES §3 "Processing", PROTOCOL §7): which period each transaction
// counts in, each period's total on the agreement's base, and the negative carry. Pure.
import { ValidationError } from "../../sdk/errors";
import type { StripeRevenueRow } from "../sources/stripe";

/** The revenue base of an agreement's legal terms. */
export type RevenueBase = "gross" | "net";

/** A revenue transaction on the agreement's base: signed 6-decimal units. */
export interface RevenueTransaction {
  id: string;
  /** Unix seconds. */
  createdAt: bigint;
  amount: bigint;
}

/** Stripe rows as transactions on `base` (generic revenue CSV rows already have `amount`). */
export function onBase(rows: readonly StripeRevenueRow[], base: RevenueBase): RevenueTransaction[] {
  return rows.map((row) => ({ id: row.id, createdAt: row.createdAt, amount: base === "gross" ? row.gross : row.net }));
}

/** An agreement's revenue periods, as read from the chain. */
export interface PeriodSchedule {
  startTime: bigint;
  periodDuration: bigint;
  /** n = (endTime − startTime) / periodDuration, 1..120. */
  periodCount: number;
}

/** How long after a period's end its data is complete when the config sets nothing: 2 days. */
export const DEFAULT_DATA_LAG_SECONDS = 172_800n;

/** `k = floor((t − startTime) / periodDuration)` when `0 ≤ k < n`, else undefined. */
export function periodIndexOf(schedule: PeriodSchedule, t: bigint): number | undefined {
  if (t < schedule.startTime) return undefined;
  const k = (t - schedule.startTime) / schedule.periodDuration;
  return k < BigInt(schedule.periodCount) ? Number(k) : undefined;
}

/** Period k is `[startTime + k·periodDuration, startTime + (k+1)·periodDuration)`. */
export function periodBounds(schedule: PeriodSchedule, k: number): { periodStart: bigint; periodEnd: bigint } {
  const periodStart = schedule.startTime + BigInt(k) * schedule.periodDuration;
  return { periodStart, periodEnd: periodStart + schedule.periodDuration };
}

/**
 * Where a period stands for the oracle: no report yet; reported (Pending, Disputed, Rejected or
 * Cleared: a new version can still change it); or Finalized (never reported again).
 */
export type PeriodStatus = "unreported" | "reported" | "finalized";

/** Input of {@link assignPeriods}. */
export interface AssignPeriodsInput {
  schedule: PeriodSchedule;
  /** Every transaction known (all files, all runs). Repeated ids are counted once. */
  transactions: readonly RevenueTransaction[];
  now: bigint;
  /** Default 2 days. */
  dataLagSeconds?: bigint;
  /** Status of period k at index k; missing entries are "unreported". */
  statuses?: readonly PeriodStatus[];
  /**
   * Transactions already included in a submitted report and the period they were reported
   * in: they stay there (a late row moved out of a finalized period must not move again).
   */
  assigned?: ReadonlyMap<string, number>;
}

/** One transaction's contribution to a period. */
export interface PeriodItem {
  id: string;
  amount: bigint;
}

/** One period's figures. */
export interface PeriodFigures {
  index: number;
  periodStart: bigint;
  periodEnd: bigint;
  status: PeriodStatus;
  /** The period's transactions, ascending by id (UTF-16 code units, as RFC 8785 sorts). */
  items: PeriodItem[];
  /** Σ items. */
  sum: bigint;
  /** The previous period's negative total carried in (≤ 0; 0 for period 0). */
  carryIn: bigint;
  /** sum + carryIn. */
  total: bigint;
  /** What is reported: max(total, 0). */
  revenue: bigint;
  /** min(total, 0), carried into the next period; after the last period it is forgiven. */
  carryOut: bigint;
  /** `now ≥ periodEnd + dataLagSeconds`. */
  reportable: boolean;
}

/** Output of {@link assignPeriods}. */
export interface PeriodAssignment {
  periods: PeriodFigures[];
  /** The negative carry left after the last period: forgiven (≤ 0). */
  forgiven: bigint;
  /** Dated before startTime or at/after the last period's end. */
  outOfTerm: RevenueTransaction[];
  /** Dated in a finalized period with no later period left to take them (all finalized). */
  unplaced: RevenueTransaction[];
  /** Further copies of an id with the same time and amount (overlapping exports): skipped. */
  duplicates: RevenueTransaction[];
  /** Further copies of an id with another time or amount: skipped, the first copy counts. */
  conflicts: RevenueTransaction[];
  /** Ids in `assigned` that no transaction carries any more (a reported row went missing). */
  missing: string[];
}

/**
 * Assigns transactions to periods and computes each period's figures.
 *
 * - A transaction in `assigned` stays in its period.
 * - Otherwise it goes to its period `k = floor((t − startTime) / periodDuration)`, unless k is
 *   finalized: then to the oldest unreported period, else the oldest period not finalized,
 *   else it is `unplaced`.
 * - Each period: total = Σ amounts + carryIn; a negative total is reported as 0 and carried
 *   into the next period; the carry after the last period is forgiven.
 *
 * @throws ValidationError for a bad schedule or an `assigned` period outside 0..n−1.
 */
export function assignPeriods(input: AssignPeriodsInput): PeriodAssignment {
  const { schedule, now } = input;
  const n = schedule.periodCount;
  if (!Number.isInteger(n) || n < 1 || schedule.periodDuration <= 0n || schedule.startTime < 0n) {
    throw new ValidationError(`Bad period schedule: ${n} periods of ${schedule.periodDuration} s from ${schedule.startTime}.`);
  }
  const dataLag = input.dataLagSeconds ?? DEFAULT_DATA_LAG_SECONDS;
  const status = (k: number): PeriodStatus => input.statuses?.[k] ?? "unreported";
  const assigned = input.assigned ?? new Map<string, number>();

  const firstUnreported = Array.from({ length: n }, (_, k) => k).find((k) => status(k) === "unreported");
  const firstOpen = Array.from({ length: n }, (_, k) => k).find((k) => status(k) !== "finalized");

  const seen = new Map<string, RevenueTransaction>();
  const result: PeriodAssignment = {
    periods: [],
    forgiven: 0n,
    outOfTerm: [],
    unplaced: [],
    duplicates: [],
    conflicts: [],
    missing: [],
  };
  const itemsOf: PeriodItem[][] = Array.from({ length: n }, () => []);

  for (const tx of input.transactions) {
    const first = seen.get(tx.id);
    if (first) {
      if (first.createdAt === tx.createdAt && first.amount === tx.amount) result.duplicates.push(tx);
      else result.conflicts.push(tx);
      continue;
    }
    seen.set(tx.id, tx);
    let k = assigned.get(tx.id);
    if (k !== undefined) {
      if (!Number.isInteger(k) || k < 0 || k >= n) {
        throw new ValidationError(`Transaction ${tx.id} is recorded in period ${k}, outside 0..${n - 1}.`);
      }
    } else {
      k = periodIndexOf(schedule, tx.createdAt);
      if (k === undefined) {
        result.outOfTerm.push(tx);
        continue;
      }
      if (status(k) === "finalized") {
        k = firstUnreported ?? firstOpen;
        if (k === undefined) {
          result.unplaced.push(tx);
          continue;
        }
      }
    }
    itemsOf[k].push({ id: tx.id, amount: tx.amount });
  }
  for (const id of assigned.keys()) if (!seen.has(id)) result.missing.push(id);

  let carryIn = 0n;
  for (let k = 0; k < n; k++) {
    const items = itemsOf[k].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    const sum = items.reduce((acc, item) => acc + item.amount, 0n);
    const total = sum + carryIn;
    const carryOut = total < 0n ? total : 0n;
    const { periodStart, periodEnd } = periodBounds(schedule, k);
    result.periods.push({
      index: k,
      periodStart,
      periodEnd,
      status: status(k),
      items,
      sum,
      carryIn,
      total,
      revenue: total > 0n ? total : 0n,
      carryOut,
      reportable: now >= periodEnd + dataLag,
    });
    carryIn = carryOut;
  }
  result.forgiven = carryIn;
  return result;
}

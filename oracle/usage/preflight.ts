// Preflight of a batch's lines (SERVICES §2 "Preflight"): the ledger's line checks of
// PROTOCOL §6, in the ledger's order, against the chain state read at one block. A line that
// would be rejected is taken out before signing; the whole transaction is then simulated
// (eth_call) for the batch checks. eth_call returns no events, so the per-line outcome is
// computed here from the same views; a race the chain decides otherwise arrives as
// UsageLineRejected and is handled from the receipt.
import type { UsageLine } from "../../sdk/eip712";
import { credits as creditsOf } from "../../sdk/shareMath";
import { AGREEMENT_STATUS, skuName, type ChainContext, type RateEntry } from "./chainContext";

/** UsageRejection names, by ordinal (PROTOCOL §6). */
export const USAGE_REJECTIONS = [
  "NotOpen",
  "OutsideTerm",
  "ReportingClosed",
  "NoRate",
  "Overlap",
  "OverGpuBound",
  "OverAuthorization",
  "InsufficientCredits",
] as const;

/** One UsageLineRejected reason. */
export type UsageRejectionName = (typeof USAGE_REJECTIONS)[number];

/** A line the ledger would refuse, and why. */
export interface LineRejection {
  line: UsageLine;
  reason: UsageRejectionName;
}

/**
 * The rate in force at `periodStart` for a sku (0 when none), like the ledger's `_rateFor`.
 * Returns undefined when a scheduled rate starts inside (periodStart, periodEnd): the ledger
 * refuses the whole batch then (UsageRateStraddled); windows are cut at rate changes so a
 * planned batch never does.
 */
export function rateAt(entries: readonly RateEntry[] | undefined, periodStart: bigint, periodEnd: bigint): bigint | undefined {
  let rate = 0n;
  for (const e of entries ?? []) {
    if (e.effectiveFrom <= periodStart) rate = e.creditsPerGpuHour;
    else if (e.effectiveFrom < periodEnd) return undefined;
  }
  return rate;
}

/**
 * Splits a batch's lines (strictly ascending by agreement, sku) into those the ledger would
 * accept and those it would reject, applying PROTOCOL §6's line checks in order with the
 * running figures of the agreement's earlier lines in the batch.
 * @example const { accepted, rejected } = predictLines(ctx, 1_790_000_000n, 1_790_003_600n, draft.lines);
 */
export function predictLines(
  ctx: Pick<ChainContext, "now" | "reportingGrace" | "agreements" | "rates">,
  periodStart: bigint,
  periodEnd: bigint,
  lines: readonly UsageLine[],
): { accepted: UsageLine[]; rejected: LineRejection[] } {
  const accepted: UsageLine[] = [];
  const rejected: LineRejection[] = [];
  let group: { id: bigint; rejection?: UsageRejectionName; gpuSeconds: bigint; spent: bigint; balance: bigint } | undefined;
  for (const line of lines) {
    const a = ctx.agreements.get(line.agreementId);
    if (group === undefined || group.id !== line.agreementId) {
      group = { id: line.agreementId, gpuSeconds: 0n, spent: a?.spent ?? 0n, balance: a?.balance ?? 0n };
      if (a === undefined || (a.status !== AGREEMENT_STATUS.Active && a.status !== AGREEMENT_STATUS.Terminated)) {
        group.rejection = "NotOpen";
      } else if (periodStart < a.startTime || periodEnd > a.effectiveEnd) {
        group.rejection = "OutsideTerm";
      } else if (ctx.now >= a.reportingClose || (ctx.now >= a.effectiveEnd + ctx.reportingGrace && a.lastPeriodFinalized)) {
        group.rejection = "ReportingClosed";
      }
    }
    const reject = (reason: UsageRejectionName) => rejected.push({ line, reason });
    if (group.rejection !== undefined || a === undefined) {
      reject(group.rejection ?? "NotOpen");
      continue;
    }
    const rate = rateAt(ctx.rates.get(skuName(line.sku)), periodStart, periodEnd) ?? 0n;
    if (rate === 0n) {
      reject("NoRate");
      continue;
    }
    if (periodStart < a.lastUsageEnd) {
      reject("Overlap");
      continue;
    }
    if (group.gpuSeconds + line.gpuSeconds > a.maxGpus * (periodEnd - periodStart)) {
      reject("OverGpuBound");
      continue;
    }
    const credits = creditsOf(line.gpuSeconds, rate);
    if (group.spent + credits > a.spendLimit) {
      reject("OverAuthorization");
      continue;
    }
    if (credits > group.balance) {
      reject("InsufficientCredits");
      continue;
    }
    group.gpuSeconds += line.gpuSeconds;
    group.spent += credits;
    group.balance -= credits;
    accepted.push(line);
  }
  return { accepted, rejected };
}

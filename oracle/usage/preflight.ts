// Preflight of a batch's lines (SERVICES §2 "Preflight"): the ledger's line checks of
// PROTOCOL §6, in the ledger's order, against the chain state read at one block. A batch's
// lines for one agreement are accepted or rejected together (v1.1): the first failing line
// carries its reason, every other line of that agreement in the batch `SiblingRejected`. The
// planner takes the failing line out before signing and plans its siblings again without it;
// the whole transaction is then simulated (eth_call) for the batch checks. eth_call returns no
// events, so the per-line outcome is computed here from the same views; a race the chain
// decides otherwise arrives as UsageLineRejected and is handled from the receipt.
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
  "SiblingRejected",
] as const;

/** One UsageLineRejected reason. */
export type UsageRejectionName = (typeof USAGE_REJECTIONS)[number];

/** The reason of a line refused only because another line of its agreement in the batch failed. */
export const SIBLING_REJECTED = "SiblingRejected" satisfies UsageRejectionName;

/** Whether a refusal is the line's own (false for `SiblingRejected`: the line itself passed or was not checked). */
export function isOwnRefusal(reason: string | null | undefined): reason is string {
  return reason !== undefined && reason !== null && reason !== SIBLING_REJECTED;
}

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
 * accept and those it would reject, like the ledger: per agreement group, the agreement-wide
 * checks (every line gets that reason), then PROTOCOL §6's line checks in order with the
 * running figures of the group's earlier lines; the first failing line gets its reason and
 * every other line of the group (before and after it) `SiblingRejected`; a rejected group
 * counts nothing.
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
  for (let i = 0; i < lines.length; ) {
    let end = i + 1;
    while (end < lines.length && lines[end].agreementId === lines[i].agreementId) end++;
    const group = lines.slice(i, end);
    const verdict = checkGroup(ctx, periodStart, periodEnd, group);
    if (verdict === undefined) accepted.push(...group);
    else if (verdict.failedAt === undefined) for (const line of group) rejected.push({ line, reason: verdict.reason });
    else group.forEach((line, k) => rejected.push({ line, reason: k === verdict.failedAt ? verdict.reason : SIBLING_REJECTED }));
    i = end;
  }
  return { accepted, rejected };
}

/**
 * The ledger's checks of one agreement's lines in a batch: undefined when all pass; else the
 * reason, with `failedAt` (index in `group`) for a line-level failure, none for an
 * agreement-wide one.
 */
function checkGroup(
  ctx: Pick<ChainContext, "now" | "reportingGrace" | "agreements" | "rates">,
  periodStart: bigint,
  periodEnd: bigint,
  group: readonly UsageLine[],
): { reason: UsageRejectionName; failedAt?: number } | undefined {
  const a = ctx.agreements.get(group[0].agreementId);
  if (a === undefined || (a.status !== AGREEMENT_STATUS.Active && a.status !== AGREEMENT_STATUS.Terminated)) return { reason: "NotOpen" };
  if (periodStart < a.startTime || periodEnd > a.effectiveEnd) return { reason: "OutsideTerm" };
  if (ctx.now >= a.reportingClose || (ctx.now >= a.effectiveEnd + ctx.reportingGrace && a.lastPeriodFinalized)) return { reason: "ReportingClosed" };
  let gpuSeconds = 0n;
  let spent = a.spent;
  let balance = a.balance;
  for (const [k, line] of group.entries()) {
    const fail = (reason: UsageRejectionName) => ({ reason, failedAt: k });
    const rate = rateAt(ctx.rates.get(skuName(line.sku)), periodStart, periodEnd) ?? 0n;
    if (rate === 0n) return fail("NoRate");
    if (periodStart < a.lastUsageEnd) return fail("Overlap");
    if (gpuSeconds + line.gpuSeconds > a.maxGpus * (periodEnd - periodStart)) return fail("OverGpuBound");
    const credits = creditsOf(line.gpuSeconds, rate);
    if (spent + credits > a.spendLimit) return fail("OverAuthorization");
    if (credits > balance) return fail("InsufficientCredits");
    gpuSeconds += line.gpuSeconds;
    spent += credits;
    balance -= credits;
  }
  return undefined;
}

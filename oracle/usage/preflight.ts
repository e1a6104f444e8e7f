// Preflight of a batch's lines (SERVICES §2 "Preflight"): the ledger's line checks of
// PROTOCOL §6, in the ledger's order, against the chain state read at one block. A batch's
// lines for one agreement are accepted or rejected together (v1.1): the first failing line
// carries its reason, every other line of that agreement in the batch `SiblingRejected`. The
// planner takes the failing line out before signing and plans its siblings again without it;
// the whole transaction is then simulated (eth_call) for the batch checks. eth_call returns no
// events, so the per-line outcome is computed here from the same views; a race the chain
// decides otherwise arrives as UsageLineRejected and is handled from the receipt.
import { USAGE_REJECTION, AGREEMENT_STATUS, type UsageRejectionName } from "../../sdk/abis";
import type { UsageLine } from "../../sdk/eip712";
import { checkLineGroup, rateForWindow } from "../../sdk/ledgerRules";
import { skuName, type ChainContext } from "./chainContext";

export type { UsageRejectionName } from "../../sdk/abis";

/** UsageRejection names, by ordinal (PROTOCOL §6): generated from the compiler's output (sdk/abis.ts). */
export const USAGE_REJECTIONS = USAGE_REJECTION;

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
 * Splits a batch's lines (strictly ascending by agreement, sku) into those the ledger would
 * accept and those it would reject, like the ledger: per agreement group, PROTOCOL §6's line
 * checks as sdk/ledgerRules.ts `checkLineGroup` states them (the agreement-wide checks on every
 * line, then line by line with the group's earlier lines counted; the first failing line gets its
 * reason and every other line of the group `SiblingRejected`; a rejected group counts nothing).
 * A sku's rate is the one in force at periodStart (`rateForWindow`); a rate change inside the
 * window counts as no rate here (the ledger refuses the whole batch then, and windows are cut at
 * rate changes so a planned batch never does).
 * @example const { accepted, rejected } = predictLines(ctx, 1_790_000_000n, 1_790_003_600n, draft.lines);
 */
export function predictLines(
  ctx: Pick<ChainContext, "now" | "agreements" | "rates">,
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
    const outcome = checkGroup(ctx, periodStart, periodEnd, group);
    if (outcome.accepted) accepted.push(...group);
    else group.forEach((line, k) => rejected.push({ line, reason: outcome.reasons[k] }));
    i = end;
  }
  return { accepted, rejected };
}

/** One agreement's lines of a batch through sdk/ledgerRules.ts `checkLineGroup`, with the chain state read at one block. */
function checkGroup(
  ctx: Pick<ChainContext, "now" | "agreements" | "rates">,
  periodStart: bigint,
  periodEnd: bigint,
  group: readonly UsageLine[],
): ReturnType<typeof checkLineGroup> {
  const a = ctx.agreements.get(group[0].agreementId);
  return checkLineGroup({
    agreement:
      a === undefined
        ? undefined
        : {
            status: AGREEMENT_STATUS[a.status] ?? "None",
            startTime: a.startTime,
            // effectiveEnd is min(endTime, terminatedAt) already: the term as it ends, with no termination to apply again
            endTime: a.effectiveEnd,
            terminatedAt: 0n,
            reportingClose: a.reportingClose,
            lastPeriodFinalized: a.lastPeriodFinalized,
          },
    position: { spent: a?.spent ?? 0n, lastUsageEnd: a?.lastUsageEnd ?? 0n, spendLimit: a?.spendLimit ?? 0n, maxGpus: a?.maxGpus ?? 0n },
    balance: a?.balance ?? 0n,
    periodStart,
    periodEnd,
    now: ctx.now,
    lines: group.map((line) => ({ gpuSeconds: line.gpuSeconds, rate: rateForWindow(ctx.rates.get(skuName(line.sku)) ?? [], periodStart, periodEnd).rate ?? 0n })),
  });
}

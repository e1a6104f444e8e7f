// The line checks of PROTOCOL §6 for one agreement's lines of a batch, as the auditor evaluates them: the lines are
// accepted or rejected together — an agreement-wide reason on every line, or the first line that fails (the group's
// earlier lines counted) with its reason and the others SiblingRejected.
import * as shareMath from "../../sdk/shareMath";
import type { LineOutcome } from "../checks/usageLine";
import { effectiveEnd, limitAt, lower, reportingClose, type AgreementModel, type LedgerModel, type PositionModel, type UsageRejection } from "./model";

/**
 * What the checks decide: the same outcome for every line (accepted, or an agreement-wide reason), or one failing
 * line (its reason; the others SiblingRejected) at one of `oneFails`' places. Several places when gpuSeconds are
 * unknown (rejected lines without evidence): the failure may be at any of them with a reason that depends on
 * gpuSeconds (undefined), or at the last one with the reason given there.
 */
export type GroupExpectation = { all: LineOutcome } | { oneFails: { index: number; reason: UsageRejection | undefined }[] };

/** The group's facts at the batch's submission (`now`): its lines' rates and gpuSeconds (undefined: not known). */
export interface GroupFacts {
  a: AgreementModel | undefined;
  p: PositionModel | undefined;
  rates: readonly bigint[];
  gpuSeconds: readonly (bigint | undefined)[];
  periodStart: bigint;
  periodEnd: bigint;
  now: bigint;
}

/** The outcome of the line checks for one agreement's lines of a batch, from the model before the batch. */
export function expectGroup(m: LedgerModel, g: GroupFacts): GroupExpectation {
  const { a, p, periodStart, periodEnd, now } = g;
  if (!a || !p || (a.status !== "Active" && a.status !== "Terminated")) return { all: { accepted: false, reason: "NotOpen" } };
  if (periodStart < a.terms.startTime || periodEnd > effectiveEnd(a)) return { all: { accepted: false, reason: "OutsideTerm" } };
  const close = reportingClose(m, a);
  if ((close !== undefined && now >= close) || a.nextPeriodToFinalize >= a.periodCount) return { all: { accepted: false, reason: "ReportingClosed" } };
  // the checks in order, each line counted with the group's earlier lines
  const bound = limitAt(p.maxGpus, now) * (periodEnd - periodStart);
  const spendLimit = limitAt(p.spendLimit, now);
  let gpuTotal = 0n;
  let spent = p.spent;
  let balance = m.creditBalances.get(lower(a.startup)) ?? 0n;
  const candidates: { index: number; reason: UsageRejection | undefined }[] = [];
  for (let j = 0; j < g.rates.length; j++) {
    const rate = g.rates[j];
    const gpuSeconds = g.gpuSeconds[j];
    let reason: UsageRejection | undefined;
    if (rate === 0n) reason = "NoRate";
    else if (periodStart < p.lastUsageEnd) reason = "Overlap";
    else if (gpuSeconds === undefined || candidates.length > 0) {
      // gpuSeconds unknown here or on an earlier line: this line may be the one that failed a bound
      candidates.push({ index: j, reason: undefined });
      continue;
    } else {
      const credits = shareMath.credits(gpuSeconds, rate);
      if (gpuTotal + gpuSeconds > bound) reason = "OverGpuBound";
      else if (spent + credits > spendLimit) reason = "OverAuthorization";
      else if (credits > balance) reason = "InsufficientCredits";
      else {
        gpuTotal += gpuSeconds;
        spent += credits;
        balance -= credits;
        continue;
      }
    }
    candidates.push({ index: j, reason });
    break;
  }
  return candidates.length === 0 ? { all: { accepted: true } } : { oneFails: candidates };
}

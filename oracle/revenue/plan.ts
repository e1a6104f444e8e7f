// What the revenue oracle does for each period of one agreement (SERVICES §3, PROTOCOL §7):
// report it, restate it as the next version, wait, or leave it. Pure: the chain's periods,
// the inputs and the oracle's own records in; one decision per period out.
import type { Hex } from "viem";
import type { RevenueReport } from "../../sdk/eip712";
import { periodEvidence, type RevenueEvidence } from "./evidence";
import type { DatedQuarantineEntry } from "./inputs";
import {
  assignPeriods,
  periodIndexOf,
  type PeriodAssignment,
  type PeriodFigures,
  type PeriodSchedule,
  type PeriodStatus,
  type RevenueTransaction,
} from "./periods";

/** PROTOCOL §7 report states, in the ledger's enum order. */
export const REVENUE_STATES = ["None", "Pending", "Disputed", "Rejected", "Cleared", "Finalized"] as const;

/** One of {@link REVENUE_STATES}. */
export type RevenueStateName = (typeof REVENUE_STATES)[number];

/** A period as the ledger holds it (`revenuePeriod(id, k)`). */
export interface ChainPeriod {
  state: RevenueStateName;
  /** 0 when never reported. */
  version: number;
  revenue: bigint;
  evidenceHash: Hex;
  submittedAt: bigint;
}

/** Why a period is held back from reporting. */
export interface Hold {
  period: number;
  reason: "quarantined" | "conflict" | "missing";
  detail: string;
}

/** What happens to one period in this run. */
export type PeriodDecision =
  | {
      kind: "submit";
      index: number;
      /** new: first report; restated: the figures changed; confirmed: a Rejected report resubmitted unchanged (`--confirm-rejected`). */
      why: "new" | "restated" | "confirmed";
      report: RevenueReport;
      figures: PeriodFigures;
      evidence: RevenueEvidence;
    }
  | {
      kind: "finalized" | "not-due" | "in-flight" | "held" | "disputed" | "unchanged" | "rejected-unchanged";
      index: number;
    };

/** Input of {@link planAgreement}. */
export interface PlanInput {
  agreementId: bigint;
  schedule: PeriodSchedule;
  /** `revenuePeriod(id, k)` for k = 0..n−1. */
  chain: readonly ChainPeriod[];
  transactions: readonly RevenueTransaction[];
  quarantined: readonly DatedQuarantineEntry[];
  /** Transaction id → period it was reported in (committed reports of this agreement). */
  assigned: ReadonlyMap<string, number>;
  /** Periods with a signed report not yet confirmed on chain (the outbox): left alone. */
  inFlight: ReadonlySet<number>;
  /** Chain time (latest block). */
  now: bigint;
  dataLagSeconds: bigint;
  /** Report periods even though rows are held (`--accept-quarantine`). */
  acceptQuarantine?: boolean;
  /** Resubmit Rejected periods whose figures did not change (`--confirm-rejected`). */
  confirmRejected?: boolean;
}

/** Output of {@link planAgreement}. */
export interface RevenuePlan {
  assignment: PeriodAssignment;
  holds: Hold[];
  /** The first period held back by {@link holds} (undefined: none, or `acceptQuarantine`). */
  heldFrom?: number;
  decisions: PeriodDecision[];
}

function statusOf(period: ChainPeriod, inFlight: boolean): PeriodStatus {
  if (period.state === "Finalized") return "finalized";
  return period.state === "None" && !inFlight ? "unreported" : "reported";
}

/**
 * Decides every period of one agreement, in this order of rules:
 * 1. Finalized → never reported again (its late rows go to the oldest unreported period).
 * 2. Not ended plus the data lag → not due.
 * 3. A signed report still in the outbox → left to the resend.
 * 4. At or after the first period holding a quarantined row, a conflicting repeat of a
 *    transaction id, or a reported id gone from the inputs → held (carries flow forward, so
 *    every later period waits too), unless `acceptQuarantine`.
 * 5. Disputed → waits for the resolution.
 * 6. None → version 1. Pending → the next version when the revenue or the evidence changed
 *    (a moved carry changes the evidence). Cleared → the next version only when the revenue
 *    changed. Rejected → the next version when anything changed, or with `confirmRejected`.
 */
export function planAgreement(input: PlanInput): RevenuePlan {
  const { schedule, chain, now } = input;
  const n = schedule.periodCount;
  const statuses = chain.map((p, k) => statusOf(p, input.inFlight.has(k)));
  const assignment = assignPeriods({
    schedule,
    transactions: input.transactions,
    now,
    dataLagSeconds: input.dataLagSeconds,
    statuses,
    assigned: input.assigned,
  });

  const firstUnreported = statuses.findIndex((s) => s === "unreported");
  const firstOpen = statuses.findIndex((s) => s !== "finalized");
  /** The period a row dated t would count in (undefined: outside the term or nowhere left). */
  const placeOf = (t: bigint | undefined): number | undefined => {
    if (t === undefined) return firstOpen < 0 ? undefined : firstOpen;
    const k = periodIndexOf(schedule, t);
    if (k === undefined || statuses[k] !== "finalized") return k;
    const to = firstUnreported >= 0 ? firstUnreported : firstOpen;
    return to < 0 ? undefined : to;
  };

  const holds: Hold[] = [];
  for (const q of input.quarantined) {
    const period = placeOf(q.createdAt);
    if (period !== undefined) holds.push({ period, reason: "quarantined", detail: `${q.file}:${q.line} ${q.reason}: ${q.detail}` });
  }
  const firstCopy = new Map<string, RevenueTransaction>();
  for (const tx of input.transactions) if (!firstCopy.has(tx.id)) firstCopy.set(tx.id, tx);
  for (const tx of assignment.conflicts) {
    const first = firstCopy.get(tx.id) as RevenueTransaction;
    const places = [input.assigned.get(tx.id) ?? placeOf(first.createdAt), placeOf(tx.createdAt)].filter((k): k is number => k !== undefined);
    if (places.length > 0) {
      holds.push({ period: Math.min(...places), reason: "conflict", detail: `transaction ${tx.id} appears with different times or amounts` });
    }
  }
  for (const id of assignment.missing) {
    const period = input.assigned.get(id) as number;
    holds.push({ period, reason: "missing", detail: `transaction ${id} was reported in period ${period} but is no longer in the inputs` });
  }
  const heldFrom = input.acceptQuarantine || holds.length === 0 ? undefined : Math.min(...holds.map((h) => h.period));

  const decisions: PeriodDecision[] = [];
  for (let k = 0; k < n; k++) {
    const onChain = chain[k];
    const figures = assignment.periods[k];
    if (onChain.state === "Finalized") decisions.push({ kind: "finalized", index: k });
    else if (!figures.reportable) decisions.push({ kind: "not-due", index: k });
    else if (input.inFlight.has(k)) decisions.push({ kind: "in-flight", index: k });
    else if (heldFrom !== undefined && k >= heldFrom) decisions.push({ kind: "held", index: k });
    else if (onChain.state === "Disputed") decisions.push({ kind: "disputed", index: k });
    else {
      const evidence = periodEvidence(figures);
      const revenueChanged = onChain.revenue !== figures.revenue;
      const changed = revenueChanged || onChain.evidenceHash.toLowerCase() !== evidence.evidenceHash.toLowerCase();
      let why: "new" | "restated" | "confirmed" | undefined;
      if (onChain.state === "None") why = "new";
      else if (onChain.state === "Pending") why = changed ? "restated" : undefined;
      else if (onChain.state === "Cleared") why = revenueChanged ? "restated" : undefined;
      else if (changed) why = "restated";
      else if (input.confirmRejected) why = "confirmed";
      if (why === undefined) {
        decisions.push({ kind: onChain.state === "Rejected" ? "rejected-unchanged" : "unchanged", index: k });
      } else {
        const report: RevenueReport = {
          agreementId: input.agreementId,
          periodIndex: k,
          revenue: figures.revenue,
          evidenceHash: evidence.evidenceHash,
          version: onChain.version + 1,
        };
        decisions.push({ kind: "submit", index: k, why, report, figures, evidence });
      }
    }
  }
  return { assignment, holds, heldFrom, decisions };
}

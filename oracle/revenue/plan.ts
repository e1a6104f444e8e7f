// What the revenue oracle does for each period of one agreement (SERVICES §3, PROTOCOL §7):
// report it, restate it as the next version, wait, or leave it. Pure: the chain's periods,
// the inputs, the review entries and the oracle's own records in; one decision per period out,
// and one row per period for the table `revenue plan` and `revenue run` print.
import type { Hex } from "viem";
import type { RevenueReport } from "../../sdk/eip712";
import { periodEvidence, type RevenueEvidence } from "./evidence";
import type { ReviewEntry, ReviewReason } from "./review";
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

/** An undecided review entry and the period it holds (with every later one). */
export interface Hold {
  period: number;
  reason: ReviewReason;
  entryId: string;
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
  /** Review entries (reviewAgreement): undecided ones hold their period, decided ones are counted in it. */
  entries: readonly ReviewEntry[];
  /** Transaction id → period it was reported in (committed reports of this agreement). */
  assigned: ReadonlyMap<string, number>;
  /** Periods with a signed report not yet confirmed on chain (the outbox): left alone. */
  inFlight: ReadonlySet<number>;
  /** Chain time (latest block). */
  now: bigint;
  dataLagSeconds: bigint;
  /** Resubmit Rejected periods whose figures did not change (`--confirm-rejected`). */
  confirmRejected?: boolean;
}

/** One period as `revenue plan` and `revenue run` show it. */
export interface PeriodRow {
  index: number;
  periodStart: bigint;
  periodEnd: bigint;
  /** The ledger's state and version now. */
  state: RevenueStateName;
  chainVersion: number;
  chainRevenue: bigint;
  /** What happens (a decision's kind; for a submission its why). */
  action: PeriodDecision["kind"];
  why?: "new" | "restated" | "confirmed";
  /** The figures from the inputs (also for a held period: what it would report without the rows it waits for). */
  revenue: bigint;
  carryIn: bigint;
  carryOut: bigint;
  /** The version a submission carries, else the chain's. */
  version: number;
  /** Rows counted in the period. */
  counted: number;
  /** Undecided review entries placed in this period. */
  quarantined: number;
  /** Decided entries placed in this period (accepted + rejected). */
  accepted: number;
  rejected: number;
  evidenceHash?: Hex;
  /** Why the period is held, for a held one. */
  heldBecause?: string;
  /** The figure is 0 while the period holds quarantined or decided rows: look before it is reported. */
  flagged: boolean;
  /** `now ≥ periodEnd + dataLag`. */
  due: boolean;
  dueAt: bigint;
}

/** Output of {@link planAgreement}. */
export interface RevenuePlan {
  assignment: PeriodAssignment;
  holds: Hold[];
  /** The first period held back by {@link holds} (undefined: none). */
  heldFrom?: number;
  decisions: PeriodDecision[];
  rows: PeriodRow[];
  /** Entry id → the period it is counted in (undefined: outside the term or nowhere left). */
  placement: Map<string, number | undefined>;
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
 * 4. At or after the first period holding an undecided review entry (a quarantined row, a
 *    conflicting repeat of a transaction id, or a reported id gone from the inputs) → held
 *    (carries flow forward, so every later period waits too) until an operator decides it.
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

  /** The period an entry holds or is counted in: a conflict the earlier of its copies', a missing row the one it was reported in. */
  const placement = new Map<string, number | undefined>();
  const holds: Hold[] = [];
  for (const e of input.entries) {
    let period: number | undefined;
    if (e.reason === "missing") period = e.reportedIn;
    else if (e.reason === "conflict") {
      const places = [e.reportedIn ?? placeOf(e.firstCreatedAt), placeOf(e.createdAt)].filter((k): k is number => k !== undefined);
      period = places.length > 0 ? Math.min(...places) : undefined;
    } else period = placeOf(e.createdAt);
    placement.set(e.id, period);
    if (period !== undefined && e.decision === undefined) holds.push({ period, reason: e.reason, entryId: e.id, detail: e.detail });
  }
  const heldFrom = holds.length === 0 ? undefined : Math.min(...holds.map((h) => h.period));

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
  const rows = decisions.map((d) => periodRow(d, chain[d.index], assignment.periods[d.index], input, placement, holds, heldFrom));
  return { assignment, holds, heldFrom, decisions, rows, placement };
}

function periodRow(
  d: PeriodDecision,
  onChain: ChainPeriod,
  figures: PeriodAssignment["periods"][number],
  input: PlanInput,
  placement: ReadonlyMap<string, number | undefined>,
  holds: readonly Hold[],
  heldFrom: number | undefined,
): PeriodRow {
  const k = d.index;
  const here = input.entries.filter((e) => placement.get(e.id) === k);
  const quarantined = here.filter((e) => e.decision === undefined).length;
  const accepted = here.filter((e) => e.decision?.decision === "accept").length;
  const rejected = here.filter((e) => e.decision?.decision === "reject").length;
  let heldBecause: string | undefined;
  if (d.kind === "held" && heldFrom !== undefined) {
    const own = holds.filter((h) => h.period === k);
    const byReason = new Map<string, number>();
    for (const h of own) byReason.set(h.reason, (byReason.get(h.reason) ?? 0) + 1);
    const reasons = [...byReason].map(([r, n]) => `${r} ×${n}`).join(", ");
    heldBecause =
      own.length > 0
        ? `${own.length} row${own.length === 1 ? "" : "s"} to review (${reasons})`
        : `waits for period ${heldFrom} (carries flow forward, periods finalize in order)`;
  }
  // the hash that is (or would be) on chain: none for a held period, which sends nothing
  const evidenceHash = d.kind === "submit" ? d.evidence.evidenceHash : d.kind === "unchanged" || d.kind === "rejected-unchanged" ? periodEvidence(figures).evidenceHash : undefined;
  return {
    index: k,
    periodStart: figures.periodStart,
    periodEnd: figures.periodEnd,
    state: onChain.state,
    chainVersion: onChain.version,
    chainRevenue: onChain.revenue,
    action: d.kind,
    ...(d.kind === "submit" ? { why: d.why } : {}),
    revenue: d.kind === "finalized" ? onChain.revenue : figures.revenue,
    carryIn: figures.carryIn,
    carryOut: figures.carryOut,
    version: d.kind === "submit" ? d.report.version : onChain.version,
    counted: figures.items.length,
    quarantined,
    accepted,
    rejected,
    ...(evidenceHash ? { evidenceHash } : {}),
    ...(heldBecause ? { heldBecause } : {}),
    flagged: d.kind !== "finalized" && figures.revenue === 0n && quarantined + accepted + rejected > 0,
    due: figures.reportable,
    dueAt: figures.periodEnd + input.dataLagSeconds,
  };
}

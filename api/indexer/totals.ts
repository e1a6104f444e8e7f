// Running totals over every agreement, revenue period and position, kept as the rows change (SERVICES §4, issue #15:
// the cost of a read must not grow with the data). Each changed row's share is taken out of the totals as last
// counted and put back as it is now, so a total is exact after any sequence of changes, in any chunking.
import { AGREEMENT_STATUS, type AgreementStatusName } from "./events";
import type { Agreement, LedgerState, Period, Position } from "./state";

/** The program-wide totals the program row holds (the `GET /v1/program` `totals` figures except `delinquent`). */
export interface ProgramTotals {
  byStatus: Record<AgreementStatusName, number>;
  creditsMinted: bigint;
  consumed: bigint;
  /** Σ (creditsMinted − consumed) over Active and Terminated agreements. */
  creditsOutstanding: bigint;
  obligation: bigint;
  paid: bigint;
  /** Σ revenue over periods reported and not rejected. */
  revenueReported: bigint;
  revenueFinalized: bigint;
}

/** A partner's totals over its positions. */
export interface PartnerTotals {
  positions: number;
  spent: bigint;
  receivable: bigint;
  paid: bigint;
}

/** The states whose revenue counts as reported (a rejected or never-reported period's does not). */
const REPORTED_STATES: ReadonlySet<string> = new Set(["Pending", "Disputed", "Cleared", "Finalized"]);
/** The statuses whose unspent credits are outstanding. */
const OUTSTANDING_STATUSES: ReadonlySet<string> = new Set(["Active", "Terminated"]);

type AgreementShare = Pick<Agreement, "status" | "creditsMinted" | "consumed" | "obligation" | "paid">;
interface PeriodShare {
  reported: bigint;
  finalized: bigint;
}
type PositionShare = Pick<Position, "partner" | "spent" | "receivable" | "paidToPartner">;

const zeroProgram = (): ProgramTotals => ({
  byStatus: Object.fromEntries(AGREEMENT_STATUS.map((s) => [s, 0])) as Record<AgreementStatusName, number>,
  creditsMinted: 0n,
  consumed: 0n,
  creditsOutstanding: 0n,
  obligation: 0n,
  paid: 0n,
  revenueReported: 0n,
  revenueFinalized: 0n,
});

const outstandingOf = (a: AgreementShare): bigint => (OUTSTANDING_STATUSES.has(a.status) ? a.creditsMinted - a.consumed : 0n);
const periodShare = (p: Period): PeriodShare => ({
  reported: REPORTED_STATES.has(p.state) ? p.revenue : 0n,
  finalized: p.state === "Finalized" ? p.revenue : 0n,
});

/** The totals, and each row's share as last counted. */
export class RunningTotals {
  program = zeroProgram();
  readonly partners = new Map<string, PartnerTotals>();
  private readonly agreementShares = new Map<bigint, AgreementShare>();
  private readonly periodShares = new Map<string, PeriodShare>();
  private readonly positionShares = new Map<string, PositionShare>();

  /** Forgets everything (before every row is counted again). */
  reset(): void {
    this.program = zeroProgram();
    this.partners.clear();
    this.agreementShares.clear();
    this.periodShares.clear();
    this.positionShares.clear();
  }

  /**
   * Counts the rows `state` marks as changed. Returns whether the program totals moved and the partners whose
   * totals moved (their rows must be written).
   */
  count(state: LedgerState): { program: boolean; partners: Set<string> } {
    let program = false;
    const partners = new Set<string>();
    const t = this.program;
    for (const id of state.dirty.agreements) {
      const a = state.agreements.get(id)!;
      const was = this.agreementShares.get(id);
      if (was && was.status === a.status && was.creditsMinted === a.creditsMinted && was.consumed === a.consumed && was.obligation === a.obligation && was.paid === a.paid) continue;
      if (was) {
        t.byStatus[was.status] -= 1;
        t.creditsMinted -= was.creditsMinted;
        t.consumed -= was.consumed;
        t.creditsOutstanding -= outstandingOf(was);
        t.obligation -= was.obligation;
        t.paid -= was.paid;
      }
      t.byStatus[a.status] += 1;
      t.creditsMinted += a.creditsMinted;
      t.consumed += a.consumed;
      t.creditsOutstanding += outstandingOf(a);
      t.obligation += a.obligation;
      t.paid += a.paid;
      this.agreementShares.set(id, { status: a.status, creditsMinted: a.creditsMinted, consumed: a.consumed, obligation: a.obligation, paid: a.paid });
      program = true;
    }
    for (const key of state.dirty.periods) {
      const now = periodShare(state.periods.get(key)!);
      const was = this.periodShares.get(key) ?? { reported: 0n, finalized: 0n };
      if (was.reported === now.reported && was.finalized === now.finalized) continue;
      t.revenueReported += now.reported - was.reported;
      t.revenueFinalized += now.finalized - was.finalized;
      this.periodShares.set(key, now);
      program = true;
    }
    for (const key of state.dirty.positions) {
      const p = state.positions.get(key)!;
      const was = this.positionShares.get(key);
      if (was && was.spent === p.spent && was.receivable === p.receivable && was.paidToPartner === p.paidToPartner) continue;
      const totals = this.partnerTotals(p.partner);
      if (!was) totals.positions += 1;
      totals.spent += p.spent - (was?.spent ?? 0n);
      totals.receivable += p.receivable - (was?.receivable ?? 0n);
      totals.paid += p.paidToPartner - (was?.paidToPartner ?? 0n);
      this.positionShares.set(key, { partner: p.partner, spent: p.spent, receivable: p.receivable, paidToPartner: p.paidToPartner });
      partners.add(p.partner);
    }
    return { program, partners };
  }

  /** A partner's totals (zero before its first position). */
  partnerTotals(partner: string): PartnerTotals {
    let totals = this.partners.get(partner);
    if (!totals) {
      totals = { positions: 0, spent: 0n, receivable: 0n, paid: 0n };
      this.partners.set(partner, totals);
    }
    return totals;
  }
}

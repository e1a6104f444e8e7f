// The replay state's records as the index's rows (api/db/schema.ts): uints as decimal strings, the cap from
// sdk/shareMath, pending changes flattened into their columns.
import { cap as capOf } from "../../sdk/shareMath";
import type {
  AccountsTable,
  AgreementsTable,
  PartnersTable,
  PositionsTable,
  ProgramTable,
  RatesTable,
  RevenuePeriodsTable,
  UsageDisputesTable,
} from "../db/schema";
import type { PartnerTotals, ProgramTotals } from "./totals";
import { decimal as s, type Account, type Agreement, type Dispute, type Partner, type Period, type Position, type Program, type Rate } from "./state";

/** The program row (there is one), with the running totals over every agreement and period. */
export function programRow(p: Program, t: ProgramTotals): ProgramTable {
  return {
    id: 1,
    treasury: p.treasury,
    paused: p.paused,
    last_unpaused_at: p.lastUnpausedAt,
    program_claimable: s(p.programClaimable),
    program_claimed: s(p.programClaimed),
    revenue_signers: JSON.stringify(p.revenueSigners.signers),
    revenue_threshold: p.revenueSigners.threshold,
    revenue_pending_signers: JSON.stringify(p.pendingRevenueSigners?.value.signers ?? []),
    revenue_pending_threshold: p.pendingRevenueSigners?.value.threshold ?? 0,
    revenue_pending_at: p.pendingRevenueSigners?.effectiveAt ?? 0,
    agreement_count: p.agreementCount,
    agreements_by_status: JSON.stringify(t.byStatus),
    credits_minted_total: s(t.creditsMinted),
    consumed_total: s(t.consumed),
    credits_outstanding_total: s(t.creditsOutstanding),
    obligation_total: s(t.obligation),
    paid_total: s(t.paid),
    revenue_reported_total: s(t.revenueReported),
    revenue_finalized_total: s(t.revenueFinalized),
  };
}

/** An agreement's row, with its cap as the ledger computes it. */
export function agreementRow(a: Agreement): AgreementsTable {
  return {
    id: s(a.id),
    startup: a.startup,
    status: a.status,
    credit_limit: s(a.creditLimit),
    revenue_share_bps: a.revenueShareBps,
    cap_multiple_bps: a.capMultipleBps,
    partner_first_bps: a.partnerFirstBps,
    start_time: a.startTime,
    end_time: a.endTime,
    period_duration: a.periodDuration,
    grace_period: a.gracePeriod,
    terms_hash: a.termsHash,
    created_block: a.createdBlock,
    created_at: a.createdAt,
    accepted_at: a.acceptedAt,
    terminated_at: a.terminatedAt,
    credits_minted: s(a.creditsMinted),
    consumed: s(a.consumed),
    cap: s(capOf(a.consumed, BigInt(a.capMultipleBps))),
    obligation: s(a.obligation),
    paid: s(a.paid),
    next_due: a.nextDue,
    next_period_to_finalize: a.nextPeriodToFinalize,
    period_count: a.periodCount,
    partner_count: a.partners.length,
    pending_migration_to: a.pendingMigration?.to ?? null,
    pending_migration_at: a.pendingMigration?.effectiveAt ?? 0,
    updated_block: a.updatedBlock,
    last_audit: a.lastAudit,
  };
}

/** A partner's position in an agreement. */
export function positionRow(p: Position): PositionsTable {
  return {
    agreement_id: s(p.agreementId),
    partner: p.partner,
    list_index: p.listIndex,
    spend_limit: s(p.spendLimit),
    max_gpus: p.maxGpus,
    pending_spend_limit: s(p.pendingSpendLimit),
    pending_spend_limit_at: p.pendingSpendLimitAt,
    pending_max_gpus: p.pendingMaxGpus,
    pending_max_gpus_at: p.pendingMaxGpusAt,
    spent: s(p.spent),
    burned_at: s(p.burnedAt),
    receivable: s(p.receivable),
    paid_to_partner: s(p.paidToPartner),
    last_usage_end: p.lastUsageEnd,
  };
}

/** A partner's row: signer sets and payout address in force and pending, and the totals over its positions. */
export function partnerRow(p: Partner, t: PartnerTotals): PartnersTable {
  return {
    address: p.address,
    signers: JSON.stringify(p.signerSet.signers),
    threshold: p.signerSet.threshold,
    pending_signers: JSON.stringify(p.pendingSigners?.value.signers ?? []),
    pending_threshold: p.pendingSigners?.value.threshold ?? 0,
    pending_signers_at: p.pendingSigners?.effectiveAt ?? 0,
    payout_address: p.payout,
    pending_payout: p.pendingPayout?.value ?? null,
    pending_payout_at: p.pendingPayout?.effectiveAt ?? 0,
    payout_bps: p.payoutBps,
    active: p.active,
    next_sequence: p.nextSequence,
    registered_block: p.registeredBlock,
    registered_at: p.registeredAt,
    position_count: t.positions,
    spent_total: s(t.spent),
    receivable_total: s(t.receivable),
    paid_total: s(t.paid),
  };
}

/** A scheduled rate. */
export function rateRow(r: Rate): RatesTable {
  return {
    partner: r.partner,
    sku: r.sku,
    effective_from: r.effectiveFrom,
    credits_per_gpu_hour: s(r.creditsPerGpuHour),
    scheduled_block: r.scheduledBlock,
  };
}

/** An account's credit balance and claims. */
export function accountRow(a: Account): AccountsTable {
  return { address: a.address, credit_balance: s(a.creditBalance), claimable: s(a.claimable), claimed: s(a.claimed) };
}

/** A revenue period. */
export function periodRow(p: Period): RevenuePeriodsTable {
  return {
    agreement_id: s(p.agreementId),
    period_index: p.index,
    state: p.state,
    version: p.version,
    revenue: s(p.revenue),
    evidence_hash: p.evidenceHash,
    submitted_at: p.submittedAt,
    disputed_by: p.disputedBy,
    dispute_reason_hash: p.disputeReasonHash,
    owed: s(p.owed),
    cumulative_obligation: s(p.cumulativeObligation),
    due: p.due,
    finalized_at: p.finalizedAt,
  };
}

/** A usage dispute. */
export function disputeRow(d: Dispute): UsageDisputesTable {
  return {
    batch_id: d.batchId,
    agreement_id: s(d.agreementId),
    state: d.state,
    disputed_by: d.disputedBy,
    reason_hash: d.reasonHash,
    disputed_at: d.disputedAt,
    refund: s(d.refund),
    receivable_removed: s(d.receivableRemoved),
    resolved_at: d.resolvedAt,
  };
}

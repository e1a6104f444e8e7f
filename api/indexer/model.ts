// The indexer's replay of the ledger (PROTOCOL §4–§8) from its events: per-agreement, per-partner and
// per-account state kept in memory, applied one log at a time, and handed to the store as the rows that
// changed. The arithmetic the events leave to the reader is sdk/shareMath's (cap), the rules are sdk/ledgerRules'
// (nextDue, an authorization's new limits, a pending change in force).
import { zeroAddress } from "viem";
import { authorizeLimit, inForce, nextDue, type FinalizedPeriod } from "../../sdk/ledgerRules";
import { cap as capOf } from "../../sdk/shareMath";
import {
  USAGE_REJECTION,
  type AgreementStatusName,
  type DecodedLog,
  type LogPosition,
  type RevenueStateName,
} from "./events";
import type {
  AccountsTable,
  AgreementsTable,
  AuditsTable,
  BlocksTable,
  ClaimsTable,
  DistributionsTable,
  PartnersTable,
  PaymentsTable,
  PositionsTable,
  ProgramTable,
  RatesTable,
  RevenuePeriodsTable,
  UsageBatchesTable,
  UsageDisputesTable,
  UsageLinesTable,
} from "../db/schema";

const lower = (a: string): string => a.toLowerCase();

interface Agreement {
  id: bigint;
  /** `id` as a decimal string (the rows' key). */
  idText: string;
  startup: string;
  status: AgreementStatusName;
  creditLimit: bigint;
  revenueShareBps: number;
  capMultipleBps: number;
  partnerFirstBps: number;
  startTime: number;
  endTime: number;
  periodDuration: number;
  gracePeriod: number;
  termsHash: string;
  createdBlock: number;
  createdAt: number;
  acceptedAt: number;
  terminatedAt: number;
  creditsMinted: bigint;
  consumed: bigint;
  obligation: bigint;
  paid: bigint;
  nextDue: number;
  /** Periods 0 … nextPeriodToFinalize − 1 as settlement sees them (for nextDue). */
  finalized: FinalizedPeriod[];
  nextPeriodToFinalize: number;
  periodCount: number;
  partners: string[];
  /** PROGRAM's proposed wallet migration (null when none): until it is executed, cancelled or cleared. */
  pendingMigration: { to: string; effectiveAt: number } | null;
  updatedBlock: number;
}

interface Position {
  agreementId: bigint;
  partner: string;
  listIndex: number;
  spendLimit: bigint;
  maxGpus: number;
  pendingSpendLimit: bigint;
  pendingSpendLimitAt: number;
  pendingMaxGpus: number;
  pendingMaxGpusAt: number;
  spent: bigint;
  burnedAt: bigint;
  receivable: bigint;
  paidToPartner: bigint;
  lastUsageEnd: number;
}

/**
 * A change PROGRAM proposed that comes into force at `effectiveAt` with no further event (PROTOCOL v1.1 §3): the
 * model keeps what events put in force and the pending change; readers decide at their block's time.
 */
interface Pending<T> {
  value: T;
  effectiveAt: number;
}

interface SignerSet {
  signers: string[];
  threshold: number;
}

/** `pending` if it has come into force at `at`, else `current` (sdk/ledgerRules.ts `inForce`). */
function inForceAt<T>(current: T, pending: Pending<T> | null, at: number): T {
  return inForce(current, pending && { value: pending.value, effectiveAt: BigInt(pending.effectiveAt) }, BigInt(at));
}

interface Partner {
  address: string;
  signerSet: SignerSet;
  pendingSigners: Pending<SignerSet> | null;
  /** The payout address an event put in force (null: none set, claims go to the partner). */
  payout: string | null;
  pendingPayout: Pending<string> | null;
  payoutBps: number;
  active: boolean;
  nextSequence: number;
  registeredBlock: number;
  registeredAt: number;
}

interface Account {
  address: string;
  creditBalance: bigint;
  claimable: bigint;
  claimed: bigint;
}

interface Period {
  agreementId: bigint;
  index: number;
  state: RevenueStateName;
  version: number;
  revenue: bigint;
  evidenceHash: string;
  submittedAt: number;
  disputedBy: string | null;
  owed: bigint;
  cumulativeObligation: bigint;
  due: number;
  finalizedAt: number;
}

interface Dispute {
  batchId: string;
  agreementId: bigint;
  state: "Open" | "Resolved";
  disputedBy: string;
  reasonHash: string;
  disputedAt: number;
  refund: bigint;
  receivableRemoved: bigint;
  resolvedAt: number;
}

interface Program {
  treasury: string | null;
  paused: boolean;
  lastUnpausedAt: number;
  programClaimable: bigint;
  programClaimed: bigint;
  revenueSigners: SignerSet;
  pendingRevenueSigners: Pending<SignerSet> | null;
  agreementCount: number;
}

interface Rate {
  partner: string;
  sku: string;
  effectiveFrom: number;
  creditsPerGpuHour: bigint;
  scheduledBlock: number;
}

/** Rows to write after some logs were applied: upserts of changed state, inserts of per-log rows. */
export interface ModelChanges {
  program?: ProgramTable;
  agreements: AgreementsTable[];
  positions: PositionsTable[];
  partners: PartnersTable[];
  rates: RatesTable[];
  accounts: AccountsTable[];
  revenuePeriods: RevenuePeriodsTable[];
  usageDisputes: UsageDisputesTable[];
  usageBatches: UsageBatchesTable[];
  usageLines: UsageLinesTable[];
  payments: PaymentsTable[];
  distributions: DistributionsTable[];
  claims: ClaimsTable[];
  audits: AuditsTable[];
  blocks: BlocksTable[];
}

/** Thrown when the logs contradict the replay (a log for an unknown agreement, a negative balance). */
export class ReplayError extends Error {
  override name = "ReplayError";
}

const s = (v: bigint): string => v.toString();

/**
 * The ledger's state rebuilt from its logs. Apply logs in chain order with {@link apply}; take the rows
 * that changed since the last call with {@link takeChanges}.
 */
export class LedgerModel {
  private readonly agreements = new Map<bigint, Agreement>();
  private readonly positions = new Map<string, Position>();
  private readonly partners = new Map<string, Partner>();
  private readonly rates = new Map<string, Rate>();
  private readonly accounts = new Map<string, Account>();
  private readonly periods = new Map<string, Period>();
  private readonly disputes = new Map<string, Dispute>();
  /** batchId → partner, for usage disputes (the resolution event does not name the partner). */
  private readonly batchPartner = new Map<string, string>();
  /** (agreement, partner) pairs with accepted lines in a batch whose UsageBatchRecorded has not come yet. */
  private readonly openBatchPairs = new Map<string, Set<string>>();
  /** Rejected lines of a batch whose UsageBatchRecorded (which names the partner) has not come yet. */
  private readonly openRejected = new Map<string, UsageLinesTable[]>();
  private program: Program = {
    treasury: null,
    paused: false,
    lastUnpausedAt: 0,
    programClaimable: 0n,
    programClaimed: 0n,
    revenueSigners: { signers: [], threshold: 0 },
    pendingRevenueSigners: null,
    agreementCount: 0,
  };

  private programDirty = false;
  private readonly dirty = {
    agreements: new Set<bigint>(),
    positions: new Set<string>(),
    partners: new Set<string>(),
    rates: new Set<string>(),
    accounts: new Set<string>(),
    periods: new Set<string>(),
    disputes: new Set<string>(),
  };
  private inserts = LedgerModel.emptyInserts();

  private static emptyInserts() {
    return {
      usageBatches: [] as UsageBatchesTable[],
      usageLines: [] as UsageLinesTable[],
      payments: [] as PaymentsTable[],
      distributions: [] as DistributionsTable[],
      claims: [] as ClaimsTable[],
      audits: [] as AuditsTable[],
    };
  }

  /** Applies one decoded log (in chain order). */
  apply(log: DecodedLog): void {
    if (log.source === "credit") {
      if (log.event.eventName === "Transfer") {
        const { from, to, value } = log.event.args;
        if (from !== zeroAddress) this.addCredit(from, -value);
        if (to !== zeroAddress) this.addCredit(to, value);
      }
      return;
    }
    const at = log.timestamp;
    const e = log.event;
    switch (e.eventName) {
      case "AgreementCreated": {
        const t = e.args.terms;
        const id = e.args.id;
        const periodCount = Number((t.endTime - t.startTime) / BigInt(t.periodDuration));
        this.agreements.set(id, {
          id,
          idText: s(id),
          startup: lower(e.args.startup),
          status: "Proposed",
          creditLimit: t.creditLimit,
          revenueShareBps: t.revenueShareBps,
          capMultipleBps: t.capMultipleBps,
          partnerFirstBps: t.partnerFirstBps,
          startTime: Number(t.startTime),
          endTime: Number(t.endTime),
          periodDuration: t.periodDuration,
          gracePeriod: t.gracePeriod,
          termsHash: t.termsHash,
          createdBlock: log.blockNumber,
          createdAt: at,
          acceptedAt: 0,
          terminatedAt: 0,
          creditsMinted: 0n,
          consumed: 0n,
          obligation: 0n,
          paid: 0n,
          nextDue: 0,
          finalized: [],
          nextPeriodToFinalize: 0,
          periodCount,
          partners: [],
          pendingMigration: null,
          updatedBlock: log.blockNumber,
        });
        this.dirty.agreements.add(id);
        this.program.agreementCount += 1;
        this.programDirty = true;
        return;
      }
      case "AgreementAccepted": {
        const a = this.agreement(e.args.id, log);
        a.status = "Active";
        a.acceptedAt = at;
        a.creditsMinted = e.args.creditsMinted;
        return;
      }
      case "AgreementCancelled": {
        // a pending migration ends with the agreement (no event of its own)
        const a = this.agreement(e.args.id, log);
        a.status = "Cancelled";
        a.pendingMigration = null;
        return;
      }
      case "AgreementTerminated": {
        const a = this.agreement(e.args.id, log);
        a.status = "Terminated";
        a.terminatedAt = Number(e.args.terminatedAt);
        return;
      }
      case "CreditsExpired": {
        const a = this.agreement(e.args.id, log);
        a.status = "Expired";
        a.pendingMigration = null;
        return;
      }
      case "StartupMigrated": {
        // the startup's own migration or PROGRAM's executed one: either ends a pending proposal
        const a = this.agreement(e.args.id, log);
        a.startup = lower(e.args.to);
        a.pendingMigration = null;
        return;
      }
      case "StartupMigrationProposed":
        // a newer proposal replaces an older one
        this.agreement(e.args.id, log).pendingMigration = { to: lower(e.args.to), effectiveAt: Number(e.args.effectiveAt) };
        return;
      case "StartupMigrationCancelled":
        this.agreement(e.args.id, log).pendingMigration = null;
        return;
      case "PartnerAuthorized": {
        const a = this.agreement(e.args.id, log);
        const p = this.position(a, lower(e.args.partner), true);
        // each field on its own against the value in force at the call; a decrease's effectiveAt is the event's
        const now = BigInt(at);
        const decreaseAt = BigInt(e.args.effectiveAt);
        const spend = authorizeLimit(
          { value: p.spendLimit, pending: p.pendingSpendLimit, pendingAt: BigInt(p.pendingSpendLimitAt) },
          e.args.spendLimit,
          now,
          decreaseAt,
        );
        [p.spendLimit, p.pendingSpendLimit, p.pendingSpendLimitAt] = [spend.value, spend.pending, Number(spend.pendingAt)];
        const gpus = authorizeLimit(
          { value: BigInt(p.maxGpus), pending: BigInt(p.pendingMaxGpus), pendingAt: BigInt(p.pendingMaxGpusAt) },
          BigInt(e.args.maxGpus),
          now,
          decreaseAt,
        );
        [p.maxGpus, p.pendingMaxGpus, p.pendingMaxGpusAt] = [Number(gpus.value), Number(gpus.pending), Number(gpus.pendingAt)];
        return;
      }
      case "PartnerRegistered": {
        const address = lower(e.args.partner);
        this.partners.set(address, {
          address,
          signerSet: { signers: e.args.signers.map(lower), threshold: e.args.threshold },
          pendingSigners: null,
          payout: null,
          pendingPayout: null,
          payoutBps: e.args.payoutBps,
          active: true,
          nextSequence: 0,
          registeredBlock: log.blockNumber,
          registeredAt: at,
        });
        this.dirty.partners.add(address);
        return;
      }
      case "PartnerSignersSet": {
        // the partner's own rotation: in force at once, ends a pending one
        const p = this.partner(e.args.partner, log);
        p.signerSet = { signers: e.args.signers.map(lower), threshold: e.args.threshold };
        p.pendingSigners = null;
        return;
      }
      case "PartnerSignersProposed": {
        // PROGRAM's: a proposal already in force becomes the set in force before the newer one replaces it
        const p = this.partner(e.args.partner, log);
        p.signerSet = inForceAt(p.signerSet, p.pendingSigners, at);
        p.pendingSigners = { value: { signers: e.args.signers.map(lower), threshold: e.args.threshold }, effectiveAt: Number(e.args.effectiveAt) };
        return;
      }
      case "PayoutAddressSet": {
        const p = this.partner(e.args.partner, log);
        const effectiveAt = Number(e.args.effectiveAt);
        if (effectiveAt <= at) {
          // the partner's own (effectiveAt = block time): in force at once, ends a pending one
          p.payout = lower(e.args.payout);
          p.pendingPayout = null;
        } else {
          // PROGRAM's, after PAYOUT_NOTICE
          p.payout = inForceAt(p.payout, p.pendingPayout, at);
          p.pendingPayout = { value: lower(e.args.payout), effectiveAt };
        }
        return;
      }
      case "PartnerActiveSet":
        this.partner(e.args.partner, log).active = e.args.active;
        return;
      case "RateScheduled": {
        const partner = lower(e.args.partner);
        const key = `${partner}|${e.args.sku}|${e.args.effectiveFrom}`;
        this.rates.set(key, {
          partner,
          sku: e.args.sku,
          effectiveFrom: Number(e.args.effectiveFrom),
          creditsPerGpuHour: e.args.creditsPerGpuHour,
          scheduledBlock: log.blockNumber,
        });
        this.dirty.rates.add(key);
        return;
      }
      case "RevenueSignersSet":
        // the first set: in force at once
        this.program.revenueSigners = { signers: e.args.signers.map(lower), threshold: e.args.threshold };
        this.program.pendingRevenueSigners = null;
        this.programDirty = true;
        return;
      case "RevenueSignersProposed": {
        // every later set, after SIGNER_NOTICE; a proposal already in force becomes the set in force first
        const p = this.program;
        p.revenueSigners = inForceAt(p.revenueSigners, p.pendingRevenueSigners, at);
        p.pendingRevenueSigners = { value: { signers: e.args.signers.map(lower), threshold: e.args.threshold }, effectiveAt: Number(e.args.effectiveAt) };
        this.programDirty = true;
        return;
      }
      case "TreasurySet":
        this.program.treasury = lower(e.args.treasury);
        this.programDirty = true;
        return;
      case "Paused":
        this.program.paused = true;
        this.programDirty = true;
        return;
      case "Unpaused":
        this.program.paused = false;
        this.program.lastUnpausedAt = at;
        this.programDirty = true;
        return;
      case "UsageRecorded": {
        const a = this.agreement(e.args.agreementId, log);
        const partner = lower(e.args.partner);
        const p = this.position(a, partner, false, log);
        p.spent += e.args.credits;
        p.burnedAt += e.args.credits;
        p.receivable += e.args.receivableAdded;
        a.consumed += e.args.credits;
        const pairs = this.openBatchPairs.get(e.args.batchId) ?? new Set<string>();
        pairs.add(`${a.id}|${partner}`);
        this.openBatchPairs.set(e.args.batchId, pairs);
        // every field written out (an object spread here cost more than the rest of the event)
        this.inserts.usageLines.push({
          block_number: log.blockNumber,
          log_index: log.logIndex,
          tx_hash: log.txHash,
          timestamp: log.timestamp,
          batch_id: e.args.batchId,
          agreement_id: a.idText,
          partner,
          sku: e.args.sku,
          gpu_seconds: s(e.args.gpuSeconds),
          accepted: true,
          reason: null,
          credits: s(e.args.credits),
          receivable_added: s(e.args.receivableAdded),
        });
        return;
      }
      case "UsageLineRejected": {
        const line: UsageLinesTable = {
          block_number: log.blockNumber,
          log_index: log.logIndex,
          tx_hash: log.txHash,
          timestamp: log.timestamp,
          batch_id: e.args.batchId,
          agreement_id: s(e.args.agreementId),
          partner: "",
          sku: e.args.sku,
          gpu_seconds: "0",
          accepted: false,
          reason: USAGE_REJECTION[e.args.reason] ?? `Unknown(${e.args.reason})`,
          credits: "0",
          receivable_added: "0",
        };
        this.inserts.usageLines.push(line);
        const open = this.openRejected.get(e.args.batchId);
        if (open) open.push(line);
        else this.openRejected.set(e.args.batchId, [line]);
        return;
      }
      case "UsageBatchRecorded": {
        const partner = lower(e.args.partner);
        this.partner(partner, log).nextSequence = Number(e.args.sequence) + 1;
        this.batchPartner.set(e.args.batchId, partner);
        for (const pair of this.openBatchPairs.get(e.args.batchId) ?? []) {
          const p = this.positions.get(pair);
          if (!p) throw new ReplayError(`usage pair ${pair} vanished before its batch closed`);
          p.lastUsageEnd = Number(e.args.periodEnd);
          this.dirty.positions.add(pair);
        }
        this.openBatchPairs.delete(e.args.batchId);
        // rejected lines were emitted before the batch: they name no partner until now
        for (const line of this.openRejected.get(e.args.batchId) ?? []) line.partner = partner;
        this.openRejected.delete(e.args.batchId);
        this.inserts.usageBatches.push({
          batch_id: e.args.batchId,
          partner,
          sequence: Number(e.args.sequence),
          period_start: Number(e.args.periodStart),
          period_end: Number(e.args.periodEnd),
          records_root: e.args.recordsRoot,
          lines_accepted: Number(e.args.linesAccepted),
          lines_rejected: Number(e.args.linesRejected),
          block_number: log.blockNumber,
          log_index: log.logIndex,
          tx_hash: log.txHash,
          submitted_at: at,
        });
        return;
      }
      case "UsageDisputed": {
        const key = `${e.args.batchId}|${e.args.agreementId}`;
        this.disputes.set(key, {
          batchId: e.args.batchId,
          agreementId: e.args.agreementId,
          state: "Open",
          disputedBy: lower(e.args.by),
          reasonHash: e.args.reasonHash,
          disputedAt: at,
          refund: 0n,
          receivableRemoved: 0n,
          resolvedAt: 0,
        });
        this.dirty.disputes.add(key);
        return;
      }
      case "UsageDisputeResolved": {
        const key = `${e.args.batchId}|${e.args.agreementId}`;
        const d = this.disputes.get(key);
        if (!d) throw new ReplayError(`UsageDisputeResolved without a dispute at ${where(log)}`);
        d.state = "Resolved";
        d.refund = e.args.refund;
        d.receivableRemoved = e.args.receivableRemoved;
        d.resolvedAt = at;
        this.dirty.disputes.add(key);
        if (e.args.refund === 0n) return;
        const partner = this.batchPartner.get(e.args.batchId);
        if (!partner) throw new ReplayError(`UsageDisputeResolved for unknown batch ${e.args.batchId}`);
        const a = this.agreement(e.args.agreementId, log);
        const p = this.position(a, partner, false, log);
        p.spent -= e.args.refund;
        p.receivable -= e.args.receivableRemoved;
        a.consumed -= e.args.refund;
        if (a.status !== "Expired") a.creditsMinted += e.args.refund;
        return;
      }
      case "RevenueReported": {
        const period = this.period(e.args.agreementId, e.args.periodIndex, log);
        period.state = "Pending";
        period.version = e.args.version;
        period.revenue = e.args.revenue;
        period.evidenceHash = e.args.evidenceHash;
        period.submittedAt = at;
        period.disputedBy = null;
        return;
      }
      case "RevenueDisputed": {
        const period = this.period(e.args.agreementId, e.args.periodIndex, log);
        period.state = "Disputed";
        period.disputedBy = lower(e.args.by);
        return;
      }
      case "RevenueDisputeResolved":
        this.period(e.args.agreementId, e.args.periodIndex, log).state = e.args.upheld ? "Rejected" : "Cleared";
        return;
      case "RevenueFinalized": {
        const a = this.agreement(e.args.agreementId, log);
        const period = this.period(e.args.agreementId, e.args.periodIndex, log);
        a.obligation += e.args.owed;
        period.state = "Finalized";
        period.revenue = e.args.revenue;
        period.owed = e.args.owed;
        period.cumulativeObligation = a.obligation;
        period.due = Number(e.args.due);
        period.finalizedAt = at;
        a.finalized[e.args.periodIndex] = { cumulativeObligation: period.cumulativeObligation, due: e.args.due };
        a.nextPeriodToFinalize = e.args.periodIndex + 1;
        this.refreshNextDue(a);
        return;
      }
      case "PaymentApplied": {
        const a = this.agreement(e.args.agreementId, log);
        a.paid += e.args.amount;
        this.refreshNextDue(a);
        this.inserts.payments.push({
          ...this.logRow(log),
          agreement_id: s(a.id),
          payer: lower(e.args.payer),
          amount: s(e.args.amount),
          to_partners: s(e.args.toPartners),
          to_program: s(e.args.toProgram),
        });
        return;
      }
      case "Distributed": {
        const beneficiary = lower(e.args.beneficiary);
        if (beneficiary === zeroAddress) {
          this.program.programClaimable += e.args.amount;
          this.programDirty = true;
        } else {
          const a = this.agreement(e.args.agreementId, log);
          this.position(a, beneficiary, false, log).paidToPartner += e.args.amount;
          this.account(beneficiary).claimable += e.args.amount;
        }
        this.inserts.distributions.push({
          ...this.logRow(log),
          agreement_id: s(e.args.agreementId),
          beneficiary,
          amount: s(e.args.amount),
        });
        return;
      }
      case "Claimed": {
        const beneficiary = lower(e.args.beneficiary);
        if (beneficiary === zeroAddress) {
          this.program.programClaimable -= e.args.amount;
          this.program.programClaimed += e.args.amount;
          this.programDirty = true;
        } else {
          const account = this.account(beneficiary);
          account.claimable -= e.args.amount;
          account.claimed += e.args.amount;
          if (account.claimable < 0n) throw new ReplayError(`claimable of ${beneficiary} below 0 at ${where(log)}`);
        }
        this.inserts.claims.push({ ...this.logRow(log), beneficiary, recipient: lower(e.args.to), amount: s(e.args.amount) });
        return;
      }
      case "AuditRecorded":
        this.agreement(e.args.agreementId, log);
        this.inserts.audits.push({
          ...this.logRow(log),
          agreement_id: s(e.args.agreementId),
          auditor: lower(e.args.auditor),
          through_block: s(e.args.throughBlock),
          report_hash: e.args.reportHash,
          clean: e.args.clean,
        });
        return;
      default:
        // roles and the admin's transfer (RoleGranted, DefaultAdminTransferScheduled, …), EIP712DomainChanged: kept in
        // `blocks` only
        return;
    }
  }

  /** The rows changed since the last call, ready for the store; clears the change sets. */
  takeChanges(blocks: BlocksTable[] = []): ModelChanges {
    const changes: ModelChanges = {
      program: this.programDirty ? this.programRow() : undefined,
      agreements: [...this.dirty.agreements].map((id) => this.agreementRow(this.agreements.get(id)!)),
      positions: [...this.dirty.positions].map((k) => this.positionRow(this.positions.get(k)!)),
      partners: [...this.dirty.partners].map((k) => this.partnerRow(this.partners.get(k)!)),
      rates: [...this.dirty.rates].map((k) => rateRow(this.rates.get(k)!)),
      accounts: [...this.dirty.accounts].map((k) => accountRow(this.accounts.get(k)!)),
      revenuePeriods: [...this.dirty.periods].map((k) => periodRow(this.periods.get(k)!)),
      usageDisputes: [...this.dirty.disputes].map((k) => disputeRow(this.disputes.get(k)!)),
      ...this.inserts,
      blocks,
    };
    this.programDirty = false;
    for (const set of Object.values(this.dirty)) set.clear();
    this.inserts = LedgerModel.emptyInserts();
    return changes;
  }

  /** Every state row (after a rebuild), without the per-log rows. */
  allState(): ModelChanges {
    this.programDirty = true;
    for (const id of this.agreements.keys()) this.dirty.agreements.add(id);
    for (const k of this.positions.keys()) this.dirty.positions.add(k);
    for (const k of this.partners.keys()) this.dirty.partners.add(k);
    for (const k of this.rates.keys()) this.dirty.rates.add(k);
    for (const k of this.accounts.keys()) this.dirty.accounts.add(k);
    for (const k of this.periods.keys()) this.dirty.periods.add(k);
    for (const k of this.disputes.keys()) this.dirty.disputes.add(k);
    this.inserts = LedgerModel.emptyInserts();
    return this.takeChanges();
  }

  // ------------------------------------------------------------------ helpers

  private agreement(id: bigint, log: LogPosition): Agreement {
    const a = this.agreements.get(id);
    if (!a) throw new ReplayError(`event for unknown agreement ${id} at ${where(log)}`);
    a.updatedBlock = log.blockNumber;
    this.dirty.agreements.add(id);
    return a;
  }

  private position(a: Agreement, partner: string, create: boolean, log?: LogPosition): Position {
    const key = `${a.id}|${partner}`;
    let p = this.positions.get(key);
    if (!p) {
      if (!create) throw new ReplayError(`event for agreement ${a.id} and unauthorized partner ${partner} at ${log ? where(log) : "?"}`);
      p = {
        agreementId: a.id,
        partner,
        listIndex: a.partners.length,
        spendLimit: 0n,
        maxGpus: 0,
        pendingSpendLimit: 0n,
        pendingSpendLimitAt: 0,
        pendingMaxGpus: 0,
        pendingMaxGpusAt: 0,
        spent: 0n,
        burnedAt: 0n,
        receivable: 0n,
        paidToPartner: 0n,
        lastUsageEnd: 0,
      };
      a.partners.push(partner);
      this.positions.set(key, p);
    }
    this.dirty.positions.add(key);
    return p;
  }

  private partner(address: string, log: LogPosition): Partner {
    const key = lower(address);
    const p = this.partners.get(key);
    if (!p) throw new ReplayError(`event for unregistered partner ${address} at ${where(log)}`);
    this.dirty.partners.add(key);
    return p;
  }

  private period(agreementId: bigint, index: number, log: LogPosition): Period {
    this.agreement(agreementId, log);
    const key = `${agreementId}|${index}`;
    let p = this.periods.get(key);
    if (!p) {
      p = {
        agreementId,
        index,
        state: "None",
        version: 0,
        revenue: 0n,
        evidenceHash: "0x",
        submittedAt: 0,
        disputedBy: null,
        owed: 0n,
        cumulativeObligation: 0n,
        due: 0,
        finalizedAt: 0,
      };
      this.periods.set(key, p);
    }
    this.dirty.periods.add(key);
    return p;
  }

  private account(address: string): Account {
    const key = lower(address);
    let account = this.accounts.get(key);
    if (!account) {
      account = { address: key, creditBalance: 0n, claimable: 0n, claimed: 0n };
      this.accounts.set(key, account);
    }
    this.dirty.accounts.add(key);
    return account;
  }

  private addCredit(address: string, delta: bigint): void {
    const account = this.account(address);
    account.creditBalance += delta;
    if (account.creditBalance < 0n) throw new ReplayError(`credit balance of ${address} below 0`);
  }

  /** nextDue: the due date of the oldest finalized period that `paid` does not cover (sdk/ledgerRules.ts). */
  private refreshNextDue(a: Agreement): void {
    a.nextDue = Number(nextDue(a.finalized, a.paid));
  }

  private logRow(log: LogPosition) {
    return { block_number: log.blockNumber, log_index: log.logIndex, tx_hash: log.txHash, timestamp: log.timestamp };
  }

  private programRow(): ProgramTable {
    const p = this.program;
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
    };
  }

  private agreementRow(a: Agreement): AgreementsTable {
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
    };
  }

  private positionRow(p: Position): PositionsTable {
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

  private partnerRow(p: Partner): PartnersTable {
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
    };
  }
}

function rateRow(r: Rate): RatesTable {
  return {
    partner: r.partner,
    sku: r.sku,
    effective_from: r.effectiveFrom,
    credits_per_gpu_hour: s(r.creditsPerGpuHour),
    scheduled_block: r.scheduledBlock,
  };
}

function accountRow(a: Account): AccountsTable {
  return { address: a.address, credit_balance: s(a.creditBalance), claimable: s(a.claimable), claimed: s(a.claimed) };
}

function periodRow(p: Period): RevenuePeriodsTable {
  return {
    agreement_id: s(p.agreementId),
    period_index: p.index,
    state: p.state,
    version: p.version,
    revenue: s(p.revenue),
    evidence_hash: p.evidenceHash,
    submitted_at: p.submittedAt,
    disputed_by: p.disputedBy,
    owed: s(p.owed),
    cumulative_obligation: s(p.cumulativeObligation),
    due: p.due,
    finalized_at: p.finalizedAt,
  };
}

function disputeRow(d: Dispute): UsageDisputesTable {
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

function where(log: LogPosition): string {
  return `block ${log.blockNumber} log ${log.logIndex}`;
}


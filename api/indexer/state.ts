// The indexer's in-memory replay state (PROTOCOL §4–§8): per-agreement, per-partner and per-account records, the
// lookups the event handlers (./handlers) share, and the change sets the model turns into rows (./rows).
import { inForce, nextDue, type FinalizedPeriod } from "../../sdk/ledgerRules";
import type { AgreementStatusName, LogPosition, RevenueStateName } from "./events";
import type {
  AuditsTable,
  ClaimsTable,
  DistributionsTable,
  PaymentsTable,
  UsageBatchesTable,
  UsageLineFacts,
} from "../db/schema";

/** The model keys every address by its lower-case form. */
export const lower = (a: string): string => a.toLowerCase();

/** A uint as the rows store it (a decimal string). */
export const decimal = (v: bigint): string => v.toString();

export interface Agreement {
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
  /** The latest AuditRecorded as the row's `last_audit` JSON (api/db/schema.ts), null before the first. */
  lastAudit: string | null;
}

export interface Position {
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
export interface Pending<T> {
  value: T;
  effectiveAt: number;
}

export interface SignerSet {
  signers: string[];
  threshold: number;
}

/** `pending` if it has come into force at `at`, else `current` (sdk/ledgerRules.ts `inForce`). */
export function inForceAt<T>(current: T, pending: Pending<T> | null, at: number): T {
  return inForce(current, pending && { value: pending.value, effectiveAt: BigInt(pending.effectiveAt) }, BigInt(at));
}

export interface Partner {
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

export interface Account {
  address: string;
  creditBalance: bigint;
  claimable: bigint;
  claimed: bigint;
}

export interface Period {
  agreementId: bigint;
  index: number;
  state: RevenueStateName;
  version: number;
  revenue: bigint;
  evidenceHash: string;
  submittedAt: number;
  disputedBy: string | null;
  /** The open or last dispute's reasonHash (null: not disputed since the latest report). */
  disputeReasonHash: string | null;
  owed: bigint;
  cumulativeObligation: bigint;
  due: number;
  finalizedAt: number;
}

export interface Dispute {
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

export interface Program {
  treasury: string | null;
  paused: boolean;
  lastUnpausedAt: number;
  programClaimable: bigint;
  programClaimed: bigint;
  revenueSigners: SignerSet;
  pendingRevenueSigners: Pending<SignerSet> | null;
  agreementCount: number;
}

export interface Rate {
  partner: string;
  sku: string;
  effectiveFrom: number;
  creditsPerGpuHour: bigint;
  scheduledBlock: number;
}

/** Thrown when the logs contradict the replay (a log for an unknown agreement, a negative balance). */
export class ReplayError extends Error {
  override name = "ReplayError";
}

/** A log's place, for error messages. */
export function where(log: LogPosition): string {
  return `block ${log.blockNumber} log ${log.logIndex}`;
}

/** The per-log rows (inserted, never updated) collected since the last change set. */
export function emptyInserts() {
  return {
    usageBatches: [] as UsageBatchesTable[],
    usageLines: [] as UsageLineFacts[],
    payments: [] as PaymentsTable[],
    distributions: [] as DistributionsTable[],
    claims: [] as ClaimsTable[],
    audits: [] as AuditsTable[],
  };
}

/**
 * The ledger's state as the handlers rebuild it. The lookups (`agreement`, `position`, …) mark what they return as
 * changed, so a handler only mutates; {@link LedgerModel} turns the change sets into rows.
 */
export class LedgerState {
  readonly agreements = new Map<bigint, Agreement>();
  readonly positions = new Map<string, Position>();
  readonly partners = new Map<string, Partner>();
  readonly rates = new Map<string, Rate>();
  readonly accounts = new Map<string, Account>();
  readonly periods = new Map<string, Period>();
  readonly disputes = new Map<string, Dispute>();
  /** batchId → partner, for usage disputes (the resolution event does not name the partner). */
  readonly batchPartner = new Map<string, string>();
  /** (agreement, partner) pairs with accepted lines in a batch whose UsageBatchRecorded has not come yet. */
  readonly openBatchPairs = new Map<string, Set<string>>();
  /** Rejected lines of a batch whose UsageBatchRecorded (which names the partner) has not come yet. */
  readonly openRejected = new Map<string, UsageLineFacts[]>();
  readonly program: Program = {
    treasury: null,
    paused: false,
    lastUnpausedAt: 0,
    programClaimable: 0n,
    programClaimed: 0n,
    revenueSigners: { signers: [], threshold: 0 },
    pendingRevenueSigners: null,
    agreementCount: 0,
  };

  programDirty = false;
  readonly dirty = {
    agreements: new Set<bigint>(),
    positions: new Set<string>(),
    partners: new Set<string>(),
    rates: new Set<string>(),
    accounts: new Set<string>(),
    periods: new Set<string>(),
    disputes: new Set<string>(),
  };
  inserts = emptyInserts();

  /** The agreement `id` (marked changed at this log's block). @throws ReplayError when no event created it. */
  agreement(id: bigint, log: LogPosition): Agreement {
    const a = this.agreements.get(id);
    if (!a) throw new ReplayError(`event for unknown agreement ${id} at ${where(log)}`);
    a.updatedBlock = log.blockNumber;
    this.dirty.agreements.add(id);
    return a;
  }

  /** A partner's position in `a`, created (listed last) when `create`. @throws ReplayError when absent otherwise. */
  position(a: Agreement, partner: string, create: boolean, log?: LogPosition): Position {
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

  /** A registered partner. @throws ReplayError when no PartnerRegistered came first. */
  partner(address: string, log: LogPosition): Partner {
    const key = lower(address);
    const p = this.partners.get(key);
    if (!p) throw new ReplayError(`event for unregistered partner ${address} at ${where(log)}`);
    this.dirty.partners.add(key);
    return p;
  }

  /** A revenue period of a known agreement, created in state None on its first event. */
  period(agreementId: bigint, index: number, log: LogPosition): Period {
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
        disputeReasonHash: null,
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

  /** An account, created with zero balances on first use. */
  account(address: string): Account {
    const key = lower(address);
    let account = this.accounts.get(key);
    if (!account) {
      account = { address: key, creditBalance: 0n, claimable: 0n, claimed: 0n };
      this.accounts.set(key, account);
    }
    this.dirty.accounts.add(key);
    return account;
  }

  /** Moves an account's credit balance. @throws ReplayError when it would go below 0. */
  addCredit(address: string, delta: bigint): void {
    const account = this.account(address);
    account.creditBalance += delta;
    if (account.creditBalance < 0n) throw new ReplayError(`credit balance of ${address} below 0`);
  }

  /** nextDue: the due date of the oldest finalized period that `paid` does not cover (sdk/ledgerRules.ts). */
  refreshNextDue(a: Agreement): void {
    a.nextDue = Number(nextDue(a.finalized, a.paid));
  }

  /** The position columns every per-log row starts with. */
  logRow(log: LogPosition) {
    return { block_number: log.blockNumber, log_index: log.logIndex, tx_hash: log.txHash, timestamp: log.timestamp };
  }
}

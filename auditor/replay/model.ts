// The auditor's own model of the ledger's state (PROTOCOL §4–§8), rebuilt from events. It is written from the
// specification; the arithmetic is sdk/shareMath.ts (the TypeScript mirror), never the contracts' code.
import type { Address, Hex } from "viem";
import type { AgreementStatusName, RevenueStateName, UsageRejectionName } from "../../sdk/abis";
import type { AgreementTerms, IntegersAsBigInt } from "../../sdk/types";
import type { Location } from "../findings";

/** The ledger's constants (PROTOCOL §3), read once from the contract. */
export interface LedgerConstants {
  disputeWindow: bigint;
  rateNotice: bigint;
  authNotice: bigint;
  reportingGrace: bigint;
  signerNotice: bigint;
  migrationNotice: bigint;
  payoutNotice: bigint;
}

// The enums' names and numbering are the compiler's (sdk/abis.ts, generated); the rules over them are the auditor's own.
export type AgreementStatus = AgreementStatusName;
export type RevenueState = RevenueStateName;
export type UsageRejection = UsageRejectionName;

/** An agreement's terms (the ledger's struct, derived from its ABI) with every integer a bigint, for the replay's arithmetic. */
export type Terms = IntegersAsBigInt<AgreementTerms>;

/** One field of an authorization: the value in force and a decrease waiting for AUTH_NOTICE. */
export interface Limit {
  value: bigint;
  pending?: { value: bigint; at: bigint };
}

/** The value of `limit` in force at `t`. */
export function limitAt(limit: Limit, t: bigint): bigint {
  return limit.pending && t >= limit.pending.at ? limit.pending.value : limit.value;
}

/** A partner's standing under one agreement. */
export interface PositionModel {
  partner: Address;
  spendLimit: Limit;
  maxGpus: Limit;
  spent: bigint;
  /** Every credit ever burned there; refunds do not lower it. */
  burnedAt: bigint;
  receivable: bigint;
  paidToPartner: bigint;
  lastUsageEnd: bigint;
  refunded: bigint;
  linesAccepted: number;
  gpuSeconds: bigint;
}

export interface RevenueReportModel {
  version: bigint;
  revenue: bigint;
  evidenceHash: Hex;
  submittedAt: bigint;
  at: Location;
}

export interface PeriodModel {
  index: number;
  start: bigint;
  end: bigint;
  state: RevenueState;
  version: bigint;
  submittedAt: bigint;
  revenue: bigint;
  evidenceHash: Hex;
  reports: RevenueReportModel[];
  disputes: number;
  /** Set at finalization (recomputed by the auditor). */
  share?: bigint;
  capAtFinalization?: bigint;
  obligationBefore?: bigint;
  owed: bigint;
  cumulativeObligation: bigint;
  due: bigint;
  finalizedAt?: bigint;
  finalizedAtLocation?: Location;
  /** How many RevenueFinalized events the period saw (PROTOCOL §10.6: at most one). */
  finalizations: number;
  /** The payment that settled it (paid reached its cumulative obligation). */
  settledBy?: number;
}

export interface DistributionModel {
  beneficiary: Address | "program";
  amount: bigint;
  /** Why: what the partner was still owed (receivable − paid) before the payment; for the program, the rest. */
  owedBefore?: bigint;
}

export interface PaymentModel {
  index: number;
  at: Location;
  time: bigint;
  payer: Address;
  amount: bigint;
  outstandingBefore: bigint;
  stillOwedToPartners: bigint;
  toPartners: bigint;
  toProgram: bigint;
  parts: DistributionModel[];
  /** Periods this payment completed (FIFO, oldest first). */
  settles: number[];
}

export interface AgreementModel {
  id: bigint;
  terms: Terms;
  createdAt: Location;
  status: AgreementStatus;
  startup: Address;
  wallets: Address[];
  acceptedAt: bigint;
  terminatedAt: bigint;
  creditsMinted: bigint;
  refundsMinted: bigint;
  /** DSXC the agreement's wallet holds (minted − burned − moved out + moved in). */
  creditsHeld: bigint;
  creditsBurnedByUsage: bigint;
  creditsExpired: bigint;
  obligation: bigint;
  paid: bigint;
  nextPeriodToFinalize: number;
  periodCount: number;
  partnerList: Address[];
  positions: Map<string, PositionModel>;
  periods: PeriodModel[];
  payments: PaymentModel[];
  /** Usage disputes of the agreement, by batch id. */
  usageDisputes: Map<string, { state: "Open" | "Resolved"; refund: bigint; partner: Address; by: Address }>;
  /** PROGRAM's wallet migration proposal, until it is executed, cancelled or cleared (PROTOCOL §4). */
  pendingMigration?: { to: Address; effectiveAt: bigint; at: Location };
}

/** A k-of-n signer set. */
export interface SignerSetModel {
  signers: Address[];
  threshold: number;
}

/**
 * A signer set and PROGRAM's proposal (PROTOCOL §3): the proposal is in force from `effectiveAt` on, with no
 * further event; a later proposal or the affected party's own set replaces it.
 */
export interface QuorumModel {
  current: SignerSetModel;
  pending?: SignerSetModel & { effectiveAt: bigint };
}

/** The signer set of `q` in force at `t`. */
export function quorumAt(q: QuorumModel, t: bigint): SignerSetModel {
  return q.pending && t >= q.pending.effectiveAt ? q.pending : q.current;
}

/** At `t`, a proposal that has come into force becomes the current set (before anything replaces it). */
export function settleQuorum(q: QuorumModel, t: bigint): void {
  if (q.pending && t >= q.pending.effectiveAt) {
    q.current = { signers: q.pending.signers, threshold: q.pending.threshold };
    q.pending = undefined;
  }
}

/** Where a partner's claims go (PROTOCOL §5, §8): its own address until one is set, and PROGRAM's proposal. */
export interface PayoutModel {
  current?: Address;
  pending?: { payout: Address; effectiveAt: bigint };
}

export interface RateEntryModel {
  creditsPerGpuHour: bigint;
  effectiveFrom: bigint;
}

export interface PartnerModel {
  address: Address;
  registered: boolean;
  active: boolean;
  payoutBps: bigint;
  /** Its oracle signer sets. */
  quorum: QuorumModel;
  payout: PayoutModel;
  nextSequence: bigint;
  /** Rate schedule per sku (bytes32 hex, lower-case), in effectiveFrom order. */
  rates: Map<string, RateEntryModel[]>;
}

export interface AcceptedLineModel {
  agreementId: bigint;
  sku: Hex;
  gpuSeconds: bigint;
  credits: bigint;
}

export interface BatchLineModel {
  agreementId: bigint;
  sku: Hex;
  accepted: boolean;
  gpuSeconds?: bigint;
  credits?: bigint;
  reason?: UsageRejection;
  at: Location;
}

export interface BatchModel {
  batchId: Hex;
  partner: Address;
  sequence: bigint;
  periodStart: bigint;
  periodEnd: bigint;
  recordsRoot: Hex;
  submittedAt: bigint;
  at: Location;
  /** The partner's signer set and threshold in force when the batch was recorded (PROGRAM's proposal from its effectiveAt). */
  signers: Address[];
  threshold: number;
  lines: BatchLineModel[];
  accepted: AcceptedLineModel[];
}

/** Token movements implied by the ledger's events, per transaction: key `mint:<addr>` / `burn:<addr>` / `in` / `out:<addr>`. */
export type Movements = Map<Hex, Map<string, bigint>>;

/** The whole replayed ledger. */
export interface LedgerModel {
  constants: LedgerConstants;
  agreements: Map<bigint, AgreementModel>;
  partners: Map<string, PartnerModel>;
  batches: Map<string, BatchModel>;
  batchOrder: Hex[];
  claimable: Map<string, bigint>;
  programClaimable: bigint;
  claimed: Map<string, bigint>;
  programClaimed: bigint;
  treasury: Address | undefined;
  paused: boolean;
  lastUnpausedAt: bigint;
  roles: Map<string, Set<string>>;
  revenueSigners: QuorumModel;
  agreementCount: bigint;
  totals: { applied: bigint; distributed: bigint; claimed: bigint };
  /** Expected DSXC balance per wallet (lower-case). */
  creditBalances: Map<string, bigint>;
  creditMoves: Movements;
  settlementMoves: Movements;
  audits: { agreementId: bigint; auditor: Address; throughBlock: bigint; reportHash: Hex; clean: boolean; at: Location }[];
  /** Distinct ledger event kinds seen, with counts. */
  eventCounts: Map<string, number>;
}

export const lower = (a: string): string => a.toLowerCase();

/** The payout address of `p` in force at `t`: PROGRAM's proposal once in force, else the one set, else the partner. */
export function payoutAt(p: PartnerModel, t: bigint): Address {
  const { current, pending } = p.payout;
  if (pending && t >= pending.effectiveAt) return pending.payout;
  return current ?? p.address;
}

/** At `t`, a payout proposal that has come into force becomes the current address. */
export function settlePayout(p: PartnerModel, t: bigint): void {
  const { pending } = p.payout;
  if (pending && t >= pending.effectiveAt) p.payout = { current: pending.payout };
}
export const maxOf = (a: bigint, b: bigint): bigint => (a > b ? a : b);
export const minOf = (a: bigint, b: bigint): bigint => (a < b ? a : b);

/** effectiveEnd = min(endTime, terminatedAt) (PROTOCOL §3). */
export function effectiveEnd(a: AgreementModel): bigint {
  return a.terminatedAt !== 0n && a.terminatedAt < a.terms.endTime ? a.terminatedAt : a.terms.endTime;
}

/** R = paused ? ∞ : max(effectiveEnd, lastUnpausedAt) + REPORTING_GRACE; ∞ is returned as undefined. */
export function reportingClose(m: Pick<LedgerModel, "paused" | "lastUnpausedAt" | "constants">, a: AgreementModel): bigint | undefined {
  if (m.paused) return undefined;
  return maxOf(effectiveEnd(a), m.lastUnpausedAt) + m.constants.reportingGrace;
}

/** consumed = Σ spent over the agreement's partners. */
export function consumedOf(a: AgreementModel): bigint {
  let total = 0n;
  for (const p of a.positions.values()) total += p.spent;
  return total;
}

/** The oldest finalized period not yet settled by `paid` (FIFO), if any. */
export function oldestUnsettled(a: AgreementModel): PeriodModel | undefined {
  for (let k = 0; k < a.nextPeriodToFinalize; k++) {
    const p = a.periods[k];
    if (p.state === "Finalized" && p.cumulativeObligation > a.paid) return p;
  }
  return undefined;
}

export function addMove(moves: Movements, tx: Hex, key: string, amount: bigint): void {
  if (amount === 0n) return;
  let m = moves.get(tx);
  if (!m) moves.set(tx, (m = new Map()));
  m.set(key, (m.get(key) ?? 0n) + amount);
}

// An independent TypeScript model of the revenue-share ledger (PROTOCOL v1.1 §3–§9), written from the spec and the
// decisions the spec left open (the test brief), not from the contract's code: it keeps every figure the ledger
// shows, predicts whether each call succeeds (and with which custom error and arguments it is refused), and which
// usage lines are accepted or rejected with which reason. The arithmetic is sdk/shareMath.ts.
// v1.1: what PROGRAM changes for someone else (a startup's wallet, a partner's signer set or payout address, the
// revenue signer set after the first) is pending until `effectiveAt = now + notice`; signer sets and payout
// addresses are in force from then on with no further transaction (the model compares `now` with `effectiveAt`
// wherever it uses one), a migration needs `executeStartupMigration`. A batch's lines for one agreement are
// accepted or rejected together (§6).
// Where the spec leaves the order of checks open, the model checks in the order the contract does (role, pause,
// existence, status, caller, values; within a usage batch, line by line: empty, rate straddled, order).
// Addresses are kept lower-case; `caller` is the `from` of the transaction and `now` its block time.
import { AbiCoder } from "ethers";
import type { Hex, Address } from "viem";
import * as shareMath from "../../sdk/shareMath";
import { usageBatchId } from "../../sdk/eip712";
import type { AgreementTerms, HexAsString, IntegersAsBigInt } from "../../sdk/types";

export const MAX_UINT256 = 2n ** 256n - 1n;
/** The widest spend limit the ledger stores (its position slot keeps it in 56 bits). */
const MAX_SPEND_LIMIT = 2n ** 56n - 1n;
const MAX_UINT24 = 2n ** 24n - 1n;
const MAX_UINT40 = 2n ** 40n - 1n;
const MAX_UINT128 = 2n ** 128n - 1n;
const MAX_UINT32 = 2n ** 32n - 1n;
const ZERO = "0x0000000000000000000000000000000000000000";
const MIN_PERIOD = 86_400n;
const MAX_PERIODS = 120n;
const MAX_PARTNERS = 16;
const MAX_LINES = 256;
const MAX_SIGNERS = 16;

export enum Status { None, Proposed, Active, Terminated, Expired, Cancelled }
export enum RevState { None, Pending, Disputed, Rejected, Cleared, Finalized }
export enum Rejection { NotOpen, OutsideTerm, ReportingClosed, NoRate, Overlap, OverGpuBound, OverAuthorization, InsufficientCredits, SiblingRejected }
export enum DisputeState { None, Open, Resolved }

export interface Constants {
  disputeWindow: bigint; rateNotice: bigint; authNotice: bigint; reportingGrace: bigint;
  signerNotice: bigint; migrationNotice: bigint; payoutNotice: bigint;
}

/** The ledger's Terms struct (sdk/types.ts) with bigint integers and string addresses and hashes. */
export type Terms = HexAsString<IntegersAsBigInt<AgreementTerms>>;

export interface UsageLine { agreementId: bigint; sku: string; gpuSeconds: bigint }
export interface UsageBatch { partner: string; sequence: bigint; periodStart: bigint; periodEnd: bigint; recordsRoot: string; lines: UsageLine[] }
export interface AcceptedLine { agreementId: bigint; sku: string; gpuSeconds: bigint; credits: bigint }
export interface RevenueReport { agreementId: bigint; periodIndex: bigint; revenue: bigint; evidenceHash: string; version: bigint }

/** What the model expects of one usage line: accepted with its credits, or rejected with a reason. */
export type LineOutcome =
  | { agreementId: bigint; sku: string; gpuSeconds: bigint; accepted: true; credits: bigint; receivableAdded: bigint }
  | { agreementId: bigint; sku: string; gpuSeconds: bigint; accepted: false; reason: Rejection };

export interface ModelError { name: string; args: unknown[] }
export type Outcome<T> = { ok: true; value: T } | { ok: false; error: ModelError };

/** Thrown inside the model when the ledger would revert; turned into an Outcome by `attempt`. */
class Revert extends Error {
  constructor(readonly errorName: string, readonly args: unknown[]) {
    super(`${errorName}(${args.map(String).join(", ")})`);
  }
}

function fail(name: string, ...args: unknown[]): never {
  throw new Revert(name, args);
}

const lc = (a: string) => a.toLowerCase();
const max = (a: bigint, b: bigint) => (a > b ? a : b);
const min = (a: bigint, b: bigint) => (a < b ? a : b);

/** A field of an authorization with the decrease that waits for AUTH_NOTICE. */
interface Limit { value: bigint; pending?: { value: bigint; at: bigint } }

export interface PositionModel {
  spendLimit: Limit;
  maxGpus: Limit;
  spent: bigint;
  burnedAt: bigint;
  receivable: bigint;
  paidToPartner: bigint;
  lastUsageEnd: bigint;
}

export interface PeriodModel {
  state: RevState;
  version: bigint;
  submittedAt: bigint;
  revenue: bigint;
  evidenceHash: string;
  owed: bigint;
  cumulativeObligation: bigint;
  due: bigint;
  finalizations: number;
}

export interface AgreementModel {
  id: bigint;
  terms: Terms;
  status: Status;
  acceptedAt: bigint;
  terminatedAt: bigint;
  periodCount: bigint;
  nextPeriodToFinalize: bigint;
  consumed: bigint;
  obligation: bigint;
  paid: bigint;
  refundsMinted: bigint;
  partnerList: string[];
  positions: Map<string, PositionModel>;
  periods: PeriodModel[];
}

export interface BatchModel {
  id: string;
  partner: string;
  sequence: bigint;
  periodStart: bigint;
  periodEnd: bigint;
  submittedAt: bigint;
  accepted: AcceptedLine[];
}

/** A k-of-n signer set (addresses lower-case, in the order they were given). */
export interface SignerSet { signers: string[]; threshold: number }
/** A change PROGRAM proposed: in force from `at` on, with no further transaction. */
export interface Pending<T> { value: T; at: bigint }

export interface PartnerModel {
  payoutBps: bigint;
  active: boolean;
  nextSequence: bigint;
  /** The set in force before `pendingSigners` (which rules once its time has come). */
  signers: SignerSet;
  pendingSigners?: Pending<SignerSet>;
  /** The payout address before `pendingPayout`; undefined: the partner itself. */
  payout?: string;
  pendingPayout?: Pending<string>;
}

/** PROGRAM's proposal to move an agreement to `to`, executable by anyone from `at`. */
export interface MigrationModel { to: string; at: bigint }
export interface RateEntry { creditsPerGpuHour: bigint; effectiveFrom: bigint }

export interface ModelConfig {
  now: bigint;
  ledger: string;
  treasury: string;
  constants: Constants;
  roles: { program: { hash: string; holders: string[] }; auditor: { hash: string; holders: string[] }; pauser: { hash: string; holders: string[] } };
  partners: { address: string; payoutBps: bigint; signers: string[]; threshold: number }[];
  /** The revenue signer set already set at deployment; null when none is (the first `setRevenueSigners` then
   * takes effect at once). */
  revenueSigners: SignerSet | null;
  rates: { partner: string; sku: string; creditsPerGpuHour: bigint; effectiveFrom: bigint }[];
  /** Settlement-token balances and allowances to the ledger of the accounts that pay or are paid. */
  usdcBalances: Record<string, bigint>;
  usdcAllowances: Record<string, bigint>;
}

/** The views of PROTOCOL §12 as the model computes them (same field names as the contract's structs). */
export interface AgreementViewModel {
  startup: string; creditLimit: bigint; revenueShareBps: bigint; capMultipleBps: bigint; partnerFirstBps: bigint;
  startTime: bigint; endTime: bigint; periodDuration: bigint; gracePeriod: bigint; termsHash: string;
  status: bigint; acceptedAt: bigint; terminatedAt: bigint; creditsMinted: bigint; consumed: bigint; cap: bigint;
  obligation: bigint; paid: bigint; outstanding: bigint; delinquent: boolean; nextDue: bigint;
  nextPeriodToFinalize: bigint; periodCount: bigint; partnerCount: bigint;
}

export interface PartnerPositionViewModel {
  spendLimit: bigint; maxGpus: bigint; pendingSpendLimit: bigint; pendingSpendLimitAt: bigint; pendingMaxGpus: bigint;
  pendingMaxGpusAt: bigint; spent: bigint; burnedAt: bigint; receivable: bigint; paidToPartner: bigint; lastUsageEnd: bigint;
}

export interface RevenuePeriodViewModel {
  revenue: bigint; evidenceHash: string; version: bigint; state: bigint; submittedAt: bigint; periodStart: bigint;
  periodEnd: bigint; owed: bigint; cumulativeObligation: bigint; due: bigint;
}

export interface PartnerViewModel {
  signers: string[]; threshold: number; payoutBps: bigint; active: boolean; registered: boolean; nextSequence: bigint;
  payout: string; pendingSigners: string[]; pendingThreshold: number; pendingSignersAt: bigint; pendingPayout: string;
  pendingPayoutAt: bigint;
}

export interface SignerSetViewModel {
  signers: string[]; threshold: number; pendingSigners: string[]; pendingThreshold: number; pendingAt: bigint;
}

const ACCEPTED_LINES = "tuple(uint256 agreementId, bytes32 sku, uint64 gpuSeconds, uint256 credits)[]";

export class LedgerModel {
  now: bigint;
  readonly constants: Constants;
  readonly ledger: string;
  treasury: string;
  paused = false;
  lastUnpausedAt = 0n;
  agreementCount = 0n;
  readonly agreements = new Map<bigint, AgreementModel>();
  readonly openAgreementOf = new Map<string, bigint>();
  readonly partners = new Map<string, PartnerModel>();
  /** The revenue signer set before `pendingRevenueSigners` (threshold 0: none set yet). */
  revenueSigners: SignerSet;
  pendingRevenueSigners?: Pending<SignerSet>;
  readonly pendingMigrations = new Map<bigint, MigrationModel>();
  readonly rates = new Map<string, RateEntry[]>();
  readonly batches = new Map<string, BatchModel>();
  readonly batchOrder: string[] = [];
  readonly usageDisputes = new Map<string, { batchId: string; agreementId: bigint; state: DisputeState; refund: bigint }>();
  // credits (DSXC)
  readonly dsxc = new Map<string, bigint>();
  dsxcMinted = 0n;
  dsxcBurned = 0n;
  // settlement
  readonly claimable = new Map<string, bigint>();
  programClaimable = 0n;
  appliedTotal = 0n;
  distributedTotal = 0n;
  claimedTotal = 0n;
  readonly usdc = new Map<string, bigint>();
  readonly usdcAllowance = new Map<string, bigint>();
  private readonly roles: ModelConfig["roles"];

  constructor(config: ModelConfig) {
    this.now = config.now;
    this.constants = config.constants;
    this.ledger = lc(config.ledger);
    this.treasury = lc(config.treasury);
    this.roles = {
      program: { hash: config.roles.program.hash, holders: config.roles.program.holders.map(lc) },
      auditor: { hash: config.roles.auditor.hash, holders: config.roles.auditor.holders.map(lc) },
      pauser: { hash: config.roles.pauser.hash, holders: config.roles.pauser.holders.map(lc) },
    };
    for (const p of config.partners) {
      this.partners.set(lc(p.address), {
        payoutBps: p.payoutBps, active: true, nextSequence: 0n, signers: { signers: p.signers.map(lc), threshold: p.threshold },
      });
    }
    const rev = config.revenueSigners;
    this.revenueSigners = rev ? { signers: rev.signers.map(lc), threshold: rev.threshold } : { signers: [], threshold: 0 };
    for (const r of config.rates) {
      const key = rateKey(r.partner, r.sku);
      const list = this.rates.get(key) ?? [];
      list.push({ creditsPerGpuHour: r.creditsPerGpuHour, effectiveFrom: r.effectiveFrom });
      this.rates.set(key, list);
    }
    for (const [a, v] of Object.entries(config.usdcBalances)) this.usdc.set(lc(a), v);
    for (const [a, v] of Object.entries(config.usdcAllowances)) this.usdcAllowance.set(lc(a), v);
  }

  // ------------------------------------------------------------------------------------------ helpers

  private attempt<T>(fn: () => T): Outcome<T> {
    try {
      return { ok: true, value: fn() };
    } catch (e) {
      if (e instanceof Revert) return { ok: false, error: { name: e.errorName, args: e.args } };
      throw e;
    }
  }

  private requireRole(caller: string, role: "program" | "auditor" | "pauser"): void {
    if (!this.roles[role].holders.includes(lc(caller))) fail("AccessControlUnauthorizedAccount", caller, this.roles[role].hash);
  }

  private hasRole(caller: string, role: "program" | "auditor" | "pauser"): boolean {
    return this.roles[role].holders.includes(lc(caller));
  }

  private existing(id: bigint): AgreementModel {
    const a = this.agreements.get(id);
    if (!a) fail("AgreementNotFound", id);
    return a;
  }

  balanceOf(wallet: string): bigint {
    return this.dsxc.get(lc(wallet)) ?? 0n;
  }

  get totalSupply(): bigint {
    let total = 0n;
    for (const v of this.dsxc.values()) total += v;
    return total;
  }

  private mint(wallet: string, amount: bigint): void {
    if (amount === 0n) return;
    this.dsxc.set(lc(wallet), this.balanceOf(wallet) + amount);
    this.dsxcMinted += amount;
  }

  private burn(wallet: string, amount: bigint): void {
    if (amount === 0n) return;
    const balance = this.balanceOf(wallet);
    if (balance < amount) throw new Error(`model: burning ${amount} from ${wallet} holding ${balance}`);
    this.dsxc.set(lc(wallet), balance - amount);
    this.dsxcBurned += amount;
  }

  usdcBalance(account: string): bigint {
    return this.usdc.get(lc(account)) ?? 0n;
  }

  claimableOf(account: string): bigint {
    return this.claimable.get(lc(account)) ?? 0n;
  }

  private static isOpen(status: Status): boolean {
    return status === Status.Proposed || status === Status.Active || status === Status.Terminated;
  }

  private checkWalletFree(wallet: string): void {
    const open = this.openAgreementOf.get(lc(wallet));
    if (open !== undefined) fail("WalletHasOpenAgreement", wallet, open);
    const balance = this.balanceOf(wallet);
    if (balance !== 0n) fail("WalletHoldsCredits", wallet, balance);
  }

  /** min(endTime, terminatedAt) once terminated. */
  effectiveEnd(a: AgreementModel): bigint {
    return a.terminatedAt !== 0n && a.terminatedAt < a.terms.endTime ? a.terminatedAt : a.terms.endTime;
  }

  /** R = paused ? ∞ : max(effectiveEnd, lastUnpausedAt) + REPORTING_GRACE (PROTOCOL §3). */
  reportingClose(a: AgreementModel): bigint {
    if (this.paused) return MAX_UINT256;
    return max(this.effectiveEnd(a), this.lastUnpausedAt) + this.constants.reportingGrace;
  }

  periodEnd(a: AgreementModel, k: bigint): bigint {
    return a.terms.startTime + (k + 1n) * a.terms.periodDuration;
  }

  cap(a: AgreementModel): bigint {
    return shareMath.cap(a.consumed, a.terms.capMultipleBps);
  }

  private static inForce(limit: Limit, now: bigint): bigint {
    return limit.pending && now >= limit.pending.at ? limit.pending.value : limit.value;
  }

  /** What rules at `at`: the pending value once its time has come (PROTOCOL §3), else the one before it. */
  private static ruling<T>(before: T, pending: Pending<T> | undefined, at: bigint): T {
    return pending && at >= pending.at ? pending.value : before;
  }

  /** A pending change only while its time has not come (the views show nothing once it is in force). */
  private static stillPending<T>(pending: Pending<T> | undefined, at: bigint): Pending<T> | undefined {
    return pending && pending.at > at ? pending : undefined;
  }

  /** The partner's signer set in force at `at` (default: now); undefined for an unregistered partner. */
  partnerSignersAt(partner: string, at: bigint = this.now): SignerSet | undefined {
    const p = this.partners.get(lc(partner));
    return p && LedgerModel.ruling(p.signers, p.pendingSigners, at);
  }

  /** The latest signer set proposed for or set by the partner (pending or not). */
  partnerSignersLatest(partner: string): SignerSet | undefined {
    const p = this.partners.get(lc(partner));
    return p && (p.pendingSigners?.value ?? p.signers);
  }

  /** The revenue signer set in force at `at` (threshold 0: none). */
  revenueSignersAt(at: bigint = this.now): SignerSet {
    return LedgerModel.ruling(this.revenueSigners, this.pendingRevenueSigners, at);
  }

  revenueSignersLatest(): SignerSet {
    return this.pendingRevenueSigners?.value ?? this.revenueSigners;
  }

  /** Where `beneficiary`'s claims are paid now: a partner's payout address in force, else the beneficiary. */
  payoutOf(beneficiary: string): string {
    const p = this.partners.get(lc(beneficiary));
    if (!p) return lc(beneficiary);
    return LedgerModel.ruling(p.payout ?? lc(beneficiary), p.pendingPayout, this.now);
  }

  /** 1 <= threshold <= n <= 16, no zero address, no duplicate (checked in the order given). */
  private static checkSignerSet(signers: string[], threshold: number): SignerSet {
    const n = signers.length;
    if (threshold === 0 || threshold > n || n > MAX_SIGNERS) fail("InvalidSignerSet", n, threshold);
    const seen = new Set<string>();
    for (const signer of signers) {
      if (lc(signer) === ZERO) fail("ZeroAddress");
      if (seen.has(lc(signer))) fail("DuplicateSigner", signer);
      seen.add(lc(signer));
    }
    return { signers: signers.map(lc), threshold };
  }

  position(a: AgreementModel, partner: string): PositionModel {
    return a.positions.get(lc(partner)) ?? emptyPosition();
  }

  private positionFor(a: AgreementModel, partner: string): PositionModel {
    let p = a.positions.get(lc(partner));
    if (!p) {
      p = emptyPosition();
      a.positions.set(lc(partner), p);
    }
    return p;
  }

  private verifyQuorum(set: SignerSet, signers: string[]): void {
    const count = signers.length;
    if (count > MAX_SIGNERS) fail("TooManySignatures", count);
    if (count < set.threshold || set.threshold === 0) fail("BelowThreshold", count, set.threshold);
    let previous = 0n;
    let previousAddress = ZERO;
    for (const signer of signers) {
      if (BigInt(signer) <= previous) fail("SignersNotAscending", previousAddress, signer);
      if (!set.signers.includes(lc(signer))) fail("UnknownSigner", signer);
      previous = BigInt(signer);
      previousAddress = signer;
    }
  }

  /** The rate in force at `start`, or a straddle error when a scheduled rate starts inside (start, end). */
  private rateFor(partner: string, sku: string, start: bigint, end: bigint): bigint {
    const entries = this.rates.get(rateKey(partner, sku)) ?? [];
    const inside = entries.find((e) => e.effectiveFrom > start && e.effectiveFrom < end);
    if (inside) fail("UsageRateStraddled", sku, inside.effectiveFrom);
    let rate = 0n;
    for (const e of entries) if (e.effectiveFrom <= start) rate = e.creditsPerGpuHour;
    return rate;
  }

  /** Whether an accepted agreement's last period has been finalized. */
  private lastPeriodFinalized(a: AgreementModel): boolean {
    return a.periods[a.periods.length - 1].state === RevState.Finalized;
  }

  // ------------------------------------------------------------------------------------------ agreements

  createAgreement(caller: string, terms: Terms): Outcome<{ id: bigint }> {
    return this.attempt(() => {
      this.requireRole(caller, "program");
      if (this.paused) fail("LedgerPaused");
      if (lc(terms.startup) === ZERO) fail("ZeroAddress");
      if (terms.creditLimit === 0n || terms.creditLimit > 2n ** 64n - 1n) fail("InvalidTerms", "creditLimit");
      if (terms.revenueShareBps === 0n || terms.revenueShareBps > 10_000n) fail("BpsOutOfRange", terms.revenueShareBps, 1n, 10_000n);
      if (terms.capMultipleBps < 10_000n) fail("BpsOutOfRange", terms.capMultipleBps, 10_000n, MAX_UINT32);
      if (terms.partnerFirstBps > 10_000n) fail("BpsOutOfRange", terms.partnerFirstBps, 0n, 10_000n);
      if (terms.periodDuration < MIN_PERIOD) fail("InvalidTerms", "periodDuration");
      if (terms.endTime <= terms.startTime || terms.endTime > MAX_UINT40) fail("InvalidTerms", "endTime");
      const span = terms.endTime - terms.startTime;
      if (span % terms.periodDuration !== 0n || span / terms.periodDuration > MAX_PERIODS) fail("InvalidTerms", "endTime");
      this.checkWalletFree(terms.startup);

      const id = ++this.agreementCount;
      const periodCount = span / terms.periodDuration;
      this.agreements.set(id, {
        id, terms: { ...terms, startup: lc(terms.startup) }, status: Status.Proposed, acceptedAt: 0n, terminatedAt: 0n,
        periodCount, nextPeriodToFinalize: 0n, consumed: 0n, obligation: 0n, paid: 0n, refundsMinted: 0n,
        partnerList: [], positions: new Map(),
        periods: Array.from({ length: Number(periodCount) }, () => emptyPeriod()),
      });
      this.openAgreementOf.set(lc(terms.startup), id);
      return { id };
    });
  }

  acceptAgreement(caller: string, id: bigint): Outcome<{ minted: bigint }> {
    return this.attempt(() => {
      if (this.paused) fail("LedgerPaused");
      const a = this.existing(id);
      if (a.status !== Status.Proposed) fail("AgreementWrongStatus", id, a.status);
      if (lc(caller) !== a.terms.startup) fail("NotStartup", id, caller);
      if (this.now >= a.terms.endTime) fail("AcceptanceClosed", id, a.terms.endTime);
      const balance = this.balanceOf(caller);
      if (balance !== 0n) fail("WalletHoldsCredits", caller, balance);
      a.status = Status.Active;
      a.acceptedAt = this.now;
      this.mint(a.terms.startup, a.terms.creditLimit);
      return { minted: a.terms.creditLimit };
    });
  }

  cancelAgreement(caller: string, id: bigint): Outcome<void> {
    return this.attempt(() => {
      this.requireRole(caller, "program");
      const a = this.existing(id);
      if (a.status !== Status.Proposed) fail("AgreementWrongStatus", id, a.status);
      a.status = Status.Cancelled;
      this.openAgreementOf.delete(a.terms.startup);
      this.pendingMigrations.delete(id); // a pending proposal ends with the agreement
    });
  }

  terminateAgreement(caller: string, id: bigint): Outcome<{ terminatedAt: bigint }> {
    return this.attempt(() => {
      this.requireRole(caller, "program");
      const a = this.existing(id);
      if (a.status !== Status.Active) fail("AgreementWrongStatus", id, a.status);
      a.status = Status.Terminated;
      a.terminatedAt = this.now;
      return { terminatedAt: this.now };
    });
  }

  expireCredits(_caller: string, id: bigint): Outcome<{ burned: bigint }> {
    return this.attempt(() => {
      const a = this.existing(id);
      if (a.status !== Status.Active && a.status !== Status.Terminated) fail("AgreementWrongStatus", id, a.status);
      const close = this.reportingClose(a);
      if (this.now < close) fail("ReportingStillOpen", id, close);
      a.status = Status.Expired;
      this.openAgreementOf.delete(a.terms.startup);
      this.pendingMigrations.delete(id);
      const burned = this.balanceOf(a.terms.startup);
      this.burn(a.terms.startup, burned);
      return { burned };
    });
  }

  /**
   * Sent by the agreement's startup wallet: migrates at once. Sent by PROGRAM: only proposes (executable from
   * now + MIGRATION_NOTICE; a newer proposal replaces an older one). Anyone else is refused, before the target
   * checks (the contract's order).
   */
  migrateStartup(caller: string, id: bigint, newWallet: string): Outcome<
    { migrated: true; from: string; moved: bigint } | { migrated: false; from: string; effectiveAt: bigint }
  > {
    return this.attempt(() => {
      const a = this.existing(id);
      const from = a.terms.startup;
      if (lc(caller) !== from && !this.hasRole(caller, "program")) fail("NotStartupOrProgram", id, caller);
      if (!LedgerModel.isOpen(a.status)) fail("AgreementWrongStatus", id, a.status);
      if (lc(newWallet) === ZERO) fail("ZeroAddress");
      this.checkWalletFree(newWallet);
      if (lc(caller) === from) return { migrated: true as const, from, moved: this.migrate(a, newWallet) };
      const effectiveAt = this.now + this.constants.migrationNotice;
      this.pendingMigrations.set(id, { to: lc(newWallet), at: effectiveAt });
      return { migrated: false as const, from, effectiveAt };
    });
  }

  /** The startup wallet or PROGRAM withdraws PROGRAM's proposal while its notice runs. */
  cancelStartupMigration(caller: string, id: bigint): Outcome<void> {
    return this.attempt(() => {
      const a = this.existing(id);
      if (lc(caller) !== a.terms.startup && !this.hasRole(caller, "program")) fail("NotStartupOrProgram", id, caller);
      const pending = this.pendingMigrations.get(id);
      if (!pending) fail("NoPendingMigration", id);
      if (this.now >= pending.at) fail("MigrationAlreadyEffective", id, pending.at);
      this.pendingMigrations.delete(id);
    });
  }

  /** Anyone carries out PROGRAM's proposal once its notice has passed; the target is checked again. */
  executeStartupMigration(_caller: string, id: bigint): Outcome<{ from: string; to: string; moved: bigint }> {
    return this.attempt(() => {
      const a = this.existing(id);
      const pending = this.pendingMigrations.get(id);
      if (!pending) fail("NoPendingMigration", id);
      if (this.now < pending.at) fail("MigrationNotYetEffective", id, pending.at);
      if (!LedgerModel.isOpen(a.status)) fail("AgreementWrongStatus", id, a.status);
      this.checkWalletFree(pending.to);
      const from = a.terms.startup;
      return { from, to: pending.to, moved: this.migrate(a, pending.to) };
    });
  }

  /** Moves the agreement and its credits to `to`; a pending proposal ends with any migration. */
  private migrate(a: AgreementModel, to: string): bigint {
    const from = a.terms.startup;
    const moved = this.balanceOf(from);
    this.burn(from, moved);
    this.mint(to, moved);
    this.openAgreementOf.delete(from);
    this.openAgreementOf.set(lc(to), a.id);
    a.terms.startup = lc(to);
    this.pendingMigrations.delete(a.id);
    return moved;
  }

  authorizePartner(caller: string, id: bigint, partner: string, spendLimit: bigint, maxGpus: bigint): Outcome<{ effectiveAt: bigint }> {
    return this.attempt(() => {
      const a = this.existing(id);
      if (!LedgerModel.isOpen(a.status)) fail("AgreementWrongStatus", id, a.status);
      if (lc(caller) !== a.terms.startup) fail("NotStartup", id, caller);
      if (!this.partners.has(lc(partner))) fail("PartnerNotRegistered", partner);
      if (spendLimit > MAX_SPEND_LIMIT) fail("ValueTooLarge", spendLimit, MAX_SPEND_LIMIT);
      if (maxGpus > MAX_UINT24) fail("ValueTooLarge", maxGpus, MAX_UINT24);
      const spent = this.position(a, partner).spent;
      if (spendLimit < spent) fail("SpendLimitBelowSpent", id, partner, spendLimit, spent);
      if (!a.partnerList.includes(lc(partner)) && a.partnerList.length >= MAX_PARTNERS) fail("TooManyPartners", id);

      if (!a.partnerList.includes(lc(partner))) a.partnerList.push(lc(partner));
      const p = this.positionFor(a, partner);
      const decreaseAt = this.now + this.constants.authNotice;
      let effectiveAt = this.now;
      // each field on its own: an increase (or the same value) applies at once and drops a pending decrease;
      // a decrease waits AUTH_NOTICE while the value in force keeps ruling
      const update = (limit: Limit, wanted: bigint): Limit => {
        const current = LedgerModel.inForce(limit, this.now);
        if (wanted >= current) return { value: wanted };
        effectiveAt = decreaseAt;
        return { value: current, pending: { value: wanted, at: decreaseAt } };
      };
      p.spendLimit = update(p.spendLimit, spendLimit);
      p.maxGpus = update(p.maxGpus, maxGpus);
      return { effectiveAt };
    });
  }

  setPartnerActive(caller: string, partner: string, active: boolean): Outcome<void> {
    return this.attempt(() => {
      this.requireRole(caller, "program");
      const p = this.partners.get(lc(partner));
      if (!p) fail("PartnerNotRegistered", partner);
      p.active = active;
    });
  }

  /**
   * Sent by the partner: in force at once and drops a pending set. Sent by PROGRAM: pending for SIGNER_NOTICE (a
   * proposal already in force becomes the set in force first). Anyone else is refused.
   */
  setPartnerSigners(caller: string, partner: string, signers: string[], threshold: number): Outcome<{ effectiveAt: bigint; atOnce: boolean }> {
    return this.attempt(() => {
      const byPartner = lc(caller) === lc(partner);
      if (!byPartner && !this.hasRole(caller, "program")) fail("NotPartnerOrProgram", partner, caller);
      const p = this.partners.get(lc(partner));
      if (!p) fail("PartnerNotRegistered", partner);
      const set = LedgerModel.checkSignerSet(signers, threshold);
      p.signers = LedgerModel.ruling(p.signers, p.pendingSigners, this.now);
      p.pendingSigners = undefined;
      if (byPartner) {
        p.signers = set;
        return { effectiveAt: this.now, atOnce: true };
      }
      const effectiveAt = this.now + this.constants.signerNotice;
      p.pendingSigners = { value: set, at: effectiveAt };
      return { effectiveAt, atOnce: false };
    });
  }

  /** Sent by the partner: at once (drops a pending address). Sent by PROGRAM: pending for PAYOUT_NOTICE. */
  setPayoutAddress(caller: string, partner: string, payout: string): Outcome<{ effectiveAt: bigint }> {
    return this.attempt(() => {
      const byPartner = lc(caller) === lc(partner);
      if (!byPartner && !this.hasRole(caller, "program")) fail("NotPartnerOrProgram", partner, caller);
      const p = this.partners.get(lc(partner));
      if (!p) fail("PartnerNotRegistered", partner);
      if (lc(payout) === ZERO) fail("ZeroAddress");
      p.payout = LedgerModel.ruling(p.payout, p.pendingPayout, this.now);
      p.pendingPayout = undefined;
      if (byPartner) {
        p.payout = lc(payout);
        return { effectiveAt: this.now };
      }
      const effectiveAt = this.now + this.constants.payoutNotice;
      p.pendingPayout = { value: lc(payout), at: effectiveAt };
      return { effectiveAt };
    });
  }

  /** PROGRAM: the first revenue signer set is in force at once, every later one pending for SIGNER_NOTICE. */
  setRevenueSigners(caller: string, signers: string[], threshold: number): Outcome<{ effectiveAt: bigint; atOnce: boolean }> {
    return this.attempt(() => {
      this.requireRole(caller, "program");
      const set = LedgerModel.checkSignerSet(signers, threshold);
      this.revenueSigners = this.revenueSignersAt(this.now);
      this.pendingRevenueSigners = undefined;
      if (this.revenueSigners.threshold === 0) {
        this.revenueSigners = set;
        return { effectiveAt: this.now, atOnce: true };
      }
      const effectiveAt = this.now + this.constants.signerNotice;
      this.pendingRevenueSigners = { value: set, at: effectiveAt };
      return { effectiveAt, atOnce: false };
    });
  }

  /** DSXC `approve` (and `permit`, with `owner`): refused, an allowance could never be spent (§9). */
  approveCredits(owner: string, spender: string): Outcome<void> {
    return this.attempt(() => fail("ApprovalRestricted", owner, spender));
  }

  pause(caller: string): Outcome<void> {
    return this.attempt(() => {
      this.requireRole(caller, "pauser");
      if (this.paused) fail("PauseStateUnchanged", true);
      this.paused = true;
    });
  }

  unpause(caller: string): Outcome<void> {
    return this.attempt(() => {
      this.requireRole(caller, "pauser");
      if (!this.paused) fail("PauseStateUnchanged", false);
      this.paused = false;
      this.lastUnpausedAt = this.now;
    });
  }

  // ------------------------------------------------------------------------------------------ usage (§6)

  /**
   * `signers` are the recovered signers of the signatures, in the order given. Returns the batch id and, line by
   * line, whether it was accepted (with its credits) or rejected (with its reason).
   */
  submitUsage(batch: UsageBatch, signers: string[]): Outcome<{ batchId: string; lines: LineOutcome[]; accepted: AcceptedLine[] }> {
    return this.attempt(() => {
      if (this.paused) fail("LedgerPaused");
      const partnerAddress = lc(batch.partner);
      const partner = this.partners.get(partnerAddress);
      if (!partner) fail("PartnerNotRegistered", batch.partner);
      if (!partner.active) fail("PartnerInactive", batch.partner);
      if (batch.sequence !== partner.nextSequence) fail("UsageSequenceMismatch", batch.partner, partner.nextSequence, batch.sequence);
      if (batch.lines.length === 0 || batch.lines.length > MAX_LINES) fail("UsageLineCount", batch.lines.length);
      if (batch.periodStart >= batch.periodEnd || batch.periodEnd > this.now) fail("UsageWindowInvalid", batch.periodStart, batch.periodEnd);
      // signatures count against the set in force at submission (a set PROGRAM proposed rules from its effectiveAt)
      this.verifyQuorum(this.partnerSignersAt(partnerAddress)!, signers);

      // refusals of the whole batch found line by line, in line order; within a line in the contract's order
      // (docs/ledger.md): agreement ids out of order, empty, skus out of order within the agreement, rate straddled
      const rates: bigint[] = [];
      batch.lines.forEach((line, i) => {
        const prev = i > 0 ? batch.lines[i - 1] : undefined;
        if (prev && line.agreementId < prev.agreementId) fail("UsageLinesNotAscending", i);
        if (line.gpuSeconds === 0n) fail("UsageLineEmpty", i);
        if (prev && line.agreementId === prev.agreementId && BigInt(line.sku) <= BigInt(prev.sku)) fail("UsageLinesNotAscending", i);
        rates.push(this.rateFor(partnerAddress, line.sku, batch.periodStart, batch.periodEnd));
      });

      // the batch is recorded; its lines for one agreement (contiguous, as lines ascend) are one group, accepted or
      // rejected together (PROTOCOL §6)
      const batchId = usageBatchId(batch.partner as Address, batch.sequence, batch.periodStart, batch.periodEnd, batch.recordsRoot as Hex);
      partner.nextSequence += 1n;
      const outcomes: LineOutcome[] = [];
      const accepted: AcceptedLine[] = [];
      for (let first = 0; first < batch.lines.length;) {
        let end = first;
        while (end < batch.lines.length && batch.lines[end].agreementId === batch.lines[first].agreementId) end++;
        const group = batch.lines.slice(first, end).map((line, k) => ({ line, rate: rates[first + k] }));
        for (const o of this.usageGroup(batch, partnerAddress, partner.payoutBps, group)) {
          outcomes.push(o);
          if (o.accepted) accepted.push({ agreementId: o.agreementId, sku: o.sku, gpuSeconds: o.gpuSeconds, credits: o.credits });
        }
        first = end;
      }
      this.batches.set(batchId, {
        id: batchId, partner: partnerAddress, sequence: batch.sequence, periodStart: batch.periodStart,
        periodEnd: batch.periodEnd, submittedAt: this.now, accepted,
      });
      this.batchOrder.push(batchId);
      return { batchId, lines: outcomes, accepted };
    });
  }

  /**
   * One agreement's lines of a batch. Agreement-wide reasons (NotOpen, OutsideTerm, ReportingClosed) reject every
   * line with that reason; otherwise the line checks run line by line with the group's earlier lines counted, and
   * the first failing line carries its reason, all the others SiblingRejected. A rejected group books nothing.
   */
  private usageGroup(
    batch: UsageBatch, partner: string, payoutBps: bigint, group: { line: UsageLine; rate: bigint }[],
  ): LineOutcome[] {
    const base = (l: UsageLine) => ({ agreementId: l.agreementId, sku: l.sku, gpuSeconds: l.gpuSeconds });
    const rejectAll = (reason: (k: number) => Rejection): LineOutcome[] =>
      group.map(({ line }, k) => ({ ...base(line), accepted: false as const, reason: reason(k) }));
    const a = this.agreements.get(group[0].line.agreementId);
    if (!a || (a.status !== Status.Active && a.status !== Status.Terminated)) return rejectAll(() => Rejection.NotOpen);
    if (batch.periodStart < a.terms.startTime || batch.periodEnd > this.effectiveEnd(a)) return rejectAll(() => Rejection.OutsideTerm);
    if (this.now >= this.reportingClose(a) || this.lastPeriodFinalized(a)) return rejectAll(() => Rejection.ReportingClosed);

    const p = this.position(a, partner);
    const gpuBound = LedgerModel.inForce(p.maxGpus, this.now) * (batch.periodEnd - batch.periodStart);
    const spendLimit = LedgerModel.inForce(p.spendLimit, this.now);
    const balance = this.balanceOf(a.terms.startup);
    let gpuSeconds = 0n;
    let credits = 0n;
    const priced: bigint[] = [];
    for (let k = 0; k < group.length; k++) {
      const { line, rate } = group[k];
      const lineCredits = shareMath.credits(line.gpuSeconds, rate);
      let reason: Rejection | undefined;
      if (rate === 0n) reason = Rejection.NoRate;
      else if (batch.periodStart < p.lastUsageEnd) reason = Rejection.Overlap;
      else if (gpuSeconds + line.gpuSeconds > gpuBound) reason = Rejection.OverGpuBound;
      else if (p.spent + credits + lineCredits > spendLimit) reason = Rejection.OverAuthorization;
      else if (credits + lineCredits > balance) reason = Rejection.InsufficientCredits;
      if (reason !== undefined) {
        const failing = reason;
        return rejectAll((j) => (j === k ? failing : Rejection.SiblingRejected));
      }
      gpuSeconds += line.gpuSeconds;
      credits += lineCredits;
      priced.push(lineCredits);
    }

    const position = this.positionFor(a, partner);
    return group.map(({ line }, k) => {
      const lineCredits = priced[k];
      const receivableAdded = shareMath.applyBps(lineCredits, payoutBps);
      this.burn(a.terms.startup, lineCredits);
      position.spent += lineCredits;
      position.burnedAt += lineCredits;
      position.receivable += receivableAdded;
      position.lastUsageEnd = batch.periodEnd;
      a.consumed += lineCredits;
      return { ...base(line), accepted: true as const, credits: lineCredits, receivableAdded };
    });
  }

  disputeUsage(caller: string, batchId: string, agreementId: bigint): Outcome<void> {
    return this.attempt(() => {
      const batch = this.batches.get(batchId);
      if (!batch) fail("UsageBatchNotFound", batchId);
      const a = this.existing(agreementId);
      if (!this.hasRole(caller, "auditor") && lc(caller) !== a.terms.startup) fail("UsageDisputeNotAllowed", caller);
      const closesAt = batch.submittedAt + this.constants.disputeWindow;
      if (this.now >= closesAt) fail("UsageDisputeWindowClosed", batchId, closesAt);
      const key = disputeKey(batchId, agreementId);
      const dispute = this.usageDisputes.get(key);
      if (dispute) fail("UsageDisputeWrongState", batchId, agreementId, dispute.state);
      this.usageDisputes.set(key, { batchId, agreementId, state: DisputeState.Open, refund: 0n });
    });
  }

  resolveUsageDispute(
    caller: string, batchId: string, agreementId: bigint, partner: string, lines: AcceptedLine[], refund: bigint,
  ): Outcome<{ receivableRemoved: bigint; reminted: bigint }> {
    return this.attempt(() => {
      this.requireRole(caller, "program");
      const key = disputeKey(batchId, agreementId);
      const dispute = this.usageDisputes.get(key);
      if (!dispute || dispute.state !== DisputeState.Open) fail("UsageDisputeWrongState", batchId, agreementId, dispute?.state ?? DisputeState.None);
      const batch = this.batches.get(batchId)!;
      if (lc(partner) !== batch.partner || !sameLines(lines, batch.accepted)) fail("UsageLinesMismatch", batchId);
      const maxRefund = batch.accepted.filter((l) => l.agreementId === agreementId).reduce((s, l) => s + l.credits, 0n);
      if (refund > maxRefund) fail("RefundTooLarge", refund, maxRefund);

      dispute.state = DisputeState.Resolved;
      dispute.refund = refund;
      let receivableRemoved = 0n;
      let reminted = 0n;
      if (refund !== 0n) {
        const a = this.agreements.get(agreementId)!;
        const p = this.positionFor(a, partner);
        const payoutBps = this.partners.get(lc(partner))!.payoutBps;
        // the receivable falls by the refund's payout share, never below what was already paid
        receivableRemoved = min(shareMath.applyBps(refund, payoutBps), p.receivable - p.paidToPartner);
        p.spent -= refund;
        p.receivable -= receivableRemoved;
        a.consumed -= refund;
        if (a.status !== Status.Expired) {
          reminted = refund;
          a.refundsMinted += refund;
          this.mint(a.terms.startup, refund);
        }
      }
      return { receivableRemoved, reminted };
    });
  }

  // ------------------------------------------------------------------------------------------ revenue (§7)

  submitRevenue(report: RevenueReport, signers: string[]): Outcome<void> {
    return this.attempt(() => {
      if (this.paused) fail("LedgerPaused");
      const id = report.agreementId;
      const k = report.periodIndex;
      const a = this.existing(id);
      if (a.acceptedAt === 0n) fail("RevenueAgreementNotAccepted", id);
      if (k >= a.periodCount) fail("RevenuePeriodOutOfRange", id, k, a.periodCount);
      const end = this.periodEnd(a, k);
      if (this.now < end) fail("RevenuePeriodNotEnded", id, k, end);
      const period = a.periods[Number(k)];
      if (period.state === RevState.Disputed || period.state === RevState.Finalized) fail("RevenueWrongState", id, k, period.state);
      if (report.version <= period.version) fail("RevenueVersionNotHigher", report.version, period.version);
      if (report.revenue > MAX_UINT128) fail("ValueTooLarge", report.revenue, MAX_UINT128);
      this.verifyQuorum(this.revenueSignersAt(this.now), signers);
      period.state = RevState.Pending;
      period.version = report.version;
      period.submittedAt = this.now;
      period.revenue = report.revenue;
      period.evidenceHash = report.evidenceHash;
    });
  }

  private periodOf(a: AgreementModel, k: bigint): PeriodModel {
    return a.periods[Number(k)] ?? emptyPeriod();
  }

  disputeRevenue(caller: string, id: bigint, k: bigint): Outcome<void> {
    return this.attempt(() => {
      this.requireRole(caller, "auditor");
      const a = this.existing(id);
      const period = this.periodOf(a, k);
      if (period.state !== RevState.Pending) fail("RevenueWrongState", id, k, period.state);
      const closesAt = period.submittedAt + this.constants.disputeWindow;
      if (this.now >= closesAt) fail("RevenueDisputeWindowClosed", id, k, closesAt);
      period.state = RevState.Disputed;
    });
  }

  resolveRevenueDispute(caller: string, id: bigint, k: bigint, upheld: boolean): Outcome<void> {
    return this.attempt(() => {
      this.requireRole(caller, "program");
      const a = this.existing(id);
      const period = this.periodOf(a, k);
      if (period.state !== RevState.Disputed) fail("RevenueWrongState", id, k, period.state);
      period.state = upheld ? RevState.Rejected : RevState.Cleared;
    });
  }

  finalizeRevenue(_caller: string, id: bigint, k: bigint): Outcome<{ revenue: bigint; owed: bigint; due: bigint }> {
    return this.attempt(() => {
      const a = this.existing(id);
      if (k >= a.periodCount) fail("RevenuePeriodOutOfRange", id, k, a.periodCount);
      if (k !== a.nextPeriodToFinalize) fail("RevenueOutOfOrder", id, k, a.nextPeriodToFinalize);
      const period = a.periods[Number(k)];
      if (period.state === RevState.Pending) {
        const closesAt = period.submittedAt + this.constants.disputeWindow;
        if (this.now < closesAt) fail("RevenueDisputeWindowOpen", id, k, closesAt);
      } else if (period.state !== RevState.Cleared) {
        fail("RevenueWrongState", id, k, period.state);
      }
      if (k === a.periodCount - 1n) {
        const close = this.reportingClose(a);
        if (this.now < close) fail("ReportingStillOpen", id, close);
      }
      const owed = shareMath.owed(period.revenue, a.terms.revenueShareBps, this.cap(a), a.obligation);
      a.obligation += owed;
      const due = shareMath.due(this.periodEnd(a, k), this.now, a.terms.gracePeriod);
      period.state = RevState.Finalized;
      period.owed = owed;
      period.cumulativeObligation = a.obligation;
      period.due = due;
      period.finalizations += 1;
      a.nextPeriodToFinalize = k + 1n;
      return { revenue: period.revenue, owed, due };
    });
  }

  // ------------------------------------------------------------------------------------------ settlement (§8)

  pay(caller: string, id: bigint, amount: bigint): Outcome<{ applied: bigint; toPartners: bigint; toProgram: bigint; parts: [string, bigint][] }> {
    return this.attempt(() => {
      if (amount === 0n) fail("ZeroAmount");
      const a = this.agreements.get(id);
      const outstanding = a ? a.obligation - a.paid : 0n;
      if (!a || outstanding === 0n) fail("NothingOwed", id);
      const applied = min(amount, outstanding);
      const allowance = this.usdcAllowance.get(lc(caller)) ?? 0n;
      if (allowance < applied) fail("ERC20InsufficientAllowance", this.ledger, allowance, applied);
      const balance = this.usdcBalance(caller);
      if (balance < applied) fail("ERC20InsufficientBalance", caller, balance, applied);

      const owedList = a.partnerList.map((p) => {
        const pos = this.position(a, p);
        return pos.receivable - pos.paidToPartner;
      });
      const split = shareMath.split(applied, a.terms.partnerFirstBps, owedList);
      const parts: [string, bigint][] = [];
      a.partnerList.forEach((p, i) => {
        const part = split.perPartner[i];
        if (part === 0n) return;
        this.positionFor(a, p).paidToPartner += part;
        this.claimable.set(p, this.claimableOf(p) + part);
        parts.push([p, part]);
      });
      this.programClaimable += split.toProgram;
      a.paid += applied;
      this.usdcAllowance.set(lc(caller), allowance === MAX_UINT256 ? allowance : allowance - applied);
      this.usdc.set(lc(caller), balance - applied);
      this.usdc.set(this.ledger, this.usdcBalance(this.ledger) + applied);
      this.appliedTotal += applied;
      this.distributedTotal += applied;
      return { applied, toPartners: split.toPartners, toProgram: split.toProgram, parts };
    });
  }

  /** Pays the beneficiary's claimable to its payout address in force (§5, §8). */
  claim(_caller: string, beneficiary: string): Outcome<{ amount: bigint; to: string }> {
    return this.attempt(() => {
      const amount = this.claimableOf(beneficiary);
      if (amount === 0n) fail("NothingToClaim", beneficiary);
      const to = this.payoutOf(beneficiary);
      this.claimable.set(lc(beneficiary), 0n);
      this.usdc.set(this.ledger, this.usdcBalance(this.ledger) - amount);
      this.usdc.set(to, this.usdcBalance(to) + amount);
      this.claimedTotal += amount;
      return { amount, to };
    });
  }

  claimProgram(_caller: string): Outcome<{ amount: bigint; to: string }> {
    return this.attempt(() => {
      const amount = this.programClaimable;
      if (amount === 0n) fail("NothingToClaim", ZERO);
      this.programClaimable = 0n;
      this.usdc.set(this.ledger, this.usdcBalance(this.ledger) - amount);
      this.usdc.set(this.treasury, this.usdcBalance(this.treasury) + amount);
      this.claimedTotal += amount;
      return { amount, to: this.treasury };
    });
  }

  // ------------------------------------------------------------------------------------------ views (§12)

  /** nextDue and delinquent read literally from PROTOCOL §8 (any unsettled period whose due date has come). */
  settlement(a: AgreementModel): { nextDue: bigint; delinquent: boolean } {
    let nextDue = 0n;
    let delinquent = false;
    for (let k = 0; k < Number(a.nextPeriodToFinalize); k++) {
      const period = a.periods[k];
      if (a.paid >= period.cumulativeObligation) continue; // settled
      if (nextDue === 0n) nextDue = period.due;
      if (this.now >= period.due) delinquent = true;
    }
    return { nextDue, delinquent };
  }

  agreementView(id: bigint): AgreementViewModel {
    const a = this.agreements.get(id)!;
    const { nextDue, delinquent } = this.settlement(a);
    return {
      ...a.terms,
      status: BigInt(a.status), acceptedAt: a.acceptedAt, terminatedAt: a.terminatedAt,
      creditsMinted: a.acceptedAt === 0n ? 0n : a.terms.creditLimit + a.refundsMinted,
      consumed: a.consumed, cap: this.cap(a), obligation: a.obligation, paid: a.paid, outstanding: a.obligation - a.paid,
      delinquent, nextDue, nextPeriodToFinalize: a.nextPeriodToFinalize, periodCount: a.periodCount,
      partnerCount: BigInt(a.partnerList.length),
    };
  }

  partnerPositionView(id: bigint, partner: string): PartnerPositionViewModel {
    const a = this.agreements.get(id)!;
    const p = this.position(a, partner);
    const pending = (l: Limit) => (l.pending && l.pending.at > this.now ? l.pending : { value: 0n, at: 0n });
    return {
      spendLimit: LedgerModel.inForce(p.spendLimit, this.now), maxGpus: LedgerModel.inForce(p.maxGpus, this.now),
      pendingSpendLimit: pending(p.spendLimit).value, pendingSpendLimitAt: pending(p.spendLimit).at,
      pendingMaxGpus: pending(p.maxGpus).value, pendingMaxGpusAt: pending(p.maxGpus).at,
      spent: p.spent, burnedAt: p.burnedAt, receivable: p.receivable, paidToPartner: p.paidToPartner, lastUsageEnd: p.lastUsageEnd,
    };
  }

  /** `partner(address)`: the signer set and payout address in force, and what PROGRAM proposed while pending. */
  partnerView(partner: string): PartnerViewModel {
    const p = this.partners.get(lc(partner));
    if (!p) {
      return {
        signers: [], threshold: 0, payoutBps: 0n, active: false, registered: false, nextSequence: 0n, payout: ZERO,
        pendingSigners: [], pendingThreshold: 0, pendingSignersAt: 0n, pendingPayout: ZERO, pendingPayoutAt: 0n,
      };
    }
    const set = LedgerModel.ruling(p.signers, p.pendingSigners, this.now);
    const pendingSet = LedgerModel.stillPending(p.pendingSigners, this.now);
    const pendingPayout = LedgerModel.stillPending(p.pendingPayout, this.now);
    return {
      signers: set.signers, threshold: set.threshold, payoutBps: p.payoutBps, active: p.active, registered: true,
      nextSequence: p.nextSequence, payout: this.payoutOf(partner),
      pendingSigners: pendingSet?.value.signers ?? [], pendingThreshold: pendingSet?.value.threshold ?? 0,
      pendingSignersAt: pendingSet?.at ?? 0n, pendingPayout: pendingPayout?.value ?? ZERO, pendingPayoutAt: pendingPayout?.at ?? 0n,
    };
  }

  /** `revenueSigners()`: the set in force and a pending one with its effectiveAt. */
  revenueSignersView(): SignerSetViewModel {
    const set = this.revenueSignersAt(this.now);
    const pending = LedgerModel.stillPending(this.pendingRevenueSigners, this.now);
    return {
      signers: set.signers, threshold: set.threshold, pendingSigners: pending?.value.signers ?? [],
      pendingThreshold: pending?.value.threshold ?? 0, pendingAt: pending?.at ?? 0n,
    };
  }

  /** `pendingMigration(id)`: PROGRAM's proposal until it is executed, cancelled or ended (zeros when none). */
  pendingMigrationView(id: bigint): { to: string; effectiveAt: bigint } {
    const m = this.pendingMigrations.get(id);
    return { to: m?.to ?? ZERO, effectiveAt: m?.at ?? 0n };
  }

  revenuePeriodView(id: bigint, k: bigint): RevenuePeriodViewModel {
    const a = this.agreements.get(id)!;
    const period = this.periodOf(a, k);
    return {
      revenue: period.revenue, evidenceHash: period.evidenceHash, version: period.version, state: BigInt(period.state),
      submittedAt: period.submittedAt, periodStart: a.terms.startTime + k * a.terms.periodDuration, periodEnd: this.periodEnd(a, k),
      owed: period.owed, cumulativeObligation: period.cumulativeObligation, due: period.due,
    };
  }

  /** The spend limit in force now for (agreement, partner). */
  spendLimitInForce(id: bigint, partner: string): bigint {
    return LedgerModel.inForce(this.position(this.agreements.get(id)!, partner).spendLimit, this.now);
  }

  /** The batch's stored lines hash: bytes24(keccak256(abi.encode(partner, AcceptedUsageLine[]))). */
  static linesHash(partner: string, lines: AcceptedLine[], keccak: (data: string) => string): string {
    const encoded = AbiCoder.defaultAbiCoder().encode(
      ["address", ACCEPTED_LINES],
      [partner, lines.map((l) => [l.agreementId, l.sku, l.gpuSeconds, l.credits])],
    );
    return keccak(encoded).slice(0, 2 + 48);
  }
}

function emptyPosition(): PositionModel {
  return { spendLimit: { value: 0n }, maxGpus: { value: 0n }, spent: 0n, burnedAt: 0n, receivable: 0n, paidToPartner: 0n, lastUsageEnd: 0n };
}

function emptyPeriod(): PeriodModel {
  return {
    state: RevState.None, version: 0n, submittedAt: 0n, revenue: 0n, evidenceHash: `0x${"00".repeat(32)}`, owed: 0n,
    cumulativeObligation: 0n, due: 0n, finalizations: 0,
  };
}

function rateKey(partner: string, sku: string): string {
  return `${lc(partner)}:${lc(sku)}`;
}

export function disputeKey(batchId: string, agreementId: bigint): string {
  return `${lc(batchId)}:${agreementId}`;
}

function sameLines(a: AcceptedLine[], b: AcceptedLine[]): boolean {
  return a.length === b.length && a.every((l, i) =>
    l.agreementId === b[i].agreementId && lc(l.sku) === lc(b[i].sku) && l.gpuSeconds === b[i].gpuSeconds && l.credits === b[i].credits);
}

import { expect } from "chai";
import { ethers } from "hardhat";
import { takeSnapshot, time, type SnapshotRestorer } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet, type ContractTransactionReceipt, type ContractTransactionResponse, type Signer } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { deployLedger } from "../../scripts/lib/deployLedger";
import { usageBatchId, type RevenueReport, type UsageBatch, type UsageLine } from "../../sdk/eip712";
import type { AgreementTerms, HexAsString, IntegersAsBigInt } from "../../sdk/types";
import type { MockUSDC, RevenueShareLedger } from "../../typechain-types";
import {
  deployLedgerFixture, signUsageBatch, signRevenueReport, addressesOf, B200, DAY, H100, HOUR, DISPUTE_WINDOW,
  type Actors, type LedgerFixture,
} from "./fixture";

/** 1 DSXC (6 decimals). */
export const DSXC = 1_000_000n;
export const at = (iso: string): bigint => BigInt(Date.parse(iso) / 1000);
export const PERIOD = 30n * DAY;
export const GRACE = 15n * DAY;

/** Default rates (credit units per GPU-hour). */
export const RATE_F_H100 = 2_500_000n;
export const RATE_F_B200 = 4_000_000n;
export const RATE_B_B200 = 5_000_000n;
export const PAYOUT_F = 7_000n;
export const PAYOUT_B = 8_000n;

/** The reasons of `UsageLineRejected`, as the enum's ordinals. */
export const Reason = {
  NotOpen: 0, OutsideTerm: 1, ReportingClosed: 2, NoRate: 3, Overlap: 4, OverGpuBound: 5, OverAuthorization: 6,
  InsufficientCredits: 7,
  SiblingRejected: 8,
} as const;
export const AgreementStatus = { None: 0, Proposed: 1, Active: 2, Terminated: 3, Expired: 4, Cancelled: 5 } as const;
export const RevenueState = { None: 0, Pending: 1, Disputed: 2, Rejected: 3, Cleared: 4, Finalized: 5 } as const;
export const UsageDisputeState = { None: 0, Open: 1, Resolved: 2 } as const;

export interface Authorization {
  spendLimit: bigint;
  maxGpus: number;
}

export interface ScenarioOptions {
  /** Settlement token to deploy the ledger with; a fresh MockUSDC when omitted. */
  settlementToken?: string;
  periods?: bigint;
  periodDuration?: bigint;
  creditLimit?: bigint;
  revenueShareBps?: number;
  capMultipleBps?: number;
  partnerFirstBps?: number;
  gracePeriod?: bigint;
  /** Indices into the fixture's oracle keys. */
  fSigners?: number[];
  fThreshold?: number;
  bSigners?: number[];
  bThreshold?: number;
  /** Revenue signer set; an empty list leaves it unset. */
  revSigners?: number[];
  revThreshold?: number;
  /** The startup's authorization of partner F / B on agreement 1 (null: none). */
  fAuth?: Authorization | null;
  bAuth?: Authorization | null;
  /** Also open agreement 2 for `startup2`, authorizing partner F only. */
  secondAgreement?: boolean;
}

/** The ledger's Terms struct (sdk/types.ts) as ethers takes it: string addresses and hashes, bigint durations. */
export type Terms = HexAsString<IntegersAsBigInt<AgreementTerms, "periodDuration" | "gracePeriod">>;

export interface Scenario extends LedgerFixture {
  /** Agreement 1 (startup), accepted. */
  id: bigint;
  /** Agreement 2 (startup2), accepted, when `secondAgreement`; else 0. */
  id2: bigint;
  terms: Terms;
  fKeys: Wallet[];
  bKeys: Wallet[];
  revKeys: Wallet[];
  /** Extra funded wallets with no role, usable as further startups. */
  extra: HardhatEthersSigner[];
  /** The hour the first rates took effect. */
  rateStart: bigint;
  /**
   * Agreement 1's startTime: the first midnight (UTC) after the fixture was built. Tests count time from it,
   * so a fixture built on a clock that earlier tests moved forward still works.
   */
  start: bigint;
}

const DEFAULTS = {
  periods: 12n, periodDuration: PERIOD, creditLimit: 100_000n * DSXC, revenueShareBps: 800,
  capMultipleBps: 15_000, partnerFirstBps: 6_000, gracePeriod: GRACE, fSigners: [0], fThreshold: 1, bSigners: [1],
  bThreshold: 1, revSigners: [2], revThreshold: 1,
  fAuth: { spendLimit: 50_000n * DSXC, maxGpus: 16 } as Authorization | null,
  bAuth: { spendLimit: 50_000n * DSXC, maxGpus: 8 } as Authorization | null,
  secondAgreement: false,
};

/**
 * Call inside a test file's outermost describe: the chain (and its clock) is put back after the file's tests
 * as it was before them, so fixtures that later files build for the first time do not inherit this file's
 * time travel. Use once per file: it invalidates the snapshots of fixtures built inside it.
 */
export function restoreChainAfterAll(): void {
  let snapshot: SnapshotRestorer;
  before(async function () {
    snapshot = await takeSnapshot();
  });
  after(async function () {
    await snapshot.restore();
  });
}

/** Deploys a ledger like `deployLedgerFixture`, but on the given settlement token (e.g. a hostile one). */
export async function deployLedgerOnToken(settlementToken: string): Promise<LedgerFixture> {
  const s = await ethers.getSigners();
  const actors: Actors = {
    admin: s[0], program: s[1], auditor: s[2], pauser: s[3], treasury: s[4], startup: s[5], startup2: s[6],
    partnerF: s[7], partnerB: s[8], payer: s[9], outsider: s[10], relayer: s[11],
  };
  const { ledger, credit } = await deployLedger(ethers, {
    deployer: actors.admin, admin: actors.admin.address, treasury: actors.treasury.address, settlementToken,
  });
  await ledger.grantRole(await ledger.PROGRAM_ROLE(), actors.program.address);
  await ledger.grantRole(await ledger.AUDITOR_ROLE(), actors.auditor.address);
  await ledger.grantRole(await ledger.PAUSER_ROLE(), actors.pauser.address);
  const oracleKeys = Array.from({ length: 6 }, (_, i) => new Wallet(ethers.keccak256(ethers.toUtf8Bytes(`dsx-oracle-${i}`))));
  const { chainId } = await ethers.provider.getNetwork();
  // The hostile tokens share MockUSDC's mint/approve/balanceOf; callers keep their own typed handle.
  const usdc = (await ethers.getContractAt("MockUSDC", settlementToken)) as unknown as MockUSDC;
  return { ...actors, ledger, credit, usdc, ledgerAddress: await ledger.getAddress(), chainId: Number(chainId), oracleKeys };
}

/**
 * Partners F (payout 7 000 bps, h100-sxm 2.5 and b200 4 credits/GPU-h) and B (payout 8 000 bps, b200 5
 * credits/GPU-h), a revenue signer set, and agreement 1 for `startup` (12 periods of 30 days from the next
 * midnight, accepted, F and B authorized), all before that start.
 */
export async function buildScenario(options: ScenarioOptions = {}): Promise<Scenario> {
  const o = { ...DEFAULTS, ...options };
  const f = options.settlementToken ? await deployLedgerOnToken(options.settlementToken) : await deployLedgerFixture();
  const { ledger, program, startup, startup2, partnerF, partnerB, oracleKeys } = f;
  const pick = (ix: number[]) => ix.map((i) => oracleKeys[i]);
  const fKeys = pick(o.fSigners);
  const bKeys = pick(o.bSigners);
  const revKeys = pick(o.revSigners);
  await ledger.connect(program).registerPartner(partnerF.address, addressesOf(fKeys), o.fThreshold, PAYOUT_F);
  await ledger.connect(program).registerPartner(partnerB.address, addressesOf(bKeys), o.bThreshold, PAYOUT_B);
  if (revKeys.length > 0) await ledger.connect(program).setRevenueSigners(addressesOf(revKeys), o.revThreshold);
  const now = BigInt(await time.latest());
  const rateStart = (now / HOUR) * HOUR;
  const start = (now / DAY) * DAY + DAY;
  await ledger.connect(program).scheduleRate(partnerF.address, H100, RATE_F_H100, rateStart);
  await ledger.connect(program).scheduleRate(partnerF.address, B200, RATE_F_B200, rateStart);
  await ledger.connect(program).scheduleRate(partnerB.address, B200, RATE_B_B200, rateStart);

  const terms: Terms = {
    startup: startup.address, creditLimit: o.creditLimit, revenueShareBps: o.revenueShareBps,
    capMultipleBps: o.capMultipleBps, partnerFirstBps: o.partnerFirstBps, startTime: start,
    endTime: start + o.periods * o.periodDuration, periodDuration: o.periodDuration, gracePeriod: o.gracePeriod,
    termsHash: ethers.id("scenario-terms"),
  };
  await ledger.connect(program).createAgreement(terms);
  const id = await ledger.agreementCount();
  await ledger.connect(startup).acceptAgreement(id);
  if (o.fAuth) await ledger.connect(startup).authorizePartner(id, partnerF.address, o.fAuth.spendLimit, o.fAuth.maxGpus);
  if (o.bAuth) await ledger.connect(startup).authorizePartner(id, partnerB.address, o.bAuth.spendLimit, o.bAuth.maxGpus);
  let id2 = 0n;
  if (o.secondAgreement) {
    await ledger.connect(program).createAgreement({ ...terms, startup: startup2.address, termsHash: ethers.id("second") });
    id2 = await ledger.agreementCount();
    await ledger.connect(startup2).acceptAgreement(id2);
    await ledger.connect(startup2).authorizePartner(id2, partnerF.address, 50_000n * DSXC, 16);
  }
  const extra = (await ethers.getSigners()).slice(12);
  return { ...f, id, id2, terms, fKeys, bKeys, revKeys, extra, rateStart, start };
}

/** Proposes an agreement to `wallet` with the scenario's terms changed by `overrides`; returns its id. */
export async function proposeAgreement(s: Scenario, wallet: HardhatEthersSigner, overrides: Partial<Terms> = {}): Promise<bigint> {
  await s.ledger.connect(s.program).createAgreement({ ...s.terms, termsHash: ethers.id(`terms-${wallet.address}`), ...overrides, startup: wallet.address });
  return s.ledger.agreementCount();
}

/** Proposes and accepts an agreement for `wallet`, then authorizes partner F (and B when given). */
export async function openAgreement(
  s: Scenario, wallet: HardhatEthersSigner, overrides: Partial<Terms> = {},
  fAuth: Authorization | null = { spendLimit: 50_000n * DSXC, maxGpus: 16 }, bAuth: Authorization | null = null,
): Promise<bigint> {
  const id = await proposeAgreement(s, wallet, overrides);
  await s.ledger.connect(wallet).acceptAgreement(id);
  if (fAuth) await s.ledger.connect(wallet).authorizePartner(id, s.partnerF.address, fAuth.spendLimit, fAuth.maxGpus);
  if (bAuth) await s.ledger.connect(wallet).authorizePartner(id, s.partnerB.address, bAuth.spendLimit, bAuth.maxGpus);
  return id;
}

// ---------------------------------------------------------------------------------------------------
//                                             usage
// ---------------------------------------------------------------------------------------------------

/** A usage line as [agreementId, sku, gpuSeconds]. */
export type LineInput = readonly [bigint, string, bigint];

/** A usage batch with a mutable line list (what TypeChain's UsageBatchStruct accepts). */
export type Batch = Omit<UsageBatch, "lines"> & { lines: UsageLine[] };

export function batchOf(
  partner: string, sequence: bigint, periodStart: bigint, periodEnd: bigint, lines: readonly LineInput[],
  recordsRoot: string = ethers.id(`records:${partner}:${sequence}`),
): Batch {
  return {
    partner: partner as `0x${string}`, sequence, periodStart, periodEnd, recordsRoot: recordsRoot as `0x${string}`,
    lines: lines.map(([agreementId, sku, gpuSeconds]) => ({ agreementId, sku: sku as `0x${string}`, gpuSeconds })),
  };
}

/** The oracle keys registered for `partner` in the scenario. */
export function keysOf(s: Scenario, partner: string): Wallet[] {
  return partner === s.partnerF.address ? s.fKeys : s.bKeys;
}

/** Signs `batch` with `keys` (default: the partner's registered keys) and submits it from `from` (default relayer). */
export async function sendUsage(
  s: Scenario, batch: Batch, opts: { keys?: Wallet[]; from?: Signer } = {},
): Promise<ContractTransactionResponse> {
  const sigs = await signUsageBatch(opts.keys ?? keysOf(s, batch.partner), batch, s.chainId, s.ledgerAddress);
  return s.ledger.connect(opts.from ?? s.relayer).submitUsage(batch, sigs);
}

export interface AcceptedLine {
  agreementId: bigint;
  sku: string;
  gpuSeconds: bigint;
  credits: bigint;
}

export interface RecordedBatch {
  batchId: string;
  receipt: ContractTransactionReceipt;
  accepted: AcceptedLine[];
  submittedAt: bigint;
}

/** Submits a batch that must land, and returns its id, accepted lines (from UsageRecorded) and time. */
export async function recordUsage(s: Scenario, batch: Batch, opts: { keys?: Wallet[]; from?: Signer } = {}): Promise<RecordedBatch> {
  const receipt = (await (await sendUsage(s, batch, opts)).wait())!;
  const block = await receipt.getBlock();
  return { batchId: batchIdOf(batch), receipt, accepted: acceptedLinesOf(s.ledger, receipt), submittedAt: BigInt(block.timestamp) };
}

export function batchIdOf(batch: UsageBatch): string {
  return usageBatchId(batch.partner, batch.sequence, batch.periodStart, batch.periodEnd, batch.recordsRoot);
}

/** The accepted lines of a batch rebuilt from its UsageRecorded events, in batch order. */
export function acceptedLinesOf(ledger: RevenueShareLedger, receipt: ContractTransactionReceipt): AcceptedLine[] {
  return eventsOf(ledger, receipt, "UsageRecorded").map((e) => ({
    agreementId: e.args.agreementId as bigint, sku: e.args.sku as string, gpuSeconds: e.args.gpuSeconds as bigint,
    credits: e.args.credits as bigint,
  }));
}

/** bytes24(keccak256(abi.encode(partner, AcceptedUsageLine[]))), as the ledger stores it. */
export function linesHash(partner: string, lines: readonly AcceptedLine[]): string {
  const encoded = ethers.AbiCoder.defaultAbiCoder().encode(
    ["address", "tuple(uint256 agreementId, bytes32 sku, uint64 gpuSeconds, uint256 credits)[]"],
    [partner, lines.map((l) => [l.agreementId, l.sku, l.gpuSeconds, l.credits])],
  );
  return ethers.dataSlice(ethers.keccak256(encoded), 0, 24);
}

/** credits = gpuSeconds x rate / 3600, rounded down. */
export const creditsFor = (gpuSeconds: bigint, rate: bigint): bigint => (gpuSeconds * rate) / 3_600n;
export const bps = (amount: bigint, b: bigint | number): bigint => (amount * BigInt(b)) / 10_000n;

// ---------------------------------------------------------------------------------------------------
//                                            revenue
// ---------------------------------------------------------------------------------------------------

export function reportOf(agreementId: bigint, periodIndex: number, revenue: bigint, version = 1, evidence?: string): RevenueReport {
  return {
    agreementId, periodIndex, revenue, version,
    evidenceHash: (evidence ?? ethers.id(`evidence:${agreementId}:${periodIndex}:${version}`)) as `0x${string}`,
  };
}

export async function sendRevenue(
  s: Scenario, report: RevenueReport, opts: { keys?: Wallet[]; from?: Signer } = {},
): Promise<ContractTransactionResponse> {
  const sigs = await signRevenueReport(opts.keys ?? s.revKeys, report, s.chainId, s.ledgerAddress);
  return s.ledger.connect(opts.from ?? s.relayer).submitRevenue(report, sigs);
}

/** The end of period k of agreement `id`. */
export async function periodEndOf(s: Scenario, id: bigint, k: number): Promise<bigint> {
  return (await s.ledger.revenuePeriod(id, k)).periodEnd;
}

/** Moves the clock forward to `t` unless it is already there or later. */
export async function advanceTo(t: bigint): Promise<void> {
  if (BigInt(await time.latest()) < t) await time.increaseTo(t);
}

/**
 * Reports `revenue` for period k once it has ended, waits out the dispute window and finalizes it
 * (for the last period, waits until the reporting close). Returns the finalization receipt.
 */
export async function finalizePeriod(s: Scenario, id: bigint, k: number, revenue: bigint, version = 1): Promise<ContractTransactionReceipt> {
  await advanceTo(await periodEndOf(s, id, k));
  const receipt = (await (await sendRevenue(s, reportOf(id, k, revenue, version))).wait())!;
  const submittedAt = BigInt((await receipt.getBlock()).timestamp);
  await advanceTo(submittedAt + DISPUTE_WINDOW);
  const view = await s.ledger.agreement(id);
  if (BigInt(k) === view.periodCount - 1n) await advanceTo(await s.ledger.reportingClose(id));
  return (await (await s.ledger.finalizeRevenue(id, k)).wait())!;
}

// ---------------------------------------------------------------------------------------------------
//                                            payments
// ---------------------------------------------------------------------------------------------------

/** Mints `amount` settlement tokens to `payer` and approves the ledger for them. */
export async function fund(s: Scenario, payer: HardhatEthersSigner, amount: bigint): Promise<void> {
  await s.usdc.mint(payer.address, amount);
  await s.usdc.connect(payer).approve(s.ledgerAddress, amount);
}

/** Distributed events of a receipt as [beneficiary, amount]. */
export function distributionsOf(ledger: RevenueShareLedger, receipt: ContractTransactionReceipt): [string, bigint][] {
  return eventsOf(ledger, receipt, "Distributed").map((e) => [e.args.beneficiary as string, e.args.amount as bigint]);
}

/** Parsed logs of the ledger named `name` in a receipt. */
export function eventsOf(ledger: RevenueShareLedger, receipt: ContractTransactionReceipt, name: string) {
  const address = receipt.to?.toLowerCase();
  return receipt.logs
    .filter((log) => log.address.toLowerCase() === address)
    .map((log) => ledger.interface.parseLog(log))
    .filter((e): e is NonNullable<typeof e> => e !== null && e.name === name);
}

/**
 * PROTOCOL §10 invariant 1 (with no direct transfers): the ledger's settlement balance equals every
 * partner's claimable plus the program's.
 */
export async function expectBooksBalanced(s: Scenario, beneficiaries: string[] = [s.partnerF.address, s.partnerB.address]): Promise<void> {
  let owed = await s.ledger.programClaimable();
  for (const b of beneficiaries) owed += await s.ledger.claimable(b);
  expect(await s.usdc.balanceOf(s.ledgerAddress), "ledger balance = Σ claimable + programClaimable").to.equal(owed);
}

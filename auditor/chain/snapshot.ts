// The ledger's views (PROTOCOL §12) and the tokens' balances read at the audited block. Calls are grouped with
// viem's `multicall` into eth_calls of the ViewAggregator (contracts/auditor/ViewAggregator.sol, placed by a state
// override: auditor/chain/aggregator.ts); a node that refuses state overrides is read with individual eth_calls sent
// in JSON-RPC batches.
import { ContractFunctionExecutionError, getAddress, type Abi, type Address, type Hex } from "viem";
import { dsxCreditAbi, mockUsdcAbi, revenueShareLedgerAbi } from "../../sdk/abis";
import { withRetry } from "../../sdk/chain";
import { VIEW_AGGREGATOR_ADDRESS, viewAggregator } from "./aggregator";
import type { LedgerEvent } from "./events";
import type { ChainReader } from "./reader";
import type { AgreementTerms } from "../../sdk/types";

export interface AgreementViewData {
  terms: AgreementTerms;
  status: number;
  acceptedAt: bigint;
  terminatedAt: bigint;
  creditsMinted: bigint;
  consumed: bigint;
  cap: bigint;
  obligation: bigint;
  paid: bigint;
  outstanding: bigint;
  delinquent: boolean;
  nextDue: bigint;
  nextPeriodToFinalize: number;
  periodCount: number;
  partnerCount: bigint;
}

export interface PositionViewData {
  spendLimit: bigint;
  maxGpus: number;
  pendingSpendLimit: bigint;
  pendingSpendLimitAt: bigint;
  pendingMaxGpus: number;
  pendingMaxGpusAt: bigint;
  spent: bigint;
  burnedAt: bigint;
  receivable: bigint;
  paidToPartner: bigint;
  lastUsageEnd: bigint;
}

export interface PeriodViewData {
  report: { agreementId: bigint; periodIndex: number; revenue: bigint; evidenceHash: Hex; version: number };
  state: number;
  submittedAt: bigint;
  periodStart: bigint;
  periodEnd: bigint;
  owed: bigint;
  cumulativeObligation: bigint;
  due: bigint;
}

export interface PartnerViewData {
  signers: readonly Address[];
  threshold: number;
  payoutBps: number;
  active: boolean;
  registered: boolean;
  nextSequence: bigint;
  payout: Address;
  pendingSigners: readonly Address[];
  pendingThreshold: number;
  pendingSignersAt: bigint;
  pendingPayout: Address;
  pendingPayoutAt: bigint;
}

/** A signer set in force and the pending one (`revenueSigners()`). */
export interface SignerSetViewData {
  signers: readonly Address[];
  threshold: number;
  pendingSigners: readonly Address[];
  pendingThreshold: number;
  pendingAt: bigint;
}

/** A view call and the place its result goes. */
interface Call {
  address: Address;
  abi: Abi;
  functionName: string;
  args: readonly unknown[];
  /** Stores the result (undefined when the call reverted). */
  put: (result: unknown) => void;
}

/** Calls per eth_call (several in flight). */
const MULTICALL_CHUNK = 40;

/**
 * Reads many views at `blockNumber`: tens per eth_call through the ViewAggregator with viem's multicall, or one
 * eth_call each (JSON-RPC batched) when multicall is off or the node refuses state overrides.
 */
export class ViewReader {
  private calls: Call[] = [];
  private aggregate = true;

  constructor(private readonly reader: ChainReader, private readonly blockNumber: bigint, options: { multicall?: boolean } = {}) {
    this.aggregate = options.multicall ?? true;
  }

  add(address: Address, abi: Abi, functionName: string, args: readonly unknown[], put: (result: unknown) => void): void {
    this.calls.push({ address, abi, functionName, args, put });
  }

  /** Runs the queued calls. */
  async flush(): Promise<void> {
    const calls = this.calls;
    this.calls = [];
    if (calls.length === 0) return;
    let single = calls;
    if (this.aggregate) {
      const code = viewAggregator().code; // throws when not compiled: better than a silent call per view
      try {
        const chunks: Call[][] = [];
        for (let i = 0; i < calls.length; i += MULTICALL_CHUNK) chunks.push(calls.slice(i, i + MULTICALL_CHUNK));
        const failed = await Promise.all(chunks.map((chunk) => this.multicallChunk(chunk, code)));
        single = failed.flat();
      } catch {
        // a node without state overrides: one call each from now on
        this.aggregate = false;
      }
    }
    await Promise.all(single.map(async (c) => {
      try {
        c.put(await withRetry(() => this.reader.client.readContract({ address: c.address, abi: c.abi, functionName: c.functionName, args: c.args, blockNumber: this.blockNumber }), { attempts: 4 }));
      } catch (err) {
        if (isRevert(err)) c.put(undefined);
        else throw err;
      }
    }));
  }

  /**
   * One eth_call for `chunk` (viem's multicall, no chunking of its own, through the aggregator's code placed at its
   * address); returns the calls that failed inside it (asked again one by one: a revert reads as undefined). When
   * the eth_call itself failed, it is retried (transport errors), then thrown.
   */
  private async multicallChunk(chunk: Call[], code: Hex): Promise<Call[]> {
    const results = await withRetry(async () => {
      const answers = await this.reader.client.multicall({
        contracts: chunk.map((c) => ({ address: c.address, abi: c.abi, functionName: c.functionName, args: c.args })),
        blockNumber: this.blockNumber,
        multicallAddress: VIEW_AGGREGATOR_ADDRESS,
        stateOverride: [{ address: VIEW_AGGREGATOR_ADDRESS, code }],
        batchSize: 0,
        allowFailure: true,
      });
      // viem hands the eth_call's own failure to every result, as an error of the call to the aggregator
      const whole = answers.find((a) => a.status === "failure" && a.error instanceof ContractFunctionExecutionError &&
        a.error.contractAddress?.toLowerCase() === VIEW_AGGREGATOR_ADDRESS);
      if (whole) throw whole.error;
      return answers;
    }, { attempts: 4 });
    if (results.length !== chunk.length) throw new Error("The view aggregator returned a wrong count.");
    const failed: Call[] = [];
    chunk.forEach((c, i) => {
      const r = results[i];
      if (r.status === "success") c.put(r.result);
      else failed.push(c);
    });
    return failed;
  }
}

function isRevert(err: unknown): boolean {
  const text = err instanceof Error ? `${err.name} ${err.message}` : String(err);
  return /revert|ContractFunctionExecutionError|execution reverted/i.test(text);
}

/** What the audit needs to know to read the views. */
export interface SnapshotRequest {
  ledger: Address;
  credit: Address;
  settlementToken: Address;
  agreementIds: bigint[];
  /** Per agreement, the partners whose position to read (the union of the model's list and the chain's). */
  partnersOf: (id: bigint, chainList: readonly Address[]) => Address[];
  /** Per agreement, the period indexes to read. */
  periodsOf: (id: bigint) => number[];
  beneficiaries: Address[];
  partners: Address[];
  rateSchedules: { partner: Address; sku: Hex }[];
  batches: Hex[];
  usageDisputes: { batchId: Hex; agreementId: bigint }[];
  creditHolders: Address[];
}

/** The ledger and tokens at the audited block. */
export interface ChainSnapshot {
  block: bigint;
  blockHash: Hex;
  timestamp: bigint;
  agreementCount: bigint;
  paused: boolean;
  lastUnpausedAt: bigint;
  programClaimable: bigint;
  treasury: Address;
  revenueSigners?: SignerSetViewData;
  agreements: Map<bigint, {
    view?: AgreementViewData; partners: Address[]; positions: Map<string, PositionViewData>; periods: Map<number, PeriodViewData>; reportingClose?: bigint;
    pendingMigration?: { to: Address; effectiveAt: bigint };
  }>;
  partners: Map<string, PartnerViewData>;
  rateSchedules: Map<string, { creditsPerGpuHour: bigint; effectiveFrom: bigint }[]>;
  claimable: Map<string, bigint>;
  batches: Map<string, { submittedAt: bigint; linesHash: Hex }>;
  usageDisputes: Map<string, { state: number; refund: bigint }>;
  creditSupply: bigint;
  creditBalances: Map<string, bigint>;
  settlementBalance: bigint;
}

/** The ledger's constants, role ids and tokens. */
export interface LedgerSetup {
  disputeWindow: bigint;
  rateNotice: bigint;
  authNotice: bigint;
  reportingGrace: bigint;
  signerNotice: bigint;
  migrationNotice: bigint;
  payoutNotice: bigint;
  auditorRole: Hex;
  programRole: Hex;
  credit: Address;
  settlementToken: Address;
}

const CONSTANT_VIEWS = [
  ["disputeWindow", "DISPUTE_WINDOW"], ["rateNotice", "RATE_NOTICE"], ["authNotice", "AUTH_NOTICE"], ["reportingGrace", "REPORTING_GRACE"],
  ["signerNotice", "SIGNER_NOTICE"], ["migrationNotice", "MIGRATION_NOTICE"], ["payoutNotice", "PAYOUT_NOTICE"], ["auditorRole", "AUDITOR_ROLE"],
  ["programRole", "PROGRAM_ROLE"], ["credit", "credit"], ["settlementToken", "settlementToken"],
] as const satisfies readonly (readonly [keyof LedgerSetup, string])[];

/** The ledger's constants. */
export async function readConstants(reader: ChainReader, ledger: Address, blockNumber: bigint): Promise<LedgerSetup> {
  const values = await Promise.all(CONSTANT_VIEWS.map(([, functionName]) =>
    withRetry(() => reader.client.readContract({ address: ledger, abi: revenueShareLedgerAbi, functionName, blockNumber }))));
  return Object.fromEntries(CONSTANT_VIEWS.map(([key], i) => [key, values[i]])) as unknown as LedgerSetup;
}

const ledgerAbi = revenueShareLedgerAbi as Abi;
const creditAbi = dsxCreditAbi as Abi;
const erc20Abi = mockUsdcAbi as Abi;

/**
 * Reads every view the checks compare, at `block` (a block number; its hash and timestamp are returned too).
 * @example const snapshot = await readSnapshot(reader, 1234n, request);
 */
export async function readSnapshot(reader: ChainReader, block: bigint, req: SnapshotRequest, options: { multicall?: boolean } = {}): Promise<ChainSnapshot> {
  const headerP = withRetry(() => reader.client.getBlock({ blockNumber: block }));
  const views = new ViewReader(reader, block, options);
  const s: ChainSnapshot = {
    block, blockHash: "0x", timestamp: 0n, agreementCount: 0n, paused: false, lastUnpausedAt: 0n, programClaimable: 0n,
    treasury: "0x0000000000000000000000000000000000000000", agreements: new Map(), partners: new Map(),
    rateSchedules: new Map(), claimable: new Map(), batches: new Map(), usageDisputes: new Map(), creditSupply: 0n, creditBalances: new Map(), settlementBalance: 0n,
  };
  const L = req.ledger;
  views.add(L, ledgerAbi, "agreementCount", [], (r) => (s.agreementCount = (r as bigint) ?? 0n));
  views.add(L, ledgerAbi, "paused", [], (r) => (s.paused = Boolean(r)));
  views.add(L, ledgerAbi, "lastUnpausedAt", [], (r) => (s.lastUnpausedAt = BigInt((r as bigint) ?? 0n)));
  views.add(L, ledgerAbi, "programClaimable", [], (r) => (s.programClaimable = (r as bigint) ?? 0n));
  views.add(L, ledgerAbi, "treasury", [], (r) => (s.treasury = r as Address));
  views.add(L, ledgerAbi, "revenueSigners", [], (r) => (s.revenueSigners = r as SignerSetViewData | undefined));
  views.add(req.credit, creditAbi, "totalSupply", [], (r) => (s.creditSupply = (r as bigint) ?? 0n));
  views.add(req.settlementToken, erc20Abi, "balanceOf", [L], (r) => (s.settlementBalance = (r as bigint) ?? 0n));
  for (const id of req.agreementIds) {
    const entry = { partners: [] as Address[], positions: new Map<string, PositionViewData>(), periods: new Map<number, PeriodViewData>() } as ChainSnapshot["agreements"] extends Map<bigint, infer V> ? V : never;
    s.agreements.set(id, entry);
    views.add(L, ledgerAbi, "agreement", [id], (r) => (entry.view = r as AgreementViewData | undefined));
    views.add(L, ledgerAbi, "partners", [id], (r) => (entry.partners = [...((r as Address[]) ?? [])].map((a) => getAddress(a))));
    views.add(L, ledgerAbi, "reportingClose", [id], (r) => (entry.reportingClose = r as bigint | undefined));
    views.add(L, ledgerAbi, "pendingMigration", [id], (r) => {
      if (!r) return;
      const [to, effectiveAt] = r as [Address, bigint];
      entry.pendingMigration = { to, effectiveAt: BigInt(effectiveAt) };
    });
    for (const k of req.periodsOf(id)) views.add(L, ledgerAbi, "revenuePeriod", [id, k], (r) => r && entry.periods.set(k, r as PeriodViewData));
  }
  for (const b of req.beneficiaries) views.add(L, ledgerAbi, "claimable", [b], (r) => s.claimable.set(b.toLowerCase(), (r as bigint) ?? 0n));
  for (const p of req.partners) views.add(L, ledgerAbi, "partner", [p], (r) => r && s.partners.set(p.toLowerCase(), r as PartnerViewData));
  for (const { partner, sku } of req.rateSchedules) {
    views.add(L, ledgerAbi, "rateSchedule", [partner, sku], (r) => s.rateSchedules.set(`${partner.toLowerCase()}:${sku.toLowerCase()}`, [...((r as { creditsPerGpuHour: bigint; effectiveFrom: bigint }[]) ?? [])]));
  }
  for (const batchId of req.batches) {
    views.add(L, ledgerAbi, "usageBatch", [batchId], (r) => {
      const [submittedAt, linesHash] = (r as [bigint, Hex]) ?? [0n, "0x"];
      s.batches.set(batchId.toLowerCase(), { submittedAt, linesHash });
    });
  }
  for (const { batchId, agreementId } of req.usageDisputes) {
    views.add(L, ledgerAbi, "usageDispute", [batchId, agreementId], (r) => {
      const [state, refund] = (r as [number, bigint]) ?? [0, 0n];
      s.usageDisputes.set(`${batchId.toLowerCase()}:${agreementId}`, { state: Number(state), refund });
    });
  }
  for (const holder of req.creditHolders) views.add(req.credit, creditAbi, "balanceOf", [holder], (r) => s.creditBalances.set(holder.toLowerCase(), (r as bigint) ?? 0n));
  const requested = new Map<bigint, Set<string>>();
  for (const id of req.agreementIds) {
    const entry = s.agreements.get(id)!;
    const partners = req.partnersOf(id, []);
    requested.set(id, new Set(partners.map((p) => p.toLowerCase())));
    for (const p of partners) views.add(L, ledgerAbi, "partnerPosition", [id, p], (r) => r && entry.positions.set(p.toLowerCase(), r as PositionViewData));
  }
  await views.flush();
  // a partner on the chain's list that no event authorized: read its position too
  for (const id of req.agreementIds) {
    const entry = s.agreements.get(id)!;
    for (const p of entry.partners) {
      if (requested.get(id)!.has(p.toLowerCase())) continue;
      views.add(L, ledgerAbi, "partnerPosition", [id, p], (r) => r && entry.positions.set(p.toLowerCase(), r as PositionViewData));
    }
  }
  await views.flush();
  const header = await headerP;
  s.blockHash = header.hash as Hex;
  s.timestamp = header.timestamp;
  return s;
}

/**
 * What to read, from the events alone (so the views can be read while the replay runs): every agreement created,
 * its authorized partners, its reported periods, every beneficiary, partner, rate schedule, batch, usage dispute
 * and startup wallet.
 */
export function snapshotRequestOf(events: readonly LedgerEvent[], addresses: { ledger: Address; credit: Address; settlementToken: Address }): SnapshotRequest {
  const agreementIds: bigint[] = [];
  const partnersOf = new Map<bigint, Map<string, Address>>();
  const periodsOf = new Map<bigint, Set<number>>();
  const beneficiaries = new Map<string, Address>();
  const partners = new Map<string, Address>();
  const rates = new Map<string, { partner: Address; sku: Hex }>();
  const batches: Hex[] = [];
  const disputes = new Map<string, { batchId: Hex; agreementId: bigint }>();
  const holders = new Map<string, Address>();
  const zero = "0x0000000000000000000000000000000000000000";
  for (const e of events) {
    switch (e.eventName) {
      case "AgreementCreated":
        agreementIds.push(e.args.id);
        holders.set(e.args.terms.startup.toLowerCase(), getAddress(e.args.terms.startup));
        break;
      case "StartupMigrated":
        holders.set(e.args.to.toLowerCase(), getAddress(e.args.to));
        holders.set(e.args.from.toLowerCase(), getAddress(e.args.from));
        break;
      case "PartnerAuthorized": {
        const m = partnersOf.get(e.args.id) ?? new Map<string, Address>();
        m.set(e.args.partner.toLowerCase(), getAddress(e.args.partner));
        partnersOf.set(e.args.id, m);
        beneficiaries.set(e.args.partner.toLowerCase(), getAddress(e.args.partner));
        break;
      }
      case "RevenueReported": {
        const set = periodsOf.get(e.args.agreementId) ?? new Set<number>();
        set.add(Number(e.args.periodIndex));
        periodsOf.set(e.args.agreementId, set);
        break;
      }
      case "Distributed":
      case "Claimed":
        if (e.args.beneficiary.toLowerCase() !== zero) beneficiaries.set(e.args.beneficiary.toLowerCase(), getAddress(e.args.beneficiary));
        break;
      case "PartnerRegistered":
        partners.set(e.args.partner.toLowerCase(), getAddress(e.args.partner));
        break;
      case "RateScheduled":
        rates.set(`${e.args.partner.toLowerCase()}:${e.args.sku.toLowerCase()}`, { partner: getAddress(e.args.partner), sku: e.args.sku });
        break;
      case "UsageBatchRecorded":
        batches.push(e.args.batchId);
        break;
      case "UsageDisputed":
        disputes.set(`${e.args.batchId.toLowerCase()}:${e.args.agreementId}`, { batchId: e.args.batchId, agreementId: e.args.agreementId });
        break;
      default:
        break;
    }
  }
  return {
    ...addresses,
    agreementIds,
    partnersOf: (id, chainList) => {
      const m = new Map(partnersOf.get(id) ?? []);
      for (const p of chainList) m.set(p.toLowerCase(), getAddress(p));
      return [...m.values()];
    },
    periodsOf: (id) => [...(periodsOf.get(id) ?? [])].sort((a, b) => a - b),
    beneficiaries: [...beneficiaries.values()].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)),
    partners: [...partners.values()],
    rateSchedules: [...rates.values()],
    batches,
    usageDisputes: [...disputes.values()],
    creditHolders: [...holders.values()],
  };
}

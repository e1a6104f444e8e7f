// What the usage pipeline reads from the ledger before it plans a batch (PROTOCOL §4–§6, §12):
// the partner (the signer set in force and any set PROGRAM proposed, nextSequence), each
// configured agreement's term, status, reporting close and the pair's position, and the
// partner's rate cards. Read at one block.
import type { Address, PublicClient } from "viem";
import { AGREEMENT_STATUS, dsxCreditAbi, revenueShareLedgerAbi } from "../../sdk/abis";
import { bytes32ToSku, skuToBytes32 } from "../../sdk/eip712";
import { effectiveEnd, type RateEntry } from "../../sdk/ledgerRules";
import type { SignerSetView } from "../common/signerSet";

/** The AgreementStatus ordinal of an agreement that does not exist (PROTOCOL §4). */
const NONE = AGREEMENT_STATUS.indexOf("None");

/** One agreement as the usage line checks see it, for this oracle's partner. */
export interface AgreementContext {
  id: bigint;
  /** AgreementStatus ordinal (sdk/abis.ts AGREEMENT_STATUS). */
  status: number;
  startup: Address;
  startTime: bigint;
  endTime: bigint;
  /** min(endTime, terminatedAt). */
  effectiveEnd: bigint;
  /** R of PROTOCOL §3 (a huge number while paused). */
  reportingClose: bigint;
  /** The last revenue period is Finalized. */
  lastPeriodFinalized: boolean;
  /** The startup's DSXC balance. */
  balance: bigint;
  /** The pair's authorization in force and position. */
  spendLimit: bigint;
  maxGpus: bigint;
  spent: bigint;
  lastUsageEnd: bigint;
}

/** One rate-card entry (sdk/ledgerRules.ts, the home of the rate in force). */
export type { RateEntry };

/**
 * The partner as registered: `signers`/`threshold` are the set in force at the block read (a
 * set PROGRAM proposed counts from its effectiveAt on); `pendingSigners`/`pendingThreshold`/
 * `pendingAt` a proposed set not yet in force (empty/0 when none).
 */
export interface PartnerContext extends SignerSetView {
  registered: boolean;
  active: boolean;
  signers: Address[];
  nextSequence: bigint;
}

/** Everything the planner needs from the chain, read at one block. */
export interface ChainContext {
  blockNumber: bigint;
  /** The block's timestamp: the pipeline's clock. */
  now: bigint;
  paused: boolean;
  reportingGrace: bigint;
  partner: PartnerContext;
  agreements: Map<bigint, AgreementContext>;
  /** sku name → rate card, ascending by effectiveFrom. */
  rates: Map<string, RateEntry[]>;
}

/** Instants where windows are cut: agreements' startTime and effectiveEnd, every scheduled rate change. */
export function cutsOf(ctx: Pick<ChainContext, "agreements" | "rates">): bigint[] {
  const cuts: bigint[] = [];
  for (const a of ctx.agreements.values()) {
    if (a.status === NONE) continue;
    cuts.push(a.startTime, a.effectiveEnd);
  }
  for (const entries of ctx.rates.values()) for (const e of entries) cuts.push(e.effectiveFrom);
  return cuts;
}

/** Options of {@link readChainContext}. */
export interface ReadChainContextOptions {
  ledger: Address;
  credit: Address;
  partner: Address;
  agreementIds: readonly bigint[];
  skus: readonly string[];
}

/**
 * Reads the {@link ChainContext} at the latest block. Transport errors propagate (callers
 * wrap it in `withRetry`).
 */
export async function readChainContext(client: PublicClient, options: ReadChainContextOptions): Promise<ChainContext> {
  const block = await client.getBlock({ blockTag: "latest" });
  const blockNumber = block.number;
  const read = { address: options.ledger, abi: revenueShareLedgerAbi, blockNumber } as const;
  const [partner, paused, reportingGrace] = await Promise.all([
    client.readContract({ ...read, functionName: "partner", args: [options.partner] }),
    client.readContract({ ...read, functionName: "paused" }),
    client.readContract({ ...read, functionName: "REPORTING_GRACE" }),
  ]);
  const agreements = new Map<bigint, AgreementContext>();
  await Promise.all(
    [...new Set(options.agreementIds)].map(async (id) => {
      const [view, position] = await Promise.all([
        client.readContract({ ...read, functionName: "agreement", args: [id] }),
        client.readContract({ ...read, functionName: "partnerPosition", args: [id, options.partner] }),
      ]);
      const status = Number(view.status);
      // reportingClose reverts (AgreementNotFound) for an id never created
      const close =
        status === NONE ? 0n : await client.readContract({ ...read, functionName: "reportingClose", args: [id] });
      const balance =
        status === NONE
          ? 0n
          : await client.readContract({ address: options.credit, abi: dsxCreditAbi, blockNumber, functionName: "balanceOf", args: [view.terms.startup] });
      const endTime = BigInt(view.terms.endTime);
      agreements.set(id, {
        id,
        status,
        startup: view.terms.startup,
        startTime: BigInt(view.terms.startTime),
        endTime,
        effectiveEnd: effectiveEnd(endTime, BigInt(view.terminatedAt)),
        reportingClose: close,
        lastPeriodFinalized: Number(view.periodCount) > 0 && Number(view.nextPeriodToFinalize) >= Number(view.periodCount),
        balance,
        spendLimit: position.spendLimit,
        maxGpus: BigInt(position.maxGpus),
        spent: position.spent,
        lastUsageEnd: BigInt(position.lastUsageEnd),
      });
    }),
  );
  const rates = new Map<string, RateEntry[]>();
  await Promise.all(
    [...new Set(options.skus)].map(async (sku) => {
      const entries = await client.readContract({ ...read, functionName: "rateSchedule", args: [options.partner, skuToBytes32(sku)] });
      rates.set(
        sku,
        entries.map((e) => ({ creditsPerGpuHour: BigInt(e.creditsPerGpuHour), effectiveFrom: BigInt(e.effectiveFrom) })),
      );
    }),
  );
  return {
    blockNumber,
    now: block.timestamp,
    paused,
    reportingGrace,
    partner: {
      registered: partner.registered,
      active: partner.active,
      signers: [...partner.signers],
      threshold: Number(partner.threshold),
      pendingSigners: [...partner.pendingSigners],
      pendingThreshold: Number(partner.pendingThreshold),
      pendingAt: BigInt(partner.pendingSignersAt),
      nextSequence: BigInt(partner.nextSequence),
    },
    agreements,
    rates,
  };
}

const skuNames = new Map<string, string>();

/** The sku name of a line's bytes32 sku (checked once per distinct value). */
export function skuName(sku: `0x${string}`): string {
  let name = skuNames.get(sku);
  if (name === undefined) {
    name = bytes32ToSku(sku);
    if (skuNames.size < 10_000) skuNames.set(sku, name);
  }
  return name;
}

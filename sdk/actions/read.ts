// Reads the actions need and the CLI shows: the admin and its pending transfer, a partner's signer set and
// payout address, the revenue signers, a pending migration, and a usage batch's accepted lines.
import { parseEventLogs, type Address, type Hex } from "viem";
import { revenueShareLedgerAbi } from "../abis";
import { withRetry } from "../chain";
import type { LedgerReader } from "../context";
import { ValidationError } from "../errors";
import type { AcceptedLine } from "../types";
import { toAddress, toAgreementId } from "../values";

/** A pending admin transfer: `newAdmin` can accept it in a block whose time is after `acceptableAfter`. */
export interface PendingAdminTransfer {
  newAdmin: Address;
  acceptableAfter: bigint;
}

/** The admin, its transfer delay (seconds) and the pending transfer, if any. */
export interface AdminInfo {
  admin: Address;
  delay: bigint;
  pending?: PendingAdminTransfer;
}

/** A signer set that is pending: in force from `effectiveAt`. */
export interface PendingSignerSet {
  signers: Address[];
  threshold: number;
  effectiveAt: bigint;
}

/** A migration PROGRAM proposed, executable from `effectiveAt`. */
export interface PendingMigration {
  to: Address;
  effectiveAt: bigint;
}

/** A partner as the ledger sees it now: the signer set and payout address in force, and what is pending. */
export interface PartnerInfo {
  partner: Address;
  registered: boolean;
  active: boolean;
  payoutBps: number;
  nextSequence: bigint;
  signers: Address[];
  threshold: number;
  /** Where its claims are paid now (the partner itself when none was set). */
  payout: Address;
  pendingSigners?: PendingSignerSet;
  pendingPayout?: { payout: Address; effectiveAt: bigint };
}

/** What {@link readRevenueSigners} returns. */
export interface RevenueSignersInfo {
  signers: Address[];
  threshold: number;
  pending?: PendingSignerSet;
}

/** What {@link usageBatchLines} returns. */
export interface UsageBatchLinesReturnType {
  partner: Address;
  lines: AcceptedLine[];
}

/**
 * The ledger's admin, the delay of a transfer and the pending transfer (undefined when none).
 * @example const { admin, delay, pending } = await readAdmin(ctx);
 */
export async function readAdmin(ctx: LedgerReader): Promise<AdminInfo> {
  const read = <T>(functionName: "defaultAdmin" | "defaultAdminDelay" | "pendingDefaultAdmin") =>
    withRetry(() => ctx.publicClient.readContract({ address: ctx.deployment.ledger, abi: revenueShareLedgerAbi, functionName }), ctx.retry) as Promise<T>;
  const [admin, delay, [newAdmin, schedule]] = await Promise.all([
    read<Address>("defaultAdmin"),
    read<number>("defaultAdminDelay"),
    read<readonly [Address, number]>("pendingDefaultAdmin"),
  ]);
  return { admin, delay: BigInt(delay), pending: schedule === 0 ? undefined : { newAdmin, acceptableAfter: BigInt(schedule) } };
}

/**
 * The pending migration of an agreement, or undefined when there is none.
 * @example const pending = await readPendingMigration(ctx, 3n); // { to, effectiveAt } | undefined
 */
export async function readPendingMigration(ctx: LedgerReader, agreementId: bigint): Promise<PendingMigration | undefined> {
  const [to, effectiveAt] = await withRetry(
    () => ctx.publicClient.readContract({ address: ctx.deployment.ledger, abi: revenueShareLedgerAbi, functionName: "pendingMigration", args: [toAgreementId(agreementId)] }),
    ctx.retry,
  );
  return effectiveAt === 0n ? undefined : { to, effectiveAt: BigInt(effectiveAt) };
}

/**
 * A partner's registration, signer set and payout address in force, and its pending changes (those not yet
 * in force).
 * @example const { signers, threshold, payout, pendingSigners } = await readPartner(ctx, firmus);
 */
export async function readPartner(ctx: LedgerReader, partner: Address): Promise<PartnerInfo> {
  const who = toAddress(partner, "Partner");
  const p = await withRetry(
    () => ctx.publicClient.readContract({ address: ctx.deployment.ledger, abi: revenueShareLedgerAbi, functionName: "partner", args: [who] }),
    ctx.retry,
  );
  return {
    partner: who,
    registered: p.registered,
    active: p.active,
    payoutBps: p.payoutBps,
    nextSequence: BigInt(p.nextSequence),
    signers: [...p.signers],
    threshold: p.threshold,
    payout: p.payout,
    pendingSigners: p.pendingSignersAt === 0n ? undefined : { signers: [...p.pendingSigners], threshold: p.pendingThreshold, effectiveAt: BigInt(p.pendingSignersAt) },
    pendingPayout: p.pendingPayoutAt === 0n ? undefined : { payout: p.pendingPayout, effectiveAt: BigInt(p.pendingPayoutAt) },
  };
}

/**
 * The revenue signer set in force and the pending one, if any.
 * @example const { signers, threshold, pending } = await readRevenueSigners(ctx);
 */
export async function readRevenueSigners(ctx: LedgerReader): Promise<RevenueSignersInfo> {
  const r = await withRetry(
    () => ctx.publicClient.readContract({ address: ctx.deployment.ledger, abi: revenueShareLedgerAbi, functionName: "revenueSigners" }),
    ctx.retry,
  );
  return {
    signers: [...r.signers],
    threshold: r.threshold,
    pending: r.pendingAt === 0n ? undefined : { signers: [...r.pendingSigners], threshold: r.pendingThreshold, effectiveAt: BigInt(r.pendingAt) },
  };
}

/**
 * A usage batch's partner and accepted lines, rebuilt from its `UsageBatchRecorded` and `UsageRecorded` events
 * (what `resolveUsageDispute` must send back to the ledger).
 * @example const { partner, lines } = await usageBatchLines(ctx, batchId);
 */
export async function usageBatchLines(ctx: LedgerReader, batchId: Hex): Promise<UsageBatchLinesReturnType> {
  const { publicClient, deployment } = ctx;
  const address = deployment.ledger;
  const latest = await withRetry(() => publicClient.getBlockNumber(), ctx.retry);
  const find = (fromBlock: bigint, toBlock: bigint) =>
    withRetry(
      () => publicClient.getContractEvents({ address, abi: revenueShareLedgerAbi, eventName: "UsageBatchRecorded", args: { batchId }, fromBlock, toBlock, strict: true }),
      ctx.retry,
    );
  const first = BigInt(deployment.deploymentBlock);
  let found: Awaited<ReturnType<typeof find>>;
  try {
    found = await find(first, latest);
  } catch {
    // nodes that cap the block range: walk it in chunks
    found = [];
    for (let from = first; from <= latest && found.length === 0; from += 10_000n) {
      found = await find(from, from + 9_999n > latest ? latest : from + 9_999n);
    }
  }
  const [recorded] = found;
  if (!recorded) {
    throw new ValidationError(`No usage batch ${batchId} was recorded by ledger ${address}.`, { fix: "Check the batch id (UsageBatchRecorded event)." });
  }
  // the batch's accepted lines are the UsageRecorded events of its transaction, in order
  const receipt = await withRetry(() => publicClient.getTransactionReceipt({ hash: recorded.transactionHash }), ctx.retry);
  const lines = parseEventLogs({
    abi: revenueShareLedgerAbi,
    logs: receipt.logs.filter((l) => l.address.toLowerCase() === address.toLowerCase()),
    eventName: "UsageRecorded",
    strict: true,
  })
    .filter((l) => l.args.batchId === batchId)
    .map((l) => ({ agreementId: l.args.agreementId, sku: l.args.sku, gpuSeconds: l.args.gpuSeconds, credits: l.args.credits }));
  return { partner: recorded.args.partner, lines };
}

// Sending a persisted batch and settling it (SERVICES §2 "Submission"): the stored signed
// transaction is sent as is (a restart resends exactly it), transport failures are retried
// with backoff, a sequence the chain already holds is a success only when it holds this
// batch, a batch that can no longer pass is handed back for a rebuild under the same
// sequence, and the state is committed only after the receipt.
import {
  decodeEventLog,
  keccak256,
  type Account,
  type Address,
  type Chain,
  type Hex,
  type PublicClient,
  type TransactionReceipt,
  type Transport,
  type WalletClient,
} from "viem";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { withRetry, type RetryOptions } from "../../sdk/chain";
import { FatalError, isRetryable } from "../../sdk/errors";
import { bytes32ToSku } from "../../sdk/eip712";
import type { BatchRow, UsageState } from "../state/usageState";
import { batchFromJson, revertName, type BatchJson } from "./batch";
import { USAGE_REJECTIONS } from "./preflight";
import type { ReceiptSummary } from "./bundle";
import { faultPoint } from "./faults";
import { explodePack, packLines } from "./packs";

/** What settling needs. */
export interface SubmitContext {
  state: UsageState;
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, Account>;
  ledger: Address;
  partner: Address;
  deploymentBlock: bigint;
  retry: RetryOptions;
  log: (message: string) => void;
}

/** How settling a batch ended. */
export type Settlement =
  | { kind: "confirmed"; gasUsed: bigint; gpuSeconds: bigint; rejectedLines: number; batchId: string; pendingAgain: number[] }
  | { kind: "rebuild"; reason: string }
  | { kind: "blocked"; reason: string };

/** Reverts after which the batch can never pass as signed: rebuild and re-sign under the same sequence. */
const REBUILD_ERRORS = new Set([
  "UnknownSigner",
  "BelowThreshold",
  "InvalidSignature",
  "SignersNotAscending",
  "TooManySignatures",
  "UsageRateStraddled",
  "UsageLinesNotAscending",
  "UsageLineEmpty",
  "UsageLineCount",
]);

/** Reverts that no rebuild cures until the program acts: the batch waits. */
const BLOCKING_ERRORS: Record<string, string> = {
  PartnerInactive: "the partner is deactivated on the ledger; the batch is kept and resent once it is active again",
  PartnerNotRegistered: "the partner is not registered on the ledger; check the partner setting",
  LedgerPaused: "the ledger is paused; the batch is kept and resent after unpause",
};

async function receiptOrUndefined(ctx: SubmitContext, hash: Hex): Promise<TransactionReceipt | undefined> {
  return withRetry(async () => {
    try {
      return await ctx.publicClient.getTransactionReceipt({ hash });
    } catch (err) {
      if ((err as { name?: string }).name === "TransactionReceiptNotFoundError") return undefined;
      throw err;
    }
  }, ctx.retry);
}

async function isPending(ctx: SubmitContext, hash: Hex): Promise<boolean> {
  return withRetry(async () => {
    try {
      const tx = await ctx.publicClient.getTransaction({ hash });
      return tx.blockNumber === null;
    } catch (err) {
      if ((err as { name?: string }).name === "TransactionNotFoundError") return false;
      throw err;
    }
  }, ctx.retry);
}

/** The receipt of the transaction that recorded `batchId`, found through its UsageBatchRecorded event. */
async function receiptOfRecordedBatch(ctx: SubmitContext, row: BatchRow): Promise<TransactionReceipt> {
  if (row.txHash) {
    const receipt = await receiptOrUndefined(ctx, row.txHash as Hex);
    if (receipt && receipt.status === "success" && receiptBatchId(receipt, ctx.ledger) === row.batchId) return receipt;
  }
  const logs = await withRetry(
    () =>
      ctx.publicClient.getContractEvents({
        address: ctx.ledger,
        abi: revenueShareLedgerAbi,
        eventName: "UsageBatchRecorded",
        args: { batchId: row.batchId as Hex },
        fromBlock: ctx.deploymentBlock,
        toBlock: "latest",
      }),
    ctx.retry,
  );
  const log = logs[0];
  if (!log?.transactionHash) throw new FatalError(`Batch ${row.batchId} is recorded on chain but its event was not found.`);
  const receipt = await receiptOrUndefined(ctx, log.transactionHash);
  if (!receipt) throw new FatalError(`The receipt of transaction ${log.transactionHash} (batch ${row.batchId}) was not found.`);
  return receipt;
}

function receiptBatchId(receipt: TransactionReceipt, ledger: Address): string | undefined {
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== ledger.toLowerCase()) continue;
    try {
      const event = decodeEventLog({ abi: revenueShareLedgerAbi, data: log.data, topics: log.topics });
      if (event.eventName === "UsageBatchRecorded") return event.args.batchId;
    } catch {
      // another event of the ledger's ABI that does not decode here
    }
  }
  return undefined;
}

/** The UsageLineRejected events of a batch in a receipt. */
export function rejectedLinesOf(receipt: TransactionReceipt, ledger: Address, batchId: string): { agreementId: string; sku: string; reason: string }[] {
  const rejected: { agreementId: string; sku: string; reason: string }[] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== ledger.toLowerCase()) continue;
    let event;
    try {
      event = decodeEventLog({ abi: revenueShareLedgerAbi, data: log.data, topics: log.topics });
    } catch {
      continue;
    }
    if (event.eventName === "UsageLineRejected" && event.args.batchId === batchId) {
      rejected.push({
        agreementId: event.args.agreementId.toString(),
        sku: event.args.sku,
        reason: USAGE_REJECTIONS[Number(event.args.reason)] ?? `reason ${event.args.reason}`,
      });
    }
  }
  return rejected;
}

/**
 * Commits a batch's receipt: accepted slices and packs → reported, slices of lines the ledger
 * rejected → pending with the reason, the batch → confirmed. The ledger rejects an
 * agreement's lines in a batch together, so that is the failing line (its own reason, retried
 * like a preflight refusal and quarantined after the reporting close like one) and its
 * siblings (`SiblingRejected`: nothing wrong with them, so they are reported again by a later
 * batch and never quarantined for it). Returns the ids of the slices pending again: the caller
 * plans none of them again in the same run, so the group can still land whole, in its own
 * window, once its cause is cured (the next run's preflight decides).
 */
export function confirmBatch(
  ctx: SubmitContext,
  row: BatchRow,
  receipt: TransactionReceipt,
): { gasUsed: bigint; gpuSeconds: bigint; rejectedLines: number; pendingAgain: number[] } {
  const rejected = rejectedLinesOf(receipt, ctx.ledger, row.batchId);
  const reasonOf = new Map(rejected.map((r) => [`${r.agreementId}:${bytes32ToSku(r.sku as Hex)}`, r.reason]));
  // GPU-seconds the ledger accepted: the batch's lines less the rejected ones.
  let gpuSeconds = 0n;
  for (const line of (JSON.parse(row.batchJson) as Partial<BatchJson>).lines ?? []) {
    if (!reasonOf.has(`${line.agreementId}:${bytes32ToSku(line.sku)}`)) gpuSeconds += BigInt(line.gpuSeconds);
  }
  const summary: ReceiptSummary = {
    transactionHash: receipt.transactionHash,
    blockNumber: receipt.blockNumber.toString(),
    gasUsed: receipt.gasUsed.toString(),
  };
  const pendingAgain: number[] = [];
  ctx.state.transaction(() => {
    for (const pack of ctx.state.packsOfBatch(row.batchId)) {
      if (pack.state !== "batched") continue;
      const refused = packLines(pack.linesJson).some((l) => reasonOf.has(`${l.agreementId}:${bytes32ToSku(l.sku)}`));
      // A pack with a refused line becomes slice rows (still batched), settled one by one below.
      if (refused) explodePack(ctx.state, pack.id);
      else ctx.state.setPackState(pack.id, "reported", row.batchId);
    }
    for (const slice of ctx.state.slicesOfBatch(row.batchId)) {
      if (slice.state !== "batched") continue;
      const reason = reasonOf.get(`${slice.agreementId}:${slice.sku}`);
      if (reason === undefined) ctx.state.setSliceState(slice.id, "reported", row.batchId, null);
      else {
        ctx.state.setSliceState(slice.id, "pending", null, reason);
        pendingAgain.push(slice.id);
      }
    }
    ctx.state.setBatchConfirmed(row.batchId, receipt.transactionHash, JSON.stringify(summary), JSON.stringify(rejected), Date.now());
  });
  return { gasUsed: receipt.gasUsed, gpuSeconds, rejectedLines: rejected.length, pendingAgain };
}

/**
 * Signs a transaction carrying `calldata` to the ledger with the `sender` key (nonce, gas
 * and fees filled in by the node: the gas estimate simulates it once more).
 */
export async function signedTransaction(ctx: SubmitContext, calldata: Hex): Promise<{ raw: Hex; hash: Hex }> {
  const account = ctx.walletClient.account;
  const request = await withRetry(
    () => ctx.walletClient.prepareTransactionRequest({ account, to: ctx.ledger, data: calldata, chain: ctx.walletClient.chain }),
    ctx.retry,
  );
  const raw = await ctx.walletClient.signTransaction(request as Parameters<typeof ctx.walletClient.signTransaction>[0]);
  return { raw, hash: keccak256(raw) };
}

/** Signs a fresh transaction for a batch's calldata (current nonce and fees) and stores it. */
async function newTransaction(ctx: SubmitContext, row: BatchRow): Promise<{ raw: Hex; hash: Hex }> {
  const { raw, hash } = await signedTransaction(ctx, row.calldata as Hex);
  ctx.state.transaction(() => ctx.state.setBatchTransaction(row.batchId, raw, hash), { durable: true });
  row.rawTx = raw;
  row.txHash = hash;
  return { raw, hash };
}

/** Simulates the batch's exact calldata; the ledger's error name when it reverts. */
export async function simulate(ctx: SubmitContext, calldata: Hex): Promise<string | undefined> {
  return withRetry(async () => {
    try {
      await ctx.publicClient.call({ account: ctx.walletClient.account, to: ctx.ledger, data: calldata });
      return undefined;
    } catch (err) {
      const name = revertName(err);
      if (name !== undefined) return name;
      if (isRetryable(err)) throw err;
      return `revert (${(err as Error).message.split("\n")[0]})`;
    }
  }, ctx.retry);
}

/**
 * Sends a stored signed batch and waits for its receipt, or finds that the chain already has
 * it. Never sends a batch whose sequence the chain holds for another batch.
 * @throws FatalError when the chain holds this sequence for another batchId (the operator is told).
 */
export async function settleBatch(ctx: SubmitContext, row: BatchRow): Promise<Settlement> {
  if (row.calldata === null) return { kind: "blocked", reason: `batch ${row.batchId} awaits signatures` };
  const batch = batchFromJson(JSON.parse(row.batchJson) as BatchJson);
  for (let round = 0; round < 8; round++) {
    const partner = await withRetry(
      () => ctx.publicClient.readContract({ address: ctx.ledger, abi: revenueShareLedgerAbi, functionName: "partner", args: [ctx.partner] }),
      ctx.retry,
    );
    const next = BigInt(partner.nextSequence);
    if (batch.sequence < next) {
      const [submittedAt] = await withRetry(
        () => ctx.publicClient.readContract({ address: ctx.ledger, abi: revenueShareLedgerAbi, functionName: "usageBatch", args: [row.batchId as Hex] }),
        ctx.retry,
      );
      if (submittedAt > 0n) {
        const receipt = await receiptOfRecordedBatch(ctx, row);
        const done = confirmBatch(ctx, row, receipt);
        return { kind: "confirmed", batchId: row.batchId, ...done };
      }
      throw new FatalError(
        `The ledger already holds sequence ${batch.sequence} of partner ${ctx.partner} for another batch, not this oracle's batch ${row.batchId}.`,
        {
          fix: "Another oracle (or another state folder) reports for this partner: stop it, keep one state folder per partner, and check the usage it sent before running again.",
        },
      );
    }
    if (batch.sequence > next) return { kind: "rebuild", reason: `sequence ${batch.sequence} is ahead of the ledger's ${next}` };

    if (row.txHash) {
      const receipt = await receiptOrUndefined(ctx, row.txHash as Hex);
      if (receipt === undefined && (await isPending(ctx, row.txHash as Hex))) {
        await waitForReceipt(ctx, row.txHash as Hex);
        continue;
      }
    }
    const refusal = await simulate(ctx, row.calldata as Hex);
    if (refusal === "UsageSequenceMismatch") continue;
    if (refusal !== undefined) {
      if (refusal in BLOCKING_ERRORS) return { kind: "blocked", reason: BLOCKING_ERRORS[refusal] };
      const what = REBUILD_ERRORS.has(refusal) ? "as signed" : "now";
      return { kind: "rebuild", reason: `the ledger refuses it ${what} (${refusal})` };
    }
    let hash = row.txHash as Hex | null;
    if (row.rawTx === null || hash === null) hash = (await newTransaction(ctx, row)).hash;
    try {
      await withRetry(() => ctx.publicClient.sendRawTransaction({ serializedTransaction: row.rawTx as Hex }), ctx.retry);
    } catch (err) {
      // Sent before (the answer was lost), or its nonce was used by another transaction.
      const receipt = await receiptOrUndefined(ctx, hash);
      if (receipt === undefined && !(await isPending(ctx, hash))) {
        ctx.log(`resigning the transaction of batch ${row.batchId}: ${(err as Error).message.split("\n")[0]}`);
        hash = (await newTransaction(ctx, row)).hash;
        await withRetry(() => ctx.publicClient.sendRawTransaction({ serializedTransaction: row.rawTx as Hex }), ctx.retry);
      }
    }
    faultPoint("after-send");
    const receipt = await waitForReceipt(ctx, hash);
    if (receipt.status === "success" && receiptBatchId(receipt, ctx.ledger) === row.batchId) {
      const done = confirmBatch(ctx, row, receipt);
      return { kind: "confirmed", batchId: row.batchId, ...done };
    }
    // Reverted (a race): look at the chain again.
  }
  return { kind: "blocked", reason: `batch ${row.batchId} could not be settled after several attempts` };
}

/** The receipt of `hash`: at once when the node already has it (instant mining), else by polling for new blocks. */
async function waitForReceipt(ctx: SubmitContext, hash: Hex): Promise<TransactionReceipt> {
  const now = await receiptOrUndefined(ctx, hash);
  if (now !== undefined) return now;
  return withRetry(() => ctx.publicClient.waitForTransactionReceipt({ hash, timeout: 60_000, retryCount: 0 }), ctx.retry);
}

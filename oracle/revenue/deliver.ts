// Delivery of one signed revenue report (SERVICES §3): it is already in the outbox when this
// runs. Each attempt first asks the chain whether the report is there already (a crash after
// sending, a lost response), then simulates the exact call, sends it and waits for the
// receipt; transport errors are retried with backoff.
import { TransactionReceiptNotFoundError, type Hex, type TransactionReceipt } from "viem";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { withRetry } from "../../sdk/chain";
import { RetryableError } from "../../sdk/errors";
import type { RevenueContext } from "./context";
import { findReportLog, readPeriod, readRevenueSigners, revertName, SIGNATURE_ERRORS } from "./ledger";
import { signRevenueReport } from "./signing";
import type { OutboxEntry } from "./store";

/** How a delivery ended. */
export type Delivery =
  | {
      kind: "confirmed";
      txHash: Hex;
      blockNumber: bigint;
      gasUsed: bigint;
      /** Whether this call sent a transaction (false: an earlier process's transaction had landed). */
      sent: boolean;
    }
  /** The chain holds this version or a higher one with other figures: the report can never land. */
  | { kind: "superseded"; chainVersion: number }
  /** The period was finalized before the report landed. */
  | { kind: "finalized" }
  /** The period is Disputed: no version can land until the dispute is resolved. */
  | { kind: "disputed" };

async function receiptOf(ctx: RevenueContext, hash: Hex): Promise<TransactionReceipt | undefined> {
  try {
    return await ctx.clients.publicClient.getTransactionReceipt({ hash });
  } catch (err) {
    if (err instanceof TransactionReceiptNotFoundError) return undefined;
    throw err;
  }
}

/**
 * Brings an outbox entry onto the chain, or says why it cannot land. When the ledger refuses
 * the signatures (the signer set was rotated) the same report is signed again with the
 * current set and the outbox entry updated before sending.
 * @throws the last error when retries run out, or at once a non-retryable one (a revert).
 */
export async function deliverReport(ctx: RevenueContext, entry: OutboxEntry): Promise<Delivery> {
  const { publicClient, walletClient } = ctx.clients;
  const ledger = ctx.deployment.ledger;
  const report = entry.report;
  const id = report.agreementId;
  const k = report.periodIndex;
  let signatures = entry.signatures;
  let txHash = entry.txHash;
  let sent = false;

  const confirmed = (receipt: TransactionReceipt): Delivery => ({
    kind: "confirmed",
    txHash: receipt.transactionHash,
    blockNumber: receipt.blockNumber,
    gasUsed: receipt.gasUsed,
    sent,
  });

  return withRetry(async () => {
    if (txHash !== undefined) {
      const receipt = await receiptOf(ctx, txHash);
      if (receipt?.status === "success") return confirmed(receipt);
    }
    const onChain = await readPeriod(publicClient, ledger, id, k);
    if (onChain.version >= report.version) {
      const same =
        onChain.version === report.version &&
        onChain.revenue === report.revenue &&
        onChain.evidenceHash.toLowerCase() === report.evidenceHash.toLowerCase();
      if (!same) return { kind: "superseded", chainVersion: onChain.version };
      const log = await findReportLog(publicClient, ledger, BigInt(ctx.deployment.deploymentBlock), id, k, report.version);
      const receipt = log && (await receiptOf(ctx, log.txHash));
      if (!receipt) throw new RetryableError(`Agreement ${id} period ${k} version ${report.version} is on chain but its log is not found yet.`);
      return confirmed(receipt);
    }
    if (onChain.state === "Finalized") return { kind: "finalized" };
    if (onChain.state === "Disputed") return { kind: "disputed" };

    const simulate = () =>
      publicClient.simulateContract({
        address: ledger,
        abi: revenueShareLedgerAbi,
        functionName: "submitRevenue",
        args: [report, signatures],
        account: walletClient.account,
      });
    let simulation: Awaited<ReturnType<typeof simulate>>;
    try {
      simulation = await simulate();
    } catch (err) {
      if (!SIGNATURE_ERRORS.has(revertName(err) ?? "")) throw err;
      ctx.log(`agreement ${id} period ${k} v${report.version}: the ledger refuses the signatures (${revertName(err)}); signing again with the current signer set`);
      signatures = await signRevenueReport(ctx.domain, report, ctx.signers, await readRevenueSigners(publicClient, ledger));
      ctx.store.replaceSignatures(report, signatures);
      txHash = undefined;
      simulation = await simulate();
    }
    const hash = await walletClient.writeContract(simulation.request);
    sent = true;
    txHash = hash;
    ctx.store.recordSent(report, hash);
    const receipt = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 250, timeout: 120_000 });
    if (receipt.status !== "success") throw new RetryableError(`Transaction ${hash} reverted; checking the chain again.`);
    return confirmed(receipt);
  }, ctx.retry);
}

// `revenue finalize` (PROTOCOL §7): finalizes every period that is due, strictly in order:
// a Pending report whose dispute window has ended, or a Cleared one; the last period only once
// the reporting close has passed. It stops at an agreement's first period that is not due.
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { withRetry } from "../../sdk/chain";
import { RetryableError } from "../../sdk/errors";
import type { RevenueContext } from "./context";
import { chainNow, readAgreement, readPeriod } from "./ledger";
import { errorLine } from "./run";

/** Options of {@link finalizeRevenue}. */
export interface RevenueFinalizeOptions {
  /** Only these agreements (default: every configured one). */
  agreementIds?: readonly bigint[];
}

/** What a finalize run did; printed as one line by {@link formatFinalizeSummary}. */
export interface RevenueFinalizeSummary {
  agreements: number;
  finalized: { agreementId: string; periodIndex: number; txHash: string }[];
  /** Per agreement, the next period to finalize and why it is not due yet (absent when all are finalized). */
  waiting: { agreementId: string; periodIndex: number; reason: string }[];
  gasUsed: bigint;
  errors: { agreementId?: string; message: string }[];
}

/** The one summary line a finalize run always prints. */
export function formatFinalizeSummary(s: RevenueFinalizeSummary): string {
  const next = s.waiting.map((w) => `agreement ${w.agreementId} period ${w.periodIndex} ${w.reason}`).join("; ");
  return (
    `revenue finalize: ${s.agreements} agreements, ${s.finalized.length} periods finalized, gas used ${s.gasUsed}, ${s.errors.length} errors` +
    (next ? ` (next: ${next})` : "")
  );
}

/** An empty {@link RevenueFinalizeSummary}. */
export function emptyFinalizeSummary(): RevenueFinalizeSummary {
  return { agreements: 0, finalized: [], waiting: [], gasUsed: 0n, errors: [] };
}

const iso = (t: bigint) => new Date(Number(t) * 1000).toISOString();

/**
 * Finalizes what is due, agreement by agreement, each in period order. The chain's latest
 * block time decides what is due; each transaction is simulated first and retried on
 * transport errors (a finalization that landed before a lost response is recognised).
 * @example console.log(formatFinalizeSummary(await finalizeRevenue(ctx)));
 */
export async function finalizeRevenue(ctx: RevenueContext, options: RevenueFinalizeOptions = {}): Promise<RevenueFinalizeSummary> {
  const { publicClient, walletClient } = ctx.clients;
  const ledger = ctx.deployment.ledger;
  const summary = emptyFinalizeSummary();
  const disputeWindow = await withRetry(
    () => publicClient.readContract({ address: ledger, abi: revenueShareLedgerAbi, functionName: "DISPUTE_WINDOW" }),
    ctx.retry,
  );
  for (const setting of ctx.config.agreements) {
    const id = setting.id;
    if (options.agreementIds && !options.agreementIds.includes(id)) continue;
    summary.agreements += 1;
    try {
      for (;;) {
        const agreement = await withRetry(() => readAgreement(publicClient, ledger, id), ctx.retry);
        const k = agreement.nextPeriodToFinalize;
        const n = agreement.schedule.periodCount;
        if (k >= n) break;
        const [period, now, close] = await withRetry(
          () =>
            Promise.all([
              readPeriod(publicClient, ledger, id, k),
              chainNow(publicClient),
              publicClient.readContract({ address: ledger, abi: revenueShareLedgerAbi, functionName: "reportingClose", args: [id] }),
            ]),
          ctx.retry,
        );
        const windowEnd = period.submittedAt + disputeWindow;
        let reason: string | undefined;
        if (period.state === "Pending" && now < windowEnd) reason = `is in its dispute window until ${iso(windowEnd)}`;
        else if (period.state !== "Pending" && period.state !== "Cleared") reason = `is ${period.state === "None" ? "not reported" : period.state}`;
        else if (k === n - 1 && now < close) reason = `is the last period: it waits for the reporting close at ${iso(close)}`;
        if (reason !== undefined) {
          summary.waiting.push({ agreementId: id.toString(), periodIndex: k, reason });
          break;
        }
        const receipt = await withRetry(async () => {
          const current = await readAgreement(publicClient, ledger, id);
          if (current.nextPeriodToFinalize > k) return undefined; // landed before a lost response
          const { request } = await publicClient.simulateContract({
            address: ledger,
            abi: revenueShareLedgerAbi,
            functionName: "finalizeRevenue",
            args: [id, k],
            account: walletClient.account,
          });
          const hash = await walletClient.writeContract(request);
          const mined = await publicClient.waitForTransactionReceipt({ hash, pollingInterval: 250, timeout: 120_000 });
          if (mined.status !== "success") throw new RetryableError(`Transaction ${hash} reverted; checking the chain again.`);
          return mined;
        }, ctx.retry);
        if (receipt) {
          summary.gasUsed += receipt.gasUsed;
          summary.finalized.push({ agreementId: id.toString(), periodIndex: k, txHash: receipt.transactionHash });
          ctx.log(`agreement ${id} period ${k}: finalized in ${receipt.transactionHash}`);
        }
      }
    } catch (err) {
      const message = errorLine(err);
      summary.errors.push({ agreementId: id.toString(), message });
      ctx.log(`agreement ${id}: ${message}`);
    }
  }
  return summary;
}

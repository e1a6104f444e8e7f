// Publishing an audit on chain (PROTOCOL §11 "Audit record"): recordAudit(agreementId, throughBlock, reportHash,
// clean) per agreement, by an account with AUDITOR_ROLE; and checking a report file against what was published.
import { decodeEventLog, encodeFunctionData, keccak256, toEventSelector, type AbiEvent, type Account, type Address, type Hex, type PublicClient, type WalletClient } from "viem";
import { revenueShareLedgerAbi } from "../sdk/abis";
import { withRetry } from "../sdk/chain";
import type { ChainReader } from "./chain/reader";
import type { AuditReport } from "./report/build";
import { isCanonical, reportHashOf } from "./report/canonical";

/** Whether an agreement's books are clean: no discrepancy of its own and none program-wide. */
export function agreementClean(report: AuditReport, agreementId: string): boolean {
  return report.discrepancies.every((d) => d.agreementId !== agreementId && d.agreementId !== null);
}

export interface RecordedAudit {
  agreementId: string;
  clean: boolean;
  transactionHash: Hex;
}

/** Sends recordAudit for every agreement of `report`, one transaction each, and waits for each receipt. */
export async function recordAudits(publicClient: PublicClient, walletClient: WalletClient, account: Account, report: AuditReport, reportHash: Hex): Promise<RecordedAudit[]> {
  const out: RecordedAudit[] = [];
  const ledger = report.chain.ledger as Address;
  for (const a of report.agreements) {
    const clean = agreementClean(report, a.id);
    const data = encodeFunctionData({ abi: revenueShareLedgerAbi, functionName: "recordAudit", args: [BigInt(a.id), BigInt(report.chain.throughBlock), reportHash, clean] });
    // signed once and resent as is: a retry after a lost answer cannot record the audit twice (a new nonce would)
    const request = await withRetry(() => walletClient.prepareTransactionRequest({ account, to: ledger, data, chain: walletClient.chain }), { attempts: 3 });
    const raw = await walletClient.signTransaction(request as Parameters<typeof walletClient.signTransaction>[0]);
    const hash = keccak256(raw);
    await withRetry(async () => {
      try {
        await publicClient.sendRawTransaction({ serializedTransaction: raw });
      } catch (err) {
        const known = await publicClient.getTransaction({ hash }).then(() => true, () => false);
        if (!known) throw err;
      }
    }, { attempts: 3 });
    const receipt = await publicClient.waitForTransactionReceipt({ hash });
    if (receipt.status !== "success") throw new Error(`recordAudit(${a.id}) reverted in ${hash}.`);
    out.push({ agreementId: a.id, clean, transactionHash: hash });
  }
  return out;
}

export interface PublishedAudit {
  agreementId: string;
  auditor: Address;
  throughBlock: string;
  clean: boolean;
  block: string;
  tx: Hex;
}

/** What a report file proves: its hash, whether it is in canonical form, and the on-chain records of that hash. */
export interface ReportVerification {
  reportHash: Hex;
  canonical: boolean;
  published: PublishedAudit[];
}

const auditRecorded = revenueShareLedgerAbi.find((e) => e.type === "event" && e.name === "AuditRecorded") as AbiEvent;

/**
 * Hashes a report file and finds the AuditRecorded events that published exactly that hash. An edited report
 * hashes differently, so it matches no record.
 */
export async function verifyReportFile(reader: ChainReader, text: string, ledger: Address, fromBlock: bigint): Promise<ReportVerification> {
  const reportHash = reportHashOf(text);
  const latest = await reader.client.getBlockNumber();
  const selector = toEventSelector(auditRecorded);
  const published: PublishedAudit[] = [];
  for (let from = fromBlock; from <= latest; from += 10_000n) {
    const to = from + 9_999n < latest ? from + 9_999n : latest;
    const logs = await reader.getLogs({ address: ledger, topics: [selector], fromBlock: from, toBlock: to });
    for (const log of logs) {
      const e = decodeEventLog({ abi: [auditRecorded], data: log.data, topics: log.topics as [Hex, ...Hex[]] }) as unknown as { args: { agreementId: bigint; auditor: Address; throughBlock: bigint; reportHash: Hex; clean: boolean } };
      if (e.args.reportHash.toLowerCase() !== reportHash.toLowerCase()) continue;
      published.push({ agreementId: e.args.agreementId.toString(), auditor: e.args.auditor, throughBlock: e.args.throughBlock.toString(), clean: e.args.clean, block: BigInt(log.blockNumber).toString(), tx: log.transactionHash });
    }
  }
  return { reportHash, canonical: isCanonical(text), published };
}

// The revenue oracle's reads of the ledger (PROTOCOL §7, §12): an agreement's period schedule
// and each period's report, the revenue signer set, the chain's clock.
import { BaseError, ContractFunctionRevertedError, type Address, type Chain, type Hex, type PublicClient, type Transport } from "viem";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { FatalError } from "../../sdk/errors";
import type { SignerSetView } from "../common/signerSet";
import type { PeriodSchedule } from "./periods";
import { REVENUE_STATES, type ChainPeriod } from "./plan";

/** The public client type the oracle uses. */
export type LedgerReader = PublicClient<Transport, Chain>;

/** PROTOCOL §4 agreement statuses, in the ledger's enum order. */
export const AGREEMENT_STATUSES = ["None", "Proposed", "Active", "Terminated", "Expired", "Cancelled"] as const;

/** What the revenue oracle needs of an agreement. */
export interface AgreementOnChain {
  id: bigint;
  status: (typeof AGREEMENT_STATUSES)[number];
  acceptedAt: bigint;
  schedule: PeriodSchedule;
  endTime: bigint;
  nextPeriodToFinalize: number;
}

/**
 * Reads `agreement(id)`.
 * @throws FatalError when no agreement has that id.
 */
export async function readAgreement(client: LedgerReader, ledger: Address, id: bigint): Promise<AgreementOnChain> {
  const view = await client.readContract({ address: ledger, abi: revenueShareLedgerAbi, functionName: "agreement", args: [id] });
  const status = AGREEMENT_STATUSES[view.status] ?? "None";
  if (status === "None") {
    throw new FatalError(`Agreement ${id} does not exist on ledger ${ledger}.`, { fix: "Correct its id in the config's agreements." });
  }
  return {
    id,
    status,
    acceptedAt: view.acceptedAt,
    schedule: { startTime: view.terms.startTime, periodDuration: BigInt(view.terms.periodDuration), periodCount: view.periodCount },
    endTime: view.terms.endTime,
    nextPeriodToFinalize: view.nextPeriodToFinalize,
  };
}

/** Reads `revenuePeriod(id, k)`. */
export async function readPeriod(client: LedgerReader, ledger: Address, id: bigint, k: number): Promise<ChainPeriod> {
  const view = await client.readContract({ address: ledger, abi: revenueShareLedgerAbi, functionName: "revenuePeriod", args: [id, k] });
  return {
    state: REVENUE_STATES[view.state] ?? "None",
    version: view.report.version,
    revenue: view.report.revenue,
    evidenceHash: view.report.evidenceHash,
    submittedAt: view.submittedAt,
  };
}

/** Reads every period of an agreement (k = 0..n−1), a few calls at a time. */
export async function readPeriods(client: LedgerReader, ledger: Address, id: bigint, n: number): Promise<ChainPeriod[]> {
  const periods: ChainPeriod[] = [];
  for (let k = 0; k < n; k += 8) {
    const ks = Array.from({ length: Math.min(8, n - k) }, (_, i) => k + i);
    periods.push(...(await Promise.all(ks.map((i) => readPeriod(client, ledger, id, i)))));
  }
  return periods;
}

/**
 * The program-wide revenue signer set in force at the latest block (`revenueSigners()`; a set
 * PROGRAM proposed counts from its effectiveAt), and the proposed set not yet in force, if any.
 */
export async function readRevenueSigners(client: LedgerReader, ledger: Address): Promise<SignerSetView & { signers: Address[] }> {
  const view = await client.readContract({ address: ledger, abi: revenueShareLedgerAbi, functionName: "revenueSigners" });
  return {
    signers: [...view.signers],
    threshold: view.threshold,
    pendingSigners: [...view.pendingSigners],
    pendingThreshold: view.pendingThreshold,
    pendingAt: BigInt(view.pendingAt),
  };
}

/** The chain's clock: the latest block's timestamp. */
export async function chainNow(client: LedgerReader): Promise<bigint> {
  return (await client.getBlock({ blockTag: "latest" })).timestamp;
}

/** The name of the custom error a contract call reverted with, if that is why `err` was thrown. */
export function revertName(err: unknown): string | undefined {
  if (!(err instanceof BaseError)) return undefined;
  const reverted = err.walk((e) => e instanceof ContractFunctionRevertedError);
  return reverted instanceof ContractFunctionRevertedError ? reverted.data?.errorName : undefined;
}

/** The ledger's answer to a report's signatures that no longer pass (the signer set was rotated). */
export const SIGNATURE_ERRORS = new Set(["UnknownSigner", "BelowThreshold", "InvalidSignature", "SignersNotAscending"]);

/** Where a report was recorded on chain: the `RevenueReported` log of that version, if any. */
export async function findReportLog(
  client: LedgerReader,
  ledger: Address,
  fromBlock: bigint,
  id: bigint,
  k: number,
  version: number,
): Promise<{ txHash: Hex; blockNumber: bigint } | undefined> {
  const logs = await client.getContractEvents({
    address: ledger,
    abi: revenueShareLedgerAbi,
    eventName: "RevenueReported",
    args: { agreementId: id, periodIndex: k },
    fromBlock,
    toBlock: "latest",
  });
  const log = logs.find((l) => l.args.version === version);
  return log && log.transactionHash && log.blockNumber !== null ? { txHash: log.transactionHash, blockNumber: log.blockNumber } : undefined;
}

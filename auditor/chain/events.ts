// Decoding of the fetched logs into typed events (PROTOCOL §11), by topic, with viem's decodeEventLog and the
// generated ABIs (the logs themselves are fetched with raw eth_getLogs calls: auditor/chain/logs.ts).
import { decodeEventLog, toEventSelector, type AbiEvent, type Address, type DecodeEventLogReturnType, type Hex } from "viem";
import { dsxCreditAbi, revenueShareLedgerAbi } from "../../sdk/abis";
import type { RawLog } from "./reader";

/** A decoded ledger event. */
export type LedgerEventData = DecodeEventLogReturnType<typeof revenueShareLedgerAbi>;
/** A decoded ERC-20 Transfer. */
export interface TransferData {
  from: Address;
  to: Address;
  value: bigint;
}

/** Where a log sits in the chain. */
export interface LogPosition {
  block: bigint;
  tx: Hex;
  logIndex: number;
}

export type LedgerEvent = LedgerEventData & LogPosition & { source: "ledger" };
export type TokenTransfer = TransferData & LogPosition & { source: "credit" | "settlement" };
export type AuditEvent = LedgerEvent | TokenTransfer;

const ledgerEvents = new Map<Hex, AbiEvent>(
  revenueShareLedgerAbi.filter((item): item is Extract<(typeof revenueShareLedgerAbi)[number], { type: "event" }> => item.type === "event")
    .map((item) => [toEventSelector(item as AbiEvent), item as AbiEvent]),
);
const transferEvent = dsxCreditAbi.find((item) => item.type === "event" && item.name === "Transfer") as AbiEvent;
const TRANSFER = toEventSelector(transferEvent);

const position = (log: RawLog): LogPosition => ({ block: BigInt(log.blockNumber), tx: log.transactionHash, logIndex: Number(BigInt(log.logIndex)) });

/** Decodes a ledger log whose topic is `abiEvent`'s (viem; throws when the log does not fit the ABI's layout). */
const decodeLedgerLog = (abiEvent: AbiEvent, log: RawLog): LedgerEventData =>
  decodeEventLog({ abi: [abiEvent], data: log.data, topics: log.topics as [Hex, ...Hex[]] }) as unknown as LedgerEventData;

/** Decodes an ERC-20 Transfer log (viem, with the DSXC ABI's Transfer: 2 indexed addresses and one word). */
function decodeTransfer(log: RawLog): TransferData {
  return decodeEventLog({ abi: [transferEvent], data: log.data, topics: log.topics as [Hex, ...Hex[]] }).args as unknown as TransferData;
}

/**
 * Decodes the logs of one audit, in chain order. Ledger logs of an unknown topic are skipped (a later ABI);
 * DSXC and settlement logs other than Transfer (Approval, …) are skipped.
 */
export function decodeAuditLogs(ledger: Address, ledgerAndCredit: readonly RawLog[], settlement: readonly RawLog[]): { events: LedgerEvent[]; credit: TokenTransfer[]; settlement: TokenTransfer[] } {
  const ledgerLower = ledger.toLowerCase();
  const events: LedgerEvent[] = [];
  const credit: TokenTransfer[] = [];
  for (const log of ledgerAndCredit) {
    const topic0 = log.topics[0];
    if (log.address.toLowerCase() === ledgerLower) {
      const abiEvent = topic0 ? ledgerEvents.get(topic0) : undefined;
      if (!abiEvent) continue;
      events.push({ ...decodeLedgerLog(abiEvent, log), ...position(log), source: "ledger" });
    } else if (topic0 === TRANSFER && log.topics.length === 3) {
      credit.push({ ...decodeTransfer(log), ...position(log), source: "credit" });
    }
  }
  const transfers: TokenTransfer[] = settlement
    .filter((log) => log.topics[0] === TRANSFER && log.topics.length === 3)
    .map((log) => ({ ...decodeTransfer(log), ...position(log), source: "settlement" as const }));
  return { events, credit, settlement: transfers };
}

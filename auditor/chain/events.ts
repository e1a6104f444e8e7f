// Decoding of the fetched logs into typed events (PROTOCOL §11), by topic, with viem and the generated ABIs.
import { decodeEventLog, getAddress, toEventSelector, type AbiEvent, type Address, type DecodeEventLogReturnType, type Hex } from "viem";
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

const checksummed = new Map<string, Address>();
/** The address in a 32-byte word (checksummed, cached: the same few addresses recur in every log). */
const word = (topic: Hex | undefined): Address => {
  const raw = `0x${(topic ?? "0x").slice(26)}`;
  let a = checksummed.get(raw);
  if (!a) checksummed.set(raw, (a = getAddress(raw)));
  return a;
};
/** The i-th 32-byte word of log data. */
const dataWord = (data: Hex, i: number): Hex => `0x${data.slice(2 + 64 * i, 66 + 64 * i)}`;
const uint = (data: Hex, i: number): bigint => BigInt(dataWord(data, i));

/** Hand decoders of the events a long history is made of (static fields only), checked against the ABI's layout. */
const fastDecoders: Record<string, (log: RawLog) => LedgerEventData> = {
  UsageRecorded: (l) => ({ eventName: "UsageRecorded", args: {
    batchId: l.topics[1], agreementId: BigInt(l.topics[2]), partner: word(l.topics[3]), sku: dataWord(l.data, 0),
    gpuSeconds: uint(l.data, 1), credits: uint(l.data, 2), receivableAdded: uint(l.data, 3),
  } }) as LedgerEventData,
  UsageLineRejected: (l) => ({ eventName: "UsageLineRejected", args: {
    batchId: l.topics[1], agreementId: BigInt(l.topics[2]), sku: dataWord(l.data, 0), reason: Number(uint(l.data, 1)),
  } }) as LedgerEventData,
  UsageBatchRecorded: (l) => ({ eventName: "UsageBatchRecorded", args: {
    batchId: l.topics[1], partner: word(l.topics[2]), sequence: uint(l.data, 0), periodStart: uint(l.data, 1), periodEnd: uint(l.data, 2),
    recordsRoot: dataWord(l.data, 3), linesAccepted: uint(l.data, 4), linesRejected: uint(l.data, 5),
  } }) as LedgerEventData,
  Distributed: (l) => ({ eventName: "Distributed", args: { agreementId: BigInt(l.topics[1]), beneficiary: word(l.topics[2]), amount: uint(l.data, 0) } }) as LedgerEventData,
  PaymentApplied: (l) => ({ eventName: "PaymentApplied", args: {
    agreementId: BigInt(l.topics[1]), payer: word(l.topics[2]), amount: uint(l.data, 0), toPartners: uint(l.data, 1), toProgram: uint(l.data, 2),
  } }) as LedgerEventData,
  RevenueReported: (l) => ({ eventName: "RevenueReported", args: {
    agreementId: BigInt(l.topics[1]), periodIndex: Number(BigInt(l.topics[2])), version: Number(uint(l.data, 0)), revenue: uint(l.data, 1), evidenceHash: dataWord(l.data, 2),
  } }) as LedgerEventData,
  RevenueFinalized: (l) => ({ eventName: "RevenueFinalized", args: {
    agreementId: BigInt(l.topics[1]), periodIndex: Number(BigInt(l.topics[2])), revenue: uint(l.data, 0), owed: uint(l.data, 1), due: uint(l.data, 2),
  } }) as LedgerEventData,
};
const fastByTopic = new Map<Hex, { decode: (log: RawLog) => LedgerEventData; topics: number; words: number }>();
for (const [topic, event] of ledgerEvents) {
  const decode = fastDecoders[event.name];
  if (!decode) continue;
  const indexed = event.inputs.filter((i) => i.indexed).length;
  fastByTopic.set(topic, { decode, topics: indexed + 1, words: event.inputs.length - indexed });
}

/** Decodes an ERC-20 Transfer log (without a full ABI decode: 2 indexed addresses and one word). */
function decodeTransfer(log: RawLog): TransferData {
  return { from: word(log.topics[1]), to: word(log.topics[2]), value: BigInt(log.data) };
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
      const fast = fastByTopic.get(topic0!);
      const decoded = fast && log.topics.length === fast.topics && log.data.length === 2 + 64 * fast.words
        ? fast.decode(log)
        : (decodeEventLog({ abi: [abiEvent], data: log.data, topics: log.topics as [Hex, ...Hex[]] }) as unknown as LedgerEventData);
      events.push({ ...decoded, ...position(log), source: "ledger" });
    } else if (topic0 === TRANSFER && log.topics.length === 3) {
      credit.push({ ...decodeTransfer(log), ...position(log), source: "credit" });
    }
  }
  const transfers: TokenTransfer[] = settlement
    .filter((log) => log.topics[0] === TRANSFER && log.topics.length === 3)
    .map((log) => ({ ...decodeTransfer(log), ...position(log), source: "settlement" as const }));
  return { events, credit, settlement: transfers };
}

// Decoding the ledger's and its credit token's logs (PROTOCOL §11) with the generated ABIs.
import { decodeEventLog, toEventSelector, type Abi, type DecodeEventLogReturnType, type Hex } from "viem";
import { dsxCreditAbi, revenueShareLedgerAbi } from "../../sdk/abis";

/** A ledger event with typed args. */
export type LedgerEvent = DecodeEventLogReturnType<typeof revenueShareLedgerAbi>;
/** A credit token event (only Transfer changes balances). */
export type CreditEvent = DecodeEventLogReturnType<typeof dsxCreditAbi>;

/** Where a log sits on the chain. */
export interface LogPosition {
  blockNumber: number;
  logIndex: number;
  blockHash: Hex;
  txHash: Hex;
  timestamp: number;
}

/** A raw log as stored in `events` and as read from `eth_getLogs`. */
export interface RawLog extends LogPosition {
  address: Hex;
  topics: Hex[];
  data: Hex;
}

/** A decoded log: from the ledger or from its credit token. */
export type DecodedLog =
  | (LogPosition & { source: "ledger"; event: LedgerEvent })
  | (LogPosition & { source: "credit"; event: CreditEvent });

/** The enum names of PROTOCOL's Solidity enums, by ordinal (generated from the compiler's output into sdk/abis.ts). */
export { AGREEMENT_STATUS, REVENUE_STATE, USAGE_REJECTION, type AgreementStatusName, type RevenueStateName } from "../../sdk/abis";

/** topic0 → the one event of the ABI it selects (viem would otherwise hash every event's signature per log). */
function eventsBySelector(abi: Abi): Map<string, Abi> {
  const map = new Map<string, Abi>();
  for (const item of abi) if (item.type === "event") map.set(toEventSelector(item), [item]);
  return map;
}
const LEDGER_EVENTS = eventsBySelector(revenueShareLedgerAbi);
const CREDIT_EVENTS = eventsBySelector(dsxCreditAbi);

/** The address in a 32-byte topic or word, lower-case (the model keys everything by lower-case addresses). */
const addressIn = (word: Hex): Hex => `0x${word.slice(-40).toLowerCase()}`;
/** The i-th 32-byte word of log data, lower-case. */
const word = (data: Hex, i: number): Hex => `0x${data.slice(2 + 64 * i, 66 + 64 * i).toLowerCase()}`;
const uint = (data: Hex, i: number): bigint => BigInt(`0x${data.slice(2 + 64 * i, 66 + 64 * i)}`);

/**
 * Hand decoders of the events a long history is made of (a batch's lines, its credit burns, payments): viem's
 * generic decoder costs ~50 µs a log. They give viem's types (uint ≤ 48 bits as numbers, wider as bigints) and
 * are used only when the topic count and data length are the ABI's; anything else goes to viem.
 */
const FAST: Record<string, { topics: number; words: number; decode: (t: Hex[], d: Hex) => Record<string, unknown> }> = {
  UsageRecorded: {
    topics: 4,
    words: 4,
    decode: (t, d) => ({
      batchId: t[1].toLowerCase(), agreementId: BigInt(t[2]), partner: addressIn(t[3]), sku: word(d, 0),
      gpuSeconds: uint(d, 1), credits: uint(d, 2), receivableAdded: uint(d, 3),
    }),
  },
  UsageLineRejected: {
    topics: 3,
    words: 2,
    decode: (t, d) => ({ batchId: t[1].toLowerCase(), agreementId: BigInt(t[2]), sku: word(d, 0), reason: Number(uint(d, 1)) }),
  },
  UsageBatchRecorded: {
    topics: 3,
    words: 6,
    decode: (t, d) => ({
      batchId: t[1].toLowerCase(), partner: addressIn(t[2]), sequence: uint(d, 0), periodStart: uint(d, 1), periodEnd: uint(d, 2),
      recordsRoot: word(d, 3), linesAccepted: uint(d, 4), linesRejected: uint(d, 5),
    }),
  },
  Distributed: {
    topics: 3,
    words: 1,
    decode: (t, d) => ({ agreementId: BigInt(t[1]), beneficiary: addressIn(t[2]), amount: uint(d, 0) }),
  },
  PaymentApplied: {
    topics: 3,
    words: 3,
    decode: (t, d) => ({ agreementId: BigInt(t[1]), payer: addressIn(t[2]), amount: uint(d, 0), toPartners: uint(d, 1), toProgram: uint(d, 2) }),
  },
  RevenueReported: {
    topics: 3,
    words: 3,
    decode: (t, d) => ({
      agreementId: BigInt(t[1]), periodIndex: Number(BigInt(t[2])), version: Number(uint(d, 0)), revenue: uint(d, 1), evidenceHash: word(d, 2),
    }),
  },
  RevenueFinalized: {
    topics: 3,
    words: 3,
    decode: (t, d) => ({ agreementId: BigInt(t[1]), periodIndex: Number(BigInt(t[2])), revenue: uint(d, 0), owed: uint(d, 1), due: uint(d, 2) }),
  },
};

interface Fast {
  eventName: string;
  topics: number;
  dataLength: number;
  decode: (t: Hex[], d: Hex) => Record<string, unknown>;
}

function fastBySelector(abi: Abi, names: Record<string, { topics: number; words: number; decode: Fast["decode"] }>): Map<string, Fast> {
  const map = new Map<string, Fast>();
  for (const item of abi) {
    if (item.type !== "event" || !names[item.name]) continue;
    const f = names[item.name];
    const indexed = item.inputs.filter((i) => i.indexed).length;
    // the hand decoder must have the ABI's layout (a changed event falls back to viem)
    if (indexed + 1 !== f.topics || item.inputs.length - indexed !== f.words) continue;
    map.set(toEventSelector(item), { eventName: item.name, topics: f.topics, dataLength: 2 + 64 * f.words, decode: f.decode });
  }
  return map;
}
const LEDGER_FAST = fastBySelector(revenueShareLedgerAbi, FAST);
const CREDIT_FAST = fastBySelector(dsxCreditAbi, {
  Transfer: { topics: 3, words: 1, decode: (t, d) => ({ from: addressIn(t[1]), to: addressIn(t[2]), value: uint(d, 0) }) },
});

function fastDecode(fast: Map<string, Fast>, topics: Hex[], data: Hex): { eventName: string; args: Record<string, unknown> } | undefined {
  const f = fast.get(topics[0]?.toLowerCase());
  if (!f || topics.length !== f.topics || data.length !== f.dataLength) return undefined;
  return { eventName: f.eventName, args: f.decode(topics, data) };
}

/**
 * Decodes one log of `ledger` or `credit`; undefined for a log that neither ABI knows (kept out of the index).
 */
export function decodeLog(log: RawLog, ledger: Hex, credit: Hex): DecodedLog | undefined {
  const address = log.address.toLowerCase();
  const position: LogPosition = {
    blockNumber: log.blockNumber,
    logIndex: log.logIndex,
    blockHash: log.blockHash,
    txHash: log.txHash,
    timestamp: log.timestamp,
  };
  const topics = log.topics as [Hex, ...Hex[]];
  try {
    if (address === ledger.toLowerCase()) {
      const fast = fastDecode(LEDGER_FAST, topics, log.data);
      if (fast) return { ...position, source: "ledger", event: fast as unknown as LedgerEvent };
      const abi = LEDGER_EVENTS.get(topics[0]?.toLowerCase());
      if (!abi) return undefined;
      const event = decodeEventLog({ abi, data: log.data, topics, strict: true }) as LedgerEvent;
      return { ...position, source: "ledger", event };
    }
    if (address === credit.toLowerCase()) {
      const fast = fastDecode(CREDIT_FAST, topics, log.data);
      if (fast) return { ...position, source: "credit", event: fast as unknown as CreditEvent };
      const abi = CREDIT_EVENTS.get(topics[0]?.toLowerCase());
      if (!abi) return undefined;
      const event = decodeEventLog({ abi, data: log.data, topics, strict: true }) as CreditEvent;
      return { ...position, source: "credit", event };
    }
  } catch {
    return undefined;
  }
  return undefined;
}

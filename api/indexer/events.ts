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

/** The enum names of PROTOCOL's Solidity enums, by ordinal. */
export const AGREEMENT_STATUS = ["None", "Proposed", "Active", "Terminated", "Expired", "Cancelled"] as const;
export const REVENUE_STATE = ["None", "Pending", "Disputed", "Rejected", "Cleared", "Finalized"] as const;
export const USAGE_REJECTION = [
  "NotOpen",
  "OutsideTerm",
  "ReportingClosed",
  "NoRate",
  "Overlap",
  "OverGpuBound",
  "OverAuthorization",
  "InsufficientCredits",
] as const;

export type AgreementStatusName = (typeof AGREEMENT_STATUS)[number];
export type RevenueStateName = (typeof REVENUE_STATE)[number];

/** topic0 → the one event of the ABI it selects (viem would otherwise hash every event's signature per log). */
function eventsBySelector(abi: Abi): Map<string, Abi> {
  const map = new Map<string, Abi>();
  for (const item of abi) if (item.type === "event") map.set(toEventSelector(item), [item]);
  return map;
}
const LEDGER_EVENTS = eventsBySelector(revenueShareLedgerAbi);
const CREDIT_EVENTS = eventsBySelector(dsxCreditAbi);

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
      const abi = LEDGER_EVENTS.get(topics[0]?.toLowerCase());
      if (!abi) return undefined;
      const event = decodeEventLog({ abi, data: log.data, topics, strict: true }) as LedgerEvent;
      return { ...position, source: "ledger", event };
    }
    if (address === credit.toLowerCase()) {
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

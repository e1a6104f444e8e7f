// Chunked log fetching: the ledger's and its credit token's logs, and the settlement token's transfers to or
// from the ledger, from the deployment block through the audited block.
import { keccak256, pad, stringToBytes, type Address, type Hex } from "viem";
import type { ChainReader, RawLog } from "./reader";

/** keccak256("Transfer(address,address,uint256)"). */
export const TRANSFER_TOPIC = keccak256(stringToBytes("Transfer(address,address,uint256)"));

/** The logs an audit reads. */
export interface FetchedLogs {
  /** The ledger's and the DSXC token's logs, in chain order. */
  ledgerAndCredit: RawLog[];
  /** Settlement-token transfers into or out of the ledger, in chain order (no duplicates). */
  settlement: RawLog[];
}

/** Options of {@link fetchAuditLogs}. */
export interface FetchLogsOptions {
  ledger: Address;
  credit: Address;
  settlementToken: Address;
  fromBlock: bigint;
  toBlock: bigint;
  /** Blocks per eth_getLogs call; halved on a "too many results" refusal. Default 10 000. */
  chunkBlocks?: bigint;
  /** Chunks fetched at once; default 4. */
  concurrency?: number;
  onProgress?: (doneBlocks: bigint, totalBlocks: bigint) => void;
  /** Called with each chunk's ledger and credit logs as it arrives (to start dependent reads early). */
  onChunk?: (ledgerAndCredit: RawLog[]) => void;
}

const LIMIT_HINT = /limit|range|too many|exceed|10000|query returned more/i;

/** eth_getLogs over [from, to], split into halves while the node refuses a range as too large. */
async function getLogsSplitting(reader: ChainReader, filter: Omit<Parameters<ChainReader["getLogs"]>[0], "fromBlock" | "toBlock">, from: bigint, to: bigint): Promise<RawLog[]> {
  try {
    return await reader.getLogs({ ...filter, fromBlock: from, toBlock: to });
  } catch (err) {
    if (from >= to || !LIMIT_HINT.test(err instanceof Error ? err.message : String(err))) throw err;
    const mid = (from + to) / 2n;
    return [...(await getLogsSplitting(reader, filter, from, mid)), ...(await getLogsSplitting(reader, filter, mid + 1n, to))];
  }
}

const order = (a: RawLog, b: RawLog): number => {
  const ba = BigInt(a.blockNumber);
  const bb = BigInt(b.blockNumber);
  if (ba !== bb) return ba < bb ? -1 : 1;
  return Number(BigInt(a.logIndex) - BigInt(b.logIndex));
};

/**
 * Fetches every log the audit needs, in block-range chunks (several in flight), and sorts them in chain order.
 * @example const logs = await fetchAuditLogs(reader, { ledger, credit, settlementToken, fromBlock: 1n, toBlock: 900n });
 */
export async function fetchAuditLogs(reader: ChainReader, options: FetchLogsOptions): Promise<FetchedLogs> {
  const chunk = options.chunkBlocks ?? 10_000n;
  const ranges: [bigint, bigint][] = [];
  for (let from = options.fromBlock; from <= options.toBlock; from += chunk) {
    ranges.push([from, from + chunk - 1n < options.toBlock ? from + chunk - 1n : options.toBlock]);
  }
  const ledgerTopic = pad(options.ledger.toLowerCase() as Hex, { size: 32 });
  const ledgerAndCredit: RawLog[][] = [];
  const settlement: RawLog[][] = [];
  const total = options.toBlock - options.fromBlock + 1n;
  let done = 0n;
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < ranges.length) {
      const i = next++;
      const [from, to] = ranges[i];
      const [own, outflows, inflows] = await Promise.all([
        getLogsSplitting(reader, { address: [options.ledger, options.credit] }, from, to),
        getLogsSplitting(reader, { address: options.settlementToken, topics: [TRANSFER_TOPIC, ledgerTopic] }, from, to),
        getLogsSplitting(reader, { address: options.settlementToken, topics: [TRANSFER_TOPIC, null, ledgerTopic] }, from, to),
      ]);
      ledgerAndCredit[i] = own;
      settlement[i] = [...outflows, ...inflows];
      options.onChunk?.(own);
      done += to - from + 1n;
      options.onProgress?.(done, total);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(options.concurrency ?? 4, ranges.length)) }, worker));
  const seen = new Set<string>();
  const uniqueSettlement = settlement.flat().filter((log) => {
    const key = `${log.transactionHash}:${log.logIndex}`;
    if (seen.has(key)) return false; // a transfer from the ledger to itself matches both filters
    seen.add(key);
    return true;
  });
  return {
    ledgerAndCredit: ledgerAndCredit.flat().filter((l) => !l.removed).sort(order),
    settlement: uniqueSettlement.filter((l) => !l.removed).sort(order),
  };
}

/** Timestamps of `blocks` (one eth_getBlockByNumber each, sent in JSON-RPC batches). */
export async function fetchBlockTimes(reader: ChainReader, blocks: Iterable<bigint>): Promise<Map<bigint, bigint>> {
  const list = [...new Set(blocks)];
  const times = new Map<bigint, bigint>();
  const BATCH = 500;
  const slices: bigint[][] = [];
  for (let i = 0; i < list.length; i += BATCH) slices.push(list.slice(i, i + BATCH));
  // every request is sent at once (the transport groups them into JSON-RPC batches)
  await Promise.all(slices.map(async (slice) => {
    const headers = await Promise.all(
      slice.map((n) => reader.client.request({ method: "eth_getBlockByNumber", params: [`0x${n.toString(16)}`, false] }) as Promise<{ timestamp: Hex } | null>),
    );
    headers.forEach((h, j) => {
      if (!h) throw new Error(`Block ${slice[j]} is not known to the node.`);
      times.set(slice[j], BigInt(h.timestamp));
    });
  }));
  return times;
}

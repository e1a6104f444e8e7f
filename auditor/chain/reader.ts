// The auditor's only window on the chain: a JSON-RPC endpoint, read directly (no indexer, no API database).
// Concurrent requests are sent as JSON-RPC batches; transport failures are retried with backoff.
import { createPublicClient, http, type Address, type Hex, type PublicClient } from "viem";
import { withRetry } from "../../sdk/chain";
import { RetryableError } from "../../sdk/errors";

/** A raw log as eth_getLogs returns it. */
export interface RawLog {
  address: Address;
  topics: Hex[];
  data: Hex;
  blockNumber: Hex;
  blockHash: Hex;
  transactionHash: Hex;
  logIndex: Hex;
  removed?: boolean;
}

/** Reads a chain through one endpoint. */
export interface ChainReader {
  url: string;
  client: PublicClient;
  /** eth_getLogs with retries. */
  getLogs(filter: { address?: Address | Address[]; topics?: (Hex | Hex[] | null)[]; fromBlock: bigint; toBlock: bigint }): Promise<RawLog[]>;
}

/** Options of {@link createChainReader}. */
export interface ChainReaderOptions {
  rpcUrl: string;
  /** Requests per JSON-RPC batch; default 100. */
  batchSize?: number;
  timeoutMs?: number;
}

const hex = (n: bigint): Hex => `0x${n.toString(16)}`;

/**
 * A reader over `rpcUrl`: a viem public client whose concurrent calls are batched, and a raw eth_getLogs.
 * @example const reader = createChainReader({ rpcUrl: "http://127.0.0.1:8545" });
 */
export function createChainReader(options: ChainReaderOptions): ChainReader {
  const transport = http(options.rpcUrl, {
    batch: { batchSize: options.batchSize ?? 100, wait: 0 },
    retryCount: 0,
    timeout: options.timeoutMs ?? 60_000,
  });
  const client = createPublicClient({ transport }) as PublicClient;
  return {
    url: options.rpcUrl,
    client,
    async getLogs(filter) {
      const params = {
        ...(filter.address ? { address: filter.address } : {}),
        ...(filter.topics ? { topics: filter.topics } : {}),
        fromBlock: hex(filter.fromBlock),
        toBlock: hex(filter.toBlock),
      };
      return withRetry(async () => {
        // eth_getLogs is not in viem's typed schema with raw params; the result is the node's raw log list
        const logs = (await client.request({ method: "eth_getLogs", params: [params] } as never)) as RawLog[] | null;
        if (!Array.isArray(logs)) throw new RetryableError(`eth_getLogs returned ${String(logs)}.`);
        return logs;
      }, { attempts: 5 });
    },
  };
}

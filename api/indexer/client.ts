// The indexer's JSON-RPC client: sdk/chain's chain definition with JSON-RPC batching switched on, so the
// block headers of a chunk (for timestamps and hashes) travel in one HTTP request instead of hundreds.
import { createPublicClient, http, type Chain, type PublicClient, type Transport } from "viem";
import { createChainClients } from "../../sdk/chain";

/** A public client for `rpcUrl` that batches concurrent calls (retries stay with `withRetry`). */
export function createIndexerClient(rpcUrl: string, chainId: number, timeoutMs = 20_000): PublicClient<Transport, Chain> {
  const { chain } = createChainClients({ rpcUrl, chainId });
  return createPublicClient({
    chain,
    cacheTime: 0,
    pollingInterval: 250,
    transport: http(rpcUrl, { batch: { batchSize: 250, wait: 0 }, retryCount: 0, timeout: timeoutMs }),
  });
}

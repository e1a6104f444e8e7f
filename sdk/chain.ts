import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type Account,
  type Chain,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { isRetryable } from "./errors";

/** A viem public client and, with an account, a wallet client, for one JSON-RPC endpoint. */
export interface ChainClients {
  chain: Chain;
  publicClient: PublicClient<Transport, Chain>;
  walletClient?: WalletClient<Transport, Chain, Account>;
}

/**
 * Clients for `rpcUrl` on `chainId` (any EVM chain; the id is checked against the node on first use by callers).
 * @example const { publicClient, walletClient } = createChainClients({ rpcUrl, chainId: 31337, account });
 */
export function createChainClients(options: { rpcUrl: string; chainId: number; account?: Account; timeoutMs?: number }): ChainClients {
  const chain = defineChain({
    id: options.chainId,
    name: `chain ${options.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [options.rpcUrl] } },
  });
  // viem's own retries stay off: callers retry whole operations with `withRetry`
  const transport = http(options.rpcUrl, { retryCount: 0, timeout: options.timeoutMs ?? 20_000 });
  const publicClient = createPublicClient({ chain, transport, pollingInterval: 250 });
  const walletClient = options.account ? createWalletClient({ chain, transport, account: options.account }) : undefined;
  return { chain, publicClient, walletClient };
}

/** Options of {@link withRetry}. */
export interface RetryOptions {
  /** Attempts in all, the first included; default 8. */
  attempts?: number;
  /** Delay before the second attempt; doubles each time up to `maxDelayMs`. Default 250 ms. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Called before each wait, e.g. to log the outage. */
  onRetry?: (err: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `fn`, retrying with exponential backoff while it fails with a retryable error (transport errors,
 * timeouts, rate limits: see `isRetryable`); a non-retryable error or the last attempt's error is thrown.
 */
export async function withRetry<T>(fn: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 8;
  const maxDelay = options.maxDelayMs ?? 10_000;
  let delay = options.baseDelayMs ?? 250;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn(attempt);
    } catch (err) {
      if (attempt >= attempts || !isRetryable(err)) throw err;
      options.onRetry?.(err, attempt, delay);
      await new Promise((resolve) => setTimeout(resolve, delay));
      delay = Math.min(delay * 2, maxDelay);
    }
  }
}

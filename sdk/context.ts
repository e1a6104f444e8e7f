// What every action needs: clients for one chain whose id was checked against the node, the deployment on
// that chain and the signing account (SERVICES §1); or, to prepare calls for a Safe, the Safe's address.
import { parseAccount } from "viem/accounts";
import type { Account, Address, Chain, PublicClient, Transport, WalletClient } from "viem";
import { createChainClients, withRetry, type RetryOptions } from "./chain";
import { readDeployment, type Deployment } from "./deployment";
import { ConfigError } from "./errors";
import { loadAccount } from "./keys";
import { toAddress } from "./values";

/** What every operation needs: clients for one chain, the signing account and the deployment. */
export interface LedgerContext {
  publicClient: PublicClient<Transport, Chain>;
  walletClient: WalletClient<Transport, Chain, Account>;
  account: Account;
  deployment: Deployment;
  /** Retries of reads and receipt waits on transient RPC failures (never of the send itself). */
  retry?: RetryOptions;
  /** Receipt wait timeout; default 120 s. */
  receiptTimeoutMs?: number;
  /**
   * Prepare mode: calls are simulated as this Safe (`account` is its address, no key) and handed back by the
   * send engine instead of sent (sdk/execute.ts `prepareCall`, `CallPrepared`).
   */
  prepare?: { safe: Address };
}

/** What the reads need: clients and the deployment, no key. */
export type LedgerReader = Pick<LedgerContext, "publicClient" | "deployment" | "retry">;

/** Options of {@link openLedgerContext}. */
export interface OpenLedgerContextOptions {
  rpcUrl: string;
  /** A deployment file, or a folder holding `<chainId>.json`; or the parsed deployment. */
  deployment: string | Deployment;
  /** Expected chain id; default the deployment file's, or the node's. Checked against the node. */
  chainId?: number;
  /** An encrypted keystore (password from `passwordEnv`, default DSX_KEYSTORE_PASSWORD) … */
  keystore?: string;
  passwordEnv?: string;
  /** … or a raw private key, accepted on chain 31337 only; or a ready viem account. */
  privateKey?: string;
  account?: Account;
  /** Prepare calls for this Safe instead of sending them: no key is loaded (see {@link LedgerContext.prepare}). */
  safe?: Address;
  retry?: RetryOptions;
}

/**
 * Connects to a node, checks its chain id, loads the deployment and the key (SERVICES §1) and returns a
 * {@link LedgerContext}.
 * @example
 * const ctx = await openLedgerContext({ rpcUrl: "http://127.0.0.1:8545", deployment: "deployments", privateKey: NODE_KEYS[0] });
 */
export async function openLedgerContext(options: OpenLedgerContextOptions): Promise<LedgerContext> {
  const nodeChainId = await nodeChainIdOf(options.rpcUrl, options.retry);
  if (options.chainId !== undefined && options.chainId !== nodeChainId) {
    throw new ConfigError("chainId", `The node at ${options.rpcUrl} is chain ${nodeChainId}, not ${options.chainId}.`, {
      fix: "Pass the right --chain-id or --rpc-url.",
    });
  }
  const deployment = typeof options.deployment === "string" ? readDeployment(options.deployment, nodeChainId) : options.deployment;
  if (deployment.chainId !== nodeChainId) {
    throw new ConfigError("chainId", `The deployment is for chain ${deployment.chainId} but the node at ${options.rpcUrl} is chain ${nodeChainId}.`, {
      fix: "Point --rpc-url and --deployment at the same chain.",
    });
  }
  // a Safe signs elsewhere: its address is the account the simulations run as
  const account =
    options.safe !== undefined
      ? parseAccount(toAddress(options.safe, "Safe"))
      : (options.account ??
        (await loadAccount({ chainId: nodeChainId, keystore: options.keystore, passwordEnv: options.passwordEnv, privateKey: options.privateKey })));
  const { publicClient, walletClient } = createChainClients({ rpcUrl: options.rpcUrl, chainId: nodeChainId, account });
  const prepare = options.safe !== undefined ? { safe: account.address } : undefined;
  return { publicClient, walletClient: walletClient!, account, deployment, retry: options.retry, ...(prepare ? { prepare } : {}) };
}

/**
 * The chain id the node at `rpcUrl` reports; a dead endpoint is one line with the fix.
 * @example const chainId = await nodeChainIdOf("http://127.0.0.1:8545"); // 31337
 */
export async function nodeChainIdOf(rpcUrl: string, retry: RetryOptions = { attempts: 3 }): Promise<number> {
  const { publicClient } = createChainClients({ rpcUrl, chainId: 1, timeoutMs: 10_000 });
  try {
    return await withRetry(() => publicClient.getChainId(), retry);
  } catch (cause) {
    throw new ConfigError("rpcUrl", `No JSON-RPC node answers at ${rpcUrl}.`, {
      fix: "Start the node or pass the right --rpc-url (env DSX_RPC_URL).",
      cause,
    });
  }
}

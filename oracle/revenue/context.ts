// Everything a revenue oracle command works with, built once at start-up and passed in
// (no globals): settings, deployment, chain clients, keys, state database, logger.
import type { Address } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { createChainClients, withRetry, type ChainClients, type RetryOptions } from "../../sdk/chain";
import { loadDeployment, type Deployment } from "../../sdk/config";
import { ledgerDomain, type LedgerDomain } from "../../sdk/eip712";
import { ConfigError } from "../../sdk/errors";
import { loadAccount } from "../../sdk/keys";
import type { KeySetting, RevenueConfig } from "./config";
import { RevenueStore } from "./store";

/** The revenue oracle's dependencies. */
export interface RevenueContext {
  config: RevenueConfig;
  deployment: Deployment;
  clients: Required<ChainClients>;
  /** Local keys of revenue signers. */
  signers: PrivateKeyAccount[];
  domain: LedgerDomain;
  store: RevenueStore;
  retry: RetryOptions;
  /** Progress and warnings, one line each (stderr in the CLI). */
  log: (line: string) => void;
}

/** Options of {@link openRevenueContext}. */
export interface OpenRevenueContextOptions {
  environment?: Readonly<Record<string, string | undefined>>;
  log?: (line: string) => void;
}

async function loadKey(key: KeySetting, setting: string, chainId: number, environment: Readonly<Record<string, string | undefined>>): Promise<PrivateKeyAccount> {
  if (key.keystore !== undefined) return loadAccount({ chainId, keystore: key.keystore, passwordEnv: key.passwordEnv, environment });
  const name = key.privateKeyEnv as string;
  const value = environment[name];
  if (value === undefined || value === "") {
    throw new ConfigError(name, `Environment variable ${name} (the private key of ${setting}) is not set.`, { fix: `Set ${name}, or use a keystore.` });
  }
  return loadAccount({ chainId, privateKey: value, environment });
}

/**
 * Loads the deployment and keys, connects to the node (checking its chain id) and opens the
 * state database. Close it with {@link closeRevenueContext}.
 * @throws ConfigError for a bad deployment file, key, chain id or state folder.
 */
export async function openRevenueContext(config: RevenueConfig, options: OpenRevenueContextOptions = {}): Promise<RevenueContext> {
  const environment = options.environment ?? process.env;
  const log = options.log ?? (() => undefined);
  const deployment = loadDeployment(config.deploymentsDir, config.chainId);
  const signers: PrivateKeyAccount[] = [];
  for (const [i, key] of config.signers.entries()) signers.push(await loadKey(key, `signers.${i}`, config.chainId, environment));
  const sender = config.sender ? await loadKey(config.sender, "sender", config.chainId, environment) : signers[0];
  const clients = createChainClients({ rpcUrl: config.rpcUrl, chainId: config.chainId, account: sender, timeoutMs: config.rpcTimeoutMs });
  const retry: RetryOptions = {
    ...config.retry,
    onRetry: (err, attempt, delayMs) => log(`RPC failed (${(err as Error).message.split("\n")[0]}); retry ${attempt} in ${delayMs} ms`),
  };
  const chainId = await withRetry(() => clients.publicClient.getChainId(), retry);
  if (chainId !== config.chainId) {
    throw new ConfigError("chainId", `The node at ${config.rpcUrl} is chain ${chainId}, not ${config.chainId}.`, {
      fix: "Correct rpcUrl or chainId.",
    });
  }
  const store = new RevenueStore(config.stateDir, { chainId, ledger: deployment.ledger });
  return {
    config,
    deployment,
    clients: clients as Required<ChainClients>,
    signers,
    domain: ledgerDomain(chainId, deployment.ledger),
    store,
    retry,
    log,
  };
}

/** Closes the state database. */
export function closeRevenueContext(ctx: RevenueContext): void {
  ctx.store.close();
}

/** The address that sends the oracle's transactions. */
export function senderOf(ctx: RevenueContext): Address {
  return ctx.clients.walletClient.account.address;
}

// Everything a revenue oracle command works with, built once at start-up and passed in
// (no globals): settings, deployment, chain clients, keys, reference rates, state database, logger.
import type { Address } from "viem";
import type { PrivateKeyAccount } from "viem/accounts";
import { createChainClients, withRetry, type ChainClients, type RetryOptions } from "../../sdk/chain";
import { loadDeployment, type Deployment } from "../../sdk/deployment";
import { ledgerDomain, type LedgerDomain } from "../../sdk/eip712";
import { ConfigError } from "../../sdk/errors";
import { loadAccount } from "../../sdk/keys";
import { resolveKey } from "../common/configVocabulary";
import { loadFxRates, type FxTable } from "../sources/fx";
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
  /** The reference rates of `fxRates` (undefined: none configured, non-USD rows are quarantined `no-fx-rate`). */
  fx?: FxTable;
  store: RevenueStore;
  retry: RetryOptions;
  /** Progress and warnings, one line each (stderr in the CLI). */
  log: (line: string) => void;
}

/** Options of {@link openRevenueContext}. */
export interface OpenRevenueContextOptions {
  environment?: Readonly<Record<string, string | undefined>>;
  log?: (line: string) => void;
  /** Load the signing and sending keys (default true). `plan` and the quarantine review sign nothing and need none. */
  keys?: boolean;
  /** Connect to the node and check its chain id (default true). Recording quarantine decisions needs no chain. */
  chain?: boolean;
}

async function loadKey(key: KeySetting, setting: string, chainId: number, environment: Readonly<Record<string, string | undefined>>): Promise<PrivateKeyAccount> {
  return loadAccount({ chainId, ...resolveKey(key, setting, environment), environment });
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
  const fx = config.fxRates === undefined ? undefined : loadFxRates(config.fxRates);
  const signers: PrivateKeyAccount[] = [];
  const withKeys = options.keys ?? true;
  if (withKeys) for (const [i, key] of config.signers.entries()) signers.push(await loadKey(key, `signers.${i}`, config.chainId, environment));
  const sender = !withKeys ? undefined : config.sender ? await loadKey(config.sender, "sender", config.chainId, environment) : signers[0];
  const clients = createChainClients({ rpcUrl: config.rpcUrl, chainId: config.chainId, account: sender, timeoutMs: config.rpcTimeoutMs });
  const retry: RetryOptions = {
    ...config.retry,
    onRetry: (err, attempt, delayMs) => log(`RPC failed (${(err as Error).message.split("\n")[0]}); retry ${attempt} in ${delayMs} ms`),
  };
  const chainId = options.chain === false ? config.chainId : await withRetry(() => clients.publicClient.getChainId(), retry);
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
    fx,
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

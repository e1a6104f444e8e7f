// Shared by the oracle tests: fixture paths, the usage config the fixtures are written for, and a
// usage oracle set up on a fresh chain.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import type { UsageSourceConfig } from "../../oracle/sources/usage";
import {
  bundleUsageCli,
  setupUsageChain,
  tempOracleDir,
  writeUsageConfig,
  type SetupOptions,
  type UsageChain,
  type UsageConfigOverrides,
} from "./crash/usageChain";

/** Absolute path of a file under test/fixtures. */
export function fixturePath(...parts: string[]): string {
  return join(__dirname, "..", "fixtures", ...parts);
}

/** Text of a file under test/fixtures. */
export function readFixture(...parts: string[]): string {
  return readFileSync(fixturePath(...parts), "utf8");
}

/** The partner config of the Sydney cluster in test/fixtures/slurm and test/fixtures/metering. */
export const sydneyConfig: UsageSourceConfig = {
  accounts: { "startup-a": 1n, "startup-b": 2n, "startup-c": 3n },
  skuMap: { h100: "h100-sxm", b200: "b200", gb300: "gb300" },
  partitionSkus: { "gpu-h100": "h100-sxm", "gpu-b200": "b200" },
  timezone: "Australia/Sydney",
};

/** Unix seconds of an ISO 8601 time with a zone (test shorthand). */
export function at(iso: string): bigint {
  const ms = Date.parse(iso);
  if (Number.isNaN(ms) || !/(Z|[+-]\d\d:\d\d)$/.test(iso)) throw new Error(`bad test time ${iso}`);
  return BigInt(ms / 1000);
}

/** A usage oracle set up by {@link startUsageOracle}. */
export interface UsageOracleSetup {
  chain: UsageChain;
  /** A fresh folder with an empty `inbox`: the oracle's inputs, state and evidence. */
  dir: string;
  /** Path of the oracle's config file in `dir`. */
  config: string;
  /** Path of the usage CLI bundled into `dir` (empty unless `cli` was asked for). */
  cli: string;
}

/**
 * A usage oracle on a fresh chain: starts a node and deploys ({@link setupUsageChain}), makes a
 * temporary folder, writes the oracle's config in it and, with `cli`, bundles the usage CLI
 * there. The caller stops `chain.node`.
 * @example ({ chain, dir, config, cli } = await startUsageOracle({ chain: { days: 2n }, cli: true }));
 */
export async function startUsageOracle(options: { chain?: SetupOptions; config?: UsageConfigOverrides; cli?: boolean } = {}): Promise<UsageOracleSetup> {
  const chain = await setupUsageChain(options.chain);
  try {
    const dir = tempOracleDir();
    const config = writeUsageConfig(chain, dir, options.config);
    return { chain, dir, config, cli: options.cli ? bundleUsageCli(dir) : "" };
  } catch (err) {
    await chain.node.stop();
    throw err;
  }
}

// The usage oracle's settings (SERVICES §1–§2): a JSON file and/or environment variables,
// parsed with zod; a bad setting stops the start-up with one line naming it and the fix.
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { addressSchema, loadConfig } from "../../sdk/config";
import type { UsageSourceConfig } from "../sources/usage";

const wholeNumber = z
  .union([z.string().regex(/^\d+$/, { error: "expected a whole number" }), z.number().int().nonnegative()])
  .transform((v) => BigInt(v));

/** A signing key: an encrypted keystore (password from `passwordEnv`) or, on chain 31337 only, a raw key. */
export const keySettingSchema = z
  .object({
    keystore: z.string().optional(),
    passwordEnv: z.string().optional(),
    privateKey: z.string().optional(),
  })
  .strict();

/** The usage oracle's settings. */
export const usageConfigSchema = z
  .object({
    rpcUrl: z.url(),
    chainId: z.coerce.number().int().positive(),
    /** Folder of `deployments/<chainId>.json`. */
    deployments: z.string().default("deployments"),
    /** The partner's address, as registered on the ledger. */
    partner: addressSchema,
    /** Folder of the state database and quarantine.jsonl. */
    stateDir: z.string(),
    /** Folder of the evidence bundles; default `<stateDir>/evidence`. */
    evidenceDir: z.string().optional(),
    /** Export files or folders read by `usage run` (a folder: every file in it, by name). */
    inputs: z.array(z.string()).default([]),
    accounts: z.record(z.string(), wholeNumber),
    skuMap: z.record(z.string(), z.string()),
    partitionSkus: z.record(z.string(), z.string()).optional(),
    timezone: z.string().default("UTC"),
    otherAccounts: z.enum(["quarantine", "ignore"]).default("quarantine"),
    maxRecordGpuSeconds: wholeNumber.optional(),
    windowSeconds: z.coerce.number().int().positive().default(3600),
    lagSeconds: z.coerce.number().int().nonnegative().default(900),
    /** The partner's oracle signer keys held here (k of n: may be fewer than the threshold, then `sign`/`submit`). */
    signers: z.array(keySettingSchema).default([]),
    /** The key that pays for the transactions; default the first signer. */
    relayer: keySettingSchema.optional(),
    retry: z
      .object({
        attempts: z.coerce.number().int().positive().default(8),
        baseDelayMs: z.coerce.number().int().positive().default(250),
        maxDelayMs: z.coerce.number().int().positive().default(8_000),
      })
      .strict()
      .default({ attempts: 8, baseDelayMs: 250, maxDelayMs: 8_000 }),
  })
  .strict();

/** Parsed settings, with paths resolved. */
export type UsageConfig = z.output<typeof usageConfigSchema> & { evidenceDir: string };

/** Environment variables that override settings. */
export const USAGE_ENV: Readonly<Record<string, string>> = {
  rpcUrl: "DSX_RPC_URL",
  chainId: "DSX_CHAIN_ID",
  deployments: "DSX_DEPLOYMENTS_DIR",
  partner: "DSX_PARTNER",
  stateDir: "DSX_USAGE_STATE_DIR",
  evidenceDir: "DSX_USAGE_EVIDENCE_DIR",
};

/**
 * Loads the usage oracle's settings from `file` (relative paths in it are relative to the
 * file's folder) and the environment.
 * @example const config = loadUsageConfig("oracle-usage.json");
 */
export function loadUsageConfig(file: string | undefined, environment: Readonly<Record<string, string | undefined>> = process.env): UsageConfig {
  const parsed = loadConfig({ schema: usageConfigSchema, file, env: USAGE_ENV, environment });
  const base = file ? resolve(file, "..") : process.cwd();
  const at = (p: string) => (isAbsolute(p) ? p : join(base, p));
  const stateDir = at(parsed.stateDir);
  const key = (k: z.output<typeof keySettingSchema>) => (k.keystore ? { ...k, keystore: at(k.keystore) } : k);
  return {
    ...parsed,
    deployments: at(parsed.deployments),
    stateDir,
    evidenceDir: parsed.evidenceDir ? at(parsed.evidenceDir) : join(stateDir, "evidence"),
    inputs: parsed.inputs.map(at),
    signers: parsed.signers.map(key),
    relayer: parsed.relayer ? key(parsed.relayer) : undefined,
  };
}

/** The part of the settings the input adapters read. */
export function sourceConfigOf(config: UsageConfig): UsageSourceConfig {
  return {
    accounts: config.accounts,
    skuMap: config.skuMap,
    partitionSkus: config.partitionSkus,
    timezone: config.timezone,
    otherAccounts: config.otherAccounts,
    maxRecordGpuSeconds: config.maxRecordGpuSeconds,
  };
}

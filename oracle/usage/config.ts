// The usage oracle's settings (SERVICES §1–§2): a JSON file and/or environment variables,
// parsed with zod; a bad setting stops the start-up with one line naming it and the fix.
import { isAbsolute, join, resolve } from "node:path";
import { z } from "zod";
import { addressSchema, loadConfig } from "../../sdk/config";
import { canonicalSettings, deprecationLine, oracleKeySchema, resolveKey, type ResolvedKey } from "../common/configVocabulary";
import type { UsageSourceConfig } from "../sources/usage";

const wholeNumber = z
  .union([z.string().regex(/^\d+$/, { error: "expected a whole number" }), z.number().int().nonnegative()])
  .transform((v) => BigInt(v));

/**
 * A signing key, in the vocabulary both oracles share (oracle/common/configVocabulary.ts): an
 * encrypted keystore (password from `passwordEnv`) or, on chain 31337 only, `privateKeyEnv`
 * naming the environment variable that holds a raw key (an inline `privateKey` is deprecated).
 */
export const keySettingSchema = oracleKeySchema;

/** The usage oracle's settings. Old names (`deployments`, `relayer`) are read as their names now. */
export const usageConfigSchema = z.preprocess(
  canonicalSettings,
  z.object({
    rpcUrl: z.url(),
    chainId: z.coerce.number().int().positive(),
    /** Folder of `deployments/<chainId>.json`. */
    deploymentsDir: z.string().default("deployments"),
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
    /** The key that sends the transactions and pays for them; default the first signer. */
    sender: keySettingSchema.optional(),
    retry: z
      .object({
        attempts: z.coerce.number().int().positive().default(8),
        baseDelayMs: z.coerce.number().int().positive().default(250),
        maxDelayMs: z.coerce.number().int().positive().default(8_000),
      })
      .strict()
      .default({ attempts: 8, baseDelayMs: 250, maxDelayMs: 8_000 }),
  }).strict(),
);

type ParsedUsageConfig = z.output<typeof usageConfigSchema>;

/** Parsed settings, with paths resolved and keys ready for `loadAccount` (`privateKeyEnv` read from the environment). */
export type UsageConfig = Omit<ParsedUsageConfig, "signers" | "sender"> & {
  evidenceDir: string;
  signers: ResolvedKey[];
  sender?: ResolvedKey;
  /** @deprecated the same as `deploymentsDir` (its old name); the oracle reads `deploymentsDir`. */
  deployments: string;
  /** @deprecated the same as `sender` (its old name); the oracle reads `sender`. */
  relayer?: ResolvedKey;
};

/** Environment variables that override settings. */
export const USAGE_ENV: Readonly<Record<string, string>> = {
  rpcUrl: "DSX_RPC_URL",
  chainId: "DSX_CHAIN_ID",
  deploymentsDir: "DSX_DEPLOYMENTS_DIR",
  partner: "DSX_PARTNER",
  stateDir: "DSX_USAGE_STATE_DIR",
  evidenceDir: "DSX_USAGE_EVIDENCE_DIR",
};

/**
 * Loads the usage oracle's settings from `file` (relative paths in it are relative to the
 * file's folder) and the environment, which also holds the keys `privateKeyEnv` names.
 * Old setting names in the file print one deprecation line through `warn` (default stderr).
 * @throws ConfigError naming the setting (or the unset key variable) and the fix.
 * @example const config = loadUsageConfig("oracle-usage.json");
 */
export function loadUsageConfig(
  file: string | undefined,
  environment: Readonly<Record<string, string | undefined>> = process.env,
  warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): UsageConfig {
  const deprecated = deprecationLine(file);
  if (deprecated) warn(deprecated);
  const parsed = loadConfig({ schema: usageConfigSchema, file, env: USAGE_ENV, environment });
  const base = file ? resolve(file, "..") : process.cwd();
  const at = (p: string) => (isAbsolute(p) ? p : join(base, p));
  const stateDir = at(parsed.stateDir);
  const key = (k: z.output<typeof keySettingSchema>, setting: string): ResolvedKey => {
    const resolved = resolveKey(k, setting, environment);
    return resolved.keystore ? { ...resolved, keystore: at(resolved.keystore) } : resolved;
  };
  const deploymentsDir = at(parsed.deploymentsDir);
  const sender = parsed.sender ? key(parsed.sender, "sender") : undefined;
  return {
    ...parsed,
    deploymentsDir,
    deployments: deploymentsDir,
    stateDir,
    evidenceDir: parsed.evidenceDir ? at(parsed.evidenceDir) : join(stateDir, "evidence"),
    inputs: parsed.inputs.map(at),
    signers: parsed.signers.map((k, i) => key(k, `signers.${i}`)),
    sender,
    relayer: sender,
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

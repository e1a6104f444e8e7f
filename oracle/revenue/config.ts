// Settings of the revenue oracle (SERVICES §1, §3): a JSON file, overridden by environment
// variables, validated with zod. A bad setting stops the start with one line naming it.
import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { z } from "zod";
import { loadConfig } from "../../sdk/config";
import { ConfigError } from "../../sdk/errors";
import { canonicalSettings, deprecationLine, oracleKeySchema, type OracleKeySetting } from "../common/configVocabulary";
import { CONNECT_CATEGORIES } from "../sources/stripe";
import { DEFAULT_DATA_LAG_SECONDS } from "./periods";

/** Default config file, read from the working directory when neither `--config` nor DSX_REVENUE_CONFIG names one. */
export const DEFAULT_REVENUE_CONFIG_FILE = "revenue-oracle.json";

/** Setting → environment variable that overrides it. */
export const REVENUE_CONFIG_ENV = {
  rpcUrl: "DSX_RPC_URL",
  chainId: "DSX_CHAIN_ID",
  deploymentsDir: "DSX_DEPLOYMENTS_DIR",
  stateDir: "DSX_REVENUE_STATE_DIR",
  evidenceDir: "DSX_REVENUE_EVIDENCE_DIR",
  dataLagSeconds: "DSX_REVENUE_DATA_LAG_SECONDS",
} as const;

/** One configured signing key (see oracle/common/configVocabulary.ts). */
const keySchema = oracleKeySchema;

/** One configured signing key. */
export type KeySetting = OracleKeySetting;

const agreementIdSchema = z
  .union([z.number().int().positive(), z.string().regex(/^[1-9][0-9]*$/, { error: "expected a positive whole number" })])
  .transform((v) => BigInt(v));

const agreementSchema = z
  .object({
    id: agreementIdSchema,
    /** The revenue base of the agreement's legal terms (termsHash): Stripe `gross` or `net`. */
    base: z.enum(["gross", "net"], { error: 'expected "gross" or "net" (the revenue base of the agreement\'s legal terms)' }),
    /** Stripe itemized balance reports: files, or folders whose *.csv files are all read. */
    stripe: z.array(z.string().min(1)).default([]),
    /** Generic revenue CSVs (`timestamp, amount, currency, reference`): files or folders. */
    revenueCsv: z.array(z.string().min(1)).default([]),
    /**
     * Stripe Connect categories counted as revenue besides the standard ones, as the agreement's
     * legal terms define the base: `platform_earning`, `platform_earning_refund`, `connect_collection_transfer`.
     */
    extraCategories: z
      .array(z.enum(CONNECT_CATEGORIES, { error: `expected one of ${CONNECT_CATEGORIES.join(", ")} (Stripe Connect categories)` }))
      .default([]),
  })
  .strict()
  .refine((a) => a.stripe.length + a.revenueCsv.length > 0, { error: "give at least one stripe or revenueCsv input" });

/** One agreement the oracle reports for. */
export type AgreementSetting = z.output<typeof agreementSchema>;

const positiveInt = z.coerce.number().int().positive();

/** The revenue oracle's settings. Old names (`deployments`, `relayer`) are read as their names now. */
export const revenueConfigSchema = z.preprocess(
  canonicalSettings,
  z.object({
    rpcUrl: z.url(),
    chainId: z.coerce.number().int().positive(),
    deploymentsDir: z.string().min(1).default("deployments"),
    /** Reference rates for non-USD rows: CSV `date, currency, usd_per_unit` (SERVICES §3 "Currencies"). */
    fxRates: z.string().min(1).optional(),
    stateDir: z.string().min(1).default("state/revenue"),
    evidenceDir: z.string().min(1).default("evidence/revenue"),
    /** How long after a period's end its data is complete (SERVICES §3; default 2 days). */
    dataLagSeconds: z.coerce.number().int().nonnegative().default(Number(DEFAULT_DATA_LAG_SECONDS)),
    /** Local keys of members of the ledger's revenue signer set; at least its threshold of them. */
    signers: z.array(keySchema).min(1, { error: "give at least one signer key" }),
    /** The account that sends transactions (pays gas); default the first signer. */
    sender: keySchema.optional(),
    retry: z
      .object({ attempts: positiveInt.default(8), baseDelayMs: positiveInt.default(250), maxDelayMs: positiveInt.default(10_000) })
      .strict()
      .default({ attempts: 8, baseDelayMs: 250, maxDelayMs: 10_000 }),
    /** RPC request timeout. */
    rpcTimeoutMs: positiveInt.default(20_000),
    agreements: z
      .array(agreementSchema)
      .min(1, { error: "give at least one agreement" })
      .superRefine((list, ctx) => {
        const seen = new Set<bigint>();
        list.forEach((a, i) => {
          if (seen.has(a.id)) ctx.addIssue({ code: "custom", path: [i, "id"], message: `agreement ${a.id} is configured twice` });
          seen.add(a.id);
        });
      }),
  }).strict(),
);

/** Parsed settings; every path is absolute. */
export type RevenueConfig = z.output<typeof revenueConfigSchema>;

/**
 * Loads the revenue oracle's settings from `file` (paths in it are relative to its folder)
 * and the environment ({@link REVENUE_CONFIG_ENV}). Checks that every input path exists.
 * @throws ConfigError naming the setting and the fix.
 * @example const config = loadRevenueConfig("revenue-oracle.json");
 */
export function loadRevenueConfig(
  file: string,
  environment: Readonly<Record<string, string | undefined>> = process.env,
  /** Where the one deprecation line goes (old setting names in the file); default stderr. */
  warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): RevenueConfig {
  const deprecated = deprecationLine(file);
  if (deprecated) warn(deprecated);
  const config = loadConfig({ schema: revenueConfigSchema, file, env: REVENUE_CONFIG_ENV, environment });
  const base = dirname(resolve(file));
  const abs = (p: string) => resolve(base, p);
  const absKey = (k: KeySetting): KeySetting => (k.keystore === undefined ? k : { ...k, keystore: abs(k.keystore) });
  const resolved: RevenueConfig = {
    ...config,
    deploymentsDir: abs(config.deploymentsDir),
    fxRates: config.fxRates === undefined ? undefined : abs(config.fxRates),
    stateDir: abs(config.stateDir),
    evidenceDir: abs(config.evidenceDir),
    signers: config.signers.map(absKey),
    sender: config.sender && absKey(config.sender),
    agreements: config.agreements.map((a) => ({ ...a, stripe: a.stripe.map(abs), revenueCsv: a.revenueCsv.map(abs) })),
  };
  if (resolved.fxRates !== undefined && !existsSync(resolved.fxRates)) {
    throw new ConfigError("fxRates", `Invalid setting fxRates in ${file}: ${resolved.fxRates} does not exist.`, {
      fix: "Point it to a CSV file of date,currency,usd_per_unit (the USD value of one unit of each currency per UTC date).",
    });
  }
  resolved.agreements.forEach((a, i) => {
    for (const kind of ["stripe", "revenueCsv"] as const) {
      a[kind].forEach((path, j) => {
        if (!existsSync(path)) {
          throw new ConfigError(`agreements.${i}.${kind}.${j}`, `Invalid setting agreements.${i}.${kind}.${j} in ${file}: ${path} does not exist.`, {
            fix: "Point it to an export file or to the folder that holds the exports.",
          });
        }
      });
    }
  });
  return resolved;
}

// The API's settings (SERVICES §1): a JSON file and/or `DSX_*` environment variables (the names before them still
// read, with one deprecation line), parsed with zod; a bad setting stops the start with one line naming it and the fix.
import { z } from "zod";
import { loadConfig } from "../sdk/config";
import { DEFAULT_DUE_SOON_SECONDS, WEBHOOK_DEFAULTS } from "./defaults";

const int = (min: number, max: number) =>
  z.coerce.number({ error: "expected a whole number" }).int({ error: "expected a whole number" }).min(min).max(max);

export const apiConfigSchema = z.strictObject({
  rpcUrl: z.url({ error: "expected an http(s) URL of a JSON-RPC node, e.g. http://127.0.0.1:8545" }),
  chainId: int(1, 2 ** 32),
  deploymentsDir: z.string().min(1).default("deployments"),
  /** PostgreSQL connection string; unset: PGlite in `dataDir`. */
  databaseUrl: z.string().min(1).optional(),
  dataDir: z.string().min(1).default(".dsx/index"),
  host: z.string().min(1).default("127.0.0.1"),
  port: int(0, 65535).default(8080),
  /** Run the indexer in this process (one writer holds the lease; other processes only serve). */
  indexer: z.stringbool().default(true),
  confirmations: int(0, 10_000).default(2),
  chunkSize: int(1, 1_000_000).default(2000),
  pollIntervalMs: int(50, 600_000).default(1000),
  leaseTtlMs: int(1000, 3_600_000).default(30_000),
  evidenceDir: z.string().min(1).optional(),
  /** The auditor's report folder (`audit --out`), for `GET /v1/agreements/:id/audit`. */
  auditDir: z.string().min(1).optional(),
  /** "*" or a comma-separated list of origins; empty: no CORS. */
  corsOrigins: z.string().default(""),
  rateLimitPerMinute: int(0, 10_000_000).default(600),
  bodyLimit: z.string().regex(/^\d+(b|kb|mb)$/, { error: 'expected a size like "16kb"' }).default("16kb"),
  logLevel: z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"]).default("info"),
  shutdownTimeoutMs: int(0, 600_000).default(10_000),
  /** The webhook subscriptions file (docs/webhooks.md); unset: no webhooks. Delivered by the indexing process only. */
  webhooksFile: z.string().min(1).optional(),
  webhookConcurrency: int(1, 256).default(WEBHOOK_DEFAULTS.concurrency),
  webhookTimeoutMs: int(100, 120_000).default(WEBHOOK_DEFAULTS.timeoutMs),
  /** Retries: the first wait, the longest wait, and how long after the notification attempts go on (3 days). */
  webhookRetryBaseMs: int(1, 86_400_000).default(WEBHOOK_DEFAULTS.retry.baseDelayMs),
  webhookRetryMaxDelayMs: int(1, 86_400_000).default(WEBHOOK_DEFAULTS.retry.maxDelayMs),
  webhookRetryForMs: int(0, 30 * 86_400_000).default(WEBHOOK_DEFAULTS.retry.retryForMs),
  /** Days finished deliveries are kept before the lease holder deletes them (0: forever). */
  webhookRetentionDays: int(0, 36_500).default(WEBHOOK_DEFAULTS.retentionMs / 86_400_000),
  /** How long before a due date `payment.due_soon` goes out, by the chain's clock (docs/notifications.md). */
  dueSoonSeconds: int(0, 365 * 86_400).default(DEFAULT_DUE_SOON_SECONDS),
});

export type ApiConfig = z.output<typeof apiConfigSchema>;

/**
 * Setting → environment variable: `DSX_*` like every service's (the chain's `DSX_RPC_URL`, `DSX_CHAIN_ID`,
 * `DSX_DEPLOYMENTS_DIR`, the API's own `DSX_API_*`); `DATABASE_URL` keeps the name PostgreSQL tooling reads.
 */
export const API_ENV = {
  rpcUrl: "DSX_RPC_URL",
  chainId: "DSX_CHAIN_ID",
  deploymentsDir: "DSX_DEPLOYMENTS_DIR",
  databaseUrl: "DATABASE_URL",
  dataDir: "DSX_API_DATA_DIR",
  host: "DSX_API_HOST",
  port: "DSX_API_PORT",
  indexer: "DSX_API_INDEXER",
  confirmations: "DSX_API_CONFIRMATIONS",
  chunkSize: "DSX_API_CHUNK_SIZE",
  pollIntervalMs: "DSX_API_POLL_INTERVAL_MS",
  leaseTtlMs: "DSX_API_LEASE_TTL_MS",
  evidenceDir: "DSX_API_EVIDENCE_DIR",
  auditDir: "DSX_API_AUDIT_DIR",
  corsOrigins: "DSX_API_CORS_ORIGINS",
  rateLimitPerMinute: "DSX_API_RATE_LIMIT_PER_MINUTE",
  bodyLimit: "DSX_API_BODY_LIMIT",
  logLevel: "DSX_API_LOG_LEVEL",
  shutdownTimeoutMs: "DSX_API_SHUTDOWN_TIMEOUT_MS",
  webhooksFile: "DSX_API_WEBHOOKS_FILE",
  webhookConcurrency: "DSX_API_WEBHOOK_CONCURRENCY",
  webhookTimeoutMs: "DSX_API_WEBHOOK_TIMEOUT_MS",
  webhookRetryBaseMs: "DSX_API_WEBHOOK_RETRY_BASE_MS",
  webhookRetryMaxDelayMs: "DSX_API_WEBHOOK_RETRY_MAX_DELAY_MS",
  webhookRetryForMs: "DSX_API_WEBHOOK_RETRY_FOR_MS",
  webhookRetentionDays: "DSX_API_WEBHOOK_RETENTION_DAYS",
  dueSoonSeconds: "DSX_API_DUE_SOON_SECONDS",
} as const;

/** The variable naming the API's JSON settings file (optional). */
export const API_CONFIG_ENV = "DSX_API_CONFIG";

/** Current variable → the name the API read before: still accepted, with one deprecation line. */
export const DEPRECATED_API_ENV: Readonly<Record<string, string>> = {
  DSX_RPC_URL: "RPC_URL",
  DSX_CHAIN_ID: "CHAIN_ID",
  DSX_DEPLOYMENTS_DIR: "DEPLOYMENTS_DIR",
  DSX_API_CONFIG: "API_CONFIG",
  DSX_API_DATA_DIR: "API_DATA_DIR",
  DSX_API_HOST: "API_HOST",
  DSX_API_PORT: "API_PORT",
  DSX_API_INDEXER: "API_INDEXER",
  DSX_API_CONFIRMATIONS: "API_CONFIRMATIONS",
  DSX_API_CHUNK_SIZE: "API_CHUNK_SIZE",
  DSX_API_POLL_INTERVAL_MS: "API_POLL_INTERVAL_MS",
  DSX_API_LEASE_TTL_MS: "API_LEASE_TTL_MS",
  DSX_API_EVIDENCE_DIR: "API_EVIDENCE_DIR",
  DSX_API_AUDIT_DIR: "API_AUDIT_DIR",
  DSX_API_CORS_ORIGINS: "API_CORS_ORIGINS",
  DSX_API_RATE_LIMIT_PER_MINUTE: "API_RATE_LIMIT_PER_MINUTE",
  DSX_API_BODY_LIMIT: "API_BODY_LIMIT",
  DSX_API_LOG_LEVEL: "LOG_LEVEL",
  DSX_API_SHUTDOWN_TIMEOUT_MS: "API_SHUTDOWN_TIMEOUT_MS",
};

type Environment = Readonly<Record<string, string | undefined>>;

/** Set and not empty (loadConfig's rule: an empty variable counts as unset). */
const given = (value: string | undefined): value is string => value !== undefined && value !== "";

/**
 * The variable to read for `name`: itself, or its old name when only that one is set. Old names found are listed in
 * `notes`; when both names are set and differ, the current one wins and the note says so.
 */
function variableFor(name: string, environment: Environment, notes: string[]): string {
  const old = DEPRECATED_API_ENV[name];
  if (old === undefined || !given(environment[old])) return name;
  if (!given(environment[name])) {
    notes.push(`${old} (now ${name})`);
    return old;
  }
  notes.push(environment[name] === environment[old] ? `${old} (now ${name}, set to the same value)` : `${old} (now ${name}; both are set and differ: ${name} wins)`);
  return name;
}

/**
 * Loads the settings from `DSX_API_CONFIG` (a JSON file, optional) and the environment ({@link API_ENV}). The old
 * names ({@link DEPRECATED_API_ENV}) are still read; using any prints one deprecation line through `warn`.
 * @throws ConfigError naming the setting, the variable it came from and the fix.
 * @example const config = loadApiConfig({ DSX_RPC_URL: "http://127.0.0.1:8545", DSX_CHAIN_ID: "31337" });
 */
export function loadApiConfig(
  environment: Environment = process.env,
  warn: (line: string) => void = (line) => process.stderr.write(`${line}\n`),
): ApiConfig {
  const notes: string[] = [];
  const file = environment[variableFor(API_CONFIG_ENV, environment, notes)] || undefined;
  const env = Object.fromEntries(Object.entries(API_ENV).map(([setting, name]) => [setting, variableFor(name, environment, notes)]));
  if (notes.length > 0) {
    warn(`warning: deprecated environment variables: ${notes.join(", ")}; the old names still work, see docs/api.md "Settings".`);
  }
  return loadConfig({ schema: apiConfigSchema, file, env, environment });
}

/** "*" → "*"; "a,b" → ["a", "b"]. */
export function parseCorsOrigins(value: string): "*" | string[] {
  if (value.trim() === "*") return "*";
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

// The API's settings (SERVICES §1): a JSON file and/or environment variables, parsed with zod; a bad
// setting stops the start with one line naming it and the fix.
import { z } from "zod";
import { loadConfig } from "../sdk/config";

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
});

export type ApiConfig = z.output<typeof apiConfigSchema>;

/** Setting → environment variable. */
export const API_ENV = {
  rpcUrl: "RPC_URL",
  chainId: "CHAIN_ID",
  deploymentsDir: "DEPLOYMENTS_DIR",
  databaseUrl: "DATABASE_URL",
  dataDir: "API_DATA_DIR",
  host: "API_HOST",
  port: "API_PORT",
  indexer: "API_INDEXER",
  confirmations: "API_CONFIRMATIONS",
  chunkSize: "API_CHUNK_SIZE",
  pollIntervalMs: "API_POLL_INTERVAL_MS",
  leaseTtlMs: "API_LEASE_TTL_MS",
  evidenceDir: "API_EVIDENCE_DIR",
  auditDir: "API_AUDIT_DIR",
  corsOrigins: "API_CORS_ORIGINS",
  rateLimitPerMinute: "API_RATE_LIMIT_PER_MINUTE",
  bodyLimit: "API_BODY_LIMIT",
  logLevel: "LOG_LEVEL",
  shutdownTimeoutMs: "API_SHUTDOWN_TIMEOUT_MS",
} as const;

/** Loads the settings from `API_CONFIG` (a JSON file, optional) and the environment. */
export function loadApiConfig(environment: Readonly<Record<string, string | undefined>> = process.env): ApiConfig {
  return loadConfig({ schema: apiConfigSchema, file: environment.API_CONFIG || undefined, env: API_ENV, environment });
}

/** "*" → "*"; "a,b" → ["a", "b"]. */
export function parseCorsOrigins(value: string): "*" | string[] {
  if (value.trim() === "*") return "*";
  return value
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
}

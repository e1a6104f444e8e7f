// Prometheus metrics of the API and its indexer (SERVICES §7), with prom-client: requests and latency per route
// pattern, the index's progress and lag, the writer lease, reorgs, and the agreements delinquent or due soon.
// Index figures are read from the database when Prometheus scrapes (collect callbacks), so a process that only
// serves (no indexer of its own) reports them too. docs/operations.md says what each one means.
import { METHODS } from "node:http";
import { setTimeout as sleep } from "node:timers/promises";
import { sql, type Kysely } from "kysely";
import type { Logger } from "pino";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";
import type { Block } from "viem";
import type { RequestHandler } from "express";
import { checkpointNowSql, delinquentSql } from "../db/rules";
import type { Database } from "../db/schema";
import type { Indexer } from "../indexer/indexer";
import { routes } from "../routes/definitions";
import { DEFAULT_DUE_SOON_SECONDS } from "../defaults";

/** Route label of a request no route pattern matched (404s): one label, whatever the URL. */
export const UNMATCHED_ROUTE = "unmatched";
/** Route label of a successful answer no route pattern gave (the dashboard's static files). */
export const STATIC_ROUTE = "static";

export interface ApiMetricsOptions {
  db: Kysely<Database>;
  /** The indexer of this process, if any: adds its reorgs and whether this process holds the lease. */
  indexer?: Pick<Indexer, "status" | "onCheckpoint">;
  /** The node (any client with viem's `getBlock`): the chain head's number and time for the lag figures. */
  chain?: { getBlock(args: { blockTag: "latest" }): Promise<Pick<Block, "number" | "timestamp">> };
  /** Register into this registry (default: a new one). */
  registry?: Registry;
  /** Also export Node's default process metrics (default true). */
  defaultMetrics?: boolean;
  /** How far ahead of the checkpoint's time a due date counts as "due soon" (seconds, default 3 days). */
  dueSoonSeconds?: number;
  /** How long the head read may take before a scrape goes on without it (ms, default 2000). */
  chainTimeoutMs?: number;
  logger?: Logger;
}

export interface ApiMetrics {
  registry: Registry;
  /** Times and counts every request by method, route pattern and status class; mount first. */
  middleware: RequestHandler;
  /** `GET /metrics`: the Prometheus text format. */
  handler: RequestHandler;
}

/** What one scrape reads: the checkpoint row, the lease, the delinquency counts, and the chain head. */
interface IndexSnapshot {
  checkpoint: number | null;
  checkpointHash: string | null;
  checkpointTime: number | null;
  head: number | null;
  final: number | null;
  leaseHeld: boolean;
  delinquent: number;
  dueSoon: number;
  chainHead?: { number: number; timestamp: number };
}

/** A route pattern as a matcher over path segments (`:name` is one non-empty segment). */
function segmentMatcher(pattern: string): (segments: readonly string[]) => boolean {
  const parts = pattern.split("/");
  return (segments) => segments.length === parts.length && parts.every((p, i) => (p.startsWith(":") ? segments[i] !== "" : p === segments[i]));
}

/** The API's route patterns, for requests answered before routing (429 of the rate limit, 413 of the body limit). */
const KNOWN_PATTERNS = [...routes.map((r) => r.path), "/v1/events/stream"].map((pattern) => ({ pattern, matches: segmentMatcher(pattern) }));

/** The label of a finished request: the pattern Express matched, else the known pattern of its path, else one bucket. */
function routeLabel(req: Parameters<RequestHandler>[0], status: number): string {
  const matched = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof matched === "string") return req.baseUrl + matched;
  const segments = req.path.split("/");
  const known = KNOWN_PATTERNS.find((k) => k.matches(segments));
  if (known) return known.pattern;
  return status < 400 ? STATIC_ROUTE : UNMATCHED_ROUTE;
}

const KNOWN_METHODS = new Set(METHODS);

/**
 * The API's metrics: a registry with the request metrics (fed by `middleware`) and the index figures (read at each
 * scrape), and the `/metrics` handler. Pass `middleware` and `handler` to `createApp({ metrics })`.
 * @example const metrics = createApiMetrics({ db, indexer, chain: publicClient }); createApp({ ..., metrics });
 */
export function createApiMetrics(options: ApiMetricsOptions): ApiMetrics {
  const { db, indexer, chain } = options;
  const registry = options.registry ?? new Registry();
  if (options.defaultMetrics !== false) collectDefaultMetrics({ register: registry });
  const registers = [registry];
  const dueSoonSeconds = options.dueSoonSeconds ?? DEFAULT_DUE_SOON_SECONDS;
  const chainTimeoutMs = options.chainTimeoutMs ?? 2000;

  const labelNames = ["method", "route", "status_class"] as const;
  const requests = new Counter({ name: "dsx_http_requests_total", help: "HTTP requests answered, by method, route pattern and status class.", labelNames, registers });
  const duration = new Histogram({
    name: "dsx_http_request_duration_seconds",
    help: "Time from a request's arrival to its response's end, by method, route pattern and status class.",
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers,
  });

  const middleware: RequestHandler = (req, res, next) => {
    const started = process.hrtime.bigint();
    res.once("close", () => {
      const labels = {
        method: KNOWN_METHODS.has(req.method) ? req.method : "OTHER",
        route: routeLabel(req, res.statusCode),
        status_class: res.headersSent ? `${Math.floor(res.statusCode / 100)}xx` : "aborted",
      };
      requests.inc(labels);
      duration.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
    });
    next();
  };

  // ---- index figures: one read per scrape, shared by every gauge's collect callback
  let reading: Promise<IndexSnapshot> | undefined;
  const snapshot = (): Promise<IndexSnapshot> => {
    reading ??= readSnapshot().finally(() => {
      reading = undefined;
    });
    return reading;
  };

  async function readSnapshot(): Promise<IndexSnapshot> {
    const [row, chainHead] = await Promise.all([readIndex(db, dueSoonSeconds), chain ? readChainHead() : undefined]);
    return {
      checkpoint: row?.checkpoint_number ?? null,
      checkpointHash: row?.checkpoint_hash ?? null,
      checkpointTime: row?.checkpoint_timestamp ?? null,
      head: row?.head_number ?? null,
      final: row?.final_number ?? null,
      leaseHeld: row?.lease_held === true,
      delinquent: Number(row?.delinquent ?? 0),
      dueSoon: Number(row?.due_soon ?? 0),
      chainHead,
    };
  }

  /** The node's latest block, or undefined when it does not answer within `chainTimeoutMs`. */
  async function readChainHead(): Promise<{ number: number; timestamp: number } | undefined> {
    const stop = new AbortController();
    const timeout = sleep(chainTimeoutMs, undefined, { signal: stop.signal }).catch(() => undefined);
    try {
      const block = await Promise.race([chain!.getBlock({ blockTag: "latest" }), timeout]);
      return block ? { number: Number(block.number), timestamp: Number(block.timestamp) } : undefined;
    } catch (err) {
      options.logger?.warn({ err: String(err) }, "metrics: the node did not give its head; the lag figures are NaN");
      return undefined;
    } finally {
      stop.abort();
    }
  }

  /** A gauge set from the scrape's snapshot; NaN when the figure is unknown. */
  const indexGauge = (name: string, help: string, value: (s: IndexSnapshot) => number | null | undefined) =>
    new Gauge({
      name,
      help,
      registers,
      async collect() {
        const v = value(await snapshot());
        this.set(v === null || v === undefined ? NaN : v);
      },
    });

  // when the checkpoint last moved, by the wall clock: seen by this process's indexer, or by a scrape
  let seen: { key: string; at: number } | undefined;
  indexer?.onCheckpoint(() => {
    seen = { key: checkpointKey(indexer.status().checkpoint), at: Date.now() };
  });
  const checkpointKey = (c: { number: number; hash: string } | undefined) => (c ? `${c.number}:${c.hash}` : "");

  indexGauge("dsx_index_checkpoint_block", "The last block indexed (the checkpoint; every answer's meta.blockNumber).", (s) => s.checkpoint);
  indexGauge("dsx_index_checkpoint_timestamp_seconds", "The chain's time of the checkpoint block (unix seconds): the API's \"now\".", (s) => s.checkpointTime);
  indexGauge("dsx_index_head_block", "The chain head the indexer last saw (as it recorded it).", (s) => s.head);
  indexGauge("dsx_index_final_block", "The last final block: the head the indexer last saw minus the confirmations.", (s) => s.final);
  if (chain) {
    indexGauge("dsx_chain_head_block", "The node's latest block, read at the scrape (NaN when the node does not answer).", (s) => s.chainHead?.number);
    indexGauge(
      "dsx_index_lag_seconds",
      "Chain time between the node's latest block and the checkpoint (seconds; NaN when the node does not answer).",
      (s) => (s.chainHead && s.checkpointTime !== null ? Math.max(0, s.chainHead.timestamp - s.checkpointTime) : null),
    );
  }
  indexGauge(
    "dsx_index_lag_blocks",
    "Blocks between the chain head (the node's latest, else the one the indexer last saw) and the checkpoint.",
    (s) => {
      const head = s.chainHead?.number ?? s.head;
      return head === null || s.checkpoint === null ? null : Math.max(0, head - s.checkpoint);
    },
  );
  indexGauge(
    "dsx_index_checkpoint_age_seconds",
    "Wall-clock seconds since the checkpoint last moved, as this process saw it (counted from its start at most).",
    (s) => {
      const key = s.checkpoint === null ? "" : `${s.checkpoint}:${s.checkpointHash}`;
      if (seen?.key !== key) seen = { key, at: Date.now() };
      return (Date.now() - seen.at) / 1000;
    },
  );
  indexGauge("dsx_index_lease_held", "1 while some indexer holds the writer lease (by the database's clock), else 0.", (s) => (s.leaseHeld ? 1 : 0));
  indexGauge(
    "dsx_agreements_delinquent",
    "Agreements delinquent at the checkpoint's time (an unsettled period's due date has come; sdk/ledgerRules.ts isDelinquent).",
    (s) => s.delinquent,
  );
  indexGauge(
    "dsx_agreements_due_soon",
    `Agreements not delinquent whose next due date comes within ${dueSoonSeconds} s of the checkpoint's time.`,
    (s) => s.dueSoon,
  );

  if (indexer) {
    new Gauge({
      name: "dsx_indexer_lease_held",
      help: "1 while the indexer of this process holds the writer lease, else 0.",
      registers,
      collect() {
        this.set(indexer.status().holdsLease ? 1 : 0);
      },
    });
    let counted = 0;
    new Counter({
      name: "dsx_indexer_reorgs_total",
      help: "Reorganisations the indexer of this process rolled back (since it started).",
      registers,
      collect() {
        const reorgs = indexer.status().reorgs;
        if (reorgs > counted) this.inc(reorgs - counted);
        counted = reorgs;
      },
    });
  }

  const handler: RequestHandler = async (_req, res, next) => {
    try {
      const text = await registry.metrics();
      res.setHeader("Cache-Control", "no-store");
      res.type(registry.contentType).send(text);
    } catch (err) {
      next(err);
    }
  };

  return { registry, middleware, handler };
}

/** The checkpoint row, whether a lease is live, and the delinquency counts, in one statement (one snapshot). */
async function readIndex(db: Kysely<Database>, dueSoonSeconds: number) {
  const now = checkpointNowSql("s");
  const nextDue = sql.ref<number>("a.next_due");
  const soon = sql<number>`${now} + ${sql.lit(Math.floor(dueSoonSeconds))}`;
  return db
    .selectFrom("indexer_state as s")
    .select([
      "s.checkpoint_number",
      "s.checkpoint_hash",
      "s.checkpoint_timestamp",
      "s.head_number",
      "s.final_number",
      sql<boolean>`(s.lease_owner is not null and s.lease_expires_at > now())`.as("lease_held"),
      sql<number>`(select count(*)::int from agreements a where ${delinquentSql(nextDue, now)})`.as("delinquent"),
      // due within the window: delinquent at now + window, not yet at now (the one rule, evaluated twice)
      sql<number>`(select count(*)::int from agreements a where ${delinquentSql(nextDue, soon)} and not ${delinquentSql(nextDue, now)})`.as("due_soon"),
    ])
    .where("s.id", "=", 1)
    .executeTakeFirst();
}

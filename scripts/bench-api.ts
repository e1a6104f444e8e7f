// `npm run bench:api`: loads a realistic index straight into the database (≥ 1 000 agreements, ≥ 100 000
// usage lines), serves it from a child process and measures on loopback, in one run: GET /v1/agreements/:id,
// paginated lists, and a bare Express JSON route as the baseline; each API route with the response cache
// (the default) and without it. The load generator is wrk when it is installed (`apt-get install wrk`; C,
// light on a 2-core machine), else autocannon — either way in its own process, never in the server's. Routes
// are measured in rounds (baseline first in each) and the median round is reported, so a burst of load from
// elsewhere on the machine shifts a round, not the ratios. The `*-bytes` routes are ceilings: bare Express sending
// the very answers of the agreement, list and usage routes (captured at start), i.e. the cost of their size alone;
// `agreement-statement` runs one trivial prepared statement (`select $1::int8`) on the same database before it, and
// the `*-read` routes the very statements the API ran for each of those answers (no view, no JSON, no middleware);
// `list-views-read` and `usage-views-read` read each page from tables of rendered items (scripts/lib/benchViews.ts).
// PGlite by default; PostgreSQL when BENCH_DATABASE_URL names a server (the bench creates a database of its own
// there and drops it at the end). A benchmark, not a test: it prints figures.
//   npm run bench:api
//   BENCH_DATABASE_URL=postgres://dsx:dsx@127.0.0.1:5432/dsx_test npm run bench:api
//   BENCH_SECONDS=5 BENCH_ROUNDS=3 BENCH_CONNECTIONS=32 BENCH_LOADGEN=wrk|autocannon BENCH_ROUTES=agreement,baseline
//   BENCH_AGREEMENTS=10000 BENCH_LINES_PER_AGREEMENT=100     10× the data (1 000 000 usage lines)
//   BENCH_LIVE=1 [BENCH_BLOCK_MS=1000]   a new block indexed every second during the load (the cache empties each
//                                        time; its hit rate is reported)
//   BENCH_PLANS=1 (or `-- --plans`)      no load: EXPLAIN (ANALYZE, BUFFERS) of every route's statements
//   BENCH_PROFILE=<dir>                  a V8 CPU profile of the server per route (first round) in <dir>
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import express from "express";
import { CompiledQuery, sql } from "kysely";
import pino from "pino";
import { createApp } from "../api/app";
import type { DatabaseHandle } from "../api/db/database";
import type { Database, UsageLineFacts } from "../api/db/schema";
import { responseCacheStats } from "../api/http/responseCache";
import { encodeCursor } from "../api/services/cursor";
import { usageLineJson } from "../api/services/usageLineView";
import { capture, planUrls, printPlans } from "./lib/benchPlans";
import { agreementViewsPage, makeViewTables, usageViewsPage } from "./lib/benchViews";
import { startCpuProfile } from "./lib/cpuProfile";
import { startLiveBlocks } from "./lib/liveBlocks";
import { scratchDatabase } from "./lib/scratchDatabase";

const AGREEMENTS = Number(process.env.BENCH_AGREEMENTS ?? 1000);
const LINES_PER_AGREEMENT = Number(process.env.BENCH_LINES_PER_AGREEMENT ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);
const WRK = spawnSync("wrk", ["--version"]).error === undefined;
const LOADGEN = process.env.BENCH_LOADGEN ?? (WRK ? "wrk" : "autocannon");
const LIVE = process.env.BENCH_LIVE === "1";
const BLOCK_MS = Number(process.env.BENCH_BLOCK_MS ?? 1000);
const PLANS = process.env.BENCH_PLANS === "1" || process.argv.includes("--plans");
const PROFILE = process.env.BENCH_PROFILE;

const hex = (n: number, bytes: number) => `0x${n.toString(16).padStart(bytes * 2, "0")}`;
const address = (n: number) => hex(n, 20);

/** Fills an empty index with the bench's agreements, positions, batches, usage lines, periods and payments. */
const ZERO_PROGRAM_TOTALS = {
  agreements_by_status: "{}", credits_minted_total: "0", consumed_total: "0", credits_outstanding_total: "0", obligation_total: "0",
  paid_total: "0", revenue_reported_total: "0", revenue_finalized_total: "0",
};

export async function seed(handle: DatabaseHandle): Promise<void> {
  const db = handle.db;
  const T0 = 1_790_000_000;
  const PERIOD = 30 * 86_400;
  await db.insertInto("indexer_state").values({
    id: 1, chain_id: 31337, ledger: address(0x1ed6e5), credit: address(0xc5ed17), settlement_token: address(0x05dc),
    deployment_block: 1, dispute_window: 259_200, rate_notice: 604_800, auth_notice: 604_800, reporting_grace: 604_800,
    signer_notice: 172_800, migration_notice: 604_800, payout_notice: 604_800,
    checkpoint_number: 1_000_000, checkpoint_hash: hex(1_000_000, 32), checkpoint_timestamp: T0 + 90 * 86_400,
    head_number: 1_000_000, final_number: 999_998, lease_owner: null, lease_expires_at: null,
  }).execute();
  await db.insertInto("program").values({
    id: 1, treasury: address(0x7ea5), paused: false, last_unpaused_at: 0, program_claimable: "400000000", program_claimed: "0",
    revenue_signers: JSON.stringify([address(0x5160)]), revenue_threshold: 1, revenue_pending_signers: "[]", revenue_pending_threshold: 0,
    revenue_pending_at: 0, agreement_count: AGREEMENTS, ...ZERO_PROGRAM_TOTALS,
  }).execute();
  const partners = [address(0xf0f0), address(0xb0b0)];
  await db.insertInto("partners").values(partners.map((p, i) => ({
    address: p, signers: JSON.stringify([address(0x5100 + i)]), threshold: 1, pending_signers: "[]", pending_threshold: 0, pending_signers_at: 0,
    payout_address: null, pending_payout: null, pending_payout_at: 0, payout_bps: 7000 + i * 1000, active: true,
    next_sequence: AGREEMENTS, registered_block: 2, registered_at: T0, position_count: 0, spent_total: "0", receivable_total: "0", paid_total: "0",
  }))).execute();
  const chunk = async <T extends keyof Database>(table: T, rows: Database[T][]) => {
    for (let i = 0; i < rows.length; i += 1000) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table chosen at run time
      await db.insertInto(table).values(rows.slice(i, i + 1000) as any).execute();
    }
  };
  // usage lines go in as they are made (10× the data is 1 000 000 of them)
  const flushLines = async () => {
    await chunk("usage_lines", lines);
    lines.length = 0;
  };
  const agreements: Database["agreements"][] = [];
  const positions: Database["positions"][] = [];
  const batches: Database["usage_batches"][] = [];
  const lines: Database["usage_lines"][] = [];
  const periods: Database["revenue_periods"][] = [];
  const payments: Database["payments"][] = [];
  const distributions: Database["distributions"][] = [];
  const audits: Database["audits"][] = [];
  let block = 100;
  for (let id = 1; id <= AGREEMENTS; id++) {
    agreements.push({
      id: String(id), startup: address(0x10000 + id), status: id % 10 === 0 ? "Terminated" : "Active", credit_limit: "100000000000",
      revenue_share_bps: 800, cap_multiple_bps: 15000, partner_first_bps: 6000, start_time: T0, end_time: T0 + 12 * PERIOD,
      period_duration: PERIOD, grace_period: 15 * 86_400, terms_hash: hex(id, 32), created_block: 10 + id, created_at: T0 - 86_400 + id,
      accepted_at: T0 - 3600, terminated_at: id % 10 === 0 ? T0 + 60 * 86_400 : 0, credits_minted: "100000000000", consumed: "3000000000",
      cap: "4500000000", obligation: "1600000000", paid: "1000000000", next_due: T0 + 45 * 86_400, next_period_to_finalize: 1,
      period_count: 12, partner_count: 2, pending_migration_to: null, pending_migration_at: 0, updated_block: 900_000, last_audit: null,
    });
    partners.forEach((p, i) => positions.push({
      agreement_id: String(id), partner: p, list_index: i, spend_limit: "50000000000", max_gpus: 16, pending_spend_limit: "0",
      pending_spend_limit_at: 0, pending_max_gpus: 0, pending_max_gpus_at: 0, spent: "1500000000", burned_at: "1500000000",
      receivable: "1050000000", paid_to_partner: "300000000", last_usage_end: T0 + 5 * 86_400,
    }));
    const batchId = hex(id, 32);
    batches.push({
      batch_id: batchId, partner: partners[id % 2], sequence: id, period_start: T0, period_end: T0 + 3600, records_root: hex(id + 7, 32),
      lines_accepted: LINES_PER_AGREEMENT, lines_rejected: 0, block_number: block, log_index: LINES_PER_AGREEMENT, tx_hash: hex(block, 32), submitted_at: T0 + 7200,
    });
    for (let k = 0; k < LINES_PER_AGREEMENT; k++) {
      const line: UsageLineFacts = {
        block_number: block, log_index: k, batch_id: batchId, agreement_id: String(id), partner: partners[id % 2],
        sku: "0x6231303000000000000000000000000000000000000000000000000000000000", gpu_seconds: "28800", accepted: k % 25 !== 0,
        reason: k % 25 === 0 ? "OverGpuBound" : null, credits: "32000000", receivable_added: "22400000", tx_hash: hex(block, 32), timestamp: T0 + 7200 + k,
      };
      lines.push({ ...line, view: usageLineJson(line) });
    }
    if (lines.length >= 20_000) await flushLines();
    periods.push({
      agreement_id: String(id), period_index: 0, state: "Finalized", version: 1, revenue: "20000000000", evidence_hash: hex(id, 32),
      submitted_at: T0 + PERIOD + 60, disputed_by: null, dispute_reason_hash: null, owed: "1600000000", cumulative_obligation: "1600000000", due: T0 + PERIOD + 15 * 86_400, finalized_at: T0 + PERIOD + 4 * 86_400,
    });
    block += 1;
    payments.push({ block_number: block, log_index: 0, tx_hash: hex(block, 32), timestamp: T0 + PERIOD + 5 * 86_400, agreement_id: String(id), payer: address(0x9a9e4), amount: "1000000000", to_partners: "600000000", to_program: "400000000" });
    distributions.push(
      { block_number: block, log_index: 1, tx_hash: hex(block, 32), timestamp: T0 + PERIOD + 5 * 86_400, agreement_id: String(id), beneficiary: partners[0], amount: "300000000" },
      { block_number: block, log_index: 2, tx_hash: hex(block, 32), timestamp: T0 + PERIOD + 5 * 86_400, agreement_id: String(id), beneficiary: partners[1], amount: "300000000" },
      { block_number: block, log_index: 3, tx_hash: hex(block, 32), timestamp: T0 + PERIOD + 5 * 86_400, agreement_id: String(id), beneficiary: address(0), amount: "400000000" },
    );
    block += 1;
    // two audits recorded per agreement (the auditor's monthly runs): the answers show the latest
    for (const k of [0, 1]) {
      audits.push({
        block_number: block, log_index: k, tx_hash: hex(block, 32), timestamp: T0 + (k + 1) * PERIOD, agreement_id: String(id), auditor: address(0xa0d17),
        through_block: String(block - 1), report_hash: hex(id * 2 + k, 32), clean: true,
      });
    }
    // the indexer keeps the latest audit on the agreement's row (api/db/schema.ts AgreementsTable.last_audit)
    const last = audits[audits.length - 1];
    agreements[agreements.length - 1].last_audit = JSON.stringify([last.auditor, last.through_block, last.report_hash, last.clean, last.timestamp, last.block_number, last.log_index, last.tx_hash]);
    block += 1;
  }
  await chunk("agreements", agreements);
  await chunk("positions", positions);
  await chunk("usage_batches", batches);
  await flushLines();
  await chunk("revenue_periods", periods);
  await chunk("payments", payments);
  await chunk("distributions", distributions);
  await chunk("audits", audits);
  // the running totals the indexer keeps (api/indexer/totals.ts), summed once here
  await sql`update program set
    agreements_by_status = (select json_object_agg(status, n)::text from (select status, count(*) as n from agreements group by status) c),
    credits_minted_total = (select sum(credits_minted) from agreements), consumed_total = (select sum(consumed) from agreements),
    credits_outstanding_total = (select sum(credits_minted - consumed) from agreements where status in ('Active', 'Terminated')),
    obligation_total = (select sum(obligation) from agreements), paid_total = (select sum(paid) from agreements),
    revenue_reported_total = (select sum(revenue) from revenue_periods), revenue_finalized_total = (select sum(revenue) from revenue_periods where state = 'Finalized')`.execute(db);
  await sql`update partners set (position_count, spent_total, receivable_total, paid_total) =
    (select count(*), sum(spent), sum(receivable), sum(paid_to_partner) from positions where positions.partner = partners.address)`.execute(db);
  await sql`analyze`.execute(db);
}

interface Ports {
  api: number;
  uncached: number;
  baseline: number;
  engine: string;
  seedMs: number;
}

/** What the server child reports at `GET /__bench/stats` (on the baseline's port). */
interface Stats {
  hits: number;
  misses: number;
  blocks: number;
}

/** Child mode: seed, serve the API (cached and uncached) and the baseline, print the ports, wait to be killed. */
async function serve(): Promise<void> {
  const handle = await scratchDatabase(process.env.BENCH_DATABASE_URL, "dsx_bench_api");
  let live: Awaited<ReturnType<typeof startLiveBlocks>> | undefined;
  process.once("SIGTERM", () => {
    void (async () => {
      await live?.stop().catch(() => undefined);
      await handle.close().catch(() => undefined);
      process.exit(0);
    })();
  });
  const t0 = Date.now();
  await seed(handle);
  const seedMs = Date.now() - t0;
  // the apps hear of each live block at once, as they do from an indexer in the same process
  const listeners: (() => void)[] = [];
  const options = {
    db: handle.db, logger: pino({ level: "silent" }), chainId: 31337, rateLimitPerMinute: 0, logRequests: false,
    checkpoints: (listener: () => void) => void listeners.push(listener),
  };
  const app = createApp(options);
  const uncached = createApp({ ...options, cacheTtlMs: 0 });
  if (LIVE) {
    live = await startLiveBlocks(handle.db, { agreements: AGREEMENTS, intervalMs: BLOCK_MS, linesPerBlock: 40, onCommit: () => listeners.forEach((l) => l()) });
  }
  const baseline = express();
  baseline.get("/json", (_req, res) => {
    res.json({ data: { hello: "world" }, meta: { chainId: 31337 } });
  });
  // BENCH_PROFILE=<dir>: a V8 CPU profile of the server process per route, during its first round's load
  let stopProfile: Awaited<ReturnType<typeof startCpuProfile>> | undefined;
  baseline.post("/__bench/profile/:action", async (req, res) => {
    if (req.params.action === "start") stopProfile = await startCpuProfile();
    else await stopProfile?.(process.env.BENCH_PROFILE!, String(req.query.name));
    res.end();
  });
  baseline.get("/__bench/stats", (_req, res) => {
    const stats: Stats = { ...responseCacheStats, blocks: live?.blocks ?? 0 };
    res.json(stats);
  });
  const servers = [app, uncached, baseline].map((a) => a.listen(0, "127.0.0.1"));
  await Promise.all(servers.map((s) => new Promise((r) => s.once("listening", r))));
  const [api, unc, base] = servers.map((s) => (s.address() as { port: number }).port);
  // the ceilings: bare Express sending the very bytes the API answers (captured once from the uncached app, with the
  // statements it ran for each), so the cost of the answers' size alone is measured beside the API's
  const bodies = new Map<string, string[]>();
  const statements = new Map<string, CompiledQuery[][]>();
  for (const [key, paths] of Object.entries(ceilingPaths())) {
    const answers = await capture(handle.db, uncached, paths);
    bodies.set(key, paths.map((p) => answers.get(p)!.body));
    statements.set(key, paths.map((p) => answers.get(p)!.statements.map((c) => CompiledQuery.raw(c.sql, [...c.parameters]))));
  }
  const sendCaptured = (req: express.Request, res: express.Response) => {
    const body = bodies.get(String(req.params.key))?.[Number(req.params.i)];
    if (body === undefined) res.status(404).end();
    else res.type("application/json").send(body);
  };
  baseline.get("/body/:key/:i", sendCaptured);
  // and the same bytes after one trivial prepared statement on the same database: any answer needs at least that
  const trivial = CompiledQuery.raw("select $1::int8 as n", [1]);
  baseline.get("/statement/:key/:i", async (req, res) => {
    await handle.db.executeQuery(trivial);
    sendCaptured(req, res);
  });
  // and the same bytes after the very statements the route ran for that answer (captured on their way to the
  // database, run again as the API runs them: prepared, same text and parameters): the database's share alone
  baseline.get("/read/:key/:i", async (req, res) => {
    for (const q of statements.get(String(req.params.key))?.[Number(req.params.i)] ?? []) await handle.db.executeQuery(q);
    sendCaptured(req, res);
  });
  // and the same bytes after reading the page as stored views (scripts/lib/benchViews.ts): what a design that renders
  // items at index time would allow
  await makeViewTables(handle.db);
  const viewReads: Record<string, CompiledQuery[]> = {
    list: listAfterIds().map((after) => agreementViewsPage("Active", after)),
    usage: ceilingPaths().usage.map((_, i) => usageViewsPage(String(i + 1))),
  };
  baseline.get("/views/:key/:i", async (req, res) => {
    const query = viewReads[String(req.params.key)]?.[Number(req.params.i)];
    if (query) await handle.db.executeQuery(query);
    sendCaptured(req, res);
  });
  const ports: Ports = { api, uncached: unc, baseline: base, engine: handle.engine, seedMs };
  process.stdout.write(JSON.stringify(ports) + "\n");
}

interface Measured {
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  /** The response cache's hit rate during the run (cached routes). */
  hitRate?: number;
  /** Blocks indexed during the run (BENCH_LIVE). */
  blocks?: number;
}

const WRK_SCRIPT = `
local paths = {}
for p in io.lines(os.getenv("BENCH_PATHS_FILE")) do paths[#paths + 1] = p end
local i = 0
request = function()
  i = i + 1
  return wrk.format("GET", paths[(i % #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format('\\n{"requests":%d,"us":%d,"p50":%d,"p99":%d,"errors":%d}\\n', summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), e.connect + e.read + e.write + e.timeout + e.status))
end
`;

/** Drives `paths` (round robin) on `origin` for `seconds` from another process. */
async function load(origin: string, paths: string[], seconds: number): Promise<Measured> {
  const run = (cmd: string, args: string[], env: NodeJS.ProcessEnv) =>
    new Promise<string>((resolve, reject) => {
      const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...env } });
      let out = "";
      let err = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (err += d.toString()));
      child.once("error", reject);
      child.once("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err}`))));
    });
  if (LOADGEN === "wrk") {
    const script = path.join(os.tmpdir(), `dsx-bench-api-${process.pid}.lua`);
    fs.writeFileSync(script, WRK_SCRIPT);
    // the paths in a file: 10 000 of them are too long for the environment
    const pathsFile = path.join(os.tmpdir(), `dsx-bench-api-${process.pid}.paths`);
    fs.writeFileSync(pathsFile, paths.join("\n") + "\n");
    const out = await run("wrk", ["-t1", `-c${CONNECTIONS}`, `-d${seconds}s`, "-s", script, origin], { BENCH_PATHS_FILE: pathsFile });
    const r = JSON.parse(out.split("\n").filter((l) => l.startsWith("{")).pop()!) as { requests: number; us: number; p50: number; p99: number; errors: number };
    return { rps: r.requests / (r.us / 1e6), p50: r.p50 / 1000, p99: r.p99 / 1000, errors: r.errors };
  }
  // autocannon's CLI in its own process (one URL: it has no round robin over paths from the command line)
  const out = await run(process.execPath, [require.resolve("autocannon/autocannon.js"), "-j", "-c", String(CONNECTIONS), "-d", String(seconds), origin + paths[0]], {});
  const r = JSON.parse(out) as { requests: { average: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number };
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, errors: r.errors + r.non2xx };
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** BENCH_PLANS: every route's statements with their plans, over the seeded index (no load). */
async function plans(): Promise<void> {
  const handle = await scratchDatabase(process.env.BENCH_DATABASE_URL, "dsx_bench_plans");
  try {
    await seed(handle);
    const app = createApp({ db: handle.db, logger: pino({ level: "silent" }), chainId: 31337, rateLimitPerMinute: 0, logRequests: false, cacheTtlMs: 0 });
    const id = Math.ceil(AGREEMENTS / 2);
    console.log(`engine ${handle.engine}: ${AGREEMENTS} agreements, ${AGREEMENTS * LINES_PER_AGREEMENT} usage lines; plans of agreement ${id}'s routes`);
    const seqScans = await printPlans(
      handle.db,
      app,
      planUrls({
        agreement: String(id), startup: address(0x10000 + id), partner: address(0xf0f0), batch: hex(id, 32),
        from: "2026-09-20T00:00:00Z", to: "2026-09-25T00:00:00Z",
      }),
    );
    console.log(seqScans.length ? `\nsequential scans reading ≥ 100 rows:\n${seqScans.join("\n")}` : "\nno sequential scan reads ≥ 100 rows");
  } finally {
    await handle.close();
  }
}

async function stats(port: number): Promise<Stats> {
  return (await (await fetch(`http://127.0.0.1:${port}/__bench/stats`)).json()) as Stats;
}

async function main(): Promise<void> {
  if (process.argv.includes("--serve")) return serve();
  if (PLANS) return plans();
  const child = spawn(process.execPath, ["--import", "tsx", __filename, "--serve"], { stdio: ["ignore", "pipe", "inherit"], env: process.env });
  const ports = await new Promise<Ports>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line) as Ports);
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code})`)));
  });
  try {
    const ids = Array.from({ length: AGREEMENTS }, (_, i) => i + 1);
    const api = `http://127.0.0.1:${ports.api}`;
    const uncached = `http://127.0.0.1:${ports.uncached}`;
    const routes: { key: string; name: string; origin: string; paths: string[] }[] = [
      { key: "baseline", name: "baseline GET /json (bare Express)", origin: `http://127.0.0.1:${ports.baseline}`, paths: ["/json"] },
      { key: "agreement", name: "GET /v1/agreements/:id", origin: api, paths: ids.map((id) => `/v1/agreements/${id}`) },
      { key: "agreement-uncached", name: "GET /v1/agreements/:id, response cache off", origin: uncached, paths: ids.map((id) => `/v1/agreements/${id}`) },
      { key: "list", name: "GET /v1/agreements?status=Active&limit=50 (20 pages)", origin: api, paths: listPaths() },
      { key: "list-uncached", name: "GET /v1/agreements?status=Active&limit=50, cache off", origin: uncached, paths: listPaths() },
      { key: "usage", name: "GET /v1/agreements/:id/usage?limit=50", origin: api, paths: ids.map((id) => `/v1/agreements/${id}/usage?limit=50`) },
      { key: "usage-uncached", name: "GET /v1/agreements/:id/usage?limit=50, cache off", origin: uncached, paths: ids.map((id) => `/v1/agreements/${id}/usage?limit=50`) },
      ...Object.entries(ceilingPaths()).map(([key, paths]) => ({
        key: `${key}-bytes`,
        name: `ceiling: bare Express sending the ${key} answers' bytes`,
        origin: `http://127.0.0.1:${ports.baseline}`,
        paths: paths.map((_, i) => `/body/${key}/${i}`),
      })),
      ...Object.entries(ceilingPaths()).map(([key, paths]) => ({
        key: `${key}-read`,
        name: `ceiling: bare Express running the ${key} route's own statements, then sending its answers' bytes`,
        origin: `http://127.0.0.1:${ports.baseline}`,
        paths: paths.map((_, i) => `/read/${key}/${i}`),
      })),
      ...(["list", "usage"] as const).map((key) => ({
        key: `${key}-views-read`,
        name: `ceiling: bare Express reading the ${key} page as stored views (one text column a row), then sending its answers' bytes`,
        origin: `http://127.0.0.1:${ports.baseline}`,
        paths: ceilingPaths()[key].map((_, i) => `/views/${key}/${i}`),
      })),
      {
        key: "agreement-statement",
        name: "ceiling: bare Express running one trivial prepared statement, then sending the agreement answers' bytes",
        origin: `http://127.0.0.1:${ports.baseline}`,
        paths: ceilingPaths().agreement.map((_, i) => `/statement/agreement/${i}`),
      },
    ];
    const only = process.env.BENCH_ROUTES?.split(",");
    const selected = routes.filter((r) => r.key === "baseline" || !only || only.includes(r.key));
    console.log(
      `engine ${ports.engine}: seeded ${AGREEMENTS} agreements and ${AGREEMENTS * LINES_PER_AGREEMENT} usage lines in ${ports.seedMs} ms; ` +
        `${LOADGEN} (own process), ${CONNECTIONS} connections, ${SECONDS} s per route, ${ROUNDS} rounds, ${os.cpus().length} cores, loopback; ` +
        `ids round robin over ${AGREEMENTS} agreements; ${LIVE ? `a new block indexed every ${BLOCK_MS} ms` : "no new blocks"}; ` +
        `load average ${os.loadavg().map((l) => l.toFixed(2)).join(" ")}`,
    );
    // warm-up: JIT, the cached server's entries, PGlite's statement cache
    for (const r of selected) await load(r.origin, r.paths, 2);
    const results = new Map<string, Measured[]>(selected.map((r) => [r.key, []]));
    const engineTag = `${ports.engine}-${AGREEMENTS}${LIVE ? "-live" : ""}`;
    for (let round = 0; round < ROUNDS; round++) {
      for (const r of selected) {
        const profiled = PROFILE && round === 0;
        const control = (action: string) => fetch(`http://127.0.0.1:${ports.baseline}/__bench/profile/${action}?name=${engineTag}-${r.key}`, { method: "POST" });
        if (profiled) await control("start");
        const before = await stats(ports.baseline);
        const m = await load(r.origin, r.paths, SECONDS);
        const after = await stats(ports.baseline);
        if (profiled) await control("stop");
        const lookups = after.hits + after.misses - before.hits - before.misses;
        results.get(r.key)!.push({ ...m, hitRate: lookups > 0 ? (after.hits - before.hits) / lookups : undefined, blocks: after.blocks - before.blocks });
      }
    }
    const summary = new Map<string, Measured & { ratio: number }>();
    const base = median(results.get("baseline")!.map((m) => m.rps));
    const baseP99 = median(results.get("baseline")!.map((m) => m.p99));
    console.log("route | req/s | p50 ms | p99 ms | errors+non-2xx | % of baseline req/s | p99 ÷ baseline p99 | cache hit rate | blocks indexed");
    console.log("---|---:|---:|---:|---:|---:|---:|---:|---:");
    for (const r of selected) {
      const ms = results.get(r.key)!;
      const rates = ms.flatMap((x) => (x.hitRate === undefined ? [] : [x.hitRate]));
      const m = {
        rps: median(ms.map((x) => x.rps)), p50: median(ms.map((x) => x.p50)), p99: median(ms.map((x) => x.p99)), errors: ms.reduce((s, x) => s + x.errors, 0),
        hitRate: rates.length ? median(rates) : undefined, blocks: ms.reduce((s, x) => s + (x.blocks ?? 0), 0),
      };
      summary.set(r.key, { ...m, ratio: m.rps / base });
      console.log(
        `${r.name} | ${m.rps.toFixed(0)} | ${m.p50.toFixed(2)} | ${m.p99.toFixed(2)} | ${m.errors} | ${((m.rps / base) * 100).toFixed(1)} % | ` +
          `${(m.p99 / baseP99).toFixed(2)} | ${m.hitRate === undefined ? "–" : `${(m.hitRate * 100).toFixed(1)} %`} | ${m.blocks}`,
      );
    }
    // issue #15's goals, without the response cache: a single agreement ≥ 50 %, 50-row lists ≥ 30 %, p99 ≤ 2× the baseline's
    const goals: [string, number][] = [["agreement-uncached", 0.5], ["list-uncached", 0.3], ["usage-uncached", 0.3]];
    for (const [key, ratio] of goals) {
      const g = summary.get(key);
      if (!g) continue;
      const ok = g.ratio >= ratio && g.p99 <= 2 * baseP99;
      console.log(
        `goal ${key}: ≥ ${ratio * 100} % of the baseline's req/s (${(g.ratio * 100).toFixed(1)} %), p99 ≤ 2× the baseline's ` +
          `(${g.p99.toFixed(1)} ms ÷ ${baseP99.toFixed(1)} ms = ${(g.p99 / baseP99).toFixed(2)}): ${ok ? "met" : "NOT met"}`,
      );
    }
    console.log(`rounds (req/s): ${selected.map((r) => `${r.key} ${results.get(r.key)!.map((m) => m.rps.toFixed(0)).join("/")}`).join("; ")}`);
  } finally {
    // the server drops its PostgreSQL database (or PGlite folder) on SIGTERM: wait for it
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 15_000))]);
  }
}

/** The API paths whose answers the ceiling routes send again from bare Express (`<key>-bytes`). */
function ceilingPaths(): Record<"agreement" | "list" | "usage", string[]> {
  // 1 000 answers of each are enough to send round robin (at 10× the data: the first 1 000 agreements')
  const ids = Array.from({ length: Math.min(AGREEMENTS, 1000) }, (_, i) => i + 1);
  return {
    agreement: ids.map((id) => `/v1/agreements/${id}`),
    list: listPaths(),
    usage: ids.map((id) => `/v1/agreements/${id}/usage?limit=50`),
  };
}

/** The cursors (agreement ids) of 20 pages of 50 Active agreements spread over the whole id range; the first has none. */
function listAfterIds(): (string | undefined)[] {
  return Array.from({ length: 20 }, (_, page) => (page === 0 ? undefined : String(Math.floor((page * (AGREEMENTS - 60)) / 19))));
}

/** 20 pages of 50 Active agreements (every tenth agreement is Terminated), spread over the whole id range. */
function listPaths(): string[] {
  return listAfterIds().map((after) =>
    after === undefined ? "/v1/agreements?status=Active&limit=50" : `/v1/agreements?status=Active&limit=50&cursor=${encodeCursor([after])}`,
  );
}

if (require.main === module) {
  main().catch((err) => {
    console.error(err);
    process.exitCode = 1;
  });
}

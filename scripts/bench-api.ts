// `npm run bench:api`: loads a realistic index straight into the database (≥ 1 000 agreements,
// ≥ 100 000 usage lines), serves it from a child process and measures with autocannon on loopback:
// GET /v1/agreements/:id, a paginated list, and a bare Express JSON route as the baseline, in one run.
// PGlite by default; PostgreSQL when BENCH_DATABASE_URL names a database the bench may wipe (it empties
// the index tables it fills). A benchmark, not a test: it prints figures.
//   npm run bench:api            BENCH_SECONDS=10 BENCH_CONNECTIONS=32 BENCH_DATABASE_URL=postgres://… npm run bench:api
import { spawn } from "node:child_process";
import os from "node:os";
import path from "node:path";
import fs from "node:fs";
import express from "express";
import pino from "pino";
import { createApp } from "../api/app";
import { openDatabase, type DatabaseHandle } from "../api/db/database";
import type { Database } from "../api/db/schema";

/** The part of autocannon's API used here (the package ships no types). */
interface AutocannonResult {
  requests: { average: number };
  latency: { p50: number; p99: number };
  errors: number;
  non2xx: number;
}
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped CommonJS package
const autocannon = require("autocannon") as (options: { url: string; connections: number; duration: number; pipelining?: number }) => Promise<AutocannonResult>;

const AGREEMENTS = Number(process.env.BENCH_AGREEMENTS ?? 1000);
const LINES_PER_AGREEMENT = Number(process.env.BENCH_LINES_PER_AGREEMENT ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 32);

const hex = (n: number, bytes: number) => `0x${n.toString(16).padStart(bytes * 2, "0")}`;
const address = (n: number) => hex(n, 20);

async function seed(handle: DatabaseHandle): Promise<void> {
  const db = handle.db;
  const T0 = 1_790_000_000;
  await db.insertInto("indexer_state").values({
    id: 1, chain_id: 31337, ledger: address(0x1ed6e5), credit: address(0xc5ed17), settlement_token: address(0x05dc),
    deployment_block: 1, dispute_window: 259_200, rate_notice: 604_800, auth_notice: 604_800, reporting_grace: 604_800,
    checkpoint_number: 1_000_000, checkpoint_hash: hex(1_000_000, 32), checkpoint_timestamp: T0 + 90 * 86_400,
    head_number: 1_000_000, final_number: 999_998, lease_owner: null, lease_expires_at: null,
  }).execute();
  await db.insertInto("program").values({
    id: 1, treasury: address(0x7ea5), paused: false, last_unpaused_at: 0, program_claimable: "0", program_claimed: "0",
    revenue_signers: JSON.stringify([address(0x5160)]), revenue_threshold: 1, agreement_count: AGREEMENTS,
  }).execute();
  const partners = [address(0xf0f0), address(0xb0b0)];
  await db.insertInto("partners").values(partners.map((p, i) => ({
    address: p, signers: JSON.stringify([address(0x5100 + i)]), threshold: 1, payout_bps: 7000 + i * 1000, active: true,
    next_sequence: AGREEMENTS, registered_block: 2, registered_at: T0,
  }))).execute();
  const chunk = async <T extends keyof Database>(table: T, rows: Database[T][]) => {
    for (let i = 0; i < rows.length; i += 1000) {
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table chosen at run time
      await db.insertInto(table).values(rows.slice(i, i + 1000) as any).execute();
    }
  };
  const agreements: Database["agreements"][] = [];
  const positions: Database["positions"][] = [];
  const batches: Database["usage_batches"][] = [];
  const lines: Database["usage_lines"][] = [];
  let block = 100;
  for (let id = 1; id <= AGREEMENTS; id++) {
    agreements.push({
      id: String(id), startup: address(0x10000 + id), status: id % 10 === 0 ? "Terminated" : "Active", credit_limit: "100000000000",
      revenue_share_bps: 800, cap_multiple_bps: 15000, partner_first_bps: 6000, start_time: T0, end_time: T0 + 360 * 86_400,
      period_duration: 30 * 86_400, grace_period: 15 * 86_400, terms_hash: hex(id, 32), created_block: 10 + id, created_at: T0 - 86_400 + id,
      accepted_at: T0 - 3600, terminated_at: id % 10 === 0 ? T0 + 60 * 86_400 : 0, credits_minted: "100000000000", consumed: "3000000000",
      cap: "4500000000", obligation: "1600000000", paid: "1000000000", next_due: T0 + 45 * 86_400, next_period_to_finalize: 1,
      period_count: 12, partner_count: 2, updated_block: 900_000,
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
      lines.push({
        block_number: block, log_index: k, batch_id: batchId, agreement_id: String(id), partner: partners[id % 2],
        sku: "0x6231303000000000000000000000000000000000000000000000000000000000", gpu_seconds: "28800", accepted: true, reason: null,
        credits: "32000000", receivable_added: "22400000", tx_hash: hex(block, 32), timestamp: T0 + 7200 + k,
      });
    }
    block += 1;
  }
  await chunk("agreements", agreements);
  await chunk("positions", positions);
  await chunk("usage_batches", batches);
  await chunk("usage_lines", lines);
}

/** Child mode: seed, serve the API and the baseline, print the ports, wait to be killed. */
async function serve(): Promise<void> {
  const url = process.env.BENCH_DATABASE_URL;
  const dataDir = url ? undefined : fs.mkdtempSync(path.join(os.tmpdir(), "dsx-bench-api-"));
  const handle = await openDatabase({ databaseUrl: url, dataDir });
  if (url) {
    for (const t of ["usage_lines", "usage_batches", "positions", "agreements", "partners", "program", "indexer_state"] as const) {
      await handle.db.deleteFrom(t).execute();
    }
  }
  const t0 = Date.now();
  await seed(handle);
  const seedMs = Date.now() - t0;
  const app = createApp({ db: handle.db, logger: pino({ level: "silent" }), chainId: 31337, rateLimitPerMinute: 0, logRequests: false });
  const uncached = createApp({ db: handle.db, logger: pino({ level: "silent" }), chainId: 31337, rateLimitPerMinute: 0, logRequests: false, cacheTtlMs: 0 });
  const baseline = express();
  baseline.get("/json", (_req, res) => {
    res.json({ data: { hello: "world" }, meta: { chainId: 31337 } });
  });
  const s1 = app.listen(0, "127.0.0.1");
  const s2 = baseline.listen(0, "127.0.0.1");
  const s3 = uncached.listen(0, "127.0.0.1");
  await Promise.all([s1, s2, s3].map((s) => new Promise((r) => s.once("listening", r))));
  const port = (s: typeof s1) => (s.address() as { port: number }).port;
  process.stdout.write(JSON.stringify({ api: port(s1), baseline: port(s2), uncached: port(s3), engine: handle.engine, seedMs }) + "\n");
}

async function measure(url: string) {
  const result = await autocannon({ url, connections: CONNECTIONS, duration: SECONDS, pipelining: 1 });
  return { rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors + result.non2xx };
}

async function main(): Promise<void> {
  if (process.argv.includes("--serve")) return serve();
  const child = spawn(process.execPath, [require.resolve("tsx/cli"), __filename, "--serve"], {
    stdio: ["ignore", "pipe", "inherit"],
    env: process.env,
  });
  const ports = await new Promise<{ api: number; baseline: number; uncached: number; engine: string; seedMs: number }>((resolve, reject) => {
    let out = "";
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (line) resolve(JSON.parse(line));
    });
    child.once("exit", (code) => reject(new Error(`server exited (${code})`)));
  });
  try {
    console.log(`engine ${ports.engine}: seeded ${AGREEMENTS} agreements and ${AGREEMENTS * LINES_PER_AGREEMENT} usage lines in ${ports.seedMs} ms`);
    console.log(`autocannon: ${CONNECTIONS} connections, ${SECONDS} s per route, loopback`);
    const api = `http://127.0.0.1:${ports.api}`;
    // warm up
    await autocannon({ url: `${api}/v1/agreements/1`, connections: 4, duration: 2 });
    const rows = [
      ["baseline GET /json (bare Express)", await measure(`http://127.0.0.1:${ports.baseline}/json`)],
      ["GET /v1/agreements/:id", await measure(`${api}/v1/agreements/${Math.ceil(AGREEMENTS / 2)}`)],
      ["GET /v1/agreements/:id/usage?limit=50", await measure(`${api}/v1/agreements/${Math.ceil(AGREEMENTS / 3)}/usage?limit=50`)],
      ["GET /v1/agreements?limit=50", await measure(`${api}/v1/agreements?limit=50&status=Active`)],
      ["GET /v1/agreements/:id, response cache off", await measure(`http://127.0.0.1:${ports.uncached}/v1/agreements/${Math.ceil(AGREEMENTS / 2)}`)],
      ["GET /v1/agreements/:id/usage?limit=50, cache off", await measure(`http://127.0.0.1:${ports.uncached}/v1/agreements/${Math.ceil(AGREEMENTS / 3)}/usage?limit=50`)],
    ] as const;
    const base = rows[0][1].rps;
    console.log("route | req/s | p50 ms | p99 ms | non-2xx+errors | ratio to baseline");
    for (const [name, r] of rows) {
      console.log(`${name} | ${r.rps.toFixed(0)} | ${r.p50} | ${r.p99} | ${r.errors} | ${(r.rps / base * 100).toFixed(1)} %`);
    }
    const agreement = rows[1][1];
    console.log(`goal: agreement route ≥ 60 % of baseline (${(agreement.rps / base * 100).toFixed(1)} %), p99 ≤ 20 ms (${agreement.p99} ms)`);
  } finally {
    child.kill("SIGTERM");
  }
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

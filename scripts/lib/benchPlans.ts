// `npm run bench:api -- --plans` (or BENCH_PLANS=1): the query plans behind each route. Every statement a request
// runs is captured on its way to the database, then prepared and run the way the API runs it (a prepared statement
// executed 6 times, so PostgreSQL's plan cache has made its generic-or-custom choice), and shown with
// `EXPLAIN (ANALYZE, BUFFERS)`. A sequential scan reading ≥ 100 rows (a table that grows with the chain) is flagged.
import type { Express } from "express";
import { CompiledQuery, sql, type Kysely } from "kysely";
import type { Database } from "../../api/db/schema";

/** Tables of one row (the checkpoint, the program): a sequential scan of them is the cheapest plan. */
const SINGLE_ROW_TABLES = new Set(["indexer_state", "program", "schema_version"]);
/** A sequential scan reading this many rows (returned or filtered out, over all loops) is flagged. */
const SEQ_SCAN_ROWS = 100;

export interface Captured {
  sql: string;
  parameters: readonly unknown[];
}

/** A parameter as an SQL literal for EXECUTE (the statement infers its type, as with the driver's untyped values). */
function literal(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  if (typeof value === "boolean") return value ? "true" : "false";
  return `'${String(value).replace(/'/g, "''")}'`;
}

/**
 * Runs `urls` against `app`, one at a time, while capturing every statement sent through `db`'s executor (a
 * one-statement read or the statements of a snapshot transaction); each URL's statements and its answer's text.
 */
export async function capture(db: Kysely<Database>, app: Express, urls: string[]): Promise<Map<string, { statements: Captured[]; body: string }>> {
  // the executor's prototype: transactions and per-connection instances share it
  let proto = Object.getPrototypeOf(db.getExecutor()) as Record<string, unknown>;
  while (proto && !Object.prototype.hasOwnProperty.call(proto, "executeQuery")) proto = Object.getPrototypeOf(proto) as Record<string, unknown>;
  const original = proto.executeQuery as (this: unknown, q: CompiledQuery, ...rest: unknown[]) => Promise<unknown>;
  let sink: Captured[] = [];
  proto.executeQuery = function (this: unknown, q: CompiledQuery, ...rest: unknown[]) {
    sink.push({ sql: q.sql, parameters: q.parameters });
    return original.call(this, q, ...rest);
  };
  const server = app.listen(0, "127.0.0.1");
  await new Promise((resolve) => server.once("listening", resolve));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  const out = new Map<string, { statements: Captured[]; body: string }>();
  try {
    for (const url of urls) {
      sink = [];
      const res = await fetch(origin + url);
      const body = await res.text();
      if (res.status !== 200) throw new Error(`GET ${url} answered ${res.status}: the statements captured would not be the route's own`);
      out.set(url, { statements: sink, body });
    }
  } finally {
    proto.executeQuery = original;
    await new Promise((resolve) => server.close(resolve));
  }
  return out;
}

/** The plan of one captured statement as the API runs it (prepared, after 6 executions). */
async function planOf(db: Kysely<Database>, statement: Captured, n: number): Promise<string[]> {
  return db.connection().execute(async (c) => {
    const name = `dsx_plan_${n}`;
    const args = statement.parameters.length ? `(${statement.parameters.map(literal).join(", ")})` : "";
    await c.executeQuery(CompiledQuery.raw(`prepare ${name} as ${statement.sql}`));
    try {
      for (let i = 0; i < 6; i++) await c.executeQuery(CompiledQuery.raw(`execute ${name}${args}`));
      const { rows } = await c.executeQuery<Record<string, string>>(CompiledQuery.raw(`explain (analyze, buffers, costs off) execute ${name}${args}`));
      return rows.map((r) => Object.values(r)[0]);
    } finally {
      await sql.raw(`deallocate ${name}`).execute(c);
    }
  });
}

/**
 * Prints, per URL, each statement and its plan; returns the sequential scans reading ≥ 100 rows (none when every
 * query path is indexed).
 */
export async function printPlans(db: Kysely<Database>, app: Express, urls: string[]): Promise<string[]> {
  const captured = await capture(db, app, urls);
  const seqScans: string[] = [];
  let n = 0;
  for (const [url, { statements }] of captured) {
    console.log(`\n### GET ${url}`);
    for (const statement of statements) {
      if (!/^\s*(select|with)\b/i.test(statement.sql)) continue;
      const plan = await planOf(db, statement, n++);
      console.log(`\n${statement.sql}\n  -- parameters: ${JSON.stringify(statement.parameters)}`);
      plan.forEach((line, i) => {
        console.log(`  ${line}`);
        const seq = /Seq Scan on (\w+).*rows=([\d.]+) loops=(\d+)/.exec(line);
        if (!seq || SINGLE_ROW_TABLES.has(seq[1])) return;
        // rows read: those returned and those the filter removed (next lines of the node), over every loop
        const removed = /Rows Removed by Filter: (\d+)/.exec(plan.slice(i + 1, i + 4).join("\n"));
        const read = (Number(seq[2]) + Number(removed?.[1] ?? 0)) * Number(seq[3]);
        if (read >= SEQ_SCAN_ROWS) seqScans.push(`${url}: ${line.trim()}`);
      });
    }
  }
  return seqScans;
}

/** Sample URLs of every read route over the bench's seeded index (scripts/bench-api.ts `seed`). */
export function planUrls(ids: { agreement: string; startup: string; partner: string; batch: string; from: string; to: string }): string[] {
  const { agreement: id, startup, partner, batch, from, to } = ids;
  const cursor = (key: unknown[]) => Buffer.from(JSON.stringify(key)).toString("base64url");
  return [
    "/v1/program",
    "/v1/agreements?limit=50",
    `/v1/agreements?status=Active&limit=50&cursor=${cursor(["500"])}`,
    `/v1/agreements?startup=${startup}`,
    `/v1/agreements?partner=${partner}&limit=50&cursor=${cursor(["500"])}`,
    `/v1/agreements?from=${from}&to=${to}&limit=50`,
    `/v1/agreements/${id}`,
    `/v1/agreements/${id}/usage?limit=50`,
    `/v1/agreements/${id}/usage?limit=50&partner=${partner}&accepted=true&from=${from}`,
    `/v1/agreements/${id}/usage?limit=50&cursor=${cursor([0, 0])}`,
    `/v1/agreements/${id}/revenue`,
    `/v1/agreements/${id}/payments`,
    `/v1/agreements/${id}/distributions`,
    `/v1/agreements/${id}/audits`,
    "/v1/partners",
    `/v1/partners/${partner}`,
    `/v1/partners/${partner}/positions?limit=50&cursor=${cursor(["500"])}`,
    `/v1/partners/${partner}/usage-batches?limit=50`,
    `/v1/accounts/${startup}`,
    `/v1/usage-batches/${batch}`,
  ];
}

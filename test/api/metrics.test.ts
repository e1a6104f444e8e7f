// The API's Prometheus metrics (SERVICES §7) over real HTTP, on both engines, with a real indexer on the shared
// hardhat node: per-route counts after real requests (route patterns, never raw URLs), the index figures against
// the database and the node (lag in blocks and chain seconds, lease, reorgs), delinquency against the ledger's own
// views, /metrics never rate limited, and every exposition read by a strict parser of the text format. Then
// docs/operations.md: its alert rules are YAML a parser reads naming only exported metrics, each with a runbook, and
// every exported metric is described.
import fs from "node:fs";
import type { Server } from "node:http";
import path from "node:path";
import { expect } from "chai";
import { Registry } from "prom-client";
import { parse as parseYaml } from "yaml";
import { createApp } from "../../api/app";
import type { DatabaseHandle } from "../../api/db/database";
import { createApiMetrics, UNMATCHED_ROUTE, type ApiMetrics } from "../../api/http/metrics";
import { Indexer } from "../../api/indexer/indexer";
import { registerWebhookMetrics } from "../../api/webhooks/metrics";
import { OracleMetrics } from "../../oracle/metrics";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { isDelinquent } from "../../sdk/ledgerRules";
import { parsePrometheusText, sampleValue, samplesOf } from "../helpers/prometheusText";
import { newPglite, newPostgres, nodeRpc, postgresReachable, sharedChain, silentLogger, type SharedChain } from "./helpers/fixture";
import { get, listen } from "./helpers/http";
import { until } from "../helpers/until";

/** 10 years: every agreement with an unsettled period that is not delinquent is "due soon". */
const WIDE_WINDOW = 10 * 365 * 86_400;

async function scrape(base: string) {
  const res = await fetch(`${base}/metrics`);
  const text = await res.text();
  expect(res.status, text).to.equal(200);
  expect(res.headers.get("content-type")).to.match(/^text\/plain; version=0\.0\.4/);
  return parsePrometheusText(text);
}


for (const engine of ["pglite", "postgres"] as const) {
  describe(`api/http/metrics on ${engine}: GET /metrics`, function () {
    this.timeout(240_000);
    let chain: SharedChain;
    let db: DatabaseHandle;
    let indexer: Indexer;
    let metrics: ApiMetrics;
    const servers: Server[] = [];

    async function serve(rateLimitPerMinute: number, m: ApiMetrics): Promise<string> {
      const app = createApp({ db: db.db, logger: silentLogger, chainId: chain.deployment.chainId, rateLimitPerMinute, metrics: m, cacheTtlMs: 0 });
      const { server, base } = await listen(app);
      servers.push(server);
      return base;
    }

    before(async function () {
      if (engine === "postgres" && !(await postgresReachable())) this.skip();
      chain = await sharedChain();
      db = engine === "pglite" ? await newPglite() : await newPostgres();
      indexer = new Indexer({
        db: db.db,
        publicClient: chain.driver.publicClient,
        deployment: chain.deployment,
        logger: silentLogger,
        confirmations: 2,
        pollIntervalMs: 100,
      });
      await indexer.syncToHead();
      metrics = createApiMetrics({ db: db.db, indexer, chain: chain.driver.publicClient, dueSoonSeconds: WIDE_WINDOW, logger: silentLogger });
    });

    after(async function () {
      for (const server of servers) {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
      await indexer?.stop();
      await db?.close();
    });

    it("it counts and times every request by route pattern and status class, never by raw URL", async function () {
      const base = await serve(0, metrics);
      const statuses = [];
      for (const url of ["/v1/agreements/1", "/v1/agreements/2", "/v1/agreements/999999", "/v1/partners", "/v1/agreements/1/usage?limit=5", "/no/such/path", "/v1/agreements/x"]) {
        statuses.push((await get(base, url)).status);
      }
      expect(statuses).to.deep.equal([200, 200, 404, 200, 200, 404, 400]);
      const families = await scrape(base);
      const count = (route: string, statusClass: string) =>
        sampleValue(families, "dsx_http_requests_total", { method: "GET", route, status_class: statusClass });
      expect(count("/v1/agreements/:id", "2xx")).to.equal(2);
      expect(count("/v1/agreements/:id", "4xx")).to.equal(2);
      expect(count("/v1/partners", "2xx")).to.equal(1);
      expect(count("/v1/agreements/:id/usage", "2xx")).to.equal(1);
      expect(count(UNMATCHED_ROUTE, "4xx")).to.equal(1);
      // the latency histogram saw exactly the same requests
      for (const s of samplesOf(families, "dsx_http_requests_total")) {
        expect(sampleValue(families, "dsx_http_request_duration_seconds_count", s.labels), JSON.stringify(s.labels)).to.equal(s.value);
        expect(sampleValue(families, "dsx_http_request_duration_seconds_bucket", { ...s.labels, le: "+Inf" })).to.equal(s.value);
      }
      const routes = new Set(samplesOf(families, "dsx_http_requests_total").map((s) => s.labels.route));
      expect([...routes].filter((r) => /\/\d|\/x$|no\/such/.test(r)), "raw URLs as labels").to.deep.equal([]);
      // the process's own figures come with them
      expect(sampleValue(families, "process_cpu_user_seconds_total")).to.be.greaterThan(0);
      expect(families.get("dsx_http_requests_total")!.type).to.equal("counter");
      expect(families.get("dsx_http_request_duration_seconds")!.type).to.equal("histogram");
    });

    it("when clients exceed the rate limit, /metrics still answers, and the 429s count under their route", async function () {
      const own = createApiMetrics({ db: db.db, defaultMetrics: false });
      const base = await serve(2, own);
      const statuses = [];
      for (let i = 0; i < 3; i++) statuses.push((await get(base, "/v1/program")).status);
      expect(statuses).to.deep.equal([200, 200, 429]);
      for (let i = 0; i < 5; i++) await scrape(base);
      const families = await scrape(base);
      expect(sampleValue(families, "dsx_http_requests_total", { route: "/v1/program", status_class: "2xx" })).to.equal(2);
      expect(sampleValue(families, "dsx_http_requests_total", { route: "/v1/program", status_class: "4xx" })).to.equal(1);
      expect(sampleValue(families, "dsx_http_requests_total", { route: "/metrics", status_class: "2xx" })).to.equal(5);
      expect(samplesOf(families, "dsx_http_requests_total").filter((s) => s.labels.status_class === "4xx" && s.labels.route === "/metrics")).to.deep.equal([]);
      expect(families.has("process_cpu_user_seconds_total"), "defaultMetrics: false").to.equal(false);
      expect(families.has("dsx_chain_head_block"), "no chain client: no chain figures").to.equal(false);
    });

    it("it reports the checkpoint, head and lag in blocks and chain seconds, and the lease, from the database and the node", async function () {
      const base = await serve(0, metrics);
      indexer.start();
      await until("the indexer to hold the lease", async () => sampleValue(await scrape(base), "dsx_index_lease_held") === 1);
      await indexer.stop();
      const state = await db.db.selectFrom("indexer_state").selectAll().executeTakeFirstOrThrow();
      const first = await scrape(base);
      const firstAt = Date.now();
      expect(sampleValue(first, "dsx_index_checkpoint_block")).to.equal(state.checkpoint_number);
      expect(sampleValue(first, "dsx_index_checkpoint_timestamp_seconds")).to.equal(state.checkpoint_timestamp);
      expect(sampleValue(first, "dsx_index_head_block")).to.equal(state.head_number);
      expect(sampleValue(first, "dsx_index_final_block")).to.equal(state.final_number);
      expect(sampleValue(first, "dsx_index_lease_held"), "stop() gave the lease up").to.equal(0);
      expect(sampleValue(first, "dsx_indexer_lease_held")).to.equal(0);

      // three blocks a minute apart that nobody indexes
      const { driver } = chain;
      for (let i = 0; i < 3; i++) await driver.timeTo((await driver.now()) + 60n);
      const head = await driver.publicClient.getBlock({ blockTag: "latest" });
      const behind = await scrape(base);
      const elapsed = (Date.now() - firstAt) / 1000;
      expect(sampleValue(behind, "dsx_chain_head_block")).to.equal(Number(head.number));
      expect(sampleValue(behind, "dsx_index_lag_blocks")).to.equal(Number(head.number) - state.checkpoint_number!);
      expect(sampleValue(behind, "dsx_index_lag_blocks")).to.be.at.least(3);
      expect(sampleValue(behind, "dsx_index_lag_seconds")).to.equal(Number(head.timestamp) - state.checkpoint_timestamp!);
      expect(sampleValue(behind, "dsx_index_lag_seconds")).to.be.at.least(180);
      // the checkpoint stood still between the scrapes: its age grew by the wall time between them
      const grown = sampleValue(behind, "dsx_index_checkpoint_age_seconds") - sampleValue(first, "dsx_index_checkpoint_age_seconds");
      expect(grown).to.be.within(elapsed - 0.5, elapsed + 0.5);

      indexer.start();
      await until("the index to catch up", async () => {
        const f = await scrape(base);
        return sampleValue(f, "dsx_index_lag_blocks") === 0 && sampleValue(f, "dsx_index_lease_held") === 1;
      });
      const caughtUp = await scrape(base);
      expect(sampleValue(caughtUp, "dsx_index_lag_seconds")).to.equal(0);
      expect(sampleValue(caughtUp, "dsx_indexer_lease_held")).to.equal(1);
      expect(sampleValue(caughtUp, "dsx_index_checkpoint_age_seconds")).to.be.below(sampleValue(behind, "dsx_index_checkpoint_age_seconds"));
      await indexer.stop();
    });

    it("when the chain reorganizes, dsx_indexer_reorgs_total counts the indexer's rollbacks", async function () {
      const base = await serve(0, metrics);
      const before = sampleValue(await scrape(base), "dsx_indexer_reorgs_total");
      expect(before).to.equal(indexer.status().reorgs);
      const { driver, node } = chain;
      const snapshot = (await nodeRpc(node.url, "evm_snapshot")) as string;
      await driver.call(driver.admin, "pause");
      await indexer.syncToHead();
      await nodeRpc(node.url, "evm_revert", [snapshot]);
      // a longer branch without the pause
      for (let i = 0; i < 2; i++) await nodeRpc(node.url, "evm_mine");
      await indexer.syncToHead();
      await indexer.stop();
      expect(indexer.status().reorgs).to.be.greaterThan(before);
      expect(sampleValue(await scrape(base), "dsx_indexer_reorgs_total")).to.equal(indexer.status().reorgs);
    });

    it("it counts the agreements delinquent and due soon at the checkpoint as the ledger's views say, and as /v1/program does", async function () {
      const base = await serve(0, metrics);
      await indexer.syncToHead();
      await indexer.stop();
      const state = await db.db.selectFrom("indexer_state").selectAll().executeTakeFirstOrThrow();
      const blockNumber = BigInt(state.checkpoint_number!);
      let delinquent = 0;
      let dueSoon = 0;
      for (const id of chain.facts.agreements) {
        const view = (await chain.driver.publicClient.readContract({
          address: chain.deployment.ledger,
          abi: revenueShareLedgerAbi,
          functionName: "agreement",
          args: [id],
          blockNumber,
        })) as { nextDue: bigint; delinquent: boolean };
        if (view.delinquent) delinquent += 1;
        else if (view.nextDue !== 0n && view.nextDue <= BigInt(state.checkpoint_timestamp! + WIDE_WINDOW)) dueSoon += 1;
        expect(isDelinquent(view.nextDue, BigInt(state.checkpoint_timestamp!)), `agreement ${id}`).to.equal(view.delinquent);
      }
      expect(delinquent + dueSoon, "the activity run leaves an agreement owing").to.be.greaterThan(0);
      const families = await scrape(base);
      expect(sampleValue(families, "dsx_agreements_delinquent")).to.equal(delinquent);
      expect(sampleValue(families, "dsx_agreements_due_soon")).to.equal(dueSoon);
      const program = await get(base, "/v1/program");
      expect((program.body!.data as { totals: { delinquent: number } }).totals.delinquent).to.equal(delinquent);
      // with no window nothing is "due soon"
      const narrow = createApiMetrics({ db: db.db, dueSoonSeconds: 0, defaultMetrics: false });
      expect(sampleValue(parsePrometheusText(await narrow.registry.metrics()), "dsx_agreements_due_soon")).to.equal(0);
    });
  });
}

describe("docs/operations.md: alert rules and the metrics they name", function () {
  this.timeout(120_000);
  const doc = fs.readFileSync(path.join(__dirname, "..", "..", "docs", "operations.md"), "utf8");
  const block = /```yaml\n(groups:\n[\s\S]*?)```/.exec(doc)?.[1] ?? "";
  const runbooks = doc.slice(doc.indexOf("## Runbooks"));
  const anchors = new Set([...runbooks.matchAll(/^### (\S+)$/gm)].map((m) => m[1].toLowerCase()));

  interface Rule {
    alert: string;
    fields: Map<string, string>;
  }

  /** The rules of the block, read by a YAML parser and checked against the shape of a Prometheus rule file. */
  function readRules(): Rule[] {
    const parsed = parseYaml(block, { strict: true, uniqueKeys: true }) as { groups?: unknown };
    expect(parsed.groups, "the block has groups").to.be.an("array").with.length.greaterThan(0);
    const rules: Rule[] = [];
    for (const group of parsed.groups as { name?: unknown; rules?: unknown }[]) {
      expect(Object.keys(group).sort(), "a group holds a name and rules").to.deep.equal(["name", "rules"]);
      expect(group.name).to.match(/^[a-z-]+$/);
      for (const raw of group.rules as Record<string, unknown>[]) {
        expect(Object.keys(raw).every((k) => ["alert", "expr", "for", "labels", "annotations"].includes(k)), `fields of ${String(raw.alert)}`).to.equal(true);
        const fields = new Map<string, string>();
        for (const key of ["expr", "for"]) if (raw[key] !== undefined) fields.set(key, String(raw[key]));
        for (const section of ["labels", "annotations"]) {
          for (const [k, v] of Object.entries((raw[section] ?? {}) as Record<string, unknown>)) {
            expect(v, `${section}.${k} of ${String(raw.alert)} is a string`).to.be.a("string");
            fields.set(`${section}.${k}`, v as string);
          }
        }
        expect(raw.alert).to.match(/^[A-Za-z]+$/);
        rules.push({ alert: raw.alert as string, fields });
      }
    }
    return rules;
  }

  /** Every metric name the services export (the webhook figures with their delivery counters). */
  async function exported(): Promise<Set<string>> {
    const chain = await sharedChain();
    const db = await newPglite();
    try {
      const indexer = new Indexer({ db: db.db, publicClient: chain.driver.publicClient, deployment: chain.deployment, logger: silentLogger });
      const api = createApiMetrics({ db: db.db, indexer, chain: chain.driver.publicClient });
      registerWebhookMetrics(api.registry, db.db, () => ({ attempts: 0, delivered: 0, failedAttempts: 0, exhausted: 0 }));
      const registries = [api.registry, new OracleMetrics("usage").registry];
      return new Set(registries.flatMap((r: Registry) => r.getMetricsAsArray().map((m) => m.name)));
    } finally {
      await db.close();
    }
  }

  it("every rule has an expression, a severity, a summary and a runbook on this page, and every runbook an alert", function () {
    const rules = readRules();
    expect(rules.length).to.be.at.least(15);
    expect(new Set(rules.map((r) => r.alert)).size, "alert names are unique").to.equal(rules.length);
    const used = new Set<string>();
    for (const r of rules) {
      expect(r.fields.get("expr"), r.alert).to.be.a("string").and.not.equal("");
      expect(r.fields.get("labels.severity"), r.alert).to.be.oneOf(["critical", "warning", "info"]);
      expect(r.fields.get("annotations.summary"), r.alert).to.be.a("string").and.not.equal("");
      if (r.fields.has("for")) expect(r.fields.get("for"), r.alert).to.match(/^\d+[smhd]$/);
      const anchor = /^docs\/operations\.md#([a-z]+)$/.exec(r.fields.get("annotations.runbook_url") ?? "")?.[1];
      expect(anchor && anchors.has(anchor), `${r.alert}'s runbook ${r.fields.get("annotations.runbook_url")}`).to.equal(true);
      used.add(anchor!);
    }
    expect([...anchors].filter((a) => !used.has(a)), "runbooks no alert points to").to.deep.equal([]);
    // the loss-making failures SERVICES §7 names each have an alert
    const exprs = rules.map((r) => r.fields.get("expr")!).join("\n");
    for (const metric of ["dsx_oracle_last_success_timestamp_seconds", "dsx_index_lag_seconds", "dsx_index_lag_blocks", "dsx_index_lease_held", "dsx_webhook_failures_total", "dsx_webhook_deliveries", "dsx_agreements_delinquent"]) {
      expect(exprs, metric).to.include(metric);
    }
  });

  it("the rules name only metrics the services export, and this page describes every one of them", async function () {
    const names = await exported();
    const standard = new Set(["up"]);
    for (const r of readRules()) {
      const expr = r.fields.get("expr")!;
      const referenced = [...expr.matchAll(/\b([a-z_][a-z0-9_]*)\s*(?=\{|\)|\s|>|$|\[)/g)]
        .map((m) => m[1])
        .filter((n) => n.startsWith("dsx_") || standard.has(n));
      expect(referenced.length, `${r.alert} names a metric`).to.be.greaterThan(0);
      for (const name of referenced) {
        const family = name.replace(/_(bucket|sum|count)$/, "");
        expect(standard.has(name) || names.has(name) || names.has(family), `${r.alert}: ${name}`).to.equal(true);
      }
    }
    for (const name of names) {
      if (name.startsWith("dsx_")) expect(doc, `docs/operations.md describes ${name}`).to.include(`\`${name}`);
    }
  });
});

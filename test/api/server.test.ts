import { expect } from "chai";
import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { apiConfigSchema, loadApiConfig } from "../../api/config";
import { createApp } from "../../api/app";
import { startApi } from "../../api/server";
import { Registry } from "prom-client";
import { ConfigError } from "../../sdk/errors";
import { newPglite, sharedChain, silentLogger } from "./helpers/fixture";
import { listen } from "./helpers/http";
import { until } from "../helpers/until";

describe("api/server: configuration, rate limit and graceful shutdown", function () {
  this.timeout(180_000);

  it("when a setting is bad, it names the setting and its environment variable", function () {
    expect(() => loadApiConfig({ DSX_RPC_URL: "not a url", DSX_CHAIN_ID: "31337" })).to.throw(ConfigError, /rpcUrl.*DSX_RPC_URL/);
    expect(() => loadApiConfig({ DSX_RPC_URL: "http://127.0.0.1:8545" })).to.throw(ConfigError, /chainId/);
    const config = loadApiConfig({
      DSX_RPC_URL: "http://127.0.0.1:8545",
      DSX_CHAIN_ID: "31337",
      DSX_API_CONFIRMATIONS: "5",
      DSX_API_INDEXER: "false",
      DSX_API_AUDIT_DIR: "audit-reports",
    });
    expect(config).to.include({ chainId: 31337, confirmations: 5, indexer: false, port: 8080, auditDir: "audit-reports" });
    expect(apiConfigSchema.safeParse({ rpcUrl: "http://x", chainId: 1, colour: "blue" }).success).to.equal(false);
  });

  it("when started, it serves the index; on close it finishes in-flight requests, stops the indexer and refuses new ones", async function () {
    const chain = await sharedChain();
    const database = await newPglite();
    const config = apiConfigSchema.parse({ rpcUrl: chain.node.url, chainId: 31337, port: 0, confirmations: 0, pollIntervalMs: 100, rateLimitPerMinute: 0 });
    const api = await startApi(config, silentLogger, { deployment: chain.deployment, database });
    let ready = 0;
    await until("/v1/ready to answer 200", async () => (ready = (await fetch(`${api.url}/v1/ready`)).status) === 200, 30_000, () => `status ${ready}`);
    expect(ready).to.equal(200);
    // close once the server has the request and before it has answered it
    const received = once(api.server, "request") as Promise<[IncomingMessage, ServerResponse]>;
    const inFlight = fetch(`${api.url}/v1/agreements?limit=500`);
    const [, response] = await received;
    const closed = api.close();
    expect(response.writableEnded, "the request is in flight when the server closes").to.equal(false);
    const res = await inFlight;
    expect(res.status).to.equal(200);
    await closed;
    expect(api.indexer!.status().holdsLease).to.equal(false);
    let refused = false;
    try {
      await fetch(`${api.url}/v1/health`);
    } catch {
      refused = true;
    }
    expect(refused).to.equal(true);
  });

  it("when /metrics and the event stream are mounted, they are documented and answer another method with 405; unmounted, 404", async function () {
    const database = await newPglite();
    const registry = new Registry();
    const mounted = createApp({
      db: database.db,
      logger: silentLogger,
      chainId: 31337,
      rateLimitPerMinute: 0,
      metrics: { middleware: (_req, _res, next) => next(), handler: async (_req, res) => void res.type(registry.contentType).send(await registry.metrics()) },
      eventStream: (_req, res) => void res.type("text/event-stream").end(),
    });
    const bare = createApp({ db: database.db, logger: silentLogger, chainId: 31337, rateLimitPerMinute: 0 });
    const servers = await Promise.all([mounted, bare].map((app) => listen(app)));
    try {
      const [withThem, without] = servers.map((s) => s.base);
      const paths = async (base: string) => Object.keys(((await (await fetch(`${base}/openapi.json`)).json()) as { paths: object }).paths);
      expect(await paths(withThem)).to.include.members(["/metrics", "/v1/events/stream"]);
      expect(await paths(without)).to.not.include.members(["/metrics"]).and.not.include("/v1/events/stream");
      for (const path of ["/metrics", "/v1/events/stream"]) {
        expect((await fetch(`${withThem}${path}`)).status, path).to.equal(200);
        const wrong = await fetch(`${withThem}${path}`, { method: "POST" });
        expect(wrong.status, path).to.equal(405);
        expect(wrong.headers.get("allow")).to.equal("GET, HEAD");
        for (const method of ["GET", "POST"]) expect((await fetch(`${without}${path}`, { method })).status, `${method} ${path}`).to.equal(404);
      }
    } finally {
      for (const s of servers) await new Promise((r) => s.server.close(r));
      await database.close();
    }
  });

  it("when a client exceeds the rate limit, it answers 429 problem+json with Retry-After from the limiter's window", async function () {
    const database = await newPglite();
    const app = createApp({ db: database.db, logger: silentLogger, chainId: 31337, rateLimitPerMinute: 3 });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
    try {
      // /v1/health is never limited (a busy client's probe must not see a healthy API as down); data routes are
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push(await fetch(`${base}/v1/program`));
      expect(statuses.map((r) => r.status)).to.deep.equal([503, 503, 503, 429]); // an empty index: 503 until indexed
      expect(statuses[3].headers.get("content-type")).to.match(/problem\+json/);
      const t = /; t=([0-9]+)$/.exec(statuses[3].headers.get("ratelimit") ?? "")?.[1];
      expect(statuses[3].headers.get("retry-after")).to.equal(t).and.to.match(/^[0-9]+$/);
      expect(Number(t)).to.be.within(1, 60);
      for (let i = 0; i < 4; i++) expect((await fetch(`${base}/v1/health`)).status).to.equal(200);
    } finally {
      server.close();
      await database.close();
    }
  });
});

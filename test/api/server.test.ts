import { expect } from "chai";
import { once } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import { apiConfigSchema, loadApiConfig } from "../../api/config";
import { createApp } from "../../api/app";
import { startApi } from "../../api/server";
import { ConfigError } from "../../sdk/errors";
import { newPglite, sharedChain, silentLogger } from "./helpers/fixture";

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
    for (let i = 0; i < 300 && ready !== 200; i++) {
      ready = (await fetch(`${api.url}/v1/ready`)).status;
      if (ready !== 200) await new Promise((r) => setTimeout(r, 100));
    }
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

  it("when a client exceeds the rate limit, it answers 429 problem+json with Retry-After", async function () {
    const database = await newPglite();
    const app = createApp({ db: database.db, logger: silentLogger, chainId: 31337, rateLimitPerMinute: 3 });
    const server = app.listen(0, "127.0.0.1");
    await new Promise((r) => server.once("listening", r));
    const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1/health`;
    try {
      const statuses = [];
      for (let i = 0; i < 4; i++) statuses.push(await fetch(url));
      expect(statuses.map((r) => r.status)).to.deep.equal([200, 200, 200, 429]);
      expect(statuses[3].headers.get("content-type")).to.match(/problem\+json/);
      expect(statuses[3].headers.get("retry-after")).to.equal("60");
    } finally {
      server.close();
      await database.close();
    }
  });
});

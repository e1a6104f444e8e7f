// Dispute reasons kept readable (issue 16): PUT/GET /v1/dispute-reasons/:hash over real HTTP on both engines,
// against the shared node's indexed usage dispute ("too many GPU-hours") and revenue dispute ("check the refunds").
import type { Server } from "node:http";
import Ajv2020 from "ajv/dist/2020";
import { expect } from "chai";
import { keccak256, stringToHex } from "viem";
import { createApp } from "../../api/app";
import type { DatabaseHandle } from "../../api/db/database";
import { Indexer } from "../../api/indexer/indexer";
import { newPglite, newPostgres, postgresReachable, sharedChain, silentLogger, type SharedChain } from "./helpers/fixture";
import { get, listen, type Json } from "./helpers/http";

const USAGE_REASON = "too many GPU-hours";
const REVENUE_REASON = "check the refunds";
const hashOf = (text: string) => keccak256(stringToHex(text));

/** PUT `body` (JSON unless a string is given with its own content type). */
async function put(base: string, hash: string, body: unknown, options: { query?: string; type?: string } = {}) {
  const res = await fetch(`${base}/v1/dispute-reasons/${hash}${options.query ?? ""}`, {
    method: "PUT",
    headers: { "content-type": options.type ?? "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type") ?? "", headers: res.headers, body: JSON.parse(text) as Json, text };
}

for (const engine of ["pglite", "postgres"] as const) {
  describe(`api/reasons on ${engine}: dispute reason texts stored under their keccak256`, function () {
    this.timeout(240_000);
    let chain: SharedChain;
    let db: DatabaseHandle;
    let indexer: Indexer;
    let base: string;
    const servers: Server[] = [];
    let validate: Record<"get" | "put200" | "put201" | "problem", ReturnType<Ajv2020["compile"]>>;
    let doc: Json;

    before(async function () {
      if (engine === "postgres" && !(await postgresReachable())) this.skip();
      chain = await sharedChain();
      db = engine === "pglite" ? await newPglite() : await newPostgres();
      indexer = new Indexer({ db: db.db, publicClient: chain.driver.publicClient, deployment: chain.deployment, logger: silentLogger, confirmations: 2 });
      await indexer.syncToHead();
      const { server, base: b } = await listen(createApp({ db: db.db, logger: silentLogger, chainId: chain.deployment.chainId, rateLimitPerMinute: 0 }));
      servers.push(server);
      base = b;
      doc = (await get(base, "/openapi.json")).body!;
      const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
      const rewrite = (schema: unknown) => JSON.parse(JSON.stringify(schema).replace(/"#\/components\/schemas\//g, '"doc#/$defs/'));
      ajv.addSchema({ $id: "doc", $defs: rewrite((doc.components as { schemas: Json }).schemas) });
      type Op = { responses: Record<string, { content: Record<string, { schema: unknown }> }> };
      const item = (doc.paths as Record<string, { get: Op; put: Op }>)["/v1/dispute-reasons/{hash}"];
      validate = {
        get: ajv.compile(rewrite(item.get.responses["200"].content["application/json"].schema)),
        put200: ajv.compile(rewrite(item.put.responses["200"].content["application/json"].schema)),
        put201: ajv.compile(rewrite(item.put.responses["201"].content["application/json"].schema)),
        problem: ajv.compile(rewrite(item.put.responses["422"].content["application/problem+json"].schema)),
      };
    });

    after(async function () {
      for (const s of servers) await new Promise((r) => s.close(r));
      await indexer?.stop();
      await db?.close();
    });

    function expectProblem(res: { status: number; type: string; body: Json | undefined; text: string }, status: number, detail: RegExp) {
      expect(res.status, res.text).to.equal(status);
      expect(res.type).to.match(/^application\/problem\+json/);
      expect(validate.problem(res.body), JSON.stringify(validate.problem.errors)).to.equal(true);
      expect(res.body!.detail).to.match(detail);
    }

    it("stores the usage dispute's reason (201), the same text again is a 200, and GET serves it", async function () {
      const hash = hashOf(USAGE_REASON);
      expectProblem(await get(base, `/v1/dispute-reasons/${hash}`), 404, /No reason text is stored/);
      const batch = `/v1/usage-batches/${chain.facts.batchIds[0]}`;
      const dispute = async () => ((await get(base, batch)).body!.data as { disputes: Json[] }).disputes[0];
      expect(await dispute()).to.include({ reasonHash: hash, reasonText: null }); // cached at this checkpoint
      const first = await put(base, hash, { text: USAGE_REASON });
      expect(first.status, first.text).to.equal(201);
      expect(validate.put201(first.body), JSON.stringify(validate.put201.errors)).to.equal(true);
      expect((first.body.data as Json).text).to.equal(USAGE_REASON);
      const again = await put(base, hash.toUpperCase().replace("0X", "0x"), { text: USAGE_REASON });
      expect(again.status, again.text).to.equal(200);
      expect(validate.put200(again.body)).to.equal(true);
      expect(again.body.data).to.deep.equal(first.body.data);
      const read = await get(base, `/v1/dispute-reasons/${hash}`);
      expect(read.status, read.text).to.equal(200);
      expect(validate.get(read.body), JSON.stringify(validate.get.errors)).to.equal(true);
      expect(read.body!.data).to.deep.equal({ hash, text: USAGE_REASON, storedAt: (first.body.data as Json).storedAt });
      // the batch's dispute carries the text at once (the response cache was dropped), in its list too
      expect(await dispute()).to.include({ reasonHash: hash, reasonText: USAGE_REASON });
      const partner = ((await get(base, batch)).body!.data as Json).partner as string;
      const listed = (await get(base, `/v1/partners/${partner}/usage-batches?limit=500`)).body!;
      const summary = (listed.data as { batchId: string; disputes: Json[] }[]).find((b) => b.batchId === chain.facts.batchIds[0])!;
      expect(summary.disputes[0]).to.include({ reasonText: USAGE_REASON });
    });

    it("stores the revenue dispute's reason (found through its indexed RevenueDisputed), and the period shows it", async function () {
      const hash = hashOf(REVENUE_REASON);
      // the period the auditor disputed (then cleared and finalized): it keeps the dispute's reasonHash
      const disputed = async () => {
        for (const a of (await get(base, "/v1/agreements")).body!.data as { id: string }[]) {
          const found = ((await get(base, `/v1/agreements/${a.id}/revenue`)).body!.data as Json[]).find((p) => p.disputeReasonHash === hash);
          if (found) return found;
        }
        return undefined;
      };
      expect(await disputed()).to.include({ state: "Finalized", disputeReasonHash: hash, disputeReasonText: null });
      const res = await put(base, hash, { text: REVENUE_REASON });
      expect(res.status, res.text).to.equal(201);
      expect((await get(base, `/v1/dispute-reasons/${hash}`)).body!.data).to.include({ text: REVENUE_REASON });
      expect(await disputed()).to.include({ disputeReasonHash: hash, disputeReasonText: REVENUE_REASON });
    });

    it("refuses with the fix: another text (422), no such dispute (404), over 1000 bytes (422), bad bodies (400), too big (413)", async function () {
      const hash = hashOf(USAGE_REASON);
      expectProblem(await put(base, hash, { text: "too many GPU-hours " }), 422, new RegExp(`is ${hashOf("too many GPU-hours ")}, not ${hash}: send the exact text`));
      const nobody = "nobody disputed with this";
      expectProblem(await put(base, hashOf(nobody), { text: nobody }), 404, /No indexed usage or revenue dispute has reasonHash .*minBlock/);
      const long = "é".repeat(501); // 501 characters (the schema's maxLength counts characters), 1002 bytes
      expectProblem(await put(base, hashOf(long), { text: long }), 422, /1002 bytes of UTF-8; at most 1000/);
      const missing = await put(base, hash, {});
      expectProblem(missing, 400, /Invalid body parameter text/);
      expect(missing.body.errors).to.deep.include({ in: "body", name: "text", message: (missing.body.errors as Json[])[0].message });
      expectProblem(await put(base, hash, { text: USAGE_REASON, extra: 1 }), 400, /extra/);
      expectProblem(await put(base, hash, { text: 7 }), 400, /text/);
      expectProblem(await put(base, hash, USAGE_REASON, { type: "text/plain" }), 400, /body/);
      expectProblem(await put(base, hash, "{not json"), 400, /could not be read/);
      expectProblem(await put(base, "0x1234", { text: USAGE_REASON }), 400, /path parameter hash/);
      expectProblem(await put(base, hash, { text: "x".repeat(20_000) }), 413, /too large/);
      expectProblem(await put(base, hash, { text: USAGE_REASON }, { query: "?minBlock=99999999" }), 503, /not indexed yet/);
      expectProblem(await put(base, hash, { text: USAGE_REASON }, { query: "?nope=1" }), 400, /nope/);
      expect(await db.db.selectFrom("dispute_reasons").select("hash").execute()).to.have.length(2); // nothing else stored
    });

    it("never changes a stored text: a different one under the hash is a 409", async function () {
      // a row written by someone else (e.g. restored from a damaged backup) is never overwritten
      const hash = hashOf(REVENUE_REASON);
      await db.db.updateTable("dispute_reasons").set({ text: "something else" }).where("hash", "=", hash).execute();
      expectProblem(await put(base, hash, { text: REVENUE_REASON }), 409, /Another text is stored/);
    });

    it("is rate limited and answers 405 with Allow: GET, HEAD, PUT for other methods", async function () {
      const { server, base: limited } = await listen(createApp({ db: db.db, logger: silentLogger, chainId: chain.deployment.chainId, rateLimitPerMinute: 1 }));
      servers.push(server);
      const hash = hashOf(USAGE_REASON);
      expect((await put(limited, hash, { text: USAGE_REASON })).status).to.equal(200);
      const over = await put(limited, hash, { text: USAGE_REASON });
      expect(over.status).to.equal(429);
      expect(over.headers.get("retry-after")).to.match(/^[0-9]+$/);
      for (const method of ["DELETE", "POST", "PATCH"]) {
        const res = await fetch(`${base}/v1/dispute-reasons/${hash}`, { method });
        expect(res.status, method).to.equal(405);
        expect(res.headers.get("allow")).to.equal("GET, HEAD, PUT");
      }
      const put405 = await fetch(`${base}/v1/agreements/1`, { method: "PUT" });
      expect([put405.status, put405.headers.get("allow")]).to.deep.equal([405, "GET, HEAD"]);
    });
  });
}

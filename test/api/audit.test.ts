// GET /v1/agreements/:id/audit over real HTTP: real audit runs of the auditor's CLI (`npm run audit`, one with
// --record) against the shared hardhat node, their report folders served by the API, the recorded hashes
// followed through the indexer's AuditRecorded rows.
import { spawn } from "node:child_process";
import fs from "node:fs";
import type { Server } from "node:http";
import os from "node:os";
import path from "node:path";
import Ajv2020 from "ajv/dist/2020";
import { expect } from "chai";
import { getAddress, keccak256, type Hex } from "viem";
import { createApp } from "../../api/app";
import type { DatabaseHandle } from "../../api/db/database";
import { Indexer } from "../../api/indexer/indexer";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { NODE_KEYS } from "../helpers/hardhatNode";
import { newPglite, newPostgres, postgresReachable, sharedChain, silentLogger, type SharedChain } from "./helpers/fixture";

type Json = Record<string, unknown>;
const ROOT = path.join(__dirname, "..", "..");

/** Runs the auditor's CLI (`audit --json …`) and returns its JSON line and exit status. */
async function auditCli(chain: SharedChain, out: string, extra: string[] = []): Promise<{ status: number; result: Json }> {
  const args = [
    require.resolve("tsx/cli"),
    "auditor/cli.ts",
    "--rpc-url", chain.node.url,
    "--chain-id", String(chain.deployment.chainId),
    "--deployments", chain.deploymentsDir,
    "--out", out,
    "--json",
    ...extra,
  ];
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (!line) reject(new Error(`audit exited ${code} without a JSON line: ${stderr}${stdout}`));
      else resolve({ status: code ?? -1, result: JSON.parse(line) as Json });
    });
  });
}

interface Audits {
  /** Report of the head, published with --record (every agreement). */
  recorded: { dir: string; file: string; hash: Hex; result: Json };
  /** That report plus a later, unrecorded one (the latest). */
  later: { dir: string; file: string; hash: Hex };
  /** Only a report of the block before agreement 5 was created. */
  early: { dir: string; block: bigint };
}

let audits: Promise<Audits> | undefined;

/** The audit runs, once per mocha process (both engines serve the same folders). */
function sharedAudits(chain: SharedChain): Promise<Audits> {
  audits ??= (async () => {
    const tmp = (name: string) => fs.mkdtempSync(path.join(os.tmpdir(), `dsx-api-audit-${name}-`));
    const created = await chain.driver.publicClient.getContractEvents({
      address: chain.deployment.ledger,
      abi: revenueShareLedgerAbi,
      eventName: "AgreementCreated",
      args: { id: 5n },
      fromBlock: BigInt(chain.deployment.deploymentBlock),
    });
    const early = { dir: tmp("early"), block: created[0].blockNumber - 1n };
    const recordedDir = tmp("recorded");
    const [run, earlyRun] = await Promise.all([
      auditCli(chain, recordedDir, ["--record", "--private-key", NODE_KEYS[0]]),
      auditCli(chain, early.dir, ["--block", String(early.block)]),
    ]);
    expect(earlyRun.result.report).to.be.a("string");
    const file = path.basename(run.result.report as string);
    const recorded = { dir: recordedDir, file, hash: run.result.reportHash as Hex, result: run.result };
    // a later audit (the record transactions were mined since), not published
    const laterDir = tmp("later");
    fs.cpSync(recordedDir, laterDir, { recursive: true });
    const laterRun = await auditCli(chain, laterDir);
    const later = { dir: laterDir, file: path.basename(laterRun.result.report as string), hash: laterRun.result.reportHash as Hex };
    expect(later.file).not.to.equal(file);
    return { recorded, later, early };
  })();
  return audits;
}

async function listen(app: ReturnType<typeof createApp>): Promise<{ server: Server; base: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return { server, base: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

async function get(base: string, url: string) {
  const res = await fetch(base + url);
  const text = await res.text();
  return { status: res.status, type: res.headers.get("content-type") ?? "", body: JSON.parse(text) as Json, text };
}

for (const engine of ["pglite", "postgres"] as const) {
  describe(`api/audit on ${engine}: GET /v1/agreements/:id/audit serves the latest audit report`, function () {
    this.timeout(240_000);
    let chain: SharedChain;
    let runs: Audits;
    let db: DatabaseHandle;
    let indexer: Indexer;
    const servers: Server[] = [];
    let validate: ReturnType<Ajv2020["compile"]>;
    let validateProblem: ReturnType<Ajv2020["compile"]>;
    let head: number;

    /** An API over the shared index serving `auditDir`. */
    async function api(auditDir?: string): Promise<string> {
      const { server, base } = await listen(
        createApp({ db: db.db, logger: silentLogger, chainId: chain.deployment.chainId, auditDir, rateLimitPerMinute: 0 }),
      );
      servers.push(server);
      return base;
    }

    before(async function () {
      if (engine === "postgres" && !(await postgresReachable())) this.skip();
      chain = await sharedChain();
      runs = await sharedAudits(chain);
      head = Number(await chain.driver.publicClient.getBlockNumber());
      db = engine === "pglite" ? await newPglite() : await newPostgres();
      indexer = new Indexer({ db: db.db, publicClient: chain.driver.publicClient, deployment: chain.deployment, logger: silentLogger, confirmations: 2, pollIntervalMs: 100 });
      await indexer.syncToHead();
      indexer.start();
      const base = await api();
      const doc = (await get(base, "/openapi.json")).body;
      const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
      const rewrite = (schema: unknown) => JSON.parse(JSON.stringify(schema).replace(/"#\/components\/schemas\//g, '"doc#/$defs/'));
      ajv.addSchema({ $id: "doc", $defs: rewrite((doc.components as { schemas: Json }).schemas) });
      const op = (doc.paths as Record<string, { get: { responses: Record<string, { content: Record<string, { schema: unknown }> }> } }>)["/v1/agreements/{id}/audit"];
      validate = ajv.compile(rewrite(op.get.responses["200"].content["application/json"].schema));
      validateProblem = ajv.compile(rewrite(op.get.responses["404"].content["application/problem+json"].schema));
    });

    after(async function () {
      for (const s of servers) await new Promise((r) => s.close(r));
      await indexer?.stop();
      await db?.close();
    });

    function expectNotFound(res: Awaited<ReturnType<typeof get>>, detail: RegExp) {
      expect(res.status, res.text).to.equal(404);
      expect(res.type).to.match(/^application\/problem\+json/);
      expect(validateProblem(res.body), JSON.stringify(validateProblem.errors)).to.equal(true);
      expect(res.body.detail).to.match(detail);
    }

    it("serves the agreement's section of the recorded report with its hash, block, checks and the on-chain records", async function () {
      const base = await api(runs.recorded.dir);
      const text = fs.readFileSync(path.join(runs.recorded.dir, runs.recorded.file), "utf8");
      const report = JSON.parse(text) as { chain: Json; agreements: Json[]; discrepancies: Json[]; program: { checks: Json[] } };
      expect(keccak256(Buffer.from(text))).to.equal(runs.recorded.hash);
      for (const id of chain.facts.agreements) {
        const res = await get(base, `/v1/agreements/${id}/audit?minBlock=${head}`);
        expect(res.status, res.text).to.equal(200);
        expect(validate(res.body), JSON.stringify(validate.errors)).to.equal(true);
        const data = res.body.data as Json;
        expect(data).to.include({ agreementId: String(id), file: runs.recorded.file, reportHash: runs.recorded.hash, recorded: true });
        expect(data.throughBlock).to.equal(Number(report.chain.throughBlock));
        expect(data.blockHash).to.equal(report.chain.blockHash);
        expect(data.ledger).to.equal(getAddress(chain.deployment.ledger));
        const section = report.agreements.find((a) => a.id === String(id))!;
        expect(data.section).to.deep.equal(section);
        const checks = data.checks as { check: string; passed: number; failed: number; result: string }[];
        expect(checks.length).to.be.greaterThan(0);
        expect(checks.map(({ result: _r, ...c }) => c)).to.deep.equal(section.checks);
        for (const c of checks) expect(c.result).to.equal(c.failed === 0 ? "pass" : "fail");
        expect((data.programChecks as Json[]).length).to.equal(report.program.checks.length);
        // the one recordAudit of this agreement with this hash, as the auditor sent it
        const records = data.records as Json[];
        expect(records).to.have.length(1);
        expect(records[0]).to.include({ agreementId: String(id), auditor: getAddress(chain.driver.admin.address), reportHash: runs.recorded.hash });
        expect(records[0].throughBlock).to.equal(report.chain.throughBlock);
        expect(records[0].clean).to.equal(data.clean);
        const sent = (runs.recorded.result.recorded as { agreementId: string; clean: boolean; transactionHash: string }[]).find((r) => r.agreementId === String(id))!;
        expect(records[0]).to.include({ clean: sent.clean, txHash: sent.transactionHash });
        expect(data.clean).to.equal(report.discrepancies.every((d) => d.agreementId !== String(id) && d.agreementId !== null));
      }
      // the list of on-chain records stays at /audits
      const list = await get(base, "/v1/agreements/1/audits");
      expect((list.body.data as Json[]).map((a) => a.reportHash)).to.include(runs.recorded.hash);
    });

    it("serves the latest report (highest audited block), unrecorded: recorded false, no records", async function () {
      const base = await api(runs.later.dir);
      const res = await get(base, "/v1/agreements/1/audit");
      expect(res.status, res.text).to.equal(200);
      expect(validate(res.body)).to.equal(true);
      expect(res.body.data).to.include({ file: runs.later.file, reportHash: runs.later.hash, recorded: false });
      expect((res.body.data as Json).records).to.deep.equal([]);
    });

    it("skips files that are not the auditor's canonical reports; an edited report hashes differently and is not recorded", async function () {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-api-audit-edited-"));
      const text = fs.readFileSync(path.join(runs.recorded.dir, runs.recorded.file), "utf8");
      fs.writeFileSync(path.join(dir, runs.recorded.file), text);
      const block = BigInt((JSON.parse(text) as { chain: { throughBlock: string } }).chain.throughBlock);
      // pretty-printed (not canonical: its hash is not the recorded one) under a later block: skipped
      fs.writeFileSync(path.join(dir, `audit-31337-${block + 5n}.json`), JSON.stringify(JSON.parse(text), null, 2));
      fs.writeFileSync(path.join(dir, `audit-31337-${block + 6n}.json`), "{ not json");
      fs.writeFileSync(path.join(dir, "notes.json"), "{}");
      const base = await api(dir);
      let res = await get(base, "/v1/agreements/2/audit");
      expect(res.status, res.text).to.equal(200);
      expect(res.body.data).to.include({ file: runs.recorded.file, reportHash: runs.recorded.hash, recorded: true });
      // an edited figure, still canonical, named as a later audit: served (it is the latest) but matches no record
      const edited = text.replace(/"consumed":"(\d+)"/, (_m, v: string) => `"consumed":"${BigInt(v) + 1n}"`).replace(
        `"throughBlock":"${block}"`,
        `"throughBlock":"${block + 9n}"`,
      );
      expect(edited).not.to.equal(text);
      fs.writeFileSync(path.join(dir, `audit-31337-${block + 9n}.json`), edited);
      res = await get(base, "/v1/agreements/2/audit");
      expect(res.body.data).to.include({ file: `audit-31337-${block + 9n}.json`, reportHash: keccak256(Buffer.from(edited)), recorded: false });
    });

    it("answers 404 problem+json: unknown agreement, no folder, no report, an agreement the latest report does not cover", async function () {
      const recorded = await api(runs.recorded.dir);
      expectNotFound(await get(recorded, "/v1/agreements/999/audit"), /No agreement 999 is indexed/);
      expectNotFound(await get(await api(), "/v1/agreements/1/audit"), /no audit report folder configured \(DSX_API_AUDIT_DIR\)/);
      const empty = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-api-audit-empty-"));
      expectNotFound(await get(await api(empty), "/v1/agreements/1/audit"), /No audit report of ledger/);
      expectNotFound(await get(await api(path.join(empty, "missing")), "/v1/agreements/1/audit"), /No audit report of ledger/);
      const early = await api(runs.early.dir);
      expectNotFound(await get(early, "/v1/agreements/5/audit"), new RegExp(`through block ${runs.early.block}\\) does not cover agreement 5`));
      const one = await get(early, "/v1/agreements/1/audit");
      expect(one.status).to.equal(200);
      expect(one.body.data).to.include({ throughBlock: Number(runs.early.block), recorded: false });
      expect((await get(early, "/v1/agreements/abc/audit")).status).to.equal(400);
    });
  });
}

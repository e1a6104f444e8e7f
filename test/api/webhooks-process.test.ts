// Webhook delivery by real API processes (SERVICES §4 "Notifications"): the API (api/server.ts, bundled so it starts
// in well under a second) runs against a real hardhat node and PostgreSQL, notifications come from real ledger
// transactions, and a real HTTP receiver checks every request with Stripe's own verifier.
// - SIGKILL mid-delivery, 20 trials (DSX_CRASH_SEED replays them): every notification is delivered in the end, and
//   every repeat carries the same id and the same bytes.
// - Two API processes on one database: only the writer-lease holder delivers; when it dies, the other takes over.
// - `dsx webhooks list | deliveries | redeliver | test` against the same database and receiver.
import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { keccak256, stringToHex } from "viem";
import Stripe from "stripe";
import { build } from "esbuild";
import type { DatabaseHandle } from "../../api/db/database";
import { runCli } from "../../cli/main";
import { prng } from "../../scripts/lib/prng";
import { startHardhatNode, type RunningNode } from "../helpers/hardhatNode";
import { DSXC, LedgerDriver } from "../helpers/ledgerDriver";
import { until } from "../helpers/until";
import { newPostgres, postgresReachable } from "./helpers/fixture";

const ROOT = path.join(__dirname, "..", "..");
const SECRET = "whsec_process_test_0123456789";
const TRIALS = 20;
const stripe = new Stripe("sk_test_unused");

interface Received {
  id: string;
  body: string;
  answered: boolean;
}

/** A receiver that verifies each request with Stripe's verifier; `onRequest` may hold or drop it (the API is killed). */
async function startReceiver() {
  const received: Received[] = [];
  const failures: string[] = [];
  let onRequest: ((r: Received) => "answer" | "drop") | undefined;
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (c: string) => (body += c));
    req.on("end", () => {
      let id = "";
      try {
        id = (stripe.webhooks.constructEvent(body, String(req.headers["dsx-signature"]), SECRET) as unknown as { id: string }).id;
        if (req.headers["dsx-event-id"] !== id) failures.push(`DSX-Event-Id ${String(req.headers["dsx-event-id"])} is not the body's ${id}`);
      } catch (err) {
        failures.push(`signature refused: ${(err as Error).message}`);
      }
      const r: Received = { id, body, answered: false };
      received.push(r);
      if (onRequest?.(r) === "drop") return; // the API dies with the request unanswered
      r.answered = true;
      res.statusCode = 200;
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/dsx`,
    received,
    failures,
    set onRequest(fn: ((r: Received) => "answer" | "drop") | undefined) {
      onRequest = fn;
    },
    close: () => {
      server.closeAllConnections();
      server.close();
    },
  };
}

/**
 * Bundles api/server.ts into one CommonJS file (it starts in a fraction of tsx's time; packages stay in
 * node_modules). Each of our files keeps its own `__dirname` (the dashboard reads its files next to it).
 */
async function bundleApi(outfile: string): Promise<void> {
  await build({
    entryPoints: [path.join(ROOT, "api", "server.ts")],
    bundle: true,
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "error",
    outfile,
    plugins: [
      {
        name: "own-dirname",
        setup(b) {
          b.onLoad({ filter: /\.ts$/ }, (args) => ({
            contents: fs.readFileSync(args.path, "utf8").replace(/\b__dirname\b/g, JSON.stringify(path.dirname(args.path))),
            loader: "ts",
          }));
        },
      },
    ],
  });
}

describe("api/webhooks: delivery by real API processes (PostgreSQL)", function () {
  this.timeout(300_000);
  const seed = Number(process.env.DSX_CRASH_SEED ?? Date.now() % 1_000_000);
  if (!Number.isSafeInteger(seed)) throw new Error(`DSX_CRASH_SEED=${process.env.DSX_CRASH_SEED} is not a whole number`);
  let node: RunningNode;
  let driver: LedgerDriver;
  let agreementId: bigint;
  let deploymentsDir: string;
  let bundle: string;
  let hooksFile: string;
  let receiver: Awaited<ReturnType<typeof startReceiver>>;
  const children = new Set<ChildProcess>();
  const databases: DatabaseHandle[] = [];

  before(async function () {
    if (!(await postgresReachable())) this.skip();
    node = await startHardhatNode();
    driver = await LedgerDriver.deploy(node);
    // the deployment file every service reads (SERVICES §1)
    deploymentsDir = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-webhooks-deployments-"));
    fs.writeFileSync(path.join(deploymentsDir, "31337.json"), JSON.stringify(driver.deployment));
    await driver.setupProgram();
    ({ id: agreementId } = await driver.openAgreement(await driver.standardTerms(), { f: [1_000n * DSXC, 4] }));
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-webhooks-process-"));
    bundle = path.join(dir, "api.cjs");
    await bundleApi(bundle);
    receiver = await startReceiver();
    hooksFile = path.join(dir, "webhooks.json");
    fs.writeFileSync(hooksFile, JSON.stringify({ subscriptions: [{ id: "all", url: receiver.url, secretEnv: "HOOK_SECRET", events: ["*"] }] }));
  });
  afterEach(function () {
    if (this.currentTest?.state === "failed") process.stderr.write(`    webhook process suite failed with DSX_CRASH_SEED=${seed}: run it again with that seed to replay the same kills\n`);
  });
  after(async function () {
    for (const child of children) child.kill("SIGKILL");
    receiver?.close();
    for (const db of databases) await db.close().catch(() => undefined);
    await node?.stop();
  });

  /** Starts the API process on `databaseUrl`; its log (warnings and errors) is kept for failure messages. */
  function startApi(databaseUrl: string): ChildProcess & { log: string[] } {
    const child = spawn(process.execPath, [bundle], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_PATH: path.join(ROOT, "node_modules"),
        DSX_RPC_URL: node.url,
        DSX_CHAIN_ID: "31337",
        DSX_DEPLOYMENTS_DIR: deploymentsDir,
        DATABASE_URL: databaseUrl,
        DSX_API_PORT: "0",
        DSX_API_CONFIRMATIONS: "0",
        DSX_API_POLL_INTERVAL_MS: "100",
        DSX_API_LEASE_TTL_MS: "1500",
        DSX_API_LOG_LEVEL: "warn",
        DSX_API_WEBHOOKS_FILE: hooksFile,
        DSX_API_WEBHOOK_TIMEOUT_MS: "1000",
        DSX_API_WEBHOOK_RETRY_BASE_MS: "50",
        DSX_API_WEBHOOK_RETRY_MAX_DELAY_MS: "500",
        HOOK_SECRET: SECRET,
      },
      stdio: ["ignore", "pipe", "pipe"],
    }) as ChildProcess & { log: string[] };
    child.log = [];
    child.stdout!.on("data", (d: Buffer) => child.log.push(d.toString()));
    child.stderr!.on("data", (d: Buffer) => child.log.push(d.toString()));
    children.add(child);
    child.once("exit", () => children.delete(child));
    return child;
  }

  const exited = (child: ChildProcess) =>
    child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : new Promise<void>((resolve) => child.once("exit", () => resolve()));

  /** `count` audit records: one `audit.recorded` notification each. */
  async function audits(count: number): Promise<void> {
    for (let i = 0; i < count; i++) {
      const head = await driver.publicClient.getBlockNumber();
      await driver.call(driver.admin, "recordAudit", agreementId, head, keccak256(stringToHex(`report ${Date.now()} ${i}`)), true);
    }
  }

  async function notificationIds(db: DatabaseHandle): Promise<string[]> {
    return (await db.db.selectFrom("notifications").select("id").orderBy("seq").execute()).map((r) => r.id);
  }

  /** Whether the index has turned every block of the chain into notifications, and each is delivered. */
  async function allDelivered(db: DatabaseHandle): Promise<boolean> {
    const head = Number(await driver.publicClient.getBlockNumber());
    const state = await db.db.selectFrom("notification_state").select("notified_through").executeTakeFirst();
    if (!state || state.notified_through < head) return false;
    const ids = await notificationIds(db);
    const delivered = await db.db.selectFrom("webhook_deliveries").select("notification_id").where("status", "=", "delivered").execute();
    const set = new Set(delivered.map((d) => d.notification_id));
    return ids.length > 0 && ids.every((id) => set.has(id));
  }

  it(`when the API is killed (SIGKILL) mid-delivery in ${TRIALS} trials, every notification is delivered, repeats with the same id and bytes`, async function () {
    const random = prng(seed);
    const database = await newPostgres();
    databases.push(database);
    receiver.received.length = 0;
    let killed = 0;
    let midDelivery = 0;
    let api = startApi(database.url);
    for (let trial = 0; trial < TRIALS; trial++) {
      const child = api;
      // three trials in four: killed while the receiver holds the 1st or 2nd request of the trial (an attempt sent,
      // never answered); the fourth at a random moment
      if (trial % 4 !== 3) {
        let left = 1 + Math.floor(random() * 2);
        receiver.onRequest = () => {
          if (--left > 0) return "answer";
          receiver.onRequest = undefined;
          child.kill("SIGKILL");
          midDelivery += 1;
          return "drop";
        };
      } else {
        const ms = Math.floor(random() * 1500);
        setTimeout(() => child.kill("SIGKILL"), ms);
      }
      await audits(2);
      await Promise.race([
        exited(child),
        new Promise((_, reject) => setTimeout(() => reject(new Error(`trial ${trial} (seed ${seed}): the API was not killed within 60 s:\n${child.log.join("")}`)), 60_000)),
      ]);
      expect(child.signalCode, `trial ${trial} (seed ${seed}): ${child.log.join("")}`).to.equal("SIGKILL");
      killed += 1;
      receiver.onRequest = undefined;
      api = startApi(database.url);
    }
    await until(`every notification delivered (seed ${seed})`, () => allDelivered(database), 90_000);
    api.kill("SIGTERM");
    await exited(api);
    expect(api.exitCode, api.log.join("")).to.equal(0);

    expect(killed).to.equal(TRIALS);
    expect(midDelivery, "kills while a delivery was in flight").to.equal(15);
    expect(receiver.failures, `seed ${seed}`).to.deep.equal([]);
    const ids = await notificationIds(database);
    expect(ids.length, "notifications derived").to.be.at.least(2 * TRIALS);
    // every notification answered 200 at least once; nothing received that is not a notification of the index
    const answered = new Set(receiver.received.filter((r) => r.answered).map((r) => r.id));
    expect(ids.filter((id) => !answered.has(id)), `undelivered (seed ${seed})`).to.deep.equal([]);
    expect(receiver.received.map((r) => r.id).filter((id) => !ids.includes(id)), `unknown ids (seed ${seed})`).to.deep.equal([]);
    // a repeat is the same event: same id, same bytes
    const bodies = new Map<string, Set<string>>();
    for (const r of receiver.received) bodies.set(r.id, (bodies.get(r.id) ?? new Set()).add(r.body));
    expect([...bodies].filter(([, b]) => b.size > 1).map(([id]) => id), `seed ${seed}`).to.deep.equal([]);
    const deliveries = await database.db.selectFrom("webhook_deliveries").select(["status"]).execute();
    expect(deliveries.every((d) => d.status === "delivered")).to.equal(true);
    expect(deliveries).to.have.length(ids.length);
  });

  it("when two API processes share the database, only the lease holder delivers; when it dies, the other takes over", async function () {
    const database = await newPostgres();
    databases.push(database);
    receiver.received.length = 0;
    const owner = async () => (await database.db.selectFrom("indexer_state").select("lease_owner").executeTakeFirst())?.lease_owner ?? "";
    const first = startApi(database.url);
    await until("the first process to take the lease", async () => (await owner()).includes(`:${first.pid}:`), 60_000);
    const second = startApi(database.url);
    await audits(3);
    await until("every notification delivered by the first process", () => allDelivered(database), 60_000);
    const claimers = async () => new Set((await database.db.selectFrom("webhook_deliveries").select("claimed_by").execute()).map((d) => d.claimed_by));
    expect([...(await claimers())].every((c) => c?.includes(`:${first.pid}:`)), "claimed by the lease holder only").to.equal(true);
    expect(second.exitCode).to.equal(null);

    first.kill("SIGKILL");
    await exited(first);
    await until("the second process to take the lease", async () => (await owner()).includes(`:${second.pid}:`), 60_000);
    const before = (await notificationIds(database)).length;
    await audits(2);
    // both audits' notifications (each is derived when its block is final: one may be delivered before the other exists)
    await until("the new notifications delivered by the second process", async () => (await notificationIds(database)).length >= before + 2 && (await allDelivered(database)), 60_000);
    const late = await database.db.selectFrom("webhook_deliveries").select("claimed_by").where("notification_seq", ">", before).execute();
    expect(late.length).to.be.at.least(2);
    expect(late.every((d) => d.claimed_by?.includes(`:${second.pid}:`)), "claimed by the new lease holder").to.equal(true);
    expect(receiver.failures).to.deep.equal([]);

    // the operator's commands, on the same database while the second process runs
    const out: string[] = [];
    const io = { stdout: (t: string) => void out.push(t), stderr: (t: string) => void out.push(t) };
    const dsx = async (...args: string[]) => {
      out.length = 0;
      const code = await runCli([...args, "--database-url", database.url], io);
      return { code, text: out.join("") };
    };
    const list = await dsx("webhooks", "list", "--file", hooksFile, "--json");
    expect(list.code, list.text).to.equal(1); // HOOK_SECRET is not in this process's environment
    expect(list.text).to.match(/HOOK_SECRET, which is not set/);
    process.env.HOOK_SECRET = SECRET;
    try {
      const listed = await dsx("webhooks", "list", "--file", hooksFile, "--json");
      expect(listed.code, listed.text).to.equal(0);
      const ids = await notificationIds(database);
      expect(JSON.parse(listed.text)).to.deep.include({ subscriptions: [{ id: "all", url: receiver.url, enabled: true, events: ["*"], agreements: null, addresses: null, deliveries: { pending: 0, delivered: ids.length, failed: 0 } }] });
      expect(listed.text).not.to.include(SECRET);
      const shown = await dsx("webhooks", "deliveries", "--status", "delivered", "--limit", "2", "--json");
      const rows = (JSON.parse(shown.text) as { deliveries: { id: number; eventId: string; status: string; attempts: number }[] }).deliveries;
      expect(rows).to.have.length(2);
      expect(rows[0].id).to.be.greaterThan(rows[1].id);
      const eventId = rows[0].eventId;
      const seen = receiver.received.length;
      const again = await dsx("webhooks", "redeliver", String(rows[0].id));
      expect(again.code, again.text).to.equal(0);
      expect(again.text).to.match(/queued again/);
      await until("the redelivery", () => receiver.received.slice(seen).some((r) => r.id === eventId && r.answered), 30_000);
      const bad = await dsx("webhooks", "redeliver", "evt_nope");
      expect(bad.code).to.equal(1);
      expect(bad.text).to.match(/neither a delivery id nor an event id.*dsx webhooks deliveries/);
      const status = await dsx("webhooks", "deliveries", "--status", "lost");
      expect(status.text).to.match(/--status "lost" is not a delivery status\. Give one of pending, delivered, failed/);
      out.length = 0;
      const tested = await runCli(["webhooks", "test", "all", "--file", hooksFile, "--chain-id", "31337", "--json"], io);
      expect(tested, out.join("")).to.equal(0);
      const result = JSON.parse(out.join("")) as { eventId: string; status: number };
      expect(result.status).to.equal(200);
      expect(receiver.received.find((r) => r.id === result.eventId)?.answered).to.equal(true);
    } finally {
      delete process.env.HOOK_SECRET;
    }
    second.kill("SIGTERM");
    await exited(second);
  });
});

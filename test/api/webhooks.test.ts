// Webhook delivery (SERVICES §4 "Notifications"), in process: subscriptions files, the backoff schedule on an
// injected clock, and delivery to real HTTP receivers from the outbox of a real database (PGlite and PostgreSQL)
// while a real indexer holds the writer lease: Stripe's own verifier accepts every signature, a receiver that is
// down for a while gets every notification once it is back, a delivery past its retry window fails and is redelivered.
import { expect } from "chai";
import fs from "node:fs";
import http from "node:http";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { Registry } from "prom-client";
import Stripe from "stripe";
import { createIndexerClient } from "../../api/indexer/client";
import { Indexer } from "../../api/indexer/indexer";
import { insertNotifications } from "../../api/notifications/store";
import type { NotificationDraft } from "../../api/notifications/types";
import { DEFAULT_RETRY_POLICY, nextAttemptAt } from "../../api/webhooks/backoff";
import { startWebhookDelivery, type WebhookDelivery } from "../../api/webhooks/delivery";
import { registerWebhookMetrics } from "../../api/webhooks/metrics";
import { countByStatus, listDeliveries, pruneFinished, redeliver } from "../../api/webhooks/outbox";
import { loadSubscriptions, type Subscription } from "../../api/webhooks/subscriptions";
import { ConfigError } from "../../sdk/errors";
import { apiConfigSchema } from "../../api/config";
import { startApi } from "../../api/server";
import { until } from "../helpers/until";
import { newPglite, newPostgres, postgresReachable, sharedChain, silentLogger, type SharedChain } from "./helpers/fixture";
import type { DatabaseHandle } from "../../api/db/database";

const SECRET = "whsec_test_0123456789abcdef";
/** An agreement id no chain notification of the shared run has: the subscriptions here see only the test's own. */
const AGREEMENT = "900";
const stripe = new Stripe("sk_test_unused");

/** A receiver: records every request; `answer` decides the status (default 200). */
async function receiver(answer: (n: number) => number = () => 200) {
  const requests: { headers: http.IncomingHttpHeaders; body: string }[] = [];
  const server = http.createServer((req, res) => {
    let body = "";
    req.setEncoding("utf8");
    req.on("data", (chunk: string) => (body += chunk));
    req.on("end", () => {
      requests.push({ headers: req.headers, body });
      res.statusCode = answer(requests.length);
      res.end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return { server, port, url: `http://127.0.0.1:${port}/hook`, requests };
}

function drafts(from: number, count: number): NotificationDraft[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `evt_${(from + i).toString(16).padStart(64, "0")}`,
    type: "audit.recorded" as const,
    blockNumber: 1,
    blockHash: `0x${"ab".repeat(32)}`,
    timestamp: 1_790_000_000 + from + i,
    txHash: null,
    logIndex: null,
    agreementId: AGREEMENT,
    addresses: ["0x00000000000000000000000000000000000000aa"],
    broadcast: false,
    data: { agreementId: AGREEMENT, n: from + i },
  }));
}

describe("api/webhooks: subscriptions and the retry schedule", function () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-webhooks-"));
  const write = (name: string, value: unknown) => {
    const file = path.join(dir, name);
    fs.writeFileSync(file, typeof value === "string" ? value : JSON.stringify(value));
    return file;
  };

  it("when the file is valid, it resolves secretEnv and lower-cases addresses; enabled and events have defaults", function () {
    const file = write("ok.json", {
      subscriptions: [
        { id: "ops", url: "https://hooks.example.com/dsx", secretEnv: "OPS_SECRET", events: ["usage.*", "payment.applied"], addresses: ["0x00000000000000000000000000000000000000AA"] },
        { id: "all", url: "http://127.0.0.1:9/x", secret: SECRET },
      ],
    });
    const subs = loadSubscriptions(file, { OPS_SECRET: "s3cret-from-the-environment" });
    expect(subs[0]).to.deep.include({ secret: "s3cret-from-the-environment", addresses: ["0x00000000000000000000000000000000000000aa"], enabled: true });
    expect(subs[1]).to.deep.include({ events: ["*"], secret: SECRET });
  });

  it("when a field is wrong, it names the subscription's field and the fix", function () {
    const cases: [unknown, RegExp][] = [
      [{ subscriptions: [{ id: "a", url: "ftp://x", secret: SECRET }] }, /subscriptions\.0\.url.*http\(s\) URL/],
      [{ subscriptions: [{ id: "a", url: "https://x.example", secret: SECRET, events: ["usage.batch_recordd"] }] }, /events\.0.*unknown notification type "usage\.batch_recordd"/],
      [{ subscriptions: [{ id: "a", url: "https://x.example" }] }, /subscriptions\.0\.secret.*exactly one of "secret" and "secretEnv"/],
      [{ subscriptions: [{ id: "a", url: "https://x.example", secret: "short" }] }, /secret.*at least 16 characters/],
      [{ subscriptions: [{ id: "a", url: "https://x.example", secret: SECRET, colour: "red" }] }, /Unknown setting subscriptions\.0\.colour/],
      [{ subscriptions: [{ id: "a", url: "https://x.example", secret: SECRET }, { id: "a", url: "https://y.example", secret: SECRET }] }, /share an id/],
      [{ subscriptions: [{ id: "a", url: "https://x.example", secret: SECRET, agreements: [3] }] }, /agreements\.0/],
    ];
    for (const [content, message] of cases) {
      const file = write("bad.json", content);
      expect(() => loadSubscriptions(file, {}), JSON.stringify(content)).to.throw(ConfigError, message);
    }
    expect(() => loadSubscriptions(write("env.json", { subscriptions: [{ id: "ops", url: "https://x.example", secretEnv: "NOT_SET_HERE" }] }), {})).to.throw(
      ConfigError,
      /Subscription "ops".*NOT_SET_HERE, which is not set\. Set NOT_SET_HERE/,
    );
    expect(() => loadSubscriptions(path.join(dir, "missing.json"))).to.throw(ConfigError, /not found.*docs\/webhooks\.md/);
    expect(() => loadSubscriptions(write("broken.json", "{ nope"))).to.throw(ConfigError, /not valid JSON/);
  });

  it("when attempts fail, the waits double from the base up to the cap, with jitter between half and all of each, and stop at the deadline", function () {
    const policy = { baseDelayMs: 1_000, maxDelayMs: 8_000, retryForMs: 60_000 };
    const created = 1_000_000;
    // an injected clock: each attempt happens exactly when scheduled; jitter 0 gives half the wait, 1⁻ all of it
    for (const [random, expected] of [
      [() => 0, [500, 1_000, 2_000, 4_000, 4_000, 4_000]],
      [() => 0.999_999_9, [1_000, 2_000, 4_000, 8_000, 8_000, 8_000]],
    ] as const) {
      let now = created;
      const waits: number[] = [];
      for (let attempts = 1; attempts <= 6; attempts++) {
        const next = nextAttemptAt(policy, attempts, created, now, random)!;
        waits.push(next - now);
        now = next;
      }
      expect(waits).to.deep.equal(expected);
    }
    // the last attempt falls on the deadline; after it, no more
    expect(nextAttemptAt(policy, 20, created, created + 59_000, () => 0.5)).to.equal(created + 60_000);
    expect(nextAttemptAt(policy, 21, created, created + 60_000, () => 0.5)).to.equal(undefined);
    // the defaults: 5–10 s after the first failure; within 3 days about 100 attempts (hourly once the cap is reached)
    expect(nextAttemptAt(DEFAULT_RETRY_POLICY, 1, 0, 0, () => 0)).to.equal(5_000);
    let now = 0;
    let attempts = 1;
    for (let next = nextAttemptAt(DEFAULT_RETRY_POLICY, attempts, 0, now, () => 0.5); next !== undefined; next = nextAttemptAt(DEFAULT_RETRY_POLICY, attempts, 0, now, () => 0.5)) {
      now = next;
      attempts += 1;
    }
    expect(now).to.equal(3 * 24 * 3_600_000);
    expect(attempts).to.be.within(100, 110);
  });
});

for (const engine of ["pglite", "postgres"] as const) {
  describe(`api/webhooks: delivery from the outbox (${engine})`, function () {
    this.timeout(180_000);
    let chain: SharedChain;
    let database: DatabaseHandle;
    let indexer: Indexer;
    let delivery: WebhookDelivery | undefined;
    let unhook: (() => void) | undefined;
    let next = 1;

    before(async function () {
      if (engine === "postgres" && !(await postgresReachable())) this.skip();
      chain = await sharedChain();
      database = engine === "pglite" ? await newPglite() : await newPostgres();
      indexer = new Indexer({
        db: database.db,
        publicClient: createIndexerClient(chain.node.url, 31337),
        deployment: chain.deployment,
        logger: silentLogger,
        leaseTtlMs: 60_000,
      });
      await indexer.syncToHead();
      expect(indexer.status().holdsLease).to.equal(true);
    });
    afterEach(async function () {
      unhook?.();
      unhook = undefined;
      await delivery?.stop();
      delivery = undefined;
    });
    after(async function () {
      await indexer?.stop();
      await database?.close();
    });

    /** Starts delivery for `subscriptions` and adds `count` notifications the way the indexer does (one transaction). */
    async function start(subscriptions: Subscription[], options: Partial<Parameters<typeof startWebhookDelivery>[0]> = {}) {
      const d = startWebhookDelivery({ db: database.db, logger: silentLogger, subscriptions, indexer, chainId: 31337, pollIntervalMs: 50, ...options });
      delivery = d;
      return d;
    }
    async function notify(d: WebhookDelivery, count: number): Promise<string[]> {
      const batch = drafts(next, count);
      next += count;
      await database.db.transaction().execute((trx) => insertNotifications(trx, batch, [async (t, rows) => void (await d.enqueue(t, rows))]));
      return batch.map((b) => b.id);
    }
    const sub = (id: string, url: string, extra: Partial<Subscription> = {}): Subscription => ({ id, url, secret: SECRET, events: ["*"], agreements: [AGREEMENT], enabled: true, ...extra });

    it("when a notification is added, every subscription that wants it gets one POST that Stripe's verifier accepts", async function () {
      const r = await receiver();
      const other = await receiver();
      try {
        const d = await start([sub("a", r.url), sub("usage-only", other.url, { events: ["usage.*"] }), sub("off", other.url, { enabled: false })]);
        const ids = await notify(d, 5);
        await until("5 deliveries", () => r.requests.length >= 5, 30_000);
        await until("5 delivered rows", async () => (await countByStatus(database.db)).delivered >= 5, 10_000);
        expect(other.requests).to.have.length(0);
        const seen = r.requests.map((q) => {
          const header = String(q.headers["dsx-signature"]);
          expect(header).to.match(/^t=\d+,v1=[0-9a-f]{64}$/);
          // Stripe's own implementation of the scheme, with our header and secret
          const event = stripe.webhooks.constructEvent(q.body, header, SECRET) as unknown as { id: string; type: string; chainId: number; created: string; agreementId: string };
          expect(q.headers["dsx-event-id"]).to.equal(event.id);
          expect(q.headers["content-type"]).to.equal("application/json");
          expect(event).to.include({ type: "audit.recorded", chainId: 31337, agreementId: AGREEMENT });
          expect(event.created).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
          // a wrong secret or a changed body is refused by the same verifier
          expect(() => stripe.webhooks.constructEvent(q.body, header, `${SECRET}x`)).to.throw(/signature/i);
          expect(() => stripe.webhooks.constructEvent(q.body.replace("audit", "audyt"), header, SECRET)).to.throw(/signature/i);
          return event.id;
        });
        expect(seen.sort()).to.deep.equal([...ids].sort());
        const rows = await listDeliveries(database.db, { subscriptionId: "a" });
        expect(rows.filter((row) => ids.includes(row.notification_id)).map((row) => [row.status, row.attempts, row.last_status])).to.deep.equal(ids.map(() => ["delivered", 1, 200]));
        expect(rows[0].claimed_by).to.equal(indexer.owner);
      } finally {
        r.server.close();
        other.server.close();
      }
    });

    it("when the receiver is down for a while, deliveries resume once it is back: none lost, repeats only with the same id", async function () {
      const r = await receiver();
      const { port } = r;
      await new Promise((resolve) => r.server.close(resolve));
      const d = await start([sub("down", `http://127.0.0.1:${port}/hook`)], { retry: { baseDelayMs: 20, maxDelayMs: 200, retryForMs: 600_000 }, concurrency: 3 });
      const ids = await notify(d, 8);
      // every delivery has failed at least twice (connection refused) before the receiver comes back
      await until("two failed attempts each", async () => (await listDeliveries(database.db, { subscriptionId: "down" })).every((row) => row.attempts >= 2), 30_000);
      const failed = await listDeliveries(database.db, { subscriptionId: "down" });
      expect(failed.every((row) => row.status === "pending" && row.last_status === null && row.last_error !== null)).to.equal(true);
      // the claims are counted at once, the outcomes once recorded: at least the first attempt of each
      expect(d.metrics.failedAttempts).to.be.at.least(8);
      r.server.listen(port, "127.0.0.1");
      await until("every delivery delivered", async () => (await countByStatus(database.db)).pending === 0, 30_000);
      const received = r.requests.map((q) => (JSON.parse(q.body) as { id: string }).id);
      expect([...new Set(received)].sort()).to.deep.equal([...ids].sort());
      for (const q of r.requests) expect(q.headers["dsx-event-id"]).to.equal((JSON.parse(q.body) as { id: string }).id);
      r.server.close();
    });

    it("when the retry window passes, the delivery fails; redelivered, it is sent again with the same id", async function () {
      let healthy = false;
      const r = await receiver(() => (healthy ? 204 : 500));
      try {
        const registry = new Registry();
        const d = await start([sub("flaky", r.url)], { retry: { baseDelayMs: 10, maxDelayMs: 20, retryForMs: 300 } });
        registerWebhookMetrics(registry, database.db, () => d.metrics);
        const [id] = await notify(d, 1);
        await until("the delivery to fail", async () => (await listDeliveries(database.db, { notificationId: id }))[0]?.status === "failed", 30_000);
        const [row] = await listDeliveries(database.db, { notificationId: id });
        expect(row.last_status).to.equal(500);
        expect(row.attempts).to.be.at.least(2);
        const text = await registry.metrics();
        expect(text).to.match(/dsx_webhook_deliveries\{status="failed"\} [1-9]/);
        expect(text).to.match(/dsx_webhook_exhausted_total 1\b/);
        expect(text).to.match(/dsx_webhook_failures_total [1-9]/);
        healthy = true;
        const before = r.requests.length;
        const queued = await redeliver(database.db, { deliveryId: row.id }, Date.now());
        expect(queued.map((q) => q.status)).to.deep.equal(["pending"]);
        await until("the redelivery", async () => (await listDeliveries(database.db, { notificationId: id }))[0]?.status === "delivered", 30_000);
        const again = r.requests.slice(before);
        expect(again.map((q) => q.headers["dsx-event-id"])).to.deep.equal([id]);
        expect((JSON.parse(again[0].body) as { id: string }).id).to.equal(id);
      } finally {
        r.server.close();
      }
    });

    it("when the receiver does not answer within the timeout, the attempt fails and is retried", async function () {
      let stall = true;
      const stalled: http.ServerResponse[] = [];
      const server = http.createServer((req, res) => {
        req.resume();
        if (stall) stalled.push(res);
        else res.end();
      });
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
      try {
        const d = await start([sub("slow", `http://127.0.0.1:${(server.address() as AddressInfo).port}/`)], {
          timeoutMs: 200,
          retry: { baseDelayMs: 10, maxDelayMs: 20, retryForMs: 600_000 },
        });
        const [id] = await notify(d, 1);
        await until("a timeout", async () => (await listDeliveries(database.db, { notificationId: id }))[0]?.last_error?.includes("no answer within 200 ms") ?? false, 30_000);
        stall = false;
        await until("delivery after the stall", async () => (await listDeliveries(database.db, { notificationId: id }))[0]?.status === "delivered", 30_000);
      } finally {
        for (const res of stalled) res.destroy();
        server.closeAllConnections();
        server.close();
      }
    });

    // last in this block: the pruning deletes the earlier tests' finished deliveries too
    it("when finished deliveries are older than the retention, the lease holder deletes them; pending and recent ones stay", async function () {
      const r = await receiver();
      try {
        const day = 86_400_000;
        let clock = Date.now();
        const options = { now: () => clock, retry: { baseDelayMs: 1, maxDelayMs: 1, retryForMs: 0 }, retentionMs: 10 * day };
        const subs = [sub("kept", r.url), sub("down", "http://127.0.0.1:9/")];
        const d = await start(subs, options);
        const ids = await notify(d, 2);
        const rows = async () => (await Promise.all(ids.map((id) => listDeliveries(database.db, { notificationId: id })))).flat();
        // "kept" delivered, "down" failed at its first refusal (no retry window)
        await until("2 delivered and 2 failed", async () => (await rows()).filter((x) => x.status !== "pending").length === 4, 30_000);
        // a pending delivery as old as can be (to a subscription no longer configured: never claimed)
        await database.db
          .insertInto("webhook_deliveries")
          .values({ notification_id: ids[0], notification_seq: 0, subscription_id: "gone", status: "pending", attempts: 3, next_attempt_at: 0, created_at: 0, retry_since: 0 })
          .execute();
        await d.stop();
        delivery = undefined;

        clock += 11 * day; // past the 10-day retention: a new lease holder's first round prunes
        await start(subs, options);
        let seen: unknown[] = [];
        await until("the finished deliveries deleted", async () => (seen = await rows()).length === 1, 30_000, () => JSON.stringify(seen));
        expect((await rows()).map((x) => [x.subscription_id, x.status])).to.deep.equal([["gone", "pending"]]);
        const recent = await notify(delivery!, 1);
        await until("the recent one delivered", async () => (await listDeliveries(database.db, { notificationId: recent[0] })).some((x) => x.status === "delivered"), 30_000);
        expect(await pruneFinished(database.db, clock - 10 * day), "nothing recent is deleted").to.equal(0);
        expect((await listDeliveries(database.db, { notificationId: recent[0] })).map((x) => x.subscription_id).sort()).to.deep.equal(["down", "kept"]);
      } finally {
        r.server.close();
      }
    });
  });
}

describe("api/webhooks: the API process delivers the chain's notifications and reloads its subscriptions on SIGHUP", function () {
  this.timeout(180_000);

  it("when started with a subscriptions file, every notification of the shared chain reaches the receiver; SIGHUP applies a new file and keeps the old one when the new one is bad", async function () {
    const chain = await sharedChain();
    const database = await newPglite();
    const first = await receiver();
    const second = await receiver();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-webhooks-api-"));
    const file = path.join(dir, "webhooks.json");
    const writeFile = (url: string) => fs.writeFileSync(file, JSON.stringify({ subscriptions: [{ id: "everything", url, secret: SECRET }] }));
    writeFile(first.url);
    const config = apiConfigSchema.parse({ rpcUrl: chain.node.url, chainId: 31337, port: 0, confirmations: 0, pollIntervalMs: 100, rateLimitPerMinute: 0, webhooksFile: file });
    const listeners = process.listenerCount("SIGHUP");
    const api = await startApi(config, silentLogger, { deployment: chain.deployment, database });
    expect(process.listenerCount("SIGHUP")).to.equal(listeners + 1);
    try {
      const ids = async () => (await database.db.selectFrom("notifications").select("id").execute()).map((r) => r.id);
      const head = Number(await chain.driver.publicClient.getBlockNumber());
      await until("the notifications of the chain", async () => (await database.db.selectFrom("notification_state").select("notified_through").executeTakeFirst())?.notified_through === head, 60_000);
      const all = await ids();
      expect(all.length).to.be.greaterThan(10);
      await until("every notification delivered", () => new Set(first.requests.map((q) => q.headers["dsx-event-id"])).size === all.length, 60_000);
      for (const q of first.requests) stripe.webhooks.constructEvent(q.body, String(q.headers["dsx-signature"]), SECRET);
      const types = new Set(first.requests.map((q) => (JSON.parse(q.body) as { type: string }).type));
      expect([...types]).to.include.members(["governance.change_proposed", "usage.batch_recorded", "payment.applied", "audit.recorded"]);

      // a bad file on SIGHUP: logged, the subscriptions in use stay
      fs.writeFileSync(file, "{ not json");
      process.emit("SIGHUP", "SIGHUP");
      await redeliver(database.db, { notificationId: all[0] }, Date.now());
      await until("the redelivery to the first receiver", () => first.requests.filter((q) => q.headers["dsx-event-id"] === all[0]).length === 2, 30_000);
      // a good one: the next attempts use it
      writeFile(second.url);
      process.emit("SIGHUP", "SIGHUP");
      await redeliver(database.db, { notificationId: all[1] }, Date.now());
      await until("the redelivery to the second receiver", () => second.requests.some((q) => q.headers["dsx-event-id"] === all[1]), 30_000);
    } finally {
      await api.close();
      first.server.close();
      second.server.close();
    }
    expect(process.listenerCount("SIGHUP"), "close removes the SIGHUP listener").to.equal(listeners);
  });
});

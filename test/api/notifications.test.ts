import type { Server } from "node:http";
import { expect } from "chai";
import { EventSource } from "eventsource";
import { getAddress, keccak256, stringToHex } from "viem";
import { createApp } from "../../api/app";
import type { DatabaseHandle } from "../../api/db/database";
import { Indexer } from "../../api/indexer/indexer";
import { notificationId } from "../../api/notifications/ids";
import type { NotificationRow } from "../../api/notifications/store";
import { eventStreamHandler, type EventStreamHandler } from "../../api/notifications/stream";
import { NOTIFICATION_TYPES } from "../../api/notifications/types";
import { iso } from "../../api/services/format";
import { DAY, DSXC } from "../helpers/ledgerDriver";
import { chainIndexer, newPglite, newPostgres, nodeRpc, postgresReachable, sharedChain, silentLogger, type SharedChain } from "./helpers/fixture";
import { until, untilValue } from "../helpers/until";
import { get, listen, validatorsFrom, type Json } from "./helpers/http";

const rowsOf = (db: DatabaseHandle): Promise<NotificationRow[]> => db.db.selectFrom("notifications").selectAll().orderBy("seq").execute();

/** The content of each notification by id (what must not depend on how or when it was derived). */
function byId(rows: readonly NotificationRow[]) {
  return new Map(rows.map((r) => [r.id, { type: r.type, agreement: r.agreement_id, addresses: r.addresses, data: r.data, tx: r.tx_hash, log: r.log_index }]));
}

/** Mines `n` empty blocks (so earlier ones become final). */
async function mine(chain: SharedChain, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await nodeRpc(chain.node.url, "evm_mine");
}

for (const engine of ["pglite", "postgres"] as const) {
  describe(`api/notifications on ${engine}: notifications derived from final blocks, the feed and the live stream`, function () {
    this.timeout(240_000);
    let chain: SharedChain;
    let db: DatabaseHandle;
    let idx: Indexer;
    let stream: EventStreamHandler;
    let server: Server;
    let base: string;
    let validators: ReturnType<typeof validatorsFrom>;
    const open: DatabaseHandle[] = [];
    const fresh = async () => {
      const handle = engine === "pglite" ? await newPglite() : await newPostgres();
      open.push(handle);
      return handle;
    };

    before(async function () {
      if (engine === "postgres" && !(await postgresReachable())) this.skip();
      chain = await sharedChain();
      db = await fresh();
      idx = chainIndexer(chain, db);
      await idx.syncToHead();
      stream = eventStreamHandler({
        db: db.db,
        chainId: chain.deployment.chainId,
        logger: silentLogger,
        checkpoints: (listener) => idx.onCheckpoint(listener),
        pollIntervalMs: 200,
        heartbeatMs: 100,
      });
      const app = createApp({ db: db.db, logger: silentLogger, chainId: chain.deployment.chainId, rateLimitPerMinute: 0, cacheTtlMs: 0, eventStream: stream });
      ({ server, base } = await listen(app));
      validators = validatorsFrom((await get(base, "/openapi.json")).body!);
    });
    after(async function () {
      stream?.close();
      server?.closeAllConnections();
      await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
      await idx?.stop();
      for (const handle of open) await handle.close().catch(() => undefined);
    });

    describe("when the activity run is indexed with 2 confirmations", function () {
      it("it derives every log-borne type from the final blocks only, each concerning the right parties", async function () {
        const rows = await rowsOf(db);
        const state = await db.db.selectFrom("indexer_state").select(["final_number", "checkpoint_number"]).executeTakeFirstOrThrow();
        const mark = await db.db.selectFrom("notification_state").selectAll().executeTakeFirstOrThrow();
        expect(mark.notified_through).to.equal(state.final_number);
        expect(state.checkpoint_number! - state.final_number!).to.equal(2);
        for (const r of rows) expect(r.block_number).to.be.at.most(state.final_number!);
        const types = new Set(rows.map((r) => r.type));
        for (const t of NOTIFICATION_TYPES) {
          if (t === "payment.due_soon" || t === "agreement.delinquent") continue; // clock-derived: below
          expect(types, t).to.include(t);
        }
        const governance = rows.filter((r) => r.type === "governance.change_proposed").map((r) => ({ ...r, data: JSON.parse(r.data) as Json }));
        const changes = governance.map((g) => g.data.change);
        expect(changes).to.include.members(["startupMigration", "partnerSigners", "payoutAddress", "revenueSigners"]);
        for (const g of governance) expect(Date.parse(g.data.effectiveAt as string), "effectiveAt").to.be.greaterThan(g.timestamp * 1000);
        const migration = governance.find((g) => g.data.change === "startupMigration" && g.agreement_id === "1")!;
        expect(migration.data.to).to.equal(getAddress(chain.facts.pending.migrationTo));
        expect(JSON.parse(migration.addresses)).to.include(chain.facts.pending.migrationTo.toLowerCase());
        const revenueSigners = governance.find((g) => g.data.change === "revenueSigners")!;
        expect(revenueSigners.broadcast).to.equal(true);
        const partnerSigners = governance.find((g) => g.data.change === "partnerSigners")!;
        // the partner's startups hear of it: agreement 2's (moved) wallet is authorized with partner F
        expect(JSON.parse(partnerSigners.addresses)).to.include(chain.facts.startups[1].toLowerCase());
        const payments = await db.db.selectFrom("payments").selectAll().orderBy("block_number").orderBy("log_index").execute();
        const applied = rows.filter((r) => r.type === "payment.applied");
        expect(applied.map((r) => [r.tx_hash, r.log_index, r.agreement_id, JSON.parse(r.data).amount])).to.deep.equal(
          payments.map((p) => [p.tx_hash, p.log_index, p.agreement_id, p.amount]),
        );
        const payment = applied.find((r) => r.agreement_id === "2")!;
        expect(JSON.parse(payment.addresses)).to.include(chain.facts.payer.toLowerCase());
        expect(JSON.parse(payment.data)).to.include({ payer: getAddress(chain.facts.payer), outstanding: "0", nextDue: null });
        const rejected = rows.filter((r) => r.type === "usage.line_rejected").map((r) => JSON.parse(r.data) as Json);
        expect(rejected.map((d) => d.reason)).to.include.members(["NoRate", "SiblingRejected", "NotOpen"]);
        expect(new Set(rows.map((r) => r.id)).size).to.equal(rows.length);
        // stored as the compact JSON of the draft (what the insert hooks, the webhook outbox, are handed)
        for (const r of rows) expect([r.data, r.addresses]).to.deep.equal([JSON.stringify(JSON.parse(r.data)), JSON.stringify(JSON.parse(r.addresses))]);
        // each id is the documented one (docs/notifications.md), computed here with viem's keccak
        for (const r of rows.filter((row) => row.tx_hash !== null)) {
          const key = [r.tx_hash, r.log_index, ...(r.type === "usage.batch_recorded" ? [r.agreement_id] : [])];
          expect(r.id, r.type).to.equal(`evt_${keccak256(stringToHex([chain.deployment.chainId, r.type, ...key].join("|"))).slice(2)}`);
        }
      });

      it("re-indexing from scratch with other chunks, or after a restart, gives the same ids with the same content", async function () {
        const scratch = await fresh();
        const other = chainIndexer(chain, scratch, { chunkSize: 7 });
        await other.syncToHead();
        await other.stop();
        expect(byId(await rowsOf(scratch))).to.deep.equal(byId(await rowsOf(db)));

        // a restart: the first indexer stops when its first notifications are stored, a second one goes on
        const restarted = await fresh();
        const first = chainIndexer(chain, restarted, { chunkSize: 3 });
        first.start();
        await until("the first notifications", async () => (await restarted.db.selectFrom("notification_state").selectAll().executeTakeFirst()) !== undefined, 20_000);
        await first.stop();
        const partial = (await rowsOf(restarted)).length;
        const second = chainIndexer(chain, restarted, { chunkSize: 11 });
        await second.syncToHead();
        await second.stop();
        const rows = await rowsOf(restarted);
        expect(partial).to.be.lessThan(rows.length);
        expect(byId(rows)).to.deep.equal(byId(await rowsOf(db)));
        expect(rows.map((r) => r.seq)).to.deep.equal([...rows.map((r) => r.seq)].sort((a, b) => a - b));
      });
    });

    describe("GET /v1/events", function () {
      it("it pages through the whole feed in seq order, each page valid against /openapi.json", async function () {
        const all = await rowsOf(db);
        const seen: number[] = [];
        let url: string | null = "/v1/events?limit=7";
        while (url) {
          const res = await get(base, url);
          expect(res.status, res.text).to.equal(200);
          expect(validators.byPath.get("/v1/events")!(res.body), JSON.stringify(validators.byPath.get("/v1/events")!.errors)).to.equal(true);
          const page = res.body as { data: { seq: number; id: string }[]; nextCursor: string | null };
          seen.push(...page.data.map((d) => d.seq));
          url = page.nextCursor ? `/v1/events?limit=7&cursor=${page.nextCursor}` : null;
        }
        expect(seen).to.deep.equal(all.map((r) => r.seq));
        const middle = all[10].seq;
        const after = await get(base, `/v1/events?after=${middle}&limit=500`);
        expect((after.body!.data as { seq: number }[]).map((d) => d.seq)).to.deep.equal(all.filter((r) => r.seq > middle).map((r) => r.seq));
      });

      it("it filters by type (one or a list), agreement and address (program-wide ones match every address)", async function () {
        const all = await rowsOf(db);
        const list = async (q: string) => ((await get(base, `/v1/events?limit=500&${q}`)).body!.data as { id: string }[]).map((d) => d.id);
        expect(await list("type=payment.applied")).to.deep.equal(all.filter((r) => r.type === "payment.applied").map((r) => r.id));
        const two = ["revenue.reported", "audit.recorded"];
        expect(await list(`type=${two.join(",")}`)).to.deep.equal(all.filter((r) => two.includes(r.type)).map((r) => r.id));
        expect(await list("agreementId=2")).to.deep.equal(all.filter((r) => r.agreement_id === "2").map((r) => r.id));
        const partner = chain.facts.partners[1].toLowerCase();
        const forPartner = all.filter((r) => r.broadcast || (JSON.parse(r.addresses) as string[]).includes(partner)).map((r) => r.id);
        expect(forPartner.length).to.be.greaterThan(1);
        expect(await list(`address=${getAddress(partner)}`)).to.deep.equal(forPartner);
        expect(await list(`address=${partner}&type=claimable.available&agreementId=1`)).to.deep.equal(
          all
            .filter((r) => r.type === "claimable.available" && r.agreement_id === "1" && (JSON.parse(r.addresses) as string[]).includes(partner))
            .map((r) => r.id),
        );
      });

      it("it refuses bad filters with a problem naming the parameter", async function () {
        for (const [q, name] of [
          ["type=payment.bogus", "type"],
          ["type=payment.applied,", "type"],
          ["after=-1", "after"],
          ["limit=501", "limit"],
          ["agreementId=x", "agreementId"],
          ["address=0x123", "address"],
          ["cursor=bm90LWEtY3Vyc29y", "cursor"],
        ]) {
          const res = await get(base, `/v1/events?${q}`);
          expect(res.status, q).to.equal(400);
          expect(res.type).to.match(/application\/problem\+json/);
          expect(validators.problem(res.body)).to.equal(true);
          expect(JSON.stringify(res.body!.errors ?? res.body!.detail), q).to.include(name);
        }
      });
    });

    describe("when the chain's clock passes a due date (the chain's clock, months from the machine's)", function () {
      it("it sends payment.due_soon dueSoonSeconds before, then agreement.delinquent, each once per due date", async function () {
        const a1 = await db.db.selectFrom("agreements").select(["next_due", "obligation", "paid"]).where("id", "=", "1").executeTakeFirstOrThrow();
        expect(a1.next_due).to.be.greaterThan(0);
        // the machine's clock is far past this due date: only the chain's clock may decide
        expect(Date.now() / 1000).to.be.greaterThan(a1.next_due);
        const snapshot = (await nodeRpc(chain.node.url, "evm_snapshot")) as string;
        const clock = (t: string) => db.db.selectFrom("notifications").selectAll().where("agreement_id", "=", "1").where("type", "=", t).execute();
        try {
          await chain.driver.timeTo(BigInt(a1.next_due) - 3n * DAY - 60n);
          await mine(chain, 2);
          await idx.syncToHead();
          expect(await clock("payment.due_soon")).to.have.length(0);

          await chain.driver.timeTo(BigInt(a1.next_due) - 2n * DAY);
          await mine(chain, 2);
          await idx.syncToHead();
          const soon = await clock("payment.due_soon");
          expect(soon).to.have.length(1);
          expect(soon[0].id).to.equal(notificationId(chain.deployment.chainId, "payment.due_soon", ["1", a1.next_due]));
          expect(JSON.parse(soon[0].data)).to.include({ dueAt: iso(a1.next_due), dueSoonSeconds: 3 * 86_400 });
          expect(soon[0].tx_hash).to.equal(null);
          expect(await clock("agreement.delinquent")).to.have.length(0);

          await chain.driver.timeTo(BigInt(a1.next_due) + 1n);
          await mine(chain, 1);
          await idx.syncToHead();
          expect(await clock("agreement.delinquent"), "not final yet").to.have.length(0);
          await mine(chain, 1);
          await idx.syncToHead();
          const late = await clock("agreement.delinquent");
          expect(late).to.have.length(1);
          expect(JSON.parse(late[0].data)).to.include({ dueAt: iso(a1.next_due), amountDue: (BigInt(a1.obligation) - BigInt(a1.paid)).toString() });
          await chain.driver.increaseTime(DAY);
          await mine(chain, 3);
          await idx.syncToHead();
          expect(await clock("payment.due_soon")).to.have.length(1);
          expect(await clock("agreement.delinquent")).to.have.length(1);

          // derived from scratch at other points in time: the same ids
          const scratch = await fresh();
          const other = chainIndexer(chain, scratch, { chunkSize: 13 });
          await other.syncToHead();
          await other.stop();
          expect([...byId(await rowsOf(scratch)).keys()].sort()).to.deep.equal([...byId(await rowsOf(db)).keys()].sort());
        } finally {
          await nodeRpc(chain.node.url, "evm_revert", [snapshot]);
          await idx.syncToHead();
        }
      });
    });

    describe("when the chain reorganizes inside the confirmation depth (evm_snapshot / evm_revert)", function () {
      it("it notifies nothing of the orphaned blocks and the new branch once final", async function () {
        const scratch = await fresh();
        const deep = chainIndexer(chain, scratch, { confirmations: 3, chunkSize: 3 });
        await deep.syncToHead();
        const s0 = (await nodeRpc(chain.node.url, "evm_snapshot")) as string;
        let s1: string | undefined;
        const orphan = `0x${"aa".repeat(32)}`;
        const kept = `0x${"bb".repeat(32)}`;
        const audits = async () => (await rowsOf(scratch)).filter((r) => r.type === "audit.recorded").map((r) => JSON.parse(r.data).reportHash as string);
        try {
          // branch A: a payment and an audit, never final
          await chain.driver.pay(1n, 5n * DSXC);
          await chain.driver.call(chain.driver.admin, "recordAudit", 1n, 1n, orphan, true);
          await deep.syncToHead();
          expect(await audits()).not.to.include(orphan);
          await nodeRpc(chain.node.url, "evm_revert", [s0]);
          s1 = (await nodeRpc(chain.node.url, "evm_snapshot")) as string;
          // branch B: other transactions, then enough blocks for them to be final
          await chain.driver.call(chain.driver.admin, "recordAudit", 3n, 1n, kept, false);
          await chain.driver.pay(1n, 1n * DSXC);
          await mine(chain, 4);
          await deep.syncToHead();
          expect(deep.status().reorgs).to.be.greaterThan(0);
          const rows = await rowsOf(scratch);
          expect(await audits()).to.include(kept).and.not.to.include(orphan);
          const payments = rows.filter((r) => r.type === "payment.applied" && r.agreement_id === "1").map((r) => JSON.parse(r.data).amount as string);
          expect(payments).to.include(DSXC.toString()).and.not.to.include((5n * DSXC).toString());
          const head = Number(await chain.driver.publicClient.getBlockNumber());
          for (const r of rows) {
            const block = await chain.driver.publicClient.getBlock({ blockNumber: BigInt(r.block_number) });
            expect(r.block_hash, `block ${r.block_number}`).to.equal(block.hash);
            expect(r.block_number).to.be.at.most(head - 3);
          }
        } finally {
          await deep.stop();
          if (s1) await nodeRpc(chain.node.url, "evm_revert", [s1]);
          await idx.syncToHead();
        }
      });
    });

    describe("GET /v1/events/stream", function () {
      it("it replays after a seq, resumes with Last-Event-ID, and pushes new notifications live", async function () {
        const all = (await rowsOf(db)).filter((r) => r.agreement_id === "1");
        const received: { id: string; type: string; seq: number }[] = [];
        const connect = (lastEventId?: string) =>
          new EventSource(`${base}/v1/events/stream?agreementId=1&after=0`, {
            fetch: (input, init) => fetch(input, { ...init, headers: { ...init?.headers, ...(lastEventId ? { "Last-Event-ID": lastEventId } : {}) } }),
          });
        const listenTo = (es: EventSource) => {
          for (const t of NOTIFICATION_TYPES) {
            es.addEventListener(t, (e) => {
              const body = JSON.parse(e.data) as { seq: number; id: string; type: string };
              expect(e.lastEventId).to.equal(String(body.seq));
              expect(e.type).to.equal(body.type);
              received.push(body);
            });
          }
        };
        const first = connect();
        listenTo(first);
        await until("the replay", () => received.length >= 5, 20_000);
        first.close();
        await until("the server to see the client go", () => stream.open === 0, 20_000);
        const upTo = received[received.length - 1].seq;
        const second = connect(String(upTo));
        listenTo(second);
        await until("the rest of the replay", () => received.length >= all.length, 20_000);
        expect(received.map((r) => r.id)).to.deep.equal(all.map((r) => r.id));

        // live: a payment becomes final and is pushed
        const snapshot = (await nodeRpc(chain.node.url, "evm_snapshot")) as string;
        try {
          await chain.driver.pay(1n, 3n * DSXC);
          await mine(chain, 2);
          await idx.syncToHead();
          const pushed = await untilValue("the live payment", () => received.find((r) => r.type === "payment.applied" && r.seq > all[all.length - 1].seq), 20_000);
          const row = await db.db.selectFrom("notifications").selectAll().where("seq", "=", pushed.seq).executeTakeFirstOrThrow();
          expect(JSON.parse(row.data).amount).to.equal((3n * DSXC).toString());
          expect(received.filter((r) => r.id === pushed.id)).to.have.length(1);
        } finally {
          second.close();
          await nodeRpc(chain.node.url, "evm_revert", [snapshot]);
          await idx.syncToHead();
        }
      });

      it("with blocks=true, it also sends the indexed block (without an id) whenever it changes", async function () {
        const controller = new AbortController();
        const res = await fetch(`${base}/v1/events/stream?blocks=true&type=audit.recorded`, { signal: controller.signal });
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let text = "";
        const blockEvent = (n: number) =>
          untilValue(
            `event: block of ${n}`,
            async () => {
              const { value } = await reader.read();
              text += decoder.decode(value);
              return text.split("\n\n").find((e) => e.startsWith("event: block\n") && (JSON.parse(e.split("data: ")[1]) as Json).blockNumber === n);
            },
            20_000,
          );
        try {
          const before = (await db.db.selectFrom("indexer_state").select("checkpoint_number").executeTakeFirstOrThrow()).checkpoint_number!;
          const first = await blockEvent(before);
          expect(JSON.parse(first.split("data: ")[1])).to.include({ chainId: chain.deployment.chainId, blockNumber: before });
          await mine(chain, 1);
          const cp = await idx.syncToHead();
          await blockEvent(cp.number);
          expect(text).not.to.match(/^id: /m);
        } finally {
          controller.abort();
        }
      });

      it("it sends heartbeats, starts at the newest notification by default, refuses bad filters, and ends when the server closes it", async function () {
        const bad = await get(base, "/v1/events/stream?type=nope");
        expect(bad.status).to.equal(400);
        expect(bad.type).to.match(/application\/problem\+json/);
        const badHeader = await get(base, "/v1/events/stream", { "Last-Event-ID": "abc" });
        expect(badHeader.status).to.equal(400);

        const controller = new AbortController();
        const res = await fetch(`${base}/v1/events/stream`, { signal: controller.signal });
        expect(res.status).to.equal(200);
        expect(res.headers.get("content-type")).to.match(/^text\/event-stream/);
        const reader = res.body!.getReader();
        const decoder = new TextDecoder();
        let text = "";
        await until("two heartbeats", async () => {
          const { value } = await reader.read();
          text += decoder.decode(value);
          return (text.match(/: heartbeat/g) ?? []).length >= 2;
        }, 20_000);
        // nothing replayed: the stream starts after the newest notification
        expect(text).not.to.match(/^id: /m);
        stream.close();
        let done = false;
        await until("the stream to end", async () => {
          const r = await reader.read();
          if (r.value) text += decoder.decode(r.value);
          done = r.done;
          return done;
        }, 20_000);
        expect(done).to.equal(true);
        controller.abort();
      });
    });
  });
}

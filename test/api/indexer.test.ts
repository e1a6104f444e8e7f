import assert from "node:assert";
import { expect } from "chai";
import type { DatabaseHandle } from "../../api/db/database";
import { decodeEventLog, getAddress, hexToString, isAddress, zeroAddress, type Hex } from "viem";
import { decodeLog } from "../../api/indexer/events";
import { dsxCreditAbi, revenueShareLedgerAbi } from "../../sdk/abis";
import { chainIndexer, dumpTables, newPglite, newPostgres, nodeRpc, postgresReachable, sharedChain, type ChainIndexerOptions, type SharedChain } from "./helpers/fixture";
import { DSXC } from "../helpers/ledgerDriver";
import { expectTotalsMatchRows } from "./helpers/totals";
import type { PartnerViewData as PartnerView, SignerSetViewData as SignerSetView } from "../../auditor/chain/snapshot";

/** Indexes to the head and gives the lease up. */
async function sync(chain: SharedChain, db: DatabaseHandle, options: ChainIndexerOptions = {}) {
  const i = chainIndexer(chain, db, options);
  const checkpoint = await i.syncToHead();
  await i.stop();
  return checkpoint;
}

describe("api/indexer: following the ledger into the database", function () {
  this.timeout(240_000);
  let chain: SharedChain;
  const open: DatabaseHandle[] = [];
  const fresh = async () => {
    const db = await newPglite();
    open.push(db);
    return db;
  };

  before(async function () {
    chain = await sharedChain();
  });
  after(async function () {
    for (const db of open) await db.close().catch(() => undefined);
  });

  let db: DatabaseHandle;

  describe("when indexing the activity run from the deployment block", function () {
    before(async function () {
      db = await fresh();
      await sync(chain, db);
    });

    it("it keeps per-agreement, per-partner and per-account state equal to the ledger's views", async function () {
      const { driver, deployment } = chain;
      const state = await db.db.selectFrom("indexer_state").selectAll().executeTakeFirstOrThrow();
      const blockNumber = BigInt(state.checkpoint_number!);
      const read = (functionName: string, args: unknown[]) =>
        driver.publicClient.readContract({
          address: deployment.ledger,
          abi: revenueShareLedgerAbi,
          functionName: functionName as "agreement",
          args: args as [bigint],
          blockNumber,
        }) as Promise<Record<string, unknown>>;
      for (const id of chain.facts.agreements) {
        const view = await read("agreement", [id]);
        const row = await db.db.selectFrom("agreements").selectAll().where("id", "=", id.toString()).executeTakeFirstOrThrow();
        expect(row.consumed, `agreement ${id} consumed`).to.equal(String(view.consumed));
        expect(row.cap, `agreement ${id} cap`).to.equal(String(view.cap));
        expect(row.obligation, `agreement ${id} obligation`).to.equal(String(view.obligation));
        expect(row.paid, `agreement ${id} paid`).to.equal(String(view.paid));
        expect(row.credits_minted, `agreement ${id} creditsMinted`).to.equal(String(view.creditsMinted));
        expect(row.next_due, `agreement ${id} nextDue`).to.equal(Number(view.nextDue));
        expect(row.next_period_to_finalize).to.equal(Number(view.nextPeriodToFinalize));
        expect(row.partner_count).to.equal(Number(view.partnerCount));
        for (const partner of chain.facts.partners) {
          const p = await read("partnerPosition", [id, partner]);
          const pos = await db.db.selectFrom("positions").selectAll().where("agreement_id", "=", id.toString()).where("partner", "=", partner.toLowerCase()).executeTakeFirst();
          expect(pos?.spent ?? "0", `agreement ${id} partner ${partner} spent`).to.equal(String(p.spent));
          expect(pos?.burned_at ?? "0").to.equal(String(p.burnedAt));
          expect(pos?.receivable ?? "0").to.equal(String(p.receivable));
          expect(pos?.paid_to_partner ?? "0").to.equal(String(p.paidToPartner));
          expect(pos?.last_usage_end ?? 0).to.equal(Number(p.lastUsageEnd));
        }
      }
      for (const partner of chain.facts.partners) {
        const claimable = await driver.publicClient.readContract({ address: deployment.ledger, abi: revenueShareLedgerAbi, functionName: "claimable", args: [partner], blockNumber });
        const account = await db.db.selectFrom("accounts").selectAll().where("address", "=", partner.toLowerCase()).executeTakeFirst();
        expect(account?.claimable ?? "0").to.equal(claimable.toString());
      }
      const lines = await db.db.selectFrom("usage_lines").select(["accepted", "reason"]).execute();
      const reasons = new Set(lines.filter((l) => !l.accepted).map((l) => l.reason));
      expect([...reasons]).to.include.members(["NoRate", "SiblingRejected", "NotOpen", "OverAuthorization"]);
    });

    it("stores each usage line's answer (its view) as the line's own columns give it", async function () {
      const lines = await db.db.selectFrom("usage_lines").selectAll().execute();
      expect(lines.length).to.be.greaterThan(0);
      for (const l of lines) {
        // built here from the columns without the API's mappers: EIP-55 (viem), the sku's text, ISO 8601 seconds
        const expected = {
          batchId: l.batch_id,
          agreementId: l.agreement_id,
          partner: getAddress(l.partner),
          sku: hexToString(l.sku as Hex, { size: 32 }).replace(/\0+$/, ""),
          gpuSeconds: l.gpu_seconds,
          accepted: l.accepted,
          reason: l.reason,
          credits: l.credits,
          receivableAdded: l.receivable_added,
          recordedAt: new Date(l.timestamp * 1000).toISOString().replace(".000Z", "Z"),
          blockNumber: l.block_number,
          txHash: l.tx_hash,
        };
        // node:assert, not chai: with Hardhat's matchers chai's equal takes "0xAB" and "0xab" for the same number
        assert.strictEqual(l.view, JSON.stringify(expected), `line ${l.block_number}/${l.log_index}`);
      }
    });

    it("it keeps PROGRAM's pending changes and what events put in force, as the ledger's views show them at that block", async function () {
      const { driver, facts } = chain;
      const state = await db.db.selectFrom("indexer_state").selectAll().executeTakeFirstOrThrow();
      const at = BigInt(state.checkpoint_number!);
      const lower = (a: string) => a.toLowerCase();
      // the run left every proposal inside its notice: the rows' in-force values are the views' own
      expect(state.signer_notice).to.equal(Number(await driver.view<bigint>("SIGNER_NOTICE", [], at)));
      expect(state.migration_notice).to.equal(Number(await driver.view<bigint>("MIGRATION_NOTICE", [], at)));
      expect(state.payout_notice).to.equal(Number(await driver.view<bigint>("PAYOUT_NOTICE", [], at)));
      for (const id of facts.agreements) {
        const [to, effectiveAt] = await driver.view<[string, bigint]>("pendingMigration", [id], at);
        const row = await db.db.selectFrom("agreements").select(["pending_migration_to", "pending_migration_at"]).where("id", "=", String(id)).executeTakeFirstOrThrow();
        expect([row.pending_migration_to ?? zeroAddress, row.pending_migration_at], `agreement ${id}`).to.deep.equal([lower(to), Number(effectiveAt)]);
      }
      expect((await db.db.selectFrom("agreements").select("pending_migration_to").where("id", "=", "1").executeTakeFirstOrThrow()).pending_migration_to).to.equal(
        lower(facts.pending.migrationTo),
      );
      for (const partner of facts.partners) {
        const view = await driver.view<PartnerView>("partner", [partner], at);
        const row = await db.db.selectFrom("partners").selectAll().where("address", "=", lower(partner)).executeTakeFirstOrThrow();
        expect(JSON.parse(row.signers), `${partner} signers`).to.deep.equal(view.signers.map(lower));
        expect(row.threshold).to.equal(view.threshold);
        expect(JSON.parse(row.pending_signers), `${partner} pending signers`).to.deep.equal(view.pendingSigners.map(lower));
        expect([row.pending_threshold, row.pending_signers_at]).to.deep.equal([view.pendingThreshold, Number(view.pendingSignersAt)]);
        expect(row.payout_address ?? lower(partner), `${partner} payout`).to.equal(lower(view.payout));
        expect([row.pending_payout ?? zeroAddress, row.pending_payout_at]).to.deep.equal([lower(view.pendingPayout), Number(view.pendingPayoutAt)]);
      }
      const revenue = await driver.view<SignerSetView>("revenueSigners", [], at);
      const program = await db.db.selectFrom("program").selectAll().executeTakeFirstOrThrow();
      expect([JSON.parse(program.revenue_signers), program.revenue_threshold]).to.deep.equal([revenue.signers.map(lower), revenue.threshold]);
      expect([JSON.parse(program.revenue_pending_signers), program.revenue_pending_threshold, program.revenue_pending_at]).to.deep.equal([
        revenue.pendingSigners.map(lower),
        revenue.pendingThreshold,
        Number(revenue.pendingAt),
      ]);
      expect(revenue.pendingSigners.map(lower)).to.deep.equal(facts.pending.revenueSigners.map(lower));
      // B's claim went to the payout address it had set (Claimed carries the recipient)
      const claims = await db.db.selectFrom("claims").selectAll().where("beneficiary", "=", lower(facts.partners[1])).execute();
      expect(claims.map((c) => c.recipient)).to.deep.equal([lower(facts.payoutB)]);
    });

    it("its running totals (program, partners, each agreement's last audit) equal the sums over its rows", async function () {
      await expectTotalsMatchRows(db);
    });

    it("re-indexing from scratch with another chunk size, or committing in parts of a few logs, gives identical rows", async function () {
      const other = await fresh();
      await sync(chain, other, { chunkSize: 7 });
      expect(await dumpTables(other)).to.deep.equal(await dumpTables(db));
      const parts = await fresh();
      await sync(chain, parts, { chunkSize: 2000, targetLogs: 5 });
      expect(await dumpTables(parts)).to.deep.equal(await dumpTables(db));
    });

    it("its hand decoders of the frequent events give exactly what viem's ABI decoder gives", async function () {
      const { driver, deployment } = chain;
      const logs = await driver.publicClient.getLogs({ address: [deployment.ledger, deployment.credit], fromBlock: BigInt(deployment.deploymentBlock) });
      const seen = new Set<string>();
      for (const log of logs) {
        const raw = { blockNumber: 1, logIndex: 0, blockHash: log.blockHash!, txHash: log.transactionHash!, address: log.address, topics: log.topics as Hex[], data: log.data, timestamp: 0 };
        const ours = decodeLog(raw, deployment.ledger, deployment.credit);
        const abi = log.address.toLowerCase() === deployment.ledger.toLowerCase() ? revenueShareLedgerAbi : dsxCreditAbi;
        const viem = decodeEventLog({ abi, data: log.data, topics: log.topics as [Hex, ...Hex[]], strict: true });
        seen.add(viem.eventName);
        // addresses: lower-case (the index keys by them); every other value and type identical
        const norm = (args: object) => Object.entries(args).map(([k, v]) => [k, typeof v === "string" && isAddress(v) ? v.toLowerCase() : v, typeof v]);
        expect(ours!.event.eventName).to.equal(viem.eventName);
        expect(norm(ours!.event.args as object)).to.deep.equal(norm(viem.args as object));
      }
      expect([...seen]).to.include.members(["UsageRecorded", "UsageLineRejected", "UsageBatchRecorded", "Transfer", "Distributed", "PaymentApplied", "RevenueReported", "RevenueFinalized"]);
    });
  });

  describe("when the indexer restarts", function () {
    it("it resumes from its checkpoint and ends with the rows a single run gives", async function () {
      const { driver, node } = chain;
      const db = await fresh();
      const first = chainIndexer(chain, db);
      const cp1 = await first.syncToHead();
      await first.stop();
      const snapshot = (await nodeRpc(node.url, "evm_snapshot")) as string;
      try {
        await driver.pay(1n, 2n * DSXC);
        await driver.call(driver.admin, "recordAudit", 2n, 1n, `0x${"11".repeat(32)}`, false);
        const second = chainIndexer(chain, db);
        const cp2 = await second.syncToHead();
        await second.stop();
        expect(cp2.number).to.be.greaterThan(cp1.number);
        await expectTotalsMatchRows(db);
        const scratch = await fresh();
        await sync(chain, scratch);
        expect(await dumpTables(db)).to.deep.equal(await dumpTables(scratch));
      } finally {
        await nodeRpc(node.url, "evm_revert", [snapshot]);
      }
    });
  });

  describe("when the chain reorganizes (evm_snapshot / evm_revert to a fork of different blocks)", function () {
    it("it rolls back to the common ancestor, re-indexes the new branch, and matches a fresh index", async function () {
      const { driver, node } = chain;
      const db = await fresh();
      const idx = chainIndexer(chain, db, { chunkSize: 3 });
      await idx.syncToHead();
      const s0 = (await nodeRpc(node.url, "evm_snapshot")) as string;
      let s1: string | undefined;
      try {
        // branch A: a payment and an audit
        await driver.pay(1n, 5n * DSXC);
        await driver.call(driver.admin, "recordAudit", 1n, 1n, `0x${"aa".repeat(32)}`, true);
        await idx.syncToHead();
        const before = await db.db.selectFrom("audits").select("report_hash").execute();
        expect(before.map((a) => a.report_hash)).to.include(`0x${"aa".repeat(32)}`);

        await nodeRpc(node.url, "evm_revert", [s0]);
        s1 = (await nodeRpc(node.url, "evm_snapshot")) as string;
        // branch B: different transactions, more blocks than branch A
        await driver.call(driver.admin, "recordAudit", 3n, 1n, `0x${"bb".repeat(32)}`, false);
        await driver.call(driver.admin, "pause");
        await driver.call(driver.admin, "unpause");
        await driver.pay(1n, 1n * DSXC);
        await idx.syncToHead();
        expect(idx.status().reorgs).to.be.greaterThan(0);
        const after = (await db.db.selectFrom("audits").select("report_hash").execute()).map((a) => a.report_hash);
        expect(after).to.include(`0x${"bb".repeat(32)}`);
        expect(after).not.to.include(`0x${"aa".repeat(32)}`);
        await expectTotalsMatchRows(db);
        const scratch = await fresh();
        await sync(chain, scratch);
        expect(await dumpTables(db)).to.deep.equal(await dumpTables(scratch));
      } finally {
        await idx.stop();
        if (s1) await nodeRpc(node.url, "evm_revert", [s1]);
      }
    });
  });

  describe("when two indexers share one database", function () {
    it("only the lease holder writes; the other waits", async function () {
      const a = chainIndexer(chain, db, { owner: "writer-a" });
      const b = chainIndexer(chain, db, { owner: "writer-b" });
      await a.syncToHead();
      // b's first attempt at the lease, while a holds it
      const attempted = new Promise<boolean>((resolve) => b.onLeaseAttempt(resolve));
      b.start();
      expect(await attempted, "b got the lease a holds").to.equal(false);
      expect(b.status().holdsLease).to.equal(false);
      await b.stop();
      const state = await db.db.selectFrom("indexer_state").select("lease_owner").executeTakeFirstOrThrow();
      expect(state.lease_owner).to.equal("writer-a");
      await a.stop();
    });
  });

  describe("on PostgreSQL (when a server is reachable)", function () {
    it("it writes the same rows as on PGlite", async function () {
      if (!(await postgresReachable())) this.skip();
      const pgDb = await newPostgres();
      try {
        await sync(chain, pgDb, { chunkSize: 25 });
        await sync(chain, db);
        expect(await dumpTables(pgDb)).to.deep.equal(await dumpTables(db));
      } finally {
        await pgDb.close();
      }
    });
  });
});

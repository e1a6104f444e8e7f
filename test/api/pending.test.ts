// PROGRAM's pending changes over real HTTP (PROTOCOL v1.1 §3): a signer set, the revenue signer set and a payout
// address come into force at their effectiveAt with no further event, so the API must answer what is in force at
// the indexed block's time; a wallet migration stays pending until it is executed. The chain's clock is moved
// (evm_increaseTime + a mined block) past each notice and every answer is compared with the ledger's own views at
// the indexed block. The chain is restored (evm_revert) afterwards for the other test files of the process.
import type { Server } from "node:http";
import { expect } from "chai";
import { keccak256, stringToHex, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { createApp } from "../../api/app";
import type { DatabaseHandle } from "../../api/db/database";
import { Indexer } from "../../api/indexer/indexer";
import { toOpenApiPath } from "../../api/openapi";
import { newPglite, newPostgres, nodeRpc, postgresReachable, sharedChain, silentLogger, type SharedChain } from "./helpers/fixture";
import { get, listen, validatorsFrom, type Json } from "./helpers/http";
import { expectedMigration, expectedPartner, expectedRevenueSigners, isoOf, pendingViews } from "./helpers/views";

for (const engine of ["pglite", "postgres"] as const) {
  describe(`api/pending on ${engine}: PROGRAM's pending changes, in force from their effectiveAt without another event`, function () {
    this.timeout(240_000);
    let chain: SharedChain;
    let snapshot: string | undefined;
    let db: DatabaseHandle;
    let indexer: Indexer;
    let server: Server;
    let base: string;
    let validators: ReturnType<typeof validatorsFrom>;

    before(async function () {
      if (engine === "postgres" && !(await postgresReachable())) this.skip();
      chain = await sharedChain();
      snapshot = (await nodeRpc(chain.node.url, "evm_snapshot")) as string;
      db = engine === "pglite" ? await newPglite() : await newPostgres();
      indexer = new Indexer({ db: db.db, publicClient: chain.driver.publicClient, deployment: chain.deployment, logger: silentLogger, confirmations: 2 });
      ({ server, base } = await listen(
        createApp({ db: db.db, logger: silentLogger, chainId: chain.deployment.chainId, rateLimitPerMinute: 0, checkpoints: (l) => indexer.onCheckpoint(l) }),
      ));
      validators = validatorsFrom((await get(base, "/openapi.json")).body!);
    });

    after(async function () {
      await new Promise((r) => (server ? server.close(r) : r(undefined)));
      await indexer?.stop();
      await db?.close();
      if (snapshot) await nodeRpc(chain.node.url, "evm_revert", [snapshot]);
    });

    /** GETs `url` at the indexed block `block` (read-after-write), checks the body against /openapi.json, returns it. */
    async function read(route: string, url: string, block: bigint): Promise<Json> {
      const res = await get(base, `${url}${url.includes("?") ? "&" : "?"}minBlock=${block}`);
      expect(res.status, res.text).to.equal(200);
      const validate = validators.byPath.get(toOpenApiPath(route))!;
      expect(validate(res.body), JSON.stringify(validate.errors)).to.equal(true);
      expect((res.body!.meta as Json).blockNumber, url).to.equal(Number(block));
      return res.body!;
    }

    /** Indexes up to the chain's head (awaited, no sleeping): the block every answer is then read at, and its time. */
    async function indexHead(): Promise<{ block: bigint; now: bigint }> {
      const checkpoint = await indexer.syncToHead();
      return { block: BigInt(checkpoint.number), now: BigInt(checkpoint.timestamp) };
    }

    /**
     * Every partner, the program and every agreement as the API answers them at the head, compared with the ledger's
     * views at that block; returns the API's answers.
     */
    async function compareWithLedger() {
      const { block, now } = await indexHead();
      const { facts, driver } = chain;
      const views = await pendingViews(driver, block, facts.partners, facts.agreements);
      const program = (await read("/v1/program", "/v1/program", block)).data as Json;
      expect((program as Json).revenueSigners, "revenueSigners").to.deep.equal(expectedRevenueSigners(views.revenueSigners, now));
      const listed = (await read("/v1/partners", "/v1/partners?limit=500", block)).data as Json[];
      const partners: Record<string, Json> = {};
      for (const [i, address] of facts.partners.entries()) {
        const expected = expectedPartner(views.partners[i], now);
        const partner = (await read("/v1/partners/:address", `/v1/partners/${address}`, block)).data as Json;
        expect(partner, address).to.deep.include(expected);
        expect(listed.find((p) => p.address === address), address).to.deep.include(expected);
        partners[address] = partner;
      }
      const agreements: Record<string, Json> = {};
      const list = (await read("/v1/agreements", "/v1/agreements?limit=500", block)).data as Json[];
      for (const [i, id] of facts.agreements.entries()) {
        const expected = expectedMigration(views.migrations[i], now);
        const agreement = (await read("/v1/agreements/:id", `/v1/agreements/${id}`, block)).data as Json;
        expect(agreement.pendingMigration, `agreement ${id}`).to.deep.equal(expected);
        expect(list.find((a) => a.id === String(id))!.pendingMigration, `agreement ${id} listed`).to.deep.equal(expected);
        const view = await driver.view<{ terms: { startup: Address } }>("agreement", [id], block);
        expect(agreement.startup, `agreement ${id} startup`).to.equal(view.terms.startup);
        agreements[String(id)] = agreement;
      }
      return { block, now, program, partners, agreements };
    }

    it("when the notices run out, the sets and the address in force change with no event, a migration waits for its execution, and later changes replace pending ones", async function () {
      const { driver, facts } = chain;
      const [F, B] = facts.partners;
      const admin = driver.admin;

      // 1. the end of the activity run: every proposal inside its notice
      let at = await compareWithLedger();
      const constants = at.program.constants as Json;
      const signersF = at.partners[F].pendingSigners as Json;
      const payoutF = at.partners[F].pendingPayout as Json;
      const revenue = (at.program.revenueSigners as Json).pending as Json;
      const migration = at.agreements["1"].pendingMigration as Json;
      expect(signersF).to.deep.include({ signers: facts.pending.signersF, threshold: 1 });
      expect(payoutF).to.include({ payout: facts.pending.payoutF });
      expect(revenue).to.deep.include({ signers: facts.pending.revenueSigners, threshold: 1 });
      expect(migration).to.include({ to: facts.pending.migrationTo });
      expect(at.agreements["4"].pendingMigration, "cancelled by the startup").to.equal(null);
      expect(at.partners[B]).to.deep.include({ payout: facts.payoutB, pendingPayout: null });
      expect(at.partners[F].payout, "none set: the partner itself").to.equal(F);
      for (const change of [signersF, payoutF, revenue, migration]) {
        expect(change.secondsLeft).to.equal(Date.parse(change.effectiveAt as string) / 1000 - Number(at.now));
        expect(change.secondsLeft).to.be.greaterThan(0);
      }
      expect(constants).to.include({ signerNotice: 2 * 86_400, migrationNotice: 7 * 86_400, payoutNotice: 7 * 86_400 });

      // 2. past the signer notice (2 days), inside the payout and migration notices (7 days): no transaction of the ledger
      const signersDue = Math.max(signersF.secondsLeft as number, revenue.secondsLeft as number);
      expect(signersDue).to.be.lessThan(payoutF.secondsLeft as number);
      const before = at.block;
      await driver.increaseTime(BigInt(signersDue));
      at = await compareWithLedger();
      expect(at.partners[F]).to.deep.include({ signers: facts.pending.signersF, threshold: 1, pendingSigners: null });
      expect(at.program.revenueSigners).to.deep.equal({ signers: facts.pending.revenueSigners, threshold: 1, pending: null });
      expect((at.partners[F].pendingPayout as Json).secondsLeft).to.be.greaterThan(0);
      expect((at.agreements["1"].pendingMigration as Json).secondsLeft).to.be.greaterThan(0);
      // no log of the ledger since: the change came from the clock alone
      expect(await db.db.selectFrom("blocks").select("number").where("number", ">", Number(before)).execute()).to.deep.equal([]);

      // 3. newer proposals after the older ones came into force: the matured set is the one in force, the newer pending
      const oracleF = privateKeyToAccount(keccak256(stringToHex("dsx-api-test-oracle-f"))).address;
      await driver.call(admin, "setPartnerSigners", F, [oracleF], 1);
      await driver.call(admin, "setRevenueSigners", [driver.revenueOracle.address], 1);
      at = await compareWithLedger();
      expect(at.partners[F]).to.deep.include({ signers: facts.pending.signersF, threshold: 1 });
      expect((at.partners[F].pendingSigners as Json).signers).to.deep.equal([oracleF]);
      expect((at.program.revenueSigners as Json).signers).to.deep.equal(facts.pending.revenueSigners);
      expect(((at.program.revenueSigners as Json).pending as Json).signers).to.deep.equal([driver.revenueOracle.address]);
      // the partner's own rotation is in force at once and ends PROGRAM's pending set
      await driver.call(driver.partnerF.wallet, "setPartnerSigners", F, [oracleF], 1);
      at = await compareWithLedger();
      expect(at.partners[F]).to.deep.include({ signers: [oracleF], threshold: 1, pendingSigners: null });

      // 4. past the payout and migration notices: the payout address is in force (F's claim goes there); the
      // migration is still pending, with no time left, until someone executes it
      await driver.increaseTime(BigInt((at.partners[F].pendingPayout as Json).secondsLeft as number));
      at = await compareWithLedger();
      expect(at.partners[F]).to.deep.include({ payout: facts.pending.payoutF, pendingPayout: null });
      expect(at.agreements["1"].pendingMigration).to.deep.equal({ to: facts.pending.migrationTo, effectiveAt: migration.effectiveAt, secondsLeft: 0 });
      const claimable = BigInt(((await read("/v1/partners/:address", `/v1/partners/${F}`, at.block)).data as Json).claimable as string);
      expect(claimable, "F has something to claim").to.be.greaterThan(0n);
      const claimed = await driver.call(admin, "claim", F);
      await indexHead();
      const recorded = await db.db.selectFrom("claims").selectAll().where("block_number", "=", Number(claimed.blockNumber)).execute();
      expect(recorded.map((c) => [c.beneficiary, c.recipient, c.amount])).to.deep.equal([[F.toLowerCase(), facts.pending.payoutF.toLowerCase(), claimable.toString()]]);

      await driver.call(driver.payer, "executeStartupMigration", 1n);
      at = await compareWithLedger();
      expect(at.agreements["1"]).to.include({ startup: facts.pending.migrationTo, pendingMigration: null });
      expect(isoOf(at.now)).to.equal(((await read("/v1/program", "/v1/program", at.block)).meta as Json).blockTimestamp);
    });
  });
}

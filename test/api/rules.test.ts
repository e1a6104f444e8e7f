// The API's SQL form of a ledger rule (api/db/rules.ts) on test/vectors/ledger-rules.json, on PGlite and, when a
// server is reachable, PostgreSQL: the same answers as sdk/ledgerRules.ts, the one TypeScript home.
import { expect } from "chai";
import { sql } from "kysely";
import { checkpointNowSql, delinquentSql } from "../../api/db/rules";
import type { DatabaseHandle } from "../../api/db/database";
import { getAgreement, listAgreements } from "../../api/services/agreements";
import { getProgram } from "../../api/services/participants";
import { metaOf, type Reader, type StateRow } from "../../api/services/snapshot";
import { isDelinquent } from "../../sdk/ledgerRules";
import { nextDueVectors } from "../vectors/ledgerRulesVectors";
import { newPglite, newPostgres, postgresReachable } from "./helpers/fixture";

const int8 = (v: bigint) => sql<number>`${sql.val(Number(v))}::int8`;

const LEDGER = "0x00000000000000000000000000000000000000aa";

/** A checkpoint and one agreement whose next_due each vector sets. */
async function seed(h: DatabaseHandle): Promise<void> {
  await sql`insert into indexer_state (id, chain_id, ledger, credit, settlement_token, deployment_block, dispute_window, rate_notice,
    auth_notice, reporting_grace, signer_notice, migration_notice, payout_notice, checkpoint_number, checkpoint_hash, checkpoint_timestamp)
    values (1, 31337, ${LEDGER}, ${LEDGER}, ${LEDGER}, 1, 1, 1, 1, 604800, 1, 1, 1, 5, '0xh', 0)`.execute(h.db);
  await h.db
    .insertInto("agreements")
    .values({
      id: "1", startup: "0x00000000000000000000000000000000000005a1", status: "Active", credit_limit: "100000000000", revenue_share_bps: 800,
      cap_multiple_bps: 15_000, partner_first_bps: 6_000, start_time: 1_900_000_000, end_time: 2_100_000_000, period_duration: 2_592_000,
      grace_period: 1_296_000, terms_hash: `0x${"11".repeat(32)}`, created_block: 2, created_at: 1_899_000_000, accepted_at: 1_899_000_100,
      terminated_at: 0, credits_minted: "100000000000", consumed: "3000000000", cap: "4500000000", obligation: "4500000000", paid: "0",
      next_due: 0, next_period_to_finalize: 2, period_count: 12, partner_count: 0, pending_migration_to: null, pending_migration_at: 0,
      updated_block: 5,
    })
    .execute();
}

/** The services' reader over `h` at its checkpoint (what the app's reader gives a route). */
function readerOf(h: DatabaseHandle): Reader {
  const at = (state: StateRow | undefined) => {
    if (!state) throw new Error("no checkpoint");
    return { db: h.db, meta: metaOf(state, 31337), now: state.checkpoint_timestamp ?? 0, state };
  };
  return {
    db: h.db,
    at,
    snapshot: async (fn) => fn(at((await sql<StateRow>`select * from indexer_state where id = 1`.execute(h.db)).rows[0])),
  };
}

describe("api/db/rules: the SQL form of the ledger rules", function () {
  this.timeout(120_000);

  for (const engine of ["pglite", "postgres"] as const) {
    it(`on ${engine}, delinquentSql gives every vector's delinquency from its nextDue, as isDelinquent does`, async function () {
      if (engine === "postgres" && !(await postgresReachable())) this.skip();
      const h = engine === "pglite" ? await newPglite() : await newPostgres();
      try {
        const got = [];
        for (const v of nextDueVectors) {
          const { rows } = await sql<{ d: boolean }>`select ${delinquentSql(int8(v.expected.nextDue), int8(v.now))} as d`.execute(h.db);
          got.push([v.name, rows[0].d, isDelinquent(v.expected.nextDue, v.now)]);
        }
        expect(got).to.deep.equal(nextDueVectors.map((v) => [v.name, v.expected.delinquent, v.expected.delinquent]));
      } finally {
        await h.close();
      }
    });
  }

  for (const engine of ["pglite", "postgres"] as const) {
    it(`on ${engine}, the agreement rows (by id and listed) and the program totals answer every vector's delinquency at the checkpoint`, async function () {
      if (engine === "postgres" && !(await postgresReachable())) this.skip();
      const h = engine === "pglite" ? await newPglite() : await newPostgres();
      try {
        await seed(h);
        const r = readerOf(h);
        const got = [];
        for (const v of nextDueVectors) {
          await sql`update agreements set next_due = ${Number(v.expected.nextDue)}`.execute(h.db);
          await sql`update indexer_state set checkpoint_timestamp = ${Number(v.now)}`.execute(h.db);
          const one = await getAgreement(r, "1");
          const listed = await listAgreements(r, {});
          const program = await getProgram(r);
          got.push([v.name, one?.delinquent, listed.data.map((a) => a.delinquent), program.totals.delinquent]);
        }
        expect(got).to.deep.equal(nextDueVectors.map((v) => [v.name, v.expected.delinquent, [v.expected.delinquent], v.expected.delinquent ? 1 : 0]));
      } finally {
        await h.close();
      }
    });
  }

  it("on pglite, checkpointNowSql is the checkpoint's time, 0 before the first block (ReadContext.now)", async function () {
    const h = await newPglite();
    try {
      const now = () => sql<{ now: number }>`select ${checkpointNowSql("s")} as now from indexer_state s where s.id = 1`.execute(h.db);
      await sql`insert into indexer_state (id, chain_id, ledger, credit, settlement_token, deployment_block, dispute_window, rate_notice,
        auth_notice, reporting_grace, signer_notice, migration_notice, payout_notice)
        values (1, 31337, '0xa', '0xb', '0xc', 1, 1, 1, 1, 1, 1, 1, 1)`.execute(h.db);
      expect((await now()).rows.map((r) => Number(r.now)), "no block indexed yet").to.deep.equal([0]);
      await sql`update indexer_state set checkpoint_number = 5, checkpoint_hash = '0xh', checkpoint_timestamp = 2000000000`.execute(h.db);
      expect((await now()).rows.map((r) => Number(r.now))).to.deep.equal([2_000_000_000]);
    } finally {
      await h.close();
    }
  });
});

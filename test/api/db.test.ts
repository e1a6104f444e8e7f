// The database layer on its own: PGlite's prepared-statement path against PGlite's own query(), errors and
// transactions through it, one-shape query templates, the refusal of another schema version, and PostgreSQL
// connections ended under the pool.
import { expect } from "chai";
import { CompiledQuery, sql } from "kysely";
import pg from "pg";
import { openDatabase, type DatabaseHandle } from "../../api/db/database";
import { SCHEMA_VERSION } from "../../api/db/schema";
import { qb, QueryTemplate } from "../../api/db/template";
import { until } from "../helpers/until";
import { newPglite, newPostgres, postgresReachable } from "./helpers/fixture";

const MAX = "115792089237316195423570985008687907853269984665640564039457584007913129639935";

describe("api/db: the two engines behind one Kysely", function () {
  this.timeout(120_000);

  it("PGlite's prepared path gives the rows, types and nulls PGlite's query() gives", async function () {
    const h = await newPglite();
    try {
      await h.db
        .insertInto("accounts")
        .values([
          { address: "0xa", credit_balance: MAX, claimable: "0", claimed: "7" },
          { address: "0xb", credit_balance: "1", claimable: "2", claimed: "3" },
        ])
        .execute();
      await h.db.insertInto("blocks").values({ number: 2 ** 40, hash: "0xh", timestamp: 1_790_000_000, logs: "AAH/" }).execute();
      const text = "select a.*, b.number, b.logs, decode(b.logs, 'base64') as bytes, b.number > 0 as later, null::text as nothing from accounts a cross join blocks b where a.address = $1";
      for (const address of ["0xa", "0xb", "0xa"]) {
        const prepared = await h.db.executeQuery(CompiledQuery.raw(text, [address]));
        const theirs = await h.pglite!.query<Record<string, unknown>>(text, [address]);
        expect(prepared.rows).to.deep.equal(theirs.rows);
      }
      const [row] = (await h.db.selectFrom("accounts").selectAll().where("address", "=", "0xa").execute());
      expect(row.credit_balance).to.equal(MAX); // numeric(78) stays an exact decimal string
      const [block] = await h.db.selectFrom("blocks").selectAll().execute();
      expect(block.number).to.equal(2 ** 40); // int8 as a JS number
      expect(block.logs).to.equal("AAH/");
      const [bytes] = (await sql<{ b: Uint8Array }>`select decode(logs, 'base64') as b from blocks`.execute(h.db)).rows;
      expect([...bytes.b]).to.deep.equal([0, 1, 255]); // bytea through the prepared path
      const updated = await h.db.updateTable("accounts").set({ claimed: "9" }).where("claimed", "!=", "9").executeTakeFirst();
      expect(updated.numUpdatedRows).to.equal(2n);
    } finally {
      await h.close();
    }
  });

  it("PGlite's prepared path reads every kind of value as PGlite's query() does (integers, booleans, numeric, UTF-8 text, nulls)", async function () {
    const h = await newPglite();
    try {
      // the decoder's fast kinds (api/db/pgliteDialect.ts) at their edges, beside types that take the parser
      const text = `select $1::int8 as a, $2::int4 as b, $3::int2 as c, $4::bool as d, $5::numeric as e, $6::text as f, $7::varchar as g,
        $8::jsonb as h, $9::float8 as i, null::int8 as j, null::bool as k, ''::text as l, $10::int8 as m`;
      const cases: unknown[][] = [
        ["9007199254740991", "-2147483648", "-32768", "true", "-1157920892373161954235709850086879078532699846656405640394575840079131296399.5", "é 😀 ü", "Straße", '{"k":"ü"}', "1.5", "0"],
        ["-9007199254740991", "2147483647", "32767", "false", "0", "plain ascii", "", "[]", "-0.25", "-7"],
        ["0", "0", "0", "true", "115792089237316195423570985008687907853269984665640564039457584007913129639935", "x\u007f", "日本", "null", "1e300", "123456789012345"],
      ];
      for (const values of cases) {
        const prepared = await h.db.executeQuery(CompiledQuery.raw(text, values));
        const theirs = await h.pglite!.query<Record<string, unknown>>(text, values);
        expect(prepared.rows).to.deep.equal(theirs.rows);
      }
      // beyond 2^53 an int8 is refused by both paths (16 digits: the parser's path)
      for (const big of ["9007199254740993", "-9007199254740993", "123456789012345678"]) {
        let refused: unknown;
        await h.db.executeQuery(CompiledQuery.raw("select $1::int8 as a", [big])).catch((e: unknown) => (refused = e));
        expect(refused, big).to.be.instanceOf(RangeError);
      }
    } finally {
      await h.close();
    }
  });

  it("on PostgreSQL, idle connections ended by the server are reported and replaced, never thrown out of the process", async function () {
    if (!(await postgresReachable())) this.skip();
    const scratch = await newPostgres();
    const failures: Error[] = [];
    const h = await openDatabase({ databaseUrl: scratch.url, poolSize: 3, onIdleError: (e) => void failures.push(e) });
    try {
      // three connections in the pool, then idle
      await Promise.all([1, 2, 3].map(() => sql`select pg_sleep(0.05)`.execute(h.db)));
      const admin = new pg.Client({ connectionString: scratch.url });
      await admin.connect();
      try {
        const ended = await admin.query("select pg_terminate_backend(pid) from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()");
        expect(ended.rowCount, "connections ended").to.be.at.least(3);
      } finally {
        await admin.end();
      }
      await until("the pool to hear of its ended connections", () => failures.length >= 3, 10_000, () => `${failures.length} heard`);
      expect(failures.every((e) => /terminating connection/.test(e.message)), failures.map((e) => e.message).join("; ")).to.equal(true);
      const { rows } = await sql<{ n: number }>`select 7 as n`.execute(h.db);
      expect(rows).to.deep.equal([{ n: 7 }]);
    } finally {
      await h.close();
      await scratch.close();
    }
  });

  it("PGlite's prepared path raises the database's error (code and message), and a failed transaction rolls back", async function () {
    const h = await newPglite();
    try {
      await h.db.insertInto("blocks").values({ number: 1, hash: "0x1", timestamp: 1, logs: "" }).execute();
      let caught: { message?: string; code?: string } = {};
      try {
        await h.db.insertInto("blocks").values({ number: 1, hash: "0x2", timestamp: 2, logs: "" }).execute();
      } catch (err) {
        caught = err as typeof caught;
      }
      expect(caught.code).to.equal("23505");
      expect(caught.message).to.match(/duplicate key value violates unique constraint "blocks_pkey"/);
      await h.db
        .transaction()
        .execute(async (trx) => {
          await trx.insertInto("blocks").values({ number: 2, hash: "0x2", timestamp: 2, logs: "" }).execute();
          await trx.insertInto("blocks").values({ number: 1, hash: "0x1", timestamp: 1, logs: "" }).execute();
        })
        .catch(() => undefined);
      expect((await h.db.selectFrom("blocks").select("number").execute()).map((b) => b.number)).to.deep.equal([1]);
    } finally {
      await h.close();
    }
  });

  it("a query template builds each shape once and fills in the parameters; an argument used as SQL is refused", async function () {
    const byStatus = new QueryTemplate((a: { status?: string; take: number }) => {
      let q = qb.selectFrom("agreements").select("id");
      if (a.status !== undefined) q = q.where("status", "=", a.status);
      return q.orderBy("id").limit(a.take);
    });
    const one = byStatus.compile({ status: "Active", take: 3 });
    const two = byStatus.compile({ status: "Expired", take: 7 });
    expect(two.sql).to.equal(one.sql);
    expect(two.parameters).to.deep.equal(["Expired", 7]);
    expect(byStatus.compile({ take: 5 }).sql).not.to.include("where");
    const bad = new QueryTemplate((a: { column: string }) => qb.selectFrom("agreements").select(sql.ref(a.column).as("x")));
    expect(() => bad.compile({ column: "id" })).to.throw(/reached the SQL text|not a parameter/);
  });

  it("refuses a database written by another schema version, naming the fix", async function () {
    for (const engine of ["pglite", "postgres"] as const) {
      if (engine === "postgres" && !(await postgresReachable())) continue;
      const h: DatabaseHandle & { url?: string } = engine === "pglite" ? await newPglite() : await newPostgres();
      try {
        await sql`update schema_version set version = 1`.execute(h.db);
        const open = engine === "pglite" ? openDatabase({ loadDataDir: await h.pglite!.dumpDataDir("none") }) : openDatabase({ databaseUrl: h.url });
        let message = "";
        try {
          await (await open).close();
        } catch (err) {
          message = (err as Error).message;
        }
        expect(message).to.match(new RegExp(`schema version 1, this build writes ${SCHEMA_VERSION}: point it at a new database`));
      } finally {
        await h.close();
      }
    }
  });
});

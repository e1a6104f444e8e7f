// Opens the read side's database: PGlite in a data folder (the default, nothing to install) or a
// PostgreSQL server when a URL is given, behind one Kysely instance and one schema (schema.ts).
import fs from "node:fs";
import { createHash } from "node:crypto";
import { Kysely, PostgresDialect, sql, type PostgresPool, type PostgresPoolClient } from "kysely";
import pg from "pg";
import { PGliteDialect } from "./pgliteDialect";
import { DDL, SCHEMA_VERSION, type Database } from "./schema";
import { int8ToNumber, numericAsText } from "./values";

/** Which engine serves the database. */
export type Engine = "pglite" | "postgres";

export interface OpenDatabaseOptions {
  /** A PostgreSQL connection string; when set, PGlite is not used. */
  databaseUrl?: string;
  /** PGlite's data folder; omitted: an in-memory database (tests). */
  dataDir?: string;
  /** PostgreSQL pool size (default 10). */
  poolSize?: number;
  /**
   * PostgreSQL only: told when an idle pooled connection fails (the server restarted, an administrator ended it). The
   * pool drops that connection and opens another for the next query; without a listener node-postgres would throw
   * the error out of the process.
   */
  onIdleError?: (error: Error) => void;
  /** PGlite only: start from this data-folder dump (`dumpDataDir()`), e.g. a migrated template in tests. */
  loadDataDir?: Blob;
}

/** An open database: the query builder, its engine and how to close it. */
export interface DatabaseHandle {
  db: Kysely<Database>;
  engine: Engine;
  close(): Promise<void>;
  /** The embedded instance (PGlite only), e.g. to dump it. */
  pglite?: import("@electric-sql/pglite").PGlite;
}

const INT8_OID = 20;
const NUMERIC_OID = 1700;


/** Reads whose SQL text is kept prepared per connection (the routes' texts are constant: db/template.ts). */
const PREPARED_READ = /^\s*(select|with)\b/i;
const MAX_PREPARED_SQL = 8192;
const statementNames = new Map<string, string>();

/** A stable statement name for `text` (pg keeps a named statement parsed and planned per connection). */
function statementName(text: string): string {
  let name = statementNames.get(text);
  if (name === undefined) {
    name = `dsx_${createHash("sha256").update(text).digest("hex").slice(0, 24)}`;
    if (statementNames.size > 10_000) statementNames.clear();
    statementNames.set(text, name);
  }
  return name;
}

/**
 * Prepared statements keep one generic plan: the read statements' plans do not depend on their values (each is an
 * index range bounded by the page), and PostgreSQL's default re-plans a statement whose generic plan it rates dearer
 * at every execution (the status list: planning as long as executing; BENCHMARKS.md). Unnamed statements (the
 * indexer's writes) are planned per execution either way. On PostgreSQL it is sent first on each new connection
 * (node-postgres runs a client's queries in order).
 */
const GENERIC_PLANS = "set plan_cache_mode = force_generic_plan";

/**
 * The pool Kysely uses, with reads sent as named prepared statements: parsed and planned once per connection
 * instead of once per request.
 */
function preparingPool(pool: pg.Pool): PostgresPool {
  const wrap = (client: pg.PoolClient): PostgresPoolClient => ({
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's overloads (text + values, or a cursor)
    query: ((text: any, values?: readonly unknown[]) => {
      if (typeof text === "string" && text.length <= MAX_PREPARED_SQL && PREPARED_READ.test(text)) {
        return client.query({ name: statementName(text), text, values: values as unknown[] });
      }
      return values === undefined ? client.query(text) : client.query(text, values as unknown[]);
    }) as PostgresPoolClient["query"],
    release: (destroy?: boolean) => client.release(destroy),
  });
  return { connect: async () => wrap(await pool.connect()), end: () => pool.end() };
}

/**
 * Opens (and migrates) the database.
 * @example const { db, close } = await openDatabase({ dataDir: ".dsx/index" });
 */
export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  if (options.databaseUrl) {
    const pool = new pg.Pool({
      connectionString: options.databaseUrl,
      max: options.poolSize ?? 10,
      types: {
        getTypeParser: ((oid: number, format?: "text" | "binary") =>
          oid === INT8_OID ? int8ToNumber : oid === NUMERIC_OID ? numericAsText : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
      },
    });
    pool.on("connect", (client) => void client.query(GENERIC_PLANS).catch(() => undefined));
    pool.on("error", (error) => options.onIdleError?.(error));
    const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: preparingPool(pool) }) });
    handle = { db, engine: "postgres", close: () => db.destroy() };
  } else {
    // PGlite is an ES module; load it lazily so PostgreSQL deployments never pay for the WebAssembly.
    const { PGlite, types } = await import("@electric-sql/pglite");
    if (options.dataDir) fs.mkdirSync(options.dataDir, { recursive: true });
    const instance = await PGlite.create(options.dataDir, {
      loadDataDir: options.loadDataDir,
      parsers: { [types.INT8]: int8ToNumber, [types.NUMERIC]: numericAsText },
    });
    await instance.exec(GENERIC_PLANS);
    const db = new Kysely<Database>({ dialect: new PGliteDialect(instance) });
    handle = { db, engine: "pglite", close: () => db.destroy(), pglite: instance };
  }
  try {
    await migrate(handle.db);
  } catch (err) {
    await handle.close();
    throw err;
  }
  return handle;
}

/** Creates the schema if needed; refuses a database written by another schema version. */
export async function migrate(db: Kysely<Database>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // one migrator at a time on a shared PostgreSQL (the lock ends with the transaction)
    await sql`select pg_advisory_xact_lock(7361001)`.execute(trx);
    await sql.raw(DDL[0]).execute(trx);
    // the version first: another version's tables are never touched
    const rows = await sql<{ version: number }>`select version from schema_version`.execute(trx);
    if (rows.rows.length > 0 && rows.rows[0].version !== SCHEMA_VERSION) {
      throw new Error(
        `The database holds index schema version ${rows.rows[0].version}, this build writes ${SCHEMA_VERSION}: ` +
          "point it at a new database (DATABASE_URL or DSX_API_DATA_DIR) and let it re-index.",
      );
    }
    for (const statement of DDL.slice(1)) await sql.raw(statement).execute(trx);
    if (rows.rows.length === 0) await sql`insert into schema_version (version) values (${SCHEMA_VERSION})`.execute(trx);
  });
}

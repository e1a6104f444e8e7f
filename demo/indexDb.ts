// The API's embedded database for the demo. Creating a PGlite data folder runs initdb in WebAssembly, the
// slowest single step of a start (seconds on an idle machine, far more on a busy one); so a fresh run keeps
// the folder of an earlier run and empties its tables instead, and the demo opens it while the node starts.
import { existsSync, rmSync } from "node:fs";
import { join } from "node:path";
import { sql } from "kysely";
import { openDatabase, type DatabaseHandle } from "../api/db/database";

/**
 * Opens (creating it when needed) the PGlite database in `dir`. With `empty`, every table but the schema
 * version is emptied, so the indexer starts over from the deployment block; a folder written by another
 * schema version is replaced.
 */
export async function openIndexDatabase(dir: string, empty: boolean): Promise<DatabaseHandle> {
  let handle: DatabaseHandle;
  try {
    handle = await openDatabase({ dataDir: dir });
  } catch (err) {
    if (!existsSync(join(dir, "PG_VERSION"))) throw err;
    // another schema version (or a damaged folder): the index is derived data, build it again
    rmSync(dir, { recursive: true, force: true });
    handle = await openDatabase({ dataDir: dir });
  }
  if (empty) {
    const tables = await sql<{ tablename: string }>`select tablename from pg_tables where schemaname = 'public' and tablename <> 'schema_version'`.execute(handle.db);
    if (tables.rows.length > 0) {
      await sql.raw(`truncate table ${tables.rows.map((t) => `"${t.tablename}"`).join(", ")}`).execute(handle.db);
    }
  }
  return handle;
}

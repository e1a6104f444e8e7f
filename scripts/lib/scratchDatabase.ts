// Throw-away index databases for tests and benchmarks: a database of its own on a PostgreSQL server, or an
// embedded PGlite folder, opened with the API's schema and removed again on close.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { openDatabase, type DatabaseHandle } from "../../api/db/database";

async function onServer(server: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: server });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}

/** A new, empty database `<prefix>_<pid>_<random>` on the PostgreSQL `server`; close drops it. */
export async function scratchPostgres(server: string, prefix: string, poolSize?: number): Promise<DatabaseHandle & { url: string }> {
  const name = `${prefix}_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  await onServer(server, `create database ${name}`);
  const url = new URL(server);
  url.pathname = `/${name}`;
  const handle = await openDatabase({ databaseUrl: url.toString(), poolSize });
  return {
    ...handle,
    url: url.toString(),
    close: async () => {
      await handle.close();
      await onServer(server, `drop database if exists ${name} with (force)`);
    },
  };
}

/** {@link scratchPostgres} when `server` is given, else a PGlite folder in the temporary directory (removed on close). */
export async function scratchDatabase(server: string | undefined, prefix: string): Promise<DatabaseHandle> {
  if (server) return scratchPostgres(server, prefix);
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), `${prefix.replace(/_/g, "-")}-`));
  const handle = await openDatabase({ dataDir });
  return {
    ...handle,
    close: async () => {
      await handle.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

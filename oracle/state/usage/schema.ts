// The usage oracle's state database (SERVICES §2): an embedded SQLite database (better-sqlite3,
// WAL) in the state folder, its schema, the migrations from older schemas, and how it is opened.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { FatalError } from "../../../sdk/errors";
import { createTableSql } from "./columns";
import { SLICES } from "./rows";

/** File name of the database inside the state folder. */
export const STATE_DB_FILE = "usage-state.sqlite";

/** The schema this version reads and writes (kept in meta under `schema`). */
export const SCHEMA_VERSION = "3";

/** The whole schema, safe to run on every open (CREATE … IF NOT EXISTS). */
const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS clusters (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
-- Watermarks of jobs whose JobIDRaw is a plain number below 2^32: job = cluster id × 2^32 + JobIDRaw.
CREATE TABLE IF NOT EXISTS job_watermarks (job INTEGER PRIMARY KEY, billed_until INTEGER NOT NULL);
-- Watermarks of the other JobIDRaw forms (1234_7, 1234+0, …).
CREATE TABLE IF NOT EXISTS watermarks (
  cluster TEXT NOT NULL, job_id TEXT NOT NULL, billed_until INTEGER NOT NULL,
  PRIMARY KEY (cluster, job_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS records (record_id TEXT PRIMARY KEY, source_file TEXT NOT NULL, source_line INTEGER NOT NULL) WITHOUT ROWID;
${createTableSql(SLICES)}
CREATE INDEX IF NOT EXISTS slices_by_state ON slices (state, piece_start, piece_end, window_end);
CREATE INDEX IF NOT EXISTS slices_by_batch ON slices (batch_id);
CREATE INDEX IF NOT EXISTS slices_by_agreement ON slices (agreement_id, state, piece_start);
CREATE TABLE IF NOT EXISTS batches (
  batch_id TEXT PRIMARY KEY,
  sequence INTEGER NOT NULL,
  period_start INTEGER NOT NULL,
  period_end INTEGER NOT NULL,
  records_root TEXT NOT NULL,
  batch_json TEXT NOT NULL,
  leaves_json TEXT NOT NULL,
  pack_ids TEXT NOT NULL DEFAULT '[]',
  signatures_json TEXT NOT NULL,
  calldata TEXT,
  raw_tx TEXT,
  tx_hash TEXT,
  status TEXT NOT NULL,
  receipt_json TEXT,
  rejected_json TEXT,
  predicted_rejections_json TEXT NOT NULL DEFAULT '[]',
  created_at INTEGER NOT NULL,
  confirmed_at INTEGER) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS batches_by_status ON batches (status, sequence);
CREATE TABLE IF NOT EXISTS packs (
  id INTEGER PRIMARY KEY,
  piece_start INTEGER NOT NULL,
  piece_end INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  window_end INTEGER NOT NULL,
  state TEXT NOT NULL,
  batch_id TEXT,
  source_file TEXT NOT NULL,
  slice_count INTEGER NOT NULL,
  gpu_seconds INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS packs_by_state ON packs (state, piece_start, piece_end, window_end);
CREATE INDEX IF NOT EXISTS packs_by_batch ON packs (batch_id);
-- A pack's contents, never updated (SQLite rewrites a whole row on UPDATE: state changes stay small).
CREATE TABLE IF NOT EXISTS pack_data (
  pack_id INTEGER PRIMARY KEY,
  lines_json TEXT NOT NULL,
  slices_json TEXT NOT NULL,
  hashes BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS quarantine (
  id INTEGER PRIMARY KEY,
  file TEXT NOT NULL, line INTEGER NOT NULL, raw TEXT NOT NULL,
  reason TEXT NOT NULL, detail TEXT NOT NULL, extra_json TEXT,
  candidate_json TEXT,
  UNIQUE (file, line, reason, raw));
CREATE TABLE IF NOT EXISTS ingested_files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ms INTEGER NOT NULL) WITHOUT ROWID;
-- Slurm rows (or the rest of one) the chain's clock has not reached: billed by a later run through the job's watermark.
CREATE TABLE IF NOT EXISTS waiting_rows (
  id INTEGER PRIMARY KEY,
  source_file TEXT NOT NULL, source_line INTEGER NOT NULL,
  cluster TEXT NOT NULL, job_id TEXT NOT NULL,
  account TEXT NOT NULL, agreement_id TEXT NOT NULL, sku TEXT NOT NULL,
  row_start INTEGER NOT NULL, row_end INTEGER NOT NULL, gpus INTEGER NOT NULL,
  waits_from INTEGER NOT NULL,
  decision_id INTEGER,
  UNIQUE (source_file, source_line, cluster, job_id));
CREATE INDEX IF NOT EXISTS waiting_by_time ON waiting_rows (waits_from, id);
CREATE INDEX IF NOT EXISTS waiting_by_file ON waiting_rows (source_file);
-- An operator's decision on a quarantine entry (SERVICES §2 "Quarantine review"); taken = an accepted row was handed to billing.
CREATE TABLE IF NOT EXISTS quarantine_decisions (
  quarantine_id INTEGER PRIMARY KEY,
  decision TEXT NOT NULL,
  decided_by TEXT NOT NULL,
  decided_at INTEGER NOT NULL,
  note TEXT NOT NULL,
  account TEXT, agreement_id TEXT, sku TEXT,
  taken INTEGER NOT NULL DEFAULT 0);
-- The recordIds an accepted row billed (its evidence goes into the bundles of the batches holding them).
CREATE TABLE IF NOT EXISTS decision_records (
  record_id TEXT NOT NULL, quarantine_id INTEGER NOT NULL,
  PRIMARY KEY (record_id, quarantine_id)) WITHOUT ROWID;
`;

/** Schema changes from each older version to the next, run in order in one transaction on open. */
const MIGRATIONS: Readonly<Record<string, { to: string; sql: string }>> = {
  // v1.1: quarantine review and waiting rows (the new tables come from SCHEMA).
  "2": { to: "3", sql: "ALTER TABLE quarantine ADD COLUMN candidate_json TEXT;" },
};

/**
 * Opens (creating if needed) the database in `dir`: WAL, synchronous=NORMAL (a commit is in the
 * WAL when the call returns, so a killed process loses nothing; durable transactions add the
 * fsync), an older schema migrated in one transaction (a crash leaves the old schema, migrated
 * again next time).
 * @throws FatalError when the folder was written with a schema this version cannot migrate.
 */
export function openStateDatabase(dir: string): Database.Database {
  mkdirSync(dir, { recursive: true });
  const db = new Database(join(dir, STATE_DB_FILE));
  db.pragma("journal_mode = WAL");
  db.pragma("synchronous = NORMAL");
  db.pragma("busy_timeout = 5000");
  db.pragma("cache_size = -65536");
  const schema = db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE name = 'meta'").get();
  if (schema?.n === 1) {
    const version = db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema'").get()?.value;
    if (version !== undefined && version !== SCHEMA_VERSION && MIGRATIONS[version] !== undefined) migrate(db, version);
    else if (version !== undefined && version !== SCHEMA_VERSION) {
      db.close();
      throw new FatalError(`State folder ${dir} was written by another version of the oracle (state schema ${version}, this one reads ${SCHEMA_VERSION}).`, {
        fix: "Finish its open batches with the version that wrote it, then start this version with a new state folder.",
      });
    }
  }
  db.exec(SCHEMA);
  return db;
}

/** Brings a state of an older schema to this one, in one transaction. */
function migrate(db: Database.Database, from: string): void {
  db.transaction(() => {
    let version = from;
    while (version !== SCHEMA_VERSION) {
      const step = MIGRATIONS[version];
      db.exec(step.sql);
      version = step.to;
    }
    db.exec(SCHEMA);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(SCHEMA_VERSION);
  }).immediate();
}

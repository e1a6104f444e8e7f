// The usage oracle's local state (SERVICES §2): an embedded SQLite database (better-sqlite3,
// WAL) in the state folder. Every change is made inside a transaction, so a process killed at
// any point (kill -9) leaves either the state before or after it. Commits are written to the
// WAL at once (a killed process loses nothing committed) and synced to disk (fsync) by the
// durable transactions that come before anything leaves the machine (a signed batch before it
// is sent): see docs/usage-oracle.md "Durability".
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { FatalError } from "../../sdk/errors";
import type { UsageCandidate } from "../sources/usage";

/** File name of the database inside the state folder. */
export const STATE_DB_FILE = "usage-state.sqlite";

const SCHEMA_VERSION = "3";

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
CREATE TABLE IF NOT EXISTS slices (
  id INTEGER PRIMARY KEY,
  record_id TEXT NOT NULL,
  agreement_id TEXT NOT NULL,
  sku TEXT NOT NULL,
  slice_start INTEGER NOT NULL,
  slice_end INTEGER NOT NULL,
  gpus INTEGER NOT NULL,
  gpu_seconds INTEGER NOT NULL,
  window_start INTEGER NOT NULL,
  window_end INTEGER NOT NULL,
  piece_start INTEGER NOT NULL,
  piece_end INTEGER NOT NULL,
  carried INTEGER NOT NULL DEFAULT 0,
  state TEXT NOT NULL,
  batch_id TEXT,
  rejection TEXT,
  source_file TEXT NOT NULL,
  source_line INTEGER NOT NULL);
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

/** Where a slice stands. */
export type SliceState = "pending" | "batched" | "reported" | "quarantined";

/** One stored slice: a record's part inside one window piece (its batch period). */
export interface SliceRow {
  id: number;
  recordId: string;
  agreementId: bigint;
  sku: string;
  sliceStart: bigint;
  sliceEnd: bigint;
  gpus: bigint;
  gpuSeconds: bigint;
  windowStart: bigint;
  windowEnd: bigint;
  pieceStart: bigint;
  pieceEnd: bigint;
  /** A late slice carried into a later piece (its true times stay). */
  carried: boolean;
  state: SliceState;
  batchId: string | null;
  /**
   * The last reason the ledger (or the preflight) refused this slice's line: the line's own
   * (e.g. `NoRate`), or `SiblingRejected` when the ledger rejected it only with another line of
   * its agreement (a mark, never a reason to quarantine). Cleared when the slice is batched.
   */
  rejection: string | null;
  /** Where the record was read (for its quarantine entry). */
  sourceFile: string;
  sourceLine: number;
}

/** A slice to insert (no id yet). */
export type NewSlice = Omit<SliceRow, "id" | "batchId" | "rejection" | "state"> & {
  state?: SliceState;
  batchId?: string | null;
  rejection?: string | null;
};

/**
 * Where a pack stands: as a slice, or `exploded` once its slices were turned into slice rows
 * (kept, unchanged, for the batch that holds it; see oracle/usage/packs.ts `explodePack`).
 */
export type PackState = SliceState | "exploded";

/**
 * A pack: the slices one ingestion chunk of one file put into one window piece, stored as one
 * row. Ingestion writes packs instead of a row per slice; the planner batches whole packs and
 * turns a pack into single slice rows (oracle/usage/packs.ts `explodePack`) only when its
 * slices must go different ways (a refused line, a re-cut, a late carry, a batch split by
 * agreement). A batch refers to its packs by id; a pack's slices never change.
 */
export interface PackRow {
  id: number;
  pieceStart: bigint;
  pieceEnd: bigint;
  windowStart: bigint;
  windowEnd: bigint;
  state: PackState;
  batchId: string | null;
  sourceFile: string;
  sliceCount: number;
  gpuSeconds: bigint;
  /** `[[agreementId, sku (bytes32), gpuSeconds], …]`: Σ per (agreement, sku), decimal strings. */
  linesJson: string;
  /**
   * `[[recordId, line index, sliceStart, sliceEnd, gpuSeconds, gpus, sourceLine], …]`: the slices,
   * numbers as JSON numbers (decimal strings above 2^53); the line index points into linesJson.
   * Empty when not read (see {@link UsageState.pendingPacksInPiece}).
   */
  slicesJson: string;
  /** The slices' standard Merkle leaf hashes, 32 bytes each, in slice order. */
  hashes: Buffer;
}

/** A pack to insert. */
export type NewPack = Omit<PackRow, "id" | "state" | "batchId">;

/** Where a stored batch stands. */
export type BatchStatus = "awaiting-signatures" | "signed" | "confirmed" | "superseded";

/** One stored batch. JSON columns hold bigints as decimal strings. */
export interface BatchRow {
  batchId: string;
  sequence: bigint;
  periodStart: bigint;
  periodEnd: bigint;
  recordsRoot: string;
  batchJson: string;
  /** Leaves of the batch's slice rows (a JSON array of UsageLeaf); its packs' follow from {@link packIdsJson}. */
  leavesJson: string;
  /** Ids of the packs the batch holds whole (a JSON array). */
  packIdsJson: string;
  signaturesJson: string;
  calldata: string | null;
  rawTx: string | null;
  txHash: string | null;
  status: BatchStatus;
  receiptJson: string | null;
  rejectedJson: string | null;
  predictedRejectionsJson: string;
  createdAt: number;
  confirmedAt: number | null;
}

/** One quarantined row or slice, as it goes to quarantine.jsonl. */
export interface StoredQuarantine {
  /** The entry's id (the quarantine review names entries by it); set when read back. */
  id?: number;
  file: string;
  line: number;
  raw: string;
  reason: string;
  detail: string;
  /** Extra fields (e.g. the on-chain rejection reason), merged into the JSON line. */
  extra?: Record<string, unknown>;
  /** What the row would bill, when its fields could be read. */
  candidate?: UsageCandidate;
  /** The operator's decision, once made (read back only). */
  decision?: StoredDecision;
}

/** An operator's decision on a quarantine entry. */
export interface StoredDecision {
  quarantineId: number;
  decision: "accept" | "reject";
  /** Who decided (`--by`, else the OS user). */
  decidedBy: string;
  /** Unix milliseconds. */
  decidedAt: number;
  /** Why. */
  note: string;
  /** Accepted: what the row is billed as (the account name, its agreement, the sku). */
  account: string | null;
  agreementId: string | null;
  sku: string | null;
  /** Accepted: handed to billing by a run. */
  taken: boolean;
}

/** A Slurm row, or the rest of one, that waits until the chain's clock reaches it. */
export interface WaitingRow {
  id: number;
  sourceFile: string;
  sourceLine: number;
  cluster: string;
  jobId: string;
  account: string;
  agreementId: bigint;
  sku: string;
  /** The row's whole exported interval: the job's watermark decides what is still to bill. */
  start: bigint;
  end: bigint;
  gpus: bigint;
  /** Nothing of it can be billed before the chain's clock passes this instant. */
  waitsFrom: bigint;
  /** The quarantine entry an accepted row came from. */
  decisionId: number | null;
}

interface RawSlice {
  id: number;
  record_id: string;
  agreement_id: string;
  sku: string;
  slice_start: number;
  slice_end: number;
  gpus: number;
  gpu_seconds: number;
  window_start: number;
  window_end: number;
  piece_start: number;
  piece_end: number;
  carried: number;
  state: SliceState;
  batch_id: string | null;
  rejection: string | null;
  source_file: string;
  source_line: number;
}

interface RawPack {
  id: number;
  piece_start: number;
  piece_end: number;
  window_start: number;
  window_end: number;
  state: PackState;
  batch_id: string | null;
  source_file: string;
  slice_count: number;
  gpu_seconds: number;
  lines_json: string;
  slices_json: string;
  hashes: Buffer;
}

interface RawBatch {
  batch_id: string;
  sequence: number;
  period_start: number;
  period_end: number;
  records_root: string;
  batch_json: string;
  leaves_json: string;
  pack_ids: string;
  signatures_json: string;
  calldata: string | null;
  raw_tx: string | null;
  tx_hash: string | null;
  status: BatchStatus;
  receipt_json: string | null;
  rejected_json: string | null;
  predicted_rejections_json: string;
  created_at: number;
  confirmed_at: number | null;
}

interface RawQuarantine {
  id: number;
  file: string;
  line: number;
  raw: string;
  reason: string;
  detail: string;
  extra_json: string | null;
  candidate_json: string | null;
  quarantine_id: number | null;
  decision: "accept" | "reject" | null;
  decided_by: string | null;
  decided_at: number | null;
  note: string | null;
  account: string | null;
  agreement_id: string | null;
  sku: string | null;
  taken: number | null;
}

interface RawWaiting {
  id: number;
  source_file: string;
  source_line: number;
  cluster: string;
  job_id: string;
  account: string;
  agreement_id: string;
  sku: string;
  row_start: number;
  row_end: number;
  gpus: number;
  waits_from: number;
  decision_id: number | null;
}

function toQuarantine(r: RawQuarantine): StoredQuarantine {
  return {
    id: r.id,
    file: r.file,
    line: r.line,
    raw: r.raw,
    reason: r.reason,
    detail: r.detail,
    extra: r.extra_json === null ? undefined : (JSON.parse(r.extra_json) as Record<string, unknown>),
    candidate: r.candidate_json === null ? undefined : (JSON.parse(r.candidate_json) as UsageCandidate),
    decision:
      r.quarantine_id === null
        ? undefined
        : {
            quarantineId: r.quarantine_id,
            decision: r.decision as "accept" | "reject",
            decidedBy: r.decided_by as string,
            decidedAt: r.decided_at as number,
            note: r.note as string,
            account: r.account,
            agreementId: r.agreement_id,
            sku: r.sku,
            taken: r.taken === 1,
          },
  };
}

function toWaiting(r: RawWaiting): WaitingRow {
  return {
    id: r.id,
    sourceFile: r.source_file,
    sourceLine: r.source_line,
    cluster: r.cluster,
    jobId: r.job_id,
    account: r.account,
    agreementId: BigInt(r.agreement_id),
    sku: r.sku,
    start: BigInt(r.row_start),
    end: BigInt(r.row_end),
    gpus: BigInt(r.gpus),
    waitsFrom: BigInt(r.waits_from),
    decisionId: r.decision_id,
  };
}

/** A bigint that SQLite stores as an INTEGER (all times and GPU-seconds here are far below 2^53). */
function int(name: string, value: bigint): number {
  if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FatalError(`${name} = ${value} is too large for the state database.`);
  }
  return Number(value);
}

function toSlice(r: RawSlice): SliceRow {
  return {
    id: r.id,
    recordId: r.record_id,
    agreementId: BigInt(r.agreement_id),
    sku: r.sku,
    sliceStart: BigInt(r.slice_start),
    sliceEnd: BigInt(r.slice_end),
    gpus: BigInt(r.gpus),
    gpuSeconds: BigInt(r.gpu_seconds),
    windowStart: BigInt(r.window_start),
    windowEnd: BigInt(r.window_end),
    pieceStart: BigInt(r.piece_start),
    pieceEnd: BigInt(r.piece_end),
    carried: r.carried === 1,
    state: r.state,
    batchId: r.batch_id,
    rejection: r.rejection,
    sourceFile: r.source_file,
    sourceLine: r.source_line,
  };
}

function toPack(r: RawPack): PackRow {
  return {
    id: r.id,
    pieceStart: BigInt(r.piece_start),
    pieceEnd: BigInt(r.piece_end),
    windowStart: BigInt(r.window_start),
    windowEnd: BigInt(r.window_end),
    state: r.state,
    batchId: r.batch_id,
    sourceFile: r.source_file,
    sliceCount: r.slice_count,
    gpuSeconds: BigInt(r.gpu_seconds),
    linesJson: r.lines_json,
    slicesJson: r.slices_json,
    hashes: r.hashes,
  };
}

/** A plain JobIDRaw (no leading zeros, so the number gives the text back). */
const PLAIN_JOB = /^(?:0|[1-9]\d{0,9})$/;
/** Job keys of one cluster: cluster id × JOB_SPAN + JobIDRaw. */
const JOB_SPAN = 2 ** 32;
/** Cluster ids stay below this, so job keys stay below 2^53. */
const CLUSTER_LIMIT = 2 ** 20;

/** Key of a Slurm job in {@link UsageState.watermarksOf}'s map. */
export function jobKey(cluster: string, jobId: string): string {
  return `${cluster}\n${jobId}`;
}

function toBatch(r: RawBatch): BatchRow {
  return {
    batchId: r.batch_id,
    sequence: BigInt(r.sequence),
    periodStart: BigInt(r.period_start),
    periodEnd: BigInt(r.period_end),
    recordsRoot: r.records_root,
    batchJson: r.batch_json,
    leavesJson: r.leaves_json,
    packIdsJson: r.pack_ids,
    signaturesJson: r.signatures_json,
    calldata: r.calldata,
    rawTx: r.raw_tx,
    txHash: r.tx_hash,
    status: r.status,
    receiptJson: r.receipt_json,
    rejectedJson: r.rejected_json,
    predictedRejectionsJson: r.predicted_rejections_json,
    createdAt: r.created_at,
    confirmedAt: r.confirmed_at,
  };
}

/**
 * The state database of one partner's usage oracle.
 *
 * @example
 * const state = UsageState.open("state/", { chainId: 31337, ledger, partner });
 * state.transaction(() => state.setWatermarks([["syd1", "4101", 1_790_000_000n]]));
 */
export class UsageState {
  readonly db: Database.Database;
  readonly dir: string;
  private readonly stmt: ReturnType<UsageState["prepare"]>;
  private readonly statements = new Map<string, Database.Statement>();

  private constructor(dir: string) {
    this.dir = dir;
    mkdirSync(dir, { recursive: true });
    this.db = new Database(join(dir, STATE_DB_FILE));
    this.db.pragma("journal_mode = WAL");
    // NORMAL: a commit is in the WAL (the OS holds it) when the call returns, so a killed
    // process loses nothing; durable transactions add the fsync (power loss).
    this.db.pragma("synchronous = NORMAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.pragma("cache_size = -65536");
    const schema = this.db.prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_master WHERE name = 'meta'").get();
    if (schema?.n === 1) {
      const version = this.db.prepare<[], { value: string }>("SELECT value FROM meta WHERE key = 'schema'").get()?.value;
      if (version !== undefined && version !== SCHEMA_VERSION && MIGRATIONS[version] !== undefined) this.migrate(version);
      else if (version !== undefined && version !== SCHEMA_VERSION) {
        this.db.close();
        throw new FatalError(`State folder ${dir} was written by another version of the oracle (state schema ${version}, this one reads ${SCHEMA_VERSION}).`, {
          fix: "Finish its open batches with the version that wrote it, then start this version with a new state folder.",
        });
      }
    }
    this.db.exec(SCHEMA);
    this.stmt = this.prepare();
  }

  /** Brings a state of an older schema to this one, in one transaction (a crash leaves the old schema, migrated again next time). */
  private migrate(from: string): void {
    this.db.transaction(() => {
      let version = from;
      while (version !== SCHEMA_VERSION) {
        const step = MIGRATIONS[version];
        this.db.exec(step.sql);
        version = step.to;
      }
      this.db.exec(SCHEMA);
      this.db.prepare("UPDATE meta SET value = ? WHERE key = 'schema'").run(SCHEMA_VERSION);
    }).immediate();
  }

  /**
   * Opens (creating if needed) the state in `dir`. The first open records which chain, ledger
   * and partner the state belongs to; opening it later for another one is refused.
   * @throws FatalError when the folder belongs to another chain, ledger or partner.
   */
  static open(dir: string, identity: { chainId: number; ledger: string; partner: string }): UsageState {
    const state = new UsageState(dir);
    const want: Record<string, string> = {
      schema: SCHEMA_VERSION,
      chainId: String(identity.chainId),
      ledger: identity.ledger.toLowerCase(),
      partner: identity.partner.toLowerCase(),
    };
    state.transaction(() => {
      for (const [key, value] of Object.entries(want)) {
        const found = state.getMeta(key);
        if (found === undefined) state.setMeta(key, value);
        else if (found !== value) {
          state.close();
          throw new FatalError(`State folder ${dir} belongs to ${key} ${found}, not ${value}.`, {
            fix: "Point stateDir to this partner's own state folder (one per partner, chain and ledger).",
          });
        }
      }
    });
    return state;
  }

  private prepare() {
    const db = this.db;
    return {
      syncFull: db.prepare("PRAGMA synchronous = FULL"),
      syncNormal: db.prepare("PRAGMA synchronous = NORMAL"),
      getMeta: db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?"),
      setMeta: db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
      addRecord: db.prepare("INSERT INTO records (record_id, source_file, source_line) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
      addSlice: db.prepare(
        `INSERT INTO slices (record_id, agreement_id, sku, slice_start, slice_end, gpus, gpu_seconds, window_start, window_end,
           piece_start, piece_end, carried, state, batch_id, rejection, source_file, source_line)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      addPack: db.prepare(
        `INSERT INTO packs (piece_start, piece_end, window_start, window_end, state, source_file, slice_count, gpu_seconds)
           VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)`,
      ),
      addPackData: db.prepare(
        "INSERT INTO pack_data (pack_id, lines_json, slices_json, hashes) VALUES (?, ?, ?, ?)",
      ),
      watermarksOf: db.prepare<[string], { k: string; billed_until: number }>(
        `SELECT (j.value ->> 0) || char(10) || (j.value ->> 1) AS k, w.billed_until FROM json_each(?) AS j
           CROSS JOIN watermarks AS w ON w.cluster = j.value ->> 0 AND w.job_id = j.value ->> 1`,
      ),
      setWatermarks: db.prepare(
        `INSERT INTO watermarks (cluster, job_id, billed_until) SELECT value ->> 0, value ->> 1, value ->> 2 FROM json_each(?) WHERE true
           ON CONFLICT (cluster, job_id) DO UPDATE SET billed_until = excluded.billed_until`,
      ),
      jobWatermarksOf: db.prepare<[string], { job: number; billed_until: number }>(
        "SELECT w.job, w.billed_until FROM json_each(?) AS j CROSS JOIN job_watermarks AS w ON w.job = j.value",
      ),
      setJobWatermarks: db.prepare(
        `INSERT INTO job_watermarks (job, billed_until) SELECT value ->> 0, value ->> 1 FROM json_each(?) WHERE true
           ON CONFLICT (job) DO UPDATE SET billed_until = excluded.billed_until`,
      ),
      maxJob: db.prepare<[number, number], { m: number | null }>("SELECT max(job) AS m FROM job_watermarks WHERE job >= ? AND job < ?"),
      clusterId: db.prepare<[string], { id: number }>("SELECT id FROM clusters WHERE name = ?"),
      addCluster: db.prepare("INSERT INTO clusters (name) VALUES (?)"),
      deleteSlice: db.prepare("DELETE FROM slices WHERE id = ?"),
      getSlice: db.prepare<[number], RawSlice>("SELECT * FROM slices WHERE id = ?"),
      setSliceState: db.prepare("UPDATE slices SET state = ?, batch_id = ?, rejection = ? WHERE id = ?"),
      setSliceRejection: db.prepare("UPDATE slices SET rejection = ? WHERE id = ?"),
      addQuarantine: db.prepare(
        "INSERT INTO quarantine (file, line, raw, reason, detail, extra_json, candidate_json) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
      ),
      keepWaiting: db.prepare(
        `INSERT INTO waiting_rows (source_file, source_line, cluster, job_id, account, agreement_id, sku, row_start, row_end, gpus, waits_from, decision_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (source_file, source_line, cluster, job_id) DO UPDATE SET account = excluded.account, agreement_id = excluded.agreement_id,
             sku = excluded.sku, row_start = excluded.row_start, row_end = excluded.row_end, gpus = excluded.gpus,
             waits_from = excluded.waits_from, decision_id = coalesce(excluded.decision_id, decision_id)`,
      ),
      fileIngested: db.prepare<[string, number, number], { path: string }>(
        "SELECT path FROM ingested_files WHERE path = ? AND size = ? AND mtime_ms = ?",
      ),
      markFile: db.prepare(
        "INSERT INTO ingested_files (path, size, mtime_ms) VALUES (?, ?, ?) ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms",
      ),
    };
  }

  /** A prepared statement, prepared once per connection. */
  private cached<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let statement = this.statements.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement as unknown as Database.Statement<P, R>;
  }

  /**
   * Runs `fn` in one transaction (nested calls join the outer one). With `durable`, the commit
   * is synced to disk (fsync of the WAL, which also makes every earlier commit durable) before
   * this returns: use it before anything leaves the machine (a batch is sent, a file handed out).
   */
  transaction<T>(fn: () => T, options: { durable?: boolean } = {}): T {
    const outer = !this.db.inTransaction;
    try {
      if (!options.durable || !outer) return this.db.transaction(fn).immediate();
      this.stmt.syncFull.run();
      try {
        return this.db.transaction(fn).immediate();
      } finally {
        this.stmt.syncNormal.run();
      }
    } catch (err) {
      // Rolled back (or, nested, possibly the outer transaction): cached ids may name rows that are gone.
      this.forgetCaches();
      throw err;
    }
  }

  /**
   * Opens a transaction that spans awaits (ingestion reads a file between statements): end it
   * with {@link commit} or {@link rollback}. Nothing else may use the state meanwhile; a
   * process killed before the commit leaves the state as before.
   */
  begin(): void {
    this.db.exec("BEGIN IMMEDIATE");
  }

  commit(): void {
    this.db.exec("COMMIT");
  }

  rollback(): void {
    if (this.db.inTransaction) this.db.exec("ROLLBACK");
    this.forgetCaches();
  }

  close(): void {
    if (this.db.open) this.db.close();
  }

  getMeta(key: string): string | undefined {
    return this.stmt.getMeta.get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.stmt.setMeta.run(key, value);
  }

  // ---------------------------------------------------------------- ingestion

  /** Whether this file, with this size and modification time, was read to its end before. */
  isFileIngested(path: string, size: number, mtimeMs: number): boolean {
    return this.stmt.fileIngested.get(path, size, Math.trunc(mtimeMs)) !== undefined;
  }

  markFileIngested(path: string, size: number, mtimeMs: number): void {
    this.stmt.markFile.run(path, size, Math.trunc(mtimeMs));
  }

  /** Cluster name → id, and per cluster id the largest numeric job key stored (forgotten on rollback). */
  private readonly clusterIds = new Map<string, number>();
  private readonly maxJobKeys = new Map<number, number>();

  /** Forgets cached cluster ids and largest job keys (read again from the database when needed). */
  forgetCaches(): void {
    this.clusterIds.clear();
    this.maxJobKeys.clear();
  }

  private clusterIdOf(cluster: string, create: boolean): number | undefined {
    let id = this.clusterIds.get(cluster);
    if (id !== undefined) return id;
    id = this.stmt.clusterId.get(cluster)?.id;
    if (id === undefined && create) id = Number(this.stmt.addCluster.run(cluster).lastInsertRowid);
    if (id !== undefined) {
      if (id >= CLUSTER_LIMIT) throw new FatalError(`The state holds more than ${CLUSTER_LIMIT} Slurm clusters.`);
      this.clusterIds.set(cluster, id);
    }
    return id;
  }

  private maxJobKey(clusterId: number): number {
    let max = this.maxJobKeys.get(clusterId);
    if (max === undefined) {
      max = this.stmt.maxJob.get(clusterId * JOB_SPAN, (clusterId + 1) * JOB_SPAN)?.m ?? -1;
      this.maxJobKeys.set(clusterId, max);
    }
    return max;
  }

  /** The integer key of a job whose JobIDRaw is a plain number below 2^32, else undefined. */
  private jobKeyNumber(cluster: string, jobId: string, create: boolean): number | null | undefined {
    if (!PLAIN_JOB.test(jobId)) return undefined;
    const n = Number(jobId);
    if (n >= JOB_SPAN) return undefined;
    const id = this.clusterIdOf(cluster, create);
    return id === undefined ? null : id * JOB_SPAN + n;
  }

  /** A Slurm job's watermark: the time up to which it was billed, or undefined for a job never seen. */
  watermark(cluster: string, jobId: string): bigint | undefined {
    return this.watermarksOf([[cluster, jobId]]).get(jobKey(cluster, jobId));
  }

  setWatermark(cluster: string, jobId: string, billedUntil: bigint): void {
    this.setWatermarks([[cluster, jobId, billedUntil]]);
  }

  /**
   * The watermarks of many jobs, read with one statement per table: {@link jobKey} → billed
   * until, for the jobs that have one. A numeric job above the largest one stored has none
   * and is not looked up (Slurm numbers jobs upwards: a fresh export costs no lookups).
   */
  watermarksOf(jobs: readonly (readonly [cluster: string, jobId: string])[]): Map<string, bigint> {
    const found = new Map<string, bigint>();
    const numeric: number[] = [];
    const names = new Map<number, string>();
    const other: (readonly [string, string])[] = [];
    for (const [cluster, jobId] of jobs) {
      const key = this.jobKeyNumber(cluster, jobId, false);
      if (key === undefined) other.push([cluster, jobId]);
      else if (key !== null && key <= this.maxJobKey(Math.floor(key / JOB_SPAN))) {
        numeric.push(key);
        names.set(key, jobKey(cluster, jobId));
      }
    }
    if (numeric.length > 0) {
      for (const row of this.stmt.jobWatermarksOf.all(JSON.stringify(numeric))) found.set(names.get(row.job) as string, BigInt(row.billed_until));
    }
    if (other.length > 0) {
      for (const row of this.stmt.watermarksOf.all(JSON.stringify(other))) found.set(row.k, BigInt(row.billed_until));
    }
    return found;
  }

  /** Stores many watermarks, with one statement per table. */
  setWatermarks(entries: readonly (readonly [cluster: string, jobId: string, billedUntil: bigint])[]): void {
    const numeric: [number, number][] = [];
    const other: [string, string, number][] = [];
    for (const [cluster, jobId, billedUntil] of entries) {
      const key = this.jobKeyNumber(cluster, jobId, true);
      if (key === undefined || key === null) other.push([cluster, jobId, int("watermark", billedUntil)]);
      else {
        numeric.push([key, int("watermark", billedUntil)]);
        const clusterId = Math.floor(key / JOB_SPAN);
        if (key > this.maxJobKey(clusterId)) this.maxJobKeys.set(clusterId, key);
      }
    }
    if (numeric.length > 0) this.stmt.setJobWatermarks.run(JSON.stringify(numeric));
    if (other.length > 0) this.stmt.setWatermarks.run(JSON.stringify(other));
  }

  /**
   * Remembers a metering recordId; false when it was seen before (a duplicate). Slurm
   * recordIds are not kept: the watermark makes each one unique (its billed start only grows).
   */
  addRecord(recordId: string, file: string, line: number): boolean {
    return this.stmt.addRecord.run(recordId, file, line).changes === 1;
  }

  addSlice(s: NewSlice): number {
    const info = this.stmt.addSlice.run(
      s.recordId,
      s.agreementId.toString(),
      s.sku,
      int("sliceStart", s.sliceStart),
      int("sliceEnd", s.sliceEnd),
      int("gpus", s.gpus),
      int("gpuSeconds", s.gpuSeconds),
      int("windowStart", s.windowStart),
      int("windowEnd", s.windowEnd),
      int("pieceStart", s.pieceStart),
      int("pieceEnd", s.pieceEnd),
      s.carried ? 1 : 0,
      s.state ?? "pending",
      s.batchId ?? null,
      s.rejection ?? null,
      s.sourceFile,
      s.sourceLine,
    );
    return Number(info.lastInsertRowid);
  }

  addPack(p: NewPack): number {
    const info = this.stmt.addPack.run(
      int("pieceStart", p.pieceStart),
      int("pieceEnd", p.pieceEnd),
      int("windowStart", p.windowStart),
      int("windowEnd", p.windowEnd),
      p.sourceFile,
      p.sliceCount,
      int("gpuSeconds", p.gpuSeconds),
    );
    const id = Number(info.lastInsertRowid);
    this.stmt.addPackData.run(id, p.linesJson, p.slicesJson, p.hashes);
    return id;
  }

  /** Adds a quarantine entry; false when the same (file, line, reason, raw) is already there. */
  addQuarantine(q: StoredQuarantine): boolean {
    return (
      this.stmt.addQuarantine.run(
        q.file,
        q.line,
        q.raw,
        q.reason,
        q.detail,
        q.extra === undefined ? null : JSON.stringify(q.extra),
        q.candidate === undefined ? null : JSON.stringify(q.candidate),
      ).changes === 1
    );
  }

  /** Every quarantine entry with its decision, in the order they were added (or those of `ids`). */
  quarantine(ids?: readonly number[]): StoredQuarantine[] {
    const select = `SELECT q.*, d.quarantine_id, d.decision, d.decided_by, d.decided_at, d.note, d.account, d.agreement_id, d.sku, d.taken
       FROM quarantine AS q LEFT JOIN quarantine_decisions AS d ON d.quarantine_id = q.id`;
    const rows =
      ids === undefined
        ? this.cached<[], RawQuarantine>(`${select} ORDER BY q.id`).all()
        : this.cached<[string], RawQuarantine>(`${select} WHERE q.id IN (SELECT value FROM json_each(?)) ORDER BY q.id`).all(JSON.stringify(ids));
    return rows.map(toQuarantine);
  }

  /** Records an operator's decision (the caller checked there is none yet). */
  addDecision(d: Omit<StoredDecision, "taken">): void {
    this.cached(
        `INSERT INTO quarantine_decisions (quarantine_id, decision, decided_by, decided_at, note, account, agreement_id, sku)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(d.quarantineId, d.decision, d.decidedBy, d.decidedAt, d.note, d.account, d.agreementId, d.sku);
  }

  /** Accepted entries not yet handed to billing, in id order. */
  acceptedNotTaken(): StoredQuarantine[] {
    return this.cached<[], RawQuarantine>(
        `SELECT q.*, d.quarantine_id, d.decision, d.decided_by, d.decided_at, d.note, d.account, d.agreement_id, d.sku, d.taken
           FROM quarantine_decisions AS d JOIN quarantine AS q ON q.id = d.quarantine_id
           WHERE d.decision = 'accept' AND d.taken = 0 ORDER BY q.id`,
      )
      .all()
      .map(toQuarantine);
  }

  /** Marks an accepted entry handed to billing. */
  markDecisionTaken(quarantineId: number): void {
    this.cached("UPDATE quarantine_decisions SET taken = 1 WHERE quarantine_id = ?").run(quarantineId);
  }

  /** Remembers that an accepted entry billed `recordId`. */
  addDecisionRecord(recordId: string, quarantineId: number): void {
    this.cached("INSERT INTO decision_records (record_id, quarantine_id) VALUES (?, ?) ON CONFLICT DO NOTHING").run(recordId, quarantineId);
  }

  /** recordId → the accepted entries that billed it (empty when no accepted row billed anything). */
  decisionRecords(): Map<string, number[]> {
    const found = new Map<string, number[]>();
    for (const r of this.cached<[], { record_id: string; quarantine_id: number }>("SELECT record_id, quarantine_id FROM decision_records").all()) {
      const list = found.get(r.record_id);
      if (list) list.push(r.quarantine_id);
      else found.set(r.record_id, [r.quarantine_id]);
    }
    return found;
  }

  // ---------------------------------------------------------------- waiting rows

  /** Keeps a row (or its rest) waiting for the chain's clock; a row kept before (same file, line and job) is updated. */
  keepWaiting(w: Omit<WaitingRow, "id">): void {
    this.stmt.keepWaiting.run(
      w.sourceFile,
      w.sourceLine,
      w.cluster,
      w.jobId,
      w.account,
      w.agreementId.toString(),
      w.sku,
      int("start", w.start),
      int("end", w.end),
      int("gpus", w.gpus),
      int("waitsFrom", w.waitsFrom),
      w.decisionId,
    );
  }

  /** Up to `limit` waiting rows the clock `now` has reached (waitsFrom < now), after id `afterId`, by id. */
  waitingRowsReached(now: bigint, afterId: number, limit: number): WaitingRow[] {
    return this.cached<[number, number, number], RawWaiting>("SELECT * FROM waiting_rows WHERE waits_from < ? AND id > ? ORDER BY id LIMIT ?")
      .all(int("now", now), afterId, limit)
      .map(toWaiting);
  }

  /** How many rows wait, and how many of them the clock `now` has not reached. */
  waitingCounts(now: bigint): { rows: number; notReached: number } {
    const row = this.cached<[number], { n: number; later: number | null }>(
        "SELECT count(*) AS n, sum(waits_from >= ?) AS later FROM waiting_rows",
      )
      .get(int("now", now));
    return { rows: row?.n ?? 0, notReached: row?.later ?? 0 };
  }

  /** The files that still hold waiting rows, with how many, by file name. */
  waitingFiles(): { file: string; rows: number }[] {
    return this.cached<[], { source_file: string; n: number }>(
        "SELECT source_file, count(*) AS n FROM waiting_rows GROUP BY source_file ORDER BY source_file",
      )
      .all()
      .map((r) => ({ file: r.source_file, rows: r.n }));
  }

  /** Whether any row of `file` waits. */
  hasWaitingRows(file: string): boolean {
    return this.cached<[string], { one: number }>("SELECT 1 AS one FROM waiting_rows WHERE source_file = ? LIMIT 1").get(file) !== undefined;
  }

  /** A waiting row is billed to its end: it waits no more. */
  deleteWaiting(id: number): void {
    this.cached("DELETE FROM waiting_rows WHERE id = ?").run(id);
  }

  quarantineCount(): number {
    return (this.cached("SELECT count(*) AS n FROM quarantine").get() as { n: number }).n;
  }

  // ---------------------------------------------------------------- slices

  getSlice(id: number): SliceRow | undefined {
    const row = this.stmt.getSlice.get(id);
    return row && toSlice(row);
  }

  /**
   * The first piece (by pieceStart, pieceEnd) after `after` that holds pending slices in a closed
   * window (`windowEnd ≤ closedAt`), or undefined.
   */
  nextPendingPiece(closedAt: bigint, after?: { pieceStart: bigint; pieceEnd: bigint }): { pieceStart: bigint; pieceEnd: bigint } | undefined {
    const args: [number, number, number] = [
      int("closedAt", closedAt),
      after ? int("pieceStart", after.pieceStart) : -1,
      after ? int("pieceEnd", after.pieceEnd) : -1,
    ];
    let best: { piece_start: number; piece_end: number } | undefined;
    for (const table of ["slices", "packs"]) {
      const row = this.cached<[number, number, number], { piece_start: number; piece_end: number }>(
          `SELECT piece_start, piece_end FROM ${table} WHERE state = 'pending' AND window_end <= ? AND (piece_start, piece_end) > (?, ?)
           ORDER BY piece_start, piece_end LIMIT 1`,
        )
        .get(...args);
      if (row && (!best || row.piece_start < best.piece_start || (row.piece_start === best.piece_start && row.piece_end < best.piece_end))) {
        best = row;
      }
    }
    return best && { pieceStart: BigInt(best.piece_start), pieceEnd: BigInt(best.piece_end) };
  }

  /** Pending slices of one piece (any agreement, or those given). */
  pendingInPiece(pieceStart: bigint, pieceEnd: bigint): SliceRow[] {
    return this.cached<[number, number], RawSlice>("SELECT * FROM slices WHERE state = 'pending' AND piece_start = ? AND piece_end = ? ORDER BY id")
      .all(int("pieceStart", pieceStart), int("pieceEnd", pieceEnd))
      .map(toSlice);
  }

  /** Pending slices of an agreement whose piece starts before `before` (late for the pair). */
  pendingBefore(agreementId: bigint, before: bigint): SliceRow[] {
    return this.cached<[number, string], RawSlice>(
        "SELECT * FROM slices WHERE state = 'pending' AND piece_start < ? AND agreement_id = ? ORDER BY slice_start, slice_end, record_id, id",
      )
      .all(int("before", before), agreementId.toString())
      .map(toSlice);
  }

  /** Pending packs of one piece, by id (without their slices: `slicesJson` is empty). */
  pendingPacksInPiece(pieceStart: bigint, pieceEnd: bigint): PackRow[] {
    return this.cached<[number, number], RawPack>(
        `SELECT id, piece_start, piece_end, window_start, window_end, state, batch_id, source_file, slice_count, gpu_seconds,
           lines_json, '' AS slices_json, hashes FROM packs JOIN pack_data ON pack_id = id
           WHERE state = 'pending' AND piece_start = ? AND piece_end = ? ORDER BY id`,
      )
      .all(int("pieceStart", pieceStart), int("pieceEnd", pieceEnd))
      .map(toPack);
  }

  /** The lines (`linesJson`) of the pending packs of one piece. */
  pendingPackLinesInPiece(pieceStart: bigint, pieceEnd: bigint): string[] {
    return this.cached<[number, number], { lines_json: string }>(
        "SELECT lines_json FROM packs JOIN pack_data ON pack_id = id WHERE state = 'pending' AND piece_start = ? AND piece_end = ?",
      )
      .all(int("pieceStart", pieceStart), int("pieceEnd", pieceEnd))
      .map((r) => r.lines_json);
  }

  /** The agreements with pending slice rows whose piece starts before `before`. */
  pendingAgreementsBefore(before: bigint): Set<bigint> {
    return new Set(
      this.cached<[number], { agreement_id: string }>("SELECT DISTINCT agreement_id FROM slices WHERE state = 'pending' AND piece_start < ?")
        .all(int("before", before))
        .map((r) => BigInt(r.agreement_id)),
    );
  }

  /** Ids of the pending packs whose piece starts before `before`. */
  pendingPackIdsBefore(before: bigint): number[] {
    return this.cached<[number], { id: number }>("SELECT id FROM packs WHERE state = 'pending' AND piece_start < ? ORDER BY id")
      .all(int("before", before))
      .map((r) => r.id);
  }

  getPack(id: number): PackRow | undefined {
    const row = this.cached<[number], RawPack>("SELECT * FROM packs JOIN pack_data ON pack_id = id WHERE id = ?").get(id);
    return row && toPack(row);
  }

  deletePack(id: number): void {
    this.cached("DELETE FROM packs WHERE id = ?").run(id);
    this.cached("DELETE FROM pack_data WHERE pack_id = ?").run(id);
  }

  setPackState(id: number, state: PackState, batchId: string | null): void {
    this.cached("UPDATE packs SET state = ?, batch_id = ? WHERE id = ?").run(state, batchId, id);
  }

  /** The packs of a batch: id and lines. */
  packsOfBatch(batchId: string): { id: number; state: PackState; linesJson: string }[] {
    return this.cached<[string], { id: number; state: PackState; lines_json: string }>(
        "SELECT id, state, lines_json FROM packs JOIN pack_data ON pack_id = id WHERE batch_id = ? ORDER BY id",
      )
      .all(batchId)
      .map((r) => ({ id: r.id, state: r.state, linesJson: r.lines_json }));
  }

  /** Σ gpuSeconds of an agreement's pending slice rows in one piece (own and carried; packs not included). */
  pendingGpuSecondsInPiece(agreementId: bigint, pieceStart: bigint, pieceEnd: bigint): bigint {
    const row = this.cached<[string, number, number], { s: number | null }>(
        "SELECT sum(gpu_seconds) AS s FROM slices WHERE state = 'pending' AND agreement_id = ? AND piece_start = ? AND piece_end = ?",
      )
      .get(agreementId.toString(), int("pieceStart", pieceStart), int("pieceEnd", pieceEnd));
    return BigInt(row?.s ?? 0);
  }

  /** Replaces a slice by its parts (a re-cut or a carry), in the caller's transaction. */
  replaceSlice(id: number, parts: readonly NewSlice[]): number[] {
    this.stmt.deleteSlice.run(id);
    return parts.map((p) => this.addSlice(p));
  }

  setSliceState(id: number, state: SliceState, batchId: string | null, rejection: string | null): void {
    this.stmt.setSliceState.run(state, batchId, rejection, id);
  }

  setSliceRejection(id: number, rejection: string | null): void {
    this.stmt.setSliceRejection.run(rejection, id);
  }

  slicesOfBatch(batchId: string): SliceRow[] {
    return this.cached<[string], RawSlice>("SELECT * FROM slices WHERE batch_id = ? ORDER BY id").all(batchId).map(toSlice);
  }

  /** Counts of slices per state, and GPU-seconds per state. */
  sliceTotals(): Record<SliceState, { slices: number; gpuSeconds: bigint }> {
    const totals: Record<SliceState, { slices: number; gpuSeconds: bigint }> = {
      pending: { slices: 0, gpuSeconds: 0n },
      batched: { slices: 0, gpuSeconds: 0n },
      reported: { slices: 0, gpuSeconds: 0n },
      quarantined: { slices: 0, gpuSeconds: 0n },
    };
    const rows = this.cached<[], { state: SliceState; n: number; s: number }>(
        `SELECT state, sum(n) AS n, sum(s) AS s FROM (
           SELECT state, count(*) AS n, sum(gpu_seconds) AS s FROM slices GROUP BY state
           UNION ALL SELECT state, sum(slice_count), sum(gpu_seconds) FROM packs WHERE state != 'exploded' GROUP BY state) GROUP BY state`,
      )
      .all();
    for (const r of rows) totals[r.state] = { slices: r.n, gpuSeconds: BigInt(r.s) };
    return totals;
  }

  // ---------------------------------------------------------------- batches

  insertBatch(b: Omit<BatchRow, "confirmedAt" | "receiptJson" | "rejectedJson">): void {
    this.cached(
        `INSERT INTO batches (batch_id, sequence, period_start, period_end, records_root, batch_json, leaves_json, pack_ids, signatures_json,
           calldata, raw_tx, tx_hash, status, predicted_rejections_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        b.batchId,
        int("sequence", b.sequence),
        int("periodStart", b.periodStart),
        int("periodEnd", b.periodEnd),
        b.recordsRoot,
        b.batchJson,
        b.leavesJson,
        b.packIdsJson,
        b.signaturesJson,
        b.calldata,
        b.rawTx,
        b.txHash,
        b.status,
        b.predictedRejectionsJson,
        b.createdAt,
      );
  }

  getBatch(batchId: string): BatchRow | undefined {
    const row = this.cached<[string], RawBatch>("SELECT * FROM batches WHERE batch_id = ?").get(batchId);
    return row && toBatch(row);
  }

  /** Batches signed or awaiting signatures, not yet confirmed, by sequence. */
  openBatches(): BatchRow[] {
    return this.cached<[], RawBatch>("SELECT * FROM batches WHERE status IN ('signed', 'awaiting-signatures') ORDER BY sequence")
      .all()
      .map(toBatch);
  }

  /** Confirmed batches, by sequence. */
  confirmedBatches(): BatchRow[] {
    return this.cached<[], RawBatch>("SELECT * FROM batches WHERE status = 'confirmed' ORDER BY sequence").all().map(toBatch);
  }

  /** Stores signatures, calldata and the signed transaction of a batch (status → signed). */
  setBatchSigned(batchId: string, signaturesJson: string, calldata: string, rawTx: string | null, txHash: string | null): void {
    this.cached("UPDATE batches SET signatures_json = ?, calldata = ?, raw_tx = ?, tx_hash = ?, status = 'signed' WHERE batch_id = ?")
      .run(signaturesJson, calldata, rawTx, txHash, batchId);
  }

  /** Replaces the signed transaction of a batch (same batch, new nonce or fees). */
  setBatchTransaction(batchId: string, rawTx: string, txHash: string): void {
    this.cached("UPDATE batches SET raw_tx = ?, tx_hash = ? WHERE batch_id = ?").run(rawTx, txHash, batchId);
  }

  /** Marks a batch confirmed with its receipt and the lines the ledger rejected. */
  setBatchConfirmed(batchId: string, txHash: string, receiptJson: string, rejectedJson: string, at: number): void {
    this.cached("UPDATE batches SET status = 'confirmed', tx_hash = ?, receipt_json = ?, rejected_json = ?, confirmed_at = ? WHERE batch_id = ?")
      .run(txHash, receiptJson, rejectedJson, at, batchId);
  }

  /** A batch that will never be sent: its slices go back to pending. */
  supersedeBatch(batchId: string): void {
    this.cached("UPDATE batches SET status = 'superseded' WHERE batch_id = ?").run(batchId);
    this.cached("UPDATE slices SET state = 'pending', batch_id = NULL WHERE batch_id = ? AND state = 'batched'").run(batchId);
    this.cached("UPDATE packs SET state = 'pending', batch_id = NULL WHERE batch_id = ? AND state = 'batched'").run(batchId);
  }
}

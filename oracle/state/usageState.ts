// The usage oracle's local state (SERVICES §2): an embedded SQLite database (better-sqlite3,
// WAL, synchronous=FULL) in the state folder. Every change is made inside a transaction, so
// a process killed at any point (kill -9) leaves either the state before or after it.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { FatalError } from "../../sdk/errors";

/** File name of the database inside the state folder. */
export const STATE_DB_FILE = "usage-state.sqlite";

const SCHEMA_VERSION = "1";

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
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
  rejection TEXT);
CREATE INDEX IF NOT EXISTS slices_by_state ON slices (state, piece_start, piece_end);
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
CREATE TABLE IF NOT EXISTS quarantine (
  id INTEGER PRIMARY KEY,
  file TEXT NOT NULL, line INTEGER NOT NULL, raw TEXT NOT NULL,
  reason TEXT NOT NULL, detail TEXT NOT NULL, extra_json TEXT,
  UNIQUE (file, line, reason, raw));
CREATE TABLE IF NOT EXISTS ingested_files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, mtime_ms INTEGER NOT NULL) WITHOUT ROWID;
`;

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
  /** The last reason the ledger (or the preflight) refused this slice's line. */
  rejection: string | null;
}

/** A slice to insert (no id yet). */
export type NewSlice = Omit<SliceRow, "id" | "batchId" | "rejection" | "state"> & { state?: SliceState; rejection?: string | null };

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
  leavesJson: string;
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
  file: string;
  line: number;
  raw: string;
  reason: string;
  detail: string;
  /** Extra fields (e.g. the on-chain rejection reason), merged into the JSON line. */
  extra?: Record<string, unknown>;
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
}

interface RawBatch {
  batch_id: string;
  sequence: number;
  period_start: number;
  period_end: number;
  records_root: string;
  batch_json: string;
  leaves_json: string;
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
  };
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
 * state.transaction(() => state.setWatermark("syd1", "4101", 1_790_000_000n));
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
    // FULL: a commit is on disk before the call returns (survives power loss, not only kill -9).
    this.db.pragma("synchronous = FULL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(SCHEMA);
    this.stmt = this.prepare();
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
      getMeta: db.prepare<[string], { value: string }>("SELECT value FROM meta WHERE key = ?"),
      setMeta: db.prepare("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value"),
      newWatermark: db.prepare("INSERT INTO watermarks (cluster, job_id, billed_until) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
      getWatermark: db.prepare<[string, string], { billed_until: number }>(
        "SELECT billed_until FROM watermarks WHERE cluster = ? AND job_id = ?",
      ),
      setWatermark: db.prepare(
        "INSERT INTO watermarks (cluster, job_id, billed_until) VALUES (?, ?, ?) ON CONFLICT (cluster, job_id) DO UPDATE SET billed_until = excluded.billed_until",
      ),
      addRecord: db.prepare("INSERT INTO records (record_id, source_file, source_line) VALUES (?, ?, ?) ON CONFLICT DO NOTHING"),
      recordSource: db.prepare<[string], { source_file: string; source_line: number }>(
        "SELECT source_file, source_line FROM records WHERE record_id = ?",
      ),
      addSlice: db.prepare(
        `INSERT INTO slices (record_id, agreement_id, sku, slice_start, slice_end, gpus, gpu_seconds, window_start, window_end,
           piece_start, piece_end, carried, state, rejection) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      deleteSlice: db.prepare("DELETE FROM slices WHERE id = ?"),
      getSlice: db.prepare<[number], RawSlice>("SELECT * FROM slices WHERE id = ?"),
      setSliceState: db.prepare("UPDATE slices SET state = ?, batch_id = ?, rejection = ? WHERE id = ?"),
      setSliceRejection: db.prepare("UPDATE slices SET rejection = ? WHERE id = ?"),
      addQuarantine: db.prepare(
        "INSERT INTO quarantine (file, line, raw, reason, detail, extra_json) VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
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

  /** Runs `fn` in one transaction (nested calls join the outer one). */
  transaction<T>(fn: () => T): T {
    return this.db.transaction(fn).immediate();
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

  /**
   * A Slurm job's watermark: the time up to which it was billed, or undefined for a job never
   * seen. `claimIfNew` stores `billedUntil` at once for a new job (one statement instead of two).
   */
  watermark(cluster: string, jobId: string, claimIfNew?: bigint): bigint | undefined {
    if (claimIfNew !== undefined && this.stmt.newWatermark.run(cluster, jobId, int("watermark", claimIfNew)).changes === 1) {
      return undefined;
    }
    const row = this.stmt.getWatermark.get(cluster, jobId);
    return row === undefined ? undefined : BigInt(row.billed_until);
  }

  setWatermark(cluster: string, jobId: string, billedUntil: bigint): void {
    this.stmt.setWatermark.run(cluster, jobId, int("watermark", billedUntil));
  }

  /** Remembers a recordId; false when it was seen before (a duplicate). */
  addRecord(recordId: string, file: string, line: number): boolean {
    return this.stmt.addRecord.run(recordId, file, line).changes === 1;
  }

  /** Where a record was read (for quarantining its slices). */
  recordSource(recordId: string): { file: string; line: number } | undefined {
    const row = this.stmt.recordSource.get(recordId);
    return row && { file: row.source_file, line: row.source_line };
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
      s.rejection ?? null,
    );
    return Number(info.lastInsertRowid);
  }

  /** Adds a quarantine entry; false when the same (file, line, reason, raw) is already there. */
  addQuarantine(q: StoredQuarantine): boolean {
    return (
      this.stmt.addQuarantine.run(q.file, q.line, q.raw, q.reason, q.detail, q.extra === undefined ? null : JSON.stringify(q.extra)).changes === 1
    );
  }

  /** Every quarantine entry, in the order they were added. */
  quarantine(): StoredQuarantine[] {
    const rows = this.cached<[], { file: string; line: number; raw: string; reason: string; detail: string; extra_json: string | null }>(
        "SELECT file, line, raw, reason, detail, extra_json FROM quarantine ORDER BY id",
      )
      .all();
    return rows.map((r) => ({
      file: r.file,
      line: r.line,
      raw: r.raw,
      reason: r.reason,
      detail: r.detail,
      extra: r.extra_json === null ? undefined : (JSON.parse(r.extra_json) as Record<string, unknown>),
    }));
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
    const row = this.cached<[number, number, number], { piece_start: number; piece_end: number }>(
        `SELECT piece_start, piece_end FROM slices WHERE state = 'pending' AND window_end <= ? AND (piece_start, piece_end) > (?, ?)
         ORDER BY piece_start, piece_end LIMIT 1`,
      )
      .get(int("closedAt", closedAt), after ? int("pieceStart", after.pieceStart) : -1, after ? int("pieceEnd", after.pieceEnd) : -1);
    return row && { pieceStart: BigInt(row.piece_start), pieceEnd: BigInt(row.piece_end) };
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

  /** Σ gpuSeconds of an agreement's pending slices in one piece (own and carried). */
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
    const rows = this.cached<[], { state: SliceState; n: number; s: number }>("SELECT state, count(*) AS n, sum(gpu_seconds) AS s FROM slices GROUP BY state")
      .all();
    for (const r of rows) totals[r.state] = { slices: r.n, gpuSeconds: BigInt(r.s) };
    return totals;
  }

  // ---------------------------------------------------------------- batches

  insertBatch(b: Omit<BatchRow, "confirmedAt" | "receiptJson" | "rejectedJson">): void {
    this.cached(
        `INSERT INTO batches (batch_id, sequence, period_start, period_end, records_root, batch_json, leaves_json, signatures_json,
           calldata, raw_tx, tx_hash, status, predicted_rejections_json, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        b.batchId,
        int("sequence", b.sequence),
        int("periodStart", b.periodStart),
        int("periodEnd", b.periodEnd),
        b.recordsRoot,
        b.batchJson,
        b.leavesJson,
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
  }
}

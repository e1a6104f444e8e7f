// The usage oracle's local state (SERVICES §2): an embedded SQLite database (better-sqlite3,
// WAL) in the state folder. Every change is made inside a transaction, so a process killed at
// any point (kill -9) leaves either the state before or after it. Commits are written to the
// WAL at once (a killed process loses nothing committed) and synced to disk (fsync) by the
// durable transactions that come before anything leaves the machine (a signed batch before it
// is sent): see docs/usage-oracle.md "Durability".
//
// This file is the facade the oracle uses; the schema, the row types and one repository per
// table group live in oracle/state/usage/.
import type Database from "better-sqlite3";
import { FatalError } from "../../sdk/errors";
import { Batches } from "./usage/batches";
import { IngestedFiles } from "./usage/ingestedFiles";
import { Quarantine } from "./usage/quarantine";
import type { BatchRow, NewPack, NewSlice, PackRow, PackState, SliceRow, SliceState, StoredDecision, StoredQuarantine, WaitingRow } from "./usage/rows";
import { openStateDatabase, SCHEMA_VERSION } from "./usage/schema";
import { Slices } from "./usage/slices";
import { Statements } from "./usage/statements";
import { Waiting } from "./usage/waiting";
import { jobKey, Watermarks } from "./usage/watermarks";

export type {
  BatchRow,
  BatchStatus,
  NewPack,
  NewSlice,
  PackRow,
  PackState,
  SliceRow,
  SliceState,
  StoredDecision,
  StoredQuarantine,
  WaitingRow,
} from "./usage/rows";
export { STATE_DB_FILE } from "./usage/schema";
export { jobKey } from "./usage/watermarks";

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
  private readonly sql: Statements;
  private readonly files: IngestedFiles;
  private readonly watermarks: Watermarks;
  private readonly slices: Slices;
  private readonly batches: Batches;
  private readonly waiting: Waiting;
  private readonly held: Quarantine;

  private constructor(dir: string) {
    this.dir = dir;
    this.db = openStateDatabase(dir);
    this.sql = new Statements(this.db);
    this.files = new IngestedFiles(this.sql);
    this.watermarks = new Watermarks(this.sql);
    this.slices = new Slices(this.sql);
    this.batches = new Batches(this.sql);
    this.waiting = new Waiting(this.sql);
    this.held = new Quarantine(this.sql);
  }

  /**
   * Opens (creating if needed) the state in `dir`. The first open records which chain, ledger
   * and partner the state belongs to; opening it later for another one is refused.
   * @throws FatalError when the folder belongs to another chain, ledger or partner, or was
   * written with a schema this version cannot migrate.
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

  /**
   * Runs `fn` in one transaction (nested calls join the outer one). With `durable`, the commit
   * is synced to disk (fsync of the WAL, which also makes every earlier commit durable) before
   * this returns: use it before anything leaves the machine (a batch is sent, a file handed out).
   */
  transaction<T>(fn: () => T, options: { durable?: boolean } = {}): T {
    const outer = !this.db.inTransaction;
    try {
      if (!options.durable || !outer) return this.db.transaction(fn).immediate();
      this.sql.cached("PRAGMA synchronous = FULL").run();
      try {
        return this.db.transaction(fn).immediate();
      } finally {
        this.sql.cached("PRAGMA synchronous = NORMAL").run();
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
    return this.sql.cached<[string], { value: string }>("SELECT value FROM meta WHERE key = ?").get(key)?.value;
  }

  setMeta(key: string, value: string): void {
    this.sql.cached("INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value").run(key, value);
  }

  /** Forgets cached cluster ids and largest job keys (read again from the database when needed). */
  forgetCaches(): void {
    this.watermarks.forgetCaches();
  }

  // ---------------------------------------------------------------- ingestion (usage/ingestedFiles.ts, usage/watermarks.ts)

  /** Whether this file, with this size and modification time, was read to its end before. */
  isFileIngested(path: string, size: number, mtimeMs: number): boolean {
    return this.files.isIngested(path, size, mtimeMs);
  }

  markFileIngested(path: string, size: number, mtimeMs: number): void {
    this.files.markIngested(path, size, mtimeMs);
  }

  /** A Slurm job's watermark: the time up to which it was billed, or undefined for a job never seen. */
  watermark(cluster: string, jobId: string): bigint | undefined {
    return this.watermarksOf([[cluster, jobId]]).get(jobKey(cluster, jobId));
  }

  setWatermark(cluster: string, jobId: string, billedUntil: bigint): void {
    this.setWatermarks([[cluster, jobId, billedUntil]]);
  }

  /** The watermarks of many jobs: {@link jobKey} → billed until, for the jobs that have one (see usage/watermarks.ts). */
  watermarksOf(jobs: readonly (readonly [cluster: string, jobId: string])[]): Map<string, bigint> {
    return this.watermarks.of(jobs);
  }

  /** Stores many watermarks, with one statement per table. */
  setWatermarks(entries: readonly (readonly [cluster: string, jobId: string, billedUntil: bigint])[]): void {
    this.watermarks.set(entries);
  }

  /** Remembers a metering recordId; false when it was seen before (a duplicate). */
  addRecord(recordId: string, file: string, line: number): boolean {
    return this.watermarks.addRecord(recordId, file, line);
  }

  addSlice(s: NewSlice): number {
    return this.slices.add(s);
  }

  addPack(p: NewPack): number {
    return this.slices.addPack(p);
  }

  // ---------------------------------------------------------------- quarantine (usage/quarantine.ts)

  /** Adds a quarantine entry; false when the same (file, line, reason, raw) is already there. */
  addQuarantine(q: StoredQuarantine): boolean {
    return this.held.add(q);
  }

  /** Every quarantine entry with its decision, in the order they were added (or those of `ids`). */
  quarantine(ids?: readonly number[]): StoredQuarantine[] {
    return this.held.list(ids);
  }

  quarantineCount(): number {
    return this.held.count();
  }

  /** Records an operator's decision (the caller checked there is none yet). */
  addDecision(d: Omit<StoredDecision, "taken">): void {
    this.held.addDecision(d);
  }

  /** Accepted entries not yet handed to billing, in id order. */
  acceptedNotTaken(): StoredQuarantine[] {
    return this.held.acceptedNotTaken();
  }

  /** Marks an accepted entry handed to billing. */
  markDecisionTaken(quarantineId: number): void {
    this.held.markTaken(quarantineId);
  }

  /** Remembers that an accepted entry billed `recordId`. */
  addDecisionRecord(recordId: string, quarantineId: number): void {
    this.held.addDecisionRecord(recordId, quarantineId);
  }

  /** recordId → the accepted entries that billed it (empty when no accepted row billed anything). */
  decisionRecords(): Map<string, number[]> {
    return this.held.decisionRecords();
  }

  // ---------------------------------------------------------------- waiting rows (usage/waiting.ts)

  /** Keeps a row (or its rest) waiting for the chain's clock; a row kept before (same file, line and job) is updated. */
  keepWaiting(w: Omit<WaitingRow, "id">): void {
    this.waiting.keep(w);
  }

  /** Up to `limit` waiting rows the clock `now` has reached (waitsFrom < now), after id `afterId`, by id. */
  waitingRowsReached(now: bigint, afterId: number, limit: number): WaitingRow[] {
    return this.waiting.reached(now, afterId, limit);
  }

  /** How many rows wait, and how many of them the clock `now` has not reached. */
  waitingCounts(now: bigint): { rows: number; notReached: number } {
    return this.waiting.counts(now);
  }

  /** The files that still hold waiting rows, with how many, by file name. */
  waitingFiles(): { file: string; rows: number }[] {
    return this.waiting.files();
  }

  /** Whether any row of `file` waits. */
  hasWaitingRows(file: string): boolean {
    return this.waiting.inFile(file);
  }

  /** A waiting row is billed to its end: it waits no more. */
  deleteWaiting(id: number): void {
    this.waiting.delete(id);
  }

  // ---------------------------------------------------------------- slices and packs (usage/slices.ts)

  getSlice(id: number): SliceRow | undefined {
    return this.slices.get(id);
  }

  /** The first piece after `after` that holds pending slices or packs in a closed window (`windowEnd ≤ closedAt`), or undefined. */
  nextPendingPiece(closedAt: bigint, after?: { pieceStart: bigint; pieceEnd: bigint }): { pieceStart: bigint; pieceEnd: bigint } | undefined {
    return this.slices.nextPendingPiece(closedAt, after);
  }

  /** Pending slices of one piece. */
  pendingInPiece(pieceStart: bigint, pieceEnd: bigint): SliceRow[] {
    return this.slices.pendingInPiece(pieceStart, pieceEnd);
  }

  /** Pending slices of an agreement whose piece starts before `before` (late for the pair). */
  pendingBefore(agreementId: bigint, before: bigint): SliceRow[] {
    return this.slices.pendingBefore(agreementId, before);
  }

  /** Pending packs of one piece, by id (without their slices: `slicesJson` is empty). */
  pendingPacksInPiece(pieceStart: bigint, pieceEnd: bigint): PackRow[] {
    return this.slices.pendingPacksInPiece(pieceStart, pieceEnd);
  }

  /** The lines (`linesJson`) of the pending packs of one piece. */
  pendingPackLinesInPiece(pieceStart: bigint, pieceEnd: bigint): string[] {
    return this.slices.pendingPackLinesInPiece(pieceStart, pieceEnd);
  }

  /** The agreements with pending slice rows whose piece starts before `before`. */
  pendingAgreementsBefore(before: bigint): Set<bigint> {
    return this.slices.pendingAgreementsBefore(before);
  }

  /** Ids of the pending packs whose piece starts before `before`. */
  pendingPackIdsBefore(before: bigint): number[] {
    return this.slices.pendingPackIdsBefore(before);
  }

  getPack(id: number): PackRow | undefined {
    return this.slices.getPack(id);
  }

  deletePack(id: number): void {
    this.slices.deletePack(id);
  }

  setPackState(id: number, state: PackState, batchId: string | null): void {
    this.slices.setPackState(id, state, batchId);
  }

  /** The packs of a batch: id and lines. */
  packsOfBatch(batchId: string): { id: number; state: PackState; linesJson: string }[] {
    return this.slices.packsOfBatch(batchId);
  }

  /** Σ gpuSeconds of an agreement's pending slice rows in one piece (own and carried; packs not included). */
  pendingGpuSecondsInPiece(agreementId: bigint, pieceStart: bigint, pieceEnd: bigint): bigint {
    return this.slices.pendingGpuSecondsInPiece(agreementId, pieceStart, pieceEnd);
  }

  /** Replaces a slice by its parts (a re-cut or a carry), in the caller's transaction. */
  replaceSlice(id: number, parts: readonly NewSlice[]): number[] {
    return this.slices.replace(id, parts);
  }

  setSliceState(id: number, state: SliceState, batchId: string | null, rejection: string | null): void {
    this.slices.setState(id, state, batchId, rejection);
  }

  setSliceRejection(id: number, rejection: string | null): void {
    this.slices.setRejection(id, rejection);
  }

  slicesOfBatch(batchId: string): SliceRow[] {
    return this.slices.ofBatch(batchId);
  }

  /** Counts of slices per state, and GPU-seconds per state. */
  sliceTotals(): Record<SliceState, { slices: number; gpuSeconds: bigint }> {
    return this.slices.totals();
  }

  // ---------------------------------------------------------------- batches (usage/batches.ts)

  insertBatch(b: Omit<BatchRow, "confirmedAt" | "receiptJson" | "rejectedJson">): void {
    this.batches.insert(b);
  }

  getBatch(batchId: string): BatchRow | undefined {
    return this.batches.get(batchId);
  }

  /** Batches signed or awaiting signatures, not yet confirmed, by sequence. */
  openBatches(): BatchRow[] {
    return this.batches.open();
  }

  /** Confirmed batches, by sequence. */
  confirmedBatches(): BatchRow[] {
    return this.batches.confirmed();
  }

  /** Stores signatures, calldata and the signed transaction of a batch (status → signed). */
  setBatchSigned(batchId: string, signaturesJson: string, calldata: string, rawTx: string | null, txHash: string | null): void {
    this.batches.setSigned(batchId, signaturesJson, calldata, rawTx, txHash);
  }

  /** Replaces the signatures gathered so far of a batch awaiting signatures (its status stays). */
  setBatchSignatures(batchId: string, signaturesJson: string): void {
    this.batches.setSignatures(batchId, signaturesJson);
  }

  /** Replaces the signed transaction of a batch (same batch, new nonce or fees). */
  setBatchTransaction(batchId: string, rawTx: string, txHash: string): void {
    this.batches.setTransaction(batchId, rawTx, txHash);
  }

  /** Marks a batch confirmed with its receipt and the lines the ledger rejected. */
  setBatchConfirmed(batchId: string, txHash: string, receiptJson: string, rejectedJson: string, at: number): void {
    this.batches.setConfirmed(batchId, txHash, receiptJson, rejectedJson, at);
  }

  /** A batch that will never be sent: its slices go back to pending. */
  supersedeBatch(batchId: string): void {
    this.batches.supersede(batchId);
  }

  /** Forgets a superseded batch (its id may then be planned again); other batches stay. */
  deleteSupersededBatch(batchId: string): void {
    this.batches.deleteSuperseded(batchId);
  }
}

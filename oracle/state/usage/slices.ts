// Slices and packs (SERVICES §2 "Windows"): what ingestion cut from each record, per window
// piece, waiting to be batched. Ingestion stores packs (one row per chunk and piece); the
// planner turns a pack into slice rows only when its slices must go different ways.
import type Database from "better-sqlite3";
import { insertSql, insertValues, int, readRow } from "./columns";
import { SLICES, toPack, type NewPack, type NewSlice, type PackRow, type PackState, type RawPack, type SliceRow, type SliceState } from "./rows";
import type { Statements } from "./statements";

/** The statements of the hot path (one per slice or pack), prepared once. */
function prepare(db: Database.Database) {
  return {
    addSlice: db.prepare(insertSql(SLICES, "id")),
    addPack: db.prepare(
      `INSERT INTO packs (piece_start, piece_end, window_start, window_end, state, source_file, slice_count, gpu_seconds)
         VALUES (?, ?, ?, ?, 'pending', ?, ?, ?)`,
    ),
    addPackData: db.prepare("INSERT INTO pack_data (pack_id, lines_json, slices_json, hashes) VALUES (?, ?, ?, ?)"),
    deleteSlice: db.prepare("DELETE FROM slices WHERE id = ?"),
    getSlice: db.prepare<[number], Record<string, unknown>>("SELECT * FROM slices WHERE id = ?"),
    setSliceState: db.prepare("UPDATE slices SET state = ?, batch_id = ?, rejection = ? WHERE id = ?"),
    setSliceRejection: db.prepare("UPDATE slices SET rejection = ? WHERE id = ?"),
  };
}

const toSlice = (raw: Record<string, unknown>): SliceRow => readRow(SLICES, raw);

/** The slices, packs and pack_data tables. */
export class Slices {
  private readonly stmt: ReturnType<typeof prepare>;

  constructor(private readonly sql: Statements) {
    this.stmt = prepare(sql.db);
  }

  /** Inserts a slice (pending unless said otherwise); returns its id. */
  add(s: NewSlice): number {
    const row = { ...s, state: s.state ?? "pending", batchId: s.batchId ?? null, rejection: s.rejection ?? null };
    return Number(this.stmt.addSlice.run(...insertValues(SLICES, "id", row)).lastInsertRowid);
  }

  /** Inserts a pending pack with its data; returns its id. */
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

  get(id: number): SliceRow | undefined {
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
      const row = this.sql
        .cached<[number, number, number], { piece_start: number; piece_end: number }>(
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

  /** Pending slices of one piece. */
  pendingInPiece(pieceStart: bigint, pieceEnd: bigint): SliceRow[] {
    return this.sql
      .cached<[number, number], Record<string, unknown>>("SELECT * FROM slices WHERE state = 'pending' AND piece_start = ? AND piece_end = ? ORDER BY id")
      .all(int("pieceStart", pieceStart), int("pieceEnd", pieceEnd))
      .map(toSlice);
  }

  /** Pending slices of an agreement whose piece starts before `before` (late for the pair). */
  pendingBefore(agreementId: bigint, before: bigint): SliceRow[] {
    return this.sql
      .cached<[number, string], Record<string, unknown>>(
        "SELECT * FROM slices WHERE state = 'pending' AND piece_start < ? AND agreement_id = ? ORDER BY slice_start, slice_end, record_id, id",
      )
      .all(int("before", before), agreementId.toString())
      .map(toSlice);
  }

  /** Pending packs of one piece, by id (without their slices: `slicesJson` is empty). */
  pendingPacksInPiece(pieceStart: bigint, pieceEnd: bigint): PackRow[] {
    return this.sql
      .cached<[number, number], RawPack>(
        `SELECT id, piece_start, piece_end, window_start, window_end, state, batch_id, source_file, slice_count, gpu_seconds,
           lines_json, '' AS slices_json, hashes FROM packs JOIN pack_data ON pack_id = id
           WHERE state = 'pending' AND piece_start = ? AND piece_end = ? ORDER BY id`,
      )
      .all(int("pieceStart", pieceStart), int("pieceEnd", pieceEnd))
      .map(toPack);
  }

  /** The lines (`linesJson`) of the pending packs of one piece. */
  pendingPackLinesInPiece(pieceStart: bigint, pieceEnd: bigint): string[] {
    return this.sql
      .cached<[number, number], { lines_json: string }>(
        "SELECT lines_json FROM packs JOIN pack_data ON pack_id = id WHERE state = 'pending' AND piece_start = ? AND piece_end = ?",
      )
      .all(int("pieceStart", pieceStart), int("pieceEnd", pieceEnd))
      .map((r) => r.lines_json);
  }

  /** The agreements with pending slice rows whose piece starts before `before`. */
  pendingAgreementsBefore(before: bigint): Set<bigint> {
    return new Set(
      this.sql
        .cached<[number], { agreement_id: string }>("SELECT DISTINCT agreement_id FROM slices WHERE state = 'pending' AND piece_start < ?")
        .all(int("before", before))
        .map((r) => BigInt(r.agreement_id)),
    );
  }

  /** Ids of the pending packs whose piece starts before `before`. */
  pendingPackIdsBefore(before: bigint): number[] {
    return this.sql
      .cached<[number], { id: number }>("SELECT id FROM packs WHERE state = 'pending' AND piece_start < ? ORDER BY id")
      .all(int("before", before))
      .map((r) => r.id);
  }

  getPack(id: number): PackRow | undefined {
    const row = this.sql.cached<[number], RawPack>("SELECT * FROM packs JOIN pack_data ON pack_id = id WHERE id = ?").get(id);
    return row && toPack(row);
  }

  deletePack(id: number): void {
    this.sql.cached("DELETE FROM packs WHERE id = ?").run(id);
    this.sql.cached("DELETE FROM pack_data WHERE pack_id = ?").run(id);
  }

  setPackState(id: number, state: PackState, batchId: string | null): void {
    this.sql.cached("UPDATE packs SET state = ?, batch_id = ? WHERE id = ?").run(state, batchId, id);
  }

  /** The packs of a batch: id and lines. */
  packsOfBatch(batchId: string): { id: number; state: PackState; linesJson: string }[] {
    return this.sql
      .cached<[string], { id: number; state: PackState; lines_json: string }>(
        "SELECT id, state, lines_json FROM packs JOIN pack_data ON pack_id = id WHERE batch_id = ? ORDER BY id",
      )
      .all(batchId)
      .map((r) => ({ id: r.id, state: r.state, linesJson: r.lines_json }));
  }

  /** Σ gpuSeconds of an agreement's pending slice rows in one piece (own and carried; packs not included). */
  pendingGpuSecondsInPiece(agreementId: bigint, pieceStart: bigint, pieceEnd: bigint): bigint {
    const row = this.sql
      .cached<[string, number, number], { s: number | null }>(
        "SELECT sum(gpu_seconds) AS s FROM slices WHERE state = 'pending' AND agreement_id = ? AND piece_start = ? AND piece_end = ?",
      )
      .get(agreementId.toString(), int("pieceStart", pieceStart), int("pieceEnd", pieceEnd));
    return BigInt(row?.s ?? 0);
  }

  /** Replaces a slice by its parts (a re-cut or a carry), in the caller's transaction. */
  replace(id: number, parts: readonly NewSlice[]): number[] {
    this.stmt.deleteSlice.run(id);
    return parts.map((p) => this.add(p));
  }

  setState(id: number, state: SliceState, batchId: string | null, rejection: string | null): void {
    this.stmt.setSliceState.run(state, batchId, rejection, id);
  }

  setRejection(id: number, rejection: string | null): void {
    this.stmt.setSliceRejection.run(rejection, id);
  }

  ofBatch(batchId: string): SliceRow[] {
    return this.sql.cached<[string], Record<string, unknown>>("SELECT * FROM slices WHERE batch_id = ? ORDER BY id").all(batchId).map(toSlice);
  }

  /** Counts of slices per state, and GPU-seconds per state (slice rows and packs together). */
  totals(): Record<SliceState, { slices: number; gpuSeconds: bigint }> {
    const totals: Record<SliceState, { slices: number; gpuSeconds: bigint }> = {
      pending: { slices: 0, gpuSeconds: 0n },
      batched: { slices: 0, gpuSeconds: 0n },
      reported: { slices: 0, gpuSeconds: 0n },
      quarantined: { slices: 0, gpuSeconds: 0n },
    };
    const rows = this.sql
      .cached<[], { state: SliceState; n: number; s: number }>(
        `SELECT state, sum(n) AS n, sum(s) AS s FROM (
           SELECT state, count(*) AS n, sum(gpu_seconds) AS s FROM slices GROUP BY state
           UNION ALL SELECT state, sum(slice_count), sum(gpu_seconds) FROM packs WHERE state != 'exploded' GROUP BY state) GROUP BY state`,
      )
      .all();
    for (const r of rows) totals[r.state] = { slices: r.n, gpuSeconds: BigInt(r.s) };
    return totals;
  }
}

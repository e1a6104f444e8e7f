// Waiting rows (SERVICES §2 "Accounting of every row"): Slurm rows, or the rest of one, that the
// chain's clock has not reached. A later run bills them through the job's watermark; a file is
// done only when none of its rows waits.
import { int } from "./columns";
import { toWaiting, type RawWaiting, type WaitingRow } from "./rows";
import type { Statements } from "./statements";

/** The waiting_rows table. */
export class Waiting {
  constructor(private readonly sql: Statements) {}

  /** Keeps a row (or its rest) waiting for the chain's clock; a row kept before (same file, line and job) is updated. */
  keep(w: Omit<WaitingRow, "id">): void {
    this.sql
      .cached(
        `INSERT INTO waiting_rows (source_file, source_line, cluster, job_id, account, agreement_id, sku, row_start, row_end, gpus, waits_from, decision_id)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
           ON CONFLICT (source_file, source_line, cluster, job_id) DO UPDATE SET account = excluded.account, agreement_id = excluded.agreement_id,
             sku = excluded.sku, row_start = excluded.row_start, row_end = excluded.row_end, gpus = excluded.gpus,
             waits_from = excluded.waits_from, decision_id = coalesce(excluded.decision_id, decision_id)`,
      )
      .run(
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
  reached(now: bigint, afterId: number, limit: number): WaitingRow[] {
    return this.sql
      .cached<[number, number, number], RawWaiting>("SELECT * FROM waiting_rows WHERE waits_from < ? AND id > ? ORDER BY id LIMIT ?")
      .all(int("now", now), afterId, limit)
      .map(toWaiting);
  }

  /** How many rows wait, and how many of them the clock `now` has not reached. */
  counts(now: bigint): { rows: number; notReached: number } {
    const row = this.sql
      .cached<[number], { n: number; later: number | null }>("SELECT count(*) AS n, sum(waits_from >= ?) AS later FROM waiting_rows")
      .get(int("now", now));
    return { rows: row?.n ?? 0, notReached: row?.later ?? 0 };
  }

  /** The files that still hold waiting rows, with how many, by file name. */
  files(): { file: string; rows: number }[] {
    return this.sql
      .cached<[], { source_file: string; n: number }>("SELECT source_file, count(*) AS n FROM waiting_rows GROUP BY source_file ORDER BY source_file")
      .all()
      .map((r) => ({ file: r.source_file, rows: r.n }));
  }

  /** Whether any row of `file` waits. */
  inFile(file: string): boolean {
    return this.sql.cached<[string], { one: number }>("SELECT 1 AS one FROM waiting_rows WHERE source_file = ? LIMIT 1").get(file) !== undefined;
  }

  /** A waiting row is billed to its end: it waits no more. */
  delete(id: number): void {
    this.sql.cached("DELETE FROM waiting_rows WHERE id = ?").run(id);
  }
}

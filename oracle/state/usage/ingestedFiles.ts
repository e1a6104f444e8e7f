// Input files read to their end (SERVICES §2): a file is read again only when its size or
// modification time changed, and is done only when none of its rows waits (see waiting.ts).
import type { Statements } from "./statements";

/** The ingested_files table. */
export class IngestedFiles {
  constructor(private readonly sql: Statements) {}

  /** Whether this file, with this size and modification time, was read to its end before. */
  isIngested(path: string, size: number, mtimeMs: number): boolean {
    return (
      this.sql
        .cached<[string, number, number], { path: string }>("SELECT path FROM ingested_files WHERE path = ? AND size = ? AND mtime_ms = ?")
        .get(path, size, Math.trunc(mtimeMs)) !== undefined
    );
  }

  /** Records the file as read to its end with this size and modification time. */
  markIngested(path: string, size: number, mtimeMs: number): void {
    this.sql
      .cached(
        "INSERT INTO ingested_files (path, size, mtime_ms) VALUES (?, ?, ?) ON CONFLICT (path) DO UPDATE SET size = excluded.size, mtime_ms = excluded.mtime_ms",
      )
      .run(path, size, Math.trunc(mtimeMs));
  }
}

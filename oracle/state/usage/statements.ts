// Prepared statements of one connection, each prepared once (better-sqlite3 statements are
// bound to their connection and cheap to reuse).
import type Database from "better-sqlite3";

/** A connection's statement cache, shared by the repositories of one state. */
export class Statements {
  private readonly prepared = new Map<string, Database.Statement>();

  constructor(readonly db: Database.Database) {}

  /** The statement of `sql`, prepared on first use. */
  cached<P extends unknown[] = unknown[], R = unknown>(sql: string): Database.Statement<P, R> {
    let statement = this.prepared.get(sql);
    if (statement === undefined) {
      statement = this.db.prepare(sql);
      this.prepared.set(sql, statement);
    }
    return statement as unknown as Database.Statement<P, R>;
  }
}

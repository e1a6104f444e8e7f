// The quarantine (SERVICES §2 "Quarantine review"): rows and slices held for an operator, the
// operator's decision on each (who, when, why), and the recordIds an accepted row billed.
import { QUARANTINE_COLUMNS, toQuarantine, type RawQuarantine, type StoredDecision, type StoredQuarantine } from "./rows";
import type { Statements } from "./statements";

/** The quarantine, quarantine_decisions and decision_records tables. */
export class Quarantine {
  constructor(private readonly sql: Statements) {}

  /** Adds a quarantine entry; false when the same (file, line, reason, raw) is already there. */
  add(q: StoredQuarantine): boolean {
    return (
      this.sql
        .cached(
          "INSERT INTO quarantine (file, line, raw, reason, detail, extra_json, candidate_json) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT DO NOTHING",
        )
        .run(
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
  list(ids?: readonly number[]): StoredQuarantine[] {
    const select = `SELECT ${QUARANTINE_COLUMNS} FROM quarantine AS q LEFT JOIN quarantine_decisions AS d ON d.quarantine_id = q.id`;
    const rows =
      ids === undefined
        ? this.sql.cached<[], RawQuarantine>(`${select} ORDER BY q.id`).all()
        : this.sql.cached<[string], RawQuarantine>(`${select} WHERE q.id IN (SELECT value FROM json_each(?)) ORDER BY q.id`).all(JSON.stringify(ids));
    return rows.map(toQuarantine);
  }

  count(): number {
    return (this.sql.cached("SELECT count(*) AS n FROM quarantine").get() as { n: number }).n;
  }

  /** Records an operator's decision (the caller checked there is none yet). */
  addDecision(d: Omit<StoredDecision, "taken">): void {
    this.sql
      .cached(
        `INSERT INTO quarantine_decisions (quarantine_id, decision, decided_by, decided_at, note, account, agreement_id, sku)
           VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(d.quarantineId, d.decision, d.decidedBy, d.decidedAt, d.note, d.account, d.agreementId, d.sku);
  }

  /** Accepted entries not yet handed to billing, in id order. */
  acceptedNotTaken(): StoredQuarantine[] {
    return this.sql
      .cached<[], RawQuarantine>(
        `SELECT ${QUARANTINE_COLUMNS} FROM quarantine_decisions AS d JOIN quarantine AS q ON q.id = d.quarantine_id
           WHERE d.decision = 'accept' AND d.taken = 0 ORDER BY q.id`,
      )
      .all()
      .map(toQuarantine);
  }

  /** Marks an accepted entry handed to billing. */
  markTaken(quarantineId: number): void {
    this.sql.cached("UPDATE quarantine_decisions SET taken = 1 WHERE quarantine_id = ?").run(quarantineId);
  }

  /** Remembers that an accepted entry billed `recordId`. */
  addDecisionRecord(recordId: string, quarantineId: number): void {
    this.sql.cached("INSERT INTO decision_records (record_id, quarantine_id) VALUES (?, ?) ON CONFLICT DO NOTHING").run(recordId, quarantineId);
  }

  /** recordId → the accepted entries that billed it (empty when no accepted row billed anything). */
  decisionRecords(): Map<string, number[]> {
    const found = new Map<string, number[]>();
    for (const r of this.sql.cached<[], { record_id: string; quarantine_id: number }>("SELECT record_id, quarantine_id FROM decision_records").all()) {
      const list = found.get(r.record_id);
      if (list) list.push(r.quarantine_id);
      else found.set(r.record_id, [r.quarantine_id]);
    }
    return found;
  }
}

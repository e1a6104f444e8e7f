// The revenue oracle's own state (SERVICES §3): an embedded SQLite file in WAL mode that
// survives kill -9. It holds the outbox (a signed report is written here before it is sent,
// and a restart resends exactly it), the committed reports, and the period every reported
// transaction was counted in, and the operators' quarantine decisions. Separate from the usage
// oracle's state.
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import type { Hex } from "viem";
import type { RevenueReport } from "../../sdk/eip712";
import { ConfigError } from "../../sdk/errors";
import type { Decision } from "./review";

/** File name of the database in the state folder. */
export const REVENUE_DB_FILE = "revenue.sqlite";

/** A signed report waiting for its receipt. */
export interface OutboxEntry {
  report: RevenueReport;
  /** Ascending by signer, as the ledger wants them. */
  signatures: Hex[];
  /** The canonical evidence JSON (its keccak256 is `report.evidenceHash`). */
  evidence: string;
  /** Ids of the transactions counted in the report. */
  transactionIds: string[];
  /** Hash of the last transaction sent with it, if any. */
  txHash?: Hex;
  createdAt: number;
}

/** A report confirmed on chain by this oracle. */
export interface CommittedReport {
  report: RevenueReport;
  txHash: Hex;
  blockNumber: bigint;
}

interface OutboxRow {
  agreement_id: string;
  period_index: number;
  version: number;
  revenue: string;
  evidence_hash: string;
  signatures: string;
  evidence: string;
  transaction_ids: string;
  tx_hash: string | null;
  created_at: number;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outbox (
  agreement_id TEXT NOT NULL, period_index INTEGER NOT NULL, version INTEGER NOT NULL,
  revenue TEXT NOT NULL, evidence_hash TEXT NOT NULL, signatures TEXT NOT NULL, evidence TEXT NOT NULL,
  transaction_ids TEXT NOT NULL, tx_hash TEXT, created_at INTEGER NOT NULL,
  PRIMARY KEY (agreement_id, period_index));
CREATE TABLE IF NOT EXISTS reports (
  agreement_id TEXT NOT NULL, period_index INTEGER NOT NULL, version INTEGER NOT NULL,
  revenue TEXT NOT NULL, evidence_hash TEXT NOT NULL, tx_hash TEXT NOT NULL, block_number TEXT NOT NULL,
  PRIMARY KEY (agreement_id, period_index, version));
CREATE TABLE IF NOT EXISTS assignments (
  agreement_id TEXT NOT NULL, transaction_id TEXT NOT NULL, period_index INTEGER NOT NULL,
  PRIMARY KEY (agreement_id, transaction_id));
CREATE TABLE IF NOT EXISTS decisions (
  seq INTEGER PRIMARY KEY AUTOINCREMENT, agreement_id TEXT NOT NULL, entry_id TEXT NOT NULL,
  decision TEXT NOT NULL, decided_at TEXT NOT NULL, json TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS decisions_by_entry ON decisions (agreement_id, entry_id, seq);
`;

function toEntry(row: OutboxRow): OutboxEntry {
  return {
    report: {
      agreementId: BigInt(row.agreement_id),
      periodIndex: row.period_index,
      revenue: BigInt(row.revenue),
      evidenceHash: row.evidence_hash as Hex,
      version: row.version,
    },
    signatures: JSON.parse(row.signatures) as Hex[],
    evidence: row.evidence,
    transactionIds: JSON.parse(row.transaction_ids) as string[],
    txHash: (row.tx_hash ?? undefined) as Hex | undefined,
    createdAt: row.created_at,
  };
}

/** The revenue oracle's state database. */
export class RevenueStore {
  private readonly db: Database.Database;

  /**
   * Opens (or creates) `<stateDir>/revenue.sqlite` for the ledger at `ledger` on `chainId`.
   * @throws ConfigError when the folder belongs to another chain or ledger.
   */
  constructor(stateDir: string, binding: { chainId: number; ledger: string }) {
    mkdirSync(stateDir, { recursive: true });
    this.db = new Database(join(stateDir, REVENUE_DB_FILE));
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(SCHEMA);
    const expected = `${binding.chainId}:${binding.ledger.toLowerCase()}`;
    this.db.prepare("INSERT OR IGNORE INTO meta (key, value) VALUES ('ledger', ?)").run(expected);
    const found = (this.db.prepare("SELECT value FROM meta WHERE key = 'ledger'").get() as { value: string }).value;
    if (found !== expected) {
      this.db.close();
      throw new ConfigError("stateDir", `State folder ${stateDir} belongs to ledger ${found}, not ${expected}.`, {
        fix: "Use a separate stateDir per chain and ledger.",
      });
    }
  }

  close(): void {
    this.db.close();
  }

  /** Signed reports not yet confirmed, of one agreement or all, by agreement and period. */
  outbox(agreementId?: bigint): OutboxEntry[] {
    const rows = (
      agreementId === undefined
        ? this.db.prepare("SELECT * FROM outbox").all()
        : this.db.prepare("SELECT * FROM outbox WHERE agreement_id = ?").all(agreementId.toString())
    ) as OutboxRow[];
    return rows.map(toEntry).sort((a, b) =>
      a.report.agreementId !== b.report.agreementId
        ? a.report.agreementId < b.report.agreementId
          ? -1
          : 1
        : a.report.periodIndex - b.report.periodIndex,
    );
  }

  /** Writes a signed report before it is sent (durable when this returns). One per period at a time. */
  persist(entry: OutboxEntry): void {
    const r = entry.report;
    this.db
      .prepare(
        `INSERT INTO outbox (agreement_id, period_index, version, revenue, evidence_hash, signatures, evidence, transaction_ids, tx_hash, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      )
      .run(
        r.agreementId.toString(),
        r.periodIndex,
        r.version,
        r.revenue.toString(),
        r.evidenceHash,
        JSON.stringify(entry.signatures),
        entry.evidence,
        JSON.stringify(entry.transactionIds),
        entry.txHash ?? null,
        entry.createdAt,
      );
  }

  /** Replaces the signatures of an outbox entry (signer set rotated); the report stays as it is. */
  replaceSignatures(report: RevenueReport, signatures: Hex[]): void {
    this.db
      .prepare("UPDATE outbox SET signatures = ?, tx_hash = NULL WHERE agreement_id = ? AND period_index = ? AND version = ?")
      .run(JSON.stringify(signatures), report.agreementId.toString(), report.periodIndex, report.version);
  }

  /** Records the hash of the transaction that carries an outbox entry. */
  recordSent(report: RevenueReport, txHash: Hex): void {
    this.db
      .prepare("UPDATE outbox SET tx_hash = ? WHERE agreement_id = ? AND period_index = ? AND version = ?")
      .run(txHash, report.agreementId.toString(), report.periodIndex, report.version);
  }

  /** Drops an outbox entry that can no longer land (superseded on chain, or its period finalized). */
  discard(report: RevenueReport): void {
    this.db
      .prepare("DELETE FROM outbox WHERE agreement_id = ? AND period_index = ? AND version = ?")
      .run(report.agreementId.toString(), report.periodIndex, report.version);
  }

  /**
   * After the receipt, in one database transaction: the report becomes history, the period's
   * transactions become exactly the report's (they stay in that period from now on), and the
   * outbox entry goes.
   */
  commit(entry: OutboxEntry, txHash: Hex, blockNumber: bigint): void {
    const r = entry.report;
    const id = r.agreementId.toString();
    const assign = this.db.prepare(
      `INSERT INTO assignments (agreement_id, transaction_id, period_index) VALUES (?, ?, ?)
       ON CONFLICT (agreement_id, transaction_id) DO UPDATE SET period_index = excluded.period_index`,
    );
    this.db.transaction(() => {
      this.db
        .prepare(
          `INSERT OR REPLACE INTO reports (agreement_id, period_index, version, revenue, evidence_hash, tx_hash, block_number)
           VALUES (?, ?, ?, ?, ?, ?, ?)`,
        )
        .run(id, r.periodIndex, r.version, r.revenue.toString(), r.evidenceHash, txHash, blockNumber.toString());
      // the period's transactions are those of its latest report
      this.db.prepare("DELETE FROM assignments WHERE agreement_id = ? AND period_index = ?").run(id, r.periodIndex);
      for (const txId of entry.transactionIds) assign.run(id, txId, r.periodIndex);
      this.db.prepare("DELETE FROM outbox WHERE agreement_id = ? AND period_index = ?").run(id, r.periodIndex);
    })();
  }

  /** Transaction id → period it was reported in, for one agreement. */
  assignments(agreementId: bigint): Map<string, number> {
    const rows = this.db
      .prepare("SELECT transaction_id, period_index FROM assignments WHERE agreement_id = ?")
      .all(agreementId.toString()) as { transaction_id: string; period_index: number }[];
    return new Map(rows.map((row) => [row.transaction_id, row.period_index]));
  }

  /**
   * Records quarantine decisions, all or none (one database transaction). Earlier decisions on
   * the same entries stay in the history; the latest is in force.
   */
  recordDecisions(decisions: readonly Decision[]): void {
    const insert = this.db.prepare("INSERT INTO decisions (agreement_id, entry_id, decision, decided_at, json) VALUES (?, ?, ?, ?, ?)");
    this.db.transaction(() => {
      for (const d of decisions) insert.run(d.agreementId, d.entryId, d.decision, d.decidedAt, JSON.stringify(d));
    })();
  }

  /** Every decision on one agreement's entries, oldest first (the history, superseded ones included). */
  decisionHistory(agreementId: bigint): Decision[] {
    const rows = this.db.prepare("SELECT json FROM decisions WHERE agreement_id = ? ORDER BY seq").all(agreementId.toString()) as { json: string }[];
    return rows.map((r) => JSON.parse(r.json) as Decision);
  }

  /** The decision in force (the latest) per entry id, of one agreement. */
  decisions(agreementId: bigint): Map<string, Decision> {
    return new Map(this.decisionHistory(agreementId).map((d) => [d.entryId, d]));
  }

  /** Reports confirmed by this oracle, of one agreement, by period then version. */
  reports(agreementId: bigint): CommittedReport[] {
    const rows = this.db
      .prepare("SELECT * FROM reports WHERE agreement_id = ? ORDER BY period_index, version")
      .all(agreementId.toString()) as { period_index: number; version: number; revenue: string; evidence_hash: string; tx_hash: string; block_number: string }[];
    return rows.map((row) => ({
      report: { agreementId, periodIndex: row.period_index, revenue: BigInt(row.revenue), evidenceHash: row.evidence_hash as Hex, version: row.version },
      txHash: row.tx_hash as Hex,
      blockNumber: BigInt(row.block_number),
    }));
  }
}

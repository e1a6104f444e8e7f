// Batches (SERVICES §2 "Submission"): each planned batch from its signing to its receipt. A
// batch is stored before anything leaves the machine, so a restart resends exactly it.
import { int } from "./columns";
import { toBatch, type BatchRow, type RawBatch } from "./rows";
import type { Statements } from "./statements";

/** The batches table. */
export class Batches {
  constructor(private readonly sql: Statements) {}

  insert(b: Omit<BatchRow, "confirmedAt" | "receiptJson" | "rejectedJson">): void {
    this.sql
      .cached(
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

  get(batchId: string): BatchRow | undefined {
    const row = this.sql.cached<[string], RawBatch>("SELECT * FROM batches WHERE batch_id = ?").get(batchId);
    return row && toBatch(row);
  }

  /** Batches signed or awaiting signatures, not yet confirmed, by sequence. */
  open(): BatchRow[] {
    return this.sql
      .cached<[], RawBatch>("SELECT * FROM batches WHERE status IN ('signed', 'awaiting-signatures') ORDER BY sequence")
      .all()
      .map(toBatch);
  }

  /** Confirmed batches, by sequence. */
  confirmed(): BatchRow[] {
    return this.sql.cached<[], RawBatch>("SELECT * FROM batches WHERE status = 'confirmed' ORDER BY sequence").all().map(toBatch);
  }

  /** Stores signatures, calldata and the signed transaction of a batch (status → signed). */
  setSigned(batchId: string, signaturesJson: string, calldata: string, rawTx: string | null, txHash: string | null): void {
    this.sql
      .cached("UPDATE batches SET signatures_json = ?, calldata = ?, raw_tx = ?, tx_hash = ?, status = 'signed' WHERE batch_id = ?")
      .run(signaturesJson, calldata, rawTx, txHash, batchId);
  }

  /** Replaces the signatures gathered so far of a batch awaiting signatures (its status stays). */
  setSignatures(batchId: string, signaturesJson: string): void {
    this.sql.cached("UPDATE batches SET signatures_json = ? WHERE batch_id = ?").run(signaturesJson, batchId);
  }

  /** Replaces the signed transaction of a batch (same batch, new nonce or fees). */
  setTransaction(batchId: string, rawTx: string, txHash: string): void {
    this.sql.cached("UPDATE batches SET raw_tx = ?, tx_hash = ? WHERE batch_id = ?").run(rawTx, txHash, batchId);
  }

  /** Marks a batch confirmed with its receipt and the lines the ledger rejected. */
  setConfirmed(batchId: string, txHash: string, receiptJson: string, rejectedJson: string, at: number): void {
    this.sql
      .cached("UPDATE batches SET status = 'confirmed', tx_hash = ?, receipt_json = ?, rejected_json = ?, confirmed_at = ? WHERE batch_id = ?")
      .run(txHash, receiptJson, rejectedJson, at, batchId);
  }

  /** A batch that will never be sent: its slices and packs go back to pending. */
  supersede(batchId: string): void {
    this.sql.cached("UPDATE batches SET status = 'superseded' WHERE batch_id = ?").run(batchId);
    this.sql.cached("UPDATE slices SET state = 'pending', batch_id = NULL WHERE batch_id = ? AND state = 'batched'").run(batchId);
    this.sql.cached("UPDATE packs SET state = 'pending', batch_id = NULL WHERE batch_id = ? AND state = 'batched'").run(batchId);
  }

  /** Forgets a superseded batch (its id may then be planned again); other batches stay. */
  deleteSuperseded(batchId: string): void {
    this.sql.cached("DELETE FROM batches WHERE batch_id = ? AND status = 'superseded'").run(batchId);
  }
}

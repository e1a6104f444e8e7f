// The rows of the usage oracle's state database (SERVICES §2) as the oracle sees them, and how
// each is read from its table. The slices table is declared once (SLICES): its SQL, its INSERT
// and the SliceRow type all come from that declaration.
import type { UsageCandidate, UsageRecord } from "../../sources/usage";
import { count, decimal, flag, integer, optionalText, rowId, text, type RowOf } from "./columns";

/** Where a slice stands. */
export type SliceState = "pending" | "batched" | "reported" | "quarantined";

/** The slices table: a record's part inside one window piece (its batch period), one row each. */
export const SLICES = {
  name: "slices",
  columns: {
    id: rowId("id"),
    recordId: text("record_id"),
    agreementId: decimal("agreement_id"),
    sku: text("sku"),
    sliceStart: integer("slice_start"),
    sliceEnd: integer("slice_end"),
    gpus: integer("gpus"),
    gpuSeconds: integer("gpu_seconds"),
    windowStart: integer("window_start"),
    windowEnd: integer("window_end"),
    pieceStart: integer("piece_start"),
    pieceEnd: integer("piece_end"),
    /** A late slice carried into a later piece (its true times stay). */
    carried: flag("carried"),
    state: text<SliceState>("state"),
    batchId: optionalText("batch_id"),
    /**
     * The last reason the ledger (or the preflight) refused this slice's line: the line's own
     * (e.g. `NoRate`), or `SiblingRejected` when the ledger rejected it only with another line of
     * its agreement (a mark, never a reason to quarantine). Cleared when the slice is batched.
     */
    rejection: optionalText("rejection"),
    /** Where the record was read (for its quarantine entry). */
    sourceFile: text("source_file"),
    sourceLine: count("source_line"),
  },
} as const;

/** One stored slice: a record's part inside one window piece (its batch period). */
export type SliceRow = RowOf<typeof SLICES.columns>;

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
   * Empty when not read (see `UsageState.pendingPacksInPiece`).
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
export interface WaitingRow extends Pick<UsageRecord, "account" | "agreementId" | "sku" | "gpus"> {
  id: number;
  sourceFile: string;
  sourceLine: number;
  cluster: string;
  jobId: string;
  /** The row's whole exported interval: the job's watermark decides what is still to bill. */
  start: bigint;
  end: bigint;
  /** Nothing of it can be billed before the chain's clock passes this instant. */
  waitsFrom: bigint;
  /** The quarantine entry an accepted row came from. */
  decisionId: number | null;
}

/** A packs row joined with its pack_data row. */
export interface RawPack {
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

/** A batches row. */
export interface RawBatch {
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

/** A quarantine row left-joined with its decision (see {@link QUARANTINE_COLUMNS}). */
export interface RawQuarantine {
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

/** The columns of a {@link RawQuarantine}: quarantine `q` and quarantine_decisions `d`. */
export const QUARANTINE_COLUMNS = "q.*, d.quarantine_id, d.decision, d.decided_by, d.decided_at, d.note, d.account, d.agreement_id, d.sku, d.taken";

/** A waiting_rows row. */
export interface RawWaiting {
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

/** A read pack. */
export function toPack(r: RawPack): PackRow {
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

/** A read batch. */
export function toBatch(r: RawBatch): BatchRow {
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

/** A read quarantine entry with its decision, if any. */
export function toQuarantine(r: RawQuarantine): StoredQuarantine {
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

/** A read waiting row. */
export function toWaiting(r: RawWaiting): WaitingRow {
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

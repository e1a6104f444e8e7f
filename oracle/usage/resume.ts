// Rows a run takes from the state instead of an export (SERVICES §2 "Accounting of every row",
// "Quarantine review"): Slurm rows (or their rest) that waited for the chain's clock, and rows an
// operator accepted out of the quarantine. Each is billed like a row read from its file (Slurm
// through its job's watermark), in chunks, each chunk in one transaction with its packs,
// watermarks and the waiting rows and decisions it settles: killed at any point, a run leaves
// the state before or after a chunk.
import { FatalError } from "../../sdk/errors";
import type { SlurmRecord } from "../sources/slurm";
import type { UsageRecord } from "../sources/usage";
import type { StoredQuarantine, UsageState, WaitingRow } from "../state/usageState";
import { addBilled, billContext, billJob, saveWatermarks, type BillContext } from "./ingest";
import { PackBuilder } from "./packs";
import type { WindowGrid } from "./slicing";

/** Where rows taken from the state went: `read = new + duplicate + waiting`. */
export interface ResumeCounts {
  read: number;
  new: number;
  duplicate: number;
  waiting: number;
}

/** Zeroed counts. */
export function emptyResumeCounts(): ResumeCounts {
  return { read: 0, new: 0, duplicate: 0, waiting: 0 };
}

/** What resuming needs. */
export interface ResumeOptions {
  /** The chain's clock. */
  now: bigint;
  grid: WindowGrid;
  /** Called after each committed chunk (a fault point in tests). */
  onChunk?: () => void;
}

/** Rows per transaction. */
const CHUNK = 10_000;

/** The Slurm row a waiting row keeps. */
function slurmRecordOf(w: Pick<WaitingRow, "cluster" | "jobId" | "account" | "agreementId" | "sku" | "start" | "end" | "gpus" | "sourceFile" | "sourceLine">): SlurmRecord {
  return {
    recordKey: { cluster: w.cluster, jobId: w.jobId },
    account: w.account,
    agreementId: w.agreementId,
    sku: w.sku,
    start: w.start,
    end: w.end,
    gpus: w.gpus,
    gpuSeconds: w.end > w.start ? w.gpus * (w.end - w.start) : 0n,
    source: { file: w.sourceFile, line: w.sourceLine },
  };
}

/** Writes the packs built so far under `file` when the next row comes from another file. */
function switchFile(ctx: BillContext, current: { file?: string }, file: string): void {
  if (current.file !== undefined && current.file !== file) ctx.packs.write(ctx.state, current.file);
  current.file = file;
}

/**
 * Bills the waiting rows the chain's clock has reached, through their jobs' watermarks: a row
 * billed to its end waits no more; a row still partly ahead of the clock keeps waiting from
 * the clock on. Every waiting row counts once in `read`: those the clock has not reached yet as
 * `waiting` without being looked at.
 */
export function resumeWaitingRows(state: UsageState, options: ResumeOptions): ResumeCounts {
  const counts = emptyResumeCounts();
  const { rows, notReached } = state.waitingCounts(options.now);
  counts.read = rows;
  counts.waiting = notReached;
  const packs = new PackBuilder();
  const totals = { slices: 0, gpuSeconds: 0n };
  for (let after = 0; ; ) {
    const chunk = state.waitingRowsReached(options.now, after, CHUNK);
    if (chunk.length === 0) break;
    after = chunk[chunk.length - 1].id;
    state.transaction(() => {
      const ctx = billContext(state, options.now, options.grid, packs, chunk.map((w) => [w.cluster, w.jobId] as const), totals);
      const current: { file?: string } = {};
      for (const w of chunk) {
        switchFile(ctx, current, w.sourceFile);
        // billJob updates the same waiting row (same file, line and job) when a rest still waits.
        const { outcome, record } = billJob(ctx, slurmRecordOf(w), w.decisionId);
        if (outcome !== "waiting") state.deleteWaiting(w.id);
        if (record !== undefined && w.decisionId !== null) state.addDecisionRecord(record.recordId, w.decisionId);
        counts[outcome] += 1;
      }
      saveWatermarks(ctx);
      if (current.file !== undefined) packs.write(state, current.file);
    });
    options.onChunk?.();
  }
  return counts;
}

/** The usage an accepted quarantine entry bills: its candidate as the operator said it is. */
function acceptedRow(entry: StoredQuarantine): { slurm: SlurmRecord } | { metering: UsageRecord } | undefined {
  const c = entry.candidate;
  const d = entry.decision;
  if (c === undefined || d === undefined || d.agreementId === null || d.sku === null || d.account === null) return undefined;
  const source = { file: entry.file, line: entry.line };
  const start = BigInt(c.start);
  const end = BigInt(c.end);
  const gpus = BigInt(c.gpus ?? "0");
  const agreementId = BigInt(d.agreementId);
  if (c.source === "slurm" && c.cluster !== undefined && c.jobId !== undefined) {
    return {
      slurm: slurmRecordOf({ cluster: c.cluster, jobId: c.jobId, account: d.account, agreementId, sku: d.sku, start, end, gpus, sourceFile: source.file, sourceLine: source.line }),
    };
  }
  if (c.source === "metering" && c.recordId !== undefined) {
    return { metering: { recordId: c.recordId, account: d.account, agreementId, sku: d.sku, start, end, gpus, gpuSeconds: BigInt(c.gpuSeconds), source } };
  }
  return undefined;
}

/**
 * Hands the rows operators accepted since the last run to billing, each as the operator said it
 * is (account, agreement, sku): a Slurm row through its job's watermark (a part ahead of the
 * chain's clock waits like any row), a metering row once per recordId. The recordIds each one
 * bills are remembered with its decision, for the evidence bundles of the batches that hold them.
 */
export function takeAcceptedRows(state: UsageState, options: ResumeOptions): ResumeCounts {
  const counts = emptyResumeCounts();
  const entries = state.acceptedNotTaken();
  if (entries.length === 0) return counts;
  const packs = new PackBuilder();
  const totals = { slices: 0, gpuSeconds: 0n };
  for (let from = 0; from < entries.length; from += CHUNK) {
    const chunk = entries.slice(from, from + CHUNK);
    const rows = chunk.map((e) => ({ entry: e, row: acceptedRow(e) }));
    state.transaction(() => {
      const jobs = rows.flatMap(({ row }) => (row && "slurm" in row ? [[row.slurm.recordKey.cluster, row.slurm.recordKey.jobId] as const] : []));
      const ctx = billContext(state, options.now, options.grid, packs, jobs, totals);
      const current: { file?: string } = {};
      for (const { entry, row } of rows) {
        const id = entry.id as number;
        if (row === undefined) {
          // review.ts accepts only entries with a job or recordId and records account, agreement and sku: a state edited by hand.
          throw new FatalError(`Quarantine entry #${id} is accepted but its row or decision is incomplete in the state.`, {
            fix: "Restore the state folder from its backup; do not edit the state database by hand.",
          });
        }
        state.markDecisionTaken(id);
        counts.read += 1;
        switchFile(ctx, current, entry.file);
        let outcome: keyof Omit<ResumeCounts, "read">;
        let billed: UsageRecord | undefined;
        if ("slurm" in row) {
          const result = billJob(ctx, row.slurm, id);
          outcome = result.outcome;
          billed = result.record;
        } else if (state.addRecord(row.metering.recordId, entry.file, entry.line)) {
          addBilled(ctx, row.metering);
          outcome = "new";
          billed = row.metering;
        } else outcome = "duplicate";
        if (billed !== undefined) state.addDecisionRecord(billed.recordId, id);
        counts[outcome] += 1;
      }
      saveWatermarks(ctx);
      if (current.file !== undefined) packs.write(state, current.file);
    });
    options.onChunk?.();
  }
  return counts;
}

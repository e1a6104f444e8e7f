// Reading exports into the state (SERVICES §2 "Inputs", "Processing", "Accounting of every
// row"): each row is parsed by its adapter, quarantined with its reason or billed (Slurm
// through the per-job watermark up to the chain's clock, the rest kept as a waiting row),
// checked for a duplicate recordId and sliced over the window grid. Rows are committed in
// chunks, each chunk in one transaction with the watermarks, recordIds, waiting rows and
// slices it wrote; the slices of a chunk are stored as packs, one per window piece (see
// packs.ts). Every row ends in exactly one outcome (RowCounts).
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { ValidationError } from "../../sdk/errors";
import { parseFileBlocks, type LineParser } from "../sources/lines";
import { createMeteringParser, meteringFormatOf } from "../sources/metering";
import { billSlurmRecord, createSlurmParser, type SlurmRecord } from "../sources/slurm";
import type { SourceEvent } from "../sources/types";
import type { UsageRecord, UsageSourceSettings } from "../sources/usage";
import { jobKey, type UsageState } from "../state/usageState";
import { loadKeccak } from "../../sdk/keccak";
import { PackBuilder } from "./packs";
import type { WindowGrid } from "./slicing";

/** The two kinds of export. */
export type InputKind = "slurm" | "metering";

/**
 * Where the rows of one source went (SERVICES §2 "Accounting of every row"): every row ends in
 * exactly one outcome, so `read = new + duplicate + quarantined + ignored + waiting`.
 */
export interface RowCounts {
  read: number;
  new: number;
  duplicate: number;
  quarantined: number;
  ignored: number;
  /**
   * Rows with usage the chain's clock has not reached (kept in the state, billed by a later run;
   * a row partly billed counts here until its rest is billed) and rows of jobs without an end
   * (`pendingJobs`: not kept, the job's row in a later export bills it).
   */
  waiting: number;
}

/** Zeroed row counts. */
export function emptyRowCounts(): RowCounts {
  return { read: 0, new: 0, duplicate: 0, quarantined: 0, ignored: 0, waiting: 0 };
}

/** Counts of one ingestion of export files. */
export interface IngestCounts extends RowCounts {
  /** Files read in this ingestion. */
  files: number;
  /** Files skipped because they were read to the end before, unchanged. */
  skippedFiles: number;
  /** Skipped files none of whose rows waits: done. */
  doneEarlier: string[];
  /** Skipped files read before whose waiting rows are in the state (billed from there, not read again). */
  readEarlier: string[];
  /**
   * Of `waiting`: rows of jobs without an end (Start or End `Unknown`/`None`: pending, running when exported, or
   * never started); not kept, the job's row with its End in a later export bills it whole from its Start.
   */
  pendingJobs: number;
  slices: number;
  /** GPU-seconds of the new records. */
  gpuSeconds: bigint;
}

/** Zeroed counts. */
export function emptyIngestCounts(): IngestCounts {
  return { ...emptyRowCounts(), files: 0, skippedFiles: 0, doneEarlier: [], readEarlier: [], pendingJobs: 0, slices: 0, gpuSeconds: 0n };
}

/** Rows per transaction. */
const CHUNK = 100_000;

/** Whether a file is a sacct export (its first non-blank line is a `|` header naming JobIDRaw) or metering data. */
export function detectInputKind(path: string): InputKind {
  const fd = openSync(path, "r");
  try {
    const buffer = Buffer.alloc(4096);
    const n = readSync(fd, buffer, 0, buffer.length, 0);
    const head = buffer.subarray(0, n).toString("utf8").replace(/^\ufeff/, "");
    const first = head.split(/\r?\n/).find((l) => l.trim() !== "") ?? "";
    return first.includes("|") && /jobidraw/i.test(first) ? "slurm" : "metering";
  } finally {
    closeSync(fd);
  }
}

/** The files of the inputs: a file as is; a folder's files by name (hidden and `.part`/`.tmp` files skipped). */
export function listInputFiles(inputs: readonly string[]): string[] {
  const files: string[] = [];
  for (const input of inputs) {
    let stat;
    try {
      stat = statSync(input);
    } catch (cause) {
      throw new ValidationError(`Input ${input} does not exist.`, { fix: "Check the inputs setting or --input.", cause });
    }
    if (!stat.isDirectory()) {
      files.push(input);
      continue;
    }
    for (const name of readdirSync(input).sort()) {
      if (name.startsWith(".") || name.endsWith(".part") || name.endsWith(".tmp")) continue;
      const path = join(input, name);
      if (statSync(path).isFile()) files.push(path);
    }
  }
  return files;
}

/** Options of {@link ingestFiles}. */
export interface IngestOptions {
  settings: UsageSourceSettings;
  grid: WindowGrid;
  /** Slurm bills nothing at or after this instant (running jobs): the pipeline's clock. */
  now: bigint;
  /** Called after each chunk with the rows read so far (progress bar). */
  onProgress?: (counts: IngestCounts) => void;
}

type AnyEvent = SourceEvent<SlurmRecord | UsageRecord>;

/** What billing rows works with: the clock, the grid, the packs being built and the watermarks of the rows' jobs. */
export interface BillContext {
  state: UsageState;
  /** The chain's clock: nothing at or after it is billed. */
  now: bigint;
  grid: WindowGrid;
  packs: PackBuilder;
  /** Watermarks of the jobs at hand: read in one statement, updated as rows are billed. */
  marks: Map<string, bigint>;
  changed: Map<string, [cluster: string, jobId: string, billedUntil: bigint]>;
  /** Slices cut and GPU-seconds billed so far. */
  totals: { slices: number; gpuSeconds: bigint };
}

/** A bill context for the jobs of `jobs` (their watermarks read in one statement). */
export function billContext(
  state: UsageState,
  now: bigint,
  grid: WindowGrid,
  packs: PackBuilder,
  jobs: Iterable<readonly [cluster: string, jobId: string]>,
  totals: { slices: number; gpuSeconds: bigint },
): BillContext {
  const unique = new Map<string, readonly [string, string]>();
  for (const [cluster, jobId] of jobs) unique.set(jobKey(cluster, jobId), [cluster, jobId]);
  return { state, now, grid, packs, marks: state.watermarksOf([...unique.values()]), changed: new Map(), totals };
}

/** Writes the watermarks a bill context moved (in the caller's transaction). */
export function saveWatermarks(ctx: BillContext): void {
  ctx.state.setWatermarks([...ctx.changed.values()]);
  ctx.changed.clear();
}

/** Slices a billed record into the packs being built. */
export function addBilled(ctx: BillContext, record: UsageRecord): void {
  ctx.totals.gpuSeconds += record.gpuSeconds;
  ctx.totals.slices += ctx.packs.addRecord(record, ctx.grid);
}

/**
 * Bills a Slurm row through its job's watermark up to the chain's clock: the part after the
 * watermark and before `now` is sliced into the packs, and a part the clock has not reached
 * is kept in the state as a waiting row (with `decisionId` when an operator accepted the row)
 * for a later run. The outcome: `waiting` while any part waits, else `new` when something was
 * billed, else `duplicate` (the watermark covers it all).
 */
export function billJob(ctx: BillContext, job: SlurmRecord, decisionId: number | null = null): { outcome: "new" | "duplicate" | "waiting"; record?: UsageRecord } {
  const { cluster, jobId } = job.recordKey;
  const key = jobKey(cluster, jobId);
  const watermark = ctx.marks.get(key);
  const record = billSlurmRecord(job, watermark, { notAfter: ctx.now });
  let billedUntil = watermark;
  if (record !== undefined) {
    ctx.marks.set(key, record.end);
    ctx.changed.set(key, [cluster, jobId, record.end]);
    billedUntil = record.end;
    addBilled(ctx, record);
  }
  // The rest the clock has not reached: [max(start, billed until, now), end).
  let waitsFrom = job.start;
  if (billedUntil !== undefined && billedUntil > waitsFrom) waitsFrom = billedUntil;
  if (ctx.now > waitsFrom) waitsFrom = ctx.now;
  if (job.end > waitsFrom) {
    ctx.state.keepWaiting({
      sourceFile: job.source.file,
      sourceLine: job.source.line,
      cluster,
      jobId,
      account: job.account,
      agreementId: job.agreementId,
      sku: job.sku,
      start: job.start,
      end: job.end,
      gpus: job.gpus,
      waitsFrom,
      decisionId,
    });
    return { outcome: "waiting", record };
  }
  return { outcome: record === undefined ? "duplicate" : "new", record };
}

/**
 * Reads the files into the state. Each block of lines is billed as it is read (its jobs'
 * watermarks looked up in one statement); every CHUNK rows, and at the end of a file, the
 * open transaction is committed with the chunk's packs and waiting rows. A file read to its
 * end is remembered (path, size, modification time) and not read again while unchanged: it is
 * done once none of its rows waits (its waiting rows are billed from the state, see resume.ts).
 */
export async function ingestFiles(state: UsageState, files: readonly string[], options: IngestOptions): Promise<IngestCounts> {
  await loadKeccak();
  const counts = emptyIngestCounts();
  const packs = new PackBuilder();
  state.forgetCaches();
  for (const file of files) {
    const stat = statSync(file);
    if (state.isFileIngested(file, stat.size, stat.mtimeMs)) {
      counts.skippedFiles += 1;
      (state.hasWaitingRows(file) ? counts.readEarlier : counts.doneEarlier).push(file);
      continue;
    }
    counts.files += 1;
    const kind = detectInputKind(file);
    const parser: LineParser<SlurmRecord | UsageRecord> =
      kind === "slurm" ? createSlurmParser(file, options.settings) : createMeteringParser(file, options.settings, meteringFormatOf(file));
    let rows = 0;
    state.begin();
    try {
      for await (const events of parseFileBlocks(file, parser)) {
        applyBlock(state, events, options, counts, packs);
        rows += events.length;
        if (rows >= CHUNK) {
          packs.write(state, file);
          state.commit();
          rows = 0;
          options.onProgress?.(counts);
          state.begin();
        }
      }
      packs.write(state, file);
      state.commit();
    } catch (err) {
      state.rollback();
      packs.clear();
      throw err;
    }
    // Durable (its fsync covers the chunks before it): a file counts as read only once its
    // rows are on disk. Killed before this, the file is read again and its rows are duplicates.
    state.transaction(() => state.markFileIngested(file, stat.size, stat.mtimeMs), { durable: true });
    options.onProgress?.(counts);
  }
  return counts;
}

/** Bills one block of events (inside the open transaction): its jobs' watermarks are read and written in one statement each. */
function applyBlock(state: UsageState, events: readonly AnyEvent[], options: IngestOptions, counts: IngestCounts, packs: PackBuilder): void {
  const jobs: [string, string][] = [];
  for (const e of events) {
    if (e.kind !== "record" || !("recordKey" in e.record)) continue;
    jobs.push([e.record.recordKey.cluster, e.record.recordKey.jobId]);
  }
  const ctx = billContext(state, options.now, options.grid, packs, jobs, counts);
  for (const e of events) applyEvent(ctx, counts, e);
  saveWatermarks(ctx);
}

function applyEvent(ctx: BillContext, counts: IngestCounts, event: AnyEvent): void {
  const { state } = ctx;
  counts.read += 1;
  if (event.kind === "quarantined") {
    counts.quarantined += 1;
    state.addQuarantine(event.entry);
    return;
  }
  if (event.kind === "ignored") {
    counts.ignored += 1;
    return;
  }
  if (event.kind === "waiting") {
    // A job without an end (pending, running, never started): the row holds nothing to bill and its watermark
    // does not move, so the job's row with its End in a later export bills it whole from its Start.
    counts.waiting += 1;
    counts.pendingJobs += 1;
    return;
  }
  if ("recordKey" in event.record) {
    // Slurm: the watermark makes each billed part's recordId unique; it is not kept in `records`.
    counts[billJob(ctx, event.record).outcome] += 1;
    return;
  }
  const record = event.record;
  if (!state.addRecord(record.recordId, record.source.file, record.source.line)) {
    counts.duplicate += 1;
    return;
  }
  counts.new += 1;
  addBilled(ctx, record);
}

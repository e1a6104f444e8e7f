// Reading exports into the state (SERVICES §2 "Inputs", "Processing"): each row is parsed by
// its adapter, quarantined with its reason or billed (Slurm through the per-job watermark),
// checked for a duplicate recordId and sliced over the window grid. Rows are committed in
// chunks, each chunk in one transaction with the watermarks, recordIds and slices it wrote;
// the slices of a chunk are stored as packs, one per window piece (see packs.ts).
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { ValidationError } from "../../sdk/errors";
import { parseFileBlocks, type LineParser } from "../sources/lines";
import { createMeteringParser, meteringFormatOf } from "../sources/metering";
import { billSlurmRecord, createSlurmParser, type SlurmRecord } from "../sources/slurm";
import type { SourceEvent } from "../sources/types";
import type { UsageRecord, UsageSourceSettings } from "../sources/usage";
import { jobKey, type UsageState } from "../state/usageState";
import { PackBuilder } from "./packs";
import type { WindowGrid } from "./slicing";

/** The two kinds of export. */
export type InputKind = "slurm" | "metering";

/** Counts of one ingestion (SERVICES §2: read, new, duplicate, quarantined). */
export interface IngestCounts {
  files: number;
  /** Files skipped because they were read to the end before, unchanged. */
  skippedFiles: number;
  read: number;
  new: number;
  duplicate: number;
  quarantined: number;
  ignored: number;
  waiting: number;
  slices: number;
  /** GPU-seconds of the new records. */
  gpuSeconds: bigint;
}

/** Zeroed counts. */
export function emptyIngestCounts(): IngestCounts {
  return { files: 0, skippedFiles: 0, read: 0, new: 0, duplicate: 0, quarantined: 0, ignored: 0, waiting: 0, slices: 0, gpuSeconds: 0n };
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

/** What billing one block of events works with. */
interface ChunkContext {
  state: UsageState;
  options: IngestOptions;
  counts: IngestCounts;
  packs: PackBuilder;
  /** Watermarks of the block's jobs: read in one statement, updated as rows are billed. */
  marks: Map<string, bigint>;
  changed: Map<string, [cluster: string, jobId: string, billedUntil: bigint]>;
}

/**
 * Reads the files into the state. Each block of lines is billed as it is read (its jobs'
 * watermarks looked up in one statement); every CHUNK rows, and at the end of a file, the
 * open transaction is committed with the chunk's packs. A file read to its end is remembered
 * (path, size, modification time) and skipped next time while unchanged.
 */
export async function ingestFiles(state: UsageState, files: readonly string[], options: IngestOptions): Promise<IngestCounts> {
  const counts = emptyIngestCounts();
  const packs = new PackBuilder();
  state.forgetCaches();
  for (const file of files) {
    const stat = statSync(file);
    if (state.isFileIngested(file, stat.size, stat.mtimeMs)) {
      counts.skippedFiles += 1;
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
  const jobs = new Map<string, [string, string]>();
  for (const e of events) {
    if (e.kind !== "record" || !("recordKey" in e.record)) continue;
    const { cluster, jobId } = e.record.recordKey;
    jobs.set(jobKey(cluster, jobId), [cluster, jobId]);
  }
  const ctx: ChunkContext = { state, options, counts, packs, marks: state.watermarksOf([...jobs.values()]), changed: new Map() };
  for (const e of events) applyEvent(ctx, e);
  state.setWatermarks([...ctx.changed.values()]);
}

/** Bills a Slurm job through its watermark; undefined when nothing is new (counted). */
function billJob(ctx: ChunkContext, job: SlurmRecord): UsageRecord | undefined {
  const { cluster, jobId } = job.recordKey;
  const notAfter = ctx.options.now;
  const fresh = billSlurmRecord(job, undefined, { notAfter });
  if (fresh === undefined) {
    ctx.counts.waiting += 1;
    return undefined;
  }
  const key = jobKey(cluster, jobId);
  const watermark = ctx.marks.get(key);
  const record = watermark === undefined ? fresh : billSlurmRecord(job, watermark, { notAfter });
  if (record === undefined) {
    ctx.counts.duplicate += 1;
    return undefined;
  }
  ctx.marks.set(key, record.end);
  ctx.changed.set(key, [cluster, jobId, record.end]);
  return record;
}

function applyEvent(ctx: ChunkContext, event: AnyEvent): void {
  const { state, counts } = ctx;
  counts.read += 1;
  if (event.kind === "quarantined") {
    counts.quarantined += 1;
    const { file, line, raw, reason, detail } = event.entry;
    state.addQuarantine({ file, line, raw, reason, detail });
    return;
  }
  if (event.kind === "ignored") {
    counts.ignored += 1;
    return;
  }
  if (event.kind === "waiting") {
    counts.waiting += 1;
    return;
  }
  let record: UsageRecord | undefined;
  if ("recordKey" in event.record) {
    // Slurm: the watermark makes each billed part's recordId unique; it is not kept in `records`.
    record = billJob(ctx, event.record);
    if (record === undefined) return;
  } else {
    record = event.record;
    if (!state.addRecord(record.recordId, record.source.file, record.source.line)) {
      counts.duplicate += 1;
      return;
    }
  }
  counts.new += 1;
  counts.gpuSeconds += record.gpuSeconds;
  counts.slices += ctx.packs.addRecord(record, ctx.options.grid);
}

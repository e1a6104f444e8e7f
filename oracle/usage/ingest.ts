// Reading exports into the state (SERVICES §2 "Inputs", "Processing"): each row is parsed by
// its adapter, quarantined with its reason or billed (Slurm through the per-job watermark),
// checked for a duplicate recordId and sliced over the window grid. Rows are committed in
// chunks, each chunk in one transaction with the watermarks, recordIds and slices it wrote.
import { closeSync, openSync, readdirSync, readSync, statSync } from "node:fs";
import { join } from "node:path";
import { ValidationError } from "../../sdk/errors";
import { readMeteringFile } from "../sources/metering";
import { billSlurmRecord, readSlurmFile, type SlurmRecord } from "../sources/slurm";
import type { SourceEvent } from "../sources/types";
import type { UsageRecord, UsageSourceSettings } from "../sources/usage";
import type { UsageState } from "../state/usageState";
import { sliceRecord, type WindowGrid } from "./slicing";

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
const CHUNK = 20_000;

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

type AnyEvent = { kind: "slurm"; event: SourceEvent<SlurmRecord> } | { kind: "metering"; event: SourceEvent<UsageRecord> };

/**
 * Reads the files into the state. A file read to its end is remembered (path, size,
 * modification time) and skipped next time while unchanged.
 */
export async function ingestFiles(state: UsageState, files: readonly string[], options: IngestOptions): Promise<IngestCounts> {
  const counts = emptyIngestCounts();
  for (const file of files) {
    const stat = statSync(file);
    if (state.isFileIngested(file, stat.size, stat.mtimeMs)) {
      counts.skippedFiles += 1;
      continue;
    }
    counts.files += 1;
    const kind = detectInputKind(file);
    const source: AsyncGenerator<SourceEvent<SlurmRecord> | SourceEvent<UsageRecord>> =
      kind === "slurm" ? readSlurmFile(file, options.settings) : readMeteringFile(file, options.settings);
    let chunk: AnyEvent[] = [];
    const flush = (last: boolean) => {
      const events = chunk;
      chunk = [];
      state.transaction(() => {
        for (const e of events) applyEvent(state, e, options, counts);
        if (last) state.markFileIngested(file, stat.size, stat.mtimeMs);
      });
      options.onProgress?.(counts);
    };
    for await (const event of source) {
      chunk.push(kind === "slurm" ? { kind, event: event as SourceEvent<SlurmRecord> } : { kind, event: event as SourceEvent<UsageRecord> });
      if (chunk.length >= CHUNK) flush(false);
    }
    flush(true);
  }
  return counts;
}

function applyEvent(state: UsageState, e: AnyEvent, options: IngestOptions, counts: IngestCounts): void {
  counts.read += 1;
  const event = e.event;
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
  if (e.kind === "slurm") {
    const job = e.event.kind === "record" ? e.event.record : undefined;
    if (job === undefined) return;
    const { cluster, jobId } = job.recordKey;
    // A job seen for the first time claims its watermark in the same statement.
    const fresh = billSlurmRecord(job, undefined, { notAfter: options.now });
    if (fresh === undefined) {
      counts.waiting += 1;
      return;
    }
    const watermark = state.watermark(cluster, jobId, fresh.end);
    if (watermark === undefined) record = fresh;
    else {
      record = billSlurmRecord(job, watermark, { notAfter: options.now });
      if (record === undefined) {
        counts.duplicate += 1;
        return;
      }
      state.setWatermark(cluster, jobId, record.end);
    }
  } else {
    record = e.event.kind === "record" ? e.event.record : undefined;
    if (record === undefined) return;
  }
  if (!state.addRecord(record.recordId, record.source.file, record.source.line)) {
    counts.duplicate += 1;
    return;
  }
  counts.new += 1;
  counts.gpuSeconds += record.gpuSeconds;
  for (const slice of sliceRecord(record, options.grid)) {
    state.addSlice({ ...slice, gpus: record.gpus, carried: false });
    counts.slices += 1;
  }
}

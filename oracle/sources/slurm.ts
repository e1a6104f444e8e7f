// Slurm accounting adapter (SERVICES §2, input 1): reads `sacct -X -P --truncate` exports and
// bills each job once through its watermark.
import { parseFile, parseText, type LineParser, type SourceLine } from "./lines";
import { isHeaderAgain, mapColumns, MissingHeaderError, normalizeColumnName, type ColumnIndex } from "./columns";
import { parseLocalDateTime, parseTimestamp, TimeZoneClock, type LocalDateTime } from "./time";
import {
  checkUsageBounds,
  usageSettings,
  type Refusal,
  type UsageCandidate,
  type UsageQuarantineEntry,
  type UsageRecord,
  type UsageSourceConfig,
  type UsageSourceSettings,
} from "./usage";
import { collectEvents, type ParsedSource, type QuarantineReason, type SourceEvent, type SourceRef } from "./types";

/** The export command the adapter expects (SERVICES §2). */
export const SACCT_COMMAND =
  "sacct --allusers -X -P --truncate -S <from> -E <to> --format=JobIDRaw,Cluster,User,Account,Partition,State,Start,End,ElapsedRaw,AllocTRES,NodeList";

const REQUIRED = ["JobIDRaw", "Cluster", "Account", "Partition", "Start", "End", "AllocTRES"] as const;
const OPTIONAL = ["ElapsedRaw"] as const;
type Column = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];

/**
 * One job allocation as exported: times in unix seconds, the whole exported interval (the
 * watermark decides which part is billed, see {@link billSlurmRecord}).
 */
export interface SlurmRecord {
  /** The job's identity across exports: the watermark is kept per key. */
  recordKey: { cluster: string; jobId: string };
  account: string;
  agreementId: bigint;
  sku: string;
  /** Start, unix seconds (clipped to the export window by `--truncate`). */
  start: bigint;
  /** End, unix seconds (a running job shows the export window's end). */
  end: bigint;
  gpus: bigint;
  /** gpus × (end − start). */
  gpuSeconds: bigint;
  source: SourceRef;
}

// Plain `1234`, array task `1234_7`, pending array `1234_[1-5%2]`, heterogeneous component `1234+0`.
const JOB_ID = /^\d+(?:_\d+|_\[[\d,%-]+\]|\+\d+)?$/;
const WAITING = new Set(["unknown", "none"]);
const COUNT = /^\d+$/;

type Tres = { ok: true; typed: [type: string, gpus: bigint][]; untyped: bigint | undefined } | { ok: false; detail: string };

const GRES_GPU = "gres/gpu";

/** Reads `AllocTRES` (`billing=128,cpu=128,gres/gpu:h100=8,gres/gpu=8,mem=1T,node=1`). */
function parseAllocTres(text: string): Tres {
  const typed: [string, bigint][] = [];
  let untyped: bigint | undefined;
  if (text === "") return { ok: true, typed, untyped };
  for (let from = 0; from <= text.length; ) {
    let comma = text.indexOf(",", from);
    if (comma === -1) comma = text.length;
    const eq = text.indexOf("=", from);
    if (eq <= from || eq >= comma) return { ok: false, detail: `AllocTRES entry ${JSON.stringify(text.slice(from, comma))} is not key=value` };
    // gres/gpumem and gres/gpuutil are other TRES: only `gres/gpu` and `gres/gpu:<type>` count GPUs.
    const gpuKey = text.startsWith(GRES_GPU, from) && (eq === from + GRES_GPU.length || text.charCodeAt(from + GRES_GPU.length) === 58); /* ":" */
    if (gpuKey) {
      const key = text.slice(from, eq);
      const value = text.slice(eq + 1, comma);
      if (!COUNT.test(value)) return { ok: false, detail: `AllocTRES ${key}=${JSON.stringify(value)} is not a GPU count` };
      if (key === GRES_GPU) untyped = (untyped ?? 0n) + BigInt(value);
      else {
        const type = key.slice(GRES_GPU.length + 1);
        if (type === "") return { ok: false, detail: `AllocTRES entry ${JSON.stringify(text.slice(from, comma))} has an empty GPU type` };
        const seen = typed.find((t) => t[0] === type);
        if (seen) seen[1] += BigInt(value);
        else typed.push([type, BigInt(value)]);
      }
    }
    from = comma + 1;
  }
  return { ok: true, typed, untyped };
}

/**
 * GPUs and sku of an allocation that has GPUs: the typed ones if any (each type → sku through
 * skuMap, all of one sku), else the untyped count with the partition's sku.
 */
function gpusAndSku(
  settings: UsageSourceSettings,
  tres: { typed: [string, bigint][]; untyped: bigint | undefined },
  partition: string,
): { gpus: bigint; sku: string } | Refusal {
  let gpus = 0n;
  let sku: string | undefined;
  const skus: string[] = [];
  for (const [type, n] of tres.typed) {
    if (n <= 0n) continue;
    const mapped = settings.skuMap.get(type);
    if (mapped === undefined) {
      return { reason: "unknown-sku", detail: `GPU type ${JSON.stringify(type)} is not in skuMap; add it to the config` };
    }
    if (!skus.includes(mapped)) skus.push(mapped);
    sku = mapped;
    gpus += n;
  }
  if (skus.length > 1) {
    return { reason: "mixed-sku", detail: `one allocation holds GPUs of several skus (${skus.join(", ")})` };
  }
  if (sku !== undefined) return { gpus, sku };
  const partitionSku = settings.partitionSkus.get(partition);
  if (partitionSku === undefined) {
    return {
      reason: "unknown-sku",
      detail: `AllocTRES names no GPU type and partition ${JSON.stringify(partition)} is not in partitionSkus; add it to the config`,
    };
  }
  return { gpus: tres.untyped ?? 0n, sku: partitionSku };
}

/**
 * Start and end instants of a row. sacct prints wall-clock times of the configured zone; in
 * a repeated (fall-back) hour a reading has two instants: the pair whose difference equals
 * `ElapsedRaw` wins, else the earliest pair that does not end before it starts, else the
 * earliest of each.
 */
function resolveInterval(
  clock: TimeZoneClock,
  start: LocalDateTime | bigint,
  end: LocalDateTime | bigint,
  elapsedText: string,
): { start: bigint; end: bigint } {
  if (clock.isUtc) {
    return { start: typeof start === "bigint" ? start : utcSeconds(start), end: typeof end === "bigint" ? end : utcSeconds(end) };
  }
  const elapsed = COUNT.test(elapsedText) ? BigInt(elapsedText) : undefined;
  const starts = typeof start === "bigint" ? [start] : clock.candidates(start);
  const ends = typeof end === "bigint" ? [end] : clock.candidates(end);
  if (starts.length === 1 && ends.length === 1) return { start: starts[0], end: ends[0] };
  const pairs = starts.flatMap((s) => ends.map((e) => ({ start: s, end: e })));
  return (
    (elapsed !== undefined ? pairs.find((p) => p.end - p.start === elapsed) : undefined) ?? pairs.find((p) => p.end >= p.start) ?? pairs[0]
  );
}

/** A Start/End field: a wall-clock time, a time with its own zone, or undefined when malformed. */
function readTime(text: string): LocalDateTime | bigint | undefined {
  return parseLocalDateTime(text) ?? parseTimestamp(text);
}

const isDigit = (c: number): boolean => c >= 48 && c <= 57;

/** `Unknown` or `None` in any case (a pending job's Start/End). */
function isWaiting(text: string): boolean {
  return (text.length === 7 || text.length === 4) && WAITING.has(text.toLowerCase());
}

/** A wall-clock reading taken as UTC, in unix seconds. */
function utcSeconds(ldt: LocalDateTime): bigint {
  return BigInt(Date.UTC(ldt.year, ldt.month - 1, ldt.day, ldt.hour, ldt.minute, ldt.second) / 1000);
}

function quarantined(source: SourceRef, raw: string, reason: QuarantineReason, detail: string, candidate?: UsageCandidate): SourceEvent<SlurmRecord> {
  const entry: UsageQuarantineEntry = candidate ? { ...source, raw, reason, detail, candidate } : { ...source, raw, reason, detail };
  return { kind: "quarantined", entry };
}

/**
 * What a quarantined row would bill: its GPUs (the typed ones, else the untyped count), the sku
 * when the GPU type or partition maps to one (else the type names), the whole exported interval.
 */
function slurmCandidate(
  settings: UsageSourceSettings,
  job: { cluster: string; jobId: string; account: string; partition: string },
  tres: { typed: [string, bigint][]; untyped: bigint | undefined },
  interval: { start: bigint; end: bigint },
): UsageCandidate {
  const allocation = gpusAndSku(settings, tres, job.partition);
  const typed = tres.typed.filter(([, n]) => n > 0n);
  const gpus = "reason" in allocation ? (typed.length > 0 ? typed.reduce((sum, [, n]) => sum + n, 0n) : (tres.untyped ?? 0n)) : allocation.gpus;
  const length = interval.end > interval.start ? interval.end - interval.start : 0n;
  return {
    source: "slurm",
    cluster: job.cluster,
    jobId: job.jobId,
    account: job.account,
    ...("reason" in allocation ? {} : { sku: allocation.sku }),
    ...(typed.length > 0 ? { gpuTypes: typed.map(([type]) => type) } : {}),
    start: interval.start.toString(),
    end: interval.end.toString(),
    gpus: gpus.toString(),
    gpuSeconds: (gpus * length).toString(),
  };
}

class SlurmParser implements LineParser<SlurmRecord> {
  private header: string[] | undefined;
  private columns: ColumnIndex<Column> | undefined;
  private trailingPipe = false;

  constructor(
    private readonly file: string,
    private readonly settings: UsageSourceSettings,
  ) {}

  push({ text, line }: SourceLine): SourceEvent<SlurmRecord>[] {
    if (text.trim() === "") return [];
    const fields = text.split("|");
    for (let i = 0; i < fields.length; i++) {
      const f = fields[i];
      // trim() only where a field may start or end with white space
      if (f.length > 0 && (f.charCodeAt(0) <= 32 || f.charCodeAt(0) >= 0xa0 || f.charCodeAt(f.length - 1) <= 32 || f.charCodeAt(f.length - 1) >= 0xa0)) {
        fields[i] = f.trim();
      }
    }
    if (this.header === undefined) {
      // `sacct -p` ends every line with "|": accept it like `-P`.
      this.trailingPipe = fields.length > 1 && fields[fields.length - 1] === "";
      if (this.trailingPipe) fields.pop();
      this.columns = mapColumns(this.file, fields, REQUIRED, OPTIONAL, `Export with: ${SACCT_COMMAND}`);
      this.header = fields.map(normalizeColumnName);
      return [];
    }
    if (this.trailingPipe && fields.length === this.header.length + 1 && fields[fields.length - 1] === "") fields.pop();
    return [this.row(fields, { file: this.file, line }, text)];
  }

  end(): SourceEvent<SlurmRecord>[] {
    if (this.header === undefined) throw new MissingHeaderError(this.file, `Export with: ${SACCT_COMMAND}`);
    return [];
  }

  private row(fields: string[], source: SourceRef, raw: string): SourceEvent<SlurmRecord> {
    const header = this.header as string[];
    const col = this.columns as ColumnIndex<Column>;
    const settings = this.settings;
    // A row whose first field starts with a digit cannot be the header again (normalizing keeps a leading digit).
    if (!(isDigit(fields[0].charCodeAt(0)) && !isDigit(header[0].charCodeAt(0))) && isHeaderAgain(fields, header)) {
      return { kind: "ignored", reason: "repeated-header", source };
    }
    if (fields.length !== header.length) {
      return quarantined(source, raw, "parse-error", `expected ${header.length} "|"-separated fields as in the header, found ${fields.length}`);
    }

    const jobId = fields[col.JobIDRaw];
    const dot = jobId.indexOf(".");
    if (dot > 0 && JOB_ID.test(jobId.slice(0, dot))) {
      return quarantined(source, raw, 
        "job-step",
        `JobIDRaw ${JSON.stringify(jobId)} is a job step; export allocations only (sacct -X) so steps never double-count`,
      );
    }
    if (!JOB_ID.test(jobId)) return quarantined(source, raw, "parse-error", `JobIDRaw ${JSON.stringify(jobId)} is not a Slurm job id`);
    const cluster = fields[col.Cluster];
    if (cluster === "") return quarantined(source, raw, "parse-error", "Cluster is empty");

    const startText = fields[col.Start];
    const endText = fields[col.End];
    if (isWaiting(startText) || isWaiting(endText)) {
      return { kind: "waiting", source, detail: `job ${cluster}:${jobId} has Start=${startText}, End=${endText}` };
    }
    const start = readTime(startText);
    if (start === undefined) {
      return quarantined(source, raw, "parse-error", `Start ${JSON.stringify(startText)} is not a time like 2026-10-03T14:22:05`);
    }
    const end = readTime(endText);
    if (end === undefined) return quarantined(source, raw, "parse-error", `End ${JSON.stringify(endText)} is not a time like 2026-10-03T14:22:05`);

    const tres = parseAllocTres(fields[col.AllocTRES]);
    if (!tres.ok) return quarantined(source, raw, "malformed-tres", tres.detail);
    const hasGpus = tres.typed.some(([, n]) => n > 0n) || (tres.untyped ?? 0n) > 0n;
    if (!hasGpus) return { kind: "ignored", reason: "non-gpu", source };

    const account = fields[col.Account];
    const agreementId = settings.accounts.get(account);
    const elapsed = col.ElapsedRaw >= 0 ? fields[col.ElapsedRaw] : "";
    // What the row would bill, for the quarantine review (only built for a row set aside).
    const candidate = () =>
      slurmCandidate(settings, { cluster, jobId, account, partition: fields[col.Partition] }, tres, resolveInterval(settings.clock, start, end, elapsed));
    if (agreementId === undefined) {
      if (settings.otherAccounts === "ignore") return { kind: "ignored", reason: "other-account", source };
      return quarantined(source, raw, "unknown-account", `account ${JSON.stringify(account)} is not in the config's accounts`, candidate());
    }

    const allocation = gpusAndSku(settings, tres, fields[col.Partition]);
    if ("reason" in allocation) return quarantined(source, raw, allocation.reason, allocation.detail, candidate());

    const interval = resolveInterval(settings.clock, start, end, elapsed);
    const gpuSeconds = interval.end > interval.start ? allocation.gpus * (interval.end - interval.start) : 0n;
    const refusal = checkUsageBounds(settings, interval.start, interval.end, gpuSeconds);
    if (refusal) return quarantined(source, raw, refusal.reason, refusal.detail, refusal.reason === "too-large" ? candidate() : undefined);
    if (interval.end === interval.start) return { kind: "ignored", reason: "zero-usage", source };

    return {
      kind: "record",
      record: {
        recordKey: { cluster, jobId },
        account,
        agreementId,
        sku: allocation.sku,
        start: interval.start,
        end: interval.end,
        gpus: allocation.gpus,
        gpuSeconds,
        source,
      },
    };
  }
}

/**
 * A line parser for one sacct export (for callers that feed lines themselves).
 *
 * Checks per row, in order (the first failure decides): field count (`parse-error`); a step
 * id such as `1234.batch` (`job-step`); the job id and cluster (`parse-error`); Start or End
 * `Unknown`/`None` → waiting; Start/End times (`parse-error`); AllocTRES (`malformed-tres`;
 * no GPU → ignored `non-gpu`); account (`unknown-account`, or ignored with
 * `otherAccounts: "ignore"`); GPU type or partition → sku (`unknown-sku`, `mixed-sku`); end
 * before start (`end-before-start`); more than `maxRecordGpuSeconds` (`too-large`); zero
 * length → ignored `zero-usage`.
 *
 * @throws MissingColumnError when a required column (JobIDRaw, Cluster, Account, Partition,
 * Start, End, AllocTRES) is not in the header; MissingHeaderError for an empty input.
 */
export function createSlurmParser(file: string, config: UsageSourceConfig | UsageSourceSettings): LineParser<SlurmRecord> {
  return new SlurmParser(file, usageSettings(config));
}

/**
 * Parses a sacct export held in a string (tests, small inputs).
 * @example const { records, quarantined, counts } = parseSlurmText(text, config, "jobs.txt");
 */
export function parseSlurmText(text: string, config: UsageSourceConfig | UsageSourceSettings, file = "<text>"): ParsedSource<SlurmRecord> {
  return collectEvents(parseText(text, createSlurmParser(file, config)));
}

/**
 * Streams a sacct export file line by line (constant memory for any size).
 * @example for await (const event of readSlurmFile("jobs.txt", settings)) countEvent(counts, event);
 */
export function readSlurmFile(path: string, config: UsageSourceConfig | UsageSourceSettings): AsyncGenerator<SourceEvent<SlurmRecord>> {
  return parseFile(path, createSlurmParser(path, config));
}

/** `slurm:<Cluster>:<JobIDRaw>:<billedStart>` (SERVICES §2). */
export function slurmRecordId(cluster: string, jobId: string, billedStart: bigint): string {
  return `slurm:${cluster}:${jobId}:${billedStart}`;
}

/** Options of {@link billSlurmRecord}. */
export interface BillSlurmOptions {
  /**
   * Bill nothing at or after this instant (unix seconds): pass the current time (or the
   * export's `-E`) so a running job clipped at a window end in the future never bills
   * GPU-seconds that have not happened yet; the watermark then stops here and a later
   * export bills the rest.
   */
  notAfter?: bigint;
}

/**
 * The part of a job's exported interval not billed yet: `[max(start, watermark), end)`
 * (clipped at `notAfter`), as a usage record with
 * `recordId = "slurm:<Cluster>:<JobIDRaw>:<billedStart>"`, or undefined when nothing is left.
 * The job's new watermark is the returned record's `end`; when undefined is returned the
 * watermark stays as it is.
 *
 * @example
 * const billed = billSlurmRecord(record, state.watermark(record.recordKey), { notAfter: now });
 * if (billed) state.setWatermark(record.recordKey, billed.end);
 */
export function billSlurmRecord(
  record: SlurmRecord,
  watermark: bigint | undefined,
  options: BillSlurmOptions = {},
): UsageRecord | undefined {
  const start = watermark !== undefined && watermark > record.start ? watermark : record.start;
  const end = options.notAfter !== undefined && options.notAfter < record.end ? options.notAfter : record.end;
  if (end <= start) return undefined;
  return {
    recordId: slurmRecordId(record.recordKey.cluster, record.recordKey.jobId, start),
    account: record.account,
    agreementId: record.agreementId,
    sku: record.sku,
    start,
    end,
    gpus: record.gpus,
    gpuSeconds: record.gpus * (end - start),
    source: record.source,
  };
}

// Shapes shared by every input adapter (SERVICES §2, §3): where a row came from, why it was
// quarantined or ignored, and the counts a run prints.

/** Where a row came from: the file (or label for text input) and its 1-based line number. */
export interface SourceRef {
  file: string;
  line: number;
}

/**
 * Why a row or slice was quarantined. A closed set: the quarantine file, the run summary and
 * the docs use exactly these names.
 *
 * - `parse-error`: a field is missing or malformed (bad time, number, JSON, CSV quoting, …).
 * - `job-step`: a Slurm step row (`1234.batch`, `1234.0`, …): the export was made without `-X`.
 * - `malformed-tres`: Slurm `AllocTRES` is not a `key=value,…` list or a GPU count is not an integer.
 * - `mixed-sku`: one Slurm allocation holds GPU types that map to different skus.
 * - `unknown-account`: the account is not in the config's `accounts`.
 * - `unknown-sku`: the GPU type, partition or sku is not in the config's `skuMap`/`partitionSkus`.
 * - `end-before-start`: the record ends before it starts.
 * - `too-large`: more than `maxRecordGpuSeconds` (default 1 GPU-year) in one record.
 * - `gpu-seconds-exceed-bound`: a metering record's gpuSeconds exceed `(end − start) × gpus`.
 * - `net-mismatch`: a Stripe revenue row whose `gross − fee` is not its `net` (Stripe's fee is
 *   positive when charged and net = gross − fee): the entry names both figures.
 * - `no-fx-rate`: a revenue row in another currency than USD with no reference rate for its
 *   currency and UTC date in the configured `fxRates` file (or no such file).
 * - `late-after-term`: a late usage slice with no unreported window left inside the term.
 * - `line-rejected`: usage the ledger kept refusing (its line, by the preflight or a
 *   UsageLineRejected event) until the agreement's reporting grace ended; the entry's
 *   `rejection` field holds the ledger's reason for that line itself (e.g. `NoRate`), never
 *   `SiblingRejected` (usage refused only with a sibling line goes back to pending).
 */
export type QuarantineReason =
  | "parse-error"
  | "job-step"
  | "malformed-tres"
  | "mixed-sku"
  | "unknown-account"
  | "unknown-sku"
  | "end-before-start"
  | "too-large"
  | "gpu-seconds-exceed-bound"
  | "net-mismatch"
  | "no-fx-rate"
  | "late-after-term"
  | "line-rejected";

/** Every {@link QuarantineReason}, in the order of the list above. */
export const QUARANTINE_REASONS: readonly QuarantineReason[] = [
  "parse-error",
  "job-step",
  "malformed-tres",
  "mixed-sku",
  "unknown-account",
  "unknown-sku",
  "end-before-start",
  "too-large",
  "gpu-seconds-exceed-bound",
  "net-mismatch",
  "no-fx-rate",
  "late-after-term",
  "line-rejected",
];

/** One line of `quarantine.jsonl`: the row as read, where it was and why it was set aside. */
export interface QuarantineEntry extends SourceRef {
  /** The row's text exactly as read (without the line break). */
  raw: string;
  reason: QuarantineReason;
  /** One sentence for the operator: what is wrong and, where there is one, the fix. */
  detail: string;
}

/**
 * Why a well-formed row carries nothing to bill or report. Ignored rows are counted, never
 * quarantined.
 *
 * - `non-gpu`: a Slurm allocation without GPUs.
 * - `zero-usage`: a usage row that bills 0 GPU-seconds (it ends when it starts, or gpuSeconds is 0).
 * - `not-revenue`: a Stripe row whose reporting_category is not a revenue category.
 * - `repeated-header`: the header line again (exports concatenated with `cat`).
 * - `other-account`: a usage row of an account outside the config, with `otherAccounts: "ignore"`.
 */
export type IgnoreReason = "non-gpu" | "zero-usage" | "not-revenue" | "repeated-header" | "other-account";

/** What an adapter says about one input row. `R` is the adapter's record type. */
export type SourceEvent<R> =
  | { kind: "record"; record: R }
  | { kind: "quarantined"; entry: QuarantineEntry }
  | { kind: "ignored"; reason: IgnoreReason; source: SourceRef }
  | { kind: "waiting"; source: SourceRef; detail: string };

/** Row counts of one input, as a run prints them. `read` = the sum of the other four. */
export interface SourceCounts {
  read: number;
  records: number;
  quarantined: number;
  ignored: number;
  /** Slurm rows of pending jobs (Start/End `Unknown`/`None`): a later export bills them. */
  waiting: number;
}

/** An adapter's whole output for an input held in memory. */
export interface ParsedSource<R> {
  records: R[];
  quarantined: QuarantineEntry[];
  ignored: { reason: IgnoreReason; source: SourceRef }[];
  waiting: { source: SourceRef; detail: string }[];
  counts: SourceCounts;
}

/** A zeroed {@link SourceCounts}. */
export function emptyCounts(): SourceCounts {
  return { read: 0, records: 0, quarantined: 0, ignored: 0, waiting: 0 };
}

/** Adds one event to running counts (for callers that stream a file). */
export function countEvent<R>(counts: SourceCounts, event: SourceEvent<R>): void {
  counts.read += 1;
  if (event.kind === "record") counts.records += 1;
  else if (event.kind === "quarantined") counts.quarantined += 1;
  else if (event.kind === "ignored") counts.ignored += 1;
  else counts.waiting += 1;
}

/** Gathers a stream of events into a {@link ParsedSource}. */
export function collectEvents<R>(events: Iterable<SourceEvent<R>>): ParsedSource<R> {
  const parsed: ParsedSource<R> = { records: [], quarantined: [], ignored: [], waiting: [], counts: emptyCounts() };
  for (const event of events) {
    countEvent(parsed.counts, event);
    if (event.kind === "record") parsed.records.push(event.record);
    else if (event.kind === "quarantined") parsed.quarantined.push(event.entry);
    else if (event.kind === "ignored") parsed.ignored.push({ reason: event.reason, source: event.source });
    else parsed.waiting.push({ source: event.source, detail: event.detail });
  }
  return parsed;
}

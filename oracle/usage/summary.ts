// What every usage run prints (SERVICES §2 "Accounting of every row"): where each row read went,
// with `read = new + duplicate + quarantined + ignored + waiting` for the export files and
// `read = new + duplicate + waiting` for the rows taken from the state (waiting rows of earlier
// runs, rows accepted out of the quarantine); the files done earlier and those still holding
// waiting rows by name; batches, gas, and the gas per GPU-hour attested. Text and JSON carry the
// same figures.
import { relative, isAbsolute } from "node:path";
import { emptyRowCounts, type RowCounts } from "./ingest";
import { emptyResumeCounts, type ResumeCounts } from "./resume";

/** The figures of one run. The row counts at the top level are those of the export files read. */
export interface UsageRunSummary extends RowCounts {
  /**
   * Of `waiting`: rows of jobs without an end (Start or End `Unknown`/`None`: pending, running when exported
   * without --truncate, or cancelled before they started). They bill nothing and are not kept in the state: the
   * job's row with its End in a later export bills it whole from its Start (its watermark never moved).
   */
  pendingJobs: number;
  /** Files not read again because they were read before and none of their rows waits. */
  doneEarlier: string[];
  /** Files (read in this run or before) that still hold rows waiting for the chain's clock, with how many. */
  waitingFiles: { file: string; rows: number }[];
  /** Waiting rows of earlier runs, as this run found them. */
  earlier: ResumeCounts;
  /** Rows operators accepted out of the quarantine (`dsx usage quarantine accept`), billed by this run. */
  accepted: ResumeCounts;
  /** Slices quarantined while planning (`late-after-term`, `line-rejected`): usage of rows counted in earlier runs. */
  slicesQuarantined: number;
  /** Batches built and signed (or prepared for co-signers) in this run. */
  batched: number;
  /** Batches recorded on chain in this run (including ones a previous run had sent). */
  submitted: number;
  /** Lines refused: by the preflight and by the ledger. */
  rejected: number;
  gasUsed: bigint;
  /** GPU-seconds the ledger accepted in the batches recorded in this run. */
  gpuSecondsAttested: bigint;
  /** Batches waiting for co-signers' signature files. */
  awaitingSignatures: string[];
  /** Why the run stopped early, when it did (partner inactive, ledger paused, …). */
  blocked?: string;
}

export function emptySummary(): UsageRunSummary {
  return {
    ...emptyRowCounts(),
    pendingJobs: 0,
    doneEarlier: [],
    waitingFiles: [],
    earlier: emptyResumeCounts(),
    accepted: emptyResumeCounts(),
    slicesQuarantined: 0,
    batched: 0,
    submitted: 0,
    rejected: 0,
    gasUsed: 0n,
    gpuSecondsAttested: 0n,
    awaitingSignatures: [],
  };
}

/** Gas per GPU-hour attested (rounded), or undefined when nothing was attested. */
export function gasPerGpuHour(s: Pick<UsageRunSummary, "gasUsed" | "gpuSecondsAttested">): bigint | undefined {
  if (s.gpuSecondsAttested <= 0n) return undefined;
  return (s.gasUsed * 3600n * 2n + s.gpuSecondsAttested) / (2n * s.gpuSecondsAttested);
}

/** GPU-hours of `gpuSeconds` with one decimal. */
function gpuHours(gpuSeconds: bigint): string {
  const tenths = (gpuSeconds * 10n + 1800n) / 3600n;
  return `${tenths / 10n}.${tenths % 10n}`;
}

/** A file's name as the operator gave it: relative to the working folder when inside it. */
function shown(file: string): string {
  const rel = relative(process.cwd(), file);
  return rel !== "" && !rel.startsWith("..") && !isAbsolute(rel) ? rel : file;
}

/** Up to 10 names, then how many more. */
function names(files: readonly string[]): string {
  const listed = files.slice(0, 10).map(shown).join(", ");
  return files.length > 10 ? `${listed} and ${files.length - 10} more` : listed;
}

/** `read N = new … + duplicate … + …` for rows taken from the state. */
function resumed(c: ResumeCounts): string {
  return `${c.read} = new ${c.new} + duplicate ${c.duplicate} + waiting ${c.waiting}`;
}

/**
 * The summary as text: the first line `usage: read N = new … + duplicate … + quarantined … +
 * ignored … + waiting …; batched …, submitted …, rejected …, gas used …`, then one line for each
 * of: jobs without an end among the waiting rows, waiting rows of earlier runs, accepted quarantine rows, slices quarantined while planning,
 * files done earlier, files still holding waiting rows, batches awaiting signatures, why the run
 * stopped (each only when there is something to say).
 */
export function formatSummary(s: UsageRunSummary): string {
  let rows = `read ${s.read} = new ${s.new} + duplicate ${s.duplicate} + quarantined ${s.quarantined} + ignored ${s.ignored} + waiting ${s.waiting}`;
  if (s.pendingJobs > 0) rows += ` (${s.pendingJobs} pending job${s.pendingJobs === 1 ? ": a later export bills it" : "s: a later export bills them"})`;
  const perHour = gasPerGpuHour(s);
  const gas =
    perHour === undefined
      ? `gas used ${s.gasUsed}`
      : `gas used ${s.gasUsed} for ${gpuHours(s.gpuSecondsAttested)} GPU-hours attested (${perHour} gas per GPU-hour)`;
  const lines = [`usage: ${rows}; batched ${s.batched}, submitted ${s.submitted}, rejected ${s.rejected}, ${gas}`];
  if (s.pendingJobs > 0) {
    lines.push(
      `usage: ${s.pendingJobs} of the waiting rows ${s.pendingJobs === 1 ? "is a job" : "are jobs"} without an end (pending, running when exported, or never started): ` +
        "not kept, billed whole from the job's Start by its row in a later export",
    );
  }
  if (s.earlier.read > 0) lines.push(`usage: waiting rows of earlier runs: ${resumed(s.earlier)}`);
  if (s.accepted.read > 0) lines.push(`usage: rows accepted from the quarantine: ${resumed(s.accepted)}`);
  if (s.slicesQuarantined > 0) lines.push(`usage: slices quarantined while planning: ${s.slicesQuarantined} (see quarantine.jsonl, \`dsx usage quarantine list\`)`);
  if (s.doneEarlier.length > 0) lines.push(`usage: done earlier: ${names(s.doneEarlier)}`);
  if (s.waitingFiles.length > 0) {
    const listed = s.waitingFiles.slice(0, 10).map((w) => `${shown(w.file)} (${w.rows})`);
    if (s.waitingFiles.length > 10) listed.push(`and ${s.waitingFiles.length - 10} more`);
    lines.push(`usage: rows waiting for the chain's clock (billed by a later run): ${listed.join(", ")}`);
  }
  if (s.awaitingSignatures.length > 0) lines.push(`usage: awaiting signatures: ${s.awaitingSignatures.join(", ")}`);
  if (s.blocked) lines.push(`usage: stopped: ${s.blocked}`);
  return lines.join("\n");
}

/** The summary as JSON (bigints as decimal strings; `gasPerGpuHour` null when nothing was attested). */
export function summaryJson(s: UsageRunSummary): Record<string, unknown> {
  const perHour = gasPerGpuHour(s);
  return {
    ...s,
    gasUsed: s.gasUsed.toString(),
    gpuSecondsAttested: s.gpuSecondsAttested.toString(),
    gasPerGpuHour: perHour === undefined ? null : perHour.toString(),
  };
}

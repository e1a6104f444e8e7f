// Usage slicing and batching (SERVICES §2, "Slicing" and "Late slices"): billed intervals are
// cut over fixed UTC windows and at term edges / rate changes; each closed piece of a window
// becomes a batch whose lines sum GPU-seconds per (agreementId, sku). Pure functions only.
import type { Hex } from "viem";
import { skuToBytes32, type UsageLine } from "../../sdk/eip712";
import { ValidationError } from "../../sdk/errors";
import type { UsageRecord } from "../sources/usage";
import type { SliceRow } from "../state/usageState";
import type { UsageLeafFields } from "./evidence";

/** Window length when the config sets none: one hour. */
export const DEFAULT_WINDOW_SECONDS = 3600n;
/** How long after a window's end it stays open for late data when the config sets none. */
export const DEFAULT_LAG_SECONDS = 900n;
/** Most lines a batch may hold (PROTOCOL §6). */
export const MAX_BATCH_LINES = 256;

const MAX_UINT64 = 2n ** 64n - 1n;

/**
 * A fixed UTC window `[windowStart, windowEnd)` (a multiple of the window length since the
 * epoch) and the piece `[pieceStart, pieceEnd)` of it between two cut points: the piece is
 * what one batch covers (its periodStart/periodEnd). Without a cut inside the window the
 * piece is the whole window. The fields are those of a stored slice (`SliceRow`).
 */
export type WindowPiece = Pick<SliceRow, "windowStart" | "windowEnd" | "pieceStart" | "pieceEnd">;

/** A {@link WindowPiece} in numbers (unix seconds). */
export interface NumberPiece {
  windowStart: number;
  windowEnd: number;
  pieceStart: number;
  pieceEnd: number;
}

/** What slicing needs of a billed usage record. */
export type SliceableRecord = Pick<UsageRecord, "recordId" | "agreementId" | "sku" | "start" | "end" | "gpus" | "gpuSeconds">;

/**
 * The part of a record inside one window piece: its leaf's fields (evidence.ts
 * `USAGE_LEAF_FIELDS`) and its piece. `sliceStart`/`sliceEnd` are the record's true times; the
 * piece fields say which batch carries it (for a carried late slice, a later one).
 */
export type UsageSlice = UsageLeafFields & WindowPiece;

/** How windows are laid out. */
export interface WindowOptions {
  /** Window length in seconds. Default 3600. */
  windowSeconds?: bigint;
  /**
   * Instants where every window is additionally cut: all agreements' startTime and
   * effectiveEnd and all scheduled rate changes, in any order, repeats allowed.
   */
  cuts?: readonly bigint[];
}

/** A window layout: window length plus sorted, distinct cut points. */
export class WindowGrid {
  readonly windowSeconds: bigint;
  private readonly cuts: bigint[];
  /** The same in numbers, for {@link pieceAtSeconds} (times far below 2^53). */
  private readonly windowNumber: number;
  private readonly cutNumbers: number[];

  constructor(options: WindowOptions = {}) {
    this.windowSeconds = options.windowSeconds ?? DEFAULT_WINDOW_SECONDS;
    if (this.windowSeconds <= 0n) {
      throw new ValidationError(`windowSeconds = ${this.windowSeconds} must be above 0.`, { fix: "Use e.g. 3600." });
    }
    this.cuts = [...new Set(options.cuts ?? [])].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    this.windowNumber = Number(this.windowSeconds);
    this.cutNumbers = this.cuts.filter((c) => c <= BigInt(Number.MAX_SAFE_INTEGER)).map(Number);
  }

  /**
   * {@link pieceAt} in numbers, for the ingestion hot path: `t` must be a safe integer ≥ 0
   * (unix seconds). The result equals pieceAt's for every such t.
   */
  pieceAtSeconds(t: number): NumberPiece {
    const w = this.windowNumber;
    const windowStart = t - (t % w);
    const windowEnd = windowStart + w;
    const cuts = this.cutNumbers;
    let lo = 0;
    let hi = cuts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cuts[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    const before = lo > 0 ? cuts[lo - 1] : -1;
    const after = lo < cuts.length ? cuts[lo] : Infinity;
    return {
      windowStart,
      windowEnd,
      pieceStart: before > windowStart ? before : windowStart,
      pieceEnd: after < windowEnd ? after : windowEnd,
    };
  }

  /** The window piece that contains instant `t` (`t ≥ 0`). */
  pieceAt(t: bigint): WindowPiece {
    if (t < 0n) throw new ValidationError(`Time ${t} is before 1970.`, { fix: "Pass unix seconds ≥ 0." });
    const windowStart = (t / this.windowSeconds) * this.windowSeconds;
    const windowEnd = windowStart + this.windowSeconds;
    // First cut after t; the one before it (if ≥ windowStart) starts the piece.
    let lo = 0;
    let hi = this.cuts.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.cuts[mid] <= t) lo = mid + 1;
      else hi = mid;
    }
    const before = lo > 0 ? this.cuts[lo - 1] : undefined;
    const after = lo < this.cuts.length ? this.cuts[lo] : undefined;
    return {
      windowStart,
      windowEnd,
      pieceStart: before !== undefined && before > windowStart ? before : windowStart,
      pieceEnd: after !== undefined && after < windowEnd ? after : windowEnd,
    };
  }

  /** Every piece that overlaps `[from, to)`, ascending. */
  piecesBetween(from: bigint, to: bigint): WindowPiece[] {
    const pieces: WindowPiece[] = [];
    for (let t = from; t < to; ) {
      const piece = this.pieceAt(t);
      pieces.push(piece);
      t = piece.pieceEnd;
    }
    return pieces;
  }
}

/**
 * Whether a stored slice no longer fits the grid (a cut point appeared or went away): an own
 * slice must lie in the piece its start falls in; a carried one's target must still be a piece.
 */
export function recutNeeded(
  grid: WindowGrid,
  slice: { sliceStart: bigint; sliceEnd: bigint; pieceStart: bigint; pieceEnd: bigint },
  carried: boolean,
): boolean {
  const piece = grid.pieceAt(carried ? slice.pieceStart : slice.sliceStart);
  if (piece.pieceStart !== slice.pieceStart || piece.pieceEnd !== slice.pieceEnd) return true;
  return !carried && slice.sliceEnd > piece.pieceEnd;
}

function gridOf(options: WindowOptions | WindowGrid): WindowGrid {
  return options instanceof WindowGrid ? options : new WindowGrid(options);
}

/** Every window piece that overlaps `[from, to)`, ascending. */
export function windowPieces(from: bigint, to: bigint, options: WindowOptions | WindowGrid = {}): WindowPiece[] {
  return gridOf(options).piecesBetween(from, to);
}

/**
 * Splits a billed record over the window pieces it overlaps. A slice bills
 * `gpus × overlap seconds` when the record bills its full `(end − start) × gpus` (Slurm);
 * otherwise (a metering record with fewer gpuSeconds) the record's gpuSeconds are spread in
 * proportion to the overlap, rounding down on the running total, so the slices add up to the
 * record exactly and none exceeds `gpus × overlap`. Slices of 0 GPU-seconds are left out.
 *
 * @throws ValidationError when start < 0, end < start or gpuSeconds > (end − start) × gpus.
 * @example sliceRecord({ recordId: "r", agreementId: 1n, sku: "b200", start: 5400n, end: 9000n, gpus: 2n, gpuSeconds: 7200n });
 * // two slices: [5400, 7200) 3600 GPU-s in window [3600, 7200), [7200, 9000) 3600 GPU-s in [7200, 10800)
 */
export function sliceRecord(record: SliceableRecord, options: WindowOptions | WindowGrid = {}): UsageSlice[] {
  const { start, end, gpus, gpuSeconds } = record;
  const bound = end > start ? (end - start) * gpus : 0n;
  if (start < 0n || end < start || gpus < 0n || gpuSeconds < 0n || gpuSeconds > bound) {
    throw new ValidationError(
      `Record ${record.recordId} cannot be sliced: [${start}, ${end}) × ${gpus} GPUs with ${gpuSeconds} GPU-seconds.`,
      { fix: "Pass a record that passed the adapters' checks (0 ≤ start ≤ end, gpuSeconds ≤ (end − start) × gpus)." },
    );
  }
  const duration = end - start;
  const slices: UsageSlice[] = [];
  let billedBefore = 0n;
  for (const piece of gridOf(options).piecesBetween(start, end)) {
    const sliceStart = piece.pieceStart > start ? piece.pieceStart : start;
    const sliceEnd = piece.pieceEnd < end ? piece.pieceEnd : end;
    const billedThrough = (gpuSeconds * (sliceEnd - start)) / duration;
    const sliceGpuSeconds = billedThrough - billedBefore;
    billedBefore = billedThrough;
    if (sliceGpuSeconds === 0n) continue;
    slices.push({
      ...piece,
      recordId: record.recordId,
      agreementId: record.agreementId,
      sku: record.sku,
      sliceStart,
      sliceEnd,
      gpuSeconds: sliceGpuSeconds,
    });
  }
  return slices;
}

/** Whether a window is closed: `now ≥ windowEnd + lagSeconds` (lag default 900 s). */
export function isWindowClosed(piece: Pick<WindowPiece, "windowEnd">, now: bigint, lagSeconds = DEFAULT_LAG_SECONDS): boolean {
  return now >= piece.windowEnd + lagSeconds;
}

/**
 * Whether a slice is late for its (agreement, partner) pair: its piece starts before the
 * pair's `lastUsageEnd` on chain, so the ledger would refuse it as an Overlap.
 */
export function isLateSlice(slice: Pick<WindowPiece, "pieceStart">, lastUsageEnd: bigint): boolean {
  return slice.pieceStart < lastUsageEnd;
}

/** A batch before sequencing and signing: one closed window piece (or a part of its lines). */
export interface BatchDraft {
  periodStart: bigint;
  periodEnd: bigint;
  windowStart: bigint;
  windowEnd: bigint;
  /** Σ gpuSeconds per (agreementId, sku), strictly ascending by (agreementId, sku as bytes32). */
  lines: UsageLine[];
  /** The slices behind the lines: the Merkle tree's leaves. */
  leaves: UsageSlice[];
}

/** Options of {@link buildBatches}. */
export interface BuildBatchesOptions {
  now: bigint;
  /** Default 900 s. */
  lagSeconds?: bigint;
  /**
   * Most lines per batch (default 256). A piece with more lines is split into several batches
   * over the same period, never splitting one agreement's lines (the ledger checks the GPU
   * bound and the overlap per agreement and batch).
   */
  maxLines?: number;
}

function compareLines(a: UsageLine, b: UsageLine): number {
  if (a.agreementId !== b.agreementId) return a.agreementId < b.agreementId ? -1 : 1;
  return a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : 0;
}

/**
 * Splits a piece's lines (ascending by agreement, sku) into chunks of at most `maxLines`
 * lines, in order, never splitting one agreement's lines (the ledger checks the GPU bound and
 * the overlap per agreement and batch).
 * @throws ValidationError when one agreement alone has more than `maxLines` lines.
 */
export function chunkLines(lines: readonly UsageLine[], maxLines = MAX_BATCH_LINES): UsageLine[][] {
  const chunks: UsageLine[][] = [];
  for (let i = 0; i < lines.length; ) {
    let j = i;
    while (j < lines.length && lines[j].agreementId === lines[i].agreementId) j++;
    const agreementLines = lines.slice(i, j);
    if (agreementLines.length > maxLines) {
      throw new ValidationError(`Agreement ${lines[i].agreementId} has ${agreementLines.length} skus in one window, above ${maxLines}.`);
    }
    const last = chunks[chunks.length - 1];
    if (last && last.length + agreementLines.length <= maxLines) last.push(...agreementLines);
    else chunks.push(agreementLines);
    i = j;
  }
  return chunks;
}

/** Sorts lines by (agreementId, sku as bytes32), the order the ledger requires. */
export function sortLines(lines: UsageLine[]): UsageLine[] {
  return lines.sort(compareLines);
}

/**
 * Groups slices into batches, one per closed window piece, ascending by period; slices of
 * windows still open are returned as `open` (they wait for a later run).
 * @throws ValidationError when one agreement alone has more than `maxLines` lines in a piece,
 * or a line's sum exceeds uint64.
 */
export function buildBatches(slices: readonly UsageSlice[], options: BuildBatchesOptions): { batches: BatchDraft[]; open: UsageSlice[] } {
  const lagSeconds = options.lagSeconds ?? DEFAULT_LAG_SECONDS;
  const maxLines = options.maxLines ?? MAX_BATCH_LINES;
  const open: UsageSlice[] = [];
  const byPiece = new Map<string, UsageSlice[]>();
  for (const slice of slices) {
    if (!isWindowClosed(slice, options.now, lagSeconds)) {
      open.push(slice);
      continue;
    }
    const key = `${slice.pieceStart}:${slice.pieceEnd}`;
    const group = byPiece.get(key);
    if (group) group.push(slice);
    else byPiece.set(key, [slice]);
  }

  const batches: BatchDraft[] = [];
  for (const group of byPiece.values()) {
    const { pieceStart, pieceEnd, windowStart, windowEnd } = group[0];
    const sums = new Map<string, UsageLine>();
    const skuHex = new Map<string, Hex>();
    for (const slice of group) {
      let sku = skuHex.get(slice.sku);
      if (sku === undefined) {
        sku = skuToBytes32(slice.sku);
        skuHex.set(slice.sku, sku);
      }
      const key = `${slice.agreementId}:${sku}`;
      const line = sums.get(key);
      if (line) line.gpuSeconds += slice.gpuSeconds;
      else sums.set(key, { agreementId: slice.agreementId, sku, gpuSeconds: slice.gpuSeconds });
    }
    const lines = [...sums.values()].sort(compareLines);
    for (const line of lines) {
      if (line.gpuSeconds > MAX_UINT64) {
        throw new ValidationError(`Line (${line.agreementId}, ${line.sku}) sums ${line.gpuSeconds} GPU-seconds, above uint64.`);
      }
    }
    for (const chunk of chunkLines(lines, maxLines)) {
      const agreements = new Set(chunk.map((l) => l.agreementId));
      batches.push({
        periodStart: pieceStart,
        periodEnd: pieceEnd,
        windowStart,
        windowEnd,
        lines: chunk,
        leaves: group.filter((s) => agreements.has(s.agreementId)),
      });
    }
  }
  batches.sort((a, b) => (a.periodStart < b.periodStart ? -1 : a.periodStart > b.periodStart ? 1 : 0));
  return { batches, open };
}

/**
 * A window piece not yet reported for an (agreement, partner) pair that may take late slices,
 * with `capacity` = the room left under the physical bound, see {@link carryCapacity}.
 * Pass closed windows only, so their own usage is final.
 */
export interface CarryTarget extends WindowPiece {
  capacity: bigint;
}

/** `maxGpus × (pieceEnd − pieceStart)` minus what the piece already carries for the agreement, at least 0. */
export function carryCapacity(maxGpus: bigint, piece: WindowPiece, alreadyCarried: bigint): bigint {
  const room = maxGpus * (piece.pieceEnd - piece.pieceStart) - alreadyCarried;
  return room > 0n ? room : 0n;
}

/** GPU-seconds of a late slice that found no window: quarantined `late-after-term`. */
export interface LateQuarantine<S extends UsageSlice = UsageSlice> {
  slice: S;
  /** The part of the slice's gpuSeconds left over (all of it, or what overflowed the last target). */
  gpuSeconds: bigint;
  reason: "late-after-term";
  detail: string;
}

/**
 * The late-slice carry rule (SERVICES §2) for one (agreement, partner) pair. Late slices,
 * oldest first (by sliceStart, sliceEnd, recordId), fill the targets (the pair's unreported
 * window pieces inside the term, ascending) in order: each slice's gpuSeconds go to the
 * oldest target with room, overflowing into the next. A carried slice keeps its true
 * sliceStart/sliceEnd and takes the target's window/piece (so its batch's rate); one slice may
 * be split over several targets. What no target can take is quarantined `late-after-term`.
 *
 * A carried slice is a copy of its late slice (with its other fields, e.g. a state row's id).
 *
 * @returns the carried slices, the quarantined remainders, and each target's capacity left.
 * @throws ValidationError when the slices belong to different agreements, targets are not
 * ascending and disjoint, or a target starts before a late slice ends.
 */
export function carryLateSlices<S extends UsageSlice>(
  late: readonly S[],
  targets: readonly CarryTarget[],
): { carried: S[]; quarantined: LateQuarantine<S>[]; capacityLeft: bigint[] } {
  if (new Set(late.map((s) => s.agreementId)).size > 1) {
    throw new ValidationError("Late slices of several agreements were passed together.", {
      fix: "Carry each (agreement, partner) pair separately.",
    });
  }
  targets.forEach((t, i) => {
    if (t.pieceStart >= t.pieceEnd || t.capacity < 0n || (i > 0 && t.pieceStart < targets[i - 1].pieceEnd)) {
      throw new ValidationError("Carry targets must be non-empty, ascending and disjoint, with capacity ≥ 0.");
    }
  });
  const ordered = [...late].sort(
    (a, b) =>
      (a.sliceStart < b.sliceStart ? -1 : a.sliceStart > b.sliceStart ? 1 : 0) ||
      (a.sliceEnd < b.sliceEnd ? -1 : a.sliceEnd > b.sliceEnd ? 1 : 0) ||
      (a.recordId < b.recordId ? -1 : a.recordId > b.recordId ? 1 : 0),
  );
  const capacityLeft = targets.map((t) => t.capacity);
  const carried: S[] = [];
  const quarantined: LateQuarantine<S>[] = [];
  let next = 0;
  for (const slice of ordered) {
    let remaining = slice.gpuSeconds;
    while (remaining > 0n && next < targets.length) {
      const target = targets[next];
      if (target.pieceStart < slice.sliceEnd) {
        throw new ValidationError(
          `Carry target [${target.pieceStart}, ${target.pieceEnd}) starts before late slice ${slice.recordId} ends (${slice.sliceEnd}).`,
          { fix: "Pass only windows after the pair's lastUsageEnd as targets." },
        );
      }
      const take = remaining < capacityLeft[next] ? remaining : capacityLeft[next];
      if (take > 0n) {
        carried.push({
          ...slice,
          windowStart: target.windowStart,
          windowEnd: target.windowEnd,
          pieceStart: target.pieceStart,
          pieceEnd: target.pieceEnd,
          gpuSeconds: take,
        });
        capacityLeft[next] -= take;
        remaining -= take;
      }
      if (capacityLeft[next] === 0n) next++;
    }
    if (remaining > 0n) {
      quarantined.push({
        slice,
        gpuSeconds: remaining,
        reason: "late-after-term",
        detail:
          `${remaining} of ${slice.gpuSeconds} GPU-seconds of ${slice.recordId} [${slice.sliceStart}, ${slice.sliceEnd}) ` +
          "found no unreported window with room inside the agreement's term",
      });
    }
  }
  return { carried, quarantined, capacityLeft };
}

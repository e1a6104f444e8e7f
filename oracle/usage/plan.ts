// Planning the next batch from the state (SERVICES §2 "Slicing", "Late slices", "Preflight"):
// late slices carried forward, pieces re-cut when the cut points moved, the oldest closed
// piece's lines, and the lines the ledger would refuse taken out. Whole packs are batched as
// stored (their lines summed, leaves written and leaf hashes computed at ingestion); a pack
// whose slices must go separate ways is first turned into slice rows. Every change to the
// state is made by the caller inside one transaction.
import type { Hex } from "viem";
import type { UsageState, NewSlice, PackRow, SliceRow } from "../state/usageState";
import type { QuarantineReason } from "../sources/types";
import type { ChainContext } from "./chainContext";
import { LeafHasher, USAGE_LEAF_FIELDS, usageLeaf, type UsageLeaf } from "./evidence";
import { batchLeaves, explodePack, packLines, type PackLine } from "./packs";
import { isOwnRefusal, predictLines, type LineRejection } from "./preflight";
import {
  carryCapacity,
  carryLateSlices,
  chunkLines,
  recutNeeded,
  sliceRecord,
  sortLines,
  type BatchDraft,
  type CarryTarget,
  type UsageSlice,
  type WindowGrid,
  type WindowPiece,
} from "./slicing";
import { bytes32ToSku, skuToBytes32, type UsageLine } from "../../sdk/eip712";
import { ValidationError } from "../../sdk/errors";
import { reportingClosed } from "../../sdk/ledgerRules";

/** How many pieces the carry looks ahead at most for one agreement in one pass. */
const MAX_CARRY_PIECES = 100_000;

/** A part of a slice row that replaces it: the row's fields but its id, state and batch, with `fields` changed. */
function part(row: SliceRow, fields: Partial<NewSlice>): NewSlice {
  const { id, state, batchId, ...kept } = row;
  return { ...kept, ...fields };
}

/** Quarantines slices: state `quarantined` and one quarantine entry each. Returns how many. */
export function quarantineSlices(
  state: UsageState,
  rows: readonly SliceRow[],
  reason: QuarantineReason,
  detail: (row: SliceRow) => string,
  extra: Record<string, unknown> = {},
): number {
  for (const row of rows) {
    state.setSliceState(row.id, "quarantined", null, row.rejection);
    state.addQuarantine({
      file: row.sourceFile,
      line: row.sourceLine,
      // The leaf's fields, numbers as decimal strings.
      raw: JSON.stringify(Object.fromEntries(USAGE_LEAF_FIELDS.map((field) => [field, String(row[field])]))),
      reason,
      detail: detail(row),
      extra: { recordId: row.recordId, ...extra },
      candidate: {
        source: "slice",
        recordId: row.recordId,
        agreementId: row.agreementId.toString(),
        sku: row.sku,
        start: row.sliceStart.toString(),
        end: row.sliceEnd.toString(),
        gpus: row.gpus.toString(),
        gpuSeconds: row.gpuSeconds.toString(),
      },
    });
  }
  return rows.length;
}

/** Σ gpuSeconds of an agreement's pending usage in one piece: slice rows and packs. */
function pendingGpuSecondsInPiece(state: UsageState, agreementId: bigint, pieceStart: bigint, pieceEnd: bigint): bigint {
  let sum = state.pendingGpuSecondsInPiece(agreementId, pieceStart, pieceEnd);
  for (const lines of state.pendingPackLinesInPiece(pieceStart, pieceEnd)) {
    for (const line of packLines(lines)) if (line.agreementId === agreementId) sum += line.gpuSeconds;
  }
  return sum;
}

/**
 * Carries every agreement's late slices (their piece starts before the pair's lastUsageEnd)
 * into the oldest closed, unreported pieces inside the term, up to each piece's physical
 * bound (`maxGpus × length` less its own usage). What finds no room while later pieces may
 * still close stays pending; what finds no room inside the whole term (all closed) is
 * quarantined `late-after-term`. Returns the number of slices quarantined.
 */
export function carryLate(
  state: UsageState,
  ctx: ChainContext,
  grid: WindowGrid,
  closedAt: bigint,
  excluded: ReadonlySet<number> = new Set(),
): number {
  let quarantined = 0;
  // Packs before an agreement's lastUsageEnd may hold late slices: they become slice rows.
  let latest = 0n;
  for (const a of ctx.agreements.values()) if (a.lastUsageEnd > latest) latest = a.lastUsageEnd;
  if (latest === 0n) return 0;
  for (const id of state.pendingPackIdsBefore(latest)) explodePack(state, id);
  // Only agreements with pending slice rows before the latest lastUsageEnd can have late ones.
  const candidates = state.pendingAgreementsBefore(latest);
  for (const [agreementId, a] of ctx.agreements) {
    if (a.lastUsageEnd === 0n || !candidates.has(agreementId)) continue;
    const late = state.pendingBefore(agreementId, a.lastUsageEnd).filter((r) => !excluded.has(r.id));
    if (late.length === 0) continue;
    let need = 0n;
    let from = a.lastUsageEnd;
    for (const row of late) {
      need += row.gpuSeconds;
      if (row.sliceEnd > from) from = row.sliceEnd;
    }
    const targets: CarryTarget[] = [];
    let room = 0n;
    let termExhausted = false;
    for (let t = from, n = 0; room < need && n < MAX_CARRY_PIECES; n++) {
      if (t >= a.effectiveEnd) {
        termExhausted = true;
        break;
      }
      const piece = grid.pieceAt(t);
      if (piece.windowEnd > closedAt) break;
      if (piece.pieceStart >= t) {
        const own = pendingGpuSecondsInPiece(state, agreementId, piece.pieceStart, piece.pieceEnd);
        const capacity = carryCapacity(a.maxGpus, piece, own);
        if (capacity > 0n) {
          targets.push({ ...piece, capacity });
          room += capacity;
        }
      }
      t = piece.pieceEnd;
    }
    const result = carryLateSlices(late, targets);
    const carriedById = new Map<number, SliceRow[]>();
    for (const c of result.carried) {
      const list = carriedById.get(c.id);
      if (list) list.push(c);
      else carriedById.set(c.id, [c]);
    }
    const leftById = new Map(result.quarantined.map((q) => [q.slice.id, q]));
    for (const row of late) {
      const carried = carriedById.get(row.id) ?? [];
      const left = leftById.get(row.id);
      if (carried.length === 0 && (left === undefined || !termExhausted)) continue;
      const parts: NewSlice[] = carried.map((c) =>
        part(row, {
          gpuSeconds: c.gpuSeconds,
          windowStart: c.windowStart,
          windowEnd: c.windowEnd,
          pieceStart: c.pieceStart,
          pieceEnd: c.pieceEnd,
          carried: true,
        }),
      );
      let quarantinedId: number | undefined;
      const ids = state.replaceSlice(row.id, left ? [...parts, part(row, { gpuSeconds: left.gpuSeconds })] : parts);
      if (left) quarantinedId = ids[ids.length - 1];
      if (left && termExhausted && quarantinedId !== undefined) {
        const leftRow = state.getSlice(quarantinedId) as SliceRow;
        quarantined += quarantineSlices(state, [leftRow], left.reason, () => left.detail);
      }
    }
  }
  return quarantined;
}

/**
 * Re-cuts the rows of one piece when the window grid changed since they were stored (an
 * agreement terminated, a rate scheduled): an own slice crossing a cut is split; a carried
 * slice whose target is no longer a piece goes back to its own window (and is carried again).
 * Returns whether anything changed.
 */
export function recutRows(state: UsageState, grid: WindowGrid, rows: readonly SliceRow[]): boolean {
  let changed = false;
  for (const row of rows) {
    if (!recutNeeded(grid, row, row.carried)) continue;
    const pieces = sliceRecord({ ...row, start: row.sliceStart, end: row.sliceEnd }, grid);
    state.replaceSlice(
      row.id,
      pieces.map((p) =>
        part(row, {
          sliceStart: p.sliceStart,
          sliceEnd: p.sliceEnd,
          gpuSeconds: p.gpuSeconds,
          windowStart: p.windowStart,
          windowEnd: p.windowEnd,
          pieceStart: p.pieceStart,
          pieceEnd: p.pieceEnd,
          carried: false,
        }),
      ),
    );
    changed = true;
  }
  return changed;
}

/** A batch ready for sequencing and signing: its lines, leaves and the slices behind them. */
export interface PlannedBatch {
  /** Period, window and lines; `leaves` is decoded from {@link leavesJson} when read. */
  draft: BatchDraft;
  /** The slice rows in the batch (besides its packs). */
  rows: SliceRow[];
  /** The packs in the batch, whole. */
  packIds: number[];
  /** The leaves of {@link rows} (a JSON array of UsageLeaf); the packs' leaves come first in the tree's list. */
  leavesJson: string;
  /** Every leaf's hash, 32 bytes each: the packs' (in {@link packIds} order), then the rows'. */
  leafHashes: Buffer;
  /**
   * Lines of this piece the preflight took out, each with its own reason (their rows stay
   * pending or were quarantined). Their siblings were planned again without them.
   */
  rejected: LineRejection[];
}

/** Options of {@link planNextBatch}. */
export interface PlanOptions {
  lagSeconds: bigint;
  /** Slices whose lines were refused in this run: not planned (nor carried) again until the next run. */
  excluded: Set<number>;
  maxLines?: number;
}

/** What one planning step did besides the batch. */
export interface PlanStep {
  batch?: PlannedBatch;
  /** Slices quarantined by this step (late-after-term, or rejected after the reporting close). */
  quarantined: number;
  /** Lines taken out by the preflight (the failing ones; never their `SiblingRejected` siblings). */
  rejected: LineRejection[];
}

const lineKey = (agreementId: bigint, sku: Hex) => `${agreementId}:${sku}`;
const MAX_UINT64 = 2n ** 64n - 1n;

/** Leaves as slices inside `piece`. */
export function leavesToSlices(leaves: readonly UsageLeaf[], piece: WindowPiece): UsageSlice[] {
  const names = new Map<string, string>();
  return leaves.map((leaf) => {
    let sku = names.get(leaf[2]);
    if (sku === undefined) {
      sku = bytes32ToSku(leaf[2]);
      names.set(leaf[2], sku);
    }
    return {
      ...piece,
      recordId: leaf[0],
      agreementId: BigInt(leaf[1]),
      sku,
      sliceStart: BigInt(leaf[3]),
      sliceEnd: BigInt(leaf[4]),
      gpuSeconds: BigInt(leaf[5]),
    };
  });
}

/**
 * The quarantine of usage the ledger kept refusing until the agreement's reporting grace
 * ended (SERVICES §2 "Preflight"): reason `line-rejected`, and the refusal that kept it pending.
 * @example lineRejected("NoRate").reason; // "line-rejected"
 */
export function lineRejected(rejection: string): { reason: QuarantineReason; detail: string; extra: { rejection: string } } {
  return {
    reason: "line-rejected",
    detail: `the ledger refuses this usage (${rejection}) and the agreement's reporting grace has ended`,
    extra: { rejection },
  };
}

/**
 * The next batch: the oldest closed piece with pending slices (after carrying late ones),
 * its lines per (agreement, sku) with the preflight's refusals taken out. A line refused on
 * its own account (the failing line of an agreement's group, or every line of a group refused
 * agreement-wide) is taken out: its rows keep the reason and stay pending (not planned again
 * in this run) until the agreement's reporting close, then are quarantined (`line-rejected`).
 * Its `SiblingRejected` siblings stay pending without a reason of their own and the piece is
 * planned again without the refused line, so they go into the batch (the ledger rejects a
 * group whole: sending them with it would only have them rejected too). Returns no batch
 * when nothing is ready.
 */
export function planNextBatch(state: UsageState, ctx: ChainContext, grid: WindowGrid, options: PlanOptions): PlanStep {
  const closedAt = ctx.now - options.lagSeconds;
  let quarantined = carryLate(state, ctx, grid, closedAt, options.excluded);
  const rejectedAll: LineRejection[] = [];
  // Lines taken out per piece (a piece may be planned several times before it gives a batch).
  const rejectedIn = new Map<string, LineRejection[]>();
  const skuHex = new Map<string, Hex>();
  const skuOf = (name: string) => {
    let hex = skuHex.get(name);
    if (hex === undefined) {
      hex = skuToBytes32(name);
      skuHex.set(name, hex);
    }
    return hex;
  };
  const explode = (packs: readonly PackRow[]) => {
    for (const pack of packs) explodePack(state, pack.id);
  };
  for (let attempt = 0; attempt < 10_000; attempt++) {
    let rows: SliceRow[] = [];
    let packs: PackRow[] = [];
    let piece: { pieceStart: bigint; pieceEnd: bigint } | undefined;
    for (piece = state.nextPendingPiece(closedAt); piece !== undefined; piece = state.nextPendingPiece(closedAt, piece)) {
      rows = state.pendingInPiece(piece.pieceStart, piece.pieceEnd).filter((r) => !options.excluded.has(r.id));
      packs = state.pendingPacksInPiece(piece.pieceStart, piece.pieceEnd);
      if (rows.length > 0 || packs.length > 0) break;
    }
    if (piece === undefined) return { quarantined, rejected: rejectedAll };

    // The grid changed under stored usage (a termination, a new rate): re-cut it.
    const stale = packs.filter((p) => recutNeeded(grid, { sliceStart: p.pieceStart, sliceEnd: p.pieceEnd, pieceStart: p.pieceStart, pieceEnd: p.pieceEnd }, false));
    if (stale.length > 0) {
      explode(stale);
      continue;
    }
    if (recutRows(state, grid, rows)) {
      quarantined += carryLate(state, ctx, grid, closedAt, options.excluded);
      continue;
    }

    // Lines: Σ per (agreement, sku) of the rows and the packs.
    const packLineSets: PackLine[][] = packs.map((p) => packLines(p.linesJson));
    const sums = new Map<string, UsageLine>();
    const add = (agreementId: bigint, sku: Hex, gpuSeconds: bigint) => {
      const key = lineKey(agreementId, sku);
      const line = sums.get(key);
      if (line) line.gpuSeconds += gpuSeconds;
      else sums.set(key, { agreementId, sku, gpuSeconds });
    };
    for (const r of rows) add(r.agreementId, skuOf(r.sku), r.gpuSeconds);
    for (const lines of packLineSets) for (const l of lines) add(l.agreementId, l.sku, l.gpuSeconds);
    const lines = sortLines([...sums.values()]);
    for (const line of lines) {
      if (line.gpuSeconds > MAX_UINT64) throw new ValidationError(`Line (${line.agreementId}, ${line.sku}) sums ${line.gpuSeconds} GPU-seconds, above uint64.`);
    }
    const chunk = chunkLines(lines, options.maxLines)[0];
    const agreements = new Set(chunk.map((l) => l.agreementId));
    // A pack with agreements on both sides of the batch's line limit is split into rows.
    const split = packs.filter((_, i) => packLineSets[i].some((l) => !agreements.has(l.agreementId)));
    if (split.length > 0) {
      explode(split);
      continue;
    }
    const first = packs[0] ?? rows[0];
    const window = { windowStart: first.windowStart, windowEnd: first.windowEnd, pieceStart: piece.pieceStart, pieceEnd: piece.pieceEnd };
    const draftRows = rows.filter((r) => agreements.has(r.agreementId));

    const { accepted, rejected } = predictLines(ctx, piece.pieceStart, piece.pieceEnd, chunk);
    if (rejected.length > 0) {
      // Only lines refused on their own account are taken out; their siblings are planned again without them.
      const own = rejected.filter((r) => isOwnRefusal(r.reason));
      const refused = new Map(own.map((r) => [lineKey(r.line.agreementId, r.line.sku), r.reason]));
      // Refused usage stays pending slice by slice: packs holding any become rows first.
      const hit = packs.filter((_, i) => packLineSets[i].some((l) => refused.has(lineKey(l.agreementId, l.sku))));
      if (hit.length > 0) {
        explode(hit);
        continue;
      }
      rejectedAll.push(...own);
      const pieceKey = `${piece.pieceStart}:${piece.pieceEnd}`;
      rejectedIn.set(pieceKey, [...(rejectedIn.get(pieceKey) ?? []), ...own]);
      const closedFor = (id: bigint) => {
        const a = ctx.agreements.get(id);
        return a !== undefined && a.reportingClose > 0n && reportingClosed(a.reportingClose, ctx.now);
      };
      for (const r of draftRows) {
        const reason = refused.get(lineKey(r.agreementId, skuOf(r.sku)));
        if (reason === undefined) continue;
        if (closedFor(r.agreementId)) {
          // The reason that kept it pending (e.g. NoRate) says more than the final ReportingClosed;
          // a row that was only ever refused as a sibling is quarantined for its own refusal.
          const verdict = lineRejected(isOwnRefusal(r.rejection) ? r.rejection : reason);
          r.rejection = verdict.extra.rejection;
          quarantined += quarantineSlices(state, [r], verdict.reason, () => verdict.detail, verdict.extra);
        } else {
          r.rejection = reason;
          state.setSliceRejection(r.id, reason);
          options.excluded.add(r.id);
        }
      }
      // Siblings of a refused line: plan the piece again, now without it.
      if (own.length < rejected.length) continue;
    }
    if (accepted.length === 0) continue;
    const keep = new Set(accepted.map((l) => lineKey(l.agreementId, l.sku)));
    const keptRows = draftRows.filter((r) => keep.has(lineKey(r.agreementId, skuOf(r.sku))));

    const hashes = packs.map((p) => p.hashes);
    const rowLeaves = keptRows.map((r) => usageLeaf(r));
    if (rowLeaves.length > 0) {
      const hasher = new LeafHasher();
      for (const leaf of rowLeaves) hasher.addLeaf(leaf);
      hashes.push(hasher.hash());
    }
    const packIds = packs.map((p) => p.id);
    const leavesJson = JSON.stringify(rowLeaves);
    const takenOut = rejectedIn.get(`${piece.pieceStart}:${piece.pieceEnd}`) ?? [];
    let decoded: UsageSlice[] | undefined;
    const draft: BatchDraft = {
      periodStart: piece.pieceStart,
      periodEnd: piece.pieceEnd,
      windowStart: window.windowStart,
      windowEnd: window.windowEnd,
      lines: accepted,
      // Read from the state on demand (the planner itself needs only the lines and hashes).
      get leaves() {
        decoded ??= leavesToSlices(batchLeaves(state, { batchId: "(planned)", packIdsJson: JSON.stringify(packIds), leavesJson }), window);
        return decoded;
      },
    };
    return {
      batch: { draft, rows: keptRows, packIds, leavesJson, leafHashes: Buffer.concat(hashes), rejected: takenOut },
      quarantined,
      rejected: rejectedAll,
    };
  }
  return { quarantined, rejected: rejectedAll };
}

/** Marks a planned batch's rows and packs `batched` into `batchId` (in the caller's transaction). */
export function markBatched(state: UsageState, planned: PlannedBatch, batchId: string): void {
  for (const row of planned.rows) state.setSliceState(row.id, "batched", batchId, null);
  for (const id of planned.packIds) state.setPackState(id, "batched", batchId);
}

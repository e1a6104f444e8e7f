// Planning the next batch from the state (SERVICES §2 "Slicing", "Late slices", "Preflight"):
// late slices carried forward, pieces re-cut when the cut points moved, the oldest closed
// piece's lines, and the lines the ledger would refuse taken out. Every change to the state
// is made by the caller inside one transaction.
import type { Hex } from "viem";
import type { UsageState, NewSlice, SliceRow } from "../state/usageState";
import type { ChainContext } from "./chainContext";
import { predictLines, type LineRejection } from "./preflight";
import {
  buildBatches,
  carryCapacity,
  carryLateSlices,
  sliceRecord,
  type BatchDraft,
  type CarryTarget,
  type UsageSlice,
  type WindowGrid,
} from "./slicing";
import { skuToBytes32 } from "../../sdk/eip712";

/** How many pieces the carry looks ahead at most for one agreement in one pass. */
const MAX_CARRY_PIECES = 100_000;

/** A slice row as the slicing functions see it (the row id rides along). */
type RowSlice = UsageSlice & { id: number };

function asSlice(row: SliceRow): RowSlice {
  return {
    id: row.id,
    recordId: row.recordId,
    agreementId: row.agreementId,
    sku: row.sku,
    sliceStart: row.sliceStart,
    sliceEnd: row.sliceEnd,
    gpuSeconds: row.gpuSeconds,
    windowStart: row.windowStart,
    windowEnd: row.windowEnd,
    pieceStart: row.pieceStart,
    pieceEnd: row.pieceEnd,
  };
}

function part(row: SliceRow, fields: Partial<NewSlice>): NewSlice {
  return {
    recordId: row.recordId,
    agreementId: row.agreementId,
    sku: row.sku,
    sliceStart: row.sliceStart,
    sliceEnd: row.sliceEnd,
    gpus: row.gpus,
    gpuSeconds: row.gpuSeconds,
    windowStart: row.windowStart,
    windowEnd: row.windowEnd,
    pieceStart: row.pieceStart,
    pieceEnd: row.pieceEnd,
    carried: row.carried,
    rejection: row.rejection,
    ...fields,
  };
}

/** Quarantines slices: state `quarantined` and one quarantine entry each. Returns how many. */
export function quarantineSlices(
  state: UsageState,
  rows: readonly SliceRow[],
  reason: string,
  detail: (row: SliceRow) => string,
  extra: Record<string, unknown> = {},
): number {
  for (const row of rows) {
    state.setSliceState(row.id, "quarantined", null, row.rejection);
    const source = state.recordSource(row.recordId) ?? { file: "<state>", line: 0 };
    state.addQuarantine({
      file: source.file,
      line: source.line,
      raw: JSON.stringify({
        recordId: row.recordId,
        agreementId: row.agreementId.toString(),
        sku: row.sku,
        sliceStart: row.sliceStart.toString(),
        sliceEnd: row.sliceEnd.toString(),
        gpuSeconds: row.gpuSeconds.toString(),
      }),
      reason,
      detail: detail(row),
      extra: { recordId: row.recordId, ...extra },
    });
  }
  return rows.length;
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
  for (const [agreementId, a] of ctx.agreements) {
    if (a.lastUsageEnd === 0n) continue;
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
        const own = state.pendingGpuSecondsInPiece(agreementId, piece.pieceStart, piece.pieceEnd);
        const capacity = carryCapacity(a.maxGpus, piece, own);
        if (capacity > 0n) {
          targets.push({ ...piece, capacity });
          room += capacity;
        }
      }
      t = piece.pieceEnd;
    }
    const result = carryLateSlices(late.map(asSlice), targets);
    const carriedById = new Map<number, UsageSlice[]>();
    for (const c of result.carried) {
      const id = (c as RowSlice).id;
      const list = carriedById.get(id);
      if (list) list.push(c);
      else carriedById.set(id, [c]);
    }
    const leftById = new Map(result.quarantined.map((q) => [(q.slice as RowSlice).id, q]));
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
    if (row.carried) {
      const target = grid.pieceAt(row.pieceStart);
      if (target.pieceStart === row.pieceStart && target.pieceEnd === row.pieceEnd) continue;
    } else {
      const own = grid.pieceAt(row.sliceStart);
      if (own.pieceStart === row.pieceStart && own.pieceEnd === row.pieceEnd && row.sliceEnd <= own.pieceEnd) continue;
    }
    const pieces = sliceRecord(
      {
        recordId: row.recordId,
        agreementId: row.agreementId,
        sku: row.sku,
        start: row.sliceStart,
        end: row.sliceEnd,
        gpus: row.gpus,
        gpuSeconds: row.gpuSeconds,
      },
      grid,
    );
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

/** A batch ready for sequencing and signing: its lines, leaves and the rows behind them. */
export interface PlannedBatch {
  draft: BatchDraft;
  /** The rows whose slices are the draft's leaves. */
  rows: SliceRow[];
  /** Lines taken out by the preflight (their rows stay pending or were quarantined). */
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
  /** Lines taken out by the preflight. */
  rejected: LineRejection[];
}

const lineKey = (agreementId: bigint, sku: Hex) => `${agreementId}:${sku}`;

/**
 * The next batch: the oldest closed piece with pending slices (after carrying late ones),
 * its lines per (agreement, sku) with the preflight's refusals taken out. Rows of refused
 * lines keep their reason and stay pending until the agreement's reporting close, then are
 * quarantined (`line-rejected`). Returns no batch when nothing is ready.
 */
export function planNextBatch(state: UsageState, ctx: ChainContext, grid: WindowGrid, options: PlanOptions): PlanStep {
  const closedAt = ctx.now - options.lagSeconds;
  let quarantined = carryLate(state, ctx, grid, closedAt, options.excluded);
  const rejectedAll: LineRejection[] = [];
  for (let attempt = 0; attempt < 10_000; attempt++) {
    let rows: SliceRow[] = [];
    for (let piece = state.nextPendingPiece(closedAt); piece !== undefined; piece = state.nextPendingPiece(closedAt, piece)) {
      rows = state.pendingInPiece(piece.pieceStart, piece.pieceEnd).filter((r) => !options.excluded.has(r.id));
      if (rows.length > 0) break;
    }
    if (rows.length === 0) return { quarantined, rejected: rejectedAll };
    if (recutRows(state, grid, rows)) {
      quarantined += carryLate(state, ctx, grid, closedAt, options.excluded);
      continue;
    }
    const { batches } = buildBatches(rows.map(asSlice), { now: ctx.now, lagSeconds: options.lagSeconds, maxLines: options.maxLines });
    const draft = batches[0];
    const { accepted, rejected } = predictLines(ctx, draft.periodStart, draft.periodEnd, draft.lines);
    const inDraft = new Set(draft.leaves.map((l) => (l as RowSlice).id));
    const draftRows = rows.filter((r) => inDraft.has(r.id));
    if (rejected.length > 0) {
      rejectedAll.push(...rejected);
      const byLine = new Map(rejected.map((r) => [lineKey(r.line.agreementId, r.line.sku), r.reason]));
      const closedFor = (id: bigint) => {
        const a = ctx.agreements.get(id);
        return a !== undefined && a.reportingClose > 0n && ctx.now >= a.reportingClose;
      };
      for (const r of draftRows) {
        const reason = byLine.get(lineKey(r.agreementId, skuToBytes32(r.sku)));
        if (reason === undefined) continue;
        if (closedFor(r.agreementId)) {
          // The reason that kept it pending (e.g. NoRate) says more than the final ReportingClosed.
          const cause = r.rejection ?? reason;
          r.rejection = cause;
          quarantined += quarantineSlices(
            state,
            [r],
            "line-rejected",
            () => `the ledger refuses this usage (${cause}) and the agreement's reporting grace has ended`,
            { rejection: cause },
          );
        } else {
          r.rejection = reason;
          state.setSliceRejection(r.id, reason);
          options.excluded.add(r.id);
        }
      }
    }
    if (accepted.length === 0) continue;
    const keep = new Set(accepted.map((l) => lineKey(l.agreementId, l.sku)));
    const keptRows = draftRows.filter((r) => keep.has(lineKey(r.agreementId, skuToBytes32(r.sku))));
    const keptIds = new Set(keptRows.map((r) => r.id));
    return {
      batch: {
        draft: { ...draft, lines: accepted, leaves: draft.leaves.filter((l) => keptIds.has((l as RowSlice).id)) },
        rows: keptRows,
        rejected,
      },
      quarantined,
      rejected: rejectedAll,
    };
  }
  return { quarantined, rejected: rejectedAll };
}

import { expect } from "chai";
import fc from "fast-check";
import { skuToBytes32 } from "../../sdk/eip712";
import { ValidationError } from "../../sdk/errors";
import { billSlurmRecord, parseSlurmText } from "../../oracle/sources/slurm";
import {
  buildBatches,
  carryCapacity,
  carryLateSlices,
  isLateSlice,
  isWindowClosed,
  sliceRecord,
  windowPieces,
  WindowGrid,
  type CarryTarget,
  type SliceableRecord,
  type UsageSlice,
} from "../../oracle/usage/slicing";
import { at, readFixture, sydneyConfig } from "./support";

const H = 3600n;
const T0 = at("2026-10-03T00:00:00Z");

function rec(patch: Partial<SliceableRecord> = {}): SliceableRecord {
  const start = patch.start ?? T0 + 1800n;
  const end = patch.end ?? T0 + 2n * H;
  const gpus = patch.gpus ?? 8n;
  return { recordId: "r1", agreementId: 1n, sku: "h100-sxm", start, end, gpus, gpuSeconds: (end - start) * gpus, ...patch };
}

describe("windowPieces", () => {
  it("when there are no cuts, it returns the fixed UTC windows overlapping the interval", () => {
    expect(windowPieces(T0 + 10n, T0 + H + 10n).map((p) => [p.windowStart - T0, p.pieceStart - T0, p.pieceEnd - T0])).to.deep.equal([
      [0n, 0n, H],
      [H, H, 2n * H],
    ]);
  });

  it("when cut points fall inside a window, it splits the window there; cuts on window edges change nothing", () => {
    const pieces = windowPieces(T0, 2n * H + T0, { cuts: [T0 + 1200n, T0 + H, T0 + 1200n, T0 + 2400n] });
    expect(pieces.map((p) => [p.pieceStart - T0, p.pieceEnd - T0, p.windowEnd - T0])).to.deep.equal([
      [0n, 1200n, H],
      [1200n, 2400n, H],
      [2400n, H, H],
      [H, 2n * H, 2n * H],
    ]);
  });

  it("when the window length is not positive, it throws", () => {
    expect(() => new WindowGrid({ windowSeconds: 0n })).to.throw(ValidationError);
  });
});

describe("sliceRecord", () => {
  it("when a record spans windows, each slice bills gpus × overlap and keeps the record's true times", () => {
    const slices = sliceRecord(rec());
    expect(slices.map((s) => [s.sliceStart - T0, s.sliceEnd - T0, s.windowStart - T0, s.gpuSeconds])).to.deep.equal([
      [1800n, H, 0n, 1800n * 8n],
      [H, 2n * H, H, H * 8n],
    ]);
    expect(slices[0]).to.deep.include({ recordId: "r1", agreementId: 1n, sku: "h100-sxm", pieceStart: T0, pieceEnd: T0 + H });
  });

  it("when a window is cut (term edge or rate change), the record is split at the cut", () => {
    const slices = sliceRecord(rec(), { cuts: [T0 + 2700n] });
    expect(slices.map((s) => [s.sliceStart - T0, s.sliceEnd - T0, s.gpuSeconds])).to.deep.equal([
      [1800n, 2700n, 900n * 8n],
      [2700n, H, 900n * 8n],
      [H, 2n * H, H * 8n],
    ]);
  });

  it("when the windows are 15 minutes long, it slices on them", () => {
    expect(sliceRecord(rec(), { windowSeconds: 900n })).to.have.length(6);
  });

  it("when a metering record bills less than its bound, it spreads the GPU-seconds by overlap, rounding on the running total", () => {
    const slices = sliceRecord(rec({ start: T0, end: T0 + 3n * H, gpus: 1n, gpuSeconds: 10n }));
    expect(slices.map((s) => s.gpuSeconds)).to.deep.equal([3n, 3n, 4n]);
  });

  it("when a slice would bill 0 GPU-seconds, it is left out", () => {
    expect(sliceRecord(rec({ start: T0, end: T0 + 3n * H, gpus: 1n, gpuSeconds: 1n })).map((s) => s.sliceStart - T0)).to.deep.equal([
      2n * H,
    ]);
    expect(sliceRecord(rec({ start: T0, end: T0 })).length).to.equal(0);
  });

  it("when the record is impossible, it throws ValidationError", () => {
    expect(() => sliceRecord(rec({ gpuSeconds: 10n ** 12n }))).to.throw(ValidationError);
    expect(() => sliceRecord(rec({ start: T0 + H, end: T0 }))).to.throw(ValidationError);
  });

  it("when sliced anyhow, the slices add up to the record, stay inside their pieces and within gpus × overlap", () => {
    fc.assert(
      fc.property(
        fc.bigInt({ min: 0n, max: 200_000n }),
        fc.bigInt({ min: 0n, max: 50_000n }),
        fc.bigInt({ min: 1n, max: 64n }),
        fc.bigInt({ min: 0n, max: 1000n }),
        fc.array(fc.bigInt({ min: 0n, max: 260_000n }), { maxLength: 6 }),
        fc.constantFrom(900n, 3600n, 7200n),
        (offset, length, gpus, fill, cuts, windowSeconds) => {
          const start = T0 + offset;
          const end = start + length;
          const gpuSeconds = ((end - start) * gpus * fill) / 1000n;
          const slices = sliceRecord(rec({ start, end, gpus, gpuSeconds }), { windowSeconds, cuts: cuts.map((c) => T0 + c) });
          expect(slices.reduce((s, x) => s + x.gpuSeconds, 0n)).to.equal(gpuSeconds);
          for (const s of slices) {
            expect(s.gpuSeconds <= gpus * (s.sliceEnd - s.sliceStart)).to.equal(true);
            expect(s.pieceStart <= s.sliceStart && s.sliceEnd <= s.pieceEnd).to.equal(true);
            expect(s.windowStart <= s.pieceStart && s.pieceEnd <= s.windowEnd && s.windowEnd - s.windowStart === windowSeconds).to.equal(
              true,
            );
            expect(s.windowStart % windowSeconds).to.equal(0n);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe("isWindowClosed", () => {
  it("when now reaches windowEnd + lag, the window is closed, one second before it is not", () => {
    const piece = { windowEnd: T0 + H };
    expect(isWindowClosed(piece, T0 + H + 900n)).to.equal(true);
    expect(isWindowClosed(piece, T0 + H + 899n)).to.equal(false);
    expect(isWindowClosed(piece, T0 + H, 0n)).to.equal(true);
  });
});

describe("isLateSlice", () => {
  it("when the slice's piece starts before the pair's lastUsageEnd, it is late", () => {
    expect(isLateSlice({ pieceStart: T0 }, T0 + 1n)).to.equal(true);
    expect(isLateSlice({ pieceStart: T0 }, T0)).to.equal(false);
  });
});

describe("buildBatches", () => {
  const slices = [
    ...sliceRecord(rec({ recordId: "a", agreementId: 10n, sku: "h100-sxm", start: T0, end: T0 + 2n * H, gpus: 2n })),
    ...sliceRecord(rec({ recordId: "b", agreementId: 2n, sku: "h100-sxm", start: T0, end: T0 + H, gpus: 1n })),
    ...sliceRecord(rec({ recordId: "c", agreementId: 2n, sku: "b200", start: T0 + 600n, end: T0 + 1200n, gpus: 4n })),
    ...sliceRecord(rec({ recordId: "d", agreementId: 2n, sku: "h100-sxm", start: T0 + 1800n, end: T0 + H, gpus: 3n })),
    ...sliceRecord(rec({ recordId: "e", agreementId: 2n, sku: "gb300", start: T0, end: T0 + 60n, gpus: 72n })),
  ];

  it("when windows are closed, it makes one batch per window with lines summed per (agreementId, sku) in ascending order", () => {
    const { batches, open } = buildBatches(slices, { now: T0 + 2n * H + 900n });
    expect(open).to.deep.equal([]);
    expect(batches.map((b) => [b.periodStart - T0, b.periodEnd - T0])).to.deep.equal([
      [0n, H],
      [H, 2n * H],
    ]);
    expect(batches[0].lines).to.deep.equal([
      { agreementId: 2n, sku: skuToBytes32("b200"), gpuSeconds: 2400n },
      { agreementId: 2n, sku: skuToBytes32("gb300"), gpuSeconds: 4320n },
      { agreementId: 2n, sku: skuToBytes32("h100-sxm"), gpuSeconds: 3600n + 5400n },
      { agreementId: 10n, sku: skuToBytes32("h100-sxm"), gpuSeconds: 7200n },
    ]);
    expect(batches[0].leaves.map((l) => l.recordId).sort()).to.deep.equal(["a", "b", "c", "d", "e"]);
    expect(batches[1].leaves.map((l) => l.recordId)).to.deep.equal(["a"]);
  });

  it("when a window is still inside its lag, its slices stay open", () => {
    const { batches, open } = buildBatches(slices, { now: T0 + 2n * H + 899n });
    expect(batches.map((b) => b.periodStart)).to.deep.equal([T0]);
    expect(open.map((s) => s.recordId)).to.deep.equal(["a"]);
    expect(buildBatches(slices, { now: T0 + 2n * H, lagSeconds: 0n }).open).to.deep.equal([]);
  });

  it("when a window has more lines than maxLines, it splits it into batches over the same period, keeping agreements whole", () => {
    const { batches } = buildBatches(slices, { now: T0 + 3n * H, maxLines: 3 });
    const first = batches.filter((b) => b.periodStart === T0);
    expect(first.map((b) => b.lines.map((l) => l.agreementId))).to.deep.equal([[2n, 2n, 2n], [10n]]);
    expect(first[1].leaves.map((l) => l.recordId)).to.deep.equal(["a"]);
    expect(() => buildBatches(slices, { now: T0 + 3n * H, maxLines: 2 })).to.throw(ValidationError);
  });

  it("when the Slurm fixture is billed and batched, every GPU-second lands in exactly one line", () => {
    const billed = parseSlurmText(readFixture("slurm", "sacct-2026-10-03.txt"), sydneyConfig)
      .records.map((r) => billSlurmRecord(r, undefined))
      .filter((r) => r !== undefined);
    const all = billed.flatMap((r) => sliceRecord(r, { cuts: [at("2026-10-03T12:30:00Z")] }));
    const { batches, open } = buildBatches(all, { now: at("2026-10-05T00:00:00Z") });
    expect(open).to.deep.equal([]);
    const inLines = batches.flatMap((b) => b.lines).reduce((s, l) => s + l.gpuSeconds, 0n);
    expect(inLines).to.equal(billed.reduce((s, r) => s + r.gpuSeconds, 0n));
    for (const b of batches) {
      for (let i = 1; i < b.lines.length; i++) {
        const [p, q] = [b.lines[i - 1], b.lines[i]];
        expect(p.agreementId < q.agreementId || (p.agreementId === q.agreementId && p.sku < q.sku)).to.equal(true);
      }
    }
  });
});

describe("carryCapacity", () => {
  it("when the window already carries usage, it leaves maxGpus × length minus that, never below 0", () => {
    const piece = { windowStart: T0, windowEnd: T0 + H, pieceStart: T0, pieceEnd: T0 + H };
    expect(carryCapacity(4n, piece, 10_000n)).to.equal(4n * H - 10_000n);
    expect(carryCapacity(1n, piece, 10_000n)).to.equal(0n);
  });
});

describe("carryLateSlices", () => {
  const late = (recordId: string, hour: bigint, gpuSeconds: bigint): UsageSlice => ({
    recordId,
    agreementId: 1n,
    sku: "h100-sxm",
    windowStart: T0 + hour * H,
    windowEnd: T0 + (hour + 1n) * H,
    pieceStart: T0 + hour * H,
    pieceEnd: T0 + (hour + 1n) * H,
    sliceStart: T0 + hour * H,
    sliceEnd: T0 + (hour + 1n) * H,
    gpuSeconds,
  });
  const target = (hour: bigint, capacity: bigint): CarryTarget => ({
    windowStart: T0 + hour * H,
    windowEnd: T0 + (hour + 1n) * H,
    pieceStart: T0 + hour * H,
    pieceEnd: T0 + (hour + 1n) * H,
    capacity,
  });

  it("when the oldest unreported window has room, the late slices go there with their true times", () => {
    const { carried, quarantined, capacityLeft } = carryLateSlices(
      [late("y", 1n, 500n), late("x", 0n, 300n)],
      [target(5n, 1000n), target(6n, 1000n)],
    );
    expect(carried.map((s) => [s.recordId, s.pieceStart - T0, s.sliceStart - T0, s.gpuSeconds])).to.deep.equal([
      ["x", 5n * H, 0n, 300n],
      ["y", 5n * H, H, 500n],
    ]);
    expect(carried[0].windowEnd).to.equal(T0 + 6n * H);
    expect(quarantined).to.deep.equal([]);
    expect(capacityLeft).to.deep.equal([200n, 1000n]);
  });

  it("when a window's bound would be exceeded, the rest overflows into the next window, splitting the slice", () => {
    const { carried } = carryLateSlices([late("x", 0n, 300n), late("y", 1n, 900n)], [target(5n, 1000n), target(6n, 1000n)]);
    expect(carried.map((s) => [s.recordId, s.pieceStart - T0, s.gpuSeconds])).to.deep.equal([
      ["x", 5n * H, 300n],
      ["y", 5n * H, 700n],
      ["y", 6n * H, 200n],
    ]);
  });

  it("when no unreported window inside the term has room, the remainder is quarantined late-after-term", () => {
    const { carried, quarantined } = carryLateSlices([late("x", 0n, 300n), late("y", 1n, 900n)], [target(5n, 500n), target(6n, 0n)]);
    expect(carried.map((s) => [s.recordId, s.gpuSeconds])).to.deep.equal([
      ["x", 300n],
      ["y", 200n],
    ]);
    expect(quarantined.map((q) => [q.slice.recordId, q.gpuSeconds, q.reason])).to.deep.equal([["y", 700n, "late-after-term"]]);
    expect(carryLateSlices([late("z", 0n, 1n)], []).quarantined[0].detail).to.contain("no unreported window");
  });

  it("when inputs are inconsistent, it throws ValidationError", () => {
    expect(() => carryLateSlices([late("x", 0n, 1n), { ...late("y", 0n, 1n), agreementId: 2n }], [])).to.throw(ValidationError);
    expect(() => carryLateSlices([], [target(6n, 1n), target(5n, 1n)])).to.throw(ValidationError);
    expect(() => carryLateSlices([late("x", 5n, 1n)], [target(5n, 10n)])).to.throw(ValidationError);
  });

  it("when carried slices are batched, they join the target window's batch and keep their leaf times", () => {
    const { carried } = carryLateSlices([late("x", 0n, 300n)], [target(5n, 1000n)]);
    const { batches } = buildBatches(carried, { now: T0 + 7n * H });
    expect(batches[0]).to.deep.include({ periodStart: T0 + 5n * H, periodEnd: T0 + 6n * H });
    expect(batches[0].leaves[0].sliceEnd <= batches[0].periodStart).to.equal(true);
  });
});

// Packs (see oracle/state/usageState.ts `PackRow`): ingestion groups the slices of one chunk of
// rows by window piece and stores each group as one row with its lines already summed per
// (agreement, sku), its leaves already written as JSON and their Merkle leaf hashes already
// computed. Planning a window then reads a few rows instead of one per slice, and a batch's
// tree only sorts the stored hashes and hashes the inner nodes.
import type { Hex } from "viem";
import { bytes32ToSku, skuToBytes32 } from "../../sdk/eip712";
import { ValidationError } from "../../sdk/errors";
import type { BatchRow, PackRow, UsageState } from "../state/usageState";
import type { UsageRecord } from "../sources/usage";
import { LeafHasher, type UsageLeaf } from "./evidence";
import { sliceRecord, type WindowGrid, type WindowPiece } from "./slicing";

/** One (agreement, sku) sum of a pack. */
export interface PackLine {
  agreementId: bigint;
  sku: Hex;
  gpuSeconds: bigint;
}

/** One slice of a pack, read back. */
export interface PackSlice {
  recordId: string;
  agreementId: bigint;
  sku: Hex;
  sliceStart: bigint;
  sliceEnd: bigint;
  gpuSeconds: bigint;
  gpus: bigint;
  sourceLine: number;
}

const MAX_UINT64 = 2n ** 64n - 1n;
const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** The lines of a pack (`linesJson`). */
export function packLines(linesJson: string): PackLine[] {
  return (JSON.parse(linesJson) as [string, Hex, string][]).map(([agreementId, sku, gpuSeconds]) => ({
    agreementId: BigInt(agreementId),
    sku,
    gpuSeconds: BigInt(gpuSeconds),
  }));
}

/** The slices of a pack (read with its `slicesJson`). */
export function packSlices(pack: Pick<PackRow, "linesJson" | "slicesJson">): PackSlice[] {
  const lines = packLines(pack.linesJson);
  type Stored = [string, number, number | string, number | string, number | string, number | string, number];
  return (JSON.parse(pack.slicesJson) as Stored[]).map(([recordId, line, sliceStart, sliceEnd, gpuSeconds, gpus, sourceLine]) => ({
    recordId,
    agreementId: lines[line].agreementId,
    sku: lines[line].sku,
    sliceStart: BigInt(sliceStart),
    sliceEnd: BigInt(sliceEnd),
    gpuSeconds: BigInt(gpuSeconds),
    gpus: BigInt(gpus),
    sourceLine,
  }));
}

/** A pack slice as a Merkle leaf. */
export function packSliceLeaf(s: PackSlice): UsageLeaf {
  return [s.recordId, s.agreementId.toString(), s.sku, s.sliceStart.toString(), s.sliceEnd.toString(), s.gpuSeconds.toString()];
}

/**
 * Every leaf of a stored batch: its packs' slices (in the order of its pack ids), then the
 * leaves of its slice rows. The same list, in the same order, as the batch was planned with.
 * @throws ValidationError when a pack of the batch is missing from the state.
 */
export function batchLeaves(state: UsageState, batch: Pick<BatchRow, "batchId" | "packIdsJson" | "leavesJson">): UsageLeaf[] {
  const leaves: UsageLeaf[] = [];
  for (const id of JSON.parse(batch.packIdsJson) as number[]) {
    const pack = state.getPack(id);
    if (pack === undefined) throw new ValidationError(`Pack ${id} of batch ${batch.batchId} is missing from the state.`);
    for (const slice of packSlices(pack)) leaves.push(packSliceLeaf(slice));
  }
  for (const leaf of JSON.parse(batch.leavesJson) as UsageLeaf[]) leaves.push(leaf);
  return leaves;
}

/** A number for JSON: as is when exact in a double, else a decimal string. */
function jsonInteger(value: bigint): string {
  return value <= MAX_SAFE ? value.toString() : `"${value}"`;
}

/**
 * A growing UTF-8 text written byte by byte: a pack's slices are written here as they are
 * sliced, so a chunk of rows leaves no small strings behind for the garbage collector.
 */
class TextBytes {
  private bytes = new Uint8Array(1 << 12);
  length = 0;

  private room(n: number): Uint8Array {
    if (this.length + n > this.bytes.length) {
      const bigger = new Uint8Array(Math.max(2 * this.bytes.length, this.length + n));
      bigger.set(this.bytes.subarray(0, this.length));
      this.bytes = bigger;
    }
    return this.bytes;
  }

  byte(c: number): void {
    this.room(1)[this.length++] = c;
  }

  /** A string as UTF-8 (ASCII byte by byte). */
  string(s: string): void {
    const bytes = this.room(s.length);
    const at = this.length;
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) {
        const utf8 = Buffer.from(s, "utf8");
        this.room(utf8.length).set(utf8, at);
        this.length = at + utf8.length;
        return;
      }
      bytes[at + i] = c;
    }
    this.length = at + s.length;
  }

  /** A whole number 0 ≤ n ≤ 2^53 in decimal. */
  integer(n: number): void {
    const bytes = this.room(16);
    if (n < 10) {
      bytes[this.length++] = 48 + n;
      return;
    }
    let digits = 0;
    for (let v = n; v >= 1; v = Math.floor(v / 10)) digits++;
    let at = this.length + digits;
    this.length = at;
    for (let v = n; v >= 1; v = Math.floor(v / 10)) bytes[--at] = 48 + (v % 10);
  }

  text(): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.length).toString("utf8");
  }
}

const COMMA = 44;

interface Building {
  piece: WindowPiece;
  /** The slices' JSON so far, without the brackets. */
  slices: TextBytes;
  count: number;
  hashIndex: number[];
  /** Global pair index → this pack's line index + 1 (0: none yet). */
  lineOf: Int32Array;
  /** This pack's lines: global pair index, and Σ gpuSeconds as a number part (kept below 2^52) and a bigint part. */
  linePair: number[];
  lineSmall: Float64Array;
  lineBig: bigint[];
}

const SMALL_LIMIT = 2 ** 52;

/**
 * Collects the slices of one ingestion chunk and writes them as packs, one per window piece.
 * @example
 * const packs = new PackBuilder();
 * packs.addRecord(record, grid); // its slices
 * packs.write(state, file); // inside the chunk's transaction
 */
export class PackBuilder {
  private readonly building = new Map<number, Building>();
  private readonly hasher = new LeafHasher();
  private readonly skus = new Map<string, Hex>();
  private readonly pairIndex = new Map<bigint, Map<string, number>>();
  private readonly pairs: { agreementId: string; sku: Hex }[] = [];

  /** Slices added since the last {@link write}. */
  get size(): number {
    return this.hasher.count;
  }

  private skuHex(name: string): Hex {
    let sku = this.skus.get(name);
    if (sku === undefined) {
      sku = skuToBytes32(name);
      this.skus.set(name, sku);
    }
    return sku;
  }

  private pair(agreementId: bigint, sku: Hex): number {
    let bySku = this.pairIndex.get(agreementId);
    if (bySku === undefined) {
      bySku = new Map();
      this.pairIndex.set(agreementId, bySku);
    }
    let index = bySku.get(sku);
    if (index === undefined) {
      index = this.pairs.length;
      this.pairs.push({ agreementId: agreementId.toString(), sku });
      bySku.set(sku, index);
    }
    return index;
  }

  private group(pieceStart: number, piece: WindowPiece): Building {
    let group = this.building.get(pieceStart);
    if (group === undefined) {
      const capacity = Math.max(64, 2 * this.pairs.length);
      group = { piece, slices: new TextBytes(), count: 0, hashIndex: [], lineOf: new Int32Array(capacity), linePair: [], lineSmall: new Float64Array(capacity), lineBig: [] };
      this.building.set(pieceStart, group);
    }
    return group;
  }

  /** This pack's line index of a pair (added when new). */
  private lineIndex(group: Building, pair: number): number {
    const index = pair < group.lineOf.length ? group.lineOf[pair] - 1 : -1;
    return index >= 0 ? index : this.newLine(group, pair);
  }

  private newLine(group: Building, pair: number): number {
    if (pair >= group.lineOf.length) {
      const bigger = new Int32Array(2 * pair + 2);
      bigger.set(group.lineOf);
      group.lineOf = bigger;
    }
    const index = group.linePair.length;
    group.linePair.push(pair);
    group.lineBig.push(0n);
    if (index >= group.lineSmall.length) {
      const bigger = new Float64Array(2 * index + 2);
      bigger.set(group.lineSmall);
      group.lineSmall = bigger;
    }
    group.lineOf[pair] = index + 1;
    return index;
  }

  /** Adds GPU-seconds (a number below 2^52) to a line's sum. */
  private static addSmall(group: Building, index: number, gpuSeconds: number): void {
    const small = group.lineSmall[index] + gpuSeconds;
    if (small >= SMALL_LIMIT) {
      group.lineBig[index] += BigInt(small);
      group.lineSmall[index] = 0;
    } else group.lineSmall[index] = small;
  }

  /**
   * Slices a billed record over the grid (as {@link sliceRecord}) into the packs being built;
   * returns the number of slices.
   */
  addRecord(record: UsageRecord, grid: WindowGrid): number {
    const start = Number(record.start);
    const end = Number(record.end);
    const gpus = Number(record.gpus);
    const total = Number(record.gpuSeconds);
    const id = record.agreementId <= MAX_SAFE ? Number(record.agreementId) : record.agreementId;
    const sku = this.skuHex(record.sku);
    const pair = this.pair(record.agreementId, sku);
    const recordId = record.recordId;
    const head = `[${JSON.stringify(recordId)},`;
    const tail = `,${jsonInteger(record.gpus)},${record.source.line}]`;
    let count = 0;
    // Numbers for a record that bills its full (end − start) × gpus (every Slurm record), as sliceRecord would.
    if (end <= Number.MAX_SAFE_INTEGER && start >= 0 && end > start && gpus > 0 && total <= SMALL_LIMIT && total === (end - start) * gpus) {
      const skuWord = this.hasher.skuWord(sku);
      for (let t = start; t < end; ) {
        const piece = grid.pieceAtSeconds(t);
        const sliceEnd = piece.pieceEnd < end ? piece.pieceEnd : end;
        const gpuSeconds = (sliceEnd - t) * gpus;
        let group = this.building.get(piece.pieceStart);
        if (group === undefined) {
          group = this.group(piece.pieceStart, {
            windowStart: BigInt(piece.windowStart),
            windowEnd: BigInt(piece.windowEnd),
            pieceStart: BigInt(piece.pieceStart),
            pieceEnd: BigInt(piece.pieceEnd),
          });
        }
        const line = this.lineIndex(group, pair);
        PackBuilder.addSmall(group, line, gpuSeconds);
        const out = group.slices;
        if (group.count++ > 0) out.byte(COMMA);
        out.string(head);
        out.integer(line);
        out.byte(COMMA);
        out.integer(t);
        out.byte(COMMA);
        out.integer(sliceEnd);
        out.byte(COMMA);
        out.integer(gpuSeconds);
        out.string(tail);
        group.hashIndex.push(this.hasher.addChecked(recordId, id, skuWord, t, sliceEnd, gpuSeconds));
        count += 1;
        t = sliceEnd;
      }
      return count;
    }
    for (const slice of sliceRecord(record, grid)) {
      if (slice.gpuSeconds > MAX_UINT64 || slice.sliceEnd > MAX_UINT64) {
        throw new ValidationError(`Slice of ${slice.recordId} does not fit the leaf's uint64 fields.`);
      }
      const { windowStart, windowEnd, pieceStart, pieceEnd } = slice;
      const group = this.group(Number(pieceStart), { windowStart, windowEnd, pieceStart, pieceEnd });
      const line = this.lineIndex(group, pair);
      group.lineBig[line] += slice.gpuSeconds;
      if (group.count++ > 0) group.slices.byte(COMMA);
      group.slices.string(`${head}${line},${jsonInteger(slice.sliceStart)},${jsonInteger(slice.sliceEnd)},${jsonInteger(slice.gpuSeconds)}${tail}`);
      group.hashIndex.push(this.hasher.add(recordId, id, sku, slice.sliceStart, slice.sliceEnd, slice.gpuSeconds));
      count += 1;
    }
    return count;
  }

  /** Drops what was collected (the transaction it was for was rolled back). */
  clear(): void {
    this.hasher.hash();
    this.building.clear();
  }

  /** Writes the collected slices as pending packs (call inside a transaction); returns how many packs. */
  write(state: UsageState, sourceFile: string): number {
    if (this.hasher.count === 0) return 0;
    const words = new Uint32Array(Uint8Array.from(this.hasher.hash()).buffer);
    let written = 0;
    for (const group of this.building.values()) {
      // The group's hashes, copied as 32-bit words (a native call per hash costs more).
      const blob = new Uint32Array(8 * group.hashIndex.length);
      group.hashIndex.forEach((h, i) => {
        for (let w = 0; w < 8; w++) blob[8 * i + w] = words[8 * h + w];
      });
      let gpuSeconds = 0n;
      const lines = group.linePair.map((pair, i) => {
        const total = BigInt(group.lineSmall[i]) + group.lineBig[i];
        gpuSeconds += total;
        return [this.pairs[pair].agreementId, this.pairs[pair].sku, total.toString()];
      });
      state.addPack({
        ...group.piece,
        sourceFile,
        sliceCount: group.count,
        gpuSeconds,
        linesJson: JSON.stringify(lines),
        slicesJson: `[${group.slices.text()}]`,
        hashes: Buffer.from(blob.buffer),
      });
      written += 1;
    }
    this.building.clear();
    return written;
  }
}

/**
 * Turns a pack into one slice row per slice, with the pack's state and batch (inside the
 * caller's transaction), so its slices can go separate ways. A pack no batch refers to is
 * deleted; one in a batch is kept, marked `exploded`, so the batch's leaves stay readable.
 * Returns the new rows' ids.
 * @throws ValidationError when the pack does not exist or was exploded before.
 */
export function explodePack(state: UsageState, id: number): number[] {
  const pack: PackRow | undefined = state.getPack(id);
  if (pack === undefined || pack.state === "exploded") throw new ValidationError(`Pack ${id} is not in the state or was exploded before.`);
  const packState = pack.state;
  const skuNames = new Map<string, string>();
  const ids = packSlices(pack).map((slice) => {
    let sku = skuNames.get(slice.sku);
    if (sku === undefined) {
      sku = bytes32ToSku(slice.sku);
      skuNames.set(slice.sku, sku);
    }
    return state.addSlice({
      recordId: slice.recordId,
      agreementId: slice.agreementId,
      sku,
      sliceStart: slice.sliceStart,
      sliceEnd: slice.sliceEnd,
      gpus: slice.gpus,
      gpuSeconds: slice.gpuSeconds,
      windowStart: pack.windowStart,
      windowEnd: pack.windowEnd,
      pieceStart: pack.pieceStart,
      pieceEnd: pack.pieceEnd,
      carried: false,
      state: packState,
      batchId: pack.batchId,
      sourceFile: pack.sourceFile,
      sourceLine: slice.sourceLine,
    });
  });
  if (pack.batchId === null) state.deletePack(id);
  else state.setPackState(id, "exploded", pack.batchId);
  return ids;
}

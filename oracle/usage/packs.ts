// Packs (see oracle/state/usage/rows.ts `PackRow`): ingestion groups the slices of one chunk of
// rows by window piece and stores each group as one row with its lines already summed per
// (agreement, sku), its leaves already written as JSON and their Merkle leaf hashes already
// computed. Planning a window then reads a few rows instead of one per slice, and a batch's
// tree only sorts the stored hashes and hashes the inner nodes.
import type { Hex } from "viem";
import { bytes32ToSku, skuToBytes32 } from "../../sdk/eip712";
import { ValidationError } from "../../sdk/errors";
import type { BatchRow, PackRow, SliceRow, UsageState } from "../state/usageState";
import type { UsageRecord } from "../sources/usage";
import { LeafHasher, type LeafHasherOptions, type UsageLeaf, type UsageLeafFields } from "./evidence";
import { sliceRecord, type WindowGrid, type WindowPiece } from "./slicing";

/** One (agreement, sku) sum of a pack. */
export interface PackLine {
  agreementId: bigint;
  sku: Hex;
  gpuSeconds: bigint;
}

/** One slice of a pack, read back: its leaf's fields (the sku as bytes32, as the pack's lines hold it), GPUs and source line. */
export type PackSlice = Omit<UsageLeafFields, "sku"> & Pick<SliceRow, "gpus" | "sourceLine"> & { sku: Hex };

/** A whole number in a pack's JSON: a number, or a decimal string at 2^53 and above. */
type JsonInteger = number | string;

/** A slice as `slicesJson` stores it; `line` points into the pack's `linesJson`. */
type StoredSlice = [recordId: string, line: number, sliceStart: JsonInteger, sliceEnd: JsonInteger, gpuSeconds: JsonInteger, gpus: JsonInteger, sourceLine: number];

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
  return (JSON.parse(pack.slicesJson) as StoredSlice[]).map(([recordId, line, sliceStart, sliceEnd, gpuSeconds, gpus, sourceLine]) => ({
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
 * A growing UTF-8 text written byte by byte (the records' JSON pieces, then each pack's slice
 * JSON), so a chunk of rows leaves no small strings behind for the garbage collector.
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
    if (n < 2_147_483_648) {
      // 32-bit integer arithmetic (times until 2038, counts, GPU-seconds of a window)
      let digits = 1;
      for (let x = n; x >= 10; x = (x / 10) | 0) digits++;
      let at = this.length + digits;
      this.length = at;
      let v = n | 0;
      do {
        const q = (v / 10) | 0;
        bytes[--at] = 48 + v - q * 10;
        v = q;
      } while (v > 0);
      return;
    }
    let digits = 0;
    for (let v = n; v >= 1; v = Math.floor(v / 10)) digits++;
    let at = this.length + digits;
    this.length = at;
    for (let v = n; v >= 1; v = Math.floor(v / 10)) bytes[--at] = 48 + (v % 10);
  }

  /** Bytes `[from, to)` of `source`. */
  copy(source: Uint8Array, from: number, to: number): void {
    const bytes = this.room(to - from);
    let at = this.length;
    for (let i = from; i < to; i++) bytes[at++] = source[i];
    this.length = at;
  }

  /** The bytes written so far (a view, valid until the next write). */
  view(): Uint8Array {
    return this.bytes;
  }

  text(): string {
    return Buffer.from(this.bytes.buffer, this.bytes.byteOffset, this.length).toString("utf8");
  }
}

const COMMA = 44;

const SMALL_LIMIT = 2 ** 52;

/** A growable column of numbers. */
class Column<T extends Int32Array | Float64Array> {
  constructor(
    public values: T,
    private readonly make: (n: number) => T,
  ) {}

  set(i: number, value: number): void {
    if (i >= this.values.length) {
      const bigger = this.make(2 * i + 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[i] = value;
  }
}

const int32s = (n: number) => new Int32Array(n);
const float64s = (n: number) => new Float64Array(n);

/**
 * Collects the slices of one ingestion chunk and writes them as packs, one per window piece.
 * Slices are first kept in columns in the order they are cut (records arrive in any time
 * order, so their slices land in pieces all over the grid); {@link write} then groups them by
 * piece and writes each pack's JSON and hashes in one sequential pass.
 * @example
 * const packs = new PackBuilder();
 * packs.addRecord(record, grid); // its slices
 * packs.write(state, file); // inside the chunk's transaction
 */
export class PackBuilder {
  private readonly hasher: LeafHasher;
  private readonly skus = new Map<string, Hex>();
  private readonly pairIndex = new Map<bigint, Map<string, number>>();
  private readonly pairs: { agreementId: string; sku: Hex }[] = [];
  /** The pieces of the chunk, and pieceStart → index. */
  private pieces: WindowPiece[] = [];
  private readonly pieceIndex = new Map<number, number>();
  /**
   * Per record: the JSON before and after a slice's numbers (`[recordId,` and `,gpus,line]`),
   * as UTF-8 in one buffer (record r's head is bytes [textAt[2r], textAt[2r+1]), its tail up to
   * textAt[2r+2]), and its (agreement, sku) pair.
   */
  private readonly recordText = new TextBytes();
  private readonly textAt = new Column(new Int32Array(2048), int32s);
  private readonly recordPair = new Column(new Int32Array(1024), int32s);
  /** Per slice (its leaf index in the hasher): record, piece, start, end, GPU-seconds. */
  private readonly sliceOwner = new Column(new Int32Array(4096), int32s);
  private readonly slicePiece = new Column(new Int32Array(4096), int32s);
  private readonly sliceStart = new Column(new Float64Array(4096), float64s);
  private readonly sliceEnd = new Column(new Float64Array(4096), float64s);
  private readonly sliceGpuSeconds = new Column(new Float64Array(4096), float64s);
  /** Slices with values beyond 2^53 (their start is NaN in the columns): the JSON numbers and GPU-seconds. */
  private readonly large = new Map<number, { numbers: string; gpuSeconds: bigint }>();
  private records = 0;
  private slices = 0;

  /** `hashing`: how the leaf hashes are computed (by default full blocks go to the shared worker thread). */
  constructor(hashing: LeafHasherOptions = {}) {
    this.hasher = new LeafHasher(hashing);
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

  private piece(pieceStart: number, piece: () => WindowPiece): number {
    let index = this.pieceIndex.get(pieceStart);
    if (index === undefined) {
      index = this.pieces.length;
      this.pieces.push(piece());
      this.pieceIndex.set(pieceStart, index);
    }
    return index;
  }

  private addSlice(record: number, piece: number, start: number, end: number, gpuSeconds: number): void {
    const i = this.slices++;
    this.sliceOwner.set(i, record);
    this.slicePiece.set(i, piece);
    this.sliceStart.set(i, start);
    this.sliceEnd.set(i, end);
    this.sliceGpuSeconds.set(i, gpuSeconds);
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
    const r = this.records++;
    if (r === 0) this.textAt.set(0, 0);
    this.recordText.string(`[${JSON.stringify(record.recordId)},`);
    this.textAt.set(2 * r + 1, this.recordText.length);
    this.recordText.string(`,${jsonInteger(record.gpus)},${record.source.line}]`);
    this.textAt.set(2 * r + 2, this.recordText.length);
    this.recordPair.set(r, this.pair(record.agreementId, sku));
    const recordId = record.recordId;
    let count = 0;
    // Numbers for a record that bills its full (end − start) × gpus (every Slurm record), as sliceRecord would.
    if (end <= Number.MAX_SAFE_INTEGER && start >= 0 && end > start && gpus > 0 && total <= SMALL_LIMIT && total === (end - start) * gpus) {
      const skuWord = this.hasher.skuWord(sku);
      for (let t = start; t < end; ) {
        const p = grid.pieceAtSeconds(t);
        const sliceEnd = p.pieceEnd < end ? p.pieceEnd : end;
        const gpuSeconds = (sliceEnd - t) * gpus;
        const piece = this.piece(p.pieceStart, () => ({
          windowStart: BigInt(p.windowStart),
          windowEnd: BigInt(p.windowEnd),
          pieceStart: BigInt(p.pieceStart),
          pieceEnd: BigInt(p.pieceEnd),
        }));
        this.addSlice(r, piece, t, sliceEnd, gpuSeconds);
        this.hasher.addChecked(recordId, id, skuWord, t, sliceEnd, gpuSeconds);
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
      const piece = this.piece(Number(pieceStart), () => ({ windowStart, windowEnd, pieceStart, pieceEnd }));
      this.large.set(this.slices, {
        numbers: `${jsonInteger(slice.sliceStart)},${jsonInteger(slice.sliceEnd)},${jsonInteger(slice.gpuSeconds)}`,
        gpuSeconds: slice.gpuSeconds,
      });
      this.addSlice(r, piece, NaN, NaN, NaN);
      this.hasher.add(recordId, id, sku, slice.sliceStart, slice.sliceEnd, slice.gpuSeconds);
      count += 1;
    }
    return count;
  }

  /** Drops what was collected (the transaction it was for was rolled back). */
  clear(): void {
    this.hasher.discard();
    this.reset();
  }

  private reset(): void {
    this.pieces = [];
    this.pieceIndex.clear();
    this.recordText.length = 0;
    this.large.clear();
    this.records = 0;
    this.slices = 0;
  }

  /** Writes the collected slices as pending packs (call inside a transaction); returns how many packs. */
  write(state: UsageState, sourceFile: string): number {
    const n = this.slices;
    if (n === 0) return 0;
    const words = new Uint32Array(Uint8Array.from(this.hasher.hash()).buffer);
    const record = this.sliceOwner.values;
    const pieceOf = this.slicePiece.values;
    const starts = this.sliceStart.values;
    const ends = this.sliceEnd.values;
    const gpuSeconds = this.sliceGpuSeconds.values;
    const recordPair = this.recordPair.values;
    const recordText = this.recordText.view();
    const textAt = this.textAt.values;
    // Slices grouped by piece, in the order they were cut (a counting sort).
    const first = new Int32Array(this.pieces.length + 1);
    for (let i = 0; i < n; i++) first[pieceOf[i] + 1] += 1;
    for (let p = 0; p < this.pieces.length; p++) first[p + 1] += first[p];
    const order = new Int32Array(n);
    const next = first.slice(0, this.pieces.length);
    for (let i = 0; i < n; i++) order[next[pieceOf[i]]++] = i;
    const lineOf = new Int32Array(this.pairs.length);
    const text = new TextBytes();
    for (let p = 0; p < this.pieces.length; p++) {
      const from = first[p];
      const count = first[p + 1] - from;
      const linePair: number[] = [];
      const small: number[] = [];
      const big: bigint[] = [];
      const blob = new Uint32Array(8 * count);
      text.length = 0;
      for (let k = 0; k < count; k++) {
        const i = order[from + k];
        const r = record[i];
        const pair = recordPair[r];
        let line = lineOf[pair] - 1;
        if (line < 0) {
          line = linePair.length;
          linePair.push(pair);
          small.push(0);
          big.push(0n);
          lineOf[pair] = line + 1;
        }
        if (k > 0) text.byte(COMMA);
        text.copy(recordText, textAt[2 * r], textAt[2 * r + 1]);
        text.integer(line);
        text.byte(COMMA);
        const large = Number.isNaN(starts[i]) ? this.large.get(i) : undefined;
        if (large === undefined) {
          const sum = small[line] + gpuSeconds[i];
          if (sum >= SMALL_LIMIT) {
            big[line] += BigInt(sum);
            small[line] = 0;
          } else small[line] = sum;
          text.integer(starts[i]);
          text.byte(COMMA);
          text.integer(ends[i]);
          text.byte(COMMA);
          text.integer(gpuSeconds[i]);
        } else {
          big[line] += large.gpuSeconds;
          text.string(large.numbers);
        }
        text.copy(recordText, textAt[2 * r + 1], textAt[2 * r + 2]);
        // The slice's leaf hash, copied as 32-bit words (a native call per hash costs more).
        for (let w = 0; w < 8; w++) blob[8 * k + w] = words[8 * i + w];
      }
      let total = 0n;
      const lines = linePair.map((pair, line) => {
        lineOf[pair] = 0;
        const sum = BigInt(small[line]) + big[line];
        total += sum;
        return [this.pairs[pair].agreementId, this.pairs[pair].sku, sum.toString()];
      });
      state.addPack({
        ...this.pieces[p],
        sourceFile,
        sliceCount: count,
        gpuSeconds: total,
        linesJson: JSON.stringify(lines),
        slicesJson: `[${text.text()}]`,
        hashes: Buffer.from(blob.buffer),
      });
    }
    const written = this.pieces.length;
    this.reset();
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
  const { windowStart, windowEnd, pieceStart, pieceEnd, state: packState, batchId, sourceFile } = pack;
  const skuNames = new Map<string, string>();
  const ids = packSlices(pack).map((slice) => {
    let sku = skuNames.get(slice.sku);
    if (sku === undefined) {
      sku = bytes32ToSku(slice.sku);
      skuNames.set(slice.sku, sku);
    }
    return state.addSlice({ ...slice, sku, windowStart, windowEnd, pieceStart, pieceEnd, carried: false, state: packState, batchId, sourceFile });
  });
  if (pack.batchId === null) state.deletePack(id);
  else state.setPackState(id, "exploded", pack.batchId);
  return ids;
}

// Leaf hashing on a second core (issue 13): a worker thread (leafHashWorker.cjs) hashes blocks of leaf
// encodings that a LeafHasher hands over in a few fixed slots of shared memory, while the main thread goes on
// parsing, slicing and packing. The main thread never waits for the worker: with no free slot it takes its own
// newest ready block back and hashes it itself, and whatever the worker has not finished when the hashes are
// needed is hashed on the main thread too. Memory stays flat (the slots are allocated once) and the hashes are
// the same bytes either way.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from "node:worker_threads";
import { FatalError, RetryableError } from "../../sdk/errors";

/** Slot states, in `control[3 * slot]`. */
const FREE = 0;
const READY = 1;
const TAKEN = 2;
const DONE = 3;
const FAILED = 4;
/** Held by the main thread: being filled, or taken back from the worker. */
const OWNED = 5;
/** Per slot in `control`: state, leaf count, sequence number (the worker takes the oldest ready block first). */
const FIELDS = 3;
const FIX = "Run the command again: a new worker is started, and the rows whose leaves it was hashing were not stored.";

/** The error of a worker that failed or stopped: `reason` says how. */
function workerFailed(reason: string): RetryableError {
  return new RetryableError(`The leaf hash worker thread failed (${reason}).`, { fix: FIX });
}

/** The smallest leaf encoding (an empty recordId): bounds the leaves a slot's bytes can hold. */
const MIN_LEAF_BYTES = 7 * 32;

/** Options of a {@link LeafHashPool}. */
export interface LeafHashPoolOptions {
  /** Blocks in flight at most (default 6). */
  slots?: number;
  /** Bytes of encodings a slot holds (default 1 MiB). */
  slotBytes?: number;
  /** The worker's script (default leafHashWorker.cjs beside this file). */
  workerFile?: string;
}

/** A block handed to the worker, as its hasher tracks it. */
export interface PoolBlock {
  slot: number;
  /** Where its hashes go in the hasher's output, in bytes. */
  at: number;
  count: number;
}

/**
 * A worker thread and its shared slots for leaf hashing. One per process ({@link sharedLeafHashPool});
 * the worker is unreferenced, so it never keeps the process alive.
 */
export class LeafHashPool {
  readonly slotBytes: number;
  readonly slotLeaves: number;
  private readonly control: Int32Array;
  private readonly bytes: Uint8Array[] = [];
  private readonly tables: Int32Array[] = [];
  private readonly outputs: Uint8Array[] = [];
  private readonly worker: Worker;
  private readonly errors: MessagePort;
  private sequence = 0;
  /** Slots given up while the worker held them: freed once it lets go. */
  private readonly orphans = new Set<number>();
  /** Blocks whose hashes came from the worker, and blocks taken back and hashed on the main thread. */
  readonly stats = { worker: 0, taken: 0 };
  /** Why the worker stopped, once it did. */
  failure: RetryableError | undefined;
  private readonly started: Promise<void>;

  constructor(options: LeafHashPoolOptions = {}) {
    const slots = options.slots ?? 6;
    this.slotBytes = options.slotBytes ?? 1 << 20;
    this.slotLeaves = Math.ceil(this.slotBytes / MIN_LEAF_BYTES);
    this.control = new Int32Array(new SharedArrayBuffer(4 * FIELDS * slots));
    for (let s = 0; s < slots; s++) {
      this.bytes.push(new Uint8Array(new SharedArrayBuffer(this.slotBytes)));
      this.tables.push(new Int32Array(new SharedArrayBuffer(8 * this.slotLeaves)));
      this.outputs.push(new Uint8Array(new SharedArrayBuffer(32 * this.slotLeaves)));
    }
    const { port1, port2 } = new MessageChannel();
    this.errors = port1;
    this.errors.unref();
    const workerData = { control: this.control, bytes: this.bytes, tables: this.tables, outputs: this.outputs, errors: port2 };
    // Plain CommonJS: no loader needed, whether this process runs under tsx or not.
    this.worker = new Worker(options.workerFile ?? WORKER_FILE, { workerData, transferList: [port2], execArgv: [] });
    this.worker.unref();
    this.worker.on("error", (err) => (this.failure ??= workerFailed(err.message.split("\n")[0])));
    this.worker.on("exit", (code) => (this.failure ??= workerFailed(`it exited with code ${code}`)));
    this.started = new Promise<void>((resolve, reject) => {
      this.worker.once("message", () => resolve());
      this.worker.once("error", () => reject(this.failure));
      this.worker.once("exit", () => reject(this.failure));
    });
    this.started.catch(() => undefined);
  }

  /**
   * Resolves once the worker can hash (blocks handed over before are hashed then, or taken back).
   * @throws RetryableError when the worker could not start.
   */
  ready(): Promise<void> {
    return this.started;
  }

  /** Whether a block handed over is waiting for the worker or being hashed by it. */
  busy(): boolean {
    for (let s = 0; s < this.bytes.length; s++) {
      const state = Atomics.load(this.control, FIELDS * s);
      if (state === READY || state === TAKEN) return true;
    }
    return false;
  }

  /** A free slot, now held by the caller; -1 when every slot is in use. */
  acquire(): number {
    for (const slot of this.orphans) {
      const state = Atomics.load(this.control, FIELDS * slot);
      if (state === DONE || state === FAILED) {
        this.orphans.delete(slot);
        Atomics.store(this.control, FIELDS * slot, FREE);
      }
    }
    for (let s = 0; s < this.bytes.length; s++) {
      if (Atomics.compareExchange(this.control, FIELDS * s, FREE, OWNED) === FREE) return s;
    }
    return -1;
  }

  /** Copies `count` leaves' encodings (`bytes[0, end)`, `table` of offset/length pairs) into a held slot and hands it to the worker. */
  submit(slot: number, bytes: Uint8Array, end: number, table: Int32Array, count: number): void {
    this.bytes[slot].set(bytes.subarray(0, end));
    this.tables[slot].set(table.subarray(0, 2 * count));
    this.control[FIELDS * slot + 1] = count;
    this.control[FIELDS * slot + 2] = this.sequence++;
    Atomics.store(this.control, FIELDS * slot, READY);
    this.worker.postMessage(null);
  }

  /** Whether a block fits one slot. */
  fits(end: number, count: number): boolean {
    return end <= this.slotBytes && count <= this.slotLeaves;
  }

  /**
   * Collects a block: its hashes copied to `out` once the worker is done (the slot freed; true), or, with
   * `take`, hashed here with `hashInto` when the worker has not finished it (true); else false. A block the
   * worker is still hashing is hashed here too (no waiting); its slot is freed once the worker lets go.
   * @throws RetryableError when the worker failed on this block (with its message).
   */
  collect(block: PoolBlock, out: Uint8Array, take: boolean, hashInto: (bytes: Uint8Array, table: Int32Array, count: number, out: Uint8Array, at: number) => void): boolean {
    const { slot, at, count } = block;
    for (;;) {
      const state = Atomics.load(this.control, FIELDS * slot);
      if (state === DONE) {
        this.stats.worker += 1;
        out.set(this.outputs[slot].subarray(0, 32 * count), at);
        Atomics.store(this.control, FIELDS * slot, FREE);
        return true;
      }
      if (state === FAILED) {
        // The slot stays FAILED until its hasher drops the block.
        const message = receiveMessageOnPort(this.errors)?.message as string | undefined;
        this.failure ??= workerFailed(message ?? "no reason given");
        throw this.failure;
      }
      if (state !== READY && state !== TAKEN) throw new FatalError(`Leaf hash slot ${slot} is in state ${state}, not holding a block handed over (a bug).`);
      if (!take) return false;
      // A ready block is taken back first (the worker may take it meanwhile: look again).
      if (state === READY && Atomics.compareExchange(this.control, FIELDS * slot, READY, OWNED) !== READY) continue;
      hashInto(this.bytes[slot], this.tables[slot], count, out, at);
      this.stats.taken += 1;
      if (state === READY) Atomics.store(this.control, FIELDS * slot, FREE);
      else this.orphans.add(slot);
      return true;
    }
  }

  /**
   * Takes a ready block back without hashing it (its hasher starts over): the slot is freed now or, when the
   * worker holds it, once the worker is done.
   */
  drop(block: PoolBlock): void {
    const { slot } = block;
    if (Atomics.compareExchange(this.control, FIELDS * slot, READY, FREE) === READY) return;
    const state = Atomics.load(this.control, FIELDS * slot);
    if (state === DONE || state === FAILED) Atomics.store(this.control, FIELDS * slot, FREE);
    else if (state === TAKEN) this.orphans.add(slot);
  }

  /** Takes a block back to hash on this thread: true when the worker had not started it (the caller now holds the slot). */
  reclaim(block: PoolBlock): boolean {
    const mine = Atomics.compareExchange(this.control, FIELDS * block.slot, READY, OWNED) === READY;
    if (mine) this.stats.taken += 1;
    return mine;
  }

  /** The encodings and table of a held slot. */
  slotData(slot: number): { bytes: Uint8Array; table: Int32Array } {
    return { bytes: this.bytes[slot], table: this.tables[slot] };
  }

  /** Stops the worker (tests; the shared pool's worker ends with the process). */
  async close(): Promise<void> {
    this.failure ??= workerFailed("its pool was closed");
    await this.worker.terminate();
    this.errors.close();
  }
}

/** The worker's script, beside this module. */
const WORKER_FILE = join(__dirname, "leafHashWorker.cjs");

let shared: LeafHashPool | undefined;

/**
 * The process's leaf hash pool, started on first use (and again after a failure); null when the worker's script
 * is not beside this module (a single-file bundle of the CLI, as the crash tests build): then every leaf is hashed
 * on the main thread, as before the worker.
 */
export function sharedLeafHashPool(): LeafHashPool | null {
  if (shared === undefined || shared.failure !== undefined) {
    if (!existsSync(WORKER_FILE)) return null;
    shared = new LeafHashPool();
  }
  return shared;
}

// The reorg-safe indexer (SERVICES §4): follows the ledger's and its credit token's logs from the
// deployment block in block-range chunks; each chunk and its checkpoint commit in one transaction under
// the writer lease; a block-hash mismatch rolls the index back to the common ancestor and re-indexes.
import { randomUUID } from "node:crypto";
import os from "node:os";
import type { Kysely, Transaction } from "kysely";
import type { Logger } from "pino";
import { toHex, type Block, type Chain, type Hex, type PublicClient, type RpcLog, type Transport } from "viem";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { withRetry } from "../../sdk/chain";
import type { Deployment } from "../../sdk/deployment";
import { isRetryable } from "../../sdk/errors";
import type { BlocksTable, Database } from "../db/schema";
import { Notifier, type CommittedBlock } from "../notifications/notifier";
import type { NotificationHook, NotificationRow } from "../notifications/store";
import { decodeLog, type DecodedLog, type RawLog } from "./events";
import { LedgerModel, type ModelChanges } from "./model";
import {
  acquireLease,
  blockRow,
  commitChunk,
  initIndexerState,
  readIndexerState,
  releaseLease,
  rollbackTo,
  setInitialCheckpoint,
  storedBlocks,
  storedLogs,
  touchHead,
  LeaseLostError,
  type Checkpoint,
  type HeadInfo,
} from "./store";

export interface IndexerOptions {
  db: Kysely<Database>;
  publicClient: PublicClient<Transport, Chain>;
  deployment: Deployment;
  logger: Logger;
  /** Blocks at least this deep count as final (default 0: every indexed block is final). */
  confirmations?: number;
  /** Most blocks per eth_getLogs call (default 2000; halved while the node refuses a range). */
  chunkSize?: number;
  /**
   * Logs a chunk aims at (default 2000): ranges start at 100 blocks and grow or shrink with the logs per block
   * seen, up to `chunkSize`, so a dense stretch of chain commits in bounded transactions while the next range
   * is already being fetched.
   */
  targetLogs?: number;
  /** Wait between polls once caught up (default 1000 ms). */
  pollIntervalMs?: number;
  /** Writer lease duration (default 30 s); renewed with every commit and poll. */
  leaseTtlMs?: number;
  /** Lease owner id; default host:pid:random. */
  owner?: string;
  /**
   * Notifications (SERVICES §4) derived from blocks as they become final, in the `notifications` table; `false`
   * turns them off. `dueSoonSeconds`: how long before a due date payment.due_soon goes out (default 3 days).
   */
  notifications?: { dueSoonSeconds?: number } | false;
}

/** What the indexer last did, for logs, `/v1/ready` and tests. */
export interface IndexerStatus {
  checkpoint?: Checkpoint;
  head?: number;
  holdsLease: boolean;
  reorgs: number;
  lastError?: string;
}

type ChainBlock = Pick<Block, "hash" | "parentHash" | "timestamp" | "number">;

/** A range's logs as fetched (decoded, block times filled in), with its first and last headers. */
interface FetchedRange {
  kind: "ok";
  from: number;
  to: number;
  fromBlock: ChainBlock;
  toBlock: ChainBlock;
  logs: { raw: RawLog; decoded: DecodedLog }[];
  fetchMs: number;
}

/** Why a range must be fetched again: the node refused it (too many results), or the chain moved under it. */
type FetchOutcome = FetchedRange | { kind: "refused" } | { kind: "moved"; block: number; why: string };

/** Block hashes and times by number. */
type Stamps = Map<number, { hash: string; timestamp: number }>;

/** Splits logs (in chain order) into parts of about `target` logs, never inside a block. */
function splitAtBlocks<T extends { raw: RawLog }>(logs: T[], target: number): T[][] {
  if (logs.length <= target * 1.5) return [logs];
  const parts: T[][] = [];
  let start = 0;
  while (start < logs.length) {
    let end = Math.min(logs.length, start + target);
    while (end < logs.length && logs[end].raw.blockNumber === logs[end - 1].raw.blockNumber) end++;
    if (logs.length - end < target / 2) end = logs.length;
    parts.push(logs.slice(start, end));
    start = end;
  }
  return parts;
}

/** Ranges up to this many blocks fetch every header with the logs (one JSON-RPC batch is 250 calls). */
const ALL_HEADERS = 240;

/** The ledger's constants no event carries (PROTOCOL §3), in `initIndexerState`'s order. */
const CONSTANTS = [
  "DISPUTE_WINDOW",
  "RATE_NOTICE",
  "AUTH_NOTICE",
  "REPORTING_GRACE",
  "SIGNER_NOTICE",
  "MIGRATION_NOTICE",
  "PAYOUT_NOTICE",
] as const;

/** First range of a run: small until the chain's density of logs is known. */
const FIRST_RANGE = 100;

/** Follows the chain into the database; one process holds the writer lease at a time. */
export class Indexer {
  private readonly db: Kysely<Database>;
  private readonly client: PublicClient<Transport, Chain>;
  private readonly deployment: Deployment;
  private readonly log: Logger;
  private readonly confirmations: number;
  private chunkSize: number;
  private readonly maxChunkSize: number;
  private readonly targetLogs: number;
  /** The next range, fetched while the current one is applied and committed. */
  private prefetch?: { from: number; to: number; outcome: Promise<FetchOutcome | { kind: "error"; err: unknown }> };
  private readonly pollIntervalMs: number;
  private readonly leaseTtlMs: number;
  readonly owner: string;

  private model?: LedgerModel;
  private checkpoint?: Checkpoint;
  private stopping = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly state: IndexerStatus = { holdsLease: false, reorgs: 0 };
  private readonly listeners: (() => void)[] = [];
  private readonly leaseListeners: ((held: boolean) => void)[] = [];
  private readonly notificationHooks: NotificationHook[] = [];
  private readonly notifier?: Notifier;

  constructor(options: IndexerOptions) {
    this.db = options.db;
    this.client = options.publicClient;
    this.deployment = options.deployment;
    this.log = options.logger.child({ component: "indexer" });
    this.confirmations = options.confirmations ?? 0;
    this.maxChunkSize = options.chunkSize ?? 2000;
    this.chunkSize = Math.min(this.maxChunkSize, FIRST_RANGE);
    this.targetLogs = options.targetLogs ?? 2000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.leaseTtlMs = options.leaseTtlMs ?? 30_000;
    this.owner = options.owner ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
    if (options.notifications !== false) {
      this.notifier = new Notifier({
        db: this.db,
        chainId: this.deployment.chainId,
        ledger: this.deployment.ledger,
        credit: this.deployment.credit,
        startBlock: this.deployment.deploymentBlock - 1,
        logger: options.logger,
        dueSoonSeconds: options.notifications?.dueSoonSeconds,
        hooks: this.notificationHooks,
      });
    }
  }

  /**
   * Calls `hook` inside each transaction that stores notifications, with the rows it inserted (in `seq` order), so
   * what the hook writes (the webhook outbox) commits or fails with them. Only the lease holder stores notifications.
   */
  onNotificationsInserted(hook: NotificationHook): void {
    this.notificationHooks.push(hook);
  }

  /** Blocks ≤ this have been turned into notifications by this process (-1 before its first derivation). */
  notifiedThrough(): number {
    return this.notifier?.through ?? -1;
  }

  /** Calls `listener` after every committed checkpoint move (a chunk, a part of one, a reorg rollback). */
  onCheckpoint(listener: () => void): void {
    this.listeners.push(listener);
  }

  /**
   * Calls `listener` after every attempt to take the writer lease (at start-up, and while another process holds it),
   * with whether this process now holds it.
   */
  onLeaseAttempt(listener: (held: boolean) => void): void {
    this.leaseListeners.push(listener);
  }

  private moved(): void {
    for (const listener of this.listeners) listener();
  }

  /** The indexer's progress. */
  status(): IndexerStatus {
    return { ...this.state, checkpoint: this.checkpoint && { ...this.checkpoint } };
  }

  /** Starts following the chain in the background (returns at once; errors are logged and retried). */
  start(): void {
    if (this.loop) return;
    this.stopping = false;
    this.loop = this.run();
  }

  /** Stops at a transaction boundary and gives the lease up. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wake?.();
    await this.loop;
    this.loop = undefined;
    this.prefetch = undefined;
    if (this.state.holdsLease) {
      await releaseLease(this.db, this.owner).catch(() => undefined);
      this.state.holdsLease = false;
    }
  }

  /** Indexes until the checkpoint reaches the head seen at the call (for tests and scripts). */
  async syncToHead(): Promise<Checkpoint> {
    await this.prepare();
    while (!this.state.holdsLease) {
      await new Promise((resolve) => setTimeout(resolve, Math.max(100, this.leaseTtlMs / 10)));
      await this.prepare();
    }
    const head = Number(await this.client.getBlockNumber({ cacheTime: 0 }));
    while (this.checkpoint!.number < head || !(await this.checkpointIsCanonical())) {
      await this.step();
    }
    return { ...this.checkpoint! };
  }

  private async run(): Promise<void> {
    let backoff = 250;
    while (!this.stopping) {
      try {
        await this.prepare();
        if (!this.state.holdsLease) {
          await this.sleep(Math.max(250, this.leaseTtlMs / 3));
          continue;
        }
        const progressed = await this.step();
        backoff = 250;
        if (!progressed) await this.sleep(this.pollIntervalMs);
      } catch (err) {
        this.state.lastError = err instanceof Error ? err.message : String(err);
        if (err instanceof LeaseLostError) {
          this.log.warn({ owner: this.owner }, err.message);
          this.state.holdsLease = false;
        } else {
          this.log.error({ err }, "indexer step failed; retrying");
        }
        // memory may be ahead of the database after a failed commit: rebuild it from the stored logs
        this.model = undefined;
        this.prefetch = undefined;
        this.notifier?.reset();
        await this.sleep(backoff);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  private async sleep(ms: number): Promise<void> {
    if (this.stopping) return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, ms);
      this.wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.wake = undefined;
  }

  /** Writes the deployment row, takes the lease, sets the first checkpoint and replays the stored logs. */
  private async prepare(): Promise<void> {
    if (this.model && this.state.holdsLease) return;
    const { deployment } = this;
    // constants no event carries, read once
    const read = (functionName: (typeof CONSTANTS)[number]) =>
      this.rpc(() => this.client.readContract({ address: deployment.ledger, abi: revenueShareLedgerAbi, functionName })).then(Number);
    const [disputeWindow, rateNotice, authNotice, reportingGrace, signerNotice, migrationNotice, payoutNotice] = await Promise.all(CONSTANTS.map(read));
    await initIndexerState(this.db, {
      chainId: deployment.chainId,
      ledger: deployment.ledger,
      credit: deployment.credit,
      settlementToken: deployment.settlementToken,
      deploymentBlock: deployment.deploymentBlock,
      disputeWindow,
      rateNotice,
      authNotice,
      reportingGrace,
      signerNotice,
      migrationNotice,
      payoutNotice,
    });
    this.state.holdsLease = await acquireLease(this.db, this.owner, this.leaseTtlMs);
    for (const listener of this.leaseListeners) listener(this.state.holdsLease);
    if (!this.state.holdsLease) {
      this.log.debug({ owner: this.owner }, "another process holds the writer lease; waiting");
      return;
    }
    const start = deployment.deploymentBlock - 1;
    if (start >= 0) {
      const block = await this.block(start);
      await setInitialCheckpoint(this.db, { number: start, hash: block.hash!, timestamp: Number(block.timestamp) });
      await this.db
        .insertInto("blocks")
        .values(blockRow({ number: start, hash: block.hash!, timestamp: Number(block.timestamp) }, []))
        .onConflict((oc) => oc.column("number").doNothing())
        .execute();
    } else {
      await setInitialCheckpoint(this.db, { number: -1, hash: "0x", timestamp: 0 });
    }
    const row = (await readIndexerState(this.db))!;
    this.checkpoint = { number: row.checkpoint_number!, hash: row.checkpoint_hash!, timestamp: row.checkpoint_timestamp! };
    this.model = await this.replay(this.db, true);
    this.log.info({ checkpoint: this.checkpoint.number, owner: this.owner }, "indexer ready");
  }

  /** A fresh model fed every stored log (and, with `notifier`, the notifier rebuilt in the same pass). */
  private async replay(db: Kysely<Database> | Transaction<Database>, notifier = false): Promise<LedgerModel> {
    const model = new LedgerModel();
    const feed = notifier ? await this.notifier?.rebuilding(db) : undefined;
    for await (const page of storedLogs(db)) {
      for (const raw of page) {
        const decoded = this.decode(raw);
        if (decoded) model.apply(decoded);
        feed?.add(raw, decoded);
      }
    }
    feed?.finish();
    model.takeChanges();
    return model;
  }

  private decode(raw: RawLog): DecodedLog | undefined {
    return decodeLog(raw, this.deployment.ledger, this.deployment.credit);
  }

  private rpc<T>(fn: () => Promise<T>): Promise<T> {
    return withRetry(fn, {
      attempts: 6,
      onRetry: (err, attempt, delayMs) => this.log.warn({ attempt, delayMs, err: String(err) }, "RPC failed; retrying"),
    });
  }

  /**
   * A block's number, hash, parent hash and time, read from the raw JSON-RPC answer (viem's block formatting
   * converts every field of the block, a cost paid per header).
   */
  private async block(number: number): Promise<ChainBlock> {
    const raw = (await this.rpc(() =>
      this.client.request({ method: "eth_getBlockByNumber", params: [toHex(number), false] }),
    )) as { number: Hex; hash: Hex | null; parentHash: Hex; timestamp: Hex } | null;
    if (!raw) throw new Error(`block ${number} is not known to the node (yet)`);
    return { number: BigInt(raw.number), hash: raw.hash, parentHash: raw.parentHash, timestamp: BigInt(raw.timestamp) };
  }

  /** Whether the chain still has the checkpoint block (false too when the chain is now shorter: a reorg). */
  private async checkpointIsCanonical(): Promise<boolean> {
    const cp = this.checkpoint!;
    if (cp.number < 0) return true;
    const raw = (await this.rpc(() => this.client.request({ method: "eth_getBlockByNumber", params: [toHex(cp.number), false] }))) as { hash: Hex | null } | null;
    return raw?.hash === cp.hash;
  }

  /** One chunk (or a reorg rollback, or an idle poll). Returns whether the checkpoint moved. */
  private async step(): Promise<boolean> {
    const head = Number(await this.rpc(() => this.client.getBlockNumber({ cacheTime: 0 })));
    this.state.head = head;
    const final = head - this.confirmations;
    const cp = this.checkpoint!;
    if (cp.number >= head) {
      if (!(await this.checkpointIsCanonical())) {
        await this.handleReorg("the checkpoint block was replaced");
        return true;
      }
      await touchHead(this.db, this.owner, this.leaseTtlMs, { head, final });
      await this.notify(final);
      return false;
    }
    const from = cp.number + 1;
    const pending = this.prefetch;
    this.prefetch = undefined;
    let outcome: FetchOutcome;
    if (pending && pending.from === from && pending.to <= head) {
      const got = await pending.outcome;
      if (got.kind === "error") throw got.err;
      outcome = got;
    } else {
      outcome = await this.fetchRange(from, Math.min(head, from + this.chunkSize - 1));
    }
    if (outcome.kind === "refused") {
      // the node refuses the range (too many results): narrow it
      this.chunkSize = Math.max(1, Math.floor(this.chunkSize / 2));
      this.log.warn({ chunkSize: this.chunkSize }, "eth_getLogs refused the range; narrowing the chunk");
      return false;
    }
    if (outcome.kind === "moved") {
      this.log.info({ block: outcome.block }, `${outcome.why}; fetching it again`);
      return false;
    }
    const f = outcome;
    if (cp.number >= 0 && f.fromBlock.parentHash !== cp.hash) {
      await this.handleReorg(`block ${from} does not extend the checkpoint ${cp.number}`);
      return true;
    }
    // the next range is fetched (node: logs, then headers) while this one is applied and committed (database)
    this.resize(f.to - f.from + 1, f.logs.length);
    if (f.to < head && !this.stopping) {
      const next = { from: f.to + 1, to: Math.min(head, f.to + this.chunkSize) };
      this.prefetch = {
        ...next,
        outcome: this.fetchRange(next.from, next.to).catch((err: unknown) => ({ kind: "error" as const, err })),
      };
    }
    // a range denser than targetLogs commits in parts, at block boundaries: bounded transactions (on PGlite a
    // commit holds the one session every API read waits for)
    // the next part is applied while the previous one commits (a failed commit throws: the run loop then
    // rebuilds the model from the stored logs, so the model is never ahead of the database for long)
    const parts = splitAtBlocks(f.logs, this.targetLogs);
    let committing: Promise<void> | undefined;
    try {
      for (let k = 0; k < parts.length; k++) {
        const last = k === parts.length - 1;
        const end = parts[k][parts[k].length - 1]?.raw;
        const checkpoint = last
          ? { number: f.to, hash: f.toBlock.hash!, timestamp: Number(f.toBlock.timestamp) }
          : { number: end.blockNumber, hash: end.blockHash, timestamp: end.timestamp };
        const part = this.applyPart(parts[k], checkpoint, k === 0 ? f.fetchMs : 0);
        await committing;
        committing = this.commitPart(part, { head, final });
        committing.catch(() => undefined);
      }
      await committing;
    } catch (err) {
      // the model may be ahead of the database: rebuild it from the stored logs before the next step
      this.model = undefined;
      this.prefetch = undefined;
      this.notifier?.reset();
      throw err;
    }
    await this.notify(final);
    return true;
  }

  /**
   * Turns the committed blocks up to the final mark (`final`, at most the checkpoint) into notifications, in one
   * transaction under the lease; wakes the checkpoint listeners when it stored some (the event stream).
   */
  private async notify(final: number): Promise<NotificationRow[]> {
    const notifier = this.notifier;
    const cp = this.checkpoint!;
    const to = Math.min(final, cp.number);
    if (!notifier || to < this.deployment.deploymentBlock || (notifier.through >= 0 && to <= notifier.through)) return [];
    const header = to === cp.number ? cp : await this.block(to).then((b) => ({ number: to, hash: b.hash!, timestamp: Number(b.timestamp) }));
    const rows = await notifier.advance(header, async (trx) => {
      if (!(await acquireLease(trx, this.owner, this.leaseTtlMs))) {
        throw new LeaseLostError(`The writer lease was taken over by another indexer; ${this.owner} stops writing notifications.`);
      }
    });
    if (rows.length > 0) this.moved();
    return rows;
  }

  /** Applies a part's logs to the model and takes the rows to write. */
  private applyPart(logs: FetchedRange["logs"], checkpoint: Checkpoint, fetchMs: number) {
    const started = performance.now();
    const model = this.model!;
    for (const { decoded } of logs) model.apply(decoded);
    // the blocks that hold logs, with their logs: the replay source and the candidates for the common ancestor
    // after a reorg (chunk edges are not kept, so the rows do not depend on the chunk size)
    const blocks: BlocksTable[] = [];
    const committed: CommittedBlock[] = [];
    for (let i = 0; i < logs.length; ) {
      const first = logs[i].raw;
      let j = i;
      while (j < logs.length && logs[j].raw.blockNumber === first.blockNumber) j++;
      const block = { number: first.blockNumber, hash: first.blockHash, timestamp: first.timestamp };
      blocks.push(blockRow(block, logs.slice(i, j).map((l) => l.raw)));
      if (this.notifier) committed.push({ block, logs: logs.slice(i, j).map((l) => l.decoded) });
      i = j;
    }
    const changes: ModelChanges = model.takeChanges(blocks);
    return { logs, changes, checkpoint, committed, fetchMs, applyMs: performance.now() - started };
  }

  /** Commits an applied part with its checkpoint, in one transaction. */
  private async commitPart(part: ReturnType<Indexer["applyPart"]>, head: HeadInfo): Promise<void> {
    const started = performance.now();
    const { logs, changes, checkpoint } = part;
    await commitChunk(this.db, this.owner, this.leaseTtlMs, { logs: logs.map((l) => l.raw), changes, checkpoint, head });
    this.notifier?.committed(part.committed);
    const from = this.checkpoint!.number + 1;
    this.checkpoint = checkpoint;
    this.moved();
    this.log.debug(
      {
        from,
        to: checkpoint.number,
        logs: logs.length,
        fetchMs: Math.round(part.fetchMs),
        applyMs: Math.round(part.applyMs),
        commitMs: Math.round(performance.now() - started),
      },
      "indexed chunk",
    );
  }

  /** The next range's size: aims at `targetLogs` logs from the density just seen, within 1..chunkSize blocks. */
  private resize(blocks: number, logs: number): void {
    const ideal = logs === 0 ? blocks * 4 : Math.floor((blocks * this.targetLogs) / logs);
    this.chunkSize = Math.max(1, Math.min(this.maxChunkSize, ideal, blocks * 2));
  }

  /**
   * Fetches and decodes the logs of `from..to`: the last and first blocks' headers and eth_getLogs (one JSON-RPC
   * batch), the headers of the blocks holding logs (the node gives no blockTimestamp; fetched while this process
   * decodes), then the last block's header again — if it changed, the chain moved during the fetch.
   */
  private async fetchRange(from: number, to: number): Promise<FetchOutcome> {
    const started = performance.now();
    let logs: RpcLog[];
    let toBlock: ChainBlock;
    let fromBlock: ChainBlock;
    // a short range asks for every block's header in the same batch as the logs: the node then serves all of
    // the range while this process is busy elsewhere (committing the previous range), instead of waiting for
    // this process to read the logs before it can ask for the headers of the blocks that hold them
    const allHeaders = to - from + 1 <= ALL_HEADERS ? this.blocksOf(from + 1, to - 1) : undefined;
    allHeaders?.catch(() => undefined);
    try {
      [toBlock, fromBlock, logs] = await Promise.all([
        this.block(to),
        from === to ? undefined : this.block(from),
        // the raw answer: viem's log formatting (bigints for every position field) cost as much as decoding
        this.rpc(() =>
          this.client.request({
            method: "eth_getLogs",
            params: [{ address: [this.deployment.ledger, this.deployment.credit], fromBlock: toHex(from), toBlock: toHex(to) }],
          }),
        ) as Promise<RpcLog[]>,
      ]).then(([t, fb, l]) => [t, fb ?? t, l] as const);
    } catch (err) {
      if (!isRetryable(err) && to > from) return { kind: "refused" };
      throw err;
    }
    const raws: RawLog[] = [];
    for (const log of logs) {
      const stamp = (log as RpcLog & { blockTimestamp?: Hex | null }).blockTimestamp;
      const raw: RawLog = {
        blockNumber: Number(log.blockNumber),
        logIndex: Number(log.logIndex),
        blockHash: log.blockHash!,
        txHash: log.transactionHash!,
        address: log.address,
        topics: log.topics as Hex[],
        data: log.data,
        timestamp: stamp === undefined || stamp === null ? -1 : Number(stamp),
      };
      raws.push(raw);
    }
    // the node serves the headers while this process decodes
    const headers: Promise<Stamps> = allHeaders
      ? allHeaders.then((blocks) => {
          const stamps: Stamps = new Map();
          for (const b of [fromBlock, ...blocks, toBlock]) stamps.set(Number(b.number), { hash: b.hash!, timestamp: Number(b.timestamp) });
          return stamps;
        })
      : this.stampsOf(raws);
    headers.catch(() => undefined);
    await new Promise((resolve) => setImmediate(resolve));
    const decoded: FetchedRange["logs"] = [];
    for (const raw of raws) {
      const d = this.decode(raw);
      if (!d) {
        this.log.warn({ block: raw.blockNumber, logIndex: raw.logIndex }, "skipping a log no ABI decodes");
        continue;
      }
      decoded.push({ raw, decoded: d });
    }
    const stamps = await headers;
    if ((await this.block(to)).hash !== toBlock.hash) return { kind: "moved", block: to, why: "the chain moved under the chunk" };
    for (const { raw, decoded: d } of decoded) {
      const b = stamps.get(raw.blockNumber)!;
      if (raw.blockHash !== b.hash) return { kind: "moved", block: raw.blockNumber, why: "a log's block hash changed during the chunk" };
      raw.timestamp = d.timestamp = b.timestamp;
    }
    return { kind: "ok", from, to, fromBlock, toBlock, logs: decoded, fetchMs: performance.now() - started };
  }

  /** The hashes and times of the blocks holding `logs` (from the logs' blockTimestamp, else the headers). */
  private async stampsOf(logs: readonly RawLog[]): Promise<Stamps> {
    const stamps: Stamps = new Map();
    const missing: number[] = [];
    for (const raw of logs) {
      if (stamps.has(raw.blockNumber) || missing[missing.length - 1] === raw.blockNumber) continue;
      if (raw.timestamp >= 0) stamps.set(raw.blockNumber, { hash: raw.blockHash, timestamp: raw.timestamp });
      else missing.push(raw.blockNumber);
    }
    await this.fetchBlocks(missing, stamps);
    return stamps;
  }

  /** The headers of blocks `from..to` (none when from > to), in JSON-RPC batches. */
  private async blocksOf(from: number, to: number): Promise<ChainBlock[]> {
    const numbers: number[] = [];
    for (let n = from; n <= to; n++) numbers.push(n);
    return Promise.all(numbers.map((n) => this.block(n)));
  }

  private async fetchBlocks(numbers: number[], into: Map<number, { hash: string; timestamp: number }>): Promise<void> {
    const PARALLEL = 250; // one JSON-RPC batch with the indexer's client (createIndexerClient)
    for (let i = 0; i < numbers.length; i += PARALLEL) {
      const blocks = await Promise.all(numbers.slice(i, i + PARALLEL).map((n) => this.block(n)));
      for (const b of blocks) into.set(Number(b.number), { hash: b.hash!, timestamp: Number(b.timestamp) });
    }
  }

  /** Finds the newest stored block the chain still has, and rolls the index back to it. */
  private async handleReorg(reason: string): Promise<void> {
    this.prefetch = undefined;
    const cp = this.checkpoint!;
    let ancestor: Checkpoint | undefined;
    let below = cp.number;
    const floor = this.deployment.deploymentBlock - 1;
    search: while (below >= floor) {
      const candidates = await storedBlocks(this.db, below, 64);
      if (candidates.length === 0) break;
      for (const candidate of candidates) {
        const block = await this.block(candidate.number).catch(() => undefined);
        if (block?.hash === candidate.hash) {
          ancestor = { number: candidate.number, hash: candidate.hash, timestamp: Number(block.timestamp) };
          break search;
        }
      }
      below = candidates[candidates.length - 1].number - 1;
    }
    if (!ancestor) {
      const block = floor >= 0 ? await this.block(floor) : undefined;
      ancestor = { number: floor, hash: block?.hash ?? "0x", timestamp: Number(block?.timestamp ?? 0n) };
    }
    const depth = cp.number - ancestor.number;
    const finalDepth = (this.state.head ?? cp.number) - this.confirmations;
    (ancestor.number < finalDepth ? this.log.warn.bind(this.log) : this.log.info.bind(this.log))(
      { from: cp.number, to: ancestor.number, depth, reason },
      "reorg: rolling the index back to the common ancestor",
    );
    let rebuilt: LedgerModel | undefined;
    await rollbackTo(this.db, this.owner, this.leaseTtlMs, ancestor, async (trx) => {
      await this.notifier?.rolledBack(trx, ancestor);
      rebuilt = await this.replay(trx);
      return rebuilt.allState();
    });
    this.model = rebuilt;
    this.checkpoint = ancestor;
    this.moved();
    this.state.reorgs += 1;
  }
}

// The reorg-safe indexer (SERVICES §4): follows the ledger's and its credit token's logs from the
// deployment block in block-range chunks; each chunk and its checkpoint commit in one transaction under
// the writer lease; a block-hash mismatch rolls the index back to the common ancestor and re-indexes.
import { randomUUID } from "node:crypto";
import os from "node:os";
import type { Kysely, Transaction } from "kysely";
import type { Logger } from "pino";
import type { Block, Chain, Hex, Log, PublicClient, Transport } from "viem";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { withRetry } from "../../sdk/chain";
import type { Deployment } from "../../sdk/config";
import { isRetryable } from "../../sdk/errors";
import type { Database } from "../db/schema";
import { decodeLog, type DecodedLog, type RawLog } from "./events";
import { LedgerModel, type ModelChanges } from "./model";
import {
  acquireLease,
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
} from "./store";

export interface IndexerOptions {
  db: Kysely<Database>;
  publicClient: PublicClient<Transport, Chain>;
  deployment: Deployment;
  logger: Logger;
  /** Blocks at least this deep count as final (default 0: every indexed block is final). */
  confirmations?: number;
  /** Blocks per eth_getLogs call (default 2000; halved while the node refuses a range). */
  chunkSize?: number;
  /** Wait between polls once caught up (default 1000 ms). */
  pollIntervalMs?: number;
  /** Writer lease duration (default 30 s); renewed with every commit and poll. */
  leaseTtlMs?: number;
  /** Lease owner id; default host:pid:random. */
  owner?: string;
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

/** Follows the chain into the database; one process holds the writer lease at a time. */
export class Indexer {
  private readonly db: Kysely<Database>;
  private readonly client: PublicClient<Transport, Chain>;
  private readonly deployment: Deployment;
  private readonly log: Logger;
  private readonly confirmations: number;
  private chunkSize: number;
  private readonly maxChunkSize: number;
  private readonly pollIntervalMs: number;
  private readonly leaseTtlMs: number;
  readonly owner: string;

  private model?: LedgerModel;
  private checkpoint?: Checkpoint;
  private stopping = false;
  private loop?: Promise<void>;
  private wake?: () => void;
  private readonly state: IndexerStatus = { holdsLease: false, reorgs: 0 };

  constructor(options: IndexerOptions) {
    this.db = options.db;
    this.client = options.publicClient;
    this.deployment = options.deployment;
    this.log = options.logger.child({ component: "indexer" });
    this.confirmations = options.confirmations ?? 0;
    this.chunkSize = this.maxChunkSize = options.chunkSize ?? 2000;
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.leaseTtlMs = options.leaseTtlMs ?? 30_000;
    this.owner = options.owner ?? `${os.hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`;
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
    const read = (functionName: "DISPUTE_WINDOW" | "RATE_NOTICE" | "AUTH_NOTICE" | "REPORTING_GRACE") =>
      this.rpc(() => this.client.readContract({ address: deployment.ledger, abi: revenueShareLedgerAbi, functionName }));
    const [disputeWindow, rateNotice, authNotice, reportingGrace] = await Promise.all([
      read("DISPUTE_WINDOW"),
      read("RATE_NOTICE"),
      read("AUTH_NOTICE"),
      read("REPORTING_GRACE"),
    ]);
    await initIndexerState(this.db, {
      chainId: deployment.chainId,
      ledger: deployment.ledger,
      credit: deployment.credit,
      settlementToken: deployment.settlementToken,
      deploymentBlock: deployment.deploymentBlock,
      disputeWindow: Number(disputeWindow),
      rateNotice: Number(rateNotice),
      authNotice: Number(authNotice),
      reportingGrace: Number(reportingGrace),
    });
    this.state.holdsLease = await acquireLease(this.db, this.owner, this.leaseTtlMs);
    if (!this.state.holdsLease) return;
    const start = deployment.deploymentBlock - 1;
    if (start >= 0) {
      const block = await this.block(start);
      await setInitialCheckpoint(this.db, { number: start, hash: block.hash!, timestamp: Number(block.timestamp) });
      await this.db
        .insertInto("blocks")
        .values({ number: start, hash: block.hash!, timestamp: Number(block.timestamp) })
        .onConflict((oc) => oc.column("number").doNothing())
        .execute();
    } else {
      await setInitialCheckpoint(this.db, { number: -1, hash: "0x", timestamp: 0 });
    }
    const row = (await readIndexerState(this.db))!;
    this.checkpoint = { number: row.checkpoint_number!, hash: row.checkpoint_hash!, timestamp: row.checkpoint_timestamp! };
    this.model = await this.replay(this.db);
    this.log.info({ checkpoint: this.checkpoint.number, owner: this.owner }, "indexer ready");
  }

  /** A fresh model fed every stored log. */
  private async replay(db: Kysely<Database> | Transaction<Database>): Promise<LedgerModel> {
    const model = new LedgerModel();
    for await (const page of storedLogs(db)) {
      for (const raw of page) {
        const decoded = this.decode(raw);
        if (decoded) model.apply(decoded);
      }
    }
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

  private async block(number: number): Promise<ChainBlock> {
    const block = await this.rpc(() => this.client.getBlock({ blockNumber: BigInt(number) }));
    return block;
  }

  private async checkpointIsCanonical(): Promise<boolean> {
    const cp = this.checkpoint!;
    if (cp.number < 0) return true;
    const block = await this.block(cp.number);
    return block.hash === cp.hash;
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
      return false;
    }
    const from = cp.number + 1;
    const to = Math.min(head, from + this.chunkSize - 1);
    const started = performance.now();
    const toBefore = await this.block(to);
    const fromBlock = from === to ? toBefore : await this.block(from);
    let logs: Log[];
    try {
      logs = await this.rpc(() =>
        this.client.getLogs({
          address: [this.deployment.ledger, this.deployment.credit],
          fromBlock: BigInt(from),
          toBlock: BigInt(to),
        }),
      );
    } catch (err) {
      if (!isRetryable(err) && to > from) {
        // the node refuses the range (too many results): narrow it
        this.chunkSize = Math.max(1, Math.floor((to - from + 1) / 2));
        this.log.warn({ chunkSize: this.chunkSize }, "eth_getLogs refused the range; narrowing the chunk");
        return false;
      }
      throw err;
    }
    const timestamps = new Map<number, { hash: string; timestamp: number }>();
    timestamps.set(to, { hash: toBefore.hash!, timestamp: Number(toBefore.timestamp) });
    timestamps.set(from, { hash: fromBlock.hash!, timestamp: Number(fromBlock.timestamp) });
    const missing = new Set<number>();
    for (const log of logs) {
      const n = Number(log.blockNumber);
      if (timestamps.has(n)) continue;
      const stamp = (log as Log & { blockTimestamp?: bigint }).blockTimestamp;
      if (stamp !== undefined && stamp !== null) timestamps.set(n, { hash: log.blockHash!, timestamp: Number(stamp) });
      else missing.add(n);
    }
    await this.fetchBlocks([...missing], timestamps);
    const toAfter = await this.block(to);
    if (toAfter.hash !== toBefore.hash) {
      this.log.info({ block: to }, "the chain moved under the chunk; fetching it again");
      return false;
    }
    if (cp.number >= 0 && fromBlock.parentHash !== cp.hash) {
      await this.handleReorg(`block ${from} does not extend the checkpoint ${cp.number}`);
      return true;
    }
    for (const log of logs) {
      if (log.blockHash !== timestamps.get(Number(log.blockNumber))!.hash) {
        this.log.info({ block: Number(log.blockNumber) }, "a log's block hash changed during the chunk; fetching it again");
        return false;
      }
    }

    const fetched = performance.now();
    const model = this.model!;
    const raws: (RawLog & { name: string })[] = [];
    for (const log of logs) {
      const raw: RawLog = {
        blockNumber: Number(log.blockNumber),
        logIndex: Number(log.logIndex),
        blockHash: log.blockHash!,
        txHash: log.transactionHash!,
        address: log.address,
        topics: log.topics as Hex[],
        data: log.data,
        timestamp: timestamps.get(Number(log.blockNumber))!.timestamp,
      };
      const decoded = this.decode(raw);
      if (!decoded) {
        this.log.warn({ block: raw.blockNumber, logIndex: raw.logIndex }, "skipping a log no ABI decodes");
        continue;
      }
      model.apply(decoded);
      raws.push({ ...raw, name: decoded.event.eventName });
    }
    // the blocks that hold logs: candidates for the common ancestor after a reorg (chunk edges are not kept,
    // so the rows do not depend on the chunk size)
    const logBlocks = new Set(raws.map((r) => r.blockNumber));
    const blocks = [...timestamps]
      .filter(([number]) => logBlocks.has(number))
      .map(([number, b]) => ({ number, hash: b.hash, timestamp: b.timestamp }));
    const changes: ModelChanges = model.takeChanges(blocks);
    const checkpoint = { number: to, hash: toBefore.hash!, timestamp: Number(toBefore.timestamp) };
    const applied = performance.now();
    await commitChunk(this.db, this.owner, this.leaseTtlMs, { logs: raws, changes, checkpoint, head: { head, final } });
    this.checkpoint = checkpoint;
    if (this.chunkSize < this.maxChunkSize) this.chunkSize = Math.min(this.maxChunkSize, this.chunkSize * 2);
    const ms = (a: number, b: number) => Math.round(b - a);
    this.log.debug(
      { from, to, logs: raws.length, rpcMs: ms(started, fetched), applyMs: ms(fetched, applied), commitMs: ms(applied, performance.now()) },
      "indexed chunk",
    );
    return true;
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
      rebuilt = await this.replay(trx);
      return rebuilt.allState();
    });
    this.model = rebuilt;
    this.checkpoint = ancestor;
    this.state.reorgs += 1;
  }
}

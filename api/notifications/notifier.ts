// Turning blocks into notifications as they become final (SERVICES §4): the indexer hands over every block it
// commits; when its final mark moves, the blocks up to it are derived and written with the `notified_through` mark
// in one transaction. A restart (or any failure) rebuilds the deriver from the stored logs: nothing is lost, and the
// stable ids keep anything from being stored twice.
import type { Kysely, Transaction } from "kysely";
import type { Logger } from "pino";
import type { Hex } from "viem";
import { loadKeccak } from "../../sdk/keccak";
import type { Database } from "../db/schema";
import { decodeLog, type DecodedLog, type RawLog } from "../indexer/events";
import { storedLogs } from "../indexer/store";
import { NotificationDeriver, type FinalBlock } from "./derive";
import type { NotificationDraft } from "./types";
import { insertNotifications, readNotificationState, writeNotificationState, type NotificationHook, type NotificationRow } from "./store";

export interface NotifierOptions {
  db: Kysely<Database>;
  chainId: number;
  ledger: Hex;
  credit: Hex;
  /** The block before the deployment: where notifying starts. */
  startBlock: number;
  logger: Logger;
  /** payment.due_soon goes out this long before a due date (default 3 days). */
  dueSoonSeconds?: number;
  /** Run inside each notification transaction with the rows it inserted (the webhook outbox). */
  hooks?: readonly NotificationHook[];
}

/** A committed block holding logs, decoded. */
export interface CommittedBlock {
  block: FinalBlock;
  logs: DecodedLog[];
}

/** Derives and stores the notifications of final blocks; one per indexer, used only by the lease holder. */
export class Notifier {
  private deriver?: NotificationDeriver;
  /** Committed blocks above `notified_through`, in chain order (valid while `deriver` is). */
  private pending: CommittedBlock[] = [];
  private notifiedThrough = -1;
  private readonly log: Logger;

  constructor(private readonly options: NotifierOptions) {
    this.log = options.logger.child({ component: "notifier" });
  }

  /** Blocks ≤ this have been turned into notifications (-1 before the first {@link advance}). */
  get through(): number {
    return this.notifiedThrough;
  }

  /** Forgets everything in memory (after a failure or a reorg): the next {@link advance} rebuilds from the database. */
  reset(): void {
    this.deriver = undefined;
    this.pending = [];
    this.notifiedThrough = -1;
  }

  /** Hands over blocks the indexer has just committed (ignored until the next rebuild, which reads them anyway). */
  committed(blocks: readonly CommittedBlock[]): void {
    if (this.deriver) this.pending.push(...blocks);
  }

  /**
   * Called by a reorg's rollback, inside its transaction: a rollback below `notified_through` (deeper than the
   * confirmations) moves the mark back, so the new branch's blocks are notified when final; notifications already
   * sent for the orphaned blocks stay (docs/notifications.md, "Finality").
   */
  async rolledBack(trx: Transaction<Database>, ancestor: FinalBlock): Promise<void> {
    this.reset();
    const state = await readNotificationState(trx);
    if (state && state.notified_through > ancestor.number) {
      this.log.warn({ notifiedThrough: state.notified_through, ancestor: ancestor.number }, "a reorg replaced blocks already notified");
      await writeNotificationState(trx, ancestor);
    }
  }

  /**
   * Derives the notifications of every committed block up to `final` (the final mark, ≤ the checkpoint) and
   * stores them with the new mark, in one transaction that first calls `renew` (the writer lease).
   * @returns the rows inserted, in `seq` order.
   */
  async advance(final: FinalBlock, renew: (trx: Transaction<Database>) => Promise<void>): Promise<NotificationRow[]> {
    try {
      if (!this.deriver) await this.rebuild();
      if (final.number <= this.notifiedThrough) return [];
      const started = performance.now();
      const deriver = this.deriver!;
      const drafts: NotificationDraft[] = [];
      let k = 0;
      for (; k < this.pending.length && this.pending[k].block.number <= final.number; k++) {
        drafts.push(...deriver.block(this.pending[k].block, this.pending[k].logs));
      }
      drafts.push(...deriver.observe(final));
      const derived = performance.now();
      const rows = await this.options.db.transaction().execute(async (trx) => {
        await renew(trx);
        const inserted = await insertNotifications(trx, drafts, this.options.hooks);
        await writeNotificationState(trx, final);
        return inserted;
      });
      this.pending.splice(0, k);
      this.notifiedThrough = final.number;
      const ms = (t: number) => Math.round(t);
      this.log.debug({ through: final.number, rows: rows.length, deriveMs: ms(derived - started), writeMs: ms(performance.now() - derived) }, "notified");
      return rows;
    } catch (err) {
      this.reset();
      throw err;
    }
  }

  /** A fresh deriver fed every stored block up to `notified_through`; the later ones wait in `pending`. */
  private async rebuild(): Promise<void> {
    const feed = await this.rebuilding(this.options.db);
    for await (const page of storedLogs(this.options.db)) {
      for (const raw of page) feed.add(raw, decodeLog(raw, this.options.ledger, this.options.credit));
    }
    feed.finish();
  }

  /**
   * Starts a rebuild from the stored logs: pass every stored log, in chain order, to `add` (with its decoding, as
   * the indexer's own replay has it: one pass serves both), then call `finish`.
   */
  async rebuilding(db: Kysely<Database> | Transaction<Database>): Promise<{ add(raw: RawLog, decoded: DecodedLog | undefined): void; finish(): void }> {
    const { chainId, startBlock, dueSoonSeconds } = this.options;
    await loadKeccak(); // the ids' hash (hash-wasm) ready before any deriver exists: every deriver is made here
    this.reset();
    const state = await readNotificationState(db);
    const through = state?.notified_through ?? startBlock;
    const deriver = new NotificationDeriver(chainId, dueSoonSeconds);
    const pending: CommittedBlock[] = [];
    let current: CommittedBlock | undefined;
    const flush = () => {
      if (!current) return;
      if (current.block.number <= through) deriver.block(current.block, current.logs);
      else pending.push(current);
      current = undefined;
    };
    return {
      add: (raw, decoded) => {
        if (current?.block.number !== raw.blockNumber) {
          flush();
          current = { block: { number: raw.blockNumber, hash: raw.blockHash, timestamp: raw.timestamp }, logs: [] };
        }
        if (decoded) current.logs.push(decoded);
      },
      finish: () => {
        flush();
        if (state) deriver.observe({ number: through, hash: "", timestamp: state.notified_timestamp });
        this.deriver = deriver;
        this.pending = pending;
        this.notifiedThrough = through;
        this.log.debug({ notifiedThrough: through, pending: pending.length }, "notifier ready");
      },
    };
  }
}

// The bench's stand-in for a live chain (`BENCH_LIVE=1 npm run bench:api`): every `intervalMs` a new block is
// indexed through the indexer's own write path (`commitChunk`: one transaction under the writer lease, the
// checkpoint moved), holding a usage batch of `linesPerBlock` lines for the next agreement (round robin) and that
// agreement's updated row; then the API's checkpoint listeners are told, as an indexer in the same process does.
import type { Kysely } from "kysely";
import type { Database } from "../../api/db/schema";
import { acquireLease, blockRow, commitChunk, releaseLease } from "../../api/indexer/store";
import type { ModelChanges } from "../../api/indexer/model";

export interface LiveBlocks {
  /** Blocks committed so far. */
  readonly blocks: number;
  stop(): Promise<void>;
}

const OWNER = "bench-live-blocks";
const hex = (n: number, bytes: number) => `0x${n.toString(16).padStart(bytes * 2, "0")}`;

/**
 * Starts committing one block every `intervalMs` after the checkpoint the index holds; `onCommit` runs after each
 * commit (the apps' checkpoint listeners).
 */
export async function startLiveBlocks(
  db: Kysely<Database>,
  options: { agreements: number; intervalMs: number; linesPerBlock: number; onCommit: () => void },
): Promise<LiveBlocks> {
  if (!(await acquireLease(db, OWNER, 60_000))) throw new Error("startLiveBlocks: another writer holds the lease");
  const state = await db.selectFrom("indexer_state").selectAll().where("id", "=", 1).executeTakeFirstOrThrow();
  let number = state.checkpoint_number ?? 0;
  let timestamp = state.checkpoint_timestamp ?? 0;
  let blocks = 0;
  let stopped = false;
  let running: Promise<void> = Promise.resolve();

  const commitNext = async () => {
    number += 1;
    timestamp += Math.max(1, Math.round(options.intervalMs / 1000));
    const id = String((blocks % options.agreements) + 1);
    const agreement = await db.selectFrom("agreements").selectAll().where("id", "=", id).executeTakeFirstOrThrow();
    const position = await db.selectFrom("positions").selectAll().where("agreement_id", "=", id).orderBy("list_index").executeTakeFirstOrThrow();
    const batchId = hex(number, 32);
    const txHash = hex(number + 0x5eed, 32);
    const lines: ModelChanges["usageLines"] = Array.from({ length: options.linesPerBlock }, (_, k) => ({
      block_number: number, log_index: k, batch_id: batchId, agreement_id: id, partner: position.partner,
      sku: "0x6231303000000000000000000000000000000000000000000000000000000000", gpu_seconds: "3600", accepted: true, reason: null,
      credits: "4000000", receivable_added: "2800000", tx_hash: txHash, timestamp,
    }));
    const added = BigInt(options.linesPerBlock) * 4_000_000n;
    const changes: ModelChanges = {
      agreements: [{ ...agreement, consumed: String(BigInt(agreement.consumed) + added), updated_block: number }],
      positions: [{ ...position, spent: String(BigInt(position.spent) + added), receivable: String(BigInt(position.receivable) + (added * 7n) / 10n) }],
      partners: [], rates: [], accounts: [], revenuePeriods: [], usageDisputes: [],
      usageBatches: [{
        batch_id: batchId, partner: position.partner, sequence: 1_000_000 + number, period_start: timestamp - 3600, period_end: timestamp,
        records_root: hex(number, 32), lines_accepted: options.linesPerBlock, lines_rejected: 0, block_number: number,
        log_index: options.linesPerBlock, tx_hash: txHash, submitted_at: timestamp,
      }],
      usageLines: lines, payments: [], distributions: [], claims: [], audits: [],
      blocks: [blockRow({ number, hash: hex(number, 32), timestamp }, [])],
    };
    await commitChunk(db, OWNER, 60_000, {
      logs: [],
      changes,
      checkpoint: { number, hash: hex(number, 32), timestamp },
      head: { head: number, final: number - 2 },
    });
    blocks += 1;
    options.onCommit();
  };

  const timer = setInterval(() => {
    if (stopped) return;
    running = running.then(commitNext).catch((err: unknown) => {
      console.error("live block failed:", err);
    });
  }, options.intervalMs);

  return {
    get blocks() {
      return blocks;
    },
    async stop() {
      stopped = true;
      clearInterval(timer);
      await running;
      await releaseLease(db, OWNER);
    },
  };
}

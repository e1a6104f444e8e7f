// The indexer's writes: a chunk (its logs, the rows they changed, the checkpoint) in one transaction,
// the writer lease, and the rollback to a common ancestor after a reorg.
import { sql, type Kysely, type Selectable, type Transaction } from "kysely";
import type { Database, IndexerStateTable } from "../db/schema";
import { LOG_TABLES, STATE_TABLES } from "../db/schema";
import type { ModelChanges } from "./model";
import type { RawLog } from "./events";

/** The last indexed block. */
export interface Checkpoint {
  number: number;
  hash: string;
  timestamp: number;
}

/** What the indexer writes once per deployment (constants the events do not carry). */
export interface DeploymentInfo {
  chainId: number;
  ledger: string;
  credit: string;
  settlementToken: string;
  deploymentBlock: number;
  disputeWindow: number;
  rateNotice: number;
  authNotice: number;
  reportingGrace: number;
}

/** The writer lease was taken by another process: this one must stop writing. */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

/** The database holds another deployment's index. */
export class DeploymentMismatchError extends Error {
  override name = "DeploymentMismatchError";
}

/** Rows per insert statement: PostgreSQL allows 65 535 parameters per statement. */
const ROWS_PER_INSERT = 1000;

type Db = Kysely<Database> | Transaction<Database>;

async function insertMany<T extends keyof Database>(db: Db, table: T, rows: readonly Database[T][]): Promise<void> {
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely cannot type a table chosen at run time
    await db.insertInto(table).values(rows.slice(i, i + ROWS_PER_INSERT) as any).execute();
  }
}

/** Insert-or-replace on the primary key `keys` (all other columns take the new values). */
async function upsertMany<T extends keyof Database>(db: Db, table: T, keys: readonly string[], rows: readonly Database[T][]): Promise<void> {
  if (rows.length === 0) return;
  const columns = Object.keys(rows[0] as object).filter((c) => !keys.includes(c));
  for (let i = 0; i < rows.length; i += ROWS_PER_INSERT) {
    await db
      .insertInto(table)
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
      .values(rows.slice(i, i + ROWS_PER_INSERT) as any)
      .onConflict((oc) =>
        // eslint-disable-next-line @typescript-eslint/no-explicit-any -- as above
        (oc.columns(keys as any) as any).doUpdateSet(Object.fromEntries(columns.map((c) => [c, sql.ref(`excluded.${c}`)]))),
      )
      .execute();
  }
}

/** Reads the indexer's state row (undefined before the first start). */
export async function readIndexerState(db: Db): Promise<Selectable<IndexerStateTable> | undefined> {
  return db.selectFrom("indexer_state").selectAll().where("id", "=", 1).executeTakeFirst();
}

/**
 * Creates the state row for `info`, or checks that the database indexes the same deployment.
 * @throws DeploymentMismatchError when it holds another chain's or ledger's index.
 */
export async function initIndexerState(db: Db, info: DeploymentInfo): Promise<Selectable<IndexerStateTable>> {
  await db
    .insertInto("indexer_state")
    .values({
      id: 1,
      chain_id: info.chainId,
      ledger: info.ledger.toLowerCase(),
      credit: info.credit.toLowerCase(),
      settlement_token: info.settlementToken.toLowerCase(),
      deployment_block: info.deploymentBlock,
      dispute_window: info.disputeWindow,
      rate_notice: info.rateNotice,
      auth_notice: info.authNotice,
      reporting_grace: info.reportingGrace,
    })
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
  const state = (await readIndexerState(db))!;
  if (state.chain_id !== info.chainId || state.ledger !== info.ledger.toLowerCase()) {
    throw new DeploymentMismatchError(
      `The database holds the index of ledger ${state.ledger} on chain ${state.chain_id}, not ${info.ledger.toLowerCase()} ` +
        `on chain ${info.chainId}: use another database (DATABASE_URL or API_DATA_DIR).`,
    );
  }
  return state;
}

/**
 * Takes (or renews) the writer lease for `owner` for `ttlMs`; false when another live owner holds it.
 * The database's clock decides, so processes on different machines agree.
 */
export async function acquireLease(db: Db, owner: string, ttlMs: number): Promise<boolean> {
  const result = await db
    .updateTable("indexer_state")
    .set({ lease_owner: owner, lease_expires_at: sql`now() + ${`${ttlMs} milliseconds`}::interval` })
    .where("id", "=", 1)
    .where((eb) => eb.or([eb("lease_owner", "is", null), eb("lease_owner", "=", owner), eb("lease_expires_at", "<", sql<Date>`now()`)]))
    .executeTakeFirst();
  return result.numUpdatedRows === 1n;
}

/** Gives the lease up (on shutdown) so another writer can start at once. */
export async function releaseLease(db: Db, owner: string): Promise<void> {
  await db
    .updateTable("indexer_state")
    .set({ lease_owner: null, lease_expires_at: null })
    .where("id", "=", 1)
    .where("lease_owner", "=", owner)
    .execute();
}

async function renewOrThrow(trx: Db, owner: string, ttlMs: number): Promise<void> {
  const ok = await acquireLease(trx, owner, ttlMs);
  if (!ok) throw new LeaseLostError(`The writer lease was taken over by another indexer; ${owner} stops writing.`);
}

/** The chain head as last seen: for `meta.final` and `/v1/ready`. */
export interface HeadInfo {
  head: number;
  final: number;
}

/** Records the head while idle (and renews the lease). */
export async function touchHead(db: Kysely<Database>, owner: string, ttlMs: number, head: HeadInfo): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await renewOrThrow(trx, owner, ttlMs);
    await trx
      .updateTable("indexer_state")
      .set({ head_number: head.head, final_number: head.final, updated_at: sql`now()` })
      .where("id", "=", 1)
      .execute();
  });
}

/** Sets the starting checkpoint (the block before the deployment) when none exists. */
export async function setInitialCheckpoint(db: Kysely<Database>, checkpoint: Checkpoint): Promise<void> {
  await db
    .updateTable("indexer_state")
    .set({ checkpoint_number: checkpoint.number, checkpoint_hash: checkpoint.hash, checkpoint_timestamp: checkpoint.timestamp })
    .where("id", "=", 1)
    .where("checkpoint_number", "is", null)
    .execute();
}

/** A chunk to commit: its logs, the rows they changed, and the new checkpoint. */
export interface ChunkWrite {
  logs: readonly (RawLog & { name: string })[];
  changes: ModelChanges;
  checkpoint: Checkpoint;
  head: HeadInfo;
}

async function writeChanges(trx: Db, changes: ModelChanges): Promise<void> {
  if (changes.program) await upsertMany(trx, "program", ["id"], [changes.program]);
  await upsertMany(trx, "agreements", ["id"], changes.agreements);
  await upsertMany(trx, "positions", ["agreement_id", "partner"], changes.positions);
  await upsertMany(trx, "partners", ["address"], changes.partners);
  await upsertMany(trx, "rates", ["partner", "sku", "effective_from"], changes.rates);
  await upsertMany(trx, "accounts", ["address"], changes.accounts);
  await upsertMany(trx, "revenue_periods", ["agreement_id", "period_index"], changes.revenuePeriods);
  await upsertMany(trx, "usage_disputes", ["batch_id", "agreement_id"], changes.usageDisputes);
  await insertMany(trx, "usage_batches", changes.usageBatches);
  await insertMany(trx, "usage_lines", changes.usageLines);
  await insertMany(trx, "payments", changes.payments);
  await insertMany(trx, "distributions", changes.distributions);
  await insertMany(trx, "claims", changes.claims);
  await insertMany(trx, "audits", changes.audits);
  await upsertMany(trx, "blocks", ["number"], changes.blocks);
}

/** Writes one chunk and moves the checkpoint, in one transaction, under the lease. */
export async function commitChunk(db: Kysely<Database>, owner: string, ttlMs: number, chunk: ChunkWrite): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await renewOrThrow(trx, owner, ttlMs);
    await insertMany(
      trx,
      "events",
      chunk.logs.map((log) => ({
        block_number: log.blockNumber,
        log_index: log.logIndex,
        block_hash: log.blockHash,
        tx_hash: log.txHash,
        address: log.address.toLowerCase(),
        name: log.name,
        topics: JSON.stringify(log.topics),
        data: log.data,
        timestamp: log.timestamp,
      })),
    );
    await writeChanges(trx, chunk.changes);
    await trx
      .updateTable("indexer_state")
      .set({
        checkpoint_number: chunk.checkpoint.number,
        checkpoint_hash: chunk.checkpoint.hash,
        checkpoint_timestamp: chunk.checkpoint.timestamp,
        head_number: chunk.head.head,
        final_number: chunk.head.final,
        updated_at: sql`now()`,
      })
      .where("id", "=", 1)
      .execute();
  });
}

/** Stored block hashes at or below `below`, newest first (candidates for the common ancestor). */
export async function storedBlocks(db: Db, below: number, limit: number): Promise<{ number: number; hash: string }[]> {
  return db
    .selectFrom("blocks")
    .select(["number", "hash"])
    .where("number", "<=", below)
    .orderBy("number", "desc")
    .limit(limit)
    .execute();
}

/** Pages through the stored logs in chain order (the replay source). */
export async function* storedLogs(db: Db, pageSize = 5000): AsyncGenerator<RawLog[]> {
  let after: [number, number] = [-1, -1];
  for (;;) {
    const rows = await db
      .selectFrom("events")
      .selectAll()
      .where((eb) =>
        eb.or([
          eb("block_number", ">", after[0]),
          eb.and([eb("block_number", "=", after[0]), eb("log_index", ">", after[1])]),
        ]),
      )
      .orderBy("block_number")
      .orderBy("log_index")
      .limit(pageSize)
      .execute();
    if (rows.length === 0) return;
    yield rows.map((r) => ({
      blockNumber: r.block_number,
      logIndex: r.log_index,
      blockHash: r.block_hash as `0x${string}`,
      txHash: r.tx_hash as `0x${string}`,
      address: r.address as `0x${string}`,
      topics: JSON.parse(r.topics) as `0x${string}`[],
      data: r.data as `0x${string}`,
      timestamp: r.timestamp,
    }));
    const last = rows[rows.length - 1];
    after = [last.block_number, last.log_index];
  }
}

/**
 * Rolls the index back to `ancestor`: deletes every per-log row above it, replaces the state tables with
 * `rebuild(trx)`'s replay of the logs that remain, and moves the checkpoint, in one transaction.
 */
export async function rollbackTo(
  db: Kysely<Database>,
  owner: string,
  ttlMs: number,
  ancestor: Checkpoint,
  rebuild: (trx: Transaction<Database>) => Promise<ModelChanges>,
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await renewOrThrow(trx, owner, ttlMs);
    for (const table of LOG_TABLES) {
      const column = table === "blocks" ? "number" : "block_number";
      // eslint-disable-next-line @typescript-eslint/no-explicit-any -- a table chosen at run time
      await trx.deleteFrom(table).where(column as any, ">", ancestor.number).execute();
    }
    for (const table of STATE_TABLES) await trx.deleteFrom(table).execute();
    await writeChanges(trx, await rebuild(trx));
    await trx
      .updateTable("indexer_state")
      .set({
        checkpoint_number: ancestor.number,
        checkpoint_hash: ancestor.hash,
        checkpoint_timestamp: ancestor.timestamp,
        updated_at: sql`now()`,
      })
      .where("id", "=", 1)
      .execute();
  });
}

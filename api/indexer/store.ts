// The indexer's writes: a chunk (its logs, the rows they changed, the checkpoint) in one transaction,
// the writer lease, and the rollback to a common ancestor after a reorg.
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { sql, type Kysely, type Selectable, type Transaction } from "kysely";
import type { Database, IndexerStateTable } from "../db/schema";
import { LOG_TABLES, STATE_TABLES } from "../db/schema";
import { usageLineJson } from "../services/usageLineView";
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
  signerNotice: number;
  migrationNotice: number;
  payoutNotice: number;
}

/** The writer lease was taken by another process: this one must stop writing. */
export class LeaseLostError extends Error {
  override name = "LeaseLostError";
}

/** The database holds another deployment's index. */
export class DeploymentMismatchError extends Error {
  override name = "DeploymentMismatchError";
}

type Db = Kysely<Database> | Transaction<Database>;

/** The PostgreSQL type of every column the indexer writes in bulk (the arrays `unnest` zips into rows). */
const COLUMN_TYPES = {
  program: {
    id: "int4", treasury: "text", paused: "bool", last_unpaused_at: "int8", program_claimable: "numeric", program_claimed: "numeric",
    revenue_signers: "text", revenue_threshold: "int4", revenue_pending_signers: "text", revenue_pending_threshold: "int4",
    revenue_pending_at: "int8", agreement_count: "int8", agreements_by_status: "text", credits_minted_total: "numeric",
    consumed_total: "numeric", credits_outstanding_total: "numeric", obligation_total: "numeric", paid_total: "numeric",
    revenue_reported_total: "numeric", revenue_finalized_total: "numeric",
  },
  blocks: { number: "int8", hash: "text", timestamp: "int8", logs: "text" },
  agreements: {
    id: "numeric", startup: "text", status: "text", credit_limit: "numeric", revenue_share_bps: "int4", cap_multiple_bps: "int8",
    partner_first_bps: "int4", start_time: "int8", end_time: "int8", period_duration: "int8", grace_period: "int8", terms_hash: "text",
    created_block: "int8", created_at: "int8", accepted_at: "int8", terminated_at: "int8", credits_minted: "numeric", consumed: "numeric",
    cap: "numeric", obligation: "numeric", paid: "numeric", next_due: "int8", next_period_to_finalize: "int4", period_count: "int4",
    partner_count: "int4", pending_migration_to: "text", pending_migration_at: "int8", updated_block: "int8", last_audit: "text",
  },
  positions: {
    agreement_id: "numeric", partner: "text", list_index: "int4", spend_limit: "numeric", max_gpus: "int8", pending_spend_limit: "numeric",
    pending_spend_limit_at: "int8", pending_max_gpus: "int8", pending_max_gpus_at: "int8", spent: "numeric", burned_at: "numeric",
    receivable: "numeric", paid_to_partner: "numeric", last_usage_end: "int8",
  },
  partners: {
    address: "text", signers: "text", threshold: "int4", pending_signers: "text", pending_threshold: "int4", pending_signers_at: "int8",
    payout_address: "text", pending_payout: "text", pending_payout_at: "int8", payout_bps: "int4", active: "bool", next_sequence: "int8", registered_block: "int8",
    registered_at: "int8", position_count: "int8", spent_total: "numeric", receivable_total: "numeric", paid_total: "numeric",
  },
  rates: { partner: "text", sku: "text", effective_from: "int8", credits_per_gpu_hour: "numeric", scheduled_block: "int8" },
  accounts: { address: "text", credit_balance: "numeric", claimable: "numeric", claimed: "numeric" },
  revenue_periods: {
    agreement_id: "numeric", period_index: "int4", state: "text", version: "int8", revenue: "numeric", evidence_hash: "text",
    submitted_at: "int8", disputed_by: "text", dispute_reason_hash: "text", owed: "numeric", cumulative_obligation: "numeric", due: "int8", finalized_at: "int8",
  },
  usage_batches: {
    batch_id: "text", partner: "text", sequence: "int8", period_start: "int8", period_end: "int8", records_root: "text",
    lines_accepted: "int8", lines_rejected: "int8", block_number: "int8", log_index: "int4", tx_hash: "text", submitted_at: "int8",
  },
  usage_lines: {
    block_number: "int8", log_index: "int4", batch_id: "text", agreement_id: "numeric", partner: "text", sku: "text", gpu_seconds: "numeric",
    accepted: "bool", reason: "text", credits: "numeric", receivable_added: "numeric", tx_hash: "text", timestamp: "int8", view: "text",
  },
  usage_disputes: {
    batch_id: "text", agreement_id: "numeric", state: "text", disputed_by: "text", reason_hash: "text", disputed_at: "int8",
    refund: "numeric", receivable_removed: "numeric", resolved_at: "int8",
  },
  payments: {
    block_number: "int8", log_index: "int4", tx_hash: "text", timestamp: "int8", agreement_id: "numeric", payer: "text", amount: "numeric",
    to_partners: "numeric", to_program: "numeric",
  },
  distributions: {
    block_number: "int8", log_index: "int4", tx_hash: "text", timestamp: "int8", agreement_id: "numeric", beneficiary: "text", amount: "numeric",
  },
  claims: {
    block_number: "int8", log_index: "int4", tx_hash: "text", timestamp: "int8", beneficiary: "text", recipient: "text", amount: "numeric",
  },
  audits: {
    block_number: "int8", log_index: "int4", tx_hash: "text", timestamp: "int8", agreement_id: "numeric", auditor: "text",
    through_block: "numeric", report_hash: "text", clean: "bool",
  },
} as const satisfies { [T in BulkTable]: { [C in keyof Database[T]]-?: string } };

type BulkTable = (typeof STATE_TABLES)[number] | (typeof LOG_TABLES)[number];

/** Rows per statement: one array per column, so this bounds the statement's size, not its parameter count. */
const ROWS_PER_STATEMENT = 20_000;

/**
 * Inserts `rows` (upserting on `keys` when given) with one statement per 20 000 rows: every column travels as
 * one array parameter and `unnest` zips them into rows, so the SQL text is the same whatever the row count
 * (prepared once) and the database parses one parameter per column instead of one per value.
 */
async function bulk<T extends BulkTable>(db: Db, table: T, rows: readonly Database[T][], keys?: readonly string[]): Promise<void> {
  if (rows.length === 0) return;
  const types = COLUMN_TYPES[table] as Record<string, string>;
  const columns = Object.keys(types);
  const conflict = keys
    ? sql` on conflict (${sql.join(keys.map((k) => sql.ref(k)))}) do update set ${sql.join(
        columns.filter((c) => !keys.includes(c)).map((c) => sql`${sql.ref(c)} = excluded.${sql.ref(c)}`),
      )}`
    : sql``;
  for (let i = 0; i < rows.length; i += ROWS_PER_STATEMENT) {
    const part = rows.slice(i, i + ROWS_PER_STATEMENT) as unknown as Record<string, unknown>[];
    const arrays = columns.map((c) => sql`${part.map((r) => r[c] ?? null)}::${sql.raw(types[c])}[]`);
    await sql`insert into ${sql.table(table)} (${sql.join(columns.map((c) => sql.ref(c)))}) select * from unnest(${sql.join(arrays)})${conflict}`.execute(db);
  }
}

async function insertMany<T extends BulkTable>(db: Db, table: T, rows: readonly Database[T][]): Promise<void> {
  await bulk(db, table, rows);
}

/** Insert-or-replace on the primary key `keys` (all other columns take the new values). */
async function upsertMany<T extends BulkTable>(db: Db, table: T, keys: readonly string[], rows: readonly Database[T][]): Promise<void> {
  await bulk(db, table, rows, keys);
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
      signer_notice: info.signerNotice,
      migration_notice: info.migrationNotice,
      payout_notice: info.payoutNotice,
    })
    .onConflict((oc) => oc.column("id").doNothing())
    .execute();
  const state = (await readIndexerState(db))!;
  if (state.chain_id !== info.chainId || state.ledger !== info.ledger.toLowerCase()) {
    throw new DeploymentMismatchError(
      `The database holds the index of ledger ${state.ledger} on chain ${state.chain_id}, not ${info.ledger.toLowerCase()} ` +
        `on chain ${info.chainId}: use another database (DATABASE_URL or DSX_API_DATA_DIR).`,
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
  /** The chunk's logs (stored in `changes.blocks`, one row per block). */
  logs: readonly RawLog[];
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
  // each line with its view as the API answers it (lines never change: rendered once, here)
  await insertMany(trx, "usage_lines", changes.usageLines.map((line) => Object.assign(line, { view: usageLineJson(line) })));
  await insertMany(trx, "payments", changes.payments);
  await insertMany(trx, "distributions", changes.distributions);
  await insertMany(trx, "claims", changes.claims);
  await insertMany(trx, "audits", changes.audits);
  await insertMany(trx, "blocks", changes.blocks);
}

/** Writes one chunk and moves the checkpoint, in one transaction, under the lease. */
export async function commitChunk(db: Kysely<Database>, owner: string, ttlMs: number, chunk: ChunkWrite): Promise<void> {
  await db.transaction().execute(async (trx) => {
    // no wait for the WAL flush: a crash loses at most the last chunks, which are indexed again from the
    // durable checkpoint (the chunk and its checkpoint are one transaction either way)
    await sql`set local synchronous_commit to off`.execute(trx);
    await renewOrThrow(trx, owner, ttlMs);
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

/** A stored log as kept in `blocks.logs`. */
type StoredLog = [logIndex: number, txHash: string, address: string, topics: string[], data: string];

/**
 * The `blocks` row of a block's logs (all of one block, in log order): their JSON, raw-deflated, base64. A usage
 * batch's logs repeat the batch id, the transaction hash and long runs of zeros: ~16× smaller, and the bytes a
 * chunk writes were most of what its commit cost (base64 text, not bytea: array parameters of bytea travel as
 * escaped hex, which cost PGlite more than the rows).
 */
export function blockRow(block: { number: number; hash: string; timestamp: number }, logs: readonly RawLog[]): Database["blocks"] {
  const stored: StoredLog[] = logs.map((l) => [l.logIndex, l.txHash, l.address.toLowerCase(), l.topics, l.data]);
  return { number: block.number, hash: block.hash, timestamp: block.timestamp, logs: deflateRawSync(JSON.stringify(stored), { level: 1 }).toString("base64") };
}

/** Pages through the stored logs in chain order (the replay source), a page of blocks at a time. */
export async function* storedLogs(db: Db, pageSize = 500): AsyncGenerator<RawLog[]> {
  let after = -Infinity;
  for (;;) {
    let q = db.selectFrom("blocks").selectAll().orderBy("number").limit(pageSize);
    if (after !== -Infinity) q = q.where("number", ">", after);
    const rows = await q.execute();
    if (rows.length === 0) return;
    const page: RawLog[] = [];
    for (const r of rows) {
      for (const [logIndex, txHash, address, topics, data] of JSON.parse(inflateRawSync(Buffer.from(r.logs, "base64")).toString("utf8")) as StoredLog[]) {
        page.push({
          blockNumber: r.number,
          logIndex,
          blockHash: r.hash as `0x${string}`,
          txHash: txHash as `0x${string}`,
          address: address as `0x${string}`,
          topics: topics as `0x${string}`[],
          data: data as `0x${string}`,
          timestamp: r.timestamp,
        });
      }
    }
    yield page;
    after = rows[rows.length - 1].number;
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

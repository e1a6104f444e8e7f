// Writing notifications: one transaction holds the new rows, their address index, the `notified_through` mark and
// whatever the insert hooks add (the webhook outbox), so a crash loses or duplicates none of them.
import { sql, type Kysely, type Selectable, type Transaction } from "kysely";
import type { Database } from "../db/schema";
import type { NotificationsTable, NotificationStateTable } from "./schema";
import type { NotificationDraft } from "./types";

type Db = Kysely<Database> | Transaction<Database>;

/** A stored notification (what the feed, the stream and the insert hooks see). */
export type NotificationRow = Selectable<NotificationsTable>;

/** Runs inside the inserting transaction with the rows just inserted (in `seq` order; never rows inserted before). */
export type NotificationHook = (trx: Transaction<Database>, rows: readonly NotificationRow[]) => Promise<void>;

const globalHooks: NotificationHook[] = [];

/**
 * Registers `hook` for every notification insert in this process (the webhook outbox enqueues its deliveries
 * here, in the same transaction). Prefer `Indexer.onNotificationsInserted` when several indexers share a process.
 * @returns a function that unregisters it.
 */
export function onNotificationsInserted(hook: NotificationHook): () => void {
  globalHooks.push(hook);
  return () => {
    const i = globalHooks.indexOf(hook);
    if (i >= 0) globalHooks.splice(i, 1);
  };
}

/** A column of `rows` as one typed array parameter (what `unnest` zips back into rows). */
const column = <T>(rows: readonly T[], pick: (r: T) => unknown, type: string) => sql`${rows.map(pick)}::${sql.raw(type)}[]`;

/** Rows per INSERT statement: the rows travel as one JSON parameter, so this bounds the statement's size. */
const ROWS_PER_STATEMENT = 10_000;

/**
 * Inserts `drafts` in order (their `seq` follows it), skipping ids already stored, indexes their addresses and
 * runs the hooks (`hooks`, then the process-wide ones) with the rows actually inserted. One statement per 10 000
 * rows whatever their count: the rows travel as one JSON array that `json_to_recordset` turns into rows (the
 * payloads nested as JSON, not as escaped strings: a quarter cheaper on PGlite than a text array per column).
 * @returns the inserted rows, in `seq` order.
 */
export async function insertNotifications(
  trx: Transaction<Database>,
  drafts: readonly NotificationDraft[],
  hooks: readonly NotificationHook[] = [],
): Promise<NotificationRow[]> {
  const inserted: NotificationRow[] = [];
  for (let i = 0; i < drafts.length; i += ROWS_PER_STATEMENT) {
    const part = drafts.slice(i, i + ROWS_PER_STATEMENT);
    // `addresses` and `data` are stored as the JSON text of the draft's values: a json value keeps its text as given
    const { rows } = await sql<{ seq: number; id: string }>`insert into notifications
        (id, type, block_number, block_hash, timestamp, tx_hash, log_index, agreement_id, addresses, broadcast, data)
      select id, type, "blockNumber", "blockHash", timestamp, "txHash", "logIndex", "agreementId", addresses::text, broadcast, data::text
      from rows from (json_to_recordset(${JSON.stringify(part)}::json) as (id text, type text, "blockNumber" int8, "blockHash" text,
        timestamp int8, "txHash" text, "logIndex" int4, "agreementId" numeric, addresses json, broadcast bool, data json)) with ordinality
        as u(id, type, "blockNumber", "blockHash", timestamp, "txHash", "logIndex", "agreementId", addresses, broadcast, data, ord)
      order by ord
      on conflict (id) do nothing
      returning seq, id`.execute(trx);
    // the rows as stored, from the drafts (the database only gave their seq)
    const byId = new Map(part.map((d) => [d.id, d]));
    for (const { seq, id } of rows) {
      const d = byId.get(id)!;
      inserted.push({
        seq,
        id,
        type: d.type,
        block_number: d.blockNumber,
        block_hash: d.blockHash,
        timestamp: d.timestamp,
        tx_hash: d.txHash,
        log_index: d.logIndex,
        agreement_id: d.agreementId,
        addresses: JSON.stringify(d.addresses),
        broadcast: d.broadcast,
        data: JSON.stringify(d.data),
      });
    }
  }
  if (inserted.length === 0) return inserted;
  inserted.sort((a, b) => a.seq - b.seq);
  const index = inserted.flatMap((r) => (JSON.parse(r.addresses) as string[]).map((address) => ({ address, seq: r.seq })));
  for (let i = 0; i < index.length; i += ROWS_PER_STATEMENT) {
    const part = index.slice(i, i + ROWS_PER_STATEMENT);
    await sql`insert into notification_addresses (address, seq)
      select * from unnest(${column(part, (r) => r.address, "text")}, ${column(part, (r) => r.seq, "int8")})`.execute(trx);
  }
  for (const hook of [...hooks, ...globalHooks]) await hook(trx, inserted);
  return inserted;
}

/** The `notified_through` mark (undefined before the first derivation). */
export async function readNotificationState(db: Db): Promise<Selectable<NotificationStateTable> | undefined> {
  return db.selectFrom("notification_state").selectAll().where("id", "=", 1).executeTakeFirst();
}

/** Moves (or sets) the `notified_through` mark. */
export async function writeNotificationState(db: Db, through: { number: number; timestamp: number }): Promise<void> {
  await db
    .insertInto("notification_state")
    .values({ id: 1, notified_through: through.number, notified_timestamp: through.timestamp })
    .onConflict((oc) => oc.column("id").doUpdateSet({ notified_through: through.number, notified_timestamp: through.timestamp }))
    .execute();
}

// The durable webhook outbox (SERVICES §4): deliveries enqueued in the notifications' own transaction, claimed
// with `for update skip locked` by the lease holder only, and their outcomes recorded. Plain data in and out.
import { sql, type Kysely, type Selectable, type Transaction } from "kysely";
import type { Database } from "../db/schema";
import type { NotificationRow } from "../notifications/store";
import { nextAttemptAt, type RetryPolicy } from "./backoff";
import type { DeliveryStatus, WebhookDeliveriesTable } from "./schema";
import { subscribes, type Subscription } from "./subscriptions";

type Db = Kysely<Database> | Transaction<Database>;

/** A stored notification (the `notifications` table's row). */
export type StoredNotification = Pick<NotificationRow, "seq" | "id" | "type" | "block_number" | "block_hash" | "timestamp" | "tx_hash" | "log_index" | "agreement_id" | "addresses" | "broadcast" | "data">;

/** A delivery row. */
export type Delivery = Selectable<WebhookDeliveriesTable>;

/**
 * Adds one pending delivery per notification and subscription that receives it (none twice: the pair is unique).
 * Called inside the transaction that inserts the notifications, so both commit or neither does.
 * @returns the deliveries added.
 */
export async function enqueueDeliveries(trx: Db, notifications: readonly StoredNotification[], subscriptions: readonly Subscription[], now: number): Promise<number> {
  const values = notifications.flatMap((n) =>
    subscriptions
      .filter((s) => subscribes(s, n))
      .map((s) => ({
        notification_id: n.id,
        notification_seq: n.seq,
        subscription_id: s.id,
        status: "pending" as const,
        attempts: 0,
        next_attempt_at: now,
        created_at: now,
        retry_since: now,
      })),
  );
  let added = 0;
  for (let i = 0; i < values.length; i += 1000) {
    const result = await trx
      .insertInto("webhook_deliveries")
      .values(values.slice(i, i + 1000))
      .onConflict((oc) => oc.columns(["notification_id", "subscription_id"]).doNothing())
      .executeTakeFirst();
    added += Number(result.numInsertedOrUpdatedRows ?? 0);
  }
  return added;
}

/** What a claim needs: who claims, when, how many, for how long, for which subscriptions. */
export interface ClaimOptions {
  /** The indexer's lease owner: nothing is claimed unless it holds a fresh writer lease. */
  owner: string;
  now: number;
  limit: number;
  /** How long the attempt is reserved (its timeout and a margin); after that a crashed attempt is claimed again. */
  holdMs: number;
  subscriptionIds: readonly string[];
}

/**
 * Claims up to `limit` due deliveries for an attempt: each gets `attempts + 1` and is reserved until `now + holdMs`.
 * `for update skip locked` keeps two claimers off the same row, and the claim happens only while `owner` holds the
 * indexer's writer lease (checked in the same statement).
 */
export async function claimDue(db: Kysely<Database>, o: ClaimOptions): Promise<Delivery[]> {
  if (o.limit <= 0 || o.subscriptionIds.length === 0) return [];
  const result = await sql<Delivery>`
    update webhook_deliveries d
       set attempts = d.attempts + 1, next_attempt_at = ${o.now + o.holdMs}, claimed_by = ${o.owner}, last_attempt_at = ${o.now}
      from (select id from webhook_deliveries
             where status = 'pending' and next_attempt_at <= ${o.now} and subscription_id = any(${o.subscriptionIds as string[]}::text[])
             order by next_attempt_at, id
             limit ${o.limit}
             for update skip locked) due
     where d.id = due.id
       and exists (select 1 from indexer_state s where s.id = 1 and s.lease_owner = ${o.owner} and s.lease_expires_at > now())
    returning d.*`.execute(db);
  return result.rows;
}

/** The notifications of `ids`, by id. */
export async function notificationsById(db: Db, ids: readonly string[]): Promise<Map<string, StoredNotification>> {
  if (ids.length === 0) return new Map();
  const rows = await db.selectFrom("notifications").selectAll().where("id", "in", ids).execute();
  return new Map(rows.map((n) => [n.id, n]));
}

/** The answer to one attempt: a 2xx status, another status, or no answer (timeout, refused). */
export interface AttemptOutcome {
  ok: boolean;
  status?: number;
  error?: string;
}

/**
 * Records an attempt's outcome: delivered, or pending until the next attempt of the backoff, or failed once the
 * retry window has passed. A stale outcome (the row was claimed again since) changes nothing.
 * @returns the delivery's new status, or undefined when the outcome was stale.
 */
export async function recordOutcome(
  db: Kysely<Database>,
  claimed: Delivery,
  outcome: AttemptOutcome,
  policy: RetryPolicy,
  now: number,
  random?: () => number,
): Promise<DeliveryStatus | undefined> {
  const next = outcome.ok ? undefined : nextAttemptAt(policy, claimed.attempts, claimed.retry_since, now, random);
  const status: DeliveryStatus = outcome.ok ? "delivered" : next === undefined ? "failed" : "pending";
  const result = await db
    .updateTable("webhook_deliveries")
    .set({
      status,
      next_attempt_at: next ?? now,
      last_status: outcome.status ?? null,
      last_error: outcome.ok ? null : (outcome.error ?? `HTTP ${outcome.status}`).slice(0, 500),
      delivered_at: outcome.ok ? now : null,
    })
    .where("id", "=", claimed.id)
    .where("attempts", "=", claimed.attempts)
    .where("status", "=", "pending")
    .executeTakeFirst();
  return Number(result.numUpdatedRows) === 1 ? status : undefined;
}

/**
 * Deletes up to `limit` finished deliveries (delivered, or failed for good) whose last event (delivery, last attempt)
 * is before `before` (unix ms); pending ones are never touched. Their notifications stay in the feed.
 * @returns how many were deleted (fewer than `limit`: nothing older is left).
 */
export async function pruneFinished(db: Kysely<Database>, before: number, limit = 1000): Promise<number> {
  const result = await db
    .deleteFrom("webhook_deliveries")
    .where(
      "id",
      "in",
      db
        .selectFrom("webhook_deliveries")
        .select("id")
        .where("status", "in", ["delivered", "failed"])
        .where((eb) => eb(eb.fn.coalesce("delivered_at", "last_attempt_at", "created_at"), "<", before))
        .orderBy("id")
        .limit(limit),
    )
    .executeTakeFirst();
  return Number(result.numDeletedRows);
}

/** Filters of {@link listDeliveries}. */
export interface DeliveryFilter {
  status?: DeliveryStatus;
  subscriptionId?: string;
  notificationId?: string;
  /** Newest first, at most this many (default 50). */
  limit?: number;
}

/** Deliveries, newest first. */
export async function listDeliveries(db: Db, filter: DeliveryFilter = {}): Promise<Delivery[]> {
  let query = db.selectFrom("webhook_deliveries").selectAll();
  if (filter.status) query = query.where("status", "=", filter.status);
  if (filter.subscriptionId) query = query.where("subscription_id", "=", filter.subscriptionId);
  if (filter.notificationId) query = query.where("notification_id", "=", filter.notificationId);
  return query
    .orderBy("id", "desc")
    .limit(filter.limit ?? 50)
    .execute();
}

/** Deliveries per status (absent statuses: 0). */
export async function countByStatus(db: Db): Promise<Record<DeliveryStatus, number>> {
  const rows = await db
    .selectFrom("webhook_deliveries")
    .select(["status", (eb) => eb.fn.countAll<string>().as("n")])
    .groupBy("status")
    .execute();
  const counts: Record<DeliveryStatus, number> = { pending: 0, delivered: 0, failed: 0 };
  for (const r of rows) counts[r.status] = Number(r.n);
  return counts;
}

/**
 * Puts deliveries back in the queue, due now, with a fresh retry window (whatever their status): by delivery id,
 * or every delivery of a notification (`evt_…`), or that notification to one subscription (added when the
 * subscription had none, e.g. one created after the notification).
 * @returns the deliveries queued again.
 */
export async function redeliver(db: Kysely<Database>, target: { deliveryId: number } | { notificationId: string; subscriptionId?: string }, now: number): Promise<Delivery[]> {
  return db.transaction().execute(async (trx) => {
    if ("notificationId" in target && target.subscriptionId !== undefined) {
      const found = await notificationsById(trx, [target.notificationId]);
      const n = found.get(target.notificationId);
      if (n) {
        await trx
          .insertInto("webhook_deliveries")
          .values({
            notification_id: n.id,
            notification_seq: n.seq,
            subscription_id: target.subscriptionId,
            status: "pending",
            attempts: 0,
            next_attempt_at: now,
            created_at: now,
            retry_since: now,
          })
          .onConflict((oc) => oc.columns(["notification_id", "subscription_id"]).doNothing())
          .execute();
      }
    }
    let query = trx
      .updateTable("webhook_deliveries")
      .set({ status: "pending", next_attempt_at: now, retry_since: now, delivered_at: null, claimed_by: null });
    if ("deliveryId" in target) query = query.where("id", "=", target.deliveryId);
    else {
      query = query.where("notification_id", "=", target.notificationId);
      if (target.subscriptionId !== undefined) query = query.where("subscription_id", "=", target.subscriptionId);
    }
    return query.returningAll().execute();
  });
}

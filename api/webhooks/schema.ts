// The webhook outbox's tables (SERVICES §4 "Notifications"): one delivery per notification and subscription, kept
// durable in the index database. Part of the index schema (api/db/schema.ts spreads these in).
import type { Generated } from "kysely";

/** Where a delivery stands: waiting for its next attempt, answered 2xx, or given up after the retry window. */
export type DeliveryStatus = "pending" | "delivered" | "failed";

/**
 * One notification to one subscription. Times are unix milliseconds of the machine's clock (retries follow the
 * wall clock, not the chain's). A claimed attempt moves `next_attempt_at` past its timeout, so a process killed
 * mid-send leaves the row to be claimed again (at least once, with the same event id).
 */
export interface WebhookDeliveriesTable {
  id: Generated<number>;
  /** The notification's stable id (`evt_…`), also the `DSX-Event-Id` header. */
  notification_id: string;
  /** The notification's feed position (delivery order). */
  notification_seq: number;
  subscription_id: string;
  status: DeliveryStatus;
  /** Attempts claimed so far (a claim counts before its answer). */
  attempts: number;
  next_attempt_at: number;
  /** The process that claimed the last attempt (the indexer's lease owner). */
  claimed_by: string | null;
  /** HTTP status of the last answer (null: none, e.g. a timeout or refused connection). */
  last_status: number | null;
  last_error: string | null;
  last_attempt_at: number | null;
  delivered_at: number | null;
  created_at: number;
  /** Start of the retry window: the enqueue, or the last redelivery an operator asked for. */
  retry_since: number;
}

/** The webhook outbox's tables, as Kysely sees them. */
export interface WebhookTables {
  webhook_deliveries: WebhookDeliveriesTable;
}

/** DDL of the webhook tables, idempotent (`if not exists`). */
export const WEBHOOK_DDL: readonly string[] = [
  `create table if not exists webhook_deliveries (
    id bigint generated always as identity primary key, notification_id text not null, notification_seq bigint not null,
    subscription_id text not null, status text not null, attempts int not null default 0, next_attempt_at bigint not null,
    claimed_by text, last_status int, last_error text, last_attempt_at bigint, delivered_at bigint, created_at bigint not null,
    retry_since bigint not null,
    unique (notification_id, subscription_id))`,
  // the claim: due pending rows, oldest first
  `create index if not exists webhook_deliveries_due on webhook_deliveries (next_attempt_at, id) where status = 'pending'`,
  `create index if not exists webhook_deliveries_subscription on webhook_deliveries (subscription_id, id)`,
  `create index if not exists webhook_deliveries_status on webhook_deliveries (status, id)`,
];

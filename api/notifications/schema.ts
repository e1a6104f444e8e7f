// The notification feed's tables (SERVICES §4 "Notifications"): what participants are told, derived from final
// blocks. Part of the index schema (api/db/schema.ts spreads these in). docs/notifications.md describes every type.
import type { ColumnType, Generated } from "kysely";

/** One notification: written once (never updated), in `seq` order. */
export interface NotificationsTable {
  /** Monotonic order key: the feed's cursor and the stream's `Last-Event-ID` (bigint identity, read as a number). */
  seq: Generated<number>;
  /** Stable id, `evt_` + 64 hex: the same for the same chain fact however often it is derived (notifications/ids.ts). */
  id: string;
  /** One of NOTIFICATION_TYPES (notifications/types.ts). */
  type: string;
  /** The final block the notification was derived at, its hash and (chain) time. */
  block_number: number;
  block_hash: string;
  timestamp: number;
  /** The log it comes from (null for clock-derived ones: payment.due_soon, agreement.delinquent). */
  tx_hash: string | null;
  log_index: number | null;
  /** The agreement it concerns (decimal uint; null for partner- and program-wide ones). */
  agreement_id: string | null;
  /** JSON array of the lower-case addresses it concerns (startup, partners, payer, auditor, proposed addresses…). */
  addresses: string;
  /** Whether it concerns everyone (the revenue signer set): every address filter matches it. */
  broadcast: ColumnType<boolean, boolean | undefined, never>;
  /** JSON payload: amounts as decimal strings of base units, times ISO 8601 UTC. */
  data: string;
}

/** One row per (address, notification): the `address` filter's index. */
export interface NotificationAddressesTable {
  address: string;
  seq: number;
}

/** How far notifications were derived (one row): blocks ≤ `notified_through` have been turned into notifications. */
export interface NotificationStateTable {
  id: number;
  notified_through: number;
  /** The chain time of block `notified_through` (the clock-derived notifications were evaluated at it). */
  notified_timestamp: number;
}

/** The notification feed's tables, as Kysely sees them. */
export interface NotificationTables {
  notifications: NotificationsTable;
  notification_addresses: NotificationAddressesTable;
  notification_state: NotificationStateTable;
}

/** DDL of the notification tables, idempotent (`if not exists`). */
export const NOTIFICATION_DDL: readonly string[] = [
  `create table if not exists notifications (
    seq bigint generated always as identity unique, id text primary key, type text not null,
    block_number bigint not null, block_hash text not null, timestamp bigint not null,
    tx_hash text, log_index int, agreement_id numeric(78, 0), addresses text not null,
    broadcast boolean not null default false, data text not null)`,
  `create index if not exists notifications_agreement on notifications (agreement_id, seq)`,
  `create index if not exists notifications_type on notifications (type, seq)`,
  `create index if not exists notifications_broadcast on notifications (seq) where broadcast`,
  `create table if not exists notification_addresses (address text not null, seq bigint not null, primary key (address, seq))`,
  `create table if not exists notification_state (
    id int primary key check (id = 1), notified_through bigint not null, notified_timestamp bigint not null)`,
];

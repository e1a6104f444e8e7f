// The webhook outbox's tables (SERVICES §4 "Notifications"): one delivery per notification and subscription, kept
// durable in the index database. Part of the index schema (api/db/schema.ts spreads these in).

/** The webhook outbox's tables, as Kysely sees them. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface WebhookTables {}

/** DDL of the webhook tables, idempotent (`if not exists`). */
export const WEBHOOK_DDL: readonly string[] = [];

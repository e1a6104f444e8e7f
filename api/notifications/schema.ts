// The notification feed's tables (SERVICES §4 "Notifications"): what participants are told, derived from final
// blocks. Part of the index schema (api/db/schema.ts spreads these in).

/** The notification feed's tables, as Kysely sees them. */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface NotificationTables {}

/** DDL of the notification tables, idempotent (`if not exists`). */
export const NOTIFICATION_DDL: readonly string[] = [];

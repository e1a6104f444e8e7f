// The notification types of SERVICES §4 and the shape a derived notification has before it is stored.

/** Every notification type, in the order docs/notifications.md lists them. */
export const NOTIFICATION_TYPES = [
  "governance.change_proposed",
  "usage.batch_recorded",
  "usage.line_rejected",
  "usage.disputed",
  "usage.dispute_resolved",
  "revenue.reported",
  "revenue.disputed",
  "revenue.dispute_resolved",
  "revenue.finalized",
  "payment.applied",
  "payment.due_soon",
  "agreement.delinquent",
  "claimable.available",
  "audit.recorded",
] as const;

export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/** A JSON payload value: amounts as decimal strings, times ISO 8601, addresses EIP-55. */
export type Payload = Record<string, unknown>;

/** A notification as derived, before it gets its `seq` (notifications/store.ts writes it). */
export interface NotificationDraft {
  id: string;
  type: NotificationType;
  blockNumber: number;
  blockHash: string;
  /** Chain time (unix seconds) of `blockNumber`. */
  timestamp: number;
  txHash: string | null;
  logIndex: number | null;
  /** Decimal uint, or null for partner- and program-wide notifications. */
  agreementId: string | null;
  /** Lower-case, without duplicates. */
  addresses: string[];
  /** It concerns everyone: every address filter matches it. */
  broadcast: boolean;
  data: Payload;
}

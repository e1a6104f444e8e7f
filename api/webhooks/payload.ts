// The JSON body of a delivery (SERVICES §4): the notification exactly as the feed shows it (api/notifications/feed.ts:
// addresses EIP-55, times ISO 8601) without the feed's local cursor `seq`, with the chain it belongs to. The same
// bytes on every attempt (the id and times come from the chain, not from the attempt).
import { notificationView } from "../notifications/feed";
import type { StoredNotification } from "./outbox";

/** The body a subscription receives for `notification`, as the exact string that is signed and sent. */
export function deliveryBody(notification: StoredNotification, chainId: number): string {
  const { seq: _cursor, ...view } = notificationView(notification);
  return JSON.stringify({ ...view, chainId });
}

// Stable notification ids: the same chain fact gives the same id however often (and by whichever process) it is
// derived, so receivers can deduplicate (webhooks are delivered at least once).
import { keccak256, stringToHex } from "viem";
import type { NotificationType } from "./types";

/**
 * `evt_` + hex of keccak256 over `chainId|type|key…`: the key is the log (`txHash|logIndex`, plus the agreement
 * when one log concerns several) or, for clock-derived notifications, the agreement and the due date.
 * @example notificationId(31337, "payment.due_soon", ["3", 1790000000]) // "evt_…" (64 hex)
 */
export function notificationId(chainId: number, type: NotificationType, key: readonly (string | number | bigint)[]): string {
  return `evt_${keccak256(stringToHex([chainId, type, ...key].join("|"))).slice(2)}`;
}

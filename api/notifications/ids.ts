// Stable notification ids: the same chain fact gives the same id however often (and by whichever process) it is
// derived, so receivers can deduplicate (webhooks are delivered at least once).
import { keccak256Bytes } from "../../sdk/keccak";
import type { NotificationType } from "./types";

/**
 * `evt_` + hex of keccak256 over `chainId|type|key…` (UTF-8): the key is the log (`txHash|logIndex`, plus the
 * agreement when one log concerns several) or, for clock-derived notifications, the agreement and the due date.
 * Hashed with sdk/keccak.ts (hash-wasm once loaded: the notifier awaits it; one id per notification made this a
 * sixth of the indexer's time with viem's keccak).
 * @example notificationId(31337, "payment.due_soon", ["3", 1790000000]) // "evt_…" (64 hex)
 */
export function notificationId(chainId: number, type: NotificationType, key: readonly (string | number | bigint)[]): string {
  return `evt_${keccak256Bytes(Buffer.from([chainId, type, ...key].join("|"), "utf8")).toString("hex")}`;
}

// Reading the notification feed (SERVICES §4): rows after a `seq`, filtered by type, agreement and address, in
// `seq` order, and their JSON shape (api/schemas/events.ts). Used by `GET /v1/events` and the event stream.
import type { z } from "zod";
import type { ReadDb } from "../services/snapshot";
import { addr, iso } from "../services/format";
import type { notification } from "../schemas/events";
import type { NotificationRow } from "./store";

/** What the feed and the stream filter by. */
export interface FeedFilter {
  types?: readonly string[];
  agreementId?: string;
  /** Lower-case. */
  address?: string;
  /** Only rows with a greater `seq`. */
  after?: number;
}

/** One notification as the API shows it. */
export type NotificationView = z.output<typeof notification>;

/**
 * Up to `limit` notifications matching `f`, in `seq` order. The address filter goes through the
 * `notification_addresses` index; program-wide (`broadcast`) rows match every address.
 */
export async function readFeed(db: ReadDb, f: FeedFilter, limit: number): Promise<NotificationRow[]> {
  let q = db.selectFrom("notifications").selectAll().orderBy("seq").limit(limit);
  if (f.after !== undefined) q = q.where("seq", ">", f.after);
  if (f.types && f.types.length > 0) q = q.where("type", "in", f.types);
  if (f.agreementId !== undefined) q = q.where("agreement_id", "=", f.agreementId);
  if (f.address !== undefined) {
    const address = f.address;
    q = q.where((eb) =>
      eb.or([
        eb("broadcast", "=", true),
        eb(
          "seq",
          "in",
          eb
            .selectFrom("notification_addresses")
            .select("seq")
            .where("address", "=", address)
            .$if(f.after !== undefined, (sq) => sq.where("seq", ">", f.after!)),
        ),
      ]),
    );
  }
  return q.execute();
}

/** A stored notification as the API shows it (addresses EIP-55, the time ISO 8601). */
export function notificationView(
  r: Pick<NotificationRow, "seq" | "id" | "type" | "block_number" | "block_hash" | "timestamp" | "tx_hash" | "log_index" | "agreement_id" | "addresses" | "broadcast" | "data">,
): NotificationView {
  return {
    seq: r.seq,
    id: r.id,
    type: r.type as NotificationView["type"],
    created: iso(r.timestamp),
    blockNumber: r.block_number,
    blockHash: r.block_hash,
    txHash: r.tx_hash,
    logIndex: r.log_index,
    agreementId: r.agreement_id,
    addresses: (JSON.parse(r.addresses) as string[]).map(addr),
    broadcast: r.broadcast,
    data: JSON.parse(r.data) as Record<string, unknown>,
  };
}

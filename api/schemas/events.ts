// The notification feed's zod schemas (SERVICES §4 "Notifications"): the same objects parse `GET /v1/events` and
// `GET /v1/events/stream` and generate their part of /openapi.json. Payloads per type: docs/notifications.md.
import { z } from "zod";
import { NOTIFICATION_TYPES } from "../notifications/types";
import { address, addressParam, bytes32, isoTime, page, pageQuery, uintParam, uintString } from "./common";

const escape = (s: string) => s.replace(/\./g, "\\.");
const ONE_TYPE = `(?:${NOTIFICATION_TYPES.map(escape).join("|")})`;

/** `type`: one notification type or a comma-separated list of them. */
export const typeListParam = z
  .string()
  .max(1024)
  .regex(new RegExp(`^${ONE_TYPE}(?:,${ONE_TYPE})*$`), { error: `expected one or more of ${NOTIFICATION_TYPES.join(", ")}, separated by commas` })
  .transform((s) => [...new Set(s.split(","))])
  .meta({ description: `Only these types (comma-separated): ${NOTIFICATION_TYPES.join(", ")}.`, example: "payment.applied,payment.due_soon" });

/** `after`: a notification's `seq` (the feed resumes after it). */
export const seqParam = z
  .string()
  .regex(/^[0-9]{1,15}$/, { error: "expected a notification seq (a decimal integer of at most 15 digits)" })
  .transform(Number)
  .meta({ description: "Only notifications after this `seq` (what the last one received had)." });

/** The filters the feed and the stream share. */
export const eventFilterQuery = {
  type: typeListParam.optional(),
  agreementId: uintParam.optional().meta({ description: "Only notifications about this agreement (decimal id)." }),
  address: addressParam
    .optional()
    .meta({ description: "Only notifications that concern this address (program-wide ones, `broadcast: true`, concern everyone)." }),
  after: seqParam.optional(),
};

/** `GET /v1/events`: the filters, a page size and a cursor. */
export const eventsQuery = z.strictObject({ ...pageQuery, ...eventFilterQuery });

/** `GET /v1/events/stream`: the filters (resume with `after` or the `Last-Event-ID` header), and `blocks`. */
export const eventStreamQuery = z.strictObject({
  ...eventFilterQuery,
  blocks: z
    .enum(["true", "false"], { error: 'expected "true" or "false"' })
    .transform((s) => s === "true")
    .optional()
    .meta({ description: "Also send `event: block` (no id) with the response `meta` whenever the indexed block changes (the dashboard's refresh)." }),
});

/** One notification as the feed, the stream and the webhooks show it. */
export const notification = z
  .object({
    seq: z.number().int().positive().meta({ description: "Order in the feed: the cursor of `after` and the stream's event id." }),
    id: z.string().regex(/^evt_[0-9a-f]{64}$/).meta({ description: "Stable id: the same fact always has the same id (deduplicate on it)." }),
    type: z.enum(NOTIFICATION_TYPES),
    created: isoTime.meta({ description: "Chain time of the block it was derived at." }),
    blockNumber: z.number().int().nonnegative().meta({ description: "The final block it was derived at." }),
    blockHash: bytes32,
    txHash: bytes32.nullable().meta({ description: "The transaction of the log it comes from (null for payment.due_soon and agreement.delinquent)." }),
    logIndex: z.number().int().nonnegative().nullable(),
    agreementId: uintString.nullable().meta({ description: "The agreement it concerns (null for partner- and program-wide ones)." }),
    addresses: z.array(address).meta({ description: "The addresses it concerns (startup, partners, payer, auditor, proposed addresses…)." }),
    broadcast: z.boolean().meta({ description: "Program-wide: it concerns everyone (matches every `address` filter)." }),
    data: z.record(z.string(), z.unknown()).meta({ description: "The payload of its type (docs/notifications.md): amounts as decimal strings, times ISO 8601." }),
  })
  .meta({ id: "Notification" });

/** The feed's page. */
export const notificationPage = page(notification, "NotificationPage");

// The notification feed's JSON routes (SERVICES §4 "Notifications"): `GET /v1/events`. The live stream
// (`GET /v1/events/stream`) is api/notifications/stream.ts, mounted by app.ts.
import { z } from "zod";
import { readFeed, notificationView } from "../notifications/feed";
import { eventsQuery, notificationPage } from "../schemas/events";
import { decodeCursor, encodeCursor } from "../services/cursor";
import type { RouteSpec } from "./definitions";

type EventsQuery = z.output<typeof eventsQuery>;

/** The feed's cursor: the last `seq` of the page. */
const SEQ_CURSOR = z.tuple([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER)]);

/** Routes of the notification feed, served and documented like every other route. */
export const eventRoutes: RouteSpec[] = [
  {
    path: "/v1/events",
    operationId: "listEvents",
    summary: "Notifications derived from final blocks, oldest first (filters: type, agreement, address; resume after a seq)",
    description:
      "What participants are told without polling the rest of the API (docs/notifications.md lists every type and its payload). " +
      "Only final blocks (at least `confirmations` deep) produce notifications; each has a stable `id` and a `seq` that orders the feed. " +
      "`after` resumes after a seq; `cursor` is the previous page's `nextCursor`. The same notifications stream live from `GET /v1/events/stream`.",
    tags: ["events"],
    query: eventsQuery,
    response: notificationPage,
    list: true,
    errors: [400, 429, 503],
    handler: (r, { query }) =>
      r.snapshot(async (ctx) => {
        const q = query as EventsQuery;
        const limit = q.limit ?? 50;
        const cursor = decodeCursor(q.cursor, SEQ_CURSOR);
        const after = Math.max(q.after ?? 0, cursor?.[0] ?? 0);
        const rows = await readFeed(ctx.db, { types: q.type, agreementId: q.agreementId, address: q.address, after }, limit + 1);
        const more = rows.length > limit;
        const pageRows = more ? rows.slice(0, limit) : rows;
        return { data: pageRows.map(notificationView), nextCursor: more ? encodeCursor([pageRows[pageRows.length - 1].seq]) : null };
      }),
  },
];

// `GET /v1/events/stream` (SERVICES §4): the notification feed as Server-Sent Events — `id: <seq>`, `event: <type>`,
// `data: <json>` — with the feed's filters, resumable with `Last-Event-ID` (or `?after=`), heartbeat comments, woken
// by the indexer in this process (its checkpoint listeners) and by a short poll of the table (API processes that
// do not index). Ends when the client goes or the server closes it.
import type { Request, RequestHandler, Response } from "express";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import type { Database } from "../db/schema";
import { HttpProblem, PROBLEM, validationProblem } from "../http/problem";
import { eventStreamQuery } from "../schemas/events";
import { metaOf, readState } from "../services/snapshot";
import { notificationView, readFeed, type FeedFilter } from "./feed";

export interface EventStreamOptions {
  db: Kysely<Database>;
  chainId: number;
  logger: Logger;
  /** Subscribes to the checkpoints (and notifications) an indexer in this process commits: `Indexer.onCheckpoint`. */
  checkpoints?: (listener: () => void) => void;
  /** How often each stream looks for new rows without being woken (default 1000 ms). */
  pollIntervalMs?: number;
  /** A comment line this often keeps proxies from closing an idle stream (default 15 000 ms). */
  heartbeatMs?: number;
  /** The reconnection delay suggested to clients (`retry:`, default 2000 ms). */
  retryMs?: number;
}

/** The stream's request handler, and `close()` to end every open stream (before the server closes). */
export type EventStreamHandler = RequestHandler & { close(): void; readonly open: number };

/** Rows per read while a stream catches up. */
const BATCH = 500;

/**
 * Serves the notification feed as Server-Sent Events. Without `Last-Event-ID` or `after`, a stream starts at the
 * newest notification (only what comes next); `after=0` replays the whole feed first.
 * @example app.get("/v1/events/stream", eventStreamHandler({ db, chainId, logger, checkpoints: (l) => indexer.onCheckpoint(l) }));
 */
export function eventStreamHandler(options: EventStreamOptions): EventStreamHandler {
  const { db, logger } = options;
  const pollIntervalMs = options.pollIntervalMs ?? 1000;
  const heartbeatMs = options.heartbeatMs ?? 15_000;
  const streams = new Set<{ wake: () => void; end: () => void }>();
  options.checkpoints?.(() => {
    for (const s of streams) s.wake();
  });

  const handler = (async (req: Request, res: Response, next) => {
    let filter: FeedFilter & { blocks?: boolean };
    try {
      filter = parse(req);
      if (filter.after === undefined) {
        const newest = await db.selectFrom("notifications").select((eb) => eb.fn.max("seq").as("seq")).executeTakeFirst();
        filter.after = Number(newest?.seq ?? 0);
      }
    } catch (err) {
      next(err);
      return;
    }
    res.status(200);
    res.setHeader("Content-Type", "text/event-stream; charset=utf-8");
    res.setHeader("Cache-Control", "no-cache, no-transform");
    res.setHeader("Connection", "keep-alive");
    res.setHeader("X-Accel-Buffering", "no");
    if (req.method === "HEAD") {
      res.end();
      return;
    }
    res.flushHeaders();
    res.write(`retry: ${options.retryMs ?? 2000}\n: stream of notifications after seq ${filter.after}\n\n`);

    let open = true;
    let wake: (() => void) | undefined;
    const stream = {
      wake: () => wake?.(),
      end: () => {
        open = false;
        wake?.();
      },
    };
    streams.add(stream);
    const heartbeat = setInterval(() => res.write(": heartbeat\n\n"), heartbeatMs);
    req.on("close", stream.end);
    const write = async (chunk: string) => {
      if (!res.write(chunk)) await new Promise<void>((resolve) => res.once("drain", resolve).once("close", resolve));
    };
    let shownBlock: string | undefined;
    try {
      while (open) {
        if (filter.blocks) {
          // the indexed block, when it changed: no id (a reconnection resumes the notifications, not these)
          const meta = metaOf(await readState(db), options.chainId);
          const key = `${meta.blockHash}:${meta.final}`;
          if (key !== shownBlock) {
            shownBlock = key;
            await write(`event: block\ndata: ${JSON.stringify(meta)}\n\n`);
          }
        }
        const rows = await readFeed(db, filter, BATCH);
        for (const row of rows) {
          if (!open) break;
          const view = notificationView(row);
          await write(`id: ${view.seq}\nevent: ${view.type}\ndata: ${JSON.stringify(view)}\n\n`);
          filter.after = view.seq;
        }
        if (rows.length === BATCH || !open) continue;
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollIntervalMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = undefined;
      }
    } catch (err) {
      logger.warn({ err: err instanceof Error ? err.message : String(err) }, "event stream ended by an error");
    } finally {
      clearInterval(heartbeat);
      streams.delete(stream);
      req.off("close", stream.end);
      if (!res.writableEnded) res.end();
    }
  }) as EventStreamHandler;
  handler.close = () => {
    for (const s of streams) s.end();
  };
  Object.defineProperty(handler, "open", { get: () => streams.size });
  return handler;
}

/** The filters of a stream request; the `Last-Event-ID` header (a reconnection) wins over `after`. */
function parse(req: Request): FeedFilter & { blocks?: boolean } {
  const query = eventStreamQuery.safeParse(req.query);
  if (!query.success) throw validationProblem("query", query.error);
  const q = query.data;
  const filter = { types: q.type, agreementId: q.agreementId, address: q.address, after: q.after, blocks: q.blocks };
  const last = req.headers["last-event-id"];
  if (last !== undefined && last !== "") {
    if (typeof last !== "string" || !/^[0-9]{1,15}$/.test(last)) {
      throw new HttpProblem(400, PROBLEM.validation, "Bad Request", "Invalid header Last-Event-ID: expected the id of an event this stream sent (a seq).", {
        errors: [{ in: "header", name: "Last-Event-ID", message: "expected a decimal seq" }],
      });
    }
    filter.after = Number(last);
  }
  return filter;
}

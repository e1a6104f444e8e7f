// The HTTP app, built by a factory from its dependencies (no globals): Express 5, helmet, CORS, a rate
// limit, a body size limit, pino request logs, zod-parsed input, problem+json errors, OpenAPI and docs.
import { randomUUID } from "node:crypto";
import express, { type Express, type NextFunction, type Request, type RequestHandler, type Response } from "express";
import { rateLimit } from "express-rate-limit";
import helmet from "helmet";
import type { Kysely } from "kysely";
import type { Logger } from "pino";
import { pinoHttp } from "pino-http";
import { dashboard } from "./dashboard";
import type { Database } from "./db/schema";
import { errorHandler, HttpProblem, methodNotAllowed, notFoundHandler, PROBLEM, sendProblem, validationProblem } from "./http/problem";
import { answerJson } from "./http/rawJson";
import { buildOpenApiDocument, renderDocsPage } from "./openapi";
import { ResponseCache } from "./http/responseCache";
import { notIndexedYet, routes, specialRoutes, type RouteDeps, type RouteSpec } from "./routes/definitions";
import { putReason, REASON_PATH, reasonBody, reasonParams, reasonQuery, reasonRoutes } from "./routes/reasons";
import { AuditReports } from "./services/auditReports";
import { metaOf, readState, type ReadContext, type Reader, type StateRow } from "./services/snapshot";

export interface AppOptions {
  db: Kysely<Database>;
  logger: Logger;
  /** The chain the deployment lives on (every `meta.chainId`). */
  chainId: number;
  /** Folder of usage evidence bundles (`<batchId>.json`) for record proofs. */
  evidenceDir?: string;
  /** The auditor's report folder (`audit --out`): `GET /v1/agreements/:id/audit` serves the latest report. */
  auditDir?: string;
  /** Allowed CORS origins: "*" or a list; empty: no CORS headers. */
  corsOrigins?: "*" | string[];
  /** Requests per minute per client IP; 0 disables the limit. Default 600. */
  rateLimitPerMinute?: number;
  /** Largest request body accepted (default "16kb"); the API only reads. */
  bodyLimit?: string;
  /** Log one line per request (default true). */
  logRequests?: boolean;
  /** How long a client should wait for `minBlock` (Retry-After seconds, default 1). */
  retryAfterSeconds?: number;
  /** The version shown in the OpenAPI document. */
  version?: string;
  /**
   * How stale the cached checkpoint may be (ms) before answers are looked up again; 0 disables the
   * response cache. Default 100. `?minBlock=` beyond it always re-reads. Entries are keyed by the
   * checkpoint's block hash and the URL and dropped whenever the checkpoint moves.
   */
  cacheTtlMs?: number;
  /**
   * Subscribes to the checkpoints an indexer in this process commits (`Indexer.onCheckpoint`): the response
   * cache then re-reads the checkpoint at once instead of up to `cacheTtlMs` later.
   */
  checkpoints?: (listener: () => void) => void;
  /**
   * Prometheus metrics (SERVICES §7): `middleware` sees every request (first in the chain), `handler` serves
   * `GET /metrics`, which is never rate limited.
   */
  metrics?: { middleware: RequestHandler; handler: RequestHandler };
  /** Serves `GET /v1/events/stream` (Server-Sent Events of the notification feed); absent: 404. */
  eventStream?: RequestHandler;
}

/** Paths a client probes or fetches once: never rate limited (SERVICES §4 "The contract is exact"). */
export const UNLIMITED_PATHS: ReadonlySet<string> = new Set(["/v1/health", "/v1/ready", "/metrics", "/openapi.json", "/docs"]);

function cors(origins: "*" | string[]): RequestHandler {
  const allowed = origins === "*" ? undefined : new Set(origins);
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (origin && (allowed === undefined || allowed.has(origin))) {
      res.setHeader("Access-Control-Allow-Origin", allowed === undefined ? "*" : origin);
      res.setHeader("Access-Control-Expose-Headers", "Retry-After, RateLimit, RateLimit-Policy, X-Request-Id");
      if (allowed !== undefined) res.vary("Origin");
      if (req.method === "OPTIONS") {
        // PUT only where it is served (a dispute's reason text)
        const put = /^\/v1\/dispute-reasons\/[^/]+$/.test(req.path);
        res.setHeader("Access-Control-Allow-Methods", put ? "GET, HEAD, PUT, OPTIONS" : "GET, HEAD, OPTIONS");
        res.setHeader("Access-Control-Allow-Headers", String(req.headers["access-control-request-headers"] ?? "Content-Type"));
        res.setHeader("Access-Control-Max-Age", "600");
        res.status(204).end();
        return;
      }
    }
    next();
  };
}

/**
 * Builds the API app.
 * @example const app = createApp({ db, logger, chainId: 31337 }); app.listen(8080);
 */
export function createApp(options: AppOptions): Express {
  const { db, logger, chainId } = options;
  const deps: RouteDeps = {
    chainId,
    evidenceDir: options.evidenceDir,
    audits: options.auditDir ? new AuditReports(options.auditDir, logger) : undefined,
  };
  const retryAfter = String(options.retryAfterSeconds ?? 1);
  const cache = new ResponseCache(db, chainId, options.cacheTtlMs ?? 100);
  options.checkpoints?.(() => cache.invalidate());
  const app = express();
  app.disable("x-powered-by");
  app.set("etag", false);
  app.set("query parser", "simple");
  // "/v1/partners/" is not "/v1/partners": an empty path segment is a 404, never another route's answer
  app.set("strict routing", true);
  if (options.metrics) app.use(options.metrics.middleware);

  if (options.logRequests !== false) {
    app.use(
      pinoHttp({
        logger,
        genReqId: (req, res) => {
          const given = req.headers["x-request-id"];
          const id = typeof given === "string" && /^[\w.-]{1,64}$/.test(given) ? given : randomUUID();
          res.setHeader("X-Request-Id", id);
          return id;
        },
        customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? "error" : res.statusCode >= 400 ? "warn" : "info"),
      }),
    );
  }
  app.use(helmet());
  app.use(dashboard()); // GET / and the page routes of docs/dashboard.md (static files: before the rate limit)
  const corsOn = options.corsOrigins !== undefined && (options.corsOrigins === "*" || options.corsOrigins.length > 0);
  if (corsOn) app.use(cors(options.corsOrigins!));
  const perMinute = options.rateLimitPerMinute ?? 600;
  if (perMinute > 0) {
    app.use(
      rateLimit({
        windowMs: 60_000,
        limit: perMinute,
        standardHeaders: "draft-8",
        legacyHeaders: false,
        skip: (req) => UNLIMITED_PATHS.has(req.path),
        handler: (req, res) => {
          // the limiter's own window: the very seconds of the RateLimit header's `t=` (set just before)
          const t = /; t=([0-9]+)$/.exec(String(res.getHeader("RateLimit") ?? ""))?.[1];
          const resetTime = (req as Request & { rateLimit?: { resetTime?: Date } }).rateLimit?.resetTime;
          const seconds = t !== undefined ? Number(t) : resetTime ? Math.max(0, Math.ceil((resetTime.getTime() - Date.now()) / 1000)) : 60;
          sendProblem(
            res,
            new HttpProblem(429, PROBLEM.rateLimited, "Too Many Requests", `More than ${perMinute} requests a minute; retry in ${seconds} s.`, {
              headers: { "Retry-After": String(seconds) },
            }),
            req.originalUrl,
          );
        },
      }),
    );
  }
  // the API only reads but for PUT /v1/dispute-reasons/:hash: bodies are parsed (to answer 413/400 for oversized or malformed ones) except on GET/HEAD
  const json = express.json({ limit: options.bodyLimit ?? "16kb" });
  const urlencoded = express.urlencoded({ extended: false, limit: options.bodyLimit ?? "16kb" });
  const bodyless = (req: Request) => req.method === "GET" || req.method === "HEAD";
  app.use((req, res, next) => (bodyless(req) ? next() : json(req, res, next)));
  app.use((req, res, next) => (bodyless(req) ? next() : urlencoded(req, res, next)));

  // a known path asked with another method: 405 naming the methods it serves (OPTIONS: CORS preflights)
  const allow = corsOn ? "GET, HEAD, OPTIONS" : "GET, HEAD";
  const allowReason = corsOn ? "GET, HEAD, PUT, OPTIONS" : "GET, HEAD, PUT";
  const document = buildOpenApiDocument(options.version ?? "1.0.0", {
    rateLimited: perMinute > 0,
    unlimitedPaths: UNLIMITED_PATHS,
    allow,
    allowReason,
    metrics: options.metrics !== undefined,
    eventStream: options.eventStream !== undefined,
  });
  const documentJson = JSON.stringify(document);
  const docsPage = renderDocsPage(document);
  app.get("/openapi.json", (_req, res) => {
    res.type("application/json").send(documentJson);
  });
  app.get("/docs", (_req, res) => {
    res.type("text/html").send(docsPage);
  });

  if (options.metrics) app.get("/metrics", options.metrics.handler);
  if (options.eventStream) app.get("/v1/events/stream", options.eventStream);

  app.get("/v1/health", async (_req, res) => {
    const state = await readState(db).catch(() => undefined);
    res.json({ data: { status: "ok" }, meta: metaOf(state, chainId) });
  });

  app.get("/v1/ready", async (req, res, next) => {
    try {
      const state = await readState(db);
      const meta = metaOf(state, chainId);
      res.locals.meta = meta;
      const indexed = state?.checkpoint_number ?? null;
      const head = state?.head_number ?? null;
      const leaseFresh = state?.lease_expires_at ? state.lease_expires_at.getTime() > Date.now() : false;
      if (indexed === null || head === null || indexed < head || !leaseFresh) {
        const why =
          indexed === null
            ? "nothing is indexed yet"
            : !leaseFresh
              ? "no indexer holds the writer lease"
              : `indexed block ${indexed} is behind the head ${head}`;
        throw new HttpProblem(503, PROBLEM.notReady, "Service Unavailable", `Not caught up: ${why}.`, { headers: { "Retry-After": retryAfter } });
      }
      res.json({ data: { status: "ready", indexedBlock: indexed, headBlock: head }, meta });
    } catch (err) {
      next(err);
    }
  });

  const readRoutes = [...routes, ...reasonRoutes];
  for (const route of readRoutes) app.get(route.path, handler(route));

  // the one write: a dispute's reason text, stored under its keccak256 (api/routes/reasons.ts)
  app.put(REASON_PATH, async (req, res, next) => {
    try {
      const params = reasonParams.safeParse(req.params);
      if (!params.success) throw validationProblem("path", params.error);
      const query = reasonQuery.safeParse(req.query);
      if (!query.success) throw validationProblem("query", query.error);
      const body = reasonBody.safeParse(req.body);
      if (!body.success) throw validationProblem("body", body.error);
      contextAt(res, query.data.minBlock, db, await readState(db)); // 503 until indexed (or minBlock is)
      const { status, data } = await putReason(db, params.data.hash, body.data);
      if (status === 201) cache.clear(); // cached disputes now carry the text (reasonText)
      res.status(status).type("application/json").send(JSON.stringify({ data, meta: res.locals.meta }));
    } catch (err) {
      next(err);
    }
  });

  const served = [...readRoutes.filter((r) => r.path !== REASON_PATH).map((r) => r.path), specialRoutes.health.path, specialRoutes.ready.path, "/openapi.json", "/docs"];
  if (options.metrics) served.push("/metrics");
  if (options.eventStream) served.push("/v1/events/stream");
  for (const path of served) app.all(path, methodNotAllowed(allow));
  app.all(REASON_PATH, methodNotAllowed(allowReason));

  app.use(notFoundHandler);
  app.use(errorHandler(logger));
  return app;

  /** The context of a read at `state` (503 before anything, or before `minBlock`, is indexed); sets `meta`. */
  function contextAt(res: Response, minBlock: number | undefined, db: ReadContext["db"], state: StateRow | undefined): ReadContext {
    const meta = metaOf(state, chainId);
    res.locals.meta = meta;
    if (!state || meta.blockNumber === null || state.checkpoint_number! < state.deployment_block) {
      throw notIndexedYet("Nothing is indexed yet; try again shortly.", Number(retryAfter));
    }
    if (minBlock !== undefined && meta.blockNumber < minBlock) {
      throw notIndexedYet(`Block ${minBlock} is not indexed yet (indexed: ${meta.blockNumber}).`, Number(retryAfter));
    }
    return { db, meta, now: state.checkpoint_timestamp ?? 0, state };
  }

  function reader(res: Response, minBlock: number | undefined): Reader {
    return {
      db,
      at: (state) => contextAt(res, minBlock, db, state),
      snapshot: (fn) =>
        db
          .transaction()
          .setIsolationLevel("repeatable read")
          .setAccessMode("read only")
          .execute(async (trx) => fn(contextAt(res, minBlock, trx, await readState(trx)))),
    };
  }

  function handler(route: RouteSpec): RequestHandler {
    return async (req: Request, res: Response, next: NextFunction) => {
      try {
        const params = route.params ? route.params.safeParse(req.params) : { success: true as const, data: {} };
        if (!params.success) throw validationProblem("path", params.error);
        const query = route.query.safeParse(req.query);
        if (!query.success) throw validationProblem("query", query.error);
        const input = { params: params.data as Record<string, unknown>, query: query.data as Record<string, unknown> };
        const minBlock = input.query.minBlock as number | undefined;
        const cacheable = cache.enabled && route.cache !== false;
        if (cacheable) {
          let snap = await cache.current();
          if (minBlock !== undefined && (snap.meta.blockNumber ?? -1) < minBlock) snap = await cache.current(true);
          const hit = cache.get(snap.meta, req.originalUrl);
          if (hit !== undefined && (minBlock === undefined || (snap.meta.blockNumber ?? -1) >= minBlock)) {
            res.type("application/json").send(hit);
            return;
          }
        }
        const body = await route.handler(reader(res, minBlock), input, deps);
        const payload = route.list ? { ...(body as object), meta: res.locals.meta } : { data: body, meta: res.locals.meta };
        const json = answerJson(payload);
        if (cacheable) cache.set(res.locals.meta, req.originalUrl, json);
        res.type("application/json").send(json);
      } catch (err) {
        next(err);
      }
    };
  }
}

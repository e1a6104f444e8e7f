// /openapi.json, generated from the same zod schemas that parse requests (zod-openapi 5, OpenAPI 3.1),
// and /docs, a readable page rendered from that document on the server (no CDN, no script).
import { z } from "zod";
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject, type ZodOpenApiResponseObject } from "zod-openapi";
import { ADDRESS_PARAM_FORMAT, problem } from "./schemas/common";
import { eventStreamQuery } from "./schemas/events";
import { routes, specialRoutes } from "./routes/definitions";
import { MAX_REASON_BYTES } from "./reasons/limits";
import { PUT_REASON_ERRORS, REASON_PATH, reasonBody, reasonParams, reasonQuery, reasonResponse, reasonRoutes } from "./routes/reasons";

export const toOpenApiPath = (path: string): string => path.replace(/:([A-Za-z]+)/g, "{$1}");

/** What the app serves besides its routes, and how: the document states exactly what this app answers. */
export interface OpenApiOptions {
  /** Whether a rate limit is on (routes outside `unlimitedPaths` then document 429 and the RateLimit headers). */
  rateLimited: boolean;
  /** Paths never rate limited (app.ts `UNLIMITED_PATHS`). */
  unlimitedPaths: ReadonlySet<string>;
  /** The `Allow` header of a 405: "GET, HEAD", plus OPTIONS when CORS answers preflights. */
  allow: string;
  /** The `Allow` header of a 405 at /v1/dispute-reasons/{hash} (`allow` plus PUT); default: `allow` with PUT. */
  allowReason?: string;
  /** `GET /metrics` is served. */
  metrics?: boolean;
  /** `GET /v1/events/stream` is served. */
  eventStream?: boolean;
}

const problemContent = { "application/problem+json": { schema: problem } };

const rateLimitHeaders = {
  RateLimit: {
    description: "This client's quota left in the window: `\"<policy>\"; r=<requests left>; t=<seconds until the window resets>` (IETF draft-8).",
    required: true,
    schema: { type: "string", pattern: '^"[^"]+"; r=[0-9]+; t=[0-9]+$' },
  },
  "RateLimit-Policy": {
    description: "The quota: `\"<policy>\"; q=<requests>; w=<window seconds>; pk=:<partition key>:` (IETF draft-8).",
    required: true,
    schema: { type: "string", pattern: '^"[^"]+"; q=[0-9]+; w=[0-9]+; pk=:[^:]*:$' },
  },
} as const;

/** Every answer of an operation besides its 200, as this app can give it. */
function errorResponses(
  statuses: Iterable<number>,
  allow: string,
  limited: boolean,
  own: Record<number, ZodOpenApiResponseObject> = {},
): Record<string, ZodOpenApiResponseObject> {
  const headers = (own: Record<string, unknown> = {}) => (limited || Object.keys(own).length ? { headers: { ...(limited ? rateLimitHeaders : {}), ...own } } : {});
  const retryAfter = (description: string, minimum: number) => ({ "Retry-After": { description, required: true, schema: { type: "integer", minimum } } });
  const all: Record<number, ZodOpenApiResponseObject> = {
    400: {
      description:
        "Bad input: a path or query parameter malformed, out of its range, repeated or unknown (`errors` names each), or an unreadable body sent with another method.",
    },
    404: { description: "Unknown id, or nothing to serve for it." },
    405: {
      description: `Any other method on this path (a body sent with it is read first: 413/400). \`Allow\` lists the methods served.`,
      ...headers({ Allow: { description: "The methods this path serves.", required: true, schema: { type: "string", const: allow } } }),
    },
    413: { description: "A request body over the size limit, sent with a method other than GET or HEAD (the API reads no body)." },
    429: {
      description: "Over the rate limit. `Retry-After` is the limiter's own window: the `t=` of `RateLimit`.",
      ...headers(retryAfter("Seconds until the limiter's window resets (equal to the `t=` of RateLimit).", 0)),
    },
    500: { description: "A server fault (logged with the request id; no detail of the cause)." },
    503: {
      description: "Nothing is indexed yet, or the `minBlock` asked for is not (for /v1/ready: not caught up).",
      ...headers(retryAfter("Seconds to wait before asking again.", 1)),
    },
    ...own,
  };
  const out: Record<string, ZodOpenApiResponseObject> = {};
  for (const status of [...new Set(statuses)].sort()) {
    if (status === 429 && !limited) continue;
    const response = all[status];
    if (!response) throw new Error(`openapi: no description for status ${status}`);
    out[String(status)] = { ...headers(), ...response, content: problemContent };
  }
  return out;
}

const openApiDocumentSchema = z
  .looseObject({ openapi: z.literal("3.1.0"), info: z.looseObject({ title: z.string(), version: z.string() }), paths: z.record(z.string(), z.unknown()) })
  .meta({ id: "OpenApiDocument", description: "This document." });

/**
 * The OpenAPI 3.1 document of the API as an app built with `options` serves it: every parameter's exact
 * constraints (from the zod schemas that parse it) and every status each path can answer, with its headers.
 * @example buildOpenApiDocument("1.1.0", { rateLimited: true, unlimitedPaths: UNLIMITED_PATHS, allow: "GET, HEAD" })
 */
export function buildOpenApiDocument(version: string, options: OpenApiOptions): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  const limited = (path: string) => options.rateLimited && !options.unlimitedPaths.has(path);
  /** The operation at `path`, its 200 and its other statuses (405 and 413 on every path, 429 where limited, 500). */
  const operation = (path: string, op: Omit<ZodOpenApiOperationObject, "responses">, ok: ZodOpenApiResponseObject, statuses: number[]) => {
    const rateLimited = limited(path);
    const allow = path === REASON_PATH ? allowReason : options.allow;
    paths[toOpenApiPath(path)] = {
      get: {
        ...op,
        responses: {
          "200": rateLimited ? { ...ok, headers: rateLimitHeaders } : ok,
          ...errorResponses([...statuses, 405, 413, 429, 500], allow, rateLimited),
        },
      },
    };
  };
  const allowReason = options.allowReason ?? options.allow.replace("HEAD", "HEAD, PUT");
  for (const route of [...routes, ...reasonRoutes]) {
    operation(
      route.path,
      {
        operationId: route.operationId,
        summary: route.summary,
        description: route.description,
        tags: route.tags,
        requestParams: route.params ? { path: route.params, query: route.query } : { query: route.query },
      },
      { description: "OK", content: { "application/json": { schema: route.response } } },
      [400, ...route.errors],
    );
  }
  // the one write (app.ts): a dispute's reason text under its keccak256
  {
    const rateLimited = limited(REASON_PATH);
    const ok = (description: string): ZodOpenApiResponseObject => ({
      description,
      content: { "application/json": { schema: reasonResponse } },
      ...(rateLimited ? { headers: rateLimitHeaders } : {}),
    });
    paths[toOpenApiPath(REASON_PATH)]!.put = {
      operationId: "putDisputeReason",
      summary: "Store a dispute's reason text under its keccak256",
      description:
        "Accepted only when keccak256 of the text's UTF-8 bytes is the path's hash and an indexed usage or revenue dispute has that " +
        "reasonHash; the same text again is a 200 (idempotent). Texts never change.",
      tags: ["disputes"],
      requestParams: { path: reasonParams, query: reasonQuery },
      requestBody: { required: true, content: { "application/json": { schema: reasonBody } } },
      responses: {
        "200": ok("Already stored (the same text)"),
        "201": ok("Stored"),
        ...errorResponses([...PUT_REASON_ERRORS, 405, 413, 429, 500], allowReason, rateLimited, {
          400: { description: "Bad input: a path or query parameter, or the JSON body (`errors` names each): `{ \"text\": <string> }`, nothing else." },
          404: { description: "No indexed usage or revenue dispute has this reasonHash (yet: retry with `minBlock` = the dispute's block)." },
          409: { description: "Another text is stored under this hash (never changed)." },
          413: { description: "A request body over the size limit." },
          422: { description: `The text does not hash to the path's hash, or is over ${MAX_REASON_BYTES} bytes of UTF-8.` },
        }),
      },
    };
  }
  const { health, ready } = specialRoutes;
  operation(
    health.path,
    { operationId: health.operationId, summary: health.summary, tags: ["service"] },
    { description: "OK", content: { "application/json": { schema: health.response } } },
    [400],
  );
  operation(
    ready.path,
    { operationId: ready.operationId, summary: ready.summary, tags: ["service"] },
    { description: "Caught up", content: { "application/json": { schema: ready.response } } },
    [400, 503],
  );
  operation(
    "/openapi.json",
    { operationId: "getOpenApiDocument", summary: "This document", tags: ["service"] },
    { description: "OK", content: { "application/json": { schema: openApiDocumentSchema } } },
    [400],
  );
  operation(
    "/docs",
    { operationId: "getDocs", summary: "A readable page of this document", tags: ["service"] },
    { description: "OK", content: { "text/html": { schema: z.string() } } },
    [400],
  );
  if (options.metrics) {
    operation(
      "/metrics",
      { operationId: "getMetrics", summary: "Prometheus metrics (text exposition format)", tags: ["service"] },
      { description: "OK", content: { "text/plain": { schema: z.string() } } },
      [400],
    );
  }
  if (options.eventStream) {
    operation(
      "/v1/events/stream",
      {
        operationId: "streamEvents",
        summary: "The notification feed as Server-Sent Events, resumable with Last-Event-ID",
        tags: ["events"],
        requestParams: {
          query: eventStreamQuery,
          header: z.object({ "last-event-id": z.string().optional().meta({ description: "The id (`seq`) of the last event received: the stream resumes after it." }) }),
        },
      },
      { description: "An event stream (stays open)", content: { "text/event-stream": { schema: z.string() } } },
      [400, 503],
    );
  }
  return createDocument({
    openapi: "3.1.0",
    info: {
      title: "DSX Ledger settlement API",
      version,
      description:
        "Read side of the DSX revenue-share ledger (SERVICES §4). Amounts are decimal strings of 6-decimal base units; " +
        "times are ISO 8601 UTC; every answer carries `meta` (the indexed block it reflects); lists are cursor-paginated; " +
        "errors are RFC 9457 problem details. Every path answers GET and HEAD (and /v1/dispute-reasons/{hash} PUT); any other method is a 405 with `Allow` " +
        "(with CORS on, OPTIONS is answered as a preflight from an allowed origin). On an operation that lists query " +
        "parameters, one it does not list, or one given twice, is a 400; the others ignore the query string. " +
        `Format \`${ADDRESS_PARAM_FORMAT}\`: 0x and 40 hex digits, all lower-case or with a valid EIP-55 checksum.`,
    },
    paths,
  });
}

const escape = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);

type Json = Record<string, unknown>;

function schemaText(schema: unknown): string {
  if (!schema || typeof schema !== "object") return "";
  const s = schema as Json;
  if (typeof s.$ref === "string") {
    const name = s.$ref.split("/").pop()!;
    return `<a href="#schema-${escape(name)}">${escape(name)}</a>`;
  }
  if (Array.isArray(s.anyOf)) return (s.anyOf as unknown[]).map(schemaText).join(" | ");
  if (s.type === "array") return `${schemaText(s.items)}[]`;
  if (Array.isArray(s.enum)) return (s.enum as unknown[]).map((v) => `<code>${escape(JSON.stringify(v))}</code>`).join(" | ");
  if (s.const !== undefined) return `<code>${escape(JSON.stringify(s.const))}</code>`;
  const type = Array.isArray(s.type) ? (s.type as string[]).join(" | ") : String(s.type ?? "any");
  const pattern = typeof s.pattern === "string" && s.pattern.length > 80 ? "(see openapi.json)" : s.pattern;
  const bounds = [s.minimum !== undefined && `≥ ${s.minimum}`, s.maximum !== undefined && `≤ ${s.maximum}`, s.default !== undefined && `default ${s.default}`];
  const extra = [s.format && `format ${s.format}`, pattern && `pattern <code>${escape(String(pattern))}</code>`, ...bounds]
    .filter(Boolean)
    .join(", ");
  return `${escape(type)}${extra ? ` (${extra})` : ""}`;
}

function propertiesTable(schema: Json): string {
  const props = (schema.properties ?? {}) as Record<string, Json>;
  const required = new Set((schema.required ?? []) as string[]);
  const rows = Object.entries(props)
    .map(
      ([name, p]) =>
        `<tr><td><code>${escape(name)}</code>${required.has(name) ? "" : " <small>optional</small>"}</td><td>${schemaText(p)}</td>` +
        `<td>${escape(String(p.description ?? ""))}</td></tr>`,
    )
    .join("");
  return rows ? `<table><tr><th>field</th><th>type</th><th>description</th></tr>${rows}</table>` : "";
}

/** A self-contained HTML page describing every operation and schema of `doc`. */
export function renderDocsPage(doc: ReturnType<typeof createDocument>): string {
  const ops: string[] = [];
  for (const [path, item] of Object.entries(doc.paths ?? {})) {
    for (const [method, op] of Object.entries(item as Record<string, Json>)) {
      const params = ((op.parameters ?? []) as Json[])
        .map(
          (p) =>
            `<tr><td><code>${escape(String(p.name))}</code></td><td>${escape(String(p.in))}${p.required ? ", required" : ""}</td>` +
            `<td>${schemaText(p.schema)}</td><td>${escape(String(p.description ?? (p.schema as Json | undefined)?.description ?? ""))}</td></tr>`,
        )
        .join("");
      const responses = Object.entries((op.responses ?? {}) as Record<string, Json>)
        .map(([status, r]) => {
          const content = (r.content ?? {}) as Record<string, Json>;
          const [type, media] = Object.entries(content)[0] ?? [];
          const headers = Object.keys((r.headers ?? {}) as Json).map((h) => `<code>${escape(h)}</code>`).join(", ");
          return (
            `<li><b>${escape(status)}</b> ${escape(String(r.description ?? ""))}${type ? ` — <code>${escape(type)}</code> ${schemaText(media?.schema)}` : ""}` +
            `${headers ? ` · headers ${headers}` : ""}</li>`
          );
        })
        .join("");
      ops.push(
        `<section id="${escape(String(op.operationId ?? path))}"><h3><span class="m">${escape(method.toUpperCase())}</span> <code>${escape(path)}</code></h3>` +
          `<p>${escape(String(op.summary ?? ""))}</p>${op.description ? `<p>${escape(String(op.description))}</p>` : ""}` +
          (params ? `<table><tr><th>parameter</th><th>in</th><th>type</th><th>description</th></tr>${params}</table>` : "") +
          `<ul>${responses}</ul></section>`,
      );
    }
  }
  const schemas = Object.entries((doc.components?.schemas ?? {}) as Record<string, Json>)
    .map(
      ([name, s]) =>
        `<section id="schema-${escape(name)}"><h3>${escape(name)}</h3>${s.description ? `<p>${escape(String(s.description))}</p>` : ""}` +
        (propertiesTable(s) || `<p>${schemaText(s)}</p>`) +
        `</section>`,
    )
    .join("");
  const toc = Object.entries(doc.paths ?? {})
    .map(([path]) => `<li><code>${escape(path)}</code></li>`)
    .join("");
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escape(doc.info.title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font:15px/1.5 system-ui,sans-serif;max-width:1100px;margin:2rem auto;padding:0 1rem;color:#1b1f24}
h1{margin-bottom:.2rem}h2{border-bottom:2px solid #ddd;padding-bottom:.3rem;margin-top:2.5rem}
section{border:1px solid #e3e3e3;border-radius:6px;padding:.2rem 1rem;margin:1rem 0}
table{border-collapse:collapse;width:100%;margin:.5rem 0}td,th{border:1px solid #e3e3e3;padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}code{background:#f6f8fa;padding:0 .2rem;border-radius:3px}.m{background:#0b6;color:#fff;padding:.1rem .5rem;border-radius:4px;font-size:.85em}
</style></head><body>
<h1>${escape(doc.info.title)}</h1><p>version ${escape(doc.info.version)} · <a href="/openapi.json">openapi.json</a></p>
<p>${escape(doc.info.description ?? "")}</p>
<h2>Operations</h2><ul>${toc}</ul>${ops.join("")}
<h2>Schemas</h2>${schemas}
</body></html>`;
}

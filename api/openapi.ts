// /openapi.json, generated from the same zod schemas that parse requests (zod-openapi 5, OpenAPI 3.1),
// and /docs, a readable page rendered from that document on the server (no CDN, no script).
import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiPathsObject } from "zod-openapi";
import { problem } from "./schemas/common";
import { routes, specialRoutes } from "./routes/definitions";

const STATUS_TEXT: Record<number, string> = {
  400: "Bad input (problem+json naming the failing fields)",
  404: "Unknown id, or nothing to serve for it (problem+json)",
  429: "Rate limited (problem+json)",
  503: "Not indexed yet / minBlock not reached (problem+json, Retry-After)",
};

export const toOpenApiPath = (path: string): string => path.replace(/:([A-Za-z]+)/g, "{$1}");

/** The OpenAPI 3.1 document of the API. */
export function buildOpenApiDocument(version: string): ReturnType<typeof createDocument> {
  const paths: ZodOpenApiPathsObject = {};
  const problemContent = { "application/problem+json": { schema: problem } };
  for (const route of routes) {
    const responses: ZodOpenApiOperationObject["responses"] = {
      "200": { description: "OK", content: { "application/json": { schema: route.response } } },
    };
    for (const status of [...route.errors, 500]) {
      responses[String(status) as `${4 | 5}${string}`] = { description: STATUS_TEXT[status] ?? "Server error (problem+json)", content: problemContent };
    }
    paths[toOpenApiPath(route.path)] = {
      get: {
        operationId: route.operationId,
        summary: route.summary,
        description: route.description,
        tags: route.tags,
        requestParams: route.params ? { path: route.params, query: route.query } : { query: route.query },
        responses,
      },
    };
  }
  paths[specialRoutes.health.path] = {
    get: {
      operationId: specialRoutes.health.operationId,
      summary: specialRoutes.health.summary,
      tags: ["service"],
      responses: { "200": { description: "OK", content: { "application/json": { schema: specialRoutes.health.response } } } },
    },
  };
  paths[specialRoutes.ready.path] = {
    get: {
      operationId: specialRoutes.ready.operationId,
      summary: specialRoutes.ready.summary,
      tags: ["service"],
      responses: {
        "200": { description: "Caught up", content: { "application/json": { schema: specialRoutes.ready.response } } },
        "503": { description: "Not caught up (problem+json)", content: problemContent },
      },
    },
  };
  return createDocument({
    openapi: "3.1.0",
    info: {
      title: "DSX Ledger settlement API",
      version,
      description:
        "Read side of the DSX revenue-share ledger (SERVICES §4). Amounts are decimal strings of 6-decimal base units; " +
        "times are ISO 8601 UTC; every answer carries `meta` (the indexed block it reflects); lists are cursor-paginated; " +
        "errors are RFC 9457 problem details.",
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
  const extra = [s.format && `format ${s.format}`, s.pattern && `pattern <code>${escape(String(s.pattern))}</code>`]
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
          return `<li><b>${escape(status)}</b> ${escape(String(r.description ?? ""))}${type ? ` — <code>${escape(type)}</code> ${schemaText(media?.schema)}` : ""}</li>`;
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

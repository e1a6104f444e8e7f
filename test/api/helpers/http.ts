// The API tests' HTTP side: an app on a free loopback port, GET with the body parsed, and validators of every
// route's 200 body and of problem bodies compiled from the served /openapi.json (the contract clients see).
import type { Server } from "node:http";
import Ajv2020 from "ajv/dist/2020";
import type { createApp } from "../../../api/app";

export type Json = Record<string, unknown>;

/** Listens on a free loopback port. */
export async function listen(app: ReturnType<typeof createApp>): Promise<{ server: Server; base: string }> {
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  const address = server.address() as { port: number };
  return { server, base: `http://127.0.0.1:${address.port}` };
}

/** GET `base + url`: status, content type, headers, the body parsed (undefined when it is not JSON) and its text. */
export async function get(base: string, url: string, headers: Record<string, string> = {}) {
  const res = await fetch(base + url, { headers });
  const text = await res.text();
  let body: Json | undefined;
  try {
    body = JSON.parse(text) as Json;
  } catch {
    body = undefined;
  }
  return { status: res.status, type: res.headers.get("content-type") ?? "", headers: res.headers, body, text };
}

/** Validators of each route's 200 body (by OpenAPI path) and of problem bodies, compiled from /openapi.json. */
export function validatorsFrom(doc: Json) {
  const ajv = new Ajv2020({ strict: false, validateFormats: false, allErrors: true });
  const rewrite = (schema: unknown) => JSON.parse(JSON.stringify(schema).replace(/"#\/components\/schemas\//g, '"doc#/$defs/'));
  const components = (doc.components as { schemas: Json }).schemas;
  ajv.addSchema({ $id: "doc", $defs: rewrite(components) });
  const paths = doc.paths as Record<string, { get: { responses: Record<string, { content: Record<string, { schema: unknown }> }> } }>;
  const byPath = new Map<string, ReturnType<typeof ajv.compile>>();
  for (const [p, item] of Object.entries(paths)) {
    const json = item.get.responses["200"].content["application/json"]; // /docs, /metrics and the event stream are not JSON
    if (json) byPath.set(p, ajv.compile(rewrite(json.schema)));
  }
  const problem = ajv.compile(rewrite({ $ref: "#/components/schemas/Problem" }));
  return { byPath, problem, ajv };
}

// The contract is exact (SERVICES §4): requests derived from the served /openapi.json itself — a fixed sweep of every
// parameter's boundaries and of each kind of value it forbids, then fast-check requests from each operation's path
// and query parameter schemas (valid, boundary and invalid values, unknown and repeated parameters, other methods) —
// sent over real HTTP to the API over a real indexed chain, on both engines. Every
// answer must be documented for its operation (status, media type, body schema, required headers), no 5xx but a
// documented 503, a request the document allows is never a 400, and one it forbids always is.
import type { Server } from "node:http";
import Ajv2020, { type ValidateFunction } from "ajv/dist/2020";
import addFormats from "ajv-formats";
import { expect } from "chai";
import { getAddress as ethersChecksum } from "ethers";
import fc from "fast-check";
import { Registry } from "prom-client";
import { getAddress, keccak256, maxUint256, stringToHex } from "viem";
import { createApp, UNLIMITED_PATHS } from "../../api/app";
import type { DatabaseHandle } from "../../api/db/database";
import { Indexer } from "../../api/indexer/indexer";
import { ADDRESS_PARAM_FORMAT, decimalAtMost } from "../../api/schemas/common";
import { newPglite, newPostgres, postgresReachable, sharedChain, silentLogger, type SharedChain } from "./helpers/fixture";
import { listen, type Json } from "./helpers/http";

// CI pins PROPERTIES_SEED; a local run draws one. The test's title names it, to replay a failure.
const SEED = Number(process.env.PROPERTIES_SEED ?? Date.now() % 2 ** 31);
// a bounded number of requests per engine; DSX_CONTRACT_FUZZ_RUNS runs more
const RUNS = Number(process.env.DSX_CONTRACT_FUZZ_RUNS ?? 150);
const WRONG_METHODS = ["POST", "PUT", "DELETE", "PATCH", "OPTIONS"] as const;

interface Param {
  name: string;
  in: "path" | "query" | "header";
  required?: boolean;
  schema: Json;
}
interface Response {
  content?: Record<string, { schema: unknown }>;
  headers?: Record<string, { required?: boolean; schema: Json }>;
}
interface Operation {
  path: string;
  operationId: string;
  params: Param[];
  responses: Record<string, Response>;
  /** The `Allow` of a 405 here: GET, HEAD and the path's other documented methods (PUT on /v1/dispute-reasons/{hash}). */
  allow: string;
  /** Methods besides GET and HEAD this path documents: never generated as wrong ones. */
  writes: string[];
}

/** The document's operations and validators for its schemas (JSON Schema 2020-12, formats asserted). */
function contractOf(doc: Json) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // the document's own format: lower-case, or the EIP-55 checksum (checked here by ethers, not by the API's viem)
  ajv.addFormat(ADDRESS_PARAM_FORMAT, (s: string) => {
    if (s === s.toLowerCase()) return true;
    try {
      return ethersChecksum(s) === s;
    } catch {
      return false;
    }
  });
  const rewrite = (schema: unknown) => JSON.parse(JSON.stringify(schema).replace(/"#\/components\/schemas\//g, '"doc#/$defs/'));
  ajv.addSchema({ $id: "doc", $defs: rewrite((doc.components as { schemas: Json }).schemas) });
  const compiled = new Map<string, ValidateFunction>();
  const validator = (schema: unknown): ValidateFunction => {
    const key = JSON.stringify(schema);
    if (!compiled.has(key)) compiled.set(key, ajv.compile(rewrite(schema)));
    return compiled.get(key)!;
  };
  const operations: Operation[] = [];
  for (const [path, item] of Object.entries(doc.paths as Record<string, Record<string, Json>>)) {
    // the one write (PUT /v1/dispute-reasons/{hash}) takes a JSON body whose acceptance depends on keccak256 and the
    // indexed disputes: random bodies would only ever reach its 400/404/422, so test/api/reasons.test.ts checks a fixed
    // set of cases (each status, each refusal) against this document instead; here its path is fuzzed through GET
    expect(Object.keys(item), path).to.deep.equal(path === "/v1/dispute-reasons/{hash}" ? ["get", "put"] : ["get"]);
    const op = item.get;
    const writes = Object.keys(item).filter((m) => m !== "get").map((m) => m.toUpperCase());
    const operation: Operation = {
      path,
      operationId: op.operationId as string,
      params: (op.parameters ?? []) as Param[],
      responses: op.responses as Record<string, Response>,
      allow: ["GET", "HEAD", ...writes].join(", "),
      writes,
    };
    operations.push(Object.assign(operation, { [fc.toStringMethod]: () => path })); // counterexamples name the path only
  }
  return { operations, validator };
}

/** A raw parameter value as the schema sees it: an integer schema reads the decimal an OpenAPI client writes. */
function typed(schema: Json, raw: string): unknown {
  return schema.type === "integer" && /^(0|-?[1-9][0-9]*)$/.test(raw) ? Number(raw) : raw;
}

/** One generated request: the operation, a method, path values and query pairs (in order, repeats allowed). */
interface Request {
  op: Operation;
  method: string;
  path: Record<string, string>;
  query: [string, string][];
  /** Index into the cursors seen for this operation (valid cursors are only ones the API issued). */
  cursor: number | null;
}

function hexDigits(n: number) {
  return fc.array(fc.constantFrom(..."0123456789abcdefABCDEF"), { minLength: n, maxLength: n }).map((a) => a.join(""));
}

/** Values the document allows for `schema` (boundaries first), and real ones of the indexed chain. */
function validValue(p: Param, chain: SharedChain): fc.Arbitrary<string> {
  const s = p.schema;
  const addresses = [...chain.facts.partners, ...chain.facts.startups];
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as string[]));
  if (s.type === "integer") {
    const [min, max] = [s.minimum as number, s.maximum as number];
    const near = fc.integer({ min, max: Math.min(max, min + 600) });
    const anywhere = max <= 2 ** 31 - 1 ? fc.integer({ min, max }) : fc.maxSafeNat().map((v) => min + (v % (max - min + 1)));
    return fc.oneof(fc.constantFrom(min, max, (s.default as number | undefined) ?? min), near, anywhere).map(String);
  }
  if (s.format === ADDRESS_PARAM_FORMAT) {
    return fc.oneof(
      fc.constantFrom(...addresses, ...addresses.map((a) => a.toLowerCase())),
      hexDigits(40).map((h) => getAddress(`0x${h.toLowerCase()}`)),
      hexDigits(40).map((h) => `0x${h.toLowerCase()}`),
    );
  }
  if (s.format === "date-time") {
    return fc
      .record({
        date: fc.date({ min: new Date("0000-01-01T00:00:00Z"), max: new Date("9999-12-31T23:59:59Z"), noInvalidDate: true }),
        fraction: fc.option(fc.stringMatching(/^[0-9]{1,9}$/)),
        offset: fc.option(fc.tuple(fc.constantFrom("+", "-"), fc.integer({ min: 0, max: 23 }), fc.integer({ min: 0, max: 59 }))),
      })
      .map(({ date, fraction, offset }) => {
        const base = date.toISOString().slice(0, 19);
        const zone = offset ? `${offset[0]}${String(offset[1]).padStart(2, "0")}:${String(offset[2]).padStart(2, "0")}` : "Z";
        return `${base}${fraction ? `.${fraction}` : ""}${zone}`;
      })
      .filter((v) => v.length <= ((s.maxLength as number | undefined) ?? Infinity));
  }
  if (p.name === "id") return fc.oneof(fc.constantFrom("1", "2", "3", "4", "5", "0", "00001", String(maxUint256), String(maxUint256).padStart(78, "0")), fc.stringMatching(new RegExp(s.pattern as string)));
  if (p.name === "batchId") return fc.oneof(fc.constantFrom(...chain.facts.batchIds, ...chain.facts.batchIds.map((b) => b.toUpperCase().replace(/^0X/, "0x"))), fc.stringMatching(new RegExp(s.pattern as string)));
  if (typeof s.pattern === "string") return fc.stringMatching(new RegExp(s.pattern)).filter((v) => v.length <= ((s.maxLength as number | undefined) ?? Infinity));
  return fc.string({ minLength: Math.max(1, (s.minLength as number | undefined) ?? 0), maxLength: Math.min(40, (s.maxLength as number | undefined) ?? 40) });
}

/** Values the document forbids for `schema`, one of each kind: out of range, wrong form, wrong case, too long. */
function invalidConstants(p: Param): string[] {
  const s = p.schema;
  const common = ["abc", "-1", "1.5", "0x", "null", " 1", "%", "é"];
  if (s.type === "integer") {
    const [min, max] = [s.minimum as number, s.maximum as number];
    return [String(min - 1), String(max + 1), `0${min + 1}`, "+1", "1e2", "", "10000000000000000000000", ...common];
  }
  if (Array.isArray(s.enum)) return [...(s.enum as string[]).map((v) => v.toLowerCase() + "x"), "", "TRUE"].filter((v) => !(s.enum as string[]).includes(v));
  if (s.format === "date-time") {
    return [
      "2026-02-30T00:00:00Z", "2023-02-29T00:00:00Z", "2026-13-01T00:00:00Z", "2026-10-01T24:00:00Z", "2016-12-31T23:59:60Z", "2026-10-01T00:00Z",
      "2026-10-01T00:00:00", "2026-10-01", "2026-10-01t00:00:00z", "2026-10-01 00:00:00Z", "2026-10-01T00:00:00+0100",
      "2026-10-01T00:00:00+24:00", `2026-10-01T00:00:00.${"1".repeat(60)}Z`, "1790812800", "now",
    ];
  }
  if (s.format === ADDRESS_PARAM_FORMAT) {
    const checksummed = getAddress("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
    return [checksummed.replace(/[a-f]/, (c) => c.toUpperCase()), checksummed.toUpperCase().replace(/^0X/, "0x"), `0X${checksummed.slice(2).toLowerCase()}`, checksummed.slice(0, 41), `${checksummed}0`, ...common];
  }
  if (p.name === "id" || p.name === "agreementId") return [String(maxUint256 + 1n), `1${"0".repeat(78)}`, "9".repeat(78), "0".repeat(79), "0x1", "1e3", ...common];
  const length = s.maxLength as number | undefined;
  return [...common, ...(length ? ["x".repeat(length + 1)] : []), `0x${"ab".repeat(31)}`, `0x${"ab".repeat(33)}`, `0x${"gg".repeat(32)}`];
}

function invalidValue(p: Param): fc.Arbitrary<string> {
  return fc.oneof(fc.constantFrom(...invalidConstants(p)), fc.string({ minLength: 1, maxLength: 20 }));
}

/** The edges of what the document allows for `schema` (each must not be a 400). */
function boundaryValues(p: Param): string[] {
  const s = p.schema;
  if (Array.isArray(s.enum)) return s.enum as string[];
  if (s.type === "integer") return [s.minimum, s.maximum, s.default].filter((v) => v !== undefined).map(String);
  if (s.format === "date-time") return ["0000-01-01T00:00:00Z", "9999-12-31T23:59:59.999999999-23:59", "2024-02-29T12:00:00+23:59", "2026-10-01T00:00:00.5Z"];
  if (s.format === ADDRESS_PARAM_FORMAT) return ["0x0000000000000000000000000000000000000000", getAddress("0x70997970c51812dc3a010c7d01b50e0d17dc79c8"), "0x70997970c51812dc3a010c7d01b50e0d17dc79c8"];
  if (p.name === "id" || p.name === "agreementId") return ["0", "1", String(maxUint256), String(maxUint256).padStart(78, "0")];
  if (p.name === "batchId") return [`0x${"AB".repeat(32)}`, `0x${"0".repeat(64)}`];
  if (p.name === "cursor") return [];
  if (typeof s.pattern === "string" || s.maxLength === undefined) return [];
  return ["x", "x".repeat(s.maxLength as number)];
}

/** A request for `op`: mostly valid, else one value out of its schema, an unknown or repeated parameter, or another method. */
function requestFor(op: Operation, chain: SharedChain): fc.Arbitrary<Request> {
  const pathParams = op.params.filter((p) => p.in === "path");
  const queryParams = op.params.filter((p) => p.in === "query" && p.name !== "cursor");
  const valid = (p: Param) => validValue(p, chain);
  const pathValues = fc.record(Object.fromEntries(pathParams.map((p) => [p.name, valid(p)]))) as fc.Arbitrary<Record<string, string>>;
  const someQuery = fc
    .subarray(queryParams)
    .chain((ps) => (ps.length ? fc.tuple(...ps.map((p) => valid(p).map((v): [string, string] => [p.name, v]))) : fc.constant([] as [string, string][])));
  const cursor = op.params.some((p) => p.name === "cursor") ? fc.option(fc.nat(), { freq: 2 }) : fc.constant(null);
  const base = fc.record({ path: pathValues, query: someQuery, cursor }).map((r) => ({ op, method: "GET", ...r }) as Request);
  const named = [...pathParams, ...op.params.filter((p) => p.in === "query")];
  return fc.oneof(
    { weight: 5, arbitrary: base },
    { weight: 1, arbitrary: base.map((r) => ({ ...r, method: "HEAD" })) },
    {
      weight: named.length ? 4 : 0,
      arbitrary: fc.tuple(base, named.length ? fc.constantFrom(...named) : fc.constant(undefined)).chain(([r, p]) =>
        invalidValue(p!).map((v): Request => {
          if (p!.in === "path") return { ...r, path: { ...r.path, [p!.name]: v } };
          return { ...r, query: [...r.query.filter(([n]) => n !== p!.name), [p!.name, v]], cursor: p!.name === "cursor" ? null : r.cursor };
        }),
      ),
    },
    {
      weight: 1,
      arbitrary: fc.tuple(base, fc.stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,11}$/), fc.string({ maxLength: 10 })).map(([r, name, v]): Request => ({ ...r, query: [...r.query, [name, v]] })),
    },
    {
      weight: queryParams.length ? 1 : 0,
      arbitrary: base.filter((r) => r.query.length > 0).map((r): Request => ({ ...r, query: [...r.query, r.query[0]] })),
    },
    { weight: 2, arbitrary: fc.tuple(base, fc.constantFrom(...WRONG_METHODS.filter((m) => !op.writes.includes(m)))).map(([r, method]) => ({ ...r, method })) },
  );
}

/** Whether an encoded path segment stays one segment of this path (`.` and `..` are resolved away by the URL). */
const staysInPath = (v: string) => v !== "" && !/^(\.|%2e){1,2}$/i.test(encodeURIComponent(v));

for (const engine of ["pglite", "postgres"] as const) {
  describe(`api contract on ${engine}: requests generated from /openapi.json, answers checked against it`, function () {
    this.timeout(240_000);
    let chain: SharedChain;
    let db: DatabaseHandle;
    let server: Server;
    let base: string;
    let contract: ReturnType<typeof contractOf>;

    before(async function () {
      if (engine === "postgres" && !(await postgresReachable())) this.skip();
      chain = await sharedChain();
      db = engine === "pglite" ? await newPglite() : await newPostgres();
      const indexer = new Indexer({ db: db.db, publicClient: chain.driver.publicClient, deployment: chain.deployment, logger: silentLogger, confirmations: 2 });
      await indexer.syncToHead();
      await indexer.stop();
      const registry = new Registry();
      const app = createApp({
        db: db.db,
        logger: silentLogger,
        chainId: chain.deployment.chainId,
        logRequests: false,
        rateLimitPerMinute: 1_000_000, // on (its headers are documented), never reached
        metrics: { middleware: (_req, _res, next) => next(), handler: async (_req, res) => void res.type(registry.contentType).send(await registry.metrics()) },
      });
      ({ server, base } = await listen(app));
      const doc = (await (await fetch(`${base}/openapi.json`)).json()) as Json;
      contract = contractOf(doc);
    });

    after(async function () {
      await new Promise((r) => (server ? server.close(r) : r(undefined)));
      server?.closeAllConnections();
      await db?.close();
    });

    /** Sends `req` and checks its answer against what the document says of it (see the file's head). */
    async function check(req: Request, cursors: Map<string, string[]>, statuses: Map<number, number>): Promise<void> {
      const { op } = req;
      const seen = cursors.get(op.operationId) ?? [];
      const query = [...req.query];
      if (req.cursor !== null && seen.length) query.push(["cursor", seen[req.cursor % seen.length]]);
      // what the document says of this request
      const declared = new Map(op.params.map((p) => [p.name, p]));
      const violations = new Set<string>();
      let unissued = false; // a cursor of the document's pattern that this list did not issue
      for (const p of op.params.filter((q) => q.in === "path")) {
        if (!contract.validator(p.schema)(typed(p.schema, req.path[p.name]))) violations.add(p.name);
      }
      const takesQuery = op.params.some((p) => p.in === "query");
      const counts = new Map<string, number>();
      for (const [name, value] of query) {
        counts.set(name, (counts.get(name) ?? 0) + 1);
        const p = declared.get(name);
        if (p?.in !== "query") {
          if (takesQuery) violations.add(name);
        } else if (!contract.validator(p.schema)(typed(p.schema, value))) violations.add(name);
        else if (name === "cursor" && !seen.includes(value)) unissued = true; // opaque: only the list's own cursors
      }
      for (const [name, n] of counts) if (n > 1 && declared.get(name)?.in === "query") violations.add(name);

      let url = op.path;
      for (const [name, value] of Object.entries(req.path)) url = url.replace(`{${name}}`, encodeURIComponent(value));
      const qs = new URLSearchParams(query).toString();
      const target = `${url}${qs ? `?${qs}` : ""}`;
      const res = await fetch(base + target, { method: req.method });
      const text = await res.text();
      const where = `${req.method} ${target} → ${res.status} ${text.slice(0, 300)}`;
      statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);

      // the status: documented, no fault, and exactly what the document implies
      expect(res.status < 500 || res.status === 503, where).to.equal(true);
      const documented = op.responses[String(res.status)];
      expect(documented, `undocumented status: ${where}`).to.not.equal(undefined);
      if (!["GET", "HEAD"].includes(req.method)) {
        expect(res.status, where).to.equal(405);
        expect(res.headers.get("allow"), where).to.equal(op.allow);
      } else if (violations.size === 0 && unissued && res.status === 503 && query.some(([name]) => name === "minBlock")) {
        // a cursor the list never issued is refused when the list is read, which a `minBlock` beyond the index
        // (503, documented) comes before: the pattern cannot tell an issued cursor from another
        expect(JSON.parse(text).type, where).to.equal("urn:dsx:problem:not-indexed-yet");
      } else if (violations.size > 0 || unissued) {
        if (unissued) violations.add("cursor");
        expect(res.status, `the document forbids ${[...violations].join(", ")}: ${where}`).to.equal(400);
        const errors = (JSON.parse(text) as { errors: { name: string }[] }).errors;
        for (const e of errors) for (const name of e.name.split(", ")) expect([...violations], where).to.include(name);
      } else {
        expect(res.status, `the document allows this request: ${where}`).to.not.equal(400);
      }
      // headers the document requires, valid against their schemas
      for (const [name, header] of Object.entries(documented.headers ?? {})) {
        const value = res.headers.get(name);
        if (!header.required) continue;
        expect(value, `${name} missing: ${where}`).to.be.a("string");
        expect(contract.validator(header.schema)(typed(header.schema, value!)), `${name}: ${value}: ${where}`).to.equal(true);
      }
      // the body: the documented media type, valid against its schema
      if (req.method === "HEAD") return;
      const [media, { schema }] = Object.entries(documented.content ?? {})[0];
      expect((res.headers.get("content-type") ?? "").split(";")[0], where).to.equal(media);
      const body: unknown = media.endsWith("json") ? JSON.parse(text) : text;
      const validate = contract.validator(schema);
      expect(validate(body), `${JSON.stringify(validate.errors)}: ${where}`).to.equal(true);
      if (res.status >= 400) expect((body as Json).status, where).to.equal(res.status);
      const next = res.status === 200 ? (body as Json).nextCursor : undefined;
      if (typeof next === "string") cursors.set(op.operationId, [...seen, next].slice(-20));
    }

    it(`documents every path the app serves, with 405 and 413 on each and 429 exactly where it limits`, function () {
      const paths = contract.operations.map((o) => o.path);
      expect(paths).to.include.members(["/v1/health", "/v1/ready", "/openapi.json", "/docs", "/metrics", "/v1/agreements/{id}"]);
      for (const op of contract.operations) {
        expect(op.responses, op.path).to.include.keys("200", "405", "413");
        expect(Object.keys(op.responses).includes("429"), op.path).to.equal(!UNLIMITED_PATHS.has(op.path));
      }
    });

    it("answers each parameter's boundaries, and each kind of value it forbids, as the document says", async function () {
      const statuses = new Map<number, number>();
      const real: Record<string, string> = { id: "1", address: chain.facts.partners[0], batchId: chain.facts.batchIds[0], recordId: "r", hash: keccak256(stringToHex("too many GPU-hours")) };
      const swept = new Set<string>();
      for (const op of contract.operations) {
        const path = Object.fromEntries(op.params.filter((p) => p.in === "path").map((p) => [p.name, real[p.name]]));
        for (const p of op.params.filter((q) => q.in !== "header")) {
          const key = `${p.in} ${p.name} ${JSON.stringify(p.schema)}`;
          if (swept.has(key)) continue; // the same parameter on another operation: once is enough
          swept.add(key);
          for (const value of [...boundaryValues(p), ...invalidConstants(p)]) {
            if (p.in === "path" && !staysInPath(value)) continue;
            const req: Request = p.in === "path" ? { op, method: "GET", path: { ...path, [p.name]: value }, query: [], cursor: null } : { op, method: "GET", path, query: [[p.name, value]], cursor: null };
            await check(req, new Map(), statuses);
          }
        }
      }
      expect(statuses.get(400) ?? 0).to.be.greaterThan(100);
      expect(statuses.get(200) ?? 0).to.be.greaterThan(10);
    });

    it(`answers ${RUNS} generated requests within the document: no 5xx but 503, valid ⇒ never 400, invalid ⇒ 400 (seed ${SEED})`, async function () {
      const cursors = new Map<string, string[]>();
      const statuses = new Map<number, number>();
      const requests = fc.constantFrom(...contract.operations).chain((op) => requestFor(op, chain));
      await fc.assert(
        fc.asyncProperty(requests, (req) => {
          fc.pre(Object.values(req.path).every(staysInPath));
          return check(req, cursors, statuses);
        }),
        { numRuns: RUNS, seed: SEED },
      );
      // not vacuous: the generated requests reach answers, refusals and other methods
      for (const status of [200, 400, 404, 405]) expect(statuses.get(status) ?? 0, `status ${status} in ${JSON.stringify([...statuses])}`).to.be.greaterThan(0);
    });
  });
}

describe("api contract: the outside fuzzer's 11 findings stay fixed", function () {
  this.timeout(120_000);
  let db: DatabaseHandle;
  let doc: Json;
  let limited: { server: Server; base: string };
  let contract: ReturnType<typeof contractOf>;
  const opAt = (path: string) => contract.operations.find((o) => o.path === path)!;
  const paramSchema = (path: string, name: string) => opAt(path).params.find((p) => p.name === name)!.schema;
  const allows = (schema: Json, raw: string) => contract.validator(schema)(typed(schema, raw));

  before(async function () {
    db = await newPglite();
    limited = await listen(createApp({ db: db.db, logger: silentLogger, chainId: 31337, logRequests: false, rateLimitPerMinute: 3 }));
    doc = (await (await fetch(`${limited.base}/openapi.json`)).json()) as Json;
    contract = contractOf(doc);
  });

  after(async function () {
    await new Promise((r) => (limited ? limited.server.close(r) : r(undefined)));
    await db?.close();
  });

  const lists = () => contract.operations.filter((o) => o.params.some((p) => p.name === "limit"));

  it("1. `limit` is an integer 1..500, default 50, on every list (it was any 1 to 4 digits)", function () {
    expect(lists().length).to.be.at.least(9);
    for (const op of lists()) {
      expect(paramSchema(op.path, "limit"), op.path).to.deep.include({ type: "integer", minimum: 1, maximum: 500, default: 50 });
      expect(["1", "500"].map((v) => allows(paramSchema(op.path, "limit"), v))).to.deep.equal([true, true]);
      expect(["0", "501", "9999", "050"].map((v) => allows(paramSchema(op.path, "limit"), v))).to.deep.equal([false, false, false, false]);
    }
  });

  it("2. `from`/`to` are RFC 3339 date-times, as the API takes them (they had no format)", function () {
    const ops = contract.operations.filter((o) => o.params.some((p) => p.name === "from"));
    expect(ops.length).to.be.at.least(5);
    for (const op of ops) {
      for (const name of ["from", "to"]) {
        const schema = paramSchema(op.path, name);
        expect(schema, op.path).to.include({ type: "string", format: "date-time" });
        expect(allows(schema, "2026-10-01T00:00:00+02:00")).to.equal(true);
        for (const bad of ["2026-10-01", "2026-02-30T00:00:00Z", "2026-10-01T00:00Z", "2016-12-31T23:59:60Z"]) expect(allows(schema, bad), bad).to.equal(false);
      }
    }
  });

  it("3. every address parameter has the pattern ^0x[0-9a-fA-F]{40}$ and the checksum rule (they had none)", function () {
    const params = contract.operations.flatMap((o) => o.params).filter((p) => ["address", "startup", "partner", "payer", "beneficiary", "auditor"].includes(p.name));
    expect(params.length).to.be.at.least(9);
    const checksummed = getAddress("0x70997970c51812dc3a010c7d01b50e0d17dc79c8");
    const wrongCase = checksummed.replace(/[a-f]/, (c) => c.toUpperCase());
    for (const p of params) {
      expect(p.schema, p.name).to.include({ pattern: "^0x[0-9a-fA-F]{40}$", format: ADDRESS_PARAM_FORMAT });
      expect([checksummed, checksummed.toLowerCase()].map((v) => allows(p.schema, v))).to.deep.equal([true, true]);
      expect([wrongCase, "0x1234"].map((v) => allows(p.schema, v))).to.deep.equal([false, false]);
    }
  });

  it("4. ids are within uint256: the pattern stops at 2^256 − 1 and the API agrees (ids above were documented as valid)", async function () {
    const ops = contract.operations.filter((o) => o.params.some((p) => p.name === "id"));
    expect(ops.length).to.be.at.least(7);
    for (const op of ops) {
      const schema = paramSchema(op.path, "id");
      expect(allows(schema, String(maxUint256)), op.path).to.equal(true);
      expect(allows(schema, String(maxUint256 + 1n)), op.path).to.equal(false);
    }
    // the pattern is the integer comparison, leading zeros and all
    const re = new RegExp(`^${decimalAtMost(maxUint256)}$`);
    fc.assert(
      fc.property(fc.oneof(fc.bigInt({ min: 0n, max: 2n ** 260n }), fc.bigInt({ min: maxUint256 - 99n, max: maxUint256 + 99n })), fc.nat(3), (n, zeros) => {
        const s = "0".repeat(zeros) + n;
        expect(re.test(s), s).to.equal(s.length <= 78 && n <= maxUint256);
      }),
      { seed: SEED, numRuns: 500 },
    );
    const above = await fetch(`${limited.base}/v1/agreements/${maxUint256 + 1n}`);
    expect(above.status).to.equal(400);
    const at = await fetch(`${limited.base}/v1/agreements/${maxUint256}`);
    expect(at.status, "passes validation: nothing is indexed in this database").to.equal(503);
  });

  it("5. 429 is documented with Retry-After, RateLimit and RateLimit-Policy on every rate-limited operation", function () {
    for (const op of contract.operations) {
      const tooMany = op.responses["429"];
      if (UNLIMITED_PATHS.has(op.path)) {
        expect(tooMany, op.path).to.equal(undefined);
        continue;
      }
      expect(tooMany, op.path).to.not.equal(undefined);
      for (const h of ["Retry-After", "RateLimit", "RateLimit-Policy"]) expect(tooMany.headers?.[h]?.required, `${op.path} ${h}`).to.equal(true);
      expect(tooMany.content, op.path).to.have.property("application/problem+json");
    }
  });

  for (const [n, path] of [[6, "/v1/health"], [7, "/v1/ready"], [8, "/openapi.json"], [9, "/docs"]] as const) {
    it(`${n}. ${path} is never rate limited, even for a client over its limit`, async function () {
      for (let i = 0; i < 4; i++) await fetch(`${limited.base}/v1/program`);
      expect((await fetch(`${limited.base}/v1/program`)).status, "the client is over its limit").to.equal(429);
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${limited.base}${path}`);
        await res.arrayBuffer();
        expect(res.status, path).to.not.equal(429);
        expect(res.headers.get("ratelimit"), path).to.equal(null);
      }
    });
  }

  it("10. Retry-After of a 429 is the limiter's window: the `t=` of its RateLimit header (it was a fixed 60)", async function () {
    let res: globalThis.Response | undefined;
    for (let i = 0; i < 5; i++) res = await fetch(`${limited.base}/v1/agreements`);
    expect(res!.status).to.equal(429);
    expect(res!.headers.get("content-type")).to.match(/^application\/problem\+json/);
    const t = /; t=([0-9]+)$/.exec(res!.headers.get("ratelimit") ?? "")?.[1];
    expect(t, res!.headers.get("ratelimit") ?? "no RateLimit").to.be.a("string");
    expect(res!.headers.get("retry-after")).to.equal(t);
    expect(Number(t)).to.be.within(0, 60);
    const body = (await res!.json()) as Json;
    expect(body.detail).to.include(`retry in ${t} s`);
  });

  it("11. a known path with another method is 405 with Allow (it was 404); an unknown path stays 404", async function () {
    const open = await listen(createApp({ db: db.db, logger: silentLogger, chainId: 31337, logRequests: false, rateLimitPerMinute: 0 }));
    try {
      for (const method of WRONG_METHODS) {
        for (const path of ["/v1/agreements/1", "/v1/agreements", "/v1/health", "/openapi.json", "/v1/usage-batches/0x12/records/r/proof"]) {
          const res = await fetch(`${open.base}${path}`, { method });
          expect(res.status, `${method} ${path}`).to.equal(405);
          expect(res.headers.get("allow")).to.equal("GET, HEAD");
          expect(res.headers.get("content-type")).to.match(/^application\/problem\+json/);
          expect(((await res.json()) as Json).type).to.equal("urn:dsx:problem:method-not-allowed");
        }
      }
      for (const method of ["GET", "POST"]) expect((await fetch(`${open.base}/v1/nowhere`, { method })).status).to.equal(404);
      expect((await fetch(`${open.base}/v1/agreements/1/nowhere`, { method: "DELETE" })).status).to.equal(404);
    } finally {
      await new Promise((r) => open.server.close(r));
    }
  });
});

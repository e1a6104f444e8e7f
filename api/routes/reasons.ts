// Dispute reasons (issue 16): GET /v1/dispute-reasons/:hash (a RouteSpec like every read) and
// PUT /v1/dispute-reasons/:hash (served by app.ts with the same zod parsing and problem handling).
import type { Kysely } from "kysely";
import { z } from "zod";
import type { Database } from "../db/schema";
import { HttpProblem, notFound } from "../http/problem";
import { getReason, MAX_REASON_BYTES, storeReason, type StoredReason } from "../reasons/store";
import { baseQuery, bytes32, bytes32Param, isoTime, single } from "../schemas/common";
import type { RouteSpec } from "./definitions";

export const REASON_PATH = "/v1/dispute-reasons/:hash";

/** Problem types of the PUT's refusals (documented in docs/api.md). */
export const REASON_PROBLEM = {
  mismatch: "urn:dsx:problem:reason-hash-mismatch",
  tooLong: "urn:dsx:problem:reason-too-long",
  conflict: "urn:dsx:problem:reason-conflict",
} as const;

export const reasonParams = z.strictObject({
  hash: bytes32Param.meta({ description: "keccak256 of the reason's UTF-8 text: the `reasonHash` of the dispute on chain." }),
});

/** The query both methods take: `minBlock` (the PUT answers 503 until the dispute's block is indexed). */
export const reasonQuery = z.strictObject(baseQuery);

/** The PUT body: the text whose keccak256 is the path's hash. */
export const reasonBody = z
  .strictObject({
    text: z
      .string()
      .min(1)
      .max(MAX_REASON_BYTES)
      .meta({ description: `The reason, exactly as hashed on chain (UTF-8, 1..${MAX_REASON_BYTES} bytes).`, example: "too many GPU-hours" }),
  })
  .meta({ id: "DisputeReasonInput" });

const reason = z
  .object({
    hash: bytes32,
    text: z.string().meta({ description: "The reason text (its keccak256 is `hash`)." }),
    storedAt: isoTime.meta({ description: "When the text was first stored (server clock)." }),
  })
  .meta({ id: "DisputeReason", description: "A dispute's reason text, stored under the keccak256 that is on chain." });

export const reasonResponse = single(reason, "DisputeReasonResponse");

const view = (r: StoredReason) => ({ hash: r.hash, text: r.text, storedAt: r.storedAt.toISOString().replace(".000Z", "Z") });

/** GET /v1/dispute-reasons/:hash */
export const reasonRoutes: RouteSpec[] = [
  {
    path: REASON_PATH,
    operationId: "getDisputeReason",
    summary: "A dispute's reason text, by the reasonHash on chain",
    description: "Stored by `PUT` on the same path (the page and the CLI do after a dispute is indexed). 404 until someone stores it.",
    tags: ["disputes"],
    params: reasonParams,
    query: reasonQuery,
    response: reasonResponse,
    errors: [400, 404, 503],
    cache: false,
    handler: async (r, { params }) => {
      const hash = params.hash as string;
      const found = await r.snapshot((ctx) => getReason(ctx.db as Kysely<Database>, hash));
      if (!found) throw notFound(`No reason text is stored for ${hash}; whoever disputed can PUT it (JSON { "text": … }).`);
      return view(found);
    },
  },
];

/** PUT /v1/dispute-reasons/:hash: the statuses it answers besides 200/201 (openapi.ts adds 405/413/429/500). */
export const PUT_REASON_ERRORS = [400, 404, 409, 422, 503];

/**
 * Stores a reason text; the refusal as an HttpProblem naming the fix.
 * @example await putReason(db, "0x…", { text: "too many GPU-hours" }) // { status: 201, body }
 */
export async function putReason(db: Kysely<Database>, hash: string, body: z.infer<typeof reasonBody>): Promise<{ status: 200 | 201; data: unknown }> {
  const result = await storeReason(db, hash, body.text);
  if (result.ok) return { status: result.created ? 201 : 200, data: view(result.reason) };
  const { refusal } = result;
  switch (refusal.kind) {
    case "too-long":
      throw new HttpProblem(422, REASON_PROBLEM.tooLong, "Unprocessable Content", `The text is ${refusal.bytes} bytes of UTF-8; at most ${MAX_REASON_BYTES} are stored. Dispute with a shorter reason.`);
    case "hash-mismatch":
      throw new HttpProblem(
        422,
        REASON_PROBLEM.mismatch,
        "Unprocessable Content",
        `keccak256 of the text's UTF-8 bytes is ${refusal.actual}, not ${hash}: send the exact text that was hashed on chain (same spaces, case and line ends).`,
      );
    case "no-dispute":
      throw notFound(`No indexed usage or revenue dispute has reasonHash ${hash}: wait until the dispute's block is indexed (PUT with ?minBlock=<its block>), or check the hash.`);
    case "conflict":
      throw new HttpProblem(409, REASON_PROBLEM.conflict, "Conflict", `Another text is stored for ${hash}; stored texts never change (GET it to read it).`);
  }
}

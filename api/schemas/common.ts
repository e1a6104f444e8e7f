// Building blocks of the API's zod schemas: the same objects parse requests and generate /openapi.json.
import { isAddress, maxUint256 } from "viem";
import { z } from "zod";
import "zod-openapi";

// ------------------------------------------------------------------------------ output values

/** A uint256 amount or id: decimal string of base units (6 decimals for amounts). */
export const uintString = z.string().regex(/^(0|[1-9][0-9]*)$/).meta({ description: "A non-negative integer as a decimal string (uint256; amounts in 6-decimal base units).", example: "1600000000" });
export const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/).meta({ description: "An EVM address (EIP-55 checksummed).", example: "0x70997970C51812dc3A010C7d01b50e0d17dc79C8" });
export const bytes32 = z.string().regex(/^0x[0-9a-f]{64}$/).meta({ description: "32 bytes as lower-case hex.", example: `0x${"ab".repeat(32)}` });
export const isoTime = z.iso.datetime().meta({ description: "ISO 8601 UTC time.", example: "2026-10-01T00:00:00Z" });
export const isoTimeOrNull = isoTime.nullable();
export const seconds = z.number().int().nonnegative().meta({ description: "A duration in seconds." });
export const blockNumber = z.number().int().nonnegative();

export const meta = z
  .object({
    chainId: z.number().int().positive(),
    blockNumber: z.number().int().nullable().meta({ description: "The last indexed block the answer reflects (null before the first one)." }),
    blockHash: z.string().nullable(),
    final: z.boolean().meta({ description: "Whether that block is at least `confirmations` deep." }),
    blockTimestamp: isoTimeOrNull.meta({
      description: "That block's time: the \"now\" of every time-dependent figure (delinquency, pending changes); null before the first block.",
    }),
  })
  .meta({ id: "Meta", description: "The indexed block every answer is read at." });

export const problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string(),
    instance: z.string().optional(),
    errors: z
      .array(z.object({ in: z.enum(["path", "query", "body", "header"]), name: z.string(), message: z.string() }))
      .optional(),
    meta: meta.optional(),
  })
  .meta({ id: "Problem", description: "RFC 9457 problem details." });

/** `{ data, meta }` */
export function single<T extends z.ZodType>(data: T, id: string) {
  return z.object({ data, meta }).meta({ id });
}

/** `{ data: [...], nextCursor, meta }` */
export function page<T extends z.ZodType>(item: T, id: string) {
  return z
    .object({
      data: z.array(item),
      nextCursor: z.string().nullable().meta({ description: "Pass as `cursor` for the next page; null on the last page." }),
      meta,
    })
    .meta({ id });
}

// ------------------------------------------------------------------------------ request values

const MAX_UINT256 = maxUint256;

/** A uint256 in a path or query: decimal digits, at most 2^256 − 1. */
export const uintParam = z
  .string()
  .regex(/^[0-9]{1,78}$/, { error: "expected a decimal integer" })
  .refine((s) => !/^[0-9]{1,78}$/.test(s) || BigInt(s) <= MAX_UINT256, { error: "exceeds 2^256 - 1" })
  .transform((s) => BigInt(s).toString());

/** An address in a path or query; returned lower-case. Mixed case must be a valid checksum. */
export const addressParam = z
  .string()
  .refine((s) => isAddress(s, { strict: true }), { error: "expected a 0x-prefixed 20-byte address (valid EIP-55 checksum if mixed-case)" })
  .transform((s) => s.toLowerCase())
  .meta({ example: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" });

export const bytes32Param = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, { error: "expected 0x followed by 64 hex digits" })
  .transform((s) => s.toLowerCase());

/** An ISO 8601 time with zone, as unix seconds. */
export const timeParam = z
  .string()
  .max(64)
  .pipe(z.iso.datetime({ offset: true, error: "expected an ISO 8601 time with zone, e.g. 2026-10-01T00:00:00Z" }))
  .transform((s) => Math.floor(Date.parse(s) / 1000));

const blockParam = z
  .string()
  .regex(/^[0-9]{1,15}$/, { error: "expected a block number" })
  .transform(Number);

/** Query parameters every data route takes. */
export const baseQuery = {
  minBlock: blockParam
    .optional()
    .meta({ description: "Read-after-write: answer 503 with Retry-After until this block is indexed." }),
};

export const pageQuery = {
  ...baseQuery,
  limit: z
    .string()
    .regex(/^[0-9]{1,4}$/, { error: "expected an integer from 1 to 500" })
    .transform(Number)
    .pipe(z.number().int().min(1, { error: "expected an integer from 1 to 500" }).max(500, { error: "expected an integer from 1 to 500" }))
    .optional()
    .meta({ description: "Page size, 1..500 (default 50)." }),
  cursor: z.string().max(512).optional().meta({ description: "The `nextCursor` of the previous page (opaque)." }),
};

export const timeRangeQuery = {
  from: timeParam.optional().meta({ description: "Only rows recorded at or after this time (ISO 8601)." }),
  to: timeParam.optional().meta({ description: "Only rows recorded before this time (ISO 8601)." }),
};

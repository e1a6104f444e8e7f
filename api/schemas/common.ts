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
// Each request value's zod schema is what the route enforces AND what /openapi.json documents (zod-openapi renders
// it): the regular expressions below are exact, so a value the document allows is a value the API takes.

/**
 * A regular expression source for the decimal strings of 0..`max` (leading zeros allowed, at most as many digits as
 * `max`): shorter strings are all below it; one as long must not exceed it digit by digit.
 * @example decimalAtMost(255n) // "(?:[0-9]{1,2}|(?:[0-1][0-9]{2}|2(?:[0-4][0-9]|5(?:[0-4]|5))))"
 */
export function decimalAtMost(max: bigint): string {
  const digits = max.toString();
  const sameLength = (rest: string): string => {
    const d = Number(rest[0]);
    const tail = rest.slice(1);
    const same = tail ? `${rest[0]}${sameLength(tail)}` : rest[0];
    if (d === 0) return same;
    const below = `[0-${d - 1}]${tail.length > 1 ? `[0-9]{${tail.length}}` : tail ? "[0-9]" : ""}`;
    return `(?:${below}|${same})`;
  };
  return digits.length === 1 ? sameLength(digits) : `(?:[0-9]{1,${digits.length - 1}}|${sameLength(digits)})`;
}

const UINT256_DIGITS = maxUint256.toString().length; // 78

/** A uint256 in a path or query: decimal digits, at most 2^256 − 1 (the pattern itself says so). */
export const uintParam = z
  .string()
  .max(UINT256_DIGITS)
  .regex(new RegExp(`^${decimalAtMost(maxUint256)}$`), { error: `expected a decimal integer from 0 to 2^256 - 1 (${maxUint256})` })
  .transform((s) => BigInt(s).toString())
  .meta({ description: `A decimal integer from 0 to 2^256 − 1 (${maxUint256}); leading zeros are allowed.` });

/**
 * The `format` of an address parameter: 0x and 40 hex digits, all lower-case or with a valid EIP-55 checksum (what
 * viem's `isAddress(s, { strict: true })` accepts). A checksum is beyond a pattern, so the format names the rule.
 */
export const ADDRESS_PARAM_FORMAT = "evm-address";

/** An address in a path or query; returned lower-case. Mixed case must be a valid checksum. */
export const addressParam = z
  .string()
  .regex(/^0x[0-9a-fA-F]{40}$/, { error: "expected 0x followed by 40 hex digits" })
  .refine((s) => isAddress(s, { strict: true }), { error: "expected a valid EIP-55 checksum, or the address in lower case" })
  .transform((s) => s.toLowerCase())
  .meta({
    format: ADDRESS_PARAM_FORMAT,
    description: "An address: 0x and 40 hex digits, lower-case or EIP-55 checksummed (a mixed-case address with a wrong checksum is a 400).",
    example: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8",
  });

export const bytes32Param = z
  .string()
  .regex(/^0x[0-9a-fA-F]{64}$/, { error: "expected 0x followed by 64 hex digits" })
  .transform((s) => s.toLowerCase());

/**
 * An RFC 3339 date-time with zone (`Z` or ±hh:mm), seconds required, fractions allowed, real calendar dates only
 * (zod's pattern, which /openapi.json carries beside `format: date-time`); at most 64 characters. As unix seconds.
 */
export const timeParam = z.iso
  .datetime({ offset: true, error: "expected an ISO 8601 time with zone, e.g. 2026-10-01T00:00:00Z" })
  .max(64)
  .transform((s) => Math.floor(Date.parse(s) / 1000));

/**
 * An integer query parameter from `min` to `max`, written in decimal without sign or leading zeros (the way an
 * OpenAPI client serializes an integer); documented as `type: integer` with those bounds.
 */
export function integerParam(min: number, max: number, fallback?: number) {
  const error = `expected an integer from ${min} to ${max}, in decimal without leading zeros`;
  return z
    .string()
    .regex(/^(0|[1-9][0-9]*)$/, { error })
    .transform(Number)
    .pipe(z.number().int().min(min, { error }).max(max, { error }))
    .meta({
      override: ({ jsonSchema }: { jsonSchema: Record<string, unknown> }) => {
        for (const key of Object.keys(jsonSchema)) if (key !== "description") delete jsonSchema[key];
        Object.assign(jsonSchema, { type: "integer", minimum: min, maximum: max }, fallback === undefined ? {} : { default: fallback });
      },
    });
}

/** The largest page a list answers (SERVICES §4: `limit` 1..500, default 50). */
export const MAX_LIMIT = 500;
export const DEFAULT_LIMIT = 50;

/** `limit`: page size, 1..500, default 50. */
export const limitParam = integerParam(1, MAX_LIMIT, DEFAULT_LIMIT).meta({ description: `Page size, 1..${MAX_LIMIT} (default ${DEFAULT_LIMIT}).` });

/** `cursor`: a list's `nextCursor` (base64url; anything this API did not issue is a 400). */
export const cursorParam = z
  .string()
  .max(512)
  .regex(/^[A-Za-z0-9_-]+$/, { error: "expected the nextCursor of the previous page" })
  .meta({ description: "The `nextCursor` of the previous page (opaque base64url; a cursor this list did not issue is a 400)." });

/** Query parameters every data route takes. */
export const baseQuery = {
  minBlock: integerParam(0, Number.MAX_SAFE_INTEGER)
    .optional()
    .meta({ description: "Read-after-write: answer 503 with Retry-After until this block is indexed." }),
};

export const pageQuery = {
  ...baseQuery,
  limit: limitParam.optional(),
  cursor: cursorParam.optional(),
};

export const timeRangeQuery = {
  from: timeParam.optional().meta({ description: "Only rows recorded at or after this time (RFC 3339 date-time with zone)." }),
  to: timeParam.optional().meta({ description: "Only rows recorded before this time (RFC 3339 date-time with zone)." }),
};

// Opaque keyset cursors: base64url of a JSON array holding the last row's sort key.
import { z } from "zod";
import { HttpProblem, PROBLEM } from "../http/problem";

export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString("base64url");
}

/** Decodes a cursor against the shape the route sorts by; 400 when it is not one of ours. */
export function decodeCursor<T extends z.ZodType>(cursor: string | undefined, shape: T): z.output<T> | undefined {
  if (cursor === undefined) return undefined;
  const invalid = () =>
    new HttpProblem(400, PROBLEM.validation, "Bad Request", "Invalid query parameter cursor: not a cursor this list issued.", {
      errors: [{ in: "query", name: "cursor", message: "not a cursor this list issued" }],
    });
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) throw invalid();
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
  } catch {
    throw invalid();
  }
  const parsed = shape.safeParse(value);
  if (!parsed.success) throw invalid();
  return parsed.data;
}

/** Cursor keys: a uint256 as a decimal string, a block number, a log index, an address. */
export const cursorShapes = {
  uint: z.tuple([z.string().regex(/^[0-9]{1,78}$/)]),
  log: z.tuple([z.number().int().min(0).max(Number.MAX_SAFE_INTEGER), z.number().int().min(0).max(2 ** 31 - 1)]),
  index: z.tuple([z.number().int().min(0).max(2 ** 31 - 1)]),
  address: z.tuple([z.string().regex(/^0x[0-9a-f]{40}$/)]),
};

/** Splits `limit + 1` fetched rows into a page and the next cursor. */
export function paginate<R, O>(rows: R[], limit: number, toItem: (r: R) => O, keyOf: (r: R) => (string | number)[]) {
  const more = rows.length > limit;
  const pageRows = more ? rows.slice(0, limit) : rows;
  return {
    data: pageRows.map(toItem),
    nextCursor: more ? encodeCursor(keyOf(pageRows[pageRows.length - 1])) : null,
  };
}

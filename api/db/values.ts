// How both engines hand the index's column types to JavaScript (api/db/database.ts sets them on each engine).

/** int8 → JS number (block numbers and unix times are far below 2^53). @throws RangeError beyond 2^53. */
export function int8ToNumber(value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`int8 value ${value} is beyond 2^53`);
  return n;
}

/** numeric stays the exact decimal string PostgreSQL wrote (uints up to 2^256 − 1). */
export function numericAsText(value: string): string {
  return value;
}

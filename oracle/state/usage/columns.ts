// A table declared once: each field with its column, its SQL type and how its value is stored.
// The CREATE TABLE, the INSERT and the mapping of a read row (better-sqlite3 returns plain
// objects keyed by column) are all built from that one declaration.
import { FatalError } from "../../../sdk/errors";

/** A value better-sqlite3 binds to a statement parameter. */
export type SqlValue = string | number | bigint | Buffer | null;

/** One field of a row: its column, its SQL declaration, and how its value goes in and comes out. */
export interface Column<T> {
  readonly name: string;
  readonly sql: string;
  read(value: unknown): T;
  write(value: T, field: string): SqlValue;
}

/** The row type a column map describes (field docs carry over from the map). */
export type RowOf<C> = { -readonly [K in keyof C]: C[K] extends Column<infer T> ? T : never };

/**
 * A bigint that SQLite stores as an INTEGER (all times and GPU-seconds here are far below 2^53).
 * @throws FatalError when `value` is outside the safe integer range.
 */
export function int(name: string, value: bigint): number {
  if (value < BigInt(Number.MIN_SAFE_INTEGER) || value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new FatalError(`${name} = ${value} is too large for the state database.`);
  }
  return Number(value);
}

const same = <T>(value: unknown): T => value as T;

/** The row id (INTEGER PRIMARY KEY), set by SQLite on insert. */
export const rowId = (name: string): Column<number> => ({ name, sql: "INTEGER PRIMARY KEY", read: same<number>, write: (v) => v });
/** A string (`T` narrows it to a union of states). */
export const text = <T extends string = string>(name: string): Column<T> => ({ name, sql: "TEXT NOT NULL", read: same<T>, write: (v) => v });
/** A string or nothing. */
export const optionalText = (name: string): Column<string | null> => ({ name, sql: "TEXT", read: same<string | null>, write: (v) => v });
/** A whole number kept as a JavaScript number (line numbers, counts). */
export const count = (name: string): Column<number> => ({ name, sql: "INTEGER NOT NULL", read: same<number>, write: (v) => v });
/** A bigint kept as an INTEGER (refused at 2^53 and above, see {@link int}). */
export const integer = (name: string): Column<bigint> => ({
  name,
  sql: "INTEGER NOT NULL",
  read: (v) => BigInt(v as number),
  write: (v, field) => int(field, v),
});
/** A bigint of any size kept as decimal TEXT (agreement ids). */
export const decimal = (name: string): Column<bigint> => ({ name, sql: "TEXT NOT NULL", read: (v) => BigInt(v as string), write: (v) => v.toString() });
/** A boolean kept as 0 / 1. */
export const flag = (name: string): Column<boolean> => ({ name, sql: "INTEGER NOT NULL DEFAULT 0", read: (v) => v === 1, write: (v) => (v ? 1 : 0) });

/** A table: its name and its fields' columns, in column order. */
export interface Table<C extends Record<string, Column<unknown>>> {
  readonly name: string;
  readonly columns: C;
}

/** `CREATE TABLE IF NOT EXISTS` with every column of `table`, in order. */
export function createTableSql(table: Table<Record<string, Column<unknown>>>): string {
  const columns = Object.values(table.columns).map((c) => `  ${c.name} ${c.sql}`);
  return `CREATE TABLE IF NOT EXISTS ${table.name} (\n${columns.join(",\n")});`;
}

/** The INSERT of every field of `table` but `skip` (its parameters in {@link insertValues}' order). */
export function insertSql<C extends Record<string, Column<unknown>>>(table: Table<C>, skip: keyof C): string {
  const names = Object.entries(table.columns)
    .filter(([field]) => field !== skip)
    .map(([, c]) => c.name);
  return `INSERT INTO ${table.name} (${names.join(", ")}) VALUES (${names.map(() => "?").join(", ")})`;
}

/** The parameters of {@link insertSql} for `row`. */
export function insertValues<C extends Record<string, Column<unknown>>, K extends keyof C>(table: Table<C>, skip: K, row: Omit<RowOf<C>, K>): SqlValue[] {
  const values: SqlValue[] = [];
  for (const [field, column] of Object.entries(table.columns)) {
    if (field !== skip) values.push(column.write((row as Record<string, unknown>)[field], field));
  }
  return values;
}

/** A read row as its fields. */
export function readRow<C extends Record<string, Column<unknown>>>(table: Table<C>, raw: Record<string, unknown>): RowOf<C> {
  const row: Record<string, unknown> = {};
  for (const [field, column] of Object.entries(table.columns)) row[field] = column.read(raw[column.name]);
  return row as RowOf<C>;
}

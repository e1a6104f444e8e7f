// Queries whose SQL is built once. Kysely's builder and compiler cost 50–150 µs a call, as much as the rest of
// a cached-page answer; the request routes run the same few query shapes, so each shape (which optional
// filters are present) is built once with placeholder arguments and later calls only fill in the
// parameters. The SQL text is then constant per shape, which is also what lets both engines keep the
// statement prepared (database.ts, pgliteDialect.ts).
import {
  CompiledQuery,
  DummyDriver,
  Kysely,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type Compilable,
} from "kysely";
import type { Database } from "./schema";

type Slot = { arg: string } | { value: unknown };

interface Shape {
  sql: string;
  slots: Slot[];
}

/** Placeholder for argument `name` while a shape is built (never sent to the database). */
const mark = (name: string): string => `\u0000dsx-arg:${name}\u0000`;

/**
 * A query built by `build(args)` for each shape of `args` (the set of keys whose value is not undefined). Every
 * argument must reach the query as a parameter value, never as SQL (identifiers, `sql.raw`); values that
 * choose the SQL belong in `shapeOf`.
 * @example const byId = new QueryTemplate((a: { id: string }) => db.selectFrom("agreements").selectAll().where("id", "=", a.id));
 *          await db.executeQuery(byId.compile({ id: "7" }));
 */
export class QueryTemplate<A extends Record<string, unknown>, R> {
  private readonly shapes = new Map<string, Shape>();

  constructor(
    private readonly build: (args: A) => Compilable<R>,
    /** Extra shape key for arguments that change the SQL itself (e.g. which column a filter uses). */
    private readonly shapeOf: (args: A) => string = () => "",
  ) {}

  compile(args: A): CompiledQuery<R> {
    const present = Object.keys(args).filter((k) => args[k] !== undefined);
    const key = `${this.shapeOf(args)}|${present.join(",")}`;
    let shape = this.shapes.get(key);
    if (!shape) {
      shape = this.shape(args, present);
      this.shapes.set(key, shape);
    }
    const parameters = shape.slots.map((s) => ("arg" in s ? args[s.arg] : s.value));
    return CompiledQuery.raw(shape.sql, parameters) as CompiledQuery<R>;
  }

  private shape(args: A, present: string[]): Shape {
    const marked = { ...args } as Record<string, unknown>;
    const byMark = new Map<string, string>();
    for (const k of present) {
      // structural arguments (in shapeOf) keep their value; the others become placeholders
      if (typeof args[k] === "string" || typeof args[k] === "number" || typeof args[k] === "boolean") {
        marked[k] = mark(k);
        byMark.set(mark(k), k);
      }
    }
    const compiled = this.build(marked as A).compile();
    if (compiled.sql.includes("\u0000")) throw new Error(`QueryTemplate: an argument reached the SQL text: ${compiled.sql}`);
    const seen = new Set<string>();
    const slots = compiled.parameters.map((value): Slot => {
      const arg = typeof value === "string" ? byMark.get(value) : undefined;
      if (arg === undefined) return { value };
      seen.add(arg);
      return { arg };
    });
    for (const k of byMark.values()) {
      if (!seen.has(k)) throw new Error(`QueryTemplate: argument ${k} is not a parameter of the query (used in JS or in the SQL text?)`);
    }
    return { sql: compiled.sql, slots };
  }
}

/** A query builder that only compiles (PostgreSQL syntax, both engines): for building templates. */
export const qb = new Kysely<Database>({
  dialect: {
    createAdapter: () => new PostgresAdapter(),
    createDriver: () => new DummyDriver(),
    createIntrospector: (db) => new PostgresIntrospector(db),
    createQueryCompiler: () => new PostgresQueryCompiler(),
  },
});

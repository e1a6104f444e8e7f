// A Kysely dialect for PGlite (embedded PostgreSQL in WebAssembly). PGlite is one session, so the
// driver hands out its single connection to one user at a time: a transaction holds it to the end.
//
// Statements are prepared once per SQL text and then run as one batch of wire messages (Bind, Describe,
// Execute, Sync) through PGlite's public `execProtocolRawStream`: `PGlite.query()` sends Parse, Describe, Bind,
// Describe, Execute and Sync as six separate calls into the WebAssembly module and re-plans the SQL every
// time, which made a primary-key lookup cost ~4× a prepared one; and its message parser copies every field
// into a new ArrayBuffer before decoding it, which cost more than the query itself. The answer is parsed here
// (RowDescription, DataRow, CommandComplete, ErrorResponse) straight from the output bytes. Parameters are
// serialized and values parsed with the instance's own serializers and parsers (`PGlite.query()`'s rules).
import { parse as pgliteParse, protocol, types, type PGlite } from "@electric-sql/pglite";
import {
  CompiledQuery,
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type QueryResult,
  type TransactionSettings,
} from "kysely";
import { int8ToNumber, numericAsText } from "./values";

/** Statements kept prepared (per SQL text); beyond it, statements run unprepared. */
const MAX_PREPARED = 512;
/** Longer SQL (multi-row VALUES lists whose text varies with the row count) is not worth preparing. */
const MAX_PREPARED_SQL = 8192;
const PREPARABLE = /^\s*(select|with|insert|update|delete)\b/i;
const READ_ONLY = /^\s*(select|with)\b/i;

interface Prepared {
  name: string;
  paramTypes: number[];
  /** Its rows' fields, from Describe at Parse time (undefined: the statement returns no rows). */
  description?: Description;
}

/** The fields of a statement's rows and how each becomes its value. */
interface Description {
  names: string[];
  oids: number[];
  fieldParsers: (FieldParser | undefined)[];
  kinds: Kind[];
}

function describe(fields: readonly { name: string; oid: number }[], parsers: Parsers): Description {
  const fieldParsers = fields.map((f) => parsers[f.oid] ?? types.parsers[f.oid]);
  return { names: fields.map((f) => f.name), oids: fields.map((f) => f.oid), fieldParsers, kinds: fields.map((f, i) => kindOf(f.oid, fieldParsers[i])) };
}

function concat(parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** A PostgreSQL error answered by PGlite (the fields of its ErrorResponse). */
export class PGliteQueryError extends Error {
  override name = "PGliteQueryError";
  constructor(
    message: string,
    readonly code: string | undefined,
    readonly detail: string | undefined,
    readonly query: string,
  ) {
    super(message);
  }
}

type Parsers = PGlite["parsers"];
type FieldParser = (value: string, oid: number) => unknown;

/**
 * How a field's text becomes its value. The fast kinds give exactly what the instance's parser gives for
 * PostgreSQL's text output of that type, without a string per field where none is needed: integers of up to 15
 * digits read from the bytes (`int8ToNumber` and `+text` agree there), booleans from their byte, numeric as a slice
 * of the answer decoded once (ASCII), text likewise unless it holds a byte ≥ 0x80 (then UTF-8). Anything else, or
 * a parser of another kind, takes the parser. test/api/db.test.ts compares the two paths on every kind.
 */
const enum Kind {
  Parser,
  Integer,
  Bool,
  Ascii,
  Text,
}

function kindOf(oid: number, parser: FieldParser | undefined): Kind {
  if (oid === types.INT8) return parser === int8ToNumber ? Kind.Integer : Kind.Parser;
  if (oid === types.INT2 || oid === types.INT4) return parser === types.parsers[oid] ? Kind.Integer : Kind.Parser;
  if (oid === types.BOOL) return parser === types.parsers[oid] ? Kind.Bool : Kind.Parser;
  if (oid === types.NUMERIC) return parser === numericAsText ? Kind.Ascii : Kind.Parser;
  // PGlite's own text parsers are the identity
  if (oid === types.TEXT || oid === types.VARCHAR) return parser === undefined || parser === types.parsers[oid] ? Kind.Text : Kind.Parser;
  return Kind.Parser;
}

/** A character beyond ASCII in a latin1-decoded field (its bytes are UTF-8 to decode again). */
const NON_ASCII = /[\x80-\xff]/;

/**
 * Reads the backend messages of one Bind/Describe/Execute/Sync batch: the rows (values parsed by type OID
 * like `PGlite.query()` does), the affected row count, or the error.
 */
function readAnswer<R>(bytes: Uint8Array, parsers: Parsers, query: string, described?: Description): QueryResult<R> {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const int32 = (p: number): number => (buf[p] << 24) | (buf[p + 1] << 16) | (buf[p + 2] << 8) | buf[p + 3];
  const int16 = (p: number): number => (buf[p] << 8) | buf[p + 1];
  const rows: R[] = [];
  // a prepared statement's fields are known from its Describe; a RowDescription in the answer replaces them
  let { names, fieldParsers, kinds, oids } = described ?? { names: [], fieldParsers: [], kinds: [], oids: [] };
  // the answer as one latin1 string (one char per byte): ASCII fields are slices of it
  let latin1: string | undefined;
  let affected: bigint | undefined;
  let error: PGliteQueryError | undefined;
  let at = 0;
  while (at + 5 <= buf.length) {
    const type = buf[at];
    const start = at + 5;
    const end = at + 1 + int32(at + 1);
    switch (type) {
      case 0x54: {
        // RowDescription: per field its name, table oid (4), column (2), type oid (4), size (2), modifier (4), format (2)
        const count = int16(start);
        const fields: { name: string; oid: number }[] = [];
        let p = start + 2;
        for (let i = 0; i < count; i++) {
          const nul = buf.indexOf(0, p);
          fields.push({ name: buf.toString("utf8", p, nul), oid: int32(nul + 1 + 6) });
          p = nul + 1 + 18;
        }
        ({ names, fieldParsers, kinds, oids } = describe(fields, parsers));
        break;
      }
      case 0x44: {
        // DataRow: per field its size (−1: null) and text
        const count = int16(start);
        const row: Record<string, unknown> = {};
        let p = start + 2;
        for (let i = 0; i < count; i++) {
          const size = int32(p);
          p += 4;
          if (size < 0) {
            row[names[i]] = null;
            continue;
          }
          const kind = kinds[i];
          if (kind === Kind.Integer && size <= 15) {
            let q = p;
            const negative = buf[q] === 0x2d;
            if (negative) q++;
            let n = 0;
            for (; q < p + size; q++) n = n * 10 + (buf[q] - 0x30);
            row[names[i]] = negative ? -n : n;
          } else if (kind === Kind.Bool) {
            row[names[i]] = buf[p] === 0x74; // 't'
          } else if (kind === Kind.Ascii || kind === Kind.Text) {
            latin1 ??= buf.toString("latin1");
            const text = latin1.slice(p, p + size);
            row[names[i]] = kind === Kind.Text && NON_ASCII.test(text) ? buf.toString("utf8", p, p + size) : text;
          } else {
            const text = buf.toString("utf8", p, p + size);
            const parse = fieldParsers[i];
            row[names[i]] = parse === undefined ? text : parse(text, oids[i]);
          }
          p += size;
        }
        rows.push(row as R);
        break;
      }
      case 0x43: {
        // CommandComplete: "INSERT 0 5", "UPDATE 3", "SELECT 2"
        const tag = buf.toString("utf8", start, end - 1);
        const count = Number(tag.slice(tag.lastIndexOf(" ") + 1));
        if (/^(INSERT|UPDATE|DELETE|MERGE|COPY)\b/.test(tag) && Number.isInteger(count)) affected = BigInt(count);
        break;
      }
      case 0x45: {
        // ErrorResponse: (code byte, cstring)* 0
        const fields: Record<string, string> = {};
        let p = start;
        while (p < end && buf[p] !== 0) {
          const code = String.fromCharCode(buf[p]);
          const nul = buf.indexOf(0, p + 1);
          fields[code] = buf.toString("utf8", p + 1, nul);
          p = nul + 1;
        }
        error ??= new PGliteQueryError(fields.M ?? "PGlite query failed", fields.C, fields.D, query);
        break;
      }
      default:
        // BindComplete, NoData, ReadyForQuery, notices: nothing to read
        break;
    }
    at = end;
  }
  if (error) throw error;
  return { rows, numAffectedRows: affected };
}

class PGliteConnection implements DatabaseConnection {
  private readonly prepared = new Map<string, Prepared>();

  constructor(private readonly pg: PGlite) {}

  async executeQuery<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const text = compiled.sql;
    if (text.length > MAX_PREPARED_SQL || !PREPARABLE.test(text)) return this.unprepared(compiled);
    let statement = this.prepared.get(text);
    if (!statement) {
      if (this.prepared.size >= MAX_PREPARED) return this.unprepared(compiled);
      statement = await this.prepare(text);
    }
    const { serializers, parsers } = this.pg;
    const values = compiled.parameters.map((value, i) => {
      if (value === null || value === undefined) return null;
      const serialize = serializers[statement.paramTypes[i]];
      return serialize ? serialize(value) : String(value);
    });
    const ser = protocol.serialize;
    // no Describe: the statement's fields were described when it was parsed (text format, as bound here)
    const message = concat([ser.bind({ statement: statement.name, values }), ser.execute({}), ser.sync()]);
    // the stream variant hands the output bytes over as they come, without PGlite's own message parsing
    const chunks: Uint8Array[] = [];
    await this.pg.runExclusive(() =>
      this.pg.execProtocolRawStream(message, { syncToFs: !READ_ONLY.test(text), onRawData: (data) => void chunks.push(data.slice()) }),
    );
    return readAnswer<R>(chunks.length === 1 ? chunks[0] : concat(chunks), parsers, text, statement.description);
  }

  private async prepare(text: string): Promise<Prepared> {
    const name = `dsx_${this.prepared.size}`;
    const ser = protocol.serialize;
    const { messages } = await this.pg.runExclusive(() =>
      this.pg.execProtocol(concat([ser.parse({ name, text }), ser.describe({ type: "S", name }), ser.sync()]), { syncToFs: false }),
    );
    const rowDescription = messages.find((m) => m.name === "rowDescription") as { fields: { name: string; dataTypeID: number }[] } | undefined;
    const statement: Prepared = {
      name,
      paramTypes: pgliteParse.parseDescribeStatementResults(messages),
      description: rowDescription && describe(rowDescription.fields.map((f) => ({ name: f.name, oid: f.dataTypeID })), this.pg.parsers),
    };
    this.prepared.set(text, statement);
    return statement;
  }

  private async unprepared<R>(compiled: CompiledQuery): Promise<QueryResult<R>> {
    const result = await this.pg.query<R>(compiled.sql, [...compiled.parameters]);
    return {
      rows: result.rows,
      numAffectedRows: result.affectedRows === undefined ? undefined : BigInt(result.affectedRows),
    };
  }

  // eslint-disable-next-line require-yield -- Kysely's Driver wants a generator; it only throws, PGlite cannot stream
  async *streamQuery<R>(): AsyncIterableIterator<QueryResult<R>> {
    throw new Error("PGlite connections do not stream; page with keyset queries instead.");
  }
}

class PGliteDriver implements Driver {
  private readonly connection: PGliteConnection;
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly pg: PGlite) {
    this.connection = new PGliteConnection(pg);
  }

  async init(): Promise<void> {
    await this.pg.waitReady;
  }

  /** Waits for the previous holder to release the session (a FIFO lock). */
  async acquireConnection(): Promise<DatabaseConnection> {
    let release!: () => void;
    const previous = this.queue;
    this.queue = new Promise<void>((resolve) => (release = resolve));
    await previous;
    this.releases.push(release);
    return this.connection;
  }

  private readonly releases: (() => void)[] = [];

  async releaseConnection(): Promise<void> {
    this.releases.shift()?.();
  }

  async beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    let sql = "start transaction";
    if (settings.isolationLevel) sql += ` isolation level ${settings.isolationLevel}`;
    if (settings.accessMode) sql += ` ${settings.accessMode}`;
    await connection.executeQuery(CompiledQuery.raw(sql));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("commit"));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw("rollback"));
  }

  async destroy(): Promise<void> {
    await this.pg.close();
  }
}

/** Kysely over an open PGlite instance; `destroy()` closes it. */
export class PGliteDialect implements Dialect {
  constructor(private readonly pg: PGlite) {}
  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }
  createDriver(): Driver {
    return new PGliteDriver(this.pg);
  }
  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- Kysely's own signature
  createIntrospector(db: Kysely<any>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

// RFC 4180 rows from a stream of lines. Written here rather than with csv-parse because the
// quarantine needs each bad row's first line number and exact text, and the reader must
// resynchronise on the next line after a malformed one (csv-parse's skip mode reports the
// line where it gave up and a partial raw text).
import { isHeaderAgain, mapColumns, MissingHeaderError, normalizeColumnName, type ColumnIndex } from "./columns";
import type { LineParser, SourceLine } from "./lines";
import type { SourceEvent, SourceRef } from "./types";

/** A finished CSV row, or a malformed one with the reason. `line` is the row's first line. */
export type CsvRow = { ok: true; fields: string[]; line: number; raw: string } | { ok: false; line: number; raw: string; error: string };

type Scan = { kind: "complete"; fields: string[]; lines: number } | { kind: "open" } | { kind: "error"; message: string };

/** Reads one row starting at `lines[0]`; a quoted field may run over several lines. */
function scanRow(lines: readonly SourceLine[], delimiter: string): Scan {
  const fields: string[] = [];
  let field = "";
  let inQuotes = false;
  let afterQuote = false;
  let fieldStarted = false;
  for (let l = 0; l < lines.length; l++) {
    const text = lines[l].text;
    for (let i = 0; i < text.length; i++) {
      const c = text[i];
      if (inQuotes) {
        if (c !== '"') field += c;
        else if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          inQuotes = false;
          afterQuote = true;
        }
      } else if (c === delimiter) {
        fields.push(field);
        field = "";
        afterQuote = false;
        fieldStarted = false;
      } else if (afterQuote) {
        return { kind: "error", message: `unexpected ${JSON.stringify(c)} after a closing quote (column ${i + 1})` };
      } else if (c === '"') {
        if (fieldStarted) return { kind: "error", message: `a quote inside an unquoted field (column ${i + 1})` };
        inQuotes = true;
        fieldStarted = true;
      } else {
        field += c;
        fieldStarted = true;
      }
    }
    if (!inQuotes) {
      fields.push(field);
      return { kind: "complete", fields, lines: l + 1 };
    }
    field += "\n";
  }
  return { kind: "open" };
}

/**
 * Turns lines into CSV rows. Blank lines are skipped. A quoted field still open after
 * `maxLinesPerRow` lines (or at the end of input) makes its first line a malformed row;
 * reading resumes at the line after it, so one stray quote costs one line, not the file.
 */
export class CsvSplitter {
  private pending: SourceLine[] = [];

  /** `delimiter`: the field separator, "," unless a file says otherwise (";" with decimal commas). */
  constructor(
    private readonly maxLinesPerRow = 64,
    private readonly delimiter = ",",
  ) {}

  push(line: SourceLine): CsvRow[] {
    if (this.pending.length === 0 && line.text.trim() === "") return [];
    this.pending.push(line);
    return this.drain(false);
  }

  end(): CsvRow[] {
    return this.drain(true);
  }

  private drain(final: boolean): CsvRow[] {
    const rows: CsvRow[] = [];
    while (this.pending.length > 0) {
      if (this.pending[0].text.trim() === "") {
        this.pending.shift();
        continue;
      }
      const scan = scanRow(this.pending, this.delimiter);
      if (scan.kind === "complete") {
        const used = this.pending.splice(0, scan.lines);
        rows.push({ ok: true, fields: scan.fields, line: used[0].line, raw: used.map((l) => l.text).join("\n") });
      } else if (scan.kind === "error" || final || this.pending.length >= this.maxLinesPerRow) {
        const first = this.pending.shift() as SourceLine;
        const error = scan.kind === "error" ? scan.message : "a quoted field is never closed";
        rows.push({ ok: false, line: first.line, raw: first.text, error });
      } else {
        break;
      }
    }
    return rows;
  }
}

/** Reads one field of the current row by column name ("" for an absent optional column). */
export type FieldReader<C extends string> = (column: C) => string;

/**
 * A line parser for a CSV file with a header line whose columns are found by name.
 * Malformed CSV and rows with another field count than the header are quarantined
 * `parse-error`; a repeated header line is ignored; every other row goes to `toEvent`.
 * Fields are trimmed.
 * @throws MissingColumnError (first row) when a required column is absent; MissingHeaderError
 * when the first row is not valid CSV or the input had no row at all.
 */
export function createCsvTableParser<R, Req extends string, Opt extends string = never>(options: {
  file: string;
  required: readonly Req[];
  optional?: readonly Opt[];
  /** The fix printed with a missing header or column. */
  fix: string;
  /** The field separator (default ","). */
  delimiter?: string;
  /** Sees the header's fields before the columns are looked up; may throw to refuse the whole input. */
  onHeader?: (fields: readonly string[], line: number) => void;
  toEvent: (field: FieldReader<Req | Opt>, source: SourceRef, raw: string) => SourceEvent<R>;
}): LineParser<R> {
  const splitter = new CsvSplitter(64, options.delimiter ?? ",");
  let header: string[] | undefined;
  let columns: ColumnIndex<Req | Opt> | undefined;
  const onRow = (row: CsvRow): SourceEvent<R>[] => {
    const source = { file: options.file, line: row.line };
    if (!row.ok && header === undefined) {
      throw new MissingHeaderError(options.file, options.fix, `the header line ${row.line} is not valid CSV (${row.error})`);
    }
    if (!row.ok) {
      return [{ kind: "quarantined", entry: { ...source, raw: row.raw, reason: "parse-error", detail: `malformed CSV: ${row.error}` } }];
    }
    if (header === undefined) {
      options.onHeader?.(row.fields, row.line);
      columns = mapColumns(options.file, row.fields, options.required, options.optional ?? [], options.fix);
      header = row.fields.map(normalizeColumnName);
      return [];
    }
    if (isHeaderAgain(row.fields, header)) return [{ kind: "ignored", reason: "repeated-header", source }];
    if (row.fields.length !== header.length) {
      const detail = `expected ${header.length} fields as in the header, found ${row.fields.length}`;
      return [{ kind: "quarantined", entry: { ...source, raw: row.raw, reason: "parse-error", detail } }];
    }
    const at = columns as ColumnIndex<Req | Opt>;
    const fields = row.fields;
    return [options.toEvent((column) => (at[column] >= 0 ? fields[at[column]].trim() : ""), source, row.raw)];
  };
  return {
    push: (line) => splitter.push(line).flatMap(onRow),
    end: () => {
      const events = splitter.end().flatMap(onRow);
      if (header === undefined) throw new MissingHeaderError(options.file, options.fix);
      return events;
    },
  };
}

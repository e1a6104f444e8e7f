// Columns are found by their header name, in any order: exports from different tool versions
// or with extra columns still parse, and a missing column stops the run naming it.
import { ValidationError } from "../../sdk/errors";

/** A required column is absent from an input's header: the whole input is refused. */
export class MissingColumnError extends ValidationError {
  override name = "MissingColumnError";
  readonly file: string;
  readonly column: string;

  constructor(file: string, column: string, fix: string) {
    super(`${file}: the header has no "${column}" column.`, { fix });
    this.file = file;
    this.column = column;
  }
}

/** An input has no usable header line (empty file, or a first line that is not valid CSV). */
export class MissingHeaderError extends ValidationError {
  override name = "MissingHeaderError";
  readonly file: string;

  constructor(file: string, fix: string, why = "the file is empty, it has no header line") {
    super(`${file}: ${why}.`, { fix });
    this.file = file;
  }
}

/** Header name → field position, for the columns an adapter reads. */
export type ColumnIndex<K extends string> = Record<K, number>;

/** A column name as compared: lower case, without spaces, "_" or "-" ("recordId" = "record_id"). */
export function normalizeColumnName(name: string): string {
  return name.toLowerCase().replace(/[\s_-]/g, "");
}

/**
 * Finds each wanted column in `header` by {@link normalizeColumnName} (the first of repeated
 * names wins). A missing required column throws {@link MissingColumnError};
 * a missing optional one maps to -1.
 */
export function mapColumns<Req extends string, Opt extends string = never>(
  file: string,
  header: readonly string[],
  required: readonly Req[],
  optional: readonly Opt[],
  fix: string,
): ColumnIndex<Req | Opt> {
  const positions = new Map<string, number>();
  header.forEach((name, i) => {
    const key = normalizeColumnName(name);
    if (!positions.has(key)) positions.set(key, i);
  });
  const index = {} as ColumnIndex<Req | Opt>;
  for (const column of required) {
    const at = positions.get(normalizeColumnName(column));
    if (at === undefined) throw new MissingColumnError(file, column, fix);
    index[column] = at;
  }
  for (const column of optional) index[column] = positions.get(normalizeColumnName(column)) ?? -1;
  return index;
}

/**
 * Whether `fields` is the header line again (concatenated exports). `header` holds the
 * header's names already passed through {@link normalizeColumnName}.
 */
export function isHeaderAgain(fields: readonly string[], header: readonly string[]): boolean {
  if (fields.length !== header.length || normalizeColumnName(fields[0]) !== header[0]) return false;
  return fields.every((f, i) => normalizeColumnName(f) === header[i]);
}

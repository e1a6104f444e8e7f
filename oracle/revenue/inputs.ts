// Reads an agreement's revenue inputs (SERVICES §3): Stripe itemized reports and generic
// revenue CSVs, as transactions on the agreement's base in USD (converted at the reference rate
// of their UTC date where needed), plus the quarantined rows dated where possible (a dated row
// holds its own period, an undated one every open period). A file written with decimal commas
// is refused as a whole, or read as such with `decimalComma`.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { DecimalCommaError } from "../sources/amounts";
import { CsvSplitter } from "../sources/csv";
import { normalizeColumnName } from "../sources/columns";
import type { FxTable } from "../sources/fx";
import { fileLines, textLines } from "../sources/lines";
import { readRevenueCsvFile } from "../sources/revenueCsv";
import { readStripeFile, type RevenueQuarantineEntry } from "../sources/stripe";
import { parseTimestamp } from "../sources/time";
import { countEvent, emptyCounts, type SourceCounts, type SourceEvent } from "../sources/types";
import type { AgreementSetting } from "./config";
import type { SourcedTransaction } from "./review";

/** A quarantined row and, when its time column could still be read, its time. */
export interface DatedQuarantineEntry extends RevenueQuarantineEntry {
  /** Unix seconds; undefined when the row's time cannot be read. */
  createdAt?: bigint;
}

/** Everything read for one agreement. */
export interface RevenueInputs {
  /** Files read, in order. */
  files: string[];
  /** Files read with decimal commas (`decimalComma`). */
  decimalCommaFiles: string[];
  /** Revenue rows on the agreement's base in USD, in reading order (repeats included: assignPeriods sorts them out). */
  transactions: SourcedTransaction[];
  quarantined: DatedQuarantineEntry[];
  counts: SourceCounts;
}

/** Options of {@link readRevenueInputs}. */
export interface ReadRevenueOptions {
  /** Reference rates (the config's `fxRates`). */
  fx?: FxTable;
  /** Read files written with decimal commas as such (`--decimal-comma`) instead of refusing them. */
  decimalComma?: boolean;
}

type Format = "stripe" | "revenueCsv";

/** The files behind a configured path: the file itself, or a folder's `*.csv` files sorted by name. */
export function listInputFiles(path: string): string[] {
  if (!statSync(path).isDirectory()) return [path];
  return readdirSync(path)
    .filter((name) => name.toLowerCase().endsWith(".csv"))
    .sort()
    .map((name) => join(path, name))
    .filter((file) => statSync(file).isFile());
}

function splitRow(text: string, delimiter: string): string[] | undefined {
  const splitter = new CsvSplitter(64, delimiter);
  const rows = [...textLines(text)].flatMap((line) => splitter.push(line)).concat(splitter.end());
  return rows.length === 1 && rows[0].ok ? rows[0].fields : undefined;
}

async function headerLine(file: string): Promise<string | undefined> {
  for await (const line of fileLines(file)) {
    if (line.text.trim() !== "") return line.text;
  }
  return undefined;
}

/** ";" when the header is one ","-field that ";" splits into several (a spreadsheet's save with decimal commas), else ",". */
function delimiterOf(header: string | undefined): string {
  if (header === undefined) return ",";
  const byComma = splitRow(header, ",");
  const bySemicolon = splitRow(header, ";");
  return byComma?.length === 1 && (bySemicolon?.length ?? 0) > 1 ? ";" : ",";
}

/** The time of a quarantined row, read from its time column when the row is still valid CSV. */
function dateOf(entry: RevenueQuarantineEntry, header: readonly string[] | undefined, format: Format, delimiter: string): bigint | undefined {
  if (header === undefined) return undefined;
  const column = normalizeColumnName(format === "stripe" ? "created_utc" : "timestamp");
  const at = header.findIndex((name) => normalizeColumnName(name) === column);
  const fields = splitRow(entry.raw, delimiter);
  if (at < 0 || fields === undefined || fields.length <= at) return undefined;
  return parseTimestamp(fields[at].trim(), { zonelessIsUtc: format === "stripe" });
}

interface FileResult {
  transactions: SourcedTransaction[];
  quarantined: RevenueQuarantineEntry[];
  counts: SourceCounts;
}

async function drain<R>(events: AsyncGenerator<SourceEvent<R>>, toTransaction: (record: R) => SourcedTransaction): Promise<FileResult> {
  const out: FileResult = { transactions: [], quarantined: [], counts: emptyCounts() };
  for await (const event of events) {
    countEvent(out.counts, event);
    if (event.kind === "quarantined") out.quarantined.push(event.entry as RevenueQuarantineEntry);
    else if (event.kind === "record") out.transactions.push(toTransaction(event.record));
  }
  return out;
}

function parseOne(file: string, format: Format, agreement: AgreementSetting, options: ReadRevenueOptions, comma: { decimalComma: boolean; delimiter: string }): Promise<FileResult> {
  const read = { fx: options.fx, ...comma };
  if (format === "stripe") {
    return drain(readStripeFile(file, { ...read, extraCategories: agreement.extraCategories }), (r) => {
      const base = agreement.base;
      return {
        id: r.id,
        createdAt: r.createdAt,
        amount: base === "gross" ? r.gross : r.net,
        file: r.source.file,
        line: r.source.line,
        ...(r.conversion ? { conversion: r.conversion[base] } : {}),
      };
    });
  }
  return drain(readRevenueCsvFile(file, read), (r) => ({
    id: r.id,
    createdAt: r.createdAt,
    amount: r.amount,
    file: r.source.file,
    line: r.source.line,
    ...(r.conversion ? { conversion: r.conversion } : {}),
  }));
}

async function readOne(file: string, format: Format, agreement: AgreementSetting, options: ReadRevenueOptions, out: RevenueInputs): Promise<void> {
  const header = await headerLine(file);
  let comma = { decimalComma: false, delimiter: "," };
  let result: FileResult;
  try {
    result = await parseOne(file, format, agreement, options, comma);
  } catch (err) {
    // the whole file is refused, or (--decimal-comma) read again as a decimal-comma file
    if (!(err instanceof DecimalCommaError) || !options.decimalComma) throw err;
    comma = { decimalComma: true, delimiter: delimiterOf(header) };
    result = await parseOne(file, format, agreement, options, comma);
    out.decimalCommaFiles.push(file);
  }
  out.transactions.push(...result.transactions);
  for (const key of Object.keys(out.counts) as (keyof SourceCounts)[]) out.counts[key] += result.counts[key];
  if (result.quarantined.length === 0) return;
  const fields = header === undefined ? undefined : splitRow(header, comma.delimiter);
  for (const entry of result.quarantined) {
    out.quarantined.push({ ...entry, createdAt: entry.createdAt ?? dateOf(entry, fields, format, comma.delimiter) });
  }
}

/**
 * Reads every input of `agreement`: Stripe rows on its base (`gross` or `net`, its
 * `extraCategories` counted too), generic rows as they are, non-USD rows converted with
 * `options.fx`. Files are read in the configured order, folders by file name.
 * @throws ValidationError (MissingColumnError, MissingHeaderError) when a file is not the format it is configured as;
 * DecimalCommaError when a file is written with decimal commas and `options.decimalComma` is not set.
 */
export async function readRevenueInputs(agreement: AgreementSetting, options: ReadRevenueOptions = {}): Promise<RevenueInputs> {
  const out: RevenueInputs = { files: [], decimalCommaFiles: [], transactions: [], quarantined: [], counts: emptyCounts() };
  for (const format of ["stripe", "revenueCsv"] as const) {
    for (const path of agreement[format]) {
      for (const file of listInputFiles(path)) {
        out.files.push(file);
        await readOne(file, format, agreement, options, out);
      }
    }
  }
  return out;
}

// Reads an agreement's revenue inputs (SERVICES §3): Stripe itemized reports and generic
// revenue CSVs, as transactions on the agreement's base, plus the quarantined rows dated
// where possible (a dated row holds its own period, an undated one every open period).
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { CsvSplitter } from "../sources/csv";
import { normalizeColumnName } from "../sources/columns";
import { fileLines, textLines } from "../sources/lines";
import { readRevenueCsvFile } from "../sources/revenueCsv";
import { readStripeFile } from "../sources/stripe";
import { parseTimestamp } from "../sources/time";
import { countEvent, emptyCounts, type QuarantineEntry, type SourceCounts, type SourceEvent } from "../sources/types";
import type { AgreementSetting } from "./config";
import type { RevenueTransaction } from "./periods";

/** A quarantined row and, when its time column could still be read, its time. */
export interface DatedQuarantineEntry extends QuarantineEntry {
  /** Unix seconds; undefined when the row's time cannot be read. */
  createdAt?: bigint;
}

/** Everything read for one agreement. */
export interface RevenueInputs {
  /** Files read, in order. */
  files: string[];
  /** Revenue rows on the agreement's base, in reading order (repeats included: assignPeriods sorts them out). */
  transactions: RevenueTransaction[];
  quarantined: DatedQuarantineEntry[];
  counts: SourceCounts;
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

function splitRow(text: string): string[] | undefined {
  const splitter = new CsvSplitter();
  const rows = [...textLines(text)].flatMap((line) => splitter.push(line)).concat(splitter.end());
  return rows.length === 1 && rows[0].ok ? rows[0].fields : undefined;
}

async function headerOf(file: string): Promise<string[] | undefined> {
  for await (const line of fileLines(file)) {
    if (line.text.trim() === "") continue;
    return splitRow(line.text);
  }
  return undefined;
}

/** The time of a quarantined row, read from its time column when the row is still valid CSV. */
function dateOf(entry: QuarantineEntry, header: readonly string[] | undefined, format: Format): bigint | undefined {
  if (header === undefined) return undefined;
  const column = normalizeColumnName(format === "stripe" ? "created_utc" : "timestamp");
  const at = header.findIndex((name) => normalizeColumnName(name) === column);
  const fields = splitRow(entry.raw);
  if (at < 0 || fields === undefined || fields.length <= at) return undefined;
  return parseTimestamp(fields[at].trim(), { zonelessIsUtc: format === "stripe" });
}

async function drain<R>(
  events: AsyncGenerator<SourceEvent<R>>,
  toTransaction: (record: R) => RevenueTransaction,
  out: RevenueInputs,
): Promise<QuarantineEntry[]> {
  const quarantined: QuarantineEntry[] = [];
  for await (const event of events) {
    countEvent(out.counts, event);
    if (event.kind === "quarantined") quarantined.push(event.entry);
    else if (event.kind === "record") out.transactions.push(toTransaction(event.record));
  }
  return quarantined;
}

async function readOne(file: string, format: Format, agreement: AgreementSetting, out: RevenueInputs): Promise<void> {
  const quarantined =
    format === "stripe"
      ? await drain(readStripeFile(file), (r) => ({ id: r.id, createdAt: r.createdAt, amount: agreement.base === "gross" ? r.gross : r.net }), out)
      : await drain(readRevenueCsvFile(file), (r) => ({ id: r.id, createdAt: r.createdAt, amount: r.amount }), out);
  if (quarantined.length === 0) return;
  const header = await headerOf(file);
  for (const entry of quarantined) out.quarantined.push({ ...entry, createdAt: dateOf(entry, header, format) });
}

/**
 * Reads every input of `agreement`: Stripe rows on its base (`gross` or `net`), generic rows
 * as they are. Files are read in the configured order, folders by file name.
 * @throws ValidationError (MissingColumnError, MissingHeaderError) when a file is not the format it is configured as.
 */
export async function readRevenueInputs(agreement: AgreementSetting): Promise<RevenueInputs> {
  const out: RevenueInputs = { files: [], transactions: [], quarantined: [], counts: emptyCounts() };
  for (const format of ["stripe", "revenueCsv"] as const) {
    for (const path of agreement[format]) {
      for (const file of listInputFiles(path)) {
        out.files.push(file);
        await readOne(file, format, agreement, out);
      }
    }
  }
  return out;
}

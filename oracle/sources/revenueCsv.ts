// Generic revenue adapter (SERVICES §3, input 2): CSV with `timestamp, amount, currency, reference`.
// `currency` may be absent (then every row is USD), so v1 files, whose amount column was called
// `amount_usd`, still read.
import { ValidationError } from "../../sdk/errors";
import { DecimalCommaError, readAmount } from "./amounts";
import { MissingColumnError, normalizeColumnName } from "./columns";
import { createCsvTableParser } from "./csv";
import { convertAmounts, isUsd, type FxConversion, type FxTable } from "./fx";
import { parseFile, parseText, type LineParser } from "./lines";
import { decimalCommaIn, semicolonHeaderCheck, type RevenueQuarantineEntry } from "./stripe";
import { parseTimestamp } from "./time";
import { collectEvents, type ParsedSource, type QuarantineEntry, type SourceEvent, type SourceRef } from "./types";

/** A revenue row: the amount in signed 6-decimal USD units, exact (converted when the row is not in USD). */
export interface RevenueCsvRow {
  /** `reference`. */
  id: string;
  /** `timestamp`, unix seconds. */
  createdAt: bigint;
  /** Signed (a refund is negative), in USD. */
  amount: bigint;
  /** The row's currency, upper case ("USD" when the file has no currency column or the field is empty). */
  currency: string;
  /** The conversion to USD (absent for USD rows). */
  conversion?: FxConversion;
  source: SourceRef;
}

/** Options of the generic revenue reader. */
export interface RevenueCsvReadOptions {
  /** Reference rates for non-USD rows; without them such rows are quarantined `no-fx-rate`. */
  fx?: FxTable;
  /** Read "1.234,56" as 1234.56 (`--decimal-comma`); otherwise such a file is refused with DecimalCommaError. */
  decimalComma?: boolean;
  /** Field separator (";" for a decimal-comma file saved by a spreadsheet). */
  delimiter?: string;
}

const REQUIRED = ["timestamp", "reference"] as const;
const OPTIONAL = ["amount", "amount_usd", "currency"] as const;
const HEADER_FIX = "The first line must name the columns timestamp,amount,currency,reference (currency may be left out: then every amount is USD).";

/**
 * A line parser for one generic revenue CSV.
 *
 * The amount column is `amount` (v1.1) or `amount_usd` (v1; then a currency, if given, must be
 * USD). Per row, in order: malformed CSV or field count (`parse-error`); empty reference,
 * timestamp not ISO 8601 with a zone, amount not an exact decimal of at most 6 places
 * (`parse-error`); a currency other than USD without the rate of the row's UTC date
 * (`no-fx-rate`), else converted. An empty currency field is USD.
 * @throws MissingColumnError when a required column (or both amount columns) is absent;
 * MissingHeaderError for an empty input; DecimalCommaError at the first amount written with a
 * decimal comma (unless `decimalComma`).
 */
export function createRevenueCsvParser(file: string, options: RevenueCsvReadOptions = {}): LineParser<RevenueCsvRow> {
  let amountColumn: "amount" | "amount_usd" = "amount";
  const format = { decimalComma: options.decimalComma };
  const semicolons = semicolonHeaderCheck(file, options.delimiter);
  return createCsvTableParser<RevenueCsvRow, (typeof REQUIRED)[number], (typeof OPTIONAL)[number]>({
    file,
    required: REQUIRED,
    optional: OPTIONAL,
    fix: HEADER_FIX,
    delimiter: options.delimiter,
    onHeader: (fields, line) => {
      semicolons(fields, line);
      const names = new Set(fields.map(normalizeColumnName));
      const amount = names.has(normalizeColumnName("amount"));
      const legacy = names.has(normalizeColumnName("amount_usd"));
      if (amount && legacy) {
        throw new ValidationError(`${file}: the header has both "amount" and "amount_usd" columns.`, { fix: "Keep one amount column: amount, with a currency column." });
      }
      if (!amount && !legacy) throw new MissingColumnError(file, "amount", HEADER_FIX);
      amountColumn = legacy ? "amount_usd" : "amount";
    },
    toEvent: (field, source, raw) => {
      let createdAt: bigint | undefined;
      const quarantine = (reason: QuarantineEntry["reason"], detail: string): SourceEvent<RevenueCsvRow> => ({
        kind: "quarantined",
        entry: { ...source, raw, reason, detail, ...(createdAt === undefined ? {} : { createdAt }) } as RevenueQuarantineEntry,
      });
      const amountText = field(amountColumn);
      if (!options.decimalComma) {
        const comma = decimalCommaIn([[amountColumn, amountText]]);
        if (comma) throw new DecimalCommaError(file, source.line, comma);
      }
      const id = field("reference");
      if (id === "") return quarantine("parse-error", "reference is empty");
      const timestamp = field("timestamp");
      createdAt = parseTimestamp(timestamp);
      if (createdAt === undefined) {
        return quarantine("parse-error", `timestamp ${JSON.stringify(timestamp)} is not an ISO 8601 time with a zone, e.g. 2026-10-03T14:22:05Z`);
      }
      const currency = field("currency") === "" ? "USD" : field("currency").toUpperCase();
      const amount = readAmount(amountColumn, amountText, format);
      if (!amount.ok) return quarantine("parse-error", amount.detail);
      if (amountColumn === "amount_usd" && !isUsd(currency)) {
        return quarantine("parse-error", `the column amount_usd holds USD but this row's currency is ${currency}; name the column amount to give amounts in their own currency`);
      }
      const converted = convertAmounts(options.fx, currency, createdAt, { amount: amount.value });
      if (!converted.ok) return quarantine("no-fx-rate", converted.detail);
      const record: RevenueCsvRow = {
        id,
        createdAt,
        amount: converted.usd.amount,
        currency,
        ...(converted.conversions ? { conversion: converted.conversions.amount } : {}),
        source,
      };
      return { kind: "record", record };
    },
  });
}

/**
 * Parses a generic revenue CSV held in a string.
 * @example const { records } = parseRevenueCsvText("timestamp,amount,currency,reference\n2026-10-03T14:22:05Z,12.34,USD,inv-1\n");
 */
export function parseRevenueCsvText(text: string, file = "<text>", options: RevenueCsvReadOptions = {}): ParsedSource<RevenueCsvRow> {
  return collectEvents(parseText(text, createRevenueCsvParser(file, options)));
}

/** Streams a generic revenue CSV file line by line. */
export function readRevenueCsvFile(path: string, options: RevenueCsvReadOptions = {}): AsyncGenerator<SourceEvent<RevenueCsvRow>> {
  return parseFile(path, createRevenueCsvParser(path, options));
}

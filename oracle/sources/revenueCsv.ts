// Generic revenue adapter (SERVICES §3, input 2): CSV with `timestamp, amount_usd, reference`.
import { readAmount } from "./amounts";
import { createCsvTableParser } from "./csv";
import { parseFile, parseText, type LineParser } from "./lines";
import { parseTimestamp } from "./time";
import { collectEvents, type ParsedSource, type SourceEvent, type SourceRef } from "./types";

/** A revenue row: the amount in signed 6-decimal units, exact. */
export interface RevenueCsvRow {
  /** `reference`. */
  id: string;
  /** `timestamp`, unix seconds. */
  createdAt: bigint;
  /** `amount_usd`, signed (a refund is negative). */
  amount: bigint;
  source: SourceRef;
}

const REQUIRED = ["timestamp", "amount_usd", "reference"] as const;
const OPTIONAL = ["currency"] as const;
const HEADER_FIX = "The first line must name the columns timestamp,amount_usd,reference.";

/**
 * A line parser for one generic revenue CSV.
 *
 * Per row, in order: malformed CSV or field count (`parse-error`); a `currency` column, when
 * the file has one, other than USD (`non-usd`); empty reference, timestamp not ISO 8601 with
 * a zone, amount_usd not an exact decimal of at most 6 places (`parse-error`).
 * @throws MissingColumnError when a required column is absent; MissingHeaderError for an empty input.
 */
export function createRevenueCsvParser(file: string): LineParser<RevenueCsvRow> {
  return createCsvTableParser<RevenueCsvRow, (typeof REQUIRED)[number], (typeof OPTIONAL)[number]>({
    file,
    required: REQUIRED,
    optional: OPTIONAL,
    fix: HEADER_FIX,
    toEvent: (field, source, raw) => {
      const parseError = (detail: string): SourceEvent<RevenueCsvRow> => ({
        kind: "quarantined",
        entry: { ...source, raw, reason: "parse-error", detail },
      });
      const currency = field("currency");
      if (currency !== "" && currency.toLowerCase() !== "usd") {
        return {
          kind: "quarantined",
          entry: { ...source, raw, reason: "non-usd", detail: `currency ${JSON.stringify(currency)}: only USD revenue is accepted` },
        };
      }
      const id = field("reference");
      if (id === "") return parseError("reference is empty");
      const timestamp = field("timestamp");
      const createdAt = parseTimestamp(timestamp);
      if (createdAt === undefined) {
        return parseError(`timestamp ${JSON.stringify(timestamp)} is not an ISO 8601 time with a zone, e.g. 2026-10-03T14:22:05Z`);
      }
      const amount = readAmount("amount_usd", field("amount_usd"));
      if (!amount.ok) return parseError(amount.detail);
      return { kind: "record", record: { id, createdAt, amount: amount.value, source } };
    },
  });
}

/**
 * Parses a generic revenue CSV held in a string.
 * @example const { records } = parseRevenueCsvText("timestamp,amount_usd,reference\n2026-10-03T14:22:05Z,12.34,inv-1\n");
 */
export function parseRevenueCsvText(text: string, file = "<text>"): ParsedSource<RevenueCsvRow> {
  return collectEvents(parseText(text, createRevenueCsvParser(file)));
}

/** Streams a generic revenue CSV file line by line. */
export function readRevenueCsvFile(path: string): AsyncGenerator<SourceEvent<RevenueCsvRow>> {
  return parseFile(path, createRevenueCsvParser(path));
}

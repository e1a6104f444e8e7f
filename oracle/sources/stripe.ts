// Stripe adapter (SERVICES §3, input 1): the itemized balance report
// `balance_change_from_activity.itemized.3` as CSV.
import { readAmount } from "./amounts";
import { createCsvTableParser } from "./csv";
import { parseFile, parseText, type LineParser } from "./lines";
import { parseTimestamp } from "./time";
import { collectEvents, type ParsedSource, type SourceEvent, type SourceRef } from "./types";

/** The reporting categories that are revenue; every other category (payout, fee, …) is not. */
export const REVENUE_CATEGORIES = [
  "charge",
  "refund",
  "partial_capture_reversal",
  "charge_failure",
  "refund_failure",
  "dispute",
  "dispute_reversal",
] as const;

/** One of {@link REVENUE_CATEGORIES}. */
export type RevenueCategory = (typeof REVENUE_CATEGORIES)[number];

const REVENUE = new Set<string>(REVENUE_CATEGORIES);

/** A revenue row of the report. Amounts are signed 6-decimal units, exact. */
export interface StripeRevenueRow {
  /** `balance_transaction_id` (txn_…). */
  id: string;
  /** `created_utc`, unix seconds. */
  createdAt: bigint;
  /** Signed: refunds and lost disputes are negative. */
  gross: bigint;
  /** gross − fee. */
  net: bigint;
  category: RevenueCategory;
  source: SourceRef;
}

const REQUIRED = ["balance_transaction_id", "created_utc", "currency", "gross", "fee", "net", "reporting_category"] as const;
const HEADER_FIX =
  "Download the Stripe report balance_change_from_activity.itemized.3 as CSV; it must keep the columns " + REQUIRED.join(", ") + ".";

/**
 * A line parser for one Stripe itemized balance report.
 *
 * Per row, in order: malformed CSV or field count (`parse-error`); reporting_category not a
 * revenue category → ignored `not-revenue` (an empty one is a `parse-error`); currency other
 * than USD, any case (`non-usd`); empty balance_transaction_id, created_utc not a time
 * (`YYYY-MM-DD HH:MM:SS` in UTC or ISO 8601 with a zone), gross/fee/net not exact decimals,
 * or `gross − fee ≠ net` (`parse-error`).
 * @throws MissingColumnError when a required column is absent; MissingHeaderError for an empty input.
 */
export function createStripeParser(file: string): LineParser<StripeRevenueRow> {
  return createCsvTableParser<StripeRevenueRow, (typeof REQUIRED)[number]>({
    file,
    required: REQUIRED,
    fix: HEADER_FIX,
    toEvent: (field, source, raw) => {
      const parseError = (detail: string): SourceEvent<StripeRevenueRow> => ({
        kind: "quarantined",
        entry: { ...source, raw, reason: "parse-error", detail },
      });
      const category = field("reporting_category").toLowerCase();
      if (category === "") return parseError("reporting_category is empty");
      if (!REVENUE.has(category)) return { kind: "ignored", reason: "not-revenue", source };
      const currency = field("currency");
      if (currency.toLowerCase() !== "usd") {
        return {
          kind: "quarantined",
          entry: { ...source, raw, reason: "non-usd", detail: `currency ${JSON.stringify(currency)}: only USD revenue is accepted` },
        };
      }
      const id = field("balance_transaction_id");
      if (id === "") return parseError("balance_transaction_id is empty");
      const createdText = field("created_utc");
      const createdAt = parseTimestamp(createdText, { zonelessIsUtc: true });
      if (createdAt === undefined) {
        return parseError(`created_utc ${JSON.stringify(createdText)} is not a time like 2026-10-03 14:22:05 (UTC)`);
      }
      const gross = readAmount("gross", field("gross"));
      if (!gross.ok) return parseError(gross.detail);
      const fee = readAmount("fee", field("fee"));
      if (!fee.ok) return parseError(fee.detail);
      const net = readAmount("net", field("net"));
      if (!net.ok) return parseError(net.detail);
      if (gross.value - fee.value !== net.value) {
        return parseError(`gross − fee ≠ net (${field("gross")} − ${field("fee")} ≠ ${field("net")})`);
      }
      const record = { id, createdAt, gross: gross.value, net: net.value, category: category as RevenueCategory, source };
      return { kind: "record", record };
    },
  });
}

/**
 * Parses a Stripe itemized balance report held in a string.
 * @example const { records } = parseStripeText(csv, "balance_change_from_activity.itemized.3.csv");
 */
export function parseStripeText(text: string, file = "<text>"): ParsedSource<StripeRevenueRow> {
  return collectEvents(parseText(text, createStripeParser(file)));
}

/** Streams a Stripe itemized balance report file line by line. */
export function readStripeFile(path: string): AsyncGenerator<SourceEvent<StripeRevenueRow>> {
  return parseFile(path, createStripeParser(path));
}

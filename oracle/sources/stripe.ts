// Stripe adapter (SERVICES §3, input 1): the itemized balance report
// `balance_change_from_activity.itemized.3` as CSV.
import { formatUnits6 } from "../../sdk/units";
import { DecimalCommaError, looksDecimalComma, readAmount } from "./amounts";
import { createCsvTableParser } from "./csv";
import { convertAmounts, type FxConversion, type FxTable } from "./fx";
import { parseFile, parseText, type LineParser } from "./lines";
import { parseTimestamp } from "./time";
import { collectEvents, type ParsedSource, type QuarantineEntry, type SourceEvent, type SourceRef } from "./types";

/** The reporting categories that are revenue for every agreement; every other category (payout, fee, …) is not. */
export const REVENUE_CATEGORIES = [
  "charge",
  "refund",
  "partial_capture_reversal",
  "charge_failure",
  "refund_failure",
  "dispute",
  "dispute_reversal",
] as const;

/**
 * Stripe Connect categories an agreement's config may add to its revenue (`extraCategories`),
 * when its legal terms count a platform's earnings from its connected accounts: application
 * fees (`platform_earning`, refunded as `platform_earning_refund`) and
 * `connect_collection_transfer`. Each row keeps its sign.
 */
export const CONNECT_CATEGORIES = ["platform_earning", "platform_earning_refund", "connect_collection_transfer"] as const;

/** One of {@link REVENUE_CATEGORIES} or {@link CONNECT_CATEGORIES}. */
export type RevenueCategory = (typeof REVENUE_CATEGORIES)[number] | (typeof CONNECT_CATEGORIES)[number];

/** A revenue row of the report. Amounts are signed 6-decimal USD units, exact (converted when the row is not in USD). */
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
  /** The row's `currency`, upper case. */
  currency: string;
  /** The conversion to USD of `gross` and `net` (absent for USD rows). */
  conversion?: { gross: FxConversion; net: FxConversion };
  /** `customer_facing_amount` and `customer_facing_currency`, when the report has them (kept for the evidence). */
  customerFacing?: { amount: string; currency: string };
  source: SourceRef;
}

/**
 * A quarantined revenue row: the row's time when it could be read, and for a row whose only
 * fault is `gross − fee ≠ net` what it counts as if the operator accepts it (its `gross` and
 * `net` as written, in its own currency).
 */
export interface RevenueQuarantineEntry extends QuarantineEntry {
  /** Unix seconds, when the row's time could be read. */
  createdAt?: bigint;
  ifAccepted?: { id: string; createdAt: bigint; currency: string; gross: bigint; net: bigint; category: RevenueCategory };
}

/** Options of the Stripe reader. */
export interface StripeReadOptions {
  /** Reference rates for non-USD rows; without them such rows are quarantined `no-fx-rate`. */
  fx?: FxTable;
  /** Categories of {@link CONNECT_CATEGORIES} this agreement counts as revenue too. */
  extraCategories?: readonly string[];
  /** Read "1.234,56" as 1234.56 (`--decimal-comma`); otherwise such a file is refused with DecimalCommaError. */
  decimalComma?: boolean;
  /** Field separator (";" for a decimal-comma file saved by a spreadsheet). */
  delimiter?: string;
}

const REQUIRED = ["balance_transaction_id", "created_utc", "currency", "gross", "fee", "net", "reporting_category"] as const;
const OPTIONAL = ["customer_facing_amount", "customer_facing_currency"] as const;
const HEADER_FIX =
  "Download the Stripe report balance_change_from_activity.itemized.3 as CSV; it must keep the columns " + REQUIRED.join(", ") + ".";

/**
 * Refuses a header that is one field holding ";"-separated names: a spreadsheet's save in a
 * locale with decimal commas (unless the file is read with `--decimal-comma`, then with ";").
 */
export function semicolonHeaderCheck(file: string, delimiter: string | undefined): (fields: readonly string[], line: number) => void {
  return (fields, line) => {
    if ((delimiter ?? ",") === "," && fields.length === 1 && fields[0].includes(";")) {
      throw new DecimalCommaError(file, line, 'fields separated by ";", as a spreadsheet saves them where the decimal point is a comma');
    }
  };
}

/** Amount columns of a row written with a decimal comma while the file is read with ".": the first one, or undefined. */
export function decimalCommaIn(columns: readonly [string, string][]): string | undefined {
  const hit = columns.find(([, text]) => looksDecimalComma(text));
  return hit && `${hit[0]} ${JSON.stringify(hit[1])}`;
}

/** 6-decimal units as a decimal with at least 2 places ("102.9" → "102.90"). */
export function money(units: bigint): string {
  const [whole, fraction = ""] = formatUnits6(units).split(".");
  return `${whole}.${fraction.padEnd(2, "0")}`;
}

/**
 * A line parser for one Stripe itemized balance report.
 *
 * Per row, in order: malformed CSV or field count (`parse-error`); reporting_category not a
 * revenue category (nor one of `extraCategories`) → ignored `not-revenue` (an empty one is a
 * `parse-error`); empty balance_transaction_id, created_utc not a time (`YYYY-MM-DD HH:MM:SS`
 * in UTC or ISO 8601 with a zone), gross/fee/net not exact decimals (`parse-error`);
 * `gross − fee ≠ net` (`net-mismatch`: Stripe's convention is a positive fee and
 * net = gross − fee; the entry names both figures); a currency other than USD without the
 * rate of the row's UTC date (`no-fx-rate`), else converted.
 * @throws MissingColumnError when a required column is absent; MissingHeaderError for an empty input;
 * DecimalCommaError at the first amount written with a decimal comma (unless `decimalComma`).
 */
export function createStripeParser(file: string, options: StripeReadOptions = {}): LineParser<StripeRevenueRow> {
  const revenue = new Set<string>([...REVENUE_CATEGORIES, ...(options.extraCategories ?? [])]);
  const format = { decimalComma: options.decimalComma };
  return createCsvTableParser<StripeRevenueRow, (typeof REQUIRED)[number], (typeof OPTIONAL)[number]>({
    file,
    required: REQUIRED,
    optional: OPTIONAL,
    fix: HEADER_FIX,
    delimiter: options.delimiter,
    onHeader: semicolonHeaderCheck(file, options.delimiter),
    toEvent: (field, source, raw) => {
      let createdAt: bigint | undefined;
      const quarantine = (reason: QuarantineEntry["reason"], detail: string, extra: Partial<RevenueQuarantineEntry> = {}): SourceEvent<StripeRevenueRow> => ({
        kind: "quarantined",
        entry: { ...source, raw, reason, detail, ...(createdAt === undefined ? {} : { createdAt }), ...extra } as RevenueQuarantineEntry,
      });
      const parseError = (detail: string) => quarantine("parse-error", detail);
      const category = field("reporting_category").toLowerCase();
      if (category === "") return parseError("reporting_category is empty");
      if (!revenue.has(category)) return { kind: "ignored", reason: "not-revenue", source };
      if (!options.decimalComma) {
        const comma = decimalCommaIn([["gross", field("gross")], ["fee", field("fee")], ["net", field("net")], ["customer_facing_amount", field("customer_facing_amount")]]);
        if (comma) throw new DecimalCommaError(file, source.line, comma);
      }
      const currency = field("currency").toUpperCase();
      const id = field("balance_transaction_id");
      if (id === "") return parseError("balance_transaction_id is empty");
      const createdText = field("created_utc");
      createdAt = parseTimestamp(createdText, { zonelessIsUtc: true });
      if (createdAt === undefined) {
        return parseError(`created_utc ${JSON.stringify(createdText)} is not a time like 2026-10-03 14:22:05 (UTC)`);
      }
      if (currency === "") return parseError("currency is empty");
      const gross = readAmount("gross", field("gross"), format);
      if (!gross.ok) return parseError(gross.detail);
      const fee = readAmount("fee", field("fee"), format);
      if (!fee.ok) return parseError(fee.detail);
      const net = readAmount("net", field("net"), format);
      if (!net.ok) return parseError(net.detail);
      if (gross.value - fee.value !== net.value) {
        const cur = currency.toLowerCase();
        return quarantine(
          "net-mismatch",
          `gross − fee = ${money(gross.value - fee.value)} ${cur} but net = ${money(net.value)} ${cur} (gross ${field("gross")}, fee ${field("fee")}): ` +
            `Stripe's fee is positive when charged and net = gross − fee${gross.value + fee.value === net.value ? "; this row has the fee's sign reversed" : ""}. ` +
            `Accept it to count gross ${field("gross")} and net ${field("net")} as written, or reject it.`,
          { ifAccepted: { id, createdAt, currency, gross: gross.value, net: net.value, category: category as RevenueCategory } },
        );
      }
      const converted = convertAmounts(options.fx, currency, createdAt, { gross: gross.value, net: net.value });
      if (!converted.ok) return quarantine("no-fx-rate", converted.detail);
      const facingAmount = field("customer_facing_amount");
      const facingCurrency = field("customer_facing_currency");
      const record: StripeRevenueRow = {
        id,
        createdAt,
        gross: converted.usd.gross,
        net: converted.usd.net,
        category: category as RevenueCategory,
        currency,
        ...(converted.conversions ? { conversion: converted.conversions } : {}),
        ...(facingAmount !== "" || facingCurrency !== "" ? { customerFacing: { amount: facingAmount, currency: facingCurrency.toUpperCase() } } : {}),
        source,
      };
      return { kind: "record", record };
    },
  });
}

/**
 * Parses a Stripe itemized balance report held in a string.
 * @example const { records } = parseStripeText(csv, "balance_change_from_activity.itemized.3.csv");
 */
export function parseStripeText(text: string, file = "<text>", options: StripeReadOptions = {}): ParsedSource<StripeRevenueRow> {
  return collectEvents(parseText(text, createStripeParser(file, options)));
}

/** Streams a Stripe itemized balance report file line by line. */
export function readStripeFile(path: string, options: StripeReadOptions = {}): AsyncGenerator<SourceEvent<StripeRevenueRow>> {
  return parseFile(path, createStripeParser(path, options));
}

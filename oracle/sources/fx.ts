// Reference exchange rates for the revenue oracle (SERVICES §3 "Currencies"): a CSV file
// `date, currency, usd_per_unit` (e.g. the ECB's daily reference rates re-based to USD). A
// non-USD amount converts at the rate of its transaction's UTC date, exactly: decimal
// arithmetic on bigints, the result rounded down (toward zero) to 6 decimals.
import { readFileSync } from "node:fs";
import { ConfigError } from "../../sdk/errors";
import { CsvSplitter } from "./csv";
import { normalizeColumnName } from "./columns";
import { textLines } from "./lines";

/** One rate as written in the file: `usd_per_unit` kept as its exact decimal text. */
export interface FxRate {
  /** `YYYY-MM-DD` (UTC). */
  date: string;
  /** ISO 4217 code, upper case. */
  currency: string;
  /** The decimal text of the file, e.g. "1.0712". */
  usdPerUnit: string;
  /** usdPerUnit = numerator / 10^scale. */
  numerator: bigint;
  scale: number;
}

/** A conversion applied to one amount, kept in the period's evidence. */
export interface FxConversion {
  currency: string;
  /** The transaction's UTC date, whose rate was used. */
  date: string;
  usdPerUnit: string;
  /** The amount before conversion, in 6-decimal units of `currency`. */
  amount: bigint;
  /** The amount after conversion, in 6-decimal USD units. */
  usd: bigint;
}

/** The rates of one file, by `<currency>:<date>`. */
export class FxTable {
  constructor(
    /** The rate file, for the evidence and error messages. */
    readonly file: string,
    private readonly rates: ReadonlyMap<string, FxRate>,
  ) {}

  /** How many rates the file holds. */
  get size(): number {
    return this.rates.size;
  }

  /** The rate of `currency` (any case) on the UTC date `date`, if the file has one. */
  rateOf(currency: string, date: string): FxRate | undefined {
    return this.rates.get(`${currency.toUpperCase()}:${date}`);
  }
}

const DATE = /^(\d{4})-(\d{2})-(\d{2})$/;
const CURRENCY = /^[A-Za-z]{3}$/;
const RATE = /^(\d+)(?:\.(\d+))?$/;

/** `YYYY-MM-DD` of a unix time, in UTC. */
export function utcDate(seconds: bigint): string {
  return new Date(Number(seconds) * 1000).toISOString().slice(0, 10);
}

/** Whether a currency code is USD (any case): such amounts need no conversion. */
export const isUsd = (currency: string): boolean => currency.toUpperCase() === "USD";

/**
 * `amount × rate`, exact, rounded toward zero to 6 decimals: `amount` and the result are
 * 6-decimal units, so the result is `trunc(amount × numerator / 10^scale)`. Rounding toward zero
 * rounds the magnitude down, so a charge and its full refund at the same rate cancel exactly.
 * @example convertUnits(1_800_000_000n, { numerator: 10712n, scale: 4 }) // 1_928_160_000n (1800 EUR at 1.0712)
 */
export function convertUnits(amount: bigint, rate: Pick<FxRate, "numerator" | "scale">): bigint {
  return (amount * rate.numerator) / 10n ** BigInt(rate.scale);
}

/**
 * Reads a rate file: a header naming `date`, `currency` and `usd_per_unit` (any order, extra
 * columns ignored), then one rate per line. A date is `YYYY-MM-DD` (the UTC date), a currency
 * three letters, a rate a positive decimal with a `.` point. The same date and currency twice
 * must carry the same rate; a USD rate must be 1.
 * @throws ConfigError naming the file, the line and the fix, for any line that breaks these rules.
 * @example const fx = loadFxRates("fx-rates.csv"); fx.rateOf("EUR", "2026-11-18")
 */
export function loadFxRates(file: string, setting = "fxRates"): FxTable {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (cause) {
    throw new ConfigError(setting, `Rate file ${file} cannot be read.`, { fix: "Point fxRates to a CSV file of date,currency,usd_per_unit.", cause });
  }
  const bad = (line: number, why: string) =>
    new ConfigError(setting, `Rate file ${file}, line ${line}: ${why}.`, {
      fix: "Write one rate per line as date,currency,usd_per_unit, e.g. 2026-11-18,EUR,1.0712 (the USD value of one unit on that UTC date).",
    });
  const splitter = new CsvSplitter();
  const rows = [...textLines(text)].flatMap((l) => splitter.push(l)).concat(splitter.end());
  if (rows.length === 0) throw bad(1, "the file is empty; it needs the header date,currency,usd_per_unit");
  const [header, ...body] = rows;
  if (!header.ok) throw bad(header.line, `the header is not valid CSV (${header.error})`);
  const names = header.fields.map(normalizeColumnName);
  const col = (name: string) => names.indexOf(normalizeColumnName(name));
  const at = { date: col("date"), currency: col("currency"), rate: col("usd_per_unit") };
  for (const [name, i] of [["date", at.date], ["currency", at.currency], ["usd_per_unit", at.rate]] as const) {
    if (i < 0) throw bad(header.line, `the header has no "${name}" column`);
  }
  const rates = new Map<string, FxRate>();
  for (const row of body) {
    if (!row.ok) throw bad(row.line, `malformed CSV (${row.error})`);
    if (row.fields.length !== header.fields.length) throw bad(row.line, `expected ${header.fields.length} fields as in the header, found ${row.fields.length}`);
    const date = row.fields[at.date].trim();
    const currency = row.fields[at.currency].trim().toUpperCase();
    const usdPerUnit = row.fields[at.rate].trim();
    const d = DATE.exec(date);
    if (!d || Number.isNaN(Date.parse(`${date}T00:00:00Z`)) || new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date) {
      throw bad(row.line, `date ${JSON.stringify(date)} is not a calendar date YYYY-MM-DD`);
    }
    if (!CURRENCY.test(currency)) throw bad(row.line, `currency ${JSON.stringify(currency)} is not a three-letter ISO 4217 code`);
    const r = RATE.exec(usdPerUnit);
    if (!r) throw bad(row.line, `usd_per_unit ${JSON.stringify(usdPerUnit)} is not a decimal number with a "." point`);
    const scale = r[2]?.length ?? 0;
    const numerator = BigInt(r[1] + (r[2] ?? ""));
    if (numerator === 0n) throw bad(row.line, "usd_per_unit is 0");
    if (currency === "USD" && numerator !== 10n ** BigInt(scale)) throw bad(row.line, `a USD rate must be 1, not ${usdPerUnit}`);
    const key = `${currency}:${date}`;
    const rate: FxRate = { date, currency, usdPerUnit, numerator, scale };
    const before = rates.get(key);
    if (before && before.numerator * 10n ** BigInt(scale) !== numerator * 10n ** BigInt(before.scale)) {
      throw bad(row.line, `${currency} on ${date} appears again with another rate (${before.usdPerUnit}, then ${usdPerUnit})`);
    }
    if (!before) rates.set(key, rate);
  }
  return new FxTable(file, rates);
}

/** Outcome of {@link convertAmounts}. */
export type FxOutcome<K extends string> =
  | { ok: true; usd: Record<K, bigint>; conversions: Record<K, FxConversion> | undefined }
  | { ok: false; detail: string };

/**
 * Converts a row's amounts (same currency, same time) to USD. USD amounts pass unchanged
 * (`conversions` undefined). Without a table, or without the rate of the row's UTC date, the
 * row cannot count: `ok: false` with the sentence for the quarantine (`no-fx-rate`).
 */
export function convertAmounts<K extends string>(
  fx: FxTable | undefined,
  currency: string,
  createdAt: bigint,
  amounts: Record<K, bigint>,
): FxOutcome<K> {
  if (isUsd(currency)) return { ok: true, usd: amounts, conversions: undefined };
  const date = utcDate(createdAt);
  const code = currency.toUpperCase();
  if (fx === undefined) {
    return { ok: false, detail: `currency ${code} on ${date}: no fxRates file is configured, so it cannot be converted to USD; configure fxRates with the rate of that date, or reject the row` };
  }
  const rate = fx.rateOf(code, date);
  if (rate === undefined) {
    return { ok: false, detail: `currency ${code} on ${date}: ${fx.file} has no rate for it; add the line ${date},${code},<usd_per_unit>, or reject the row` };
  }
  const usd = {} as Record<K, bigint>;
  const conversions = {} as Record<K, FxConversion>;
  for (const key of Object.keys(amounts) as K[]) {
    usd[key] = convertUnits(amounts[key], rate);
    conversions[key] = { currency: code, date, usdPerUnit: rate.usdPerUnit, amount: amounts[key], usd: usd[key] };
  }
  return { ok: true, usd, conversions };
}

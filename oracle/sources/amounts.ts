// Money in the revenue adapters: signed decimal text in major units → exact 6-decimal units.
// Amounts use a "." decimal point (SERVICES §3); a file written with decimal commas is refused
// as a whole (DecimalCommaError) unless the operator asks to read it so (`--decimal-comma`).
import { DsxError, ValidationError } from "../../sdk/errors";
import { parseUnits6 } from "../../sdk/units";

/** How the amounts of a file are written. */
export interface AmountFormat {
  /** "1.234,56": "," is the decimal point and "." groups thousands (`--decimal-comma`). */
  decimalComma?: boolean;
}

/** "12,34", "-0,5", "1.234,56", "1234,5678": a decimal comma, unmistakably (not "1,234", which may be a thousands separator). */
const DECIMAL_COMMA = /^[-+]?(?:\d{1,3}(?:\.\d{3})+|\d+),\d+$/;
const THOUSANDS_ONLY = /^[-+]?\d{1,3}(?:,\d{3})+$/;
const COMMA_FORM = /^(-?)(\d{1,3}(?:\.\d{3})+|\d+)(?:,(\d+))?$/;

/** Whether `text` is an amount written with a decimal comma (and cannot be read as anything else). */
export function looksDecimalComma(text: string): boolean {
  return DECIMAL_COMMA.test(text) && !THOUSANDS_ONLY.test(text);
}

/** The amount in `text` as signed 6-decimal units, or why it is not one (for the quarantine). */
export function readAmount(column: string, text: string, format: AmountFormat = {}): { ok: true; value: bigint } | { ok: false; detail: string } {
  let plain = text;
  if (format.decimalComma) {
    const m = COMMA_FORM.exec(text);
    if (!m) return { ok: false, detail: `${column}: amount ${JSON.stringify(text)} is not a decimal-comma number like 1.234,56 (the file is read with --decimal-comma)` };
    plain = `${m[1]}${m[2].replace(/\./g, "")}${m[3] === undefined ? "" : `.${m[3]}`}`;
  }
  try {
    return { ok: true, value: parseUnits6(plain) };
  } catch (err) {
    const why = err instanceof DsxError ? err.message : String(err);
    return { ok: false, detail: `${column}: ${why}` };
  }
}

/** A revenue file written with decimal commas: refused as a whole, never read row by row (SERVICES §3). */
export class DecimalCommaError extends ValidationError {
  override name = "DecimalCommaError";
  readonly file: string;
  readonly line: number;

  constructor(file: string, line: number, what: string) {
    super(`${file} is written with decimal commas (${what}, line ${line}); none of its rows was read.`, {
      fix: 'Export it again with "." as the decimal point (Stripe\'s own CSV download does; a spreadsheet saved in a European locale does not), or pass --decimal-comma to read "1.234,56" as 1234.56.',
    });
    this.file = file;
    this.line = line;
  }
}

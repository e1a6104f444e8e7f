import { maxUint256 } from "viem";
import { ValidationError } from "./errorClasses";

/** Base units in one credit or one settlement-token unit (both have 6 decimals, PROTOCOL §2). */
export const UNIT = 1_000_000n;

/** Decimal places of credits and of the settlement token. */
export const DECIMALS = 6;

/** Options of {@link parseUnits6}. */
export interface ParseUnits6Options {
  /** Accept a leading "-" (revenue rows may be negative). Default true. */
  allowNegative?: boolean;
}

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
const FORMAT_HINT = 'Write digits with an optional leading "-" and at most one "." before 1 to 6 digits, e.g. "1250.5".';

/**
 * Parses a human decimal ("1250.5", "-12.34", "0.000001") into exact 6-decimal base units.
 * No floats: the text is split and read as bigints.
 *
 * Refused, each with a {@link ValidationError} naming the input and the fix: empty text,
 * whitespace, commas (no thousands separators, no decimal comma), exponents ("1e6"), a bare
 * "." at either end (".5", "5."), more than 6 decimal places, a negative amount when
 * `allowNegative` is false, and magnitudes above 2^256 − 1 units.
 *
 * @example
 * parseUnits6("1250.5"); // 1_250_500_000n
 * parseUnits6("-12.34"); // -12_340_000n
 */
export function parseUnits6(input: string, options: ParseUnits6Options = {}): bigint {
  if (typeof input !== "string") {
    throw new ValidationError(`Amount must be text, got a ${typeof input}.`, {
      fix: 'Pass the decimal as a string, e.g. "1250.5", so no precision is lost.',
    });
  }
  const shown = JSON.stringify(input);
  if (input === "") throw new ValidationError("Amount is empty.", { fix: 'Write a decimal number, e.g. "1250.5".' });
  if (/\s/.test(input)) {
    throw new ValidationError(`Amount ${shown} contains whitespace.`, { fix: "Remove the spaces." });
  }
  if (input.includes(",")) {
    throw new ValidationError(`Amount ${shown} contains a comma.`, {
      fix: 'Use "." as the decimal point and no thousands separators, e.g. "1250.5".',
    });
  }
  if (/^[-+]?(\d+\.?\d*|\.\d+)[eE][-+]?\d+$/.test(input)) {
    throw new ValidationError(`Amount ${shown} uses exponent notation.`, {
      fix: 'Write out all the digits, e.g. "1000000" for 1e6.',
    });
  }
  if (/^-?\.\d+$/.test(input)) {
    throw new ValidationError(`Amount ${shown} starts with ".".`, { fix: `Write a 0 before the point: "${input.replace(".", "0.")}".` });
  }
  if (/^-?\d+\.$/.test(input)) {
    throw new ValidationError(`Amount ${shown} ends with ".".`, { fix: `Drop the point: "${input.slice(0, -1)}".` });
  }
  const match = DECIMAL.exec(input);
  if (!match) throw new ValidationError(`Amount ${shown} is not a decimal number.`, { fix: FORMAT_HINT });
  const [, sign, whole, fraction = ""] = match;
  if (fraction.length > DECIMALS) {
    throw new ValidationError(`Amount ${shown} has ${fraction.length} decimal places; at most ${DECIMALS} are allowed.`, {
      fix: "Round it to 6 decimal places (0.000001 is the smallest unit).",
    });
  }
  // A uint256 has at most 78 digits: stop absurd inputs before building a huge bigint.
  if (whole.replace(/^0+/, "").length > 78) {
    throw new ValidationError(`Amount ${shown} is too large.`, { fix: "Give an amount below 2^256 base units." });
  }
  const magnitude = BigInt(whole) * UNIT + BigInt(fraction.padEnd(DECIMALS, "0"));
  if (magnitude > maxUint256) {
    throw new ValidationError(`Amount ${shown} is too large.`, { fix: "Give an amount below 2^256 base units." });
  }
  const value = sign === "-" ? -magnitude : magnitude;
  if (value < 0n && options.allowNegative === false) {
    throw new ValidationError(`Amount ${shown} is negative.`, { fix: "Give an amount of 0 or more." });
  }
  return value;
}

/** Options of {@link formatUnits6}. */
export interface FormatUnits6Options {
  /** Always print 6 decimal places ("1250.500000"). Default false: minimal form ("1250.5"). */
  fixed?: boolean;
}

/**
 * Formats 6-decimal base units as a decimal string, exactly.
 *
 * @example
 * formatUnits6(1_250_500_000n); // "1250.5"
 * formatUnits6(1_250_500_000n, { fixed: true }); // "1250.500000"
 * formatUnits6(-1n); // "-0.000001"
 */
export function formatUnits6(value: bigint, options: FormatUnits6Options = {}): string {
  if (typeof value !== "bigint") {
    throw new ValidationError(`Value to format must be a bigint, got a ${typeof value}.`, {
      fix: "Keep amounts as bigint base units; never convert them to number.",
    });
  }
  const magnitude = value < 0n ? -value : value;
  const whole = magnitude / UNIT;
  const digits = (magnitude % UNIT).toString().padStart(DECIMALS, "0");
  const fraction = options.fixed ? digits : digits.replace(/0+$/, "");
  return `${value < 0n ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

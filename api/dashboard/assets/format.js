// @ts-check
// Formatting of the API's values for people: exact decimal strings of base units (BigInt, never floats),
// with their unit; times in UTC; durations in days/hours/minutes.

/** The settlement token's label (a 6-decimal USDC-like token, PROTOCOL §2) and the credit token's. */
export const USDC = "USDC";
export const DSXC = "DSXC";
export const ZERO_ADDRESS = "0x0000000000000000000000000000000000000000";

/**
 * A decimal string of base units as a grouped decimal: `units("1234567891")` → "1,234.567891",
 * `units("1600000000")` → "1,600.00". Trailing zeros of the fraction are dropped down to `minFraction`.
 * @param {string | number | bigint} raw
 * @param {number} [decimals]
 * @param {number} [minFraction]
 */
export function units(raw, decimals = 6, minFraction = 2) {
  let v = BigInt(raw);
  const negative = v < 0n;
  if (negative) v = -v;
  const base = 10n ** BigInt(decimals);
  const whole = (v / base).toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  let fraction = decimals > 0 ? (v % base).toString().padStart(decimals, "0").replace(/0+$/, "") : "";
  if (fraction.length < minFraction) fraction = fraction.padEnd(minFraction, "0");
  return `${negative ? "−" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
}

/**
 * @param {string | bigint} raw base units (6 decimals)
 * @param {string} unit
 */
export const amount = (raw, unit) => `${units(raw)} ${unit}`;
/** @param {string | bigint} raw */
export const usdc = (raw) => amount(raw, USDC);
/** @param {string | bigint} raw */
export const dsxc = (raw) => amount(raw, DSXC);

/**
 * GPU-seconds as GPU-hours, rounded down to 1/100: `gpuHours("5400")` → "1.50 GPU·h".
 * @param {string | bigint} seconds
 */
export const gpuHours = (seconds) => `${units((BigInt(seconds) * 100n) / 3600n, 2, 2)} GPU·h`;

/**
 * Basis points as a percentage: 800 → "8%", 825 → "8.25%".
 * @param {number} bps
 */
export const percent = (bps) => `${units(BigInt(bps), 2, 0)}%`;

/**
 * Basis points as a multiple: 15000 → "1.5×".
 * @param {number} bps
 */
export const multiple = (bps) => `${units(BigInt(bps), 4, 1)}×`;

/**
 * Seconds as the two largest units: 2592000 → "30 d", 93780 → "1 d 2 h", 45 → "45 s".
 * @param {number} seconds
 */
export function duration(seconds) {
  const parts = [
    [Math.floor(seconds / 86400), "d"],
    [Math.floor((seconds % 86400) / 3600), "h"],
    [Math.floor((seconds % 3600) / 60), "m"],
    [Math.floor(seconds % 60), "s"],
  ];
  const first = parts.findIndex(([n]) => Number(n) > 0);
  if (first < 0) return "0 s";
  return parts
    .slice(first, first + 2)
    .filter(([n]) => Number(n) > 0)
    .map(([n, u]) => `${n} ${u}`)
    .join(" ");
}

/**
 * An ISO 8601 UTC time as "2026-10-01 00:00 UTC"; null (the ledger's "never") as "—".
 * @param {string | null | undefined} iso
 */
export const time = (iso) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : "—");

/**
 * The date of an ISO time: "2026-10-01".
 * @param {string | null | undefined} iso
 */
export const day = (iso) => (iso ? iso.slice(0, 10) : "—");

/**
 * @param {string} iso
 * @returns {number} unix seconds
 */
export const seconds = (iso) => Math.floor(Date.parse(iso) / 1000);

/**
 * What is left until `target` (unix seconds) at `now`: "2 d 3 h left", or null once it has passed.
 * @param {number} target
 * @param {number} now
 */
export const countdown = (target, now) => (target > now ? `${duration(target - now)} left` : null);

/**
 * A count with its noun: plural(1, "payment") → "1 payment", plural(2, "batch", "batches") → "2 batches".
 * @param {number} n
 * @param {string} one
 * @param {string} [many]
 */
export const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/**
 * A long hex value shortened for display: "0x7099…79C8".
 * @param {string} hex
 */
export const short = (hex) => (hex.length > 14 ? `${hex.slice(0, 6)}…${hex.slice(-4)}` : hex);

/**
 * A bytes32 sku as its name when it is one (lower-case, zero-padded): for evidence leaves.
 * @param {string} hex
 */
export function skuFromHex(hex) {
  const bytes = hex.slice(2).replace(/(00)+$/, "");
  if (bytes.length % 2 !== 0) return hex;
  let out = "";
  for (let i = 0; i < bytes.length; i += 2) out += String.fromCharCode(parseInt(bytes.slice(i, i + 2), 16));
  return /^[a-z0-9][a-z0-9._-]*$/.test(out) ? out : hex;
}

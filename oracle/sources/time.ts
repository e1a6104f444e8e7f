// Timestamps → unix seconds (bigint). ISO 8601 with a zone for metering and revenue files;
// zone-less local wall-clock times for sacct, converted through an IANA time zone with the
// runtime's own tz database (Intl), DST gaps and repeated hours included.
import { ConfigError } from "../../sdk/errors";

/** A wall-clock reading without a zone. */
export interface LocalDateTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
}

const ZONED = /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?$/;

const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function daysInMonth(year: number, month: number): number {
  const leap = year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0);
  return month === 2 && leap ? 29 : DAYS_IN_MONTH[month - 1];
}

function validLocal(ldt: LocalDateTime): boolean {
  return (
    ldt.year >= 1970 &&
    ldt.month >= 1 &&
    ldt.month <= 12 &&
    ldt.day >= 1 &&
    ldt.day <= daysInMonth(ldt.year, ldt.month) &&
    ldt.hour <= 23 &&
    ldt.minute <= 59 &&
    ldt.second <= 59
  );
}

/** Seconds of the wall-clock reading taken as UTC. */
function wallSeconds(ldt: LocalDateTime): number {
  return Date.UTC(ldt.year, ldt.month - 1, ldt.day, ldt.hour, ldt.minute, ldt.second) / 1000;
}

/**
 * Reads sacct's `YYYY-MM-DDTHH:MM:SS` (a space instead of `T` is accepted too).
 * Returns undefined for anything else, including impossible dates and years before 1970.
 */
export function parseLocalDateTime(text: string): LocalDateTime | undefined {
  // Exactly YYYY-MM-DDTHH:MM:SS (or a space for the T), read without a regex: an export of a
  // million rows has two million of them.
  if (text.length !== 19) return undefined;
  const sep = text.charCodeAt(10);
  if (
    (sep !== 84 && sep !== 32) || // "T" or " "
    text.charCodeAt(4) !== 45 || // "-"
    text.charCodeAt(7) !== 45 ||
    text.charCodeAt(13) !== 58 || // ":"
    text.charCodeAt(16) !== 58
  ) {
    return undefined;
  }
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  if (year < 0 || month < 0 || day < 0 || hour < 0 || minute < 0 || second < 0) return undefined;
  const ldt = { year, month, day, hour, minute, second };
  return validLocal(ldt) ? ldt : undefined;
}

/** The decimal value of `n` ASCII digits at `from`, or -1 when one is not a digit. */
function digitsAt(text: string, from: number, n: number): number {
  let value = 0;
  for (let i = from; i < from + n; i++) {
    const d = text.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    value = value * 10 + d;
  }
  return value;
}

/** Options of {@link parseTimestamp}. */
export interface ParseTimestampOptions {
  /** Read a time written without a zone as UTC (Stripe's `created_utc`). Default: a zone is required. */
  zonelessIsUtc?: boolean;
}

/**
 * Reads an ISO 8601 / RFC 3339 timestamp with a zone (`Z`, `±HH:MM`, `±HHMM` or `±HH`) into
 * unix seconds. Seconds may be omitted; a fraction of a second is dropped (times are whole
 * seconds on chain). Returns undefined when malformed, without a zone (unless
 * `zonelessIsUtc`), out of range, or before 1970-01-01T00:00:00Z.
 *
 * @example parseTimestamp("2026-10-03T16:22:05+02:00"); // 1791037325n (14:22:05Z)
 */
export function parseTimestamp(text: string, options: ParseTimestampOptions = {}): bigint | undefined {
  const m = ZONED.exec(text.trim());
  if (!m) return undefined;
  const ldt = { year: +m[1], month: +m[2], day: +m[3], hour: +m[4], minute: +m[5], second: m[6] === undefined ? 0 : +m[6] };
  if (!validLocal(ldt)) return undefined;
  let offsetSeconds = 0;
  if (m[9] !== undefined) {
    const hours = +m[10];
    const minutes = m[11] === undefined ? 0 : +m[11];
    if (hours > 23 || minutes > 59) return undefined;
    offsetSeconds = (m[9] === "-" ? -1 : 1) * (hours * 3600 + minutes * 60);
  } else if (m[8] === undefined && !options.zonelessIsUtc) {
    return undefined;
  }
  const seconds = wallSeconds(ldt) - offsetSeconds;
  return seconds < 0 ? undefined : BigInt(seconds);
}

const UTC_NAMES = new Set(["UTC", "ETC/UTC", "ETC/UCT", "UCT", "GMT", "ETC/GMT", "ZULU", "ETC/ZULU"]);
const HOUR = 3600;
const DAY = 86_400;
const CACHE_LIMIT = 100_000;

/**
 * Converts wall-clock readings of one IANA time zone to unix seconds.
 *
 * A reading in a DST gap (spring forward) does not exist: it is read with the offset before
 * the gap, i.e. moved forward by the gap's length (as Temporal's "compatible"). A reading in a
 * repeated hour (fall back) has two instants: {@link candidates} returns both, earlier first.
 *
 * Offsets come from `Intl.DateTimeFormat` and are cached per UTC hour (an hour whose first
 * and last second share an offset has that offset throughout), so a million rows cost a few
 * thousand Intl calls.
 */
export class TimeZoneClock {
  readonly timeZone: string;
  private readonly utc: boolean;

  /** Whether the zone is UTC (wall-clock time is unix time). */
  get isUtc(): boolean {
    return this.utc;
  }
  private readonly format: Intl.DateTimeFormat | undefined;
  private readonly hourOffsets = new Map<number, number>();

  /** @throws ConfigError (setting `timezone`) when the runtime does not know `timeZone`. */
  constructor(timeZone = "UTC") {
    this.timeZone = timeZone;
    this.utc = UTC_NAMES.has(timeZone.toUpperCase());
    if (this.utc) return;
    try {
      this.format = new Intl.DateTimeFormat("en-US", {
        timeZone,
        hourCycle: "h23",
        year: "numeric",
        month: "numeric",
        day: "numeric",
        hour: "numeric",
        minute: "numeric",
        second: "numeric",
      });
    } catch (cause) {
      throw new ConfigError("timezone", `Time zone ${JSON.stringify(timeZone)} is not a known IANA zone.`, {
        fix: 'Use a name such as "UTC", "Europe/Berlin" or "America/New_York".',
        cause,
      });
    }
  }

  /** The zone's offset from UTC, in seconds, at unix time `t` (seconds). */
  offsetAt(t: number): number {
    if (this.utc) return 0;
    const hour = Math.floor(t / HOUR);
    const cached = this.hourOffsets.get(hour);
    if (cached !== undefined) return cached;
    const first = this.intlOffset(hour * HOUR);
    const last = this.intlOffset(hour * HOUR + HOUR - 1);
    if (first !== last) return this.intlOffset(t);
    if (this.hourOffsets.size >= CACHE_LIMIT) this.hourOffsets.clear();
    this.hourOffsets.set(hour, first);
    return first;
  }

  private intlOffset(t: number): number {
    const parts: Record<string, number> = {};
    for (const part of (this.format as Intl.DateTimeFormat).formatToParts(t * 1000)) {
      if (part.type !== "literal") parts[part.type] = Number(part.value);
    }
    const wall = Date.UTC(parts.year, parts.month - 1, parts.day, parts.hour % 24, parts.minute, parts.second) / 1000;
    return wall - t;
  }

  /**
   * Every instant (unix seconds, ascending) that shows `ldt` on this zone's clocks: one
   * normally, two in a repeated hour, and for a reading inside a DST gap the single instant
   * the reading names when taken with the offset before the gap.
   */
  candidates(ldt: LocalDateTime): bigint[] {
    const wall = wallSeconds(ldt);
    if (this.utc) return [BigInt(wall)];
    const before = this.offsetAt(wall - DAY);
    const after = this.offsetAt(wall + DAY);
    const found = new Set<number>();
    for (const offset of [before, after]) {
      const t = wall - offset;
      if (this.offsetAt(t) === offset) found.add(t);
    }
    if (found.size === 0) found.add(wall - before);
    return [...found].sort((a, b) => a - b).map((t) => BigInt(t));
  }

  /** The earliest of {@link candidates}. */
  toUnix(ldt: LocalDateTime): bigint {
    return this.candidates(ldt)[0];
  }
}

// Text the exporters write: wall-clock times in a zone, ISO 8601 with an offset, calendar dates, CSV fields.
import { TimeZoneClock } from "../../oracle/sources/time";

const formats = new Map<string, Intl.DateTimeFormat>();

/** Wall-clock reading of unix time `t` in `timeZone`, as `YYYY-MM-DD<sep>HH:MM:SS`. */
export function wallClock(t: number, timeZone: string, sep = "T"): string {
  let f = formats.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat("en-US", {
      timeZone,
      hourCycle: "h23",
      year: "numeric",
      month: "2-digit",
      day: "2-digit",
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
    });
    formats.set(timeZone, f);
  }
  const p: Record<string, string> = {};
  for (const part of f.formatToParts(t * 1000)) p[part.type] = part.value;
  return `${p.year}-${p.month}-${p.day}${sep}${p.hour}:${p.minute}:${p.second}`;
}

/** The UTC offset of `timeZone` at `t` as ±HH:MM. */
function offsetText(t: number, timeZone: string): string {
  const offset = new TimeZoneClock(timeZone).offsetAt(t);
  const sign = offset < 0 ? "-" : "+";
  const m = Math.abs(offset) / 60;
  return `${sign}${String(Math.floor(m / 60)).padStart(2, "0")}:${String(m % 60).padStart(2, "0")}`;
}

/** ISO 8601 of `t` with the offset of `timeZone` (`2026-10-03T16:22:05+02:00`), or `Z` for UTC. */
export function isoIn(t: number, timeZone: string): string {
  if (timeZone === "UTC") return `${wallClock(t, "UTC")}Z`;
  return `${wallClock(t, timeZone)}${offsetText(t, timeZone)}`;
}

/** Unix seconds of local midnight of `date` (YYYY-MM-DD) in `timeZone`. */
export function localMidnight(date: string, timeZone: string): number {
  const [year, month, day] = date.split("-").map(Number);
  return Number(new TimeZoneClock(timeZone).toUnix({ year, month, day, hour: 0, minute: 0, second: 0 }));
}

/** The calendar date `days` after `date` (YYYY-MM-DD). */
export function addDays(date: string, days: number): string {
  const t = Date.parse(`${date}T00:00:00Z`) + days * 86_400_000;
  return new Date(t).toISOString().slice(0, 10);
}

/** A CSV field, quoted when it holds a quote, a comma or a line break (RFC 4180). */
function csvField(value: string): string {
  return /[",\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** One CSV line of `fields`. */
export function csvLine(fields: readonly string[]): string {
  return fields.map(csvField).join(",");
}

// Output of the `dsx` command line: one human line (or a few) on stdout, or one JSON object with --json;
// errors are one line of cause and fix on stderr (and a JSON object on stdout with --json).
import { isoTime } from "../sdk/errors";
import { formatUnits6 } from "../sdk/units";

/** Where a command writes; the real process streams, or buffers in tests. */
export interface Io {
  stdout: (text: string) => void;
  stderr: (text: string) => void;
}

export const processIo: Io = {
  stdout: (text) => process.stdout.write(text),
  stderr: (text) => process.stderr.write(text),
};

/** JSON with bigints as decimal strings. */
export function toJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
}

/** An exact human amount ("1250.5") from 6-decimal base units. */
export const amount = (units: bigint): string => formatUnits6(units);

/** A unix time as ISO 8601 (UTC, seconds), or "-" for 0. */
export function time(seconds: bigint | number): string {
  const t = BigInt(seconds);
  return t === 0n ? "-" : isoTime(t);
}

/** Prints a command's result: `human` lines, or `data` as one JSON object with --json. */
export function emit(io: Io, json: boolean | undefined, data: Record<string, unknown>, human: string | string[]): void {
  if (json) io.stdout(`${toJson(data)}\n`);
  else io.stdout(`${(Array.isArray(human) ? human : [human]).join("\n")}\n`);
}

// Line-by-line input for the adapters: a file is streamed with readline (a 1 000 000-row
// export never sits in memory), a string is split the same way for tests and small inputs.
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { SourceEvent } from "./types";

/** One physical line without its line break, numbered from 1. */
export interface SourceLine {
  text: string;
  line: number;
}

/** A format's row parser: fed one line at a time, it says what each finished row was. */
export interface LineParser<R> {
  push(line: SourceLine): SourceEvent<R>[];
  /** Called once after the last line (flushes a row still open, e.g. an unclosed CSV quote). */
  end(): SourceEvent<R>[];
}

const BOM = "\ufeff";

/** The lines of `text`, split at `\r\n`, `\n` or `\r` like readline; a leading BOM is dropped. */
export function* textLines(text: string): Generator<SourceLine> {
  const body = text.startsWith(BOM) ? text.slice(1) : text;
  if (body === "") return;
  const parts = body.split(/\r\n|\n|\r/);
  // A final line break ends the last line; it does not open an empty one.
  if (parts[parts.length - 1] === "") parts.pop();
  for (let i = 0; i < parts.length; i++) yield { text: parts[i], line: i + 1 };
}

/** The lines of the file at `path`, streamed; a leading BOM is dropped. */
export async function* fileLines(path: string): AsyncGenerator<SourceLine> {
  const input = createReadStream(path, { encoding: "utf8" });
  const reader = createInterface({ input, crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const raw of reader) {
      line += 1;
      yield { text: line === 1 && raw.startsWith(BOM) ? raw.slice(1) : raw, line };
    }
  } finally {
    reader.close();
    input.destroy();
  }
}

/** Runs `parser` over the lines of `text`. */
export function* parseText<R>(text: string, parser: LineParser<R>): Generator<SourceEvent<R>> {
  for (const line of textLines(text)) yield* parser.push(line);
  yield* parser.end();
}

/** Runs `parser` over the lines of the file at `path`, streaming. */
export async function* parseFile<R>(path: string, parser: LineParser<R>): AsyncGenerator<SourceEvent<R>> {
  for await (const line of fileLines(path)) yield* parser.push(line);
  yield* parser.end();
}

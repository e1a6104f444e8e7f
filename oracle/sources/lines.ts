// Line-by-line input for the adapters: a file is streamed in blocks of lines (a 1 000 000-row
// export never sits in memory), a string is split the same way for tests and small inputs.
import { createReadStream } from "node:fs";
import { StringDecoder } from "node:string_decoder";
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

const BREAK = /\r\n|\n|\r/;

/**
 * The lines of the file at `path`, streamed in blocks (one per read of about `blockBytes`),
 * split like {@link textLines} and readline: at `\r\n`, `\n` or `\r`, a final line break opening
 * no empty line, a leading BOM dropped. A block costs one await instead of one per line.
 * @example for await (const block of fileLineBlocks("jobs.txt")) for (const { text, line } of block) …
 */
export async function* fileLineBlocks(path: string, blockBytes = 1 << 16): AsyncGenerator<SourceLine[]> {
  const input = createReadStream(path, { highWaterMark: blockBytes });
  const decoder = new StringDecoder("utf8");
  let rest = "";
  let line = 0;
  const split = (text: string, last: boolean): SourceLine[] => {
    let body = text;
    // A "\r" at the end of a block may be the first half of "\r\n": keep it for the next block.
    const heldCr = !last && body.endsWith("\r");
    if (heldCr) body = body.slice(0, -1);
    const parts = body.indexOf("\r") === -1 ? body.split("\n") : body.split(BREAK);
    const tail = parts.pop() as string;
    if (last) {
      if (tail !== "") parts.push(tail);
      rest = "";
    } else {
      rest = heldCr ? `${tail}\r` : tail;
    }
    const lines = new Array<SourceLine>(parts.length);
    for (let i = 0; i < parts.length; i++) lines[i] = { text: parts[i], line: ++line };
    if (lines.length > 0 && lines[0].line === 1 && lines[0].text.startsWith(BOM)) lines[0].text = lines[0].text.slice(1);
    return lines;
  };
  try {
    for await (const chunk of input) {
      const lines = split(rest + decoder.write(chunk as Buffer), false);
      if (lines.length > 0) yield lines;
    }
    const text = rest + decoder.end();
    // A final "\r" ends the last line; it opens no empty one.
    const lines = split(text.endsWith("\r") ? text.slice(0, -1) + "\n" : text, true);
    if (lines.length > 0) yield lines;
  } finally {
    input.destroy();
  }
}

/** The lines of the file at `path`, streamed; a leading BOM is dropped. */
export async function* fileLines(path: string): AsyncGenerator<SourceLine> {
  for await (const block of fileLineBlocks(path)) yield* block;
}

/** Runs `parser` over the lines of `text`. */
export function* parseText<R>(text: string, parser: LineParser<R>): Generator<SourceEvent<R>> {
  for (const line of textLines(text)) yield* parser.push(line);
  yield* parser.end();
}

/** Runs `parser` over the lines of the file at `path`, streaming. */
export async function* parseFile<R>(path: string, parser: LineParser<R>): AsyncGenerator<SourceEvent<R>> {
  for await (const block of parseFileBlocks(path, parser)) yield* block;
}

/** Runs `parser` over the lines of the file at `path`, streaming the events in blocks (one per block of lines). */
export async function* parseFileBlocks<R>(path: string, parser: LineParser<R>): AsyncGenerator<SourceEvent<R>[]> {
  for await (const lines of fileLineBlocks(path)) {
    const events: SourceEvent<R>[] = [];
    for (const line of lines) {
      for (const event of parser.push(line)) events.push(event);
    }
    if (events.length > 0) yield events;
  }
  const last = parser.end();
  if (last.length > 0) yield last;
}

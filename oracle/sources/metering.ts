// Generic metering adapter (SERVICES §2, input 2): JSON Lines or CSV with the columns
// recordId, account, sku, start, end, gpus, gpuSeconds.
import { extname } from "node:path";
import { createCsvTableParser } from "./csv";
import { normalizeColumnName } from "./columns";
import { parseFile, parseText, type LineParser, type SourceLine } from "./lines";
import { parseTimestamp } from "./time";
import {
  checkUsageBounds,
  usageSettings,
  type UsageCandidate,
  type UsageQuarantineEntry,
  type UsageRecord,
  type UsageSourceConfig,
  type UsageSourceSettings,
} from "./usage";
import { collectEvents, type ParsedSource, type QuarantineReason, type SourceEvent, type SourceRef } from "./types";

/** The two encodings of a metering file. */
export type MeteringFormat = "jsonl" | "csv";

const REQUIRED = ["recordId", "account", "sku", "start", "end", "gpus"] as const;
const OPTIONAL = ["gpuSeconds"] as const;
type Field = (typeof REQUIRED)[number] | (typeof OPTIONAL)[number];
const FIELDS: readonly Field[] = [...REQUIRED, ...OPTIONAL];
const HEADER_FIX = "The first line must name the columns recordId,account,sku,start,end,gpus,gpuSeconds.";
const WHOLE = /^\d+$/;

/** A field as read: text from CSV, any JSON value from JSON Lines. */
type RawValue = unknown;

type Outcome = { ok: true; record: UsageRecord } | { ok: false; reason: QuarantineReason; detail: string; candidate?: UsageCandidate } | { ok: "zero" };

/** A whole number ≥ 0 from a JSON number or a digit string, else undefined. */
function wholeNumber(value: RawValue): bigint | undefined {
  if (typeof value === "number") return Number.isSafeInteger(value) && value >= 0 ? BigInt(value) : undefined;
  if (typeof value === "string" && WHOLE.test(value.trim())) return BigInt(value.trim());
  return undefined;
}

function describe(value: RawValue): string {
  return value === undefined ? "missing" : JSON.stringify(value);
}

/**
 * Checks one metering row, in order (the first failure decides): recordId, account, sku,
 * start, end, gpus and gpuSeconds present and well formed (`parse-error`); account
 * (`unknown-account`); sku (`unknown-sku`); `end-before-start`; gpuSeconds above
 * `(end − start) × gpus` (`gpu-seconds-exceed-bound`); `too-large`; 0 GPU-seconds → ignored.
 */
function toRecord(settings: UsageSourceSettings, values: Record<Field, RawValue>, source: SourceRef): Outcome {
  const parseError = (detail: string): Outcome => ({ ok: false, reason: "parse-error", detail });
  const text = (field: Field): string | undefined => {
    const v = values[field];
    return typeof v === "string" && v.trim() !== "" ? v.trim() : undefined;
  };
  const recordId = text("recordId");
  if (recordId === undefined) return parseError(`recordId is ${describe(values.recordId)}, expected a non-empty string`);
  const account = text("account");
  if (account === undefined) return parseError(`account is ${describe(values.account)}, expected a non-empty string`);
  const skuName = text("sku");
  if (skuName === undefined) return parseError(`sku is ${describe(values.sku)}, expected a non-empty string`);
  const startText = text("start");
  const start = startText === undefined ? undefined : parseTimestamp(startText);
  if (start === undefined) {
    return parseError(`start ${describe(values.start)} is not an ISO 8601 time with a zone, e.g. 2026-10-03T14:00:00Z`);
  }
  const endText = text("end");
  const end = endText === undefined ? undefined : parseTimestamp(endText);
  if (end === undefined) return parseError(`end ${describe(values.end)} is not an ISO 8601 time with a zone, e.g. 2026-10-03T15:00:00Z`);
  const gpus = wholeNumber(values.gpus);
  if (gpus === undefined || gpus === 0n) return parseError(`gpus ${describe(values.gpus)} is not a whole number above 0`);
  const gpuSecondsValue = values.gpuSeconds;
  const gpuSecondsEmpty =
    gpuSecondsValue === undefined || gpuSecondsValue === null || (typeof gpuSecondsValue === "string" && gpuSecondsValue.trim() === "");
  const given = gpuSecondsEmpty ? undefined : wholeNumber(gpuSecondsValue);
  if (!gpuSecondsEmpty && given === undefined) {
    return parseError(`gpuSeconds ${describe(gpuSecondsValue)} is not a whole number (leave it empty for (end − start) × gpus)`);
  }

  const sku = settings.skuMap.get(skuName) ?? (settings.knownSkus.has(skuName) ? skuName : undefined);
  const bound = end > start ? (end - start) * gpus : 0n;
  const gpuSeconds = given ?? bound;
  // What the row would bill, for the quarantine review (built only for a row set aside).
  const candidate = (): UsageCandidate => ({
    source: "metering",
    recordId,
    account,
    ...(sku === undefined ? { gpuTypes: [skuName] } : { sku }),
    start: start.toString(),
    end: end.toString(),
    gpus: gpus.toString(),
    gpuSeconds: gpuSeconds.toString(),
  });
  const agreementId = settings.accounts.get(account);
  if (agreementId === undefined) {
    return { ok: false, reason: "unknown-account", detail: `account ${JSON.stringify(account)} is not in the config's accounts`, candidate: candidate() };
  }
  if (sku === undefined) {
    return { ok: false, reason: "unknown-sku", detail: `sku ${JSON.stringify(skuName)} is neither a skuMap type nor a configured sku`, candidate: candidate() };
  }
  if (end >= start && gpuSeconds > bound) {
    return {
      ok: false,
      reason: "gpu-seconds-exceed-bound",
      detail: `gpuSeconds ${gpuSeconds} exceed (end − start) × gpus = ${end - start} × ${gpus} = ${bound}`,
      candidate: candidate(),
    };
  }
  const refusal = checkUsageBounds(settings, start, end, gpuSeconds);
  if (refusal) return { ok: false, ...refusal, ...(refusal.reason === "too-large" ? { candidate: candidate() } : {}) };
  if (gpuSeconds === 0n) return { ok: "zero" };
  return { ok: true, record: { recordId, account, agreementId, sku, start, end, gpus, gpuSeconds, source } };
}

class MeteringParser implements LineParser<UsageRecord> {
  private csv: LineParser<UsageRecord> | undefined;
  private json = false;

  constructor(
    private readonly file: string,
    private readonly settings: UsageSourceSettings,
    format: MeteringFormat | undefined,
  ) {
    if (format !== undefined) this.choose(format);
  }

  push(line: SourceLine): SourceEvent<UsageRecord>[] {
    if (this.csv) return this.csv.push(line);
    if (line.text.trim() === "") return [];
    if (this.json) return [this.jsonLine(line)];
    // No format given: the first non-blank line decides.
    const csv = this.choose(line.text.trimStart().startsWith("{") ? "jsonl" : "csv");
    return csv ? csv.push(line) : [this.jsonLine(line)];
  }

  end(): SourceEvent<UsageRecord>[] {
    return this.csv ? this.csv.end() : [];
  }

  private choose(format: MeteringFormat): LineParser<UsageRecord> | undefined {
    if (format === "jsonl") {
      this.json = true;
      return undefined;
    }
    this.csv = createCsvTableParser({
      file: this.file,
      required: REQUIRED,
      optional: OPTIONAL,
      fix: HEADER_FIX,
      toEvent: (field, source, raw) => {
        const values = Object.fromEntries(FIELDS.map((f) => [f, field(f)])) as Record<Field, RawValue>;
        return toEvent(toRecord(this.settings, values, source), source, raw);
      },
    });
    return this.csv;
  }

  private jsonLine({ text, line }: SourceLine): SourceEvent<UsageRecord> {
    const source = { file: this.file, line };
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (err) {
      const detail = `not valid JSON (${err instanceof Error ? err.message : String(err)})`;
      return { kind: "quarantined", entry: { ...source, raw: text, reason: "parse-error", detail } };
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      return { kind: "quarantined", entry: { ...source, raw: text, reason: "parse-error", detail: "the line is not a JSON object" } };
    }
    const byName = new Map(Object.entries(parsed).map(([k, v]) => [normalizeColumnName(k), v as RawValue]));
    const values = Object.fromEntries(FIELDS.map((f) => [f, byName.get(normalizeColumnName(f))])) as Record<Field, RawValue>;
    return toEvent(toRecord(this.settings, values, source), source, text);
  }
}

function toEvent(outcome: Outcome, source: SourceRef, raw: string): SourceEvent<UsageRecord> {
  if (outcome.ok === true) return { kind: "record", record: outcome.record };
  if (outcome.ok === "zero") return { kind: "ignored", reason: "zero-usage", source };
  const entry: UsageQuarantineEntry = { ...source, raw, reason: outcome.reason, detail: outcome.detail };
  if (outcome.candidate) entry.candidate = outcome.candidate;
  return { kind: "quarantined", entry };
}

/** The format a file name implies (`.jsonl`/`.ndjson` → jsonl, `.csv` → csv), else undefined (sniffed). */
export function meteringFormatOf(path: string): MeteringFormat | undefined {
  const ext = extname(path).toLowerCase();
  if (ext === ".jsonl" || ext === ".ndjson") return "jsonl";
  if (ext === ".csv") return "csv";
  return undefined;
}

/**
 * A line parser for one metering input. Without `format`, the first non-blank line decides:
 * `{` → JSON Lines, else CSV with a header line. Times are ISO 8601 with a zone; an empty
 * gpuSeconds means `(end − start) × gpus`; the sku column holds a skuMap type name or a sku.
 * An empty input yields nothing, except a CSV one (by `format` or extension), which needs its header.
 * @throws MissingColumnError / MissingHeaderError for a CSV without the required columns or header.
 */
export function createMeteringParser(
  file: string,
  config: UsageSourceConfig | UsageSourceSettings,
  format?: MeteringFormat,
): LineParser<UsageRecord> {
  return new MeteringParser(file, usageSettings(config), format);
}

/**
 * Parses metering data held in a string.
 * @example const { records } = parseMeteringText('{"recordId":"r1",…}\n', config, "meter.jsonl");
 */
export function parseMeteringText(
  text: string,
  config: UsageSourceConfig | UsageSourceSettings,
  file = "<text>",
  format?: MeteringFormat,
): ParsedSource<UsageRecord> {
  return collectEvents(parseText(text, createMeteringParser(file, config, format ?? meteringFormatOf(file))));
}

/** Streams a metering file line by line; the format follows the extension, else the content. */
export function readMeteringFile(
  path: string,
  config: UsageSourceConfig | UsageSourceSettings,
  format?: MeteringFormat,
): AsyncGenerator<SourceEvent<UsageRecord>> {
  return parseFile(path, createMeteringParser(path, config, format ?? meteringFormatOf(path)));
}

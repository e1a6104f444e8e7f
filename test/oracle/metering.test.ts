import { expect } from "chai";
import { MissingColumnError, MissingHeaderError } from "../../oracle/sources/columns";
import { meteringFormatOf, parseMeteringText, readMeteringFile } from "../../oracle/sources/metering";
import { collectEvents, type SourceEvent } from "../../oracle/sources/types";
import type { UsageRecord } from "../../oracle/sources/usage";
import { at, fixturePath, readFixture, sydneyConfig } from "./support";

const JSONL = "meter-2026-10-03.jsonl";
const CSV = "meter-2026-10-03.csv";

describe("parseMeteringText", () => {
  describe("when given the JSON Lines fixture", () => {
    const parsed = parseMeteringText(readFixture("metering", JSONL), sydneyConfig, JSONL);

    it("when it counts the rows, it accounts for every non-blank line", () => {
      expect(parsed.counts).to.deep.equal({ read: 16, records: 5, quarantined: 10, ignored: 1, waiting: 0 });
    });

    it("when gpuSeconds is given, empty, null or a digit string, it uses it or computes (end − start) × gpus", () => {
      expect(parsed.records.map((r) => [r.recordId, r.gpuSeconds])).to.deep.equal([
        ["meter-0001", 64_800n],
        ["meter-0002", 28_800n],
        ["meter-0003", 5_400n],
        ["meter-0004", 1_800n],
        ["meter-0015", 388_800n],
      ]);
    });

    it("when a record is accepted, it resolves account and sku and converts zoned times to unix seconds", () => {
      expect(parsed.records[1]).to.deep.equal({
        recordId: "meter-0002",
        account: "startup-b",
        agreementId: 2n,
        sku: "b200",
        start: at("2026-10-03T01:15:00Z"),
        end: at("2026-10-03T03:15:00Z"),
        gpus: 4n,
        gpuSeconds: 28_800n,
        source: { file: JSONL, line: 2 },
      } satisfies UsageRecord);
      expect(parsed.records[0].sku).to.equal("h100-sxm");
      expect(parsed.records[4]).to.deep.include({ sku: "gb300", start: at("2026-10-03T11:00:00Z") });
    });

    it("when a line is bad, it quarantines it with its line number and reason", () => {
      expect(parsed.quarantined.map((q) => [q.line, q.reason])).to.deep.equal([
        [6, "gpu-seconds-exceed-bound"],
        [7, "parse-error"],
        [8, "parse-error"],
        [9, "parse-error"],
        [10, "parse-error"],
        [11, "parse-error"],
        [12, "unknown-account"],
        [13, "unknown-sku"],
        [14, "end-before-start"],
        [15, "too-large"],
      ]);
      expect(parsed.quarantined[0].detail).to.contain("7201").and.contain("7200");
      expect(parsed.ignored).to.deep.equal([{ reason: "zero-usage", source: { file: JSONL, line: 16 } }]);
    });
  });

  describe("when given the CSV fixture (columns in another order, an extra column, a repeated header)", () => {
    const parsed = parseMeteringText(readFixture("metering", CSV), sydneyConfig, CSV);

    it("when it counts the rows, it accounts for every line after the header", () => {
      expect(parsed.counts).to.deep.equal({ read: 14, records: 4, quarantined: 8, ignored: 2, waiting: 0 });
    });

    it("when rows are valid, quoted or not, it reads the same records as the JSON Lines fixture", () => {
      expect(parsed.records.map((r) => [r.recordId, r.agreementId, r.sku, r.start, r.end, r.gpus, r.gpuSeconds])).to.deep.equal([
        ["meter-c-0001", 1n, "h100-sxm", at("2026-10-03T00:00:00Z"), at("2026-10-03T02:30:00Z"), 8n, 64_800n],
        ["meter-c-0002", 2n, "b200", at("2026-10-03T01:15:00Z"), at("2026-10-03T03:15:00Z"), 4n, 28_800n],
        ["meter-c-0003", 3n, "h100-sxm", at("2026-10-03T01:00:00Z"), at("2026-10-03T01:45:00Z"), 2n, 5_400n],
        ["meter-c-0015", 3n, "gb300", at("2026-10-03T11:00:00Z"), at("2026-10-03T12:30:00Z"), 72n, 388_800n],
      ]);
    });

    it("when a row is bad, including an unclosed quote, it quarantines only that line and reads on", () => {
      expect(parsed.quarantined.map((q) => [q.line, q.reason])).to.deep.equal([
        [5, "gpu-seconds-exceed-bound"],
        [6, "parse-error"],
        [7, "parse-error"],
        [8, "parse-error"],
        [9, "unknown-account"],
        [10, "unknown-sku"],
        [11, "end-before-start"],
        [12, "too-large"],
      ]);
      expect(parsed.quarantined[3].detail).to.contain("malformed CSV");
      expect(parsed.ignored.map((i) => i.reason)).to.deep.equal(["zero-usage", "repeated-header"]);
    });
  });

  it("when the CSV has no gpuSeconds column, it computes every record's GPU-seconds", () => {
    const text = "recordId,account,sku,start,end,gpus\nr1,startup-a,h100,2026-10-03T00:00:00Z,2026-10-03T00:10:00Z,3\n";
    expect(parseMeteringText(text, sydneyConfig, "m.csv").records[0].gpuSeconds).to.equal(1800n);
  });

  it("when the CSV lacks a required column, it throws MissingColumnError naming it", () => {
    expect(() => parseMeteringText("recordId,account,sku,start,end\n", sydneyConfig, "m.csv"))
      .to.throw(MissingColumnError)
      .with.property("column", "gpus");
  });

  it("when a CSV file is empty, it throws MissingHeaderError; an empty JSON Lines file has no records", () => {
    expect(() => parseMeteringText("", sydneyConfig, "m.csv")).to.throw(MissingHeaderError);
    expect(parseMeteringText("\n", sydneyConfig, "m.jsonl").counts.read).to.equal(0);
  });

  it("when the name has no known extension, the first line decides the format; an explicit format wins", () => {
    const line = '{"recordId":"r","account":"startup-a","sku":"h100","start":"2026-10-03T00:00:00Z","end":"2026-10-03T00:00:10Z","gpus":1}';
    expect(parseMeteringText(`\n${line}\n`, sydneyConfig, "meter.log").records).to.have.length(1);
    expect(meteringFormatOf("a.NDJSON")).to.equal("jsonl");
    expect(meteringFormatOf("a.csv")).to.equal("csv");
    expect(meteringFormatOf("a.txt")).to.equal(undefined);
    expect(() => parseMeteringText(`${line}\n`, sydneyConfig, "meter.log", "csv")).to.throw(MissingHeaderError, "not valid CSV");
  });

  it("when a JSON value has the wrong type or an unsafe integer, it quarantines parse-error", () => {
    const base = { recordId: "r", account: "startup-a", sku: "h100", start: "2026-10-03T00:00:00Z", end: "2026-10-03T01:00:00Z", gpus: 1 };
    for (const patch of [
      { recordId: 7 },
      { account: "" },
      { sku: null },
      { gpus: -1 },
      { gpuSeconds: 1e20 },
      { gpuSeconds: "12.5" },
      { end: 1791037325 },
    ]) {
      const parsed = parseMeteringText(`${JSON.stringify({ ...base, ...patch })}\n`, sydneyConfig, "m.jsonl");
      expect(parsed.quarantined[0]?.reason, JSON.stringify(patch)).to.equal("parse-error");
    }
  });
});

describe("readMeteringFile", () => {
  for (const name of [JSONL, CSV]) {
    it(`when streaming ${name}, it yields the same events as parsing its text`, async () => {
      const events: SourceEvent<UsageRecord>[] = [];
      const path = fixturePath("metering", name);
      for await (const event of readMeteringFile(path, sydneyConfig)) events.push(event);
      expect(collectEvents(events)).to.deep.equal(parseMeteringText(readFixture("metering", name), sydneyConfig, path));
    });
  }
});

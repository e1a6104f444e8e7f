import { expect } from "chai";
import { MissingColumnError } from "../../oracle/sources/columns";
import { parseRevenueCsvText, readRevenueCsvFile, type RevenueCsvRow } from "../../oracle/sources/revenueCsv";
import { collectEvents, type SourceEvent } from "../../oracle/sources/types";
import { at, fixturePath, readFixture } from "./support";

describe("parseRevenueCsvText", () => {
  const parsed = parseRevenueCsvText(readFixture("revenue", "generic-revenue.csv"), "generic-revenue.csv");

  it("when rows are valid, it returns reference, time and exact signed amount", () => {
    expect(parsed.records.map((r) => [r.id, r.createdAt, r.amount])).to.deep.equal([
      ["inv-2026-0001", at("2026-10-02T10:00:00Z"), 1_500_000_000n],
      ["inv-2026-0002", at("2026-10-02T23:30:00Z"), 250_500_000n],
      ["cn-2026-0001", at("2026-10-05T16:00:00Z"), -100_000_000n],
      ['inv "quoted" ref', at("2026-10-11T12:00:00Z"), 1n],
    ]);
    expect(parsed.records[0].source).to.deep.equal({ file: "generic-revenue.csv", line: 2 });
  });

  it("when a row has no zone, too many decimals, no amount, no reference or a thousands separator, it quarantines parse-error", () => {
    expect(parsed.quarantined.map((q) => [q.line, q.reason])).to.deep.equal([
      [5, "parse-error"],
      [6, "parse-error"],
      [7, "parse-error"],
      [8, "parse-error"],
      [9, "parse-error"],
    ]);
    expect(parsed.counts).to.deep.equal({ read: 9, records: 4, quarantined: 5, ignored: 0, waiting: 0 });
  });

  it("when the file has a currency column, rows in another currency are quarantined non-usd", () => {
    const withCurrency = parseRevenueCsvText(readFixture("revenue", "generic-revenue-currency.csv"));
    expect(withCurrency.records.map((r) => r.id)).to.deep.equal(["inv-2026-0101"]);
    expect(withCurrency.quarantined[0]).to.deep.include({ line: 3, reason: "non-usd" });
  });

  it("when the header lacks amount_usd, it throws MissingColumnError naming it", () => {
    expect(() => parseRevenueCsvText("timestamp,amount,reference\n"))
      .to.throw(MissingColumnError)
      .with.property("column", "amount_usd");
  });
});

describe("readRevenueCsvFile", () => {
  it("when streaming the fixture, it yields the same events as parsing its text", async () => {
    const events: SourceEvent<RevenueCsvRow>[] = [];
    const path = fixturePath("revenue", "generic-revenue.csv");
    for await (const event of readRevenueCsvFile(path)) events.push(event);
    expect(collectEvents(events)).to.deep.equal(parseRevenueCsvText(readFixture("revenue", "generic-revenue.csv"), path));
  });
});

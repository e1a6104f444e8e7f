import { expect } from "chai";
import { MissingColumnError } from "../../oracle/sources/columns";
import { DecimalCommaError } from "../../oracle/sources/amounts";
import { FxTable } from "../../oracle/sources/fx";
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

  it("when a v1 file (amount_usd) names another currency, that row is a parse error: amount_usd holds USD", () => {
    const withCurrency = parseRevenueCsvText(readFixture("revenue", "generic-revenue-currency.csv"));
    expect(withCurrency.records.map((r) => [r.id, r.currency])).to.deep.equal([["inv-2026-0101", "USD"]]);
    expect(withCurrency.quarantined[0]).to.deep.include({ line: 3, reason: "parse-error" });
    expect(withCurrency.quarantined[0].detail).to.match(/amount_usd holds USD but this row's currency is EUR; name the column amount/);
  });

  it("when the header has neither amount nor amount_usd, or both, the whole file is refused", () => {
    expect(() => parseRevenueCsvText("timestamp,reference\n"))
      .to.throw(MissingColumnError)
      .with.property("column", "amount");
    expect(() => parseRevenueCsvText("timestamp,amount,amount_usd,reference\n")).to.throw(/both "amount" and "amount_usd"/);
  });
});

describe("the v1.1 generic revenue CSV (timestamp, amount, currency, reference)", () => {
  const fx = new FxTable("rates.csv", new Map([["EUR:2026-11-18", { date: "2026-11-18", currency: "EUR", usdPerUnit: "1.0797", numerator: 10_797n, scale: 4 }]]));
  const parsed = parseRevenueCsvText(readFixture("revenue", "generic-revenue-v11.csv"), "v11.csv", { fx });

  it("when a row is in EUR, it converts at its UTC date's rate; USD and an empty currency pass as they are", () => {
    expect(parsed.records.map((r) => [r.id, r.amount, r.currency])).to.deep.equal([
      ["inv-eur-1", 1_943_460_000n, "EUR"],
      ["inv-usd-1", 250_000_000n, "USD"],
      ["inv-none-1", 99_000_000n, "USD"],
    ]);
    expect(parsed.records[0].conversion).to.deep.equal({ currency: "EUR", date: "2026-11-18", usdPerUnit: "1.0797", amount: 1_800_000_000n, usd: 1_943_460_000n });
    expect(parsed.records[1].conversion).to.equal(undefined);
  });

  it("when a row's date has no rate, it is quarantined no-fx-rate", () => {
    expect(parsed.quarantined.map((q) => [q.line, q.reason])).to.deep.equal([[5, "no-fx-rate"]]);
  });

  it("when amounts are written with decimal commas, the file is refused as a whole unless read with --decimal-comma", () => {
    const text = "timestamp;amount;currency;reference\n2026-11-19T12:00:00Z;1.250,50;USD;inv-1\n";
    expect(() => parseRevenueCsvText(text, "eu.csv")).to.throw(DecimalCommaError);
    expect(parseRevenueCsvText(text, "eu.csv", { decimalComma: true, delimiter: ";" }).records[0].amount).to.equal(1_250_500_000n);
    expect(() => parseRevenueCsvText('timestamp,amount,reference\n2026-11-19T12:00:00Z,"12,5",inv-1\n', "eu.csv")).to.throw(DecimalCommaError, /amount "12,5", line 2/);
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

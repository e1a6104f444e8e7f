import { expect } from "chai";
import { MissingColumnError, MissingHeaderError } from "../../oracle/sources/columns";
import { parseStripeText, readStripeFile, REVENUE_CATEGORIES, type StripeRevenueRow } from "../../oracle/sources/stripe";
import { collectEvents, type SourceEvent } from "../../oracle/sources/types";
import { at, fixturePath, readFixture } from "./support";

const FILE = "balance_change_from_activity.itemized.3.csv";
const HEADER = "balance_transaction_id,created_utc,currency,gross,fee,net,reporting_category";

describe("parseStripeText", () => {
  describe("when given the itemized balance report fixture", () => {
    const parsed = parseStripeText(readFixture("stripe", FILE), FILE);
    const byId = new Map(parsed.records.map((r) => [r.id.slice(-3), r]));

    it("when it counts the rows, a quoted multi-line memo is one row", () => {
      expect(parsed.counts).to.deep.equal({ read: 23, records: 14, quarantined: 5, ignored: 4, waiting: 0 });
    });

    it("when a row is a charge, it keeps gross and net exactly in 6-decimal units", () => {
      expect(byId.get("002")).to.deep.equal({
        id: "txn_3Q1bKzL2eZvKYlo20pQ1x002",
        createdAt: at("2026-10-02T09:14:22Z"),
        gross: 1_200_000_000n,
        net: 1_164_900_000n,
        category: "charge",
        source: { file: FILE, line: 3 },
      } satisfies StripeRevenueRow);
    });

    it("when refunds, reversals, failures and disputes come in, each keeps its sign", () => {
      const signs = [...byId.values()].map((r) => [r.category, r.gross, r.net]);
      expect(signs).to.deep.include.members([
        ["refund", -200_000_000n, -200_000_000n],
        ["partial_capture_reversal", -50_000_000n, -50_000_000n],
        ["dispute", -500_000_000n, -515_000_000n],
        ["charge_failure", -250_000_000n, -250_000_000n],
        ["refund_failure", 200_000_000n, 200_000_000n],
        ["dispute_reversal", 500_000_000n, 515_000_000n],
      ]);
    });

    it("when the memo has commas, doubled quotes or a line break, the row still parses (numbered by its first line)", () => {
      expect(byId.get("003")?.gross).to.equal(5_000_000_000n);
      expect(byId.get("004")).to.deep.include({ source: { file: FILE, line: 5 }, createdAt: at("2026-10-04T08:00:00Z") });
      expect(byId.get("005")?.source.line).to.equal(7);
    });

    it("when created_utc is ISO 8601 with Z, it reads it too", () => {
      expect(byId.get("020")?.createdAt).to.equal(at("2026-10-30T23:59:59Z"));
    });

    it("when a row is a payout, a fee, a transfer or a topup, it is ignored as not revenue", () => {
      expect(parsed.ignored.map((i) => [i.reason, i.source.line])).to.deep.equal([
        ["not-revenue", 12],
        ["not-revenue", 13],
        ["not-revenue", 14],
        ["not-revenue", 15],
      ]);
    });

    it("when a row is in EUR or malformed, it is quarantined with its reason", () => {
      expect(parsed.quarantined.map((q) => [q.line, q.reason])).to.deep.equal([
        [16, "non-usd"],
        [18, "parse-error"],
        [19, "parse-error"],
        [20, "parse-error"],
        [21, "parse-error"],
      ]);
      expect(parsed.quarantined[1].detail).to.contain("comma");
      expect(parsed.quarantined[2].detail).to.contain("gross − fee ≠ net");
      expect(parsed.quarantined[3].detail).to.contain("created_utc");
      expect(parsed.quarantined[4].detail).to.contain("malformed CSV");
    });
  });

  it("when the category or currency is written in another case, it still recognizes them", () => {
    const parsed = parseStripeText(`${HEADER}\ntxn_1,2026-10-02 00:00:00,USD,1.00,0.00,1.00,Charge\n`);
    expect(parsed.records[0].category).to.equal("charge");
  });

  it("when every revenue category appears, none is ignored", () => {
    const rows = REVENUE_CATEGORIES.map((c, i) => `txn_${i},2026-10-02 00:00:00,usd,1.00,0.00,1.00,${c}`);
    expect(parseStripeText(`${HEADER}\n${rows.join("\n")}\n`).counts.records).to.equal(REVENUE_CATEGORIES.length);
  });

  it("when amounts have more than 6 decimals, no digits or an exponent, it quarantines parse-error", () => {
    for (const gross of ["1.0000001", "", "1e3", "12.", "$5"]) {
      const parsed = parseStripeText(`${HEADER}\ntxn_1,2026-10-02 00:00:00,usd,${gross},0,${gross},charge\n`);
      expect(parsed.quarantined[0]?.reason, gross).to.equal("parse-error");
    }
  });

  it("when the id or the category is empty, it quarantines parse-error", () => {
    expect(parseStripeText(`${HEADER}\n,2026-10-02 00:00:00,usd,1,0,1,charge\n`).quarantined[0].reason).to.equal("parse-error");
    expect(parseStripeText(`${HEADER}\ntxn_1,2026-10-02 00:00:00,usd,1,0,1,\n`).quarantined[0].reason).to.equal("parse-error");
  });

  for (const column of HEADER.split(",")) {
    it(`when the header lacks ${column}, it throws MissingColumnError naming it`, () => {
      const header = HEADER.split(",")
        .filter((c) => c !== column)
        .join(",");
      expect(() => parseStripeText(`${header}\n`))
        .to.throw(MissingColumnError)
        .with.property("column", column);
    });
  }

  it("when the file is empty, it throws MissingHeaderError", () => {
    expect(() => parseStripeText("")).to.throw(MissingHeaderError);
  });
});

describe("readStripeFile", () => {
  it("when streaming the fixture, it yields the same events as parsing its text", async () => {
    const events: SourceEvent<StripeRevenueRow>[] = [];
    const path = fixturePath("stripe", FILE);
    for await (const event of readStripeFile(path)) events.push(event);
    expect(collectEvents(events)).to.deep.equal(parseStripeText(readFixture("stripe", FILE), path));
  });
});

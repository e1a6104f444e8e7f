import { expect } from "chai";
import { MissingColumnError, MissingHeaderError } from "../../oracle/sources/columns";
import { DecimalCommaError } from "../../oracle/sources/amounts";
import { FxTable, type FxRate } from "../../oracle/sources/fx";
import { CONNECT_CATEGORIES, parseStripeText, readStripeFile, REVENUE_CATEGORIES, type RevenueQuarantineEntry, type StripeRevenueRow } from "../../oracle/sources/stripe";
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
        currency: "USD",
        customerFacing: { amount: "1200.00", currency: "USD" },
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

    it("when a row is in EUR with no rate, malformed, or its net is not gross − fee, it is quarantined with its reason", () => {
      expect(parsed.quarantined.map((q) => [q.line, q.reason])).to.deep.equal([
        [16, "no-fx-rate"],
        [18, "parse-error"],
        [19, "net-mismatch"],
        [20, "parse-error"],
        [21, "parse-error"],
      ]);
      expect(parsed.quarantined[0].detail).to.equal(
        "currency EUR on 2026-10-19: no fxRates file is configured, so it cannot be converted to USD; configure fxRates with the rate of that date, or reject the row",
      );
      expect(parsed.quarantined[1].detail).to.contain("comma");
      // both figures, and what accepting it would count
      expect(parsed.quarantined[2].detail).to.equal(
        "gross − fee = 291.00 usd but net = 290.00 usd (gross 300.00, fee 9.00): Stripe's fee is positive when charged and net = gross − fee. " +
          "Accept it to count gross 300.00 and net 290.00 as written, or reject it.",
      );
      expect((parsed.quarantined[2] as RevenueQuarantineEntry).ifAccepted).to.deep.include({ id: "txn_3Q1qKzL2eZvKYlo20pQ1x017", gross: 300n * 1_000_000n, net: 290n * 1_000_000n });
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

describe("Stripe's sign convention (fee positive, net = gross − fee)", () => {
  it("when a refund, a dispute and its reversal follow it, they read with their signs; a reversed fee is quarantined net-mismatch with both figures", () => {
    const parsed = parseStripeText(
      [
        HEADER,
        "txn_c,2026-10-02 00:00:00,usd,100.00,3.20,96.80,charge",
        "txn_r,2026-10-03 00:00:00,usd,-100.00,0.00,-100.00,refund",
        "txn_d,2026-10-04 00:00:00,usd,-100.00,15.00,-115.00,dispute",
        "txn_w,2026-10-05 00:00:00,usd,100.00,-15.00,115.00,dispute_reversal",
        "txn_bad,2026-10-06 00:00:00,usd,100.00,-3.20,96.80,charge",
      ].join("\n"),
    );
    expect(parsed.records.map((r) => [r.id, r.gross, r.net])).to.deep.equal([
      ["txn_c", 100_000_000n, 96_800_000n],
      ["txn_r", -100_000_000n, -100_000_000n],
      ["txn_d", -100_000_000n, -115_000_000n],
      ["txn_w", 100_000_000n, 115_000_000n],
    ]);
    expect(parsed.quarantined[0]).to.deep.include({ reason: "net-mismatch", line: 6 });
    expect(parsed.quarantined[0].detail).to.match(/^gross − fee = 103\.20 usd but net = 96\.80 usd \(gross 100\.00, fee -3\.20\).*this row has the fee's sign reversed/);
  });
});

describe("Stripe Connect categories", () => {
  const rows = [
    HEADER,
    "txn_pe,2026-10-02 00:00:00,usd,30.00,0.00,30.00,platform_earning",
    "txn_per,2026-10-03 00:00:00,usd,-5.00,0.00,-5.00,platform_earning_refund",
    "txn_cct,2026-10-04 00:00:00,usd,12.00,0.00,12.00,connect_collection_transfer",
  ].join("\n");

  it("when the agreement does not add them, they are not revenue (ignored)", () => {
    expect(parseStripeText(rows).counts).to.deep.include({ records: 0, ignored: 3 });
  });

  it("when the agreement adds them (extraCategories), each counts with its sign", () => {
    const parsed = parseStripeText(rows, "<text>", { extraCategories: CONNECT_CATEGORIES });
    expect(parsed.records.map((r) => [r.category, r.gross])).to.deep.equal([
      ["platform_earning", 30_000_000n],
      ["platform_earning_refund", -5_000_000n],
      ["connect_collection_transfer", 12_000_000n],
    ]);
  });
});

describe("Stripe rows in other currencies", () => {
  const rate = (date: string, currency: string, text: string, numerator: bigint, scale: number): [string, FxRate] => [
    `${currency}:${date}`,
    { date, currency, usdPerUnit: text, numerator, scale },
  ];
  const fx = new FxTable("rates.csv", new Map([rate("2026-11-18", "EUR", "1.0797", 10_797n, 4), rate("2026-11-19", "JPY", "0.006543", 6_543n, 6)]));

  it("when the rate of the row's UTC date is there, gross and net convert exactly, rounded toward zero, and the conversion is kept", () => {
    const parsed = parseStripeText(
      [
        `${HEADER},customer_facing_amount,customer_facing_currency`,
        "txn_eur,2026-11-18 09:30:00,eur,1800.00,52.50,1747.50,charge,1800.00,eur",
        "txn_eur_r,2026-11-18 23:59:59,eur,-10.123457,0.00,-10.123457,refund,,",
        "txn_jpy,2026-11-19 00:00:00,jpy,12345,0,12345,charge,,",
      ].join("\n"),
      "<text>",
      { fx },
    );
    expect(parsed.quarantined).to.deep.equal([]);
    const [eur, refund, jpy] = parsed.records;
    // 1800.00 × 1.0797 = 1943.46; 1747.50 × 1.0797 = 1886.77575 → 1886.775750
    expect([eur.gross, eur.net, eur.currency]).to.deep.equal([1_943_460_000n, 1_886_775_750n, "EUR"]);
    expect(eur.conversion?.gross).to.deep.equal({ currency: "EUR", date: "2026-11-18", usdPerUnit: "1.0797", amount: 1_800_000_000n, usd: 1_943_460_000n });
    expect(eur.customerFacing).to.deep.equal({ amount: "1800.00", currency: "EUR" });
    // −10.123457 × 1.0797 = −10.9302965229: toward zero (−10.930296), never toward −∞ (−10.930297)
    expect(refund.gross).to.equal(-10_930_296n);
    // 12345 × 0.006543 = 80.773335
    expect(jpy.gross).to.equal(80_773_335n);
  });

  it("when the date or the currency has no rate, the row is quarantined no-fx-rate naming the line to add", () => {
    const parsed = parseStripeText(`${HEADER}\ntxn_x,2026-11-20 00:00:00,eur,10.00,0.00,10.00,charge\ntxn_y,2026-11-18 10:00:00,chf,10.00,0.00,10.00,charge\n`, "<text>", { fx });
    expect(parsed.quarantined.map((q) => [q.reason, q.detail])).to.deep.equal([
      ["no-fx-rate", "currency EUR on 2026-11-20: rates.csv has no rate for it; add the line 2026-11-20,EUR,<usd_per_unit>, or reject the row"],
      ["no-fx-rate", "currency CHF on 2026-11-18: rates.csv has no rate for it; add the line 2026-11-18,CHF,<usd_per_unit>, or reject the row"],
    ]);
    expect((parsed.quarantined[0] as RevenueQuarantineEntry).createdAt).to.equal(at("2026-11-20T00:00:00Z"));
  });
});

describe("decimal commas", () => {
  it("when an amount is written with a decimal comma, the whole report is refused with the fix, not read row by row", () => {
    const text = `${HEADER}\ntxn_1,2026-10-02 00:00:00,usd,10.00,0.30,9.70,charge\ntxn_2,2026-10-02 00:00:00,usd,"1.234,56","35,80","1.198,76",charge\n`;
    expect(() => parseStripeText(text, "eu.csv"))
      .to.throw(DecimalCommaError)
      .with.property("message")
      .that.matches(/^eu\.csv is written with decimal commas \(gross "1\.234,56", line 3\); none of its rows was read\. Export it again .* or pass --decimal-comma/);
    // a thousands separator with a decimal point is not a decimal comma: that row alone is a parse error
    expect(parseStripeText(`${HEADER}\ntxn_1,2026-10-02 00:00:00,usd,"1,234.00",0,"1,234.00",charge\n`).quarantined[0].reason).to.equal("parse-error");
  });

  it("when asked to (--decimal-comma), it reads 1.234,56 as 1234.56, also from a ;-separated file", () => {
    const comma = parseStripeText(`${HEADER}\ntxn_2,2026-10-02 00:00:00,usd,"1.234,56","35,80","1.198,76",charge\n`, "eu.csv", { decimalComma: true });
    expect(comma.records.map((r) => [r.gross, r.net])).to.deep.equal([[1_234_560_000n, 1_198_760_000n]]);
    const semicolons = `${HEADER.replace(/,/g, ";")}\ntxn_3;2026-10-02 00:00:00;usd;12,50;0,50;12,00;charge\n`;
    expect(() => parseStripeText(semicolons, "eu.csv")).to.throw(DecimalCommaError, /fields separated by ";"/);
    expect(parseStripeText(semicolons, "eu.csv", { decimalComma: true, delimiter: ";" }).records[0].net).to.equal(12_000_000n);
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

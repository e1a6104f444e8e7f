// Reference rates (SERVICES §3 "Currencies"): the rate file's rules and the exact conversion.
import { expect } from "chai";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ConfigError } from "../../sdk/errors";
import { convertAmounts, convertUnits, loadFxRates, utcDate } from "../../oracle/sources/fx";
import { at } from "./support";

describe("loadFxRates", () => {
  const dir = mkdtempSync(join(tmpdir(), "dsx-fx-"));
  const file = (name: string, text: string) => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };
  const refused = (text: string) => {
    try {
      loadFxRates(file("bad.csv", text));
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as ConfigError).setting).to.equal("fxRates");
      return (err as Error).message;
    }
    throw new Error("expected a ConfigError");
  };

  it("when the file is well formed (columns in any order, repeated identical lines), it keeps every rate exactly", () => {
    const fx = loadFxRates(file("ok.csv", "usd_per_unit,date,currency,source\n1.0797,2026-11-18,eur,ECB\n0.006543,2026-11-18,JPY,ECB\n1.0797,2026-11-18,EUR,ECB\n1,2026-11-18,USD,\n"));
    expect(fx.size).to.equal(3);
    expect(fx.rateOf("eur", "2026-11-18")).to.deep.equal({ date: "2026-11-18", currency: "EUR", usdPerUnit: "1.0797", numerator: 10_797n, scale: 4 });
    expect(fx.rateOf("EUR", "2026-11-19")).to.equal(undefined);
  });

  it("when a line breaks a rule, the whole file is refused naming the line and the fix", () => {
    expect(refused("")).to.match(/line 1: the file is empty/);
    expect(refused("day,currency,usd_per_unit\n")).to.match(/line 1: the header has no "date" column/);
    expect(refused("date,currency,usd_per_unit\n2026-02-30,EUR,1.08\n")).to.match(/line 2: date "2026-02-30" is not a calendar date/);
    expect(refused("date,currency,usd_per_unit\n2026-11-18,EURO,1.08\n")).to.match(/currency "EURO" is not a three-letter/);
    expect(refused("date,currency,usd_per_unit\n2026-11-18,EUR,\"1,08\"\n")).to.match(/usd_per_unit "1,08" is not a decimal number with a "\." point/);
    expect(refused("date,currency,usd_per_unit\n2026-11-18,EUR,0\n")).to.match(/usd_per_unit is 0/);
    expect(refused("date,currency,usd_per_unit\n2026-11-18,USD,1.01\n")).to.match(/a USD rate must be 1/);
    expect(refused("date,currency,usd_per_unit\n2026-11-18,EUR,1.08\n2026-11-18,EUR,1.09\n")).to.match(/line 3: EUR on 2026-11-18 appears again with another rate \(1\.08, then 1\.09\)/);
  });
});

describe("convertUnits and convertAmounts", () => {
  it("when converting, the product is exact and rounded toward zero to 6 decimals", () => {
    expect(convertUnits(1_000_000n, { numerator: 1_234_567n, scale: 7 })).to.equal(123_456n); // 1 × 0.1234567
    expect(convertUnits(-1_000_000n, { numerator: 1_234_567n, scale: 7 })).to.equal(-123_456n);
    // a charge and its full refund at the same rate cancel exactly
    const rate = { numerator: 10_797n, scale: 4 };
    expect(convertUnits(10_123_457n, rate) + convertUnits(-10_123_457n, rate)).to.equal(0n);
  });

  it("when the row is USD no conversion is recorded; otherwise the UTC date picks the rate", () => {
    expect(convertAmounts(undefined, "usd", 0n, { a: 5n })).to.deep.equal({ ok: true, usd: { a: 5n }, conversions: undefined });
    expect(utcDate(at("2026-11-18T23:59:59-05:00"))).to.equal("2026-11-19");
    const out = convertAmounts(undefined, "eur", at("2026-11-18T00:00:00Z"), { a: 5n });
    expect(out.ok).to.equal(false);
  });
});

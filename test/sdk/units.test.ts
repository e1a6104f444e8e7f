import { expect } from "chai";
import fc from "fast-check";
import { maxUint256 } from "viem";
import { ValidationError } from "../../sdk/errors";
import { UNIT, formatUnits6, parseUnits6 } from "../../sdk/units";

describe("parseUnits6", () => {
  it("when given human decimals, it returns exact base units", () => {
    expect(parseUnits6("1250.5")).to.equal(1_250_500_000n);
    expect(parseUnits6("-12.34")).to.equal(-12_340_000n);
    expect(parseUnits6("0.000001")).to.equal(1n);
    expect(parseUnits6("0")).to.equal(0n);
    expect(parseUnits6("-0")).to.equal(0n);
    expect(parseUnits6("007.10")).to.equal(7_100_000n);
    expect(parseUnits6("100000")).to.equal(100_000n * UNIT);
    expect(parseUnits6("1.000000")).to.equal(UNIT);
  });

  it("when given the largest uint256 amount, it accepts it, and refuses one unit more", () => {
    const whole = maxUint256 / UNIT;
    const fraction = (maxUint256 % UNIT).toString().padStart(6, "0");
    expect(parseUnits6(`${whole}.${fraction}`)).to.equal(maxUint256);
    expect(() => parseUnits6(`${whole + 1n}`)).to.throw(ValidationError, "too large");
    expect(() => parseUnits6("9".repeat(100))).to.throw(ValidationError, "too large");
  });

  const rejections: [input: string, reason: string, fix: string][] = [
    ["", "is empty", "Write a decimal number"],
    [" 12", "contains whitespace", "Remove the spaces"],
    ["12 ", "contains whitespace", "Remove the spaces"],
    ["1,250.50", "contains a comma", "no thousands separators"],
    ["12,5", "contains a comma", 'Use "." as the decimal point'],
    ["1e6", "exponent notation", "Write out all the digits"],
    ["1.5E-3", "exponent notation", "Write out all the digits"],
    [".5", 'starts with "."', 'Write a 0 before the point: "0.5"'],
    ["-.5", 'starts with "."', '"-0.5"'],
    ["5.", 'ends with "."', 'Drop the point: "5"'],
    ["1.0000001", "has 7 decimal places", "Round it to 6 decimal places"],
    ["0.0000010", "has 7 decimal places", "Round it to 6 decimal places"],
    ["+5", "is not a decimal number", 'optional leading "-"'],
    ["--5", "is not a decimal number", 'optional leading "-"'],
    ["1.2.3", "is not a decimal number", 'optional leading "-"'],
    ["abc", "is not a decimal number", 'optional leading "-"'],
    ["NaN", "is not a decimal number", 'optional leading "-"'],
    ["Infinity", "is not a decimal number", 'optional leading "-"'],
    ["0x10", "is not a decimal number", 'optional leading "-"'],
    ["−5", "is not a decimal number", 'optional leading "-"'], // U+2212 minus sign
    ["1_000", "is not a decimal number", 'optional leading "-"'],
  ];
  for (const [input, reason, fix] of rejections) {
    it(`when given ${JSON.stringify(input)}, it refuses it naming the input and the fix`, () => {
      expect(() => parseUnits6(input))
        .to.throw(ValidationError)
        .with.property("message")
        .that.includes(reason)
        .and.includes(fix)
        .and.includes(input === "" ? "Amount" : JSON.stringify(input));
    });
  }

  it("when allowNegative is false, it refuses a negative amount and still accepts -0", () => {
    expect(() => parseUnits6("-0.000001", { allowNegative: false })).to.throw(ValidationError, "is negative");
    expect(parseUnits6("-0", { allowNegative: false })).to.equal(0n);
    expect(parseUnits6("3", { allowNegative: false })).to.equal(3n * UNIT);
  });

  it("when given a number instead of text, it refuses it", () => {
    // A JavaScript caller can bypass the types; a float must never get in.
    expect(() => parseUnits6(12.5 as unknown as string)).to.throw(ValidationError, "must be text, got a number");
  });
});

describe("formatUnits6", () => {
  it("when formatting, it prints the minimal form, or 6 places when fixed", () => {
    expect(formatUnits6(1_250_500_000n)).to.equal("1250.5");
    expect(formatUnits6(1_250_500_000n, { fixed: true })).to.equal("1250.500000");
    expect(formatUnits6(0n)).to.equal("0");
    expect(formatUnits6(0n, { fixed: true })).to.equal("0.000000");
    expect(formatUnits6(1n)).to.equal("0.000001");
    expect(formatUnits6(-1n)).to.equal("-0.000001");
    expect(formatUnits6(-12_340_000n)).to.equal("-12.34");
    expect(formatUnits6(400_000_001n)).to.equal("400.000001");
    expect(formatUnits6(5n * UNIT)).to.equal("5");
  });

  it("when given a number instead of a bigint, it refuses it", () => {
    expect(() => formatUnits6(1 as unknown as bigint)).to.throw(ValidationError, "must be a bigint");
  });

  it("when round-tripping any value, it gives the value back (both forms)", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -maxUint256, max: maxUint256 }), (value) => {
        expect(parseUnits6(formatUnits6(value))).to.equal(value);
        expect(parseUnits6(formatUnits6(value, { fixed: true }))).to.equal(value);
      }),
    );
  });

  it("when round-tripping canonical text, it gives the text back", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.nat({ max: 999_999 }), fc.boolean(), (whole, frac, neg) => {
        const fraction = frac.toString().padStart(6, "0").replace(/0+$/, "");
        const text = `${neg && (whole > 0n || frac > 0) ? "-" : ""}${whole}${fraction ? `.${fraction}` : ""}`;
        expect(formatUnits6(parseUnits6(text))).to.equal(text);
      }),
    );
  });
});

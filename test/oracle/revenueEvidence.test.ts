import { expect } from "chai";
import fc from "fast-check";
import { keccak256, stringToBytes } from "viem";
import { ValidationError } from "../../sdk/errors";
import { canonicalJson, canonicalJsonString, periodEvidence, revenueEvidence } from "../../oracle/revenue/evidence";
import { assignPeriods, onBase } from "../../oracle/revenue/periods";
import { parseStripeText } from "../../oracle/sources/stripe";
import { at, readFixture } from "./support";

describe("canonicalJsonString", () => {
  it("when given the RFC 8785 §3.2.2.2 sample string, it serializes it exactly as the RFC shows", () => {
    // eslint-disable-next-line no-useless-escape -- RFC 8785's sample string, verbatim
    const sample = "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/";
    expect(canonicalJsonString(sample)).to.equal('"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"');
  });

  it("when a control character is below U+0020, it uses the short escapes or \\u00xx in lower-case hex", () => {
    const all = Array.from({ length: 0x20 }, (_, c) => String.fromCharCode(c)).join("");
    expect(canonicalJsonString(all)).to.equal(
      '"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f' +
        '\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"',
    );
  });

  it("when the string has DEL, a slash, non-ASCII or a surrogate pair, it leaves them as they are", () => {
    expect(canonicalJsonString("\u007f/é😀")).to.equal('"\u007f/é😀"');
  });

  it("when the string has a lone surrogate, it throws ValidationError (not I-JSON)", () => {
    expect(() => canonicalJsonString("a\ud800b")).to.throw(ValidationError);
    expect(() => canonicalJsonString("\udc00")).to.throw(ValidationError);
    expect(() => canonicalJsonString("\ud800")).to.throw(ValidationError);
  });

  it("when the string is well-formed, it matches ECMAScript JSON.stringify (which RFC 8785 builds on)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme-composite" }), fc.string({ unit: "binary" }), (a, b) => {
        expect(canonicalJsonString(a)).to.equal(JSON.stringify(a));
        expect(canonicalJsonString(b)).to.equal(JSON.stringify(b));
      }),
      { numRuns: 500 },
    );
  });
});

describe("canonicalJson", () => {
  it("when given nested arrays of strings, it writes them without whitespace", () => {
    expect(canonicalJson([["a", "1"], [], ["b"]])).to.equal('[["a","1"],[],["b"]]');
    expect(canonicalJson([])).to.equal("[]");
  });
});

describe("revenueEvidence", () => {
  it("when there is no carry, it hashes the sorted [id, units] pairs", () => {
    const evidence = revenueEvidence(
      [
        { id: "txn_b", amount: -500_000n },
        { id: "txn_a", amount: 12_340_000n },
      ],
      0n,
    );
    expect(evidence.json).to.equal('[["txn_a","12340000"],["txn_b","-500000"]]');
    expect(evidence.evidenceHash).to.equal(keccak256(stringToBytes(evidence.json)));
  });

  it('when an amount was carried in, it appends ["carry", units] after the sorted pairs', () => {
    const evidence = revenueEvidence([{ id: "txn_z", amount: 1n }], -2_920_000_000n);
    expect(evidence.json).to.equal('[["txn_z","1"],["carry","-2920000000"]]');
  });

  it("when the period is empty, it hashes []", () => {
    expect(revenueEvidence([], 0n)).to.deep.equal({ json: "[]", evidenceHash: keccak256(stringToBytes("[]")) });
  });

  it("when an id needs escaping, the JSON escapes it canonically", () => {
    expect(revenueEvidence([{ id: 'inv "7"\n', amount: 5n }], 0n).json).to.equal('[["inv \\"7\\"\\n","5"]]');
  });

  it("when two items share an id, it throws ValidationError", () => {
    expect(() =>
      revenueEvidence(
        [
          { id: "a", amount: 1n },
          { id: "a", amount: 2n },
        ],
        0n,
      ),
    ).to.throw(ValidationError);
  });

  it("when given a computed period of the Stripe fixture, it includes the carry and is stable across runs", () => {
    const rows = parseStripeText(readFixture("stripe", "balance_change_from_activity.itemized.3.csv")).records;
    const schedule = { startTime: at("2026-10-01T00:00:00Z"), periodDuration: 30n * 86_400n, periodCount: 12 };
    const run = () => assignPeriods({ schedule, transactions: onBase(rows, "gross"), now: 0n });
    const period2 = periodEvidence(run().periods[2]);
    expect(period2.json).to.equal('[["txn_3Q1wKzL2eZvKYlo20pQ1x023","1000000000"],["carry","-2920000000"]]');
    expect(periodEvidence(run().periods[2]).evidenceHash).to.equal(period2.evidenceHash);
    const reversed = assignPeriods({ schedule, transactions: onBase([...rows].reverse(), "gross"), now: 0n });
    expect(periodEvidence(reversed.periods[0]).evidenceHash).to.equal(periodEvidence(run().periods[0]).evidenceHash);
  });
});

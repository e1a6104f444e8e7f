// RFC 8785 canonical JSON: the one function both on-chain hashes use (sdk/canonicalJson.ts, the `canonicalize`
// package: the auditor's reportHash and the revenue oracle's evidenceHash), against the RFC's own samples and
// against the two hand-written serializers it replaced, kept below verbatim as they were.
import { expect } from "chai";
import fc from "fast-check";
import assert from "node:assert/strict";
import { reportJson } from "../../auditor/report/build";
import { canonicalize, isCanonical } from "../../auditor/report/canonical";
import { canonicalJson, type JsonValue } from "../../sdk/canonicalJson";
import { ValidationError } from "../../sdk/errors";

/** The auditor's serializer before (auditor/report/canonical.ts): right but for lone surrogates, which it wrote as \uXXXX escapes. */
type OldJsonValue = string | number | boolean | null | OldJsonValue[] | { [key: string]: OldJsonValue };
function oldAuditorCanonicalize(value: OldJsonValue): string {
  if (value === null || typeof value === "boolean" || typeof value === "string") return JSON.stringify(value);
  if (typeof value === "number") {
    if (!Number.isSafeInteger(value)) throw new Error(`Report numbers must be safe integers, not ${value}.`);
    return JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(oldAuditorCanonicalize).join(",")}]`;
  const keys = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return `{${keys.filter((k) => value[k] !== undefined).map((k) => `${JSON.stringify(k)}:${oldAuditorCanonicalize(value[k])}`).join(",")}}`;
}

/** The revenue oracle's serializer before (oracle/revenue/evidence.ts): strings and nested arrays of strings only. */
type CanonicalValue = string | readonly CanonicalValue[];
const SHORT_ESCAPES: Record<number, string> = { 0x08: "\\b", 0x09: "\\t", 0x0a: "\\n", 0x0c: "\\f", 0x0d: "\\r" };
function oracleCanonicalJsonString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x22) out += '\\"';
    else if (c === 0x5c) out += "\\\\";
    else if (c < 0x20) out += SHORT_ESCAPES[c] ?? `\\u${c.toString(16).padStart(4, "0")}`;
    else if (c >= 0xd800 && c <= 0xdbff) {
      const low = value.charCodeAt(i + 1);
      if (!(low >= 0xdc00 && low <= 0xdfff)) throw new ValidationError(`lone surrogate at ${i}`);
      out += value[i] + value[i + 1];
      i++;
    } else if (c >= 0xdc00 && c <= 0xdfff) throw new ValidationError(`lone surrogate at ${i}`);
    else out += value[i];
  }
  return `${out}"`;
}
function oracleCanonicalJson(value: CanonicalValue): string {
  if (typeof value === "string") return oracleCanonicalJsonString(value);
  return `[${value.map(oracleCanonicalJson).join(",")}]`;
}

/** Whether a string (value or key) of `value` holds a lone surrogate, by code units. */
function hasLoneSurrogate(value: unknown): boolean {
  const lone = (s: string) => {
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && s.charCodeAt(i + 1) >= 0xdc00 && s.charCodeAt(i + 1) <= 0xdfff) i++;
      else if (c >= 0xd800 && c <= 0xdfff) return true;
    }
    return false;
  };
  if (typeof value === "string") return lone(value);
  if (Array.isArray(value)) return value.some(hasLoneSurrogate);
  if (value !== null && typeof value === "object") return Object.entries(value).some(([k, v]) => lone(k) || hasLoneSurrogate(v));
  return false;
}

/** The outcome of `fn`: its text, or the class of what it threw. */
function outcome(fn: () => string): { text: string } | { threw: string } {
  try {
    return { text: fn() };
  } catch (err) {
    return { threw: err instanceof ValidationError ? "ValidationError" : "Error" };
  }
}

describe("canonical JSON (RFC 8785)", function () {
  this.timeout(120_000);

  describe("the RFC's samples", function () {
    it("§3.2.2.2: the sample string is escaped exactly as the RFC shows", function () {
      // eslint-disable-next-line no-useless-escape -- RFC 8785's sample string, verbatim
      const sample = "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/";
      expect(canonicalJson(sample)).to.equal('"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"');
      // every control character below U+0020: the short escapes, else \u00xx in lower-case hex
      const controls = Array.from({ length: 0x20 }, (_, c) => String.fromCharCode(c)).join("");
      expect(canonicalJson(controls)).to.equal(
        '"\\u0000\\u0001\\u0002\\u0003\\u0004\\u0005\\u0006\\u0007\\b\\t\\n\\u000b\\f\\r\\u000e\\u000f' +
          '\\u0010\\u0011\\u0012\\u0013\\u0014\\u0015\\u0016\\u0017\\u0018\\u0019\\u001a\\u001b\\u001c\\u001d\\u001e\\u001f"',
      );
      expect(canonicalJson("\u007f/é😀")).to.equal('"\u007f/é😀"');
    });

    it("§3.2.2: the sample object (numbers, the sample string, literals) serializes as the RFC shows", function () {
      const input = JSON.parse('{"numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001], "string": "\\u20ac$\\u000F\\u000aA\'\\u0042\\u0022\\u005c\\\\\\"\\/", "literals": [null, true, false]}') as JsonValue;
      expect(canonicalJson(input)).to.equal('{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\\u000f\\nA\'B\\"\\\\\\\\\\"/"}');
    });

    it("§3.2.3: keys are sorted by UTF-16 code units", function () {
      const input = { "\u20ac": "Euro Sign", "\r": "Carriage Return", "\ufb33": "Hebrew Letter Dalet With Dagesh", "1": "One", "\ud83d\ude00": "Emoji: Grinning Face", "\u0080": "Control", "\u00f6": "Latin Small Letter O With Diaeresis" };
      expect(canonicalJson(input)).to.equal(
        '{"\\r":"Carriage Return","1":"One","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis","\u20ac":"Euro Sign",' +
          '"\ud83d\ude00":"Emoji: Grinning Face","\ufb33":"Hebrew Letter Dalet With Dagesh"}',
      );
    });

    it("Appendix B: numbers as the RFC's table gives them, from their IEEE 754 bits", function () {
      const table: [string, string][] = [
        ["0000000000000000", "0"], ["8000000000000000", "0"], ["0000000000000001", "5e-324"], ["8000000000000001", "-5e-324"],
        ["7fefffffffffffff", "1.7976931348623157e+308"], ["ffefffffffffffff", "-1.7976931348623157e+308"],
        ["4340000000000000", "9007199254740992"], ["c340000000000000", "-9007199254740992"], ["4430000000000000", "295147905179352830000"],
        ["44b52d02c7e14af5", "9.999999999999997e+22"], ["44b52d02c7e14af6", "1e+23"], ["44b52d02c7e14af7", "1.0000000000000001e+23"],
        ["444b1ae4d6e2ef4e", "999999999999999700000"], ["444b1ae4d6e2ef4f", "999999999999999900000"], ["444b1ae4d6e2ef50", "1e+21"],
        ["3eb0c6f7a0b5ed8c", "9.999999999999997e-7"], ["3eb0c6f7a0b5ed8d", "0.000001"],
        ["41b3de4355555553", "333333333.3333332"], ["41b3de4355555554", "333333333.33333325"], ["41b3de4355555555", "333333333.3333333"],
        ["41b3de4355555556", "333333333.3333334"], ["41b3de4355555557", "333333333.33333343"],
        ["becbf647612f3696", "-0.0000033333333333333333"], ["43143ff3c1cb0959", "1424953923781206.2"],
      ];
      for (const [bits, text] of table) expect(canonicalJson(Buffer.from(bits, "hex").readDoubleBE(0)), bits).to.equal(text);
      // NaN and Infinity have no JSON form
      for (const bits of ["7fffffffffffffff", "7ff0000000000000"]) expect(() => canonicalJson(Buffer.from(bits, "hex").readDoubleBE(0)), bits).to.throw(Error);
    });

    it("§3.2.2.2: a lone surrogate, in a value or a key, is refused (ValidationError)", function () {
      for (const bad of ["a\ud800b", "\udc00", "\ud800", "\ude00\ud83d"]) {
        expect(() => canonicalJson(bad), JSON.stringify(bad)).to.throw(ValidationError, /lone surrogate/);
        expect(() => canonicalJson([["x", bad]])).to.throw(ValidationError);
        expect(() => canonicalJson({ [bad]: "x" })).to.throw(ValidationError);
      }
    });
  });

  describe("against the serializers it replaced (40 000 random values each)", function () {
    // fast-check's own units never draw a lone surrogate: one unit of four is a surrogate code unit on its own
    const surrogate = fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c));
    const units = [
      "grapheme", "grapheme-composite", "binary-ascii",
      fc.oneof({ weight: 3, arbitrary: fc.string({ unit: "binary", minLength: 1, maxLength: 1 }) }, { weight: 1, arbitrary: surrogate }),
    ] as const;
    /** JSON values whose strings and keys are drawn with `unit`; most numbers are safe integers (a report's), some any double. */
    const jsonOf = (unit: (typeof units)[number]) => fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof(
        { depthSize: "small", maxDepth: 3, withCrossShrink: true },
        fc.constant(null), fc.boolean(), fc.maxSafeInteger(), fc.double(), fc.string({ unit, maxLength: 12 }),
        fc.array(tie("value"), { maxLength: 5 }),
        fc.dictionary(fc.string({ unit, maxLength: 8 }), tie("value"), { maxKeys: 5 }),
      ),
    })).value;
    const anyJson = fc.oneof(...units.map(jsonOf));
    // node's assert inside the properties: Hardhat's chai matchers make 40 000 deep comparisons slow

    it("the auditor's: the same text or the same refusal (an unsafe number), but for lone surrogates, now refused", function () {
      let lone = 0;
      let refused = 0;
      let same = 0;
      fc.assert(
        fc.property(anyJson, (value) => {
          const now = outcome(() => canonicalize(value as JsonValue));
          const before = outcome(() => oldAuditorCanonicalize(value as OldJsonValue));
          if (hasLoneSurrogate(value) && "text" in before) {
            lone += 1;
            // where the old one was wrong: it wrote a text RFC 8785 forbids
            assert.deepEqual(now, { threw: "ValidationError" });
          } else if (hasLoneSurrogate(value)) {
            // refused before for an unsafe number, now for that number or the surrogate, whichever it met first
            assert.ok("threw" in now);
          } else {
            if ("threw" in before) refused += 1;
            else same += 1;
            assert.deepEqual(now, before);
          }
        }),
        { numRuns: 40_000, seed: 8785 },
      );
      // both cases were drawn, not only the plain one
      expect(same).to.be.greaterThan(20_000);
      expect(lone).to.be.greaterThan(1_000);
      expect(refused).to.be.greaterThan(1_000);
    });

    it("the revenue oracle's: the same text or the same refusal (a lone surrogate), on strings and nested arrays of strings", function () {
      const strings = fc.oneof(...units.map((unit) => fc.string({ unit, maxLength: 12 })));
      const evidence = fc.letrec<{ value: CanonicalValue }>((tie) => ({
        value: fc.oneof({ depthSize: "small", withCrossShrink: true }, strings, fc.array(tie("value"), { maxLength: 5 })),
      })).value;
      let lone = 0;
      fc.assert(
        fc.property(evidence, (value) => {
          const now = outcome(() => canonicalJson(value));
          if ("threw" in now) lone += 1;
          assert.deepEqual(now, outcome(() => oracleCanonicalJson(value)));
        }),
        { numRuns: 40_000, seed: 8785 },
      );
      expect(lone).to.be.greaterThan(1_000);
    });
  });

  describe("the report", function () {
    it("when a text from an evidence file holds a lone surrogate, the report writes it as its \\uXXXX escape and stays canonical", function () {
      const report = { figure: "record a\ud800b [0, 60)", fine: "😀", nested: [{ id: "\udfff" }] };
      const json = canonicalize(reportJson(report as unknown as Parameters<typeof reportJson>[0]));
      expect(json).to.equal('{"figure":"record a\\\\ud800b [0, 60)","fine":"😀","nested":[{"id":"\\\\udfff"}]}');
      expect(isCanonical(json)).to.equal(true);
      // the old way (a \ud800 escape in the file) is not canonical any more
      expect(isCanonical('{"a":"\\ud800"}')).to.equal(false);
    });
  });
});

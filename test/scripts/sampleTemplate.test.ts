// scripts/sample/template.ts: the sample's prose templates are filled exactly, or refused.
import { expect } from "chai";
import { STARTUPS } from "../../demo/program";
import { fillTemplate } from "../../scripts/sample/template";
import { termsDocument } from "../../scripts/sample/terms";

describe("scripts/sample/template.ts", function () {
  it("when every key has a value, no placeholder is left", function () {
    for (const s of STARTUPS) expect(termsDocument(s)).to.include(s.name).and.not.match(/\{\{|\}\}/);
  });

  it("when the template names a key without a value, it refuses naming the key", function () {
    expect(() => fillTemplate("terms.template.md", {})).to.throw("terms.template.md names {{name}}, which has no value");
  });

  it("when a value is not used by the template, it refuses naming the value", function () {
    const values = { name: "n", creditLimit: 1, periods: 1, periodDays: 30, start: "s", end: "e", revenueSharePercent: 8, base: "net", baseMeaning: "m",
      capMultiple: 1.5, capMultipleBps: 15_000, graceDays: 15, partnerFirstPercent: 60, partners: "p" };
    expect(fillTemplate("terms.template.md", values)).to.include("# DSX compute-credit agreement: n\n");
    expect(() => fillTemplate("terms.template.md", { ...values, stray: "x" })).to.throw("terms.template.md does not use stray");
  });
});

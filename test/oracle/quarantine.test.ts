import { expect } from "chai";
import { parseMeteringText } from "../../oracle/sources/metering";
import { parseRevenueCsvText } from "../../oracle/sources/revenueCsv";
import { parseSlurmText } from "../../oracle/sources/slurm";
import { parseStripeText } from "../../oracle/sources/stripe";
import { QUARANTINE_REASONS, type QuarantineReason } from "../../oracle/sources/types";
import { lineRejected } from "../../oracle/usage/plan";
import { carryLateSlices, sliceRecord } from "../../oracle/usage/slicing";
import { at, readFixture, sydneyConfig } from "./support";

describe("QUARANTINE_REASONS", () => {
  it("when every fixture, the late-slice rule and the refused-line rule run, each reason of the closed set is produced and no other", () => {
    const seen = new Set<QuarantineReason>();
    const entries = [
      ...parseSlurmText(readFixture("slurm", "sacct-2026-10-03.txt"), sydneyConfig).quarantined,
      ...parseSlurmText(readFixture("slurm", "sacct-without-X.txt"), sydneyConfig).quarantined,
      ...parseMeteringText(readFixture("metering", "meter-2026-10-03.jsonl"), sydneyConfig, "m.jsonl").quarantined,
      ...parseMeteringText(readFixture("metering", "meter-2026-10-03.csv"), sydneyConfig, "m.csv").quarantined,
      ...parseStripeText(readFixture("stripe", "balance_change_from_activity.itemized.3.csv")).quarantined,
      ...parseRevenueCsvText(readFixture("revenue", "generic-revenue.csv")).quarantined,
      ...parseRevenueCsvText(readFixture("revenue", "generic-revenue-currency.csv")).quarantined,
    ];
    for (const entry of entries) {
      seen.add(entry.reason);
      expect(entry.detail, entry.raw).to.be.a("string").that.does.not.equal("");
      expect(entry.line).to.be.above(0);
    }
    const start = at("2026-10-03T00:00:00Z");
    const late = sliceRecord({ recordId: "r", agreementId: 1n, sku: "b200", start, end: start + 60n, gpus: 1n, gpuSeconds: 60n });
    for (const q of carryLateSlices(late, []).quarantined) seen.add(q.reason);
    seen.add(lineRejected("NoRate").reason);
    expect([...seen].sort()).to.deep.equal([...QUARANTINE_REASONS].sort());
  });
});

import { expect } from "chai";
import fc from "fast-check";
import {
  authorizeLimit,
  checkLineGroup,
  earliestRateStart,
  effectiveEnd,
  inForce,
  isDelinquent,
  limitsInForce,
  nextDue,
  rateEntryAt,
  rateForWindow,
  reportingClose,
  settlement,
  stillPending,
} from "../../sdk/ledgerRules";
import {
  inForceVectors,
  lineGroupExpected,
  lineGroupReportingGrace,
  lineGroupVectors,
  limitsVectors,
  nextDueVectors,
  rateAtVectors,
  rateWindowVectors,
  reportingCloseVectors,
  type LineGroupVector,
} from "../vectors/ledgerRulesVectors";

// sdk/ledgerRules.ts, the one TypeScript home of the ledger rules, on test/vectors/ledger-rules.json: every check maps
// each vector to [name, result] so a mismatch names the vector.

/** The home's outcome for a line-group vector, as strings. */
function homeLineGroup(v: LineGroupVector): { accepted: boolean; credits?: string[]; reasons?: string[] } {
  const a = v.agreement;
  const close = reportingClose({
    endTime: a.endTime,
    terminatedAt: a.terminatedAt,
    paused: false,
    lastUnpausedAt: a.lastUnpausedAt,
    reportingGrace: lineGroupReportingGrace,
  });
  const outcome = checkLineGroup({
    agreement:
      a.status === "None"
        ? undefined
        : { ...a, reportingClose: close, lastPeriodFinalized: a.nextPeriodToFinalize >= a.periodCount },
    position: v.position,
    balance: v.balance,
    periodStart: v.periodStart,
    periodEnd: v.periodEnd,
    now: v.now,
    lines: v.lines,
  });
  return outcome.accepted ? { accepted: true, credits: outcome.credits.map(String) } : { accepted: false, reasons: outcome.reasons };
}

describe("sdk/ledgerRules on test/vectors/ledger-rules.json", function () {
  it("when periods are finalized and paid, nextDue and delinquent match every vector (PROTOCOL §8)", function () {
    const got = nextDueVectors.map((v) => [v.name, settlement(v.finalized, v.paid, v.now)]);
    expect(got).to.deep.equal(nextDueVectors.map((v) => [v.name, v.expected]));
  });

  it("when the ledger pauses, unpauses or terminates, the reporting close matches every vector (PROTOCOL §3)", function () {
    const got = reportingCloseVectors.map((v) => [v.name, reportingClose(v)]);
    expect(got).to.deep.equal(reportingCloseVectors.map((v) => [v.name, v.expected]));
  });

  it("when a decrease is pending, the limits in force and the pending decrease match every vector (PROTOCOL §4)", function () {
    const got = limitsVectors.map((v) => {
      const s = v.stored;
      const auth = {
        spendLimit: { value: s.spendLimit, pending: s.pendingSpendLimit, pendingAt: s.pendingSpendLimitAt },
        maxGpus: { value: s.maxGpus, pending: s.pendingMaxGpus, pendingAt: s.pendingMaxGpusAt },
      };
      return [v.name, limitsInForce(auth, v.now)];
    });
    expect(got).to.deep.equal(limitsVectors.map((v) => [v.name, v.expected]));
  });

  it("when a change is pending with an effectiveAt, the value in force and whether it still waits match every vector (PROTOCOL §3)", function () {
    const got = inForceVectors.map((v) => [v.name, { value: inForce(v.current, v.pending, v.now), stillPending: stillPending(v.pending, v.now) !== null }]);
    expect(got).to.deep.equal(inForceVectors.map((v) => [v.name, v.expected]));
  });

  it("when a schedule has changes, the rate at a time matches every vector (PROTOCOL §5)", function () {
    const got = rateAtVectors.map((v) => [v.name, rateEntryAt(v.schedule, v.at) ?? { creditsPerGpuHour: 0n, effectiveFrom: 0n }]);
    expect(got).to.deep.equal(rateAtVectors.map((v) => [v.name, v.expected]));
  });

  it("when a window meets a rate change, the window's rate or the straddled change matches every vector (PROTOCOL §5)", function () {
    const got = rateWindowVectors.map((v) => {
      const r = rateForWindow(v.schedule, v.periodStart, v.periodEnd);
      return [v.name, r.straddled === undefined ? { rate: r.rate } : { straddled: r.straddled }];
    });
    expect(got).to.deep.equal(rateWindowVectors.map((v) => [v.name, v.expected]));
  });

  it("when one agreement's lines are checked, the group's outcome matches every vector (PROTOCOL §6)", function () {
    const got = lineGroupVectors.map((v) => [v.name, homeLineGroup(v)]);
    expect(got).to.deep.equal(lineGroupVectors.map((v) => [v.name, lineGroupExpected(v)]));
  });
});

describe("sdk/ledgerRules beyond the vectors", function () {
  const time = fc.bigInt({ min: 0n, max: 2n ** 40n });

  it("when due dates never decrease, nextDue/delinquent equal PROTOCOL §8 read literally (some unsettled period with now ≥ its due)", function () {
    const periods = fc
      .array(fc.tuple(fc.bigInt({ min: 0n, max: 10n ** 12n }), fc.bigInt({ min: 1n, max: 10n ** 6n })), { maxLength: 12 })
      .map((steps) => {
        let obligation = 0n;
        let due = 1_900_000_000n;
        return steps.map(([owed, gap]) => ({ cumulativeObligation: (obligation += owed), due: (due += gap) }));
      });
    fc.assert(
      fc.property(periods, fc.bigInt({ min: 0n, max: 10n ** 13n }), fc.bigInt({ min: 1_900_000_000n, max: 1_920_000_000n }), (finalized, paid, now) => {
        const unsettled = finalized.filter((p) => paid < p.cumulativeObligation);
        const literal = { nextDue: unsettled[0]?.due ?? 0n, delinquent: unsettled.some((p) => now >= p.due) };
        expect(settlement(finalized, paid, now)).to.deep.equal(literal);
        expect(isDelinquent(nextDue(finalized, paid), now)).to.equal(literal.delinquent);
      }),
    );
  });

  it("when a window is priced, a straddle is exactly a change strictly inside it, else the rate is the latest one at its start", function () {
    const schedule = fc.uniqueArray(fc.bigInt({ min: 0n, max: 100n }), { maxLength: 6 }).map((froms) =>
      [...froms].sort((x, y) => (x < y ? -1 : 1)).map((effectiveFrom, i) => ({ effectiveFrom, creditsPerGpuHour: BigInt(i + 1) })),
    );
    fc.assert(
      fc.property(schedule, fc.bigInt({ min: 0n, max: 100n }), fc.bigInt({ min: 1n, max: 50n }), (entries, start, length) => {
        const end = start + length;
        const inside = entries.filter((e) => e.effectiveFrom > start && e.effectiveFrom < end);
        const before = entries.filter((e) => e.effectiveFrom <= start);
        expect(rateForWindow(entries, start, end)).to.deep.equal(
          inside.length > 0 ? { straddled: inside[0].effectiveFrom } : { rate: before.at(-1)?.creditsPerGpuHour ?? 0n },
        );
      }),
    );
  });

  it("when the schedule is given newest first, the rate at a time is the same as oldest first", function () {
    const entries = [
      { creditsPerGpuHour: 1n, effectiveFrom: 3600n },
      { creditsPerGpuHour: 2n, effectiveFrom: 7200n },
    ];
    expect(rateEntryAt([...entries].reverse(), 7199n)).to.deep.equal(entries[0]);
    expect(rateEntryAt([...entries].reverse(), 7200n)).to.deep.equal(entries[1]);
  });

  it("when authorizePartner asks for a value, an increase applies at once, a decrease waits, a matured one counts as in force", function () {
    const stored = { value: 50n, pending: 0n, pendingAt: 0n };
    expect(authorizeLimit(stored, 60n, 1000n, 2000n), "increase").to.deep.equal({ value: 60n, pending: 0n, pendingAt: 0n });
    expect(authorizeLimit(stored, 50n, 1000n, 2000n), "same value").to.deep.equal({ value: 50n, pending: 0n, pendingAt: 0n });
    const decreased = authorizeLimit(stored, 20n, 1000n, 2000n);
    expect(decreased, "decrease").to.deep.equal({ value: 50n, pending: 20n, pendingAt: 2000n });
    expect(authorizeLimit(decreased, 30n, 1500n, 2500n), "a new decrease replaces the pending one").to.deep.equal({ value: 50n, pending: 30n, pendingAt: 2500n });
    expect(authorizeLimit(decreased, 40n, 1500n, 2500n).value, "an increase over the pending value before it matures is still a decrease").to.equal(50n);
    expect(authorizeLimit(decreased, 40n, 2000n, 3000n), "after maturity 20 rules: 40 is an increase").to.deep.equal({ value: 40n, pending: 0n, pendingAt: 0n });
    expect(authorizeLimit(decreased, 10n, 2000n, 3000n), "after maturity, a further decrease starts from 20").to.deep.equal({ value: 20n, pending: 10n, pendingAt: 3000n });
  });

  it("when an agreement is terminated, its effective end is the earlier of endTime and terminatedAt; 0 means never", function () {
    fc.assert(
      fc.property(time, time, (endTime, terminatedAt) => {
        const expected = terminatedAt === 0n ? endTime : terminatedAt < endTime ? terminatedAt : endTime;
        expect(effectiveEnd(endTime, terminatedAt)).to.equal(expected);
      }),
    );
  });

  it("when a rate is scheduled, a first one may start in the current hour and a later one no earlier than now + RATE_NOTICE", function () {
    expect(earliestRateStart(false, 7_205n, 86_400n), "first: the start of the current hour").to.equal(7_200n);
    expect(earliestRateStart(false, 7_200n, 86_400n), "first, on the hour: that hour").to.equal(7_200n);
    expect(earliestRateStart(true, 7_205n, 86_400n), "later: now + notice, to the second").to.equal(93_605n);
  });
});

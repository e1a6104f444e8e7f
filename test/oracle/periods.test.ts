import { expect } from "chai";
import fc from "fast-check";
import { ValidationError } from "../../sdk/errors";
import { parseStripeText } from "../../oracle/sources/stripe";
import {
  assignPeriods,
  onBase,
  periodBounds,
  periodIndexOf,
  type PeriodSchedule,
  type PeriodStatus,
  type RevenueTransaction,
} from "../../oracle/revenue/periods";
import { at, readFixture } from "./support";

const DAY = 86_400n;
const schedule: PeriodSchedule = { startTime: at("2026-10-01T00:00:00Z"), periodDuration: 30n * DAY, periodCount: 12 };
const USD = 1_000_000n;

describe("periodIndexOf", () => {
  it("when t is on a period's first or last second, it returns that period; before the start or at the end, none", () => {
    expect(periodIndexOf(schedule, schedule.startTime)).to.equal(0);
    expect(periodIndexOf(schedule, schedule.startTime + 30n * DAY - 1n)).to.equal(0);
    expect(periodIndexOf(schedule, schedule.startTime + 30n * DAY)).to.equal(1);
    expect(periodIndexOf(schedule, schedule.startTime - 1n)).to.equal(undefined);
    expect(periodIndexOf(schedule, schedule.startTime + 360n * DAY - 1n)).to.equal(11);
    expect(periodIndexOf(schedule, schedule.startTime + 360n * DAY)).to.equal(undefined);
  });
});

describe("periodBounds", () => {
  it("when given k, it returns [startTime + k·duration, startTime + (k+1)·duration)", () => {
    expect(periodBounds(schedule, 1)).to.deep.equal({ periodStart: at("2026-10-31T00:00:00Z"), periodEnd: at("2026-11-30T00:00:00Z") });
  });
});

describe("assignPeriods", () => {
  describe("when given the Stripe fixture", () => {
    const rows = parseStripeText(readFixture("stripe", "balance_change_from_activity.itemized.3.csv")).records;
    const now = at("2027-12-01T00:00:00Z");
    const gross = assignPeriods({ schedule, transactions: onBase(rows, "gross"), now });
    const net = assignPeriods({ schedule, transactions: onBase(rows, "net"), now });

    it("when the base is gross, period 0 sums charges, refunds, reversals, failures and disputes with their signs", () => {
      expect(gross.periods[0]).to.deep.include({ sum: 6250n * USD, carryIn: 0n, total: 6250n * USD, revenue: 6250n * USD, carryOut: 0n });
      expect(gross.periods[0].items).to.have.length(10);
    });

    it("when the base is net, it sums net amounts (fees out, dispute fees in)", () => {
      expect(net.periods[0].revenue).to.equal(6_058_850_000n);
    });

    it("when a period's total is negative, it reports 0 and carries the total into the next period", () => {
      expect(gross.periods[1]).to.deep.include({ sum: -2920n * USD, revenue: 0n, carryOut: -2920n * USD });
      expect(gross.periods[2]).to.deep.include({
        sum: 1000n * USD,
        carryIn: -2920n * USD,
        total: -1920n * USD,
        revenue: 0n,
        carryOut: -1920n * USD,
      });
      expect(net.periods[2].carryOut).to.equal(-1_951_920_000n);
    });

    it("when a negative carry is left after the last period, it is forgiven", () => {
      expect(gross.periods[11].carryOut).to.equal(-1920n * USD);
      expect(gross.forgiven).to.equal(-1920n * USD);
    });

    it("when a row is dated before the start, it is out of term", () => {
      expect(gross.outOfTerm.map((t) => t.id)).to.deep.equal(["txn_3Q1aKzL2eZvKYlo20pQ1x001"]);
    });

    it("when a row is dated exactly at a period's end, it belongs to the next period", () => {
      expect(gross.periods[1].items.map((i) => i.id)).to.include("txn_3Q1uKzL2eZvKYlo20pQ1x021");
      expect(gross.periods[0].items.map((i) => i.id)).to.include("txn_3Q1tKzL2eZvKYlo20pQ1x020");
    });
  });

  const tx = (id: string, iso: string, usd: bigint): RevenueTransaction => ({ id, createdAt: at(iso), amount: usd * USD });

  it("when now reaches periodEnd + dataLag (default 2 days), the period is reportable, a second earlier it is not", () => {
    const end = at("2026-10-31T00:00:00Z");
    expect(assignPeriods({ schedule, transactions: [], now: end + 2n * DAY }).periods[0].reportable).to.equal(true);
    expect(assignPeriods({ schedule, transactions: [], now: end + 2n * DAY - 1n }).periods[0].reportable).to.equal(false);
    expect(assignPeriods({ schedule, transactions: [], now: end, dataLagSeconds: 0n }).periods[0].reportable).to.equal(true);
  });

  it("when a period has no transaction, it reports 0", () => {
    const { periods } = assignPeriods({ schedule, transactions: [], now: 0n });
    expect(periods.map((p) => p.revenue)).to.deep.equal(Array(12).fill(0n));
    expect(periods[0].items).to.deep.equal([]);
  });

  it("when a row arrives late for a finalized period, it goes to the oldest period not yet reported", () => {
    const statuses: PeriodStatus[] = ["finalized", "finalized", "reported", "unreported"];
    const result = assignPeriods({ schedule, transactions: [tx("late", "2026-10-05T00:00:00Z", 7n)], now: 0n, statuses });
    expect(result.periods[3].items).to.deep.equal([{ id: "late", amount: 7n * USD }]);
  });

  it("when a row arrives late for a period that is reported but not finalized, it stays in its own period (a new version)", () => {
    const result = assignPeriods({ schedule, transactions: [tx("late", "2026-10-05T00:00:00Z", 7n)], now: 0n, statuses: ["reported"] });
    expect(result.periods[0].items.map((i) => i.id)).to.deep.equal(["late"]);
  });

  it("when a moved row was already reported in a later period, it stays there on the next run", () => {
    const statuses: PeriodStatus[] = ["finalized", "finalized", "reported", "reported"];
    const assigned = new Map([["late", 3]]);
    const result = assignPeriods({ schedule, transactions: [tx("late", "2026-10-05T00:00:00Z", 7n)], now: 0n, statuses, assigned });
    expect(result.periods[3].items.map((i) => i.id)).to.deep.equal(["late"]);
    expect(result.periods[4].items).to.deep.equal([]);
  });

  it("when every period is reported, a late row goes to the oldest one not finalized; when all are finalized, it is unplaced", () => {
    const some: PeriodStatus[] = [...Array(11).fill("finalized"), "reported"];
    const late = [tx("late", "2026-10-05T00:00:00Z", 7n)];
    expect(assignPeriods({ schedule, transactions: late, now: 0n, statuses: some }).periods[11].items).to.have.length(1);
    const all: PeriodStatus[] = Array(12).fill("finalized");
    expect(assignPeriods({ schedule, transactions: late, now: 0n, statuses: all }).unplaced.map((t) => t.id)).to.deep.equal(["late"]);
  });

  it("when an id repeats (overlapping exports), it counts once; a copy with other values is a conflict", () => {
    const a = tx("a", "2026-10-05T00:00:00Z", 7n);
    const result = assignPeriods({ schedule, transactions: [a, { ...a }, { ...a, amount: 1n }], now: 0n });
    expect(result.periods[0].sum).to.equal(7n * USD);
    expect(result.duplicates).to.have.length(1);
    expect(result.conflicts).to.deep.equal([{ ...a, amount: 1n }]);
  });

  it("when a reported id is no longer among the transactions, it is listed as missing", () => {
    expect(assignPeriods({ schedule, transactions: [], now: 0n, assigned: new Map([["gone", 0]]) }).missing).to.deep.equal(["gone"]);
  });

  it("when an assigned period or the schedule is invalid, it throws ValidationError", () => {
    const t = [tx("a", "2026-10-05T00:00:00Z", 1n)];
    expect(() => assignPeriods({ schedule, transactions: t, now: 0n, assigned: new Map([["a", 12]]) })).to.throw(ValidationError);
    expect(() => assignPeriods({ schedule: { ...schedule, periodCount: 0 }, transactions: [], now: 0n })).to.throw(ValidationError);
    expect(() => assignPeriods({ schedule: { ...schedule, periodDuration: 0n }, transactions: [], now: 0n })).to.throw(ValidationError);
  });

  it("when items are listed, they are sorted by id in UTF-16 code unit order", () => {
    const ids = ["txn_b", "txn_B", "txn_a", "Ω", "txn_10", "txn_9"];
    const result = assignPeriods({ schedule, transactions: ids.map((id) => tx(id, "2026-10-05T00:00:00Z", 1n)), now: 0n });
    expect(result.periods[0].items.map((i) => i.id)).to.deep.equal(["txn_10", "txn_9", "txn_B", "txn_a", "txn_b", "Ω"]);
  });

  it("when amounts are anything, reported revenue is never negative and Σ revenue = Σ amounts − forgiven carry", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 12 * 30 * 24 - 1 }), fc.bigInt({ min: -10_000n * USD, max: 10_000n * USD })), {
          maxLength: 60,
        }),
        (rows) => {
          const transactions = rows.map(([hour, amount], i) => ({
            id: `t${i}`,
            createdAt: schedule.startTime + BigInt(hour) * 3600n,
            amount,
          }));
          const { periods, forgiven } = assignPeriods({ schedule, transactions, now: 0n });
          const revenue = periods.reduce((s, p) => s + p.revenue, 0n);
          const amounts = transactions.reduce((s, t) => s + t.amount, 0n);
          expect(periods.every((p) => p.revenue >= 0n && p.carryOut <= 0n)).to.equal(true);
          expect(revenue).to.equal(amounts - forgiven);
          periods.slice(1).forEach((p, k) => expect(p.carryIn).to.equal(periods[k].carryOut));
        },
      ),
      { numRuns: 200 },
    );
  });
});

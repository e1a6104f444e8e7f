// The revenue oracle's pure parts: the per-period decisions and the settings.
import { expect } from "chai";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Hex } from "viem";
import { ConfigError } from "../../sdk/errors";
import { loadRevenueConfig } from "../../oracle/revenue/config";
import { periodEvidence } from "../../oracle/revenue/evidence";
import { readRevenueInputs } from "../../oracle/revenue/inputs";
import type { PeriodSchedule, RevenueTransaction } from "../../oracle/revenue/periods";
import { planAgreement, type ChainPeriod, type PlanInput, type RevenueStateName } from "../../oracle/revenue/plan";
import { at, fixturePath } from "./support";

const DAY = 86_400n;
const USD = 1_000_000n;
const schedule: PeriodSchedule = { startTime: at("2026-10-01T00:00:00Z"), periodDuration: 30n * DAY, periodCount: 3 };
const ZERO: Hex = `0x${"0".repeat(64)}`;
const none = (): ChainPeriod => ({ state: "None", version: 0, revenue: 0n, evidenceHash: ZERO, submittedAt: 0n });
const tx = (id: string, iso: string, usd: bigint): RevenueTransaction => ({ id, createdAt: at(iso), amount: usd * USD });
const AFTER_TERM = at("2027-03-01T00:00:00Z");

function plan(overrides: Partial<PlanInput>) {
  return planAgreement({
    agreementId: 7n,
    schedule,
    chain: [none(), none(), none()],
    transactions: [],
    quarantined: [],
    assigned: new Map(),
    inFlight: new Set(),
    now: AFTER_TERM,
    dataLagSeconds: 2n * DAY,
    ...overrides,
  });
}

/** The chain as it would be after reporting `plan`'s figures, with the given states. */
function reported(transactions: RevenueTransaction[], states: RevenueStateName[]): ChainPeriod[] {
  const first = plan({ transactions });
  return states.map((state, k) => {
    const d = first.decisions[k];
    if (d.kind !== "submit") throw new Error("expected a submission");
    return { state, version: 1, revenue: d.report.revenue, evidenceHash: d.report.evidenceHash, submittedAt: 1n };
  });
}

const kinds = (p: ReturnType<typeof plan>) => p.decisions.map((d) => (d.kind === "submit" ? `submit v${d.report.version} ${d.why}` : d.kind));

describe("planAgreement", () => {
  const rows = [tx("a", "2026-10-05T00:00:00Z", 100n), tx("b", "2026-11-05T00:00:00Z", 50n)];

  it("when periods are unreported and due, it reports each as version 1, zero periods included", () => {
    const p = plan({ transactions: rows });
    expect(kinds(p)).to.deep.equal(["submit v1 new", "submit v1 new", "submit v1 new"]);
    const d = p.decisions[2];
    expect(d.kind === "submit" && [d.report.revenue, d.report.evidenceHash]).to.deep.equal([0n, periodEvidence({ items: [], carryIn: 0n }).evidenceHash]);
  });

  it("when a period has not ended plus the data lag, it is not due (nor are later ones)", () => {
    const p = plan({ transactions: rows, now: at("2026-11-30T00:00:00Z") + 2n * DAY - 1n });
    expect(kinds(p)).to.deep.equal(["submit v1 new", "not-due", "not-due"]);
  });

  it("when a Pending period's carry moves, it is restated even though its revenue stays 0", () => {
    const chain = reported([tx("a", "2026-10-05T00:00:00Z", -100n), tx("b", "2026-11-05T00:00:00Z", 50n)], ["Pending", "Pending", "Pending"]);
    const p = plan({ chain, transactions: [tx("a", "2026-10-05T00:00:00Z", -100n), tx("b", "2026-11-05T00:00:00Z", 50n), tx("c", "2026-10-06T00:00:00Z", -10n)] });
    // p0 stays 0 but its evidence changes; p1 stays 0 with a bigger carry; p2's carry grows too
    expect(kinds(p)).to.deep.equal(["submit v2 restated", "submit v2 restated", "submit v2 restated"]);
  });

  it("when a Cleared period's evidence changes but its revenue does not, it is left Cleared; a revenue change restates it", () => {
    const base = [tx("a", "2026-10-05T00:00:00Z", -100n)];
    const chain = reported(base, ["Cleared", "Cleared", "Pending"]);
    expect(kinds(plan({ chain, transactions: [...base, tx("c", "2026-10-06T00:00:00Z", -10n)] }))).to.deep.equal([
      "unchanged",
      "unchanged",
      "submit v2 restated",
    ]);
    // p1 absorbs the carry (revenue 200): restated; p2 (Pending) no longer receives a carry: restated too
    expect(kinds(plan({ chain, transactions: [...base, tx("c", "2026-11-06T00:00:00Z", 300n)] }))).to.deep.equal([
      "unchanged",
      "submit v2 restated",
      "submit v2 restated",
    ]);
  });

  it("when a period is Rejected with unchanged figures, it waits unless confirmRejected; Disputed periods wait", () => {
    const chain = reported(rows, ["Rejected", "Disputed", "Pending"]);
    expect(kinds(plan({ chain, transactions: rows }))).to.deep.equal(["rejected-unchanged", "disputed", "unchanged"]);
    expect(kinds(plan({ chain, transactions: rows, confirmRejected: true }))).to.deep.equal(["submit v2 confirmed", "disputed", "unchanged"]);
  });

  it("when a period is Finalized, a late row dated in it goes to the oldest unreported period", () => {
    const chain = [...reported(rows, ["Finalized", "Pending"]), none()];
    const assigned = new Map([["a", 0], ["b", 1]]);
    const p = plan({ chain, assigned, transactions: [...rows, tx("late", "2026-10-20T00:00:00Z", 5n)] });
    expect(kinds(p)).to.deep.equal(["finalized", "unchanged", "submit v1 new"]);
    expect(p.assignment.periods[2].items.map((i) => i.id)).to.deep.equal(["late"]);
  });

  it("when a period has a signed report in the outbox, it is left to the resend", () => {
    expect(kinds(plan({ transactions: rows, inFlight: new Set([1]) }))).to.deep.equal(["submit v1 new", "in-flight", "submit v1 new"]);
  });

  it("when a dated row is quarantined, its period and every later one are held; an undated one holds all; acceptQuarantine lifts it", () => {
    const q = { file: "f.csv", line: 3, raw: "…", reason: "non-usd" as const, detail: "currency eur" };
    expect(kinds(plan({ transactions: rows, quarantined: [{ ...q, createdAt: at("2026-11-10T00:00:00Z") }] }))).to.deep.equal([
      "submit v1 new",
      "held",
      "held",
    ]);
    expect(kinds(plan({ transactions: rows, quarantined: [q] }))).to.deep.equal(["held", "held", "held"]);
    expect(kinds(plan({ transactions: rows, quarantined: [q], acceptQuarantine: true }))).to.deep.equal([
      "submit v1 new",
      "submit v1 new",
      "submit v1 new",
    ]);
    // outside the term: it could never count, so it holds nothing
    expect(kinds(plan({ transactions: rows, quarantined: [{ ...q, createdAt: at("2026-09-10T00:00:00Z") }] }))[0]).to.equal("submit v1 new");
  });

  it("when an id repeats with other figures, or a reported id disappears, the period is held", () => {
    const conflict = plan({ transactions: [...rows, tx("b", "2026-11-05T00:00:00Z", 51n)] });
    expect(conflict.holds.map((h) => [h.period, h.reason])).to.deep.equal([[1, "conflict"]]);
    const missing = plan({ transactions: rows, assigned: new Map([["gone", 2]]) });
    expect(kinds(missing)).to.deep.equal(["submit v1 new", "submit v1 new", "held"]);
  });
});

describe("readRevenueInputs", () => {
  it("when the Stripe fixture is read, quarantined rows carry their time when it can still be read (not a bad date, not broken CSV)", async () => {
    const inputs = await readRevenueInputs({ id: 1n, base: "gross", stripe: [fixturePath("stripe", "balance_change_from_activity.itemized.3.csv")], revenueCsv: [] });
    expect(inputs.quarantined.map((q) => [q.reason, q.createdAt])).to.deep.equal([
      ["non-usd", at("2026-10-19T08:00:00Z")],
      ["parse-error", at("2026-10-21T10:00:00Z")],
      ["parse-error", at("2026-10-22T10:00:00Z")],
      ["parse-error", undefined],
      ["parse-error", undefined],
    ]);
  });
});

describe("loadRevenueConfig", () => {
  const dir = mkdtempSync(join(tmpdir(), "dsx-revenue-config-"));
  mkdirSync(join(dir, "in"), { recursive: true });
  const good = {
    rpcUrl: "http://127.0.0.1:8545",
    chainId: 31337,
    signers: [{ privateKeyEnv: "KEY_0" }],
    agreements: [{ id: 1, base: "gross", stripe: ["in"] }],
  };
  const load = (value: unknown, env: Record<string, string> = {}) => {
    const file = join(dir, "config.json");
    writeFileSync(file, JSON.stringify(value));
    return loadRevenueConfig(file, env);
  };
  const failure = (value: unknown) => {
    try {
      load(value);
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      expect((err as Error).message).to.not.include("\n");
      return [(err as ConfigError).setting, (err as Error).message];
    }
    throw new Error("expected a ConfigError");
  };

  it("when valid, it fills the defaults and resolves paths against the config's folder", () => {
    const config = load(good, { DSX_REVENUE_DATA_LAG_SECONDS: "3600" });
    expect(config.dataLagSeconds).to.equal(3600);
    expect(config.stateDir).to.equal(join(dir, "state/revenue"));
    expect(config.agreements[0]).to.deep.include({ id: 1n, base: "gross", stripe: [join(dir, "in")], revenueCsv: [] });
  });

  it("when a setting is wrong, one line names it", () => {
    expect(failure({ ...good, agreements: [{ id: 1, base: "revenue", stripe: ["in"] }] })[0]).to.equal("agreements.0.base");
    expect(failure({ ...good, agreements: [{ id: 1, base: "net" }] })[0]).to.equal("agreements.0");
    expect(failure({ ...good, agreements: [{ id: 1, base: "net", stripe: ["missing.csv"] }] })).to.deep.equal([
      "agreements.0.stripe.0",
      `Invalid setting agreements.0.stripe.0 in ${join(dir, "config.json")}: ${join(dir, "missing.csv")} does not exist. Point it to an export file or to the folder that holds the exports.`,
    ]);
    expect(failure({ ...good, agreements: [good.agreements[0], good.agreements[0]] })[0]).to.equal("agreements.1.id");
    expect(failure({ ...good, signers: [{ keystore: "k.json", privateKeyEnv: "KEY" }] })[0]).to.equal("signers.0");
    expect(failure({ ...good, dataLag: 5 })[0]).to.equal("dataLag");
  });
});

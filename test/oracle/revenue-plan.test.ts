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
import { reviewAgreement, reviewId, type Decision, type ReviewInput } from "../../oracle/revenue/review";
import type { RevenueQuarantineEntry } from "../../oracle/sources/stripe";
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
    entries: [],
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

  /** reviewAgreement, then planAgreement on its output. */
  function reviewed(input: Partial<ReviewInput>, overrides: Partial<PlanInput> = {}) {
    const r = reviewAgreement({ agreementId: 7n, base: "gross", transactions: rows, quarantined: [], assigned: new Map(), decisions: new Map(), ...input });
    return { review: r, plan: plan({ transactions: r.transactions, entries: r.entries, assigned: r.assigned, ...overrides }) };
  }
  const decided = (entryId: string, decision: "accept" | "reject", decidedAt = "2026-12-01T00:00:00.000Z"): [string, Decision] => [
    entryId,
    { entryId, agreementId: "7", decision, note: "checked", decidedBy: "op@host", decidedAt, reason: "parse-error", detail: "" },
  ];

  it("when a dated row is quarantined, its period and every later one are held until it is decided; an undated one holds all", () => {
    const q: RevenueQuarantineEntry = { file: "f.csv", line: 3, raw: "txn_q,2026-11-10,eur,…", reason: "no-fx-rate", detail: "currency EUR on 2026-11-10: no rate" };
    const dated = { ...q, createdAt: at("2026-11-10T00:00:00Z") };
    expect(kinds(reviewed({ quarantined: [dated] }).plan)).to.deep.equal(["submit v1 new", "held", "held"]);
    const id = reviewId("7", "no-fx-rate", q.raw);
    const held = reviewed({ quarantined: [dated] }).plan;
    expect(held.holds).to.deep.equal([{ period: 1, reason: "no-fx-rate", entryId: id, detail: q.detail }]);
    expect(held.rows[1]).to.deep.include({ action: "held", quarantined: 1, heldBecause: "1 row to review (no-fx-rate ×1)" });
    expect(held.rows[2].heldBecause).to.match(/waits for period 1/);
    // undated: every period not finalized
    expect(kinds(reviewed({ quarantined: [q] }).plan)).to.deep.equal(["held", "held", "held"]);
    // rejected: the periods go out without it, and the decision is counted where the row belongs
    const p = reviewed({ quarantined: [dated], decisions: new Map([decided(id, "reject")]) }).plan;
    expect(kinds(p)).to.deep.equal(["submit v1 new", "submit v1 new", "submit v1 new"]);
    expect(p.rows.map((r) => [r.counted, r.quarantined, r.rejected])).to.deep.equal([[1, 0, 0], [1, 0, 1], [0, 0, 0]]);
    // outside the term: it could never count, so it holds nothing
    expect(kinds(reviewed({ quarantined: [{ ...q, createdAt: at("2026-09-10T00:00:00Z") }] }).plan)[0]).to.equal("submit v1 new");
  });

  it("when a net-mismatch row is accepted, it counts with its figures as written (net on a net base), converted where needed", () => {
    const raw = "txn_m,2026-11-12 10:00:00,usd,100.00,-2.90,102.90,charge";
    const q: RevenueQuarantineEntry = {
      file: "s.csv",
      line: 2,
      raw,
      reason: "net-mismatch",
      detail: "gross − fee ≠ net",
      createdAt: at("2026-11-12T10:00:00Z"),
      ifAccepted: { id: "txn_m", createdAt: at("2026-11-12T10:00:00Z"), currency: "USD", gross: 100n * USD, net: 102_900_000n, category: "charge" },
    };
    const id = reviewId("7", "net-mismatch", raw);
    const { review, plan: p } = reviewed({ base: "net", quarantined: [q], decisions: new Map([decided(id, "accept")]) });
    expect(review.entries[0]).to.deep.include({ id, acceptable: true, transactionId: "txn_m" });
    expect(p.assignment.periods[1].items).to.deep.equal([{ id: "b", amount: 50n * USD }, { id: "txn_m", amount: 102_900_000n }]);
    expect(p.rows[1]).to.deep.include({ accepted: 1, quarantined: 0, flagged: false });
    expect(review.transactions.find((t) => t.id === "txn_m")).to.deep.include({ acceptedAs: id, file: "s.csv", line: 2 });
  });

  it("when a period's figure is 0 while it holds quarantined or decided rows, its row is flagged", () => {
    const raw = "txn_only,2026-12-05 10:00:00,usd,10.00,1.00,8.00,charge";
    const q: RevenueQuarantineEntry = { file: "s.csv", line: 9, raw, reason: "net-mismatch", detail: "…", createdAt: at("2026-12-05T10:00:00Z") };
    const id = reviewId("7", "net-mismatch", raw);
    const p = reviewed({ quarantined: [q], decisions: new Map([decided(id, "reject")]) }).plan;
    expect(p.rows.map((r) => r.flagged)).to.deep.equal([false, false, true]);
    expect(reviewed({ quarantined: [q] }).plan.rows[2]).to.deep.include({ action: "held", flagged: true });
  });

  it("when an id repeats with other figures, the copy holds its period until one copy is chosen", () => {
    const copy = { ...tx("b", "2026-11-05T00:00:00Z", 51n), file: "late.csv", line: 4 };
    const conflict = reviewed({ transactions: [...rows, copy] });
    const id = reviewId("7", "conflict", `b
${copy.createdAt}
${copy.amount}`);
    expect(conflict.plan.holds.map((h) => [h.period, h.reason, h.entryId])).to.deep.equal([[1, "conflict", id]]);
    expect(conflict.review.entries[0].detail).to.match(/transaction b appears at late\.csv:4 .* 51 USD, but first at \?:\? .* 50 USD/);
    const accepted = reviewed({ transactions: [...rows, copy], decisions: new Map([decided(id, "accept")]) }).plan;
    expect([kinds(accepted)[1], accepted.assignment.periods[1].sum]).to.deep.equal(["submit v1 new", 51n * USD]);
    const rejected = reviewed({ transactions: [...rows, copy], decisions: new Map([decided(id, "reject")]) }).plan;
    expect([kinds(rejected)[1], rejected.assignment.periods[1].sum]).to.deep.equal(["submit v1 new", 50n * USD]);
  });

  it("when a reported id disappears, its period is held; rejected, the period is restated without it", () => {
    const missing = reviewed({ assigned: new Map([["gone", 2]]) });
    expect(kinds(missing.plan)).to.deep.equal(["submit v1 new", "submit v1 new", "held"]);
    expect(missing.review.entries[0]).to.deep.include({ reason: "missing", reportedIn: 2, acceptable: false });
    const id = reviewId("7", "missing", "gone");
    const released = reviewed({ assigned: new Map([["gone", 2]]), decisions: new Map([decided(id, "reject")]) });
    expect(kinds(released.plan)).to.deep.equal(["submit v1 new", "submit v1 new", "submit v1 new"]);
    expect(released.review.assigned.has("gone")).to.equal(false);
  });
});

describe("readRevenueInputs", () => {
  it("when the Stripe fixture is read, quarantined rows carry their time when it can still be read (not a bad date, not broken CSV)", async () => {
    const inputs = await readRevenueInputs({ id: 1n, base: "gross", stripe: [fixturePath("stripe", "balance_change_from_activity.itemized.3.csv")], revenueCsv: [], extraCategories: [] });
    expect(inputs.quarantined.map((q) => [q.reason, q.createdAt])).to.deep.equal([
      ["no-fx-rate", at("2026-10-19T08:00:00Z")],
      ["parse-error", at("2026-10-21T10:00:00Z")],
      ["net-mismatch", at("2026-10-22T10:00:00Z")],
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

  it("when fxRates or extraCategories are given, the rate file must exist and the categories be Stripe Connect ones", () => {
    writeFileSync(join(dir, "rates.csv"), "date,currency,usd_per_unit\n2026-11-18,EUR,1.0797\n");
    const config = load({ ...good, fxRates: "rates.csv", agreements: [{ ...good.agreements[0], extraCategories: ["platform_earning", "connect_collection_transfer"] }] });
    expect(config.fxRates).to.equal(join(dir, "rates.csv"));
    expect(config.agreements[0].extraCategories).to.deep.equal(["platform_earning", "connect_collection_transfer"]);
    expect(failure({ ...good, fxRates: "nope.csv" })[0]).to.equal("fxRates");
    const [setting, message] = failure({ ...good, agreements: [{ ...good.agreements[0], extraCategories: ["payout"] }] });
    expect(setting).to.equal("agreements.0.extraCategories.0");
    expect(message).to.include("platform_earning, platform_earning_refund, connect_collection_transfer");
  });

  it("when the file uses the old names (deployments, relayer, an inline privateKey), it reads them and prints one deprecation line", () => {
    const file = join(dir, "old.json");
    writeFileSync(file, JSON.stringify({ ...good, deployments: "deps", relayer: { privateKeyEnv: "KEY_9" }, signers: [{ privateKey: "0x01" }] }));
    const warnings: string[] = [];
    const config = loadRevenueConfig(file, {}, (line) => warnings.push(line));
    expect(config.deploymentsDir).to.equal(join(dir, "deps"));
    expect(config.sender).to.deep.equal({ privateKeyEnv: "KEY_9" });
    expect(config.signers).to.deep.equal([{ privateKey: "0x01" }]);
    expect(warnings).to.have.length(1);
    expect(warnings[0]).to.match(/deprecated settings: deployments \(now deploymentsDir\), relayer \(now sender\), signers\.0\.privateKey \(put the key in an environment variable/);
    // the environment still overrides an old name in the file
    expect(loadRevenueConfig(file, { DSX_DEPLOYMENTS_DIR: "/elsewhere" }, () => undefined).deploymentsDir).to.equal("/elsewhere");
    // the new names print nothing
    const quiet: string[] = [];
    writeFileSync(file, JSON.stringify(good));
    loadRevenueConfig(file, {}, (line) => quiet.push(line));
    expect(quiet).to.deep.equal([]);
    // both names at once: one line naming them
    writeFileSync(file, JSON.stringify({ ...good, deployments: "a", deploymentsDir: "b" }));
    expect(() => loadRevenueConfig(file, {}, () => undefined)).to.throw(ConfigError, /deployments and deploymentsDir .* name the same thing\. Keep deploymentsDir/);
  });
});

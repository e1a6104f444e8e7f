// The revenue oracle v1.1 on a real hardhat node (SERVICES §3): quarantine decided row by row
// (list, accept, reject, who and why kept as evidence), `revenue plan` previewing what `run`
// submits, zero periods with quarantined or decided rows flagged, Stripe's sign convention, Stripe
// Connect categories, non-USD rows converted at their date's reference rate, decimal commas
// refused as a whole, and output that stays one line per period at scale (the CLI as a child process).
import { expect } from "chai";
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keccak256, toBytes } from "viem";
import { decideQuarantine, listQuarantine } from "../../oracle/revenue/quarantine";
import { formatPlanSummary, formatRunSummary, planRevenue, runRevenue } from "../../oracle/revenue/run";
import {
  openAgreement,
  ORACLE_ENV,
  periodOf,
  scratch,
  State,
  USD,
  useRevenueChain,
  writeConfig,
  writeStripe,
} from "./revenue-support";

const ROOT = join(__dirname, "..", "..");

/** `revenue …` as a child process (node with tsx's loader), with the oracle's test keys. */
function cli(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, ["--import", "tsx", "oracle/cli/revenue.ts", ...args], { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, ...ORACLE_ENV } });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once("exit", (code) => resolve({ code, stdout, stderr })));
}

describe("revenue oracle v1.1: review, preview, currencies and real reports", function () {
  this.timeout(240_000);
  const { chain, oracle } = useRevenueChain();
  const revenues = async (id: bigint) => Promise.all([0, 1, 2, 3].map(async (k) => (await periodOf(chain, id, k)).report.revenue));

  it("when every USD row of a report has its fee sign reversed, no period is reported as 0 behind the operator's back: the rows are held, listed, and decided one by one", async () => {
    const dir = scratch();
    const id = await openAgreement(chain, 1);
    // fee written negative: gross − fee ≠ net on every row (the export an operator actually got)
    writeStripe(join(dir, "in", "stripe.csv"), [
      ["txn_f_001", "2026-10-03 10:00:00", "1000.00", "-29.30", "970.70", "charge"],
      ["txn_f_002", "2026-10-20 10:00:00", "-100.00", "0.00", "-100.00", "refund"],
      ["txn_f_003", "2026-11-03 10:00:00", "400.00", "-11.90", "388.10", "charge"],
      ["txn_f_004", "2026-11-09 10:00:00", "50.00", "-1.75", "48.25", "charge"],
    ]);
    const config = writeConfig(dir, chain, [{ id, base: "net", stripe: [join(dir, "in")] }]);
    const log: string[] = [];
    const c = await oracle(config, log);
    await chain.setTime("2026-12-02T00:00:00Z");

    // the preview: periods 0 and 1 held on their rows; both would be 0 without them (the refund alone counts), so both are flagged; nothing is sent
    const plan = await planRevenue(c);
    const rows = plan.agreements[0].periods;
    expect(rows.map((r) => [r.action, r.counted, r.quarantined, r.flagged])).to.deep.equal([
      ["held", 1, 1, true],
      ["held", 0, 2, true],
      ["not-due", 0, 0, false],
      ["not-due", 0, 0, false],
    ]);
    const text = formatPlanSummary(plan);
    expect(text).to.match(new RegExp(`agreement ${id} period 1 \\(2026-10-31 → 2026-11-30\\): held: 2 rows to review \\(net-mismatch ×2\\), would report 0\\.00 USD \\(carry in -100\\.00, out -100\\.00\\), rows 0 counted / 2 quarantined / 0 decided, on chain None — FLAGGED: 0 while it holds 2 quarantined rows`));
    expect(text).to.include(`agreement ${id} periods 2–3: not due (period 2 is due at 2027-01-01T00:00:00.000Z)`);
    expect(text).to.match(new RegExp(`agreement ${id}: 4 periods: 0 to submit \\(0\\.00 USD\\), 2 held, .*; 4 rows read, 1 counted; 3 to review, 0 decided; 2 FLAGGED; review: dsx revenue quarantine list --agreement ${id}`));
    expect((await periodOf(chain, id, 0)).state).to.equal(State.None);

    // a run holds them too (it used to report 0 here with --accept-quarantine)
    let s = await runRevenue(c);
    expect([s.submitted, s.held, s.toReview, s.flagged]).to.deep.equal([0, 2, 3, 2]);

    // the review list: every net-mismatch row names both figures and is acceptable
    const list = await listQuarantine(c);
    expect(list.entries.map((e) => [e.transactionId, e.reason, e.period, e.acceptable])).to.deep.equal([
      ["txn_f_001", "net-mismatch", 0, true],
      ["txn_f_003", "net-mismatch", 1, true],
      ["txn_f_004", "net-mismatch", 1, true],
    ]);
    expect(list.entries[0].detail).to.match(/^gross − fee = 1029\.30 usd but net = 970\.70 usd .*this row has the fee's sign reversed/);
    const [e1, e3, e4] = list.entries.map((e) => e.id);

    // refusals record nothing
    const failure = (p: Promise<unknown>) => p.then(() => "", (err: Error) => err.message);
    expect(await failure(decideQuarantine(c, ["rq-000000000000"], "accept", { note: "x" }))).to.match(/No row to review has the id rq-000000000000/);
    expect(await failure(decideQuarantine(c, [e1], "accept", { note: "  " }))).to.match(/needs a note/);
    expect(c.store.decisions(id).size).to.equal(0);

    // accept period 0's row (net as written), reject period 1's: period 1 goes out as 0, flagged
    await decideQuarantine(c, [e1], "accept", { note: "fee exported with its sign reversed; net is right", by: "alice@verifier", now: new Date("2026-12-02T08:00:00Z") });
    await decideQuarantine(c, [e3, e4], "reject", { note: "charges of a test customer, voided", by: "bob@verifier", now: new Date("2026-12-02T08:05:00Z") });
    s = await runRevenue(c);
    expect(s.reports.map((r) => [r.periodIndex, r.revenue])).to.deep.equal([
      [0, "870700000"],
      [1, "0"],
    ]);
    expect([s.toReview, s.decided, s.flagged]).to.deep.equal([0, 3, 1]);
    const out = formatRunSummary(s);
    expect(out).to.match(new RegExp(`agreement ${id} period 0 \\(2026-10-01 → 2026-10-31\\): submitted v1 \\(new\\) in 0x[0-9a-f]{64}, revenue 870\\.70 USD, rows 2 counted / 0 quarantined / 1 decided \\(1 accepted, 0 rejected\\), evidence 0x[0-9a-f]{64}, on chain None`));
    expect(out).to.match(/period 1 .*submitted v1 \(new\).*revenue 0\.00 USD.* — FLAGGED: 0 while it holds 2 decided rows/);
    expect(log.some((l) => l.includes(`agreement ${id} period 1: FLAGGED: 0 while it holds 2 decided rows`))).to.equal(true);

    // the decisions are part of each period's evidence, with who and why, and logged per agreement
    const p0 = JSON.parse(readFileSync(join(dir, "evidence", `revenue-${id}-0-v1.json`), "utf8"));
    expect(p0.decisions.map((d: { entryId: string; decision: string; decidedBy: string; note: string }) => [d.entryId, d.decision, d.decidedBy, d.note])).to.deep.equal([
      [e1, "accept", "alice@verifier", "fee exported with its sign reversed; net is right"],
    ]);
    expect(p0.rows.find((r: { id: string }) => r.id === "txn_f_001")).to.deep.include({ amount: "970700000", acceptedAs: e1, line: 2 });
    const p1 = JSON.parse(readFileSync(join(dir, "evidence", `revenue-${id}-1-v1.json`), "utf8"));
    expect(p1.decisions.map((d: { decision: string }) => d.decision)).to.deep.equal(["reject", "reject"]);
    expect(p1.flagged).to.equal("revenue 0 while the period holds 2 quarantined or decided rows");
    const logged = JSON.parse(readFileSync(join(dir, "evidence", `revenue-${id}-decisions.json`), "utf8"));
    expect(logged.map((d: { entryId: string }) => d.entryId)).to.deep.equal([e1, e3, e4]);

    // changing one's mind: the history keeps both; accepting e3 now restates period 1
    const again = await decideQuarantine(c, [e3], "accept", { note: "not a test customer after all", by: "bob@verifier" });
    expect(again.redecided).to.deep.equal([e3]);
    s = await runRevenue(c);
    expect(s.reports.map((r) => [r.periodIndex, r.version, r.revenue, r.why])).to.deep.equal([[1, 2, "388100000", "restated"]]);
    expect(c.store.decisionHistory(id)).to.have.length(4);
  });

  it("when rows are in EUR, they are converted at the rate of their UTC date and the rate goes into the evidence; a date without a rate is quarantined no-fx-rate until the file has it", async () => {
    const dir = scratch();
    const id = await openAgreement(chain, 1);
    writeStripe(join(dir, "in", "stripe.csv"), [
      ["txn_x_001", "2026-10-03 10:00:00", "1000.00", "29.30", "970.70", "charge"],
      ["txn_x_002", "2026-10-18 09:30:00", "1800.00", "52.50", "1747.50", "charge", "eur"],
      ["txn_x_003", "2026-11-04 23:30:00", "100.00", "0.00", "100.00", "charge", "eur"],
    ]);
    mkdirSync(join(dir, "generic"), { recursive: true });
    writeFileSync(join(dir, "generic", "invoices.csv"), "timestamp,amount,currency,reference\n2026-10-18T12:00:00+02:00,200.00,EUR,inv-eu-1\n2026-10-19T10:00:00Z,50.00,,inv-us-1\n");
    const rates = join(dir, "fx-rates.csv");
    writeFileSync(rates, "date,currency,usd_per_unit\n2026-10-18,EUR,1.0797\n");
    const config = writeConfig(dir, chain, [{ id, base: "gross", stripe: [join(dir, "in")], revenueCsv: [join(dir, "generic")] }], { fxRates: "fx-rates.csv" });
    let c = await oracle(config);
    await chain.setTime("2026-12-02T00:00:00Z");

    let s = await runRevenue(c);
    // p0: 1000 + 1800 × 1.0797 (1943.46) + 200 × 1.0797 (215.94) + 50; p1 held by the row of 2026-11-04 (no rate)
    expect(s.reports.map((r) => [r.periodIndex, r.revenue])).to.deep.equal([[0, "3209400000"]]);
    expect((await listQuarantine(c)).entries.map((e) => [e.reason, e.period, e.detail])).to.deep.equal([
      ["no-fx-rate", 1, `currency EUR on 2026-11-04: ${rates} has no rate for it; add the line 2026-11-04,EUR,<usd_per_unit>, or reject the row`],
    ]);
    const p0 = await periodOf(chain, id, 0);
    const evidence = readFileSync(join(dir, "evidence", `revenue-${p0.report.evidenceHash.toLowerCase()}.json`), "utf8");
    expect(keccak256(toBytes(evidence))).to.equal(p0.report.evidenceHash);
    expect(evidence).to.equal('[["inv-eu-1","215940000"],["inv-us-1","50000000"],["txn_x_001","1000000000"],["txn_x_002","1943460000"]]');
    const description = JSON.parse(readFileSync(join(dir, "evidence", `revenue-${id}-0-v1.json`), "utf8"));
    expect(description.fxRates).to.equal(rates);
    expect(description.conversions).to.deep.equal([
      { id: "inv-eu-1", currency: "EUR", date: "2026-10-18", usdPerUnit: "1.0797", amount: "200000000", usd: "215940000" },
      { id: "txn_x_002", currency: "EUR", date: "2026-10-18", usdPerUnit: "1.0797", amount: "1800000000", usd: "1943460000" },
    ]);

    // the verifier adds the missing date (23:30 UTC on 11-04 is that date, whatever the local time): p1 converts and goes out
    writeFileSync(rates, "date,currency,usd_per_unit\n2026-10-18,EUR,1.0797\n2026-11-04,EUR,1.0811\n");
    c = await oracle(config);
    s = await runRevenue(c);
    expect(s.reports.map((r) => [r.periodIndex, r.revenue])).to.deep.equal([[1, "108110000"]]);
  });

  it("when an agreement adds Stripe Connect categories, a platform's application fees count; without them the same report is 0", async () => {
    const dir = scratch();
    const connect = await openAgreement(chain, 1);
    const plain = await openAgreement(chain, 2);
    writeStripe(join(dir, "in", "platform.csv"), [
      ["txn_p_001", "2026-10-03 10:00:00", "30.00", "0.00", "30.00", "platform_earning"],
      ["txn_p_002", "2026-10-04 10:00:00", "-5.00", "0.00", "-5.00", "platform_earning_refund"],
      ["txn_p_003", "2026-10-05 10:00:00", "12.00", "0.00", "12.00", "connect_collection_transfer"],
      ["txn_p_004", "2026-10-06 10:00:00", "-200.00", "0.00", "-200.00", "payout"],
    ]);
    const c = await oracle(
      writeConfig(dir, chain, [
        { id: connect, base: "gross", stripe: [join(dir, "in")], extraCategories: ["platform_earning", "platform_earning_refund", "connect_collection_transfer"] },
        { id: plain, base: "gross", stripe: [join(dir, "in")] },
      ]),
    );
    await chain.setTime("2026-11-02T00:00:00Z");
    const s = await runRevenue(c);
    expect(s.errors).to.deep.equal([]);
    expect((await revenues(connect))[0]).to.equal(37n * USD);
    expect((await revenues(plain))[0]).to.equal(0n);
  });

  it("when a report is written with decimal commas, that agreement's run fails with the fix and reads nothing of it; --decimal-comma reads it", async () => {
    const dir = scratch();
    const eu = await openAgreement(chain, 1);
    const us = await openAgreement(chain, 2);
    mkdirSync(join(dir, "eu"), { recursive: true });
    // a spreadsheet's save in a European locale: ";" between fields, "," as the decimal point
    writeFileSync(
      join(dir, "eu", "stripe.csv"),
      "balance_transaction_id;created_utc;currency;gross;fee;net;reporting_category\ntxn_e_001;2026-10-03 10:00:00;usd;1.250,50;36,56;1.213,94;charge\ntxn_e_002;2026-10-04 10:00:00;usd;99,00;2,90;96,10;charge\n",
    );
    writeStripe(join(dir, "us", "stripe.csv"), [["txn_u_001", "2026-10-03 10:00:00", "10.00", "0.00", "10.00", "charge"]]);
    const c = await oracle(
      writeConfig(dir, chain, [
        { id: eu, base: "gross", stripe: [join(dir, "eu")] },
        { id: us, base: "gross", stripe: [join(dir, "us")] },
      ]),
    );
    await chain.setTime("2026-11-02T00:00:00Z");
    let s = await runRevenue(c);
    expect(s.errors).to.have.length(1);
    expect(s.errors[0].agreementId).to.equal(eu.toString());
    expect(s.errors[0].message).to.match(/stripe\.csv is written with decimal commas \(fields separated by ";".*line 1\); none of its rows was read\. Export it again .* or pass --decimal-comma/);
    expect([s.quarantined, s.reports.map((r) => r.agreementId)]).to.deep.equal([0, [us.toString()]]);
    expect(formatRunSummary(s)).to.include(`agreement ${eu}: error: `);

    s = await runRevenue(c, { decimalComma: true });
    expect(s.errors).to.deep.equal([]);
    expect((await revenues(eu))[0]).to.equal(1_349_500_000n);
    expect(JSON.parse(readFileSync(join(dir, "evidence", `revenue-${eu}-0-v1.json`), "utf8")).decimalCommaFiles).to.deep.equal([join(dir, "eu", "stripe.csv")]);
  });

  it("when run from the command line at scale, plan and run print one line per period and one per agreement; quarantine list/accept/reject work by id; --accept-quarantine is refused", async () => {
    const dir = scratch();
    const id = await openAgreement(chain, 1);
    // 320 rows over the 4 periods, every one with its fee sign reversed
    const rows: [string, string, string, string, string, string][] = [];
    for (let i = 0; i < 320; i++) {
      const day = new Date(Date.parse("2026-10-01T06:00:00Z") + (i % 118) * 86_400_000).toISOString().slice(0, 19).replace("T", " ");
      rows.push([`txn_s_${String(i).padStart(4, "0")}`, day, "10.00", "-0.30", "9.70", "charge"]);
    }
    writeStripe(join(dir, "in", "stripe.csv"), rows);
    const config = writeConfig(dir, chain, [{ id, base: "gross", stripe: [join(dir, "in")] }]);
    await chain.setTime("2027-02-01T00:00:00Z");

    const refused = await cli(["run", "--config", config, "--accept-quarantine"]);
    expect(refused.code).to.equal(1);
    expect(refused.stderr).to.match(/--accept-quarantine is gone .* dsx revenue quarantine accept\|reject <ids…> --note/);

    const plan = await cli(["plan", "--config", config]);
    expect(plan.code, plan.stderr).to.equal(0);
    expect(plan.stdout.trim().split("\n")).to.have.length(4 + 1 + 1);

    const run = await cli(["run", "--config", config]);
    expect(run.code, run.stderr).to.equal(0);
    // 4 held periods, the agreement's line, the totals: not one line per row
    expect(run.stdout.trim().split("\n")).to.have.length(6);
    expect(run.stderr.trim().split("\n").length).to.be.below(5);
    expect((await periodOf(chain, id, 0)).state).to.equal(State.None);

    const list = await cli(["quarantine", "list", "--config", config, "--json"]);
    const entries = (JSON.parse(list.stdout) as { entries: { id: string; reason: string; period: number }[] }).entries;
    expect(entries).to.have.length(320);
    const ids = entries.map((e) => e.id);
    const accepted = await cli(["quarantine", "accept", ...ids, "--note", "fee sign reversed in this export", "--by", "carol@verifier", "--config", config]);
    expect(accepted.code, accepted.stderr).to.equal(0);
    expect(accepted.stdout.trim().split("\n").at(-1)).to.match(/^revenue quarantine accept: 320 accepted by carol@verifier, 0 errors; see what the next run submits with dsx revenue plan$/);
    const noNote = await cli(["quarantine", "reject", ids[0], "--config", config]);
    expect(noNote.code).to.equal(1);
    expect(noNote.stderr).to.match(/required option '--note <text>' not specified/);

    const after = await cli(["run", "--config", config, "--json"]);
    const summary = JSON.parse(after.stdout) as { submitted: number; decided: number; reports: { revenue: string }[] };
    expect([summary.submitted, summary.decided]).to.deep.equal([4, 320]);
    expect(summary.reports.reduce((t, r) => t + BigInt(r.revenue), 0n)).to.equal(3200n * USD);
    expect(existsSync(join(dir, "evidence", `revenue-${id}-decisions.json`))).to.equal(true);
  });
});

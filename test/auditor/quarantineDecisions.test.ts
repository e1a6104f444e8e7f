// evidence.decisions (issue 13): the operators' quarantine decisions that the usage bundles (`quarantineDecisions`)
// and the revenue reports' descriptions (`decisions`) carry. Each must say who decided and why, name a quarantined
// row, and be honoured by what was attested: an accepted row is in the billed or reported total, a rejected one is
// not. Usage on the PROTOCOL §13 worked example (a decision added to a batch's bundle as the usage oracle writes it);
// revenue through the real revenue oracle on a real node (accept and reject, then the evidence folder audited).
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runAudit, type AuditResult } from "../../auditor/audit";
import type { Discrepancy } from "../../auditor/findings";
import { closeRevenueContext, type RevenueContext } from "../../oracle/revenue/context";
import { decideQuarantine, listQuarantine } from "../../oracle/revenue/quarantine";
import { runRevenue } from "../../oracle/revenue/run";
import type { EvidenceBundle, EvidenceDecision } from "../../oracle/usage/bundle";
import { startHardhatNode, type RunningNode } from "../helpers/hardhatNode";
import { LedgerDriver } from "../helpers/ledgerDriver";
import { openAgreement, openContext, scratch, startRevenueChain, writeConfig, writeStripe, type RevenueChain } from "../oracle/revenue-support";
import { playWorkedExample, type WorkedExample } from "./helpers/histories";

const CHECK = "evidence.decisions";
const tally = (r: AuditResult, scope: string) => r.report.agreements.find((a) => a.id === scope)?.checks.find((c) => c.check === CHECK);

/** A copy of `dir` changed by `edit(copy)`. */
function tampered(dir: string, edit: (copy: string) => void): string {
  const copy = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-decisions-"));
  for (const f of fs.readdirSync(dir)) fs.copyFileSync(path.join(dir, f), path.join(copy, f));
  edit(copy);
  return copy;
}
const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, "utf8")) as T;
const writeJson = (file: string, value: unknown) => fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);

/** The audit failed on evidence.decisions only, and a discrepancy names the tampered figure. */
function expectCaught(r: AuditResult, naming: (d: Discrepancy) => boolean): void {
  expect(r.report.clean, "the audit must fail").to.equal(false);
  expect([...new Set(r.report.discrepancies.map((d) => d.check))]).to.deep.equal([CHECK]);
  expect(r.report.discrepancies.some(naming), JSON.stringify(r.report.discrepancies)).to.equal(true);
}

describe("auditor: quarantine decisions in the evidence (evidence.decisions)", function () {
  this.timeout(300_000);

  describe("usage: a batch's bundle carries the decision behind one of its records", function () {
    let node: RunningNode;
    let d: LedgerDriver;
    let we: WorkedExample;
    let evidence: string;
    let bundleFile: string;
    let decided: string;

    const audit = (dir: string) => runAudit({ rpcUrl: node.url, chainId: 31337, ledger: d.ledger, fromBlock: d.deploymentBlock, evidenceDir: dir });
    /** The worked example's evidence with `edit` applied to F's batch's one decision. */
    const withDecision = (edit: (x: EvidenceDecision) => void) =>
      tampered(evidence, (copy) => {
        const file = path.join(copy, path.basename(bundleFile));
        const bundle = readJson<EvidenceBundle>(file);
        edit(bundle.quarantineDecisions[0]);
        writeJson(file, bundle);
      });

    before(async function () {
      node = await startHardhatNode();
      d = await LedgerDriver.deploy(node);
      evidence = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-decisions-usage-"));
      we = await playWorkedExample(d, evidence);
      // job 1001's row was quarantined unknown-account and accepted as the agreement's: the oracle's bundle names it
      bundleFile = we.batches[0].file!;
      decided = we.batches[0].records[0].recordId;
      const bundle = readJson<EvidenceBundle>(bundleFile);
      const decision: EvidenceDecision = {
        quarantineId: 7, file: "sacct-2026-10-07.txt", line: 12, raw: "1001|firmus-old|2026-10-02T00:00:00|2026-10-04T12:00:00|gres/gpu=8",
        reason: "unknown-account", detail: "account firmus-old is not in the config's accounts", decision: "accept",
        decidedBy: "alice@firmus", decidedAt: "2026-10-07T09:00:00.000Z", note: "firmus-old is the startup's old project account",
        account: "startup", agreementId: we.id.toString(), sku: "h100-sxm", recordIds: [decided],
      };
      writeJson(bundleFile, { ...bundle, quarantineDecisions: [decision] });
    });
    after(async () => node?.stop());

    it("when the decision is signed off and its record is billed under its agreement and sku, the audit is clean and counts the check", async function () {
      const r = await audit(evidence);
      expect(r.report.discrepancies).to.deep.equal([]);
      expect(tally(r, we.id.toString())).to.deep.include({ passed: 4, failed: 0 });
    });

    it("when the note or who decided is missing, it is a finding", async function () {
      expectCaught(await audit(withDecision((x) => (x.note = " "))), (x) => x.figure.endsWith(".decidedBy, note") && x.found === "no a note");
      expectCaught(await audit(withDecision((x) => (x.decidedBy = ""))), (x) => x.figure.endsWith(".decidedBy, note") && x.found === "no who decided");
    });

    it("when an accepted row's records are not in the batch, or are billed under another sku, it is a finding", async function () {
      expectCaught(await audit(withDecision((x) => (x.recordIds = ["slurm:firmus:9999:1790899200"]))), (x) => x.figure.endsWith(".recordIds") && x.found.startsWith("not in the batch"));
      expectCaught(await audit(withDecision((x) => (x.sku = "b200"))), (x) => x.figure.endsWith(".recordIds") && x.found === "billed to another agreement or sku");
    });

    it("when a rejected row's record is billed anyway, it is a finding", async function () {
      expectCaught(await audit(withDecision((x) => Object.assign(x, { decision: "reject" }))), (x) => x.figure.endsWith(".recordIds") && x.found === `billed: ${decided}`);
    });

    it("when a row the oracle may only reject is accepted, or the decision names no quarantined row, it is a finding", async function () {
      expectCaught(await audit(withDecision((x) => (x.reason = "job-step"))), (x) => x.figure.endsWith(".reason") && x.found === "job-step");
      expectCaught(await audit(withDecision((x) => (x.raw = ""))), (x) => x.figure.endsWith(".row"));
    });
  });

  describe("revenue: the reports' descriptions carry the decisions on their periods' rows", function () {
    let chain: RevenueChain;
    let ctx: RevenueContext | undefined;
    let id: bigint;
    let evidence: string;
    let accepted: string;
    let rejected: string;

    const audit = (dir: string) =>
      runAudit({ rpcUrl: chain.node.url, chainId: 31337, ledger: chain.deployment.ledger, fromBlock: BigInt(chain.deployment.deploymentBlock), revenueEvidenceDir: dir });
    type Description = { evidenceHash: string; rows: { id: string; amount: string; acceptedAs?: string }[]; decisions: { entryId: string; decision: string; note: string; decidedBy: string; raw?: string }[] };
    /** The evidence folder with period `k`'s description changed by `edit`. */
    const withDescription = (k: number, edit: (x: Description) => void) =>
      tampered(evidence, (copy) => {
        const file = path.join(copy, `revenue-${id}-${k}-v1.json`);
        const description = readJson<Description>(file);
        edit(description);
        writeJson(file, description);
      });
    const decisionOf = (x: Description, entryId: string) => x.decisions.find((e) => e.entryId === entryId)!;

    before(async function () {
      chain = await startRevenueChain();
      const dir = scratch();
      id = await openAgreement(chain, 1);
      // the fee written negative on every row: each is quarantined net-mismatch and waits for a decision
      writeStripe(path.join(dir, "in", "stripe.csv"), [
        ["txn_q_001", "2026-10-03 10:00:00", "1000.00", "-29.30", "970.70", "charge"],
        ["txn_q_002", "2026-10-20 10:00:00", "-100.00", "0.00", "-100.00", "refund"],
        ["txn_q_003", "2026-11-03 10:00:00", "400.00", "-11.90", "388.10", "charge"],
      ]);
      ctx = (await openContext(writeConfig(dir, chain, [{ id, base: "net", stripe: [path.join(dir, "in")] }]))).ctx;
      await chain.setTime("2026-12-02T00:00:00Z");
      [accepted, rejected] = (await listQuarantine(ctx)).entries.map((e) => e.id);
      await decideQuarantine(ctx, [accepted], "accept", { note: "fee exported with its sign reversed; net is right", by: "alice@verifier" });
      await decideQuarantine(ctx, [rejected], "reject", { note: "a test customer's charge, voided", by: "bob@verifier" });
      const s = await runRevenue(ctx);
      expect(s.reports.map((r) => [r.periodIndex, r.revenue])).to.deep.equal([[0, "870700000"], [1, "0"]]);
      evidence = path.join(dir, "evidence");
    });
    after(async () => {
      if (ctx) closeRevenueContext(ctx);
      await chain?.node.stop();
    });

    it("when every decision is signed off and honoured by its report's hashed evidence, the audit is clean and counts the check", async function () {
      const r = await audit(evidence);
      expect(r.report.discrepancies).to.deep.equal([]);
      expect(r.revenueEvidence).to.deep.include({ checked: 2, decisions: 2 });
      // per report: its evidenceHash, the file's hash, its total, and per decision: signed off, row, reason (accept), counted
      expect(tally(r, id.toString())).to.deep.include({ passed: 13, failed: 0 });
    });

    it("when a decision has no note or no decider, it is a finding", async function () {
      expectCaught(await audit(withDescription(0, (x) => (decisionOf(x, accepted).note = ""))), (x) => x.figure === `report(${id}, 0, v1).decision ${accepted}.decidedBy, note`);
      expectCaught(await audit(withDescription(1, (x) => (decisionOf(x, rejected).decidedBy = ""))), (x) => x.figure === `report(${id}, 1, v1).decision ${rejected}.decidedBy, note`);
    });

    it("when an accepted row is said to be rejected while its amount is in the report, it is a finding", async function () {
      expectCaught(await audit(withDescription(0, (x) => (decisionOf(x, accepted).decision = "reject"))), (x) => x.figure.endsWith(`${accepted}.counted`) && x.found === "counted: transaction txn_q_001");
    });

    it("when a rejected row is said to be accepted while its transaction is not in the report's evidence, it is a finding", async function () {
      expectCaught(await audit(withDescription(1, (x) => (decisionOf(x, rejected).decision = "accept"))), (x) => x.figure.endsWith(`${rejected}.counted`) && x.found === "not in the evidence");
    });

    it("when a decision's row text is not the row its entry id names, it is a finding", async function () {
      expectCaught(await audit(withDescription(0, (x) => (decisionOf(x, accepted).raw += " "))), (x) => x.figure.endsWith(`${accepted}.row`));
    });

    it("when an accepted row's amount is changed in the description or in the hashed evidence, it is a finding", async function () {
      expectCaught(await audit(withDescription(0, (x) => (x.rows.find((row) => row.acceptedAs === accepted)!.amount = "1029300000"))), (x) => x.figure.endsWith(`${accepted}.counted`));
      const hash = readJson<Description>(path.join(evidence, `revenue-${id}-0-v1.json`)).evidenceHash;
      const edited = tampered(evidence, (copy) => {
        const file = path.join(copy, `revenue-${hash}.json`);
        fs.writeFileSync(file, fs.readFileSync(file, "utf8").replace("970700000", "1029300000"));
      });
      expectCaught(await audit(edited), (x) => x.figure === `report(${id}, 0, v1).evidence keccak256`);
    });
  });
});

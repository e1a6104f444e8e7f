import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { runAudit } from "../../auditor/audit";
import { startHardhatNode, type RunningNode } from "../helpers/hardhatNode";
import { LedgerDriver } from "../helpers/ledgerDriver";
import { playRandomHistory } from "./helpers/histories";

describe("auditor: a long random activity history", function () {
  this.timeout(240_000);
  let node: RunningNode;
  before(async function () {
    node = await startHardhatNode();
  });
  after(async function () {
    await node?.stop();
  });

  it("when every rule held, it passes with no discrepancy, evidence included, at every audited block", async function () {
    const d = await LedgerDriver.deploy(node);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-audit-random-"));
    const history = await playRandomHistory(d, { seed: 20260901, agreements: 8, partners: 3, days: 14, density: 0.6, changes: true, evidenceDir: dir });
    const result = await runAudit({ rpcUrl: node.url, chainId: 31337, ledger: d.ledger, fromBlock: d.deploymentBlock, evidenceDir: dir });
    expect(result.report.discrepancies.slice(0, 5)).to.deep.equal([]);
    expect(result.report.clean).to.equal(true);
    expect(result.report.agreements).to.have.length(history.agreements.length);
    const counts = Object.fromEntries(result.model.eventCounts);
    expect(counts.UsageRecorded).to.be.greaterThan(200);
    expect(counts.UsageLineRejected ?? 0).to.be.greaterThan(0);
    expect(counts.RevenueFinalized).to.be.greaterThan(30);
    expect(counts.PaymentApplied).to.be.greaterThan(10);
    expect(counts.Claimed).to.be.greaterThan(5);
    // the v1.1 changes of wallets, signers and payout addresses, each by the affected party and by PROGRAM's proposal
    for (const kind of ["StartupMigrationProposed", "StartupMigrationCancelled", "StartupMigrated", "PartnerSignersProposed", "PartnerSignersSet", "PayoutAddressSet", "RevenueSignersProposed"]) {
      expect(counts[kind] ?? 0, kind).to.be.greaterThan(0);
    }
    const reasons = [...result.model.batches.values()].flatMap((b) => b.lines.map((l) => l.reason));
    expect(reasons, "a line rejected with its agreement's failing line").to.include("SiblingRejected");
    expect(result.report.evidence?.records).to.be.greaterThan(200);

    // the same history audited halfway through is clean too (views and balances as they stood then)
    const middle = (d.deploymentBlock + BigInt(result.report.chain.throughBlock)) / 2n;
    const half = await runAudit({ rpcUrl: node.url, chainId: 31337, ledger: d.ledger, fromBlock: d.deploymentBlock, throughBlock: middle, multicall: false });
    expect(half.report.discrepancies.slice(0, 5)).to.deep.equal([]);
  });
});

// The mutation suite: each kind of tampering applied on its own — to the evidence files, to the partner's
// attestation, or to the ledger itself (the real RevenueShareLedger linked against one doctored library, or a doctored
// build of the ledger, from contracts/test/doctored/, generated from the real sources by scripts/lib/doctored.ts) —
// must be caught by the auditor and named by the right check.
import { expect } from "chai";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Hex } from "viem";
import { runAudit, type AuditResult } from "../../auditor/audit";
import type { Discrepancy } from "../../auditor/findings";
import { batchIdOf } from "../../auditor/replay/replay";
import { nodeRpc, startHardhatNode, type RunningNode } from "../helpers/hardhatNode";
import type { DeployOptions } from "../helpers/artifactDeploy";
import { B200, DAY, H100, LedgerDriver } from "../helpers/ledgerDriver";
import { recordsFor, submitWithEvidence, type RecordInput } from "./helpers/evidence";
import { playStandardHistory, type StandardHistory, type StandardOptions } from "./helpers/histories";

const failedChecks = (r: AuditResult): string[] => [...new Set(r.report.discrepancies.map((d) => d.check))].sort();

function expectCaught(r: AuditResult, checks: string[], naming?: (d: Discrepancy) => boolean): void {
  expect(r.report.clean, "the audit must fail").to.equal(false);
  const failed = failedChecks(r);
  for (const c of checks) expect(failed, `check ${c} must fail; failed: ${failed.join(", ")}`).to.include(c);
  if (naming) expect(r.report.discrepancies.some(naming), `a discrepancy must name the tampered item: ${JSON.stringify(r.report.discrepancies.slice(0, 4))}`).to.equal(true);
}

type BundleJson = {
  batchId: string;
  batch: { lines: { agreementId: string; sku: string; gpuSeconds: string }[] };
  signatures: { signer: string; signature: string }[];
  tree: { values: { value: string[]; treeIndex: number }[] };
};

describe("auditor: mutation suite", function () {
  this.timeout(600_000);
  let node: RunningNode;
  let d: LedgerDriver;
  let history: StandardHistory;
  let evidence: string;
  let snapshot: string;

  const audit = (driver: LedgerDriver, evidenceDir?: string) =>
    runAudit({ rpcUrl: node.url, chainId: 31337, ledger: driver.ledger, fromBlock: driver.deploymentBlock, evidenceDir });

  /** A copy of the clean evidence folder, changed by `edit(bundleOfFirstBatch, files)`. */
  function tamperedEvidence(edit: (dir: string, files: string[]) => void): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-mut-ev-"));
    for (const f of fs.readdirSync(evidence)) fs.copyFileSync(path.join(evidence, f), path.join(dir, f));
    edit(dir, history.batches.map((b) => path.join(dir, `${b.batchId}.json`)));
    return dir;
  }
  const readBundle = (file: string) => JSON.parse(fs.readFileSync(file, "utf8")) as BundleJson;
  const writeBundle = (file: string, b: BundleJson) => fs.writeFileSync(file, JSON.stringify(b, null, 2));

  before(async function () {
    node = await startHardhatNode();
    d = await LedgerDriver.deploy(node);
    evidence = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-mut-clean-"));
    history = await playStandardHistory(d, { evidenceDir: evidence });
    snapshot = (await nodeRpc(node.url, "evm_snapshot")) as string;
  });
  after(async function () {
    await node?.stop();
  });

  it("the untampered standard history is clean (the baseline of every mutation)", async function () {
    const r = await audit(d, evidence);
    expect(r.report.discrepancies).to.deep.equal([]);
  });

  describe("tampered evidence files", function () {
    it("1. a record's gpuSeconds changed: the root no longer matches and its line no longer sums", async function () {
      const dir = tamperedEvidence((_dir, files) => {
        const b = readBundle(files[0]);
        b.tree.values[0].value[5] = (BigInt(b.tree.values[0].value[5]) + 3600n).toString();
        writeBundle(files[0], b);
      });
      expectCaught(await audit(d, dir), ["evidence.root", "evidence.lines"], (x) => x.figure.includes(history.batches[0].batchId));
    });

    it("2. a record dropped: root and line sum", async function () {
      const dir = tamperedEvidence((_dir, files) => {
        const b = readBundle(files[1]);
        b.tree.values.splice(1, 1);
        writeBundle(files[1], b);
      });
      expectCaught(await audit(d, dir), ["evidence.root", "evidence.lines"], (x) => x.figure.includes(history.batches[1].batchId));
    });

    it("3. a record duplicated: root, line sum and the record listed twice", async function () {
      const dir = tamperedEvidence((_dir, files) => {
        const b = readBundle(files[2]);
        b.tree.values.push(b.tree.values[0]);
        writeBundle(files[2], b);
      });
      expectCaught(await audit(d, dir), ["evidence.root", "evidence.lines"], (x) => x.figure.includes("record") && x.found === "listed twice");
    });

    it("4. a bundle's line edited: it no longer matches the chain's line nor its signatures", async function () {
      const dir = tamperedEvidence((_dir, files) => {
        const b = readBundle(files[0]);
        b.batch.lines[0].gpuSeconds = (BigInt(b.batch.lines[0].gpuSeconds) * 2n).toString();
        writeBundle(files[0], b);
      });
      expectCaught(await audit(d, dir), ["evidence.bundle", "evidence.lines"], (x) => x.figure.includes("signatures"));
    });

    it("5. a batch's bundle missing", async function () {
      const dir = tamperedEvidence((_dir, files) => fs.rmSync(files[3]));
      expectCaught(await audit(d, dir), ["evidence.bundle"], (x) => x.figure === `batch(${history.batches[3].batchId}).evidence`);
    });

    it("6. a bundle for a batch the chain never recorded", async function () {
      const dir = tamperedEvidence((folder, files) => {
        const b = readBundle(files[0]) as BundleJson & { batch: { sequence: string } };
        b.batch.sequence = "99";
        const full = b as unknown as { batch: { partner: Hex; periodStart: string; periodEnd: string; recordsRoot: Hex } };
        b.batchId = batchIdOf(full.batch.partner, 99n, BigInt(full.batch.periodStart), BigInt(full.batch.periodEnd), full.batch.recordsRoot);
        writeBundle(path.join(folder, `${b.batchId}.json`), b);
      });
      expectCaught(await audit(d, dir), ["evidence.bundle"], (x) => x.found.startsWith("no batch"));
    });

    it("7. signatures forged by a key that is not the partner's signer", async function () {
      const dir = tamperedEvidence((_dir, files) => {
        const b = readBundle(files[1]);
        b.signatures = [{ signer: b.signatures[0].signer, signature: `0x${"11".repeat(64)}1b` }];
        writeBundle(files[1], b);
      });
      expectCaught(await audit(d, dir), ["evidence.bundle"], (x) => x.figure === `batch(${history.batches[1].batchId}).signatures`);
    });
  });

  describe("a partner's dishonest attestation (one extra batch on the clean chain)", function () {
    /** Reverts to the clean chain, then lands one more batch of partner F built by `shape`. */
    async function fraud(shape: (records: RecordInput[], from: bigint, to: bigint) => { records: RecordInput[]; gpuSeconds: bigint; recordsRoot?: Hex }): Promise<AuditResult> {
      await nodeRpc(node.url, "evm_revert", [snapshot]);
      snapshot = (await nodeRpc(node.url, "evm_snapshot")) as string;
      const dir = tamperedEvidence(() => undefined);
      const from = history.t0 + 38n * DAY;
      const to = from + DAY;
      const honest = recordsFor("fraud", history.a1, H100, from, to, 4n * 10n * 3600n, 2);
      const { records, gpuSeconds, recordsRoot } = shape(honest, from, to);
      const sequence = await d.nextSequence(history.partnerF);
      await submitWithEvidence(d, dir, { partner: history.partnerF, sequence, periodStart: from, periodEnd: to, recordsRoot, lines: [{ agreementId: history.a1, sku: H100, gpuSeconds }] }, records, history.fKeys.slice(0, 2));
      return audit(d, dir);
    }

    it("8. a root that is not the root of its records", async function () {
      const r = await fraud((records) => ({ records, gpuSeconds: 4n * 10n * 3600n, recordsRoot: `0x${"ab".repeat(32)}` }));
      expectCaught(r, ["evidence.root"]);
      expect(failedChecks(r)).to.deep.equal(["evidence.root"]);
    });

    it("9. a line billing more GPU-seconds than its records (the tree itself honest)", async function () {
      const r = await fraud((records) => ({ records, gpuSeconds: 4n * 10n * 3600n + 7_200n }));
      expect(failedChecks(r)).to.deep.equal(["evidence.lines"]);
      expectCaught(r, ["evidence.lines"], (x) => x.figure.includes("gpuSeconds = Σ records") && x.expected === "144000" && x.found === "151200");
    });

    it("10. a record outside the batch's window", async function () {
      const r = await fraud((records, _from, to) => ({ records: [records[0], { ...records[1], start: to, end: to + 3600n }], gpuSeconds: 4n * 10n * 3600n }));
      expect(failedChecks(r)).to.deep.equal(["evidence.lines"]);
      expectCaught(r, ["evidence.lines"], (x) => x.figure.includes("record fraud"));
    });

    it("11. records for a sku the batch has no line for", async function () {
      const r = await fraud((records, from, to) => ({ records: [...records, ...recordsFor("ghost", history.a1, B200, from, to, 3_600n, 1)], gpuSeconds: 4n * 10n * 3600n }));
      expect(failedChecks(r)).to.deep.equal(["evidence.lines"]);
      expectCaught(r, ["evidence.lines"], (x) => x.found.includes("with no line"));
    });
  });

  describe("a doctored ledger (the real ledger linked against one buggy library, or a doctored build of it)", function () {
    /** `only`: the failed checks are exactly `checks`. */
    const cases: { n: number; title: string; deploy: DeployOptions; history?: StandardOptions; checks: string[]; only?: boolean; naming?: (x: Discrepancy) => boolean }[] = [
      { n: 12, title: "an off-by-one in the waterfall (partners get one unit more)", deploy: { libraries: { SettlementLogic: "SettlementWaterfallOffByOne" } }, checks: ["payment.split"], naming: (x) => x.figure.endsWith(".toPartners") },
      { n: 13, title: "a rounding error (partner parts rounded up)", deploy: { libraries: { SettlementLogic: "SettlementPartRoundedUp" } }, checks: ["payment.split"], naming: (x) => x.figure.includes("distribution[") },
      { n: 14, title: "a payment credited to the wrong beneficiary", deploy: { libraries: { SettlementLogic: "SettlementWrongBeneficiary" } }, checks: ["view.program", "claim"], naming: (x) => x.figure.startsWith("claimable(") },
      { n: 15, title: "a fee skimmed by the settlement token (no delivery check)", deploy: { libraries: { SettlementLogic: "SettlementNoDeliveryCheck" }, feeOnTransferBps: 25n }, checks: ["settlement.token", "invariant.1"], naming: (x) => x.figure.startsWith("settlement in ") && x.expected === "1000000000" },
      { n: 16, title: "an off-by-one in the cap", deploy: { libraries: { RevenueLogic: "RevenueCapOffByOne" } }, checks: ["revenue.finalization", "invariant.4"], naming: (x) => x.figure === "period[1].owed" },
      { n: 17, title: "a rounding error in the revenue share (rounded up)", deploy: { libraries: { RevenueLogic: "RevenueShareRoundedUp" } }, checks: ["revenue.finalization"], naming: (x) => x.figure === "period[2].owed" },
      { n: 18, title: "a report finalized inside its dispute window", deploy: { libraries: { RevenueLogic: "RevenueFinalizedInWindow" } }, history: { finalizeInsideWindow: true }, checks: ["revenue.finalization"], naming: (x) => x.figure === "period[0].finalizedAt" },
      { n: 19, title: "due dates without the grace period", deploy: { libraries: { RevenueLogic: "RevenueDueWithoutGrace" } }, checks: ["revenue.finalization"], naming: (x) => x.figure.endsWith(".due") },
      { n: 20, title: "an off-by-one in the FIFO order (a period paid exactly counted unsettled)", deploy: { libraries: { LedgerViews: "ViewsFifoOffByOne" } }, checks: ["view.agreement"], naming: (x) => x.agreementId === "2" && x.figure === "nextDue" },
      { n: 21, title: "FIFO order reversed (nextDue of the newest unsettled period)", deploy: { libraries: { LedgerViews: "ViewsFifoNewestFirst" } }, checks: ["view.agreement"], naming: (x) => x.agreementId === "1" && x.figure === "nextDue" },
      { n: 22, title: "burnedAt that forgets refunded credits", deploy: { libraries: { LedgerViews: "ViewsBurnedAtWithoutRefunds" } }, checks: ["view.partnerPosition"], naming: (x) => x.figure.endsWith(".burnedAt") },
      { n: 23, title: "acceptance minting one credit unit more than its event says", deploy: { libraries: { AgreementLogic: "AgreementAcceptMintsExtra" } }, checks: ["credit.token", "invariant.3"], naming: (x) => x.figure.startsWith("DSXC mint") },
      { n: 24, title: "a credit note that leaves the partner's receivable", deploy: { libraries: { AgreementLogic: "AgreementRefundKeepsReceivable" } }, checks: ["view.partnerPosition"], naming: (x) => x.figure.endsWith(".receivable") },
      { n: 25, title: "an authorization decrease that never takes effect", deploy: { libraries: { AgreementLogic: "AgreementDecreaseIgnored" } }, checks: ["usage.line", "invariant.5"], naming: (x) => x.expected === "rejected OverAuthorization" && x.found === "accepted" },
      { n: 26, title: "rates stored above the announced rate card", deploy: { libraries: { PartnerLogic: "PartnerRateInflated" } }, checks: ["usage.credits"], naming: (x) => x.figure.includes(".credits (") },
      { n: 27, title: "the program's claim paid to the caller instead of the treasury", deploy: { libraries: { ProgramLogic: "ProgramClaimToCaller" } }, checks: ["settlement.token"], naming: (x) => x.figure.startsWith("settlement out ") && x.expected === "0" },
      // PROTOCOL §10.7: every one of PROGRAM's five migrations happens at once, none proposed
      { n: 29, title: "a migration without notice (PROGRAM's call moves the wallet at once)", deploy: { libraries: { AgreementLogic: "AgreementMigrationWithoutNotice" } }, history: { migrationAtOnce: true }, checks: ["invariant.7"], only: true, naming: (x) => x.agreementId === "2" && x.figure.startsWith("migration to ") && x.found.endsWith("no proposal") },
      // §10.7: F's batch inside the notice of PROGRAM's proposed set, signed by that set, is accepted
      { n: 30, title: "a signer set in force early (a batch signed by a proposed set accepted during its notice)", deploy: { libraries: { PartnerLogic: "PartnerSignersInForceEarly" } }, history: { signWithProposedSetEarly: true }, checks: ["invariant.7"], only: true, naming: (x) => x.figure.endsWith(".signers") && x.found.startsWith("0 of them among the signers") },
      // §6, §10.8: a2's b200 line accepted while its h100 line in the same batch is rejected OverGpuBound
      { n: 31, title: "a lone accepted sibling (an agreement's line accepted beside its rejected one)", deploy: { ledger: "LedgerLoneSibling" }, checks: ["invariant.8", "usage.line"], only: true, naming: (x) => x.check === "invariant.8" && x.agreementId === "2" && x.found === "1 accepted, 1 rejected" },
      // §8, §10.7: F's claim during the notice of PROGRAM's proposed payout address is paid to that address
      { n: 32, title: "a claim paid to the wrong address (a proposed payout address in force during its notice)", deploy: { libraries: { PartnerLogic: "PartnerPayoutInForceEarly" } }, checks: ["invariant.7", "claim", "settlement.token"], only: true, naming: (x) => x.check === "invariant.7" && x.figure.endsWith(".to (the payout address in force)") },
    ];
    for (const c of cases) {
      it(`${c.n}. ${c.title}`, async function () {
        const doctored = await LedgerDriver.deploy(node, c.deploy);
        await playStandardHistory(doctored, c.history ?? {});
        const r = await audit(doctored);
        expectCaught(r, c.checks, c.naming);
        if (c.only) expect(failedChecks(r)).to.deep.equal([...c.checks].sort());
      });
    }
  });
});

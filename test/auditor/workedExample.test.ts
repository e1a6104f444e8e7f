import { expect } from "chai";
import { execFile } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { runAudit, type AuditResult } from "../../auditor/audit";
import { createChainReader } from "../../auditor/chain/reader";
import { reportHashOf } from "../../auditor/report/canonical";
import { verifyReportFile } from "../../auditor/record";
import { NODE_KEYS, startHardhatNode, type RunningNode } from "../helpers/hardhatNode";
import { LedgerDriver } from "../helpers/ledgerDriver";
import { startProxy } from "../oracle/revenue-support";
import { playWorkedExample, type WorkedExample } from "./helpers/histories";

const run = promisify(execFile);
const ROOT = path.join(__dirname, "..", "..");
const TSX = path.join(ROOT, "node_modules", ".bin", "tsx");

describe("auditor: PROTOCOL §13 worked example", function () {
  this.timeout(240_000);
  let node: RunningNode;
  let d: LedgerDriver;
  let we: WorkedExample;
  let result: AuditResult;
  let evidence: string;
  let deployments: string;

  before(async function () {
    node = await startHardhatNode();
    d = await LedgerDriver.deploy(node);
    evidence = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-we-evidence-"));
    we = await playWorkedExample(d, evidence);
    result = await runAudit({ rpcUrl: node.url, chainId: 31337, ledger: d.ledger, fromBlock: d.deploymentBlock, evidenceDir: evidence });
    deployments = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-we-deployments-"));
    fs.writeFileSync(path.join(deployments, "31337.json"), JSON.stringify({
      chainId: 31337, ledger: d.ledger, credit: d.credit, settlementToken: d.usdc, treasury: d.treasury, deploymentBlock: Number(d.deploymentBlock),
    }));
  });
  after(async function () {
    await node?.stop();
  });

  describe("runAudit", function () {
    it("when the ledger followed the protocol, it is clean and every check passed", function () {
      expect(result.report.discrepancies).to.deep.equal([]);
      expect(result.report.clean).to.equal(true);
      expect(result.report.summary.checksFailed).to.equal(0);
      expect(result.report.summary.checksPassed).to.be.greaterThan(100);
    });

    it("it shows exactly the example's usage figures", function () {
      const a = result.report.agreements[0];
      expect(a.figures).to.include({ creditsMinted: "100000000000", creditsBurnedByUsage: "3000000000", creditsHeld: "97000000000", consumed: "3000000000", cap: "4500000000" });
      const [f, b] = a.partners;
      expect(f).to.include({ partner: we.partnerF, gpuSeconds: "2880000", spent: "2000000000", receivable: "1400000000", paidToPartner: "1400000000", stillOwed: "0" });
      expect(b).to.include({ partner: we.partnerB, gpuSeconds: "720000", spent: "1000000000", receivable: "800000000", paidToPartner: "800000000", stillOwed: "0" });
    });

    it("it shows exactly the example's periods, owed amounts and obligation", function () {
      const a = result.report.agreements[0];
      expect(a.periods.map((p) => [p.index, p.revenue, p.share, p.owed, p.cumulativeObligation])).to.deep.equal([
        ["0", "20000000000", "1600000000", "1600000000", "1600000000"],
        ["1", "50000000000", "4000000000", "2900000000", "4500000000"],
      ]);
      expect(a.figures).to.include({ obligation: "4500000000", paid: "4500000000", outstanding: "0", delinquent: false, nextDue: "0" });
    });

    it("it shows exactly who was paid what in each payment, and why", function () {
      const [p1, p2] = result.report.agreements[0].payments;
      expect(p1).to.include({ amount: "1000000000", stillOwedToPartners: "2200000000", toPartners: "599999999", toProgram: "400000001" });
      expect(p1.parts).to.deep.equal([
        { beneficiary: we.partnerF, amount: "381818181", owedBefore: "1400000000" },
        { beneficiary: we.partnerB, amount: "218181818", owedBefore: "800000000" },
        { beneficiary: "program", amount: "400000001", owedBefore: null },
      ]);
      expect(p2).to.include({ amount: "3500000000", stillOwedToPartners: "1600000001", toPartners: "1600000001", toProgram: "1899999999" });
      expect(p2.parts.map((x) => x.amount)).to.deep.equal(["1018181819", "581818182", "1899999999"]);
      expect(p2.settles).to.deep.equal([0, 1]);
      expect(result.report.program.programClaimable).to.equal("2300000000");
    });

    it("its Markdown summary states the figures in dollars", function () {
      for (const figure of ["381.818181", "218.181818", "400.000001", "1018.181819", "581.818182", "1899.999999", "| cap | 4500 |", "| 1 | Finalized | 50000 | 4000 |"]) {
        expect(result.markdown).to.contain(figure);
      }
    });

    it("its hash is keccak256 of the report file, and the same chain gives the same bytes", async function () {
      expect(reportHashOf(result.json)).to.equal(result.reportHash);
      const again = await runAudit({ rpcUrl: node.url, chainId: 31337, ledger: d.ledger, fromBlock: d.deploymentBlock, throughBlock: BigInt(result.report.chain.throughBlock), evidenceDir: evidence });
      expect(again.json).to.equal(result.json);
    });

    it("when audited at an earlier block, it reports the books as they stood then (one payment, delinquency by then)", async function () {
      const firstPay = BigInt(result.report.agreements[0].payments[0].block);
      const earlier = await runAudit({ rpcUrl: node.url, chainId: 31337, ledger: d.ledger, fromBlock: d.deploymentBlock, throughBlock: firstPay });
      expect(earlier.report.clean, JSON.stringify(earlier.report.discrepancies.slice(0, 3))).to.equal(true);
      expect(earlier.report.agreements[0].figures).to.include({ paid: "1000000000", outstanding: "3500000000" });
    });
  });

  describe("the audit command", function () {
    const cli = (...args: string[]) => run(TSX, [path.join(ROOT, "auditor", "cli.ts"), ...args, "--rpc-url", node.url, "--deployments", deployments], { cwd: ROOT });

    it("when clean, it exits 0, writes the report and its summary, and --record publishes the hash per agreement", async function () {
      const out = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-we-out-"));
      const { stdout } = await cli("--out", out, "--json", "--record", "--private-key", NODE_KEYS[0], "--evidence", evidence);
      const printed = JSON.parse(stdout) as { clean: boolean; reportHash: string; report: string; recorded: { agreementId: string; clean: boolean; transactionHash: string }[] };
      expect(printed.clean).to.equal(true);
      expect(printed.recorded.map((r) => [r.agreementId, r.clean])).to.deep.equal([["1", true]]);
      const file = fs.readFileSync(printed.report, "utf8");
      expect(reportHashOf(file)).to.equal(printed.reportHash);
      expect(fs.existsSync(printed.report.replace(/\.json$/, ".md"))).to.equal(true);

      // anyone can recompute the hash from the file and find it on chain; an edited file matches no record
      const reader = createChainReader({ rpcUrl: node.url });
      const verified = await verifyReportFile(reader, file, d.ledger, d.deploymentBlock);
      expect(verified).to.include({ reportHash: printed.reportHash, canonical: true });
      expect(verified.published.map((p) => [p.agreementId, p.clean])).to.deep.equal([["1", true]]);
      const edited = file.replace('"paid":"4500000000"', '"paid":"4400000000"');
      expect(edited).to.not.equal(file);
      const tampered = await verifyReportFile(reader, edited, d.ledger, d.deploymentBlock);
      expect(tampered.published).to.deep.equal([]);
      const editedFile = path.join(out, "edited.json");
      fs.writeFileSync(editedFile, edited);
      const failure = await cli("verify", editedFile).then(() => undefined, (err: { code: number; stdout: string }) => err);
      expect(failure?.code).to.equal(1);
    });

    it("when the node's answer to a record transaction is lost, it finds that transaction by its hash instead of sending another: one record per agreement", async function () {
      let sends = 0;
      // the first eth_sendRawTransaction reaches the node, then its connection is dropped before the answer
      const proxy = await startProxy(node.url, (method) => (method === "eth_sendRawTransaction" && sends++ === 0 ? "forward-then-drop" : "forward"));
      try {
        const out = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-we-lost-"));
        const args = [path.join(ROOT, "auditor", "cli.ts"), "--out", out, "--json", "--record", "--private-key", NODE_KEYS[0], "--rpc-url", proxy.url, "--deployments", deployments];
        const { stdout } = await run(TSX, args, { cwd: ROOT });
        const printed = JSON.parse(stdout) as { report: string; recorded: { agreementId: string }[] };
        expect(sends, "one send, its answer dropped (a fresh transaction would have been a second send)").to.equal(1);
        expect(printed.recorded.map((r) => r.agreementId)).to.deep.equal(["1"]);
        const verified = await verifyReportFile(createChainReader({ rpcUrl: node.url }), fs.readFileSync(printed.report, "utf8"), d.ledger, d.deploymentBlock);
        expect(verified.published.map((p) => p.agreementId), "recorded once, not once per attempt").to.deep.equal(["1"]);
      } finally {
        await proxy.close();
      }
    });

    it("when given the old --rpc instead of --rpc-url, it reads the same node and prints one deprecation line on stderr", async function () {
      const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "dsx-we-rpc-")), "report.json");
      fs.writeFileSync(file, result.json);
      const args = [path.join(ROOT, "auditor", "cli.ts"), "verify", file, "--deployments", deployments];
      // exit 1 when no record published this report's hash: the outcome is compared, whichever it is
      const outcome = (extra: string[], env: NodeJS.ProcessEnv = process.env) => run(TSX, [...args, ...extra], { cwd: ROOT, env })
        .then((r) => ({ code: 0, ...r }), (err: { code: number; stdout: string; stderr: string }) => ({ code: err.code, stdout: err.stdout, stderr: err.stderr }));
      const current = await outcome(["--rpc-url", node.url]);
      const old = await outcome(["--rpc", node.url], { ...process.env, DSX_RPC_URL: "http://127.0.0.1:1" });
      expect([old.code, old.stdout]).to.deep.equal([current.code, current.stdout]);
      expect(JSON.parse(old.stdout)).to.include({ reportHash: result.reportHash, canonical: true });
      expect(current.stderr).to.equal("");
      expect(old.stderr).to.equal("audit: --rpc is deprecated; use --rpc-url (same meaning).\n");
    });

    it("prove prints a record's Merkle proof that verifies against the on-chain root", async function () {
      const batch = we.batches[0];
      const { stdout } = await cli("prove", batch.batchId, batch.records[1].recordId, "--evidence", evidence);
      const proof = JSON.parse(stdout) as { recordsRoot: string; leaves: { leaf: string[]; verified: boolean }[] };
      expect(proof.recordsRoot).to.equal(batch.batch.recordsRoot);
      expect(proof.leaves).to.have.length(1);
      expect(proof.leaves[0].leaf[5]).to.equal((8n * 40n * 3600n).toString());
      expect(proof.leaves[0].verified).to.equal(true);
    });
  });
});

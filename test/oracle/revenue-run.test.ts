// The revenue oracle against a real hardhat node and the deployed ledger: Stripe and generic
// files in → on-chain revenue per period out, restatements and disputes, quarantine holds,
// finalization in order.
import { expect } from "chai";
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { keccak256, stringToHex, toBytes } from "viem";
import type { RevenueContext } from "../../oracle/revenue/context";
import { finalizeRevenue } from "../../oracle/revenue/finalize";
import { decideQuarantine } from "../../oracle/revenue/quarantine";
import { runRevenue, REVENUE_QUARANTINE_FILE, type RevenueRunOptions } from "../../oracle/revenue/run";
import { fixturePath } from "./support";
import {
  openAgreement,
  periodOf,
  scratch,
  State,
  USD,
  useRevenueChain,
  writeConfig,
  writeStripe,
} from "./revenue-support";

const REASON = stringToHex("revenue base misread", { size: 32 });

describe("revenue oracle on a hardhat node", function () {
  this.timeout(180_000);
  const { chain, oracle } = useRevenueChain();
  const run = (c: RevenueContext, options: RevenueRunOptions = {}) => runRevenue(c, options);
  const revenues = async (id: bigint) => Promise.all([0, 1, 2, 3].map(async (k) => (await periodOf(chain, id, k)).report.revenue));

  describe("revenue run, then revenue finalize", () => {
    it("when Stripe and generic files come in, each period's on-chain revenue equals the independent computation, and finalization follows in order", async () => {
      const dir = scratch();
      const a1 = await openAgreement(chain, 1);
      const a2 = await openAgreement(chain, 2);
      const stripeDir = join(dir, "stripe");
      mkdirSync(stripeDir);
      for (const f of ["revenue-e2e-2026-10.csv", "revenue-e2e-2026-11.csv"]) copyFileSync(fixturePath("stripe", f), join(stripeDir, f));
      const config = writeConfig(dir, chain, [
        { id: a1, base: "gross", stripe: [stripeDir] },
        { id: a2, base: "net", stripe: [stripeDir], revenueCsv: [fixturePath("revenue", "revenue-e2e-generic.csv")] },
      ]);
      const c = await oracle(config);

      // period 0 ends 2026-10-31; the data lag is 2 days
      await chain.setTime("2026-11-01T23:59:58Z");
      let s = await run(c);
      expect(s.submitted).to.equal(0);
      await chain.setTime("2026-11-02T00:00:00Z");
      s = await run(c);
      expect(s.submitted).to.equal(2);
      expect((await periodOf(chain, a1, 0)).report.revenue).to.equal(3_099_510_000n);
      expect((await periodOf(chain, a1, 1)).state).to.equal(State.None);

      // after the term plus the lag: every period, zero periods included
      await chain.setTime("2027-02-01T00:00:00Z");
      s = await run(c);
      expect(s.submitted).to.equal(6);
      expect(s.errors).to.deep.equal([]);
      // gross: p0 1000 + 2500 − 300 − 1000 + 1000 − 100.50 + 0.01; p1 400 − 2500 − 150 + 300 = −1950 → 0, carried;
      // p2 3000 + 123.45 − 1950; p3 none
      expect(await revenues(a1)).to.deep.equal([3_099_510_000n, 0n, 1_173_450_000n, 0n]);
      // net: p0 970.70 + 2427.20 − 300 − 1015 + 1015 − 100.50 + 0.01; p1 388.10 − 2500 − 150 + 300 = −1961.90 → 0;
      // p2 2912.70 + 119.57 + 50 (generic) − 1961.90; p3 −20 (generic) → 0, forgiven
      expect(await revenues(a2)).to.deep.equal([2_997_410_000n, 0n, 1_120_370_000n, 0n]);
      // both read the 2 Stripe files (18 rows), the net one also the generic file (2 rows) (payout and fee are not revenue), one re-exported row, two rows outside the term
      expect([s.files, s.rowsRead, s.revenueRows, s.ignored, s.duplicates, s.outOfTerm]).to.deep.equal([5, 38, 34, 4, 2, 4]);

      // the evidence file hashes to the on-chain evidenceHash and shows the carry
      const p2 = await periodOf(chain, a1, 2);
      const evidence = readFileSync(join(dir, "evidence", `revenue-${p2.report.evidenceHash.toLowerCase()}.json`), "utf8");
      expect(keccak256(toBytes(evidence))).to.equal(p2.report.evidenceHash);
      expect(evidence).to.equal('[["txn_e2e_014","3000000000"],["txn_e2e_015","123450000"],["carry","-1950000000"]]');
      const description = JSON.parse(readFileSync(join(dir, "evidence", `revenue-${a1}-2-v1.json`), "utf8"));
      expect(description).to.include({ revenue: "1173450000", carryIn: "-1950000000", base: "gross", version: 1 });
      expect(description.txHash).to.match(/^0x[0-9a-f]{64}$/);

      // nothing changed: nothing is sent again
      s = await run(c);
      expect([s.submitted, s.unchanged]).to.deep.equal([0, 8]);

      // period 0's window ended (reported 2026-11-02); periods 1..3 reported 2027-02-01 wait until 02-04
      let f = await finalizeRevenue(c);
      expect(f.finalized.map((x) => `${x.agreementId}:${x.periodIndex}`)).to.deep.equal([`${a1}:0`, `${a2}:0`]);
      expect(f.waiting[0]).to.deep.include({ periodIndex: 1 });
      await chain.setTime("2027-02-04T01:00:00Z");
      f = await finalizeRevenue(c);
      // the last period waits for the reporting close: endTime 2027-01-29 + 7 days
      expect(f.finalized.map((x) => x.periodIndex)).to.deep.equal([1, 2, 1, 2]);
      expect(f.waiting[0].reason).to.match(/reporting close/);
      await chain.setTime("2027-02-05T00:00:00Z");
      f = await finalizeRevenue(c);
      expect(f.finalized.map((x) => x.periodIndex)).to.deep.equal([3, 3]);
      for (const id of [a1, a2]) {
        expect((await chain.read<{ nextPeriodToFinalize: number }>("agreement", [id])).nextPeriodToFinalize).to.equal(4);
      }
      f = await finalizeRevenue(c);
      expect([f.finalized.length, f.waiting.length, f.errors.length]).to.deep.equal([0, 0, 0]);
    });
  });

  describe("restatements and disputes", () => {
    it("when figures change, the next version is sent (a moved carry restates the next period); disputes wait; rejected periods need new figures or --confirm-rejected; late rows of a finalized period go to the oldest unreported one", async () => {
      const dir = scratch();
      const a = await openAgreement(chain, 1);
      const inputs = join(dir, "in");
      writeStripe(join(inputs, "a.csv"), [
        ["txn_r_001", "2026-10-03 10:00:00", "1000.00", "0.00", "1000.00", "charge"],
        ["txn_r_002", "2026-11-05 10:00:00", "500.00", "0.00", "500.00", "charge"],
      ]);
      const log: string[] = [];
      const c = await oracle(writeConfig(dir, chain, [{ id: a, base: "gross", stripe: [inputs] }]), log);

      await chain.setTime("2026-12-02T00:00:00Z");
      await run(c);
      expect((await revenues(a)).slice(0, 2)).to.deep.equal([1000n * USD, 500n * USD]);

      // a late refund in period 0 turns it negative: p0 v2 = 0 and its carry makes p1 v2 = 500 − 500 = 0
      writeStripe(join(inputs, "b.csv"), [["txn_r_003", "2026-10-20 10:00:00", "-1500.00", "0.00", "-1500.00", "refund"]]);
      let s = await run(c);
      expect(s.reports.map((r) => [r.periodIndex, r.version, r.revenue, r.why])).to.deep.equal([
        [0, 2, "0", "restated"],
        [1, 2, "0", "restated"],
      ]);
      const p1 = await periodOf(chain, a, 1);
      expect(readFileSync(join(dir, "evidence", `revenue-${p1.report.evidenceHash.toLowerCase()}.json`), "utf8")).to.equal(
        '[["txn_r_002","500000000"],["carry","-500000000"]]',
      );

      // the auditor disputes p1: new figures wait for the resolution
      await chain.send(0, "disputeRevenue", [a, 1, REASON]);
      writeStripe(join(inputs, "c.csv"), [["txn_r_004", "2026-11-20 10:00:00", "700.00", "0.00", "700.00", "charge"]]);
      s = await run(c);
      expect([s.submitted, s.disputed]).to.deep.equal([0, 1]);
      // upheld → Rejected → the changed figures go out as version 3
      await chain.send(0, "resolveRevenueDispute", [a, 1, true]);
      s = await run(c);
      expect(s.reports.map((r) => [r.periodIndex, r.version, r.revenue])).to.deep.equal([[1, 3, "700000000"]]);

      // rejected again with the same figures: it waits for the operator's review
      await chain.send(0, "disputeRevenue", [a, 1, REASON]);
      await chain.send(0, "resolveRevenueDispute", [a, 1, true]);
      s = await run(c);
      expect([s.submitted, s.rejectedUnchanged]).to.deep.equal([0, 1]);
      expect(log.some((l) => l.includes("--confirm-rejected"))).to.equal(true);
      s = await run(c, { confirmRejected: true });
      expect(s.reports.map((r) => [r.periodIndex, r.version, r.why])).to.deep.equal([[1, 4, "confirmed"]]);

      // dispute not upheld → Cleared → finalizable at once; p0's window ended long ago
      await chain.send(0, "disputeRevenue", [a, 1, REASON]);
      await chain.send(0, "resolveRevenueDispute", [a, 1, false]);
      await chain.setTime("2026-12-06T00:00:00Z");
      const f = await finalizeRevenue(c);
      expect(f.finalized.map((x) => x.periodIndex)).to.deep.equal([0, 1]);

      // a row dated in finalized p0 arrives: not in p0 again but in p2, the oldest unreported period
      writeStripe(join(inputs, "d.csv"), [["txn_r_005", "2026-10-25 10:00:00", "200.00", "0.00", "200.00", "charge"]]);
      await chain.setTime("2027-01-01T00:00:00Z");
      s = await run(c);
      expect(s.reports.map((r) => [r.periodIndex, r.version, r.revenue])).to.deep.equal([[2, 1, "200000000"]]);
      expect([(await periodOf(chain, a, 0)).report.version, (await periodOf(chain, a, 1)).report.version]).to.deep.equal([2, 4]);
      // and it stays there on later runs
      s = await run(c);
      expect([s.submitted, s.unchanged]).to.deep.equal([0, 1]);
    });
  });

  describe("quarantine", () => {
    it("when a row is quarantined, its period and every later one wait until it is decided; an undated bad row holds every period", async () => {
      const dir = scratch();
      const a = await openAgreement(chain, 1);
      const b = await openAgreement(chain, 2);
      const fileA = join(dir, "a.csv");
      writeStripe(fileA, [
        ["txn_q_001", "2026-10-03 10:00:00", "100.00", "0.00", "100.00", "charge"],
        ["txn_q_002", "2026-11-03 10:00:00", "200.00", "0.00", "200.00", "charge"],
        ["txn_q_003", "2026-11-04 10:00:00", "300.00", "0.00", "300.00", "charge", "eur"],
      ]);
      const fileB = join(dir, "b.csv");
      writeStripe(fileB, [["txn_q_101", "2026-10-03 10:00:00", "100.00", "0.00", "100.00", "charge"]]);
      writeFileSync(fileB, readFileSync(fileB, "utf8") + "txn_q_102,10/23/2026 10:00,usd,5.00,0.00,5.00,charge,bad date\n");
      const log: string[] = [];
      const c = await oracle(
        writeConfig(dir, chain, [
          { id: a, base: "gross", stripe: [fileA] },
          { id: b, base: "gross", stripe: [fileB] },
        ]),
        log,
      );
      await chain.setTime("2027-01-01T00:00:00Z");
      let s = await run(c);
      // a: p0 reported, p1 (the EUR row, no fxRates configured) and p2 held; b: everything held
      expect(s.reports.map((r) => [r.agreementId, r.periodIndex])).to.deep.equal([[a.toString(), 0]]);
      expect([s.quarantined, s.toReview, s.held]).to.deep.equal([2, 2, 5]);
      const quarantine = readFileSync(join(dir, "state", REVENUE_QUARANTINE_FILE), "utf8").trim().split("\n").map((l) => JSON.parse(l));
      expect(quarantine.map((q) => [q.agreementId, q.reason, q.line, q.createdAt, q.period])).to.deep.equal([
        [a.toString(), "no-fx-rate", 4, "2026-11-04T10:00:00.000Z", 1],
        [b.toString(), "parse-error", 3, undefined, 0],
      ]);
      expect(quarantine.every((q) => /^rq-[0-9a-f]{12}$/.test(q.id))).to.equal(true);
      expect(log.some((l) => l.includes(`agreement ${a}: periods from 1 on are held: 1 rows to review (dsx revenue quarantine list --agreement ${a})`))).to.equal(true);

      // acceptQuarantine is gone: it changes nothing but says so
      s = await run(c, { acceptQuarantine: true });
      expect([s.submitted, s.held]).to.deep.equal([0, 5]);
      expect(log.some((l) => l.startsWith("acceptQuarantine (--accept-quarantine) is gone"))).to.equal(true);

      // the operator rejects both rows: the periods go out without them
      await decideQuarantine(c, quarantine.map((q) => q.id), "reject", { note: "EUR charge invoiced again in USD; bad-date row is a test", by: "ops@verifier" });
      s = await run(c);
      expect(s.reports.map((r) => [r.agreementId, r.periodIndex, r.revenue])).to.deep.equal([
        [a.toString(), 1, "200000000"],
        [a.toString(), 2, "0"],
        [b.toString(), 0, "100000000"],
        [b.toString(), 1, "0"],
        [b.toString(), 2, "0"],
      ]);
      expect([s.toReview, s.decided]).to.deep.equal([0, 2]);
    });
  });
});

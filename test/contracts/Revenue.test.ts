import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { H100, HOUR, DAY, USDC, DISPUTE_WINDOW, REPORTING_GRACE } from "../helpers/fixture";
import {
  buildScenario, restoreChainAfterAll, batchOf, recordUsage, proposeAgreement, reportOf, sendRevenue, finalizePeriod, advanceTo, PERIOD, GRACE,
  RevenueState, type Scenario,
} from "../helpers/scenario";

const REASON = ethers.id("revenue base misread");
const MAX_U128 = 2n ** 128n - 1n;

/** Agreement 1 (12 × 30 days, 800 bps of revenue, cap 150 % of consumed) with 960 DSXC consumed: cap 1 440 USDC. */
async function revenueFixture() {
  const s = await buildScenario();
  await time.increaseTo(s.start + DAY);
  await recordUsage(s, batchOf(s.partnerF.address, 0n, s.start, s.start + DAY, [[s.id, H100, 16n * DAY]]));
  return s;
}

/** Agreement 1 with 2 periods of one day and 40 DSXC consumed (cap 60 USDC). */
async function shortFixture() {
  const s = await buildScenario({ periods: 2n, periodDuration: DAY });
  await time.increaseTo(s.start + HOUR);
  await recordUsage(s, batchOf(s.partnerF.address, 0n, s.start, s.start + HOUR, [[s.id, H100, 16n * HOUR]]));
  return s;
}

const periodEnd = (s: Scenario, k: number) => s.start + BigInt(k + 1) * s.terms.periodDuration;

/** Submits a report for period k of agreement 1 (once it has ended) and returns its submission time. */
async function report(s: Scenario, k: number, revenue: bigint, version = 1, id = s.id): Promise<bigint> {
  await advanceTo(periodEnd(s, k));
  const receipt = (await (await sendRevenue(s, reportOf(id, k, revenue, version))).wait())!;
  return BigInt((await receipt.getBlock()).timestamp);
}

async function stateOf(s: Scenario, k: number, id = s.id): Promise<bigint> {
  return (await s.ledger.revenuePeriod(id, k)).state;
}

describe("revenue attestation", function () {
  restoreChainAfterAll();

  describe("submitRevenue", function () {
    it("when a signed report for an ended period arrives, it emits RevenueReported(id, k, version, revenue, evidenceHash) and stores it Pending", async function () {
      const s = await loadFixture(revenueFixture);
      await time.increaseTo(periodEnd(s, 0) + 100n);
      const r = reportOf(s.id, 0, 12_345_678n, 1, ethers.id("evidence-0"));
      const tx = await sendRevenue(s, r);
      await expect(tx).to.emit(s.ledger, "RevenueReported").withArgs(s.id, 0, 1, 12_345_678n, ethers.id("evidence-0"));
      const view = await s.ledger.revenuePeriod(s.id, 0);
      expect([view.report.agreementId, view.report.periodIndex, view.report.revenue, view.report.evidenceHash, view.report.version])
        .to.deep.equal([s.id, 0n, 12_345_678n, ethers.id("evidence-0"), 1n]);
      expect(view.state).to.equal(BigInt(RevenueState.Pending));
      expect(view.submittedAt).to.equal(BigInt((await tx.getBlock())!.timestamp));
      expect([view.periodStart, view.periodEnd, view.owed, view.cumulativeObligation, view.due]).to.deep.equal([s.start, s.start + PERIOD, 0n, 0n, 0n]);
    });

    it("when the agreement does not exist, it reverts AgreementNotFound(id)", async function () {
      const s = await loadFixture(revenueFixture);
      await time.increaseTo(periodEnd(s, 0));
      await expect(sendRevenue(s, reportOf(999n, 0, 1n))).to.be.revertedWithCustomError(s.ledger, "AgreementNotFound").withArgs(999n);
    });

    it("when the agreement was never accepted (Proposed, or Cancelled), it reverts RevenueAgreementNotAccepted(id)", async function () {
      const s = await loadFixture(revenueFixture);
      const proposed = await proposeAgreement(s, s.extra[0]);
      const cancelled = await proposeAgreement(s, s.extra[1]);
      await s.ledger.connect(s.program).cancelAgreement(cancelled);
      await time.increaseTo(periodEnd(s, 0));
      for (const id of [proposed, cancelled]) {
        await expect(sendRevenue(s, reportOf(id, 0, 1n))).to.be.revertedWithCustomError(s.ledger, "RevenueAgreementNotAccepted").withArgs(id);
      }
    });

    it("when the period index is not below the period count, it reverts RevenuePeriodOutOfRange(id, k, count)", async function () {
      const s = await loadFixture(revenueFixture);
      await time.increaseTo(s.terms.endTime + DAY);
      await expect(sendRevenue(s, reportOf(s.id, 12, 1n))).to.be.revertedWithCustomError(s.ledger, "RevenuePeriodOutOfRange").withArgs(s.id, 12, 12n);
      await expect(sendRevenue(s, reportOf(s.id, 11, 1n))).to.emit(s.ledger, "RevenueReported");
    });

    it("when the period has not ended it reverts RevenuePeriodNotEnded(id, k, periodEnd); exactly at periodEnd it is accepted", async function () {
      const s = await loadFixture(revenueFixture);
      const end = periodEnd(s, 0);
      await time.setNextBlockTimestamp(end - 1n);
      await expect(sendRevenue(s, reportOf(s.id, 0, 1n))).to.be.revertedWithCustomError(s.ledger, "RevenuePeriodNotEnded").withArgs(s.id, 0, end);
      await time.setNextBlockTimestamp(end);
      await expect(sendRevenue(s, reportOf(s.id, 0, 1n))).to.emit(s.ledger, "RevenueReported");
      await expect(sendRevenue(s, reportOf(s.id, 1, 1n))).to.be.revertedWithCustomError(s.ledger, "RevenuePeriodNotEnded").withArgs(s.id, 1, periodEnd(s, 1));
    });

    it("when the ledger is paused, it reverts LedgerPaused", async function () {
      const s = await loadFixture(revenueFixture);
      await time.increaseTo(periodEnd(s, 0));
      await s.ledger.connect(s.pauser).pause();
      await expect(sendRevenue(s, reportOf(s.id, 0, 1n))).to.be.revertedWithCustomError(s.ledger, "LedgerPaused");
    });

    it("when revenue is 0, it is accepted and later finalizes with owed 0", async function () {
      const s = await loadFixture(revenueFixture);
      const submittedAt = await report(s, 0, 0n);
      await time.setNextBlockTimestamp(submittedAt + DISPUTE_WINDOW);
      await expect(s.ledger.finalizeRevenue(s.id, 0))
        .to.emit(s.ledger, "RevenueFinalized").withArgs(s.id, 0, 0n, 0n, submittedAt + DISPUTE_WINDOW + GRACE);
      expect((await s.ledger.agreement(s.id)).obligation).to.equal(0n);
    });

    it("when revenue is 2^128 − 1 it is accepted; 2^128 reverts ValueTooLarge(value, 2^128 − 1)", async function () {
      const s = await loadFixture(revenueFixture);
      await time.increaseTo(periodEnd(s, 0));
      await expect(sendRevenue(s, reportOf(s.id, 0, MAX_U128 + 1n))).to.be.revertedWithCustomError(s.ledger, "ValueTooLarge").withArgs(MAX_U128 + 1n, MAX_U128);
      await expect(sendRevenue(s, reportOf(s.id, 0, MAX_U128))).to.emit(s.ledger, "RevenueReported").withArgs(s.id, 0, 1, MAX_U128, reportOf(s.id, 0, 0n).evidenceHash);
      expect((await s.ledger.revenuePeriod(s.id, 0)).report.revenue).to.equal(MAX_U128);
    });

    it("when the first report has version 0, it reverts RevenueVersionNotHigher(0, 0)", async function () {
      const s = await loadFixture(revenueFixture);
      await time.increaseTo(periodEnd(s, 0));
      await expect(sendRevenue(s, reportOf(s.id, 0, 1n, 0))).to.be.revertedWithCustomError(s.ledger, "RevenueVersionNotHigher").withArgs(0, 0);
    });

    it("when a higher version replaces a Pending report, it is Pending again with a new window; the same or a lower version reverts RevenueVersionNotHigher", async function () {
      const s = await loadFixture(revenueFixture);
      const first = await report(s, 0, 1_000n * USDC, 1);
      await time.increase(DAY);
      const second = await report(s, 0, 2_000n * USDC, 5);
      const view = await s.ledger.revenuePeriod(s.id, 0);
      expect([view.state, view.submittedAt, view.report.revenue, view.report.version]).to.deep.equal([BigInt(RevenueState.Pending), second, 2_000n * USDC, 5n]);
      await expect(sendRevenue(s, reportOf(s.id, 0, 1n, 5))).to.be.revertedWithCustomError(s.ledger, "RevenueVersionNotHigher").withArgs(5, 5);
      await expect(sendRevenue(s, reportOf(s.id, 0, 1n, 4))).to.be.revertedWithCustomError(s.ledger, "RevenueVersionNotHigher").withArgs(4, 5);
      await time.setNextBlockTimestamp(first + DISPUTE_WINDOW);
      await expect(s.ledger.finalizeRevenue(s.id, 0))
        .to.be.revertedWithCustomError(s.ledger, "RevenueDisputeWindowOpen").withArgs(s.id, 0, second + DISPUTE_WINDOW);
    });

    it("when a higher version follows a Rejected report, it is Pending with a new window", async function () {
      const s = await loadFixture(revenueFixture);
      await report(s, 0, 1_000n * USDC, 1);
      await s.ledger.connect(s.auditor).disputeRevenue(s.id, 0, REASON);
      await s.ledger.connect(s.program).resolveRevenueDispute(s.id, 0, true);
      const again = await report(s, 0, 900n * USDC, 2);
      const view = await s.ledger.revenuePeriod(s.id, 0);
      expect([view.state, view.submittedAt, view.report.revenue]).to.deep.equal([BigInt(RevenueState.Pending), again, 900n * USDC]);
    });

    it("when a higher version follows a Cleared report, it is Pending again and no longer finalizable at once", async function () {
      const s = await loadFixture(revenueFixture);
      await report(s, 0, 1_000n * USDC, 1);
      await s.ledger.connect(s.auditor).disputeRevenue(s.id, 0, REASON);
      await s.ledger.connect(s.program).resolveRevenueDispute(s.id, 0, false);
      const again = await report(s, 0, 1_100n * USDC, 2);
      expect(await stateOf(s, 0)).to.equal(BigInt(RevenueState.Pending));
      await expect(s.ledger.finalizeRevenue(s.id, 0))
        .to.be.revertedWithCustomError(s.ledger, "RevenueDisputeWindowOpen").withArgs(s.id, 0, again + DISPUTE_WINDOW);
    });

    it("when the report is Disputed or Finalized, a higher version reverts RevenueWrongState(id, k, state)", async function () {
      const s = await loadFixture(revenueFixture);
      await report(s, 0, 1_000n * USDC, 1);
      await s.ledger.connect(s.auditor).disputeRevenue(s.id, 0, REASON);
      await expect(sendRevenue(s, reportOf(s.id, 0, 1n, 2)))
        .to.be.revertedWithCustomError(s.ledger, "RevenueWrongState").withArgs(s.id, 0, RevenueState.Disputed);
      await s.ledger.connect(s.program).resolveRevenueDispute(s.id, 0, false);
      await s.ledger.finalizeRevenue(s.id, 0);
      await expect(sendRevenue(s, reportOf(s.id, 0, 1n, 3)))
        .to.be.revertedWithCustomError(s.ledger, "RevenueWrongState").withArgs(s.id, 0, RevenueState.Finalized);
    });

    it("when the agreement was Terminated, later periods are still reported and finalized", async function () {
      const s = await loadFixture(revenueFixture);
      await s.ledger.connect(s.program).terminateAgreement(s.id, ethers.id("breach"));
      await finalizePeriod(s, s.id, 0, 1_000n * USDC);
      await finalizePeriod(s, s.id, 1, 1_000n * USDC);
      expect((await s.ledger.agreement(s.id)).nextPeriodToFinalize).to.equal(2n);
    });

    it("when the agreement has Expired, its periods are still reported and finalized (obligations remain)", async function () {
      const s = await loadFixture(shortFixture);
      await time.increaseTo(await s.ledger.reportingClose(s.id));
      await s.ledger.expireCredits(s.id);
      await finalizePeriod(s, s.id, 0, 100n * USDC);
      const receipt = await finalizePeriod(s, s.id, 1, 100n * USDC);
      expect(receipt.status).to.equal(1);
      // cap 60: 8 then min(8, 52)
      expect((await s.ledger.agreement(s.id)).obligation).to.equal(16n * USDC);
    });
  });

  describe("disputeRevenue", function () {
    it("when an auditor disputes a Pending report inside its window, it emits RevenueDisputed(id, k, by, reasonHash) and the report is Disputed", async function () {
      const s = await loadFixture(revenueFixture);
      await report(s, 0, 1_000n * USDC);
      await expect(s.ledger.connect(s.auditor).disputeRevenue(s.id, 0, REASON))
        .to.emit(s.ledger, "RevenueDisputed").withArgs(s.id, 0, s.auditor.address, REASON);
      expect(await stateOf(s, 0)).to.equal(BigInt(RevenueState.Disputed));
    });

    it("when the caller is not an auditor (even the startup), it reverts AccessControlUnauthorizedAccount(caller, AUDITOR_ROLE)", async function () {
      const s = await loadFixture(revenueFixture);
      await report(s, 0, 1_000n * USDC);
      const role = await s.ledger.AUDITOR_ROLE();
      for (const caller of [s.startup, s.program, s.outsider]) {
        await expect(s.ledger.connect(caller).disputeRevenue(s.id, 0, REASON))
          .to.be.revertedWithCustomError(s.ledger, "AccessControlUnauthorizedAccount").withArgs(caller.address, role);
      }
    });

    it("when nothing was reported, it reverts RevenueWrongState(id, k, None)", async function () {
      const s = await loadFixture(revenueFixture);
      await expect(s.ledger.connect(s.auditor).disputeRevenue(s.id, 0, REASON))
        .to.be.revertedWithCustomError(s.ledger, "RevenueWrongState").withArgs(s.id, 0, RevenueState.None);
    });

    it("when one second of the window is left it is accepted; exactly at submittedAt + DISPUTE_WINDOW it reverts RevenueDisputeWindowClosed", async function () {
      const s = await loadFixture(revenueFixture);
      const p0 = await report(s, 0, 1_000n * USDC);
      await advanceTo(periodEnd(s, 1));
      const p1 = await report(s, 1, 1_000n * USDC);
      expect(p1).to.be.greaterThan(p0 + DISPUTE_WINDOW);
      await time.setNextBlockTimestamp(p1 + DISPUTE_WINDOW - 1n);
      await expect(s.ledger.connect(s.auditor).disputeRevenue(s.id, 1, REASON)).to.emit(s.ledger, "RevenueDisputed");
      await expect(s.ledger.connect(s.auditor).disputeRevenue(s.id, 0, REASON))
        .to.be.revertedWithCustomError(s.ledger, "RevenueDisputeWindowClosed").withArgs(s.id, 0, p0 + DISPUTE_WINDOW);
      const p2 = await report(s, 2, 1_000n * USDC);
      await time.setNextBlockTimestamp(p2 + DISPUTE_WINDOW);
      await expect(s.ledger.connect(s.auditor).disputeRevenue(s.id, 2, REASON))
        .to.be.revertedWithCustomError(s.ledger, "RevenueDisputeWindowClosed").withArgs(s.id, 2, p2 + DISPUTE_WINDOW);
    });

    it("when a new version replaced the report, the window counts from the new submission", async function () {
      const s = await loadFixture(revenueFixture);
      const first = await report(s, 0, 1_000n * USDC, 1);
      await time.increaseTo(first + DISPUTE_WINDOW - 10n);
      await report(s, 0, 1_000n * USDC, 2);
      await time.increaseTo(first + DISPUTE_WINDOW + DAY);
      await expect(s.ledger.connect(s.auditor).disputeRevenue(s.id, 0, REASON)).to.emit(s.ledger, "RevenueDisputed");
    });

    it("when the report is Disputed, Rejected, Cleared or Finalized, it reverts RevenueWrongState with that state", async function () {
      const s = await loadFixture(revenueFixture);
      await report(s, 0, 1_000n * USDC);
      await s.ledger.connect(s.auditor).disputeRevenue(s.id, 0, REASON);
      await expect(s.ledger.connect(s.auditor).disputeRevenue(s.id, 0, REASON))
        .to.be.revertedWithCustomError(s.ledger, "RevenueWrongState").withArgs(s.id, 0, RevenueState.Disputed);
      await s.ledger.connect(s.program).resolveRevenueDispute(s.id, 0, true);
      await expect(s.ledger.connect(s.auditor).disputeRevenue(s.id, 0, REASON))
        .to.be.revertedWithCustomError(s.ledger, "RevenueWrongState").withArgs(s.id, 0, RevenueState.Rejected);
      await report(s, 0, 1_000n * USDC, 2);
      await s.ledger.connect(s.auditor).disputeRevenue(s.id, 0, REASON);
      await s.ledger.connect(s.program).resolveRevenueDispute(s.id, 0, false);
      await expect(s.ledger.connect(s.auditor).disputeRevenue(s.id, 0, REASON))
        .to.be.revertedWithCustomError(s.ledger, "RevenueWrongState").withArgs(s.id, 0, RevenueState.Cleared);
      await s.ledger.finalizeRevenue(s.id, 0);
      await expect(s.ledger.connect(s.auditor).disputeRevenue(s.id, 0, REASON))
        .to.be.revertedWithCustomError(s.ledger, "RevenueWrongState").withArgs(s.id, 0, RevenueState.Finalized);
    });

    it("when the ledger is paused, an auditor can still dispute", async function () {
      const s = await loadFixture(revenueFixture);
      await report(s, 0, 1_000n * USDC);
      await s.ledger.connect(s.pauser).pause();
      await expect(s.ledger.connect(s.auditor).disputeRevenue(s.id, 0, REASON)).to.emit(s.ledger, "RevenueDisputed");
    });
  });

  describe("resolveRevenueDispute", function () {
    async function disputed() {
      const s = await loadFixture(revenueFixture);
      const submittedAt = await report(s, 0, 1_000n * USDC);
      await s.ledger.connect(s.auditor).disputeRevenue(s.id, 0, REASON);
      return { s, submittedAt };
    }

    it("when the caller lacks PROGRAM_ROLE, it reverts AccessControlUnauthorizedAccount(caller, PROGRAM_ROLE)", async function () {
      const { s } = await disputed();
      await expect(s.ledger.connect(s.auditor).resolveRevenueDispute(s.id, 0, true))
        .to.be.revertedWithCustomError(s.ledger, "AccessControlUnauthorizedAccount").withArgs(s.auditor.address, await s.ledger.PROGRAM_ROLE());
    });

    it("when the report is not Disputed, it reverts RevenueWrongState(id, k, state)", async function () {
      const s = await loadFixture(revenueFixture);
      await report(s, 0, 1_000n * USDC);
      await expect(s.ledger.connect(s.program).resolveRevenueDispute(s.id, 0, false))
        .to.be.revertedWithCustomError(s.ledger, "RevenueWrongState").withArgs(s.id, 0, RevenueState.Pending);
      await expect(s.ledger.connect(s.program).resolveRevenueDispute(s.id, 1, false))
        .to.be.revertedWithCustomError(s.ledger, "RevenueWrongState").withArgs(s.id, 1, RevenueState.None);
    });

    it("when upheld, the report is Rejected (RevenueDisputeResolved(id, k, true)), cannot be finalized, and needs a new version", async function () {
      const { s } = await disputed();
      await expect(s.ledger.connect(s.program).resolveRevenueDispute(s.id, 0, true))
        .to.emit(s.ledger, "RevenueDisputeResolved").withArgs(s.id, 0, true);
      expect(await stateOf(s, 0)).to.equal(BigInt(RevenueState.Rejected));
      await time.increase(DISPUTE_WINDOW);
      await expect(s.ledger.finalizeRevenue(s.id, 0))
        .to.be.revertedWithCustomError(s.ledger, "RevenueWrongState").withArgs(s.id, 0, RevenueState.Rejected);
      await expect(s.ledger.connect(s.program).resolveRevenueDispute(s.id, 0, false))
        .to.be.revertedWithCustomError(s.ledger, "RevenueWrongState").withArgs(s.id, 0, RevenueState.Rejected);
      const again = await report(s, 0, 500n * USDC, 2);
      await time.setNextBlockTimestamp(again + DISPUTE_WINDOW);
      await expect(s.ledger.finalizeRevenue(s.id, 0)).to.emit(s.ledger, "RevenueFinalized").withArgs(s.id, 0, 500n * USDC, 40n * USDC, again + DISPUTE_WINDOW + GRACE);
    });

    it("when not upheld, the report is Cleared (RevenueDisputeResolved(id, k, false)) and finalizable at once, before its window ends", async function () {
      const { s, submittedAt } = await disputed();
      await expect(s.ledger.connect(s.program).resolveRevenueDispute(s.id, 0, false))
        .to.emit(s.ledger, "RevenueDisputeResolved").withArgs(s.id, 0, false);
      expect(await stateOf(s, 0)).to.equal(BigInt(RevenueState.Cleared));
      expect(BigInt(await time.latest())).to.be.lessThan(submittedAt + DISPUTE_WINDOW);
      const tx = await s.ledger.connect(s.outsider).finalizeRevenue(s.id, 0);
      const finalizedAt = BigInt((await tx.getBlock())!.timestamp);
      await expect(tx).to.emit(s.ledger, "RevenueFinalized").withArgs(s.id, 0, 1_000n * USDC, 80n * USDC, finalizedAt + GRACE);
    });
  });

  describe("finalizeRevenue", function () {
    it("when the index is not below the period count, it reverts RevenuePeriodOutOfRange(id, k, count)", async function () {
      const s = await loadFixture(revenueFixture);
      await expect(s.ledger.finalizeRevenue(s.id, 12)).to.be.revertedWithCustomError(s.ledger, "RevenuePeriodOutOfRange").withArgs(s.id, 12, 12n);
    });

    it("when the agreement does not exist, it reverts AgreementNotFound(id)", async function () {
      const s = await loadFixture(revenueFixture);
      await expect(s.ledger.finalizeRevenue(999n, 0)).to.be.revertedWithCustomError(s.ledger, "AgreementNotFound").withArgs(999n);
    });

    it("when the period is not nextPeriodToFinalize, it reverts RevenueOutOfOrder(id, k, next), before and after", async function () {
      const s = await loadFixture(revenueFixture);
      await report(s, 0, 1_000n * USDC);
      const p1 = await report(s, 1, 1_000n * USDC);
      await time.increaseTo(p1 + DISPUTE_WINDOW);
      await expect(s.ledger.finalizeRevenue(s.id, 1)).to.be.revertedWithCustomError(s.ledger, "RevenueOutOfOrder").withArgs(s.id, 1, 0);
      await s.ledger.finalizeRevenue(s.id, 0);
      await expect(s.ledger.finalizeRevenue(s.id, 0)).to.be.revertedWithCustomError(s.ledger, "RevenueOutOfOrder").withArgs(s.id, 0, 1);
      await expect(s.ledger.finalizeRevenue(s.id, 1)).to.emit(s.ledger, "RevenueFinalized");
      expect((await s.ledger.agreement(s.id)).nextPeriodToFinalize).to.equal(2n);
    });

    it("when the period has no report, it reverts RevenueWrongState(id, k, None)", async function () {
      const s = await loadFixture(revenueFixture);
      await time.increaseTo(periodEnd(s, 0) + DISPUTE_WINDOW);
      await expect(s.ledger.finalizeRevenue(s.id, 0)).to.be.revertedWithCustomError(s.ledger, "RevenueWrongState").withArgs(s.id, 0, RevenueState.None);
    });

    it("when the report is Disputed, it reverts RevenueWrongState(id, k, Disputed), even after the window", async function () {
      const s = await loadFixture(revenueFixture);
      await report(s, 0, 1_000n * USDC);
      await s.ledger.connect(s.auditor).disputeRevenue(s.id, 0, REASON);
      await time.increase(DISPUTE_WINDOW);
      await expect(s.ledger.finalizeRevenue(s.id, 0)).to.be.revertedWithCustomError(s.ledger, "RevenueWrongState").withArgs(s.id, 0, RevenueState.Disputed);
    });

    it("when one second of the window is left it reverts RevenueDisputeWindowOpen(id, k, closesAt); exactly at closesAt anyone finalizes", async function () {
      const s = await loadFixture(revenueFixture);
      const submittedAt = await report(s, 0, 1_000n * USDC);
      await time.setNextBlockTimestamp(submittedAt + DISPUTE_WINDOW - 1n);
      await expect(s.ledger.finalizeRevenue(s.id, 0))
        .to.be.revertedWithCustomError(s.ledger, "RevenueDisputeWindowOpen").withArgs(s.id, 0, submittedAt + DISPUTE_WINDOW);
      await time.setNextBlockTimestamp(submittedAt + DISPUTE_WINDOW);
      await expect(s.ledger.connect(s.outsider).finalizeRevenue(s.id, 0)).to.emit(s.ledger, "RevenueFinalized");
    });

    it("when finalized, it emits RevenueFinalized(id, k, revenue, owed, due) with due = max(periodEnd, finalizedAt) + gracePeriod and fills revenuePeriod", async function () {
      const s = await loadFixture(revenueFixture);
      const submittedAt = await report(s, 0, 1_000n * USDC);
      const finalizedAt = submittedAt + DISPUTE_WINDOW + 5n;
      await time.setNextBlockTimestamp(finalizedAt);
      const due = (finalizedAt > periodEnd(s, 0) ? finalizedAt : periodEnd(s, 0)) + GRACE;
      await expect(s.ledger.finalizeRevenue(s.id, 0)).to.emit(s.ledger, "RevenueFinalized").withArgs(s.id, 0, 1_000n * USDC, 80n * USDC, due);
      const view = await s.ledger.revenuePeriod(s.id, 0);
      expect([view.state, view.submittedAt, view.owed, view.cumulativeObligation, view.due, view.report.revenue, view.report.version])
        .to.deep.equal([BigInt(RevenueState.Finalized), submittedAt, 80n * USDC, 80n * USDC, due, 1_000n * USDC, 1n]);
      const a = await s.ledger.agreement(s.id);
      expect([a.obligation, a.outstanding, a.nextPeriodToFinalize, a.nextDue]).to.deep.equal([80n * USDC, 80n * USDC, 1n, due]);
    });

    it("when periods finalize in order, owed = min(share, cap − obligation): the cap is reached, then owed is 0, then new usage raises it", async function () {
      const s = await loadFixture(revenueFixture);
      const cap = 1_440n * USDC; // 960 DSXC x 150 %
      expect((await s.ledger.agreement(s.id)).cap).to.equal(cap);
      const owedOf = async (k: number, revenue: bigint) => {
        const receipt = await finalizePeriod(s, s.id, k, revenue);
        const [event] = receipt.logs.map((l) => s.ledger.interface.parseLog(l)).filter((e) => e?.name === "RevenueFinalized");
        const a = await s.ledger.agreement(s.id);
        expect(a.obligation, "obligation never exceeds the cap at finalization").to.be.at.most(a.cap);
        return [event!.args.owed as bigint, a.obligation];
      };
      // share 800 < headroom 1 440
      expect(await owedOf(0, 10_000n * USDC)).to.deep.equal([800n * USDC, 800n * USDC]);
      // share 800 > headroom 640
      expect(await owedOf(1, 10_000n * USDC)).to.deep.equal([640n * USDC, cap]);
      // the cap is reached
      expect(await owedOf(2, 10_000n * USDC)).to.deep.equal([0n, cap]);
      // 960 DSXC more usage: cap 2 880, headroom 1 440
      await recordUsage(s, batchOf(s.partnerF.address, 1n, s.start + DAY, s.start + 2n * DAY, [[s.id, H100, 16n * DAY]]));
      expect((await s.ledger.agreement(s.id)).cap).to.equal(2n * cap);
      expect(await owedOf(3, 10_000n * USDC)).to.deep.equal([800n * USDC, cap + 800n * USDC]);
      expect(await owedOf(4, 100_000n * USDC)).to.deep.equal([640n * USDC, 2n * cap]);
      const views = await Promise.all([0, 1, 2, 3, 4].map((k) => s.ledger.revenuePeriod(s.id, k)));
      expect(views.map((v) => v.owed)).to.deep.equal([800n, 640n, 0n, 800n, 640n].map((x) => x * USDC));
      expect(views.map((v) => v.cumulativeObligation)).to.deep.equal([800n, 1_440n, 1_440n, 2_240n, 2_880n].map((x) => x * USDC));
      for (let k = 1; k < views.length; k++) expect(views[k].due, "due is non-decreasing in k").to.be.at.least(views[k - 1].due);
    });

    it("when the ledger is paused, a non-last period still finalizes", async function () {
      const s = await loadFixture(revenueFixture);
      const submittedAt = await report(s, 0, 1_000n * USDC);
      await s.ledger.connect(s.pauser).pause();
      await time.increaseTo(submittedAt + DISPUTE_WINDOW);
      await expect(s.ledger.finalizeRevenue(s.id, 0)).to.emit(s.ledger, "RevenueFinalized");
    });

    describe("the last period", function () {
      async function lastReported() {
        const s = await loadFixture(shortFixture);
        await finalizePeriod(s, s.id, 0, 100n * USDC);
        const submittedAt = await report(s, 1, 100n * USDC);
        const close = await s.ledger.reportingClose(s.id);
        expect(close).to.equal(s.terms.endTime + REPORTING_GRACE);
        expect(close).to.be.greaterThan(submittedAt + DISPUTE_WINDOW);
        return { s, close };
      }

      it("when a non-last period's window has ended, it finalizes before the reporting close", async function () {
        const { s, close } = await lastReported();
        expect(BigInt(await time.latest())).to.be.lessThan(close);
        expect((await s.ledger.agreement(s.id)).nextPeriodToFinalize).to.equal(1n);
      });

      it("when now is one second before R it reverts ReportingStillOpen(id, R); exactly at R it finalizes", async function () {
        const { s, close } = await lastReported();
        await time.setNextBlockTimestamp(close - 1n);
        await expect(s.ledger.finalizeRevenue(s.id, 1)).to.be.revertedWithCustomError(s.ledger, "ReportingStillOpen").withArgs(s.id, close);
        await time.setNextBlockTimestamp(close);
        await expect(s.ledger.finalizeRevenue(s.id, 1)).to.emit(s.ledger, "RevenueFinalized").withArgs(s.id, 1, 100n * USDC, 8n * USDC, close + GRACE);
      });

      it("when the ledger is paused, R is infinite (ReportingStillOpen(id, 2^256 − 1)); after unpause R = unpausedAt + REPORTING_GRACE", async function () {
        const { s, close } = await lastReported();
        await time.increaseTo(close);
        await s.ledger.connect(s.pauser).pause();
        await expect(s.ledger.finalizeRevenue(s.id, 1)).to.be.revertedWithCustomError(s.ledger, "ReportingStillOpen").withArgs(s.id, ethers.MaxUint256);
        await s.ledger.connect(s.pauser).unpause();
        const reopened = (await s.ledger.lastUnpausedAt()) + REPORTING_GRACE;
        await expect(s.ledger.finalizeRevenue(s.id, 1)).to.be.revertedWithCustomError(s.ledger, "ReportingStillOpen").withArgs(s.id, reopened);
        await time.setNextBlockTimestamp(reopened);
        await expect(s.ledger.finalizeRevenue(s.id, 1)).to.emit(s.ledger, "RevenueFinalized");
      });
    });
  });
});

import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { B200, H100, HOUR, DAY, USDC, DISPUTE_WINDOW } from "../helpers/fixture";
import {
  buildScenario, restoreChainAfterAll, batchOf, recordUsage, openAgreement, finalizePeriod, linesHash, fund, DSXC, UsageDisputeState, AgreementStatus,
  type AcceptedLine, type RecordedBatch, type Scenario,
} from "../helpers/scenario";

const H = HOUR;
const REASON = ethers.id("gpu-hours double counted");
/** Agreement 1's lines in the batch: b200 3600 GPU-s (4 DSXC) + h100 54 000 GPU-s (37.5 DSXC). */
const ID1_CREDITS = 41_500_000n;
/** F's receivable from them: 2.8 + 26.25. */
const ID1_RECEIVABLE = 29_050_000n;
/** Agreement 2's line: h100 3600 GPU-s (2.5 DSXC). */
const ID2_CREDITS = 2_500_000n;

/** One F batch over [start, start + 1 h) with lines for agreements 1 and 2, recorded at start + 1 h. */
async function disputeFixture(): Promise<Scenario & { rec: RecordedBatch }> {
  const s = await buildScenario({ secondAgreement: true });
  await time.increaseTo(s.start + H);
  const batch = batchOf(s.partnerF.address, 0n, s.start, s.start + H, [[s.id, B200, 3_600n], [s.id, H100, 54_000n], [s.id2, H100, 3_600n]]);
  const rec = await recordUsage(s, batch);
  return { ...s, rec };
}

async function position(s: Scenario, id: bigint) {
  return s.ledger.partnerPosition(id, s.partnerF.address);
}

function resolve(s: Scenario & { rec: RecordedBatch }, id: bigint, refund: bigint, lines: AcceptedLine[] = s.rec.accepted, partner = s.partnerF.address) {
  return s.ledger.connect(s.program).resolveUsageDispute(s.rec.batchId, id, partner, lines, refund);
}

describe("usage disputes (credit notes)", function () {
  restoreChainAfterAll();

  describe("disputeUsage", function () {
    it("when the agreement's startup disputes inside the window, it emits UsageDisputed(batchId, id, by, reasonHash) and the dispute is Open", async function () {
      const s = await loadFixture(disputeFixture);
      await expect(s.ledger.connect(s.startup).disputeUsage(s.rec.batchId, s.id, REASON))
        .to.emit(s.ledger, "UsageDisputed").withArgs(s.rec.batchId, s.id, s.startup.address, REASON);
      const [state, refund] = await s.ledger.usageDispute(s.rec.batchId, s.id);
      expect([state, refund]).to.deep.equal([BigInt(UsageDisputeState.Open), 0n]);
    });

    it("when an auditor disputes any agreement's lines, it is allowed", async function () {
      const s = await loadFixture(disputeFixture);
      await expect(s.ledger.connect(s.auditor).disputeUsage(s.rec.batchId, s.id2, REASON))
        .to.emit(s.ledger, "UsageDisputed").withArgs(s.rec.batchId, s.id2, s.auditor.address, REASON);
    });

    it("when someone else (outsider, the partner, another agreement's startup) disputes, it reverts UsageDisputeNotAllowed(caller)", async function () {
      const s = await loadFixture(disputeFixture);
      for (const caller of [s.outsider, s.partnerF, s.startup2, s.program]) {
        await expect(s.ledger.connect(caller).disputeUsage(s.rec.batchId, s.id, REASON))
          .to.be.revertedWithCustomError(s.ledger, "UsageDisputeNotAllowed").withArgs(caller.address);
      }
    });

    it("when the batch id is unknown, it reverts UsageBatchNotFound(batchId)", async function () {
      const s = await loadFixture(disputeFixture);
      const unknown = ethers.id("no such batch");
      await expect(s.ledger.connect(s.auditor).disputeUsage(unknown, s.id, REASON))
        .to.be.revertedWithCustomError(s.ledger, "UsageBatchNotFound").withArgs(unknown);
    });

    it("when the agreement id is unknown, it reverts AgreementNotFound(id)", async function () {
      const s = await loadFixture(disputeFixture);
      await expect(s.ledger.connect(s.auditor).disputeUsage(s.rec.batchId, 999n, REASON))
        .to.be.revertedWithCustomError(s.ledger, "AgreementNotFound").withArgs(999n);
    });

    it("when one second of the window is left it is accepted; exactly at submittedAt + DISPUTE_WINDOW it reverts UsageDisputeWindowClosed", async function () {
      const s = await loadFixture(disputeFixture);
      const closesAt = s.rec.submittedAt + DISPUTE_WINDOW;
      await time.setNextBlockTimestamp(closesAt - 1n);
      await expect(s.ledger.connect(s.startup).disputeUsage(s.rec.batchId, s.id, REASON)).to.emit(s.ledger, "UsageDisputed");
      await time.setNextBlockTimestamp(closesAt);
      await expect(s.ledger.connect(s.auditor).disputeUsage(s.rec.batchId, s.id2, REASON))
        .to.be.revertedWithCustomError(s.ledger, "UsageDisputeWindowClosed").withArgs(s.rec.batchId, closesAt);
    });

    it("when the same (batch, agreement) is disputed again, it reverts UsageDisputeWrongState(…, Open) and later (…, Resolved)", async function () {
      const s = await loadFixture(disputeFixture);
      await s.ledger.connect(s.startup).disputeUsage(s.rec.batchId, s.id, REASON);
      await expect(s.ledger.connect(s.auditor).disputeUsage(s.rec.batchId, s.id, REASON))
        .to.be.revertedWithCustomError(s.ledger, "UsageDisputeWrongState").withArgs(s.rec.batchId, s.id, UsageDisputeState.Open);
      await resolve(s, s.id, 0n);
      await expect(s.ledger.connect(s.startup).disputeUsage(s.rec.batchId, s.id, REASON))
        .to.be.revertedWithCustomError(s.ledger, "UsageDisputeWrongState").withArgs(s.rec.batchId, s.id, UsageDisputeState.Resolved);
    });

    it("when another agreement of the same batch, or the same agreement in another batch, is disputed, each is its own dispute", async function () {
      const s = await loadFixture(disputeFixture);
      await s.ledger.connect(s.startup).disputeUsage(s.rec.batchId, s.id, REASON);
      await expect(s.ledger.connect(s.startup2).disputeUsage(s.rec.batchId, s.id2, REASON)).to.emit(s.ledger, "UsageDisputed");
      await time.increaseTo(s.start + 2n * H);
      const next = await recordUsage(s, batchOf(s.partnerF.address, 1n, s.start + H, s.start + 2n * H, [[s.id, H100, 3_600n]]));
      await expect(s.ledger.connect(s.startup).disputeUsage(next.batchId, s.id, REASON)).to.emit(s.ledger, "UsageDisputed");
    });

    it("when the ledger is paused, a dispute can still be opened", async function () {
      const s = await loadFixture(disputeFixture);
      await s.ledger.connect(s.pauser).pause();
      await expect(s.ledger.connect(s.startup).disputeUsage(s.rec.batchId, s.id, REASON)).to.emit(s.ledger, "UsageDisputed");
    });
  });

  describe("resolveUsageDispute", function () {
    async function disputed() {
      const s = await loadFixture(disputeFixture);
      await s.ledger.connect(s.startup).disputeUsage(s.rec.batchId, s.id, REASON);
      return s;
    }

    it("when the accepted lines are rebuilt from the batch's UsageRecorded events, they hash to usageBatch(batchId).linesHash", async function () {
      const s = await loadFixture(disputeFixture);
      expect(s.rec.accepted.map((l) => [l.agreementId, l.sku, l.gpuSeconds, l.credits])).to.deep.equal([
        [s.id, B200, 3_600n, 4_000_000n], [s.id, H100, 54_000n, 37_500_000n], [s.id2, H100, 3_600n, ID2_CREDITS],
      ]);
      const [submittedAt, hash] = await s.ledger.usageBatch(s.rec.batchId);
      expect(submittedAt).to.equal(s.rec.submittedAt);
      expect(hash).to.equal(linesHash(s.partnerF.address, s.rec.accepted));
    });

    it("when the caller lacks PROGRAM_ROLE, it reverts AccessControlUnauthorizedAccount(caller, PROGRAM_ROLE)", async function () {
      const s = await disputed();
      await expect(s.ledger.connect(s.auditor).resolveUsageDispute(s.rec.batchId, s.id, s.partnerF.address, s.rec.accepted, 0n))
        .to.be.revertedWithCustomError(s.ledger, "AccessControlUnauthorizedAccount").withArgs(s.auditor.address, await s.ledger.PROGRAM_ROLE());
    });

    it("when no dispute is open for the pair, it reverts UsageDisputeWrongState(batchId, id, None)", async function () {
      const s = await disputed();
      await expect(resolve(s, s.id2, 0n))
        .to.be.revertedWithCustomError(s.ledger, "UsageDisputeWrongState").withArgs(s.rec.batchId, s.id2, UsageDisputeState.None);
    });

    it("when the lines differ from the batch's (credits, a dropped line, order) or the partner is wrong, it reverts UsageLinesMismatch(batchId)", async function () {
      const s = await disputed();
      const [a, b, c] = s.rec.accepted;
      const variants: [AcceptedLine[], string][] = [
        [[{ ...a, credits: a.credits - 1n }, b, c], s.partnerF.address],
        [[a, b], s.partnerF.address],
        [[b, a, c], s.partnerF.address],
        [[a, b, c, c], s.partnerF.address],
        [[a, b, c], s.partnerB.address],
      ];
      for (const [lines, partner] of variants) {
        await expect(resolve(s, s.id, 0n, lines, partner)).to.be.revertedWithCustomError(s.ledger, "UsageLinesMismatch").withArgs(s.rec.batchId);
      }
    });

    it("when the refund exceeds the agreement's credits in the batch, it reverts RefundTooLarge(refund, max)", async function () {
      const s = await disputed();
      await expect(resolve(s, s.id, ID1_CREDITS + 1n)).to.be.revertedWithCustomError(s.ledger, "RefundTooLarge").withArgs(ID1_CREDITS + 1n, ID1_CREDITS);
      await s.ledger.connect(s.startup2).disputeUsage(s.rec.batchId, s.id2, REASON);
      await expect(resolve(s, s.id2, ID2_CREDITS + 1n)).to.be.revertedWithCustomError(s.ledger, "RefundTooLarge").withArgs(ID2_CREDITS + 1n, ID2_CREDITS);
    });

    it("when the refund is 0, it rejects the dispute: UsageDisputeResolved(…, 0, 0), state Resolved, nothing else moves", async function () {
      const s = await disputed();
      const before = await position(s, s.id);
      const supply = await s.credit.totalSupply();
      const tx = await resolve(s, s.id, 0n);
      await expect(tx).to.emit(s.ledger, "UsageDisputeResolved").withArgs(s.rec.batchId, s.id, 0n, 0n);
      await expect(tx).not.to.emit(s.credit, "Transfer");
      expect(await s.ledger.usageDispute(s.rec.batchId, s.id)).to.deep.equal([BigInt(UsageDisputeState.Resolved), 0n]);
      expect(await position(s, s.id)).to.deep.equal(before);
      expect(await s.credit.totalSupply()).to.equal(supply);
      await expect(resolve(s, s.id, 0n))
        .to.be.revertedWithCustomError(s.ledger, "UsageDisputeWrongState").withArgs(s.rec.batchId, s.id, UsageDisputeState.Resolved);
    });

    it("when the full refund is granted, it re-mints it to the startup; spent and consumed fall, burnedAt does not, the receivable falls by its payout share", async function () {
      const s = await disputed();
      const limit = s.terms.creditLimit;
      expect(await s.credit.balanceOf(s.startup.address)).to.equal(limit - ID1_CREDITS);
      const tx = await resolve(s, s.id, ID1_CREDITS);
      await expect(tx).to.emit(s.ledger, "UsageDisputeResolved").withArgs(s.rec.batchId, s.id, ID1_CREDITS, ID1_RECEIVABLE);
      await expect(tx).to.emit(s.credit, "Transfer").withArgs(ethers.ZeroAddress, s.startup.address, ID1_CREDITS);
      expect(await s.credit.balanceOf(s.startup.address)).to.equal(limit);
      const p = await position(s, s.id);
      expect([p.spent, p.burnedAt, p.receivable, p.lastUsageEnd]).to.deep.equal([0n, ID1_CREDITS, 0n, s.start + H]);
      const a = await s.ledger.agreement(s.id);
      expect([a.consumed, a.cap, a.creditsMinted]).to.deep.equal([0n, 0n, limit + ID1_CREDITS]);
      expect(await s.ledger.usageDispute(s.rec.batchId, s.id)).to.deep.equal([BigInt(UsageDisputeState.Resolved), ID1_CREDITS]);
      expect((await position(s, s.id2)).spent, "the other agreement in the batch is untouched").to.equal(ID2_CREDITS);
    });

    it("when a partial refund is granted, the receivable falls by refund × payoutBps / 10 000 rounded down", async function () {
      const s = await disputed();
      const refund = 1_000_001n; // x 0.7 = 700 000.7
      await expect(resolve(s, s.id, refund)).to.emit(s.ledger, "UsageDisputeResolved").withArgs(s.rec.batchId, s.id, refund, 700_000n);
      const p = await position(s, s.id);
      expect([p.spent, p.burnedAt, p.receivable]).to.deep.equal([ID1_CREDITS - refund, ID1_CREDITS, ID1_RECEIVABLE - 700_000n]);
      expect((await s.ledger.agreement(s.id)).consumed).to.equal(ID1_CREDITS - refund);
    });

    it("when the dispute window has since closed, the open dispute can still be resolved", async function () {
      const s = await disputed();
      await time.increase(30n * DAY);
      await expect(resolve(s, s.id, 1n)).to.emit(s.ledger, "UsageDisputeResolved").withArgs(s.rec.batchId, s.id, 1n, 0n);
    });

    it("when the agreement has Expired, the refund is not re-minted but the books still fall", async function () {
      const s = await loadFixture(disputeFixture);
      const wallet = s.extra[0];
      const short = await openAgreement(s, wallet, { startTime: s.start, endTime: s.start + DAY, periodDuration: DAY, creditLimit: 10n * DSXC });
      await time.increaseTo(s.start + 2n * H);
      const rec = await recordUsage(s, batchOf(s.partnerF.address, 1n, s.start, s.start + H, [[short, H100, 3_600n]]));
      await s.ledger.connect(wallet).disputeUsage(rec.batchId, short, REASON);
      await time.increaseTo(await s.ledger.reportingClose(short));
      await s.ledger.expireCredits(short);
      expect((await s.ledger.agreement(short)).status).to.equal(BigInt(AgreementStatus.Expired));
      const tx = await s.ledger.connect(s.program).resolveUsageDispute(rec.batchId, short, s.partnerF.address, rec.accepted, 2_500_000n);
      await expect(tx).to.emit(s.ledger, "UsageDisputeResolved").withArgs(rec.batchId, short, 2_500_000n, 1_750_000n);
      await expect(tx).to.not.emit(s.credit, "Transfer");
      expect(await s.credit.balanceOf(wallet.address)).to.equal(0n);
      const p = await position(s, short);
      expect([p.spent, p.burnedAt, p.receivable]).to.deep.equal([0n, 2_500_000n, 0n]);
      expect((await s.ledger.agreement(short)).creditsMinted).to.equal(10n * DSXC);
    });

    describe("after payments (pay first, then resolve)", function () {
      /** Period 0 (revenue 1 000 USDC) finalized: owed = min(80, cap 62.25) = 62.25 USDC; then `amount` is paid. */
      async function paidThenResolved(amount: bigint) {
        const s = await disputed();
        await finalizePeriod(s, s.id, 0, 1_000n * USDC);
        await fund(s, s.payer, amount);
        await s.ledger.connect(s.payer).pay(s.id, amount);
        return s;
      }

      it("when part of the receivable was paid, it falls only to paidToPartner (never below)", async function () {
        // pay 10: partner-first 60 % = 6 USDC to F (the only partner owed)
        const s = await paidThenResolved(10n * USDC);
        expect((await position(s, s.id)).paidToPartner).to.equal(6n * USDC);
        await expect(resolve(s, s.id, ID1_CREDITS))
          .to.emit(s.ledger, "UsageDisputeResolved").withArgs(s.rec.batchId, s.id, ID1_CREDITS, ID1_RECEIVABLE - 6n * USDC);
        const p = await position(s, s.id);
        expect([p.receivable, p.paidToPartner, p.spent]).to.deep.equal([6n * USDC, 6n * USDC, 0n]);
      });

      it("when the receivable was fully paid, nothing is removed from it", async function () {
        const s = await paidThenResolved(62_250_000n);
        expect((await position(s, s.id)).paidToPartner).to.equal(ID1_RECEIVABLE);
        await expect(resolve(s, s.id, ID1_CREDITS)).to.emit(s.ledger, "UsageDisputeResolved").withArgs(s.rec.batchId, s.id, ID1_CREDITS, 0n);
        expect((await position(s, s.id)).receivable).to.equal(ID1_RECEIVABLE);
      });

      it("when usage is refunded after finalization, the finalized obligation and owed stay although the cap falls", async function () {
        const s = await paidThenResolved(10n * USDC);
        const before = await s.ledger.agreement(s.id);
        expect([before.obligation, before.cap]).to.deep.equal([62_250_000n, 62_250_000n]);
        await resolve(s, s.id, ID1_CREDITS);
        const after = await s.ledger.agreement(s.id);
        expect([after.cap, after.obligation, after.paid, after.outstanding]).to.deep.equal([0n, 62_250_000n, 10n * USDC, 52_250_000n]);
        expect((await s.ledger.revenuePeriod(s.id, 0)).owed).to.equal(62_250_000n);
      });
    });
  });
});

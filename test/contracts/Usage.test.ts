import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { ContractTransactionReceipt, ContractTransactionResponse } from "ethers";
import { skuToBytes32, usageBatchId } from "../../sdk/eip712";
import { signUsageBatch, B200, H100, HOUR, DAY, AUTH_NOTICE, RATE_NOTICE, REPORTING_GRACE } from "../helpers/fixture";
import {
  buildScenario, restoreChainAfterAll, batchOf, sendUsage, recordUsage, batchIdOf, linesHash, openAgreement, proposeAgreement, reportOf,
  sendRevenue, eventsOf, DSXC, Reason, RATE_F_H100, RATE_F_B200, PAYOUT_F, type Batch, type Scenario, type LineInput,
} from "../helpers/scenario";

const H = HOUR;
const GB300 = skuToBytes32("gb300");
/** UsageRejection.SiblingRejected (v1.1): a line skipped because another line of its agreement in the batch failed. */
/** F is authorized for 16 GPUs on agreements 1 and 2: the bound of a one-hour window. */
const BOUND_1H = 16n * 3_600n;

const usageFixture = () => buildScenario({ secondAgreement: true });
/** F may spend only 10 DSXC on agreement 1. */
const tightFixture = () => buildScenario({ secondAgreement: true, fAuth: { spendLimit: 10n * DSXC, maxGpus: 16 } });

interface Outcome {
  accepted: [bigint, string, bigint, bigint, bigint][];
  rejected: [bigint, string, number][];
}

/**
 * Every line's fate from the receipt: accepted [id, sku, gpuSeconds, credits, receivableAdded], rejected [id, sku, reason].
 * Also checks that every event carries the batch's id and that UsageBatchRecorded carries the batch and the counts.
 */
async function outcomeOf(s: Scenario, batch: Batch, tx: ContractTransactionResponse): Promise<Outcome> {
  const receipt = (await tx.wait())!;
  const batchId = batchIdOf(batch);
  const recorded = eventsOf(s.ledger, receipt, "UsageRecorded");
  const rejected = eventsOf(s.ledger, receipt, "UsageLineRejected");
  for (const e of [...recorded, ...rejected]) expect(e.args.batchId).to.equal(batchId);
  for (const e of recorded) expect(e.args.partner).to.equal(batch.partner);
  const [summary, ...more] = eventsOf(s.ledger, receipt, "UsageBatchRecorded");
  expect(more).to.have.length(0);
  expect([...summary.args]).to.deep.equal([
    batchId, batch.partner, batch.sequence, batch.periodStart, batch.periodEnd, batch.recordsRoot,
    BigInt(recorded.length), BigInt(rejected.length),
  ]);
  return {
    accepted: recorded.map((e) => [e.args.agreementId, e.args.sku, e.args.gpuSeconds, e.args.credits, e.args.receivableAdded]),
    rejected: rejected.map((e) => [e.args.agreementId, e.args.sku, Number(e.args.reason)]),
  };
}

/** Credits of `gpuSeconds` at F's rate for `sku` and the receivable they add. */
function fLine(id: bigint, sku: string, gpuSeconds: bigint): [bigint, string, bigint, bigint, bigint] {
  const credits = (gpuSeconds * (sku === H100 ? RATE_F_H100 : RATE_F_B200)) / 3_600n;
  return [id, sku, gpuSeconds, credits, (credits * PAYOUT_F) / 10_000n];
}

async function fBatch(s: Scenario, start: bigint, end: bigint, lines: LineInput[]) {
  const sequence = (await s.ledger.partner(s.partnerF.address)).nextSequence;
  return batchOf(s.partnerF.address, sequence, start, end, lines);
}

/** Submits an F batch over [start, end) and returns each line's fate. */
async function submitF(s: Scenario, start: bigint, end: bigint, lines: LineInput[]): Promise<Outcome> {
  const batch = await fBatch(s, start, end, lines);
  return outcomeOf(s, batch, await sendUsage(s, batch));
}

async function position(s: Scenario, id: bigint) {
  return s.ledger.partnerPosition(id, s.partnerF.address);
}

/** An agreement for a fresh wallet whose single day-long period starts at START. */
async function oneDayAgreement(s: Scenario, creditLimit = 100_000n * DSXC) {
  return openAgreement(s, s.extra[0], { startTime: s.start, endTime: s.start + DAY, periodDuration: DAY, creditLimit });
}

describe("submitUsage", function () {
  restoreChainAfterAll();

  describe("batch checks (any failure reverts)", function () {
    it("when the ledger is paused, it reverts LedgerPaused before looking at the partner", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      await s.ledger.connect(s.pauser).pause();
      const batch = batchOf(s.outsider.address, 0n, S, S + H, [[s.id, H100, 3_600n]]);
      await expect(sendUsage(s, batch, { keys: s.fKeys })).to.be.revertedWithCustomError(s.ledger, "LedgerPaused");
    });

    it("when the partner is not registered, it reverts PartnerNotRegistered(partner)", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      const batch = batchOf(s.outsider.address, 0n, S, S + H, [[s.id, H100, 3_600n]]);
      await expect(sendUsage(s, batch, { keys: s.fKeys }))
        .to.be.revertedWithCustomError(s.ledger, "PartnerNotRegistered").withArgs(s.outsider.address);
    });

    it("when the partner is deactivated, it reverts PartnerInactive(partner), and reactivation lets the same batch land", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      await s.ledger.connect(s.program).setPartnerActive(s.partnerF.address, false);
      const batch = await fBatch(s, S, S + H, [[s.id, H100, 3_600n]]);
      await expect(sendUsage(s, batch)).to.be.revertedWithCustomError(s.ledger, "PartnerInactive").withArgs(s.partnerF.address);
      await s.ledger.connect(s.program).setPartnerActive(s.partnerF.address, true);
      await expect(sendUsage(s, batch)).to.emit(s.ledger, "UsageBatchRecorded");
    });

    it("when the sequence is ahead of nextSequence, it reverts UsageSequenceMismatch(partner, expected, got)", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      const batch = batchOf(s.partnerF.address, 1n, S, S + H, [[s.id, H100, 3_600n]]);
      await expect(sendUsage(s, batch))
        .to.be.revertedWithCustomError(s.ledger, "UsageSequenceMismatch").withArgs(s.partnerF.address, 0n, 1n);
    });

    it("when a recorded batch is replayed, it reverts UsageSequenceMismatch, and sequences are counted per partner", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      const batch = await fBatch(s, S, S + H, [[s.id, H100, 3_600n]]);
      await recordUsage(s, batch);
      await expect(sendUsage(s, batch))
        .to.be.revertedWithCustomError(s.ledger, "UsageSequenceMismatch").withArgs(s.partnerF.address, 1n, 0n);
      const fromB = batchOf(s.partnerB.address, 0n, S, S + H, [[s.id, B200, 3_600n]]);
      await expect(sendUsage(s, fromB)).to.emit(s.ledger, "UsageBatchRecorded");
      expect((await s.ledger.partner(s.partnerF.address)).nextSequence).to.equal(1n);
      expect((await s.ledger.partner(s.partnerB.address)).nextSequence).to.equal(1n);
    });

    it("when the batch has no line, it reverts UsageLineCount(0)", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      await expect(sendUsage(s, await fBatch(s, S, S + H, []))).to.be.revertedWithCustomError(s.ledger, "UsageLineCount").withArgs(0n);
    });

    it("when the batch has 257 lines, it reverts UsageLineCount(257)", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      const lines: LineInput[] = Array.from({ length: 257 }, (_, i) => [BigInt(i + 1), H100, 1n] as const);
      await expect(sendUsage(s, await fBatch(s, S, S + H, lines))).to.be.revertedWithCustomError(s.ledger, "UsageLineCount").withArgs(257n);
    });

    it("when the batch has 256 lines, it is recorded (here 2 accepted, 254 for unknown agreements rejected)", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      const lines: LineInput[] = Array.from({ length: 256 }, (_, i) => [BigInt(i + 1), H100, 3_600n] as const);
      const batch = await fBatch(s, S, S + H, lines);
      await expect(sendUsage(s, batch))
        .to.emit(s.ledger, "UsageBatchRecorded")
        .withArgs(batchIdOf(batch), s.partnerF.address, 0n, S, S + H, batch.recordsRoot, 2n, 254n);
    });

    it("when the same (agreement, sku) appears twice, it reverts UsageLinesNotAscending(index)", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      const batch = await fBatch(s, S, S + H, [[s.id, H100, 3_600n], [s.id, H100, 3_600n]]);
      await expect(sendUsage(s, batch)).to.be.revertedWithCustomError(s.ledger, "UsageLinesNotAscending").withArgs(1n);
    });

    it("when skus of one agreement descend, it reverts UsageLinesNotAscending(index)", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      // "h100-sxm" > "b200" as bytes32
      const batch = await fBatch(s, S, S + H, [[s.id, H100, 3_600n], [s.id, B200, 3_600n]]);
      await expect(sendUsage(s, batch)).to.be.revertedWithCustomError(s.ledger, "UsageLinesNotAscending").withArgs(1n);
    });

    it("when agreement ids descend (even with ascending skus), it reverts UsageLinesNotAscending at the first bad index", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      const batch = await fBatch(s, S, S + H, [[s.id, B200, 3_600n], [s.id, H100, 3_600n], [s.id2, H100, 3_600n], [s.id, H100, 1n]]);
      await expect(sendUsage(s, batch)).to.be.revertedWithCustomError(s.ledger, "UsageLinesNotAscending").withArgs(3n);
      const swapped = await fBatch(s, S, S + H, [[s.id2, B200, 3_600n], [s.id, H100, 3_600n]]);
      await expect(sendUsage(s, swapped)).to.be.revertedWithCustomError(s.ledger, "UsageLinesNotAscending").withArgs(1n);
    });

    it("when a line has 0 GPU-seconds, it reverts UsageLineEmpty(index)", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      await expect(sendUsage(s, await fBatch(s, S, S + H, [[s.id, B200, 3_600n], [s.id, H100, 0n]])))
        .to.be.revertedWithCustomError(s.ledger, "UsageLineEmpty").withArgs(1n);
      await expect(sendUsage(s, await fBatch(s, S, S + H, [[s.id, B200, 0n]])))
        .to.be.revertedWithCustomError(s.ledger, "UsageLineEmpty").withArgs(0n);
    });

    it("when periodStart == periodEnd or periodStart > periodEnd, it reverts UsageWindowInvalid(start, end)", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      await expect(sendUsage(s, await fBatch(s, S, S, [[s.id, H100, 1n]])))
        .to.be.revertedWithCustomError(s.ledger, "UsageWindowInvalid").withArgs(S, S);
      await expect(sendUsage(s, await fBatch(s, S + H, S, [[s.id, H100, 1n]])))
        .to.be.revertedWithCustomError(s.ledger, "UsageWindowInvalid").withArgs(S + H, S);
    });

    it("when periodEnd is in the future, it reverts UsageWindowInvalid; periodEnd == block.timestamp is accepted", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H - 10n);
      const batch = await fBatch(s, S, S + H, [[s.id, H100, 3_600n]]);
      await expect(sendUsage(s, batch)).to.be.revertedWithCustomError(s.ledger, "UsageWindowInvalid").withArgs(S, S + H);
      await time.setNextBlockTimestamp(S + H);
      await expect(sendUsage(s, batch)).to.emit(s.ledger, "UsageBatchRecorded");
    });

    it("when several batch checks fail, the earlier one is reported: inactive, then sequence, then line count", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      await s.ledger.connect(s.program).setPartnerActive(s.partnerF.address, false);
      const bad = batchOf(s.partnerF.address, 5n, S, S, []);
      await expect(sendUsage(s, bad)).to.be.revertedWithCustomError(s.ledger, "PartnerInactive");
      await s.ledger.connect(s.program).setPartnerActive(s.partnerF.address, true);
      await expect(sendUsage(s, bad)).to.be.revertedWithCustomError(s.ledger, "UsageSequenceMismatch");
      await expect(sendUsage(s, { ...bad, sequence: 0n })).to.be.revertedWithCustomError(s.ledger, "UsageLineCount");
    });

    describe("rate changes", function () {
      /** Schedules F's h100 change to 3 credits/GPU-h at the first whole hour RATE_NOTICE from now. */
      async function scheduleChange(s: Scenario) {
        const now = BigInt(await time.latest());
        const change = ((now + RATE_NOTICE + H - 1n) / H) * H;
        await s.ledger.connect(s.program).scheduleRate(s.partnerF.address, H100, 3_000_000n, change);
        await time.increaseTo(change + 2n * H);
        return change;
      }

      it("when a scheduled change falls strictly inside the window, it reverts UsageRateStraddled(sku, effectiveFrom)", async function () {
        const s = await loadFixture(usageFixture);
        const change = await scheduleChange(s);
        await expect(sendUsage(s, await fBatch(s, change - H, change + H, [[s.id, H100, 3_600n]])))
          .to.be.revertedWithCustomError(s.ledger, "UsageRateStraddled").withArgs(H100, change);
        await expect(sendUsage(s, await fBatch(s, change - 1n, change + 1n, [[s.id, H100, 1n]])))
          .to.be.revertedWithCustomError(s.ledger, "UsageRateStraddled").withArgs(H100, change);
      });

      it("when the change is exactly at periodEnd, the old rate prices the window; exactly at periodStart, the new one does", async function () {
        const s = await loadFixture(usageFixture);
        const change = await scheduleChange(s);
        expect(await submitF(s, change - H, change, [[s.id, H100, 3_600n]])).to.deep.equal({
          accepted: [[s.id, H100, 3_600n, 2_500_000n, 1_750_000n]], rejected: [],
        });
        expect(await submitF(s, change, change + H, [[s.id, H100, 3_600n]])).to.deep.equal({
          accepted: [[s.id, H100, 3_600n, 3_000_000n, 2_100_000n]], rejected: [],
        });
      });

      it("when the change is for a sku the batch does not contain, the window may span it", async function () {
        const s = await loadFixture(usageFixture);
        const change = await scheduleChange(s);
        expect(await submitF(s, change - H, change + H, [[s.id, B200, 3_600n]])).to.deep.equal({
          accepted: [fLine(s.id, B200, 3_600n)], rejected: [],
        });
      });
    });

    it("when a relayer or any outsider sends the signed batch, it is recorded", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + 2n * H);
      await expect(sendUsage(s, await fBatch(s, S, S + H, [[s.id, H100, 3_600n]]), { from: s.outsider }))
        .to.emit(s.ledger, "UsageRecorded");
      await expect(sendUsage(s, await fBatch(s, S + H, S + 2n * H, [[s.id, H100, 3_600n]]), { from: s.relayer }))
        .to.emit(s.ledger, "UsageRecorded");
      expect((await position(s, s.id)).spent).to.equal(5n * DSXC);
    });
  });

  describe("line checks (a rejected line is skipped with its agreement's other lines; other agreements still count)", function () {
    describe("NotOpen", function () {
      for (const [name, make] of [
        ["Proposed", async (s: Scenario) => proposeAgreement(s, s.extra[0])],
        ["Cancelled", async (s: Scenario) => {
          const id = await proposeAgreement(s, s.extra[0]);
          await s.ledger.connect(s.program).cancelAgreement(id);
          return id;
        }],
        ["unknown", async () => 999n],
      ] as const) {
        it(`when the agreement is ${name}, it emits UsageLineRejected(batchId, id, sku, NotOpen) and records the other lines`, async function () {
          const s = await loadFixture(usageFixture);
      const S = s.start;
          const other = await make(s);
          await time.increaseTo(S + H);
          const batch = await fBatch(s, S, S + H, [[s.id, H100, 3_600n], [other, H100, 3_600n]]);
          const tx = await sendUsage(s, batch);
          await expect(tx).to.emit(s.ledger, "UsageLineRejected").withArgs(batchIdOf(batch), other, H100, Reason.NotOpen);
          await expect(tx).to.emit(s.ledger, "UsageBatchRecorded")
            .withArgs(batchIdOf(batch), s.partnerF.address, 0n, S, S + H, batch.recordsRoot, 1n, 1n);
          expect(await outcomeOf(s, batch, tx)).to.deep.equal({ accepted: [fLine(s.id, H100, 3_600n)], rejected: [[other, H100, Reason.NotOpen]] });
        });
      }

      it("when the agreement has Expired, its line is rejected NotOpen", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        const short = await oneDayAgreement(s);
        await time.increaseTo(await s.ledger.reportingClose(short));
        await s.ledger.expireCredits(short);
        expect(await submitF(s, S, S + H, [[s.id, H100, 3_600n], [short, H100, 3_600n]])).to.deep.equal({
          accepted: [fLine(s.id, H100, 3_600n)], rejected: [[short, H100, Reason.NotOpen]],
        });
      });
    });

    describe("OutsideTerm", function () {
      it("when the window starts before startTime, the line is rejected OutsideTerm; a window starting at startTime is accepted", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        const later = await openAgreement(s, s.extra[0], { startTime: S + DAY, endTime: S + DAY + 30n * DAY, periodDuration: DAY });
        await time.increaseTo(S + DAY + H);
        expect(await submitF(s, S + DAY - H, S + DAY + H, [[s.id, H100, 3_600n], [later, H100, 3_600n]])).to.deep.equal({
          accepted: [fLine(s.id, H100, 3_600n)], rejected: [[later, H100, Reason.OutsideTerm]],
        });
        expect(await submitF(s, S + DAY, S + DAY + H, [[later, H100, 3_600n]])).to.deep.equal({
          accepted: [fLine(later, H100, 3_600n)], rejected: [],
        });
      });

      it("when the window ends after endTime, the line is rejected OutsideTerm; a window ending at endTime is accepted", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        const short = await oneDayAgreement(s);
        await time.increaseTo(S + DAY + H);
        expect(await submitF(s, S + DAY - H, S + DAY + 1n, [[s.id, H100, 3_600n], [short, H100, 3_600n]])).to.deep.equal({
          accepted: [fLine(s.id, H100, 3_600n)], rejected: [[short, H100, Reason.OutsideTerm]],
        });
        expect(await submitF(s, S + DAY - H, S + DAY, [[short, H100, 3_600n]])).to.deep.equal({
          accepted: [fLine(short, H100, 3_600n)], rejected: [],
        });
      });

      it("when a Terminated agreement's window ends after terminatedAt, the line is rejected; one ending at terminatedAt is accepted", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + 2n * H);
        await s.ledger.connect(s.program).terminateAgreement(s.id, ethers.id("breach"));
        const terminatedAt = (await s.ledger.agreement(s.id)).terminatedAt;
        await time.increaseTo(S + 3n * H);
        expect(await submitF(s, S + H, terminatedAt + 1n, [[s.id, H100, 3_600n], [s.id2, H100, 3_600n]])).to.deep.equal({
          accepted: [fLine(s.id2, H100, 3_600n)], rejected: [[s.id, H100, Reason.OutsideTerm]],
        });
        expect(await submitF(s, S, terminatedAt, [[s.id, H100, 3_600n]])).to.deep.equal({
          accepted: [fLine(s.id, H100, 3_600n)], rejected: [],
        });
      });
    });

    describe("ReportingClosed", function () {
      it("when now is one second before the reporting close R, the line is accepted", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        const short = await oneDayAgreement(s);
        const close = await s.ledger.reportingClose(short);
        expect(close).to.equal(S + DAY + REPORTING_GRACE);
        await time.setNextBlockTimestamp(close - 1n);
        expect(await submitF(s, S, S + H, [[short, H100, 3_600n]])).to.deep.equal({ accepted: [fLine(short, H100, 3_600n)], rejected: [] });
      });

      it("when now == R, the line is rejected ReportingClosed and the others count", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        const short = await oneDayAgreement(s);
        await time.setNextBlockTimestamp(await s.ledger.reportingClose(short));
        expect(await submitF(s, S, S + H, [[s.id, H100, 3_600n], [short, H100, 3_600n]])).to.deep.equal({
          accepted: [fLine(s.id, H100, 3_600n)], rejected: [[short, H100, Reason.ReportingClosed]],
        });
      });

      it("when a pause and unpause after R re-open reporting (last period not finalized), the line is accepted again", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        const short = await oneDayAgreement(s);
        await time.increaseTo(await s.ledger.reportingClose(short));
        await s.ledger.connect(s.pauser).pause();
        await s.ledger.connect(s.pauser).unpause();
        const unpausedAt = await s.ledger.lastUnpausedAt();
        expect(await s.ledger.reportingClose(short)).to.equal(unpausedAt + REPORTING_GRACE);
        expect(await submitF(s, S, S + H, [[short, H100, 3_600n]])).to.deep.equal({ accepted: [fLine(short, H100, 3_600n)], rejected: [] });
      });

      it("when the last period is Finalized, a pause and unpause re-open R but the line is still rejected ReportingClosed", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        const short = await oneDayAgreement(s);
        await time.increaseTo(S + DAY);
        await sendRevenue(s, reportOf(short, 0, 1_000n * DSXC));
        await time.increaseTo(await s.ledger.reportingClose(short));
        await s.ledger.finalizeRevenue(short, 0);
        await s.ledger.connect(s.pauser).pause();
        await s.ledger.connect(s.pauser).unpause();
        expect(await s.ledger.reportingClose(short)).to.be.greaterThan(BigInt(await time.latest()));
        expect(await submitF(s, S, S + H, [[s.id, H100, 3_600n], [short, H100, 3_600n]])).to.deep.equal({
          accepted: [fLine(s.id, H100, 3_600n)], rejected: [[short, H100, Reason.ReportingClosed]],
        });
      });
    });

    describe("NoRate", function () {
      it("when the partner has no rate for one sku, that line is rejected NoRate and the agreement's other skus SiblingRejected", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + H);
        expect(await submitF(s, S, S + H, [[s.id, B200, 3_600n], [s.id, GB300, 3_600n], [s.id, H100, 3_600n]])).to.deep.equal({
          accepted: [], rejected: [[s.id, B200, Reason.SiblingRejected], [s.id, GB300, Reason.NoRate], [s.id, H100, Reason.SiblingRejected]],
        });
        const fromB = batchOf(s.partnerB.address, 0n, S, S + H, [[s.id, H100, 3_600n]]);
        expect(await outcomeOf(s, fromB, await sendUsage(s, fromB))).to.deep.equal({ accepted: [], rejected: [[s.id, H100, Reason.NoRate]] });
      });

      it("when the sku's first rate starts at periodEnd, the window has no rate; a window from that time is priced", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + H);
        await s.ledger.connect(s.program).scheduleRate(s.partnerF.address, GB300, 9_000_000n, S + 2n * H);
        await time.increaseTo(S + 3n * H);
        expect(await submitF(s, S, S + 2n * H, [[s.id, GB300, 3_600n]])).to.deep.equal({ accepted: [], rejected: [[s.id, GB300, Reason.NoRate]] });
        const out = await submitF(s, S + 2n * H, S + 3n * H, [[s.id, GB300, 3_600n]]);
        expect(out).to.deep.equal({ accepted: [[s.id, GB300, 3_600n, 9_000_000n, 6_300_000n]], rejected: [] });
      });
    });

    describe("Overlap", function () {
      it("when the window starts before the pair's lastUsageEnd, the line is rejected Overlap; another agreement's line counts", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + 2n * H);
        await submitF(s, S, S + H, [[s.id, H100, 3_600n]]);
        expect(await submitF(s, S + H - 1n, S + 2n * H, [[s.id, H100, 3_600n], [s.id2, H100, 3_600n]])).to.deep.equal({
          accepted: [fLine(s.id2, H100, 3_600n)], rejected: [[s.id, H100, Reason.Overlap]],
        });
        expect((await position(s, s.id)).lastUsageEnd).to.equal(S + H);
      });

      it("when the window starts exactly at lastUsageEnd, the line is accepted and lastUsageEnd moves to periodEnd", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + 2n * H);
        await submitF(s, S, S + H, [[s.id, H100, 3_600n]]);
        expect(await submitF(s, S + H, S + 2n * H, [[s.id, H100, 3_600n]])).to.deep.equal({ accepted: [fLine(s.id, H100, 3_600n)], rejected: [] });
        expect((await position(s, s.id)).lastUsageEnd).to.equal(S + 2n * H);
      });

      it("when an earlier window arrives after a later one, it is rejected Overlap", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + 2n * H);
        await submitF(s, S + H, S + 2n * H, [[s.id, H100, 3_600n]]);
        expect(await submitF(s, S, S + H, [[s.id, H100, 3_600n]])).to.deep.equal({ accepted: [], rejected: [[s.id, H100, Reason.Overlap]] });
      });

      it("when the overlapping line is for another sku of the same pair, it is still rejected (the pair is agreement × partner)", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + H);
        await submitF(s, S, S + H, [[s.id, H100, 3_600n]]);
        expect(await submitF(s, S, S + H, [[s.id, B200, 3_600n]])).to.deep.equal({ accepted: [], rejected: [[s.id, B200, Reason.Overlap]] });
      });

      it("when another partner reports the same window for the agreement, it is accepted (overlap is per pair)", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + H);
        await submitF(s, S, S + H, [[s.id, H100, 3_600n]]);
        const fromB = batchOf(s.partnerB.address, 0n, S, S + H, [[s.id, B200, 3_600n]]);
        expect(await outcomeOf(s, fromB, await sendUsage(s, fromB))).to.deep.equal({
          accepted: [[s.id, B200, 3_600n, 5_000_000n, 4_000_000n]], rejected: [],
        });
      });

      it("when two skus of one agreement are in the same batch, both count (overlap is judged against lastUsageEnd before the batch)", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + H);
        expect(await submitF(s, S, S + H, [[s.id, B200, 3_600n], [s.id, H100, 3_600n]])).to.deep.equal({
          accepted: [fLine(s.id, B200, 3_600n), fLine(s.id, H100, 3_600n)], rejected: [],
        });
        expect((await position(s, s.id)).lastUsageEnd).to.equal(S + H);
      });

      it("when every line of the pair was rejected, lastUsageEnd is untouched and the window can be reported again", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + H);
        expect((await submitF(s, S, S + H, [[s.id, GB300, 3_600n]])).rejected).to.deep.equal([[s.id, GB300, Reason.NoRate]]);
        expect((await position(s, s.id)).lastUsageEnd).to.equal(0n);
        expect(await submitF(s, S, S + H, [[s.id, H100, 3_600n]])).to.deep.equal({ accepted: [fLine(s.id, H100, 3_600n)], rejected: [] });
      });
    });

    describe("OverGpuBound", function () {
      it("when the agreement's lines sum to exactly maxGpus × window, they are accepted; one GPU-second more is rejected", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + H);
        expect(await submitF(s, S, S + H, [[s.id, H100, BOUND_1H], [s.id2, H100, BOUND_1H + 1n]])).to.deep.equal({
          accepted: [fLine(s.id, H100, BOUND_1H)], rejected: [[s.id2, H100, Reason.OverGpuBound]],
        });
      });

      it("when two skus of one agreement together exceed the bound, the line that crosses it is rejected OverGpuBound and its sibling SiblingRejected", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + H);
        expect(await submitF(s, S, S + H, [[s.id, B200, 20_000n], [s.id, H100, BOUND_1H - 20_000n + 1n],
          [s.id2, B200, 20_000n], [s.id2, H100, BOUND_1H - 20_000n]])).to.deep.equal({
          accepted: [fLine(s.id2, B200, 20_000n), fLine(s.id2, H100, BOUND_1H - 20_000n)],
          rejected: [[s.id, B200, Reason.SiblingRejected], [s.id, H100, Reason.OverGpuBound]],
        });
      });

      it("when an earlier line of the agreement failed, the later ones are not checked: SiblingRejected, even one that would pass alone", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + H);
        // gb300 has no rate at F (NoRate on its own), h100 would pass on its own
        expect(await submitF(s, S, S + H, [[s.id, B200, BOUND_1H + 1n], [s.id, GB300, 1n], [s.id, H100, 1n]])).to.deep.equal({
          accepted: [], rejected: [[s.id, B200, Reason.OverGpuBound], [s.id, GB300, Reason.SiblingRejected], [s.id, H100, Reason.SiblingRejected]],
        });
        expect((await position(s, s.id)).lastUsageEnd).to.equal(0n);
      });

      it("when the window is two hours, the bound is maxGpus × 7200", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + 2n * H);
        expect(await submitF(s, S, S + 2n * H, [[s.id, H100, 2n * BOUND_1H], [s.id2, H100, 2n * BOUND_1H + 1n]])).to.deep.equal({
          accepted: [fLine(s.id, H100, 2n * BOUND_1H)], rejected: [[s.id2, H100, Reason.OverGpuBound]],
        });
      });

      it("when the startup never authorized the partner (maxGpus 0), the line is rejected OverGpuBound", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + H);
        const fromB = batchOf(s.partnerB.address, 0n, S, S + H, [[s.id, B200, 3_600n], [s.id2, B200, 1n]]);
        expect(await outcomeOf(s, fromB, await sendUsage(s, fromB))).to.deep.equal({
          accepted: [[s.id, B200, 3_600n, 5_000_000n, 4_000_000n]], rejected: [[s.id2, B200, Reason.OverGpuBound]],
        });
      });

      it("when a maxGpus decrease is pending, the old value rules until AUTH_NOTICE has passed (exactly at effectiveAt the new one)", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + 3n * H);
        await s.ledger.connect(s.startup).authorizePartner(s.id, s.partnerF.address, 50_000n * DSXC, 1);
        const effectiveAt = BigInt(await time.latest()) + AUTH_NOTICE;
        expect((await position(s, s.id)).pendingMaxGpusAt).to.equal(effectiveAt);
        await time.setNextBlockTimestamp(effectiveAt - 1n);
        expect((await submitF(s, S, S + H, [[s.id, H100, BOUND_1H]])).accepted).to.have.length(1);
        await time.setNextBlockTimestamp(effectiveAt);
        expect(await submitF(s, S + H, S + 2n * H, [[s.id, H100, 3_601n]])).to.deep.equal({ accepted: [], rejected: [[s.id, H100, Reason.OverGpuBound]] });
        expect(await submitF(s, S + H, S + 2n * H, [[s.id, H100, 3_600n]])).to.deep.equal({ accepted: [fLine(s.id, H100, 3_600n)], rejected: [] });
      });
    });

    describe("OverAuthorization", function () {
      it("when spent + credits reaches exactly spendLimit, the lines are accepted; a further credit is rejected", async function () {
        const s = await loadFixture(tightFixture);
      const S = s.start;
        await time.increaseTo(S + 2n * H);
        // 4 DSXC + 6 DSXC == the 10 DSXC limit
        expect(await submitF(s, S, S + H, [[s.id, B200, 3_600n], [s.id, H100, 8_640n]])).to.deep.equal({
          accepted: [fLine(s.id, B200, 3_600n), fLine(s.id, H100, 8_640n)], rejected: [],
        });
        expect((await position(s, s.id)).spent).to.equal(10n * DSXC);
        expect(await submitF(s, S + H, S + 2n * H, [[s.id, H100, 2n], [s.id2, H100, 2n]])).to.deep.equal({
          accepted: [fLine(s.id2, H100, 2n)], rejected: [[s.id, H100, Reason.OverAuthorization]],
        });
      });

      it("when the batch's earlier line used the headroom, the line that crosses spendLimit is rejected, its sibling too, and nothing is burned", async function () {
        const s = await loadFixture(tightFixture);
      const S = s.start;
        await time.increaseTo(S + H);
        const before = await s.credit.balanceOf(s.startup.address);
        expect(await submitF(s, S, S + H, [[s.id, B200, 3_600n], [s.id, H100, 8_641n]])).to.deep.equal({
          accepted: [], rejected: [[s.id, B200, Reason.SiblingRejected], [s.id, H100, Reason.OverAuthorization]],
        });
        expect(await s.credit.balanceOf(s.startup.address)).to.equal(before);
        expect((await position(s, s.id)).spent).to.equal(0n);
      });

      it("when the startup raises spendLimit, the increase applies at once", async function () {
        const s = await loadFixture(tightFixture);
      const S = s.start;
        await time.increaseTo(S + H);
        await s.ledger.connect(s.startup).authorizePartner(s.id, s.partnerF.address, 40n * DSXC, 16);
        expect(await submitF(s, S, S + H, [[s.id, H100, BOUND_1H]])).to.deep.equal({ accepted: [fLine(s.id, H100, BOUND_1H)], rejected: [] });
        expect((await position(s, s.id)).spent).to.equal(40n * DSXC);
      });

      it("when a spendLimit decrease is pending, usage within the notice stays billable; from effectiveAt the new limit rules", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        await time.increaseTo(S + 3n * H);
        await s.ledger.connect(s.startup).authorizePartner(s.id, s.partnerF.address, 30n * DSXC, 16);
        const effectiveAt = BigInt(await time.latest()) + AUTH_NOTICE;
        expect((await position(s, s.id)).pendingSpendLimitAt).to.equal(effectiveAt);
        // 40 DSXC under the old 50 000 DSXC limit
        expect((await submitF(s, S, S + H, [[s.id, H100, BOUND_1H]])).accepted).to.deep.equal([fLine(s.id, H100, BOUND_1H)]);
        await time.setNextBlockTimestamp(effectiveAt - 1n);
        expect((await submitF(s, S + H, S + 2n * H, [[s.id, H100, 1n]])).accepted).to.have.length(1);
        await time.setNextBlockTimestamp(effectiveAt);
        expect(await submitF(s, S + 2n * H, S + 3n * H, [[s.id, H100, 1n]])).to.deep.equal({
          accepted: [], rejected: [[s.id, H100, Reason.OverAuthorization]],
        });
        expect((await position(s, s.id)).spendLimit).to.equal(30n * DSXC);
      });
    });

    describe("InsufficientCredits", function () {
      it("when the startup's balance covers the lines exactly, they are accepted; then any credit more is rejected", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        const poor = await oneDayAgreement(s, 5n * DSXC);
        await time.increaseTo(S + 2n * H);
        expect(await submitF(s, S, S + H, [[poor, B200, 3_600n], [poor, H100, 1_440n]])).to.deep.equal({
          accepted: [fLine(poor, B200, 3_600n), fLine(poor, H100, 1_440n)], rejected: [],
        });
        expect(await s.credit.balanceOf(s.extra[0].address)).to.equal(0n);
        expect(await submitF(s, S + H, S + 2n * H, [[s.id, H100, 1n], [poor, H100, 2n]])).to.deep.equal({
          accepted: [fLine(s.id, H100, 1n)], rejected: [[poor, H100, Reason.InsufficientCredits]],
        });
      });

      it("when an earlier line of the batch used the balance, the line that exceeds it is rejected, its sibling too, and nothing is burned", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        const poor = await oneDayAgreement(s, 5n * DSXC);
        await time.increaseTo(S + H);
        expect(await submitF(s, S, S + H, [[poor, B200, 3_600n], [poor, H100, 1_441n]])).to.deep.equal({
          accepted: [], rejected: [[poor, B200, Reason.SiblingRejected], [poor, H100, Reason.InsufficientCredits]],
        });
        expect(await s.credit.balanceOf(s.extra[0].address)).to.equal(5n * DSXC);
      });
    });

    describe("order of the line checks", function () {
      it("when a line fails several checks, the first in the spec's order is reported", async function () {
        const s = await loadFixture(usageFixture);
      const S = s.start;
        const poor = await openAgreement(s, s.extra[0], { creditLimit: 1n * DSXC }, { spendLimit: 2n * DSXC, maxGpus: 16 });
        await time.increaseTo(S + 2n * H);
        await submitF(s, S + H, S + 2n * H, [[s.id, H100, 3_600n]]);
        await s.ledger.connect(s.program).terminateAgreement(s.id2, ethers.id("breach"));
        await time.increaseTo(S + 3n * H);
        // each failing line is alone in its agreement's group, so it carries its own reason
        const out = await submitF(s, S, S + 3n * H, [
          [s.id, GB300, BOUND_1H * 4n], // NoRate before Overlap and OverGpuBound
          [s.id2, GB300, 1n], // OutsideTerm (terminated) before NoRate
          [poor, H100, 3n * 3_600n], // OverAuthorization (7.5 > 2) before InsufficientCredits (7.5 > 1)
        ]);
        expect(out).to.deep.equal({
          accepted: [],
          rejected: [[s.id, GB300, Reason.NoRate], [s.id2, GB300, Reason.OutsideTerm], [poor, H100, Reason.OverAuthorization]],
        });
        expect(await submitF(s, S, S + 3n * H, [[s.id, H100, BOUND_1H * 4n]]), "Overlap before OverGpuBound").to.deep.equal({
          accepted: [], rejected: [[s.id, H100, Reason.Overlap]],
        });
      });
    });
  });

  describe("a batch's lines for one agreement are accepted or rejected together (PROTOCOL §6, invariant 8)", function () {
    /** The ledger's usage events of a receipt in log order: [event, agreementId, sku, reason or credits]. */
    function eventOrder(s: Scenario, receipt: ContractTransactionReceipt) {
      return receipt.logs
        .filter((log) => log.address === s.ledgerAddress)
        .map((log) => s.ledger.interface.parseLog(log)!)
        .map((e) => e.name === "UsageRecorded" ? [e.name, e.args.agreementId, e.args.sku, e.args.credits]
          : e.name === "UsageLineRejected" ? [e.name, e.args.agreementId, e.args.sku, Number(e.args.reason)]
          : [e.name, e.args.linesAccepted, e.args.linesRejected]);
    }

    it("when a line is rejected beside accepted siblings, the whole group leaves no trace and a re-report of the window with all its lines lands", async function () {
      const s = await loadFixture(tightFixture);
      const S = s.start;
      // gb300 at 9 DSXC/GPU-h for F from before the term; F may spend 10 DSXC on agreement 1
      await s.ledger.connect(s.program).scheduleRate(s.partnerF.address, GB300, 9_000_000n, (BigInt(await time.latest()) / H) * H);
      await time.increaseTo(S + H);
      const lines: LineInput[] = [[s.id, B200, 3_600n], [s.id, GB300, 3_600n], [s.id, H100, 3_600n]]; // 4 + 9 + 2.5 DSXC
      const batch = await fBatch(s, S, S + H, [...lines, [s.id2, H100, 3_600n]]);
      const tx = await sendUsage(s, batch);
      const receipt = (await tx.wait())!;
      expect(eventOrder(s, receipt), "the failing line its reason, its siblings before and after it SiblingRejected, in line order").to.deep.equal([
        ["UsageLineRejected", s.id, B200, Reason.SiblingRejected],
        ["UsageLineRejected", s.id, GB300, Reason.OverAuthorization],
        ["UsageLineRejected", s.id, H100, Reason.SiblingRejected],
        ["UsageRecorded", s.id2, H100, 5n * DSXC / 2n],
        ["UsageBatchRecorded", 1n, 3n],
      ]);
      await expect(tx, "the other agreement still counts").to.changeTokenBalances(s.credit, [s.startup, s.startup2], [0n, -5n * DSXC / 2n]);
      const p = await position(s, s.id);
      expect([p.spent, p.burnedAt, p.receivable, p.lastUsageEnd], "nothing booked, lastUsageEnd unchanged").to.deep.equal([0n, 0n, 0n, 0n]);
      expect((await s.ledger.agreement(s.id)).consumed).to.equal(0n);
      expect((await position(s, s.id2)).lastUsageEnd).to.equal(S + H);

      // the startup raises F's limit (at once) and F reports the same window again, all three lines
      await s.ledger.connect(s.startup).authorizePartner(s.id, s.partnerF.address, 20n * DSXC, 16);
      const again = await fBatch(s, S, S + H, lines);
      const tx2 = await sendUsage(s, again);
      expect(await outcomeOf(s, again, tx2)).to.deep.equal({
        accepted: [fLine(s.id, B200, 3_600n), [s.id, GB300, 3_600n, 9n * DSXC, 63n * DSXC / 10n], fLine(s.id, H100, 3_600n)],
        rejected: [],
      });
      await expect(tx2).to.changeTokenBalance(s.credit, s.startup, -31n * DSXC / 2n);
      const after = await position(s, s.id);
      expect([after.spent, after.lastUsageEnd]).to.deep.equal([31n * DSXC / 2n, S + H]);
    });

    it("when an agreement-wide check fails (NotOpen, OutsideTerm), every line of that agreement carries that reason, not SiblingRejected", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + 2n * H);
      await s.ledger.connect(s.program).terminateAgreement(s.id2, ethers.id("breach"));
      await time.increaseTo(S + 3n * H);
      const batch = await fBatch(s, S + 2n * H, S + 3n * H, [
        [s.id, B200, 3_600n], [s.id2, B200, 3_600n], [s.id2, H100, 3_600n], [999n, B200, 1n], [999n, H100, 1n],
      ]);
      const receipt = (await (await sendUsage(s, batch)).wait())!;
      expect(eventOrder(s, receipt)).to.deep.equal([
        ["UsageRecorded", s.id, B200, 4n * DSXC],
        ["UsageLineRejected", s.id2, B200, Reason.OutsideTerm],
        ["UsageLineRejected", s.id2, H100, Reason.OutsideTerm],
        ["UsageLineRejected", 999n, B200, Reason.NotOpen],
        ["UsageLineRejected", 999n, H100, Reason.NotOpen],
        ["UsageBatchRecorded", 1n, 4n],
      ]);
    });
  });

  describe("accepted lines", function () {
    it("when a line is accepted, it burns gpuSeconds × rate / 3600 (rounded down) and books spent, consumed, burnedAt, receivable, lastUsageEnd", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      const batch = await fBatch(s, S, S + H, [[s.id, H100, 7n]]);
      const batchId = batchIdOf(batch);
      // 7 x 2 500 000 / 3600 = 4861.1 -> 4861; receivable 4861 x 0.7 = 3402.7 -> 3402
      const tx = await sendUsage(s, batch);
      await expect(tx).to.emit(s.ledger, "UsageRecorded").withArgs(batchId, s.id, s.partnerF.address, H100, 7n, 4_861n, 3_402n);
      await expect(tx).to.emit(s.ledger, "UsageBatchRecorded")
        .withArgs(batchId, s.partnerF.address, 0n, S, S + H, batch.recordsRoot, 1n, 0n);
      await expect(tx).to.emit(s.credit, "Transfer").withArgs(s.startup.address, ethers.ZeroAddress, 4_861n);
      await expect(tx).to.changeTokenBalance(s.credit, s.startup, -4_861n);
      const p = await position(s, s.id);
      expect([p.spent, p.burnedAt, p.receivable, p.paidToPartner, p.lastUsageEnd]).to.deep.equal([4_861n, 4_861n, 3_402n, 0n, S + H]);
      const a = await s.ledger.agreement(s.id);
      expect([a.consumed, a.cap]).to.deep.equal([4_861n, 7_291n]);
      expect(await s.credit.totalSupply()).to.equal(200_000n * DSXC - 4_861n);
    });

    it("when several lines are accepted, each is rounded on its own and each agreement's startup is burned", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      // b200: 4 000 000 / 3600 = 1111.1 -> 1111 (receivable 777); h100: 694 (receivable 485)
      const out = await submitF(s, S, S + H, [[s.id, B200, 1n], [s.id, H100, 1n], [s.id2, H100, 3_600n]]);
      expect(out.accepted).to.deep.equal([[s.id, B200, 1n, 1_111n, 777n], [s.id, H100, 1n, 694n, 485n], [s.id2, H100, 3_600n, 2_500_000n, 1_750_000n]]);
      const p = await position(s, s.id);
      expect([p.spent, p.receivable]).to.deep.equal([1_805n, 1_262n]);
      expect(await s.credit.balanceOf(s.startup.address)).to.equal(100_000n * DSXC - 1_805n);
      expect(await s.credit.balanceOf(s.startup2.address)).to.equal(100_000n * DSXC - 2_500_000n);
      expect((await s.ledger.agreement(s.id)).consumed).to.equal(1_805n);
    });

    it("when usage accumulates over batches and partners, consumed is the sum of every partner's spent", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + 2n * H);
      await submitF(s, S, S + H, [[s.id, H100, 3_600n]]);
      await submitF(s, S + H, S + 2n * H, [[s.id, H100, 3_600n]]);
      await sendUsage(s, batchOf(s.partnerB.address, 0n, S, S + H, [[s.id, B200, 7_200n]]));
      expect((await s.ledger.agreement(s.id)).consumed).to.equal(5n * DSXC + 10n * DSXC);
      expect((await s.ledger.partnerPosition(s.id, s.partnerB.address)).receivable).to.equal(8n * DSXC);
    });

    it("when a line is accepted for 0 credits (gpuSeconds × rate < 3600), lastUsageEnd still moves to periodEnd", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      await s.ledger.connect(s.program).scheduleRate(s.partnerF.address, GB300, 1n, S + H);
      await time.increaseTo(S + 2n * H);
      expect(await submitF(s, S + H, S + 2n * H, [[s.id, GB300, 1n]])).to.deep.equal({ accepted: [[s.id, GB300, 1n, 0n, 0n]], rejected: [] });
      expect((await position(s, s.id)).lastUsageEnd, "PROTOCOL §6: per accepted line lastUsageEnd = periodEnd").to.equal(S + 2n * H);
    });

    it("when a batch is recorded, its id is the sdk's usageBatchId, the call returns it and usageBatch(id) gives submittedAt and the accepted lines' hash", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      const batch = await fBatch(s, S, S + H, [[s.id, B200, 3_600n], [s.id, H100, 7_200n], [s.id2, GB300, 3_600n], [s.id2, H100, 3_600n]]);
      const expectedId = usageBatchId(batch.partner, batch.sequence, batch.periodStart, batch.periodEnd, batch.recordsRoot);
      expect(await s.ledger.usageBatchId(batch.partner, batch.sequence, batch.periodStart, batch.periodEnd, batch.recordsRoot)).to.equal(expectedId);
      const sigs = await signUsageBatch(s.fKeys, batch, s.chainId, s.ledgerAddress);
      expect(await s.ledger.submitUsage.staticCall(batch, sigs)).to.equal(expectedId);
      const { batchId, accepted, submittedAt } = await recordUsage(s, batch);
      expect(batchId).to.equal(expectedId);
      expect(accepted.map((l) => [l.agreementId, l.sku, l.gpuSeconds, l.credits])).to.deep.equal([
        [s.id, B200, 3_600n, 4_000_000n], [s.id, H100, 7_200n, 5_000_000n],
      ]);
      const [stored, hash] = await s.ledger.usageBatch(batchId);
      expect(stored).to.equal(submittedAt);
      expect(hash).to.equal(linesHash(s.partnerF.address, accepted));
      expect(hash).to.not.equal(linesHash(s.partnerB.address, accepted));
    });

    it("when every line is rejected, the batch is still recorded: nextSequence advances and the hash is of an empty list", async function () {
      const s = await loadFixture(usageFixture);
      const S = s.start;
      await time.increaseTo(S + H);
      const batch = await fBatch(s, S, S + H, [[s.id, GB300, 3_600n], [999n, H100, 3_600n]]);
      await expect(sendUsage(s, batch)).to.emit(s.ledger, "UsageBatchRecorded")
        .withArgs(batchIdOf(batch), s.partnerF.address, 0n, S, S + H, batch.recordsRoot, 0n, 2n);
      expect((await s.ledger.partner(s.partnerF.address)).nextSequence).to.equal(1n);
      const [submittedAt, hash] = await s.ledger.usageBatch(batchIdOf(batch));
      expect(submittedAt).to.equal(BigInt(await time.latest()));
      expect(hash).to.equal(linesHash(s.partnerF.address, []));
    });

    it("when asked about a batch id never recorded, usageBatch returns zeros", async function () {
      const s = await loadFixture(usageFixture);
      const [submittedAt, hash] = await s.ledger.usageBatch(ethers.id("nope"));
      expect(submittedAt).to.equal(0n);
      expect(hash).to.equal(ethers.zeroPadValue("0x", 24));
    });
  });
});

import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time, takeSnapshot, type SnapshotRestorer } from "@nomicfoundation/hardhat-network-helpers";
import {
  deployLedgerFixture, signUsageBatch, signRevenueReport, H100, DAY, HOUR, USDC, DISPUTE_WINDOW, REPORTING_GRACE,
} from "../helpers/fixture";

const DSXC = 1_000_000n;
const GRACE_PERIOD = 15n * DAY;
const latest = async () => BigInt(await time.latest());
/** UsageRejection.ReportingClosed (contracts/types/LedgerTypes.sol). */
const REPORTING_CLOSED = 2;

/**
 * Agreement 1: four one-day periods from `start` (tomorrow), revenue share 10 %, cap 1.5x, partner-first 60 %,
 * partner F (payout 70 %) at 2.5 DSXC/GPU-h. Agreement 2 (startup2, thirty days) is Proposed. After the fixture
 * (about five days after `start`, so agreement 1's term has ended):
 * - batch A (100 DSXC), B (10 DSXC, disputed by the startup) and C (10 DSXC, undisputed) are recorded;
 * - period 0 is Finalized (owed 100 USDC), period 1 Pending past its window, period 2 Pending in its window,
 *   period 3 Disputed;
 * - 50 USDC were paid: F can claim 30, the program 20; 50 USDC are outstanding.
 */
async function ledgerInUseFixture() {
  const f = await deployLedgerFixture();
  const { ledger, program, auditor, startup, startup2, partnerF, payer, usdc, oracleKeys } = f;
  const [fKey, , revKey] = oracleKeys;
  const now = await latest();
  await ledger.connect(program).registerPartner(partnerF.address, [fKey.address], 1, 7_000);
  await ledger.connect(program).setRevenueSigners([revKey.address], 1);
  await ledger.connect(program).scheduleRate(partnerF.address, H100, 2_500_000n, (now / HOUR) * HOUR);
  const start = (now / DAY + 1n) * DAY;
  const end = start + 4n * DAY;
  const terms = (startup: string) => ({
    startup, creditLimit: 100_000n * DSXC, revenueShareBps: 1_000, capMultipleBps: 15_000, partnerFirstBps: 6_000,
    startTime: start, endTime: end, periodDuration: DAY, gracePeriod: GRACE_PERIOD, termsHash: ethers.id("terms"),
  });
  await ledger.connect(program).createAgreement(terms(startup.address));
  await ledger.connect(startup).acceptAgreement(1n);
  await ledger.connect(startup).authorizePartner(1n, partnerF.address, 50_000n * DSXC, 16);
  await ledger.connect(program).createAgreement({ ...terms(startup2.address), endTime: start + 30n * DAY });

  const usageBatch = (sequence: bigint, hourIndex: bigint, hours: bigint, gpuSeconds: bigint) => ({
    partner: partnerF.address as `0x${string}`, sequence, periodStart: start + hourIndex * HOUR,
    periodEnd: start + (hourIndex + hours) * HOUR, recordsRoot: ethers.id(`records-${sequence}`) as `0x${string}`,
    lines: [{ agreementId: 1n, sku: H100, gpuSeconds }],
  });
  /** Relays partner F's batch; returns the transaction. */
  const send = async (batch: ReturnType<typeof usageBatch>) =>
    ledger.submitUsage(batch, await signUsageBatch([fKey], batch, f.chainId, f.ledgerAddress));
  const submit = async (batch: ReturnType<typeof usageBatch>) => {
    await send(batch);
    return ledger.usageBatchId(batch.partner, batch.sequence, batch.periodStart, batch.periodEnd, batch.recordsRoot);
  };
  const report = async (periodIndex: number, version = 1) => {
    const r = { agreementId: 1n, periodIndex, revenue: 1_000n * USDC, evidenceHash: ethers.id(`p${periodIndex}v${version}`) as `0x${string}`, version };
    return ledger.submitRevenue(r, await signRevenueReport([revKey], r, f.chainId, f.ledgerAddress));
  };

  await time.increaseTo(start + 2n * DAY + 60n);
  await submit(usageBatch(0n, 0n, 5n, 144_000n)); // 8 GPUs x 5 h = 100 DSXC
  await report(0);
  await report(1);
  await time.increase(DISPUTE_WINDOW);
  await ledger.finalizeRevenue(1n, 0);
  await report(2);
  await report(3);
  await ledger.connect(auditor).disputeRevenue(1n, 3, ethers.id("inflated"));
  const batchB = await submit(usageBatch(1n, 5n, 1n, 14_400n)); // 10 DSXC
  const batchC = await submit(usageBatch(2n, 6n, 1n, 14_400n)); // 10 DSXC
  await ledger.connect(startup).disputeUsage(batchB, 1n, ethers.id("double-billed"));

  await usdc.mint(payer.address, 1_000n * USDC);
  await usdc.connect(payer).approve(f.ledgerAddress, 1_000n * USDC);
  await ledger.connect(payer).pay(1n, 50n * USDC);
  const linesB = [{ agreementId: 1n, sku: H100, gpuSeconds: 14_400n, credits: 10n * DSXC }];
  const nextBatch = usageBatch(3n, 7n, 1n, 3_600n); // 2.5 DSXC, not yet submitted
  return { ...f, fKey, revKey, start, end, terms, batchB, batchC, linesB, nextBatch, send, report };
}

describe("RevenueShareLedger: pause, audits and treasury", function () {
  // Fixtures travel in time; put the clock back for the files that run after this one.
  let clean: SnapshotRestorer;
  before(async function () {
    clean = await takeSnapshot();
  });
  after(async function () {
    await clean.restore();
  });

  describe("pause", function () {
    it("when the pauser pauses, it emits Paused(pauser) and paused() is true", async function () {
      const { ledger, pauser } = await loadFixture(ledgerInUseFixture);
      expect(await ledger.paused()).to.equal(false);
      await expect(ledger.connect(pauser).pause()).to.emit(ledger, "Paused").withArgs(pauser.address);
      expect(await ledger.paused()).to.equal(true);
      expect(await ledger.lastUnpausedAt(), "pausing does not touch lastUnpausedAt").to.equal(0n);
    });

    it("when already paused, it reverts PauseStateUnchanged(true)", async function () {
      const { ledger, pauser } = await loadFixture(ledgerInUseFixture);
      await ledger.connect(pauser).pause();
      await expect(ledger.connect(pauser).pause()).to.be.revertedWithCustomError(ledger, "PauseStateUnchanged").withArgs(true);
    });

    it("when paused, reportingClose is 2^256 - 1 (R is infinite)", async function () {
      const { ledger, pauser } = await loadFixture(ledgerInUseFixture);
      await ledger.connect(pauser).pause();
      expect(await ledger.reportingClose(1n)).to.equal(ethers.MaxUint256);
      expect(await ledger.reportingClose(2n), "for every agreement").to.equal(ethers.MaxUint256);
    });
  });

  describe("unpause", function () {
    it("when the pauser unpauses, it emits Unpaused(pauser) and sets lastUnpausedAt to the block time", async function () {
      const { ledger, pauser } = await loadFixture(ledgerInUseFixture);
      await ledger.connect(pauser).pause();
      const t = (await latest()) + 100n;
      await time.setNextBlockTimestamp(t);
      await expect(ledger.connect(pauser).unpause()).to.emit(ledger, "Unpaused").withArgs(pauser.address);
      expect(await ledger.paused()).to.equal(false);
      expect(await ledger.lastUnpausedAt()).to.equal(t);
    });

    it("when not paused, it reverts PauseStateUnchanged(false)", async function () {
      const { ledger, pauser } = await loadFixture(ledgerInUseFixture);
      await expect(ledger.connect(pauser).unpause()).to.be.revertedWithCustomError(ledger, "PauseStateUnchanged").withArgs(false);
    });

    it("when unpaused, R = max(effectiveEnd, lastUnpausedAt) + REPORTING_GRACE for each agreement", async function () {
      const { ledger, pauser, program, startup2, start, end } = await loadFixture(ledgerInUseFixture);
      const laterEnd = start + 30n * DAY;
      await ledger.connect(pauser).pause();
      const unpausedAt = (await latest()) + 10n;
      await time.setNextBlockTimestamp(unpausedAt);
      await ledger.connect(pauser).unpause();
      expect(unpausedAt).to.be.greaterThan(end).and.lessThan(laterEnd);
      expect(await ledger.reportingClose(1n), "term ended before the unpause").to.equal(unpausedAt + REPORTING_GRACE);
      expect(await ledger.reportingClose(2n), "term ends after the unpause").to.equal(laterEnd + REPORTING_GRACE);
      await ledger.connect(startup2).acceptAgreement(2n);
      const terminatedAt = unpausedAt + DAY;
      await time.setNextBlockTimestamp(terminatedAt);
      await ledger.connect(program).terminateAgreement(2n, ethers.ZeroHash);
      expect(await ledger.reportingClose(2n), "terminated after the unpause").to.equal(terminatedAt + REPORTING_GRACE);
    });

    it("when unpaused after the effective end, R is lastUnpausedAt + REPORTING_GRACE: expiry refused at R - 1, allowed at R", async function () {
      const { ledger, pauser, credit, startup, end } = await loadFixture(ledgerInUseFixture);
      await ledger.connect(pauser).pause();
      const unpausedAt = end + REPORTING_GRACE + 3n * DAY;
      await time.setNextBlockTimestamp(unpausedAt);
      await ledger.connect(pauser).unpause();
      const R = unpausedAt + REPORTING_GRACE;
      expect(await ledger.reportingClose(1n)).to.equal(R);
      await time.setNextBlockTimestamp(R - 1n);
      await expect(ledger.expireCredits(1n)).to.be.revertedWithCustomError(ledger, "ReportingStillOpen").withArgs(1n, R);
      const balance = await credit.balanceOf(startup.address);
      await time.setNextBlockTimestamp(R);
      await expect(ledger.expireCredits(1n)).to.emit(ledger, "CreditsExpired").withArgs(1n, balance);
    });

    it("when a pause outlasted the reporting grace, usage of the term is accepted again after the unpause", async function () {
      const f = await loadFixture(ledgerInUseFixture);
      await f.ledger.connect(f.pauser).pause();
      await time.increaseTo(f.end + REPORTING_GRACE + DAY);
      await f.ledger.connect(f.pauser).unpause();
      await expect(f.send(f.nextBatch)).to.emit(f.ledger, "UsageRecorded");
    });

    it("when there was no pause, the same usage after endTime + REPORTING_GRACE is rejected ReportingClosed", async function () {
      const f = await loadFixture(ledgerInUseFixture);
      await time.increaseTo(f.end + REPORTING_GRACE);
      const b = f.nextBatch;
      const batchId = await f.ledger.usageBatchId(b.partner, b.sequence, b.periodStart, b.periodEnd, b.recordsRoot);
      await expect(f.send(b)).to.emit(f.ledger, "UsageLineRejected").withArgs(batchId, 1n, H100, REPORTING_CLOSED);
    });
  });

  describe("while paused: blocked", function () {
    it("when paused, createAgreement reverts LedgerPaused", async function () {
      const { ledger, pauser, program, relayer, terms } = await loadFixture(ledgerInUseFixture);
      await ledger.connect(pauser).pause();
      await expect(ledger.connect(program).createAgreement(terms(relayer.address))).to.be.revertedWithCustomError(ledger, "LedgerPaused");
    });

    it("when paused, acceptAgreement reverts LedgerPaused (and succeeds after the unpause)", async function () {
      const { ledger, pauser, startup2 } = await loadFixture(ledgerInUseFixture);
      await ledger.connect(pauser).pause();
      await expect(ledger.connect(startup2).acceptAgreement(2n)).to.be.revertedWithCustomError(ledger, "LedgerPaused");
      await ledger.connect(pauser).unpause();
      await expect(ledger.connect(startup2).acceptAgreement(2n)).to.emit(ledger, "AgreementAccepted");
    });

    it("when paused, submitUsage reverts LedgerPaused (and the same batch lands after the unpause)", async function () {
      const f = await loadFixture(ledgerInUseFixture);
      await f.ledger.connect(f.pauser).pause();
      await expect(f.send(f.nextBatch)).to.be.revertedWithCustomError(f.ledger, "LedgerPaused");
      await f.ledger.connect(f.pauser).unpause();
      await expect(f.send(f.nextBatch)).to.emit(f.ledger, "UsageRecorded");
    });

    it("when paused, submitRevenue reverts LedgerPaused", async function () {
      const f = await loadFixture(ledgerInUseFixture);
      await f.ledger.connect(f.pauser).pause();
      await expect(f.report(2, 2)).to.be.revertedWithCustomError(f.ledger, "LedgerPaused");
    });
  });

  describe("while paused: never blocked", function () {
    it("when paused, pay applies the payment and splits it (PaymentApplied, Distributed)", async function () {
      const { ledger, pauser, payer, partnerF } = await loadFixture(ledgerInUseFixture);
      await ledger.connect(pauser).pause();
      // still owed to F: 84 - 30 = 54; toPartners = min(10 x 60 %, 54) = 6
      await expect(ledger.connect(payer).pay(1n, 10n * USDC))
        .to.emit(ledger, "PaymentApplied").withArgs(1n, payer.address, 10n * USDC, 6n * USDC, 4n * USDC)
        .and.to.emit(ledger, "Distributed").withArgs(1n, partnerF.address, 6n * USDC)
        .and.to.emit(ledger, "Distributed").withArgs(1n, ethers.ZeroAddress, 4n * USDC);
    });

    it("when paused, claim pays the partner (Claimed(partner, partner, amount))", async function () {
      const { ledger, usdc, pauser, relayer, partnerF } = await loadFixture(ledgerInUseFixture);
      await ledger.connect(pauser).pause();
      const tx = await ledger.connect(relayer).claim(partnerF.address);
      await expect(tx).to.emit(ledger, "Claimed").withArgs(partnerF.address, partnerF.address, 30n * USDC);
      await expect(tx).to.changeTokenBalances(usdc, [partnerF, ledger], [30n * USDC, -30n * USDC]);
    });

    it("when paused, claimProgram pays the treasury (Claimed(0, treasury, amount))", async function () {
      const { ledger, usdc, pauser, relayer, treasury } = await loadFixture(ledgerInUseFixture);
      await ledger.connect(pauser).pause();
      const tx = await ledger.connect(relayer).claimProgram();
      await expect(tx).to.emit(ledger, "Claimed").withArgs(ethers.ZeroAddress, treasury.address, 20n * USDC);
      await expect(tx).to.changeTokenBalance(usdc, treasury, 20n * USDC);
    });

    it("when paused, the startup can dispute usage (UsageDisputed)", async function () {
      const { ledger, pauser, startup, batchC } = await loadFixture(ledgerInUseFixture);
      await ledger.connect(pauser).pause();
      await expect(ledger.connect(startup).disputeUsage(batchC, 1n, ethers.id("why")))
        .to.emit(ledger, "UsageDisputed").withArgs(batchC, 1n, startup.address, ethers.id("why"));
    });

    it("when paused, the auditor can dispute revenue (RevenueDisputed)", async function () {
      const { ledger, pauser, auditor } = await loadFixture(ledgerInUseFixture);
      await ledger.connect(pauser).pause();
      await expect(ledger.connect(auditor).disputeRevenue(1n, 2, ethers.id("evidence")))
        .to.emit(ledger, "RevenueDisputed").withArgs(1n, 2, auditor.address, ethers.id("evidence"));
    });

    it("when paused, the program can resolve a usage dispute and the refund is re-minted (UsageDisputeResolved)", async function () {
      const { ledger, credit, pauser, program, startup, partnerF, batchB, linesB } = await loadFixture(ledgerInUseFixture);
      await ledger.connect(pauser).pause();
      await expect(ledger.connect(program).resolveUsageDispute(batchB, 1n, partnerF.address, linesB, 10n * DSXC))
        .to.emit(ledger, "UsageDisputeResolved").withArgs(batchB, 1n, 10n * DSXC, 7n * USDC)
        .and.to.emit(credit, "Transfer").withArgs(ethers.ZeroAddress, startup.address, 10n * DSXC);
    });

    it("when paused, the program can resolve a revenue dispute (RevenueDisputeResolved)", async function () {
      const { ledger, pauser, program } = await loadFixture(ledgerInUseFixture);
      await ledger.connect(pauser).pause();
      await expect(ledger.connect(program).resolveRevenueDispute(1n, 3, false))
        .to.emit(ledger, "RevenueDisputeResolved").withArgs(1n, 3, false);
    });

    it("when paused, a period that is not the last can be finalized (RevenueFinalized)", async function () {
      const { ledger, pauser } = await loadFixture(ledgerInUseFixture);
      await ledger.connect(pauser).pause();
      const t = (await latest()) + 10n;
      await time.setNextBlockTimestamp(t);
      // consumed 120 DSXC -> cap 180; obligation 100 -> headroom 80 < share 100
      await expect(ledger.finalizeRevenue(1n, 1)).to.emit(ledger, "RevenueFinalized").withArgs(1n, 1, 1_000n * USDC, 80n * USDC, t + GRACE_PERIOD);
    });

    it("when paused, the last period cannot be finalized (ReportingStillOpen(id, 2^256 - 1)) until R after the unpause", async function () {
      const { ledger, pauser, program, start } = await loadFixture(ledgerInUseFixture);
      await time.increaseTo(start + 10n * DAY);
      await ledger.finalizeRevenue(1n, 1);
      await ledger.finalizeRevenue(1n, 2);
      await ledger.connect(program).resolveRevenueDispute(1n, 3, false);
      await ledger.connect(pauser).pause();
      await expect(ledger.finalizeRevenue(1n, 3)).to.be.revertedWithCustomError(ledger, "ReportingStillOpen").withArgs(1n, ethers.MaxUint256);
      const unpausedAt = (await latest()) + 10n;
      await time.setNextBlockTimestamp(unpausedAt);
      await ledger.connect(pauser).unpause();
      const R = unpausedAt + REPORTING_GRACE;
      await time.setNextBlockTimestamp(R - 1n);
      await expect(ledger.finalizeRevenue(1n, 3)).to.be.revertedWithCustomError(ledger, "ReportingStillOpen").withArgs(1n, R);
      await time.setNextBlockTimestamp(R);
      await expect(ledger.finalizeRevenue(1n, 3)).to.emit(ledger, "RevenueFinalized");
    });

    it("when paused past endTime + REPORTING_GRACE, expireCredits reverts ReportingStillOpen(id, 2^256 - 1)", async function () {
      const { ledger, pauser, outsider, end } = await loadFixture(ledgerInUseFixture);
      await time.increaseTo(end + REPORTING_GRACE);
      await ledger.connect(pauser).pause();
      await expect(ledger.connect(outsider).expireCredits(1n))
        .to.be.revertedWithCustomError(ledger, "ReportingStillOpen").withArgs(1n, ethers.MaxUint256);
    });

    it("when paused, the program's agreement administration still works (cancel, terminate, propose a migration) and so do the startup's and partner's own calls", async function () {
      const { ledger, pauser, program, startup, partnerF, relayer, payer, fKey } = await loadFixture(ledgerInUseFixture);
      await ledger.connect(pauser).pause();
      await expect(ledger.connect(startup).authorizePartner(1n, partnerF.address, 60_000n * DSXC, 16)).to.emit(ledger, "PartnerAuthorized");
      await expect(ledger.connect(program).cancelAgreement(2n)).to.emit(ledger, "AgreementCancelled");
      await expect(ledger.connect(program).terminateAgreement(1n, ethers.ZeroHash)).to.emit(ledger, "AgreementTerminated");
      await expect(ledger.connect(program).migrateStartup(1n, relayer.address)).to.emit(ledger, "StartupMigrationProposed");
      await expect(ledger.connect(startup).cancelStartupMigration(1n)).to.emit(ledger, "StartupMigrationCancelled");
      await expect(ledger.connect(startup).migrateStartup(1n, relayer.address)).to.emit(ledger, "StartupMigrated");
      await expect(ledger.connect(partnerF).setPartnerSigners(partnerF.address, [fKey.address], 1)).to.emit(ledger, "PartnerSignersSet");
      await expect(ledger.connect(partnerF).setPayoutAddress(partnerF.address, payer.address)).to.emit(ledger, "PayoutAddressSet");
    });
  });

  describe("recordAudit", function () {
    it("when an auditor records an audit through the current block, it emits AuditRecorded with every argument", async function () {
      const { ledger, auditor } = await loadFixture(ledgerInUseFixture);
      const throughBlock = BigInt(await ethers.provider.getBlockNumber());
      const reportHash = ethers.id("audit-report-2026-q4.json");
      await expect(ledger.connect(auditor).recordAudit(1n, throughBlock, reportHash, true))
        .to.emit(ledger, "AuditRecorded").withArgs(1n, auditor.address, throughBlock, reportHash, true);
    });

    it("when the audit found problems, it records clean = false", async function () {
      const { ledger, auditor } = await loadFixture(ledgerInUseFixture);
      await expect(ledger.connect(auditor).recordAudit(2n, 1n, ethers.ZeroHash, false))
        .to.emit(ledger, "AuditRecorded").withArgs(2n, auditor.address, 1n, ethers.ZeroHash, false);
    });

    it("when throughBlock is the block the audit lands in, it is accepted", async function () {
      const { ledger, auditor } = await loadFixture(ledgerInUseFixture);
      const landsIn = BigInt(await ethers.provider.getBlockNumber()) + 1n;
      await expect(ledger.connect(auditor).recordAudit(1n, landsIn, ethers.ZeroHash, true))
        .to.emit(ledger, "AuditRecorded").withArgs(1n, auditor.address, landsIn, ethers.ZeroHash, true);
    });

    it("when throughBlock is after the block the audit lands in, it reverts AuditBlockInFuture(throughBlock, block.number)", async function () {
      const { ledger, auditor } = await loadFixture(ledgerInUseFixture);
      const landsIn = BigInt(await ethers.provider.getBlockNumber()) + 1n;
      await expect(ledger.connect(auditor).recordAudit(1n, landsIn + 1n, ethers.ZeroHash, true))
        .to.be.revertedWithCustomError(ledger, "AuditBlockInFuture").withArgs(landsIn + 1n, landsIn);
    });

    it("when the agreement does not exist, it reverts AgreementNotFound(id)", async function () {
      const { ledger, auditor } = await loadFixture(ledgerInUseFixture);
      await expect(ledger.connect(auditor).recordAudit(3n, 1n, ethers.ZeroHash, true))
        .to.be.revertedWithCustomError(ledger, "AgreementNotFound").withArgs(3n);
    });

    it("when paused, audits can still be recorded", async function () {
      const { ledger, pauser, auditor } = await loadFixture(ledgerInUseFixture);
      await ledger.connect(pauser).pause();
      await expect(ledger.connect(auditor).recordAudit(1n, 1n, ethers.ZeroHash, true)).to.emit(ledger, "AuditRecorded");
    });
  });

  describe("setTreasury", function () {
    it("when deployed, the constructor's treasury is set and announced with TreasurySet", async function () {
      const { ledger, treasury } = await loadFixture(ledgerInUseFixture);
      expect(await ledger.treasury()).to.equal(treasury.address);
      const events = await ledger.queryFilter(ledger.filters.TreasurySet());
      expect(events.map((e) => e.args.treasury)).to.deep.equal([treasury.address]);
    });

    it("when the admin sets a treasury, it is stored and TreasurySet(treasury) is emitted", async function () {
      const { ledger, admin, outsider } = await loadFixture(ledgerInUseFixture);
      await expect(ledger.connect(admin).setTreasury(outsider.address)).to.emit(ledger, "TreasurySet").withArgs(outsider.address);
      expect(await ledger.treasury()).to.equal(outsider.address);
    });

    it("when the treasury is the zero address, it reverts ZeroAddress", async function () {
      const { ledger, admin } = await loadFixture(ledgerInUseFixture);
      await expect(ledger.connect(admin).setTreasury(ethers.ZeroAddress)).to.be.revertedWithCustomError(ledger, "ZeroAddress");
    });

    it("when the treasury changed, claimProgram pays the treasury of the moment, not the old one", async function () {
      const { ledger, usdc, admin, treasury, outsider, relayer } = await loadFixture(ledgerInUseFixture);
      expect(await ledger.programClaimable()).to.equal(20n * USDC);
      await ledger.connect(admin).setTreasury(outsider.address);
      const tx = await ledger.connect(relayer).claimProgram();
      await expect(tx).to.emit(ledger, "Claimed").withArgs(ethers.ZeroAddress, outsider.address, 20n * USDC);
      await expect(tx).to.changeTokenBalances(usdc, [outsider, treasury, ledger], [20n * USDC, 0n, -20n * USDC]);
      expect(await ledger.programClaimable()).to.equal(0n);
      await expect(ledger.claimProgram()).to.be.revertedWithCustomError(ledger, "NothingToClaim").withArgs(ethers.ZeroAddress);
    });
  });
});

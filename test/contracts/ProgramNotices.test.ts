import { expect } from "chai";
import { ethers } from "hardhat";
import { Wallet } from "ethers";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { H100, DAY, HOUR, MIGRATION_NOTICE, SIGNER_NOTICE } from "../helpers/fixture";
import {
  buildScenario, restoreChainAfterAll, batchOf, sendUsage, batchIdOf, reportOf, sendRevenue, DSXC, RATE_F_H100,
} from "../helpers/scenario";

// PROTOCOL §3 and §10 invariant 7, the review's sequence: PROGRAM alone tries to take over what others hold — the
// startup's agreement (to its own wallet), partner F's signer set and the revenue signer set (to its own key), which
// would let it attest usage (raising the cap) and revenue (booking debt). None of it takes effect before its notice;
// everyone sees it coming on chain, and the startup keeps its agreement and its right to dispute.

/** Agreement 1 with one-day revenue periods (period 0 ends a day after the start), F, B and the revenue oracle set. */
const noticeFixture = () => buildScenario({ periodDuration: DAY });

/** PROGRAM's own key, the one it would like partner F's and the revenue oracle's signatures to come from. */
const programKey = new Wallet(ethers.id("a key PROGRAM holds"));

describe("PROGRAM alone cannot take over a wallet, a signer set or the revenue oracle without notice", function () {
  restoreChainAfterAll();

  it("when PROGRAM proposes all three, each is only pending and visible; its keys are refused until effectiveAt and accepted from it; the startup cancels the migration and disputes the usage", async function () {
    const s = await loadFixture(noticeFixture);
    const { ledger, program, startup, partnerF, credit, id } = s;
    const S = s.start;
    const [fKey] = s.fKeys;
    const [revKey] = s.revKeys;
    const balance = await credit.balanceOf(startup.address);

    // PROGRAM proposes, one block each, once period 0 has ended
    const t1 = S + DAY + 60n;
    await time.setNextBlockTimestamp(t1);
    await expect(ledger.connect(program).migrateStartup(id, program.address))
      .to.emit(ledger, "StartupMigrationProposed").withArgs(id, startup.address, program.address, t1 + MIGRATION_NOTICE)
      .and.not.to.emit(ledger, "StartupMigrated");
    const t2 = t1 + 10n;
    await time.setNextBlockTimestamp(t2);
    await expect(ledger.connect(program).setPartnerSigners(partnerF.address, [programKey.address], 1))
      .to.emit(ledger, "PartnerSignersProposed").withArgs(partnerF.address, [programKey.address], 1, t2 + SIGNER_NOTICE)
      .and.not.to.emit(ledger, "PartnerSignersSet");
    const t3 = t2 + 10n;
    await time.setNextBlockTimestamp(t3);
    await expect(ledger.connect(program).setRevenueSigners([programKey.address], 1))
      .to.emit(ledger, "RevenueSignersProposed").withArgs([programKey.address], 1, t3 + SIGNER_NOTICE)
      .and.not.to.emit(ledger, "RevenueSignersSet");

    // visible on chain: the startup finds the proposal by its own wallet, the views show all three as pending
    const proposals = await ledger.queryFilter(ledger.filters.StartupMigrationProposed(id, startup.address));
    expect(proposals.map((e) => [e.args.to, e.args.effectiveAt])).to.deep.equal([[program.address, t1 + MIGRATION_NOTICE]]);
    const [to, migrationAt] = await ledger.pendingMigration(id);
    expect([to, migrationAt]).to.deep.equal([program.address, t1 + MIGRATION_NOTICE]);
    const f = await ledger.partner(partnerF.address);
    expect([[...f.signers], [...f.pendingSigners], f.pendingThreshold, f.pendingSignersAt])
      .to.deep.equal([[fKey.address], [programKey.address], 1n, t2 + SIGNER_NOTICE]);
    const r = await ledger.revenueSigners();
    expect([[...r.signers], [...r.pendingSigners], r.pendingThreshold, r.pendingAt])
      .to.deep.equal([[revKey.address], [programKey.address], 1n, t3 + SIGNER_NOTICE]);
    // ... and nothing has taken effect
    expect((await ledger.agreement(id)).terms.startup).to.equal(startup.address);
    expect(await ledger.openAgreementOf(program.address)).to.equal(0n);
    expect([await credit.balanceOf(startup.address), await credit.balanceOf(program.address)]).to.deep.equal([balance, 0n]);

    // PROGRAM's key signs 16 GPUs x 24 h of usage at F (960 DSXC) and a revenue report for period 0
    const usage = batchOf(partnerF.address, 0n, S, S + DAY, [[id, H100, 16n * 24n * HOUR]]);
    const credits = (16n * 24n * HOUR * RATE_F_H100) / HOUR;
    const report = reportOf(id, 0, 1_000_000n * DSXC);
    await expect(sendUsage(s, usage, { keys: [programKey] })).to.be.revertedWithCustomError(ledger, "UnknownSigner").withArgs(programKey.address);
    await expect(sendRevenue(s, report, { keys: [programKey] })).to.be.revertedWithCustomError(ledger, "UnknownSigner").withArgs(programKey.address);
    await time.setNextBlockTimestamp(t2 + SIGNER_NOTICE - 1n);
    await expect(sendUsage(s, usage, { keys: [programKey] }), "one second before effectiveAt")
      .to.be.revertedWithCustomError(ledger, "UnknownSigner").withArgs(programKey.address);

    // from effectiveAt on, with no transaction in between, the proposed sets are the ones in force
    await time.setNextBlockTimestamp(t2 + SIGNER_NOTICE);
    await expect(sendUsage(s, usage, { keys: [programKey] }))
      .to.emit(ledger, "UsageRecorded").withArgs(batchIdOf(usage), id, partnerF.address, H100, 16n * 24n * HOUR, credits, credits * 7_000n / 10_000n);
    await time.setNextBlockTimestamp(t3 + SIGNER_NOTICE - 1n);
    await expect(sendRevenue(s, report, { keys: [programKey] }), "one second before effectiveAt")
      .to.be.revertedWithCustomError(ledger, "UnknownSigner").withArgs(programKey.address);
    await time.setNextBlockTimestamp(t3 + SIGNER_NOTICE);
    await expect(sendRevenue(s, report, { keys: [programKey] })).to.emit(ledger, "RevenueReported").withArgs(id, 0, 1, report.revenue, report.evidenceHash);
    expect(await ledger.queryFilter(ledger.filters.PartnerSignersSet()), "no transaction put them in force").to.deep.equal([]);
    expect(await ledger.queryFilter(ledger.filters.RevenueSignersSet())).to.have.length(1);
    const fNow = await ledger.partner(partnerF.address);
    expect([[...fNow.signers], [...fNow.pendingSigners], fNow.pendingSignersAt]).to.deep.equal([[programKey.address], [], 0n]);
    const rNow = await ledger.revenueSigners();
    expect([[...rNow.signers], [...rNow.pendingSigners], rNow.pendingAt]).to.deep.equal([[programKey.address], [], 0n]);
    await expect(sendUsage(s, batchOf(partnerF.address, 1n, S + DAY, S + DAY + HOUR, [[id, H100, HOUR]]), { keys: [fKey] }))
      .to.be.revertedWithCustomError(ledger, "UnknownSigner").withArgs(fKey.address);
    await expect(sendRevenue(s, reportOf(id, 0, 1n, 2), { keys: [revKey] }))
      .to.be.revertedWithCustomError(ledger, "UnknownSigner").withArgs(revKey.address);

    // the migration is still only pending: the startup cancels it and disputes the usage PROGRAM's key attested
    expect((await ledger.agreement(id)).terms.startup).to.equal(startup.address);
    await expect(ledger.connect(startup).cancelStartupMigration(id)).to.emit(ledger, "StartupMigrationCancelled").withArgs(id);
    const [noTarget, noTime] = await ledger.pendingMigration(id);
    expect([noTarget, noTime]).to.deep.equal([ethers.ZeroAddress, 0n]);
    const reason = ethers.id("usage attested by PROGRAM's own key");
    await expect(ledger.connect(startup).disputeUsage(batchIdOf(usage), id, reason))
      .to.emit(ledger, "UsageDisputed").withArgs(batchIdOf(usage), id, startup.address, reason);

    // when the migration's notice has passed there is nothing left to execute: the startup keeps its agreement
    await time.increaseTo(t1 + MIGRATION_NOTICE);
    await expect(ledger.connect(program).executeStartupMigration(id)).to.be.revertedWithCustomError(ledger, "NoPendingMigration").withArgs(id);
    await expect(ledger.connect(program).cancelStartupMigration(id)).to.be.revertedWithCustomError(ledger, "NoPendingMigration").withArgs(id);
    expect((await ledger.agreement(id)).terms.startup).to.equal(startup.address);
    expect(await ledger.openAgreementOf(startup.address)).to.equal(id);
    expect(await credit.balanceOf(startup.address)).to.equal(balance - credits);
    expect(await credit.balanceOf(program.address)).to.equal(0n);
  });

  it("when the startup does not cancel, PROGRAM's migration can be executed only once its notice has passed", async function () {
    const s = await loadFixture(noticeFixture);
    const { ledger, program, startup, credit, id } = s;
    const t = BigInt(await time.latest()) + 10n;
    await time.setNextBlockTimestamp(t);
    await ledger.connect(program).migrateStartup(id, program.address);
    await time.setNextBlockTimestamp(t + MIGRATION_NOTICE - 1n);
    await expect(ledger.connect(program).executeStartupMigration(id))
      .to.be.revertedWithCustomError(ledger, "MigrationNotYetEffective").withArgs(id, t + MIGRATION_NOTICE);
    const balance = await credit.balanceOf(startup.address);
    await expect(ledger.connect(program).executeStartupMigration(id))
      .to.emit(ledger, "StartupMigrated").withArgs(id, startup.address, program.address, balance);
    expect(BigInt(await time.latest())).to.equal(t + MIGRATION_NOTICE);
    expect((await ledger.agreement(id)).terms.startup).to.equal(program.address);
  });
});

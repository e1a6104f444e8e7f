import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { B200, H100, DAY, USDC, PAYOUT_NOTICE } from "../helpers/fixture";
import {
  buildScenario, restoreChainAfterAll, batchOf, recordUsage, finalizePeriod, fund, expectBooksBalanced, type Scenario,
} from "../helpers/scenario";
import type { BlacklistUSDC } from "../../typechain-types";

// PROTOCOL §5 and §8: a partner's claims go to its payout address in force (the partner itself unless one was set).
// The settlement token here blacklists addresses as USDC does, the case the payout address exists for.

/** F's part of the first payment of 1 000 USDC (PROTOCOL §13 figures, period 0 only: P = 2 200, toPartners 600). */
const F_PART = 381_818_181n;
const B_PART = 218_181_818n;

/** PROTOCOL §13's usage on a ledger settling in a BlacklistUSDC; period 0 (owed 1 600) finalized and 1 000 paid. */
async function blacklistFixture() {
  const token = (await (await ethers.getContractFactory("BlacklistUSDC")).deploy()) as unknown as BlacklistUSDC;
  const s = await buildScenario({ settlementToken: await token.getAddress() });
  await time.increaseTo(s.start + 6n * DAY);
  await recordUsage(s, batchOf(s.partnerF.address, 0n, s.start + DAY, s.start + 6n * DAY, [[s.id, H100, 2_880_000n]]));
  await recordUsage(s, batchOf(s.partnerB.address, 0n, s.start + DAY, s.start + 6n * DAY, [[s.id, B200, 720_000n]]));
  await finalizePeriod(s, s.id, 0, 20_000n * USDC);
  await fund(s, s.payer, 10_000n * USDC);
  await s.ledger.connect(s.payer).pay(s.id, 1_000n * USDC);
  // a fresh address for the new payout: nobody's wallet, so its balance is all it received
  const payout = ethers.getAddress(ethers.dataSlice(ethers.id("F's new payout address"), 12));
  return { ...s, token, payout };
}

/** The payout fields of partner(F): [payout in force, pending payout, its effectiveAt]. */
async function payoutOf(s: Scenario, partner = s.partnerF.address): Promise<[string, string, bigint]> {
  const v = await s.ledger.partner(partner);
  return [v.payout, v.pendingPayout, v.pendingPayoutAt];
}

/** Sends `call` ten seconds from now and returns that time. */
async function at10s(call: () => Promise<unknown>): Promise<bigint> {
  const t = BigInt(await time.latest()) + 10n;
  await time.setNextBlockTimestamp(t);
  await call();
  return t;
}

describe("payout addresses (a partner blacklisted by the settlement token)", function () {
  restoreChainAfterAll();

  it("when no payout address was set, the payout in force is the partner itself and claim pays it: Claimed(F, F, amount)", async function () {
    const s = await loadFixture(blacklistFixture);
    expect(await payoutOf(s)).to.deep.equal([s.partnerF.address, ethers.ZeroAddress, 0n]);
    const tx = s.ledger.connect(s.outsider).claim(s.partnerF.address);
    await expect(tx).to.emit(s.ledger, "Claimed").withArgs(s.partnerF.address, s.partnerF.address, F_PART);
    await expect(tx).to.changeTokenBalances(s.token, [s.partnerF.address, s.ledgerAddress], [F_PART, -F_PART]);
  });

  it("when the token blacklists F, claim(F) reverts the token's AccountBlacklisted(F) and F's claimable stays; B's claim still goes through", async function () {
    const s = await loadFixture(blacklistFixture);
    await s.token.setBlacklisted(s.partnerF.address, true);
    await expect(s.ledger.claim(s.partnerF.address)).to.be.revertedWithCustomError(s.token, "AccountBlacklisted").withArgs(s.partnerF.address);
    expect(await s.ledger.claimable(s.partnerF.address)).to.equal(F_PART);
    await expect(s.ledger.claim(s.partnerB.address)).to.emit(s.ledger, "Claimed").withArgs(s.partnerB.address, s.partnerB.address, B_PART);
    await expectBooksBalanced(s);
  });

  it("when the blacklisted partner sets a payout address itself, it is in force at once: PayoutAddressSet(F, payout, now) and claim pays it", async function () {
    const s = await loadFixture(blacklistFixture);
    await s.token.setBlacklisted(s.partnerF.address, true);
    await expect(s.ledger.claim(s.partnerF.address), "before").to.be.revertedWithCustomError(s.token, "AccountBlacklisted");
    const t = BigInt(await time.latest()) + 10n;
    await time.setNextBlockTimestamp(t);
    await expect(s.ledger.connect(s.partnerF).setPayoutAddress(s.partnerF.address, s.payout))
      .to.emit(s.ledger, "PayoutAddressSet").withArgs(s.partnerF.address, s.payout, t);
    expect(await payoutOf(s)).to.deep.equal([s.payout, ethers.ZeroAddress, 0n]);
    const tx = s.ledger.connect(s.relayer).claim(s.partnerF.address);
    await expect(tx).to.emit(s.ledger, "Claimed").withArgs(s.partnerF.address, s.payout, F_PART);
    await expect(tx).to.changeTokenBalances(s.token, [s.payout, s.partnerF.address, s.ledgerAddress], [F_PART, 0n, -F_PART]);
    expect(await s.ledger.claimable(s.partnerF.address)).to.equal(0n);
    await expectBooksBalanced(s);
  });

  it("when PROGRAM proposes a payout address (F lost its key), claims go to F until effectiveAt and to the new address from then on, with no further transaction", async function () {
    const s = await loadFixture(blacklistFixture);
    await s.token.setBlacklisted(s.partnerF.address, true);
    const t = BigInt(await time.latest()) + 10n;
    await time.setNextBlockTimestamp(t);
    const effectiveAt = t + PAYOUT_NOTICE;
    await expect(s.ledger.connect(s.program).setPayoutAddress(s.partnerF.address, s.payout))
      .to.emit(s.ledger, "PayoutAddressSet").withArgs(s.partnerF.address, s.payout, effectiveAt);
    expect(await payoutOf(s)).to.deep.equal([s.partnerF.address, s.payout, effectiveAt]);
    await time.setNextBlockTimestamp(effectiveAt - 1n);
    await expect(s.ledger.claim(s.partnerF.address), "still paid to F one second before")
      .to.be.revertedWithCustomError(s.token, "AccountBlacklisted").withArgs(s.partnerF.address);
    await time.setNextBlockTimestamp(effectiveAt);
    const tx = s.ledger.claim(s.partnerF.address);
    await expect(tx).to.emit(s.ledger, "Claimed").withArgs(s.partnerF.address, s.payout, F_PART);
    await expect(tx).to.changeTokenBalances(s.token, [s.payout, s.ledgerAddress], [F_PART, -F_PART]);
    expect(await payoutOf(s)).to.deep.equal([s.payout, ethers.ZeroAddress, 0n]);
    expect(await s.ledger.queryFilter(s.ledger.filters.PayoutAddressSet()), "no event when it comes into force").to.have.length(1);
  });

  it("when F sets its own address while PROGRAM's proposal is pending, F's replaces it and PROGRAM's never comes into force", async function () {
    const s = await loadFixture(blacklistFixture);
    const t = await at10s(() => s.ledger.connect(s.program).setPayoutAddress(s.partnerF.address, s.program.address));
    await expect(s.ledger.claim(s.partnerF.address), "before its effectiveAt PROGRAM's address receives nothing")
      .to.emit(s.ledger, "Claimed").withArgs(s.partnerF.address, s.partnerF.address, F_PART);
    const own = BigInt(await time.latest()) + 10n;
    await time.setNextBlockTimestamp(own);
    await expect(s.ledger.connect(s.partnerF).setPayoutAddress(s.partnerF.address, s.payout))
      .to.emit(s.ledger, "PayoutAddressSet").withArgs(s.partnerF.address, s.payout, own);
    expect(await payoutOf(s)).to.deep.equal([s.payout, ethers.ZeroAddress, 0n]);
    await time.increaseTo(t + PAYOUT_NOTICE);
    await s.ledger.connect(s.payer).pay(s.id, 100n * USDC);
    const part = await s.ledger.claimable(s.partnerF.address);
    expect(part).to.be.greaterThan(0n);
    const tx = s.ledger.claim(s.partnerF.address);
    await expect(tx).to.emit(s.ledger, "Claimed").withArgs(s.partnerF.address, s.payout, part);
    await expect(tx).to.changeTokenBalances(s.token, [s.payout, s.program.address], [part, 0n]);
  });

  it("when PROGRAM proposes again after its first proposal came into force, the first stays in force until the newer one's effectiveAt", async function () {
    const s = await loadFixture(blacklistFixture);
    const other = s.extra[0].address;
    const first = await at10s(() => s.ledger.connect(s.program).setPayoutAddress(s.partnerF.address, s.payout));
    await time.increaseTo(first + PAYOUT_NOTICE + DAY);
    const second = await at10s(() => s.ledger.connect(s.program).setPayoutAddress(s.partnerF.address, other));
    expect(await payoutOf(s)).to.deep.equal([s.payout, other, second + PAYOUT_NOTICE]);
    await expect(s.ledger.claim(s.partnerF.address)).to.emit(s.ledger, "Claimed").withArgs(s.partnerF.address, s.payout, F_PART);
    await time.increaseTo(second + PAYOUT_NOTICE);
    await s.ledger.connect(s.payer).pay(s.id, 100n * USDC);
    const part = await s.ledger.claimable(s.partnerF.address);
    await expect(s.ledger.claim(s.partnerF.address)).to.emit(s.ledger, "Claimed").withArgs(s.partnerF.address, other, part);
  });

  it("when PROGRAM proposes again before the first came into force, the newer proposal replaces it", async function () {
    const s = await loadFixture(blacklistFixture);
    const other = s.extra[0].address;
    const first = await at10s(() => s.ledger.connect(s.program).setPayoutAddress(s.partnerF.address, s.payout));
    await time.increase(DAY);
    const second = await at10s(() => s.ledger.connect(s.program).setPayoutAddress(s.partnerF.address, other));
    await time.setNextBlockTimestamp(first + PAYOUT_NOTICE);
    await expect(s.ledger.claim(s.partnerF.address), "the first proposal never comes into force")
      .to.emit(s.ledger, "Claimed").withArgs(s.partnerF.address, s.partnerF.address, F_PART);
    expect(await payoutOf(s)).to.deep.equal([s.partnerF.address, other, second + PAYOUT_NOTICE]);
  });

  it("when neither the partner nor PROGRAM calls it (another partner, the startup, the admin, an outsider), it reverts NotPartnerOrProgram(partner, caller)", async function () {
    const s = await loadFixture(blacklistFixture);
    for (const caller of [s.partnerB, s.startup, s.admin, s.outsider]) {
      await expect(s.ledger.connect(caller).setPayoutAddress(s.partnerF.address, caller.address))
        .to.be.revertedWithCustomError(s.ledger, "NotPartnerOrProgram").withArgs(s.partnerF.address, caller.address);
    }
    expect(await payoutOf(s)).to.deep.equal([s.partnerF.address, ethers.ZeroAddress, 0n]);
  });

  it("when the payout address is the zero address, it reverts ZeroAddress, whoever sends it", async function () {
    const s = await loadFixture(blacklistFixture);
    for (const caller of [s.partnerF, s.program]) {
      await expect(s.ledger.connect(caller).setPayoutAddress(s.partnerF.address, ethers.ZeroAddress))
        .to.be.revertedWithCustomError(s.ledger, "ZeroAddress");
    }
  });

  it("when the partner is not registered, it reverts PartnerNotRegistered(partner), and partner(address).payout is 0", async function () {
    const s = await loadFixture(blacklistFixture);
    for (const caller of [s.program, s.outsider]) {
      await expect(s.ledger.connect(caller).setPayoutAddress(s.outsider.address, s.payout))
        .to.be.revertedWithCustomError(s.ledger, "PartnerNotRegistered").withArgs(s.outsider.address);
    }
    expect(await payoutOf(s, s.outsider.address)).to.deep.equal([ethers.ZeroAddress, ethers.ZeroAddress, 0n]);
  });

  it("when the partner also holds PROGRAM_ROLE, its call counts as the partner's: in force at once", async function () {
    const s = await loadFixture(blacklistFixture);
    await s.ledger.connect(s.admin).grantRole(await s.ledger.PROGRAM_ROLE(), s.partnerF.address);
    const t = BigInt(await time.latest()) + 10n;
    await time.setNextBlockTimestamp(t);
    await expect(s.ledger.connect(s.partnerF).setPayoutAddress(s.partnerF.address, s.payout))
      .to.emit(s.ledger, "PayoutAddressSet").withArgs(s.partnerF.address, s.payout, t);
    expect(await payoutOf(s)).to.deep.equal([s.payout, ethers.ZeroAddress, 0n]);
  });
});

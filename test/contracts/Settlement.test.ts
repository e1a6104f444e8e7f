import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { B200, H100, DAY, USDC } from "../helpers/fixture";
import {
  buildScenario, restoreChainAfterAll, batchOf, recordUsage, finalizePeriod, fund, distributionsOf, expectBooksBalanced, GRACE, type Scenario,
} from "../helpers/scenario";

/**
 * PROTOCOL §13's usage (F: 2 000 DSXC → receivable 1 400; B: 1 000 DSXC → receivable 800; cap 4 500) on an
 * agreement with the given partnerFirstBps; with `finalized`, periods 0 (20 000 → owed 1 600) and
 * 1 (50 000 → owed 2 900) are finalized: obligation 4 500. The payer holds 100 000 USDC approved to the ledger.
 */
function settlementFixture(partnerFirstBps: number, finalized = true) {
  return async function settlement(): Promise<Scenario> {
    const s = await buildScenario({ partnerFirstBps });
    const from = s.start + DAY;
    const to = s.start + 6n * DAY;
    await time.increaseTo(to);
    await recordUsage(s, batchOf(s.partnerF.address, 0n, from, to, [[s.id, H100, 2_880_000n]]));
    await recordUsage(s, batchOf(s.partnerB.address, 0n, from, to, [[s.id, B200, 720_000n]]));
    if (finalized) {
      await finalizePeriod(s, s.id, 0, 20_000n * USDC);
      await finalizePeriod(s, s.id, 1, 50_000n * USDC);
    }
    await fund(s, s.payer, 100_000n * USDC);
    return s;
  };
}

const bps6000 = settlementFixture(6_000);
const bps0 = settlementFixture(0);
const bps10000 = settlementFixture(10_000);
const bps2500 = settlementFixture(2_500);
const unfinalized = settlementFixture(6_000, false);

const OBLIGATION = 4_500n * USDC;

/** Pays and returns [PaymentApplied args, Distributed list], checking the books after the step. */
async function payAndSplit(s: Scenario, amount: bigint, payer: HardhatEthersSigner = s.payer) {
  const receipt = (await (await s.ledger.connect(payer).pay(s.id, amount)).wait())!;
  const [applied] = receipt.logs.map((l) => s.ledger.interface.parseLog(l)).filter((e) => e?.name === "PaymentApplied");
  await expectBooksBalanced(s);
  await expectPartnerBounds(s);
  return {
    applied: [applied!.args.amount as bigint, applied!.args.toPartners as bigint, applied!.args.toProgram as bigint],
    distributed: distributionsOf(s.ledger, receipt),
  };
}

/** PROTOCOL §10 invariants 4 and 5: paid ≤ obligation; paidToPartner ≤ receivable for each partner. */
async function expectPartnerBounds(s: Scenario): Promise<void> {
  const a = await s.ledger.agreement(s.id);
  expect(a.paid).to.be.at.most(a.obligation);
  for (const p of [s.partnerF, s.partnerB]) {
    const pos = await s.ledger.partnerPosition(s.id, p.address);
    expect(pos.paidToPartner).to.be.at.most(pos.receivable);
  }
}

describe("payment and distribution", function () {
  restoreChainAfterAll();

  describe("pay", function () {
    it("when the amount is 0, it reverts ZeroAmount", async function () {
      const s = await loadFixture(bps6000);
      await expect(s.ledger.connect(s.payer).pay(s.id, 0n)).to.be.revertedWithCustomError(s.ledger, "ZeroAmount");
    });

    it("when nothing is finalized yet (or the agreement is unknown), it reverts NothingOwed(id)", async function () {
      const s = await loadFixture(unfinalized);
      await expect(s.ledger.connect(s.payer).pay(s.id, 1n)).to.be.revertedWithCustomError(s.ledger, "NothingOwed").withArgs(s.id);
      await expect(s.ledger.connect(s.payer).pay(999n, 1n)).to.be.revertedWithCustomError(s.ledger, "NothingOwed").withArgs(999n);
    });

    it("when the amount exceeds the outstanding, it applies and pulls exactly the outstanding, then NothingOwed", async function () {
      const s = await loadFixture(bps6000);
      expect(await s.ledger.connect(s.payer).pay.staticCall(s.id, 10_000n * USDC)).to.equal(OBLIGATION);
      const tx = await s.ledger.connect(s.payer).pay(s.id, 10_000n * USDC);
      await expect(tx).to.emit(s.ledger, "PaymentApplied").withArgs(s.id, s.payer.address, OBLIGATION, 2_200n * USDC, 2_300n * USDC);
      await expect(tx).to.changeTokenBalances(s.usdc, [s.payer, s.ledgerAddress], [-OBLIGATION, OBLIGATION]);
      expect(await s.usdc.allowance(s.payer.address, s.ledgerAddress)).to.equal(100_000n * USDC - OBLIGATION);
      const a = await s.ledger.agreement(s.id);
      expect([a.paid, a.outstanding]).to.deep.equal([OBLIGATION, 0n]);
      await expectBooksBalanced(s);
      await expect(s.ledger.connect(s.payer).pay(s.id, 1n)).to.be.revertedWithCustomError(s.ledger, "NothingOwed").withArgs(s.id);
    });

    it("when the payer has not approved the ledger, the pull reverts ERC20InsufficientAllowance and nothing is booked", async function () {
      const s = await loadFixture(bps6000);
      await s.usdc.mint(s.outsider.address, 1_000n * USDC);
      await expect(s.ledger.connect(s.outsider).pay(s.id, 1_000n * USDC))
        .to.be.revertedWithCustomError(s.usdc, "ERC20InsufficientAllowance").withArgs(s.ledgerAddress, 0n, 1_000n * USDC);
      expect((await s.ledger.agreement(s.id)).paid).to.equal(0n);
    });

    it("when anyone pays for the agreement, the payment is applied with them as payer", async function () {
      const s = await loadFixture(bps6000);
      await fund(s, s.outsider, 10n * USDC);
      await expect(s.ledger.connect(s.outsider).pay(s.id, 10n * USDC))
        .to.emit(s.ledger, "PaymentApplied").withArgs(s.id, s.outsider.address, 10n * USDC, 5_999_999n, 4_000_001n);
    });

    describe("partner-first waterfall", function () {
      it("when partnerFirstBps is 0, every payment goes to the program", async function () {
        const s = await loadFixture(bps0);
        expect(await payAndSplit(s, 1_000n * USDC)).to.deep.equal({
          applied: [1_000n * USDC, 0n, 1_000n * USDC], distributed: [[ethers.ZeroAddress, 1_000n * USDC]],
        });
        expect(await s.ledger.programClaimable()).to.equal(1_000n * USDC);
        expect(await s.ledger.claimable(s.partnerF.address)).to.equal(0n);
      });

      it("when partnerFirstBps is 10 000, partners get everything pro rata until paid, rounding dust goes to the program, then P = 0 sends all to the program", async function () {
        const s = await loadFixture(bps10000);
        // P = 2 200: F 1 000 x 1 400 / 2 200, B 1 000 x 800 / 2 200
        expect(await payAndSplit(s, 1_000n * USDC)).to.deep.equal({
          applied: [1_000n * USDC, 999_999_999n, 1n],
          distributed: [[s.partnerF.address, 636_363_636n], [s.partnerB.address, 363_636_363n], [ethers.ZeroAddress, 1n]],
        });
        // P = 1 200.000001: toPartners 1 200
        expect(await payAndSplit(s, 1_200n * USDC)).to.deep.equal({
          applied: [1_200n * USDC, 1_199_999_999n, 1n],
          distributed: [[s.partnerF.address, 763_636_363n], [s.partnerB.address, 436_363_636n], [ethers.ZeroAddress, 1n]],
        });
        // P = 2 units: 1 each, the rest to the program
        expect(await payAndSplit(s, 100n * USDC)).to.deep.equal({
          applied: [100n * USDC, 2n, 99_999_998n],
          distributed: [[s.partnerF.address, 1n], [s.partnerB.address, 1n], [ethers.ZeroAddress, 99_999_998n]],
        });
        expect(await s.ledger.claimable(s.partnerF.address)).to.equal(1_400n * USDC);
        expect(await s.ledger.claimable(s.partnerB.address)).to.equal(800n * USDC);
        // P = 0
        expect(await payAndSplit(s, 2_200n * USDC)).to.deep.equal({
          applied: [2_200n * USDC, 0n, 2_200n * USDC], distributed: [[ethers.ZeroAddress, 2_200n * USDC]],
        });
        expect(await s.ledger.programClaimable()).to.equal(2_300n * USDC);
      });

      it("when partnerFirstBps is 10 000 and the payment exceeds what partners are owed, partners get exactly their receivables", async function () {
        const s = await loadFixture(bps10000);
        expect(await payAndSplit(s, 4_500n * USDC)).to.deep.equal({
          applied: [4_500n * USDC, 2_200n * USDC, 2_300n * USDC],
          distributed: [[s.partnerF.address, 1_400n * USDC], [s.partnerB.address, 800n * USDC], [ethers.ZeroAddress, 2_300n * USDC]],
        });
        for (const [p, r] of [[s.partnerF, 1_400n], [s.partnerB, 800n]] as const) {
          const pos = await s.ledger.partnerPosition(s.id, p.address);
          expect([pos.receivable, pos.paidToPartner]).to.deep.equal([r * USDC, r * USDC]);
        }
      });

      it("when partnerFirstBps is 2 500, partners share 25 % of the payment pro rata and the program gets the rest with the dust", async function () {
        const s = await loadFixture(bps2500);
        expect(await payAndSplit(s, 3_000n * USDC)).to.deep.equal({
          applied: [3_000n * USDC, 749_999_999n, 2_250_000_001n],
          distributed: [[s.partnerF.address, 477_272_727n], [s.partnerB.address, 272_727_272n], [ethers.ZeroAddress, 2_250_000_001n]],
        });
        expect((await s.ledger.partnerPosition(s.id, s.partnerF.address)).paidToPartner).to.equal(477_272_727n);
      });

      it("when partnerFirstBps is 6 000 and the payment is 1 unit, the partners' cut rounds to 0 and no partner event is emitted", async function () {
        const s = await loadFixture(bps6000);
        expect(await payAndSplit(s, 1n)).to.deep.equal({ applied: [1n, 0n, 1n], distributed: [[ethers.ZeroAddress, 1n]] });
      });

      it("when only one partner is still owed, it alone gets the partners' cut, and a zero program share emits no program event", async function () {
        const s = await loadFixture(bps10000);
        await payAndSplit(s, 2_200n * USDC); // F and B paid off
        // F: 8 GPUs x 24 h more = 480 DSXC -> receivable 336
        await recordUsage(s, batchOf(s.partnerF.address, 1n, s.start + 6n * DAY, s.start + 7n * DAY, [[s.id, H100, 8n * DAY]]));
        expect(await payAndSplit(s, 100n * USDC)).to.deep.equal({
          applied: [100n * USDC, 100n * USDC, 0n], distributed: [[s.partnerF.address, 100n * USDC]],
        });
        expect((await s.ledger.partnerPosition(s.id, s.partnerF.address)).paidToPartner).to.equal(1_500n * USDC);
        expect((await s.ledger.partnerPosition(s.id, s.partnerB.address)).paidToPartner).to.equal(800n * USDC);
      });
    });

    describe("FIFO settlement and delinquency", function () {
      it("when periods are finalized, nextDue is the oldest unsettled period's due; delinquent exactly at due; paying settles oldest first", async function () {
        const s = await loadFixture(unfinalized);
        let a = await s.ledger.agreement(s.id);
        expect([a.nextDue, a.delinquent]).to.deep.equal([0n, false]);

        const r0 = await finalizePeriod(s, s.id, 0, 20_000n * USDC); // owed 1 600
        const due0 = BigInt((await r0.getBlock()).timestamp) + GRACE;
        a = await s.ledger.agreement(s.id);
        expect([a.nextDue, a.delinquent, (await s.ledger.revenuePeriod(s.id, 0)).due]).to.deep.equal([due0, false, due0]);
        await time.increaseTo(due0 - 1n);
        expect((await s.ledger.agreement(s.id)).delinquent).to.equal(false);
        await time.increaseTo(due0);
        expect((await s.ledger.agreement(s.id)).delinquent).to.equal(true);

        const r1 = await finalizePeriod(s, s.id, 1, 50_000n * USDC); // owed 2 900
        const due1 = BigInt((await r1.getBlock()).timestamp) + GRACE;
        a = await s.ledger.agreement(s.id);
        expect([a.nextDue, a.delinquent]).to.deep.equal([due0, true]);

        await s.ledger.connect(s.payer).pay(s.id, 1_600n * USDC - 1n);
        a = await s.ledger.agreement(s.id);
        expect([a.nextDue, a.delinquent], "one unit short of period 0").to.deep.equal([due0, true]);
        await s.ledger.connect(s.payer).pay(s.id, 1n);
        a = await s.ledger.agreement(s.id);
        expect([a.nextDue, a.delinquent], "period 0 settled").to.deep.equal([due1, false]);

        await time.increaseTo(due1);
        expect((await s.ledger.agreement(s.id)).delinquent).to.equal(true);
        await s.ledger.connect(s.payer).pay(s.id, 2_900n * USDC);
        a = await s.ledger.agreement(s.id);
        expect([a.nextDue, a.delinquent, a.outstanding]).to.deep.equal([0n, false, 0n]);
        await expectBooksBalanced(s);
      });

      it("when a period is finalized with owed 0, it is settled at once and never makes the agreement delinquent", async function () {
        const s = await loadFixture(unfinalized);
        const r0 = await finalizePeriod(s, s.id, 0, 0n);
        const due0 = BigInt((await r0.getBlock()).timestamp) + GRACE;
        await time.increaseTo(due0);
        const a = await s.ledger.agreement(s.id);
        expect([a.obligation, a.nextDue, a.delinquent]).to.deep.equal([0n, 0n, false]);
      });

      it("when the payment covers several periods at once, nextDue skips to the first one still unsettled", async function () {
        const s = await loadFixture(unfinalized);
        await finalizePeriod(s, s.id, 0, 20_000n * USDC); // 1 600
        await finalizePeriod(s, s.id, 1, 10_000n * USDC); // 800
        const r2 = await finalizePeriod(s, s.id, 2, 10_000n * USDC); // 800
        const due2 = BigInt((await r2.getBlock()).timestamp) + GRACE;
        await s.ledger.connect(s.payer).pay(s.id, 2_400n * USDC);
        expect((await s.ledger.agreement(s.id)).nextDue).to.equal(due2);
      });
    });
  });

  describe("payWithPermit", function () {
    /** An ERC-2612 permit from `owner` to the ledger for `value`, signed with the token's own EIP-712 domain. */
    async function permit(s: Scenario, owner: HardhatEthersSigner, value: bigint, deadline: bigint, signer: HardhatEthersSigner = owner) {
      const d = await s.usdc.eip712Domain();
      const domain = { name: d.name, version: d.version, chainId: d.chainId, verifyingContract: d.verifyingContract };
      const types = {
        Permit: [
          { name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" },
          { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" },
        ],
      };
      const message = { owner: owner.address, spender: s.ledgerAddress, value, nonce: await s.usdc.nonces(owner.address), deadline };
      return ethers.Signature.from(await signer.signTypedData(domain, types, message));
    }

    async function fresh() {
      const s = await loadFixture(bps6000);
      await s.usdc.mint(s.outsider.address, 10_000n * USDC);
      const deadline = BigInt(await time.latest()) + DAY;
      return { s, deadline };
    }

    it("when the caller signed a valid permit and gave no allowance, the payment goes through on the permit", async function () {
      const { s, deadline } = await fresh();
      const sig = await permit(s, s.outsider, 1_000n * USDC, deadline);
      const tx = await s.ledger.connect(s.outsider).payWithPermit(s.id, 1_000n * USDC, deadline, sig.v, sig.r, sig.s);
      await expect(tx).to.emit(s.ledger, "PaymentApplied").withArgs(s.id, s.outsider.address, 1_000n * USDC, 599_999_999n, 400_000_001n);
      await expect(tx).to.changeTokenBalances(s.usdc, [s.outsider, s.ledgerAddress], [-1_000n * USDC, 1_000n * USDC]);
      expect(await s.usdc.allowance(s.outsider.address, s.ledgerAddress)).to.equal(0n);
      expect(await s.usdc.nonces(s.outsider.address)).to.equal(1n);
      await expectBooksBalanced(s);
    });

    it("when the permitted amount exceeds the outstanding, only the outstanding is pulled and the rest of the allowance stays", async function () {
      const { s, deadline } = await fresh();
      const sig = await permit(s, s.outsider, 10_000n * USDC, deadline);
      await expect(s.ledger.connect(s.outsider).payWithPermit(s.id, 10_000n * USDC, deadline, sig.v, sig.r, sig.s))
        .to.changeTokenBalance(s.usdc, s.outsider, -OBLIGATION);
      expect(await s.usdc.allowance(s.outsider.address, s.ledgerAddress)).to.equal(10_000n * USDC - OBLIGATION);
    });

    it("when someone front-runs the permit (it is already used), the payment still goes through on the allowance it set", async function () {
      const { s, deadline } = await fresh();
      const sig = await permit(s, s.outsider, 1_000n * USDC, deadline);
      await s.usdc.connect(s.relayer).permit(s.outsider.address, s.ledgerAddress, 1_000n * USDC, deadline, sig.v, sig.r, sig.s);
      await expect(s.ledger.connect(s.outsider).payWithPermit(s.id, 1_000n * USDC, deadline, sig.v, sig.r, sig.s))
        .to.emit(s.ledger, "PaymentApplied").withArgs(s.id, s.outsider.address, 1_000n * USDC, 599_999_999n, 400_000_001n);
    });

    it("when the permit is invalid and there is no allowance, it reverts on the transfer (ERC20InsufficientAllowance)", async function () {
      const { s, deadline } = await fresh();
      const forged = await permit(s, s.outsider, 1_000n * USDC, deadline, s.relayer);
      await expect(s.ledger.connect(s.outsider).payWithPermit(s.id, 1_000n * USDC, deadline, forged.v, forged.r, forged.s))
        .to.be.revertedWithCustomError(s.usdc, "ERC20InsufficientAllowance").withArgs(s.ledgerAddress, 0n, 1_000n * USDC);
      expect((await s.ledger.agreement(s.id)).paid).to.equal(0n);
    });

    it("when someone else relays the owner's permit, it does not apply to them (the permit is for msg.sender) and reverts", async function () {
      const { s, deadline } = await fresh();
      const sig = await permit(s, s.outsider, 1_000n * USDC, deadline);
      await s.usdc.mint(s.relayer.address, 1_000n * USDC);
      await expect(s.ledger.connect(s.relayer).payWithPermit(s.id, 1_000n * USDC, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(s.usdc, "ERC20InsufficientAllowance").withArgs(s.ledgerAddress, 0n, 1_000n * USDC);
    });

    it("when the permit's deadline has passed but an allowance exists, the payment goes through", async function () {
      const { s } = await fresh();
      const past = BigInt(await time.latest()) - 1n;
      const sig = await permit(s, s.outsider, 1_000n * USDC, past);
      await s.usdc.connect(s.outsider).approve(s.ledgerAddress, 1_000n * USDC);
      await expect(s.ledger.connect(s.outsider).payWithPermit(s.id, 1_000n * USDC, past, sig.v, sig.r, sig.s))
        .to.emit(s.ledger, "PaymentApplied");
    });

    it("when the amount is 0, it reverts ZeroAmount", async function () {
      const { s, deadline } = await fresh();
      const sig = await permit(s, s.outsider, 0n, deadline);
      await expect(s.ledger.connect(s.outsider).payWithPermit(s.id, 0n, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(s.ledger, "ZeroAmount");
    });
  });

  describe("claim", function () {
    async function paid() {
      const s = await loadFixture(bps6000);
      await s.ledger.connect(s.payer).pay(s.id, 1_000n * USDC); // F 381.818181, B 218.181818, program 400.000001
      return s;
    }

    it("when anyone triggers a partner's claim, the partner receives its whole claimable: Claimed(beneficiary, beneficiary, amount)", async function () {
      const s = await paid();
      expect(await s.ledger.connect(s.outsider).claim.staticCall(s.partnerF.address)).to.equal(381_818_181n);
      const tx = await s.ledger.connect(s.outsider).claim(s.partnerF.address);
      await expect(tx).to.emit(s.ledger, "Claimed").withArgs(s.partnerF.address, s.partnerF.address, 381_818_181n);
      await expect(tx).to.changeTokenBalances(s.usdc, [s.partnerF, s.ledgerAddress, s.outsider], [381_818_181n, -381_818_181n, 0n]);
      expect(await s.ledger.claimable(s.partnerF.address)).to.equal(0n);
      expect(await s.ledger.claimable(s.partnerB.address)).to.equal(218_181_818n);
      await expectBooksBalanced(s);
    });

    it("when the beneficiary has nothing (never credited, already claimed, or address(0)), it reverts NothingToClaim(beneficiary)", async function () {
      const s = await paid();
      await expect(s.ledger.claim(s.outsider.address)).to.be.revertedWithCustomError(s.ledger, "NothingToClaim").withArgs(s.outsider.address);
      await s.ledger.claim(s.partnerB.address);
      await expect(s.ledger.claim(s.partnerB.address)).to.be.revertedWithCustomError(s.ledger, "NothingToClaim").withArgs(s.partnerB.address);
      await expect(s.ledger.claim(ethers.ZeroAddress)).to.be.revertedWithCustomError(s.ledger, "NothingToClaim").withArgs(ethers.ZeroAddress);
    });

    it("when the ledger is paused, pay and claim still work", async function () {
      const s = await paid();
      await s.ledger.connect(s.pauser).pause();
      await expect(s.ledger.connect(s.payer).pay(s.id, 1n)).to.emit(s.ledger, "PaymentApplied");
      await expect(s.ledger.claim(s.partnerF.address)).to.emit(s.ledger, "Claimed");
      await expect(s.ledger.claimProgram()).to.emit(s.ledger, "Claimed");
    });
  });

  describe("claimProgram", function () {
    it("when anyone triggers it, the program's claimable goes to the treasury: Claimed(address(0), treasury, amount)", async function () {
      const s = await loadFixture(bps6000);
      await s.ledger.connect(s.payer).pay(s.id, 1_000n * USDC);
      const tx = await s.ledger.connect(s.outsider).claimProgram();
      await expect(tx).to.emit(s.ledger, "Claimed").withArgs(ethers.ZeroAddress, s.treasury.address, 400_000_001n);
      await expect(tx).to.changeTokenBalances(s.usdc, [s.treasury, s.ledgerAddress], [400_000_001n, -400_000_001n]);
      expect(await s.ledger.programClaimable()).to.equal(0n);
      await expectBooksBalanced(s);
      await expect(s.ledger.claimProgram()).to.be.revertedWithCustomError(s.ledger, "NothingToClaim").withArgs(ethers.ZeroAddress);
    });

    it("when the treasury was changed after the payment, the treasury of the moment receives it", async function () {
      const s = await loadFixture(bps6000);
      await s.ledger.connect(s.payer).pay(s.id, 1_000n * USDC);
      const newTreasury = s.extra[0];
      await s.ledger.connect(s.admin).setTreasury(newTreasury.address);
      const tx = await s.ledger.claimProgram();
      await expect(tx).to.emit(s.ledger, "Claimed").withArgs(ethers.ZeroAddress, newTreasury.address, 400_000_001n);
      await expect(tx).to.changeTokenBalances(s.usdc, [newTreasury, s.treasury], [400_000_001n, 0n]);
    });

    it("when nothing was ever paid, it reverts NothingToClaim(address(0))", async function () {
      const s = await loadFixture(bps6000);
      await expect(s.ledger.claimProgram()).to.be.revertedWithCustomError(s.ledger, "NothingToClaim").withArgs(ethers.ZeroAddress);
    });
  });

  describe("settlement invariants", function () {
    it("when payments and claims interleave, the ledger's balance is Σ claimable + programClaimable and Σ applied = Σ distributed = held + claimed", async function () {
      const s = await loadFixture(bps2500);
      let applied = 0n;
      let distributed = 0n;
      let claimed = 0n;
      const check = async () => {
        await expectBooksBalanced(s);
        await expectPartnerBounds(s);
        const held = (await s.ledger.claimable(s.partnerF.address)) + (await s.ledger.claimable(s.partnerB.address)) + (await s.ledger.programClaimable());
        expect(distributed).to.equal(applied);
        expect(held + claimed).to.equal(applied);
        expect((await s.ledger.agreement(s.id)).paid).to.equal(applied);
      };
      for (const [kind, x] of [
        ["pay", 333_333_333n], ["claim", s.partnerF.address], ["pay", 1n], ["program", ""], ["pay", 1_234_567_891n],
        ["claim", s.partnerB.address], ["pay", 10_000n * USDC], ["claim", s.partnerF.address], ["program", ""],
      ] as const) {
        if (kind === "pay") {
          const out = await payAndSplit(s, x as bigint);
          applied += out.applied[0];
          distributed += out.distributed.reduce((t, [, v]) => t + v, 0n);
          expect(out.applied[1] + out.applied[2]).to.equal(out.applied[0]);
        } else {
          const tx = kind === "claim" ? await s.ledger.claim(x as string) : await s.ledger.claimProgram();
          const receipt = (await tx.wait())!;
          const [event] = receipt.logs.map((l) => s.ledger.interface.parseLog(l)).filter((e) => e?.name === "Claimed");
          claimed += event!.args.amount as bigint;
        }
        await check();
      }
      expect(applied).to.equal(OBLIGATION);
    });
  });
});

import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { deployLedger } from "../../scripts/lib/deployLedger";
import { B200, H100, DAY, USDC } from "../helpers/fixture";
import { buildScenario, restoreChainAfterAll, batchOf, recordUsage, finalizePeriod, fund, expectBooksBalanced, type Scenario } from "../helpers/scenario";
import type { FeeOnTransferToken, ReentrantToken } from "../../typechain-types";

/** PROTOCOL §13's usage and obligation (4 500 USDC, partnerFirstBps 6 000) on a ledger settling in `token`. */
async function indebted(tokenAddress: string): Promise<Scenario> {
  const s = await buildScenario({ settlementToken: tokenAddress });
  await time.increaseTo(s.start + 6n * DAY);
  await recordUsage(s, batchOf(s.partnerF.address, 0n, s.start + DAY, s.start + 6n * DAY, [[s.id, H100, 2_880_000n]]));
  await recordUsage(s, batchOf(s.partnerB.address, 0n, s.start + DAY, s.start + 6n * DAY, [[s.id, B200, 720_000n]]));
  await finalizePeriod(s, s.id, 0, 20_000n * USDC);
  await finalizePeriod(s, s.id, 1, 50_000n * USDC);
  await fund(s, s.payer, 100_000n * USDC);
  return s;
}

async function reentrantFixture() {
  const token = (await (await ethers.getContractFactory("ReentrantToken")).deploy()) as unknown as ReentrantToken;
  const s = await indebted(await token.getAddress());
  return { ...s, token };
}

async function feeFixture() {
  const token = (await (await ethers.getContractFactory("FeeOnTransferToken")).deploy(100)) as unknown as FeeOnTransferToken;
  const s = await indebted(await token.getAddress());
  return { ...s, token };
}

/** Everything a payment or claim can move: the ledger's books and the token balances of every party. */
async function books(s: Scenario) {
  const a = await s.ledger.agreement(s.id);
  const parties = [s.payer, s.partnerF, s.partnerB, s.treasury, s.outsider].map((x) => x.address);
  return {
    paid: a.paid,
    claimableF: await s.ledger.claimable(s.partnerF.address),
    claimableB: await s.ledger.claimable(s.partnerB.address),
    program: await s.ledger.programClaimable(),
    paidToF: (await s.ledger.partnerPosition(s.id, s.partnerF.address)).paidToPartner,
    paidToB: (await s.ledger.partnerPosition(s.id, s.partnerB.address)).paidToPartner,
    ledgerBalance: await s.usdc.balanceOf(s.ledgerAddress),
    balances: await Promise.all(parties.map((p) => s.usdc.balanceOf(p))),
  };
}

type Fixture = Awaited<ReturnType<typeof reentrantFixture>>;

const GUARD_ERROR = ethers.id("ReentrancyGuardReentrantCall()").slice(0, 10);

interface Case {
  name: string;
  /** Puts the ledger in the state the outer call needs (e.g. something to claim). */
  prepare: (s: Fixture) => Promise<unknown>;
  outer: (s: Fixture) => Promise<unknown>;
  /** The re-entering call, encoded against the ledger. */
  reenter: (s: Fixture) => string;
}

const payAmount = 1_000n * USDC;

const cases: Case[] = [
  {
    name: "pay re-entering pay",
    prepare: async () => undefined,
    outer: (s) => s.ledger.connect(s.payer).pay(s.id, payAmount),
    reenter: (s) => s.ledger.interface.encodeFunctionData("pay", [s.id, 1n]),
  },
  {
    name: "pay re-entering claim",
    prepare: (s) => s.ledger.connect(s.payer).pay(s.id, payAmount),
    outer: (s) => s.ledger.connect(s.payer).pay(s.id, payAmount),
    reenter: (s) => s.ledger.interface.encodeFunctionData("claim", [s.partnerF.address]),
  },
  {
    name: "payWithPermit re-entering payWithPermit",
    prepare: async () => undefined,
    outer: (s) => s.ledger.connect(s.payer).payWithPermit(s.id, payAmount, 0n, 27, ethers.ZeroHash, ethers.ZeroHash),
    reenter: (s) => s.ledger.interface.encodeFunctionData("payWithPermit", [s.id, 1n, 0n, 27, ethers.ZeroHash, ethers.ZeroHash]),
  },
  {
    name: "claim re-entering claim",
    prepare: (s) => s.ledger.connect(s.payer).pay(s.id, payAmount),
    outer: (s) => s.ledger.claim(s.partnerF.address),
    reenter: (s) => s.ledger.interface.encodeFunctionData("claim", [s.partnerB.address]),
  },
  {
    name: "claim re-entering pay",
    prepare: (s) => s.ledger.connect(s.payer).pay(s.id, payAmount),
    outer: (s) => s.ledger.claim(s.partnerF.address),
    reenter: (s) => s.ledger.interface.encodeFunctionData("pay", [s.id, 1n]),
  },
  {
    name: "claimProgram re-entering claimProgram",
    prepare: (s) => s.ledger.connect(s.payer).pay(s.id, payAmount),
    outer: (s) => s.ledger.claimProgram(),
    reenter: (s) => s.ledger.interface.encodeFunctionData("claimProgram"),
  },
];

describe("hostile settlement tokens", function () {
  restoreChainAfterAll();

  describe("ReentrantToken (calls back into the ledger during the transfer)", function () {
    for (const c of cases) {
      it(`when ${c.name} and the token bubbles the failure, the outer call reverts ReentrancyGuardReentrantCall and nothing changes`, async function () {
        const s = await loadFixture(reentrantFixture);
        await c.prepare(s);
        const before = await books(s);
        await s.token.arm(s.ledgerAddress, c.reenter(s), true);
        await expect(c.outer(s)).to.be.revertedWithCustomError(s.ledger, "ReentrancyGuardReentrantCall");
        expect(await books(s)).to.deep.equal(before);
        expect(await s.token.reentryAttempted()).to.equal(false);
      });

      it(`when ${c.name} and the token swallows the failure, the outer call succeeds, the re-entry failed, and balances are those of a single call`, async function () {
        const s = await loadFixture(reentrantFixture);
        await c.prepare(s);
        await s.token.arm(s.ledgerAddress, c.reenter(s), false);
        await c.outer(s);
        expect(await s.token.reentryAttempted()).to.equal(true);
        expect(await s.token.reentrySucceeded()).to.equal(false);
        expect(await s.token.reentryError()).to.equal(GUARD_ERROR);
        const armed = await books(s);
        await expectBooksBalanced(s);

        const plain = await loadFixture(reentrantFixture);
        await c.prepare(plain);
        await c.outer(plain);
        expect(await plain.token.reentryAttempted()).to.equal(false);
        expect(armed).to.deep.equal(await books(plain));
      });
    }

    it("when a swallowed re-entry hits pay, the single payment's figures are exactly PROTOCOL §13's first payment", async function () {
      const s = await loadFixture(reentrantFixture);
      await s.token.arm(s.ledgerAddress, s.ledger.interface.encodeFunctionData("pay", [s.id, 1n]), false);
      await expect(s.ledger.connect(s.payer).pay(s.id, payAmount))
        .to.emit(s.ledger, "PaymentApplied").withArgs(s.id, s.payer.address, payAmount, 599_999_999n, 400_000_001n);
      const b = await books(s);
      expect([b.paid, b.claimableF, b.claimableB, b.program, b.ledgerBalance])
        .to.deep.equal([payAmount, 381_818_181n, 218_181_818n, 400_000_001n, payAmount]);
    });
  });

  describe("FeeOnTransferToken (delivers less than asked)", function () {
    it("when a payment is pulled, it reverts TokenDeliveredLess(expected, received) and nothing is booked", async function () {
      const s = await loadFixture(feeFixture);
      await expect(s.ledger.connect(s.payer).pay(s.id, payAmount))
        .to.be.revertedWithCustomError(s.ledger, "TokenDeliveredLess").withArgs(payAmount, (payAmount * 99n) / 100n);
      // the expected amount is the applied one, min(amount, outstanding)
      await expect(s.ledger.connect(s.payer).pay(s.id, 10_000n * USDC))
        .to.be.revertedWithCustomError(s.ledger, "TokenDeliveredLess").withArgs(4_500n * USDC, 4_455n * USDC);
      expect((await s.ledger.agreement(s.id)).paid).to.equal(0n);
      expect(await s.token.balanceOf(s.ledgerAddress)).to.equal(0n);
    });
  });

  describe("constructor", function () {
    /** Runtime code that returns `decimals` for any call (a token whose decimals() is not 6). */
    async function tokenWithDecimals(decimals: number): Promise<string> {
      const runtime = `0x60${decimals.toString(16).padStart(2, "0")}60005260206000f3`;
      const init = ethers.concat(["0x600a600c600039600a6000f3", runtime]);
      const [deployer] = await ethers.getSigners();
      const receipt = (await (await deployer.sendTransaction({ data: init })).wait())!;
      const address = receipt.contractAddress!;
      const read = await ethers.getContractAt("MockUSDC", address);
      expect(await read.decimals()).to.equal(BigInt(decimals));
      return address;
    }

    for (const decimals of [18, 0]) {
      it(`when the settlement token has ${decimals} decimals, deployment reverts SettlementTokenDecimals(${decimals})`, async function () {
        const s = await loadFixture(reentrantFixture);
        const token = await tokenWithDecimals(decimals);
        await expect(deployLedger(ethers, { deployer: s.admin, admin: s.admin.address, treasury: s.treasury.address, settlementToken: token }))
          .to.be.revertedWithCustomError(s.ledger, "SettlementTokenDecimals").withArgs(decimals);
      });
    }
  });
});

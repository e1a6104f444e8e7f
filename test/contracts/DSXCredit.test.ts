import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time, takeSnapshot, type SnapshotRestorer } from "@nomicfoundation/hardhat-network-helpers";
import { deployLedgerFixture, signUsageBatch, H100, DAY, HOUR, REPORTING_GRACE } from "../helpers/fixture";

const DSXC = 1_000_000n;
const CREDIT_LIMIT = 10_000n * DSXC;
const latest = async () => BigInt(await time.latest());

/** Partner F (h100-sxm at 2.5 DSXC/GPU-h) and agreement 1 of three one-day periods from tomorrow, accepted. */
async function creditFixture() {
  const f = await deployLedgerFixture();
  const { ledger, program, startup, partnerF, oracleKeys } = f;
  const [fKey] = oracleKeys;
  const now = await latest();
  await ledger.connect(program).registerPartner(partnerF.address, [fKey.address], 1, 7_000);
  await ledger.connect(program).scheduleRate(partnerF.address, H100, 2_500_000n, (now / HOUR) * HOUR);
  const start = (now / DAY + 1n) * DAY;
  const end = start + 3n * DAY;
  await ledger.connect(program).createAgreement({
    startup: startup.address, creditLimit: CREDIT_LIMIT, revenueShareBps: 1_000, capMultipleBps: 15_000,
    partnerFirstBps: 5_000, startTime: start, endTime: end, periodDuration: DAY, gracePeriod: DAY, termsHash: ethers.ZeroHash,
  });
  await ledger.connect(startup).acceptAgreement(1n);
  await ledger.connect(startup).authorizePartner(1n, partnerF.address, 1_000n * DSXC, 16);
  return { ...f, fKey, start, end, id: 1n };
}

/** An ERC-2612 permit of `owner`'s credits for `spender`, signed by `signer` (the owner unless a forgery is wanted). */
async function signPermit(
  f: Awaited<ReturnType<typeof creditFixture>>, owner: typeof f.startup, spender: string, value: bigint, deadline: bigint,
  signer = owner,
) {
  const domain = { name: "DSX Compute Credit", version: "1", chainId: f.chainId, verifyingContract: await f.credit.getAddress() };
  const types = {
    Permit: [
      { name: "owner", type: "address" }, { name: "spender", type: "address" }, { name: "value", type: "uint256" },
      { name: "nonce", type: "uint256" }, { name: "deadline", type: "uint256" },
    ],
  };
  const nonce = await f.credit.nonces(owner.address);
  return ethers.Signature.from(await signer.signTypedData(domain, types, { owner: owner.address, spender, value, nonce, deadline }));
}

describe("DSXCredit", function () {
  // Fixtures travel in time; put the clock back for the files that run after this one.
  let clean: SnapshotRestorer;
  before(async function () {
    clean = await takeSnapshot();
  });
  after(async function () {
    await clean.restore();
  });

  describe("metadata", function () {
    it("when deployed by the ledger, it is DSX Compute Credit / DSXC with 6 decimals and the ledger as its minter", async function () {
      const { credit, ledgerAddress } = await loadFixture(creditFixture);
      expect(await credit.name()).to.equal("DSX Compute Credit");
      expect(await credit.symbol()).to.equal("DSXC");
      expect(await credit.decimals()).to.equal(6n);
      expect(await credit.ledger()).to.equal(ledgerAddress);
    });
  });

  describe("transfer", function () {
    it("when a holder sends credits to another wallet, it reverts TransferRestricted(from, to) and balances stay", async function () {
      const { credit, startup, startup2 } = await loadFixture(creditFixture);
      await expect(credit.connect(startup).transfer(startup2.address, 100n * DSXC))
        .to.be.revertedWithCustomError(credit, "TransferRestricted").withArgs(startup.address, startup2.address);
      expect(await credit.balanceOf(startup.address)).to.equal(CREDIT_LIMIT);
      expect(await credit.balanceOf(startup2.address)).to.equal(0n);
    });

    it("when the amount is 0, it still reverts TransferRestricted(from, to)", async function () {
      const { credit, startup, startup2 } = await loadFixture(creditFixture);
      await expect(credit.connect(startup).transfer(startup2.address, 0n))
        .to.be.revertedWithCustomError(credit, "TransferRestricted").withArgs(startup.address, startup2.address);
    });

    it("when the holder sends its whole balance to the ledger, it reverts TransferRestricted(from, ledger)", async function () {
      const { credit, startup, ledgerAddress } = await loadFixture(creditFixture);
      await expect(credit.connect(startup).transfer(ledgerAddress, CREDIT_LIMIT))
        .to.be.revertedWithCustomError(credit, "TransferRestricted").withArgs(startup.address, ledgerAddress);
    });

    it("when the receiver is the zero address, it reverts ERC20InvalidReceiver(0): holders cannot burn", async function () {
      const { credit, startup } = await loadFixture(creditFixture);
      await expect(credit.connect(startup).transfer(ethers.ZeroAddress, DSXC))
        .to.be.revertedWithCustomError(credit, "ERC20InvalidReceiver").withArgs(ethers.ZeroAddress);
    });
  });

  describe("transferFrom", function () {
    it("when a spender moves 0 credits (no allowance is needed for 0), it reverts TransferRestricted(from, to) and balances stay", async function () {
      const { credit, startup, outsider, startup2 } = await loadFixture(creditFixture);
      await expect(credit.connect(outsider).transferFrom(startup.address, startup2.address, 0n))
        .to.be.revertedWithCustomError(credit, "TransferRestricted").withArgs(startup.address, startup2.address);
      await expect(credit.connect(startup).transferFrom(startup.address, outsider.address, 0n))
        .to.be.revertedWithCustomError(credit, "TransferRestricted").withArgs(startup.address, outsider.address);
      expect(await credit.balanceOf(startup.address)).to.equal(CREDIT_LIMIT);
    });

    it("when the spender has no allowance, it reverts TransferRestricted(from, to), not an allowance error that would suggest approving", async function () {
      const { credit, startup, outsider } = await loadFixture(creditFixture);
      await expect(credit.connect(outsider).transferFrom(startup.address, outsider.address, DSXC))
        .to.be.revertedWithCustomError(credit, "TransferRestricted").withArgs(startup.address, outsider.address);
      expect(await credit.balanceOf(startup.address)).to.equal(CREDIT_LIMIT);
    });
  });

  describe("approve / permit (refused: an allowance could never be spent)", function () {
    it("when a holder approves, it reverts ApprovalRestricted(owner, spender) and no allowance is set", async function () {
      const { credit, startup, outsider } = await loadFixture(creditFixture);
      await expect(credit.connect(startup).approve(outsider.address, 7n))
        .to.be.revertedWithCustomError(credit, "ApprovalRestricted").withArgs(startup.address, outsider.address);
      await expect(credit.connect(outsider).approve(startup.address, 0n), "even for 0, and from a wallet without credits")
        .to.be.revertedWithCustomError(credit, "ApprovalRestricted").withArgs(outsider.address, startup.address);
      expect(await credit.allowance(startup.address, outsider.address)).to.equal(0n);
    });

    it("when a valid ERC-2612 permit is relayed, it reverts ApprovalRestricted(owner, spender): no allowance, the nonce unused", async function () {
      const f = await loadFixture(creditFixture);
      const { credit, startup, outsider, relayer } = f;
      const deadline = (await latest()) + HOUR;
      const sig = await signPermit(f, startup, outsider.address, 250n * DSXC, deadline);
      await expect(credit.connect(relayer).permit(startup.address, outsider.address, 250n * DSXC, deadline, sig.v, sig.r, sig.s))
        .to.be.revertedWithCustomError(credit, "ApprovalRestricted").withArgs(startup.address, outsider.address);
      expect(await credit.allowance(startup.address, outsider.address)).to.equal(0n);
      expect(await credit.nonces(startup.address)).to.equal(0n);
    });

    it("when the permit is expired or signed by someone else, it still reverts ApprovalRestricted (before any signature check)", async function () {
      const f = await loadFixture(creditFixture);
      const expired = (await latest()) - 1n;
      const old = await signPermit(f, f.startup, f.outsider.address, DSXC, expired);
      await expect(f.credit.permit(f.startup.address, f.outsider.address, DSXC, expired, old.v, old.r, old.s))
        .to.be.revertedWithCustomError(f.credit, "ApprovalRestricted").withArgs(f.startup.address, f.outsider.address);
      const deadline = (await latest()) + HOUR;
      const forged = await signPermit(f, f.startup, f.outsider.address, DSXC, deadline, f.startup2);
      await expect(f.credit.permit(f.startup.address, f.outsider.address, DSXC, deadline, forged.v, forged.r, forged.s))
        .to.be.revertedWithCustomError(f.credit, "ApprovalRestricted").withArgs(f.startup.address, f.outsider.address);
    });

    it("when asked, DOMAIN_SEPARATOR is the EIP-712 domain of DSX Compute Credit version 1 on this chain", async function () {
      const { credit, chainId } = await loadFixture(creditFixture);
      const expected = ethers.TypedDataEncoder.hashDomain({
        name: "DSX Compute Credit", version: "1", chainId, verifyingContract: await credit.getAddress(),
      });
      expect(await credit.DOMAIN_SEPARATOR()).to.equal(expected);
    });
  });

  describe("canTransfer", function () {
    const cases: { when: string; from: "zero" | "startup" | "startup2"; to: "zero" | "startup" | "startup2"; amount: bigint; expected: boolean }[] = [
      { when: "wallet to wallet", from: "startup", to: "startup2", amount: 1n, expected: false },
      { when: "wallet to wallet, amount 0", from: "startup", to: "startup2", amount: 0n, expected: false },
      { when: "wallet to itself", from: "startup", to: "startup", amount: 1n, expected: false },
      { when: "a mint (from the zero address)", from: "zero", to: "startup2", amount: 123n, expected: true },
      { when: "from the zero address to the zero address", from: "zero", to: "zero", amount: 1n, expected: false },
      // PROTOCOL §9: false for every move a holder could start, including to the zero address (burns are the ledger's)
      { when: "a burn within the balance", from: "startup", to: "zero", amount: CREDIT_LIMIT, expected: false },
      { when: "a burn above the balance", from: "startup", to: "zero", amount: CREDIT_LIMIT + 1n, expected: false },
      { when: "a burn from an empty wallet", from: "startup2", to: "zero", amount: 1n, expected: false },
    ];
    for (const { when, from, to, amount, expected } of cases) {
      it(`when asked about ${when}, it answers ${expected}`, async function () {
        const f = await loadFixture(creditFixture);
        const address = (who: "zero" | "startup" | "startup2") => (who === "zero" ? ethers.ZeroAddress : f[who].address);
        expect(await f.credit.canTransfer(address(from), address(to), amount)).to.equal(expected);
      });
    }
  });

  describe("mint / burn", function () {
    for (const who of ["admin", "program", "startup", "outsider"] as const) {
      it(`when ${who} (not the ledger) mints, it reverts OnlyLedger(${who})`, async function () {
        const f = await loadFixture(creditFixture);
        await expect(f.credit.connect(f[who]).mint(f[who].address, DSXC))
          .to.be.revertedWithCustomError(f.credit, "OnlyLedger").withArgs(f[who].address);
      });

      it(`when ${who} (not the ledger) burns, it reverts OnlyLedger(${who})`, async function () {
        const f = await loadFixture(creditFixture);
        await expect(f.credit.connect(f[who]).burn(f.startup.address, DSXC))
          .to.be.revertedWithCustomError(f.credit, "OnlyLedger").withArgs(f[who].address);
        expect(await f.credit.balanceOf(f.startup.address)).to.equal(CREDIT_LIMIT);
      });
    }
  });

  describe("totalSupply", function () {
    it("when credits are minted on acceptance, burned on usage, re-minted on a refund, moved and expired, it equals minted - burned", async function () {
      const f = await loadFixture(creditFixture);
      const { ledger, credit, program, startup, startup2, partnerF, fKey, start, end, id } = f;
      expect(await credit.totalSupply(), "after acceptance").to.equal(CREDIT_LIMIT);

      // usage: 10 GPU-hours at 2.5 DSXC = 25 DSXC burned
      await time.increaseTo(start + 2n * HOUR);
      const batch = {
        partner: partnerF.address as `0x${string}`, sequence: 0n, periodStart: start, periodEnd: start + HOUR,
        recordsRoot: ethers.id("records") as `0x${string}`, lines: [{ agreementId: id, sku: H100, gpuSeconds: 36_000n }],
      };
      await expect(ledger.submitUsage(batch, await signUsageBatch([fKey], batch, f.chainId, f.ledgerAddress)))
        .to.emit(credit, "Transfer").withArgs(startup.address, ethers.ZeroAddress, 25n * DSXC);
      expect(await credit.totalSupply(), "after usage").to.equal(CREDIT_LIMIT - 25n * DSXC);

      // a credit note re-mints 10 DSXC
      const batchId = await ledger.usageBatchId(partnerF.address, 0n, start, start + HOUR, ethers.id("records"));
      await ledger.connect(startup).disputeUsage(batchId, id, ethers.id("over-reported"));
      await expect(ledger.connect(program).resolveUsageDispute(batchId, id, partnerF.address, [{ agreementId: id, sku: H100, gpuSeconds: 36_000n, credits: 25n * DSXC }], 10n * DSXC))
        .to.emit(credit, "Transfer").withArgs(ethers.ZeroAddress, startup.address, 10n * DSXC);
      expect(await credit.totalSupply(), "after the refund").to.equal(CREDIT_LIMIT - 15n * DSXC);

      // the startup's own migration burns and mints the same amount
      await ledger.connect(startup).migrateStartup(id, startup2.address);
      expect(await credit.totalSupply(), "after migration").to.equal(CREDIT_LIMIT - 15n * DSXC);
      expect(await credit.balanceOf(startup2.address)).to.equal(CREDIT_LIMIT - 15n * DSXC);

      // expiry burns the rest
      await time.increaseTo(end + REPORTING_GRACE);
      await ledger.expireCredits(id);
      expect(await credit.totalSupply(), "after expiry").to.equal(0n);

      const transfers = await credit.queryFilter(credit.filters.Transfer());
      let minted = 0n;
      let burned = 0n;
      for (const t of transfers) {
        if (t.args.from === ethers.ZeroAddress) minted += t.args.value;
        if (t.args.to === ethers.ZeroAddress) burned += t.args.value;
        expect(t.args.from === ethers.ZeroAddress || t.args.to === ethers.ZeroAddress, "only mints and burns").to.equal(true);
      }
      expect([minted, burned]).to.deep.equal([CREDIT_LIMIT + 10n * DSXC + (CREDIT_LIMIT - 15n * DSXC), 25n * DSXC + (CREDIT_LIMIT - 15n * DSXC) * 2n]);
      expect(minted - burned).to.equal(await credit.totalSupply());
    });

    it("when two startups accept, totalSupply is the sum of their credit limits", async function () {
      const f = await loadFixture(creditFixture);
      const { ledger, credit, program, startup2, start, end } = f;
      await ledger.connect(program).createAgreement({
        startup: startup2.address, creditLimit: 3n * DSXC, revenueShareBps: 1_000, capMultipleBps: 15_000, partnerFirstBps: 0,
        startTime: start, endTime: end, periodDuration: DAY, gracePeriod: 0n, termsHash: ethers.ZeroHash,
      });
      await ledger.connect(startup2).acceptAgreement(2n);
      expect(await credit.totalSupply()).to.equal(CREDIT_LIMIT + 3n * DSXC);
      expect(await credit.balanceOf(startup2.address)).to.equal(3n * DSXC);
    });
  });
});

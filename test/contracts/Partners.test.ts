import { expect } from "chai";
import { ethers } from "hardhat";
import type { Wallet } from "ethers";
import { loadFixture, time, takeSnapshot, type SnapshotRestorer } from "@nomicfoundation/hardhat-network-helpers";
import {
  deployLedgerFixture, signUsageBatch, signRevenueReport, addressesOf, H100, B200, DAY, HOUR, USDC, RATE_NOTICE, SIGNER_NOTICE,
  type LedgerFixture,
} from "../helpers/fixture";

const DSXC = 1_000_000n;
const latest = async () => BigInt(await time.latest());
/** A deterministic address that is nobody's wallet or key. */
const addressNo = (i: number) => ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(0xa11ce0 + i), 20));
const manySigners = (n: number) => Array.from({ length: n }, (_, i) => addressNo(i));

/** Partner F registered with the 1-of-1 signer set [k0] and payoutBps 7 000; keys k0..k5 available. */
async function partnerFixture() {
  const f = await deployLedgerFixture();
  const [k0, k1, k2, k3] = f.oracleKeys;
  await f.ledger.connect(f.program).registerPartner(f.partnerF.address, [k0.address], 1, 7_000);
  // usage windows end at the last whole hour before the fixture, so they are always in the past
  const windowEnd = ((await latest()) / HOUR) * HOUR;
  return { ...f, k0, k1, k2, k3, windowEnd };
}
type PartnerFixture = Awaited<ReturnType<typeof partnerFixture>>;

/**
 * Relays partner F's batch `sequence` over the hour before the fixture, signed by `keys`. Its one line names an
 * agreement that does not exist, so it is rejected NotOpen: the batch still lands once its signatures pass.
 */
async function relayBatch(f: PartnerFixture, keys: Wallet[], sequence: bigint) {
  const periodEnd = f.windowEnd;
  const batch = {
    partner: f.partnerF.address as `0x${string}`, sequence, periodStart: periodEnd - HOUR, periodEnd,
    recordsRoot: ethers.id(`records-${sequence}`) as `0x${string}`,
    lines: [{ agreementId: 99n, sku: H100, gpuSeconds: 3_600n }],
  };
  return f.ledger.connect(f.relayer).submitUsage(batch, await signUsageBatch(keys, batch, f.chainId, f.ledgerAddress));
}

/** partner(address) as a plain object: the signer set and payout address in force, and PROGRAM's pending changes. */
async function partnerView(f: LedgerFixture, partner: string) {
  const v = await f.ledger.partner(partner);
  return {
    signers: [...v.signers], threshold: v.threshold, payoutBps: v.payoutBps, active: v.active,
    registered: v.registered, nextSequence: v.nextSequence, payout: v.payout,
    pendingSigners: [...v.pendingSigners], pendingThreshold: v.pendingThreshold, pendingSignersAt: v.pendingSignersAt,
    pendingPayout: v.pendingPayout, pendingPayoutAt: v.pendingPayoutAt,
  };
}

/** The pending fields of partner(address) when nothing is pending. */
const NOTHING_PENDING = {
  pendingSigners: [] as string[], pendingThreshold: 0n, pendingSignersAt: 0n, pendingPayout: ethers.ZeroAddress, pendingPayoutAt: 0n,
};

/** revenueSigners() as a plain object. */
async function revenueView(f: LedgerFixture) {
  const v = await f.ledger.revenueSigners();
  return {
    signers: [...v.signers], threshold: v.threshold, pendingSigners: [...v.pendingSigners], pendingThreshold: v.pendingThreshold,
    pendingAt: v.pendingAt,
  };
}

/** Sends `call` ten seconds from now and returns that time. */
async function at10s(call: () => Promise<unknown>): Promise<bigint> {
  const t = (await latest()) + 10n;
  await time.setNextBlockTimestamp(t);
  await call();
  return t;
}

/** rateSchedule(partner, sku) as [creditsPerGpuHour, effectiveFrom] pairs. */
async function schedule(f: LedgerFixture, partner: string, sku: string) {
  return (await f.ledger.rateSchedule(partner, sku)).map((e) => [e.creditsPerGpuHour, e.effectiveFrom]);
}

describe("RevenueShareLedger: partners, signer sets and rate cards", function () {
  // Fixtures travel in time; put the clock back for the files that run after this one.
  let clean: SnapshotRestorer;
  before(async function () {
    clean = await takeSnapshot();
  });
  after(async function () {
    await clean.restore();
  });

  describe("registerPartner", function () {
    it("when the signer set is valid, it registers the partner active at sequence 0 and emits PartnerRegistered", async function () {
      const f = await loadFixture(partnerFixture);
      const signers = addressesOf([f.k1, f.k2, f.k3]);
      await expect(f.ledger.connect(f.program).registerPartner(f.partnerB.address, signers, 2, 8_000))
        .to.emit(f.ledger, "PartnerRegistered").withArgs(f.partnerB.address, signers, 2, 8_000);
      expect(await partnerView(f, f.partnerB.address)).to.deep.equal({
        signers, threshold: 2n, payoutBps: 8_000n, active: true, registered: true, nextSequence: 0n, payout: f.partnerB.address,
        ...NOTHING_PENDING,
      });
    });

    it("when the partner was never registered, partner(address) is empty, not registered, with payout address 0", async function () {
      const f = await loadFixture(partnerFixture);
      expect(await partnerView(f, f.partnerB.address)).to.deep.equal({
        signers: [], threshold: 0n, payoutBps: 0n, active: false, registered: false, nextSequence: 0n, payout: ethers.ZeroAddress,
        ...NOTHING_PENDING,
      });
    });

    it("when the signers are not sorted, it keeps them in the order given", async function () {
      const f = await loadFixture(partnerFixture);
      const signers = addressesOf([f.k1, f.k2, f.k3]).reverse();
      await f.ledger.connect(f.program).registerPartner(f.partnerB.address, signers, 3, 8_000);
      expect((await partnerView(f, f.partnerB.address)).signers).to.deep.equal(signers);
    });

    it("when the set has 16 signers and threshold 16, it is accepted (the maximum)", async function () {
      const f = await loadFixture(partnerFixture);
      const signers = manySigners(16);
      await expect(f.ledger.connect(f.program).registerPartner(f.partnerB.address, signers, 16, 8_000))
        .to.emit(f.ledger, "PartnerRegistered").withArgs(f.partnerB.address, signers, 16, 8_000);
    });

    it("when payoutBps is 0 or 10 000, it is accepted (the bounds)", async function () {
      const f = await loadFixture(partnerFixture);
      await f.ledger.connect(f.program).registerPartner(f.partnerB.address, [f.k1.address], 1, 0);
      await f.ledger.connect(f.program).registerPartner(f.payer.address, [f.k1.address], 1, 10_000);
      expect((await f.ledger.partner(f.partnerB.address)).payoutBps).to.equal(0n);
      expect((await f.ledger.partner(f.payer.address)).payoutBps).to.equal(10_000n);
    });

    const badSets: { when: string; signers: (f: PartnerFixture) => string[]; threshold: number; error: string; args: (f: PartnerFixture) => unknown[] }[] = [
      { when: "threshold is 0", signers: (f) => [f.k1.address], threshold: 0, error: "InvalidSignerSet", args: () => [1, 0] },
      { when: "threshold exceeds the number of signers", signers: (f) => addressesOf([f.k1, f.k2]), threshold: 3, error: "InvalidSignerSet", args: () => [2, 3] },
      { when: "there are no signers", signers: () => [], threshold: 1, error: "InvalidSignerSet", args: () => [0, 1] },
      { when: "there are 17 signers", signers: () => manySigners(17), threshold: 1, error: "InvalidSignerSet", args: () => [17, 1] },
      { when: "a signer is the zero address", signers: (f) => [f.k1.address, ethers.ZeroAddress], threshold: 1, error: "ZeroAddress", args: () => [] },
      {
        when: "a signer appears twice (not side by side)", signers: (f) => [f.k1.address, f.k2.address, f.k1.address], threshold: 2,
        error: "DuplicateSigner", args: (f) => [f.k1.address],
      },
    ];
    for (const { when, signers, threshold, error, args } of badSets) {
      it(`when ${when}, it reverts ${error}`, async function () {
        const f = await loadFixture(partnerFixture);
        await expect(f.ledger.connect(f.program).registerPartner(f.partnerB.address, signers(f), threshold, 8_000))
          .to.be.revertedWithCustomError(f.ledger, error).withArgs(...args(f));
        expect((await f.ledger.partner(f.partnerB.address)).registered).to.equal(false);
      });
    }

    it("when the partner is already registered, it reverts PartnerAlreadyRegistered(partner)", async function () {
      const f = await loadFixture(partnerFixture);
      await expect(f.ledger.connect(f.program).registerPartner(f.partnerF.address, [f.k1.address], 1, 5_000))
        .to.be.revertedWithCustomError(f.ledger, "PartnerAlreadyRegistered").withArgs(f.partnerF.address);
    });

    it("when payoutBps is 10 001, it reverts BpsOutOfRange(10 001, 0, 10 000)", async function () {
      const f = await loadFixture(partnerFixture);
      await expect(f.ledger.connect(f.program).registerPartner(f.partnerB.address, [f.k1.address], 1, 10_001))
        .to.be.revertedWithCustomError(f.ledger, "BpsOutOfRange").withArgs(10_001, 0, 10_000);
    });

    it("when the partner is the zero address, it reverts ZeroAddress", async function () {
      const f = await loadFixture(partnerFixture);
      await expect(f.ledger.connect(f.program).registerPartner(ethers.ZeroAddress, [f.k1.address], 1, 5_000))
        .to.be.revertedWithCustomError(f.ledger, "ZeroAddress");
    });

    it("when the threshold is 2 of 3, one signature is refused BelowThreshold(1, 2) and two are accepted", async function () {
      const f = await loadFixture(partnerFixture);
      await f.ledger.connect(f.partnerF).setPartnerSigners(f.partnerF.address, addressesOf([f.k1, f.k2, f.k3]), 2);
      await expect(relayBatch(f, [f.k1], 0n)).to.be.revertedWithCustomError(f.ledger, "BelowThreshold").withArgs(1, 2);
      await expect(relayBatch(f, [f.k1, f.k3], 0n)).to.emit(f.ledger, "UsageBatchRecorded");
    });
  });

  describe("setPartnerSigners", function () {
    it("when the partner rotates its own signers, the new set is in force at once: PartnerSignersSet, the rest kept, nothing pending", async function () {
      const f = await loadFixture(partnerFixture);
      await relayBatch(f, [f.k0], 0n);
      const signers = addressesOf([f.k1, f.k2]);
      await expect(f.ledger.connect(f.partnerF).setPartnerSigners(f.partnerF.address, signers, 2))
        .to.emit(f.ledger, "PartnerSignersSet").withArgs(f.partnerF.address, signers, 2)
        .and.not.to.emit(f.ledger, "PartnerSignersProposed");
      expect(await partnerView(f, f.partnerF.address)).to.deep.equal({
        signers, threshold: 2n, payoutBps: 7_000n, active: true, registered: true, nextSequence: 1n, payout: f.partnerF.address,
        ...NOTHING_PENDING,
      });
    });

    it("when the partner rotated, a batch signed by an old signer reverts UnknownSigner(old) and one by the new signer lands", async function () {
      const f = await loadFixture(partnerFixture);
      await f.ledger.connect(f.partnerF).setPartnerSigners(f.partnerF.address, [f.k1.address], 1);
      await expect(relayBatch(f, [f.k0], 0n)).to.be.revertedWithCustomError(f.ledger, "UnknownSigner").withArgs(f.k0.address);
      const [start, end, root] = [f.windowEnd - HOUR, f.windowEnd, ethers.id("records-0")];
      const batchId = await f.ledger.usageBatchId(f.partnerF.address, 0n, start, end, root);
      await expect(relayBatch(f, [f.k1], 0n)).to.emit(f.ledger, "UsageBatchRecorded")
        .withArgs(batchId, f.partnerF.address, 0n, start, end, root, 0n, 1n);
      expect((await f.ledger.partner(f.partnerF.address)).nextSequence).to.equal(1n);
    });

    it("when a signer stays in the new set, its signatures keep working", async function () {
      const f = await loadFixture(partnerFixture);
      await f.ledger.connect(f.partnerF).setPartnerSigners(f.partnerF.address, addressesOf([f.k0, f.k1]), 1);
      await expect(relayBatch(f, [f.k0], 0n)).to.emit(f.ledger, "UsageBatchRecorded");
      await expect(relayBatch(f, [f.k1], 1n)).to.emit(f.ledger, "UsageBatchRecorded");
    });

    it("when rotated away and back, the returning signer is valid again and the one in between is not", async function () {
      const f = await loadFixture(partnerFixture);
      await f.ledger.connect(f.partnerF).setPartnerSigners(f.partnerF.address, [f.k1.address], 1);
      await expect(relayBatch(f, [f.k1], 0n)).to.emit(f.ledger, "UsageBatchRecorded");
      await f.ledger.connect(f.partnerF).setPartnerSigners(f.partnerF.address, [f.k0.address], 1);
      await expect(relayBatch(f, [f.k1], 1n)).to.be.revertedWithCustomError(f.ledger, "UnknownSigner").withArgs(f.k1.address);
      await expect(relayBatch(f, [f.k0], 1n)).to.emit(f.ledger, "UsageBatchRecorded");
    });

    it("when one partner rotates, another partner's signer set is untouched", async function () {
      const f = await loadFixture(partnerFixture);
      await f.ledger.connect(f.program).registerPartner(f.partnerB.address, [f.k0.address], 1, 8_000);
      await f.ledger.connect(f.partnerF).setPartnerSigners(f.partnerF.address, [f.k1.address], 1);
      expect((await partnerView(f, f.partnerB.address)).signers).to.deep.equal([f.k0.address]);
      const batch = {
        partner: f.partnerB.address as `0x${string}`, sequence: 0n, periodStart: f.windowEnd - HOUR, periodEnd: f.windowEnd,
        recordsRoot: ethers.ZeroHash as `0x${string}`, lines: [{ agreementId: 99n, sku: B200, gpuSeconds: 60n }],
      };
      await expect(f.ledger.submitUsage(batch, await signUsageBatch([f.k0], batch, f.chainId, f.ledgerAddress)))
        .to.emit(f.ledger, "UsageBatchRecorded");
    });

    it("when PROGRAM proposes a set, it is pending for SIGNER_NOTICE (PartnerSignersProposed, the view shows it) and the old set signs until then", async function () {
      const f = await loadFixture(partnerFixture);
      const t = (await latest()) + 10n;
      await time.setNextBlockTimestamp(t);
      const effectiveAt = t + SIGNER_NOTICE;
      await expect(f.ledger.connect(f.program).setPartnerSigners(f.partnerF.address, addressesOf([f.k1, f.k2]), 2))
        .to.emit(f.ledger, "PartnerSignersProposed").withArgs(f.partnerF.address, addressesOf([f.k1, f.k2]), 2, effectiveAt)
        .and.not.to.emit(f.ledger, "PartnerSignersSet");
      expect(await partnerView(f, f.partnerF.address)).to.deep.equal({
        signers: [f.k0.address], threshold: 1n, payoutBps: 7_000n, active: true, registered: true, nextSequence: 0n,
        payout: f.partnerF.address, ...NOTHING_PENDING,
        pendingSigners: addressesOf([f.k1, f.k2]), pendingThreshold: 2n, pendingSignersAt: effectiveAt,
      });
      await expect(relayBatch(f, [f.k1, f.k2], 0n)).to.be.revertedWithCustomError(f.ledger, "UnknownSigner").withArgs(addressesOf([f.k1, f.k2])[0]);
      await time.setNextBlockTimestamp(effectiveAt - 1n);
      await expect(relayBatch(f, [f.k0], 0n), "the old set at effectiveAt - 1").to.emit(f.ledger, "UsageBatchRecorded");
    });

    it("when PROGRAM's proposal reaches its effectiveAt, it is in force with no further transaction: old signers refused, new ones land", async function () {
      const f = await loadFixture(partnerFixture);
      const t = await at10s(() => f.ledger.connect(f.program).setPartnerSigners(f.partnerF.address, addressesOf([f.k1, f.k2]), 2));
      const effectiveAt = t + SIGNER_NOTICE;
      await time.setNextBlockTimestamp(effectiveAt);
      await expect(relayBatch(f, [f.k1, f.k2], 0n), "the new set at effectiveAt").to.emit(f.ledger, "UsageBatchRecorded");
      await expect(relayBatch(f, [f.k0], 1n)).to.be.revertedWithCustomError(f.ledger, "BelowThreshold").withArgs(1n, 2n);
      await expect(relayBatch(f, [f.k0, f.k1], 1n)).to.be.revertedWithCustomError(f.ledger, "UnknownSigner").withArgs(f.k0.address);
      expect(await partnerView(f, f.partnerF.address)).to.deep.equal({
        signers: addressesOf([f.k1, f.k2]), threshold: 2n, payoutBps: 7_000n, active: true, registered: true, nextSequence: 1n,
        payout: f.partnerF.address, ...NOTHING_PENDING,
      });
      expect(await f.ledger.queryFilter(f.ledger.filters.PartnerSignersSet()), "no event when it comes into force").to.deep.equal([]);
    });

    it("when the partner rotates while PROGRAM's proposal is pending, its own set is in force at once and PROGRAM's never comes into force", async function () {
      const f = await loadFixture(partnerFixture);
      const t = await at10s(() => f.ledger.connect(f.program).setPartnerSigners(f.partnerF.address, [f.k3.address], 1));
      await expect(f.ledger.connect(f.partnerF).setPartnerSigners(f.partnerF.address, [f.k1.address], 1))
        .to.emit(f.ledger, "PartnerSignersSet").withArgs(f.partnerF.address, [f.k1.address], 1);
      const view = await partnerView(f, f.partnerF.address);
      expect([view.signers, view.pendingSigners, view.pendingThreshold, view.pendingSignersAt]).to.deep.equal([[f.k1.address], [], 0n, 0n]);
      await time.setNextBlockTimestamp(t + SIGNER_NOTICE);
      await expect(relayBatch(f, [f.k3], 0n)).to.be.revertedWithCustomError(f.ledger, "UnknownSigner").withArgs(f.k3.address);
      await expect(relayBatch(f, [f.k1], 0n)).to.emit(f.ledger, "UsageBatchRecorded");
    });

    it("when PROGRAM proposes again before the first proposal came into force, the newer one replaces it (the first never rules)", async function () {
      const f = await loadFixture(partnerFixture);
      const first = await at10s(() => f.ledger.connect(f.program).setPartnerSigners(f.partnerF.address, [f.k1.address], 1));
      await time.increase(DAY);
      const second = await at10s(() => f.ledger.connect(f.program).setPartnerSigners(f.partnerF.address, [f.k2.address], 1));
      expect((await partnerView(f, f.partnerF.address)).pendingSigners).to.deep.equal([f.k2.address]);
      await time.setNextBlockTimestamp(first + SIGNER_NOTICE);
      await expect(relayBatch(f, [f.k1], 0n)).to.be.revertedWithCustomError(f.ledger, "UnknownSigner").withArgs(f.k1.address);
      await expect(relayBatch(f, [f.k0], 0n), "the original set rules until the newer effectiveAt").to.emit(f.ledger, "UsageBatchRecorded");
      await time.setNextBlockTimestamp(second + SIGNER_NOTICE);
      await expect(relayBatch(f, [f.k0], 1n)).to.be.revertedWithCustomError(f.ledger, "UnknownSigner").withArgs(f.k0.address);
      await expect(relayBatch(f, [f.k2], 1n)).to.emit(f.ledger, "UsageBatchRecorded");
    });

    it("when PROGRAM proposes again after the first proposal came into force, the first stays in force until the newer one's effectiveAt", async function () {
      const f = await loadFixture(partnerFixture);
      const first = await at10s(() => f.ledger.connect(f.program).setPartnerSigners(f.partnerF.address, [f.k1.address], 1));
      await time.increaseTo(first + SIGNER_NOTICE + HOUR);
      const second = await at10s(() => f.ledger.connect(f.program).setPartnerSigners(f.partnerF.address, [f.k2.address], 1));
      const view = await partnerView(f, f.partnerF.address);
      expect([view.signers, view.pendingSigners, view.pendingSignersAt]).to.deep.equal([[f.k1.address], [f.k2.address], second + SIGNER_NOTICE]);
      await expect(relayBatch(f, [f.k0], 0n)).to.be.revertedWithCustomError(f.ledger, "UnknownSigner").withArgs(f.k0.address);
      await expect(relayBatch(f, [f.k1], 0n)).to.emit(f.ledger, "UsageBatchRecorded");
      await time.setNextBlockTimestamp(second + SIGNER_NOTICE);
      await expect(relayBatch(f, [f.k1], 1n)).to.be.revertedWithCustomError(f.ledger, "UnknownSigner").withArgs(f.k1.address);
      await expect(relayBatch(f, [f.k2], 1n)).to.emit(f.ledger, "UsageBatchRecorded");
    });

    it("when the partner also holds PROGRAM_ROLE, its call counts as the partner's: in force at once", async function () {
      const f = await loadFixture(partnerFixture);
      await f.ledger.connect(f.admin).grantRole(await f.ledger.PROGRAM_ROLE(), f.partnerF.address);
      await expect(f.ledger.connect(f.partnerF).setPartnerSigners(f.partnerF.address, [f.k1.address], 1))
        .to.emit(f.ledger, "PartnerSignersSet").withArgs(f.partnerF.address, [f.k1.address], 1)
        .and.not.to.emit(f.ledger, "PartnerSignersProposed");
      await expect(relayBatch(f, [f.k1], 0n)).to.emit(f.ledger, "UsageBatchRecorded");
    });

    it("when neither the partner nor PROGRAM calls it (another partner, the admin, an outsider), it reverts NotPartnerOrProgram(partner, caller)", async function () {
      const f = await loadFixture(partnerFixture);
      await f.ledger.connect(f.program).registerPartner(f.partnerB.address, [f.k1.address], 1, 8_000);
      for (const caller of [f.partnerB, f.admin, f.outsider]) {
        await expect(f.ledger.connect(caller).setPartnerSigners(f.partnerF.address, [f.k2.address], 1))
          .to.be.revertedWithCustomError(f.ledger, "NotPartnerOrProgram").withArgs(f.partnerF.address, caller.address);
      }
      expect(await partnerView(f, f.partnerF.address)).to.deep.include({ signers: [f.k0.address], pendingSigners: [] });
    });

    const badSets: { when: string; signers: (f: PartnerFixture) => string[]; threshold: number; error: string; args: (f: PartnerFixture) => unknown[] }[] = [
      { when: "threshold is 0", signers: (f) => [f.k1.address], threshold: 0, error: "InvalidSignerSet", args: () => [1, 0] },
      { when: "threshold exceeds the number of signers", signers: (f) => [f.k1.address], threshold: 2, error: "InvalidSignerSet", args: () => [1, 2] },
      { when: "there are 17 signers", signers: () => manySigners(17), threshold: 2, error: "InvalidSignerSet", args: () => [17, 2] },
      { when: "a signer is the zero address", signers: () => [ethers.ZeroAddress], threshold: 1, error: "ZeroAddress", args: () => [] },
      { when: "a signer appears twice", signers: (f) => [f.k1.address, f.k1.address], threshold: 1, error: "DuplicateSigner", args: (f) => [f.k1.address] },
    ];
    for (const who of ["partnerF", "program"] as const) {
      for (const { when, signers, threshold, error, args } of badSets) {
        it(`when ${when} (sent by ${who === "partnerF" ? "the partner" : "PROGRAM"}), it reverts ${error} and the old set keeps signing`, async function () {
          const f = await loadFixture(partnerFixture);
          await expect(f.ledger.connect(f[who]).setPartnerSigners(f.partnerF.address, signers(f), threshold))
            .to.be.revertedWithCustomError(f.ledger, error).withArgs(...args(f));
          await expect(relayBatch(f, [f.k0], 0n)).to.emit(f.ledger, "UsageBatchRecorded");
        });
      }
    }

    it("when the partner is not registered, it reverts PartnerNotRegistered(partner), whoever sends it", async function () {
      const f = await loadFixture(partnerFixture);
      for (const caller of [f.program, f.partnerB]) {
        await expect(f.ledger.connect(caller).setPartnerSigners(f.partnerB.address, [f.k1.address], 1))
          .to.be.revertedWithCustomError(f.ledger, "PartnerNotRegistered").withArgs(f.partnerB.address);
      }
    });
  });

  describe("setPartnerActive", function () {
    it("when deactivated, it emits PartnerActiveSet(partner, false) and the partner's batches revert PartnerInactive", async function () {
      const f = await loadFixture(partnerFixture);
      await expect(f.ledger.connect(f.program).setPartnerActive(f.partnerF.address, false))
        .to.emit(f.ledger, "PartnerActiveSet").withArgs(f.partnerF.address, false);
      expect((await f.ledger.partner(f.partnerF.address)).active).to.equal(false);
      await expect(relayBatch(f, [f.k0], 0n)).to.be.revertedWithCustomError(f.ledger, "PartnerInactive").withArgs(f.partnerF.address);
    });

    it("when reactivated, it emits PartnerActiveSet(partner, true) and the next batch lands with the sequence it was waiting for", async function () {
      const f = await loadFixture(partnerFixture);
      await relayBatch(f, [f.k0], 0n);
      await f.ledger.connect(f.program).setPartnerActive(f.partnerF.address, false);
      await expect(relayBatch(f, [f.k0], 1n)).to.be.revertedWithCustomError(f.ledger, "PartnerInactive");
      await expect(f.ledger.connect(f.program).setPartnerActive(f.partnerF.address, true))
        .to.emit(f.ledger, "PartnerActiveSet").withArgs(f.partnerF.address, true);
      await expect(relayBatch(f, [f.k0], 1n)).to.emit(f.ledger, "UsageBatchRecorded");
      expect(await partnerView(f, f.partnerF.address)).to.deep.equal({
        signers: [f.k0.address], threshold: 1n, payoutBps: 7_000n, active: true, registered: true, nextSequence: 2n,
        payout: f.partnerF.address, ...NOTHING_PENDING,
      });
    });

    it("when the partner is not registered, it reverts PartnerNotRegistered(partner)", async function () {
      const f = await loadFixture(partnerFixture);
      await expect(f.ledger.connect(f.program).setPartnerActive(f.outsider.address, false))
        .to.be.revertedWithCustomError(f.ledger, "PartnerNotRegistered").withArgs(f.outsider.address);
    });
  });

  describe("scheduleRate", function () {
    /** Moves the next block to `offset` seconds into the next whole hour H and returns H. */
    async function intoNextHour(offset: bigint) {
      const hour = ((await latest()) / HOUR + 1n) * HOUR;
      await time.setNextBlockTimestamp(hour + offset);
      return hour;
    }

    it("when it is a sku's first rate starting at the current hour's start, it is scheduled and RateScheduled is emitted", async function () {
      const f = await loadFixture(partnerFixture);
      const H = await intoNextHour(1_800n);
      await expect(f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 2_500_000n, H))
        .to.emit(f.ledger, "RateScheduled").withArgs(f.partnerF.address, H100, 2_500_000n, H);
      expect(await schedule(f, f.partnerF.address, H100)).to.deep.equal([[2_500_000n, H]]);
      const r = await f.ledger.rate(f.partnerF.address, H100, H);
      expect([r.creditsPerGpuHour, r.effectiveFrom]).to.deep.equal([2_500_000n, H]);
    });

    it("when a first rate starts at the previous hour, it reverts RateTooEarly(effectiveFrom, hourStart)", async function () {
      const f = await loadFixture(partnerFixture);
      const H = await intoNextHour(0n);
      await expect(f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 2_500_000n, H - HOUR))
        .to.be.revertedWithCustomError(f.ledger, "RateTooEarly").withArgs(H - HOUR, H);
    });

    it("when a first rate starts a few hours ahead (less than RATE_NOTICE), it is accepted", async function () {
      const f = await loadFixture(partnerFixture);
      const H = await intoNextHour(10n);
      await expect(f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 2_500_000n, H + 5n * HOUR))
        .to.emit(f.ledger, "RateScheduled").withArgs(f.partnerF.address, H100, 2_500_000n, H + 5n * HOUR);
      const r = await f.ledger.rate(f.partnerF.address, H100, H + 5n * HOUR - 1n);
      expect([r.creditsPerGpuHour, r.effectiveFrom], "no rate before the first one starts").to.deep.equal([0n, 0n]);
    });

    it("when the sku is empty (bytes32 0), it reverts InvalidSku(0)", async function () {
      const f = await loadFixture(partnerFixture);
      const H = await intoNextHour(0n);
      await expect(f.ledger.connect(f.program).scheduleRate(f.partnerF.address, ethers.ZeroHash, 2_500_000n, H))
        .to.be.revertedWithCustomError(f.ledger, "InvalidSku").withArgs(ethers.ZeroHash);
    });

    it("when the rate is 0, it reverts InvalidRate(0)", async function () {
      const f = await loadFixture(partnerFixture);
      const H = await intoNextHour(0n);
      await expect(f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 0n, H))
        .to.be.revertedWithCustomError(f.ledger, "InvalidRate").withArgs(0n);
    });

    it("when effectiveFrom is not a whole hour, it reverts RateNotOnHour(effectiveFrom)", async function () {
      const f = await loadFixture(partnerFixture);
      const H = await intoNextHour(0n);
      await expect(f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 2_500_000n, H + 1n))
        .to.be.revertedWithCustomError(f.ledger, "RateNotOnHour").withArgs(H + 1n);
      await expect(f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 2_500_000n, H + HOUR - 1n))
        .to.be.revertedWithCustomError(f.ledger, "RateNotOnHour").withArgs(H + HOUR - 1n);
    });

    it("when a change starts one hour short of now + RATE_NOTICE, it reverts RateTooEarly(effectiveFrom, now + RATE_NOTICE)", async function () {
      const f = await loadFixture(partnerFixture);
      const H = await intoNextHour(0n);
      await f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 2_500_000n, H);
      const T = H + DAY;
      await time.setNextBlockTimestamp(T);
      await expect(f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 3_000_000n, T + RATE_NOTICE - HOUR))
        .to.be.revertedWithCustomError(f.ledger, "RateTooEarly").withArgs(T + RATE_NOTICE - HOUR, T + RATE_NOTICE);
    });

    it("when a change starts exactly at now + RATE_NOTICE, it is scheduled after the first rate", async function () {
      const f = await loadFixture(partnerFixture);
      const H = await intoNextHour(0n);
      await f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 2_500_000n, H);
      const T = H + DAY;
      await time.setNextBlockTimestamp(T);
      await expect(f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 3_000_000n, T + RATE_NOTICE))
        .to.emit(f.ledger, "RateScheduled").withArgs(f.partnerF.address, H100, 3_000_000n, T + RATE_NOTICE);
      expect(await schedule(f, f.partnerF.address, H100)).to.deep.equal([[2_500_000n, H], [3_000_000n, T + RATE_NOTICE]]);
    });

    it("when a change is earlier than the last scheduled one, it reverts RateOutOfOrder(effectiveFrom, last)", async function () {
      const f = await loadFixture(partnerFixture);
      const H = await intoNextHour(0n);
      await f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 2_500_000n, H);
      await f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 3_000_000n, H + 10n * DAY);
      await expect(f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 2_000_000n, H + 8n * DAY))
        .to.be.revertedWithCustomError(f.ledger, "RateOutOfOrder").withArgs(H + 8n * DAY, H + 10n * DAY);
    });

    it("when a change has the same effectiveFrom as the last one, not yet in effect, it replaces its rate", async function () {
      const f = await loadFixture(partnerFixture);
      const H = await intoNextHour(0n);
      await f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 2_500_000n, H);
      await f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 3_000_000n, H + 10n * DAY);
      await expect(f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 4_000_000n, H + 10n * DAY))
        .to.emit(f.ledger, "RateScheduled").withArgs(f.partnerF.address, H100, 4_000_000n, H + 10n * DAY);
      expect(await schedule(f, f.partnerF.address, H100)).to.deep.equal([[2_500_000n, H], [4_000_000n, H + 10n * DAY]]);
      const r = await f.ledger.rate(f.partnerF.address, H100, H + 10n * DAY);
      expect(r.creditsPerGpuHour).to.equal(4_000_000n);
    });

    it("when the rate at that effectiveFrom is already in effect, re-scheduling it reverts RateTooEarly (no retroactive change)", async function () {
      const f = await loadFixture(partnerFixture);
      const H = await intoNextHour(0n);
      await f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 2_500_000n, H);
      const T = H + HOUR;
      await time.setNextBlockTimestamp(T);
      await expect(f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 9_000_000n, H))
        .to.be.revertedWithCustomError(f.ledger, "RateTooEarly").withArgs(H, T + RATE_NOTICE);
    });

    it("when several rates are scheduled, rate(partner, sku, at) returns the one in force at each instant", async function () {
      const f = await loadFixture(partnerFixture);
      const H = await intoNextHour(0n);
      const c1 = H + 10n * DAY;
      const c2 = H + 20n * DAY;
      await f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 2_500_000n, H);
      await f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 3_000_000n, c1);
      await f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 3_500_000n, c2);
      expect(await schedule(f, f.partnerF.address, H100)).to.deep.equal([[2_500_000n, H], [3_000_000n, c1], [3_500_000n, c2]]);
      const cases: [bigint, bigint[]][] = [
        [H - 1n, [0n, 0n]], [H, [2_500_000n, H]], [c1 - 1n, [2_500_000n, H]], [c1, [3_000_000n, c1]],
        [c2 - 1n, [3_000_000n, c1]], [c2, [3_500_000n, c2]], [c2 + 365n * DAY, [3_500_000n, c2]],
      ];
      for (const [at, expected] of cases) {
        const r = await f.ledger.rate(f.partnerF.address, H100, at);
        expect([r.creditsPerGpuHour, r.effectiveFrom], `rate at ${at - H}s from H`).to.deep.equal(expected);
      }
    });

    it("when rates are scheduled for one (partner, sku), other skus and partners have none", async function () {
      const f = await loadFixture(partnerFixture);
      await f.ledger.connect(f.program).registerPartner(f.partnerB.address, [f.k1.address], 1, 8_000);
      const H = await intoNextHour(0n);
      await f.ledger.connect(f.program).scheduleRate(f.partnerF.address, H100, 2_500_000n, H);
      await f.ledger.connect(f.program).scheduleRate(f.partnerB.address, B200, 5_000_000n, H);
      expect(await schedule(f, f.partnerF.address, B200)).to.deep.equal([]);
      expect(await schedule(f, f.partnerB.address, H100)).to.deep.equal([]);
      expect((await f.ledger.rate(f.partnerB.address, H100, H + DAY)).creditsPerGpuHour).to.equal(0n);
      expect((await f.ledger.rate(f.partnerB.address, B200, H + DAY)).creditsPerGpuHour).to.equal(5_000_000n);
    });

    it("when the partner is not registered, it reverts PartnerNotRegistered(partner)", async function () {
      const f = await loadFixture(partnerFixture);
      const H = await intoNextHour(0n);
      await expect(f.ledger.connect(f.program).scheduleRate(f.outsider.address, H100, 2_500_000n, H))
        .to.be.revertedWithCustomError(f.ledger, "PartnerNotRegistered").withArgs(f.outsider.address);
    });
  });

  describe("setRevenueSigners", function () {
    /** An accepted agreement whose period 0 (one day) has already ended, so a revenue report can be submitted. */
    async function revenueFixture() {
      const f = await partnerFixture();
      const start = ((await latest()) / DAY - 2n) * DAY;
      await f.ledger.connect(f.program).createAgreement({
        startup: f.startup.address, creditLimit: 1_000n * DSXC, revenueShareBps: 1_000, capMultipleBps: 15_000,
        partnerFirstBps: 5_000, startTime: start, endTime: start + 4n * DAY, periodDuration: DAY, gracePeriod: DAY,
        termsHash: ethers.ZeroHash,
      });
      await f.ledger.connect(f.startup).acceptAgreement(1n);
      await f.ledger.connect(f.program).setRevenueSigners([f.k2.address], 1);
      return f;
    }
    async function relayReport(f: LedgerFixture, keys: Wallet[], version: number) {
      const report = { agreementId: 1n, periodIndex: 0, revenue: 1_000n * USDC, evidenceHash: ethers.id(`v${version}`) as `0x${string}`, version };
      return f.ledger.connect(f.relayer).submitRevenue(report, await signRevenueReport(keys, report, f.chainId, f.ledgerAddress));
    }

    it("when nothing was set, revenueSigners() is empty with threshold 0 and nothing pending", async function () {
      const f = await loadFixture(partnerFixture);
      expect(await revenueView(f)).to.deep.equal({ signers: [], threshold: 0n, pendingSigners: [], pendingThreshold: 0n, pendingAt: 0n });
    });

    it("when the first set is valid, it is in force at once and RevenueSignersSet(signers, threshold) is emitted", async function () {
      const f = await loadFixture(partnerFixture);
      const signers = addressesOf([f.k1, f.k2, f.k3]);
      await expect(f.ledger.connect(f.program).setRevenueSigners(signers, 2))
        .to.emit(f.ledger, "RevenueSignersSet").withArgs(signers, 2)
        .and.not.to.emit(f.ledger, "RevenueSignersProposed");
      expect(await revenueView(f)).to.deep.equal({ signers, threshold: 2n, pendingSigners: [], pendingThreshold: 0n, pendingAt: 0n });
    });

    it("when a set is in force, the next one is proposed for SIGNER_NOTICE (RevenueSignersProposed, the view shows it); the old signer reports until then", async function () {
      const f = await loadFixture(revenueFixture);
      const t = (await latest()) + 10n;
      await time.setNextBlockTimestamp(t);
      const effectiveAt = t + SIGNER_NOTICE;
      await expect(f.ledger.connect(f.program).setRevenueSigners([f.k3.address], 1))
        .to.emit(f.ledger, "RevenueSignersProposed").withArgs([f.k3.address], 1, effectiveAt)
        .and.not.to.emit(f.ledger, "RevenueSignersSet");
      expect(await revenueView(f)).to.deep.equal({
        signers: [f.k2.address], threshold: 1n, pendingSigners: [f.k3.address], pendingThreshold: 1n, pendingAt: effectiveAt,
      });
      await expect(relayReport(f, [f.k3], 1)).to.be.revertedWithCustomError(f.ledger, "UnknownSigner").withArgs(f.k3.address);
      await time.setNextBlockTimestamp(effectiveAt - 1n);
      await expect(relayReport(f, [f.k2], 1), "the old set at effectiveAt - 1")
        .to.emit(f.ledger, "RevenueReported").withArgs(1n, 0, 1, 1_000n * USDC, ethers.id("v1"));
    });

    it("when the proposed set reaches its effectiveAt, it is in force with no further transaction: the old signer reverts UnknownSigner(old), the new one's report lands", async function () {
      const f = await loadFixture(revenueFixture);
      const t = await at10s(() => f.ledger.connect(f.program).setRevenueSigners([f.k3.address], 1));
      await time.setNextBlockTimestamp(t + SIGNER_NOTICE);
      await expect(relayReport(f, [f.k3], 1), "the new set at effectiveAt")
        .to.emit(f.ledger, "RevenueReported").withArgs(1n, 0, 1, 1_000n * USDC, ethers.id("v1"));
      await expect(relayReport(f, [f.k2], 2)).to.be.revertedWithCustomError(f.ledger, "UnknownSigner").withArgs(f.k2.address);
      expect(await revenueView(f)).to.deep.equal({ signers: [f.k3.address], threshold: 1n, pendingSigners: [], pendingThreshold: 0n, pendingAt: 0n });
      expect(await f.ledger.queryFilter(f.ledger.filters.RevenueSignersSet()), "only the first set was announced as set")
        .to.have.length(1);
    });

    it("when PROGRAM proposes again before the first proposal came into force, the newer one replaces it (the first never rules)", async function () {
      const f = await loadFixture(revenueFixture);
      const first = await at10s(() => f.ledger.connect(f.program).setRevenueSigners([f.k3.address], 1));
      await time.increase(DAY);
      const second = await at10s(() => f.ledger.connect(f.program).setRevenueSigners([f.k1.address], 1));
      expect(await revenueView(f)).to.deep.equal({
        signers: [f.k2.address], threshold: 1n, pendingSigners: [f.k1.address], pendingThreshold: 1n, pendingAt: second + SIGNER_NOTICE,
      });
      await time.setNextBlockTimestamp(first + SIGNER_NOTICE);
      await expect(relayReport(f, [f.k3], 1)).to.be.revertedWithCustomError(f.ledger, "UnknownSigner").withArgs(f.k3.address);
      await expect(relayReport(f, [f.k2], 1)).to.emit(f.ledger, "RevenueReported");
      await time.setNextBlockTimestamp(second + SIGNER_NOTICE);
      await expect(relayReport(f, [f.k1], 2)).to.emit(f.ledger, "RevenueReported");
    });

    it("when PROGRAM proposes again after the first proposal came into force, the first stays in force until the newer one's effectiveAt", async function () {
      const f = await loadFixture(revenueFixture);
      const first = await at10s(() => f.ledger.connect(f.program).setRevenueSigners([f.k3.address], 1));
      await time.increaseTo(first + SIGNER_NOTICE + HOUR);
      const second = await at10s(() => f.ledger.connect(f.program).setRevenueSigners([f.k1.address], 1));
      expect(await revenueView(f)).to.deep.equal({
        signers: [f.k3.address], threshold: 1n, pendingSigners: [f.k1.address], pendingThreshold: 1n, pendingAt: second + SIGNER_NOTICE,
      });
      await expect(relayReport(f, [f.k2], 1)).to.be.revertedWithCustomError(f.ledger, "UnknownSigner").withArgs(f.k2.address);
      await expect(relayReport(f, [f.k3], 1)).to.emit(f.ledger, "RevenueReported");
      await time.setNextBlockTimestamp(second + SIGNER_NOTICE);
      await expect(relayReport(f, [f.k3], 2)).to.be.revertedWithCustomError(f.ledger, "UnknownSigner").withArgs(f.k3.address);
      await expect(relayReport(f, [f.k1], 2)).to.emit(f.ledger, "RevenueReported");
    });

    it("when revenue signers rotate, partners' signer sets are untouched (and vice versa)", async function () {
      const f = await loadFixture(revenueFixture);
      await expect(relayReport(f, [f.k0], 1), "a partner's signer is not a revenue signer")
        .to.be.revertedWithCustomError(f.ledger, "UnknownSigner").withArgs(f.k0.address);
      await f.ledger.connect(f.program).setRevenueSigners([f.k0.address], 1);
      await time.increase(SIGNER_NOTICE);
      await expect(relayBatch(f, [f.k0], 0n)).to.emit(f.ledger, "UsageBatchRecorded");
      await expect(relayReport(f, [f.k0], 1)).to.emit(f.ledger, "RevenueReported");
      await f.ledger.connect(f.partnerF).setPartnerSigners(f.partnerF.address, [f.k1.address], 1);
      await expect(relayReport(f, [f.k0], 2), "the revenue set did not follow the partner's").to.emit(f.ledger, "RevenueReported");
    });

    const badSets: { when: string; signers: (f: PartnerFixture) => string[]; threshold: number; error: string; args: (f: PartnerFixture) => unknown[] }[] = [
      { when: "threshold is 0", signers: (f) => [f.k1.address], threshold: 0, error: "InvalidSignerSet", args: () => [1, 0] },
      { when: "threshold exceeds the number of signers", signers: (f) => addressesOf([f.k1, f.k2]), threshold: 3, error: "InvalidSignerSet", args: () => [2, 3] },
      { when: "there are no signers", signers: () => [], threshold: 1, error: "InvalidSignerSet", args: () => [0, 1] },
      { when: "there are 17 signers", signers: () => manySigners(17), threshold: 1, error: "InvalidSignerSet", args: () => [17, 1] },
      { when: "a signer is the zero address", signers: () => [ethers.ZeroAddress], threshold: 1, error: "ZeroAddress", args: () => [] },
      { when: "a signer appears twice", signers: (f) => [f.k2.address, f.k1.address, f.k2.address], threshold: 1, error: "DuplicateSigner", args: (f) => [f.k2.address] },
    ];
    for (const { when, signers, threshold, error, args } of badSets) {
      it(`when ${when}, it reverts ${error}`, async function () {
        const f = await loadFixture(partnerFixture);
        await expect(f.ledger.connect(f.program).setRevenueSigners(signers(f), threshold))
          .to.be.revertedWithCustomError(f.ledger, error).withArgs(...args(f));
      });
    }

    it("when the set has 16 signers and threshold 16, it is accepted (the maximum)", async function () {
      const f = await loadFixture(partnerFixture);
      await expect(f.ledger.connect(f.program).setRevenueSigners(manySigners(16), 16))
        .to.emit(f.ledger, "RevenueSignersSet").withArgs(manySigners(16), 16);
    });
  });
});

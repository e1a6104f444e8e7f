import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { Wallet } from "ethers";
import { ledgerDomain, revenueReportTypes, usageBatchTypes, type RevenueReport } from "../../sdk/eip712";
import { addressesOf, H100, HOUR, DAY, SIGNER_NOTICE } from "../helpers/fixture";
import { buildScenario, restoreChainAfterAll, batchOf, reportOf, DSXC, type Batch, type Scenario } from "../helpers/scenario";

const H = HOUR;
const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;

/** Partner F: oracle keys 0, 1, 2 with threshold 2; revenue: keys 3, 4, 5 with threshold 2; B: key 5 alone. */
const quorumFixture = () =>
  buildScenario({ fSigners: [0, 1, 2], fThreshold: 2, bSigners: [5], revSigners: [3, 4, 5], revThreshold: 2, periodDuration: DAY });
const noRevenueSignersFixture = () => buildScenario({ revSigners: [], periodDuration: DAY });

interface Signed {
  signer: string;
  sig: string;
}

type Domain = ReturnType<typeof ledgerDomain>;

const domainOf = (s: Scenario): Domain => ledgerDomain(s.chainId, s.ledgerAddress as `0x${string}`);

/** Each key signs the batch as an outside oracle does: ethers Wallet.signTypedData with the sdk's domain and types. */
async function signBatch(keys: Wallet[], batch: Batch, domain: Domain): Promise<Signed[]> {
  return Promise.all(keys.map(async (k) => ({ signer: k.address, sig: await k.signTypedData(domain, usageBatchTypes, batch) })));
}

async function signReport(keys: Wallet[], report: RevenueReport, domain: Domain): Promise<Signed[]> {
  return Promise.all(keys.map(async (k) => ({ signer: k.address, sig: await k.signTypedData(domain, revenueReportTypes, report) })));
}

const ascending = (signed: Signed[]): Signed[] => [...signed].sort((a, b) => (BigInt(a.signer) < BigInt(b.signer) ? -1 : 1));
const sigsOf = (signed: Signed[]): string[] => ascending(signed).map((x) => x.sig);

/** The same signature with s replaced by n − s and v toggled: valid for ecrecover, refused as malleable. */
function malleable(sig: string): string {
  const { r, s, v } = ethers.Signature.from(sig);
  const flipped = SECP256K1_N - BigInt(s);
  return ethers.concat([r, ethers.toBeHex(flipped, 32), ethers.toBeHex(v === 27 ? 28 : 27, 1)]);
}

/** The signer a signature made over another domain recovers to on this ledger's domain. */
function recoverUsage(s: Scenario, batch: Batch, sig: string): string {
  return ethers.verifyTypedData(domainOf(s), usageBatchTypes, batch, sig);
}

function recoverRevenue(s: Scenario, report: RevenueReport, sig: string): string {
  return ethers.verifyTypedData(domainOf(s), revenueReportTypes, report, sig);
}

const minAddress = (addresses: string[]): string => addresses.reduce((a, b) => (BigInt(a) < BigInt(b) ? a : b));

function fBatch(s: Scenario, sequence: bigint, from = s.start, gpuSeconds = 3_600n): Batch {
  return batchOf(s.partnerF.address, sequence, from, from + H, [[s.id, H100, gpuSeconds]]);
}

describe("signature quorums", function () {
  restoreChainAfterAll();

  describe("submitUsage", function () {
    async function ready() {
      const s = await loadFixture(quorumFixture);
      await time.increaseTo(s.start + 4n * H);
      const [k0, k1, k2, k3, k4, k5] = s.oracleKeys;
      return { s, k0, k1, k2, k3, k4, k5, domain: domainOf(s) };
    }

    it("when any 2 of the 3 registered signers sign (threshold 2), the batch lands", async function () {
      const { s, k0, k1, k2, domain } = await ready();
      const pairs = [[k0, k1], [k0, k2], [k1, k2]];
      for (const [i, pair] of pairs.entries()) {
        const batch = fBatch(s, BigInt(i), s.start + BigInt(i) * H);
        await expect(s.ledger.connect(s.relayer).submitUsage(batch, sigsOf(await signBatch(pair, batch, domain))))
          .to.emit(s.ledger, "UsageBatchRecorded");
      }
      expect((await s.ledger.partner(s.partnerF.address)).nextSequence).to.equal(3n);
    });

    it("when all 3 signers sign (more than the threshold), the batch lands", async function () {
      const { s, k0, k1, k2, domain } = await ready();
      const batch = fBatch(s, 0n);
      await expect(s.ledger.submitUsage(batch, sigsOf(await signBatch([k0, k1, k2], batch, domain))))
        .to.emit(s.ledger, "UsageRecorded");
    });

    it("when the partner rotates its set to 3-of-3, 2 signatures revert BelowThreshold(2, 3) and 3 land", async function () {
      const { s, k0, k1, k2, domain } = await ready();
      await s.ledger.connect(s.partnerF).setPartnerSigners(s.partnerF.address, addressesOf([k0, k1, k2]), 3);
      const batch = fBatch(s, 0n);
      await expect(s.ledger.submitUsage(batch, sigsOf(await signBatch([k0, k2], batch, domain))))
        .to.be.revertedWithCustomError(s.ledger, "BelowThreshold").withArgs(2n, 3n);
      await expect(s.ledger.submitUsage(batch, sigsOf(await signBatch([k0, k1, k2], batch, domain))))
        .to.emit(s.ledger, "UsageBatchRecorded");
    });

    it("when fewer signatures than the threshold are given (1 or 0), it reverts BelowThreshold(count, threshold)", async function () {
      const { s, k1, domain } = await ready();
      const batch = fBatch(s, 0n);
      await expect(s.ledger.submitUsage(batch, sigsOf(await signBatch([k1], batch, domain))))
        .to.be.revertedWithCustomError(s.ledger, "BelowThreshold").withArgs(1n, 2n);
      await expect(s.ledger.submitUsage(batch, [])).to.be.revertedWithCustomError(s.ledger, "BelowThreshold").withArgs(0n, 2n);
    });

    it("when 16 signers of a 16-of-16 set sign, the batch lands; 17 signatures revert TooManySignatures(17)", async function () {
      const { s, k0, domain } = await ready();
      const sixteen = Array.from({ length: 16 }, (_, i) => new Wallet(ethers.id(`sixteen-${i}`)));
      await s.ledger.connect(s.partnerF).setPartnerSigners(s.partnerF.address, addressesOf(sixteen), 16);
      const batch = fBatch(s, 0n);
      const signed = await signBatch(sixteen, batch, domain);
      await expect(s.ledger.submitUsage(batch, sigsOf([...signed, ...(await signBatch([k0], batch, domain))])))
        .to.be.revertedWithCustomError(s.ledger, "TooManySignatures").withArgs(17n);
      await expect(s.ledger.submitUsage(batch, sigsOf(signed))).to.emit(s.ledger, "UsageBatchRecorded");
    });

    it("when a signature comes from a key outside the set, it reverts UnknownSigner(signer)", async function () {
      const { s, k0, k5, domain } = await ready();
      const batch = fBatch(s, 0n);
      await expect(s.ledger.submitUsage(batch, sigsOf(await signBatch([k0, k5], batch, domain))))
        .to.be.revertedWithCustomError(s.ledger, "UnknownSigner").withArgs(k5.address);
    });

    it("when another partner's signers sign a batch for F, it reverts UnknownSigner", async function () {
      const { s, k5, k4, domain } = await ready();
      const batch = fBatch(s, 0n);
      const signed = ascending(await signBatch([k4, k5], batch, domain));
      await expect(s.ledger.submitUsage(batch, signed.map((x) => x.sig)))
        .to.be.revertedWithCustomError(s.ledger, "UnknownSigner").withArgs(signed[0].signer);
    });

    it("when the partner rotated its set, the old signers' signatures revert UnknownSigner and the new ones land", async function () {
      const { s, k0, k1, k3, k4, domain } = await ready();
      await s.ledger.connect(s.partnerF).setPartnerSigners(s.partnerF.address, addressesOf([k3, k4]), 2);
      const batch = fBatch(s, 0n);
      await expect(s.ledger.submitUsage(batch, sigsOf(await signBatch([k0, k1], batch, domain))))
        .to.be.revertedWithCustomError(s.ledger, "UnknownSigner").withArgs(minAddress([k0.address, k1.address]));
      await expect(s.ledger.submitUsage(batch, sigsOf(await signBatch([k3, k4], batch, domain)))).to.emit(s.ledger, "UsageBatchRecorded");
    });

    it("when the same signer's signature is given twice, it reverts SignersNotAscending(signer, signer)", async function () {
      const { s, k1, domain } = await ready();
      const batch = fBatch(s, 0n);
      const [one] = await signBatch([k1], batch, domain);
      await expect(s.ledger.submitUsage(batch, [one.sig, one.sig]))
        .to.be.revertedWithCustomError(s.ledger, "SignersNotAscending").withArgs(k1.address, k1.address);
    });

    it("when valid signatures are in descending signer order, it reverts SignersNotAscending(previous, next)", async function () {
      const { s, k0, k2, domain } = await ready();
      const batch = fBatch(s, 0n);
      const [low, high] = ascending(await signBatch([k0, k2], batch, domain));
      await expect(s.ledger.submitUsage(batch, [high.sig, low.sig]))
        .to.be.revertedWithCustomError(s.ledger, "SignersNotAscending").withArgs(high.signer, low.signer);
    });

    it("when a valid signature is made malleable (s → n − s, v toggled), it reverts InvalidSignature(index); the original lands", async function () {
      const { s, k0, k1, domain } = await ready();
      const batch = fBatch(s, 0n);
      const [low, high] = ascending(await signBatch([k0, k1], batch, domain));
      await expect(s.ledger.submitUsage(batch, [low.sig, malleable(high.sig)]))
        .to.be.revertedWithCustomError(s.ledger, "InvalidSignature").withArgs(1n);
      await expect(s.ledger.submitUsage(batch, [low.sig, high.sig])).to.emit(s.ledger, "UsageBatchRecorded");
    });

    it("when a signature is 64 bytes (no v, or EIP-2098 compact), 66 bytes, or has v = 0, it reverts InvalidSignature(index)", async function () {
      const { s, k0, k1, domain } = await ready();
      const batch = fBatch(s, 0n);
      const [low, high] = ascending(await signBatch([k0, k1], batch, domain));
      const cases = [
        ethers.dataSlice(high.sig, 0, 64),
        ethers.Signature.from(high.sig).compactSerialized,
        ethers.concat([high.sig, "0x00"]),
      ];
      for (const bad of cases) {
        await expect(s.ledger.submitUsage(batch, [low.sig, bad])).to.be.revertedWithCustomError(s.ledger, "InvalidSignature").withArgs(1n);
      }
      await expect(s.ledger.submitUsage(batch, [bad0(low.sig), high.sig]))
        .to.be.revertedWithCustomError(s.ledger, "InvalidSignature").withArgs(0n);
    });

    it("when a recorded batch is sent again with its signatures, it reverts UsageSequenceMismatch", async function () {
      const { s, k0, k1, domain } = await ready();
      const batch = fBatch(s, 0n);
      const sigs = sigsOf(await signBatch([k0, k1], batch, domain));
      await s.ledger.submitUsage(batch, sigs);
      await expect(s.ledger.connect(s.outsider).submitUsage(batch, sigs))
        .to.be.revertedWithCustomError(s.ledger, "UsageSequenceMismatch").withArgs(s.partnerF.address, 1n, 0n);
    });

    it("when a relayer changes a signed line, recovery yields other addresses: UnknownSigner", async function () {
      const { s, k0, k1, domain } = await ready();
      const signedBatch = fBatch(s, 0n);
      const sigs = sigsOf(await signBatch([k0, k1], signedBatch, domain));
      const altered = fBatch(s, 0n, s.start, 36_000n);
      const recovered = sigs.map((sig) => recoverUsage(s, altered, sig));
      const order = [0, 1].sort((a, b) => (BigInt(recovered[a]) < BigInt(recovered[b]) ? -1 : 1));
      await expect(s.ledger.submitUsage(altered, order.map((i) => sigs[i])))
        .to.be.revertedWithCustomError(s.ledger, "UnknownSigner").withArgs(recovered[order[0]]);
    });

    for (const [what, otherDomain] of [
      ["another chain id", (s: Scenario): Domain => ledgerDomain(1, s.ledgerAddress as `0x${string}`)],
      ["another ledger address", (s: Scenario): Domain => ledgerDomain(s.chainId, s.outsider.address as `0x${string}`)],
    ] as const) {
      it(`when the batch was signed for ${what}, recovery yields other addresses: UnknownSigner`, async function () {
        const { s, k0, k1 } = await ready();
        const batch = fBatch(s, 0n);
        const signed = await signBatch([k0, k1], batch, otherDomain(s));
        const recovered = signed.map((x) => ({ signer: recoverUsage(s, batch, x.sig), sig: x.sig }));
        expect(recovered.map((x) => x.signer)).to.not.include.members([k0.address, k1.address]);
        await expect(s.ledger.submitUsage(batch, sigsOf(recovered)))
          .to.be.revertedWithCustomError(s.ledger, "UnknownSigner").withArgs(minAddress(recovered.map((x) => x.signer)));
      });
    }
  });

  describe("submitRevenue", function () {
    async function ready() {
      const s = await loadFixture(quorumFixture);
      await time.increaseTo(s.start + DAY);
      const [k0, k1, k2, k3, k4, k5] = s.oracleKeys;
      return { s, k0, k1, k2, k3, k4, k5, domain: domainOf(s), report: reportOf(s.id, 0, 12_345n * DSXC) };
    }

    it("when any 2 of the 3 revenue signers sign (threshold 2), the report lands", async function () {
      const { s, k3, k4, k5, domain } = await ready();
      for (const [i, pair] of [[k3, k4], [k3, k5], [k4, k5]].entries()) {
        const report = reportOf(s.id, 0, 1_000n * DSXC + BigInt(i), i + 1);
        await expect(s.ledger.connect(s.relayer).submitRevenue(report, sigsOf(await signReport(pair, report, domain))))
          .to.emit(s.ledger, "RevenueReported").withArgs(s.id, 0, i + 1, report.revenue, report.evidenceHash);
      }
    });

    it("when all 3 revenue signers sign, the report lands", async function () {
      const { s, k3, k4, k5, domain, report } = await ready();
      await expect(s.ledger.submitRevenue(report, sigsOf(await signReport([k3, k4, k5], report, domain)))).to.emit(s.ledger, "RevenueReported");
    });

    it("when one signature is given for threshold 2, it reverts BelowThreshold(1, 2)", async function () {
      const { s, k4, domain, report } = await ready();
      await expect(s.ledger.submitRevenue(report, sigsOf(await signReport([k4], report, domain))))
        .to.be.revertedWithCustomError(s.ledger, "BelowThreshold").withArgs(1n, 2n);
    });

    it("when 17 signatures are given, it reverts TooManySignatures(17)", async function () {
      const { s, domain, report } = await ready();
      const many = Array.from({ length: 17 }, (_, i) => new Wallet(ethers.id(`many-${i}`)));
      await expect(s.ledger.submitRevenue(report, sigsOf(await signReport(many, report, domain))))
        .to.be.revertedWithCustomError(s.ledger, "TooManySignatures").withArgs(17n);
    });

    it("when a usage oracle key (not a revenue signer) signs, it reverts UnknownSigner(signer)", async function () {
      const { s, k0, k3, domain, report } = await ready();
      await expect(s.ledger.submitRevenue(report, sigsOf(await signReport([k0, k3], report, domain))))
        .to.be.revertedWithCustomError(s.ledger, "UnknownSigner").withArgs(k0.address);
    });

    it("when the revenue set was replaced (and its notice has passed), the old signers revert UnknownSigner and the new ones land", async function () {
      const { s, k0, k1, k3, k4, domain, report } = await ready();
      await s.ledger.connect(s.program).setRevenueSigners(addressesOf([k0, k1]), 2);
      await time.increase(SIGNER_NOTICE);
      await expect(s.ledger.submitRevenue(report, sigsOf(await signReport([k3, k4], report, domain))))
        .to.be.revertedWithCustomError(s.ledger, "UnknownSigner").withArgs(minAddress([k3.address, k4.address]));
      await expect(s.ledger.submitRevenue(report, sigsOf(await signReport([k0, k1], report, domain)))).to.emit(s.ledger, "RevenueReported");
    });

    it("when the same signer's signature is given twice, it reverts SignersNotAscending(signer, signer)", async function () {
      const { s, k4, domain, report } = await ready();
      const [one] = await signReport([k4], report, domain);
      await expect(s.ledger.submitRevenue(report, [one.sig, one.sig]))
        .to.be.revertedWithCustomError(s.ledger, "SignersNotAscending").withArgs(k4.address, k4.address);
    });

    it("when valid signatures are in descending signer order, it reverts SignersNotAscending(previous, next)", async function () {
      const { s, k3, k5, domain, report } = await ready();
      const [low, high] = ascending(await signReport([k3, k5], report, domain));
      await expect(s.ledger.submitRevenue(report, [high.sig, low.sig]))
        .to.be.revertedWithCustomError(s.ledger, "SignersNotAscending").withArgs(high.signer, low.signer);
    });

    it("when a signature is made malleable, it reverts InvalidSignature(index); the original lands", async function () {
      const { s, k3, k4, domain, report } = await ready();
      const [low, high] = ascending(await signReport([k3, k4], report, domain));
      await expect(s.ledger.submitRevenue(report, [malleable(low.sig), high.sig]))
        .to.be.revertedWithCustomError(s.ledger, "InvalidSignature").withArgs(0n);
      await expect(s.ledger.submitRevenue(report, [low.sig, high.sig])).to.emit(s.ledger, "RevenueReported");
    });

    it("when a signature is 64 or 66 bytes long, it reverts InvalidSignature(index)", async function () {
      const { s, k3, k4, domain, report } = await ready();
      const [low, high] = ascending(await signReport([k3, k4], report, domain));
      await expect(s.ledger.submitRevenue(report, [low.sig, ethers.dataSlice(high.sig, 0, 64)]))
        .to.be.revertedWithCustomError(s.ledger, "InvalidSignature").withArgs(1n);
      await expect(s.ledger.submitRevenue(report, [low.sig, ethers.concat([high.sig, "0x1b"])]))
        .to.be.revertedWithCustomError(s.ledger, "InvalidSignature").withArgs(1n);
    });

    it("when a landed report is sent again with its signatures, it reverts RevenueVersionNotHigher(1, 1)", async function () {
      const { s, k3, k4, domain, report } = await ready();
      const sigs = sigsOf(await signReport([k3, k4], report, domain));
      await s.ledger.submitRevenue(report, sigs);
      await expect(s.ledger.connect(s.outsider).submitRevenue(report, sigs))
        .to.be.revertedWithCustomError(s.ledger, "RevenueVersionNotHigher").withArgs(1n, 1n);
    });

    it("when a relayer changes the signed revenue, recovery yields other addresses: UnknownSigner", async function () {
      const { s, k3, k4, domain, report } = await ready();
      const sigs = (await signReport([k3, k4], report, domain)).map((x) => x.sig);
      const altered = { ...report, revenue: report.revenue / 10n };
      const recovered = sigs.map((sig) => ({ signer: recoverRevenue(s, altered, sig), sig }));
      await expect(s.ledger.submitRevenue(altered, sigsOf(recovered)))
        .to.be.revertedWithCustomError(s.ledger, "UnknownSigner").withArgs(minAddress(recovered.map((x) => x.signer)));
    });

    for (const [what, otherDomain] of [
      ["another chain id", (s: Scenario): Domain => ledgerDomain(s.chainId + 1, s.ledgerAddress as `0x${string}`)],
      ["another ledger address", (s: Scenario): Domain => ledgerDomain(s.chainId, s.outsider.address as `0x${string}`)],
    ] as const) {
      it(`when the report was signed for ${what}, recovery yields other addresses: UnknownSigner`, async function () {
        const { s, k3, k4, report } = await ready();
        const signed = await signReport([k3, k4], report, otherDomain(s));
        const recovered = signed.map((x) => ({ signer: recoverRevenue(s, report, x.sig), sig: x.sig }));
        expect(recovered.map((x) => x.signer)).to.not.include.members([k3.address, k4.address]);
        await expect(s.ledger.submitRevenue(report, sigsOf(recovered)))
          .to.be.revertedWithCustomError(s.ledger, "UnknownSigner").withArgs(minAddress(recovered.map((x) => x.signer)));
      });
    }

    it("when no revenue signer set was ever set, any report reverts BelowThreshold(count, 0)", async function () {
      const s = await loadFixture(noRevenueSignersFixture);
      await time.increaseTo(s.start + DAY);
      const report = reportOf(s.id, 0, 1n);
      const sigs = sigsOf(await signReport([s.oracleKeys[2]], report, domainOf(s)));
      await expect(s.ledger.submitRevenue(report, sigs)).to.be.revertedWithCustomError(s.ledger, "BelowThreshold").withArgs(1n, 0n);
    });
  });
});

/** The signature with its v byte set to 0 (a raw recovery id instead of 27/28): ecrecover yields no signer. */
function bad0(sig: string): string {
  return ethers.concat([ethers.dataSlice(sig, 0, 64), "0x00"]);
}

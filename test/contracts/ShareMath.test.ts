import { expect } from "chai";
import { ethers } from "hardhat";
import fc from "fast-check";
import { loadFixture } from "@nomicfoundation/hardhat-network-helpers";
import * as mirror from "../../sdk/shareMath";
import vectors from "../vectors/share-math.json";
import type { ShareMathHarness } from "../../typechain-types";

// contracts/libraries/ShareMath.sol runs the same vectors as its TypeScript mirror (test/sdk/shareMath.test.ts):
// every check maps each vector to [vector, result] so a mismatch names the vector.
const n = BigInt;

async function harnessFixture(): Promise<{ harness: ShareMathHarness }> {
  const harness = (await (await ethers.getContractFactory("ShareMathHarness")).deploy()) as unknown as ShareMathHarness;
  await harness.waitForDeployment();
  return { harness };
}

/** ShareMath.split, the function SettlementLogic books a payment with: each partner's part and the program's rest. */
async function soliditySplit(harness: ShareMathHarness, amount: bigint, bps: bigint, owedPerPartner: bigint[]) {
  const [parts, toProgram] = await harness.split(amount, bps, owedPerPartner);
  return { perPartner: [...parts], toProgram };
}

describe("ShareMath (Solidity) on test/vectors/share-math.json", function () {
  describe("credits", function () {
    it("when given GPU-seconds and a rate, it returns gpuSeconds × rate / 3600 rounded down for every vector", async function () {
      const { harness } = await loadFixture(harnessFixture);
      const got = [];
      for (const v of vectors.credits) got.push([v, (await harness.credits(n(v.gpuSeconds), n(v.creditsPerGpuHour))).toString()]);
      expect(got).to.deep.equal(vectors.credits.map((v) => [v, v.expected]));
    });
  });

  describe("applyBps", function () {
    it("when given an amount and basis points, it returns amount × bps / 10 000 rounded down for every vector", async function () {
      const { harness } = await loadFixture(harnessFixture);
      const got = [];
      for (const v of vectors.applyBps) got.push([v, (await harness.applyBps(n(v.amount), n(v.bps))).toString()]);
      expect(got).to.deep.equal(vectors.applyBps.map((v) => [v, v.expected]));
    });
  });

  describe("cap", function () {
    it("when given consumed credits and the cap multiple, it returns consumed × capMultipleBps / 10 000 rounded down for every vector", async function () {
      const { harness } = await loadFixture(harnessFixture);
      const got = [];
      for (const v of vectors.cap) got.push([v, (await harness.cap(n(v.consumed), n(v.capMultipleBps))).toString()]);
      expect(got).to.deep.equal(vectors.cap.map((v) => [v, v.expected]));
    });
  });

  describe("owed", function () {
    it("when a period is finalized, it books the share limited by the cap's headroom for every vector", async function () {
      const { harness } = await loadFixture(harnessFixture);
      const got = [];
      for (const v of vectors.owed) {
        got.push([v, (await harness.owed(n(v.revenue), n(v.revenueShareBps), n(v.cap), n(v.obligation))).toString()]);
      }
      expect(got).to.deep.equal(vectors.owed.map((v) => [v, v.expected]));
    });
  });

  describe("due", function () {
    it("when a period is finalized, it is due grace after the later of its end and the finalization, for every vector", async function () {
      const { harness } = await loadFixture(harnessFixture);
      const got = [];
      for (const v of vectors.due) got.push([v, (await harness.due(n(v.periodEnd), n(v.finalizedAt), n(v.gracePeriod))).toString()]);
      expect(got).to.deep.equal(vectors.due.map((v) => [v, v.expected]));
    });
  });

  describe("toPartners", function () {
    it("when a payment is applied, partners get min(first cut, still owed) for every vector", async function () {
      const { harness } = await loadFixture(harnessFixture);
      const got = [];
      for (const v of vectors.toPartners) {
        got.push([v, (await harness.toPartners(n(v.amount), n(v.partnerFirstBps), n(v.stillOwed))).toString()]);
      }
      expect(got).to.deep.equal(vectors.toPartners.map((v) => [v, v.expected]));
    });
  });

  describe("partnerPart", function () {
    it("when the partners' total is shared, each gets total × owed_i / stillOwed rounded down for every vector", async function () {
      const { harness } = await loadFixture(harnessFixture);
      const got = [];
      for (const v of vectors.partnerPart) {
        got.push([v, (await harness.partnerPart(n(v.partnersTotal), n(v.owedToPartner), n(v.stillOwed))).toString()]);
      }
      expect(got).to.deep.equal(vectors.partnerPart.map((v) => [v, v.expected]));
    });
  });

  describe("split (the production ShareMath.split: partners pro rata, the program takes the rest)", function () {
    it("when a payment is split, every partner's part and the program's remainder match every vector", async function () {
      const { harness } = await loadFixture(harnessFixture);
      const got = [];
      for (const v of vectors.split) {
        const result = await soliditySplit(harness, n(v.amount), n(v.partnerFirstBps), v.owedPerPartner.map(n));
        got.push([v, result.perPartner.map(String), result.toProgram.toString()]);
      }
      expect(got).to.deep.equal(vectors.split.map((v) => [v, v.expectedPerPartner, v.expectedToProgram]));
    });
  });

  describe("sdk/shareMath.ts mirror", function () {
    // Beyond the shared vectors: random inputs must give the same result, or both refuse (revert / throw).
    const uint = fc.oneof(
      fc.bigInt({ min: 0n, max: 2n ** 64n }),
      fc.bigInt({ min: 0n, max: 2n ** 256n - 1n }),
      fc.constantFrom(0n, 1n, 3_599n, 3_600n, 9_999n, 10_000n, 2n ** 128n - 1n, 2n ** 256n - 1n),
    );

    async function same(sol: () => Promise<bigint>, ts: () => bigint): Promise<void> {
      let expected: bigint | "throws";
      try {
        expected = ts();
      } catch {
        expected = "throws";
      }
      let got: bigint | "throws";
      try {
        got = await sol();
      } catch {
        got = "throws";
      }
      expect(got).to.equal(expected);
    }

    it("when given random uint256 inputs, every function returns what the mirror returns, or both refuse", async function () {
      const { harness } = await loadFixture(harnessFixture);
      await fc.assert(
        fc.asyncProperty(uint, uint, uint, uint, async (a, b, c, d) => {
          await same(() => harness.credits(a, b), () => mirror.credits(a, b));
          await same(() => harness.applyBps(a, b), () => mirror.applyBps(a, b));
          await same(() => harness.cap(a, b), () => mirror.cap(a, b));
          await same(() => harness.owed(a, b, c, d), () => mirror.owed(a, b, c, d));
          await same(() => harness.due(a, b, c), () => mirror.due(a, b, c));
          await same(() => harness.toPartners(a, b, c), () => mirror.toPartners(a, b, c));
          await same(() => harness.partnerPart(a, b, c), () => mirror.partnerPart(a, b, c));
        }),
        { numRuns: 60 },
      );
    });

    it("when given the cap vectors, the mirror's cap matches every one too", function () {
      expect(vectors.cap.map((v) => [v, mirror.cap(n(v.consumed), n(v.capMultipleBps)).toString()]))
        .to.deep.equal(vectors.cap.map((v) => [v, v.expected]));
    });

    it("when given random payments and debts, ShareMath.split equals the mirror's split", async function () {
      const { harness } = await loadFixture(harnessFixture);
      const uint128 = fc.bigInt({ min: 0n, max: 2n ** 128n - 1n });
      await fc.assert(
        fc.asyncProperty(uint128, fc.bigInt({ min: 0n, max: 10_000n }), fc.array(uint128, { maxLength: 16 }), async (amount, bps, owedList) => {
          const expected = mirror.split(amount, bps, owedList);
          const got = await soliditySplit(harness, amount, bps, owedList);
          expect(got).to.deep.equal({ perPartner: expected.perPartner, toProgram: expected.toProgram });
        }),
        { numRuns: 40 },
      );
    });

    it("when the debts sum past uint256 or the first cut overflows, ShareMath.split reverts where the mirror throws", async function () {
      const { harness } = await loadFixture(harnessFixture);
      const max = 2n ** 256n - 1n;
      const cases: [bigint, bigint, bigint[]][] = [[1n, 0n, [max, 1n]], [max, 10_000n, [1n]], [max, 10_001n, [1n]], [1n, 6_000n, [max, max]]];
      for (const [amount, bps, owedList] of cases) {
        let mirrored: string;
        try {
          const r = mirror.split(amount, bps, owedList);
          mirrored = `${r.perPartner.join(",")} / ${r.toProgram}`;
        } catch {
          mirrored = "refused";
        }
        let got: string;
        try {
          const r = await soliditySplit(harness, amount, bps, owedList);
          got = `${r.perPartner.join(",")} / ${r.toProgram}`;
        } catch {
          got = "refused";
        }
        expect(got, `split(${amount}, ${bps}, [${owedList.join(", ")}])`).to.equal(mirrored);
      }
    });
  });
});

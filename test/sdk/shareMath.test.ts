import { expect } from "chai";
import fc from "fast-check";
import { maxUint256 } from "viem";
import { ValidationError } from "../../sdk/errors";
import { applyBps, cap, credits, due, owed, partnerPart, split, toPartners } from "../../sdk/shareMath";
import vectors from "../vectors/share-math.json";

const n = BigInt;

describe("shareMath vectors (test/vectors/share-math.json)", () => {
  // Each check maps every vector to [inputs, result] so a mismatch shows which vector failed.
  it("when computing credits, it matches every vector", () => {
    const got = vectors.credits.map((v) => [v, credits(n(v.gpuSeconds), n(v.creditsPerGpuHour)).toString()]);
    expect(got).to.deep.equal(vectors.credits.map((v) => [v, v.expected]));
  });

  it("when applying basis points, it matches every vector", () => {
    const got = vectors.applyBps.map((v) => [v, applyBps(n(v.amount), n(v.bps)).toString()]);
    expect(got).to.deep.equal(vectors.applyBps.map((v) => [v, v.expected]));
  });

  it("when computing a period's owed amount, it matches every vector", () => {
    const got = vectors.owed.map((v) => [v, owed(n(v.revenue), n(v.revenueShareBps), n(v.cap), n(v.obligation)).toString()]);
    expect(got).to.deep.equal(vectors.owed.map((v) => [v, v.expected]));
  });

  it("when computing a due date, it matches every vector", () => {
    const got = vectors.due.map((v) => [v, due(n(v.periodEnd), n(v.finalizedAt), n(v.gracePeriod)).toString()]);
    expect(got).to.deep.equal(vectors.due.map((v) => [v, v.expected]));
  });

  it("when computing the partners' part, it matches every vector", () => {
    const got = vectors.toPartners.map((v) => [v, toPartners(n(v.amount), n(v.partnerFirstBps), n(v.stillOwed)).toString()]);
    expect(got).to.deep.equal(vectors.toPartners.map((v) => [v, v.expected]));
  });

  it("when computing one partner's part, it matches every vector", () => {
    const got = vectors.partnerPart.map((v) => [v, partnerPart(n(v.partnersTotal), n(v.owedToPartner), n(v.stillOwed)).toString()]);
    expect(got).to.deep.equal(vectors.partnerPart.map((v) => [v, v.expected]));
  });

  it("when splitting a payment, it matches every vector", () => {
    const got = vectors.split.map((v) => {
      const result = split(n(v.amount), n(v.partnerFirstBps), v.owedPerPartner.map(n));
      return [v, result.perPartner.map(String), result.toProgram.toString()];
    });
    expect(got).to.deep.equal(vectors.split.map((v) => [v, v.expectedPerPartner, v.expectedToProgram]));
  });
});

describe("split", () => {
  it("when the PROTOCOL §13 payments are applied in order, each partner ends with exactly its receivable", () => {
    const U = 1_000_000n;
    const receivable = [applyBps(credits(2_880_000n, 2_500_000n), 7_000n), applyBps(credits(720_000n, 5_000_000n), 8_000n)];
    expect(receivable).to.deep.equal([1_400n * U, 800n * U]);
    const paid = [0n, 0n];
    const payments = [1_000n * U, 3_500n * U].map((amount) => {
      const result = split(amount, 6_000n, receivable.map((r, i) => r - paid[i]));
      result.perPartner.forEach((part, i) => (paid[i] += part));
      return result;
    });
    expect(payments[0]).to.deep.equal({ toPartners: 599_999_999n, perPartner: [381_818_181n, 218_181_818n], toProgram: 400_000_001n });
    expect(payments[1]).to.deep.equal({ toPartners: 1_600_000_001n, perPartner: [1_018_181_819n, 581_818_182n], toProgram: 1_899_999_999n });
    expect(paid).to.deep.equal(receivable);
  });

  it("when given any payment, it distributes every unit, never overpays a partner and leaves less dust than the partner count", () => {
    const uint128 = fc.bigInt({ min: 0n, max: 2n ** 128n - 1n });
    fc.assert(
      fc.property(uint128, fc.bigInt({ min: 0n, max: 10_000n }), fc.array(uint128, { maxLength: 16 }), (amount, bps, owedList) => {
        const result = split(amount, bps, owedList);
        const stillOwed = owedList.reduce((a, b) => a + b, 0n);
        const target = toPartners(amount, bps, stillOwed);
        expect(result.toPartners + result.toProgram).to.equal(amount);
        expect(result.perPartner.reduce((a, b) => a + b, 0n)).to.equal(result.toPartners);
        result.perPartner.forEach((part, i) => expect(part <= owedList[i]).to.equal(true));
        expect(result.toPartners <= target).to.equal(true);
        expect(target - result.toPartners < BigInt(Math.max(owedList.length, 1))).to.equal(true);
      }),
    );
  });
});

describe("cap", () => {
  it("when given consumed credits and a multiple, it returns consumed × multiple / 10 000 rounded down", () => {
    expect(cap(3_000_000_000n, 15_000n)).to.equal(4_500_000_000n); // PROTOCOL §13
    expect(cap(1n, 15_000n)).to.equal(1n);
    expect(cap(0n, 15_000n)).to.equal(0n);
  });
});

describe("owed", () => {
  it("when obligations are finalized in turn, it never lets the obligation exceed the cap", () => {
    fc.assert(
      fc.property(fc.bigInt({ min: 0n, max: 10n ** 30n }), fc.array(fc.bigInt({ min: 0n, max: 10n ** 30n }), { maxLength: 120 }), fc.integer({ min: 1, max: 10_000 }), (limit, revenues, bps) => {
        let obligation = 0n;
        for (const revenue of revenues) obligation += owed(revenue, BigInt(bps), limit, obligation);
        expect(obligation <= limit).to.equal(true);
      }),
    );
  });
});

describe("ShareMath refusals (where the Solidity library reverts)", () => {
  it("when the result overflows uint256, it throws", () => {
    expect(() => applyBps(maxUint256, 10_001n)).to.throw(ValidationError, "overflows uint256");
    expect(() => credits(maxUint256, 3601n)).to.throw(ValidationError, "overflows uint256");
    expect(() => due(maxUint256, 0n, 1n)).to.throw(ValidationError, "overflows uint256");
    expect(() => split(1n, 0n, [maxUint256, 1n])).to.throw(ValidationError, "overflows uint256");
  });

  it("when partnerPart divides by zero, it throws", () => {
    expect(() => partnerPart(1n, 0n, 0n)).to.throw(ValidationError, "division by zero");
  });

  it("when an input is negative or above uint256, it throws naming it", () => {
    expect(() => applyBps(-1n, 1n)).to.throw(ValidationError, "ShareMath.applyBps: amount = -1 is not a uint256");
    expect(() => owed(0n, 0n, maxUint256 + 1n, 0n)).to.throw(ValidationError, "cap");
    expect(() => split(1n, 1n, [1n, -1n])).to.throw(ValidationError, "owedPerPartner[1]");
  });
});

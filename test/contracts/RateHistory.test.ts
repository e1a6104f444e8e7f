import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { H100, HOUR, DAY, RATE_NOTICE } from "../helpers/fixture";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { buildScenario, batchOf, openAgreement, recordUsage, sendUsage, restoreChainAfterAll, RATE_F_H100, Reason } from "../helpers/scenario";

/** Partner F's h100 rate changes three times, a week apart: four eras. */
async function fourEraFixture() {
  const s = await buildScenario();
  const p = s.ledger.connect(s.program);
  const eras = [s.rateStart];
  const rates = [RATE_F_H100, 3_000_000n, 3_500_000n, 4_000_000n];
  for (let i = 1; i < rates.length; i++) {
    const from = ((BigInt(await time.latest()) + RATE_NOTICE) / HOUR + 1n) * HOUR;
    await p.scheduleRate(s.partnerF.address, H100, rates[i], from);
    eras.push(from);
    await time.increaseTo(from + HOUR);
  }
  await time.increase(2n * DAY);
  return { s, eras, rates };
}

describe("submitUsage: pricing from a rate history", function () {
  restoreChainAfterAll();

  it("when windows fall in older eras, each is priced at the rate in force at its periodStart", async function () {
    const { s, eras, rates } = await loadFixture(fourEraFixture);
    const F = s.partnerF.address;
    // one window per era, in time order (no overlap per pair), each after the agreement's start
    const windows = eras.map((from) => (from > s.start ? from : s.start) + 2n * HOUR);
    for (const [i, start] of windows.entries()) {
      const { accepted } = await recordUsage(s, batchOf(F, BigInt(i), start, start + HOUR, [[s.id, H100, 3_600n]]));
      expect(accepted[0].credits, `era ${i}`).to.equal(rates[i]);
    }
    const schedule = await s.ledger.rateSchedule(F, H100);
    expect(schedule.map((e) => e.effectiveFrom)).to.deep.equal(eras);
    expect((await s.ledger.rate(F, H100, eras[2] + 1n)).creditsPerGpuHour).to.equal(rates[2]);
  });

  it("when a window in an older era straddles a later change, the batch reverts UsageRateStraddled", async function () {
    const { s, eras } = await loadFixture(fourEraFixture);
    const start = eras[1] - HOUR;
    await expect(sendUsage(s, batchOf(s.partnerF.address, 0n, start, start + 2n * HOUR, [[s.id, H100, 3_600n]])))
      .to.be.revertedWithCustomError(s.ledger, "UsageRateStraddled").withArgs(H100, eras[1]);
  });

  it("when a window ends before the first rate of a sku with a history, its line is rejected NoRate", async function () {
    const { s, eras } = await loadFixture(fourEraFixture);
    const startTime = s.rateStart - DAY;
    const id = await openAgreement(s, s.extra[0], { startTime, endTime: startTime + 12n * s.terms.periodDuration });
    const start = eras[0] - 2n * HOUR;
    await expect(sendUsage(s, batchOf(s.partnerF.address, 0n, start, start + HOUR, [[id, H100, 3_600n]])))
      .to.emit(s.ledger, "UsageLineRejected").withArgs(anyValue, id, H100, Reason.NoRate);
  });
});

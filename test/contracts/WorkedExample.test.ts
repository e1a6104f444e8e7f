import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, reset, time } from "@nomicfoundation/hardhat-network-helpers";
import {
  deployLedgerFixture, signUsageBatch, signRevenueReport, addressesOf, H100, B200, DAY, HOUR, USDC,
  DISPUTE_WINDOW,
} from "../helpers/fixture";
import type { Address, Hex } from "viem";

const at = (iso: string) => BigInt(Date.parse(iso) / 1000);
const START = at("2026-10-01T00:00:00Z");
const PERIOD = 30n * DAY;
const DSXC = 1_000_000n;

/** PROTOCOL §13, step by step, with every figure the spec states. */
async function workedExampleFixture() {
  const f = await deployLedgerFixture();
  const { ledger, program, startup, partnerF, partnerB, oracleKeys } = f;
  expect(await time.latest(), "the worked example needs a chain clock before 2026-10-01").to.be.lessThan(Number(START));

  const [fKey, bKey, revKey] = oracleKeys;
  await ledger.connect(program).registerPartner(partnerF.address, [fKey.address], 1, 7_000);
  await ledger.connect(program).registerPartner(partnerB.address, [bKey.address], 1, 8_000);
  await ledger.connect(program).setRevenueSigners(addressesOf([revKey]), 1);
  const hourStart = (BigInt(await time.latest()) / HOUR) * HOUR;
  await ledger.connect(program).scheduleRate(partnerF.address, H100, 2_500_000n, hourStart);
  await ledger.connect(program).scheduleRate(partnerB.address, B200, 5_000_000n, hourStart);

  const terms = {
    startup: startup.address, creditLimit: 100_000n * DSXC, revenueShareBps: 800, capMultipleBps: 15_000,
    partnerFirstBps: 6_000, startTime: START, endTime: START + 12n * PERIOD, periodDuration: PERIOD,
    gracePeriod: 15n * DAY, termsHash: ethers.id("worked-example-terms"),
  };
  await ledger.connect(program).createAgreement(terms);
  const id = 1n;
  await ledger.connect(startup).acceptAgreement(id);
  await ledger.connect(startup).authorizePartner(id, partnerF.address, 50_000n * DSXC, 16);
  await ledger.connect(startup).authorizePartner(id, partnerB.address, 50_000n * DSXC, 8);
  return { ...f, id, fKey, bKey, revKey };
}

describe("PROTOCOL §13 worked example", function () {
  // the example's dates are fixed; suites before this one may have moved the shared in-process clock past them
  before(async function () {
    if ((await time.latest()) >= Number(START) - Number(DAY)) await reset();
  });

  it("reproduces every figure of the example", async function () {
    const { ledger, credit, usdc, startup, payer, partnerF, partnerB, chainId, ledgerAddress, id, fKey, bKey, revKey } =
      await loadFixture(workedExampleFixture);
    const periodStart = at("2026-10-02T00:00:00Z");
    const periodEnd = at("2026-10-07T00:00:00Z");
    await time.increaseTo(periodEnd + 60n);

    // Usage F: 8 GPUs x 100 h = 2 880 000 GPU-s -> 2 000 DSXC burned; F receivable 1 400 USDC
    const batchF = { partner: partnerF.address as Address, sequence: 0n, periodStart, periodEnd, recordsRoot: ethers.id("F-records") as Hex,
      lines: [{ agreementId: id, sku: H100, gpuSeconds: 2_880_000n }] };
    await ledger.submitUsage(batchF, await signUsageBatch([fKey], batchF, chainId, ledgerAddress));
    // Usage B: 4 GPUs x 50 h = 720 000 GPU-s -> 1 000 DSXC burned; B receivable 800 USDC
    const batchB = { partner: partnerB.address as Address, sequence: 0n, periodStart, periodEnd, recordsRoot: ethers.id("B-records") as Hex,
      lines: [{ agreementId: id, sku: B200, gpuSeconds: 720_000n }] };
    await ledger.submitUsage(batchB, await signUsageBatch([bKey], batchB, chainId, ledgerAddress));

    expect((await ledger.partnerPosition(id, partnerF.address)).spent).to.equal(2_000n * DSXC);
    expect((await ledger.partnerPosition(id, partnerF.address)).receivable).to.equal(1_400n * USDC);
    expect((await ledger.partnerPosition(id, partnerB.address)).spent).to.equal(1_000n * DSXC);
    expect((await ledger.partnerPosition(id, partnerB.address)).receivable).to.equal(800n * USDC);
    expect(await credit.balanceOf(startup.address)).to.equal(97_000n * DSXC);
    let view = await ledger.agreement(id);
    expect(view.consumed).to.equal(3_000n * DSXC);
    expect(view.cap).to.equal(4_500n * DSXC);

    // Period 0 revenue 20 000 USD -> share 1 600 -> owed 1 600 (obligation 1 600)
    await time.increaseTo(START + PERIOD);
    const report0 = { agreementId: id, periodIndex: 0, revenue: 20_000n * USDC, evidenceHash: ethers.id("p0") as Hex, version: 1 };
    await ledger.submitRevenue(report0, await signRevenueReport([revKey], report0, chainId, ledgerAddress));
    await time.increase(DISPUTE_WINDOW);
    await expect(ledger.finalizeRevenue(id, 0)).to.emit(ledger, "RevenueFinalized");
    expect((await ledger.revenuePeriod(id, 0)).owed).to.equal(1_600n * USDC);
    expect((await ledger.agreement(id)).obligation).to.equal(1_600n * USDC);

    // Period 1 revenue 50 000 USD -> share 4 000 -> owed min(4 000, 2 900) = 2 900 (obligation 4 500 = cap)
    await time.increaseTo(START + 2n * PERIOD);
    const report1 = { agreementId: id, periodIndex: 1, revenue: 50_000n * USDC, evidenceHash: ethers.id("p1") as Hex, version: 1 };
    await ledger.submitRevenue(report1, await signRevenueReport([revKey], report1, chainId, ledgerAddress));
    await time.increase(DISPUTE_WINDOW);
    await ledger.finalizeRevenue(id, 1);
    expect((await ledger.revenuePeriod(id, 1)).owed).to.equal(2_900n * USDC);
    view = await ledger.agreement(id);
    expect(view.obligation).to.equal(4_500n * USDC);
    expect(view.obligation).to.equal(view.cap);

    // Pay 1 000: P = 2 200, toPartners 600 -> F 381.818181, B 218.181818, program 400.000001
    await usdc.mint(payer.address, 10_000n * USDC);
    await usdc.connect(payer).approve(ledgerAddress, 10_000n * USDC);
    await expect(ledger.connect(payer).pay(id, 1_000n * USDC))
      .to.emit(ledger, "PaymentApplied").withArgs(id, payer.address, 1_000n * USDC, 599_999_999n, 400_000_001n)
      .and.to.emit(ledger, "Distributed").withArgs(id, partnerF.address, 381_818_181n)
      .and.to.emit(ledger, "Distributed").withArgs(id, partnerB.address, 218_181_818n)
      .and.to.emit(ledger, "Distributed").withArgs(id, ethers.ZeroAddress, 400_000_001n);

    // Pay 3 500: P = 1 600.000001, toPartners 1 600.000001 -> F 1 018.181819, B 581.818182, program 1 899.999999
    await expect(ledger.connect(payer).pay(id, 3_500n * USDC))
      .to.emit(ledger, "PaymentApplied").withArgs(id, payer.address, 3_500n * USDC, 1_600_000_001n, 1_899_999_999n)
      .and.to.emit(ledger, "Distributed").withArgs(id, partnerF.address, 1_018_181_819n)
      .and.to.emit(ledger, "Distributed").withArgs(id, partnerB.address, 581_818_182n)
      .and.to.emit(ledger, "Distributed").withArgs(id, ethers.ZeroAddress, 1_899_999_999n);

    // F has now received exactly 1 400 and B exactly 800; outstanding 0
    expect(await ledger.claimable(partnerF.address)).to.equal(1_400n * USDC);
    expect(await ledger.claimable(partnerB.address)).to.equal(800n * USDC);
    expect(await ledger.programClaimable()).to.equal(2_300n * USDC);
    view = await ledger.agreement(id);
    expect(view.outstanding).to.equal(0n);
    expect(view.paid).to.equal(4_500n * USDC);
    expect(view.delinquent).to.equal(false);
    expect(view.nextDue).to.equal(0n);
  });
});

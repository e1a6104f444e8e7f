import { expect } from "chai";
import { ethers } from "hardhat";
import { loadFixture, reset, time } from "@nomicfoundation/hardhat-network-helpers";
import { DEFAULT_CONSTANTS } from "../../scripts/lib/deployLedger";
import type { LedgerRulesHarness } from "../../typechain-types";
import {
  AGREEMENT_STATUS_ORDINAL,
  inForceVectors,
  lineGroupExpected,
  lineGroupReportingGrace,
  lineGroupVectors,
  limitsVectors,
  nextDueVectors,
  rateAtVectors,
  rateWindowVectors,
  reportingCloseVectors,
  type RateEntryVector,
} from "../vectors/ledgerRulesVectors";

// The contracts' own rules on test/vectors/ledger-rules.json, through contracts/test/LedgerRulesHarness.sol: the
// harness writes the ledger's storage and calls AgreementMath.reportingClose, PositionWord.limitsInForce,
// SignatureQuorum.inForce, PartnerLogic.payoutInForce, the LedgerViews views (agreement's nextDue/delinquent,
// partnerPosition, rate, revenueSigners) and UsageRecorder's line checks. Views that read the block's time are read
// after a block at the vector's `now`; every vector starts from the same snapshot (loadFixture).

const ID = 1n;
const STARTUP = "0x00000000000000000000000000000000000005a1";
const PARTNER = "0x00000000000000000000000000000000000000f1";
const OTHER = "0x00000000000000000000000000000000000000f2";
const SKU = ethers.encodeBytes32String("h100-sxm");
const PAYOUT_BPS = 7_000n;
const UINT40_MAX = 2n ** 40n - 1n;
const REJECTIONS = ["NotOpen", "OutsideTerm", "ReportingClosed", "NoRate", "Overlap", "OverGpuBound", "OverAuthorization", "InsufficientCredits", "SiblingRejected"];

/** The earliest time any vector reads at: the chain must not have passed it. */
const EARLIEST = [
  ...nextDueVectors.map((v) => v.now),
  ...limitsVectors.map((v) => v.now),
  ...inForceVectors.map((v) => v.now),
  ...lineGroupVectors.map((v) => v.now),
].reduce((a, b) => (a < b ? a : b));

async function harnessFixture(): Promise<{ harness: LedgerRulesHarness }> {
  const views = await (await ethers.getContractFactory("LedgerViews")).deploy();
  await views.waitForDeployment();
  const factory = await ethers.getContractFactory("LedgerRulesHarness", { libraries: { LedgerViews: await views.getAddress() } });
  const harness = (await factory.deploy({ ...DEFAULT_CONSTANTS, reportingGrace: lineGroupReportingGrace })) as unknown as LedgerRulesHarness;
  await harness.waitForDeployment();
  return { harness };
}

/** An agreement with everything a vector does not set at harmless values. */
function agreementSetup(x: { status?: number; startTime?: bigint; endTime?: bigint; terminatedAt?: bigint; periodCount?: number; paid?: bigint }) {
  return {
    startup: STARTUP,
    status: x.status ?? AGREEMENT_STATUS_ORDINAL.Active,
    startTime: x.startTime ?? 0n,
    endTime: x.endTime ?? UINT40_MAX,
    terminatedAt: x.terminatedAt ?? 0n,
    periodCount: x.periodCount ?? 12,
    paid: x.paid ?? 0n,
  };
}

const noPending = { pendingSpendLimit: 0n, pendingSpendLimitAt: 0n, pendingMaxGpus: 0n, pendingMaxGpusAt: 0n };

/** A block at `now`, so views read at it. */
async function readAt(now: bigint): Promise<void> {
  await time.increaseTo(now);
}

/** The custom error a call reverted with, decoded with the harness's ABI (undefined: not a decodable revert). */
function revertOf(harness: LedgerRulesHarness, err: unknown): { name: string; args: unknown[] } | undefined {
  const e = err as { data?: unknown; error?: { data?: unknown }; revert?: { name: string; args: unknown[] } };
  if (e.revert) return { name: e.revert.name, args: [...e.revert.args] };
  const data = [e.data, e.error?.data].find((d): d is string => typeof d === "string" && d.startsWith("0x"));
  const parsed = data === undefined ? null : harness.interface.parseError(data);
  return parsed ? { name: parsed.name, args: [...parsed.args] } : undefined;
}

/** recordLines for one batch, sent in a block at `now`: each line's outcome from its event, or the batch's revert. */
async function recordLines(
  harness: LedgerRulesHarness,
  batch: { periodStart: bigint; periodEnd: bigint; lines: { sku: string; gpuSeconds: bigint }[] },
  now?: bigint,
): Promise<{ reverted: { name: string; args: unknown[] } } | { lines: ({ credits: bigint } | { reason: string })[] }> {
  const full = {
    partner: PARTNER,
    sequence: 0n,
    periodStart: batch.periodStart,
    periodEnd: batch.periodEnd,
    recordsRoot: ethers.ZeroHash,
    lines: batch.lines.map((l) => ({ agreementId: ID, sku: l.sku, gpuSeconds: l.gpuSeconds })),
  };
  try {
    await harness.recordLines.staticCall(full, PAYOUT_BPS);
  } catch (err) {
    const revert = revertOf(harness, err);
    if (!revert) throw err;
    return { reverted: revert };
  }
  if (now !== undefined) await time.setNextBlockTimestamp(now);
  const receipt = await (await harness.recordLines(full, PAYOUT_BPS)).wait();
  const lines: ({ credits: bigint } | { reason: string })[] = [];
  for (const log of receipt!.logs) {
    const parsed = harness.interface.parseLog(log);
    if (parsed?.name === "UsageRecorded") lines.push({ credits: parsed.args.credits as bigint });
    if (parsed?.name === "UsageLineRejected") lines.push({ reason: REJECTIONS[Number(parsed.args.reason)] });
  }
  return { lines };
}

const entries = (schedule: RateEntryVector[]) => schedule.map((e) => ({ creditsPerGpuHour: e.creditsPerGpuHour, effectiveFrom: e.effectiveFrom }));

describe("ledger rules (Solidity, through LedgerRulesHarness) on test/vectors/ledger-rules.json", function () {
  before(async function () {
    // the vectors read at fixed times: a chain that earlier test files moved past them starts over (reset also
    // drops every fixture snapshot, so later files rebuild theirs)
    if (BigInt(await time.latest()) + 600n >= EARLIEST) await reset();
  });

  it("when periods are finalized and paid, agreement(id).nextDue and .delinquent match every vector (LedgerViews, PROTOCOL §8)", async function () {
    const got = [];
    for (const v of nextDueVectors) {
      const { harness } = await loadFixture(harnessFixture);
      await harness.setAgreement(
        ID,
        agreementSetup({ paid: v.paid }),
        v.finalized.map((p) => p.cumulativeObligation),
        v.finalized.map((p) => p.due),
      );
      await readAt(v.now);
      const view = await harness.agreement(ID);
      got.push([v.name, { nextDue: view.nextDue, delinquent: view.delinquent }]);
    }
    expect(got).to.deep.equal(nextDueVectors.map((v) => [v.name, v.expected]));
  });

  it("when the ledger pauses, unpauses or terminates, AgreementMath.reportingClose matches every vector (PROTOCOL §3)", async function () {
    const got = [];
    for (const v of reportingCloseVectors) {
      const { harness } = await loadFixture(harnessFixture);
      await harness.setAgreement(ID, agreementSetup({ endTime: v.endTime, terminatedAt: v.terminatedAt }), [], []);
      await harness.setPause(v.paused, v.lastUnpausedAt);
      got.push([v.name, await harness.reportingClose(ID, v.reportingGrace)]);
    }
    expect(got).to.deep.equal(reportingCloseVectors.map((v) => [v.name, v.expected]));
  });

  it("when a decrease is pending, PositionWord.limitsInForce and partnerPosition match every vector (PROTOCOL §4)", async function () {
    const got = [];
    for (const v of limitsVectors) {
      const { harness } = await loadFixture(harnessFixture);
      await harness.setPosition(ID, PARTNER, { spent: 0n, lastUsageEnd: 0n, ...v.stored });
      const [spendLimit, maxGpus] = await harness.limitsInForce(ID, PARTNER, v.now);
      await readAt(v.now);
      const p = await harness.partnerPosition(ID, PARTNER);
      got.push([
        v.name,
        { spendLimit, maxGpus },
        {
          spendLimit: p.spendLimit,
          maxGpus: p.maxGpus,
          pendingSpendLimit: p.pendingSpendLimit,
          pendingSpendLimitAt: p.pendingSpendLimitAt,
          pendingMaxGpus: p.pendingMaxGpus,
          pendingMaxGpusAt: p.pendingMaxGpusAt,
        },
      ]);
    }
    expect(got).to.deep.equal(
      limitsVectors.map((v) => [v.name, { spendLimit: v.expected.spendLimit, maxGpus: v.expected.maxGpus }, v.expected]),
    );
  });

  it("when a change is pending, SignatureQuorum.inForce, PartnerLogic.payoutInForce and revenueSigners() match every vector (PROTOCOL §3)", async function () {
    const got = [];
    for (const v of inForceVectors) {
      const { harness } = await loadFixture(harnessFixture);
      const pending = v.pending ?? { value: 0n, effectiveAt: 0n };
      const quorum = await harness.quorumInForce(v.current, pending.value, pending.effectiveAt, v.now);
      const asAddress = (x: bigint) => ethers.zeroPadValue(ethers.toBeHex(x), 20);
      await harness.setPayout(PARTNER, asAddress(v.current), v.pending ? asAddress(pending.value) : ethers.ZeroAddress, pending.effectiveAt);
      const payout = BigInt(await harness.payoutInForce(PARTNER, v.now));
      await harness.setRevenueQuorum(v.current, pending.value, pending.effectiveAt);
      await readAt(v.now);
      const signers = await harness.revenueSigners();
      got.push([v.name, quorum, payout, { value: signers.threshold, stillPending: signers.pendingAt !== 0n }]);
    }
    expect(got).to.deep.equal(inForceVectors.map((v) => [v.name, v.expected.value, v.expected.value, v.expected]));
  });

  it("when a schedule has changes, rate(partner, sku, at) matches every vector (LedgerViews, PROTOCOL §5)", async function () {
    const got = [];
    for (const v of rateAtVectors) {
      const { harness } = await loadFixture(harnessFixture);
      await harness.setSchedule(PARTNER, SKU, entries(v.schedule));
      const r = await harness.rate(PARTNER, SKU, v.at);
      got.push([v.name, { creditsPerGpuHour: r.creditsPerGpuHour, effectiveFrom: r.effectiveFrom }]);
    }
    expect(got).to.deep.equal(rateAtVectors.map((v) => [v.name, v.expected]));
  });

  it("when a window meets a rate change, a usage line is priced at the window's rate or the batch reverts UsageRateStraddled (UsageRecorder, PROTOCOL §5)", async function () {
    const got = [];
    for (const v of rateWindowVectors) {
      const { harness } = await loadFixture(harnessFixture);
      await harness.setAgreement(ID, agreementSetup({}), [], []);
      await harness.setPosition(ID, PARTNER, { spent: 0n, lastUsageEnd: 0n, spendLimit: 2n ** 56n - 1n, maxGpus: 2n ** 24n - 1n, ...noPending });
      await harness.setCredits(STARTUP, 2n ** 64n);
      await harness.setSchedule(PARTNER, SKU, entries(v.schedule));
      // one GPU-hour: the credits are the rate itself
      const r = await recordLines(harness, { periodStart: v.periodStart, periodEnd: v.periodEnd, lines: [{ sku: SKU, gpuSeconds: 3600n }] });
      if ("reverted" in r) {
        got.push([v.name, r.reverted.name === "UsageRateStraddled" && r.reverted.args[0] === SKU ? { straddled: r.reverted.args[1] } : r.reverted]);
      } else {
        const line = r.lines[0];
        got.push([v.name, "credits" in line ? { rate: line.credits } : line.reason === "NoRate" ? { rate: 0n } : line]);
      }
    }
    expect(got).to.deep.equal(rateWindowVectors.map((v) => [v.name, v.expected]));
  });

  it("when one agreement's lines are checked, UsageRecorder's group outcome matches every vector (PROTOCOL §6)", async function () {
    const got = [];
    for (const v of lineGroupVectors) {
      const { harness } = await loadFixture(harnessFixture);
      const a = v.agreement;
      await harness.setAgreement(
        ID,
        agreementSetup({ status: AGREEMENT_STATUS_ORDINAL[a.status], startTime: a.startTime, endTime: a.endTime, terminatedAt: a.terminatedAt, periodCount: a.periodCount }),
        [],
        [],
      );
      await harness.setNextPeriodToFinalize(ID, a.nextPeriodToFinalize);
      await harness.setPause(false, a.lastUnpausedAt);
      await harness.setPosition(ID, PARTNER, { ...v.position, ...noPending });
      await harness.setCredits(STARTUP, v.balance);
      const skus = v.lines.map((_, k) => ethers.encodeBytes32String(`sku-${k}`));
      for (const [k, line] of v.lines.entries()) {
        await harness.setSchedule(PARTNER, skus[k], line.rate === 0n ? [] : [{ creditsPerGpuHour: line.rate, effectiveFrom: 0n }]);
      }
      const r = await recordLines(
        harness,
        { periodStart: v.periodStart, periodEnd: v.periodEnd, lines: v.lines.map((l, k) => ({ sku: skus[k], gpuSeconds: l.gpuSeconds })) },
        v.now,
      );
      if ("reverted" in r) {
        got.push([v.name, r.reverted]);
      } else if (r.lines.every((l) => "credits" in l)) {
        got.push([v.name, { accepted: true, credits: r.lines.map((l) => String((l as { credits: bigint }).credits)) }]);
      } else {
        got.push([v.name, { accepted: false, reasons: r.lines.map((l) => ("reason" in l ? l.reason : `accepted ${l.credits}`)) }]);
      }
    }
    expect(got).to.deep.equal(lineGroupVectors.map((v) => [v.name, lineGroupExpected(v)]));
  });

  it("when the payout in force is read for a partner with none set, it is the partner itself (the harness reads real storage)", async function () {
    const { harness } = await loadFixture(harnessFixture);
    expect(await harness.payoutInForce(OTHER, 0n)).to.equal(ethers.getAddress(OTHER));
  });
});

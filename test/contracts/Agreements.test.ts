import { expect } from "chai";
import { anyValue } from "@nomicfoundation/hardhat-chai-matchers/withArgs";
import { ethers } from "hardhat";
import type { Wallet } from "ethers";
import { loadFixture, time, setBalance, takeSnapshot, type SnapshotRestorer } from "@nomicfoundation/hardhat-network-helpers";
import {
  deployLedgerFixture, signUsageBatch, signRevenueReport, addressesOf, H100, DAY, HOUR, USDC,
  AUTH_NOTICE, DISPUTE_WINDOW, REPORTING_GRACE, MIGRATION_NOTICE, type LedgerFixture,
} from "../helpers/fixture";
import type { AgreementTerms, HexAsString, IntegersAsBigInt } from "../../sdk/types";

const PERIOD = 30n * DAY;
const PERIODS = 12n;
const DSXC = 1_000_000n;
const CREDIT_LIMIT = 100_000n * DSXC;
const MAX_UINT24 = 2n ** 24n - 1n;
const MAX_UINT32 = 2n ** 32n - 1n;
const MAX_UINT40 = 2n ** 40n - 1n;
const MAX_UINT64 = 2n ** 64n - 1n;
/** The widest spendLimit the ledger stores (uint56 since the storage packing; the brief said uint64). */
const MAX_SPEND_LIMIT = 2n ** 56n - 1n;

/** AgreementStatus (contracts/types/LedgerTypes.sol). */
const Status = { None: 0, Proposed: 1, Active: 2, Terminated: 3, Expired: 4, Cancelled: 5 } as const;
/** UsageRejection (contracts/types/LedgerTypes.sol). */
const Rejection = { OverGpuBound: 5, OverAuthorization: 6 } as const;

/** The ledger's Terms struct (sdk/types.ts) as ethers takes it: string addresses and hashes, bigint durations. */
type TermsInput = HexAsString<IntegersAsBigInt<AgreementTerms, "periodDuration" | "gracePeriod">>;

/** Twelve 30-day periods from `start`; the rest as in the worked example. */
function termsFor(startup: string, start: bigint, overrides: Partial<TermsInput> = {}): TermsInput {
  return {
    startup, creditLimit: CREDIT_LIMIT, revenueShareBps: 800, capMultipleBps: 15_000, partnerFirstBps: 6_000,
    startTime: start, endTime: start + PERIODS * PERIOD, periodDuration: PERIOD, gracePeriod: 15n * DAY,
    termsHash: ethers.id("terms"), ...overrides,
  };
}

/** The Terms struct as the ABI orders it, to compare with an event argument. */
const termsTuple = (t: TermsInput) => [
  t.startup, t.creditLimit, BigInt(t.revenueShareBps), BigInt(t.capMultipleBps), BigInt(t.partnerFirstBps), t.startTime,
  t.endTime, t.periodDuration, t.gracePeriod, t.termsHash,
];

const latest = async () => BigInt(await time.latest());

/** A deterministic address that is nobody's wallet. */
const addressNo = (i: number) => ethers.getAddress(ethers.zeroPadValue(ethers.toBeHex(0xd5c000 + i), 20));

/** Partners F (h100-sxm at 2.5 DSXC/GPU-h, payout 70 %) and B registered, revenue signer set; agreement 1 Proposed. */
async function proposedFixture() {
  const f = await deployLedgerFixture();
  const { ledger, program, startup, partnerF, partnerB, oracleKeys } = f;
  const [fKey, bKey, revKey] = oracleKeys;
  await ledger.connect(program).registerPartner(partnerF.address, [fKey.address], 1, 7_000);
  await ledger.connect(program).registerPartner(partnerB.address, [bKey.address], 1, 8_000);
  await ledger.connect(program).setRevenueSigners(addressesOf([revKey]), 1);
  const now = await latest();
  await ledger.connect(program).scheduleRate(partnerF.address, H100, 2_500_000n, (now / HOUR) * HOUR);
  // the term starts at a midnight about a month ahead, so fixtures never depend on where the chain clock is
  const start = (now / DAY + 30n) * DAY;
  const terms = termsFor(startup.address, start);
  await ledger.connect(program).createAgreement(terms);
  return { ...f, fKey, bKey, revKey, terms, id: 1n, start, end: terms.endTime };
}

/** Agreement 1 accepted (100 000 DSXC minted) and partner F authorized for 1 000 DSXC and 16 GPUs. */
async function activeFixture() {
  const f = await proposedFixture();
  await f.ledger.connect(f.startup).acceptAgreement(f.id);
  await f.ledger.connect(f.startup).authorizePartner(f.id, f.partnerF.address, 1_000n * DSXC, 16);
  return f;
}

type Ctx = LedgerFixture & { fKey: Wallet; id: bigint; start: bigint; end: bigint };

/** Submits a batch of partner F, signed by its oracle key, with one h100-sxm line of agreement `id`. */
async function submitF(f: Ctx, sequence: bigint, periodStart: bigint, periodEnd: bigint, gpuSeconds: bigint) {
  const batch = {
    partner: f.partnerF.address as `0x${string}`, sequence, periodStart, periodEnd,
    recordsRoot: ethers.id(`F-records-${sequence}`) as `0x${string}`,
    lines: [{ agreementId: f.id, sku: H100, gpuSeconds }],
  };
  return f.ledger.submitUsage(batch, await signUsageBatch([f.fKey], batch, f.chainId, f.ledgerAddress));
}

/** activeFixture plus one accepted batch at F: 10 GPU-hours of h100-sxm = 25 DSXC spent (receivable 17.5). */
async function usedFixture() {
  const f = await activeFixture();
  await time.increaseTo(f.start + DAY);
  await submitF(f, 0n, f.start, f.start + HOUR, 36_000n);
  return { ...f, spent: 25n * DSXC };
}

/** pendingMigration(id) as [to, effectiveAt]. */
async function pendingOf(ledger: LedgerFixture["ledger"], id: bigint): Promise<[string, bigint]> {
  const [to, effectiveAt] = await ledger.pendingMigration(id);
  return [to, effectiveAt];
}
const NO_MIGRATION: [string, bigint] = [ethers.ZeroAddress, 0n];

/** PROGRAM proposes migrating agreement `id` to `to` ten seconds from now; returns the proposal's effectiveAt. */
async function proposeMigration(ledger: LedgerFixture["ledger"], program: LedgerFixture["program"], id: bigint, to: string) {
  const t = (await latest()) + 10n;
  await time.setNextBlockTimestamp(t);
  await ledger.connect(program).migrateStartup(id, to);
  return t + MIGRATION_NOTICE;
}

/** Mints DSXC from the ledger's own address: a state the public API never produces (defence in depth). */
async function mintAsLedger(f: LedgerFixture, to: string, amount: bigint) {
  await setBalance(f.ledgerAddress, 10n ** 18n);
  const asLedger = await ethers.getImpersonatedSigner(f.ledgerAddress);
  await f.credit.connect(asLedger).mint(to, amount);
}

describe("RevenueShareLedger: agreement lifecycle and authorizations", function () {
  // Fixtures travel in time; put the clock back for the files that run after this one.
  let clean: SnapshotRestorer;
  before(async function () {
    clean = await takeSnapshot();
  });
  after(async function () {
    await clean.restore();
  });

  describe("createAgreement", function () {
    it("when the terms are valid, it stores a Proposed agreement under the next id and emits AgreementCreated with the terms", async function () {
      const { ledger, program, startup2, start } = await loadFixture(proposedFixture);
      const terms = termsFor(startup2.address, start, { termsHash: ethers.id("second") });
      expect(await ledger.connect(program).createAgreement.staticCall(terms)).to.equal(2n);
      await expect(ledger.connect(program).createAgreement(terms))
        .to.emit(ledger, "AgreementCreated").withArgs(2n, startup2.address, termsTuple(terms));
      expect(await ledger.agreementCount()).to.equal(2n);
      expect(await ledger.openAgreementOf(startup2.address)).to.equal(2n);
      const view = await ledger.agreement(2n);
      expect(view.status).to.equal(Status.Proposed);
      expect(view.terms.termsHash).to.equal(terms.termsHash);
    });

    it("when it is the first agreement, it gets id 1", async function () {
      const { ledger, startup } = await loadFixture(proposedFixture);
      expect(await ledger.agreementCount()).to.equal(1n);
      expect(await ledger.openAgreementOf(startup.address)).to.equal(1n);
      expect((await ledger.agreement(1n)).terms.startup).to.equal(startup.address);
    });

    const refusals: { when: string; overrides: (start: bigint, end: bigint) => Partial<TermsInput>; error: string; args: unknown[] }[] = [
      { when: "creditLimit is 0", overrides: () => ({ creditLimit: 0n }), error: "InvalidTerms", args: ["creditLimit"] },
      { when: "creditLimit is 2^56 (above every spend limit)", overrides: () => ({ creditLimit: MAX_SPEND_LIMIT + 1n }), error: "InvalidTerms", args: ["creditLimit"] },
      { when: "revenueShareBps is 0", overrides: () => ({ revenueShareBps: 0 }), error: "BpsOutOfRange", args: [0, 1, 10_000] },
      { when: "revenueShareBps is 10 001", overrides: () => ({ revenueShareBps: 10_001 }), error: "BpsOutOfRange", args: [10_001, 1, 10_000] },
      { when: "capMultipleBps is 9 999", overrides: () => ({ capMultipleBps: 9_999 }), error: "BpsOutOfRange", args: [9_999, 10_000, MAX_UINT32] },
      { when: "partnerFirstBps is 10 001", overrides: () => ({ partnerFirstBps: 10_001 }), error: "BpsOutOfRange", args: [10_001, 0, 10_000] },
      {
        when: "periodDuration is one second short of a day",
        overrides: (start: bigint) => ({ periodDuration: DAY - 1n, endTime: start + 12n * (DAY - 1n) }),
        error: "InvalidTerms", args: ["periodDuration"],
      },
      { when: "periodDuration is 0", overrides: () => ({ periodDuration: 0n }), error: "InvalidTerms", args: ["periodDuration"] },
      { when: "endTime equals startTime", overrides: (start: bigint) => ({ endTime: start }), error: "InvalidTerms", args: ["endTime"] },
      { when: "endTime is before startTime", overrides: (start: bigint) => ({ endTime: start - PERIOD }), error: "InvalidTerms", args: ["endTime"] },
      { when: "endTime is not startTime + n x periodDuration", overrides: (_start: bigint, end: bigint) => ({ endTime: end + 1n }), error: "InvalidTerms", args: ["endTime"] },
      { when: "endTime is half a period past a whole number", overrides: (_start: bigint, end: bigint) => ({ endTime: end + PERIOD / 2n }), error: "InvalidTerms", args: ["endTime"] },
      {
        when: "the term has 121 periods",
        overrides: (start: bigint) => ({ periodDuration: DAY, endTime: start + 121n * DAY }),
        error: "InvalidTerms", args: ["endTime"],
      },
      {
        when: "endTime does not fit in 40 bits",
        overrides: () => ({ startTime: MAX_UINT40 + 1n - DAY, endTime: MAX_UINT40 + 1n, periodDuration: DAY }),
        error: "InvalidTerms", args: ["endTime"],
      },
      { when: "the startup is the zero address", overrides: () => ({ startup: ethers.ZeroAddress }), error: "ZeroAddress", args: [] },
    ];
    for (const { when, overrides, error, args } of refusals) {
      it(`when ${when}, it reverts ${error}(${args.join(", ")})`, async function () {
        const { ledger, program, startup2, start, end } = await loadFixture(proposedFixture);
        await expect(ledger.connect(program).createAgreement(termsFor(startup2.address, start, overrides(start, end))))
          .to.be.revertedWithCustomError(ledger, error).withArgs(...args);
      });
    }

    const boundaries: { when: string; overrides: (start: bigint, end: bigint) => Partial<TermsInput>; periodCount: bigint }[] = [
      { when: "creditLimit is 2^56 - 1", overrides: () => ({ creditLimit: MAX_SPEND_LIMIT }), periodCount: PERIODS },
      { when: "revenueShareBps is 1", overrides: () => ({ revenueShareBps: 1 }), periodCount: PERIODS },
      { when: "revenueShareBps is 10 000", overrides: () => ({ revenueShareBps: 10_000 }), periodCount: PERIODS },
      { when: "capMultipleBps is 10 000", overrides: () => ({ capMultipleBps: 10_000 }), periodCount: PERIODS },
      { when: "capMultipleBps is 2^32 - 1", overrides: () => ({ capMultipleBps: Number(MAX_UINT32) }), periodCount: PERIODS },
      { when: "partnerFirstBps is 0", overrides: () => ({ partnerFirstBps: 0 }), periodCount: PERIODS },
      { when: "partnerFirstBps is 10 000", overrides: () => ({ partnerFirstBps: 10_000 }), periodCount: PERIODS },
      { when: "the term is a single period (n = 1)", overrides: (start: bigint) => ({ endTime: start + PERIOD }), periodCount: 1n },
      { when: "periodDuration is exactly 1 day and n = 120", overrides: (start: bigint) => ({ periodDuration: DAY, endTime: start + 120n * DAY }), periodCount: 120n },
      {
        when: "endTime is the largest 40-bit time",
        overrides: () => ({ startTime: MAX_UINT40 - DAY, endTime: MAX_UINT40, periodDuration: DAY }),
        periodCount: 1n,
      },
    ];
    for (const { when, overrides, periodCount } of boundaries) {
      it(`when ${when}, it accepts the terms and stores them as given (periodCount ${periodCount})`, async function () {
        const { ledger, program, startup2, start, end } = await loadFixture(proposedFixture);
        const terms = termsFor(startup2.address, start, overrides(start, end));
        await expect(ledger.connect(program).createAgreement(terms))
          .to.emit(ledger, "AgreementCreated").withArgs(2n, startup2.address, termsTuple(terms));
        const view = await ledger.agreement(2n);
        expect(view.terms).to.deep.equal(termsTuple(terms));
        expect(view.periodCount).to.equal(periodCount);
      });
    }

    it("when the wallet has a Proposed agreement, it reverts WalletHasOpenAgreement(wallet, id)", async function () {
      const { ledger, program, startup, start } = await loadFixture(proposedFixture);
      await expect(ledger.connect(program).createAgreement(termsFor(startup.address, start)))
        .to.be.revertedWithCustomError(ledger, "WalletHasOpenAgreement").withArgs(startup.address, 1n);
    });

    it("when the wallet has an Active agreement, it reverts WalletHasOpenAgreement(wallet, id)", async function () {
      const { ledger, program, startup, start } = await loadFixture(activeFixture);
      await expect(ledger.connect(program).createAgreement(termsFor(startup.address, start)))
        .to.be.revertedWithCustomError(ledger, "WalletHasOpenAgreement").withArgs(startup.address, 1n);
    });

    it("when the wallet has a Terminated agreement, it reverts WalletHasOpenAgreement(wallet, id)", async function () {
      const { ledger, program, startup, id, start } = await loadFixture(activeFixture);
      await ledger.connect(program).terminateAgreement(id, ethers.id("breach"));
      await expect(ledger.connect(program).createAgreement(termsFor(startup.address, start)))
        .to.be.revertedWithCustomError(ledger, "WalletHasOpenAgreement").withArgs(startup.address, 1n);
    });

    it("when the wallet holds DSXC without an open agreement, it reverts WalletHoldsCredits(wallet, balance)", async function () {
      const f = await loadFixture(proposedFixture);
      await mintAsLedger(f, f.startup2.address, 7n);
      await expect(f.ledger.connect(f.program).createAgreement(termsFor(f.startup2.address, f.start)))
        .to.be.revertedWithCustomError(f.ledger, "WalletHoldsCredits").withArgs(f.startup2.address, 7n);
    });
  });

  describe("acceptAgreement", function () {
    it("when the startup accepts a proposal, it mints creditLimit, records acceptedAt and emits AgreementAccepted", async function () {
      const { ledger, credit, startup, id } = await loadFixture(proposedFixture);
      const t = (await latest()) + 100n;
      await time.setNextBlockTimestamp(t);
      await expect(ledger.connect(startup).acceptAgreement(id))
        .to.emit(ledger, "AgreementAccepted").withArgs(id, CREDIT_LIMIT)
        .and.to.emit(credit, "Transfer").withArgs(ethers.ZeroAddress, startup.address, CREDIT_LIMIT);
      expect(await credit.balanceOf(startup.address)).to.equal(CREDIT_LIMIT);
      expect(await credit.totalSupply()).to.equal(CREDIT_LIMIT);
      const view = await ledger.agreement(id);
      expect(view.status).to.equal(Status.Active);
      expect(view.acceptedAt).to.equal(t);
      expect(view.creditsMinted).to.equal(CREDIT_LIMIT);
    });

    it("when the caller is not the agreement's startup, it reverts NotStartup(id, caller)", async function () {
      const { ledger, startup2, program, id } = await loadFixture(proposedFixture);
      await expect(ledger.connect(startup2).acceptAgreement(id))
        .to.be.revertedWithCustomError(ledger, "NotStartup").withArgs(id, startup2.address);
      await expect(ledger.connect(program).acceptAgreement(id))
        .to.be.revertedWithCustomError(ledger, "NotStartup").withArgs(id, program.address);
    });

    it("when the agreement is already Active, it reverts AgreementWrongStatus(id, Active)", async function () {
      const { ledger, startup, id } = await loadFixture(activeFixture);
      await expect(ledger.connect(startup).acceptAgreement(id))
        .to.be.revertedWithCustomError(ledger, "AgreementWrongStatus").withArgs(id, Status.Active);
    });

    it("when the agreement was Cancelled, it reverts AgreementWrongStatus(id, Cancelled)", async function () {
      const { ledger, program, startup, id } = await loadFixture(proposedFixture);
      await ledger.connect(program).cancelAgreement(id);
      await expect(ledger.connect(startup).acceptAgreement(id))
        .to.be.revertedWithCustomError(ledger, "AgreementWrongStatus").withArgs(id, Status.Cancelled);
    });

    it("when one second of the term is left (endTime - 1), it still accepts", async function () {
      const { ledger, startup, id, end } = await loadFixture(proposedFixture);
      await time.setNextBlockTimestamp(end - 1n);
      await expect(ledger.connect(startup).acceptAgreement(id)).to.emit(ledger, "AgreementAccepted").withArgs(id, CREDIT_LIMIT);
    });

    it("when the term ends at this block (now == endTime), it reverts AcceptanceClosed(id, endTime)", async function () {
      const { ledger, startup, id, end } = await loadFixture(proposedFixture);
      await time.setNextBlockTimestamp(end);
      await expect(ledger.connect(startup).acceptAgreement(id))
        .to.be.revertedWithCustomError(ledger, "AcceptanceClosed").withArgs(id, end);
    });

    it("when the term has ended (now > endTime), it reverts AcceptanceClosed(id, endTime)", async function () {
      const { ledger, startup, id, end } = await loadFixture(proposedFixture);
      await time.increaseTo(end + DAY);
      await expect(ledger.connect(startup).acceptAgreement(id))
        .to.be.revertedWithCustomError(ledger, "AcceptanceClosed").withArgs(id, end);
    });

    it("when the startup already holds DSXC, it reverts WalletHoldsCredits(startup, balance)", async function () {
      const f = await loadFixture(proposedFixture);
      await mintAsLedger(f, f.startup.address, 1n);
      await expect(f.ledger.connect(f.startup).acceptAgreement(f.id))
        .to.be.revertedWithCustomError(f.ledger, "WalletHoldsCredits").withArgs(f.startup.address, 1n);
    });

    it("when the id is unknown, it reverts AgreementNotFound(id)", async function () {
      const { ledger, startup } = await loadFixture(proposedFixture);
      await expect(ledger.connect(startup).acceptAgreement(99n))
        .to.be.revertedWithCustomError(ledger, "AgreementNotFound").withArgs(99n);
      await expect(ledger.connect(startup).acceptAgreement(0n))
        .to.be.revertedWithCustomError(ledger, "AgreementNotFound").withArgs(0n);
    });
  });

  describe("cancelAgreement", function () {
    it("when the agreement is Proposed, it cancels it, frees the wallet and emits AgreementCancelled", async function () {
      const { ledger, program, startup, id } = await loadFixture(proposedFixture);
      await expect(ledger.connect(program).cancelAgreement(id)).to.emit(ledger, "AgreementCancelled").withArgs(id);
      expect((await ledger.agreement(id)).status).to.equal(Status.Cancelled);
      expect(await ledger.openAgreementOf(startup.address)).to.equal(0n);
    });

    it("when a proposal was cancelled, the same wallet can be offered a new agreement and accept it", async function () {
      const { ledger, program, startup, id, start } = await loadFixture(proposedFixture);
      await ledger.connect(program).cancelAgreement(id);
      await expect(ledger.connect(program).createAgreement(termsFor(startup.address, start)))
        .to.emit(ledger, "AgreementCreated").withArgs(2n, startup.address, termsTuple(termsFor(startup.address, start)));
      expect(await ledger.openAgreementOf(startup.address)).to.equal(2n);
      await expect(ledger.connect(startup).acceptAgreement(2n)).to.emit(ledger, "AgreementAccepted").withArgs(2n, CREDIT_LIMIT);
    });

    it("when the agreement is Active, it reverts AgreementWrongStatus(id, Active)", async function () {
      const { ledger, program, id } = await loadFixture(activeFixture);
      await expect(ledger.connect(program).cancelAgreement(id))
        .to.be.revertedWithCustomError(ledger, "AgreementWrongStatus").withArgs(id, Status.Active);
    });

    it("when the agreement is Terminated, it reverts AgreementWrongStatus(id, Terminated)", async function () {
      const { ledger, program, id } = await loadFixture(activeFixture);
      await ledger.connect(program).terminateAgreement(id, ethers.ZeroHash);
      await expect(ledger.connect(program).cancelAgreement(id))
        .to.be.revertedWithCustomError(ledger, "AgreementWrongStatus").withArgs(id, Status.Terminated);
    });

    it("when the agreement is already Cancelled, it reverts AgreementWrongStatus(id, Cancelled)", async function () {
      const { ledger, program, id } = await loadFixture(proposedFixture);
      await ledger.connect(program).cancelAgreement(id);
      await expect(ledger.connect(program).cancelAgreement(id))
        .to.be.revertedWithCustomError(ledger, "AgreementWrongStatus").withArgs(id, Status.Cancelled);
    });

    it("when the id is unknown, it reverts AgreementNotFound(id)", async function () {
      const { ledger, program } = await loadFixture(proposedFixture);
      await expect(ledger.connect(program).cancelAgreement(2n))
        .to.be.revertedWithCustomError(ledger, "AgreementNotFound").withArgs(2n);
    });
  });

  describe("terminateAgreement", function () {
    it("when the agreement is Active, it records terminatedAt = now and emits AgreementTerminated with the reason hash", async function () {
      const { ledger, program, startup, id, start } = await loadFixture(activeFixture);
      const t = start + 10n * DAY;
      const reason = ethers.id("breach: revenue reports withheld");
      await time.setNextBlockTimestamp(t);
      await expect(ledger.connect(program).terminateAgreement(id, reason))
        .to.emit(ledger, "AgreementTerminated").withArgs(id, t, reason);
      const view = await ledger.agreement(id);
      expect(view.status).to.equal(Status.Terminated);
      expect(view.terminatedAt).to.equal(t);
      expect(await ledger.openAgreementOf(startup.address), "a Terminated agreement still holds the wallet").to.equal(id);
      expect(await ledger.reportingClose(id)).to.equal(t + REPORTING_GRACE);
    });

    it("when the agreement is Proposed, it reverts AgreementWrongStatus(id, Proposed)", async function () {
      const { ledger, program, id } = await loadFixture(proposedFixture);
      await expect(ledger.connect(program).terminateAgreement(id, ethers.ZeroHash))
        .to.be.revertedWithCustomError(ledger, "AgreementWrongStatus").withArgs(id, Status.Proposed);
    });

    it("when the agreement is already Terminated, it reverts AgreementWrongStatus(id, Terminated)", async function () {
      const { ledger, program, id } = await loadFixture(activeFixture);
      await ledger.connect(program).terminateAgreement(id, ethers.ZeroHash);
      await expect(ledger.connect(program).terminateAgreement(id, ethers.ZeroHash))
        .to.be.revertedWithCustomError(ledger, "AgreementWrongStatus").withArgs(id, Status.Terminated);
    });

    it("when the agreement has Expired, it reverts AgreementWrongStatus(id, Expired)", async function () {
      const { ledger, program, id, end } = await loadFixture(activeFixture);
      await time.increaseTo(end + REPORTING_GRACE);
      await ledger.expireCredits(id);
      await expect(ledger.connect(program).terminateAgreement(id, ethers.ZeroHash))
        .to.be.revertedWithCustomError(ledger, "AgreementWrongStatus").withArgs(id, Status.Expired);
    });

    it("when the agreement was Cancelled, it reverts AgreementWrongStatus(id, Cancelled)", async function () {
      const { ledger, program, id } = await loadFixture(proposedFixture);
      await ledger.connect(program).cancelAgreement(id);
      await expect(ledger.connect(program).terminateAgreement(id, ethers.ZeroHash))
        .to.be.revertedWithCustomError(ledger, "AgreementWrongStatus").withArgs(id, Status.Cancelled);
    });

    it("when the id is unknown, it reverts AgreementNotFound(id)", async function () {
      const { ledger, program } = await loadFixture(activeFixture);
      await expect(ledger.connect(program).terminateAgreement(5n, ethers.ZeroHash))
        .to.be.revertedWithCustomError(ledger, "AgreementNotFound").withArgs(5n);
    });
  });

  describe("expireCredits", function () {
    it("when the agreement is Active, reportingClose is endTime + REPORTING_GRACE", async function () {
      const { ledger, id, end } = await loadFixture(activeFixture);
      expect(await ledger.lastUnpausedAt()).to.equal(0n);
      expect(await ledger.reportingClose(id)).to.equal(end + REPORTING_GRACE);
    });

    it("when one second before R (now == R - 1), it reverts ReportingStillOpen(id, R)", async function () {
      const { ledger, outsider, id, end } = await loadFixture(activeFixture);
      const R = end + REPORTING_GRACE;
      await time.setNextBlockTimestamp(R - 1n);
      await expect(ledger.connect(outsider).expireCredits(id))
        .to.be.revertedWithCustomError(ledger, "ReportingStillOpen").withArgs(id, R);
    });

    it("when the term has ended but the grace has not, it reverts ReportingStillOpen(id, R)", async function () {
      const { ledger, outsider, id, end } = await loadFixture(activeFixture);
      await time.increaseTo(end);
      await expect(ledger.connect(outsider).expireCredits(id))
        .to.be.revertedWithCustomError(ledger, "ReportingStillOpen").withArgs(id, end + REPORTING_GRACE);
    });

    it("when exactly at R, anyone may expire: it burns the startup's whole balance, frees the wallet and emits CreditsExpired", async function () {
      const { ledger, credit, outsider, startup, id, end } = await loadFixture(activeFixture);
      await time.setNextBlockTimestamp(end + REPORTING_GRACE);
      await expect(ledger.connect(outsider).expireCredits(id))
        .to.emit(ledger, "CreditsExpired").withArgs(id, CREDIT_LIMIT)
        .and.to.emit(credit, "Transfer").withArgs(startup.address, ethers.ZeroAddress, CREDIT_LIMIT);
      expect(await credit.balanceOf(startup.address)).to.equal(0n);
      expect(await credit.totalSupply()).to.equal(0n);
      expect((await ledger.agreement(id)).status).to.equal(Status.Expired);
      expect(await ledger.openAgreementOf(startup.address)).to.equal(0n);
    });

    it("when credits were spent, it burns exactly what is left (creditLimit - spent)", async function () {
      const { ledger, credit, startup, id, spent, end } = await loadFixture(usedFixture);
      await time.increaseTo(end + REPORTING_GRACE);
      await expect(ledger.expireCredits(id)).to.emit(ledger, "CreditsExpired").withArgs(id, CREDIT_LIMIT - spent);
      expect(await credit.balanceOf(startup.address)).to.equal(0n);
      expect(await credit.totalSupply()).to.equal(0n);
    });

    it("when it has expired, the wallet is free for a new agreement", async function () {
      const { ledger, program, startup, id, end } = await loadFixture(activeFixture);
      await time.increaseTo(end + REPORTING_GRACE);
      await ledger.expireCredits(id);
      const terms = termsFor(startup.address, end + PERIOD, { startTime: end + PERIOD, endTime: end + 2n * PERIOD });
      await expect(ledger.connect(program).createAgreement(terms)).to.emit(ledger, "AgreementCreated").withArgs(2n, startup.address, termsTuple(terms));
    });

    it("when Terminated, R counts from terminatedAt: refused at terminatedAt + grace - 1, allowed at terminatedAt + grace", async function () {
      const { ledger, credit, program, outsider, startup, id, start } = await loadFixture(activeFixture);
      const terminatedAt = start + 40n * DAY;
      await time.setNextBlockTimestamp(terminatedAt);
      await ledger.connect(program).terminateAgreement(id, ethers.id("breach"));
      const R = terminatedAt + REPORTING_GRACE;
      expect(await ledger.reportingClose(id)).to.equal(R);
      await time.setNextBlockTimestamp(R - 1n);
      await expect(ledger.connect(outsider).expireCredits(id))
        .to.be.revertedWithCustomError(ledger, "ReportingStillOpen").withArgs(id, R);
      await time.setNextBlockTimestamp(R);
      await expect(ledger.connect(outsider).expireCredits(id)).to.emit(ledger, "CreditsExpired").withArgs(id, CREDIT_LIMIT);
      expect(await credit.balanceOf(startup.address)).to.equal(0n);
      expect((await ledger.agreement(id)).status).to.equal(Status.Expired);
    });

    it("when terminated after endTime, R still counts from endTime (effectiveEnd = min(endTime, terminatedAt))", async function () {
      const { ledger, program, id, end } = await loadFixture(activeFixture);
      await time.setNextBlockTimestamp(end + DAY);
      await ledger.connect(program).terminateAgreement(id, ethers.ZeroHash);
      expect(await ledger.reportingClose(id)).to.equal(end + REPORTING_GRACE);
      await time.setNextBlockTimestamp(end + REPORTING_GRACE);
      await expect(ledger.expireCredits(id)).to.emit(ledger, "CreditsExpired").withArgs(id, CREDIT_LIMIT);
    });

    it("when the ledger was unpaused after the term ended, R is lastUnpausedAt + REPORTING_GRACE", async function () {
      const { ledger, pauser, id, end } = await loadFixture(activeFixture);
      await ledger.connect(pauser).pause();
      const unpausedAt = end + 3n * DAY;
      await time.setNextBlockTimestamp(unpausedAt);
      await ledger.connect(pauser).unpause();
      const R = unpausedAt + REPORTING_GRACE;
      expect(await ledger.reportingClose(id)).to.equal(R);
      await time.setNextBlockTimestamp(R - 1n);
      await expect(ledger.expireCredits(id)).to.be.revertedWithCustomError(ledger, "ReportingStillOpen").withArgs(id, R);
      await time.setNextBlockTimestamp(R);
      await expect(ledger.expireCredits(id)).to.emit(ledger, "CreditsExpired").withArgs(id, CREDIT_LIMIT);
    });

    it("when the agreement is Proposed, it reverts AgreementWrongStatus(id, Proposed)", async function () {
      const { ledger, id, end } = await loadFixture(proposedFixture);
      await time.increaseTo(end + REPORTING_GRACE);
      await expect(ledger.expireCredits(id)).to.be.revertedWithCustomError(ledger, "AgreementWrongStatus").withArgs(id, Status.Proposed);
    });

    it("when the agreement has already Expired, it reverts AgreementWrongStatus(id, Expired)", async function () {
      const { ledger, id, end } = await loadFixture(activeFixture);
      await time.increaseTo(end + REPORTING_GRACE);
      await ledger.expireCredits(id);
      await expect(ledger.expireCredits(id)).to.be.revertedWithCustomError(ledger, "AgreementWrongStatus").withArgs(id, Status.Expired);
    });

    it("when the agreement was Cancelled, it reverts AgreementWrongStatus(id, Cancelled)", async function () {
      const { ledger, program, id, end } = await loadFixture(proposedFixture);
      await ledger.connect(program).cancelAgreement(id);
      await time.increaseTo(end + REPORTING_GRACE);
      await expect(ledger.expireCredits(id)).to.be.revertedWithCustomError(ledger, "AgreementWrongStatus").withArgs(id, Status.Cancelled);
    });

    it("when the id is unknown, it reverts AgreementNotFound(id)", async function () {
      const { ledger } = await loadFixture(activeFixture);
      await expect(ledger.expireCredits(42n)).to.be.revertedWithCustomError(ledger, "AgreementNotFound").withArgs(42n);
    });
  });

  describe("migrateStartup", function () {
    it("when the startup migrates its Active agreement, it happens at once: the balance is burned at the old wallet, minted at the new one, StartupMigrated", async function () {
      const { ledger, credit, startup, relayer, id, spent } = await loadFixture(usedFixture);
      const balance = CREDIT_LIMIT - spent;
      await expect(ledger.connect(startup).migrateStartup(id, relayer.address))
        .to.emit(ledger, "StartupMigrated").withArgs(id, startup.address, relayer.address, balance)
        .and.to.emit(credit, "Transfer").withArgs(startup.address, ethers.ZeroAddress, balance)
        .and.to.emit(credit, "Transfer").withArgs(ethers.ZeroAddress, relayer.address, balance)
        .and.not.to.emit(ledger, "StartupMigrationProposed");
      expect(await credit.balanceOf(startup.address)).to.equal(0n);
      expect(await credit.balanceOf(relayer.address)).to.equal(balance);
      expect(await credit.totalSupply()).to.equal(balance);
      expect((await ledger.agreement(id)).terms.startup).to.equal(relayer.address);
      expect(await ledger.openAgreementOf(startup.address)).to.equal(0n);
      expect(await ledger.openAgreementOf(relayer.address)).to.equal(id);
      expect(await pendingOf(ledger, id)).to.deep.equal(NO_MIGRATION);
    });

    it("when migrated, authorizations and spent stay with the agreement", async function () {
      const { ledger, startup, partnerF, relayer, id, spent } = await loadFixture(usedFixture);
      const before = await ledger.partnerPosition(id, partnerF.address);
      await ledger.connect(startup).migrateStartup(id, relayer.address);
      expect((await ledger.agreement(id)).terms.startup).to.equal(relayer.address);
      const after = await ledger.partnerPosition(id, partnerF.address);
      expect(after).to.deep.equal(before);
      expect(after.spent).to.equal(spent);
      expect(after.spendLimit).to.equal(1_000n * DSXC);
      expect(await ledger.partners(id)).to.deep.equal([partnerF.address]);
    });

    it("when migrated, the new wallet can authorize partners and the old one gets NotStartup", async function () {
      const { ledger, startup, relayer, partnerF, partnerB, id } = await loadFixture(activeFixture);
      await ledger.connect(startup).migrateStartup(id, relayer.address);
      await expect(ledger.connect(startup).authorizePartner(id, partnerB.address, 1n, 1))
        .to.be.revertedWithCustomError(ledger, "NotStartup").withArgs(id, startup.address);
      await expect(ledger.connect(relayer).authorizePartner(id, partnerF.address, 2_000n * DSXC, 16))
        .to.emit(ledger, "PartnerAuthorized");
    });

    it("when migrated, the old wallet is free for another agreement", async function () {
      const { ledger, program, startup, relayer, id, start } = await loadFixture(activeFixture);
      await ledger.connect(startup).migrateStartup(id, relayer.address);
      await expect(ledger.connect(program).createAgreement(termsFor(startup.address, start))).to.emit(ledger, "AgreementCreated");
      expect(await ledger.openAgreementOf(startup.address)).to.equal(2n);
    });

    it("when the agreement is Proposed, the startup moves it with 0 credits and only the new wallet can accept", async function () {
      const { ledger, credit, startup, relayer, id } = await loadFixture(proposedFixture);
      await expect(ledger.connect(startup).migrateStartup(id, relayer.address))
        .to.emit(ledger, "StartupMigrated").withArgs(id, startup.address, relayer.address, 0n)
        .and.not.to.emit(credit, "Transfer");
      await expect(ledger.connect(startup).acceptAgreement(id))
        .to.be.revertedWithCustomError(ledger, "NotStartup").withArgs(id, startup.address);
      await expect(ledger.connect(relayer).acceptAgreement(id)).to.emit(ledger, "AgreementAccepted").withArgs(id, CREDIT_LIMIT);
      expect(await credit.balanceOf(relayer.address)).to.equal(CREDIT_LIMIT);
    });

    it("when the agreement is Terminated, the startup still migrates it (obligations remain)", async function () {
      const { ledger, credit, program, startup, relayer, id } = await loadFixture(activeFixture);
      await ledger.connect(program).terminateAgreement(id, ethers.ZeroHash);
      await expect(ledger.connect(startup).migrateStartup(id, relayer.address))
        .to.emit(ledger, "StartupMigrated").withArgs(id, startup.address, relayer.address, CREDIT_LIMIT);
      expect(await credit.balanceOf(relayer.address)).to.equal(CREDIT_LIMIT);
    });

    it("when PROGRAM calls it, the migration is only proposed: StartupMigrationProposed(id, from, to, now + MIGRATION_NOTICE) and nothing moves", async function () {
      const f = await loadFixture(usedFixture);
      const { ledger, credit, program, startup, relayer, partnerF, id, spent } = f;
      const t = (await latest()) + 10n;
      await time.setNextBlockTimestamp(t);
      await expect(ledger.connect(program).migrateStartup(id, relayer.address))
        .to.emit(ledger, "StartupMigrationProposed").withArgs(id, startup.address, relayer.address, t + MIGRATION_NOTICE)
        .and.not.to.emit(ledger, "StartupMigrated")
        .and.not.to.emit(credit, "Transfer");
      expect(await pendingOf(ledger, id)).to.deep.equal([relayer.address, t + MIGRATION_NOTICE]);
      expect((await ledger.agreement(id)).terms.startup).to.equal(startup.address);
      expect([await credit.balanceOf(startup.address), await credit.balanceOf(relayer.address)]).to.deep.equal([CREDIT_LIMIT - spent, 0n]);
      expect([await ledger.openAgreementOf(startup.address), await ledger.openAgreementOf(relayer.address)]).to.deep.equal([id, 0n]);
      await expect(ledger.connect(relayer).authorizePartner(id, partnerF.address, 1n * DSXC, 1), "the proposed wallet has no say yet")
        .to.be.revertedWithCustomError(ledger, "NotStartup").withArgs(id, relayer.address);
      await expect(ledger.connect(startup).authorizePartner(id, partnerF.address, 2_000n * DSXC, 16)).to.emit(ledger, "PartnerAuthorized");
    });

    it("when PROGRAM proposes again, the newer proposal replaces the older one with a new wallet and a new effectiveAt", async function () {
      const { ledger, program, startup, relayer, payer, id } = await loadFixture(activeFixture);
      const first = await proposeMigration(ledger, program, id, relayer.address);
      await time.increase(DAY);
      const second = await proposeMigration(ledger, program, id, payer.address);
      expect(second).to.equal(first + DAY + 10n);
      expect(await pendingOf(ledger, id)).to.deep.equal([payer.address, second]);
      await time.setNextBlockTimestamp(first);
      await expect(ledger.executeStartupMigration(id), "the older effectiveAt no longer counts")
        .to.be.revertedWithCustomError(ledger, "MigrationNotYetEffective").withArgs(id, second);
      await time.setNextBlockTimestamp(second);
      await expect(ledger.executeStartupMigration(id)).to.emit(ledger, "StartupMigrated").withArgs(id, startup.address, payer.address, CREDIT_LIMIT);
    });

    it("when neither the startup nor PROGRAM calls it (the proposed wallet, a partner, the admin, an outsider), it reverts NotStartupOrProgram(id, caller)", async function () {
      const { ledger, relayer, partnerF, admin, outsider, id } = await loadFixture(activeFixture);
      for (const caller of [relayer, partnerF, admin, outsider]) {
        await expect(ledger.connect(caller).migrateStartup(id, relayer.address))
          .to.be.revertedWithCustomError(ledger, "NotStartupOrProgram").withArgs(id, caller.address);
      }
      expect(await pendingOf(ledger, id)).to.deep.equal(NO_MIGRATION);
    });

    it("when the startup also holds PROGRAM_ROLE, its call counts as the startup's and migrates at once", async function () {
      const { ledger, admin, startup, relayer, id } = await loadFixture(activeFixture);
      await ledger.connect(admin).grantRole(await ledger.PROGRAM_ROLE(), startup.address);
      await expect(ledger.connect(startup).migrateStartup(id, relayer.address))
        .to.emit(ledger, "StartupMigrated").withArgs(id, startup.address, relayer.address, CREDIT_LIMIT)
        .and.not.to.emit(ledger, "StartupMigrationProposed");
    });

    it("when PROGRAM's proposal is pending, the startup's own migration happens at once and ends the proposal", async function () {
      const { ledger, program, startup, relayer, payer, id } = await loadFixture(activeFixture);
      const effectiveAt = await proposeMigration(ledger, program, id, relayer.address);
      await expect(ledger.connect(startup).migrateStartup(id, payer.address))
        .to.emit(ledger, "StartupMigrated").withArgs(id, startup.address, payer.address, CREDIT_LIMIT);
      expect(await pendingOf(ledger, id)).to.deep.equal(NO_MIGRATION);
      await time.increaseTo(effectiveAt);
      await expect(ledger.executeStartupMigration(id)).to.be.revertedWithCustomError(ledger, "NoPendingMigration").withArgs(id);
      expect((await ledger.agreement(id)).terms.startup).to.equal(payer.address);
    });

    for (const who of ["startup", "program"] as const) {
      describe(`target and status checks (called by ${who})`, function () {
        it("when the agreement has Expired, it reverts AgreementWrongStatus(id, Expired)", async function () {
          const f = await loadFixture(activeFixture);
          await time.increaseTo(f.end + REPORTING_GRACE);
          await f.ledger.expireCredits(f.id);
          await expect(f.ledger.connect(f[who]).migrateStartup(f.id, f.relayer.address))
            .to.be.revertedWithCustomError(f.ledger, "AgreementWrongStatus").withArgs(f.id, Status.Expired);
        });

        it("when the agreement was Cancelled, it reverts AgreementWrongStatus(id, Cancelled)", async function () {
          const f = await loadFixture(proposedFixture);
          await f.ledger.connect(f.program).cancelAgreement(f.id);
          await expect(f.ledger.connect(f[who]).migrateStartup(f.id, f.relayer.address))
            .to.be.revertedWithCustomError(f.ledger, "AgreementWrongStatus").withArgs(f.id, Status.Cancelled);
        });

        it("when the new wallet is the zero address, it reverts ZeroAddress", async function () {
          const f = await loadFixture(activeFixture);
          await expect(f.ledger.connect(f[who]).migrateStartup(f.id, ethers.ZeroAddress)).to.be.revertedWithCustomError(f.ledger, "ZeroAddress");
        });

        it("when the new wallet has an open agreement, it reverts WalletHasOpenAgreement(wallet, id)", async function () {
          const f = await loadFixture(activeFixture);
          await f.ledger.connect(f.program).createAgreement(termsFor(f.startup2.address, f.start));
          await expect(f.ledger.connect(f[who]).migrateStartup(f.id, f.startup2.address))
            .to.be.revertedWithCustomError(f.ledger, "WalletHasOpenAgreement").withArgs(f.startup2.address, 2n);
        });

        it("when the new wallet is the current one, it reverts WalletHasOpenAgreement(wallet, id)", async function () {
          const f = await loadFixture(activeFixture);
          await expect(f.ledger.connect(f[who]).migrateStartup(f.id, f.startup.address))
            .to.be.revertedWithCustomError(f.ledger, "WalletHasOpenAgreement").withArgs(f.startup.address, f.id);
        });

        it("when the new wallet holds DSXC, it reverts WalletHoldsCredits(wallet, balance)", async function () {
          const f = await loadFixture(activeFixture);
          await mintAsLedger(f, f.relayer.address, 3n);
          await expect(f.ledger.connect(f[who]).migrateStartup(f.id, f.relayer.address))
            .to.be.revertedWithCustomError(f.ledger, "WalletHoldsCredits").withArgs(f.relayer.address, 3n);
        });

        it("when the id is unknown, it reverts AgreementNotFound(id)", async function () {
          const f = await loadFixture(activeFixture);
          await expect(f.ledger.connect(f[who]).migrateStartup(9n, f.relayer.address))
            .to.be.revertedWithCustomError(f.ledger, "AgreementNotFound").withArgs(9n);
        });
      });
    }
  });

  describe("executeStartupMigration", function () {
    it("when the notice has not passed it reverts MigrationNotYetEffective(id, effectiveAt); from effectiveAt anyone moves the balance of that moment", async function () {
      const f = await loadFixture(usedFixture);
      const { ledger, credit, program, startup, relayer, outsider, id, spent } = f;
      const effectiveAt = await proposeMigration(ledger, program, id, relayer.address);
      // usage during the notice still burns at the current wallet: 10 GPU-hours = 25 DSXC more
      await submitF(f, 1n, f.start + HOUR, f.start + 2n * HOUR, 36_000n);
      const balance = CREDIT_LIMIT - 2n * spent;
      await time.setNextBlockTimestamp(effectiveAt - 1n);
      await expect(ledger.connect(outsider).executeStartupMigration(id))
        .to.be.revertedWithCustomError(ledger, "MigrationNotYetEffective").withArgs(id, effectiveAt);
      await time.setNextBlockTimestamp(effectiveAt);
      await expect(ledger.connect(outsider).executeStartupMigration(id))
        .to.emit(ledger, "StartupMigrated").withArgs(id, startup.address, relayer.address, balance)
        .and.to.emit(credit, "Transfer").withArgs(startup.address, ethers.ZeroAddress, balance)
        .and.to.emit(credit, "Transfer").withArgs(ethers.ZeroAddress, relayer.address, balance);
      expect((await ledger.agreement(id)).terms.startup).to.equal(relayer.address);
      expect([await credit.balanceOf(startup.address), await credit.balanceOf(relayer.address)]).to.deep.equal([0n, balance]);
      expect([await ledger.openAgreementOf(startup.address), await ledger.openAgreementOf(relayer.address)]).to.deep.equal([0n, id]);
      expect(await pendingOf(ledger, id)).to.deep.equal(NO_MIGRATION);
      await expect(ledger.executeStartupMigration(id), "a proposal executes once")
        .to.be.revertedWithCustomError(ledger, "NoPendingMigration").withArgs(id);
    });

    it("when no migration was proposed, it reverts NoPendingMigration(id)", async function () {
      const { ledger, id } = await loadFixture(activeFixture);
      await expect(ledger.executeStartupMigration(id)).to.be.revertedWithCustomError(ledger, "NoPendingMigration").withArgs(id);
    });

    it("when the proposed wallet took an agreement or credits during the notice, it reverts WalletHasOpenAgreement / WalletHoldsCredits (checked again)", async function () {
      const f = await loadFixture(activeFixture);
      const { ledger, program, relayer, id, start } = f;
      const effectiveAt = await proposeMigration(ledger, program, id, relayer.address);
      await ledger.connect(program).createAgreement(termsFor(relayer.address, start));
      await time.increaseTo(effectiveAt);
      await expect(ledger.executeStartupMigration(id))
        .to.be.revertedWithCustomError(ledger, "WalletHasOpenAgreement").withArgs(relayer.address, 2n);
      await ledger.connect(program).cancelAgreement(2n);
      await mintAsLedger(f, relayer.address, 5n);
      await expect(ledger.executeStartupMigration(id))
        .to.be.revertedWithCustomError(ledger, "WalletHoldsCredits").withArgs(relayer.address, 5n);
      expect(await pendingOf(ledger, id), "a refused execution leaves the proposal pending").to.deep.equal([relayer.address, effectiveAt]);
    });

    it("when the agreement was terminated during the notice, the proposal still executes (obligations remain)", async function () {
      const { ledger, program, startup, relayer, id } = await loadFixture(activeFixture);
      const effectiveAt = await proposeMigration(ledger, program, id, relayer.address);
      await ledger.connect(program).terminateAgreement(id, ethers.ZeroHash);
      await time.increaseTo(effectiveAt);
      await expect(ledger.executeStartupMigration(id)).to.emit(ledger, "StartupMigrated").withArgs(id, startup.address, relayer.address, CREDIT_LIMIT);
    });

    it("when the id is unknown, it reverts AgreementNotFound(id)", async function () {
      const { ledger } = await loadFixture(activeFixture);
      await expect(ledger.executeStartupMigration(9n)).to.be.revertedWithCustomError(ledger, "AgreementNotFound").withArgs(9n);
    });
  });

  describe("cancelStartupMigration", function () {
    it("when the startup cancels one second before effectiveAt, StartupMigrationCancelled(id), the view is cleared and nothing is left to execute", async function () {
      const { ledger, credit, program, startup, relayer, id } = await loadFixture(activeFixture);
      const effectiveAt = await proposeMigration(ledger, program, id, relayer.address);
      await time.setNextBlockTimestamp(effectiveAt - 1n);
      await expect(ledger.connect(startup).cancelStartupMigration(id)).to.emit(ledger, "StartupMigrationCancelled").withArgs(id);
      expect(await pendingOf(ledger, id)).to.deep.equal(NO_MIGRATION);
      await time.increaseTo(effectiveAt);
      await expect(ledger.executeStartupMigration(id)).to.be.revertedWithCustomError(ledger, "NoPendingMigration").withArgs(id);
      expect((await ledger.agreement(id)).terms.startup).to.equal(startup.address);
      expect(await credit.balanceOf(startup.address)).to.equal(CREDIT_LIMIT);
    });

    it("when PROGRAM withdraws its own proposal, it is cancelled the same way", async function () {
      const { ledger, program, relayer, id } = await loadFixture(activeFixture);
      await proposeMigration(ledger, program, id, relayer.address);
      await expect(ledger.connect(program).cancelStartupMigration(id)).to.emit(ledger, "StartupMigrationCancelled").withArgs(id);
      expect(await pendingOf(ledger, id)).to.deep.equal(NO_MIGRATION);
    });

    it("when now == effectiveAt, it reverts MigrationAlreadyEffective(id, effectiveAt) and the migration can be executed", async function () {
      const { ledger, program, startup, relayer, id } = await loadFixture(activeFixture);
      const effectiveAt = await proposeMigration(ledger, program, id, relayer.address);
      await time.setNextBlockTimestamp(effectiveAt);
      await expect(ledger.connect(startup).cancelStartupMigration(id))
        .to.be.revertedWithCustomError(ledger, "MigrationAlreadyEffective").withArgs(id, effectiveAt);
      await expect(ledger.connect(program).cancelStartupMigration(id))
        .to.be.revertedWithCustomError(ledger, "MigrationAlreadyEffective").withArgs(id, effectiveAt);
      await expect(ledger.executeStartupMigration(id)).to.emit(ledger, "StartupMigrated");
    });

    it("when nothing is pending (never proposed, or already executed), it reverts NoPendingMigration(id)", async function () {
      const { ledger, program, startup, relayer, id } = await loadFixture(activeFixture);
      await expect(ledger.connect(startup).cancelStartupMigration(id)).to.be.revertedWithCustomError(ledger, "NoPendingMigration").withArgs(id);
      const effectiveAt = await proposeMigration(ledger, program, id, relayer.address);
      await time.increaseTo(effectiveAt);
      await ledger.executeStartupMigration(id);
      await expect(ledger.connect(relayer).cancelStartupMigration(id)).to.be.revertedWithCustomError(ledger, "NoPendingMigration").withArgs(id);
    });

    it("when neither the startup nor PROGRAM calls it (the proposed wallet, a partner, an outsider), it reverts NotStartupOrProgram(id, caller)", async function () {
      const { ledger, program, relayer, partnerF, outsider, id } = await loadFixture(activeFixture);
      const effectiveAt = await proposeMigration(ledger, program, id, relayer.address);
      for (const caller of [relayer, partnerF, outsider]) {
        await expect(ledger.connect(caller).cancelStartupMigration(id))
          .to.be.revertedWithCustomError(ledger, "NotStartupOrProgram").withArgs(id, caller.address);
      }
      expect(await pendingOf(ledger, id)).to.deep.equal([relayer.address, effectiveAt]);
    });

    it("when the id is unknown, it reverts AgreementNotFound(id)", async function () {
      const { ledger, startup } = await loadFixture(activeFixture);
      await expect(ledger.connect(startup).cancelStartupMigration(9n)).to.be.revertedWithCustomError(ledger, "AgreementNotFound").withArgs(9n);
    });
  });

  describe("a pending migration ends with the agreement", function () {
    it("when the Proposed agreement is cancelled, the proposal ends with it (no event of its own): executing it reverts NoPendingMigration", async function () {
      const { ledger, program, relayer, id } = await loadFixture(proposedFixture);
      const effectiveAt = await proposeMigration(ledger, program, id, relayer.address);
      await expect(ledger.connect(program).cancelAgreement(id))
        .to.emit(ledger, "AgreementCancelled").withArgs(id)
        .and.not.to.emit(ledger, "StartupMigrationCancelled");
      expect(await pendingOf(ledger, id)).to.deep.equal(NO_MIGRATION);
      await time.increaseTo(effectiveAt);
      await expect(ledger.executeStartupMigration(id)).to.be.revertedWithCustomError(ledger, "NoPendingMigration").withArgs(id);
    });

    it("when the credits expire, the proposal ends with them: executing it reverts NoPendingMigration", async function () {
      const { ledger, program, relayer, id, end } = await loadFixture(activeFixture);
      const close = end + REPORTING_GRACE;
      await time.increaseTo(close - DAY);
      const effectiveAt = await proposeMigration(ledger, program, id, relayer.address);
      await time.increaseTo(close);
      await expect(ledger.expireCredits(id)).to.emit(ledger, "CreditsExpired").and.not.to.emit(ledger, "StartupMigrationCancelled");
      expect(await pendingOf(ledger, id)).to.deep.equal(NO_MIGRATION);
      await time.increaseTo(effectiveAt);
      await expect(ledger.executeStartupMigration(id)).to.be.revertedWithCustomError(ledger, "NoPendingMigration").withArgs(id);
      expect(await ledger.openAgreementOf(relayer.address)).to.equal(0n);
    });
  });

  describe("authorizePartner", function () {
    /** The authorization part of partnerPosition, as a plain object. */
    async function limits(f: Ctx, partner: string) {
      const p = await f.ledger.partnerPosition(f.id, partner);
      return {
        spendLimit: p.spendLimit, maxGpus: p.maxGpus, pendingSpendLimit: p.pendingSpendLimit,
        pendingSpendLimitAt: p.pendingSpendLimitAt, pendingMaxGpus: p.pendingMaxGpus, pendingMaxGpusAt: p.pendingMaxGpusAt,
      };
    }
    const none = { pendingSpendLimit: 0n, pendingSpendLimitAt: 0n, pendingMaxGpus: 0n, pendingMaxGpusAt: 0n };

    it("when the startup authorizes a partner on a Proposed agreement, it lists it, applies at once and emits effectiveAt = now", async function () {
      const f = await loadFixture(proposedFixture);
      const t = (await latest()) + 10n;
      await time.setNextBlockTimestamp(t);
      await expect(f.ledger.connect(f.startup).authorizePartner(f.id, f.partnerF.address, 500n * DSXC, 8))
        .to.emit(f.ledger, "PartnerAuthorized").withArgs(f.id, f.partnerF.address, 500n * DSXC, 8, t);
      expect(await limits(f, f.partnerF.address)).to.deep.equal({ spendLimit: 500n * DSXC, maxGpus: 8n, ...none });
      expect(await f.ledger.partners(f.id)).to.deep.equal([f.partnerF.address]);
      expect((await f.ledger.agreement(f.id)).partnerCount).to.equal(1n);
    });

    it("when both fields increase, they apply at once with effectiveAt = now", async function () {
      const f = await loadFixture(activeFixture);
      const t = (await latest()) + 10n;
      await time.setNextBlockTimestamp(t);
      await expect(f.ledger.connect(f.startup).authorizePartner(f.id, f.partnerF.address, 2_000n * DSXC, 32))
        .to.emit(f.ledger, "PartnerAuthorized").withArgs(f.id, f.partnerF.address, 2_000n * DSXC, 32, t);
      expect(await limits(f, f.partnerF.address)).to.deep.equal({ spendLimit: 2_000n * DSXC, maxGpus: 32n, ...none });
      expect(await f.ledger.partners(f.id), "a partner is listed once").to.deep.equal([f.partnerF.address]);
    });

    it("when both fields decrease, the old values rule for AUTH_NOTICE and the new ones from then on", async function () {
      const f = await loadFixture(activeFixture);
      const t = (await latest()) + 10n;
      const effectiveAt = t + AUTH_NOTICE;
      await time.setNextBlockTimestamp(t);
      await expect(f.ledger.connect(f.startup).authorizePartner(f.id, f.partnerF.address, 400n * DSXC, 4))
        .to.emit(f.ledger, "PartnerAuthorized").withArgs(f.id, f.partnerF.address, 400n * DSXC, 4, effectiveAt);
      const pending = {
        spendLimit: 1_000n * DSXC, maxGpus: 16n, pendingSpendLimit: 400n * DSXC, pendingSpendLimitAt: effectiveAt,
        pendingMaxGpus: 4n, pendingMaxGpusAt: effectiveAt,
      };
      expect(await limits(f, f.partnerF.address)).to.deep.equal(pending);
      await time.increaseTo(effectiveAt - 2n);
      expect(await limits(f, f.partnerF.address), "still in notice").to.deep.equal(pending);
      await time.increaseTo(effectiveAt);
      expect(await limits(f, f.partnerF.address)).to.deep.equal({ spendLimit: 400n * DSXC, maxGpus: 4n, ...none });
    });

    it("when one field increases and the other decreases, the increase applies at once and the decrease waits", async function () {
      const f = await loadFixture(activeFixture);
      const t = (await latest()) + 10n;
      await time.setNextBlockTimestamp(t);
      await expect(f.ledger.connect(f.startup).authorizePartner(f.id, f.partnerF.address, 3_000n * DSXC, 2))
        .to.emit(f.ledger, "PartnerAuthorized").withArgs(f.id, f.partnerF.address, 3_000n * DSXC, 2, t + AUTH_NOTICE);
      expect(await limits(f, f.partnerF.address)).to.deep.equal({
        spendLimit: 3_000n * DSXC, maxGpus: 16n, pendingSpendLimit: 0n, pendingSpendLimitAt: 0n,
        pendingMaxGpus: 2n, pendingMaxGpusAt: t + AUTH_NOTICE,
      });
    });

    it("when a decrease is pending, a new decrease replaces it with a new notice", async function () {
      const f = await loadFixture(activeFixture);
      const t1 = (await latest()) + 10n;
      await time.setNextBlockTimestamp(t1);
      await f.ledger.connect(f.startup).authorizePartner(f.id, f.partnerF.address, 400n * DSXC, 16);
      const t2 = t1 + DAY;
      await time.setNextBlockTimestamp(t2);
      await expect(f.ledger.connect(f.startup).authorizePartner(f.id, f.partnerF.address, 600n * DSXC, 16))
        .to.emit(f.ledger, "PartnerAuthorized").withArgs(f.id, f.partnerF.address, 600n * DSXC, 16, t2 + AUTH_NOTICE);
      expect(await limits(f, f.partnerF.address)).to.deep.equal({
        spendLimit: 1_000n * DSXC, maxGpus: 16n, pendingSpendLimit: 600n * DSXC, pendingSpendLimitAt: t2 + AUTH_NOTICE,
        pendingMaxGpus: 0n, pendingMaxGpusAt: 0n,
      });
      await time.increaseTo(t1 + AUTH_NOTICE);
      expect((await limits(f, f.partnerF.address)).spendLimit, "the replaced decrease never applies").to.equal(1_000n * DSXC);
      await time.increaseTo(t2 + AUTH_NOTICE);
      expect((await limits(f, f.partnerF.address)).spendLimit).to.equal(600n * DSXC);
    });

    it("when a decrease is pending, re-stating the current values cancels it", async function () {
      const f = await loadFixture(activeFixture);
      await f.ledger.connect(f.startup).authorizePartner(f.id, f.partnerF.address, 400n * DSXC, 4);
      const t = (await latest()) + 10n;
      await time.setNextBlockTimestamp(t);
      await expect(f.ledger.connect(f.startup).authorizePartner(f.id, f.partnerF.address, 1_000n * DSXC, 16))
        .to.emit(f.ledger, "PartnerAuthorized").withArgs(f.id, f.partnerF.address, 1_000n * DSXC, 16, t);
      await time.increase(AUTH_NOTICE);
      expect(await limits(f, f.partnerF.address)).to.deep.equal({ spendLimit: 1_000n * DSXC, maxGpus: 16n, ...none });
    });

    it("when maxGpus decreases, usage reported within the notice is still checked against the old bound", async function () {
      const f = await loadFixture(usedFixture);
      await f.ledger.connect(f.startup).authorizePartner(f.id, f.partnerF.address, 1_000n * DSXC, 1);
      // 8 GPUs for one hour: within the old bound of 16, above the pending 1
      await expect(submitF(f, 1n, f.start + HOUR, f.start + 2n * HOUR, 8n * 3_600n)).to.emit(f.ledger, "UsageRecorded");
      await time.increase(AUTH_NOTICE);
      const batchId = await f.ledger.usageBatchId(f.partnerF.address, 2n, f.start + 2n * HOUR, f.start + 3n * HOUR, ethers.id("F-records-2"));
      await expect(submitF(f, 2n, f.start + 2n * HOUR, f.start + 3n * HOUR, 8n * 3_600n))
        .to.emit(f.ledger, "UsageLineRejected").withArgs(batchId, f.id, H100, Rejection.OverGpuBound);
    });

    it("when spendLimit decreases, usage within the notice is checked against the old limit and after it against the new one", async function () {
      const f = await loadFixture(usedFixture);
      await f.ledger.connect(f.startup).authorizePartner(f.id, f.partnerF.address, 30n * DSXC, 16);
      // 20 DSXC more: spent 45 > the pending 30, within the 1 000 still in force
      await expect(submitF(f, 1n, f.start + HOUR, f.start + 2n * HOUR, 8n * 3_600n))
        .to.emit(f.ledger, "UsageRecorded").withArgs(anyValue, f.id, f.partnerF.address, H100, 8n * 3_600n, 20n * DSXC, 14n * DSXC);
      await time.increase(AUTH_NOTICE);
      const batchId = await f.ledger.usageBatchId(f.partnerF.address, 2n, f.start + 2n * HOUR, f.start + 3n * HOUR, ethers.id("F-records-2"));
      await expect(submitF(f, 2n, f.start + 2n * HOUR, f.start + 3n * HOUR, 3_600n))
        .to.emit(f.ledger, "UsageLineRejected").withArgs(batchId, f.id, H100, Rejection.OverAuthorization);
      expect((await f.ledger.partnerPosition(f.id, f.partnerF.address)).spent).to.equal(45n * DSXC);
    });

    it("when a decrease has taken effect, the next call is measured against the decreased values", async function () {
      const f = await loadFixture(activeFixture);
      await f.ledger.connect(f.startup).authorizePartner(f.id, f.partnerF.address, 400n * DSXC, 4);
      await time.increase(AUTH_NOTICE);
      const t = (await latest()) + 10n;
      await time.setNextBlockTimestamp(t);
      // 500 / 8 is below the old 1 000 / 16 but above the 400 / 4 now in force: an increase, at once
      await expect(f.ledger.connect(f.startup).authorizePartner(f.id, f.partnerF.address, 500n * DSXC, 8))
        .to.emit(f.ledger, "PartnerAuthorized").withArgs(f.id, f.partnerF.address, 500n * DSXC, 8, t);
      expect(await limits(f, f.partnerF.address)).to.deep.equal({ spendLimit: 500n * DSXC, maxGpus: 8n, ...none });
    });

    it("when spendLimit is below what was already spent, it reverts SpendLimitBelowSpent(id, partner, spendLimit, spent)", async function () {
      const f = await loadFixture(usedFixture);
      expect((await f.ledger.partnerPosition(f.id, f.partnerF.address)).spent).to.equal(f.spent);
      await expect(f.ledger.connect(f.startup).authorizePartner(f.id, f.partnerF.address, f.spent - 1n, 16))
        .to.be.revertedWithCustomError(f.ledger, "SpendLimitBelowSpent").withArgs(f.id, f.partnerF.address, f.spent - 1n, f.spent);
    });

    it("when spendLimit equals what was already spent, it is accepted (as a pending decrease)", async function () {
      const f = await loadFixture(usedFixture);
      const t = (await latest()) + 10n;
      await time.setNextBlockTimestamp(t);
      await expect(f.ledger.connect(f.startup).authorizePartner(f.id, f.partnerF.address, f.spent, 16))
        .to.emit(f.ledger, "PartnerAuthorized").withArgs(f.id, f.partnerF.address, f.spent, 16, t + AUTH_NOTICE);
    });

    it("when 16 partners are listed, a 17th reverts TooManyPartners(id) while listed ones can still be updated", async function () {
      const f = await loadFixture(proposedFixture);
      const extra = Array.from({ length: 17 }, (_, i) => addressNo(i));
      for (const p of extra) await f.ledger.connect(f.program).registerPartner(p, [f.fKey.address], 1, 5_000);
      for (const p of extra.slice(0, 16)) await f.ledger.connect(f.startup).authorizePartner(f.id, p, DSXC, 1);
      expect((await f.ledger.agreement(f.id)).partnerCount).to.equal(16n);
      await expect(f.ledger.connect(f.startup).authorizePartner(f.id, extra[16], DSXC, 1))
        .to.be.revertedWithCustomError(f.ledger, "TooManyPartners").withArgs(f.id);
      await expect(f.ledger.connect(f.startup).authorizePartner(f.id, extra[3], 2n * DSXC, 2)).to.emit(f.ledger, "PartnerAuthorized");
      expect(await f.ledger.partners(f.id)).to.deep.equal(extra.slice(0, 16));
    });

    it("when the partner is not registered, it reverts PartnerNotRegistered(partner)", async function () {
      const { ledger, startup, outsider, id } = await loadFixture(activeFixture);
      await expect(ledger.connect(startup).authorizePartner(id, outsider.address, DSXC, 1))
        .to.be.revertedWithCustomError(ledger, "PartnerNotRegistered").withArgs(outsider.address);
    });

    it("when the caller is not the agreement's startup, it reverts NotStartup(id, caller)", async function () {
      const { ledger, partnerF, id } = await loadFixture(activeFixture);
      await expect(ledger.connect(partnerF).authorizePartner(id, partnerF.address, 5_000n * DSXC, 64))
        .to.be.revertedWithCustomError(ledger, "NotStartup").withArgs(id, partnerF.address);
    });

    it("when maxGpus is 2^24, it reverts ValueTooLarge(2^24, 2^24 - 1)", async function () {
      const { ledger, startup, partnerF, id } = await loadFixture(activeFixture);
      await expect(ledger.connect(startup).authorizePartner(id, partnerF.address, DSXC * 1_000n, MAX_UINT24 + 1n))
        .to.be.revertedWithCustomError(ledger, "ValueTooLarge").withArgs(MAX_UINT24 + 1n, MAX_UINT24);
    });

    it("when spendLimit is 2^56, it reverts ValueTooLarge(2^56, 2^56 - 1)", async function () {
      const { ledger, startup, partnerF, id } = await loadFixture(activeFixture);
      await expect(ledger.connect(startup).authorizePartner(id, partnerF.address, MAX_SPEND_LIMIT + 1n, 16))
        .to.be.revertedWithCustomError(ledger, "ValueTooLarge").withArgs(MAX_SPEND_LIMIT + 1n, MAX_SPEND_LIMIT);
    });

    it("when spendLimit is 2^64 (past any uint64 too), it reverts ValueTooLarge(2^64, 2^56 - 1)", async function () {
      const { ledger, startup, partnerF, id } = await loadFixture(activeFixture);
      await expect(ledger.connect(startup).authorizePartner(id, partnerF.address, MAX_UINT64 + 1n, 16))
        .to.be.revertedWithCustomError(ledger, "ValueTooLarge").withArgs(MAX_UINT64 + 1n, MAX_SPEND_LIMIT);
    });

    it("when spendLimit is 2^56 - 1 and maxGpus 2^24 - 1, it stores both", async function () {
      const f = await loadFixture(activeFixture);
      await f.ledger.connect(f.startup).authorizePartner(f.id, f.partnerF.address, MAX_SPEND_LIMIT, MAX_UINT24);
      expect(await limits(f, f.partnerF.address)).to.deep.equal({ spendLimit: MAX_SPEND_LIMIT, maxGpus: MAX_UINT24, ...none });
    });

    it("when the agreement is Terminated, the startup may still authorize", async function () {
      const { ledger, program, startup, partnerB, id } = await loadFixture(activeFixture);
      await ledger.connect(program).terminateAgreement(id, ethers.ZeroHash);
      await expect(ledger.connect(startup).authorizePartner(id, partnerB.address, DSXC, 1)).to.emit(ledger, "PartnerAuthorized");
    });

    it("when the agreement has Expired, it reverts AgreementWrongStatus(id, Expired)", async function () {
      const { ledger, startup, partnerF, id, end } = await loadFixture(activeFixture);
      await time.increaseTo(end + REPORTING_GRACE);
      await ledger.expireCredits(id);
      await expect(ledger.connect(startup).authorizePartner(id, partnerF.address, DSXC, 1))
        .to.be.revertedWithCustomError(ledger, "AgreementWrongStatus").withArgs(id, Status.Expired);
    });

    it("when the agreement was Cancelled, it reverts AgreementWrongStatus(id, Cancelled)", async function () {
      const { ledger, program, startup, partnerF, id } = await loadFixture(proposedFixture);
      await ledger.connect(program).cancelAgreement(id);
      await expect(ledger.connect(startup).authorizePartner(id, partnerF.address, DSXC, 1))
        .to.be.revertedWithCustomError(ledger, "AgreementWrongStatus").withArgs(id, Status.Cancelled);
    });

    it("when the id is unknown, it reverts AgreementNotFound(id)", async function () {
      const { ledger, startup, partnerF } = await loadFixture(activeFixture);
      await expect(ledger.connect(startup).authorizePartner(3n, partnerF.address, DSXC, 1))
        .to.be.revertedWithCustomError(ledger, "AgreementNotFound").withArgs(3n);
    });
  });

  describe("agreement (view)", function () {
    it("when Proposed, it shows the terms, status Proposed and zero figures", async function () {
      const { ledger, terms, id } = await loadFixture(proposedFixture);
      const v = await ledger.agreement(id);
      expect(v.terms).to.deep.equal(termsTuple(terms));
      expect(v.status).to.equal(Status.Proposed);
      expect([v.acceptedAt, v.terminatedAt, v.creditsMinted, v.consumed, v.cap, v.obligation, v.paid, v.outstanding])
        .to.deep.equal([0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n]);
      expect([v.delinquent, v.nextDue, v.nextPeriodToFinalize, v.periodCount, v.partnerCount])
        .to.deep.equal([false, 0n, 0n, PERIODS, 0n]);
    });

    it("through usage, finalization, a late partial payment and a full payment, it reports every field", async function () {
      const f = await loadFixture(usedFixture);
      const { ledger, usdc, payer, revKey, id, terms, spent } = f;
      const acceptedAt = (await ledger.agreement(id)).acceptedAt;
      const cap = (spent * 15_000n) / 10_000n; // 37.5
      let v = await ledger.agreement(id);
      expect(v.terms).to.deep.equal(termsTuple(terms));
      expect(v.status).to.equal(Status.Active);
      expect(acceptedAt).to.be.greaterThan(0n);
      expect([v.terminatedAt, v.creditsMinted, v.consumed, v.cap, v.obligation, v.paid, v.outstanding])
        .to.deep.equal([0n, CREDIT_LIMIT, spent, cap, 0n, 0n, 0n]);
      expect([v.delinquent, v.nextDue, v.nextPeriodToFinalize, v.periodCount, v.partnerCount])
        .to.deep.equal([false, 0n, 0n, PERIODS, 1n]);

      // period 0: revenue 1 000 -> share 80 -> owed min(80, cap 37.5) = 37.5
      await time.increaseTo(f.start + PERIOD);
      const report = { agreementId: id, periodIndex: 0, revenue: 1_000n * USDC, evidenceHash: ethers.id("p0") as `0x${string}`, version: 1 };
      await ledger.submitRevenue(report, await signRevenueReport([revKey], report, f.chainId, f.ledgerAddress));
      const finalizedAt = (await latest()) + DISPUTE_WINDOW;
      await time.setNextBlockTimestamp(finalizedAt);
      await ledger.finalizeRevenue(id, 0);
      const due = finalizedAt + terms.gracePeriod;
      v = await ledger.agreement(id);
      expect([v.obligation, v.paid, v.outstanding, v.delinquent, v.nextDue, v.nextPeriodToFinalize])
        .to.deep.equal([cap, 0n, cap, false, due, 1n]);

      await usdc.mint(payer.address, cap);
      await usdc.connect(payer).approve(f.ledgerAddress, cap);
      await ledger.connect(payer).pay(id, 10n * USDC);
      await time.increaseTo(due - 10n);
      v = await ledger.agreement(id);
      expect([v.paid, v.outstanding, v.delinquent, v.nextDue]).to.deep.equal([10n * USDC, cap - 10n * USDC, false, due]);
      await time.increaseTo(due);
      expect((await ledger.agreement(id)).delinquent, "unpaid at its due date").to.equal(true);

      await ledger.connect(payer).pay(id, cap);
      v = await ledger.agreement(id);
      expect([v.obligation, v.paid, v.outstanding, v.delinquent, v.nextDue]).to.deep.equal([cap, cap, 0n, false, 0n]);
      expect([v.acceptedAt, v.terminatedAt, v.creditsMinted, v.consumed, v.cap]).to.deep.equal([acceptedAt, 0n, CREDIT_LIMIT, spent, cap]);
    });

    it("when Terminated, it shows status Terminated and terminatedAt", async function () {
      const { ledger, program, id, start } = await loadFixture(activeFixture);
      const t = start + 5n * DAY;
      await time.setNextBlockTimestamp(t);
      await ledger.connect(program).terminateAgreement(id, ethers.ZeroHash);
      const v = await ledger.agreement(id);
      expect([v.status, v.terminatedAt, v.creditsMinted]).to.deep.equal([BigInt(Status.Terminated), t, CREDIT_LIMIT]);
    });

    it("when the id is unknown, it returns status None and an empty record (mutators revert AgreementNotFound)", async function () {
      const { ledger } = await loadFixture(proposedFixture);
      const v = await ledger.agreement(7n);
      expect(v.status).to.equal(Status.None);
      expect(v.terms.startup).to.equal(ethers.ZeroAddress);
      expect(v.periodCount).to.equal(0n);
    });

    it("when the id is unknown, reportingClose reverts AgreementNotFound(id)", async function () {
      const { ledger } = await loadFixture(proposedFixture);
      await expect(ledger.reportingClose(7n)).to.be.revertedWithCustomError(ledger, "AgreementNotFound").withArgs(7n);
    });
  });

  describe("openAgreementOf / agreementCount", function () {
    it("when nothing was created, agreementCount is 0 and no wallet has an open agreement", async function () {
      const { ledger, startup } = await loadFixture(deployLedgerFixture);
      expect(await ledger.agreementCount()).to.equal(0n);
      expect(await ledger.openAgreementOf(startup.address)).to.equal(0n);
    });

    it("when agreements are created, cancelled and expired, agreementCount only grows and openAgreementOf follows the open one", async function () {
      const { ledger, program, startup, startup2, id, end, start } = await loadFixture(activeFixture);
      await ledger.connect(program).createAgreement(termsFor(startup2.address, start));
      expect([await ledger.agreementCount(), await ledger.openAgreementOf(startup2.address)]).to.deep.equal([2n, 2n]);
      await ledger.connect(program).cancelAgreement(2n);
      expect([await ledger.agreementCount(), await ledger.openAgreementOf(startup2.address)]).to.deep.equal([2n, 0n]);
      await time.increaseTo(end + REPORTING_GRACE);
      await ledger.expireCredits(id);
      expect([await ledger.agreementCount(), await ledger.openAgreementOf(startup.address)]).to.deep.equal([2n, 0n]);
    });
  });
});

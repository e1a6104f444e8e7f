import { expect } from "chai";
import { ethers } from "hardhat";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { loadFixture, time, takeSnapshot, type SnapshotRestorer } from "@nomicfoundation/hardhat-network-helpers";
import {
  deployLedgerFixture, signUsageBatch, signRevenueReport, addressesOf, H100, B200, DAY, HOUR, USDC, MIGRATION_NOTICE,
} from "../helpers/fixture";
import { DEFAULT_ADMIN_DELAY } from "../../scripts/lib/deployLedger";

const DSXC = 1_000_000n;
const latest = async () => BigInt(await time.latest());

/** The callers of the matrix: one holder of each role, the agreement's startup, a partner and an outsider. */
const CALLERS = ["admin", "program", "auditor", "pauser", "startup", "partner", "outsider"] as const;
type Caller = (typeof CALLERS)[number];

function termsFor(startup: string, start: bigint) {
  return {
    startup, creditLimit: 10_000n * DSXC, revenueShareBps: 1_000, capMultipleBps: 15_000, partnerFirstBps: 5_000,
    startTime: start, endTime: start + 30n * DAY, periodDuration: DAY, gracePeriod: 15n * DAY, termsHash: ethers.id("terms"),
  };
}

/** Agreement 1 for `startup`, only Proposed: the state in which acceptAgreement can succeed. */
async function proposalFixture() {
  const f = await deployLedgerFixture();
  const start = ((await latest()) / DAY + 1n) * DAY;
  await f.ledger.connect(f.program).createAgreement(termsFor(f.startup.address, start));
  return { ...f, start, batchA: ethers.ZeroHash, batchB: ethers.ZeroHash, linesA: [] as AcceptedLine[] };
}

interface AcceptedLine { agreementId: bigint; sku: string; gpuSeconds: bigint; credits: bigint }

/**
 * A ledger in which every privileged call has something to act on:
 * - agreement 1 (startup) Active with partner F authorized; agreement 2 (startup2) Proposed;
 * - partner F's batch A (disputed by the startup, so resolvable) and batch B (undisputed, inside its window);
 * - revenue period 0 Pending (disputable) and period 1 Disputed (resolvable).
 */
async function matrixFixture() {
  const f = await deployLedgerFixture();
  const { ledger, program, auditor, startup, startup2, partnerF, oracleKeys } = f;
  const [fKey, , revKey] = oracleKeys;
  const now = await latest();
  await ledger.connect(program).registerPartner(partnerF.address, [fKey.address], 1, 7_000);
  await ledger.connect(program).setRevenueSigners([revKey.address], 1);
  await ledger.connect(program).scheduleRate(partnerF.address, H100, 2_500_000n, (now / HOUR) * HOUR);
  const start = (now / DAY + 1n) * DAY;
  await ledger.connect(program).createAgreement(termsFor(startup.address, start));
  await ledger.connect(startup).acceptAgreement(1n);
  await ledger.connect(startup).authorizePartner(1n, partnerF.address, 1_000n * DSXC, 16);
  await ledger.connect(program).createAgreement(termsFor(startup2.address, start));

  await time.increaseTo(start + 2n * DAY + 60n);
  const batchIds: string[] = [];
  for (const sequence of [0n, 1n]) {
    const periodStart = start + sequence * HOUR;
    const batch = {
      partner: partnerF.address as `0x${string}`, sequence, periodStart, periodEnd: periodStart + HOUR,
      recordsRoot: ethers.id(`records-${sequence}`) as `0x${string}`, lines: [{ agreementId: 1n, sku: H100, gpuSeconds: 36_000n }],
    };
    await ledger.submitUsage(batch, await signUsageBatch([fKey], batch, f.chainId, f.ledgerAddress));
    batchIds.push(await ledger.usageBatchId(partnerF.address, sequence, periodStart, periodStart + HOUR, batch.recordsRoot));
  }
  const [batchA, batchB] = batchIds;
  await ledger.connect(startup).disputeUsage(batchA, 1n, ethers.id("too much"));
  for (const periodIndex of [0, 1]) {
    const report = { agreementId: 1n, periodIndex, revenue: 1_000n * USDC, evidenceHash: ethers.id(`p${periodIndex}`) as `0x${string}`, version: 1 };
    await ledger.submitRevenue(report, await signRevenueReport([revKey], report, f.chainId, f.ledgerAddress));
  }
  await ledger.connect(auditor).disputeRevenue(1n, 1, ethers.id("inflated"));
  const linesA: AcceptedLine[] = [{ agreementId: 1n, sku: H100, gpuSeconds: 36_000n, credits: 25n * DSXC }];
  return { ...f, start, batchA, batchB, linesA };
}

type Ctx = Awaited<ReturnType<typeof matrixFixture>>;

interface Row {
  fn: string;
  /**
   * Who may call it (the matrix's column names) and the event each one's call emits: PROGRAM's call on someone
   * else's wallet, signers or payout address only proposes, so it emits another event than the party's own call.
   */
  allowed: Partial<Record<Caller, string>>;
  fixture: () => Promise<Ctx>;
  setup?: (f: Ctx) => Promise<unknown>;
  call: (f: Ctx, signer: HardhatEthersSigner) => Promise<ContractTransactionResponse>;
  /**
   * The refusal of everyone else: a role, the agreement's startup only, startup-or-auditor, the startup or PROGRAM,
   * the partner or PROGRAM; "anyone" when nobody is refused.
   */
  guard:
    | "PROGRAM_ROLE" | "AUDITOR_ROLE" | "PAUSER_ROLE" | "DEFAULT_ADMIN_ROLE" | "NotStartup" | "UsageDisputeNotAllowed"
    | "NotStartupOrProgram" | "NotPartnerOrProgram" | "anyone";
}

const PROGRAM = (event: string): Partial<Record<Caller, string>> => ({ program: event });
const EVERYONE = (event: string): Partial<Record<Caller, string>> => Object.fromEntries(CALLERS.map((c) => [c, event]));
/** PROGRAM's proposal of a migration of agreement 1 to the relayer's wallet (free: no agreement, no DSXC). */
const proposeMigration = (f: Ctx) => f.ledger.connect(f.program).migrateStartup(1n, f.relayer.address);

const ROWS: Row[] = [
  {
    fn: "createAgreement", allowed: PROGRAM("AgreementCreated"), guard: "PROGRAM_ROLE", fixture: matrixFixture,
    call: (f, s) => f.ledger.connect(s).createAgreement(termsFor(f.payer.address, f.start)),
  },
  {
    fn: "cancelAgreement", allowed: PROGRAM("AgreementCancelled"), guard: "PROGRAM_ROLE", fixture: matrixFixture,
    call: (f, s) => f.ledger.connect(s).cancelAgreement(2n),
  },
  {
    fn: "terminateAgreement", allowed: PROGRAM("AgreementTerminated"), guard: "PROGRAM_ROLE", fixture: matrixFixture,
    call: (f, s) => f.ledger.connect(s).terminateAgreement(1n, ethers.id("breach")),
  },
  {
    fn: "migrateStartup", allowed: { startup: "StartupMigrated", program: "StartupMigrationProposed" }, guard: "NotStartupOrProgram",
    fixture: matrixFixture, call: (f, s) => f.ledger.connect(s).migrateStartup(1n, f.relayer.address),
  },
  {
    fn: "cancelStartupMigration", allowed: { startup: "StartupMigrationCancelled", program: "StartupMigrationCancelled" },
    guard: "NotStartupOrProgram", fixture: matrixFixture, setup: proposeMigration,
    call: (f, s) => f.ledger.connect(s).cancelStartupMigration(1n),
  },
  {
    fn: "executeStartupMigration", allowed: EVERYONE("StartupMigrated"), guard: "anyone", fixture: matrixFixture,
    setup: async (f) => {
      await proposeMigration(f);
      await time.increase(MIGRATION_NOTICE);
    },
    call: (f, s) => f.ledger.connect(s).executeStartupMigration(1n),
  },
  {
    fn: "registerPartner", allowed: PROGRAM("PartnerRegistered"), guard: "PROGRAM_ROLE", fixture: matrixFixture,
    call: (f, s) => f.ledger.connect(s).registerPartner(f.partnerB.address, [f.oracleKeys[3].address], 1, 8_000),
  },
  {
    fn: "setPartnerSigners", allowed: { partner: "PartnerSignersSet", program: "PartnerSignersProposed" }, guard: "NotPartnerOrProgram",
    fixture: matrixFixture,
    call: (f, s) => f.ledger.connect(s).setPartnerSigners(f.partnerF.address, addressesOf(f.oracleKeys.slice(3, 5)), 2),
  },
  {
    fn: "setPayoutAddress", allowed: { partner: "PayoutAddressSet", program: "PayoutAddressSet" }, guard: "NotPartnerOrProgram",
    fixture: matrixFixture, call: (f, s) => f.ledger.connect(s).setPayoutAddress(f.partnerF.address, f.payer.address),
  },
  {
    fn: "setPartnerActive", allowed: PROGRAM("PartnerActiveSet"), guard: "PROGRAM_ROLE", fixture: matrixFixture,
    call: (f, s) => f.ledger.connect(s).setPartnerActive(f.partnerF.address, false),
  },
  {
    fn: "scheduleRate", allowed: PROGRAM("RateScheduled"), guard: "PROGRAM_ROLE", fixture: matrixFixture,
    call: async (f, s) => f.ledger.connect(s).scheduleRate(f.partnerF.address, B200, 5_000_000n, ((await latest()) / HOUR + 1n) * HOUR),
  },
  {
    // the matrix fixture already has a revenue signer set: every later one is a proposal
    fn: "setRevenueSigners", allowed: PROGRAM("RevenueSignersProposed"), guard: "PROGRAM_ROLE", fixture: matrixFixture,
    call: (f, s) => f.ledger.connect(s).setRevenueSigners([f.oracleKeys[4].address], 1),
  },
  {
    fn: "setRevenueSigners (the first set)", allowed: PROGRAM("RevenueSignersSet"), guard: "PROGRAM_ROLE", fixture: proposalFixture,
    call: (f, s) => f.ledger.connect(s).setRevenueSigners([f.oracleKeys[4].address], 1),
  },
  {
    fn: "resolveUsageDispute", allowed: PROGRAM("UsageDisputeResolved"), guard: "PROGRAM_ROLE", fixture: matrixFixture,
    call: (f, s) => f.ledger.connect(s).resolveUsageDispute(f.batchA, 1n, f.partnerF.address, f.linesA, 5n * DSXC),
  },
  {
    fn: "resolveRevenueDispute", allowed: PROGRAM("RevenueDisputeResolved"), guard: "PROGRAM_ROLE", fixture: matrixFixture,
    call: (f, s) => f.ledger.connect(s).resolveRevenueDispute(1n, 1, true),
  },
  {
    fn: "disputeRevenue", allowed: { auditor: "RevenueDisputed" }, guard: "AUDITOR_ROLE", fixture: matrixFixture,
    call: (f, s) => f.ledger.connect(s).disputeRevenue(1n, 0, ethers.id("evidence missing")),
  },
  {
    fn: "recordAudit", allowed: { auditor: "AuditRecorded" }, guard: "AUDITOR_ROLE", fixture: matrixFixture,
    call: async (f, s) => f.ledger.connect(s).recordAudit(1n, await ethers.provider.getBlockNumber(), ethers.id("report"), true),
  },
  { fn: "pause", allowed: { pauser: "Paused" }, guard: "PAUSER_ROLE", fixture: matrixFixture, call: (f, s) => f.ledger.connect(s).pause() },
  {
    fn: "unpause", allowed: { pauser: "Unpaused" }, guard: "PAUSER_ROLE", fixture: matrixFixture,
    setup: (f) => f.ledger.connect(f.pauser).pause(), call: (f, s) => f.ledger.connect(s).unpause(),
  },
  {
    fn: "setTreasury", allowed: { admin: "TreasurySet" }, guard: "DEFAULT_ADMIN_ROLE", fixture: matrixFixture,
    call: (f, s) => f.ledger.connect(s).setTreasury(f.payer.address),
  },
  {
    fn: "grantRole", allowed: { admin: "RoleGranted" }, guard: "DEFAULT_ADMIN_ROLE", fixture: matrixFixture,
    call: async (f, s) => f.ledger.connect(s).grantRole(await f.ledger.AUDITOR_ROLE(), f.payer.address),
  },
  {
    fn: "revokeRole", allowed: { admin: "RoleRevoked" }, guard: "DEFAULT_ADMIN_ROLE", fixture: matrixFixture,
    call: async (f, s) => f.ledger.connect(s).revokeRole(await f.ledger.AUDITOR_ROLE(), f.auditor.address),
  },
  {
    fn: "beginDefaultAdminTransfer", allowed: { admin: "DefaultAdminTransferScheduled" }, guard: "DEFAULT_ADMIN_ROLE", fixture: matrixFixture,
    call: (f, s) => f.ledger.connect(s).beginDefaultAdminTransfer(f.payer.address),
  },
  {
    fn: "acceptAgreement", allowed: { startup: "AgreementAccepted" }, guard: "NotStartup", fixture: proposalFixture,
    call: (f, s) => f.ledger.connect(s).acceptAgreement(1n),
  },
  {
    fn: "authorizePartner", allowed: { startup: "PartnerAuthorized" }, guard: "NotStartup", fixture: matrixFixture,
    call: (f, s) => f.ledger.connect(s).authorizePartner(1n, f.partnerF.address, 2_000n * DSXC, 32),
  },
  {
    fn: "disputeUsage", allowed: { startup: "UsageDisputed", auditor: "UsageDisputed" }, guard: "UsageDisputeNotAllowed",
    fixture: matrixFixture, call: (f, s) => f.ledger.connect(s).disputeUsage(f.batchB, 1n, ethers.id("double-billed")),
  },
];

function signerOf(f: Ctx, caller: Caller): HardhatEthersSigner {
  return caller === "partner" ? f.partnerF : f[caller];
}

describe("RevenueShareLedger: access-control matrix", function () {
  // Fixtures travel in time; put the clock back for the files that run after this one.
  let clean: SnapshotRestorer;
  before(async function () {
    clean = await takeSnapshot();
  });
  after(async function () {
    await clean.restore();
  });

  for (const row of ROWS) {
    const callers = Object.keys(row.allowed) as Caller[];
    describe(`${row.fn} [${row.guard === "anyone" ? "anyone" : callers.join(" | ")}]`, function () {
      for (const caller of CALLERS) {
        const event = row.allowed[caller];
        const refusal = row.guard === "NotStartup" ? `NotStartup(1, ${caller})`
          : row.guard === "UsageDisputeNotAllowed" ? `UsageDisputeNotAllowed(${caller})`
          : row.guard === "NotStartupOrProgram" ? `NotStartupOrProgram(1, ${caller})`
          : row.guard === "NotPartnerOrProgram" ? `NotPartnerOrProgram(partner, ${caller})`
          : `AccessControlUnauthorizedAccount(${caller}, ${row.guard})`;
        // the events other allowed callers' calls emit (e.g. StartupMigrated for PROGRAM's mere proposal)
        const others = [...new Set(Object.values(row.allowed))].filter((e) => e !== event);
        const passes = `passes the access check and emits ${event}${others.length ? `, not ${others.join(", ")}` : ""}`;
        it(`when called by ${caller}, it ${event ? passes : `reverts ${refusal}`}`, async function () {
          const f = await loadFixture(row.fixture);
          if (row.setup) await row.setup(f);
          const signer = signerOf(f, caller);
          // resolve the role first: the call's promise must have its handler attached before any other await
          const role = row.guard === "DEFAULT_ADMIN_ROLE" ? ethers.ZeroHash
            : row.guard.endsWith("_ROLE") ? await f.ledger[row.guard as "PROGRAM_ROLE" | "AUDITOR_ROLE" | "PAUSER_ROLE"]() : undefined;
          const tx = row.call(f, signer);
          if (event) {
            await expect(tx).to.emit(f.ledger, event);
            for (const other of others) await expect(tx).not.to.emit(f.ledger, other);
          } else if (row.guard === "NotStartup") {
            await expect(tx).to.be.revertedWithCustomError(f.ledger, "NotStartup").withArgs(1n, signer.address);
          } else if (row.guard === "UsageDisputeNotAllowed") {
            await expect(tx).to.be.revertedWithCustomError(f.ledger, "UsageDisputeNotAllowed").withArgs(signer.address);
          } else if (row.guard === "NotStartupOrProgram") {
            await expect(tx).to.be.revertedWithCustomError(f.ledger, "NotStartupOrProgram").withArgs(1n, signer.address);
          } else if (row.guard === "NotPartnerOrProgram") {
            await expect(tx).to.be.revertedWithCustomError(f.ledger, "NotPartnerOrProgram").withArgs(f.partnerF.address, signer.address);
          } else {
            await expect(tx).to.be.revertedWithCustomError(f.ledger, "AccessControlUnauthorizedAccount").withArgs(signer.address, role);
          }
        });
      }
    });
  }

  describe("role constants and holders", function () {
    it("when deployed, the roles are keccak256 of their names and each actor holds only its own", async function () {
      const f = await loadFixture(matrixFixture);
      const roles = {
        DEFAULT_ADMIN_ROLE: ethers.ZeroHash, PROGRAM_ROLE: ethers.id("PROGRAM_ROLE"), AUDITOR_ROLE: ethers.id("AUDITOR_ROLE"),
        PAUSER_ROLE: ethers.id("PAUSER_ROLE"),
      };
      expect(await f.ledger.DEFAULT_ADMIN_ROLE()).to.equal(roles.DEFAULT_ADMIN_ROLE);
      expect(await f.ledger.PROGRAM_ROLE()).to.equal(roles.PROGRAM_ROLE);
      expect(await f.ledger.AUDITOR_ROLE()).to.equal(roles.AUDITOR_ROLE);
      expect(await f.ledger.PAUSER_ROLE()).to.equal(roles.PAUSER_ROLE);
      const holder: Record<keyof typeof roles, Caller> = {
        DEFAULT_ADMIN_ROLE: "admin", PROGRAM_ROLE: "program", AUDITOR_ROLE: "auditor", PAUSER_ROLE: "pauser",
      };
      for (const [name, role] of Object.entries(roles) as [keyof typeof roles, string][]) {
        for (const caller of CALLERS) {
          expect(await f.ledger.hasRole(role, signerOf(f, caller).address), `${caller} holds ${name}`).to.equal(caller === holder[name]);
        }
        expect(await f.ledger.getRoleAdmin(role), `${name} is administered by DEFAULT_ADMIN_ROLE`).to.equal(ethers.ZeroHash);
      }
    });

    it("when the admin grants PROGRAM_ROLE to an outsider, the outsider gets past the PROGRAM checks", async function () {
      const f = await loadFixture(matrixFixture);
      await f.ledger.connect(f.admin).grantRole(await f.ledger.PROGRAM_ROLE(), f.outsider.address);
      await expect(f.ledger.connect(f.outsider).setPartnerActive(f.partnerF.address, false)).to.emit(f.ledger, "PartnerActiveSet");
    });

    it("when the admin revokes PROGRAM_ROLE, the former holder reverts AccessControlUnauthorizedAccount", async function () {
      const f = await loadFixture(matrixFixture);
      const role = await f.ledger.PROGRAM_ROLE();
      await expect(f.ledger.connect(f.admin).revokeRole(role, f.program.address))
        .to.emit(f.ledger, "RoleRevoked").withArgs(role, f.program.address, f.admin.address);
      await expect(f.ledger.connect(f.program).setPartnerActive(f.partnerF.address, false))
        .to.be.revertedWithCustomError(f.ledger, "AccessControlUnauthorizedAccount").withArgs(f.program.address, role);
    });

    it("when an auditor loses AUDITOR_ROLE, it can no longer dispute usage of an agreement that is not its own", async function () {
      const f = await loadFixture(matrixFixture);
      await f.ledger.connect(f.admin).revokeRole(await f.ledger.AUDITOR_ROLE(), f.auditor.address);
      await expect(f.ledger.connect(f.auditor).disputeUsage(f.batchB, 1n, ethers.ZeroHash))
        .to.be.revertedWithCustomError(f.ledger, "UsageDisputeNotAllowed").withArgs(f.auditor.address);
    });
  });

  describe("DEFAULT_ADMIN_ROLE: one holder, handed over in two steps after the delay (AccessControlDefaultAdminRules)", function () {
    it("when deployed, the constructor's admin is the one defaultAdmin, the delay is the constructor's and nothing is pending", async function () {
      const f = await loadFixture(matrixFixture);
      expect(await f.ledger.defaultAdmin()).to.equal(f.admin.address);
      expect(await f.ledger.defaultAdminDelay()).to.equal(DEFAULT_ADMIN_DELAY);
      const [pending, schedule] = await f.ledger.pendingDefaultAdmin();
      expect([pending, schedule]).to.deep.equal([ethers.ZeroAddress, 0n]);
    });

    it("when the admin grants DEFAULT_ADMIN_ROLE to anyone, it reverts AccessControlEnforcedDefaultAdminRules and nobody gains it", async function () {
      const f = await loadFixture(matrixFixture);
      for (const who of [f.outsider, f.program]) {
        await expect(f.ledger.connect(f.admin).grantRole(ethers.ZeroHash, who.address))
          .to.be.revertedWithCustomError(f.ledger, "AccessControlEnforcedDefaultAdminRules");
        expect(await f.ledger.hasRole(ethers.ZeroHash, who.address)).to.equal(false);
      }
      await expect(f.ledger.connect(f.admin).revokeRole(ethers.ZeroHash, f.admin.address), "nor can it be revoked in one step")
        .to.be.revertedWithCustomError(f.ledger, "AccessControlEnforcedDefaultAdminRules");
      expect(await f.ledger.defaultAdmin()).to.equal(f.admin.address);
    });

    it("when the admin begins a transfer, the new admin may accept only after the delay, then alone sets the treasury and grants roles", async function () {
      const f = await loadFixture(matrixFixture);
      const next = f.outsider;
      const begunAt = (await latest()) + 10n;
      await time.setNextBlockTimestamp(begunAt);
      const schedule = begunAt + DEFAULT_ADMIN_DELAY;
      await expect(f.ledger.connect(f.admin).beginDefaultAdminTransfer(next.address))
        .to.emit(f.ledger, "DefaultAdminTransferScheduled").withArgs(next.address, schedule);
      const [pending, at] = await f.ledger.pendingDefaultAdmin();
      expect([pending, at]).to.deep.equal([next.address, schedule]);

      // until the delay has passed the old admin rules and the new one cannot accept (OpenZeppelin: schedule < now)
      await expect(f.ledger.connect(f.admin).setTreasury(f.payer.address)).to.emit(f.ledger, "TreasurySet").withArgs(f.payer.address);
      await expect(f.ledger.connect(next).setTreasury(next.address))
        .to.be.revertedWithCustomError(f.ledger, "AccessControlUnauthorizedAccount").withArgs(next.address, ethers.ZeroHash);
      await time.setNextBlockTimestamp(schedule);
      await expect(f.ledger.connect(next).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(f.ledger, "AccessControlEnforcedDefaultAdminDelay").withArgs(schedule);
      await expect(f.ledger.connect(f.program).acceptDefaultAdminTransfer(), "only the pending admin may accept")
        .to.be.revertedWithCustomError(f.ledger, "AccessControlInvalidDefaultAdmin").withArgs(f.program.address);

      await expect(f.ledger.connect(next).acceptDefaultAdminTransfer())
        .to.emit(f.ledger, "RoleRevoked").withArgs(ethers.ZeroHash, f.admin.address, next.address)
        .and.to.emit(f.ledger, "RoleGranted").withArgs(ethers.ZeroHash, next.address, next.address);
      expect(await f.ledger.defaultAdmin()).to.equal(next.address);
      expect(await f.ledger.hasRole(ethers.ZeroHash, f.admin.address)).to.equal(false);

      await expect(f.ledger.connect(f.admin).setTreasury(f.admin.address))
        .to.be.revertedWithCustomError(f.ledger, "AccessControlUnauthorizedAccount").withArgs(f.admin.address, ethers.ZeroHash);
      await expect(f.ledger.connect(next).setTreasury(f.relayer.address)).to.emit(f.ledger, "TreasurySet").withArgs(f.relayer.address);
      expect(await f.ledger.treasury()).to.equal(f.relayer.address);
      const programRole = await f.ledger.PROGRAM_ROLE();
      await expect(f.ledger.connect(next).grantRole(programRole, f.relayer.address))
        .to.emit(f.ledger, "RoleGranted").withArgs(programRole, f.relayer.address, next.address);
    });

    it("when the admin cancels a pending transfer, the would-be admin can never accept it", async function () {
      const f = await loadFixture(matrixFixture);
      await f.ledger.connect(f.admin).beginDefaultAdminTransfer(f.outsider.address);
      await expect(f.ledger.connect(f.admin).cancelDefaultAdminTransfer()).to.emit(f.ledger, "DefaultAdminTransferCanceled");
      await time.increase(DEFAULT_ADMIN_DELAY + 1n);
      await expect(f.ledger.connect(f.outsider).acceptDefaultAdminTransfer())
        .to.be.revertedWithCustomError(f.ledger, "AccessControlInvalidDefaultAdmin").withArgs(f.outsider.address);
      expect(await f.ledger.defaultAdmin()).to.equal(f.admin.address);
    });
  });
});

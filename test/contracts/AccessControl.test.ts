import { expect } from "chai";
import { ethers } from "hardhat";
import type { ContractTransactionResponse } from "ethers";
import type { HardhatEthersSigner } from "@nomicfoundation/hardhat-ethers/signers";
import { loadFixture, time, takeSnapshot, type SnapshotRestorer } from "@nomicfoundation/hardhat-network-helpers";
import {
  deployLedgerFixture, signUsageBatch, signRevenueReport, addressesOf, H100, B200, DAY, HOUR, USDC,
} from "../helpers/fixture";

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
  /** Who may call it, as the matrix's column names. */
  allowed: Caller[];
  fixture: () => Promise<Ctx>;
  setup?: (f: Ctx) => Promise<unknown>;
  call: (f: Ctx, signer: HardhatEthersSigner) => Promise<ContractTransactionResponse>;
  /** The event a call that passes the access check emits. */
  event: string;
  /** The refusal of everyone else: a role, the agreement's startup only, or startup-or-auditor. */
  guard: "PROGRAM_ROLE" | "AUDITOR_ROLE" | "PAUSER_ROLE" | "DEFAULT_ADMIN_ROLE" | "NotStartup" | "UsageDisputeNotAllowed";
}

const PROGRAM: Caller[] = ["program"];
const ROWS: Row[] = [
  {
    fn: "createAgreement", allowed: PROGRAM, guard: "PROGRAM_ROLE", fixture: matrixFixture, event: "AgreementCreated",
    call: (f, s) => f.ledger.connect(s).createAgreement(termsFor(f.payer.address, f.start)),
  },
  { fn: "cancelAgreement", allowed: PROGRAM, guard: "PROGRAM_ROLE", fixture: matrixFixture, event: "AgreementCancelled", call: (f, s) => f.ledger.connect(s).cancelAgreement(2n) },
  {
    fn: "terminateAgreement", allowed: PROGRAM, guard: "PROGRAM_ROLE", fixture: matrixFixture, event: "AgreementTerminated",
    call: (f, s) => f.ledger.connect(s).terminateAgreement(1n, ethers.id("breach")),
  },
  {
    fn: "migrateStartup", allowed: PROGRAM, guard: "PROGRAM_ROLE", fixture: matrixFixture, event: "StartupMigrated",
    call: (f, s) => f.ledger.connect(s).migrateStartup(1n, f.relayer.address),
  },
  {
    fn: "registerPartner", allowed: PROGRAM, guard: "PROGRAM_ROLE", fixture: matrixFixture, event: "PartnerRegistered",
    call: (f, s) => f.ledger.connect(s).registerPartner(f.partnerB.address, [f.oracleKeys[3].address], 1, 8_000),
  },
  {
    fn: "setPartnerSigners", allowed: PROGRAM, guard: "PROGRAM_ROLE", fixture: matrixFixture, event: "PartnerSignersSet",
    call: (f, s) => f.ledger.connect(s).setPartnerSigners(f.partnerF.address, addressesOf(f.oracleKeys.slice(3, 5)), 2),
  },
  {
    fn: "setPartnerActive", allowed: PROGRAM, guard: "PROGRAM_ROLE", fixture: matrixFixture, event: "PartnerActiveSet",
    call: (f, s) => f.ledger.connect(s).setPartnerActive(f.partnerF.address, false),
  },
  {
    fn: "scheduleRate", allowed: PROGRAM, guard: "PROGRAM_ROLE", fixture: matrixFixture, event: "RateScheduled",
    call: async (f, s) => f.ledger.connect(s).scheduleRate(f.partnerF.address, B200, 5_000_000n, ((await latest()) / HOUR + 1n) * HOUR),
  },
  {
    fn: "setRevenueSigners", allowed: PROGRAM, guard: "PROGRAM_ROLE", fixture: matrixFixture, event: "RevenueSignersSet",
    call: (f, s) => f.ledger.connect(s).setRevenueSigners([f.oracleKeys[4].address], 1),
  },
  {
    fn: "resolveUsageDispute", allowed: PROGRAM, guard: "PROGRAM_ROLE", fixture: matrixFixture, event: "UsageDisputeResolved",
    call: (f, s) => f.ledger.connect(s).resolveUsageDispute(f.batchA, 1n, f.partnerF.address, f.linesA, 5n * DSXC),
  },
  {
    fn: "resolveRevenueDispute", allowed: PROGRAM, guard: "PROGRAM_ROLE", fixture: matrixFixture, event: "RevenueDisputeResolved",
    call: (f, s) => f.ledger.connect(s).resolveRevenueDispute(1n, 1, true),
  },
  {
    fn: "disputeRevenue", allowed: ["auditor"], guard: "AUDITOR_ROLE", fixture: matrixFixture, event: "RevenueDisputed",
    call: (f, s) => f.ledger.connect(s).disputeRevenue(1n, 0, ethers.id("evidence missing")),
  },
  {
    fn: "recordAudit", allowed: ["auditor"], guard: "AUDITOR_ROLE", fixture: matrixFixture, event: "AuditRecorded",
    call: async (f, s) => f.ledger.connect(s).recordAudit(1n, await ethers.provider.getBlockNumber(), ethers.id("report"), true),
  },
  { fn: "pause", allowed: ["pauser"], guard: "PAUSER_ROLE", fixture: matrixFixture, event: "Paused", call: (f, s) => f.ledger.connect(s).pause() },
  {
    fn: "unpause", allowed: ["pauser"], guard: "PAUSER_ROLE", fixture: matrixFixture, event: "Unpaused",
    setup: (f) => f.ledger.connect(f.pauser).pause(), call: (f, s) => f.ledger.connect(s).unpause(),
  },
  {
    fn: "setTreasury", allowed: ["admin"], guard: "DEFAULT_ADMIN_ROLE", fixture: matrixFixture, event: "TreasurySet",
    call: (f, s) => f.ledger.connect(s).setTreasury(f.payer.address),
  },
  {
    fn: "grantRole", allowed: ["admin"], guard: "DEFAULT_ADMIN_ROLE", fixture: matrixFixture, event: "RoleGranted",
    call: async (f, s) => f.ledger.connect(s).grantRole(await f.ledger.AUDITOR_ROLE(), f.payer.address),
  },
  {
    fn: "revokeRole", allowed: ["admin"], guard: "DEFAULT_ADMIN_ROLE", fixture: matrixFixture, event: "RoleRevoked",
    call: async (f, s) => f.ledger.connect(s).revokeRole(await f.ledger.AUDITOR_ROLE(), f.auditor.address),
  },
  {
    fn: "acceptAgreement", allowed: ["startup"], guard: "NotStartup", fixture: proposalFixture, event: "AgreementAccepted",
    call: (f, s) => f.ledger.connect(s).acceptAgreement(1n),
  },
  {
    fn: "authorizePartner", allowed: ["startup"], guard: "NotStartup", fixture: matrixFixture, event: "PartnerAuthorized",
    call: (f, s) => f.ledger.connect(s).authorizePartner(1n, f.partnerF.address, 2_000n * DSXC, 32),
  },
  {
    fn: "disputeUsage", allowed: ["startup", "auditor"], guard: "UsageDisputeNotAllowed", fixture: matrixFixture, event: "UsageDisputed",
    call: (f, s) => f.ledger.connect(s).disputeUsage(f.batchB, 1n, ethers.id("double-billed")),
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
    describe(`${row.fn} [${row.allowed.join(" | ")}]`, function () {
      for (const caller of CALLERS) {
        const allowed = row.allowed.includes(caller);
        const refusal = row.guard === "NotStartup" ? `NotStartup(1, ${caller})`
          : row.guard === "UsageDisputeNotAllowed" ? `UsageDisputeNotAllowed(${caller})`
          : `AccessControlUnauthorizedAccount(${caller}, ${row.guard})`;
        it(`when called by ${caller}, it ${allowed ? `passes the access check and emits ${row.event}` : `reverts ${refusal}`}`, async function () {
          const f = await loadFixture(row.fixture);
          if (row.setup) await row.setup(f);
          const signer = signerOf(f, caller);
          // resolve the role first: the call's promise must have its handler attached before any other await
          const role = row.guard === "DEFAULT_ADMIN_ROLE" ? ethers.ZeroHash
            : row.guard.endsWith("_ROLE") ? await f.ledger[row.guard as "PROGRAM_ROLE" | "AUDITOR_ROLE" | "PAUSER_ROLE"]() : undefined;
          const tx = row.call(f, signer);
          if (allowed) {
            await expect(tx).to.emit(f.ledger, row.event);
          } else if (row.guard === "NotStartup") {
            await expect(tx).to.be.revertedWithCustomError(f.ledger, "NotStartup").withArgs(1n, signer.address);
          } else if (row.guard === "UsageDisputeNotAllowed") {
            await expect(tx).to.be.revertedWithCustomError(f.ledger, "UsageDisputeNotAllowed").withArgs(signer.address);
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
});

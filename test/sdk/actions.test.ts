// sdk/actions/* on a real hardhat node, one agreement's life in order: the program sets up a partner, a rate, the
// revenue signers and an agreement; the startup accepts and authorizes; usage is billed, disputed and refunded;
// revenue is reported, disputed, cleared and finalized; the startup pays with a permit; the partner and the program
// claim; signer sets, payout addresses and wallets change at once or with a notice; the admin pauses, grants and
// moves its role; the auditor records an audit; the credits expire. Each step checks what the action returned
// against the chain. The oracles' submissions are signed here with the sdk's EIP-712 types.
import { expect } from "chai";
import { keccak256, stringToHex, zeroAddress, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { dsxCreditAbi, mockUsdcAbi, revenueShareLedgerAbi } from "../../sdk/abis";
import { openLedgerContext, type LedgerContext } from "../../sdk/context";
import type { Deployment } from "../../sdk/deployment";
import { ledgerDomain, revenueReportTypes, skuToBytes32, usageBatchId, usageBatchTypes, type RevenueReport, type UsageBatch } from "../../sdk/eip712";
import { FatalError, LedgerRevertError, ValidationError } from "../../sdk/errors";
import { blockTimeOf, chainNow, execute, ledgerCall } from "../../sdk/execute";
import * as shareMath from "../../sdk/shareMath";
import type { AgreementTerms } from "../../sdk/types";
import { ROLES } from "../../sdk/values";
import {
  acceptDefaultAdminTransfer, beginDefaultAdminTransfer, cancelDefaultAdminTransfer, grantRole, pause, revokeRole, setTreasury, unpause,
} from "../../sdk/actions/admin";
import { claim, claimProgram, executeStartupMigration, expireCredits, finalizeRevenue } from "../../sdk/actions/anyone";
import { disputeRevenue, recordAudit } from "../../sdk/actions/auditor";
import { setPartnerSigners, setPayoutAddress } from "../../sdk/actions/partner";
import {
  cancelAgreement, createAgreement, registerPartner, resolveRevenueDispute, resolveUsageDispute, scheduleRate, setPartnerActive, setRevenueSigners,
  terminateAgreement,
} from "../../sdk/actions/program";
import { readAdmin, readPartner, readPendingMigration, readRevenueSigners, usageBatchLines } from "../../sdk/actions/read";
import { approveSettlement, mintSettlement } from "../../sdk/actions/settlement";
import { acceptAgreement, authorizePartner, cancelStartupMigration, disputeUsage, migrateStartup, pay } from "../../sdk/actions/startup";
import { advanceTime, deployTo, NODE_KEYS, startHardhatNode, type RunningNode } from "../helpers/hardhatNode";
import { rejectionOf } from "./support";

const K = NODE_KEYS as unknown as Hex[];
const DAY = 86_400n;
const HOUR = 3_600n;
const UNIT = 1_000_000n;
const SKU = "h100-sxm";


describe("sdk/actions: one agreement's life on a real node", function () {
  this.timeout(240_000);
  let node: RunningNode;
  let deployment: Deployment;
  /** K0: admin, PROGRAM, AUDITOR, PAUSER and treasury (deploy's defaults on a local chain). */
  let program: LedgerContext;
  let startup: LedgerContext;
  let partner: LedgerContext;
  let startup2: LedgerContext;
  let anyone: LedgerContext;
  const signer = privateKeyToAccount(K[3]);
  const revenueSigner = privateKeyToAccount(K[4]);
  const payout = privateKeyToAccount(K[5]).address;
  const newWallet = privateKeyToAccount(K[7]).address;
  /** Only an address here (the node funds it, but nothing this test does sends from it). */
  const other = privateKeyToAccount(K[6]).address;
  let start: bigint;
  let id: bigint;
  let batchId: Hex;

  const read = <F extends "agreement" | "treasury" | "hasRole" | "revenuePeriod">(functionName: F, args?: readonly unknown[]) =>
    program.publicClient.readContract({ address: deployment.ledger, abi: revenueShareLedgerAbi, functionName, args } as never) as Promise<never>;
  const usdcOf = (who: Address) => program.publicClient.readContract({ address: deployment.settlementToken, abi: mockUsdcAbi, functionName: "balanceOf", args: [who] });

  before(async function () {
    node = await startHardhatNode();
    ({ deployment } = await deployTo(node));
    const open = (key: Hex) => openLedgerContext({ rpcUrl: node.url, deployment, privateKey: key });
    [program, startup, partner, startup2, anyone] = await Promise.all([open(K[0]), open(K[1]), open(K[2]), open(K[9]), open(K[8])]);
    start = ((await chainNow(program)) / DAY + 1n) * DAY;
  });
  after(async () => node?.stop());

  it("values: ROLES are the ledger's own role ids", async function () {
    const ids = await Promise.all((["PROGRAM_ROLE", "AUDITOR_ROLE", "PAUSER_ROLE", "DEFAULT_ADMIN_ROLE"] as const).map((functionName) =>
      program.publicClient.readContract({ address: deployment.ledger, abi: revenueShareLedgerAbi, functionName })));
    expect(ids).to.deep.equal([ROLES.PROGRAM, ROLES.AUDITOR, ROLES.PAUSER, ROLES.ADMIN]);
  });

  describe("program", function () {
    it("registerPartner and scheduleRate: the partner is registered with its signers; the rate is booked under the sku's hash", async function () {
      await registerPartner(program, { partner: partner.account.address, signers: [signer.address], threshold: 1, payoutBps: 7_000 });
      const info = await readPartner(program, partner.account.address);
      expect(info).to.deep.include({ registered: true, active: true, payoutBps: 7_000, signers: [signer.address], threshold: 1, payout: partner.account.address });
      const hour = ((await chainNow(program)) / HOUR) * HOUR;
      const { skuHash } = await scheduleRate(program, { partner: partner.account.address, sku: SKU, creditsPerGpuHour: "2.5", effectiveFrom: hour });
      expect(skuHash).to.equal(skuToBytes32(SKU));
    });

    it("setRevenueSigners: the first set is in force at once", async function () {
      const result = await setRevenueSigners(program, { signers: [revenueSigner.address], threshold: 1 });
      expect(result.mode).to.equal("immediate");
      expect(result.effectiveAt).to.equal(await blockTimeOf(program, result));
      expect(await readRevenueSigners(program)).to.deep.equal({ signers: [revenueSigner.address], threshold: 1, pending: undefined });
    });

    it("createAgreement: the terms go on chain as the ledger's struct, the credit limit exact and the text hashed; no end is refused first", async function () {
      const terms = {
        startup: startup.account.address, creditLimit: "1000", revenueShareBps: 800, capMultipleBps: 15_000, partnerFirstBps: 6_000,
        startTime: start, periods: 3, periodDuration: Number(DAY), gracePeriod: Number(DAY), termsHash: "terms v1",
      };
      ({ agreementId: id } = await createAgreement(program, terms));
      const view = (await read("agreement", [id])) as { terms: AgreementTerms; status: number };
      const expected: AgreementTerms = {
        startup: startup.account.address, creditLimit: 1_000n * UNIT, revenueShareBps: 800, capMultipleBps: 15_000, partnerFirstBps: 6_000,
        startTime: start, endTime: start + 3n * DAY, periodDuration: Number(DAY), gracePeriod: Number(DAY), termsHash: keccak256(stringToHex("terms v1")),
      };
      expect(view.terms).to.deep.equal(expected);
      expect(view.status).to.equal(1);
      const { periods: _periods, ...noEnd } = terms;
      const err = await rejectionOf(createAgreement(program, noEnd));
      expect(err).to.be.instanceOf(ValidationError);
      expect(err.message).to.equal("The terms need an end time or a number of periods. Give --periods <n> or --end <time>.");
    });
  });

  describe("startup", function () {
    it("acceptAgreement and authorizePartner: the credit limit is minted; an authorization is in force from its block", async function () {
      const { creditsMinted } = await acceptAgreement(startup, id);
      expect(creditsMinted).to.equal(1_000n * UNIT);
      const credits = await program.publicClient.readContract({ address: deployment.credit, abi: dsxCreditAbi, functionName: "balanceOf", args: [startup.account.address] });
      expect(credits).to.equal(creditsMinted);
      const result = await authorizePartner(startup, { agreementId: id, partner: partner.account.address, spendLimit: "500", maxGpus: 8 });
      expect(result.effectiveAt).to.equal(await blockTimeOf(program, result));
    });
  });

  describe("usage: read, startup, program", function () {
    before(async function () {
      await advanceTime(node, { to: Number(start + DAY + 60n) });
      const batch: UsageBatch = {
        partner: partner.account.address, sequence: 0n, periodStart: start, periodEnd: start + HOUR, recordsRoot: keccak256(stringToHex("records")),
        lines: [{ agreementId: id, sku: skuToBytes32(SKU), gpuSeconds: 4n * HOUR }],
      };
      const signature = await signer.signTypedData({ domain: ledgerDomain(31337, deployment.ledger), types: usageBatchTypes, primaryType: "UsageBatch", message: batch });
      await execute(program, () => program.publicClient.simulateContract({ ...ledgerCall(program), functionName: "submitUsage", args: [batch, [signature]] }));
      batchId = usageBatchId(batch.partner, batch.sequence, batch.periodStart, batch.periodEnd, batch.recordsRoot);
    });

    it("usageBatchLines: the batch's partner and accepted lines are rebuilt from its events; an unknown batch is named", async function () {
      expect(await usageBatchLines(program, batchId)).to.deep.equal({
        partner: partner.account.address,
        lines: [{ agreementId: id, sku: skuToBytes32(SKU), gpuSeconds: 4n * HOUR, credits: 10n * UNIT }],
      });
      const unknown = keccak256(stringToHex("no such batch"));
      const err = await rejectionOf(usageBatchLines(program, unknown));
      expect(err.message).to.equal(`No usage batch ${unknown} was recorded by ledger ${deployment.ledger}. Check the batch id (UsageBatchRecorded event).`);
    });

    it("disputeUsage and resolveUsageDispute: the reason is hashed; the refund is re-minted and taken off the receivable", async function () {
      const { reasonHash } = await disputeUsage(startup, { batchId, agreementId: id, reason: "node 17 was down" });
      expect(reasonHash).to.equal(keccak256(stringToHex("node 17 was down")));
      expect((await rejectionOf(disputeUsage(startup, { batchId: "0x12", agreementId: id }))).message).to.match(/^Batch id "0x12" is not a 32-byte hex value/);
      const { refund, receivableRemoved } = await resolveUsageDispute(program, { batchId, agreementId: id, refund: "1" });
      expect(refund).to.equal(UNIT);
      expect(receivableRemoved > 0n).to.equal(true);
      const view = (await read("agreement", [id])) as { consumed: bigint };
      expect(view.consumed).to.equal(9n * UNIT);
    });
  });

  describe("revenue: auditor, program, anyone", function () {
    it("disputeRevenue, resolveRevenueDispute and finalizeRevenue: a cleared report is finalized with the capped share and its due date", async function () {
      const report: RevenueReport = { agreementId: id, periodIndex: 0, revenue: 1_000n * UNIT, evidenceHash: keccak256(stringToHex("evidence")), version: 1 };
      const signature = await revenueSigner.signTypedData({ domain: ledgerDomain(31337, deployment.ledger), types: revenueReportTypes, primaryType: "RevenueReport", message: report });
      await execute(program, () => program.publicClient.simulateContract({ ...ledgerCall(program), functionName: "submitRevenue", args: [report, [signature]] }));
      const { reasonHash } = await disputeRevenue(program, { agreementId: id, periodIndex: 0, reason: "refunds not deducted" });
      expect(reasonHash).to.equal(keccak256(stringToHex("refunds not deducted")));
      await resolveRevenueDispute(program, { agreementId: id, periodIndex: 0, upheld: false });
      const result = await finalizeRevenue(anyone, id, 0);
      const cap = shareMath.cap(9n * UNIT, 15_000n);
      expect(result.owed).to.equal(shareMath.owed(1_000n * UNIT, 800n, cap, 0n));
      expect(result.due).to.equal(shareMath.due(start + DAY, await blockTimeOf(program, result), DAY));
      expect(((await read("agreement", [id])) as { obligation: bigint }).obligation).to.equal(result.owed);
    });
  });

  describe("settlement and paying", function () {
    it("pay: with a permit the payment is one transaction, split between the partners and the program; nothing owed is refused before sending", async function () {
      await mintSettlement(program, startup.account.address, "100");
      const { outstanding } = (await read("agreement", [id])) as { outstanding: bigint };
      const before = await usdcOf(startup.account.address);
      const result = await pay(startup, { agreementId: id, amount: "100" });
      expect(result).to.deep.include({ method: "permit", applied: outstanding, approval: undefined });
      expect(result.toPartners + result.toProgram).to.equal(outstanding);
      expect(result.toPartners > 0n).to.equal(true);
      expect(await usdcOf(startup.account.address)).to.equal(before - outstanding);
      const err = await rejectionOf(pay(startup, { agreementId: id, amount: "1" }));
      expect((err as LedgerRevertError).errorName).to.equal("NothingOwed");
    });

    it("approveSettlement: the ledger's allowance is the amount; a bad spender is named", async function () {
      await approveSettlement(startup, "5");
      expect(await program.publicClient.readContract({ address: deployment.settlementToken, abi: mockUsdcAbi, functionName: "allowance", args: [startup.account.address, deployment.ledger] }))
        .to.equal(5n * UNIT);
      expect((await rejectionOf(approveSettlement(startup, "5", "0x1" as Address))).message).to.match(/^Spender "0x1" is not an address\./);
    });
  });

  describe("partner and anyone: payout address and claims", function () {
    it("setPayoutAddress by the partner is in force at once, and claim pays there; claimProgram pays the treasury once", async function () {
      const set = await setPayoutAddress(partner, { payout });
      expect(set).to.deep.include({ mode: "immediate", partner: partner.account.address, payout });
      expect((await readPartner(program, partner.account.address)).payout).to.equal(payout);
      const before = await usdcOf(payout);
      const claimed = await claim(anyone, partner.account.address);
      expect(claimed).to.deep.include({ beneficiary: partner.account.address, to: payout });
      expect(await usdcOf(payout)).to.equal(before + claimed.amount);
      const treasury = (await read("treasury")) as Address;
      const treasuryBefore = await usdcOf(treasury);
      const toProgram = await claimProgram(anyone);
      expect(toProgram.treasury).to.equal(treasury);
      expect(await usdcOf(treasury)).to.equal(treasuryBefore + toProgram.amount);
      expect(((await rejectionOf(claimProgram(anyone))) as LedgerRevertError).errorName).to.equal("NothingToClaim");
    });

    it("setPartnerSigners: the partner's own rotation is in force at once; PROGRAM's is pending for the signer notice", async function () {
      const own = await setPartnerSigners(partner, { signers: [signer.address, other].sort((a, b) => a.toLowerCase().localeCompare(b.toLowerCase())) as Address[], threshold: 2 });
      expect(own.mode).to.equal("immediate");
      expect((await readPartner(program, partner.account.address)).threshold).to.equal(2);
      const proposed = await setPartnerSigners(program, { partner: partner.account.address, signers: [signer.address], threshold: 1 });
      expect(proposed.mode).to.equal("proposed");
      expect(proposed.effectiveAt).to.equal(proposed.blockTime + 2n * DAY);
      expect((await readPartner(program, partner.account.address)).pendingSigners).to.deep.equal({ signers: [signer.address], threshold: 1, effectiveAt: proposed.effectiveAt });
    });

    it("setRevenueSigners again and setPartnerActive: a later revenue set is pending; a partner is deactivated and reactivated", async function () {
      const later = await setRevenueSigners(program, { signers: [other], threshold: 1 });
      expect(later.mode).to.equal("proposed");
      expect((await readRevenueSigners(program)).pending).to.deep.equal({ signers: [other], threshold: 1, effectiveAt: later.effectiveAt });
      await setPartnerActive(program, partner.account.address, false);
      expect((await readPartner(program, partner.account.address)).active).to.equal(false);
      await setPartnerActive(program, partner.account.address, true);
      expect((await readPartner(program, partner.account.address)).active).to.equal(true);
    });
  });

  describe("wallet migration: startup, program, anyone", function () {
    let id2: bigint;
    before(async function () {
      const startTime = ((await chainNow(program)) / DAY + 1n) * DAY;
      ({ agreementId: id2 } = await createAgreement(program, {
        startup: startup2.account.address, creditLimit: "50", revenueShareBps: 500, capMultipleBps: 10_000, partnerFirstBps: 0,
        startTime, periods: 2, periodDuration: Number(DAY), gracePeriod: Number(DAY),
      }));
      await acceptAgreement(startup2, id2);
    });

    it("migrateStartup by the startup moves the agreement and its credits at once; as 'startup' with another key it is refused first", async function () {
      const moved = await migrateStartup(startup2, id2, newWallet, { as: "startup" });
      expect(moved).to.deep.include({ mode: "immediate", agreementId: id2, from: startup2.account.address, to: newWallet, credits: 50n * UNIT });
      const err = await rejectionOf(migrateStartup(program, id2, other, { as: "startup" }));
      expect((err as LedgerRevertError).errorName).to.equal("NotStartup");
    });

    it("migrateStartup by PROGRAM is a proposal; cancelStartupMigration withdraws it; executeStartupMigration carries one out after the notice", async function () {
      const proposed = await migrateStartup(program, id2, startup2.account.address);
      expect(proposed).to.deep.include({ mode: "proposed", from: newWallet, to: startup2.account.address });
      expect(proposed.credits).to.equal(undefined);
      expect(proposed.effectiveAt).to.equal(proposed.blockTime + 7n * DAY);
      expect(await readPendingMigration(program, id2)).to.deep.equal({ to: startup2.account.address, effectiveAt: proposed.effectiveAt });
      const cancelled = await cancelStartupMigration(program, id2);
      expect(cancelled).to.deep.include({ agreementId: id2, to: startup2.account.address, effectiveAt: proposed.effectiveAt });
      expect(await readPendingMigration(program, id2)).to.equal(undefined);
      const again = await migrateStartup(program, id2, startup2.account.address);
      await advanceTime(node, { to: Number(again.effectiveAt) });
      const executed = await executeStartupMigration(anyone, id2);
      expect(executed).to.deep.include({ agreementId: id2, from: newWallet, to: startup2.account.address, credits: 50n * UNIT });
    });

    it("terminateAgreement and cancelAgreement: an Active agreement ends with the reason hashed; a Proposed one is cancelled", async function () {
      const ended = await terminateAgreement(program, id2, "payments late");
      expect(ended.reasonHash).to.equal(keccak256(stringToHex("payments late")));
      expect(ended.terminatedAt).to.equal(await blockTimeOf(program, ended));
      const startTime = ((await chainNow(program)) / DAY + 1n) * DAY;
      const { agreementId } = await createAgreement(program, {
        startup: other, creditLimit: "1", revenueShareBps: 1, capMultipleBps: 10_000, partnerFirstBps: 0, startTime, periods: 1, periodDuration: Number(DAY), gracePeriod: 0,
      });
      await cancelAgreement(program, agreementId);
      expect(((await read("agreement", [agreementId])) as { status: number }).status).to.equal(5);
    });
  });

  describe("admin", function () {
    it("pause and unpause: while paused a creation is refused with the ledger's error", async function () {
      await pause(program);
      const startTime = ((await chainNow(program)) / DAY + 1n) * DAY;
      const err = await rejectionOf(createAgreement(program, {
        startup: other, creditLimit: "1", revenueShareBps: 1, capMultipleBps: 10_000, partnerFirstBps: 0, startTime, periods: 1, periodDuration: Number(DAY), gracePeriod: 0,
      }));
      expect((err as LedgerRevertError).errorName).to.equal("LedgerPaused");
      await unpause(program);
    });

    it("grantRole, revokeRole and setTreasury change what the ledger reads back", async function () {
      await grantRole(program, "AUDITOR", other);
      expect(await read("hasRole", [ROLES.AUDITOR, other])).to.equal(true);
      await revokeRole(program, "AUDITOR", other);
      expect(await read("hasRole", [ROLES.AUDITOR, other])).to.equal(false);
      const treasury = (await read("treasury")) as Address;
      await setTreasury(program, other);
      expect(await read("treasury")).to.equal(other);
      await setTreasury(program, treasury);
    });

    it("the admin transfer: begun, replaced, cancelled; refused first when nothing is pending or the new admin is zero", async function () {
      expect(await readAdmin(program)).to.deep.equal({ admin: program.account.address, delay: DAY, pending: undefined });
      const first = await beginDefaultAdminTransfer(program, other);
      expect(first.acceptableAfter).to.equal(first.blockTime + DAY);
      const second = await beginDefaultAdminTransfer(program, newWallet);
      expect(second.replaced).to.deep.equal({ newAdmin: other, acceptableAfter: first.acceptableAfter });
      const cancelled = await cancelDefaultAdminTransfer(program);
      expect(cancelled).to.deep.include({ newAdmin: newWallet, acceptableAfter: second.acceptableAfter });
      const none = await rejectionOf(cancelDefaultAdminTransfer(program));
      expect(none).to.be.instanceOf(FatalError);
      expect(none.message).to.equal(`No admin transfer is pending, so there is nothing to cancel. The admin is still ${program.account.address}; dsx status shows it.`);
      expect(((await rejectionOf(acceptDefaultAdminTransfer(anyone))) as LedgerRevertError).errorArgs).to.deep.equal([0]);
      expect(await rejectionOf(beginDefaultAdminTransfer(program, zeroAddress))).to.be.instanceOf(ValidationError);
    });
  });

  describe("auditor and anyone: the audit record and the end of the credits", function () {
    it("recordAudit puts the report's hash on chain", async function () {
      const throughBlock = await program.publicClient.getBlockNumber();
      const reportHash = keccak256(stringToHex("report"));
      const result = await recordAudit(program, { agreementId: id, throughBlock, reportHash, clean: true });
      const [event] = await program.publicClient.getContractEvents({ address: deployment.ledger, abi: revenueShareLedgerAbi, eventName: "AuditRecorded", fromBlock: result.blockNumber, toBlock: result.blockNumber, strict: true });
      expect(event.args).to.deep.include({ agreementId: id, auditor: program.account.address, throughBlock, reportHash, clean: true });
    });

    it("expireCredits after the reporting close burns what the startup still holds", async function () {
      // endTime + REPORTING_GRACE, moved on by the pause above
      const close = await program.publicClient.readContract({ address: deployment.ledger, abi: revenueShareLedgerAbi, functionName: "reportingClose", args: [id] });
      await advanceTime(node, { to: Number(close) });
      const held = await program.publicClient.readContract({ address: deployment.credit, abi: dsxCreditAbi, functionName: "balanceOf", args: [startup.account.address] });
      expect(held).to.equal(991n * UNIT);
      const { burned } = await expireCredits(anyone, id);
      expect(burned).to.equal(held);
      expect(await program.publicClient.readContract({ address: deployment.credit, abi: dsxCreditAbi, functionName: "balanceOf", args: [startup.account.address] })).to.equal(0n);
    });
  });
});

// The dashboard's program actions prepared for a Safe (issue 16), in Debian's Chromium against the real ledger: the
// role holder builds a batch in the page (create an agreement, register a partner, schedule a rate), each simulated
// as the Safe; the downloaded Transaction Builder file passes sdk/safeBatch's validator, and its calldata, sent by the
// role holder on the real node, does what the page said. Then each other Safe action the page offers (resolve a usage
// or revenue dispute, propose a migration, a partner's or the revenue signers, a partner's payout address): its file
// read as JSON and executed as the Transaction Builder encodes it, the effect read back from the chain. Also: a
// refusal decoded with its fix, and Pay when nothing is owed yet (NothingOwed said plainly with the next period's
// dates). axe-core: no serious or critical violation.
import fs from "node:fs";
import { expect } from "chai";
import type { Page } from "playwright-core";
import { keccak256, stringToHex, zeroAddress, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { skuToBytes32 } from "../../sdk/eip712";
import { formatUnits6 } from "../../sdk/units";
import { readSafeBatch, validSafeBatchChecksum, type SafeBatchFile } from "../../sdk/safeBatch";
import { NODE_KEYS, nodeRpc } from "../helpers/hardhatNode";
import { DAY, H100, HOUR, sortAddresses } from "../helpers/ledgerDriver";
import { seriousViolations } from "./helpers/axe";
import { actionOutcome, checkAction } from "./helpers/actions";
import { unexpectedProblems } from "./helpers/browser";
import { dashboardSuite, type Json } from "./helpers/suite";
import { txBuilderCalldata } from "../helpers/txBuilder";

declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the browser's, untyped here

const at = (t: bigint) => `${new Date(Number(t) * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;

describe("api/dashboard: program actions prepared for a Safe, and Pay when nothing is owed", function () {
  this.timeout(240_000);
  const suite = dashboardSuite({ unexpected: (problems) => unexpectedProblems(problems, [/./]) });
  const admin = privateKeyToAccount(NODE_KEYS[0]).address;

  /** The overview with the test wallet of `account`, connected. */
  const connected = (account: Address): Promise<Page> => suite.connected("/", "overview", { account });

  /** Fills a form (by label), presses Check and waits for its outcome. */
  const check = (page: Page, selector: string, fields: Record<string, string>, states = ["preview", "refused", "invalid"]) => checkAction(page, selector, fields, states);

  /** Checks an action (its preview expected), adds it to the page's batch and returns what the preview said. */
  async function addToBatch(page: Page, selector: string, fields: Record<string, string>): Promise<string> {
    const o = await check(page, selector, fields);
    expect(o.state, `${o.text} ${await page.locator(`${selector} .field-error`).allTextContents()}`).to.equal("preview");
    await page.locator(`${selector} button.send`).click();
    const added = await actionOutcome(page, selector, ["added", "refused"]);
    expect(added.state, added.text).to.equal("added");
    return o.text;
  }

  /**
   * Downloads the page's batch: read back by sdk/safeBatch (chain, Safe, checksum as the app checks it) and as raw
   * JSON, each transaction a decoded call to the ledger (no value, no raw data) with its method and inputs.
   */
  async function downloadBatch(page: Page, methods: string[]): Promise<{ batch: SafeBatchFile; raw: Json }> {
    await page.waitForFunction((n) => document.querySelector('[data-field="safeBatch"]')?.dataset.count === String(n), methods.length);
    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("[data-safe-download]").click()]);
    const file = await download.path();
    const batch = readSafeBatch(file, { chainId: 31337, safe: admin });
    expect(validSafeBatchChecksum(batch)).to.equal(true);
    const raw = JSON.parse(fs.readFileSync(file, "utf8")) as Json;
    expect(raw.chainId).to.equal("31337");
    expect(raw.meta.createdFromSafeAddress).to.equal(admin);
    expect(raw.transactions.map((t: Json) => t.contractMethod?.name)).to.deep.equal(methods);
    for (const t of raw.transactions as Json[]) {
      expect({ to: t.to, value: t.value, data: t.data }).to.deep.equal({ to: suite.stack.driver.ledger, value: "0", data: null });
      expect(t.contractMethod.payable).to.equal(false);
    }
    return { batch, raw };
  }

  /** Sends each transaction of `batch` from the role holder (the admin, unlocked on the node) as the app encodes it; the receipts with their block times. */
  async function execute(batch: SafeBatchFile): Promise<{ blockNumber: bigint; timestamp: bigint }[]> {
    const d = suite.stack.driver;
    const out = [];
    for (const tx of batch.transactions) {
      const hash = (await nodeRpc(suite.stack.node.url, "eth_sendTransaction", [{ from: admin, to: tx.to, data: txBuilderCalldata(tx) }])) as Hex;
      const receipt = await d.publicClient.waitForTransactionReceipt({ hash });
      expect(receipt.status, tx.contractMethod?.name).to.equal("success");
      out.push({ blockNumber: receipt.blockNumber, timestamp: (await d.publicClient.getBlock({ blockNumber: receipt.blockNumber })).timestamp });
    }
    return out;
  }

  it("the role holder builds a batch in the page; the downloaded file is valid and its calldata does what the page said", async function () {
    const d = suite.stack.driver;
    const page = await connected(admin);
    expect(await page.locator('[data-field="walletRole"]').getAttribute("data-roles")).to.contain("program");
    const section = page.locator('details[data-role="safe"]');
    expect(await section.getAttribute("open")).to.equal("");
    expect(await page.locator('[data-field="safeAddress"]').inputValue()).to.equal(admin);

    const terms = await d.standardTerms(3n);
    const startup = privateKeyToAccount(generatePrivateKey()).address;
    const partner = privateKeyToAccount(generatePrivateKey()).address;
    const signers = [privateKeyToAccount(generatePrivateKey()).address, privateKeyToAccount(generatePrivateKey()).address];
    const now = (await d.publicClient.getBlock()).timestamp;
    const effectiveFrom = ((now + 40n * DAY) / 3600n + 1n) * 3600n;
    const sku = "b300-safe";

    // a refusal first: a rate for a partner that is not registered yet, decoded with its fix, nothing added
    const rate = 'details[data-safe-action="safe-schedule-rate"]';
    const rateFields = { "Sku (e.g. h100-sxm)": sku, "Credits per GPU hour (DSXC)": "2.5", "In force from (unix seconds, a whole hour)": String(effectiveFrom) };
    const out = await check(page, rate, { "Partner address": partner, ...rateFields });
    expect(out.state, out.text).to.equal("refused");
    expect(out.text).to.match(/How to fix it: /);
    expect(await page.locator('[data-field="safeBatch"]').getAttribute("data-count")).to.equal("0");

    const add = (selector: string, fields: Record<string, string>) => addToBatch(page, selector, fields);
    const createText = await add('details[data-safe-action="safe-create-agreement"]', {
      "Startup wallet": startup,
      "Credit limit (DSXC)": "1234.5",
      "Start (unix seconds)": String(terms.startTime),
      "Number of periods": "3",
      "Period length (seconds)": String(terms.periodDuration),
      "Grace period (seconds)": String(terms.gracePeriod),
    });
    const nextId = Number(await d.publicClient.readContract({ address: d.ledger, abi: revenueShareLedgerAbi, functionName: "agreementCount" })) + 1;
    expect(createText).to.contain(`id ${nextId} if the Safe executes it next`);
    expect(createText).to.contain(startup).and.contain(`${formatUnits6(1_234_500_000n)} DSXC`);
    await add('details[data-safe-action="safe-register-partner"]', { "Partner address": partner, "Signer addresses (one per line)": signers.join("\n"), "Signatures needed (threshold)": "1", "Partner payout (basis points of credits)": "7000" });
    // a redraw after each addition rebuilds the forms: the fields are filled again
    await add(rate, { "Partner address": d.partnerF.address, ...rateFields });

    await page.locator("details").evaluateAll((els) => els.forEach((e) => e.setAttribute("open", "")));
    expect(await seriousViolations(page)).to.deep.equal([]);

    const { batch } = await downloadBatch(page, ["createAgreement", "registerPartner", "scheduleRate"]);
    const mined = await execute(batch);
    await suite.stack.indexed(mined[mined.length - 1].blockNumber);
    const a = await suite.data(`/v1/agreements/${nextId}`);
    expect(a.status).to.equal("Proposed");
    expect(a.startup).to.equal(startup);
    expect(a.terms.creditLimit).to.equal("1234500000");
    expect(a.periodCount).to.equal(3);
    const p = await suite.data(`/v1/partners/${partner}`);
    expect(p.payoutBps).to.equal(7000);
    const r = await d.publicClient.readContract({ address: d.ledger, abi: revenueShareLedgerAbi, functionName: "rate", args: [d.partnerF.address, skuToBytes32(sku), effectiveFrom] });
    expect(r.creditsPerGpuHour).to.equal(2_500_000n);
    expect(r.effectiveFrom).to.equal(effectiveFrom);
  });

  it("any address may prepare for a Safe: the section starts closed and empty; a bad Safe address is refused at the field, a Safe without the role with its fix", async function () {
    const someone = await suite.stack.driver.newWallet();
    const page = await connected(someone.address);
    expect(await page.locator('[data-field="walletRole"]').getAttribute("data-roles")).to.equal("none");
    const section = page.locator('details[data-role="safe"]');
    expect(await section.getAttribute("open")).to.equal(null);
    await section.locator("summary").first().click();
    const safeField = page.locator('[data-field="safeAddress"]');
    expect(await safeField.inputValue()).to.equal("");
    const signers = 'details[data-safe-action="safe-revenue-signers"]';
    const fields = { "Signer addresses (one per line)": someone.address, "Signatures needed (threshold)": "1" };
    await safeField.fill(someone.address.toLowerCase());
    let out = await check(page, signers, fields);
    expect(out.state, out.text).to.equal("refused");
    expect(await safeField.getAttribute("aria-invalid")).to.equal("true");
    expect(await section.locator(".field-error").first().textContent()).to.contain("not a checksummed address");
    await safeField.fill(someone.address);
    out = await check(page, signers, fields);
    expect(out.state, out.text).to.equal("refused");
    expect(out.text).to.contain("PROGRAM").and.match(/How to fix it: /);
    expect(await page.locator('[data-field="safeBatch"]').getAttribute("data-count")).to.equal("0");
    expect(await seriousViolations(page)).to.deep.equal([]);
  });

  it("Pay with nothing owed yet says so plainly, with the next period's close and due dates, and prefills no 0", async function () {
    const d = suite.stack.driver;
    const startup = await d.newWallet();
    const terms = await d.standardTerms(3n);
    const id = await d.createAgreement({ ...terms, startup: startup.address, termsHash: `0x${"ab".repeat(32)}` });
    await d.accept(startup, id);
    await suite.stack.indexed(await d.publicClient.getBlockNumber());
    const page = await connected(startup.address);
    const pay = `details[data-action-key="pay-${id}"]`;
    await page.locator(pay).waitFor();
    await page.locator(`${pay} summary`).click();
    const amount = page.locator(pay).getByLabel("Amount (USDC)", { exact: true });
    expect(await amount.inputValue()).to.equal("");
    const close = terms.startTime + BigInt(terms.periodDuration);
    const sentence = `Nothing is owed yet; the next period (0) closes at ${at(close)} and is due at ${at(close + BigInt(terms.gracePeriod))}`;
    expect(await page.locator(pay).textContent()).to.contain(sentence);
    // Check with or without an amount: the ledger's refusal, said with the dates
    const out = await check(page, pay, { "Amount (USDC)": "5" });
    expect(out.state, out.text).to.equal("refused");
    expect(out.text).to.contain("NothingOwed").and.contain(sentence);
    const empty = await check(page, pay, { "Amount (USDC)": "" });
    expect(empty.state, empty.text).to.equal("refused");
    expect(empty.text).to.contain(sentence);
    expect(await seriousViolations(page)).to.deep.equal([]);
  });

  describe("each remaining program action, prepared in the page and executed from the file", function () {
    // the ledger's views read back after the file's calls (viem decodes structs as objects, tuples as arrays)
    interface PartnerView { signers: Address[]; threshold: number; payout: Address; pendingSigners: Address[]; pendingThreshold: number; pendingSignersAt: bigint; pendingPayout: Address; pendingPayoutAt: bigint }
    interface SignerSetView { signers: Address[]; threshold: number; pendingSigners: Address[]; pendingThreshold: number; pendingAt: bigint }
    const REVENUE_STATE = ["None", "Pending", "Disputed", "Rejected", "Cleared", "Finalized"];
    const USAGE_DISPUTE_STATE = ["None", "Open", "Resolved"];
    const fresh = () => privateKeyToAccount(generatePrivateKey()).address;
    const descending = (list: Address[]) => [...list].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? 1 : -1));

    beforeEach(async function () {
      await suite.stack.wake();
    });

    it("resolve a usage dispute: the refund the form names is re-minted and taken off the partner's receivable, the dispute Resolved", async function () {
      const d = suite.stack.driver;
      const id = suite.stack.facts.a2;
      const F = d.partnerF;
      // an hour of F's usage on a2 in the current period, disputed by the auditor
      const hour = ((await d.now()) / HOUR) * HOUR;
      const u = await d.usage(F, hour - HOUR, hour, [[id, H100, HOUR]]);
      expect(u.accepted).to.have.length(1);
      const credits = u.accepted[0].credits;
      await d.call(d.admin, "disputeUsage", u.batchId, id, keccak256(stringToHex("the job ran on another cluster")));
      await suite.stack.indexed(await d.publicClient.getBlockNumber());
      const refund = (credits * 2n) / 5n;

      const page = await connected(admin);
      const text = await addToBatch(page, 'details[data-safe-action="safe-resolve-usage"]', {
        "Usage batch id": u.batchId,
        "Agreement id": String(id),
        "Refund (DSXC; 0 rejects the dispute)": formatUnits6(refund),
      });
      expect(text).to.contain(`${formatUnits6(refund)} DSXC is re-minted to agreement ${id}'s startup and taken off ${F.address}'s receivable.`);
      const { batch, raw } = await downloadBatch(page, ["resolveUsageDispute"]);
      const values = raw.transactions[0].contractInputsValues as Json;
      expect(values).to.deep.equal({
        batchId: u.batchId,
        agreementId: String(id),
        partner_: F.address,
        acceptedLines: JSON.stringify(u.accepted.map((l) => [String(l.agreementId), l.sku, String(l.gpuSeconds), String(l.credits)])),
        refund: String(refund),
      });

      const before = await d.view<{ spent: bigint; receivable: bigint; paidToPartner: bigint }>("partnerPosition", [id, F.address]);
      expect(await d.view<readonly [number, bigint]>("usageDispute", [u.batchId, id])).to.deep.equal([1, 0n]);
      await execute(batch);
      const [state, refunded] = await d.view<readonly [number, bigint]>("usageDispute", [u.batchId, id]);
      expect({ state: USAGE_DISPUTE_STATE[state], refunded }).to.deep.equal({ state: "Resolved", refunded: refund });
      const after = await d.view<{ spent: bigint; receivable: bigint; paidToPartner: bigint }>("partnerPosition", [id, F.address]);
      expect(before.spent - after.spent).to.equal(refund);
      const reduction = (refund * 7_000n) / 10_000n; // F's payout (basis points of credits)
      const unpaid = before.receivable - before.paidToPartner;
      expect(before.receivable - after.receivable).to.equal(reduction < unpaid ? reduction : unpaid);
      expect(after.paidToPartner).to.equal(before.paidToPartner);
    });

    it("resolve revenue disputes: one upheld (Rejected), one not (Cleared), the decision carried as the app reads a bool", async function () {
      const d = suite.stack.driver;
      const { a1, a2 } = suite.stack.facts;
      // a1's pending period-1 report disputed now; a2's was disputed by the run
      await d.call(d.admin, "disputeRevenue", a1, 1, keccak256(stringToHex("refunds left out")));
      await suite.stack.indexed(await d.publicClient.getBlockNumber());
      const state = async (id: bigint) => REVENUE_STATE[(await d.view<{ state: number }>("revenuePeriod", [id, 1])).state];
      expect([await state(a1), await state(a2)]).to.deep.equal(["Disputed", "Disputed"]);

      const page = await connected(admin);
      const resolve = 'details[data-safe-action="safe-resolve-revenue"]';
      const upheld = await addToBatch(page, resolve, { "Agreement id": String(a1), Period: "1", Decision: "upheld" });
      expect(upheld).to.contain(`Agreement ${a1}, period 1: Disputed → Rejected (a new report is needed).`);
      const cleared = await addToBatch(page, resolve, { "Agreement id": String(a2), Period: "1", Decision: "cleared" });
      expect(cleared).to.contain(`Agreement ${a2}, period 1: Disputed → Cleared.`);
      const { batch, raw } = await downloadBatch(page, ["resolveRevenueDispute", "resolveRevenueDispute"]);
      expect(raw.transactions.map((t: Json) => t.contractInputsValues)).to.deep.equal([
        { id: String(a1), periodIndex: "1", upheld: "true" },
        { id: String(a2), periodIndex: "1", upheld: "false" },
      ]);
      await execute(batch);
      expect([await state(a1), await state(a2)]).to.deep.equal(["Rejected", "Cleared"]);
    });

    it("propose a startup wallet migration: pending for the new wallet after the migration notice, the startup unchanged", async function () {
      const d = suite.stack.driver;
      const id = suite.stack.facts.a1;
      const startup = (await d.view<{ startup: Address }>("agreement", [id])).startup;
      const heir = (await d.newWallet()).address;
      const notice = await d.view<bigint>("MIGRATION_NOTICE");
      expect(await d.view<readonly [Address, bigint]>("pendingMigration", [id])).to.deep.equal([zeroAddress, 0n]);

      const page = await connected(admin);
      const text = await addToBatch(page, 'details[data-safe-action="safe-propose-migration"]', { "Agreement id": String(id), "New startup wallet": heir });
      expect(text).to.contain(`Agreement ${id}'s startup wallet is proposed to become ${heir}, after the ${Number(notice) / 86_400} days notice`);
      const { batch, raw } = await downloadBatch(page, ["migrateStartup"]);
      expect(raw.transactions[0].contractInputsValues).to.deep.equal({ id: String(id), newWallet: heir });
      const [mined] = await execute(batch);
      expect(await d.view<readonly [Address, bigint]>("pendingMigration", [id])).to.deep.equal([heir, mined.timestamp + notice]);
      expect((await d.view<{ startup: Address }>("agreement", [id])).startup).to.equal(startup);
    });

    it("propose a partner's signers: the set (sorted by the page) pending after the signer notice, the set in force unchanged", async function () {
      const d = suite.stack.driver;
      const B = d.partnerB;
      const signers = [fresh(), fresh(), fresh()];
      const notice = await d.view<bigint>("SIGNER_NOTICE");

      const page = await connected(admin);
      const text = await addToBatch(page, 'details[data-safe-action="safe-partner-signers"]', {
        "Partner address": B.address,
        "Signer addresses (one per line)": descending(signers).join("\n"),
        "Signatures needed (threshold)": "2",
      });
      const sorted = sortAddresses(signers);
      expect(text).to.contain(`${B.address}'s usage signers are proposed to become 2 of ${sorted.join(", ")}`);
      const { batch, raw } = await downloadBatch(page, ["setPartnerSigners"]);
      expect(raw.transactions[0].contractInputsValues).to.deep.equal({ partner_: B.address, signers: JSON.stringify(sorted), threshold: "2" });
      const [mined] = await execute(batch);
      const p = await d.view<PartnerView>("partner", [B.address]);
      expect({ signers: p.signers, threshold: p.threshold }).to.deep.equal({ signers: [B.oracle.address], threshold: 1 });
      expect({ pending: p.pendingSigners, threshold: p.pendingThreshold, at: p.pendingSignersAt }).to.deep.equal({ pending: sorted, threshold: 2, at: mined.timestamp + notice });
    });

    it("propose the revenue signers: the new set replaces the pending one, in force after the signer notice", async function () {
      const d = suite.stack.driver;
      const signers = [fresh(), fresh()];
      const notice = await d.view<bigint>("SIGNER_NOTICE");
      const before = await d.view<SignerSetView>("revenueSigners");
      expect(before.pendingSigners).to.deep.equal(suite.stack.facts.pending.revenueSigners);

      const page = await connected(admin);
      const text = await addToBatch(page, 'details[data-safe-action="safe-revenue-signers"]', {
        "Signer addresses (one per line)": descending(signers).join("\n"),
        "Signatures needed (threshold)": "2",
      });
      const sorted = sortAddresses(signers);
      expect(text).to.contain(`The revenue signers become 2 of ${sorted.join(", ")}`);
      const { batch, raw } = await downloadBatch(page, ["setRevenueSigners"]);
      expect(raw.transactions[0].contractInputsValues).to.deep.equal({ signers: JSON.stringify(sorted), threshold: "2" });
      const [mined] = await execute(batch);
      const after = await d.view<SignerSetView>("revenueSigners");
      expect({ signers: after.signers, threshold: after.threshold }).to.deep.equal({ signers: before.signers, threshold: before.threshold });
      expect({ pending: after.pendingSigners, threshold: after.pendingThreshold, at: after.pendingAt }).to.deep.equal({ pending: sorted, threshold: 2, at: mined.timestamp + notice });
    });

    it("set a partner's payout address: pending after the payout notice, the partner's own address in force until then", async function () {
      const d = suite.stack.driver;
      const B = d.partnerB;
      const payout = fresh();
      const notice = await d.view<bigint>("PAYOUT_NOTICE");

      const page = await connected(admin);
      const text = await addToBatch(page, 'details[data-safe-action="safe-partner-payout"]', { "Partner address": B.address, "New payout address": payout });
      expect(text).to.contain(`${B.address}'s payouts are proposed to go to ${payout}, in force after the`);
      const { batch, raw } = await downloadBatch(page, ["setPayoutAddress"]);
      expect(raw.transactions[0].contractInputsValues).to.deep.equal({ partner_: B.address, payout });
      const [mined] = await execute(batch);
      const p = await d.view<PartnerView>("partner", [B.address]);
      expect(p.payout).to.equal(suite.stack.facts.payoutB);
      expect({ pending: p.pendingPayout, at: p.pendingPayoutAt }).to.deep.equal({ pending: payout, at: mined.timestamp + notice });
    });
  });
});

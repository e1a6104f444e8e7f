// The dashboard's wallet side (issue 16) in Debian's Chromium: an EIP-1193 wallet announced by EIP-6963, injected
// before the page loads, forwards to the real hardhat node, so every click signs and sends a real transaction to
// the real ledger, which the real API indexes. The steps run in order on one agreement: connect (wrong chain,
// unknown chain added, a rejected switch), accept, authorize and lower an authorization, finalize, pay with a
// permit, a permit the token refuses then approve + pay, a partner's claim, a claim that reverts on chain, the
// auditor's dispute and audit record, keyboard use, a transaction sped up in the wallet, a startup's usage dispute, a partner's payout address and
// signers, cancelling PROGRAM's migration and migrating, expiring credits; axe-core finds no serious or critical
// violation on any page.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { Page } from "playwright-core";
import { encodeFunctionData, keccak256, stringToHex, type Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { runAudit } from "../../auditor/audit";
import { mockUsdcAbi, revenueShareLedgerAbi } from "../../sdk/abis";
import { NODE_KEYS, nodeRpc } from "../helpers/hardhatNode";
import { DAY, DSXC, H100 } from "../helpers/ledgerDriver";
import { seriousViolations } from "./helpers/axe";
import { actionKey, actionOutcome, checkAction, sendAction } from "./helpers/actions";
import { CHROMIUM, ready, screenshot, SCREENSHOTS, unexpectedProblems, type Problem } from "./helpers/browser";
import { dashboardSuite, type Json } from "./helpers/suite";
import { connectWallet, type WalletOptions } from "./helpers/wallet";

// Page-side callbacks run in the browser; this Node project compiles without the DOM library.
declare const document: any, window: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the browser's, untyped here

/** Problems the pages may show on purpose: an audit route with no report (the page says so), an account the API does not know yet, a poll cut by a navigation. */
const unexpected = (problems: Problem[]): Problem[] => unexpectedProblems(problems, [/\/v1\/(agreements\/\d+\/audit|accounts\/0x[0-9a-fA-F]{40})$/]);

describe("api/dashboard: acting from a browser wallet (EIP-6963 + EIP-1193) against the real ledger", function () {
  this.timeout(240_000);
  const suite = dashboardSuite({ unexpected });
  const startup = privateKeyToAccount(NODE_KEYS[3]).address;
  const admin = privateKeyToAccount(NODE_KEYS[0]).address;
  let partnerF: Address;
  let id: bigint;
  let start: bigint;
  let period: bigint;

  const api = (p: string): Promise<Json> => suite.data(p);

  /** A page with the test wallet installed (the startup's unless `options` says), at `path`, the wallet panel drawn. */
  const walletPage = (p: string, view: string, options: Partial<WalletOptions> = {}) => suite.walletPage(p, view, { account: startup, ...options });

  const roleText = (page: Page) => page.locator('[data-field="walletRole"]').getAttribute("data-roles");

  const problemsOf = (page: Page) => suite.pages.find((p) => p.page === page)?.problems ?? [];
  /** Opens an action, fills its fields (by label), presses Check and waits for the outcome. */
  const check = (page: Page, key: string, fields: Record<string, string> = {}) => checkAction(page, actionKey(key), fields, ["preview", "refused", "invalid", "rejected"], problemsOf(page));
  const outcome = (page: Page, key: string, states: string[]) => actionOutcome(page, actionKey(key), states, problemsOf(page));
  /** Presses Send and waits until the transaction is indexed or the outcome is another end state. */
  const send = (page: Page, key: string) => sendAction(page, actionKey(key));

  const expectIndexed = (out: { state: string; text: string }) => expect(out.state, out.text).to.equal("indexed");
  const openAll = (page: Page) => page.locator("details").evaluateAll((els) => els.forEach((e) => e.setAttribute("open", "")));

  before(async function () {
    if (!CHROMIUM) this.skip(); // dashboardSuite says how to install it
    const d = suite.stack.driver;
    partnerF = d.partnerF.address;
    const terms = await d.standardTerms();
    start = terms.startTime;
    period = BigInt(terms.periodDuration);
    id = await d.createAgreement({ ...terms, startup, termsHash: keccak256(stringToHex("wallet test terms")) });
    await suite.stack.indexed(await d.publicClient.getBlockNumber());
  });

  it("without a wallet, every read-only page says so and axe-core finds no serious or critical violation", async function () {
    const { facts } = suite.stack;
    // this page has no wallet: a fresh one without the injection
    const { page } = await suite.open("/", "overview");
    await page.locator('[data-field="noWallet"]').waitFor();
    for (const [p, view] of [
      ["/", "overview"],
      [`/agreements/${facts.a1}`, "agreement"],
      [`/partners/${facts.partnerF}`, "partner"],
      [`/accounts/${facts.startups[0]}`, "account"],
      [`/usage-batches/${facts.evidenceBatch}?record=${encodeURIComponent(facts.recordId)}`, "batch"],
    ]) {
      await page.goto(suite.stack.url + p);
      await ready(page, view);
      expect(await seriousViolations(page), p).to.deep.equal([]);
    }
  });

  it("lists the announced wallet, connects from a wrong chain by adding the local chain (4902), and says the role: startup of the Proposed agreement", async function () {
    const { page, wallet } = await walletPage("/", "overview", { chainId: 1 });
    await connectWallet(page);
    expect(wallet.state.calls).to.include.members(["eth_requestAccounts", "wallet_switchEthereumChain", "wallet_addEthereumChain"]);
    expect(wallet.state.chainId).to.equal(31337);
    expect(await page.locator('[data-field="walletAccount"]').getAttribute("data-raw")).to.equal(startup);
    expect(await roleText(page)).to.equal(`startup of agreement ${id} (Proposed)`);
    // a Proposed agreement: accept or decline, and what anyone may do; no payment, no partner or auditor action
    const keys = await page.locator("details[data-action-key]").evaluateAll((els) => els.map((e) => e.getAttribute("data-action-key")));
    expect(keys).to.deep.equal([`accept-${id}`, `cancel-${id}`, "finalize", "expire", "claim-for"]);
    await openAll(page);
    expect(await seriousViolations(page)).to.deep.equal([]);
  });

  it("on a wallet that refuses to switch chains it says so, offers nothing to send, and follows chainChanged live", async function () {
    const { page, wallet } = await walletPage(`/agreements/${id}`, "agreement", { chainId: 1, knownChains: [31337] });
    wallet.rejectNext("wallet_switchEthereumChain");
    await connectWallet(page, "wrong-chain");
    const alert = page.locator('[data-field="wrongChain"]');
    expect(await alert.getAttribute("role")).to.equal("alert");
    expect(await alert.textContent()).to.contain("Your wallet is on chain 1; this ledger is on chain 31337");
    expect(await page.locator('[data-field="walletProblem"]').textContent()).to.contain("You rejected the network switch");
    expect(await page.locator("details[data-action-key]").count()).to.equal(0);
    expect(await seriousViolations(page)).to.deep.equal([]);
    await page.getByRole("button", { name: "Switch to chain 31337" }).click();
    await page.locator('[data-field="walletRole"]').waitFor();
    // the user moves the wallet to another chain: the page follows at once
    wallet.state.chainId = 1;
    await page.evaluate(() => window.__testWalletEmit("chainChanged", "0x1"));
    await page.waitForFunction(() => document.getElementById("wallet").dataset.state === "wrong-chain");
  });

  it("accepts the agreement: a rejection in the wallet (4001) leaves the page usable and says so; the next try is sent, mined and indexed", async function () {
    const { page, wallet } = await walletPage("/", "overview");
    await connectWallet(page);
    let out = await check(page, `accept-${id}`);
    expect(out.state).to.equal("preview");
    expect(out.text).to.contain(`Agreement ${id}: Proposed → Active.`).and.contain("100000 DSXC of credits are minted to your wallet.");
    wallet.rejectNext("eth_sendTransaction");
    out = await send(page, `accept-${id}`);
    expect(out.state).to.equal("rejected");
    expect(out.text).to.contain("You rejected the request in your wallet: nothing was sent");
    expect(await page.locator(`details[data-action-key="accept-${id}"] [data-outcome] [role="alert"]`).count()).to.equal(1);
    expect((await api(`/v1/agreements/${id}`)).status).to.equal("Proposed");
    expect(await seriousViolations(page)).to.deep.equal([]);
    out = await check(page, `accept-${id}`);
    expect(out.state).to.equal("preview");
    out = await send(page, `accept-${id}`);
    expect(out.state, out.text).to.equal("indexed");
    expect((await api(`/v1/agreements/${id}`)).status).to.equal("Active");
    // the panel is redrawn from the index: now the Active agreement's actions
    await page.waitForFunction((t) => document.querySelector('[data-field="walletRole"]')?.dataset.roles === t, `startup of agreement ${id} (Active)`);
    expect(await page.locator("#wallet-result").getAttribute("data-state")).to.equal("indexed");
    const keys = await page.locator("details[data-action-key]").evaluateAll((els) => els.map((e) => e.getAttribute("data-action-key")));
    expect(keys).to.deep.equal([`pay-${id}`, `authorize-${id}`, `dispute-usage-${id}`, `migrate-${id}`, "finalize", "expire", "claim-for"]);
  });

  it("authorizes a partner (in force at once), refuses an address that is not checksummed, and shows a decrease's AUTH_NOTICE and when it takes effect", async function () {
    const { page, wallet } = await walletPage(`/agreements/${id}`, "agreement");
    await connectWallet(page);
    const key = `authorize-${id}`;
    const sent = wallet.state.calls.length;
    let out = await check(page, key, { "Partner address": partnerF.toLowerCase(), "Spend limit (DSXC)": "1000", "Most GPUs at once": "8" });
    expect(out.state).to.equal("invalid");
    const error = page.locator(`details[data-action-key="${key}"] .field-error[role="alert"]`).first();
    expect(await error.textContent()).to.contain("is not a checksummed address (EIP-55)").and.contain(partnerF);
    expect(wallet.state.calls.slice(sent)).to.not.include("eth_call");
    out = await check(page, key, { "Partner address": partnerF, "Spend limit (DSXC)": "1000", "Most GPUs at once": "8" });
    expect(out.text).to.contain("Spend limit: 0 DSXC → 1000 DSXC, in force at once.");
    expectIndexed(await send(page, key));
    let pos = ((await api(`/v1/agreements/${id}`)).partners as Json[]).find((p) => p.partner === partnerF)!;
    expect([pos.spendLimit, pos.maxGpus]).to.deep.equal([(1000n * DSXC).toString(), 8]);
    const program = await api("/v1/program");
    const now = BigInt(Math.floor(Date.parse((await (await fetch(`${suite.stack.url}/v1/health`)).json()).meta.blockTimestamp) / 1000));
    out = await check(page, key, { "Partner address": partnerF, "Spend limit (DSXC)": "500", "Most GPUs at once": "8" });
    expect(out.state).to.equal("preview");
    expect(out.text).to.match(/Spend limit: 1000 DSXC → 500 DSXC, a decrease: it takes the 7 days notice \(AUTH_NOTICE\) and is in force from (\S+ \S+) UTC; until then 1000 DSXC holds\./);
    const shown = Date.parse(/in force from (\S+) (\S+) UTC/.exec(out.text)!.slice(1, 3).join("T") + "Z") / 1000;
    // the simulation's block is the latest (no block since): its time + AUTH_NOTICE, to the minute
    expect(Math.abs(shown - Number(now + BigInt(program.constants.authNotice)))).to.be.below(120);
    expectIndexed(await send(page, key));
    pos = ((await api(`/v1/agreements/${id}`)).partners as Json[]).find((p) => p.partner === partnerF)!;
    expect([pos.spendLimit, pos.pendingSpendLimit]).to.deep.equal([(1000n * DSXC).toString(), (500n * DSXC).toString()]);
  });

  it("anyone finalizes a due period: what it books, then the figures from the index", async function () {
    const d = suite.stack.driver;
    await suite.stack.wake();
    await d.timeTo(start + DAY + 60n);
    await d.usage(d.partnerF, start, start + DAY, [[id, H100, 8n * 3600n]]); // 8 GPU-hours × 2.5 = 20 DSXC
    await d.timeTo(start + period + 60n);
    await d.revenue(id, 0, 10_000n * DSXC); // 8 % = 800, capped at 1.5 × 20 = 30
    await d.timeTo(start + period + 4n * DAY);
    await suite.stack.indexed(await d.publicClient.getBlockNumber());
    const { page } = await walletPage("/", "overview");
    await connectWallet(page);
    const out = await check(page, "finalize", { "Agreement id": String(id) });
    expect(out.text).to.contain(`Agreement ${id}, period 0: Pending → Finalized (its dispute window of 3 days has passed); revenue 10000 USDC.`);
    expectIndexed(await send(page, "finalize"));
    const revenue = (await fetch(`${suite.stack.url}/v1/agreements/${id}/revenue`).then((r) => r.json())) as { data: Json[] };
    expect(revenue.data[0].state).to.equal("Finalized");
    expect((await api(`/v1/agreements/${id}`)).outstanding).to.equal((30n * DSXC).toString());
    // a second finalize: the ledger's refusal, decoded with its fix, and the wallet never opens
    const calls = (await check(page, "finalize", { "Agreement id": String(id) }));
    expect(calls.state).to.equal("refused");
    expect(await page.locator('details[data-action-key="finalize"] [data-outcome] [role="alert"] .fix').count()).to.equal(1);
  });

  it("pays with an EIP-2612 permit (one signature, one transaction): amount prefilled, over-precision refused, the split shown", async function () {
    await suite.stack.wake();
    const mint = encodeFunctionData({ abi: mockUsdcAbi, functionName: "mint", args: [startup, 100n * DSXC] });
    await nodeRpc(suite.stack.node.url, "eth_sendTransaction", [{ from: admin, to: suite.stack.driver.usdc, data: mint }]);
    await suite.stack.indexed(await suite.stack.driver.publicClient.getBlockNumber());
    const { page, wallet } = await walletPage(`/agreements/${id}`, "agreement");
    await connectWallet(page);
    const key = `pay-${id}`;
    await page.locator(`details[data-action-key="${key}"] summary`).click();
    expect(await page.locator(`details[data-action-key="${key}"]`).getByLabel("Amount (USDC)").inputValue()).to.equal("30");
    let out = await check(page, key, { "Amount (USDC)": "1.1234567" });
    expect(out.state).to.equal("invalid");
    expect(await page.locator(`details[data-action-key="${key}"] .field-error`).first().textContent()).to.contain("has 7 decimal places; at most 6 are allowed");
    out = await check(page, key, { "Amount (USDC)": "10" });
    expect(out.text).to.contain("You pay 10 USDC of the 30 USDC outstanding.").and.contain("Sign an EIP-2612 permit").and.contain(`${partnerF}: 6 USDC`).and.contain("4 USDC to the program");
    await screenshot(page, "wallet-pay-preview");
    await page.locator("#wallet").screenshot({ path: path.join(SCREENSHOTS, "wallet-panel.png") });
    expect(await seriousViolations(page)).to.deep.equal([]);
    const before = wallet.state.calls.length;
    expectIndexed(await send(page, key));
    const used = wallet.state.calls.slice(before);
    expect(used.filter((m) => m === "eth_signTypedData_v4")).to.have.length(1);
    expect(used.filter((m) => m === "eth_sendTransaction")).to.have.length(1);
    expect((await api(`/v1/agreements/${id}`)).paid).to.equal((10n * DSXC).toString());
  });

  it("a permit the token refuses is said before any transaction; approve + pay then pays, capped at what is outstanding", async function () {
    const { page, wallet } = await walletPage(`/agreements/${id}`, "agreement");
    await connectWallet(page);
    const key = `pay-${id}`;
    wallet.state.corruptPermit = true;
    let out = await check(page, key, { "Amount (USDC)": "25" });
    expect(out.text).to.contain("25 USDC is more than the 20 USDC outstanding: the ledger takes 20 USDC and no more");
    const before = wallet.state.calls.length;
    out = await send(page, key);
    expect(out.state).to.equal("refused");
    expect(out.text).to.contain("The token refused the permit signature: nothing was sent.").and.contain('Choose "Approve, then pay"');
    expect(wallet.state.calls.slice(before)).to.not.include("eth_sendTransaction");
    out = await check(page, key, { "Amount (USDC)": "25", "How to pay": "approve" });
    expect(out.text).to.contain("Approve the ledger for 20 USDC, then pay: two transactions.");
    expectIndexed(await send(page, key));
    const a = await api(`/v1/agreements/${id}`);
    expect([a.paid, a.outstanding]).to.deep.equal([(30n * DSXC).toString(), "0"]);
  });

  it("follows accountsChanged: the partner claims to its payout address", async function () {
    const { page, wallet } = await walletPage(`/partners/${partnerF}`, "partner");
    await connectWallet(page);
    await wallet.setAccount(partnerF);
    await page.waitForFunction(() => document.querySelector('[data-field="walletRole"]')?.dataset.roles === "partner");
    const claimable = (await api(`/v1/partners/${partnerF}`)).claimable as string;
    expect(BigInt(claimable) > 0n).to.equal(true);
    const out = await check(page, "claim-own");
    expect(out.text).to.contain(`${Number(BigInt(claimable)) / 1e6} USDC is paid to your payout address in force`);
    expectIndexed(await send(page, "claim-own"));
    expect((await api(`/v1/partners/${partnerF}`)).claimable).to.equal("0");
  });

  it("a transaction that passes its simulation but reverts on chain: pending, then reverted with the ledger's reason", async function () {
    const { page } = await walletPage("/", "overview");
    await connectWallet(page);
    const treasury = (await api("/v1/program")).treasury as string;
    const out = await check(page, "claim-for", { "Partner address, or the treasury's for the program": treasury });
    expect(out.state, out.text).to.equal("preview");
    await nodeRpc(suite.stack.node.url, "evm_setAutomine", [false]);
    try {
      await page.locator('details[data-action-key="claim-for"] button.send').click();
      await outcome(page, "claim-for", ["pending"]);
      // someone else's claimProgram, with a higher tip, lands first in the same block
      const data = encodeFunctionData({ abi: revenueShareLedgerAbi, functionName: "claimProgram" });
      await nodeRpc(suite.stack.node.url, "eth_sendTransaction", [{ from: admin, to: suite.stack.driver.ledger, data, gas: "0x100000", maxPriorityFeePerGas: "0xba43b7400", maxFeePerGas: "0x174876e800" }]);
      await nodeRpc(suite.stack.node.url, "evm_mine");
    } finally {
      await nodeRpc(suite.stack.node.url, "evm_setAutomine", [true]);
    }
    const end = await outcome(page, "claim-for", ["reverted", "indexed", "refused"]);
    expect(end.state, end.text).to.equal("reverted");
    expect(end.text).to.match(/Reverted in block \d+: NothingToClaim: The program has nothing to claim\./);
    expect(await page.locator('details[data-action-key="claim-for"] [data-outcome] [role="alert"]').count()).to.equal(1);
  });

  it("the auditor disputes a revenue report with a reason and records an audit from a dropped report file (hashed in the page)", async function () {
    const d = suite.stack.driver;
    await suite.stack.wake();
    await d.timeTo(start + 2n * period + 60n);
    await d.revenue(id, 1, 5_000n * DSXC);
    await suite.stack.indexed(await d.publicClient.getBlockNumber());
    const { page, wallet } = await walletPage("/", "overview", { account: admin });
    await connectWallet(page);
    expect(await roleText(page)).to.equal("auditor, program");
    let out = await check(page, "dispute-revenue", { "Agreement id": String(id), "Period index": "1", Reason: "x".repeat(1001) });
    expect(out.state).to.equal("invalid");
    out = await check(page, "dispute-revenue", { "Agreement id": String(id), "Period index": "1", Reason: "Refunds were not deducted." });
    expect(out.text).to.contain(`Agreement ${id}, period 1: Pending → Disputed`).and.contain(keccak256(stringToHex("Refunds were not deducted.")));
    expectIndexed(await send(page, "dispute-revenue"));
    const revenue = (await fetch(`${suite.stack.url}/v1/agreements/${id}/revenue`).then((r) => r.json())) as { data: Json[] };
    expect(revenue.data[1].state).to.equal("Disputed");

    const action = page.locator('details[data-action-key="record-audit"]');
    await action.locator("summary").click();
    const file = action.locator('input[type="file"]');
    await file.setInputFiles({ name: "notes.txt", mimeType: "text/plain", buffer: Buffer.from("not a report") });
    await action.getByRole("button", { name: "Check the report" }).click();
    out = await outcome(page, "record-audit", ["refused"]);
    expect(out.text).to.contain("This file is not an audit report: it is not JSON text.");
    const deployment = d.deployment;
    const audit = await runAudit({ rpcUrl: suite.stack.node.url, chainId: deployment.chainId, ledger: deployment.ledger, fromBlock: BigInt(deployment.deploymentBlock), credit: deployment.credit, settlementToken: deployment.settlementToken });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dsx-wallet-audit-"));
    const reportFile = path.join(dir, `audit-${deployment.chainId}-${audit.report.chain.throughBlock}.json`);
    fs.writeFileSync(reportFile, audit.json);
    await file.setInputFiles(reportFile);
    await action.getByRole("button", { name: "Check the report" }).click();
    out = await outcome(page, "record-audit", ["preview", "refused"]);
    expect(out.state, out.text).to.equal("preview");
    expect(out.text).to.contain(`Report hash (keccak256 of the file, computed here): ${audit.reportHash}`);
    const before = wallet.state.calls.length;
    expectIndexed(await send(page, "record-audit"));
    expect(wallet.state.calls.slice(before).filter((m) => m === "eth_sendTransaction")).to.have.length(audit.report.agreements.length);
    const records = (await fetch(`${suite.stack.url}/v1/agreements/${id}/audits`).then((r) => r.json())) as { data: Json[] };
    expect(records.data.at(-1)!.reportHash).to.equal(audit.reportHash);
    fs.rmSync(dir, { recursive: true, force: true });
    await openAll(page);
    expect(await seriousViolations(page)).to.deep.equal([]);
    await screenshot(page, "wallet-auditor");
  });

  it("works from the keyboard alone: connect, open an action, check it", async function () {
    const { page } = await walletPage("/", "overview");
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? "");
    for (let i = 0; i < 40 && (await focused()) !== "Connect a wallet"; i++) await page.keyboard.press("Tab");
    expect(await focused()).to.equal("Connect a wallet");
    await page.keyboard.press("Enter");
    await page.waitForFunction(() => document.activeElement?.dataset?.wallet === "test.dsx.wallet");
    await page.keyboard.press("Enter");
    await page.locator('[data-field="walletRole"]').waitFor();
    for (let i = 0; i < 40 && (await focused()) !== `Pay agreement ${id}`; i++) await page.keyboard.press("Tab");
    expect(await focused()).to.equal(`Pay agreement ${id}`);
    await page.keyboard.press("Enter");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.labels?.[0]?.textContent)).to.equal("Amount (USDC)");
    await page.keyboard.press("Enter"); // submits the form: Check
    const out = await outcome(page, `pay-${id}`, ["preview", "refused"]);
    expect(out.state).to.equal("refused"); // nothing is owed any more
    expect(out.text).to.contain("NothingOwed");
  });

  it("a pending transaction the wallet speeds up (same nonce, higher fee) is followed to its replacement and said", async function () {
    const { page } = await walletPage(`/agreements/${id}`, "agreement");
    await connectWallet(page);
    const key = `authorize-${id}`;
    const out = await check(page, key, { "Partner address": partnerF, "Spend limit (DSXC)": "600", "Most GPUs at once": "8" });
    expect(out.state, out.text).to.equal("preview");
    const seq = (await page.locator("#wallet-result").getAttribute("data-seq")) ?? "0";
    await nodeRpc(suite.stack.node.url, "evm_setAutomine", [false]);
    let faster: string;
    try {
      await page.locator(`details[data-action-key="${key}"] button.send`).click();
      await outcome(page, key, ["pending"]);
      const hash = (await page.locator(`details[data-action-key="${key}"] [data-tx]`).getAttribute("data-tx"))!;
      const tx = (await nodeRpc(suite.stack.node.url, "eth_getTransactionByHash", [hash])) as Json;
      const bump = (v: string) => `0x${(BigInt(v) * 2n).toString(16)}`;
      faster = (await nodeRpc(suite.stack.node.url, "eth_sendTransaction", [
        { from: tx.from, to: tx.to, data: tx.input, gas: tx.gas, nonce: tx.nonce, maxFeePerGas: bump(tx.maxFeePerGas), maxPriorityFeePerGas: bump(tx.maxPriorityFeePerGas) },
      ])) as string;
      await nodeRpc(suite.stack.node.url, "evm_mine");
    } finally {
      await nodeRpc(suite.stack.node.url, "evm_setAutomine", [true]);
    }
    await page.waitForFunction((n) => (document.getElementById("wallet-result").dataset.seq ?? "0") !== n, seq, { timeout: 60_000 });
    expect(await page.locator("#wallet-result").textContent()).to.contain(`(repriced in the wallet by ${faster})`).and.contain("indexed");
    const pos = ((await api(`/v1/agreements/${id}`)).partners as Json[]).find((p) => p.partner === partnerF)!;
    expect(pos.spendLimit).to.equal((600n * DSXC).toString());
  });

  it("the startup disputes a usage batch with a reason: its hash on chain; a batch past its window is refused with the reason", async function () {
    const d = suite.stack.driver;
    await suite.stack.wake();
    const end = start + 2n * period;
    const batch = await d.usage(d.partnerF, end - DAY, end, [[id, H100, 3600n]]);
    await suite.stack.indexed(batch.blockNumber);
    const { page } = await walletPage(`/agreements/${id}`, "agreement");
    await connectWallet(page);
    const key = `dispute-usage-${id}`;
    // F's batches, newest first: this one, then the one of the finalize step (its dispute window long passed)
    const batches = (await (await fetch(`${suite.stack.url}/v1/partners/${partnerF}/usage-batches?limit=2`)).json()) as { data: Json[] };
    expect(batches.data[0].batchId).to.equal(batch.batchId);
    const old = batches.data[1].batchId as string;
    let out = await check(page, key, { "Usage batch id": "0x1234", Reason: "too many hours" });
    expect(out.state).to.equal("invalid");
    out = await check(page, key, { "Usage batch id": old, Reason: "too many hours" });
    expect(out.state, out.text).to.equal("refused");
    expect(out.text).to.contain("How to fix it:");
    out = await check(page, key, { "Usage batch id": batch.batchId, Reason: "We ran 0 GPU-hours that day." });
    expect(out.text).to.contain(keccak256(stringToHex("We ran 0 GPU-hours that day.")));
    expectIndexed(await send(page, key));
    const disputes = (await api(`/v1/usage-batches/${batch.batchId}`)).disputes as Json[];
    expect(disputes.map((x) => [x.agreementId, x.state, x.disputedBy, x.reasonHash])).to.deep.equal([[String(id), "Open", startup, keccak256(stringToHex("We ran 0 GPU-hours that day."))]]);
  });

  it("the partner sets its payout address and rotates its own signers (in force at once)", async function () {
    const { page, wallet } = await walletPage(`/partners/${partnerF}`, "partner", { account: partnerF });
    await connectWallet(page);
    expect(await roleText(page)).to.equal("partner");
    const payout = privateKeyToAccount(NODE_KEYS[5]).address;
    let out = await check(page, "payout", { "Payout address": payout });
    expect(out.text).to.contain(`Claims go to ${payout} from now on`);
    expectIndexed(await send(page, "payout"));
    expect((await api(`/v1/partners/${partnerF}`)).payout).to.equal(payout);
    const second = privateKeyToAccount(NODE_KEYS[6]).address;
    const signers = [suite.stack.driver.partnerF.oracle.address, second];
    out = await check(page, "signers", { "Signer addresses (one per line)": `${signers[0]}\n${signers[0]}`, "Signatures needed (threshold)": "1" });
    expect(out.state).to.equal("invalid");
    out = await check(page, "signers", { "Signer addresses (one per line)": signers.join("\n"), "Signatures needed (threshold)": "3" });
    expect(out.state, out.text).to.equal("refused");
    out = await check(page, "signers", { "Signer addresses (one per line)": signers.join("\n"), "Signatures needed (threshold)": "1" });
    expect(out.text).to.contain("Your usage batches need 1 of 2 signatures");
    expectIndexed(await send(page, "signers"));
    const p = await api(`/v1/partners/${partnerF}`);
    expect([p.signers, p.threshold]).to.deep.equal([[...signers].sort((a, b) => (a.toLowerCase() < b.toLowerCase() ? -1 : 1)), 1]);
    expect(wallet.state.calls).to.include("eth_sendTransaction");
  });

  it("the startup cancels a migration PROGRAM proposed, then moves the agreement to another wallet of its own", async function () {
    const d = suite.stack.driver;
    await suite.stack.wake();
    const heir = privateKeyToAccount(NODE_KEYS[2]).address;
    const receipt = await d.call(d.admin, "migrateStartup", id, heir);
    await suite.stack.indexed(receipt.blockNumber);
    const { page } = await walletPage(`/agreements/${id}`, "agreement");
    await connectWallet(page);
    let out = await check(page, `cancel-migration-${id}`);
    expect(out.text).to.contain(`PROGRAM's proposed move to ${heir}`);
    expectIndexed(await send(page, `cancel-migration-${id}`));
    expect((await api(`/v1/agreements/${id}`)).pendingMigration).to.equal(null);
    const mine = privateKeyToAccount(NODE_KEYS[4]).address;
    out = await check(page, `migrate-${id}`, { "New wallet address": mine });
    expect(out.text).to.contain(`Agreement ${id}'s startup wallet becomes ${mine}`);
    expectIndexed(await send(page, `migrate-${id}`));
    expect((await api(`/v1/agreements/${id}`)).startup).to.equal(mine);
    await page.waitForFunction(() => document.querySelector('[data-field="walletRole"]')?.dataset.roles === "none");
  });

  it("anyone expires an agreement's credits once its reporting has closed (refused before, with when)", async function () {
    const d = suite.stack.driver;
    await suite.stack.wake();
    const { page } = await walletPage("/", "overview");
    await connectWallet(page);
    let out = await check(page, "expire", { "Agreement id": String(id) });
    expect(out.state).to.equal("refused");
    expect(out.text).to.contain("ReportingStillOpen");
    const close = BigInt(Math.floor(Date.parse((await api(`/v1/agreements/${id}`)).reportingClose) / 1000));
    await d.timeTo(close + 60n);
    await suite.stack.indexed(await d.publicClient.getBlockNumber());
    out = await check(page, "expire", { "Agreement id": String(id) });
    expect(out.state, out.text).to.equal("preview");
    expectIndexed(await send(page, "expire"));
    expect((await api(`/v1/agreements/${id}`)).status).to.equal("Expired");
  });
});

// The dashboard's program actions prepared for a Safe (issue 16), in Debian's Chromium against the real ledger: the
// role holder builds a batch in the page (create an agreement, register a partner, schedule a rate), each simulated
// as the Safe; the downloaded Transaction Builder file passes sdk/safeBatch's validator, and its calldata, sent by the
// role holder on the real node, does what the page said. Also: a refusal decoded with its fix, and Pay when nothing
// is owed yet (NothingOwed said plainly with the next period's dates). axe-core: no serious or critical violation.
import fs from "node:fs";
import { expect } from "chai";
import { Interface, type JsonFragment } from "ethers";
import type { Browser, Page } from "playwright-core";
import { type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { revenueShareLedgerAbi } from "../../sdk/abis";
import { skuToBytes32 } from "../../sdk/eip712";
import { formatUnits6 } from "../../sdk/units";
import { readSafeBatch, validSafeBatchChecksum, type SafeBatchTransaction } from "../../sdk/safeBatch";
import { NODE_KEYS, nodeRpc } from "../helpers/hardhatNode";
import { DAY } from "../helpers/ledgerDriver";
import { seriousViolations } from "./helpers/axe";
import { CHROMIUM, launchChromium, openPage, ready, type OpenPage } from "./helpers/browser";
import { startStack, type Stack } from "./helpers/stack";
import { installWallet } from "./helpers/wallet";

declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the browser's, untyped here

type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- API bodies

/** The Transaction Builder's encoding of a decoded call (as test/cli/safe-json.test.ts ports it): tuples and arrays as JSON. */
function calldata(tx: SafeBatchTransaction): Hex {
  const method = tx.contractMethod!;
  const values = method.inputs.map((input, i) => {
    const raw = tx.contractInputsValues![input.name || String(i)];
    return input.type.startsWith("tuple") || input.type.endsWith("]") ? JSON.parse(raw) : raw;
  });
  const fragment: JsonFragment = { type: "function", name: method.name, inputs: method.inputs, outputs: [], stateMutability: "nonpayable" };
  return new Interface([fragment]).encodeFunctionData(method.name, values) as Hex;
}

const at = (t: bigint) => `${new Date(Number(t) * 1000).toISOString().slice(0, 16).replace("T", " ")} UTC`;

describe("api/dashboard: program actions prepared for a Safe, and Pay when nothing is owed", function () {
  this.timeout(240_000);
  let stack: Stack;
  let browser: Browser;
  const pages: OpenPage[] = [];
  const admin = privateKeyToAccount(NODE_KEYS[0]).address;

  const api = async (p: string): Promise<Json> => {
    const res = await fetch(stack.url + p);
    expect(res.status, p).to.equal(200);
    return ((await res.json()) as Json).data as Json;
  };

  async function connected(account: Address): Promise<Page> {
    const open = await openPage(browser);
    pages.push(open);
    await installWallet(open.page, { rpcUrl: stack.node.url, account });
    await open.page.goto(stack.url + "/");
    await ready(open.page, "overview");
    await open.page.getByRole("button", { name: "Connect a wallet" }).click();
    await open.page.getByRole("button", { name: "Test Wallet" }).click();
    await open.page.locator('[data-field="walletRole"]').waitFor();
    return open.page;
  }

  /** Fills a form (by label), presses Check and waits for its outcome. */
  async function check(page: Page, selector: string, fields: Record<string, string>, states = ["preview", "refused", "invalid"]) {
    const action = page.locator(selector);
    if ((await action.getAttribute("open")) === null) await action.locator("summary").click();
    for (const [label, value] of Object.entries(fields)) {
      const input = action.getByLabel(label, { exact: true });
      if ((await input.evaluate((el: { tagName: string }) => el.tagName)) === "SELECT") await input.selectOption(value);
      else await input.fill(value);
    }
    await action.getByRole("button", { name: /^Check/ }).click();
    return outcome(page, selector, states);
  }

  async function outcome(page: Page, selector: string, states: string[]) {
    await page.waitForFunction(([s, st]) => st.includes(document.querySelector(`${s} [data-outcome]`)?.dataset.outcome), [selector, states] as const, { timeout: 60_000 });
    const out = page.locator(`${selector} [data-outcome]`);
    return { state: (await out.getAttribute("data-outcome"))!, text: (await out.textContent())! };
  }

  before(async function () {
    if (!CHROMIUM) {
      console.log("    skipped: no Chromium binary — install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH");
      this.skip();
    }
    stack = await startStack();
    browser = await launchChromium();
  });

  afterEach(async function () {
    for (const p of pages.splice(0)) {
      expect(p.problems.filter((x) => !(x.kind === "requestfailed" && x.text === "net::ERR_ABORTED") && !/status of 404/.test(x.text)), "console errors, exceptions").to.deep.equal([]);
      await p.close();
    }
  });

  after(async function () {
    await browser?.close();
    await stack?.stop();
  });

  it("the role holder builds a batch in the page; the downloaded file is valid and its calldata does what the page said", async function () {
    const d = stack.driver;
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

    const add = async (selector: string, fields: Record<string, string>) => {
      const o = await check(page, selector, fields);
      expect(o.state, `${o.text} ${await page.locator(`${selector} .field-error`).allTextContents()}`).to.equal("preview");
      await page.locator(`${selector} button.send`).click();
      const added = await outcome(page, selector, ["added", "refused"]);
      expect(added.state, added.text).to.equal("added");
      return o.text;
    };
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
    await page.waitForFunction(() => document.querySelector('[data-field="safeBatch"]')?.dataset.count === "3");

    await page.locator("details").evaluateAll((els) => els.forEach((e) => e.setAttribute("open", "")));
    expect(await seriousViolations(page)).to.deep.equal([]);

    const [download] = await Promise.all([page.waitForEvent("download"), page.locator("[data-safe-download]").click()]);
    const file = await download.path();
    const batch = readSafeBatch(file, { chainId: 31337, safe: admin });
    expect(validSafeBatchChecksum(batch)).to.equal(true);
    expect(JSON.parse(fs.readFileSync(file, "utf8")).meta.createdFromSafeAddress).to.equal(admin);
    expect(batch.transactions.map((t) => t.contractMethod?.name)).to.deep.equal(["createAgreement", "registerPartner", "scheduleRate"]);

    let block = 0n;
    for (const tx of batch.transactions) {
      expect(tx.to).to.equal(d.ledger);
      const hash = (await nodeRpc(stack.node.url, "eth_sendTransaction", [{ from: admin, to: tx.to, data: calldata(tx) }])) as Hex;
      const receipt = await d.publicClient.waitForTransactionReceipt({ hash });
      expect(receipt.status).to.equal("success");
      block = receipt.blockNumber;
    }
    await stack.indexed(block);
    const a = await api(`/v1/agreements/${nextId}`);
    expect(a.status).to.equal("Proposed");
    expect(a.startup).to.equal(startup);
    expect(a.terms.creditLimit).to.equal("1234500000");
    expect(a.periodCount).to.equal(3);
    const p = await api(`/v1/partners/${partner}`);
    expect(p.payoutBps).to.equal(7000);
    const r = await d.publicClient.readContract({ address: d.ledger, abi: revenueShareLedgerAbi, functionName: "rate", args: [d.partnerF.address, skuToBytes32(sku), effectiveFrom] });
    expect(r.creditsPerGpuHour).to.equal(2_500_000n);
    expect(r.effectiveFrom).to.equal(effectiveFrom);
  });

  it("any address may prepare for a Safe: the section starts closed and empty; a bad Safe address is refused at the field, a Safe without the role with its fix", async function () {
    const someone = await stack.driver.newWallet();
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
    const d = stack.driver;
    const startup = await d.newWallet();
    const terms = await d.standardTerms(3n);
    const id = await d.createAgreement({ ...terms, startup: startup.address, termsHash: `0x${"ab".repeat(32)}` });
    await d.accept(startup, id);
    await stack.indexed(await d.publicClient.getBlockNumber());
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
});

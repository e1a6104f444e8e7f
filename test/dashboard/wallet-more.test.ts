// The dashboard's wallet side, continued (issue 16): a usage dispute sent from the page stores its reason text with
// the API once indexed, and the batch page shows it. Debian's Chromium, an injected EIP-1193 wallet on the real
// hardhat node, the real API indexing it.
import { expect } from "chai";
import type { Page } from "playwright-core";
import { keccak256, stringToHex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { NODE_KEYS } from "../helpers/hardhatNode";
import { DAY, DSXC, H100 } from "../helpers/ledgerDriver";
import { seriousViolations } from "./helpers/axe";
import { actionKey, checkAction, sendAction } from "./helpers/actions";
import { ready, unexpectedProblems, type Problem } from "./helpers/browser";
import { dashboardSuite, type Json } from "./helpers/suite";

/** Problems the pages may show on purpose (as in wallet.test.ts): an agreement with no audit report (404), a poll or stream cut by a navigation. */
const unexpected = (problems: Problem[]): Problem[] => unexpectedProblems(problems, [/\/v1\/agreements\/\d+\/audit$/]);

describe("api/dashboard: dispute reasons kept readable from the wallet side", function () {
  this.timeout(240_000);
  const suite = dashboardSuite({ unexpected });
  const startupKey = privateKeyToAccount(NODE_KEYS[3]);
  const startup = startupKey.address;

  /** Opens the action, fills its fields by label, presses Check (a preview expected), then Send; waits for the panel's indexed result. */
  async function checkAndSend(page: Page, key: string, fields: Record<string, string>): Promise<{ preview: string; result: string; state: string }> {
    const preview = await checkAction(page, actionKey(key), fields, ["preview", "refused", "invalid"]);
    expect(preview.state, preview.text).to.equal("preview");
    const sent = await sendAction(page, actionKey(key), 90_000);
    return { preview: preview.text, result: sent.text, state: sent.state };
  }

  it("a usage dispute sent from the page stores its reason text (PUT after indexing); the batch page shows it", async function () {
    const d = suite.stack.driver;
    await suite.stack.wake();
    const terms = await d.standardTerms();
    const id = await d.createAgreement({ ...terms, startup, termsHash: keccak256(stringToHex("wallet-more terms")) });
    await d.accept(startupKey, id);
    await d.authorize(startupKey, id, d.partnerF.address, 1_000n * DSXC, 8);
    await d.timeTo(terms.startTime + DAY + 60n);
    const batch = await d.usage(d.partnerF, terms.startTime, terms.startTime + DAY, [[id, H100, 3600n]]);
    await suite.stack.indexed(batch.blockNumber);

    const page = await suite.connected(`/agreements/${id}`, "agreement", { account: startup });

    const reason = "Job 4711 ran 20 minutes, not an hour — see the scheduler log.";
    const hash = keccak256(stringToHex(reason));
    const out = await checkAndSend(page, `dispute-usage-${id}`, { "Usage batch id": batch.batchId, Reason: reason });
    expect(out.preview).to.contain(hash);
    expect(out.state, out.result).to.equal("indexed");
    expect(out.result).to.contain("The reason's text is stored with the API");

    // the API serves it, by hash and beside the dispute
    const stored = (await (await fetch(`${suite.stack.url}/v1/dispute-reasons/${hash}`)).json()) as Json;
    expect(stored.data).to.include({ hash, text: reason });
    const served = (await (await fetch(`${suite.stack.url}/v1/usage-batches/${batch.batchId}`)).json()) as Json;
    expect(served.data.disputes.map((x: Json) => [x.agreementId, x.disputedBy, x.reasonHash, x.reasonText])).to.deep.equal([[String(id), startup, hash, reason]]);

    // the batch page shows the text in its disputes table
    await page.goto(`${suite.stack.url}/usage-batches/${batch.batchId}`);
    await ready(page, "batch");
    expect(await page.locator("#disputes td.reason").allTextContents()).to.deep.equal([reason]);
    expect(await seriousViolations(page)).to.deep.equal([]);
  });

  it("offers the startup to execute PROGRAM's migration once in force; sending it moves the agreement and its credits", async function () {
    const d = suite.stack.driver;
    await suite.stack.wake();
    // a wallet holds one open agreement: another startup
    const owner = privateKeyToAccount(NODE_KEYS[4]);
    const startup = owner.address;
    const terms = await d.standardTerms();
    const id = await d.createAgreement({ ...terms, startup, termsHash: keccak256(stringToHex("wallet-more migration")) });
    await d.accept(owner, id);
    const to = privateKeyToAccount(NODE_KEYS[7]).address;
    const proposed = await d.call(d.admin, "migrateStartup", id, to); // PROGRAM proposes: pending for MIGRATION_NOTICE
    await suite.stack.indexed(proposed.blockNumber);
    const shown = (await (await fetch(`${suite.stack.url}/v1/agreements/${id}`)).json()) as Json;
    expect(shown.data, JSON.stringify(shown)).to.not.equal(undefined);
    const pending = shown.data.pendingMigration;
    expect(pending.to).to.equal(to);
    await d.timeTo(BigInt(Date.parse(pending.effectiveAt) / 1000));
    await suite.stack.indexed(await d.publicClient.getBlockNumber({ cacheTime: 0 })); // viem caches the block number otherwise
    const before = (await (await fetch(`${suite.stack.url}/v1/accounts/${startup}`)).json()) as Json;

    const page = await suite.connected(`/agreements/${id}`, "agreement", { account: startup });
    const out = await checkAndSend(page, `execute-migration-${id}`, {});
    expect(out.preview).to.contain(`Agreement ${id}'s startup wallet becomes ${to}`);
    expect(out.state, out.result).to.equal("indexed");
    const after = ((await (await fetch(`${suite.stack.url}/v1/agreements/${id}`)).json()) as Json).data;
    expect([after.startup, after.pendingMigration]).to.deep.equal([to, null]);
    const moved = ((await (await fetch(`${suite.stack.url}/v1/accounts/${to}`)).json()) as Json).data;
    // the whole balance moves with the wallet (burned at the old one, minted at the new one)
    expect(BigInt(before.data.creditBalance)).to.be.greaterThan(0n);
    expect(moved.creditBalance).to.equal(before.data.creditBalance);
    expect(((await (await fetch(`${suite.stack.url}/v1/accounts/${startup}`)).json()) as Json).data.creditBalance).to.equal("0");
  });
});

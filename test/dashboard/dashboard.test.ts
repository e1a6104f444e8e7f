// The dashboard (issue 7) in Debian's Chromium, driven by playwright-core, against the real API indexing a
// real hardhat node: pages load without console errors, the figures on screen equal the API's, navigation,
// the address search, the evidence proof check and the live refresh work; screenshots of the main pages
// go to test-results/dashboard/.
import { expect } from "chai";
import type { Page } from "playwright-core";
import { DASHBOARD_CSP } from "../../api/dashboard";
import { DSXC } from "../helpers/ledgerDriver";
import { ready, screenshot, unexpectedProblems, type OpenOptions, type OpenPage, type Problem } from "./helpers/browser";
import { dashboardSuite, type Json } from "./helpers/suite";

// Page-side callbacks run in the browser; this Node project compiles without the DOM library.
declare const document: any, window: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the browser's, untyped here
declare function getComputedStyle(element: unknown): { outlineStyle: string };

// ------------------------------------------------------------------ expected text, computed here on its own

/** 1234567891 base units → "1,234.567891"; 1600000000 → "1,600.00" (at least two decimals). */
function units(raw: string | bigint, decimals = 6, minFraction = 2): string {
  const v = BigInt(raw);
  const base = 10n ** BigInt(decimals);
  const whole = (v / base).toLocaleString("en-US");
  let fraction = (v % base).toString().padStart(decimals, "0");
  while (fraction.length > minFraction && fraction.endsWith("0")) fraction = fraction.slice(0, -1);
  return fraction ? `${whole}.${fraction}` : whole;
}
const usdc = (raw: string | bigint) => `${units(raw)} USDC`;
const dsxc = (raw: string | bigint) => `${units(raw)} DSXC`;

/** "2 d 23 h left": the two largest units from the first that is not zero, zeros dropped. */
function left(secondsLeft: number): string {
  const parts: [number, string][] = [
    [Math.floor(secondsLeft / 86_400), "d"],
    [Math.floor((secondsLeft % 86_400) / 3600), "h"],
    [Math.floor((secondsLeft % 3600) / 60), "m"],
    [secondsLeft % 60, "s"],
  ];
  const first = parts.findIndex(([n]) => n > 0);
  return `${parts.slice(first, first + 2).filter(([n]) => n > 0).map(([n, u]) => `${n} ${u}`).join(" ")} left`;
}

/** An ISO time as unix seconds. */
const unix = (iso: string) => Math.floor(Date.parse(iso) / 1000);

/**
 * Network errors the dashboard causes on purpose: a 404 it asked for and explains on the page (an agreement with no
 * audit: "no audit yet"; and `expected404`), a poll still in flight when a test navigates away.
 */
const unexpected = (problems: Problem[], expected404: RegExp[] = []): Problem[] => unexpectedProblems(problems, [/\/v1\/agreements\/\d+\/audit$/, ...expected404]);

describe("api/dashboard: the dashboard in Debian's Chromium against the real API", function () {
  this.timeout(180_000);
  const suite = dashboardSuite();
  const api = (path: string): Promise<Json> => suite.body(path);
  const all = async (path: string): Promise<Json[]> => (await api(`${path}${path.includes("?") ? "&" : "?"}limit=500`)).data as Json[];

  /**
   * Opens a page in a browser whose clock is a week off the chain's: deadlines and countdowns must come from the
   * indexed block's time (`meta.blockTimestamp`), not from the browser.
   */
  const open = (path: string, view: string, options: OpenOptions = {}): Promise<OpenPage> =>
    suite.open(path, view, { now: (Number(suite.stack.facts.chainNow) + 7 * 86_400) * 1000, ...options });
  const field = (page: Page, name: string) =>
    page.locator(`[data-field="${name}"]`).evaluate((el) => ({ raw: el.getAttribute("data-raw"), text: el.querySelector(".value")?.textContent ?? el.textContent }));
  const cell = (page: Page, row: string, col: string) =>
    page.locator(`${row} [data-col="${col}"]`).evaluate((el) => ({ raw: el.getAttribute("data-raw"), text: el.textContent }));
  /** The addresses listed under `[data-field=name]`, in order. */
  const signersOn = (page: Page, name: string) =>
    page.locator(`[data-field="${name}"] [data-signer]`).evaluateAll((els) => els.map((e) => e.getAttribute("data-signer")));
  /** A pending change on screen: its proposed value, and its countdown's effectiveAt and text. */
  const pendingOn = (page: Page, name: string) =>
    page.locator(`[data-field="${name}"]`).evaluate((el) => {
      const c = el.querySelector(".countdown");
      return { raw: el.getAttribute("data-raw"), effective: c?.getAttribute("data-effective") ?? null, countdown: c?.textContent ?? null };
    });
  /** What a pending change of the API must look like on screen, its countdown counted from `blockTimestamp`. */
  const expectedPending = (raw: string, effectiveAt: string, blockTimestamp: string, due?: string) => ({
    raw,
    effective: String(unix(effectiveAt)),
    countdown: unix(effectiveAt) > unix(blockTimestamp) ? left(unix(effectiveAt) - unix(blockTimestamp)) : due,
  });

  it("when asked for / or a page route, it answers the page with a self-only CSP and leaves /v1, /docs and /openapi.json alone", async function () {
    const { facts } = suite.stack;
    for (const path of ["/", "/accounts", `/agreements/${facts.a1}`, `/partners/${facts.partnerF}`, `/accounts/${facts.startups[0]}`, `/usage-batches/${facts.evidenceBatch}`]) {
      const res = await fetch(suite.stack.url + path);
      expect(res.status, path).to.equal(200);
      expect(res.headers.get("content-type"), path).to.match(/^text\/html/);
      expect(res.headers.get("content-security-policy"), path).to.equal(DASHBOARD_CSP);
      expect(await res.text()).to.contain('<script src="/assets/app.js" type="module">');
    }
    expect(DASHBOARD_CSP).to.contain("script-src 'self'").and.contain("style-src 'self'").and.not.contain("unsafe");
    for (const path of ["/agreements/abc", "/partners/0x123", "/usage-batches/1", "/nope", "/assets/../package.json", "/assets/missing.js"]) {
      const res = await fetch(suite.stack.url + path);
      expect(res.status, path).to.equal(404);
      expect(res.headers.get("content-type"), path).to.match(/problem\+json/);
    }
    expect((await fetch(`${suite.stack.url}/v1/agreements/${facts.a1}`)).headers.get("content-type")).to.match(/^application\/json/);
    expect((await fetch(`${suite.stack.url}/openapi.json`)).headers.get("content-type")).to.match(/^application\/json/);
    const docs = await fetch(`${suite.stack.url}/docs`);
    expect(await docs.text()).to.contain("<style>");
    expect(docs.headers.get("content-security-policy")).to.not.equal(DASHBOARD_CSP);
    const chart = await fetch(`${suite.stack.url}/assets/vendor/chart.umd.min.js`);
    expect(chart.status).to.equal(200);
    expect(chart.headers.get("content-type")).to.match(/javascript/);
    expect((await chart.text()).length).to.be.greaterThan(100_000);
  });

  it("when the overview loads, it shows the API's program figures with no console error, highlights delinquent agreements and shows each last audit", async function () {
    const { page, problems } = await open("/", "overview");
    const [program, agreements] = await Promise.all([api("/v1/program"), all("/v1/agreements")]);
    let minted = 0n, consumed = 0n, held = 0n, reported = 0n, obligation = 0n, paid = 0n, outstanding = 0n; // prettier-ignore
    for (const a of agreements) {
      minted += BigInt(a.creditsMinted);
      consumed += BigInt(a.consumed);
      if (a.status === "Active" || a.status === "Terminated") held += BigInt(a.creditsMinted) - BigInt(a.consumed);
      obligation += BigInt(a.obligation);
      paid += BigInt(a.paid);
      outstanding += BigInt(a.outstanding);
      for (const p of await all(`/v1/agreements/${a.id}/revenue`)) if (!["None", "Rejected"].includes(p.state)) reported += BigInt(p.revenue);
    }
    const expected: Record<string, [bigint, string]> = {
      creditsMinted: [minted, dsxc(minted)],
      consumed: [consumed, dsxc(consumed)],
      creditsOutstanding: [held, dsxc(held)],
      revenueReported: [reported, usdc(reported)],
      obligation: [obligation, usdc(obligation)],
      paid: [paid, usdc(paid)],
      outstanding: [outstanding, usdc(outstanding)],
      programClaimable: [BigInt(program.data.programClaimable), usdc(program.data.programClaimable)],
    };
    for (const [name, [raw, text]] of Object.entries(expected)) expect(await field(page, name), name).to.deep.equal({ raw: raw.toString(), text });
    // the API's program-wide totals (what the page draws) equal the sums over the agreements and their periods
    const totals = program.data.totals as Record<string, unknown>;
    for (const name of ["creditsMinted", "consumed", "creditsOutstanding", "revenueReported", "obligation", "paid", "outstanding"]) {
      expect(totals[name], name).to.equal(expected[name][0].toString());
    }
    expect(reported).to.equal(64_000n * DSXC); // 25 000 + 5 000 finalized, 30 000 pending, 4 000 disputed
    for (const status of ["Proposed", "Active", "Terminated", "Expired", "Cancelled"]) {
      expect((await field(page, `status-${status}`)).raw, status).to.equal(String(agreements.filter((a) => a.status === status).length));
    }
    const delinquent = agreements.filter((a) => a.delinquent).map((a) => a.id);
    expect(delinquent).to.deep.equal([String(suite.stack.facts.a1)]);
    expect((await field(page, "delinquent")).raw).to.equal("1");
    expect(await page.locator("#agreements tr.delinquent").evaluateAll((rows) => rows.map((r) => r.getAttribute("data-agreement")))).to.deep.equal(delinquent);
    expect(await page.locator("#agreements tr.delinquent").first().textContent()).to.contain("Delinquent");
    for (const a of agreements) {
      const row = `#agreements tr[data-agreement="${a.id}"]`;
      for (const col of ["creditsMinted", "consumed", "obligation", "paid", "outstanding"]) {
        const unit = col === "creditsMinted" || col === "consumed" ? dsxc : usdc;
        expect(await cell(page, row, col), `${a.id} ${col}`).to.deep.equal({ raw: a[col], text: unit(a[col]) });
      }
      const audits = await all(`/v1/agreements/${a.id}/audits`);
      expect(a.lastAudit, `${a.id} lastAudit`).to.deep.equal(audits.length === 0 ? null : audits[audits.length - 1]);
      const audit = await cell(page, row, "audit");
      if (audits.length === 0) expect(audit.text).to.equal("no audit yet");
      else expect(audit).to.deep.equal({ raw: audits[audits.length - 1].recordedAt, text: `${audits[audits.length - 1].recordedAt.slice(0, 10)} clean` });
    }
    expect(await page.locator("#partners tbody tr").count()).to.equal((await all("/v1/partners")).length);
    // the revenue signer set in force and the one PROGRAM proposed, counting down from the indexed block's time
    const rs = program.data.revenueSigners as Json;
    expect(rs.pending.signers, "the run's proposal").to.deep.equal(suite.stack.facts.pending.revenueSigners);
    expect(await page.locator('[data-field="revenueSigners"]').getAttribute("data-raw")).to.equal(`${rs.threshold}/${rs.signers.length}`);
    expect(await signersOn(page, "revenueSigners")).to.deep.equal(rs.signers);
    expect(await signersOn(page, "pendingRevenueSigners")).to.deep.equal(rs.pending.signers);
    expect(await pendingOn(page, "pendingRevenueSigners")).to.deep.equal(
      expectedPending(`${rs.pending.threshold}/${rs.pending.signers.length}`, rs.pending.effectiveAt, program.meta.blockTimestamp),
    );
    // drawing the overview takes three requests whatever the number of agreements (the API's default rate limit
    // is 600 a minute per client): the program with its totals, the agreements with their last audits, the partners
    expect(Number(await page.getAttribute("body", "data-requests"))).to.equal(3);
    await screenshot(page, "overview");
    expect(unexpected(problems)).to.deep.equal([]);
  });

  it("when an agreement is opened from the overview, its URL is shareable and it shows terms, charts, periods with their dispute window, payments, distributions and the latest audit", async function () {
    const { facts } = suite.stack;
    const { page, problems } = await open("/", "overview");
    await page.click(`#agreements a[href="/agreements/${facts.a1}"]`);
    await ready(page, "agreement");
    expect(new URL(page.url()).pathname).to.equal(`/agreements/${facts.a1}`);
    expect(await page.evaluate(() => document.activeElement?.tagName)).to.equal("H1");
    expect(await page.title()).to.equal(`Agreement #${facts.a1} · DSX Ledger`);

    const [a, program, usage, periods, payments, distributions, audits, report] = await Promise.all([
      api(`/v1/agreements/${facts.a1}`).then((r) => r.data as Json),
      api("/v1/program").then((r) => r.data as Json),
      all(`/v1/agreements/${facts.a1}/usage`),
      all(`/v1/agreements/${facts.a1}/revenue`),
      all(`/v1/agreements/${facts.a1}/payments`),
      all(`/v1/agreements/${facts.a1}/distributions`),
      all(`/v1/agreements/${facts.a1}/audits`),
      api(`/v1/agreements/${facts.a1}/audit`).then((r) => r.data as Json),
    ]);
    for (const name of ["creditsMinted", "consumed"]) expect(await field(page, name), name).to.deep.equal({ raw: a[name], text: dsxc(a[name]) });
    for (const name of ["cap", "obligation", "paid", "outstanding"]) expect(await field(page, name), name).to.deep.equal({ raw: a[name], text: usdc(a[name]) });
    expect((await page.locator('[data-field="revenueShare"] dd').textContent())).to.equal("8%");
    expect((await page.locator('[data-field="capMultiple"] dd').textContent())).to.equal("1.5×");
    expect((await page.locator('[data-field="creditLimit"] dd').textContent())).to.equal(dsxc(a.terms.creditLimit));
    expect(await page.locator("h1").textContent()).to.contain("Delinquent");
    expect(a.pendingMigration).to.equal(null);
    expect(await page.locator('[data-field="pendingMigration"]').count()).to.equal(0);
    for (const p of a.partners as Json[]) {
      expect(await cell(page, `#positions tr[data-partner="${p.partner}"]`, "receivable")).to.deep.equal({ raw: p.receivable, text: usdc(p.receivable) });
      expect(await cell(page, `#positions tr[data-partner="${p.partner}"]`, "paidToPartner")).to.deep.equal({ raw: p.paidToPartner, text: usdc(p.paidToPartner) });
    }

    // the periods: report state, owed, what the payments settle (oldest first), the dispute-window countdown
    expect(await page.locator("#periods tbody tr").count()).to.equal(periods.length);
    const paid = BigInt(a.paid);
    for (const p of periods) {
      const row = `#periods tr[data-period="${p.periodIndex}"]`;
      expect((await cell(page, row, "state")).text).to.match(new RegExp(`^${p.state}`));
      expect((await cell(page, row, "owed")).raw).to.equal(p.owed);
      const before = BigInt(p.cumulativeObligation) - BigInt(p.owed);
      const settled = p.state !== "Finalized" ? 0n : paid - before <= 0n ? 0n : paid - before >= BigInt(p.owed) ? BigInt(p.owed) : paid - before;
      expect(await cell(page, row, "paid"), `P${p.periodIndex} paid`).to.deep.equal({ raw: settled.toString(), text: usdc(settled) });
    }
    expect(periods.map((p) => p.state)).to.deep.equal(["Finalized", "Pending", "None", "None"]);
    expect((await cell(page, '#periods tr[data-period="0"]', "payment")).text).to.equal("late");
    const pending = periods[1];
    const closes = Math.floor(Date.parse(pending.submittedAt) / 1000) + program.constants.disputeWindow;
    const countdown = page.locator('#periods tr[data-period="1"] .countdown');
    expect(await countdown.getAttribute("data-closes")).to.equal(String(closes));
    expect(await countdown.textContent()).to.equal(`open ${left(closes - Number(facts.chainNow))}`);

    // the charts: drawn by Chart.js from the same figures
    const charts = await page.evaluate(() => {
      const g = window.Chart as { getChart(c: unknown): { data: { labels: unknown[]; datasets: { label: string; data: number[] }[] } } };
      return ["usage-chart", "revenue-chart"].map((id) => {
        const canvas = document.getElementById(id);
        const chart = g.getChart(canvas);
        return { width: canvas.clientWidth, height: canvas.clientHeight, labels: chart.data.labels.length, datasets: chart.data.datasets.map((d) => ({ label: d.label, sum: d.data.reduce((s, v) => s + v, 0) })) };
      });
    });
    const accepted = usage.filter((l) => l.accepted);
    const combos = new Set(accepted.map((l) => `${l.partner} ${l.sku}`));
    expect(charts[0].width).to.be.greaterThan(200);
    expect(charts[0].datasets.length).to.equal(combos.size);
    const hours = Number(accepted.reduce((s, l) => s + BigInt(l.gpuSeconds), 0n)) / 3600;
    expect(charts[0].datasets.reduce((s, d) => s + d.sum, 0)).to.be.closeTo(hours, 1e-6);
    expect(charts[1].labels).to.equal(periods.length);
    expect(charts[1].datasets.map((d) => d.label)).to.deep.equal(["Revenue", "Owed", "Paid"]);
    expect(charts[1].datasets[0].sum).to.be.closeTo(Number(periods.reduce((s, p) => s + BigInt(p.revenue), 0n)) / 1e6, 1e-6);

    expect(await page.locator("#payments tbody tr").count()).to.equal(payments.length);
    expect(await page.locator("#payments [data-col=amount]").evaluateAll((c) => c.map((e) => e.getAttribute("data-raw")))).to.deep.equal(payments.map((p) => p.amount));
    expect(await page.locator("#distributions [data-col=amount]").evaluateAll((c) => c.map((e) => e.getAttribute("data-raw")))).to.deep.equal(distributions.map((d) => d.amount));
    expect(await page.locator("#distributions tbody").textContent()).to.contain("Program");

    // the auditor's report (its hash recorded on chain for this agreement), with a link to it
    expect(report.recorded).to.equal(true);
    expect(audits[audits.length - 1].reportHash).to.equal(report.reportHash);
    expect(await page.locator('[data-field="auditReportHash"] dd').textContent()).to.equal(report.reportHash);
    expect(await page.locator('[data-field="auditResult"] dd').textContent()).to.equal("clean");
    expect(await page.locator('[data-field="auditThroughBlock"] dd').textContent()).to.match(new RegExp(`^${report.throughBlock} \\(`));
    expect(await page.locator('[data-field="auditRecorded"] dd').textContent()).to.match(/^yes, /);
    expect(await page.locator('[data-field="auditReport"]').getAttribute("href")).to.equal(`/v1/agreements/${facts.a1}/audit`);
    expect(await page.locator("#batches tbody tr").count()).to.equal(new Set(usage.map((l) => l.batchId)).size);
    await screenshot(page, "agreement");

    // a2: covered by the report, whose hash was not recorded for it; its period 1 report is disputed
    await page.goto(`${suite.stack.url}/agreements/${facts.a2}`);
    await ready(page, "agreement");
    expect(await page.locator('[data-field="auditRecorded"] dd').textContent()).to.equal("not for this agreement");
    expect((await cell(page, '#periods tr[data-period="1"]', "state")).text).to.equal("Disputed");
    // PROGRAM's proposed wallet migration, counting down from the indexed block's time
    const a2 = await api(`/v1/agreements/${facts.a2}`);
    expect(a2.data.pendingMigration.to).to.equal(facts.pending.migrationTo);
    expect(await pendingOn(page, "pendingMigration")).to.deep.equal(expectedPending(a2.data.pendingMigration.to, a2.data.pendingMigration.effectiveAt, a2.meta.blockTimestamp));
    // a4 came after the audit: no report covers it (the route answers 404) and nothing is recorded
    await page.goto(`${suite.stack.url}/agreements/${facts.a4}`);
    await ready(page, "agreement");
    expect(await page.locator('[data-field="audit"]').textContent()).to.equal("No audit yet.");
    // a shared link to an agreement that does not exist explains itself
    await page.goto(`${suite.stack.url}/agreements/999`);
    await ready(page, "agreement");
    expect(await page.locator('[data-field="not-found"]').textContent()).to.equal("No agreement 999 is indexed.");
    expect(unexpected(problems, [/\/v1\/agreements\/999$/])).to.deep.equal([]);
  });

  it("when a partner is opened from an agreement, it shows receivables per agreement, paid, claimable and its usage batches with their status", async function () {
    const { facts } = suite.stack;
    const { page, problems } = await open(`/agreements/${facts.a1}`, "agreement");
    await page.click(`#positions a[href="/partners/${facts.partnerF}"]`);
    await ready(page, "partner");
    expect(new URL(page.url()).pathname).to.equal(`/partners/${facts.partnerF}`);
    const partner = (await api(`/v1/partners/${facts.partnerF}`)).data as Json;
    expect(await field(page, "claimable")).to.deep.equal({ raw: partner.claimable, text: usdc(partner.claimable) });
    expect(await field(page, "claimed")).to.deep.equal({ raw: partner.claimed, text: usdc(partner.claimed) });
    expect(await field(page, "receivable")).to.deep.equal({ raw: partner.totals.receivable, text: usdc(partner.totals.receivable) });
    expect(await field(page, "paidToPartner")).to.deep.equal({ raw: partner.totals.paidToPartner, text: usdc(partner.totals.paidToPartner) });
    expect(BigInt(partner.claimed)).to.be.greaterThan(0n);
    const agreements = await all(`/v1/agreements?partner=${facts.partnerF}`);
    expect(await page.locator("#receivables tbody tr").count()).to.equal(agreements.length);
    for (const a of agreements) {
      const position = ((await api(`/v1/agreements/${a.id}`)).data.partners as Json[]).find((p) => p.partner === facts.partnerF)!;
      const row = `#receivables tr[data-agreement="${a.id}"]`;
      expect(await cell(page, row, "receivable")).to.deep.equal({ raw: position.receivable, text: usdc(position.receivable) });
      expect(await cell(page, row, "paidToPartner")).to.deep.equal({ raw: position.paidToPartner, text: usdc(position.paidToPartner) });
    }
    // F's three daily batches: the first carries a credit note, the others are past their dispute window
    const rows = page.locator("#batches tbody tr");
    expect(await rows.count()).to.equal(3);
    const batches = await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-batch")!));
    const statuses: string[] = [];
    for (const id of batches) {
      const b = (await api(`/v1/usage-batches/${id}`)).data as Json;
      expect(await cell(page, `#batches tr[data-batch="${id}"]`, "linesAccepted")).to.deep.equal({ raw: String(b.linesAccepted), text: String(b.linesAccepted) });
      expect((await cell(page, `#batches tr[data-batch="${id}"]`, "linesRejected")).raw).to.equal(String(b.linesRejected));
      statuses.push((await cell(page, `#batches tr[data-batch="${id}"]`, "status")).text!);
    }
    expect(statuses).to.deep.equal(["final", "final", "credit note 188.00 DSXC"]);
    // the signer set and payout address in force, and PROGRAM's proposals with their countdowns
    const { meta } = await api(`/v1/partners/${facts.partnerF}`);
    expect(partner.payout, "no payout address set: the partner itself").to.equal(facts.partnerF);
    expect(await page.locator('[data-field="payout"]').getAttribute("data-raw")).to.equal(partner.payout);
    expect(await signersOn(page, "signers")).to.deep.equal(partner.signers);
    expect(partner.pendingPayout.payout).to.equal(facts.pending.payoutF);
    expect(await pendingOn(page, "pendingPayout")).to.deep.equal(expectedPending(partner.pendingPayout.payout, partner.pendingPayout.effectiveAt, meta.blockTimestamp));
    expect(partner.pendingSigners.signers).to.deep.equal(facts.pending.signersF);
    expect(await signersOn(page, "pendingSigners")).to.deep.equal(partner.pendingSigners.signers);
    expect(await pendingOn(page, "pendingSigners")).to.deep.equal(
      expectedPending(`${partner.pendingSigners.threshold}/${partner.pendingSigners.signers.length}`, partner.pendingSigners.effectiveAt, meta.blockTimestamp),
    );
    // drawn from the partner, the program, its positions and a page of its batches: not a request per agreement
    expect(Number(await page.getAttribute("body", "data-requests"))).to.equal(4);
    await screenshot(page, "partner");
    // B set its own payout address: in force at once, nothing pending
    await page.goto(`${suite.stack.url}/partners/${facts.partnerB}`);
    await ready(page, "partner");
    const b = (await api(`/v1/partners/${facts.partnerB}`)).data as Json;
    expect([b.payout, b.pendingPayout, b.pendingSigners]).to.deep.equal([facts.payoutB, null, null]);
    expect(await page.locator('[data-field="payout"]').getAttribute("data-raw")).to.equal(facts.payoutB);
    expect(await page.locator('[data-field="pendingPayout"], [data-field="pendingSigners"]').count()).to.equal(0);
    expect(unexpected(problems)).to.deep.equal([]);
  });

  it("when a wallet address is pasted into the search, it opens that account's page; other ids and bad input are handled", async function () {
    const { facts } = suite.stack;
    const { page, problems } = await open("/", "overview");
    const wallet = facts.startups[0];
    await page.fill("#search-input", `  ${wallet.toLowerCase()} `);
    await page.press("#search-input", "Enter");
    await ready(page, "account");
    expect(new URL(page.url()).pathname).to.equal(`/accounts/${wallet.toLowerCase()}`);
    const account = (await api(`/v1/accounts/${wallet}`)).data as Json;
    expect(await field(page, "creditBalance")).to.deep.equal({ raw: account.creditBalance, text: dsxc(account.creditBalance) });
    expect(await field(page, "claimable")).to.deep.equal({ raw: account.claimable, text: usdc(account.claimable) });
    expect(await page.locator('[data-field="address"]').textContent()).to.equal(wallet);
    expect(await page.locator("#account-agreements tbody tr").evaluateAll((trs) => trs.map((tr) => [tr.getAttribute("data-agreement"), tr.getAttribute("data-role")]))).to.deep.equal(
      account.agreements.map((a: Json) => [a.id, a.role]),
    );
    for (const a of account.agreements as Json[]) {
      const outstanding = ((await api(`/v1/agreements/${a.id}`)).data as Json).outstanding;
      expect(await cell(page, `#account-agreements tr[data-agreement="${a.id}"]`, "outstanding")).to.deep.equal({ raw: outstanding, text: usdc(outstanding) });
    }
    await screenshot(page, "account");

    // the back button returns to the overview
    await page.goBack();
    await ready(page, "overview");

    await page.fill("#search-input", "not an address");
    await page.press("#search-input", "Enter");
    expect(await page.locator("#search-error").textContent()).to.match(/^Enter a wallet address/);
    expect(new URL(page.url()).pathname).to.equal("/");
    expect(await page.getAttribute("#search-input", "aria-invalid")).to.equal("true");

    await page.fill("#search-input", String(facts.a2));
    await page.press("#search-input", "Enter");
    await ready(page, "agreement");
    expect(new URL(page.url()).pathname).to.equal(`/agreements/${facts.a2}`);

    // the account form page, with an address the index never saw
    const stranger = "0x000000000000000000000000000000000000dEaD";
    await page.goto(`${suite.stack.url}/accounts`);
    await ready(page, "account-form");
    await page.fill("#account-input", stranger);
    await page.click("#account-form button");
    await ready(page, "account");
    expect(await page.locator('[data-field="not-found"]').textContent()).to.contain(stranger);
    expect(unexpected(problems, [/\/v1\/accounts\/0x000000000000000000000000000000000000dEaD$/])).to.deep.equal([]);
  });

  it("when a record id is given on a usage batch page, its evidence proof is checked in the browser against the batch's recordsRoot", async function () {
    const { facts } = suite.stack;
    const { page, problems } = await open(`/usage-batches/${facts.evidenceBatch}`, "batch");
    const batch = (await api(`/v1/usage-batches/${facts.evidenceBatch}`)).data as Json;
    expect(await page.locator('[data-field="recordsRoot"] dd').textContent()).to.equal(batch.recordsRoot);
    await page.fill("#record-input", facts.recordId);
    await page.press("#record-input", "Enter");
    await ready(page, "batch");
    await page.locator('[data-field="proof"]').waitFor();
    expect(new URL(page.url()).searchParams.get("record")).to.equal(facts.recordId);
    const proof = (await api(`/v1/usage-batches/${facts.evidenceBatch}/records/${encodeURIComponent(facts.recordId)}/proof`)).data as Json;
    expect(proof.leaves.length).to.equal(2);
    expect(await page.locator("#proof-leaves tbody tr").evaluateAll((trs) => trs.map((tr) => tr.getAttribute("data-verified")))).to.deep.equal(["true", "true"]);
    // the browser's own hashing: a leaf with one GPU-second more leads to another root
    const leaf = proof.leaves[0];
    const changed = { ...leaf.leaf, gpuSeconds: String(BigInt(leaf.leaf.gpuSeconds) + 1n) };
    const tampered = (await page.evaluate(
      `import("/assets/evidence.js").then((m) => [m.rootOf(${JSON.stringify(leaf.leaf)}, ${JSON.stringify(leaf.proof)}), m.rootOf(${JSON.stringify(changed)}, ${JSON.stringify(leaf.proof)})])`,
    )) as string[];
    expect(tampered[0]).to.equal(batch.recordsRoot);
    expect(tampered[1]).to.not.equal(batch.recordsRoot);
    await screenshot(page, "usage-batch");
    // a record the bundle does not hold is explained
    await page.fill("#record-input", "slurm:nowhere:1");
    await page.press("#record-input", "Enter");
    await ready(page, "batch");
    expect(await page.locator('[data-field="proof-missing"]').textContent()).to.contain("has no leaf");
    expect(unexpected(problems, [/\/records\/slurm%3Anowhere%3A1\/proof$/])).to.deep.equal([]);
  });

  it("when a new block is indexed, the open page redraws with the new figures without a reload", async function () {
    const { facts, driver } = suite.stack;
    const { page, problems } = await open(`/agreements/${facts.a1}`, "agreement");
    await page.evaluate(() => (window.marker = 42));
    const before = (await api(`/v1/agreements/${facts.a1}`)).data as Json;
    const rowsBefore = await page.locator("#payments tbody tr").count();
    await suite.stack.wake();
    const sent = await driver.pay(facts.a1, 250n * DSXC);
    await suite.stack.indexed(sent.blockNumber);
    await ready(page, "agreement", Number(sent.blockNumber));
    const after = (await api(`/v1/agreements/${facts.a1}`)).data as Json;
    expect(BigInt(after.paid) - BigInt(before.paid)).to.equal(250n * DSXC);
    expect(await field(page, "paid")).to.deep.equal({ raw: after.paid, text: usdc(after.paid) });
    expect(await field(page, "outstanding")).to.deep.equal({ raw: after.outstanding, text: usdc(after.outstanding) });
    expect(await page.locator("#payments tbody tr").count()).to.equal(rowsBefore + 1);
    expect(await page.evaluate(() => window.marker)).to.equal(42);
    expect(await page.locator("#live").textContent()).to.contain(`Indexed block ${sent.blockNumber}`);
    expect(unexpected(problems)).to.deep.equal([]);
  });

  it("when used with the keyboard alone, the skip link, the menu, the search and every link are reachable and Enter follows a link", async function () {
    const { facts } = suite.stack;
    const { page, problems } = await open("/", "overview");
    // from the top, Tab goes to the skip link, the menu, the search box and then the page's links in order
    const seen: string[] = [];
    for (let i = 0; i < 40 && !seen.includes(`/agreements/${facts.a2}`); i++) {
      await page.keyboard.press("Tab");
      seen.push(await page.evaluate(() => document.activeElement?.getAttribute("href") ?? document.activeElement?.id ?? ""));
    }
    expect(seen.slice(0, 6)).to.deep.equal(["#main", "/", "/", "/accounts", "/docs", "search-input"]);
    expect(seen).to.include.members([`/agreements/${facts.a1}`, `/agreements/${facts.a2}`]);
    expect(seen.indexOf("search-input")).to.be.lessThan(seen.indexOf(`/agreements/${facts.a1}`));
    expect(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle)).to.not.equal("none");
    await page.keyboard.press("Enter");
    await ready(page, "agreement");
    expect(new URL(page.url()).pathname).to.equal(`/agreements/${facts.a2}`);
    expect(await page.evaluate(() => document.activeElement?.tagName)).to.equal("H1");
    // the skip link is the first stop and moves focus to the content
    await page.goto(`${suite.stack.url}/`);
    await ready(page, "overview");
    await page.keyboard.press("Tab");
    expect(await page.evaluate(() => document.activeElement?.textContent)).to.equal("Skip to content");
    expect(await page.evaluate(() => getComputedStyle(document.activeElement).outlineStyle)).to.not.equal("none");
    await page.keyboard.press("Enter");
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal("main");
    expect(unexpected(problems)).to.deep.equal([]);
  });

  it("when shown on a phone, the pages fit the screen width (wide tables scroll inside their frame)", async function () {
    const { facts } = suite.stack;
    const { page, problems } = await open("/", "overview", { viewport: { width: 390, height: 844 } });
    for (const [path, view, name] of [
      ["/", "overview", "overview-phone"],
      [`/agreements/${facts.a1}`, "agreement", "agreement-phone"],
      [`/partners/${facts.partnerF}`, "partner", "partner-phone"],
    ] as const) {
      if (path !== "/") {
        await page.goto(suite.stack.url + path);
        await ready(page, view);
      }
      const widths = await page.evaluate(() => ({ page: document.documentElement.scrollWidth, screen: window.innerWidth }));
      expect(widths.page, path).to.be.at.most(widths.screen);
      await screenshot(page, name);
    }
    expect(unexpected(problems)).to.deep.equal([]);
  });
  // last: it moves the chain's clock past every notice
  it("when the notices pass, the open page shows the new sets and payout address in force with no transaction, and the migration as executable", async function () {
    const { facts, driver } = suite.stack;
    const { page, problems } = await open(`/partners/${facts.partnerF}`, "partner");
    const [partner, a2] = await Promise.all([api(`/v1/partners/${facts.partnerF}`), api(`/v1/agreements/${facts.a2}`)]);
    const wait = Math.max(partner.data.pendingPayout.secondsLeft, partner.data.pendingSigners.secondsLeft, a2.data.pendingMigration.secondsLeft);
    await suite.stack.wake();
    const moved = await driver.increaseTime(BigInt(wait));
    await suite.stack.indexed(moved.blockNumber);
    await ready(page, "partner", Number(moved.blockNumber));
    const after = (await api(`/v1/partners/${facts.partnerF}`)).data as Json;
    expect([after.payout, after.pendingPayout, after.signers, after.pendingSigners]).to.deep.equal([facts.pending.payoutF, null, facts.pending.signersF, null]);
    expect(await page.locator('[data-field="payout"]').getAttribute("data-raw")).to.equal(facts.pending.payoutF);
    expect(await signersOn(page, "signers")).to.deep.equal(facts.pending.signersF);
    expect(await page.locator('[data-field="pendingPayout"], [data-field="pendingSigners"]').count()).to.equal(0);

    await page.goto(`${suite.stack.url}/agreements/${facts.a2}`);
    await ready(page, "agreement");
    const migration = await api(`/v1/agreements/${facts.a2}`);
    expect(migration.data.pendingMigration).to.include({ to: facts.pending.migrationTo, secondsLeft: 0 });
    expect(await pendingOn(page, "pendingMigration")).to.deep.equal(
      expectedPending(facts.pending.migrationTo, migration.data.pendingMigration.effectiveAt, migration.meta.blockTimestamp, "the notice has passed: anyone can execute it"),
    );

    await page.goto(`${suite.stack.url}/`);
    await ready(page, "overview");
    expect((await api("/v1/program")).data.revenueSigners).to.deep.equal({ signers: facts.pending.revenueSigners, threshold: 1, pending: null });
    expect(await signersOn(page, "revenueSigners")).to.deep.equal(facts.pending.revenueSigners);
    expect(await page.locator('[data-field="pendingRevenueSigners"]').count()).to.equal(0);
    expect(unexpected(problems)).to.deep.equal([]);
  });
});

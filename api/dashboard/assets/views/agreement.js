// @ts-check
// One agreement: terms and PROTOCOL §12 figures, partner positions, GPU usage and revenue charts, the
// periods with their report state and dispute-window countdown, payments, distributions, the latest audit
// and its usage batches (each links to the batch page with its evidence proofs).
import { auditRecords, auditReport, get, getAll, getOrNull, nowOf } from "../api.js";
import { chartBlock, dataTable, drawBars, plotValue } from "../charts.js";
import { badge, figure, h, numCell, section, table } from "../dom.js";
import { countdown, day, duration, dsxc, gpuHours, multiple, percent, plural, seconds, short, time, units, usdc } from "../format.js";
import { accountLink, batchLink, beneficiary, delinquentBadge, heading, partnerLink, pendingChange, periodBadge, statusBadge, terms, tx } from "./common.js";

/**
 * How much of a finalized period's owed amount the payments so far settle (payments settle periods
 * oldest-first, PROTOCOL §8): min(owed, max(0, paid − obligation before it)).
 * @param {{ state: string, owed: string, cumulativeObligation: string }} p
 * @param {bigint} paid
 */
export function paidTowards(p, paid) {
  if (p.state !== "Finalized") return 0n;
  const owed = BigInt(p.owed);
  const before = BigInt(p.cumulativeObligation) - owed;
  const rest = paid - before;
  return rest <= 0n ? 0n : rest >= owed ? owed : rest;
}

/**
 * GPU-hours of accepted usage lines by day (or by month over long spans), per partner and sku.
 * @param {any[]} lines
 */
export function usageSeries(lines) {
  const accepted = lines.filter((l) => l.accepted);
  if (accepted.length === 0) return { labels: [], series: [] };
  const days = accepted.map((l) => l.recordedAt.slice(0, 10)).sort();
  const first = Date.parse(`${days[0]}T00:00:00Z`);
  const last = Date.parse(`${days[days.length - 1]}T00:00:00Z`);
  const monthly = (last - first) / 86_400_000 > 120;
  const bucket = (/** @type {string} */ iso) => (monthly ? iso.slice(0, 7) : iso.slice(0, 10));
  /** @type {string[]} */
  const labels = [];
  for (let t = first; t <= last; t += 86_400_000) {
    const b = bucket(new Date(t).toISOString());
    if (labels[labels.length - 1] !== b) labels.push(b);
  }
  /** @type {Map<string, { label: string, seconds: bigint[] }>} */
  const series = new Map();
  for (const l of accepted) {
    const key = `${l.partner} ${l.sku}`;
    let s = series.get(key);
    if (!s) series.set(key, (s = { label: `${short(l.partner)} · ${l.sku}`, seconds: labels.map(() => 0n) }));
    s.seconds[labels.indexOf(bucket(l.recordedAt))] += BigInt(l.gpuSeconds);
  }
  return { labels, series: [...series.values()] };
}

/**
 * "3 of 3 passed" and the names of failed checks.
 * @param {{ title: string, result: string }[]} checks
 */
function checkSummary(checks) {
  const failed = checks.filter((c) => c.result === "fail");
  return `${checks.length - failed.length} of ${checks.length} passed${failed.length ? `; failed: ${failed.map((c) => c.title).join(", ")}` : ""}`;
}

/**
 * The latest audit: the agreement's section of the latest report the server holds (with whether its hash was
 * recorded on chain), else the latest on-chain record, else "No audit yet".
 * @param {string} id
 * @param {Record<string, any> | null} report from GET /v1/agreements/:id/audit
 * @param {Record<string, any>[]} records from GET /v1/agreements/:id/audits
 */
function auditSection(id, report, records) {
  const onChain = records.length > 0 ? h("p", { class: "muted" }, `${plural(records.length, "audit")} of this agreement recorded on chain.`) : null;
  if (report) {
    const record = report.records[report.records.length - 1];
    const rows = /** @type {[string, Node | string, string?][]} */ ([
      ["Result", report.clean ? badge("clean", "ok") : badge(plural(report.discrepancies.length, "discrepancy", "discrepancies"), "danger"), "auditResult"],
      ["Audited block", `${report.throughBlock} (${time(report.auditedAt)})`, "auditThroughBlock"],
      ["Agreement checks", checkSummary(report.checks), "auditChecks"],
      ["Program-wide checks", checkSummary(report.programChecks)],
      ["Report hash", h("code", { class: "wrap" }, report.reportHash), "auditReportHash"],
      ["Recorded on chain", record ? h("span", null, `yes, ${time(record.recordedAt)} by `, accountLink(record.auditor), " in ", tx(record.txHash)) : "not for this agreement", "auditRecorded"],
      ["Report file", h("code", null, report.file)],
    ]);
    return section("Latest audit", [
      h("div", { "data-field": "audit" }, terms(rows)),
      report.discrepancies.length > 0
        ? table({
            caption: "Discrepancies: figures the auditor recomputed differently",
            head: ["Check", "Figure", "Expected", "Found"],
            rows: report.discrepancies.map((/** @type {any} */ d) => h("tr", null, h("td", null, d.check), h("td", null, d.figure), h("td", null, d.expected), h("td", null, d.found))),
          })
        : null,
      h("p", null, h("a", { href: `/v1/agreements/${id}/audit`, "data-field": "auditReport" }, "Open the audit report (this agreement's section, JSON)")),
      onChain,
    ]);
  }
  if (records.length > 0) {
    const a = records[records.length - 1];
    return section("Latest audit", [
      h(
        "div",
        { "data-field": "audit" },
        terms([
          ["Result", a.clean ? badge("clean", "ok") : badge("discrepancies", "danger"), "auditResult"],
          ["Audited block", String(a.throughBlock), "auditThroughBlock"],
          ["Report hash", h("code", { class: "wrap" }, a.reportHash), "auditReportHash"],
          ["Recorded on chain", h("span", null, `${time(a.recordedAt)} by `, accountLink(a.auditor), " in ", tx(a.txHash)), "auditRecorded"],
        ]),
      ),
      h("p", null, "This server holds no report file for it. ", h("a", { href: `/v1/agreements/${id}/audits`, "data-field": "auditReport" }, "The audit records (JSON)")),
      onChain,
    ]);
  }
  return section("Latest audit", [h("p", { class: "muted", "data-field": "audit" }, "No audit yet.")]);
}

/** @param {{ params: string[] }} ctx */
export async function agreementView({ params: [id] }) {
  const found = await getOrNull(`/v1/agreements/${id}`);
  if (!found) return { title: `Agreement #${id}`, body: [heading(`Agreement #${id}`), h("p", { class: "notice", "data-field": "not-found" }, `No agreement ${id} is indexed.`)], meta: undefined };
  const [program, usage, revenue, payments, distributions, report, records] = await Promise.all([
    get("/v1/program"),
    getAll(`/v1/agreements/${id}/usage`),
    getAll(`/v1/agreements/${id}/revenue`),
    getAll(`/v1/agreements/${id}/payments`),
    getAll(`/v1/agreements/${id}/distributions`),
    auditReport(id),
    auditRecords(id),
  ]);
  const a = found.data;
  const meta = found.meta;
  const now = nowOf(meta);
  const disputeWindow = program.data.constants.disputeWindow;
  const paid = BigInt(a.paid);

  // ------------------------------------------------------------------ figures and terms
  const nextDueNote = a.nextDue ? (countdown(seconds(a.nextDue), now) ?? "overdue") : undefined;
  const figures = h(
    "dl",
    { class: "figures" },
    figure("Credits minted", dsxc(a.creditsMinted), { field: "creditsMinted", raw: a.creditsMinted }),
    figure("Consumed", dsxc(a.consumed), { field: "consumed", raw: a.consumed }),
    figure("Cap", usdc(a.cap), { field: "cap", raw: a.cap, note: `${multiple(a.terms.capMultipleBps)} of consumed` }),
    figure("Obligation", usdc(a.obligation), { field: "obligation", raw: a.obligation }),
    figure("Paid", usdc(a.paid), { field: "paid", raw: a.paid }),
    figure("Outstanding", usdc(a.outstanding), { field: "outstanding", raw: a.outstanding, tone: a.delinquent ? "danger" : undefined }),
    figure("Next due", time(a.nextDue), { field: "nextDue", raw: a.nextDue ?? "", note: nextDueNote }),
    figure("Next period to finalize", String(a.nextPeriodToFinalize), { field: "nextPeriodToFinalize", raw: a.nextPeriodToFinalize, note: `of ${a.periodCount}` }),
  );
  const t = a.terms;
  const termList = terms([
    ["Startup", accountLink(a.startup), "startup"],
    ["Credit limit", dsxc(t.creditLimit), "creditLimit"],
    ["Revenue share", percent(t.revenueShareBps), "revenueShare"],
    ["Cap multiple", multiple(t.capMultipleBps), "capMultiple"],
    ["Partner-first share", percent(t.partnerFirstBps), "partnerFirst"],
    ["Term", `${time(t.startTime)} – ${time(t.endTime)}`, "term"],
    ["Revenue periods", `${a.periodCount} × ${duration(t.periodDuration)}`, "periods"],
    ["Grace period", duration(t.gracePeriod), "gracePeriod"],
    ["Reporting closes", a.reportingClose ? time(a.reportingClose) : "never while paused", "reportingClose"],
    ["Created", time(a.createdAt)],
    ["Accepted", time(a.acceptedAt)],
    ["Terminated", time(a.terminatedAt)],
    ["Terms hash", h("code", { class: "wrap" }, t.termsHash)],
  ]);

  // PROGRAM's proposed wallet migration waits for its notice, then for anyone to execute it (PROTOCOL v1.1 §3)
  const m = a.pendingMigration;
  const migration = m
    ? pendingChange({
        field: "pendingMigration",
        raw: m.to,
        effectiveAt: m.effectiveAt,
        now,
        what: ["PROGRAM proposed to move this agreement and its credits from ", accountLink(a.startup), " to ", accountLink(m.to), " (the startup may cancel it until then)"],
        due: "the notice has passed: anyone can execute it",
      })
    : null;

  // ------------------------------------------------------------------ partner positions
  const positions = table({
    caption: "Authorized partners and what each is owed",
    head: ["Partner", { text: "Spend limit", num: true }, { text: "Spent", num: true }, { text: "Max GPUs", num: true }, "Pending decrease", { text: "Receivable", num: true }, { text: "Paid to partner", num: true }, "Last usage end"],
    rows: a.partners.map((/** @type {any} */ p) =>
      h(
        "tr",
        { "data-partner": p.partner },
        h("th", { scope: "row" }, partnerLink(p.partner)),
        numCell(dsxc(p.spendLimit), p.spendLimit),
        numCell(dsxc(p.spent), p.spent, { "data-col": "spent" }),
        numCell(String(p.maxGpus), p.maxGpus),
        h(
          "td",
          null,
          p.pendingSpendLimitAt ? `spend limit → ${dsxc(p.pendingSpendLimit)} at ${time(p.pendingSpendLimitAt)}` : null,
          p.pendingSpendLimitAt && p.pendingMaxGpusAt ? h("br") : null,
          p.pendingMaxGpusAt ? `max GPUs → ${p.pendingMaxGpus} at ${time(p.pendingMaxGpusAt)}` : null,
          !p.pendingSpendLimitAt && !p.pendingMaxGpusAt ? "—" : null,
        ),
        numCell(usdc(p.receivable), p.receivable, { "data-col": "receivable" }),
        numCell(usdc(p.paidToPartner), p.paidToPartner, { "data-col": "paidToPartner" }),
        h("td", null, time(p.lastUsageEnd)),
      ),
    ),
    empty: "No partner authorized.",
    id: "positions",
  });

  // ------------------------------------------------------------------ charts
  const u = usageSeries(usage.data);
  const usageChart = chartBlock({
    id: "usage-chart",
    label: `GPU-hours of accepted usage by ${u.labels[0]?.length === 7 ? "month" : "day"} of recording, per partner and sku`,
    dataTable: dataTable(
      "GPU-hours per partner and sku",
      ["Day", ...u.series.map((s) => s.label)],
      u.labels.map((d, i) => [d, ...u.series.map((s) => gpuHours(s.seconds[i]))]),
    ),
  });
  const periods = revenue.data;
  const revenueChart = chartBlock({
    id: "revenue-chart",
    label: "Revenue, owed and paid per revenue period, with due dates",
    dataTable: dataTable(
      "Revenue, owed and paid per period",
      ["Period", "Revenue", "Owed", "Paid", "Due"],
      periods.map((p) => [`P${p.periodIndex}`, usdc(p.revenue), usdc(p.owed), usdc(paidTowards(p, paid)), day(p.due)]),
    ),
  });

  // ------------------------------------------------------------------ periods
  const periodRows = periods.map((p) => {
    const owed = BigInt(p.owed);
    const settled = paidTowards(p, paid);
    let payment = "—";
    if (p.state === "Finalized") {
      if (settled === owed) payment = "settled";
      else if (p.due && now >= seconds(p.due)) payment = "late";
      else payment = settled > 0n ? "partly paid" : "unpaid";
    }
    let window = h("span", { class: "muted" }, "—");
    if (p.state === "Pending" && p.submittedAt) {
      const closes = seconds(p.submittedAt) + disputeWindow;
      const left = countdown(closes, now);
      window = left
        ? h("span", { class: "countdown", "data-closes": String(closes) }, badge("open", "info"), ` ${left}`)
        : h("span", null, "ended — can be finalized");
    } else if (p.state === "Disputed") window = h("span", null, "disputed by ", accountLink(p.disputedBy), ", awaiting resolution");
    else if (p.state === "Cleared") window = h("span", null, "cleared — can be finalized");
    else if (p.state === "Rejected") window = h("span", null, "rejected — a new version is needed");
    return h(
      "tr",
      { "data-period": String(p.periodIndex), class: payment === "late" ? "delinquent" : null },
      h("th", { scope: "row" }, `P${p.periodIndex}`),
      h("td", null, `${day(p.periodStart)} – ${day(p.periodEnd)}`),
      h("td", { "data-col": "state" }, periodBadge(p.state), p.version > 1 ? ` v${p.version}` : null),
      numCell(p.state === "None" ? "—" : usdc(p.revenue), p.revenue, { "data-col": "revenue" }),
      numCell(usdc(p.owed), p.owed, { "data-col": "owed" }),
      numCell(usdc(settled), settled.toString(), { "data-col": "paid" }),
      h("td", { "data-col": "due" }, time(p.due)),
      h("td", { "data-col": "payment" }, payment === "late" ? badge("late", "danger") : payment),
      h("td", { "data-col": "window" }, window),
    );
  });

  // ------------------------------------------------------------------ usage batches
  /** @type {Map<string, { batchId: string, partner: string, recordedAt: string, accepted: number, rejected: number, reasons: Set<string>, seconds: bigint, credits: bigint }>} */
  const batches = new Map();
  for (const l of usage.data) {
    let b = batches.get(l.batchId);
    if (!b) batches.set(l.batchId, (b = { batchId: l.batchId, partner: l.partner, recordedAt: l.recordedAt, accepted: 0, rejected: 0, reasons: new Set(), seconds: 0n, credits: 0n }));
    if (l.accepted) {
      b.accepted++;
      b.seconds += BigInt(l.gpuSeconds);
      b.credits += BigInt(l.credits);
    } else {
      b.rejected++;
      b.reasons.add(l.reason);
    }
  }
  const batchList = [...batches.values()].reverse();
  const SHOWN = 50;

  const body = [
    heading(`Agreement #${a.id}`, statusBadge(a.status), a.delinquent ? delinquentBadge() : null),
    migration,
    figures,
    section("Terms", [termList]),
    section("Partners", [positions]),
    section("GPU usage", [usageChart.element]),
    section("Revenue, owed and paid", [revenueChart.element]),
    section("Revenue periods", [
      table({
        caption: `${plural(periods.length, "period")}; dispute windows last ${duration(disputeWindow)}`,
        head: ["Period", "Window", "Report", { text: "Revenue", num: true }, { text: "Owed", num: true }, { text: "Paid", num: true }, "Due", "Payment", "Dispute window"],
        rows: periodRows,
        id: "periods",
      }),
    ]),
    section("Payments", [
      table({
        caption: `${plural(payments.data.length, "payment")}, ${usdc(payments.data.reduce((s, p) => s + BigInt(p.amount), 0n))} in all`,
        head: ["Recorded", "Payer", { text: "Amount", num: true }, { text: "To partners", num: true }, { text: "To program", num: true }, "Transaction"],
        rows: payments.data.map((p) =>
          h("tr", null, h("td", null, time(p.recordedAt)), h("td", null, accountLink(p.payer)), numCell(usdc(p.amount), p.amount, { "data-col": "amount" }), numCell(usdc(p.toPartners), p.toPartners), numCell(usdc(p.toProgram), p.toProgram), h("td", null, tx(p.txHash))),
        ),
        empty: "No payment yet.",
        id: "payments",
      }),
    ]),
    section("Distributions", [
      table({
        caption: "How the payments were split (claimable by each beneficiary)",
        head: ["Recorded", "Beneficiary", { text: "Amount", num: true }, "Transaction"],
        rows: distributions.data.map((d) => h("tr", null, h("td", null, time(d.recordedAt)), h("td", null, beneficiary(d.beneficiary)), numCell(usdc(d.amount), d.amount, { "data-col": "amount" }), h("td", null, tx(d.txHash)))),
        empty: "No distribution yet.",
        id: "distributions",
      }),
    ]),
    auditSection(a.id, report, records),
    section("Usage batches", [
      table({
        caption: `${plural(batchList.length, "batch", "batches")} with lines for this agreement${batchList.length > SHOWN ? ` (newest ${SHOWN} shown)` : ""}; open one for its evidence proofs`,
        head: ["Batch", "Partner", "Recorded", { text: "Accepted lines", num: true }, "Rejected lines", { text: "GPU usage", num: true }, { text: "Credits", num: true }],
        rows: batchList.slice(0, SHOWN).map((b) =>
          h(
            "tr",
            { "data-batch": b.batchId },
            h("th", { scope: "row" }, batchLink(b.batchId)),
            h("td", null, partnerLink(b.partner)),
            h("td", null, time(b.recordedAt)),
            numCell(String(b.accepted), b.accepted),
            h("td", null, b.rejected > 0 ? `${b.rejected} (${[...b.reasons].join(", ")})` : "0"),
            numCell(gpuHours(b.seconds), b.seconds.toString()),
            numCell(dsxc(b.credits), b.credits.toString()),
          ),
        ),
        empty: "No usage reported yet.",
        id: "batches",
      }),
    ]),
  ];
  const after = () => {
    drawBars(usageChart.canvas, {
      labels: u.labels,
      datasets: u.series.map((s) => ({ label: s.label, data: s.seconds.map((v) => Number(v) / 3600) })),
      stacked: true,
      yTitle: "GPU-hours",
      format: (v) => `${Math.round(v * 100) / 100} GPU·h`,
    });
    drawBars(revenueChart.canvas, {
      labels: periods.map((p) => [`P${p.periodIndex}`, p.due ? `due ${day(p.due)}` : p.state]),
      datasets: [
        { label: "Revenue", data: periods.map((p) => plotValue(p.revenue)) },
        { label: "Owed", data: periods.map((p) => plotValue(p.owed)) },
        { label: "Paid", data: periods.map((p) => plotValue(paidTowards(p, paid))) },
      ],
      yTitle: "USDC",
      format: (v) => `${units(BigInt(Math.round(v * 100)), 2, 2)} USDC`,
    });
  };
  return { title: `Agreement #${a.id}`, body, meta, after };
}


// @ts-check
// Program overview: agreements by status, credits, settlement totals, every agreement (delinquent ones
// highlighted, with its last audit) and every partner.
import { get, getAll, nowOf } from "../api.js";
import { badge, figure, h, numCell, section, table } from "../dom.js";
import { day, dsxc, percent, plural, time, usdc } from "../format.js";
import { accountLink, agreementLink, delinquentBadge, heading, partnerLink, pendingChange, signerList, statusBadge } from "./common.js";

export const STATUSES = ["Proposed", "Active", "Terminated", "Expired", "Cancelled"];

/**
 * The last audit recorded on chain: its date and result.
 * @param {Record<string, any> | undefined} record
 */
function auditCell(record) {
  if (!record) return h("td", { "data-col": "audit", class: "wrap-cell" }, h("span", { class: "muted" }, "no audit yet"));
  return h(
    "td",
    { "data-col": "audit", "data-raw": record.recordedAt, class: "wrap-cell", title: `through block ${record.throughBlock}, report ${record.reportHash}` },
    day(record.recordedAt),
    " ",
    record.clean ? badge("clean", "ok") : badge("discrepancies", "danger"),
  );
}

export async function overview() {
  const [program, agreements, partners] = await Promise.all([get("/v1/program"), getAll("/v1/agreements"), getAll("/v1/partners")]);
  const list = agreements.data;
  // program-wide sums come with the program (the API sums every agreement at the indexed block): three
  // requests draw the page whatever the number of agreements
  const p = program.data;
  const t = p.totals;
  const byStatus = t.agreementsByStatus;
  const rs = p.revenueSigners;

  const rows = list.map((a) =>
    h(
      "tr",
      { "data-agreement": a.id, class: a.delinquent ? "delinquent" : null },
      h("th", { scope: "row" }, agreementLink(a.id)),
      h("td", null, accountLink(a.startup)),
      h("td", { "data-col": "status", class: "wrap-cell" }, statusBadge(a.status), a.delinquent ? [" ", delinquentBadge()] : null),
      numCell(dsxc(a.creditsMinted), a.creditsMinted, { "data-col": "creditsMinted" }),
      numCell(dsxc(a.consumed), a.consumed, { "data-col": "consumed" }),
      numCell(usdc(a.obligation), a.obligation, { "data-col": "obligation" }),
      numCell(usdc(a.paid), a.paid, { "data-col": "paid" }),
      numCell(usdc(a.outstanding), a.outstanding, { "data-col": "outstanding" }),
      h("td", { "data-col": "nextDue", title: a.nextDue ?? null }, day(a.nextDue)),
      auditCell(a.lastAudit ?? undefined),
    ),
  );

  const body = [
    heading("Program overview", p.paused ? badge("Paused", "warn") : null),
    h(
      "p",
      { class: "lede" },
      `Chain ${p.chainId} · ledger `,
      h("code", { title: p.ledger }, p.ledger),
      p.treasury ? [" · treasury ", accountLink(p.treasury)] : null,
    ),
    section("Agreements by status", [
      h("dl", { class: "figures" }, STATUSES.map((s) => figure(s, String(byStatus[s]), { field: `status-${s}`, raw: byStatus[s] }))),
    ]),
    section("Credits", [
      h(
        "dl",
        { class: "figures" },
        figure("Minted", dsxc(t.creditsMinted), { field: "creditsMinted", raw: t.creditsMinted }),
        figure("Consumed", dsxc(t.consumed), { field: "consumed", raw: t.consumed }),
        figure("Outstanding", dsxc(t.creditsOutstanding), { field: "creditsOutstanding", raw: t.creditsOutstanding, note: "minted − consumed, Active and Terminated agreements" }),
      ),
    ]),
    section("Settlement", [
      h(
        "dl",
        { class: "figures" },
        figure("Revenue reported", usdc(t.revenueReported), { field: "revenueReported", raw: t.revenueReported, note: `finalized ${usdc(t.revenueFinalized)}` }),
        figure("Obligations", usdc(t.obligation), { field: "obligation", raw: t.obligation }),
        figure("Paid", usdc(t.paid), { field: "paid", raw: t.paid }),
        figure("Outstanding", usdc(t.outstanding), { field: "outstanding", raw: t.outstanding }),
        figure("Delinquent agreements", String(t.delinquent), { field: "delinquent", raw: t.delinquent, tone: t.delinquent > 0 ? "danger" : undefined }),
        figure("Program claimable", usdc(p.programClaimable), { field: "programClaimable", raw: p.programClaimable, note: `claimed ${usdc(p.programClaimed)}` }),
      ),
    ]),
    section("Agreements", [
      table({
        caption: `${plural(list.length, "agreement")}; delinquent ones are highlighted`,
        head: ["Agreement", "Startup", "Status", { text: "Credits minted", num: true }, { text: "Consumed", num: true }, { text: "Obligation", num: true }, { text: "Paid", num: true }, { text: "Outstanding", num: true }, "Next due", "Last audit"],
        rows,
        empty: "No agreement yet.",
        id: "agreements",
      }),
    ]),
    section("Revenue signers", [
      h(
        "div",
        { "data-field": "revenueSigners", "data-raw": `${rs.threshold}/${rs.signers.length}` },
        h("p", null, `${rs.threshold} of ${rs.signers.length} signatures per revenue report.`),
        signerList(rs.signers),
      ),
      rs.pending
        ? pendingChange({
            field: "pendingRevenueSigners",
            raw: `${rs.pending.threshold}/${rs.pending.signers.length}`,
            effectiveAt: rs.pending.effectiveAt,
            // the program's own answer is read at its block
            now: nowOf(program.meta),
            what: [`PROGRAM's new revenue signer set, ${rs.pending.threshold} of ${rs.pending.signers.length} signatures per report`],
            due: "in force",
            more: [signerList(rs.pending.signers)],
          })
        : null,
    ]),
    section("Partners", [
      table({
        caption: `${plural(partners.data.length, "cloud partner")}`,
        head: ["Partner", "Active", { text: "Payout share", num: true }, "Signers", "Registered"],
        rows: partners.data.map((q) =>
          h(
            "tr",
            { "data-partner": q.address },
            h("th", { scope: "row" }, partnerLink(q.address)),
            h("td", null, q.active ? badge("active", "ok") : badge("inactive", "muted")),
            numCell(percent(q.payoutBps), q.payoutBps),
            h("td", null, `${q.threshold} of ${q.signers.length}`),
            h("td", null, time(q.registeredAt)),
          ),
        ),
        empty: "No partner registered yet.",
        id: "partners",
      }),
    ]),
  ];
  return { title: "Program overview", body, meta: agreements.meta };
}

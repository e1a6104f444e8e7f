// @ts-check
// A cloud partner: claimable and paid, receivables per agreement, its rate card and its usage batches with
// their status (dispute window, disputes, rejected lines).
import { get, getAll, getOrNull, nowOf } from "../api.js";
import { badge, figure, h, link, numCell, section, table } from "../dom.js";
import { countdown, dsxc, percent, plural, seconds, time, units, usdc } from "../format.js";
import { agreementLink, batchLink, heading, pendingChange, signerList, statusBadge } from "./common.js";

/** The newest batches shown with their status (one page of /v1/partners/:address/usage-batches). */
export const BATCHES_SHOWN = 25;

/**
 * A usage batch's status at `now`: disputes first, then whether its dispute window is open.
 * @param {any} b a batch from /v1/usage-batches/:batchId
 * @param {number} disputeWindow seconds
 * @param {number} now unix seconds
 */
export function batchStatus(b, disputeWindow, now) {
  const open = b.disputes.filter((/** @type {any} */ d) => d.state === "Open");
  if (open.length > 0) return { text: `disputed (${open.length} open)`, tone: "warn" };
  const refunds = b.disputes.reduce((/** @type {bigint} */ s, /** @type {any} */ d) => s + BigInt(d.refund), 0n);
  if (b.disputes.length > 0) return refunds > 0n ? { text: `credit note ${dsxc(refunds)}`, tone: "info" } : { text: "dispute rejected", tone: "ok" };
  const left = countdown(seconds(b.submittedAt) + disputeWindow, now);
  if (left) return { text: `open for disputes, ${left}`, tone: "info" };
  return { text: "final", tone: "ok" };
}

/** @param {{ params: string[] }} ctx */
export async function partnerView({ params: [address] }) {
  const found = await getOrNull(`/v1/partners/${address}`);
  if (!found) {
    return {
      title: "Partner",
      body: [heading("Partner"), h("p", { class: "notice", "data-field": "not-found" }, `${address} is not a registered partner. `, link(`/accounts/${address}`, "Open it as an account"), ".")],
      meta: undefined,
    };
  }
  const p = found.data;
  const now = nowOf(found.meta);
  // its positions (all pages) and one page of its newest batches with their disputes: a few requests whatever
  // the number of agreements and batches
  const [program, positions, batches] = await Promise.all([
    get("/v1/program"),
    getAll(`/v1/partners/${address}/positions`),
    get(`/v1/partners/${address}/usage-batches?limit=${BATCHES_SHOWN}`),
  ]);
  const disputeWindow = program.data.constants.disputeWindow;
  const details = batches.data;
  const batchCount = Number(p.nextSequence);

  let receivable = 0n;
  let paid = 0n;
  const rows = positions.data.map((/** @type {any} */ q) => {
    const r = BigInt(q.receivable);
    const d = BigInt(q.paidToPartner);
    receivable += r;
    paid += d;
    return h(
      "tr",
      { "data-agreement": q.agreementId },
      h("th", { scope: "row" }, agreementLink(q.agreementId)),
      h("td", null, statusBadge(q.status)),
      numCell(dsxc(q.spent), q.spent, { "data-col": "spent" }),
      numCell(usdc(r), r.toString(), { "data-col": "receivable" }),
      numCell(usdc(d), d.toString(), { "data-col": "paidToPartner" }),
      numCell(usdc(r - d), (r - d).toString(), { "data-col": "owed" }),
    );
  });

  const body = [
    heading(`Partner ${p.address.slice(0, 10)}…`, p.active ? badge("active", "ok") : badge("inactive", "muted")),
    h("p", { class: "lede" }, h("code", { class: "wrap" }, p.address), " · ", link(`/accounts/${p.address}`, "account view")),
    h(
      "dl",
      { class: "figures" },
      figure("Claimable", usdc(p.claimable), { field: "claimable", raw: p.claimable }),
      figure("Claimed", usdc(p.claimed), { field: "claimed", raw: p.claimed }),
      figure("Receivable", usdc(p.totals.receivable), { field: "receivable", raw: p.totals.receivable, note: `over ${plural(p.agreementCount, "agreement")}` }),
      figure("Paid to partner", usdc(p.totals.paidToPartner), { field: "paidToPartner", raw: p.totals.paidToPartner }),
      figure("Still owed", usdc(BigInt(p.totals.receivable) - BigInt(p.totals.paidToPartner)), { field: "owed", raw: (BigInt(p.totals.receivable) - BigInt(p.totals.paidToPartner)).toString() }),
      figure("Credits consumed here", dsxc(p.totals.spent), { field: "spent", raw: p.totals.spent }),
      figure("Payout share", percent(p.payoutBps), { field: "payoutBps", raw: p.payoutBps, note: "of consumed list value" }),
    ),
    section("Receivables per agreement", [
      table({
        caption: `Totals: receivable ${usdc(receivable)}, paid ${usdc(paid)}, still owed ${usdc(receivable - paid)}`,
        head: ["Agreement", "Status", { text: "Credits spent", num: true }, { text: "Receivable", num: true }, { text: "Paid to partner", num: true }, { text: "Still owed", num: true }],
        rows,
        empty: "No agreement authorizes this partner.",
        id: "receivables",
      }),
    ]),
    section("Usage batches", [
      table({
        caption: `${plural(batchCount, "batch", "batches")} recorded${batches.nextCursor ? ` (newest ${details.length} shown)` : ""}`,
        head: ["Batch", { text: "Sequence", num: true }, "Usage window", "Submitted", { text: "Lines accepted", num: true }, { text: "Lines rejected", num: true }, "Status"],
        rows: details.map((/** @type {any} */ b) => {
          const s = batchStatus(b, disputeWindow, now);
          return h(
            "tr",
            { "data-batch": b.batchId },
            h("th", { scope: "row" }, batchLink(b.batchId)),
            numCell(String(b.sequence), b.sequence),
            h("td", null, `${time(b.periodStart)} – ${time(b.periodEnd)}`),
            h("td", null, time(b.submittedAt)),
            numCell(String(b.linesAccepted), b.linesAccepted, { "data-col": "linesAccepted" }),
            numCell(String(b.linesRejected), b.linesRejected, { "data-col": "linesRejected" }),
            h("td", { "data-col": "status" }, badge(s.text, s.tone)),
          );
        }),
        empty: "No usage batch yet.",
        id: "batches",
      }),
    ]),
    section("Rate card", [
      table({
        caption: "Credits per GPU-hour, by sku and the time each rate took effect",
        head: ["Sku", { text: "Rate", num: true }, "Effective from"],
        rows: p.rates.map((/** @type {any} */ r) => h("tr", null, h("th", { scope: "row" }, r.sku), numCell(`${units(r.creditsPerGpuHour)} DSXC/GPU·h`, r.creditsPerGpuHour), h("td", null, time(r.effectiveFrom)))),
        empty: "No rate scheduled.",
      }),
    ]),
    section("Payout address", [
      h(
        "p",
        { "data-field": "payout", "data-raw": p.payout },
        "Claims are paid to ",
        h("code", { class: "wrap" }, p.payout),
        p.payout === p.address ? " (the partner itself: no payout address set)" : "",
        ".",
      ),
      p.pendingPayout
        ? pendingChange({
            field: "pendingPayout",
            raw: p.pendingPayout.payout,
            effectiveAt: p.pendingPayout.effectiveAt,
            now,
            what: ["PROGRAM set the payout address to ", h("code", { class: "wrap" }, p.pendingPayout.payout)],
            due: "in force",
          })
        : null,
    ]),
    section("Oracle signers", [
      h(
        "div",
        { "data-field": "signers", "data-raw": `${p.threshold}/${p.signers.length}` },
        h("p", null, `${p.threshold} of ${p.signers.length} signatures per batch; next batch sequence ${p.nextSequence}; registered ${time(p.registeredAt)}.`),
        signerList(p.signers),
      ),
      p.pendingSigners
        ? pendingChange({
            field: "pendingSigners",
            raw: `${p.pendingSigners.threshold}/${p.pendingSigners.signers.length}`,
            effectiveAt: p.pendingSigners.effectiveAt,
            now,
            what: [`PROGRAM's new signer set, ${p.pendingSigners.threshold} of ${p.pendingSigners.signers.length} signatures per batch`],
            due: "in force",
            more: [signerList(p.pendingSigners.signers)],
          })
        : null,
    ]),
  ];
  return { title: `Partner ${p.address}`, body, meta: found.meta };
}

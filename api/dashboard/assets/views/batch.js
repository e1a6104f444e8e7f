// @ts-check
// A usage batch: its window, lines, disputes and status, and the evidence proof of a metering record
// (from the API's evidence folder), checked in the browser against the batch's on-chain recordsRoot.
import { ApiError, get, getOrNull, nowOf } from "../api.js";
import { badge, figure, h, numCell, section, table } from "../dom.js";
import { rootOf } from "../evidence.js";
import { dsxc, gpuHours, plural, skuFromHex, time, units, usdc } from "../format.js";
import { agreementLink, heading, partnerLink, terms, tx } from "./common.js";
import { batchStatus } from "./partner.js";

/**
 * @param {string} batchId
 * @param {string} recordsRoot
 * @param {string} recordId
 */
async function proofSection(batchId, recordsRoot, recordId) {
  let proof;
  try {
    proof = (await get(`/v1/usage-batches/${batchId}/records/${encodeURIComponent(recordId)}/proof`)).data;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return h("p", { class: "notice", "data-field": "proof-missing" }, `No proof for record ${JSON.stringify(recordId)}: ${err.message}`);
    throw err;
  }
  const rows = proof.leaves.map((/** @type {any} */ l, /** @type {number} */ i) => {
    const root = rootOf(l.leaf, l.proof);
    const ok = root.toLowerCase() === recordsRoot.toLowerCase();
    return h(
      "tr",
      { "data-leaf": String(i), "data-verified": String(ok) },
      h("th", { scope: "row" }, String(i + 1)),
      h("td", null, agreementLink(l.leaf.agreementId)),
      h("td", null, skuFromHex(l.leaf.sku)),
      h("td", null, `${time(new Date(Number(l.leaf.sliceStart) * 1000).toISOString())} – ${time(new Date(Number(l.leaf.sliceEnd) * 1000).toISOString())}`),
      numCell(`${units(l.leaf.gpuSeconds, 0, 0)} GPU·s`, l.leaf.gpuSeconds),
      h("td", null, h("details", null, h("summary", null, plural(l.proof.length, "sibling hash", "sibling hashes")), h("ol", { class: "hashes" }, l.proof.map((/** @type {string} */ p) => h("li", null, h("code", null, p)))))),
      h("td", { "data-col": "verified" }, ok ? badge("verified", "ok") : badge(`mismatch: ${root.slice(0, 10)}…`, "danger")),
    );
  });
  return h(
    "div",
    { "data-field": "proof" },
    h("p", null, `Record ${JSON.stringify(proof.recordId)}: ${plural(proof.leaves.length, "leaf", "leaves")}. Each proof is checked here, in your browser, by hashing the leaf and its siblings up to the batch's recordsRoot.`),
    table({ caption: "Evidence leaves and their Merkle proofs", head: ["Leaf", "Agreement", "Sku", "Slice", { text: "GPU-seconds", num: true }, "Proof", "Check"], rows, id: "proof-leaves" }),
  );
}

/** @param {{ params: string[], query: URLSearchParams }} ctx */
export async function batchView({ params: [batchId], query }) {
  const found = await getOrNull(`/v1/usage-batches/${batchId}`);
  if (!found) return { title: "Usage batch", body: [heading("Usage batch"), h("p", { class: "notice", "data-field": "not-found" }, `No usage batch ${batchId} is indexed.`)], meta: undefined };
  const b = found.data;
  const program = await get("/v1/program");
  const status = batchStatus(b, program.data.constants.disputeWindow, nowOf(found.meta));
  const recordId = query.get("record") ?? "";
  const proof = recordId ? await proofSection(b.batchId, b.recordsRoot, recordId) : null;
  const body = [
    heading("Usage batch", badge(status.text, status.tone)),
    h("p", { class: "lede" }, h("code", { class: "wrap", "data-field": "batchId" }, b.batchId)),
    h(
      "dl",
      { class: "figures" },
      figure("Lines accepted", String(b.linesAccepted), { field: "linesAccepted", raw: b.linesAccepted }),
      figure("Lines rejected", String(b.linesRejected), { field: "linesRejected", raw: b.linesRejected }),
      figure("Sequence", String(b.sequence), { field: "sequence", raw: b.sequence }),
    ),
    terms([
      ["Partner", partnerLink(b.partner), "partner"],
      ["Usage window", `${time(b.periodStart)} – ${time(b.periodEnd)}`, "window"],
      ["Submitted", time(b.submittedAt), "submittedAt"],
      ["Records root", h("code", { class: "wrap" }, b.recordsRoot), "recordsRoot"],
      ["Block", String(b.blockNumber)],
      ["Transaction", tx(b.txHash)],
    ]),
    section("Lines", [
      table({
        caption: "Usage lines in batch order",
        head: ["Agreement", "Sku", { text: "GPU usage", num: true }, "Result", { text: "Credits", num: true }, { text: "Receivable added", num: true }],
        rows: b.lines.map((/** @type {any} */ l) =>
          h(
            "tr",
            null,
            h("th", { scope: "row" }, agreementLink(l.agreementId)),
            h("td", null, l.sku),
            numCell(gpuHours(l.gpuSeconds), l.gpuSeconds, { title: `${l.gpuSeconds} GPU-seconds` }),
            h("td", null, l.accepted ? badge("accepted", "ok") : badge(`rejected: ${l.reason}`, "danger")),
            numCell(dsxc(l.credits), l.credits),
            numCell(usdc(l.receivableAdded), l.receivableAdded),
          ),
        ),
        id: "lines",
      }),
    ]),
    section("Disputes", [
      table({
        caption: "Usage disputes (credit notes) on this batch",
        head: ["Agreement", "State", "Disputed", "Reason", { text: "Refund", num: true }, { text: "Receivable removed", num: true }, "Resolved"],
        rows: b.disputes.map((/** @type {any} */ d) =>
          h("tr", null, h("th", { scope: "row" }, agreementLink(d.agreementId)), h("td", null, d.state), h("td", null, time(d.disputedAt)), h("td", { class: "reason" }, d.reasonText ?? `not stored (keccak256 ${d.reasonHash.slice(0, 10)}…)`), numCell(dsxc(d.refund), d.refund), numCell(usdc(d.receivableRemoved), d.receivableRemoved), h("td", null, time(d.resolvedAt))),
        ),
        empty: "No dispute.",
        id: "disputes",
      }),
    ]),
    section("Evidence proof", [
      h(
        "form",
        { class: "address-form", id: "proof-form", novalidate: true, "data-nav-form": "proof" },
        h("label", { for: "record-input" }, "Metering record id"),
        h("input", { id: "record-input", name: "record", value: recordId, autocomplete: "off", spellcheck: "false", placeholder: "slurm:cluster:jobid:…", "aria-describedby": "record-help" }),
        h("button", { type: "submit" }, "Show proof"),
        h("p", { id: "record-help", class: "muted" }, "The record id as in the partner's evidence bundle; the proof comes from the API's evidence folder."),
      ),
      proof,
    ]),
  ];
  return { title: "Usage batch", body, meta: found.meta };
}

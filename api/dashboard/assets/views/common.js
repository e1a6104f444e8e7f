// @ts-check
// Pieces the views share: links to accounts, partners and transactions; badges of states.
import { badge, h, link } from "../dom.js";
import { countdown, seconds, short, time, ZERO_ADDRESS } from "../format.js";

/**
 * An address linking to its account page (startups, payers, any wallet).
 * @param {string} address
 */
export const accountLink = (address) => link(`/accounts/${address}`, h("code", null, short(address)), { title: address, "aria-label": `account ${short(address)}` });

/**
 * A partner's address linking to its partner page.
 * @param {string} address
 */
export const partnerLink = (address) => link(`/partners/${address}`, h("code", null, short(address)), { title: address, "aria-label": `partner ${short(address)}` });

/**
 * A beneficiary of a split: the program (zero address) or a partner.
 * @param {string} address
 */
export const beneficiary = (address) => (address === ZERO_ADDRESS ? h("span", null, "Program") : partnerLink(address));

/**
 * @param {string} id
 */
export const agreementLink = (id) => link(`/agreements/${id}`, `#${id}`, { "aria-label": `agreement #${id}` });

/**
 * @param {string} batchId
 */
export const batchLink = (batchId) => link(`/usage-batches/${batchId}`, h("code", null, short(batchId)), { title: batchId, "aria-label": `usage batch ${short(batchId)}` });

/**
 * A transaction hash (no explorer is assumed; the full hash is in the title and can be copied).
 * @param {string} hash
 */
export const tx = (hash) => h("code", { title: hash }, short(hash));

const AGREEMENT_TONES = /** @type {Record<string, string>} */ ({ Proposed: "info", Active: "ok", Terminated: "danger", Expired: "muted", Cancelled: "muted" });
const PERIOD_TONES = /** @type {Record<string, string>} */ ({ None: "muted", Pending: "info", Disputed: "warn", Rejected: "danger", Cleared: "info", Finalized: "ok" });

/** @param {string} status */
export const statusBadge = (status) => badge(status, AGREEMENT_TONES[status]);
/** @param {string} state */
export const periodBadge = (state) => badge(state, PERIOD_TONES[state]);
export const delinquentBadge = () => badge("Delinquent", "danger");

/**
 * The page heading (focused after navigation so screen readers announce the new page).
 * @param {string} text
 * @param {...(Node | string | null)} extra
 */
export const heading = (text, ...extra) => h("h1", { tabindex: "-1" }, text, ...extra.map((e) => (e ? [" ", e] : null)));

/**
 * A definition list of terms.
 * @param {[string, Node | string, string?][]} rows label, value, data-field
 */
export function terms(rows) {
  return h("dl", { class: "terms" }, rows.map(([label, value, field]) => h("div", { "data-field": field ?? null }, h("dt", null, label), h("dd", null, value))));
}

/**
 * A change PROGRAM proposed (PROTOCOL v1.1 §3): what it changes, when it comes into force and the time left,
 * counted from the indexed block's time (`now`, meta.blockTimestamp) like every deadline of the dashboard.
 * `data-raw` carries the proposed value, the countdown's `data-effective` the effectiveAt in unix seconds.
 * @param {{ field: string, raw: string, effectiveAt: string, now: number, what: (Node | string)[], due: string, more?: Node[] }} o
 *   due: what the countdown says once effectiveAt has passed (a migration still waits for its execution);
 *   more: shown under it (a proposed signer set's addresses)
 */
export function pendingChange({ field, raw, effectiveAt, now, what, due, more = [] }) {
  const at = seconds(effectiveAt);
  const left = countdown(at, now);
  return h(
    "div",
    { class: "pending", "data-field": field, "data-raw": raw },
    h("p", null, badge("pending", "warn"), " ", ...what, `, from ${time(effectiveAt)}: `, h("span", { class: "countdown", "data-effective": String(at) }, left ?? due)),
    ...more,
  );
}

/**
 * A signer set's addresses.
 * @param {string[]} signers
 */
export const signerList = (signers) => h("ul", { class: "plain" }, signers.map((s) => h("li", { "data-signer": s }, h("code", { class: "wrap" }, s))));

// @ts-check
// An account (paste a wallet address): credit balance, claimable, claimed and its agreements, as the
// startup or as an authorized partner.
import { getAll, getOrNull } from "../api.js";
import { figure, h, link, numCell, section, table } from "../dom.js";
import { dsxc, time, usdc } from "../format.js";
import { agreementLink, delinquentBadge, heading, statusBadge } from "./common.js";

export const ADDRESS = /^0x[0-9a-fA-F]{40}$/;

/**
 * The address form (also the header's search, which takes agreement and batch ids too).
 * @param {string} [value]
 */
function addressForm(value = "") {
  return h(
    "form",
    { class: "address-form", id: "account-form", novalidate: true, "data-nav-form": "account" },
    h("label", { for: "account-input" }, "Wallet address"),
    h("input", { id: "account-input", name: "address", value, autocomplete: "off", spellcheck: "false", placeholder: "0x…", "aria-describedby": "account-help" }),
    h("button", { type: "submit" }, "Show account"),
    h("p", { id: "account-help", class: "muted" }, "0x followed by 40 hex digits: a startup's wallet, a partner's payout address, a treasury."),
  );
}

export async function accountFormView() {
  return { title: "Account", body: [heading("Account"), addressForm()], meta: undefined };
}

/** @param {{ params: string[] }} ctx */
export async function accountView({ params: [address] }) {
  const found = await getOrNull(`/v1/accounts/${address}`);
  if (!found) {
    return {
      title: "Account",
      body: [heading("Account"), addressForm(address), h("p", { class: "notice", "data-field": "not-found" }, `The index has seen no credits, claims or agreements for ${address}.`)],
      meta: undefined,
    };
  }
  const acc = found.data;
  const isPartner = acc.agreements.some((/** @type {any} */ a) => a.role === "partner");
  const isStartup = acc.agreements.some((/** @type {any} */ a) => a.role === "startup");
  // the account's agreements as two filtered lists (and its partner positions): a few requests, not one per agreement
  const none = Promise.resolve({ data: [] });
  const [asStartup, asPartner, positions] = await Promise.all([
    isStartup ? getAll(`/v1/agreements?startup=${acc.address}`) : none,
    isPartner ? getAll(`/v1/agreements?partner=${acc.address}`) : none,
    isPartner ? getAll(`/v1/partners/${acc.address}/positions`) : none,
  ]);
  /** @type {Map<string, any>} */
  const summaries = new Map();
  for (const a of asStartup.data) summaries.set(`startup:${a.id}`, a);
  for (const a of asPartner.data) summaries.set(`partner:${a.id}`, a);
  /** @type {Map<string, any>} */
  const positionOf = new Map(positions.data.map((/** @type {any} */ q) => [q.agreementId, q]));
  const body = [
    heading("Account"),
    h("p", { class: "lede" }, h("code", { class: "wrap", "data-field": "address" }, acc.address), isPartner ? [" · ", link(`/partners/${acc.address}`, "partner view")] : null),
    h(
      "dl",
      { class: "figures" },
      figure("Credit balance", dsxc(acc.creditBalance), { field: "creditBalance", raw: acc.creditBalance }),
      figure("Claimable", usdc(acc.claimable), { field: "claimable", raw: acc.claimable }),
      figure("Claimed", usdc(acc.claimed), { field: "claimed", raw: acc.claimed }),
    ),
    section("Agreements", [
      table({
        caption: "As the startup (its wallet now) or as an authorized partner",
        head: ["Agreement", "Role", "Status", { text: "Obligation", num: true }, { text: "Paid", num: true }, { text: "Outstanding", num: true }, "Next due", { text: "Receivable (partner)", num: true }],
        rows: acc.agreements.map((/** @type {any} */ a) => {
          const d = summaries.get(`${a.role}:${a.id}`);
          const position = a.role === "partner" ? positionOf.get(a.id) : undefined;
          const dash = () => h("td", { class: "num" }, "—");
          return h(
            "tr",
            { "data-agreement": a.id, "data-role": a.role, class: d?.delinquent ? "delinquent" : null },
            h("th", { scope: "row" }, agreementLink(a.id)),
            h("td", { "data-col": "role" }, a.role),
            h("td", { "data-col": "status" }, statusBadge(d?.status ?? a.status), d?.delinquent ? [" ", delinquentBadge()] : null),
            d ? numCell(usdc(d.obligation), d.obligation) : dash(),
            d ? numCell(usdc(d.paid), d.paid) : dash(),
            d ? numCell(usdc(d.outstanding), d.outstanding, { "data-col": "outstanding" }) : dash(),
            h("td", null, d ? time(d.nextDue) : "—"),
            position ? numCell(usdc(position.receivable), position.receivable, { "data-col": "receivable" }) : dash(),
          );
        }),
        empty: "No agreement.",
        id: "account-agreements",
      }),
    ]),
  ];
  return { title: `Account ${acc.address}`, body, meta: found.meta };
}

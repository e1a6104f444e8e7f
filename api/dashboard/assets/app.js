// @ts-check
// The dashboard's entry: path routes (shareable URLs, history API), the header search, and the refresh that
// redraws the page when the index reaches a new block (told by the event stream; polled when it is unavailable).
import { ApiError, get, stats } from "./api.js";
import { destroyCharts } from "./charts.js";
import { h } from "./dom.js";
import { accountFormView, accountView } from "./views/account.js";
import { agreementView } from "./views/agreement.js";
import { batchView } from "./views/batch.js";
import { heading } from "./views/common.js";
import { overview } from "./views/overview.js";
import { partnerView } from "./views/partner.js";

/**
 * @typedef {{ title: string, body: (Node | null)[], meta: import("./api.js").Meta | undefined, after?: () => void }} Rendered
 * @typedef {{ params: string[], query: URLSearchParams }} Ctx
 */

/** @type {[string, RegExp, (ctx: Ctx) => Promise<Rendered>][]} */
const ROUTES = [
  ["overview", /^\/$/, overview],
  ["agreement", /^\/agreements\/([0-9]{1,78})$/, agreementView],
  ["partner", /^\/partners\/(0x[0-9a-fA-F]{40})$/, partnerView],
  ["account-form", /^\/accounts$/, accountFormView],
  ["account", /^\/accounts\/(0x[0-9a-fA-F]{40})$/, accountView],
  ["batch", /^\/usage-batches\/(0x[0-9a-fA-F]{64})$/, batchView],
];

/**
 * How often the index's block is polled (ms) when the event stream is unavailable; a page may set
 * `window.dsxPollMs` before this module runs.
 */
const POLL_MS = Number(/** @type {any} */ (window).dsxPollMs) || 4000;
/**
 * A redraw waits this long per request the previous drawing took, so a page stays under ~200 requests a
 * minute however fast blocks come (the API's default limit is 600 a minute per client).
 */
const MS_PER_REQUEST = 300;

const main = /** @type {HTMLElement} */ (document.getElementById("main"));
const live = /** @type {HTMLElement} */ (document.getElementById("live"));
let renderSeq = 0;
/** @type {number | null} the block the page shows */
let shownBlock = null;
let pendingRefresh = false;
/** No redraw for a new block before this time (ms since the epoch). */
let refreshNotBefore = 0;
/** @type {number | null} the block the last poll saw */
let polledBlock = null;
/** @type {ReturnType<typeof setTimeout> | undefined} a redraw the last block could not have yet */
let redrawLater;

function route() {
  for (const [name, pattern, view] of ROUTES) {
    const m = pattern.exec(location.pathname);
    if (m) return { name, view, params: m.slice(1) };
  }
  return null;
}

/** @param {unknown} err */
function errorView(err) {
  const status = err instanceof ApiError ? err.status : 0;
  const text =
    err instanceof ApiError
      ? status === 503
        ? "The index has not reached this yet; the page retries as new blocks are indexed."
        : status === 429
          ? "Too many requests to the API; the page retries shortly."
          : `${err.message}${status ? ` (HTTP ${status})` : ""}`
      : `Something went wrong while drawing this page: ${err instanceof Error ? err.message : String(err)}`;
  return { title: "Error", body: [heading("Could not show this page"), h("p", { class: "notice", role: "alert", "data-field": "error" }, text)], meta: undefined };
}

/**
 * Draws the current URL's view. `nav`: a new page (focus moves to its heading, except on the first load);
 * `refresh`: same page, new block (focus and scroll stay).
 * @param {"nav" | "refresh"} reason
 * @param {boolean} [first]
 */
async function render(reason, first = false) {
  const seq = ++renderSeq;
  pendingRefresh = false;
  document.body.dataset.state = reason === "nav" ? "loading" : "refreshing";
  main.setAttribute("aria-busy", "true");
  const r = route();
  shownUrl = location.pathname + location.search;
  /** @type {Rendered} */
  let out;
  let retry = false;
  const requestsBefore = stats.requests;
  try {
    out = r ? await r.view({ params: r.params, query: new URLSearchParams(location.search) }) : notFound();
  } catch (err) {
    out = errorView(err);
    // a transient refusal (not indexed yet, rate limited, no answer) is tried again on the next poll
    retry = err instanceof ApiError && [0, 429, 503].includes(err.status);
    if (!(err instanceof ApiError)) console.error(err);
  }
  if (seq !== renderSeq) return;
  const focusedId = reason === "refresh" && document.activeElement instanceof HTMLElement ? document.activeElement.id || null : null;
  const focusedHref = reason === "refresh" && document.activeElement instanceof HTMLAnchorElement ? document.activeElement.getAttribute("href") : null;
  destroyCharts();
  main.replaceChildren(...out.body.filter((n) => n !== null));
  out.after?.();
  document.title = `${out.title} · DSX Ledger`;
  markCurrentNav();
  if (reason === "nav" && !first) main.querySelector("h1")?.focus({ preventScroll: true });
  else if (focusedId) document.getElementById(focusedId)?.focus({ preventScroll: true });
  else if (focusedHref) /** @type {HTMLElement | null} */ (main.querySelector(`a[href="${CSS.escape(focusedHref)}"]`))?.focus({ preventScroll: true });
  main.removeAttribute("aria-busy");
  shownBlock = retry ? null : (out.meta?.blockNumber ?? polledBlock);
  document.body.dataset.view = r?.name ?? "not-found";
  document.body.dataset.requests = String(stats.requests - requestsBefore);
  refreshNotBefore = performance.now() + (stats.requests - requestsBefore) * MS_PER_REQUEST;
  document.body.dataset.block = shownBlock === null ? "" : String(shownBlock);
  document.body.dataset.state = "ready";
}

function notFound() {
  return { title: "Not found", body: [heading("Page not found"), h("p", { class: "notice" }, "This address is not a page of the dashboard. ", h("a", { href: "/", "data-nav": true }, "Program overview"))], meta: undefined };
}

function markCurrentNav() {
  for (const a of document.querySelectorAll("header nav a")) {
    const href = a.getAttribute("href") ?? "";
    const current = href === "/" ? location.pathname === "/" : location.pathname.startsWith(href);
    if (current) a.setAttribute("aria-current", "page");
    else a.removeAttribute("aria-current");
  }
}

/** @param {string} url */
function navigate(url) {
  if (url === location.pathname + location.search) return;
  history.pushState(null, "", url);
  window.scrollTo(0, 0);
  void render("nav");
}

/** Where a search box's text leads, or an error message. @param {string} q */
export function searchTarget(q) {
  const s = q.trim();
  if (/^0x[0-9a-fA-F]{40}$/.test(s)) return { url: `/accounts/${s}` };
  if (/^0x[0-9a-fA-F]{64}$/.test(s)) return { url: `/usage-batches/${s.toLowerCase()}` };
  if (/^#?[0-9]{1,78}$/.test(s)) return { url: `/agreements/${BigInt(s.replace("#", "")).toString()}` };
  return { error: "Enter a wallet address (0x and 40 hex digits), an agreement id, or a usage batch id (0x and 64 hex digits)." };
}

// in-page navigation for dashboard links; modified clicks (new tab, …) behave as usual
document.addEventListener("click", (e) => {
  const a = e.target instanceof Element ? e.target.closest("a[data-nav]") : null;
  if (!(a instanceof HTMLAnchorElement) || e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  if (a.origin !== location.origin) return;
  e.preventDefault();
  navigate(a.pathname + a.search);
});
// back and forward; a change of the #fragment alone (the skip link) is not a new page
let shownUrl = location.pathname + location.search;
window.addEventListener("popstate", () => {
  if (location.pathname + location.search !== shownUrl) void render("nav");
});

const search = /** @type {HTMLFormElement} */ (document.getElementById("search"));
const searchInput = /** @type {HTMLInputElement} */ (document.getElementById("search-input"));
const searchError = /** @type {HTMLElement} */ (document.getElementById("search-error"));
search.addEventListener("submit", (e) => {
  e.preventDefault();
  const target = searchTarget(searchInput.value);
  if (target.error) {
    searchError.textContent = target.error;
    searchInput.setAttribute("aria-invalid", "true");
    searchInput.focus();
    return;
  }
  searchError.textContent = "";
  searchInput.removeAttribute("aria-invalid");
  searchInput.value = "";
  navigate(/** @type {string} */ (target.url));
});

// forms inside views: the account address and the evidence record id (both become part of the URL)
main.addEventListener("submit", (e) => {
  const form = e.target;
  if (!(form instanceof HTMLFormElement) || !form.dataset.navForm) return;
  e.preventDefault();
  const input = /** @type {HTMLInputElement} */ (form.querySelector("input"));
  const value = input.value.trim();
  if (form.dataset.navForm === "proof") {
    navigate(value ? `${location.pathname}?record=${encodeURIComponent(value)}` : location.pathname);
    return;
  }
  if (!/^0x[0-9a-fA-F]{40}$/.test(value)) {
    const help = form.querySelector(".muted");
    if (help) help.textContent = "That is not an address: 0x followed by 40 hex digits.";
    input.setAttribute("aria-invalid", "true");
    input.focus();
    return;
  }
  navigate(`/accounts/${value}`);
});

// a refresh waits while someone types in a form of the page
main.addEventListener("focusout", () => {
  if (pendingRefresh) setTimeout(() => pendingRefresh && !typing() && render("refresh"), 0);
});
const typing = () => document.activeElement instanceof HTMLInputElement && main.contains(document.activeElement);

/**
 * Shows the indexed block and redraws the page when it moved.
 * @param {import("./api.js").Meta} meta
 */
async function showBlock(meta) {
  live.textContent =
    meta.blockNumber === null
      ? "The index has no block yet."
      : `Indexed block ${meta.blockNumber}${meta.final ? " (final)" : ""}${meta.blockTimestamp ? ` of ${meta.blockTimestamp.slice(0, 16).replace("T", " ")} UTC` : ""} · checked ${new Date().toISOString().slice(11, 19)} UTC`;
  live.dataset.block = meta.blockNumber === null ? "" : String(meta.blockNumber);
  polledBlock = meta.blockNumber;
  clearTimeout(redrawLater);
  if (meta.blockNumber === shownBlock) return;
  const wait = refreshNotBefore - performance.now();
  if (document.body.dataset.state === "ready" && wait <= 0) {
    if (typing()) pendingRefresh = true;
    else await render("refresh");
  }
  // not drawn yet (too soon, busy, or a transient refusal): the stream tells a block once, so try again
  const behind = meta.blockNumber !== null && (shownBlock === null || shownBlock < meta.blockNumber);
  if (behind && !pendingRefresh) redrawLater = setTimeout(() => void showBlock(meta).catch(() => undefined), Math.max(wait, 1000));
}

/** The fallback when the event stream is unavailable: polls the index's block. */
async function poll() {
  if (document.hidden) return;
  try {
    await showBlock((await get("/v1/health", { counted: false })).meta);
  } catch {
    live.textContent = "The API is not answering; retrying…";
  }
}

/**
 * Follows `GET /v1/events/stream?blocks=true` (docs/notifications.md): each `block` event is a new indexed block, so
 * the page refreshes without polling. The browser reconnects a dropped stream by itself; a stream the server refuses
 * (or no EventSource) falls back to polling every POLL_MS.
 */
function follow() {
  let polling = false;
  const fallback = () => {
    if (polling) return;
    polling = true;
    document.body.dataset.live = "poll";
    void poll();
    setInterval(() => void poll(), POLL_MS);
  };
  if (typeof EventSource !== "function") return fallback();
  const events = new EventSource("/v1/events/stream?blocks=true");
  events.addEventListener("open", () => (document.body.dataset.live = "stream"));
  events.addEventListener("block", (e) => void showBlock(JSON.parse(/** @type {MessageEvent} */ (e).data)).catch(() => undefined));
  events.addEventListener("error", () => {
    if (events.readyState === EventSource.CLOSED) fallback();
    else live.textContent = "The API is not answering; reconnecting…";
  });
}

void render("nav", true).then(follow);

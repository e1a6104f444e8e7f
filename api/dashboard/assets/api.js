// @ts-check
// The API, read over HTTP from the browser (same origin): JSON bodies, problem+json errors, cursor pages.

/**
 * @typedef {{ chainId: number, blockNumber: number | null, blockHash: string | null, final: boolean, blockTimestamp: string | null }} Meta
 * @typedef {{ type?: string, title?: string, status?: number, detail?: string }} Problem
 */

/** An answer other than 2xx, with its problem details. */
export class ApiError extends Error {
  /**
   * @param {number} status
   * @param {Problem | undefined} problem
   * @param {string} path
   */
  constructor(status, problem, path) {
    super(problem?.detail ?? `${path} answered ${status}`);
    this.name = "ApiError";
    this.status = status;
    this.problem = problem;
    this.path = path;
  }
}

/**
 * Requests the views sent since the page loaded (each drawing of a view puts its own count in
 * body[data-requests]); the block poll is not counted.
 */
export const stats = { requests: 0 };

/**
 * GET a path of the API; throws {@link ApiError} on a non-2xx answer and on a network failure (status 0).
 * @param {string} path
 * @param {{ counted?: boolean }} [options] counted: false for requests no view makes (the block poll)
 * @returns {Promise<any>}
 */
export async function get(path, { counted = true } = {}) {
  if (counted) stats.requests++;
  let res;
  try {
    res = await fetch(path, { headers: { accept: "application/json" } });
  } catch {
    throw new ApiError(0, { detail: "The API did not answer (is the server running?)." }, path);
  }
  const text = await res.text();
  let body;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  if (!res.ok) throw new ApiError(res.status, body, path);
  return body;
}

/**
 * GET a path, or null when it answers 404.
 * @param {string} path
 */
export async function getOrNull(path) {
  try {
    return await get(path);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return null;
    throw err;
  }
}

/**
 * Every row of a list route, following `nextCursor` in pages of 500 (at most `max` rows).
 * @param {string} path a list route, with or without a query
 * @param {number} [max]
 * @returns {Promise<{ data: any[], meta: Meta, complete: boolean }>}
 */
export async function getAll(path, max = 20_000) {
  const sep = path.includes("?") ? "&" : "?";
  const data = [];
  let page = await get(`${path}${sep}limit=500`);
  const meta = page.meta;
  for (;;) {
    data.push(...page.data);
    if (!page.nextCursor) return { data, meta, complete: true };
    if (data.length >= max) return { data, meta, complete: false };
    page = await get(`${path}${sep}limit=500&cursor=${encodeURIComponent(page.nextCursor)}`);
  }
}

/**
 * The agreement's section of the latest audit report the server holds (`GET /v1/agreements/:id/audit`: the
 * auditor's report folder), or null when it answers 404 (no report covers the agreement).
 * @param {string} id
 * @returns {Promise<Record<string, any> | null>}
 */
export async function auditReport(id) {
  const body = await getOrNull(`/v1/agreements/${id}/audit`);
  return body && body.data && !Array.isArray(body.data) ? body.data : null;
}

/**
 * The audits recorded on chain for an agreement (`GET /v1/agreements/:id/audits`, AuditRecorded events in
 * chain order: the last is the latest); empty when there is none.
 * @param {string} id
 * @returns {Promise<Record<string, any>[]>}
 */
export async function auditRecords(id) {
  try {
    return (await getAll(`/v1/agreements/${id}/audits`)).data;
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) return [];
    throw err;
  }
}

/**
 * "Now" for deadlines and countdowns: the indexed block's time when the API gives it, else the clock.
 * @param {Meta | undefined} meta
 */
export function nowOf(meta) {
  const t = meta?.blockTimestamp;
  return t ? Math.floor(Date.parse(t) / 1000) : Math.floor(Date.now() / 1000);
}

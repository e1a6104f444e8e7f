/// <reference lib="dom" />
// The few API reads the wallet side makes (same origin), and read-after-write with `?minBlock`.

/** An API answer other than 2xx. */
export class ApiAnswer extends Error {
  constructor(
    readonly status: number,
    detail: string,
    readonly retryAfter: number,
  ) {
    super(detail);
  }
}

/** GET a JSON body of the API; throws {@link ApiAnswer} on a non-2xx answer. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies, read field by field
export async function apiGet(path: string): Promise<any> {
  const res = await fetch(path, { headers: { accept: "application/json" } });
  const body = await res.json().catch(() => undefined);
  if (!res.ok) throw new ApiAnswer(res.status, body?.detail ?? `${path} answered ${res.status}`, Number(res.headers.get("retry-after") ?? "1"));
  return body;
}

/** GET `path`, or null on a 404. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- API bodies, read field by field
export async function apiGetOrNull(path: string): Promise<any> {
  try {
    return await apiGet(path);
  } catch (err) {
    if (err instanceof ApiAnswer && err.status === 404) return null;
    throw err;
  }
}

/**
 * Waits until the index has reached `block`, then reads with `?minBlock` (503 with Retry-After until it is
 * indexed): the block is first awaited on /v1/health, which never answers 503, so the console stays clean.
 * @returns the indexed block
 */
export async function waitForIndex(block: bigint, timeoutMs = 60_000): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const health = await apiGet("/v1/health");
      if (health.meta?.blockNumber !== null && BigInt(health.meta.blockNumber) >= block) {
        const body = await apiGet(`/v1/program?minBlock=${block}`);
        return body.meta.blockNumber as number;
      }
      if (Date.now() > deadline) throw new ApiAnswer(503, `The index has not reached block ${block} in ${timeoutMs / 1000} s.`, 1);
    } catch (err) {
      if (!(err instanceof ApiAnswer) || ![503, 429].includes(err.status) || Date.now() > deadline) throw err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
}

/**
 * Stores a dispute's reason text with the API once the dispute's `block` is indexed (PUT /v1/dispute-reasons/:hash,
 * `?minBlock`: 503 until then): only its keccak256 is on chain. Returns a sentence for the page (never throws).
 */
export async function storeReasonText(hash: string, text: string, block: bigint, timeoutMs = 30_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const res = await fetch(`/v1/dispute-reasons/${hash}?minBlock=${block}`, {
      method: "PUT",
      headers: { "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify({ text }),
    }).catch(() => undefined);
    if (res?.ok) return "The reason's text is stored with the API: the program and the auditor read it beside the dispute.";
    const body = await res?.json().catch(() => undefined);
    if (!res || ![503, 429].includes(res.status) || Date.now() > deadline) {
      return `The reason's text was not stored (${body?.detail ?? "the API did not answer"}); keep it and send it to the program.`;
    }
    await new Promise((r) => setTimeout(r, 1000 * Math.min(5, Number(res.headers.get("retry-after") ?? "1"))));
  }
}

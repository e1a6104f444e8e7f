// Awaiting a condition in tests that watch another process or a server: poll with a deadline, never a fixed sleep.

/**
 * Polls `get` every 100 ms until it returns a value other than `undefined` and returns that value, or fails after
 * `ms` naming `what` and `detail()`.
 * @example const row = await untilValue("the first notification", () => db.selectFrom("notifications").selectAll().executeTakeFirst());
 */
export async function untilValue<T>(what: string, get: () => T | undefined | Promise<T | undefined>, ms = 30_000, detail: () => string = () => ""): Promise<T> {
  for (const deadline = Date.now() + ms; ; ) {
    const value = await get();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}; ${detail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * Polls `check` every 100 ms until it holds, or fails after `ms` naming `what` and `detail()`.
 * @example await until("the batch to be indexed", async () => (await count()) > 0, 30_000);
 */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000, detail: () => string = () => ""): Promise<void> {
  await untilValue(what, async () => ((await check()) ? true : undefined), ms, detail);
}

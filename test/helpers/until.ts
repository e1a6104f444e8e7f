// Awaiting a condition in tests that watch another process or a server: poll with a deadline, never a fixed sleep.

/**
 * Polls `check` every 100 ms until it holds, or fails after `ms` naming `what` and `detail()`.
 * @example await until("the batch to be indexed", async () => (await count()) > 0, 30_000);
 */
export async function until(what: string, check: () => boolean | Promise<boolean>, ms = 30_000, detail: () => string = () => ""): Promise<void> {
  for (const deadline = Date.now() + ms; !(await check()); ) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; ${detail()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

// Driving the dashboard's action forms as a user would: open an action, fill its fields by label, press Check and
// read the outcome the page announces (data-outcome), press Send and wait for the panel's result line.
import type { Page } from "playwright-core";
import type { Problem } from "./browser";

// Page-side callbacks run in the browser; this Node project compiles without the DOM library.
declare const document: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the browser's, untyped here

/** What an action's outcome line says: its state (preview, refused, invalid, rejected, pending, indexed, …) and text. */
export interface Outcome {
  state: string;
  text: string;
}

/** The selector of a wallet action by its key (`data-action-key`). */
export const actionKey = (key: string): string => `details[data-action-key="${key}"]`;

/**
 * Waits until the action at `selector` shows one of `states`; on a timeout the error says what the action shows
 * (and `problems`, the page's console errors so far).
 */
export async function actionOutcome(page: Page, selector: string, states: string[], problems: Problem[] = []): Promise<Outcome> {
  const out = page.locator(`${selector} [data-outcome]`);
  try {
    await page.waitForFunction(([s, st]) => st.includes(document.querySelector(`${s} [data-outcome]`)?.dataset.outcome), [selector, states] as const, { timeout: 60_000 });
  } catch (err) {
    const now = await page.evaluate((s) => document.querySelector(s)?.innerText ?? "(no such action)", selector);
    throw new Error(`${selector}: no outcome in ${states.join("/")}; the action shows: ${now}; problems: ${JSON.stringify(problems)}`, { cause: err });
  }
  return { state: (await out.getAttribute("data-outcome"))!, text: (await out.textContent())! };
}

/** Opens the action at `selector` (if closed), fills its fields by label (a select by value), presses Check and waits for one of `states`. */
export async function checkAction(page: Page, selector: string, fields: Record<string, string>, states: string[], problems: Problem[] = []): Promise<Outcome> {
  const action = page.locator(selector);
  if ((await action.getAttribute("open")) === null) await action.locator("summary").click();
  for (const [label, value] of Object.entries(fields)) {
    const input = action.getByLabel(label, { exact: true });
    if ((await input.evaluate((el: { tagName: string }) => el.tagName)) === "SELECT") await input.selectOption(value);
    else await input.fill(value);
  }
  await action.getByRole("button", { name: /^Check/ }).click();
  return actionOutcome(page, selector, states, problems);
}

/**
 * Presses Send and waits until the transaction is indexed (the panel's result line says so, even when the redraw
 * removed the action) or the action's outcome is another end state (refused, rejected, reverted).
 */
export async function sendAction(page: Page, selector: string, timeout = 60_000): Promise<Outcome> {
  const seq = (await page.locator("#wallet-result").getAttribute("data-seq")) ?? "0";
  await page.locator(`${selector} button.send`).click();
  await page.waitForFunction(
    ([s, n]) =>
      (document.getElementById("wallet-result").dataset.seq ?? "0") !== n ||
      ["refused", "rejected", "reverted"].includes(document.querySelector(`${s} [data-outcome]`)?.dataset.outcome),
    [selector, seq] as const,
    { timeout },
  );
  const result = page.locator("#wallet-result");
  if (((await result.getAttribute("data-seq")) ?? "0") !== seq) return { state: (await result.getAttribute("data-state"))!, text: (await result.textContent())! };
  return actionOutcome(page, selector, ["refused", "rejected", "reverted"]);
}

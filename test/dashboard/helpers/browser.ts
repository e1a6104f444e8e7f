// Debian's Chromium driven by playwright-core (which downloads no browser), and pages that record every
// console error, uncaught exception and failed request.
import fs from "node:fs";
import path from "node:path";
import { chromium, type Browser, type Page } from "playwright-core";

/** The Chromium binary: CHROMIUM_PATH, else Debian's (`apt-get install chromium`); undefined when there is none. */
// Page-side callbacks run in the browser; this Node project compiles without the DOM library.
declare const document: { body: { dataset: Record<string, string | undefined> } }, window: { dsxPollMs?: number };

export const CHROMIUM: string | undefined = [process.env.CHROMIUM_PATH, "/usr/bin/chromium", "/usr/bin/chromium-browser"].find(
  (p): p is string => !!p && fs.existsSync(p),
);

/** Flags for a closed network: no background connections, no first-run work (docs/dashboard.md). */
const FLAGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath: CHROMIUM, headless: true, args: FLAGS });
}

export const SCREENSHOTS = path.join(__dirname, "..", "..", "..", "test-results", "dashboard");

export interface Problem {
  kind: "console" | "pageerror" | "requestfailed";
  text: string;
  url: string;
}

export interface OpenPage {
  page: Page;
  /** Console errors, uncaught exceptions and failed requests seen so far. */
  problems: Problem[];
  close(): Promise<void>;
}

export interface OpenOptions {
  viewport?: { width: number; height: number };
  /** The browser's clock (ms): the dashboard counts deadlines from it when the API gives no block time. */
  now?: number;
  /** The dashboard's poll interval (ms). */
  pollMs?: number;
}

/** A new page (own context) that records its problems. */
export async function openPage(browser: Browser, options: OpenOptions = {}): Promise<OpenPage> {
  const context = await browser.newContext({ viewport: options.viewport ?? { width: 1280, height: 900 } });
  const page = await context.newPage();
  const problems: Problem[] = [];
  page.on("console", (m) => {
    if (m.type() === "error") problems.push({ kind: "console", text: m.text(), url: m.location().url });
  });
  page.on("pageerror", (e) => problems.push({ kind: "pageerror", text: e.message, url: page.url() }));
  page.on("requestfailed", (r) => problems.push({ kind: "requestfailed", text: r.failure()?.errorText ?? "failed", url: r.url() }));
  if (options.now !== undefined) await page.clock.setFixedTime(options.now);
  const pollMs = options.pollMs ?? 300;
  await page.addInitScript((ms) => {
    window.dsxPollMs = ms;
  }, pollMs);
  return { page, problems, close: () => context.close() };
}

/**
 * The problems that fail a test: all but a 404 whose URL matches one of `allowed404` (a resource the page asked for
 * and explains, e.g. an agreement with no audit yet) and a request cut by a navigation (a poll still in flight).
 */
export function unexpectedProblems(problems: Problem[], allowed404: RegExp[] = []): Problem[] {
  return problems.filter(
    (p) =>
      !(p.kind === "console" && /status of 404/.test(p.text) && allowed404.some((r) => r.test(p.url))) &&
      !(p.kind === "requestfailed" && p.text === "net::ERR_ABORTED"),
  );
}

/** Waits until the dashboard has drawn `view` (and, when given, at least block `block`). */
export async function ready(page: Page, view: string, block?: number): Promise<void> {
  await page.waitForFunction(
    ([v, b]) => document.body.dataset.state === "ready" && document.body.dataset.view === v && (b === null || Number(document.body.dataset.block) >= b),
    [view, block ?? null] as const,
    { timeout: 30_000 },
  );
}

export async function screenshot(page: Page, name: string): Promise<string> {
  fs.mkdirSync(SCREENSHOTS, { recursive: true });
  const file = path.join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}

// One dashboard test file's world, set up once per file by mocha hooks: its own stack (hardhat node, ledger, the
// scenario, the API indexing it; helpers/stack.ts), Debian's Chromium, the pages a test opens (closed after it,
// their console errors checked when the file says which problems are expected), the API read over HTTP, and
// pages with the test wallet installed.
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { CHROMIUM, launchChromium, openPage, ready, type OpenOptions, type OpenPage, type Problem } from "./browser";
import { startStack, type Stack } from "./stack";
import { connectWallet, installWallet, type TestWallet, type WalletOptions } from "./wallet";

export type Json = Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any -- API bodies, checked field by field

export interface SuiteOptions {
  /**
   * The problems of a page that fail the test after it (e.g. {@link unexpectedProblems} with the 404s the file's
   * pages cause on purpose); without it, the file checks its pages' problems itself.
   */
  unexpected?: (problems: Problem[]) => Problem[];
}

export interface DashboardSuite {
  readonly stack: Stack;
  readonly browser: Browser;
  /** The pages opened in the current test (closed after it). */
  readonly pages: OpenPage[];
  /** GET `path` from the API: its JSON body (a 200 is expected). */
  body(path: string): Promise<Json>;
  /** GET `path` from the API: its body's `data`. */
  data(path: string): Promise<Json>;
  /** A new page (recorded for the after-test check) at `path`, once the dashboard has drawn `view`. */
  open(path: string, view: string, options?: OpenOptions): Promise<OpenPage>;
  /** A new page with the test wallet (forwarding to the stack's node) installed before it loads, at `path`, `view` drawn. */
  walletPage(path: string, view: string, wallet: Omit<WalletOptions, "rpcUrl">, options?: OpenOptions): Promise<{ page: Page; wallet: TestWallet; open: OpenPage }>;
  /** {@link DashboardSuite.walletPage}, connected (the panel says the account's role). */
  connected(path: string, view: string, wallet: Omit<WalletOptions, "rpcUrl">): Promise<Page>;
}

/**
 * Registers the file's hooks (in the calling `describe`): before all, the stack and the browser (skipped, saying how
 * to install it, when there is no Chromium); after each test, its pages checked and closed; after all, both stopped.
 */
export function dashboardSuite(options: SuiteOptions = {}): DashboardSuite {
  let stack: Stack | undefined;
  let browser: Browser | undefined;
  const pages: OpenPage[] = [];

  before(async function () {
    if (!CHROMIUM) {
      console.log("    skipped: no Chromium binary — install Debian's package (apt-get install -y chromium) or set CHROMIUM_PATH");
      this.skip();
    }
    stack = await startStack();
    browser = await launchChromium();
  });

  afterEach(async function () {
    for (const p of pages.splice(0)) {
      if (options.unexpected) expect(options.unexpected(p.problems), "console errors, exceptions, failed requests").to.deep.equal([]);
      await p.close();
    }
  });

  after(async function () {
    await browser?.close();
    await stack?.stop();
  });

  const suite: DashboardSuite = {
    get stack() {
      return stack!;
    },
    get browser() {
      return browser!;
    },
    pages,
    async body(path) {
      const res = await fetch(stack!.url + path);
      expect(res.status, path).to.equal(200);
      return (await res.json()) as Json;
    },
    async data(path) {
      return (await suite.body(path)).data as Json;
    },
    async open(path, view, openOptions = {}) {
      const p = await openPage(browser!, openOptions);
      pages.push(p);
      await p.page.goto(stack!.url + path);
      await ready(p.page, view);
      return p;
    },
    async walletPage(path, view, walletOptions, openOptions = {}) {
      const open = await openPage(browser!, openOptions);
      pages.push(open);
      const wallet = await installWallet(open.page, { rpcUrl: stack!.node.url, ...walletOptions });
      await open.page.goto(stack!.url + path);
      await ready(open.page, view);
      return { page: open.page, wallet, open };
    },
    async connected(path, view, walletOptions) {
      const { page } = await suite.walletPage(path, view, walletOptions);
      await connectWallet(page);
      return page;
    },
  };
  return suite;
}

// The dashboard of issue 7: a static page (HTML, CSS, ES modules in ./assets) that reads the API over HTTP
// from the browser, with Chart.js served from node_modules, so it works with no internet. Page routes
// (/agreements/:id, /partners/:address, …) answer the same index.html, so every view is a shareable URL;
// they match only well-formed ids, never /v1, /docs or /openapi.json. The wallet side (issue 16) is one more
// script, /assets/wallet.js, bundled from ./wallet/main.ts with esbuild on first use (./wallet/bundle.ts).
import fs from "node:fs";
import path from "node:path";
import express, { Router, type RequestHandler, type Response } from "express";
import { walletBundle } from "./wallet/bundle";

/**
 * The dashboard's Content-Security-Policy: its own scripts, styles and API from 'self' only (no CDN, no inline
 * script or style element, no eval). Stricter than helmet's default, which the other responses keep.
 */
export const DASHBOARD_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

const ASSETS = path.join(__dirname, "assets");
const INDEX_HTML = path.join(__dirname, "index.html");
// chart.js exports no path to its UMD build; it sits beside the CommonJS entry
const CHART_JS = path.join(path.dirname(require.resolve("chart.js")), "chart.umd.min.js");

/** Page routes and the shape of their parameter; anything else falls through to the API's 404. */
const PAGES: { path: string; param?: string; shape?: RegExp }[] = [
  { path: "/" },
  { path: "/accounts" },
  { path: "/agreements/:id", param: "id", shape: /^[0-9]{1,78}$/ },
  { path: "/partners/:address", param: "address", shape: /^0x[0-9a-fA-F]{40}$/ },
  { path: "/accounts/:address", param: "address", shape: /^0x[0-9a-fA-F]{40}$/ },
  { path: "/usage-batches/:batchId", param: "batchId", shape: /^0x[0-9a-fA-F]{64}$/ },
];

function dashboardHeaders(res: Response): void {
  res.setHeader("Content-Security-Policy", DASHBOARD_CSP);
  res.setHeader("Cache-Control", "no-cache");
}

/**
 * The dashboard's routes: mount with `app.use(dashboard())`, after helmet (its headers stay, the CSP is
 * replaced by {@link DASHBOARD_CSP}).
 * @example app.use(dashboard()); // GET / → the program overview
 */
export function dashboard(): Router {
  const router = Router({ strict: true });
  const index = fs.readFileSync(INDEX_HTML);
  const page: RequestHandler = (req, res, next) => {
    const spec = PAGES.find((p) => p.path === req.route?.path);
    if (spec?.param && !spec.shape!.test(String(req.params[spec.param]))) {
      next();
      return;
    }
    dashboardHeaders(res);
    res.type("html").send(index);
  };
  for (const p of PAGES) router.get(p.path, page);
  router.get("/assets/vendor/chart.umd.min.js", (_req, res, next) => {
    dashboardHeaders(res);
    res.sendFile(CHART_JS, (err) => err && next(err));
  });
  // the wallet side (docs/dashboard.md "Acting from your wallet"): bundled in memory on first use
  router.get("/assets/wallet.js", (_req, res, next) => {
    walletBundle().then(
      (js) => {
        dashboardHeaders(res);
        res.type("text/javascript").send(js);
      },
      (err: unknown) => next(err),
    );
  });
  router.use(
    "/assets",
    express.static(ASSETS, { index: false, redirect: false, dotfiles: "ignore", setHeaders: dashboardHeaders }),
  );
  return router;
}

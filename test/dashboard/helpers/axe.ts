// axe-core (node_modules/axe-core) run inside the page: the accessibility violations of serious or critical impact.
import fs from "node:fs";
import type { Page } from "playwright-core";

// Page-side callbacks run in the browser; this Node project compiles without the DOM library.
declare const window: any, document: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- the browser's, untyped here

const AXE = fs.readFileSync(require.resolve("axe-core/axe.min.js"), "utf8");

export interface Violation {
  id: string;
  impact: string | null;
  help: string;
  targets: string[];
}

/**
 * axe-core's serious and critical violations on the page once it is drawn (evaluated by the debugger: the CSP allows
 * no inline script). A redraw dims `main` for a moment (aria-busy): a run that overlapped one is run again.
 */
export async function seriousViolations(page: Page): Promise<Violation[]> {
  await page.evaluate(AXE);
  for (let attempt = 0; ; attempt++) {
    await page.waitForFunction(() => document.body.dataset.state === "ready" && !document.getElementById("main").hasAttribute("aria-busy"));
    const { violations, redrawn } = (await page.evaluate(async () => {
      let redrawn = false;
      const watch = new window.MutationObserver(() => (redrawn = true));
      watch.observe(document.getElementById("main"), { attributes: true, attributeFilter: ["aria-busy"] });
      const result = await window.axe.run(document, { resultTypes: ["violations"] });
      watch.disconnect();
      return {
        redrawn,
        violations: result.violations.map((v: { id: string; impact: string | null; help: string; nodes: { target: string[] }[] }) => ({
          id: v.id,
          impact: v.impact,
          help: v.help,
          targets: v.nodes.map((n) => n.target.join(" ")),
        })),
      };
    })) as { violations: Violation[]; redrawn: boolean };
    if (!redrawn || attempt >= 4) return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
  }
}

// @ts-check
// Charts with Chart.js (served locally from node_modules as /assets/vendor/chart.umd.min.js, the global
// `Chart`). Charts are a picture of figures the page also lists exactly in a table next to them.
import { h, table } from "./dom.js";

/** @type {Set<any>} */
const live = new Set();

/** Colour-blind-safe palette (Okabe–Ito), dark enough for white text and lines on white. */
export const PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"];

/** Destroys every chart drawn so far (before a view is replaced). */
export function destroyCharts() {
  for (const chart of live) chart.destroy();
  live.clear();
}

/**
 * A chart block: a canvas described for screen readers, and its data as a table in a disclosure.
 * @param {{ id: string, label: string, dataTable: HTMLElement }} o
 */
export function chartBlock({ id, label, dataTable }) {
  const canvas = h("canvas", { id, role: "img", "aria-label": label });
  return {
    element: h(
      "figure",
      { class: "chart" },
      h("div", { class: "chart-box" }, canvas),
      h("figcaption", null, h("details", null, h("summary", null, "Show the data as a table"), dataTable)),
    ),
    canvas: /** @type {HTMLCanvasElement} */ (canvas),
  };
}

/**
 * Draws a bar chart (optionally stacked, optionally with line datasets) once the canvas is in the page.
 * @param {HTMLCanvasElement} canvas
 * @param {{ labels: (string | string[])[], datasets: { label: string, data: number[], type?: "bar" | "line", stack?: string }[], stacked?: boolean, yTitle: string, format: (v: number) => string }} o
 */
export function drawBars(canvas, { labels, datasets, stacked, yTitle, format }) {
  const ChartJs = /** @type {any} */ (globalThis).Chart;
  if (!ChartJs) {
    canvas.replaceWith(h("p", { class: "empty" }, "The chart library did not load; the data is in the table below."));
    return;
  }
  const chart = new ChartJs(canvas, {
    type: "bar",
    data: {
      labels,
      datasets: datasets.map((d, i) => ({
        ...d,
        backgroundColor: PALETTE[i % PALETTE.length],
        borderColor: PALETTE[i % PALETTE.length],
        borderWidth: d.type === "line" ? 2 : 0,
        pointRadius: d.type === "line" ? 3 : 0,
      })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: "index", intersect: false },
      scales: {
        x: { stacked: !!stacked, ticks: { autoSkip: true, maxRotation: 0 } },
        y: { stacked: !!stacked, beginAtZero: true, title: { display: true, text: yTitle }, ticks: { callback: (/** @type {number} */ v) => format(v) } },
      },
      plugins: {
        legend: { position: "bottom", labels: { boxWidth: 12 } },
        tooltip: { callbacks: { label: (/** @type {any} */ c) => `${c.dataset.label}: ${format(c.parsed.y)}` } },
      },
    },
  });
  live.add(chart);
}

/**
 * A plain data table for a chart.
 * @param {string} caption
 * @param {string[]} head
 * @param {string[][]} rows
 */
export function dataTable(caption, head, rows) {
  return table({
    caption,
    head: head.map((text, i) => ({ text, num: i > 0 })),
    rows: rows.map((r) => h("tr", null, r.map((c, i) => (i === 0 ? h("th", { scope: "row" }, c) : h("td", { class: "num" }, c))))),
    empty: "No data yet.",
  });
}

/**
 * A base-unit decimal string as a Number of whole units, for drawing only (figures stay exact elsewhere).
 * @param {string | bigint} raw
 * @param {number} [decimals]
 */
export const plotValue = (raw, decimals = 6) => Number(BigInt(raw)) / 10 ** decimals;

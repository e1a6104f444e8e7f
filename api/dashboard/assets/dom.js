// @ts-check
// DOM building without innerHTML: every value from the chain becomes a text node, never markup.

/**
 * @typedef {Node | string | number | null | undefined | false} Child
 * @typedef {Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>} Attrs
 */

/**
 * Creates an element. Attributes: `class`, `data-*`, `aria-*`, any attribute; `on<event>` functions become
 * listeners; `true` sets a boolean attribute; null, undefined and false are left out.
 * @param {string} tag
 * @param {Attrs | null} [attrs]
 * @param {...(Child | Child[])} children
 * @returns {HTMLElement}
 */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  append(el, children);
  return el;
}

/**
 * @param {Node} parent
 * @param {(Child | Child[])[]} children
 */
export function append(parent, children) {
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    parent.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
}

/**
 * A link inside the dashboard (navigates without reloading; still a real, shareable URL).
 * @param {string} href
 * @param {Child | Child[]} text
 * @param {Attrs} [attrs]
 */
export function link(href, text, attrs = {}) {
  return h("a", { href, "data-nav": true, ...attrs }, text);
}

/**
 * A table with a caption, header cells with scope and an optional empty-state row.
 * @param {{ caption: string, head: (string | { text: string, num?: boolean })[], rows: HTMLElement[], empty?: string, id?: string, captionHidden?: boolean }} t
 */
export function table({ caption, head, rows, empty, id, captionHidden }) {
  const ths = head.map((c) => {
    const text = typeof c === "string" ? c : c.text;
    return h("th", { scope: "col", class: typeof c !== "string" && c.num ? "num" : null }, text);
  });
  const body = rows.length > 0 ? rows : [h("tr", null, h("td", { colspan: head.length, class: "empty" }, empty ?? "None."))];
  return h(
    "div",
    { class: "table-wrap", id: id ?? null },
    h("table", null, h("caption", { class: captionHidden ? "visually-hidden" : null }, caption), h("thead", null, h("tr", null, ths)), h("tbody", null, body)),
  );
}

/**
 * A numeric cell carrying the API's raw value (`data-raw`) beside its formatted text.
 * @param {string} text
 * @param {string | number} raw
 * @param {Attrs} [attrs]
 */
export function numCell(text, raw, attrs = {}) {
  return h("td", { class: "num", "data-raw": String(raw), ...attrs }, text);
}

/**
 * A figure: a label and a value (with its raw API value in `data-raw` and a test id in `data-field`).
 * @param {string} label
 * @param {Child | Child[]} value
 * @param {{ field?: string, raw?: string | number, note?: Child, tone?: string }} [o]
 */
export function figure(label, value, o = {}) {
  return h(
    "div",
    { class: `figure${o.tone ? ` tone-${o.tone}` : ""}`, "data-field": o.field ?? null, "data-raw": o.raw === undefined ? null : String(o.raw) },
    h("dt", null, label),
    h("dd", null, h("span", { class: "value" }, value), o.note ? h("span", { class: "note" }, o.note) : null),
  );
}

/**
 * A status badge (text, not only colour).
 * @param {string} text
 * @param {string} [tone]
 */
export function badge(text, tone) {
  return h("span", { class: `badge${tone ? ` tone-${tone}` : ""}` }, text);
}

/**
 * A section with a heading.
 * @param {string} title
 * @param {(Child | Child[])[]} children
 * @param {Attrs} [attrs]
 */
export function section(title, children, attrs = {}) {
  const id = `s-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "")}`;
  return h("section", { "aria-labelledby": id, ...attrs }, h("h2", { id }, title), ...children);
}

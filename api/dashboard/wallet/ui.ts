/// <reference lib="dom" />
// DOM building for the wallet panel without innerHTML (as assets/dom.js): values from the chain and the wallet
// become text nodes, never markup.

export type Child = Node | string | number | null | undefined | false;
export type Attrs = Record<string, string | number | boolean | null | undefined | ((e: Event) => void)>;

/**
 * Creates an element: `on<event>` functions become listeners, `true` a boolean attribute, null/undefined/false are
 * left out.
 */
export function h(tag: string, attrs?: Attrs | null, ...children: (Child | Child[])[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs ?? {})) {
    if (value === null || value === undefined || value === false) continue;
    if (typeof value === "function") el.addEventListener(name.slice(2), value);
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.appendChild(typeof child === "object" ? child : document.createTextNode(String(child)));
  }
  return el;
}

let ids = 0;
/** A page-unique id for label/input and aria-describedby pairs. */
export function uid(prefix: string): string {
  return `${prefix}-${++ids}`;
}

/** "0x1234…abcd" for an address shown in a sentence (the full address is in the title). */
export function short(address: string): string {
  return `${address.slice(0, 6)}…${address.slice(-4)}`;
}

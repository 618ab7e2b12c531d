/** Tiny DOM helpers for the UI (no framework): element lookup and safe element creation. */

/** The element with this id; throws when the page lacks it (a build error, not a user error). */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`missing #${id}`);
  return el as T;
}

/** Creates an element with attributes and children; strings become text nodes (never HTML). */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | undefined> = {},
  ...children: Array<Node | string | null | undefined | false>
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : v);
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/** Replaces all children of `el`. */
export function replaceChildren(el: Element, ...children: Array<Node | string>): void {
  el.replaceChildren(...children);
}

/** Renders text with `backtick` spans as <code>, safely. */
export function withCode(text: string): DocumentFragment {
  const f = document.createDocumentFragment();
  text.split(/(`[^`]+`)/).forEach((part) => {
    if (part.startsWith('`') && part.endsWith('`') && part.length > 1) f.append(h('code', {}, part.slice(1, -1)));
    else if (part) f.append(part);
  });
  return f;
}

// DOM helpers of the webview: elements with attributes, SVG elements that act as buttons, labels
// clipped to a width. Text from the trace only ever goes through textContent/attributes, never
// innerHTML.

const SVG = 'http://www.w3.org/2000/svg';

export type Attrs = Record<string, string | number | boolean | undefined>;

export function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  setAttrs(e, attrs);
  for (const k of kids) e.append(k);
  return e;
}

export function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...kids: (Node | string)[]): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  setAttrs(e, attrs);
  for (const k of kids) e.append(k);
  return e;
}

export function setAttrs(e: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    e.setAttribute(k, v === true ? '' : String(v));
  }
}

/** Makes an SVG element behave like a button: focusable, Enter/Space activate it. */
export function activatable<E extends Element>(e: E, label: string, onActivate: () => void): E {
  e.setAttribute('tabindex', '0');
  e.setAttribute('role', 'button');
  e.setAttribute('aria-label', label);
  e.append(svg('title', {}, label));
  e.addEventListener('click', (ev) => {
    ev.stopPropagation();
    onActivate();
  });
  e.addEventListener('keydown', (ev) => {
    const k = (ev as KeyboardEvent).key;
    if (k === 'Enter' || k === ' ') {
      ev.preventDefault();
      ev.stopPropagation();
      onActivate();
    }
  });
  return e;
}

/** Clips a label to about `px` pixels (monospace-ish estimate: 6.5 px a character). */
export function clipText(t: string, px: number): string {
  const n = Math.floor(px / 6.5);
  return t.length <= n ? t : n <= 1 ? '' : `${t.slice(0, n - 1)}…`;
}

// The trace view's virtual viewport: only the rows on screen exist (plus one), in line order, so
// selection and copy work; scrolling moves rows from one end to the other and draws only the
// lines that came into view. Scrolling is the view's own (wheel, keys, its scrollbar), because a
// 1 GB trace has more lines than a browser can give an element pixels: the position is a
// fractional line number, drawn as a whole-line row offset plus a transform. The scrollbar marks
// findings and the debugger's line, like the editor's overview ruler. Lines are 1-based; `top` is
// the 0-based, fractional index of the first visible line.

import type { TraceViewFinding } from '../../../src/protocol/traceView';
import { Decoration, findingDecorations, segments } from './decorate';
import type { LineCache } from './lines';
import type { ScrollMeter } from './scrollMeter';
import type { Tokenizer } from './tokenize';

export interface ViewportHooks {
  cache: LineCache;
  meter: ScrollMeter;
  tokenizer(): Tokenizer | undefined;
  findingsOn(line: number): readonly TraceViewFinding[];
  /** Every line with a finding, ascending (scrollbar marks). */
  findingLines(): readonly { line: number; severity: TraceViewFinding['severity'] }[];
  /** The view moved or its marks changed (toolbar, saved state). */
  changed(): void;
  /** The rows on screen all have their text (after an `init`: the first paint). */
  painted(line: number, lines: number): void;
  /** The pointer rests on `character` of `line` (its text `text`) at client point (x, y). */
  hoverText(line: number, character: number, text: string, x: number, y: number): void;
  /** The pointer rests on a line's finding glyph. */
  hoverGlyph(line: number, anchor: DOMRect): void;
  /** The pointer left the text for somewhere else. */
  leave(): void;
}

interface Row {
  el: HTMLDivElement;
  glyph: HTMLSpanElement;
  ln: HTMLSpanElement;
  text: HTMLSpanElement;
  /** Line drawn (-1: none). */
  line: number;
  drawn: unknown;
  deco: number;
  cls: string;
}

const SCROLLBAR_W = 14;
const HOVER_DELAY_MS = 300;

export class Viewport {
  lineCount = 0;
  top = 0;
  lineHeight = 19;
  /** Whole rows that fit. */
  visible = 1;
  selected: number | null = null;
  /** The debugger's line, and the focused stack frame's. */
  current: number | null = null;
  frame: number | null = null;

  readonly root: HTMLDivElement;
  private readonly scroller: HTMLDivElement;
  private readonly rowsEl: HTMLDivElement;
  private readonly bar: HTMLDivElement;
  private readonly overview: HTMLCanvasElement;
  private readonly thumb: HTMLDivElement;
  private rows: Row[] = [];
  private rowsFirst = 1;
  private height = 0;
  /** Bumped when what decorates lines changes (findings, the hovered token). */
  private deco = 0;
  private hoverDeco: { line: number; start: number; end: number } | null = null;
  private queued = false;
  private paintPending = false;
  private overviewKey = '';
  private hoverTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly hooks: ViewportHooks) {
    this.root = el('div', 'viewport');
    this.root.tabIndex = 0;
    this.root.setAttribute('role', 'document');
    this.root.setAttribute('aria-label', 'Trace lines');
    this.scroller = el('div', 'scroller');
    this.rowsEl = el('div', 'rows');
    this.scroller.append(this.rowsEl);
    this.bar = el('div', 'scrollbar');
    this.overview = document.createElement('canvas');
    this.overview.className = 'overview';
    this.thumb = el('div', 'thumb');
    this.bar.append(this.overview, this.thumb);
    this.root.append(this.scroller, this.bar);
    this.installInput();
    new ResizeObserver(() => this.layout()).observe(this.root);
  }

  // --- geometry ---------------------------------------------------------------------------

  get maxTop(): number {
    return Math.max(0, this.lineCount - this.visible + 1);
  }

  /** The first whole line on screen and the last. */
  get firstLine(): number {
    return Math.ceil(this.top) + 1;
  }

  get lastLine(): number {
    return Math.min(this.lineCount, Math.floor(this.top + this.height / this.lineHeight));
  }

  private layout(): void {
    // the row height of the editor font, measured once a layout
    const probe = el('div', 'row probe');
    probe.textContent = '0';
    this.rowsEl.append(probe);
    this.lineHeight = Math.max(8, Math.round(probe.getBoundingClientRect().height));
    probe.remove();
    document.documentElement.style.setProperty('--lt-line-height', `${this.lineHeight}px`);
    this.height = this.root.clientHeight;
    this.visible = Math.max(1, Math.floor(this.height / this.lineHeight));
    const want = Math.ceil(this.height / this.lineHeight) + 1;
    while (this.rows.length < want) this.rows.push(this.newRow());
    while (this.rows.length > want) this.rows.pop()!.el.remove();
    this.overviewKey = '';
    this.top = this.clamp(this.top);
    this.schedule();
  }

  private newRow(): Row {
    const e = el('div', 'row');
    const gutter = el('span', 'gutter');
    const glyph = el('span', 'glyph');
    const ln = el('span', 'ln');
    gutter.append(glyph, ln);
    const text = el('span', 'text');
    e.append(gutter, text);
    this.rowsEl.append(e);
    const row: Row = { el: e, glyph, ln, text, line: -1, drawn: undefined, deco: -1, cls: '' };
    glyph.addEventListener('mouseenter', () => {
      if (row.line > 0 && this.hooks.findingsOn(row.line).length) this.hooks.hoverGlyph(row.line, glyph.getBoundingClientRect());
    });
    glyph.addEventListener('click', () => {
      if (row.line > 0 && this.hooks.findingsOn(row.line).length) this.hooks.hoverGlyph(row.line, glyph.getBoundingClientRect());
    });
    ln.addEventListener('click', () => row.line > 0 && this.select(row.line));
    return row;
  }

  private clamp(top: number): number {
    return Math.min(this.maxTop, Math.max(0, top));
  }

  // --- what is shown ----------------------------------------------------------------------

  /** A new trace (or a new analysis of it): no rows are kept. */
  reset(lineCount: number, top: number): void {
    this.lineCount = lineCount;
    this.top = this.clamp(top);
    this.rowsFirst = Math.floor(this.top) + 1;
    for (const r of this.rows) r.line = -1;
    document.documentElement.style.setProperty('--lt-gutter-ch', String(String(lineCount).length + 1));
    this.decorationsChanged();
    this.paintPending = true;
  }

  decorationsChanged(): void {
    this.deco++;
    this.overviewKey = '';
    this.schedule();
  }

  /** Moves the view (an input: counted by the scroll meter). */
  scrollTo(top: number, input = true): void {
    const t = this.clamp(top);
    if (t === this.top) return;
    this.top = t;
    if (input) this.hooks.meter.input(t);
    this.hideHoverDeco();
    this.hooks.leave();
    this.schedule();
    this.hooks.changed();
  }

  scrollBy(lines: number): void {
    this.scrollTo(this.top + lines);
  }

  /** Shows a line (in the upper third when it was off screen) and marks it. */
  reveal(line: number, mark: 'select' | 'frame' | 'none'): void {
    const l = Math.min(Math.max(1, line), Math.max(1, this.lineCount));
    if (l < this.firstLine || l > this.lastLine) this.scrollTo(l - 1 - Math.floor(this.visible / 3), false);
    if (mark === 'select') this.selected = l;
    if (mark === 'frame') this.frame = l;
    this.schedule();
    this.hooks.changed();
  }

  select(line: number): void {
    this.selected = line;
    this.schedule();
    this.hooks.changed();
  }

  setCurrent(line: number | null): void {
    this.current = line;
    if (line !== null && (line < this.firstLine || line > this.lastLine)) this.reveal(line, 'none');
    this.overviewKey = '';
    this.schedule();
  }

  schedule(): void {
    if (this.queued) return;
    this.queued = true;
    requestAnimationFrame(() => {
      this.queued = false;
      this.render();
    });
  }

  private render(): void {
    if (!this.lineCount) {
      for (const r of this.rows) r.el.hidden = true;
      return;
    }
    const first = Math.floor(this.top);
    const frac = this.top - first;
    const F = first + 1;
    const rows = this.rows;
    const n = rows.length;
    const shift = F - this.rowsFirst;
    // rows that stay on screen move with their line; the others are drawn again
    if (shift > 0 && shift < n) {
      for (let k = 0; k < shift; k++) {
        const r = rows.shift()!;
        this.rowsEl.append(r.el);
        rows.push(r);
      }
    } else if (shift < 0 && -shift < n) {
      for (let k = 0; k < -shift; k++) {
        const r = rows.pop()!;
        this.rowsEl.prepend(r.el);
        rows.unshift(r);
      }
    }
    this.rowsFirst = F;
    const cache = this.hooks.cache;
    let missing = false;
    for (let k = 0; k < n; k++) {
      const row = rows[k];
      const line = F + k;
      if (line > this.lineCount) {
        row.el.hidden = true;
        row.line = -1;
        continue;
      }
      row.el.hidden = false;
      const entry = cache.get(line);
      if (!entry && k <= this.visible) missing = true;
      if (row.line !== line || row.drawn !== entry || row.deco !== this.deco) this.draw(row, line);
      const cls = [
        'row',
        line === this.current ? 'current' : '',
        line === this.frame && line !== this.current ? 'frame' : '',
        line === this.selected ? 'selected' : '',
        entry ? '' : 'loading',
      ]
        .filter(Boolean)
        .join(' ');
      if (cls !== row.cls) row.el.className = row.cls = cls;
    }
    this.rowsEl.style.transform = `translateY(${-frac * this.lineHeight}px)`;
    const over = Math.max(100, this.visible * 2);
    cache.want(F - over, F + n + over, this.lineCount);
    this.drawScrollbar();
    if (missing) this.hooks.meter.blank();
    else if (this.paintPending) {
      this.paintPending = false;
      // reported once the frame with these rows has been presented
      requestAnimationFrame(() => this.hooks.painted(F, Math.min(n, this.lineCount - F + 1)));
    }
  }

  private draw(row: Row, line: number): void {
    const entry = this.hooks.cache.get(line);
    row.line = line;
    row.drawn = entry;
    row.deco = this.deco;
    row.ln.textContent = String(line);
    row.el.dataset.line = String(line);
    const findings = this.hooks.findingsOn(line);
    row.glyph.className = findings.length ? `glyph sev-${worst(findings)}` : 'glyph';
    row.glyph.title = findings.map((f) => f.title).join('\n');
    if (!entry) {
      row.text.textContent = '';
      return;
    }
    const tokenizer = this.hooks.tokenizer();
    entry.tokens ??= tokenizer ? tokenizer.tokenize(entry.text) : [{ start: 0, end: entry.text.length, scope: '' }];
    const decos: Decoration[] = findingDecorations(entry.text, findings);
    const h = this.hoverDeco;
    if (h && h.line === line) decos.push({ start: h.start, end: h.end, className: 'hovered' });
    const frag = document.createDocumentFragment();
    for (const s of segments(entry.tokens, decos)) {
      const t = entry.text.slice(s.start, s.end);
      if (!s.className) frag.append(t);
      else {
        const span = document.createElement('span');
        span.className = s.className;
        span.textContent = t;
        frag.append(span);
      }
    }
    if (entry.cut) frag.append(el('span', 'cut', ' … (cut: longer than the view shows)'));
    row.text.replaceChildren(frag);
  }

  private drawScrollbar(): void {
    const trackH = this.height;
    const maxTop = this.maxTop;
    const thumbH = Math.min(trackH, Math.max(24, (trackH * this.visible) / Math.max(1, this.lineCount)));
    const y = maxTop > 0 ? ((trackH - thumbH) * this.top) / maxTop : 0;
    this.thumb.style.height = `${thumbH}px`;
    this.thumb.style.transform = `translateY(${y}px)`;
    this.bar.hidden = this.lineCount <= this.visible;
    const key = `${trackH}|${this.lineCount}|${this.current}|${this.deco}`;
    if (key === this.overviewKey) return;
    this.overviewKey = key;
    const dpr = window.devicePixelRatio || 1;
    this.overview.width = SCROLLBAR_W * dpr;
    this.overview.height = Math.max(1, trackH * dpr);
    const g = this.overview.getContext('2d');
    if (!g) return;
    g.clearRect(0, 0, this.overview.width, this.overview.height);
    const css = getComputedStyle(this.root);
    const at = (line: number) => Math.floor(((line - 1) / Math.max(1, this.lineCount)) * (trackH - 2) * dpr);
    for (const f of this.hooks.findingLines()) {
      g.fillStyle = css.getPropertyValue(`--lt-sev-${f.severity}`).trim() || '#f14c4c';
      g.fillRect(SCROLLBAR_W * 0.5 * dpr, at(f.line), SCROLLBAR_W * 0.5 * dpr, Math.max(2, 2 * dpr));
    }
    if (this.current !== null) {
      g.fillStyle = css.getPropertyValue('--lt-current-mark').trim() || '#ffcc00';
      g.fillRect(0, at(this.current), SCROLLBAR_W * dpr, Math.max(2, 2 * dpr));
    }
  }

  // --- input ------------------------------------------------------------------------------

  private installInput(): void {
    this.root.addEventListener(
      'wheel',
      (ev) => {
        if (ev.ctrlKey) return; // zoom
        const unit = ev.deltaMode === 1 ? this.lineHeight : ev.deltaMode === 2 ? this.height : 1;
        const dx = ev.deltaX * unit;
        const dy = (ev.shiftKey && !ev.deltaX ? 0 : ev.deltaY) * unit;
        const sx = ev.shiftKey && !ev.deltaX ? ev.deltaY * unit : dx;
        if (sx) this.scroller.scrollLeft += sx;
        if (dy) this.scrollBy(dy / this.lineHeight);
        ev.preventDefault();
      },
      { passive: false },
    );
    this.root.addEventListener('keydown', (ev) => {
      const page = Math.max(1, this.visible - 1);
      const moves: Record<string, () => void> = {
        ArrowDown: () => this.scrollBy(1),
        ArrowUp: () => this.scrollBy(-1),
        PageDown: () => this.scrollBy(page),
        PageUp: () => this.scrollBy(-page),
        Home: () => this.scrollTo(0),
        End: () => this.scrollTo(this.maxTop),
        ArrowRight: () => (this.scroller.scrollLeft += 40),
        ArrowLeft: () => (this.scroller.scrollLeft -= 40),
      };
      const f = moves[ev.key];
      if (!f || ev.altKey || ev.metaKey) return;
      ev.preventDefault();
      f();
    });
    // the scrollbar: drag the thumb, click the track to page
    this.thumb.addEventListener('pointerdown', (ev) => {
      ev.preventDefault();
      ev.stopPropagation();
      this.thumb.setPointerCapture(ev.pointerId);
      const startY = ev.clientY;
      const startTop = this.top;
      const move = (e: PointerEvent) => {
        const free = this.height - this.thumb.getBoundingClientRect().height;
        if (free > 0) this.scrollTo(startTop + ((e.clientY - startY) / free) * this.maxTop);
      };
      const up = () => {
        this.thumb.removeEventListener('pointermove', move);
        this.thumb.removeEventListener('pointerup', up);
      };
      this.thumb.addEventListener('pointermove', move);
      this.thumb.addEventListener('pointerup', up);
    });
    this.bar.addEventListener('pointerdown', (ev) => {
      if (ev.target === this.thumb) return;
      const t = this.thumb.getBoundingClientRect();
      this.scrollBy(ev.clientY < t.top ? -(this.visible - 1) : this.visible - 1);
    });
    // hovers: after the pointer rests on text
    this.rowsEl.addEventListener('mousemove', (ev) => {
      clearTimeout(this.hoverTimer);
      const x = ev.clientX;
      const y = ev.clientY;
      this.hoverTimer = setTimeout(() => this.hoverAt(x, y), HOVER_DELAY_MS);
    });
    this.rowsEl.addEventListener('mouseleave', () => {
      clearTimeout(this.hoverTimer);
      this.hooks.leave();
    });
    this.rowsEl.addEventListener('click', (ev) => {
      const row = (ev.target as Element).closest<HTMLElement>('.row');
      const line = Number(row?.dataset.line);
      if (line > 0 && (ev.target as Element).closest('.text')) this.select(line);
    });
  }

  private hoverAt(x: number, y: number): void {
    const hit = this.textAt(x, y);
    if (!hit) {
      this.hooks.leave();
      return;
    }
    this.hooks.hoverText(hit.line, hit.character, hit.text, x, y);
  }

  /** The line and character under a client point, from the caret position the browser finds there. */
  textAt(x: number, y: number): { line: number; character: number; text: string } | undefined {
    const range = document.caretRangeFromPoint?.(x, y);
    if (!range) return undefined;
    const node = range.startContainer;
    const rowEl = (node.nodeType === Node.TEXT_NODE ? node.parentElement : (node as Element))?.closest<HTMLElement>('.row');
    const row = this.rows.find((r) => r.el === rowEl);
    if (!row || row.line < 1) return undefined;
    const entry = this.hooks.cache.get(row.line);
    if (!entry || !row.text.contains(node)) return undefined;
    // characters before the caret's node, then its offset (the drawn text is the line's text)
    let character = 0;
    const walker = document.createTreeWalker(row.text, NodeFilter.SHOW_TEXT);
    for (let t = walker.nextNode(); t && t !== node; t = walker.nextNode()) character += t.textContent?.length ?? 0;
    character += range.startOffset;
    // past the end of the text (the pointer is right of it): nothing there
    const r = row.text.getBoundingClientRect();
    if (character >= entry.text.length || x > r.right) return undefined;
    return { line: row.line, character, text: entry.text };
  }

  /** Underlines the hovered token. */
  showHoverDeco(line: number, start: number, end: number): void {
    this.hoverDeco = { line, start, end };
    this.deco++;
    this.schedule();
  }

  hideHoverDeco(): void {
    if (!this.hoverDeco) return;
    this.hoverDeco = null;
    this.deco++;
    this.schedule();
  }

  /** Client rectangle of a line's row, when it is on screen. */
  rowRect(line: number): DOMRect | undefined {
    return this.rows.find((r) => r.line === line)?.el.getBoundingClientRect();
  }
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  e.className = className;
  if (text !== undefined) e.textContent = text;
  return e;
}

const RANK = { error: 0, warning: 1, information: 2, hint: 3 };

function worst(findings: readonly TraceViewFinding[]): TraceViewFinding['severity'] {
  let w = findings[0].severity;
  for (const f of findings) if (RANK[f.severity] < RANK[w]) w = f.severity;
  return w;
}

// The trace view's webview (browser iife bundle, out/media/traceView.js): a trace of any size as
// coloured lines, read from the host a screen at a time. This file wires the parts together:
//   ./host.ts         messages to and from the extension host, saved state, `ready`
//   ./lines.ts        the lines the webview has, and the requests for those it lacks
//   ./viewport.ts     the virtual rows, scrolling, the scrollbar with its marks
//   ./tokenize.ts     the grammar's colours (a small TextMate interpreter)
//   ./decorate.ts     tokens and decorations (findings, the hovered token) as drawn pieces
//   ./markdown.ts     hover Markdown as DOM
//   ./scrollMeter.ts  frame timings of each scroll gesture
// and builds the toolbar (findings, go to line, debug, lock panel) and the hover box.

import './traceView.css';
import type { TraceViewFinding, TraceViewHostMessage, TraceViewSummary } from '../../../src/protocol/traceView';
import { listen, post, saveState, savedState, sayReady } from './host';
import { LineCache } from './lines';
import { renderMarkdown } from './markdown';
import { ScrollMeter } from './scrollMeter';
import { Tokenizer } from './tokenize';
import { Viewport } from './viewport';

let trace: TraceViewSummary | undefined;
let tokenizer: Tokenizer | undefined;
let findings: TraceViewFinding[] = [];
let byLine = new Map<number, TraceViewFinding[]>();
let hoverRequest = 0;

const cache = new LineCache((requestId, from, count) => post({ type: 'requestLines', requestId, from, count }));
const meter = new ScrollMeter((stats) => post({ type: 'scrolled', stats }));

function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Record<string, string> = {}, ...kids: (Node | string)[]) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) e.setAttribute(k, v);
  e.append(...kids);
  return e;
}

// --- page -----------------------------------------------------------------------------------

const title = h('span', { class: 'title' });
const meta = h('span', { class: 'meta' });
const prevFinding = h('button', { class: 'prev-finding', title: 'Previous finding (Shift+F8)', 'aria-label': 'Previous finding' }, '↑');
const nextFinding = h('button', { class: 'next-finding', title: 'Next finding (F8)', 'aria-label': 'Next finding' }, '↓');
const findingLabel = h('span', { class: 'finding-label' });
const gotoInput = h('input', {
  class: 'goto',
  type: 'text',
  inputmode: 'numeric',
  'aria-label': 'Go to line',
  title: 'Go to line (Ctrl+G)',
});
const lineTotal = h('span', { class: 'line-total' });
const debugButton = h('button', { class: 'debug', title: 'Debug the trace to the selected line' }, 'Debug to line');
const panelButton = h('button', { class: 'show-panel', title: 'Show the lock panel at the selected line' }, 'Lock panel');
const toolbar = h(
  'div',
  { class: 'toolbar' },
  title,
  meta,
  h('span', { class: 'findings-nav' }, prevFinding, findingLabel, nextFinding),
  h('label', { class: 'goto-label' }, 'Line ', gotoInput, lineTotal),
  debugButton,
  panelButton,
);
const status = h('div', { class: 'status', role: 'status' });
const hover = h('div', { class: 'hover', role: 'tooltip' });
hover.hidden = true;

const view = new Viewport({
  cache,
  meter,
  tokenizer: () => tokenizer,
  findingsOn: (line) => byLine.get(line) ?? [],
  findingLines: () => findings,
  changed: onViewChanged,
  painted: (line, lines) => post({ type: 'painted', line, lines }),
  hoverText: (line, character, text) => {
    hoverRequest++;
    post({ type: 'hover', requestId: hoverRequest, line, character, text });
  },
  hoverGlyph: (line, anchor) => showFindingHover(line, anchor),
  leave: () => scheduleHide(),
});
document.body.classList.add('lt-trace-view');
document.body.append(toolbar, status, view.root, hover);

// --- toolbar ----------------------------------------------------------------------------------

/** The line the toolbar's actions apply to: the selected one, else the first on screen. */
function focusLine(): number {
  return view.selected ?? view.firstLine;
}

let stateTimer: ReturnType<typeof setTimeout> | undefined;

function onViewChanged(): void {
  if (document.activeElement !== gotoInput) gotoInput.value = String(focusLine());
  const at = focusLine();
  const k = findings.findIndex((f) => f.line >= at);
  findingLabel.textContent = findings.length
    ? `${findings.length} finding${findings.length === 1 ? '' : 's'}${k >= 0 && findings[k].line === at ? ` · ${k + 1} of ${findings.length}` : ''}`
    : 'no findings';
  clearTimeout(stateTimer);
  stateTimer = setTimeout(() => trace && saveState({ path: trace.path, top: view.top, selected: view.selected }), 200);
}

function jumpFinding(dir: 1 | -1): void {
  if (!findings.length) return;
  const at = focusLine();
  const f =
    dir > 0
      ? (findings.find((x) => x.line > at) ?? findings[0])
      : ([...findings].reverse().find((x) => x.line < at) ?? findings[findings.length - 1]);
  view.reveal(f.line, 'select');
}

prevFinding.addEventListener('click', () => jumpFinding(-1));
nextFinding.addEventListener('click', () => jumpFinding(1));
gotoInput.addEventListener('keydown', (ev) => {
  if (ev.key === 'Enter') {
    const line = Number.parseInt(gotoInput.value.replace(/[^\d]/g, ''), 10);
    if (line > 0) view.reveal(line, 'select');
    view.root.focus();
  } else if (ev.key === 'Escape') {
    gotoInput.value = String(focusLine());
    view.root.focus();
  }
});
debugButton.addEventListener('click', () => post({ type: 'debugToLine', line: focusLine() }));
panelButton.addEventListener('click', () => post({ type: 'showInPanel', line: focusLine() }));
view.root.addEventListener('keydown', (ev) => {
  if (ev.key === 'F8') {
    ev.preventDefault();
    jumpFinding(ev.shiftKey ? -1 : 1);
  } else if (ev.key === 'Escape') hideHover();
});

// --- hovers -----------------------------------------------------------------------------------

let hideTimer: ReturnType<typeof setTimeout> | undefined;

function hideHover(): void {
  hover.hidden = true;
  view.hideHoverDeco();
}

function scheduleHide(): void {
  clearTimeout(hideTimer);
  hideTimer = setTimeout(() => {
    if (!hover.matches(':hover')) hideHover();
  }, 300);
}

hover.addEventListener('mouseleave', scheduleHide);
hover.addEventListener('mouseenter', () => clearTimeout(hideTimer));
// the wheel over the hover box scrolls the box while it can, then the view (the box goes): a box
// that shows up under a resting pointer must not stop the scrolling
hover.addEventListener(
  'wheel',
  (ev) => {
    if (ev.ctrlKey) return;
    const canScroll = ev.deltaY > 0 ? hover.scrollTop + hover.clientHeight < hover.scrollHeight - 1 : ev.deltaY < 0 && hover.scrollTop > 0;
    if (canScroll) return;
    ev.preventDefault();
    hideHover();
    view.root.dispatchEvent(new WheelEvent('wheel', ev));
  },
  { passive: false },
);

/** Places the hover box under (or above) a rectangle of the page. */
function placeHover(anchor: { left: number; top: number; bottom: number }): void {
  hover.hidden = false;
  clearTimeout(hideTimer);
  hover.scrollTop = 0;
  const w = hover.offsetWidth;
  const ht = hover.offsetHeight;
  const left = Math.max(4, Math.min(anchor.left, window.innerWidth - w - 8));
  const below = anchor.bottom + 2;
  const top = below + ht <= window.innerHeight - 4 || anchor.top - ht - 2 < 0 ? below : anchor.top - ht - 2;
  hover.style.left = `${left}px`;
  hover.style.top = `${top}px`;
}

function onLink(link: { kind: 'reveal' | 'debug'; line: number }): void {
  hideHover();
  if (link.kind === 'reveal') view.reveal(link.line, 'select');
  else post({ type: 'debugToLine', line: link.line });
}

function showMarkdownHover(line: number, start: number, end: number, markdown: string): void {
  hover.replaceChildren(renderMarkdown(markdown, onLink));
  hover.dataset.line = String(line);
  hover.dataset.kind = 'token';
  view.showHoverDeco(line, start, end);
  const row = view.rowRect(line);
  if (!row) return;
  // under the token: its left edge from the text's characters
  const probe = document.querySelector(`.row[data-line="${line}"] .text`);
  let left = row.left + 40;
  if (probe) {
    const r = document.createRange();
    const pos = nodeAt(probe, start);
    if (pos) {
      r.setStart(pos.node, pos.offset);
      r.setEnd(pos.node, pos.offset);
      left = r.getBoundingClientRect().left;
    }
  }
  placeHover({ left, top: row.top, bottom: row.bottom });
}

/** The text node and offset of a character of an element's text. */
function nodeAt(root: Node, character: number): { node: Node; offset: number } | undefined {
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let left = character;
  for (let t = walker.nextNode(); t; t = walker.nextNode()) {
    const n = t.textContent?.length ?? 0;
    if (left <= n) return { node: t, offset: left };
    left -= n;
  }
  return undefined;
}

function showFindingHover(line: number, anchor: DOMRect): void {
  const fs = byLine.get(line) ?? [];
  const parts: Node[] = [];
  for (const f of fs) {
    parts.push(h('p', {}, h('strong', { class: `sev-text-${f.severity}` }, f.title), ` at line ${f.line}`));
    parts.push(h('pre', { class: 'finding-message' }, f.message));
    const debug = h('a', { href: '#' }, 'Debug to here');
    debug.addEventListener('click', (ev) => {
      ev.preventDefault();
      hideHover();
      post({ type: 'debugToLine', line: f.line });
    });
    const panel = h('a', { href: '#' }, 'Show in lock panel');
    panel.addEventListener('click', (ev) => {
      ev.preventDefault();
      hideHover();
      post({ type: 'showInPanel', line: f.line });
    });
    parts.push(h('p', { class: 'actions' }, debug, ' · ', panel));
  }
  hover.replaceChildren(...parts);
  hover.dataset.line = String(line);
  hover.dataset.kind = 'finding';
  placeHover({ left: anchor.left, top: anchor.top, bottom: anchor.bottom });
}

// --- the host's messages ----------------------------------------------------------------------

function showStatus(text: string, retry = false): void {
  status.hidden = false;
  status.replaceChildren(h('span', {}, text));
  if (retry) {
    const b = h('button', { class: 'retry' }, 'Try again');
    b.addEventListener('click', () => post({ type: 'retry' }));
    status.append(' ', b);
  }
}

function onMessage(msg: TraceViewHostMessage): void {
  switch (msg.type) {
    case 'status':
      showStatus(msg.message);
      return;
    case 'error':
      showStatus(msg.message, msg.retry);
      return;
    case 'init': {
      const saved = savedState();
      const same = saved && saved.path === msg.trace.path;
      const again = trace?.path === msg.trace.path;
      trace = msg.trace;
      tokenizer = new Tokenizer(msg.grammar);
      findings = [...msg.findings].sort((a, b) => a.line - b.line || a.id - b.id);
      byLine = new Map();
      for (const f of findings) byLine.set(f.line, [...(byLine.get(f.line) ?? []), f]);
      status.hidden = true;
      title.textContent = trace.name;
      title.title = trace.path;
      meta.textContent = `${trace.lineCount.toLocaleString('en-US')} lines · ${trace.events.toLocaleString('en-US')} events · ${trace.format} · ${formatBytes(trace.bytes)}`;
      lineTotal.textContent = ` of ${trace.lineCount.toLocaleString('en-US')}`;
      cache.clear();
      const top = again ? view.top : same ? saved.top : 0;
      if (!again) view.selected = same ? saved.selected : null;
      view.reset(trace.lineCount, top);
      view.current = msg.position;
      if (msg.reveal !== null) view.reveal(msg.reveal, 'select');
      else if (msg.position !== null) view.setCurrent(msg.position);
      onViewChanged();
      return;
    }
    case 'lines':
      if (cache.accept(msg.requestId, msg.from, msg.texts, msg.cut)) view.schedule();
      return;
    case 'position':
      view.setCurrent(msg.line);
      return;
    case 'reveal':
      view.reveal(msg.line, msg.mark);
      if (msg.mark === 'select') view.root.focus();
      return;
    case 'hover':
      if (msg.requestId !== hoverRequest) return;
      if (!msg.markdown) {
        hideHover();
        return;
      }
      showMarkdownHover(msg.line, msg.start, msg.end, msg.markdown);
      return;
    default: {
      const never: never = msg;
      throw new Error(`unexpected message ${JSON.stringify(never)}`);
    }
  }
}

function formatBytes(n: number): string {
  if (n >= 1 << 30) return `${(n / (1 << 30)).toFixed(1)} GiB`;
  if (n >= 1 << 20) return `${(n / (1 << 20)).toFixed(0)} MiB`;
  if (n >= 1 << 10) return `${(n / (1 << 10)).toFixed(0)} KiB`;
  return `${n} B`;
}

showStatus('Loading…');
listen(onMessage);
sayReady();
view.root.focus();

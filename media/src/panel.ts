// The lock panel's webview front end (browser iife bundle, out/media/panel.js): receives the
// host's messages, keeps the state with getState/setState, and renders the view models of
// ./viewModel.ts as DOM and SVG (aggregated timeline windows: a canvas under an SVG overlay with
// the axis, the cursor and the highlighted events). Every interactive element is a real button or
// a focusable SVG element with a keyboard handler; clicks post `seek` / `selectFinding` messages
// to the host. Rendering happens once per animation frame, section by section when its inputs
// changed. Timeline windows are requested one at a time: while one is on its way, pans and zooms
// move the window already drawn and only the latest view is asked for next.
// Text from the trace only ever goes through textContent/attributes, never innerHTML.
// May import ./viewModel, src/protocol (and src/core types).

import './panel.css';
import {
  HostMessage,
  PANEL_PROTOCOL_VERSION,
  TIMELINE_DETAIL_MAX_EVENTS,
  PanelPersistedState,
  SeekTarget,
  WebviewMessage,
  isHostMessage,
} from '../../src/protocol/panel';
import {
  GraphView,
  LANE_LOCK_H,
  LANE_PAD,
  LANE_SYSCALL_H,
  LaneView,
  PanelViewState,
  TaskColumn,
  TimelineView,
  ViewRange,
  bucketAtX,
  bucketInfo,
  findingItems,
  graphView,
  indexAtX,
  initialState,
  pan,
  persisted,
  reduce,
  selectedFinding,
  taskColumns,
  timelineView,
  togglePin,
  zoom,
} from './viewModel';

interface VsCodeApi {
  postMessage(msg: WebviewMessage): void;
  getState(): PanelPersistedState | undefined;
  setState(s: PanelPersistedState): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

const vscode = acquireVsCodeApi();
let state: PanelViewState = initialState(vscode.getState());
let requestId = 0;
/** What a timeline request asks for; equal keys need no second request. */
interface Wanted {
  from: number;
  to: number;
  /** Pixel budget (only aggregated windows depend on it). */
  width: number;
  tasks: string;
}
/** The request on its way (at most one), and what the window on screen answers. */
let inFlight: { id: number; wanted: Wanted; since: number } | null = null;
let drawn: Wanted | null = null;
/** A request unanswered this long is given up (the host may have been busy loading). */
const REQUEST_TIMEOUT_MS = 4000;

const SVG = 'http://www.w3.org/2000/svg';

function post(msg: WebviewMessage): void {
  vscode.postMessage(msg);
}

function seek(target: SeekTarget): void {
  post({ type: 'seek', target });
}

// ---------------------------------------------------------------------------------------------
// DOM helpers

type Attrs = Record<string, string | number | boolean | undefined>;

function el<K extends keyof HTMLElementTagNameMap>(tag: K, attrs: Attrs = {}, ...kids: (Node | string)[]): HTMLElementTagNameMap[K] {
  const e = document.createElement(tag);
  setAttrs(e, attrs);
  for (const k of kids) e.append(k);
  return e;
}

function svg<K extends keyof SVGElementTagNameMap>(tag: K, attrs: Attrs = {}, ...kids: (Node | string)[]): SVGElementTagNameMap[K] {
  const e = document.createElementNS(SVG, tag);
  setAttrs(e, attrs);
  for (const k of kids) e.append(k);
  return e;
}

function setAttrs(e: Element, attrs: Attrs): void {
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === false) continue;
    e.setAttribute(k, v === true ? '' : String(v));
  }
}

/** Makes an SVG element behave like a button: focusable, Enter/Space activate it. */
function activatable<E extends Element>(e: E, label: string, onActivate: () => void): E {
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

// ---------------------------------------------------------------------------------------------
// Skeleton (built once; sections are re-rendered)

const root = el('main', { id: 'lt-root' });
const headerInfo = el('div', { class: 'lt-position', id: 'lt-position', 'aria-live': 'polite' });
const filterInput = el('input', {
  type: 'search',
  id: 'lt-filter',
  placeholder: 'Filter tasks (comm or pid)',
  'aria-label': 'Filter tasks by comm or pid',
});
const errorBox = el('div', { class: 'lt-error', role: 'alert', hidden: true });
const stacks = el('section', { id: 'lt-stacks', class: 'lt-stacks', 'aria-label': 'Held locks per task' });
const timelineLabels = el('div', { class: 'lt-lane-labels' });
const timelineHost = el('div', { class: 'lt-timeline-svg', id: 'lt-timeline' });
const timelineInfo = el('span', { class: 'lt-muted' });
const findingsList = el('ol', { id: 'lt-findings', class: 'lt-findings', 'aria-label': 'Findings' });
const graphHost = el('div', { id: 'lt-graph', class: 'lt-graph' });

function toolButton(label: string, text: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', { type: 'button', class: 'lt-tool', title: label, 'aria-label': label }, text);
  b.addEventListener('click', onClick);
  return b;
}

function changeView(f: (v: ViewRange, total: number) => ViewRange): void {
  const total = state.trace?.totalEvents ?? 0;
  const v = state.ui.view;
  if (!v || total === 0) return;
  setUi({ view: f(v, total) });
}

root.append(
  el(
    'header',
    { class: 'lt-header' },
    el('h1', { id: 'lt-title' }, 'Lock state'),
    headerInfo,
    el('span', { class: 'lt-spacer' }),
    filterInput,
  ),
  errorBox,
  stacks,
  el(
    'section',
    { class: 'lt-timeline', 'aria-label': 'Syscall timeline' },
    el(
      'div',
      { class: 'lt-section-head' },
      el('h2', {}, 'Timeline'),
      timelineInfo,
      el('span', { class: 'lt-spacer' }),
      toolButton('Earlier (←)', '◀', () => changeView((v, t) => pan(v, -0.5, t))),
      toolButton('Zoom in (+)', '+', () => changeView((v, t) => zoom(v, 0.5, t))),
      toolButton('Zoom out (−)', '−', () => changeView((v, t) => zoom(v, 2, t))),
      toolButton('Later (→)', '▶', () => changeView((v, t) => pan(v, 0.5, t))),
      toolButton('Whole trace', '⤢', () => changeView((_v, t) => ({ from: 0, to: t }))),
    ),
    el('div', { class: 'lt-timeline-body' }, timelineLabels, timelineHost),
  ),
  el(
    'div',
    { class: 'lt-bottom' },
    el('section', { class: 'lt-findings-box', 'aria-label': 'Findings' }, el('h2', {}, 'Findings'), findingsList),
    el('section', { class: 'lt-graph-box', 'aria-label': 'Lock-order graph' }, el('h2', {}, 'Lock order'), graphHost),
  ),
);
document.body.append(root);

filterInput.value = state.ui.tasks.text;
filterInput.addEventListener('input', () => {
  setUi({ tasks: { ...state.ui.tasks, text: filterInput.value } });
  post({ type: 'setTaskFilter', tasks: state.ui.tasks });
});

timelineHost.tabIndex = 0;
timelineHost.setAttribute('aria-label', 'Timeline: arrows pan, + and − zoom, Home centres the cursor');
timelineHost.addEventListener('keydown', (ev) => {
  const k = ev.key;
  if (k === 'ArrowLeft') changeView((v, t) => pan(v, -0.25, t));
  else if (k === 'ArrowRight') changeView((v, t) => pan(v, 0.25, t));
  else if (k === '+' || k === '=') changeView((v, t) => zoom(v, 0.5, t));
  else if (k === '-' || k === '_') changeView((v, t) => zoom(v, 2, t));
  else if (k === 'Home' && state.replay) {
    const c = state.replay.index;
    changeView((v, t) => zoom(v, 1, t, c));
  } else return;
  ev.preventDefault();
});

// wheel: ctrl/⌘ + wheel zooms around the pointer, horizontal wheel (or shift + wheel) pans;
// a plain vertical wheel scrolls the page as usual
timelineHost.addEventListener(
  'wheel',
  (ev) => {
    const v = state.ui.view;
    const total = state.trace?.totalEvents ?? 0;
    if (!v || total === 0) return;
    const box = timelineHost.getBoundingClientRect();
    const scale = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? box.height : 1;
    if (ev.ctrlKey || ev.metaKey) {
      const at = indexAtX({ from: v.from, to: v.to, width: box.width }, ev.clientX - box.left);
      const factor = Math.exp(ev.deltaY * scale * 0.002);
      // keep the event under the pointer where it is
      const span = Math.max(Math.min(8, total), Math.min(total, Math.round((v.to - v.from) * factor)));
      const frac = (ev.clientX - box.left) / Math.max(1, box.width);
      const from = Math.max(0, Math.min(total - span, Math.round(at - frac * span)));
      setUi({ view: { from, to: from + span } });
    } else {
      const dx = ev.shiftKey && ev.deltaX === 0 ? ev.deltaY : ev.deltaX;
      if (dx === 0 || Math.abs(ev.deltaY) > Math.abs(ev.deltaX) * 2 && !ev.shiftKey) return;
      setUi({ view: pan(v, (dx * scale) / Math.max(1, box.width), total) });
    }
    ev.preventDefault();
  },
  { passive: false },
);

// ---------------------------------------------------------------------------------------------
// State updates

function setUi(patch: Partial<PanelViewState['ui']>): void {
  state = { ...state, ui: { ...state.ui, ...patch } };
  update();
}

function update(): void {
  vscode.setState(persisted(state));
  maybeRequestTimeline();
  scheduleRender();
}

function timelineWidth(): number {
  return Math.max(200, Math.floor(timelineHost.clientWidth || 600));
}

function wanted(): Wanted | null {
  const v = state.ui.view;
  if (!v || !state.trace) return null;
  return { from: v.from, to: v.to, width: timelineWidth(), tasks: JSON.stringify(state.ui.tasks) };
}

/** Whether a window answering `a` is what `b` wants (the width matters to aggregated windows only). */
function answers(a: Wanted | null, b: Wanted): boolean {
  return !!a && a.from === b.from && a.to === b.to && a.tasks === b.tasks && (a.width === b.width || b.to - b.from <= TIMELINE_DETAIL_MAX_EVENTS);
}

/** Asks for the window of the current view unless it is drawn or on its way; one request at a time. */
function maybeRequestTimeline(): void {
  const w = wanted();
  if (!w || answers(drawn, w)) return;
  if (inFlight) {
    if (answers(inFlight.wanted, w) || performance.now() - inFlight.since < REQUEST_TIMEOUT_MS) return;
  }
  inFlight = { id: ++requestId, wanted: w, since: performance.now() };
  timelineHost.dataset.pending = '1';
  post({ type: 'requestTimeline', requestId: inFlight.id, from: w.from, to: w.to, width: w.width, tasks: state.ui.tasks });
}

window.addEventListener('message', (ev: MessageEvent<unknown>) => {
  const msg = ev.data;
  if (!isHostMessage(msg)) return;
  onHostMessage(msg);
});

function onHostMessage(msg: HostMessage): void {
  if (msg.type === 'timeline') {
    // only the answer to the request on its way is drawn (older ones were given up)
    if (!inFlight || msg.window.requestId !== inFlight.id) return;
    drawn = inFlight.wanted;
    inFlight = null;
    delete timelineHost.dataset.pending;
  }
  if (msg.type === 'init') {
    inFlight = null;
    drawn = null;
  }
  state = reduce(state, msg);
  update();
}

let resizeTimer: number | undefined;
new ResizeObserver(() => {
  window.clearTimeout(resizeTimer);
  // aggregated windows depend on the width (update asks again); detail windows are only redrawn
  resizeTimer = window.setTimeout(update, 100);
}).observe(timelineHost);

// ---------------------------------------------------------------------------------------------
// Rendering

let renderQueued = false;

/** Renders at the next animation frame (many messages and inputs in one frame render once). */
function scheduleRender(): void {
  if (renderQueued) return;
  renderQueued = true;
  requestAnimationFrame(() => {
    renderQueued = false;
    render();
  });
}

/** Inputs each section was last rendered from: a section whose inputs are the same is left alone. */
const lastInputs = new Map<string, unknown[]>();

function changed(section: string, inputs: unknown[]): boolean {
  const last = lastInputs.get(section);
  if (last && last.length === inputs.length && last.every((x, k) => x === inputs[k])) return false;
  lastInputs.set(section, inputs);
  return true;
}

function render(): void {
  const s = state;
  const sel = selectedFinding(s);
  if (changed('header', [s.trace, s.replay, s.error, s.source])) renderHeader();
  if (changed('stacks', [s.replay, s.ui.tasks, sel])) renderStacks();
  if (changed('timeline', [s.timeline, s.ui.view, s.replay, sel, s.ui.tasks, timelineWidth(), s.trace])) renderTimeline();
  if (changed('findings', [s.trace, s.replay, sel])) renderFindings();
  if (changed('graph', [s.graph, sel, graphHost.clientWidth])) renderGraph();
}

function renderHeader(): void {
  errorBox.hidden = !state.error;
  errorBox.textContent = state.error ?? '';
  const t = state.trace;
  const r = state.replay;
  document.getElementById('lt-title')!.textContent = t ? t.name : 'Lock state';
  if (!t || !r) {
    headerInfo.textContent = t ? 'Loading…' : 'Waiting for a trace…';
    return;
  }
  const task = r.tasks.find((x) => x.taskId === r.taskId);
  const where = task ? `${task.comm}/${task.pid}${task.syscall ? ` in ${task.syscall.name}` : ''}` : '';
  headerInfo.textContent = `line ${r.line} · event ${r.index + 1} of ${r.totalEvents} · ${where} · ${r.findingsSoFar.length}/${r.totalFindings} findings · ${state.source === 'debug' ? 'debug session' : 'no session'}`;
}

function renderStacks(): void {
  const cols = taskColumns(state);
  stacks.replaceChildren(...cols.map(renderColumn));
  if (cols.length === 0) stacks.append(el('p', { class: 'lt-muted' }, state.replay ? 'No task matches the filter.' : ''));
}

function renderColumn(c: TaskColumn): HTMLElement {
  const pin = el(
    'button',
    {
      type: 'button',
      class: 'lt-pin',
      'aria-pressed': String(c.pinned),
      title: c.pinned ? 'Unpin task' : 'Pin task (keep it first and always shown)',
      'aria-label': `${c.pinned ? 'Unpin' : 'Pin'} ${c.comm}/${c.pid}`,
    },
    c.pinned ? '★' : '☆',
  );
  pin.addEventListener('click', () => {
    setUi({ tasks: togglePin(state.ui.tasks, c.taskId) });
    post({ type: 'setTaskFilter', tasks: state.ui.tasks });
  });
  const head = el(
    'div',
    { class: 'lt-col-head' },
    el('span', { class: 'lt-comm' }, `${c.comm}`),
    el('span', { class: 'lt-pid' }, `${c.pid}`),
    el('span', { class: 'lt-spacer' }),
    pin,
  );
  const sys = c.syscall
    ? (() => {
        const b = el('button', { type: 'button', class: 'lt-syscall-now', title: `in ${c.syscall} since line ${c.syscallLine}` }, `in ${c.syscall}`);
        b.addEventListener('click', () => seek({ line: c.syscallLine ?? 1 }));
        return b;
      })()
    : el('span', { class: 'lt-muted lt-syscall-now' }, c.exited ? 'exited' : 'in userspace');
  const list = el('ol', { class: 'lt-stack', 'aria-label': `Locks held by ${c.comm}/${c.pid}, innermost first` });
  for (const h of c.held) {
    const b = el(
      'button',
      {
        type: 'button',
        class: `lt-held${h.acrossSyscall ? ' lt-across' : ''}${h.inFinding ? ' lt-in-finding' : ''}`,
        'data-class': h.className,
        'aria-label': h.label,
        title: `${h.label}\n${h.lock}`,
      },
      el('span', { class: 'lt-held-class' }, h.className),
      ...h.badges.map((x) => el('span', { class: `lt-badge lt-badge-${x}` }, x)),
      el('span', { class: 'lt-held-where' }, `L${h.line} · ${h.syscall ?? 'userspace'}`),
      ...(h.acrossSyscall ? [el('span', { class: 'lt-badge lt-badge-across', title: 'held across a syscall boundary' }, '⇥ across syscall')] : []),
    );
    b.addEventListener('click', () => seek({ index: h.eventIndex }));
    list.append(el('li', {}, b));
  }
  if (c.held.length === 0) list.append(el('li', { class: 'lt-muted lt-empty' }, 'no locks held'));
  return el(
    'article',
    {
      class: `lt-col${c.current ? ' lt-current' : ''}${c.pinned ? ' lt-pinned' : ''}${c.exited ? ' lt-exited' : ''}`,
      'data-task': c.taskId,
      'data-pid': c.pid,
      'aria-current': c.current ? 'true' : undefined,
      'aria-label': `${c.comm}/${c.pid}${c.current ? ' (current task)' : ''}`,
    },
    head,
    sys,
    list,
  );
}

function renderTimeline(): void {
  const width = timelineWidth() - 2;
  const tv = timelineView(state, width);
  if (!tv) {
    timelineHost.replaceChildren();
    timelineLabels.replaceChildren();
    timelineInfo.textContent = state.trace ? 'loading…' : '';
    return;
  }
  const w = tv.window;
  const pending = tv.from !== w.from || tv.to !== w.to ? ' · loading…' : '';
  timelineInfo.textContent = `events ${w.from + 1}–${w.to} of ${state.trace?.totalEvents ?? w.to}${tv.mode === 'aggregate' ? ` · aggregated, ${tv.buckets?.data.size} events a bar` : ''}${tv.hiddenLanes ? ` · ${tv.hiddenLanes} tasks hidden` : ''}${pending}`;
  timelineHost.dataset.from = String(w.from);
  timelineHost.dataset.to = String(w.to);
  if (changed('labels', [state.timeline?.lanes, state.replay?.taskId, state.ui.tasks])) renderLabels(tv);
  if (tv.buckets) renderAggregate(tv);
  else timelineHost.replaceChildren(drawTimeline(tv));
}

function renderLabels(tv: TimelineView): void {
  timelineLabels.replaceChildren(
    el('div', { class: 'lt-axis-label' }),
    ...tv.lanes.map((l) =>
      el('div', { class: `lt-lane-label${l.current ? ' lt-current' : ''}`, 'data-task': l.taskId }, `${l.pinned ? '★ ' : ''}${l.title}`),
    ),
  );
  // lane label heights follow the SVG lanes (CSSOM, allowed by the CSP unlike style attributes)
  const labels = timelineLabels.children;
  (labels[0] as HTMLElement).style.height = `${tv.lanes[0]?.y ?? 18}px`;
  tv.lanes.forEach((l, k) => ((labels[k + 1] as HTMLElement).style.height = `${l.h}px`));
}

// --- aggregated windows: buckets on a canvas, axis, cursor and highlights in an SVG overlay ---

const aggStack = el('div', { class: 'lt-tl-stack' });
const aggCanvas = el('canvas', { class: 'lt-tl-canvas', role: 'img' });
aggStack.append(aggCanvas);
let aggView: TimelineView | null = null;

aggStack.addEventListener('mousemove', (ev) => {
  const tv = aggView;
  if (!tv) return;
  const box = aggStack.getBoundingClientRect();
  const y = ev.clientY - box.top;
  const lane = tv.lanes.find((l) => y >= l.y && y < l.y + l.h);
  const info = lane ? bucketInfo(tv, lane, bucketAtX(tv, ev.clientX - box.left)) : null;
  aggStack.title = info ? info.label : '';
});

type Colours = Record<'sys' | 'lock' | 'leak' | 'border' | 'current', [number, number, number, number]>;
/** Resolved once per theme (the body class changes with it). */
let colours: Colours | null = null;

/** The theme colours the canvas paints with (CSS variables of panel.css, resolved to RGBA bytes). */
function themeColours(): Colours {
  return (colours ??= resolveColours());
}

function resolveColours(): Colours {
  const css = getComputedStyle(document.body);
  const probe = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  const rgba = (name: string, fallback: string): [number, number, number, number] => {
    if (!probe) return [128, 128, 128, 255];
    probe.clearRect(0, 0, 1, 1);
    probe.fillStyle = fallback;
    probe.fillStyle = css.getPropertyValue(name).trim() || fallback;
    probe.fillRect(0, 0, 1, 1);
    const d = probe.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3]];
  };
  return {
    sys: rgba('--lt-sys', '#3794ff'),
    lock: rgba('--lt-lock', '#89d185'),
    leak: rgba('--lt-leak', '#cca700'),
    border: rgba('--lt-border', '#80808059'),
    current: rgba('--lt-current-bg', '#37373d'),
  };
}

const css = (c: readonly number[]): string => `rgba(${c[0]},${c[1]},${c[2]},${c[3] / 255})`;
/** Extra pixels painted above and below the visible part, so small scrolls need no repaint. */
const PAINT_MARGIN = 120;
const SHADES = 64;
let paintBuffer: ImageData | null = null;
let painted: { top: number; bottom: number } | null = null;

function renderAggregate(tv: TimelineView): void {
  aggView = tv;
  aggStack.style.height = `${tv.height}px`;
  aggCanvas.setAttribute(
    'aria-label',
    `Aggregated activity of ${tv.lanes.length} tasks over events ${tv.window.from}–${tv.window.to - 1}, ${tv.buckets?.data.size} events a bar: shade = events, bar height = deepest held-lock stack, yellow = a lock leaked across a syscall`,
  );
  paintAggregate();
  aggStack.querySelector('svg')?.remove();
  aggStack.append(drawOverlay(tv));
  if (timelineHost.firstChild !== aggStack || timelineHost.childNodes.length !== 1) timelineHost.replaceChildren(aggStack);
}

/** `src` (RGBA bytes, alpha 0..1 given separately) over `dst` (RGBA bytes), packed little-endian. */
function over(src: readonly number[], alpha: number, dst: readonly number[] | null): number {
  const da = dst ? dst[3] / 255 : 0;
  const a = alpha + da * (1 - alpha);
  if (a <= 0) return 0;
  const ch = (k: number): number => Math.round((src[k] * alpha + (dst ? dst[k] : 0) * da * (1 - alpha)) / a);
  return ((Math.round(a * 255) << 24) | (ch(2) << 16) | (ch(1) << 8) | ch(0)) >>> 0;
}

/**
 * Paints the lanes on screen (and a margin) into the canvas, which covers only that part of the
 * timeline, pixel by pixel: per lane one row of colours per held-lock level, copied down the rows
 * of that level, then one putImageData. The cost is the canvas area, whatever the bucket count.
 */
function paintAggregate(): void {
  const tv = aggView;
  if (!tv || !tv.buckets) return;
  const d = tv.buckets.data;
  const W = Math.max(1, Math.floor(tv.width));
  const box = aggStack.getBoundingClientRect();
  const viewTop = box.height ? -box.top : 0;
  const top = Math.max(0, Math.floor(viewTop - PAINT_MARGIN));
  const bottom = Math.max(top + 1, Math.min(Math.ceil(tv.height), Math.ceil(viewTop + window.innerHeight + PAINT_MARGIN)));
  painted = { top, bottom };
  const H = bottom - top;
  if (aggCanvas.width !== W || aggCanvas.height !== H) {
    aggCanvas.width = W;
    aggCanvas.height = H;
    aggCanvas.style.width = `${W}px`;
    aggCanvas.style.height = `${H}px`;
  }
  aggCanvas.style.top = `${top}px`;
  const ctx = aggCanvas.getContext('2d');
  if (!ctx) return;
  const c = themeColours();
  // one ImageData reused while the size stays (a fresh one per frame is megabytes of garbage)
  if (!paintBuffer || paintBuffer.width !== W || paintBuffer.height !== H) paintBuffer = ctx.createImageData(W, H);
  const img = paintBuffer;
  const px = new Uint32Array(img.data.buffer);
  px.fill(0);
  // the bucket under each pixel column (-1: outside the window's data)
  const unit = W / Math.max(1, tv.to - tv.from);
  const col = new Int32Array(W).fill(-1);
  for (let x = 0; x < W; x++) {
    const i = tv.from + (x + 0.5) / unit;
    if (i < tv.window.from || i >= tv.window.to) continue;
    col[x] = Math.min(d.count - 1, Math.floor((i - d.start) / d.size));
  }
  const row = new Uint32Array(W);
  const fill = (y0: number, y1: number): void => {
    for (let y = Math.max(y0, top); y < Math.min(y1, bottom); y++) px.set(row, (y - top) * W);
  };
  for (const lane of tv.lanes) {
    if (lane.y + lane.h <= top || lane.y >= bottom) continue;
    const base = lane.bucketLane * d.count;
    const bg = lane.current ? c.current : null;
    const bgPx = bg ? over(bg, bg[3] / 255, null) : 0;
    // density shades, quantised: 64 colours a lane instead of a blend per pixel
    const shade = new Uint32Array(SHADES + 1);
    for (let q = 0; q <= SHADES; q++) shade[q] = over(c.sys, 0.15 + (0.6 * q) / SHADES, bg);
    const q = SHADES / lane.maxEvents;
    row.fill(bgPx);
    fill(lane.y, lane.y + 6);
    fill(lane.y + lane.h - 6, lane.y + lane.h);
    // density only (the syscall row, and lock levels above a bucket's deepest stack)
    const density = new Uint32Array(W);
    for (let x = 0; x < W; x++) {
      const k = col[x];
      const ev = k < 0 ? 0 : d.events[base + k];
      density[x] = ev ? shade[Math.round(ev * q)] : bgPx;
    }
    row.set(density);
    fill(lane.y + 6, lane.y + LANE_PAD + LANE_SYSCALL_H);
    const lockTop = lane.y + LANE_PAD + LANE_SYSCALL_H;
    const lock = over(c.lock, 1, null);
    const leak = over(c.leak, 1, null);
    for (let level = lane.depth - 1; level >= 0; level--) {
      for (let x = 0; x < W; x++) {
        const k = col[x];
        row[x] = k >= 0 && d.events[base + k] && d.maxDepth[base + k] > level ? (d.leak[base + k] ? leak : lock) : density[x];
      }
      const y0 = lockTop + (lane.depth - 1 - level) * LANE_LOCK_H;
      fill(y0, y0 + LANE_LOCK_H);
    }
  }
  ctx.putImageData(img, 0, 0);
  ctx.lineWidth = 0.5;
  ctx.strokeStyle = css(c.border);
  for (const lane of tv.lanes) if (lane.y + lane.h > top && lane.y < bottom) ctx.strokeRect(0, lane.y - top, W, lane.h);
}

// the canvas covers what is on screen: scrolling past the painted part repaints it
window.addEventListener(
  'scroll',
  () => {
    if (!aggView || !painted || !aggStack.isConnected) return;
    const viewTop = -aggStack.getBoundingClientRect().top;
    if (viewTop < painted.top || viewTop + window.innerHeight > painted.bottom) requestAnimationFrame(paintAggregate);
  },
  { passive: true },
);

/** Axis, lanes' highlighted events and cursor over the canvas; clicks seek like the detail SVG. */
function drawOverlay(tv: TimelineView): SVGSVGElement {
  const s = svg('svg', { width: tv.width, height: tv.height, class: 'lt-tl lt-tl-overlay', role: 'group', 'aria-label': 'Syscall timeline, aggregated' });
  for (const t of tv.ticks) {
    s.append(svg('line', { x1: t.x, x2: t.x, y1: 14, y2: tv.height, class: 'lt-tick' }), svg('text', { x: t.x + 2, y: 11, class: 'lt-tick-label' }, t.label));
  }
  s.addEventListener('click', (ev) => {
    const box = s.getBoundingClientRect();
    seek({ index: indexAtX(tv, ev.clientX - box.left) });
  });
  for (const lane of tv.lanes) {
    if (lane.marks.length === 0) continue;
    const g = svg('g', { class: `lt-lane${lane.current ? ' lt-current' : ''}`, 'data-task': lane.taskId });
    for (const m of lane.marks) {
      const r = activatable(
        svg('g', { class: `lt-sys lt-mark lt-hl-${m.highlight}`, 'data-syscall': m.syscall ?? '', 'data-event': m.seek.index }),
        m.label,
        () => seek(m.seek),
      );
      r.append(svg('rect', { x: m.x, y: m.y, width: m.w, height: m.h, rx: 2 }));
      g.append(r);
    }
    s.append(g);
  }
  if (tv.cursorX !== null) s.append(svg('line', { x1: tv.cursorX, x2: tv.cursorX, y1: 0, y2: tv.height, class: 'lt-cursor', id: 'lt-cursor' }));
  return s;
}

// a theme change repaints the canvas (its colours are not CSS)
new MutationObserver(() => {
  colours = null;
  lastInputs.delete('timeline');
  scheduleRender();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

function drawTimeline(tv: TimelineView): SVGSVGElement {
  const s = svg('svg', { width: tv.width, height: tv.height, class: 'lt-tl', role: 'group', 'aria-label': 'Syscall and lock-hold timeline' });
  s.append(
    svg(
      'defs',
      {},
      svg(
        'pattern',
        { id: 'lt-hatch', width: 6, height: 6, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
        svg('rect', { width: 6, height: 6, class: 'lt-hatch-bg' }),
        svg('line', { x1: 0, y1: 0, x2: 0, y2: 6, class: 'lt-hatch-line' }),
      ),
    ),
  );
  for (const t of tv.ticks) {
    s.append(svg('line', { x1: t.x, x2: t.x, y1: 14, y2: tv.height, class: 'lt-tick' }), svg('text', { x: t.x + 2, y: 11, class: 'lt-tick-label' }, t.label));
  }
  s.addEventListener('click', (ev) => {
    const box = s.getBoundingClientRect();
    seek({ index: indexAtX(tv, ev.clientX - box.left) });
  });
  for (const lane of tv.lanes) s.append(drawLane(lane, tv));
  if (tv.cursorX !== null) s.append(svg('line', { x1: tv.cursorX, x2: tv.cursorX, y1: 0, y2: tv.height, class: 'lt-cursor', id: 'lt-cursor' }));
  return s;
}

function drawLane(lane: LaneView, tv: TimelineView): SVGGElement {
  const g = svg('g', { class: `lt-lane${lane.current ? ' lt-current' : ''}`, 'data-task': lane.taskId });
  g.append(svg('rect', { x: 0, y: lane.y, width: tv.width, height: lane.h, class: 'lt-lane-bg' }));
  for (const b of lane.syscalls) {
    const r = activatable(
      svg('g', { class: `lt-sys${b.highlight ? ` lt-hl-${b.highlight}` : ''}${b.open ? ' lt-open' : ''}`, 'data-syscall': b.name }),
      b.label,
      () => seek(b.seek),
    );
    r.append(svg('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 2 }));
    if (b.w > 24) r.append(svg('text', { x: b.x + 3, y: b.y + b.h - 4, class: 'lt-bar-text' }, clipText(b.name, b.w - 6)));
    g.append(r);
  }
  for (const b of lane.locks) {
    const r = activatable(
      svg('g', { class: `lt-lockbar${b.acrossSyscall ? ' lt-across' : ''}${b.inFinding ? ' lt-in-finding' : ''}`, 'data-class': b.className }),
      b.label,
      () => seek(b.seek),
    );
    r.append(svg('rect', { x: b.x, y: b.y, width: b.w, height: b.h, rx: 2, class: 'lt-lock-rect' }));
    for (const k of b.leaks) r.append(svg('rect', { x: k.x, y: b.y, width: k.w, height: b.h, class: 'lt-leak', fill: 'url(#lt-hatch)' }));
    if (b.w > 24) r.append(svg('text', { x: b.x + 3, y: b.y + b.h - 2, class: 'lt-bar-text' }, clipText(b.className, b.w - 6)));
    g.append(r);
  }
  return g;
}

/** Clips a label to about `px` pixels (monospace-ish estimate: 6.5 px a character). */
function clipText(t: string, px: number): string {
  const n = Math.floor(px / 6.5);
  return t.length <= n ? t : n <= 1 ? '' : `${t.slice(0, n - 1)}…`;
}

function renderFindings(): void {
  const items = findingItems(state);
  findingsList.replaceChildren(
    ...items.map((f) => {
      const b = el(
        'button',
        {
          type: 'button',
          class: `lt-finding lt-kind-${f.kind}${f.selected ? ' lt-selected' : ''}${f.ahead ? ' lt-ahead' : ''}${f.atCursor ? ' lt-at-cursor' : ''}`,
          'data-finding': f.id,
          'aria-pressed': String(f.selected),
          'aria-label': `${f.title}, ${f.detail}${f.ahead ? ', not reached yet' : ''}`,
        },
        el('span', { class: 'lt-finding-title' }, f.title),
        el('span', { class: 'lt-finding-detail' }, f.detail),
      );
      b.addEventListener('click', () => {
        setUi({ selectedFindingId: f.id });
        post({ type: 'selectFinding', findingId: f.id, seek: true });
      });
      return el('li', {}, b);
    }),
  );
  if (items.length === 0) findingsList.append(el('li', { class: 'lt-muted' }, state.trace ? 'No findings.' : ''));
}

function renderGraph(): void {
  const w = Math.max(260, graphHost.clientWidth || 360);
  const gv = graphView(state, w, 240);
  graphHost.replaceChildren(gv ? drawGraph(gv) : el('p', { class: 'lt-muted' }, ''));
}

function drawGraph(gv: GraphView): Node {
  const f = selectedFinding(state);
  const s = svg('svg', {
    width: gv.width,
    height: gv.height,
    class: 'lt-graph-svg',
    role: 'group',
    'aria-label': `Lock-order graph: ${gv.nodes.length} classes, ${gv.edges.length} edges${f?.cycle ? `; cycle of finding ${f.id} highlighted` : ''}`,
  });
  s.append(
    svg(
      'defs',
      {},
      svg('marker', { id: 'lt-arrow', viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'lt-arrow' })),
      svg('marker', { id: 'lt-arrow-hl', viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'lt-arrow lt-arrow-hl' })),
    ),
  );
  for (const e of gv.edges) {
    const g = activatable(
      svg('g', { class: `lt-edge${e.inCycle ? ' lt-in-cycle' : ''}${e.crossSyscall ? ' lt-cross' : ''}`, 'data-from': e.from, 'data-to': e.to }),
      e.title,
      () => seek(e.seek),
    );
    g.append(
      svg('path', { d: e.d, class: 'lt-edge-path', 'marker-end': e.inCycle ? 'url(#lt-arrow-hl)' : 'url(#lt-arrow)' }),
      svg('text', { x: e.labelX, y: e.labelY, class: 'lt-edge-label', 'text-anchor': 'middle' }, e.label),
    );
    s.append(g);
  }
  for (const n of gv.nodes) {
    s.append(
      svg(
        'g',
        { class: `lt-node${n.inCycle ? ' lt-in-cycle' : ''}`, 'data-node': n.id },
        svg('circle', { cx: n.x, cy: n.y, r: 7 }),
        svg('text', { x: n.labelX, y: n.labelY, 'text-anchor': n.anchor, class: 'lt-node-label' }, n.id),
      ),
    );
  }
  const box = el('div', {}, s);
  if (gv.truncatedNodes) box.append(el('p', { class: 'lt-muted' }, `${gv.truncatedNodes} less involved classes not drawn`));
  return box;
}

render();
post({ type: 'ready', version: PANEL_PROTOCOL_VERSION });

// The lock panel's webview front end (browser iife bundle, out/media/panel.js): receives the
// host's messages, keeps the state with getState/setState, and renders the view models of
// ./viewModel.ts as DOM, SVG and canvas (the timeline: bars or aggregated buckets on a canvas under
// an SVG overlay with the axis, the cursor and the highlighted events; clicks on bars hit-test).
// Every interactive element is a real button, a focusable SVG element with a keyboard handler, or
// (canvas bars) reachable with the timeline's [ ] keys; clicks post `seek` / `selectFinding`
// messages to the host. Rendering happens once per animation frame, section by section when its
// inputs changed. Timeline windows are requested one at a time: while one is on its way, pans and
// zooms move the window already drawn and only the latest view is asked for next.
// Text from the trace only ever goes through textContent/attributes, never innerHTML.

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
  MarkRect,
  PanelViewState,
  Rect,
  TaskColumn,
  TimelineView,
  ViewRange,
  findingItems,
  graphView,
  hitTest,
  indexAtX,
  initialState,
  laneBars,
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
/** The bar selected with the keyboard in the timeline, announced. */
const kbdInfo = el('span', { class: 'lt-kbd-info', 'aria-live': 'polite' });
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
      kbdInfo,
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
timelineHost.setAttribute(
  'aria-label',
  'Timeline: ← → pan, + and − zoom, Home centres the cursor; [ and ] step through the bars of a lane, ↑ ↓ change lanes, Enter moves to the bar',
);
timelineHost.addEventListener('keydown', (ev) => {
  const k = ev.key;
  // keys on a focused mark are the mark's (Enter/Space activate it)
  if (ev.target !== timelineHost && (k === 'Enter' || k === ' ')) return;
  if (kbdKey(k)) {
    ev.preventDefault();
    return;
  }
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
      if (dx === 0 || (Math.abs(ev.deltaY) > Math.abs(ev.deltaX) * 2 && !ev.shiftKey)) return;
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

/** The timeline's width, read once and then kept by the ResizeObserver (no layout read a frame). */
let hostWidth = -1;
function timelineWidth(): number {
  if (hostWidth < 0) hostWidth = timelineHost.clientWidth;
  return Math.max(200, Math.floor(hostWidth || 600));
}

function wanted(): Wanted | null {
  const v = state.ui.view;
  if (!v || !state.trace) return null;
  return { from: v.from, to: v.to, width: timelineWidth(), tasks: JSON.stringify(state.ui.tasks) };
}

/** Whether a window answering `a` is what `b` wants (the width matters to aggregated windows only). */
function answers(a: Wanted | null, b: Wanted): boolean {
  return (
    !!a && a.from === b.from && a.to === b.to && a.tasks === b.tasks && (a.width === b.width || b.to - b.from <= TIMELINE_DETAIL_MAX_EVENTS)
  );
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
new ResizeObserver((entries) => {
  for (const e of entries) hostWidth = e.contentRect.width;
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
  readLayout();
  const s = state;
  const sel = selectedFinding(s);
  if (changed('header', [s.trace, s.replay, s.error, s.source])) renderHeader();
  if (changed('stacks', [s.replay, s.ui.tasks, sel])) renderStacks();
  if (changed('timeline', [s.timeline, s.ui.view, s.replay, sel, s.ui.tasks, timelineWidth(), s.trace])) renderTimeline();
  if (changed('findings', [s.trace, s.replay, sel])) renderFindings();
  if (changed('graph', [s.graph, sel, frameLayout.graphW])) renderGraph();
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
        const b = el(
          'button',
          { type: 'button', class: 'lt-syscall-now', title: `in ${c.syscall} since line ${c.syscallLine}` },
          `in ${c.syscall}`,
        );
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
      ...(h.acrossSyscall
        ? [el('span', { class: 'lt-badge lt-badge-across', title: 'held across a syscall boundary' }, '⇥ across syscall')]
        : []),
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

// --- timeline: one canvas (bars or buckets, lane backgrounds, tick lines) under one SVG overlay
// (tick labels, cursor, the few highlighted events as focusable marks, the keyboard selection).
// Both are built once and updated in place. The canvas covers only the visible part of the
// timeline (plus a margin). While a pan or zoom is on its way, the image painted for the data on
// screen is moved and stretched with a CSS transform instead of repainted. Clicks and tooltips on
// bars hit-test the view model (hitTest), so a detail window of thousands of bars is no DOM at all.

const tlStack = el('div', { class: 'lt-tl-stack' });
const tlCanvas = el('canvas', { class: 'lt-tl-canvas', role: 'img' });
const tlOverlay = svg('svg', { class: 'lt-tl lt-tl-overlay', role: 'group', 'aria-label': 'Syscall and lock-hold timeline' });
const tlTicks = svg('g', { class: 'lt-ticks', 'aria-hidden': 'true' });
const tlLanes = svg('g', { class: 'lt-marks' });
const tlKbd = svg('rect', { class: 'lt-kbd-bar', id: 'lt-kbd-bar', rx: 2 });
const tlCursor = svg('line', { class: 'lt-cursor', id: 'lt-cursor', y1: 0 });
tlOverlay.append(tlTicks, tlLanes);
tlStack.append(tlCanvas, tlOverlay);
/** The view last rendered (hit-testing, tooltips, keyboard). */
let tlView: TimelineView | null = null;
/** Layout read once at the start of a frame: the stack's top relative to the viewport. */
let frameLayout = { stackTop: 0, viewportH: 800, graphW: 0 };
/** Keyboard selection of a bar: its task, its seek index and its kind. */
let kbdSel: { taskId: number; index: number; y: number } | null = null;

function readLayout(): void {
  // one layout read a frame, before any DOM write of the frame
  frameLayout = {
    stackTop: tlStack.isConnected ? tlStack.getBoundingClientRect().top : 0,
    viewportH: window.innerHeight,
    graphW: graphHost.clientWidth,
  };
}

function renderTimeline(): void {
  const width = timelineWidth() - 2;
  const tv = timelineView(state, width);
  tlView = tv;
  if (!tv) {
    timelineHost.replaceChildren();
    timelineLabels.replaceChildren();
    timelineInfo.textContent = state.trace ? 'loading…' : '';
    lastPaint = null;
    return;
  }
  const w = tv.window;
  const pending = tv.from !== w.from || tv.to !== w.to ? ' · loading…' : '';
  timelineInfo.textContent = `events ${w.from + 1}–${w.to} of ${state.trace?.totalEvents ?? w.to}${tv.mode === 'aggregate' ? ` · aggregated, ${tv.buckets?.data.size} events a bar` : ''}${tv.hiddenLanes ? ` · ${tv.hiddenLanes} tasks hidden` : ''}${pending}`;
  timelineHost.dataset.from = String(w.from);
  timelineHost.dataset.to = String(w.to);
  timelineHost.dataset.mode = tv.mode;
  if (changed('labels', [state.timeline?.lanes, state.replay?.taskId, state.ui.tasks])) renderLabels(tv);
  if (timelineHost.firstChild !== tlStack || timelineHost.childNodes.length !== 1) timelineHost.replaceChildren(tlStack);
  const h = `${tv.height}px`;
  if (tlStack.style.height !== h) tlStack.style.height = h;
  if (tlOverlay.getAttribute('width') !== String(tv.width) || tlOverlay.getAttribute('height') !== String(tv.height)) {
    setAttrs(tlOverlay, { width: tv.width, height: tv.height });
    tlCursor.setAttribute('y2', String(tv.height));
  }
  tlCanvas.setAttribute(
    'aria-label',
    tv.buckets
      ? `Aggregated activity of ${tv.lanes.length} tasks over events ${w.from}–${w.to - 1}, ${tv.buckets.data.size} events a bar: shade = events, bar height = deepest held-lock stack, yellow = a lock leaked across a syscall`
      : `Syscalls and lock holds of ${tv.lanes.length} tasks over events ${w.from}–${w.to - 1}; [ and ] step through the bars of a lane, ↑ ↓ change lanes, Enter moves there`,
  );
  paintTimeline(tv);
  renderTicks(tv);
  renderMarks(tv);
  renderKbd(tv);
  if (tv.cursorX !== null) {
    const x = String(tv.cursorX);
    if (tlCursor.getAttribute('x1') !== x) setAttrs(tlCursor, { x1: x, x2: x });
    if (tlCursor.parentNode !== tlOverlay) tlOverlay.append(tlCursor);
  } else tlCursor.remove();
}

function renderLabels(tv: TimelineView): void {
  timelineLabels.replaceChildren(
    el('div', { class: 'lt-axis-label' }),
    ...tv.lanes.map((l) =>
      el('div', { class: `lt-lane-label${l.current ? ' lt-current' : ''}`, 'data-task': l.taskId }, `${l.pinned ? '★ ' : ''}${l.title}`),
    ),
  );
  // lane label heights follow the lanes (CSSOM, allowed by the CSP unlike style attributes)
  const labels = timelineLabels.children;
  (labels[0] as HTMLElement).style.height = `${tv.lanes[0]?.y ?? 18}px`;
  tv.lanes.forEach((l, k) => ((labels[k + 1] as HTMLElement).style.height = `${l.h}px`));
}

/** Tick labels (SVG text, reused); the dashed tick lines are on the canvas. */
const tickTexts: SVGTextElement[] = [];
function renderTicks(tv: TimelineView): void {
  tv.ticks.forEach((t, k) => {
    let e = tickTexts[k];
    if (!e) tickTexts.push((e = svg('text', { y: 11, class: 'lt-tick-label' })));
    const x = String(t.x + 2);
    if (e.getAttribute('x') !== x) e.setAttribute('x', x);
    if (e.textContent !== t.label) e.textContent = t.label;
    if (e.parentNode !== tlTicks) tlTicks.append(e);
  });
  for (let k = tv.ticks.length; k < tickTexts.length; k++) tickTexts[k].remove();
}

/** The focusable highlighted events: aggregated windows' marks, detail windows' highlighted syscalls. */
interface OverlayMark extends MarkRect {
  name: string | null;
}

function overlayMarks(lane: LaneView): OverlayMark[] {
  const out: OverlayMark[] = lane.marks.map((m) => ({ ...m, name: null }));
  for (const b of lane.syscalls) {
    if (!b.highlight || !('index' in b.seek)) continue;
    out.push({ x: b.x, y: b.y, w: b.w, h: b.h, highlight: b.highlight, syscall: b.name, label: b.label, seek: b.seek, name: b.name });
  }
  return out;
}

/** Lane groups holding the marks, rebuilt only when the set of marks changes; else moved. */
let markKey = '';
let markRects: SVGRectElement[] = [];
let markTexts: (SVGTextElement | null)[] = [];
function renderMarks(tv: TimelineView): void {
  const lanes = tv.lanes.map((l) => ({ lane: l, marks: overlayMarks(l) })).filter((x) => x.marks.length > 0);
  const key = lanes
    .map((x) => `${x.lane.taskId}${x.lane.current ? '*' : ''}:${x.marks.map((m) => `${m.highlight}@${m.seek.index}/${m.label}`).join(',')}`)
    .join(';');
  const all = lanes.flatMap((x) => x.marks);
  if (key !== markKey) {
    markKey = key;
    markRects = [];
    markTexts = [];
    tlLanes.replaceChildren(
      ...lanes.map(({ lane, marks }) => {
        const g = svg('g', { class: `lt-lane${lane.current ? ' lt-current' : ''}`, 'data-task': lane.taskId });
        for (const m of marks) {
          const r = activatable(
            svg('g', { class: `lt-sys lt-mark lt-hl-${m.highlight}`, 'data-syscall': m.syscall ?? '', 'data-event': m.seek.index }),
            m.label,
            () => seek(m.seek),
          );
          const rect = svg('rect', { rx: 2 });
          r.append(rect);
          markRects.push(rect);
          const text = m.name !== null ? svg('text', { class: 'lt-bar-text' }) : null;
          if (text) r.append(text);
          markTexts.push(text);
          g.append(r);
        }
        return g;
      }),
    );
  }
  all.forEach((m, k) => {
    setAttrs(markRects[k], { x: m.x, y: m.y, width: m.w, height: m.h });
    const t = markTexts[k];
    if (t) {
      setAttrs(t, { x: m.x + 3, y: m.y + m.h - 4 });
      const label = m.w > 24 && m.name ? clipText(m.name, m.w - 6) : '';
      if (t.textContent !== label) t.textContent = label;
    }
  });
}

// --- canvas painting

type Rgba = [number, number, number, number];
type Colours = Record<'sys' | 'lock' | 'leak' | 'border' | 'current' | 'hl' | 'fg' | 'muted', Rgba>;
/** Resolved once per theme (the body class changes with it). */
let colours: Colours | null = null;
let hatch: CanvasPattern | string | null = null;

/** The theme colours the canvas paints with (CSS variables of panel.css, resolved to RGBA bytes). */
function themeColours(): Colours {
  return (colours ??= resolveColours());
}

function resolveColours(): Colours {
  const css = getComputedStyle(document.body);
  const probe = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  const rgba = (name: string, fallback: string): Rgba => {
    if (!probe) return [128, 128, 128, 255];
    probe.clearRect(0, 0, 1, 1);
    probe.fillStyle = fallback;
    probe.fillStyle = css.getPropertyValue(name).trim() || fallback;
    probe.fillRect(0, 0, 1, 1);
    const d = probe.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3]];
  };
  hatch = null;
  return {
    sys: rgba('--lt-sys', '#3794ff'),
    lock: rgba('--lt-lock', '#89d185'),
    leak: rgba('--lt-leak', '#cca700'),
    border: rgba('--lt-border', '#80808059'),
    current: rgba('--lt-current-bg', '#37373d'),
    hl: rgba('--lt-hl', '#f14c4c'),
    fg: rgba('--lt-fg', '#cccccc'),
    muted: rgba('--lt-muted', '#9d9d9d'),
  };
}

const css = (c: readonly number[], alpha = c[3] / 255): string => `rgba(${c[0]},${c[1]},${c[2]},${alpha})`;

/** The leaked-span hatching: the leak colour at 25 % with diagonal lines, 6 px apart. */
function hatchPattern(ctx: CanvasRenderingContext2D): CanvasPattern | string {
  const c = themeColours();
  if (hatch) return hatch;
  const tile = document.createElement('canvas');
  tile.width = 6;
  tile.height = 6;
  const t = tile.getContext('2d');
  if (!t) return css(c.leak, 0.4);
  t.fillStyle = css(c.leak, 0.25);
  t.fillRect(0, 0, 6, 6);
  t.strokeStyle = css(c.leak, 1);
  t.lineWidth = 2;
  t.beginPath();
  for (const o of [-6, 0, 6]) {
    t.moveTo(o, 6);
    t.lineTo(o + 6, 0);
  }
  t.stroke();
  return (hatch = ctx.createPattern(tile, 'repeat') ?? css(c.leak, 0.4));
}

/** Extra pixels painted above and below the visible part, so small scrolls need no repaint. */
const PAINT_MARGIN = 120;
const SHADES = 64;
let paintBuffer: ImageData | null = null;
/** What the canvas shows: the image is reused (transformed) while everything but the view is the same. */
interface PaintKey {
  tv: TimelineView;
  window: unknown;
  /** The selected finding (detail windows draw its locks and syscalls differently). */
  finding: unknown;
  colours: Colours;
  top: number;
  bottom: number;
  W: number;
  span: number;
  /** Event index at x = 0 of the image. */
  from: number;
  lanesKey: string;
}
let lastPaint: PaintKey | null = null;

function lanesKey(tv: TimelineView): string {
  return tv.lanes.map((l) => `${l.taskId}${l.current ? '*' : ''}`).join(',') + `|${tv.height}`;
}

/** Paints the canvas for `tv`, or moves the image already painted when only the view changed. */
function paintTimeline(tv: TimelineView): void {
  const W = Math.max(1, Math.floor(tv.width));
  const viewTop = -frameLayout.stackTop;
  const top = Math.max(0, Math.floor(viewTop - PAINT_MARGIN));
  const bottom = Math.max(top + 1, Math.min(Math.ceil(tv.height), Math.ceil(viewTop + frameLayout.viewportH + PAINT_MARGIN)));
  const H = bottom - top;
  // Detail windows are vector drawings: on HiDPI screens their backing store has device pixels so
  // bars and names stay sharp. Aggregated windows are one bucket per CSS pixel, painted with
  // putImageData (which ignores transforms), so they keep CSS-pixel resolution.
  const dpr = tv.buckets ? 1 : backingScale();
  const BW = Math.round(W * dpr);
  const BH = Math.round(H * dpr);
  if (tlCanvas.width !== BW || tlCanvas.height !== BH) {
    tlCanvas.width = BW;
    tlCanvas.height = BH;
    tlCanvas.style.width = `${W}px`;
    tlCanvas.style.height = `${H}px`;
    lastPaint = null;
  }
  const topPx = `${top}px`;
  if (tlCanvas.style.top !== topPx) tlCanvas.style.top = topPx;
  const ctx = tlCanvas.getContext('2d');
  if (!ctx) return;
  const c = themeColours();
  const span = tv.to - tv.from;
  const unit = W / Math.max(1, span);
  const key: PaintKey = {
    tv,
    window: state.timeline,
    finding: selectedFinding(state),
    colours: c,
    top,
    bottom,
    W,
    span,
    from: tv.from,
    lanesKey: lanesKey(tv),
  };
  const last = lastPaint;
  if (
    last &&
    last.window === key.window &&
    last.finding === key.finding &&
    last.colours === c &&
    last.top === top &&
    last.bottom === bottom &&
    last.W === W &&
    last.lanesKey === key.lanesKey
  ) {
    // the same data at another place or scale (a pan or zoom on its way): the image painted for
    // it is moved and stretched by the compositor (a CSS transform), no pixel is painted; the
    // answer is painted exactly. (Drawing the canvas into itself costs 20–30 ms in Chromium's
    // software canvas, more than a whole repaint.)
    const scale = last.span / Math.max(1, span);
    const dx = (last.from - tv.from) * unit;
    const t = dx === 0 && scale === 1 ? '' : `translateX(${dx.toFixed(2)}px) scaleX(${scale.toFixed(6)})`;
    if (tlCanvas.style.transform !== t) tlCanvas.style.transform = t;
    return;
  }
  lastPaint = key;
  if (tlCanvas.style.transform) tlCanvas.style.transform = '';
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  paintColumns(ctx, tv, c, top, H, 0, W);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
}

/** Device pixels per CSS pixel for vector drawing (1 to 3). */
function backingScale(): number {
  const r = window.devicePixelRatio || 1;
  return Math.min(3, Math.max(1, r));
}

/** Paints columns [x0, x1) of rows [top, top + H) of the timeline. */
function paintColumns(ctx: CanvasRenderingContext2D, tv: TimelineView, c: Colours, top: number, H: number, x0: number, x1: number): void {
  if (x1 <= x0) return;
  if (tv.buckets) {
    // pixels first, the grid over them
    paintBuckets(ctx, tv, c, top, H, x0, x1);
    ctx.save();
    ctx.beginPath();
    ctx.rect(x0, 0, x1 - x0, H);
    ctx.clip();
    ctx.translate(0, -top);
    paintGrid(ctx, tv, c, top, H, x0, x1);
    ctx.restore();
  } else paintBars(ctx, tv, c, top, H, x0, x1);
}

/** Lane borders and dashed tick lines (in timeline coordinates: the caller translated by -top). */
function paintGrid(ctx: CanvasRenderingContext2D, tv: TimelineView, c: Colours, top: number, H: number, x0: number, x1: number): void {
  ctx.lineWidth = 0.5;
  ctx.strokeStyle = css(c.border);
  ctx.beginPath();
  for (const lane of tv.lanes) if (lane.y + lane.h > top && lane.y < top + H) ctx.rect(0, lane.y, tv.width, lane.h);
  ctx.stroke();
  ctx.lineWidth = 1;
  ctx.setLineDash([2, 3]);
  ctx.beginPath();
  for (const t of tv.ticks) {
    if (t.x < x0 - 1 || t.x > x1 + 1) continue;
    ctx.moveTo(Math.round(t.x) + 0.5, Math.max(14, top));
    ctx.lineTo(Math.round(t.x) + 0.5, Math.min(tv.height, top + H));
  }
  ctx.stroke();
  ctx.setLineDash([]);
}

/** `src` (RGBA bytes, alpha 0..1 given separately) over `dst` (RGBA bytes), packed little-endian. */
function over(src: readonly number[], alpha: number, dst: readonly number[] | null): number {
  const da = dst ? dst[3] / 255 : 0;
  const a = alpha + da * (1 - alpha);
  if (a <= 0) return 0;
  const ch = (k: number): number => Math.round((src[k] * alpha + (dst ? dst[k] : 0) * da * (1 - alpha)) / a);
  return ((Math.round(a * 255) << 24) | (ch(2) << 16) | (ch(1) << 8) | ch(0)) >>> 0;
}

/** Scratch arrays reused across frames (no per-frame allocation). */
let scratchW = 0;
let colOf = new Int32Array(0);
let rowPx = new Uint32Array(0);
let densityPx = new Uint32Array(0);
const shadePx = new Uint32Array(SHADES + 1);

/**
 * Aggregated windows, pixel by pixel: per lane one row of colours per held-lock level, copied down
 * the rows of that level, then one putImageData of the strip. The cost is the strip's area.
 */
function paintBuckets(ctx: CanvasRenderingContext2D, tv: TimelineView, c: Colours, top: number, H: number, x0: number, x1: number): void {
  const d = tv.buckets!.data;
  const W = x1 - x0;
  const bottom = top + H;
  if (!paintBuffer || paintBuffer.width !== W || paintBuffer.height !== H) paintBuffer = ctx.createImageData(W, H);
  const img = paintBuffer;
  const px = new Uint32Array(img.data.buffer);
  px.fill(0);
  if (scratchW < W) {
    scratchW = W;
    colOf = new Int32Array(W);
    rowPx = new Uint32Array(W);
    densityPx = new Uint32Array(W);
  }
  const col = colOf;
  const row = rowPx;
  const density = densityPx;
  // the bucket under each pixel column (-1: outside the window's data)
  const unit = tv.width / Math.max(1, tv.to - tv.from);
  for (let x = 0; x < W; x++) {
    const i = tv.from + (x0 + x + 0.5) / unit;
    col[x] = i < tv.window.from || i >= tv.window.to ? -1 : Math.min(d.count - 1, Math.floor((i - d.start) / d.size));
  }
  const fill = (y0: number, y1: number): void => {
    const a = Math.max(y0, top);
    const b = Math.min(y1, bottom);
    if (a >= b) return;
    const first = (a - top) * W;
    px.set(row.subarray(0, W), first);
    // double the filled rows: log2(rows) copies instead of one per row
    let done = W;
    const total = (b - a) * W;
    while (done < total) {
      const n = Math.min(done, total - done);
      px.copyWithin(first + done, first, first + n);
      done += n;
    }
  };
  const lock = over(c.lock, 1, null);
  const leak = over(c.leak, 1, null);
  for (const lane of tv.lanes) {
    if (lane.y + lane.h <= top || lane.y >= bottom) continue;
    const base = lane.bucketLane * d.count;
    const bg = lane.current ? c.current : null;
    const bgPx = bg ? over(bg, bg[3] / 255, null) : 0;
    // density shades, quantised: 64 colours a lane instead of a blend per pixel
    for (let q = 0; q <= SHADES; q++) shadePx[q] = over(c.sys, 0.15 + (0.6 * q) / SHADES, bg);
    const q = SHADES / lane.maxEvents;
    row.fill(bgPx, 0, W);
    fill(lane.y, lane.y + 6);
    fill(lane.y + lane.h - 6, lane.y + lane.h);
    // density only (the syscall row, and lock levels above a bucket's deepest stack)
    for (let x = 0; x < W; x++) {
      const k = col[x];
      const ev = k < 0 ? 0 : d.events[base + k];
      density[x] = ev ? shadePx[Math.round(ev * q)] : bgPx;
    }
    row.set(density.subarray(0, W));
    fill(lane.y + 6, lane.y + LANE_PAD + LANE_SYSCALL_H);
    const lockTop = lane.y + LANE_PAD + LANE_SYSCALL_H;
    for (let level = lane.depth - 1; level >= 0; level--) {
      const y0 = lockTop + (lane.depth - 1 - level) * LANE_LOCK_H;
      if (y0 + LANE_LOCK_H <= top || y0 >= bottom) continue;
      for (let x = 0; x < W; x++) {
        const k = col[x];
        row[x] = k >= 0 && d.events[base + k] && d.maxDepth[base + k] > level ? (d.leak[base + k] ? leak : lock) : density[x];
      }
      fill(y0, y0 + LANE_LOCK_H);
    }
  }
  ctx.putImageData(img, x0, 0);
}

/**
 * Detail windows: every bar as a canvas rectangle, batched by style (one path per fill or stroke
 * style), bar names where they fit. Highlighted syscalls are left to the SVG overlay (focusable).
 */
function paintBars(ctx: CanvasRenderingContext2D, tv: TimelineView, c: Colours, top: number, H: number, x0: number, x1: number): void {
  const bottom = top + H;
  ctx.save();
  ctx.beginPath();
  ctx.rect(x0, 0, x1 - x0, H);
  ctx.clip();
  ctx.clearRect(x0, 0, x1 - x0, H);
  ctx.translate(0, -top);
  const visible = (b: Rect): boolean => b.x + b.w >= x0 - 1 && b.x <= x1 + 1 && b.y + b.h > top && b.y < bottom;
  const lanes = tv.lanes.filter((l) => l.y + l.h > top && l.y < bottom);
  for (const lane of lanes) {
    if (!lane.current) continue;
    ctx.fillStyle = css(c.current);
    ctx.fillRect(0, lane.y, tv.width, lane.h);
  }
  // the grid under the bars, as in the SVG it replaces
  paintGrid(ctx, tv, c, top, H, x0, x1);
  const sys = new Path2D();
  const sysOpen = new Path2D();
  const locks = new Path2D();
  const lockHl = new Path2D();
  const leaks = new Path2D();
  const texts: { x: number; y: number; w: number; t: string }[] = [];
  for (const lane of lanes) {
    for (const b of lane.syscalls) {
      if (b.highlight || !visible(b)) continue;
      (b.open ? sysOpen : sys).rect(b.x + 0.5, b.y + 0.5, b.w - 1, b.h - 1);
      if (b.w > 24) texts.push({ x: b.x + 3, y: b.y + b.h - 4, w: b.w - 6, t: b.name });
    }
    for (const b of lane.locks) {
      if (!visible(b)) continue;
      (b.inFinding ? lockHl : locks).rect(b.x + 0.5, b.y + 0.5, b.w - 1, b.h - 1);
      for (const k of b.leaks) leaks.rect(k.x + 0.5, b.y + 0.5, k.w - 1, b.h - 1);
      if (b.w > 24) texts.push({ x: b.x + 3, y: b.y + b.h - 2, w: b.w - 6, t: b.className });
    }
  }
  ctx.lineWidth = 1;
  ctx.fillStyle = css(c.sys, 0.3);
  ctx.fill(sys);
  ctx.fill(sysOpen);
  ctx.strokeStyle = css(c.sys, 1);
  ctx.stroke(sys);
  ctx.setLineDash([4, 2]);
  ctx.stroke(sysOpen);
  ctx.setLineDash([]);
  ctx.fillStyle = css(c.lock, 0.45);
  ctx.fill(locks);
  ctx.fill(lockHl);
  ctx.strokeStyle = css(c.lock, 1);
  ctx.stroke(locks);
  ctx.fillStyle = hatchPattern(ctx);
  ctx.fill(leaks);
  ctx.strokeStyle = css(c.leak, 1);
  ctx.stroke(leaks);
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = css(c.hl, 1);
  ctx.stroke(lockHl);
  if (texts.length) {
    ctx.fillStyle = css(c.fg, 1);
    ctx.font = `10px ${getComputedStyle(document.body).getPropertyValue('--lt-mono').trim() || 'monospace'}`;
    for (const t of texts) {
      const s = clipText(t.t, t.w);
      if (s) ctx.fillText(s, t.x, t.y);
    }
  }
  ctx.restore();
}

// the canvas covers what is on screen: scrolling past the painted part repaints it
window.addEventListener(
  'scroll',
  () => {
    if (!tlView || !lastPaint || !tlStack.isConnected) return;
    const viewTop = -tlStack.getBoundingClientRect().top;
    if (viewTop < lastPaint.top || viewTop + window.innerHeight > lastPaint.bottom) {
      lastInputs.delete('timeline');
      scheduleRender();
    }
  },
  { passive: true },
);

// --- pointer: hit-testing the view model (clicks seek, the tooltip names what is under the pointer)

function pointAt(ev: MouseEvent): { x: number; y: number } {
  const box = tlOverlay.getBoundingClientRect();
  return { x: ev.clientX - box.left, y: ev.clientY - box.top };
}

tlOverlay.addEventListener('click', (ev) => {
  const tv = tlView;
  if (!tv) return;
  const { x, y } = pointAt(ev);
  const hit = hitTest(tv, x, y);
  seek(hit && hit.kind !== 'bucket' ? hit.seek : { index: indexAtX(tv, x) });
});

let hoverAt: { x: number; y: number } | null = null;
let hoverQueued = false;
tlOverlay.addEventListener('mousemove', (ev) => {
  hoverAt = pointAt(ev);
  if (hoverQueued) return;
  hoverQueued = true;
  requestAnimationFrame(() => {
    hoverQueued = false;
    const tv = tlView;
    const hit = tv && hoverAt ? hitTest(tv, hoverAt.x, hoverAt.y) : null;
    const title = hit ? hit.label : '';
    if (tlStack.title !== title) tlStack.title = title;
    tlStack.classList.toggle('lt-over-bar', !!hit && hit.kind !== 'bucket');
  });
});

// --- keyboard: [ and ] step through the bars of a lane, ↑ ↓ change lanes, Enter/Space seek

function kbdLane(tv: TimelineView): number {
  const byTask = kbdSel ? tv.lanes.findIndex((l) => l.taskId === kbdSel!.taskId) : -1;
  if (byTask >= 0) return byTask;
  const cur = tv.lanes.findIndex((l) => l.current);
  return cur >= 0 ? cur : 0;
}

function kbdBars(tv: TimelineView, lane: number): (Rect & { label: string; seek: SeekTarget })[] {
  const l = tv.lanes[lane];
  return l ? laneBars(l) : [];
}

/** Moves the keyboard selection; true when the key was handled. */
function kbdKey(k: string): boolean {
  const tv = tlView;
  if (!tv || tv.lanes.length === 0) return false;
  if (k === 'Escape' && kbdSel) {
    kbdSel = null;
  } else if (k === '[' || k === ']') {
    const lane = kbdLane(tv);
    const bars = kbdBars(tv, lane);
    if (bars.length === 0) return true;
    const idx = (b: { seek: SeekTarget }): number => ('index' in b.seek ? b.seek.index : 0);
    let at = kbdSel ? bars.findIndex((b) => idx(b) === kbdSel!.index && b.y === kbdSel!.y) : -1;
    if (at < 0) {
      const cursor = state.replay?.index ?? tv.from;
      at = k === ']' ? bars.findIndex((b) => idx(b) >= cursor) - 1 : bars.findIndex((b) => idx(b) > cursor);
      if (at < -1) at = k === ']' ? bars.length - 1 : bars.length;
      if (k === '[' && at === -1) at = bars.length;
    }
    const next = Math.max(0, Math.min(bars.length - 1, at + (k === ']' ? 1 : -1)));
    const b = bars[next];
    kbdSel = { taskId: tv.lanes[lane].taskId, index: idx(b), y: b.y };
  } else if ((k === 'ArrowUp' || k === 'ArrowDown') && kbdSel) {
    const lane = Math.max(0, Math.min(tv.lanes.length - 1, kbdLane(tv) + (k === 'ArrowDown' ? 1 : -1)));
    const bars = kbdBars(tv, lane);
    const idx = (b: { seek: SeekTarget }): number => ('index' in b.seek ? b.seek.index : 0);
    const near = bars.reduce<(typeof bars)[number] | null>(
      (best, b) => (!best || Math.abs(idx(b) - kbdSel!.index) < Math.abs(idx(best) - kbdSel!.index) ? b : best),
      null,
    );
    kbdSel = near
      ? { taskId: tv.lanes[lane].taskId, index: idx(near), y: near.y }
      : { taskId: tv.lanes[lane].taskId, index: kbdSel.index, y: -1 };
  } else if ((k === 'Enter' || k === ' ') && kbdSel) {
    const bar = selectedBar(tv);
    if (bar) seek(bar.seek);
  } else return false;
  renderKbd(tv);
  return true;
}

function selectedBar(tv: TimelineView): (Rect & { label: string; seek: SeekTarget }) | null {
  if (!kbdSel) return null;
  const lane = tv.lanes.findIndex((l) => l.taskId === kbdSel!.taskId);
  if (lane < 0) return null;
  return kbdBars(tv, lane).find((b) => 'index' in b.seek && b.seek.index === kbdSel!.index && b.y === kbdSel!.y) ?? null;
}

function renderKbd(tv: TimelineView): void {
  const bar = selectedBar(tv);
  if (!bar) {
    tlKbd.remove();
    if (kbdInfo.textContent) kbdInfo.textContent = '';
    return;
  }
  setAttrs(tlKbd, { x: bar.x - 1, y: bar.y - 1, width: bar.w + 2, height: bar.h + 2 });
  if (tlKbd.parentNode !== tlOverlay) tlOverlay.append(tlKbd);
  if (kbdInfo.textContent !== bar.label) kbdInfo.textContent = bar.label;
}

// a theme change repaints the canvas (its colours are not CSS)
new MutationObserver(() => {
  colours = null;
  lastInputs.delete('timeline');
  scheduleRender();
}).observe(document.body, { attributes: true, attributeFilter: ['class'] });

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
  const w = Math.max(260, frameLayout.graphW || 360);
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
      svg(
        'marker',
        { id: 'lt-arrow', viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'lt-arrow' }),
      ),
      svg(
        'marker',
        { id: 'lt-arrow-hl', viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'lt-arrow lt-arrow-hl' }),
      ),
    ),
  );
  for (const e of gv.edges) {
    const g = activatable(
      svg('g', {
        class: `lt-edge${e.inCycle ? ' lt-in-cycle' : ''}${e.crossSyscall ? ' lt-cross' : ''}`,
        'data-from': e.from,
        'data-to': e.to,
      }),
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

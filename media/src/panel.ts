// The lock panel's webview front end (browser iife bundle, out/media/panel.js): receives the
// host's messages, keeps the state with getState/setState, and renders the view models of
// ./viewModel.ts as DOM and SVG. Every interactive element is a real button or a focusable SVG
// element with a keyboard handler; clicks post `seek` / `selectFinding` messages to the host.
// Text from the trace only ever goes through textContent/attributes, never innerHTML.
// May import ./viewModel, src/protocol (and src/core types).

import './panel.css';
import {
  HostMessage,
  PANEL_PROTOCOL_VERSION,
  PanelPersistedState,
  SeekTarget,
  WebviewMessage,
  isHostMessage,
} from '../../src/protocol/panel';
import {
  GraphView,
  LaneView,
  PanelViewState,
  TaskColumn,
  TimelineView,
  ViewRange,
  findingItems,
  graphView,
  indexAtX,
  initialState,
  pan,
  persisted,
  reduce,
  selectedFinding,
  taskColumns,
  timelineIsCurrent,
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
/** The view last asked for, so one change does not send the same request twice. */
let requested: ViewRange | null = null;

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
  requested = null; // lanes depend on the filter
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

// ---------------------------------------------------------------------------------------------
// State updates

function setUi(patch: Partial<PanelViewState['ui']>): void {
  state = { ...state, ui: { ...state.ui, ...patch } };
  update();
}

function update(): void {
  vscode.setState(persisted(state));
  maybeRequestTimeline();
  render();
}

function timelineWidth(): number {
  return Math.max(200, Math.floor(timelineHost.clientWidth || 600));
}

function maybeRequestTimeline(): void {
  const v = state.ui.view;
  if (!v || !state.trace || timelineIsCurrent(state)) return;
  if (requested && requested.from === v.from && requested.to === v.to) return;
  requested = v;
  post({ type: 'requestTimeline', requestId: ++requestId, from: v.from, to: v.to, width: timelineWidth(), tasks: state.ui.tasks });
}

window.addEventListener('message', (ev: MessageEvent<unknown>) => {
  const msg = ev.data;
  if (!isHostMessage(msg)) return;
  onHostMessage(msg);
});

function onHostMessage(msg: HostMessage): void {
  // drop answers to timeline requests that were superseded
  if (msg.type === 'timeline' && msg.window.requestId !== requestId) return;
  if (msg.type === 'init') requested = null;
  state = reduce(state, msg);
  update();
}

let resizeTimer: number | undefined;
new ResizeObserver(() => {
  window.clearTimeout(resizeTimer);
  resizeTimer = window.setTimeout(() => {
    // aggregated windows depend on the width; detail windows only need redrawing.
    if (state.timeline?.mode === 'aggregate') {
      requested = null;
      state = { ...state, timeline: null };
    }
    update();
  }, 100);
}).observe(timelineHost);

// ---------------------------------------------------------------------------------------------
// Rendering

function render(): void {
  renderHeader();
  renderStacks();
  renderTimeline();
  renderFindings();
  renderGraph();
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
    requested = null;
    state = { ...state, timeline: null };
    update();
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
  timelineInfo.textContent = `events ${tv.from + 1}–${tv.to} of ${state.trace?.totalEvents ?? tv.to}${tv.mode === 'aggregate' ? ' · aggregated' : ''}${tv.hiddenLanes ? ` · ${tv.hiddenLanes} tasks hidden` : ''}`;
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
  timelineHost.replaceChildren(drawTimeline(tv));
}

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
  for (const b of lane.buckets) {
    const r = activatable(svg('g', { class: `lt-bucket${b.leak ? ' lt-leak-bucket' : ''}` }), b.label, () => seek(b.seek));
    const shade = svg('rect', { x: b.x, y: lane.y + 6, width: b.w, height: lane.h - 12, class: 'lt-bucket-density' });
    shade.style.opacity = String(0.15 + 0.6 * b.intensity);
    r.append(shade, svg('rect', { x: b.x, y: b.y, width: b.w, height: b.h, class: 'lt-bucket-depth' }));
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

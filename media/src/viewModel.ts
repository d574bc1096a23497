// The lock panel's front-end logic without the DOM: a reducer over host messages, and functions
// from the protocol's state to view models (task columns, timeline geometry, findings, graph
// layout). media/src/panel.ts only turns these into elements; unit tests run them in Node.

import {
  GraphEdge,
  HostMessage,
  LockGraphView,
  PANEL_PROTOCOL_VERSION,
  PanelPersistedState,
  PanelSource,
  SeekTarget,
  TaskFilter,
  TimelineBuckets,
  TimelineWindow,
  TraceSummary,
  assertNever,
  bucketRange,
  emptyTaskFilter,
} from '../../src/protocol/panel';
import type { CycleEdgeBody, FindingBody, HeldLockBody, ReplayStateBody, TaskStateBody } from '../../src/protocol/replayState';

// ---------------------------------------------------------------------------------------------
// State and reducer

export interface ViewRange {
  from: number;
  to: number;
}

export interface UiState {
  /** Explicit choice; null means "the latest inversion so far". */
  selectedFindingId: number | null;
  tasks: TaskFilter;
  /** Visible timeline range [from, to) in event indices. */
  view: ViewRange | null;
}

export interface PanelViewState {
  trace: TraceSummary | null;
  source: PanelSource | null;
  replay: ReplayStateBody | null;
  timeline: TimelineWindow | null;
  graph: LockGraphView | null;
  error: string | null;
  ui: UiState;
}

/** Events shown when the timeline first opens (or the trace is shorter). */
export const DEFAULT_SPAN = 400;

export function initialState(persisted?: PanelPersistedState | null): PanelViewState {
  const ok = persisted && persisted.version === PANEL_PROTOCOL_VERSION;
  return {
    trace: null,
    source: null,
    replay: null,
    timeline: null,
    graph: null,
    error: null,
    ui: {
      selectedFindingId: ok ? persisted.selectedFindingId : null,
      tasks: ok ? persisted.tasks : emptyTaskFilter(),
      view: ok ? persisted.view : null,
    },
  };
}

export function reduce(s: PanelViewState, msg: HostMessage): PanelViewState {
  switch (msg.type) {
    case 'init': {
      const samePath = s.trace?.path === msg.trace.path;
      const ui = samePath || s.trace === null ? s.ui : { ...s.ui, selectedFindingId: null, view: null };
      const view = ui.view && ui.view.to <= msg.trace.totalEvents ? ui.view : null;
      return { ...s, trace: msg.trace, source: msg.source, error: null, timeline: null, ui: { ...ui, view } };
    }
    case 'state': {
      const total = msg.state.totalEvents;
      const view = followCursor(s.ui.view, msg.state.index, total);
      return { ...s, replay: msg.state, ui: { ...s.ui, view } };
    }
    case 'timeline':
      return { ...s, timeline: msg.window };
    case 'graph':
      return { ...s, graph: msg.graph };
    case 'error':
      return { ...s, error: msg.message };
    default:
      return assertNever(msg);
  }
}

/** What the webview keeps with setState. */
export function persisted(s: PanelViewState): PanelPersistedState {
  return {
    version: PANEL_PROTOCOL_VERSION,
    tracePath: s.trace?.path ?? null,
    index: s.replay?.index ?? null,
    selectedFindingId: s.ui.selectedFindingId,
    tasks: s.ui.tasks,
    view: s.ui.view,
  };
}

// ---------------------------------------------------------------------------------------------
// Timeline range: follow the cursor, zoom, pan

/** Keeps the view when the cursor is inside it; otherwise recentres it on the cursor. */
export function followCursor(view: ViewRange | null, cursor: number, total: number): ViewRange {
  if (total <= 0) return { from: 0, to: 0 };
  if (view && cursor >= view.from && cursor < view.to && view.to <= total) return view;
  const span = view ? view.to - view.from : Math.min(DEFAULT_SPAN, total);
  return centred(cursor, span, total);
}

export function centred(centre: number, span: number, total: number): ViewRange {
  const w = Math.max(1, Math.min(Math.round(span), total));
  let from = Math.round(centre - w / 2);
  from = Math.max(0, Math.min(from, total - w));
  return { from, to: from + w };
}

/** Zoom by `factor` (<1 zooms in) around `centre`; at least 8 events, at most the whole trace. */
export function zoom(view: ViewRange, factor: number, total: number, centre = (view.from + view.to) / 2): ViewRange {
  const span = Math.max(Math.min(8, total), Math.min(total, Math.round((view.to - view.from) * factor)));
  return centred(centre, span, total);
}

/** Pan by a fraction of the span (negative: earlier). */
export function pan(view: ViewRange, fraction: number, total: number): ViewRange {
  const span = view.to - view.from;
  return centred((view.from + view.to) / 2 + span * fraction, span, total);
}

/** Whether the timeline on screen answers the current view (else it must be requested). */
export function timelineIsCurrent(s: PanelViewState): boolean {
  const v = s.ui.view;
  const t = s.timeline;
  return !!v && !!t && t.from === v.from && t.to === v.to;
}

// ---------------------------------------------------------------------------------------------
// Findings

/** The finding whose cycle and syscalls are highlighted. */
export function selectedFinding(s: PanelViewState): FindingBody | null {
  const all = s.trace?.findings ?? [];
  if (s.ui.selectedFindingId !== null) return all.find((f) => f.id === s.ui.selectedFindingId) ?? null;
  const soFar = s.replay?.findingsSoFar ?? [];
  for (let k = soFar.length - 1; k >= 0; k--) if (soFar[k].kind === 'inversion') return soFar[k];
  return null;
}

export interface FindingItem {
  id: number;
  kind: FindingBody['kind'];
  title: string;
  detail: string;
  line: number;
  /** Not reached yet at the current position. */
  ahead: boolean;
  selected: boolean;
  /** The finding shows up at the current event. */
  atCursor: boolean;
}

export function findingItems(s: PanelViewState): FindingItem[] {
  const sel = selectedFinding(s);
  const index = s.replay?.index ?? -1;
  return (s.trace?.findings ?? []).map((f) => ({
    id: f.id,
    kind: f.kind,
    title: `${f.kind}: ${f.locks.join(' ⇄ ')}`,
    detail: `line ${f.line} · ${f.comm}/${f.pid}${f.syscall ? ` in ${f.syscall}` : ''}${f.occurrences > 1 ? ` · ×${f.occurrences}` : ''}`,
    line: f.line,
    ahead: f.eventIndex > index,
    selected: sel?.id === f.id,
    atCursor: f.eventIndex === index,
  }));
}

/** An event to highlight: where a finding shows up, or where an edge of its cycle was made. */
export interface HighlightEvent {
  pid: number;
  eventIndex: number;
  /** Syscall it happened in (null: userspace). */
  syscall: string | null;
  line: number;
}

/** Events to highlight for a finding: where it shows up, and where its cycle's edges were made. */
export interface Highlights {
  primary: HighlightEvent | null;
  /** Edge creations and the acquisitions of their `from` locks (the leaking syscalls). */
  cycle: HighlightEvent[];
}

export function highlightsOf(f: FindingBody | null): Highlights {
  if (!f) return { primary: null, cycle: [] };
  const cycle: HighlightEvent[] = [];
  for (const e of f.cycle ?? []) {
    cycle.push(
      { pid: e.pid, eventIndex: e.eventIndex, syscall: e.syscall, line: e.line },
      { pid: e.pid, eventIndex: e.fromEventIndex, syscall: e.fromSyscall, line: e.fromLine },
    );
  }
  return { primary: { pid: f.pid, eventIndex: f.eventIndex, syscall: f.syscall, line: f.line }, cycle };
}

// ---------------------------------------------------------------------------------------------
// Task columns (held-lock stacks)

export interface HeldItem {
  className: string;
  lock: string;
  /** read / try / pending. */
  badges: string[];
  line: number;
  eventIndex: number;
  syscall: string | null;
  syscallLine: number | null;
  acrossSyscall: boolean;
  /** Where it was taken, after its line: the syscall, `userspace`, or nothing (a kernel log has no syscall spans). */
  where: string;
  /** Part of the selected finding's lock set. */
  inFinding: boolean;
  /** Accessible one-line description. */
  label: string;
}

export interface TaskColumn {
  taskId: number;
  pid: number;
  comm: string;
  current: boolean;
  pinned: boolean;
  exited: boolean;
  syscall: string | null;
  syscallLine: number | null;
  /** What the column says without a syscall: `in userspace`, `exited`, or nothing for a kernel log's tasks. */
  idle: string;
  /** Innermost first (top of the stack first). */
  held: HeldItem[];
}

export function taskVisible(filter: TaskFilter, t: { taskId: number; pid: number; comm: string }): boolean {
  if (filter.pinned.includes(t.taskId)) return true;
  const q = filter.text.trim().toLowerCase();
  return !q || t.comm.toLowerCase().includes(q) || String(t.pid).includes(q);
}

export function heldItem(h: HeldLockBody, findingLocks: ReadonlySet<string>, kernelLog = false): HeldItem {
  const badges = [h.read ? 'read' : '', h.try ? 'try' : '', h.pending ? 'pending' : ''].filter(Boolean);
  const how = badges.length ? ` (${badges.join(', ')})` : '';
  const where = h.syscall ? ` in ${h.syscall}` : kernelLog ? '' : ' in userspace';
  return {
    className: h.className,
    lock: h.lock,
    badges,
    line: h.line,
    eventIndex: h.eventIndex,
    syscall: h.syscall,
    syscallLine: h.syscallLine,
    acrossSyscall: h.acrossSyscall,
    where: h.syscall ?? (kernelLog ? '' : 'userspace'),
    inFinding: findingLocks.has(h.className),
    label: `${h.className}${how}, taken at line ${h.line}${where}${h.acrossSyscall ? ', held across a syscall boundary' : ''}`,
  };
}

/** Columns for the visible tasks: pinned first, then in task order; the current task marked. */
export function taskColumns(s: PanelViewState): TaskColumn[] {
  const r = s.replay;
  if (!r) return [];
  const f = selectedFinding(s);
  const locks = new Set(f?.locks ?? []);
  const pinned = s.ui.tasks.pinned;
  const kernelLog = s.trace?.kernelLog === true;
  const cols = r.tasks
    .filter((t) => taskVisible(s.ui.tasks, t))
    .map((t: TaskStateBody): TaskColumn => ({
      taskId: t.taskId,
      pid: t.pid,
      comm: t.comm,
      current: t.taskId === r.taskId,
      pinned: pinned.includes(t.taskId),
      exited: t.exited,
      syscall: t.syscall?.name ?? null,
      syscallLine: t.syscall?.line ?? null,
      idle: t.exited ? 'exited' : kernelLog ? '' : 'in userspace',
      held: t.held
        .slice()
        .reverse()
        .map((h) => heldItem(h, locks, kernelLog)),
    }));
  const rank = (c: TaskColumn): number => (c.pinned ? pinned.indexOf(c.taskId) : pinned.length + c.taskId);
  return cols.sort((a, b) => rank(a) - rank(b));
}

export function togglePin(filter: TaskFilter, taskId: number): TaskFilter {
  const pinned = filter.pinned.includes(taskId) ? filter.pinned.filter((k) => k !== taskId) : [...filter.pinned, taskId];
  return { ...filter, pinned };
}

// ---------------------------------------------------------------------------------------------
// Timeline geometry

export const LANE_SYSCALL_H = 18;
export const LANE_LOCK_H = 13;
export const LANE_PAD = 6;
export const AXIS_H = 18;

export type BarHighlight = 'inversion' | 'cycle' | null;

export interface Rect {
  x: number;
  y: number;
  w: number;
  h: number;
}

export interface SyscallRect extends Rect {
  name: string;
  label: string;
  highlight: BarHighlight;
  open: boolean;
  seek: SeekTarget;
}

export interface LockRect extends Rect {
  className: string;
  label: string;
  acrossSyscall: boolean;
  inFinding: boolean;
  /** Parts of the hold outside any syscall of the task: the lock leaked to userspace. */
  leaks: { x: number; w: number }[];
  seek: SeekTarget;
}

/** Aggregated windows: a highlighted event in its bucket (drawn over the buckets, focusable). */
export interface MarkRect extends Rect {
  highlight: Exclude<BarHighlight, null>;
  syscall: string | null;
  label: string;
  seek: { index: number };
}

export interface LaneView {
  taskId: number;
  title: string;
  y: number;
  h: number;
  current: boolean;
  pinned: boolean;
  /** Detail windows: the lane's bars. */
  syscalls: SyscallRect[];
  locks: LockRect[];
  /** Aggregated windows: the lane's row in the window's bucket columns, and its busiest bucket. */
  bucketLane: number;
  maxEvents: number;
  /** Aggregated windows: highlighted events, each over its bucket. */
  marks: MarkRect[];
  /** Deepest nesting drawn (sets the lane height). */
  depth: number;
}

/** Aggregated windows: the window's bucket columns and where each bucket lies on screen. */
export interface BucketLayer {
  data: TimelineBuckets;
  /** Left edge of bucket k at `x[k]`, right edge at `x[k + 1]` (pixels, may lie off screen). */
  x: Float64Array;
}

export interface TimelineView {
  width: number;
  height: number;
  mode: TimelineWindow['mode'];
  /** Event range on screen (the view; the window drawn may still be the previous one). */
  from: number;
  to: number;
  /** Event range of the data drawn. */
  window: { from: number; to: number };
  buckets: BucketLayer | null;
  /** Cursor x (null when the current event is outside the window). */
  cursorX: number | null;
  lanes: LaneView[];
  ticks: { x: number; label: string }[];
  hiddenLanes: number;
}

/**
 * The part of a hold [start, end) after the first syscall exit it crossed: the lock leaked to
 * userspace there and stays leaked until released. A hold marked across a syscall with no exit
 * inside it crossed one before `start` could be seen (window start): all of it is leaked.
 */
export function leakSpan(start: number, end: number, acrossSyscall: boolean, exits: readonly number[]): [number, number] | null {
  if (!acrossSyscall) return null;
  let first = Infinity;
  for (const e of exits) if (e >= start && e < end && e < first) first = e;
  // the exit event itself still runs in the syscall; userspace begins after it
  return first === Infinity ? [start, end] : first + 1 < end ? [first + 1, end] : null;
}

/** Interval difference: the parts of [a, b) not covered by any of `cover` (sorted or not). */
export function uncovered(a: number, b: number, cover: readonly [number, number][]): [number, number][] {
  const cs = cover.filter(([c, d]) => d > a && c < b).sort((p, q) => p[0] - q[0]);
  const out: [number, number][] = [];
  let at = a;
  for (const [c, d] of cs) {
    if (c > at) out.push([at, Math.min(c, b)]);
    at = Math.max(at, d);
    if (at >= b) break;
  }
  if (at < b) out.push([at, b]);
  return out;
}

/**
 * Geometry of the timeline. The x axis is the view (`s.ui.view`) when there is one: after a pan or
 * zoom the window drawn so far is shown at its new place until the host's answer replaces it.
 */
export function timelineView(s: PanelViewState, width: number): TimelineView | null {
  const w = s.timeline;
  if (!w) return null;
  const v = s.ui.view && s.ui.view.to > s.ui.view.from ? s.ui.view : w;
  const span = Math.max(1, v.to - v.from);
  const unit = width / span;
  const xAt = (i: number): number => (i - v.from) * unit;
  // bars are clipped to the data's range and to the screen
  const xOf = (i: number): number => xAt(Math.max(v.from, Math.min(v.to, Math.max(w.from, Math.min(w.to, i)))));
  const f = selectedFinding(s);
  const hl = highlightsOf(f);
  const locks = new Set(f?.locks ?? []);
  const cursor = s.replay?.index ?? -1;
  const currentTask = s.replay?.taskId ?? -1;
  const b = w.mode === 'aggregate' ? w.buckets : null;
  const lanes: LaneView[] = [];
  let y = AXIS_H;
  w.lanes.forEach((lane, laneIndex) => {
    const depth = Math.max(1, lane.maxDepth);
    const h = LANE_SYSCALL_H + depth * LANE_LOCK_H + LANE_PAD * 2;
    const end = (e: number | null): number => (e === null ? w.to : e + 1);
    const within = (pid: number, i: number, a: number, b: number | null): boolean => pid === lane.pid && i >= a && (b === null || i <= b);
    const syscalls: SyscallRect[] = lane.syscalls.map((b) => {
      let highlight: BarHighlight = null;
      if (hl.primary && within(hl.primary.pid, hl.primary.eventIndex, b.enter, b.exit)) highlight = 'inversion';
      else if (hl.cycle.some((c) => within(c.pid, c.eventIndex, b.enter, b.exit))) highlight = 'cycle';
      const x = xOf(b.enter);
      return {
        x,
        y: y + LANE_PAD,
        w: Math.max(2, xOf(end(b.exit)) - x),
        h: LANE_SYSCALL_H - 3,
        name: b.name,
        label: `${b.name} (NR ${b.nr}), lines ${b.enterLine}–${b.exitLine ?? '…'}${highlight === 'inversion' ? ', the inversion shows up here' : highlight === 'cycle' ? ', made an edge of the cycle' : ''}`,
        highlight,
        open: b.exit === null,
        seek: { index: b.enter },
      };
    });
    const exits = lane.syscalls.map((b) => b.exit).filter((e): e is number => e !== null);
    const lockRects: LockRect[] = lane.locks.map((b) => {
      const a = b.start;
      const z = end(b.end);
      const x = xOf(a);
      const span = leakSpan(a, z, b.acrossSyscall, exits);
      const leaks = span ? [span].filter(([p, q]) => q > w.from && p < w.to) : [];
      return {
        x,
        y: y + LANE_PAD + LANE_SYSCALL_H + b.depth * LANE_LOCK_H,
        w: Math.max(2, xOf(z) - x),
        h: LANE_LOCK_H - 2,
        className: b.className,
        label: `${b.className}${b.read ? ' (read)' : ''}${b.try ? ' (try)' : ''}, taken at line ${b.startLine}${b.syscall ? ` in ${b.syscall}` : ''}${b.endLine !== null ? `, released at line ${b.endLine}` : ', still held'}${b.acrossSyscall ? ', held across a syscall boundary' : ''}`,
        acrossSyscall: b.acrossSyscall,
        inFinding: locks.has(b.className),
        leaks: leaks.map(([p, q]) => ({ x: xOf(p), w: Math.max(1, xOf(q) - xOf(p)) })),
        seek: { index: b.start },
      };
    });
    let maxEvents = 1;
    const marks: MarkRect[] = [];
    if (b) {
      const ev = b.events;
      for (let k = laneIndex * b.count; k < (laneIndex + 1) * b.count; k++) if (ev[k] > maxEvents) maxEvents = ev[k];
      // one mark a bucket: the inversion's wins over the cycle's that share its bucket
      const marked = new Set<number>();
      const mark = (e: HighlightEvent, highlight: MarkRect['highlight']): void => {
        if (e.pid !== lane.pid || e.eventIndex < w.from || e.eventIndex >= w.to) return;
        const k = Math.floor((e.eventIndex - b.start) / b.size);
        if (marked.has(k)) return;
        marked.add(k);
        const [from, to] = bucketRange(w, b, k);
        const x0 = xAt(from);
        const x1 = xAt(to);
        if (x1 < 0 || x0 > width) return;
        // at least a few pixels wide, centred on its bucket
        const wpx = Math.max(4, x1 - x0);
        const what = highlight === 'inversion' ? 'the inversion shows up here' : 'made an edge of the cycle';
        marks.push({
          x: (x0 + x1) / 2 - wpx / 2,
          y: y + LANE_PAD,
          w: wpx,
          h: LANE_SYSCALL_H - 3,
          highlight,
          syscall: e.syscall,
          label: `${e.syscall ?? 'userspace'} at line ${e.line} (event ${e.eventIndex}, in events ${from}–${to - 1}): ${what}`,
          seek: { index: e.eventIndex },
        });
      };
      if (hl.primary) mark(hl.primary, 'inversion');
      for (const c of hl.cycle) mark(c, 'cycle');
    }
    lanes.push({
      taskId: lane.taskId,
      title: `${lane.comm}/${lane.pid}`,
      y,
      h,
      current: lane.taskId === currentTask,
      pinned: s.ui.tasks.pinned.includes(lane.taskId),
      syscalls,
      locks: lockRects,
      bucketLane: laneIndex,
      maxEvents,
      marks,
      depth,
    });
    y += h;
  });
  let layer: BucketLayer | null = null;
  if (b) {
    const x = new Float64Array(b.count + 1);
    for (let k = 0; k <= b.count; k++) x[k] = xAt(Math.max(w.from, Math.min(w.to, b.start + k * b.size)));
    layer = { data: b, x };
  }
  return {
    width,
    height: y + 4,
    mode: w.mode,
    from: v.from,
    to: v.to,
    window: { from: w.from, to: w.to },
    buckets: layer,
    cursorX: cursor >= v.from && cursor < v.to ? xAt(cursor) + unit / 2 : null,
    lanes,
    ticks: ticks(v.from, v.to, width),
    hiddenLanes: w.hiddenLanes,
  };
}

/** What one bucket of an aggregated timeline holds (tooltips, tests, accessible text). */
export interface BucketInfo {
  from: number;
  to: number;
  events: number;
  inSyscall: number;
  maxDepth: number;
  leak: boolean;
  /** 0..1: events relative to the lane's busiest bucket. */
  intensity: number;
  label: string;
  seek: SeekTarget;
}

/** Bucket `k` of `lane` (a LaneView of `tv`), or null outside the window. */
export function bucketInfo(tv: TimelineView, lane: LaneView, k: number): BucketInfo | null {
  const b = tv.buckets?.data;
  if (!b || k < 0 || k >= b.count) return null;
  const [from, to] = bucketRange(tv.window, b, k);
  if (from >= to) return null;
  const at = lane.bucketLane * b.count + k;
  const events = b.events[at];
  const inSyscall = b.inSyscall[at];
  const maxDepth = b.maxDepth[at];
  const leak = b.leak[at] !== 0;
  const share = events ? Math.round((100 * inSyscall) / events) : 0;
  return {
    from,
    to,
    events,
    inSyscall,
    maxDepth,
    leak,
    intensity: events / lane.maxEvents,
    label: `events ${from}–${to - 1}: ${events} of ${lane.title}${events ? `, ${share}% in syscalls, up to ${maxDepth} locks held` : ''}${leak ? ', a lock leaked across a syscall' : ''}`,
    seek: { index: from },
  };
}

/** The bucket under pixel x, or -1. */
export function bucketAtX(tv: TimelineView, x: number): number {
  const l = tv.buckets;
  if (!l || l.data.count === 0 || x < l.x[0] || x >= l.x[l.data.count]) return -1;
  let lo = 0;
  let hi = l.data.count - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (l.x[mid] <= x) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** What lies under a point of the timeline: a bar of a detail window, a mark, or a bucket. */
export interface TimelineHit {
  kind: 'syscall' | 'lock' | 'mark' | 'bucket';
  /** Index of the lane in `tv.lanes`. */
  lane: number;
  /** The bar's or bucket's rectangle (for a focus ring). */
  rect: Rect;
  label: string;
  seek: SeekTarget;
}

/** The lane under y (lanes are sorted by y), or -1. */
export function laneAtY(tv: TimelineView, y: number): number {
  let lo = 0;
  let hi = tv.lanes.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    const l = tv.lanes[mid];
    if (y < l.y) hi = mid - 1;
    else if (y >= l.y + l.h) lo = mid + 1;
    else return mid;
  }
  return -1;
}

/**
 * Hit-testing of the canvas: what is under (x, y) in timeline coordinates. Marks (highlighted
 * events, drawn on top) win, then lock bars, then syscall bars; bars narrower than 5 px are hit
 * within 2 px. In aggregated windows, the bucket under x in that lane.
 */
export function hitTest(tv: TimelineView, x: number, y: number): TimelineHit | null {
  const k = laneAtY(tv, y);
  if (k < 0) return null;
  const lane = tv.lanes[k];
  const inside = (r: Rect): boolean => {
    const slack = r.w < 5 ? 2 : 0;
    return y >= r.y && y < r.y + r.h && x >= r.x - slack && x < r.x + r.w + slack;
  };
  const rect = (r: Rect): Rect => ({ x: r.x, y: r.y, w: r.w, h: r.h });
  for (const m of lane.marks) if (inside(m)) return { kind: 'mark', lane: k, rect: rect(m), label: m.label, seek: m.seek };
  // the last drawn (innermost, later) bar is on top
  for (let i = lane.locks.length - 1; i >= 0; i--) {
    const b = lane.locks[i];
    if (inside(b)) return { kind: 'lock', lane: k, rect: rect(b), label: b.label, seek: b.seek };
  }
  for (let i = lane.syscalls.length - 1; i >= 0; i--) {
    const b = lane.syscalls[i];
    if (inside(b)) return { kind: 'syscall', lane: k, rect: rect(b), label: b.label, seek: b.seek };
  }
  if (tv.buckets) {
    const bk = bucketAtX(tv, x);
    const info = bucketInfo(tv, lane, bk);
    if (info) {
      const x0 = tv.buckets.x[bk];
      return {
        kind: 'bucket',
        lane: k,
        rect: { x: x0, y: lane.y, w: tv.buckets.x[bk + 1] - x0, h: lane.h },
        label: info.label,
        seek: info.seek,
      };
    }
  }
  return null;
}

/**
 * The bars of a lane in keyboard order (by start, syscalls before the locks taken in them):
 * the timeline's keyboard navigation steps through these.
 */
export function laneBars(lane: LaneView): (SyscallRect | LockRect | MarkRect)[] {
  const bars: (SyscallRect | LockRect | MarkRect)[] = [...lane.syscalls, ...lane.locks, ...lane.marks];
  const at = (b: SyscallRect | LockRect | MarkRect): number => ('index' in b.seek ? b.seek.index : 0);
  return bars.sort((a, b) => at(a) - at(b) || a.y - b.y);
}

/** Axis ticks at round event indices, about one per 80 px. */
export function ticks(from: number, to: number, width: number): { x: number; label: string }[] {
  const span = Math.max(1, to - from);
  const want = Math.max(1, Math.floor(width / 80));
  const raw = span / want;
  const mag = Math.pow(10, Math.floor(Math.log10(raw)));
  const step = Math.max(1, [1, 2, 5, 10].map((m) => m * mag).find((v) => v >= raw) ?? 10 * mag);
  const out: { x: number; label: string }[] = [];
  for (let i = Math.ceil(from / step) * step; i < to; i += step) out.push({ x: ((i - from) / span) * width, label: `#${i}` });
  return out;
}

/** Event index under an x position of the timeline. */
export function indexAtX(view: { from: number; to: number; width: number }, x: number): number {
  const span = Math.max(1, view.to - view.from);
  return Math.max(view.from, Math.min(view.to - 1, view.from + Math.floor((x / Math.max(1, view.width)) * span)));
}

// ---------------------------------------------------------------------------------------------
// Lock-order graph layout

export interface GraphNodeView {
  id: string;
  x: number;
  y: number;
  inCycle: boolean;
  /** Text anchor so labels point away from the centre. */
  anchor: 'start' | 'middle' | 'end';
  labelX: number;
  labelY: number;
}

export interface GraphEdgeView {
  from: string;
  to: string;
  /** SVG path (quadratic curve; opposite edges bend apart). */
  d: string;
  labelX: number;
  labelY: number;
  label: string;
  title: string;
  inCycle: boolean;
  crossSyscall: boolean;
  seek: SeekTarget;
}

export interface GraphView {
  width: number;
  height: number;
  nodes: GraphNodeView[];
  edges: GraphEdgeView[];
  truncatedNodes: number;
}

export const NODE_R = 7;

/** Whether graph edge `e` is one of the cycle's edges. */
function inCycle(cycle: readonly CycleEdgeBody[], e: GraphEdge): boolean {
  return cycle.some((c) => c.from === e.from && c.to === e.to);
}

/**
 * Circle layout (see circleSlots), the others by first appearance. Deterministic, which keeps
 * screenshots and tests stable; meant for the few classes of a focused trace (the host caps it).
 */
export function graphView(s: PanelViewState, width: number, height: number): GraphView | null {
  const g = s.graph;
  if (!g) return null;
  const f = selectedFinding(s);
  const cycle = f?.cycle ?? [];
  const cycleNodes: string[] = [];
  for (const e of cycle) for (const id of [e.from, e.to]) if (!cycleNodes.includes(id)) cycleNodes.push(id);
  const ids = g.nodes.map((n) => n.id);
  const inGraph = cycleNodes.filter((id) => ids.includes(id));
  const others = ids.filter((id) => !cycleNodes.includes(id));
  const order = circleSlots(inGraph, others);
  const cx = width / 2;
  const cy = height / 2;
  const r = Math.max(10, Math.min(width * 0.5 - 110, height / 2 - 28));
  const pos = new Map<string, { x: number; y: number }>();
  const n = order.length;
  order.forEach((id, k) => {
    if (n === 1) return pos.set(id, { x: cx, y: cy });
    // slot 0 on the left, so a two-class cycle lies horizontally with room for its labels.
    const a = Math.PI + (2 * Math.PI * k) / n;
    pos.set(id, { x: cx + r * Math.cos(a), y: cy + r * Math.sin(a) * 0.85 });
  });
  const nodes: GraphNodeView[] = order.map((id) => {
    const p = pos.get(id) ?? { x: cx, y: cy };
    const dx = p.x - cx;
    const anchor: GraphNodeView['anchor'] = Math.abs(dx) < 20 ? 'middle' : dx < 0 ? 'end' : 'start';
    const off = NODE_R + 5;
    return {
      id,
      x: p.x,
      y: p.y,
      inCycle: cycleNodes.includes(id),
      anchor,
      labelX: anchor === 'middle' ? p.x : p.x + (dx < 0 ? -off : off),
      labelY: anchor === 'middle' ? p.y + (p.y < cy ? -off : off + 8) : p.y + 4,
    };
  });
  const has = new Set(g.edges.map((e) => `${e.from}\u0000${e.to}`));
  const edges: GraphEdgeView[] = g.edges.map((e) => {
    const a = pos.get(e.from) ?? { x: cx, y: cy };
    const b = pos.get(e.to) ?? { x: cx, y: cy };
    const dx = b.x - a.x;
    const dy = b.y - a.y;
    const len = Math.max(1, Math.hypot(dx, dy));
    const ux = dx / len;
    const uy = dy / len;
    // bend every edge a little, opposite edges more, always to the edge's left so they separate.
    const bend = has.has(`${e.to}\u0000${e.from}`) ? Math.min(60, len * 0.3) : Math.min(20, len * 0.12);
    const mx = (a.x + b.x) / 2 + uy * bend;
    const my = (a.y + b.y) / 2 - ux * bend;
    const sx = a.x + ux * NODE_R;
    const sy = a.y + uy * NODE_R;
    const ex = b.x - ux * (NODE_R + 3);
    const ey = b.y - uy * (NODE_R + 3);
    // a kernel log's edge says its context (a workqueue, softirq or kthread has no syscall, and is not userspace)
    const label = `${e.context ?? e.syscall ?? 'userspace'}:${e.line}`;
    const by = e.pid >= 0 ? ` by ${e.comm}/${e.pid}` : '';
    return {
      from: e.from,
      to: e.to,
      d: `M${r2(sx)},${r2(sy)} Q${r2(mx)},${r2(my)} ${r2(ex)},${r2(ey)}`,
      // the curve's midpoint is halfway between the chord's midpoint and the control point
      labelX: r2((a.x + b.x) / 4 + mx / 2),
      labelY: r2((a.y + b.y) / 4 + my / 2),
      label,
      title: `${e.from} → ${e.to}: made at line ${e.line}${by}${e.context ? ` in ${e.context}` : e.syscall ? ` in ${e.syscall}` : ''}; ${e.from} held since line ${e.fromLine}${e.fromSyscall ? ` (${e.fromSyscall})` : ''}${e.crossSyscall ? ' — across a syscall boundary' : ''}`,
      inCycle: inCycle(cycle, e),
      crossSyscall: e.crossSyscall,
      seek: { index: e.eventIndex },
    };
  });
  return { width, height, nodes, edges, truncatedNodes: g.truncatedNodes };
}

/**
 * Slot order on the circle: the cycle's classes spread evenly (opposite each other for a
 * two-class cycle, so its two edges bend apart in open space), the other classes in the gaps.
 */
export function circleSlots(cycle: readonly string[], others: readonly string[]): string[] {
  const n = cycle.length + others.length;
  const slots = new Array<string | undefined>(n);
  cycle.forEach((id, k) => {
    let at = Math.round((k * n) / cycle.length) % n;
    while (slots[at] !== undefined) at = (at + 1) % n;
    slots[at] = id;
  });
  let next = 0;
  for (let k = 0; k < n; k++) if (slots[k] === undefined) slots[k] = others[next++];
  return slots as string[];
}

function r2(x: number): number {
  return Math.round(x * 100) / 100;
}

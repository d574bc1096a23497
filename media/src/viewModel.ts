// The lock panel's front-end logic without the DOM: a reducer over host messages, and functions
// from the protocol's state to view models (task columns, timeline geometry, findings, graph
// layout). media/src/panel.ts only turns these into elements; unit tests run them in Node.

import {
  ComponentBody,
  DiffStatus,
  GraphDiffView,
  GraphEdge,
  GraphMode,
  HostMessage,
  LockBar,
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
import type {
  CycleEdgeBody,
  FindingBody,
  HeldLockBody,
  ReplayStateBody,
  TaskStateBody,
  WorkOriginBody,
} from '../../src/protocol/replayState';
import { GRAPH_FOCUS_ABOVE, layeredEdgePath, layeredLayout, selectClasses } from './graphFocus';

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
  /** What the graph section draws: classes, lock instances, or the comparison with another trace. */
  graphMode: GraphMode;
  /** A large class graph: every class sent instead of the focused subset. */
  graphAll: boolean;
  /** A large class graph: the class whose neighbourhood is shown (null: the classes that matter). */
  graphFocus: string | null;
}

export interface PanelViewState {
  trace: TraceSummary | null;
  source: PanelSource | null;
  replay: ReplayStateBody | null;
  timeline: TimelineWindow | null;
  graph: LockGraphView | null;
  /** The lock graph compared with another trace, when the host sent one. */
  diff: GraphDiffView | null;
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
    diff: null,
    error: null,
    ui: {
      selectedFindingId: ok ? persisted.selectedFindingId : null,
      tasks: ok ? persisted.tasks : emptyTaskFilter(),
      view: ok ? persisted.view : null,
      // a comparison is not kept across reloads: back to the class graph until the host sends one
      graphMode: ok && persisted.graphMode !== 'diff' ? persisted.graphMode : 'class',
      graphAll: false,
      graphFocus: null,
    },
  };
}

export function reduce(s: PanelViewState, msg: HostMessage): PanelViewState {
  switch (msg.type) {
    case 'init': {
      const samePath = s.trace?.path === msg.trace.path;
      const ui = samePath || s.trace === null ? s.ui : { ...s.ui, selectedFindingId: null, view: null, graphAll: false, graphFocus: null };
      const view = ui.view && ui.view.to <= msg.trace.totalEvents ? ui.view : null;
      // another trace's comparison does not apply (the host sends this one's after init)
      const diff = samePath ? s.diff : null;
      const graphMode = !diff && ui.graphMode === 'diff' ? 'class' : ui.graphMode;
      return { ...s, trace: msg.trace, source: msg.source, error: null, timeline: null, diff, ui: { ...ui, view, graphMode } };
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
    case 'diff': {
      // a comparison just asked for is what to show; without one, the diff view goes away
      const graphMode: GraphMode = msg.diff ? 'diff' : s.ui.graphMode === 'diff' ? 'class' : s.ui.graphMode;
      return { ...s, diff: msg.diff, ui: { ...s.ui, graphMode } };
    }
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
    graphMode: s.ui.graphMode,
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
  /** Inversions: the cycle's id, and what the lock graph says of it (`guarded by G`, `different instances only`). */
  cycleId?: string;
  marks: string[];
  /** Inversions: the component it belongs to. */
  component?: string;
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
  return (s.trace?.findings ?? []).map((f) => {
    const marks = findingMarks(f);
    return {
      id: f.id,
      kind: f.kind,
      title: `${f.kind}: ${f.locks.join(' ⇄ ')}`,
      detail: `line ${f.line} · ${f.comm}/${f.pid}${f.syscall ? ` in ${f.syscall}` : ''}${f.occurrences > 1 ? ` · ×${f.occurrences}` : ''}${f.cycleId ? ` · ${f.cycleId}` : ''}${marks.length ? ` · ${marks.join(' · ')}` : ''}`,
      ...(f.cycleId ? { cycleId: f.cycleId } : {}),
      marks,
      ...(f.component ? { component: f.component } : {}),
      line: f.line,
      ahead: f.eventIndex > index,
      selected: sel?.id === f.id,
      atCursor: f.eventIndex === index,
    };
  });
}

/** What the lock graph says of an inversion, in a few words. */
export function findingMarks(f: Pick<FindingBody, 'guardedBy' | 'instanceCycle'>): string[] {
  const out: string[] = [];
  if (f.guardedBy?.length) out.push(`guarded by ${f.guardedBy.join(', ')}`);
  if (f.instanceCycle === false) out.push('different instances only');
  return out;
}

/** Findings as the list shows them: the inversions of a component with several cycles together, under one header. */
export interface FindingGroup {
  /** The component (null: a finding on its own). */
  component: ComponentBody | null;
  /** Header text of a component: `component LT-1ffd`, and its classes and cycles. */
  title: string;
  detail: string;
  items: FindingItem[];
}

export function findingGroups(s: PanelViewState): FindingGroup[] {
  const items = findingItems(s);
  const components = new Map((s.trace?.components ?? []).map((c) => [c.id, c]));
  const groups: FindingGroup[] = [];
  const byComponent = new Map<string, FindingGroup>();
  for (const item of items) {
    const c = item.component !== undefined ? components.get(item.component) : undefined;
    if (!c || c.cycles.length < 2) {
      groups.push({ component: null, title: '', detail: '', items: [item] });
      continue;
    }
    let g = byComponent.get(c.id);
    if (!g) {
      const cycles = c.cycles.map(
        (y) => `${y.cycleId} ${[...y.path, y.path[0]].join(' → ')}${findingMarks(y).length ? ` (${findingMarks(y).join(', ')})` : ''}`,
      );
      g = {
        component: c,
        title: `component ${c.id}`,
        detail: `${c.classes.length} classes, ${c.cycles.length} cycles${c.truncated ? ' (search bounded)' : ''}: ${cycles.join('; ')}`,
        items: [],
      };
      byComponent.set(c.id, g);
      groups.push(g);
    }
    g.items.push(item);
  }
  return groups;
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
  /** The lock-graph node: the class, or `class/N` for a nested instance (shown instead of the class). */
  node: string;
  lock: string;
  /** softirq / hardirq (the context it was taken in), read / try / pending. */
  badges: string[];
  /** Held since before the trace began (its acquisition is not in the trace). */
  sinceBeforeTrace: boolean;
  /** Where it was taken, short: `L35 · io_submit`, `since before the trace`, `L2076` (a kernel lock outside a syscall). */
  where: string;
  line: number;
  eventIndex: number;
  syscall: string | null;
  syscallLine: number | null;
  acrossSyscall: boolean;
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

/**
 * Where a hold began, for people: the syscall, or nothing for a kernel lock outside a known syscall
 * (a kernel thread, an interrupt, a syscall entered before the trace: never userspace).
 */
function holdSyscall(h: Pick<HeldLockBody, 'syscall' | 'domain'>, kernelLog = false): string | null {
  // a kernel log has no syscall spans: a lock without one was not taken in userspace
  return h.syscall ?? (h.domain === 'kernel' || kernelLog ? null : 'userspace');
}

export function heldItem(h: HeldLockBody, findingLocks: ReadonlySet<string>, kernelLog = false): HeldItem {
  const badges = [h.context !== 'process' ? h.context : '', h.read ? 'read' : '', h.try ? 'try' : '', h.pending ? 'pending' : ''].filter(
    Boolean,
  );
  const how = badges.length ? ` (${badges.join(', ')})` : '';
  const sys = holdSyscall(h, kernelLog);
  const taken = h.sinceBeforeTrace
    ? `, held since before the trace began (shown from the task's first event, line ${h.line})`
    : `, taken at line ${h.line}${sys ? ` in ${sys}` : ''}`;
  return {
    className: h.className,
    node: h.node,
    lock: h.lock,
    badges,
    sinceBeforeTrace: h.sinceBeforeTrace,
    where: h.sinceBeforeTrace ? 'since before the trace' : `L${h.line}${sys ? ` · ${sys}` : ''}`,
    line: h.line,
    eventIndex: h.eventIndex,
    syscall: h.syscall,
    syscallLine: h.syscallLine,
    acrossSyscall: h.acrossSyscall,
    inFinding: findingLocks.has(h.node) || findingLocks.has(h.className),
    label: `${h.node}${how}${taken}${h.acrossSyscall ? ', held across a syscall boundary' : ''}`,
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
  /** Shown on the bar: the class, or `class/N` for a nested instance. */
  node: string;
  label: string;
  acrossSyscall: boolean;
  inFinding: boolean;
  /** Taken in an interrupt (drawn in its own colour). */
  context: LockBar['context'];
  /** Held since before the trace: the bar starts at the task's first event (drawn fading in). */
  sinceBeforeTrace: boolean;
  /** Parts of the hold outside any syscall of the task: the lock leaked to userspace. */
  leaks: { x: number; w: number }[];
  seek: SeekTarget;
}

/** A wait for a kernel lock: a hatched segment in the lane's syscall row. */
export interface WaitRect extends Rect {
  className: string;
  label: string;
  /** The trace has no end of it (drawn as a short mark). */
  open: boolean;
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
  /** Detail windows: the task's waits for kernel locks. */
  waits: WaitRect[];
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
        label: `${b.name}${b.nr >= 0 ? ` (NR ${b.nr})` : ''}, ${b.sinceBeforeTrace ? `entered before the trace began (drawn from the task's first event, line ${b.enterLine}), ${b.exitLine !== null ? `returned at line ${b.exitLine}` : 'still in it'}` : `lines ${b.enterLine}–${b.exitLine ?? '…'}`}${highlight === 'inversion' ? ', the inversion shows up here' : highlight === 'cycle' ? ', made an edge of the cycle' : ''}`,
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
      const how = [b.context !== 'process' ? `in ${b.context}` : '', b.read ? 'read' : '', b.try ? 'try' : ''].filter(Boolean).join(', ');
      const sys = holdSyscall({ syscall: b.syscall, domain: b.domain });
      const taken = b.sinceBeforeTrace
        ? `, held since before the trace began (drawn from the task's first event, line ${b.startLine})`
        : `, taken at line ${b.startLine}${sys ? ` in ${sys}` : ''}`;
      return {
        x,
        y: y + LANE_PAD + LANE_SYSCALL_H + b.depth * LANE_LOCK_H,
        w: Math.max(2, xOf(z) - x),
        h: LANE_LOCK_H - 2,
        className: b.className,
        node: b.node,
        label: `${b.node}${how ? ` (${how})` : ''}${taken}${b.endLine !== null ? `, released at line ${b.endLine}` : ', still held'}${b.acrossSyscall ? ', held across a syscall boundary' : ''}`,
        acrossSyscall: b.acrossSyscall,
        inFinding: locks.has(b.node) || locks.has(b.className),
        context: b.context,
        sinceBeforeTrace: b.sinceBeforeTrace,
        leaks: leaks.map(([p, q]) => ({ x: xOf(p), w: Math.max(1, xOf(q) - xOf(p)) })),
        seek: { index: b.start },
      };
    });
    const waits: WaitRect[] = lane.waits.map((b) => {
      const x = xOf(b.begin);
      const open = b.end === null;
      // at least 3 px: a wait of a few microseconds between two events is still seen
      const wpx = Math.max(3, xOf(open ? b.begin + 1 : b.end! + 1) - x);
      const took = b.seconds !== null ? `waited ${formatSeconds(b.seconds)}` : 'waited (no end in the trace)';
      return {
        x,
        y: y + LANE_PAD + 1,
        w: wpx,
        h: LANE_SYSCALL_H - 5,
        className: b.className,
        label: `${took} for kernel lock ${b.className}${b.caller && !b.className.includes(b.caller) ? ` (taken in ${b.caller})` : ''}${b.syscall ? ` in ${b.syscall}` : ''}, from line ${b.beginLine}${b.endLine !== null ? ` to line ${b.endLine}` : ''}`,
        open,
        seek: { index: b.begin },
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
      waits,
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

/** `37 µs`, `1.2 ms`, `2.50 s` (as the core's reports print durations). */
export function formatSeconds(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds >= 1) return `${seconds.toFixed(2)} s`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toFixed(seconds >= 0.1 ? 0 : 1)} ms`;
  return `${(seconds * 1e6).toFixed(seconds >= 1e-5 ? 0 : 1)} µs`;
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
  kind: 'syscall' | 'lock' | 'wait' | 'mark' | 'bucket';
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
  // waits are drawn over the syscall bars
  for (let i = lane.waits.length - 1; i >= 0; i--) {
    const b = lane.waits[i];
    if (inside(b)) return { kind: 'wait', lane: k, rect: rect(b), label: b.label, seek: b.seek };
  }
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
export function laneBars(lane: LaneView): (SyscallRect | LockRect | WaitRect | MarkRect)[] {
  const bars: (SyscallRect | LockRect | WaitRect | MarkRect)[] = [...lane.syscalls, ...lane.waits, ...lane.locks, ...lane.marks];
  const at = (b: SyscallRect | LockRect | WaitRect | MarkRect): number => ('index' in b.seek ? b.seek.index : 0);
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
// Lock-order graph layout: classes, lock instances, or the comparison with another trace

export interface GraphNodeView {
  id: string;
  /** Text drawn beside the node (the class), and under it (an instance's address or lock id). */
  label: string;
  sublabel?: string;
  sublabelY?: number;
  x: number;
  y: number;
  inCycle: boolean;
  /** Text anchor so labels point away from the centre. */
  anchor: 'start' | 'middle' | 'end';
  labelX: number;
  labelY: number;
  /** The whole class name when the label is cut. */
  title?: string;
  /** A large class graph: a click focuses the graph on this class's neighbourhood. */
  focusable?: boolean;
  /** The class the graph is focused on. */
  focused?: boolean;
}

/** What a large class graph shows of its classes (see ./graphFocus.ts). */
export interface GraphScope {
  shown: number;
  /** Classes in the graph so far (the host's count: it may send fewer than that). */
  total: number;
  /** `showing N of M classes: why`. */
  text: string;
  all: boolean;
  focus: string | null;
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
  /** Part of a cycle a gate lock makes safe (class view). */
  guarded: boolean;
  /** Instance view: one of the selected inversion's instance pairs that do not close a cycle. */
  split: boolean;
  /** Diff view: new, gone or unchanged. */
  status?: DiffStatus;
  seek: SeekTarget;
}

export interface GraphView {
  mode: GraphMode;
  width: number;
  height: number;
  nodes: GraphNodeView[];
  edges: GraphEdgeView[];
  truncatedNodes: number;
  /** One line under the drawing: what the view shows of the selected finding, or the comparison. */
  caption: string;
  /** Large class graphs only: the subset shown, and why. */
  scope?: GraphScope;
}

export const NODE_R = 7;

/** Whether graph edge `e` is one of the cycle's edges. */
function inCycle(cycle: readonly CycleEdgeBody[], e: { from: string; to: string }): boolean {
  return cycle.some((c) => c.from === e.from && c.to === e.to);
}

/** The graph modes the panel can show now (the diff view only with a comparison). */
export function graphModes(s: PanelViewState): GraphMode[] {
  return s.diff ? ['class', 'instance', 'diff'] : ['class', 'instance'];
}

/** The graph section for the panel's mode (falls back to the class graph). */
export function graphSection(s: PanelViewState, width: number, height: number): GraphView | null {
  if (s.ui.graphMode === 'diff' && s.diff) return diffGraphView(s, width, height);
  if (s.ui.graphMode === 'instance') return instanceGraphView(s, width, height);
  return graphView(s, width, height);
}

/** Circle positions for ids in slot order (slot 0 on the left, so a two-node cycle lies horizontally). */
function circlePositions(order: readonly string[], width: number, height: number): Map<string, { x: number; y: number }> {
  const cx = width / 2;
  const cy = height / 2;
  const r = Math.max(10, Math.min(width * 0.5 - 110, height / 2 - 28));
  const pos = new Map<string, { x: number; y: number }>();
  const n = order.length;
  order.forEach((id, k) => {
    if (n === 1) return pos.set(id, { x: cx, y: cy });
    const a = Math.PI + (2 * Math.PI * k) / n;
    pos.set(id, { x: cx + r * Math.cos(a), y: cy + r * Math.sin(a) * 0.85 });
  });
  return pos;
}

function nodeViews(
  order: readonly string[],
  pos: Map<string, { x: number; y: number }>,
  width: number,
  height: number,
  emphasized: readonly string[],
  label: (id: string) => [string, string?] = (id) => [id],
): GraphNodeView[] {
  const cx = width / 2;
  const cy = height / 2;
  return order.map((id) => {
    const p = pos.get(id) ?? { x: cx, y: cy };
    const dx = p.x - cx;
    const anchor: GraphNodeView['anchor'] = Math.abs(dx) < 20 ? 'middle' : dx < 0 ? 'end' : 'start';
    const off = NODE_R + 5;
    const [text, sub] = label(id);
    const above = anchor === 'middle' && p.y < cy;
    const labelY = anchor === 'middle' ? p.y + (above ? -off : off + 8) : p.y + 4;
    return {
      id,
      label: text,
      ...(sub ? { sublabel: sub, sublabelY: above ? labelY : labelY + 12 } : {}),
      x: p.x,
      y: p.y,
      inCycle: emphasized.includes(id),
      anchor,
      labelX: anchor === 'middle' ? p.x : p.x + (dx < 0 ? -off : off),
      // two lines above a node: the first one higher
      labelY: above && sub ? labelY - 12 : labelY,
    };
  });
}

/** The curve from a to b (bent to its left, more when the opposite edge is drawn too) and its label point. */
function edgeGeometry(
  a: { x: number; y: number },
  b: { x: number; y: number },
  opposite: boolean,
): { d: string; labelX: number; labelY: number } {
  const dx = b.x - a.x;
  const dy = b.y - a.y;
  const len = Math.max(1, Math.hypot(dx, dy));
  const ux = dx / len;
  const uy = dy / len;
  const bend = opposite ? Math.min(60, len * 0.3) : Math.min(20, len * 0.12);
  const mx = (a.x + b.x) / 2 + uy * bend;
  const my = (a.y + b.y) / 2 - ux * bend;
  const sx = a.x + ux * NODE_R;
  const sy = a.y + uy * NODE_R;
  const ex = b.x - ux * (NODE_R + 3);
  const ey = b.y - uy * (NODE_R + 3);
  return {
    d: `M${r2(sx)},${r2(sy)} Q${r2(mx)},${r2(my)} ${r2(ex)},${r2(ey)}`,
    // the curve's midpoint is halfway between the chord's midpoint and the control point
    labelX: r2((a.x + b.x) / 4 + mx / 2),
    labelY: r2((a.y + b.y) / 4 + my / 2),
  };
}

/** `via work X on WQ queued in write (line N)`: a kernel worker's edge, for titles. */
export function workText(via: WorkOriginBody | undefined): string {
  if (!via) return '';
  const what = `work ${via.work}${via.workqueue ? ` on ${via.workqueue}` : ''}`;
  const q = via.queued;
  if (!q) return `in ${what} (queued before the trace began)`;
  const how = via.inferred ? 'probably queued' : 'queued';
  if (q.context) return `via ${what} ${how} from a ${q.context} (line ${q.line})`;
  if (q.syscall) return `via ${what} ${how} in ${q.syscall} (line ${q.line}, ${q.comm}/${q.pid})`;
  return `via ${what} ${how} by ${q.comm}/${q.pid} (line ${q.line})`;
}

/** The class edges that belong to a cycle some gate lock makes safe, with its gates. */
function guardedEdges(s: PanelViewState): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const c of s.trace?.components ?? [])
    for (const y of c.cycles) {
      if (!y.guardedBy?.length) continue;
      y.path.forEach((from, k) => out.set(`${from}\u0000${y.path[(k + 1) % y.path.length]}`, y.guardedBy as string[]));
    }
  return out;
}

/**
 * The class graph: circle layout (see circleSlots), the selected finding's classes spread first,
 * the others by first appearance. Deterministic, which keeps screenshots and tests stable; meant
 * for the few classes of a focused trace (the host caps it).
 */
export function graphView(s: PanelViewState, width: number, height: number): GraphView | null {
  const g = s.graph;
  if (!g) return null;
  if (g.nodes.length + g.truncatedNodes > GRAPH_FOCUS_ABOVE) return largeGraphView(s, g, width);
  const f = selectedFinding(s);
  const cycle = f?.cycle ?? [];
  const cycleNodes: string[] = [];
  for (const e of cycle) for (const id of [e.from, e.to]) if (!cycleNodes.includes(id)) cycleNodes.push(id);
  const ids = g.nodes.map((n) => n.id);
  const inGraph = cycleNodes.filter((id) => ids.includes(id));
  const others = ids.filter((id) => !cycleNodes.includes(id));
  const order = circleSlots(inGraph, others);
  const pos = circlePositions(order, width, height);
  const nodes = nodeViews(order, pos, width, height, cycleNodes);
  const has = new Set(g.edges.map((e) => `${e.from}\u0000${e.to}`));
  const guarded = guardedEdges(s);
  const centre = { x: width / 2, y: height / 2 };
  const edges: GraphEdgeView[] = g.edges.map((e) => {
    const geo = edgeGeometry(pos.get(e.from) ?? centre, pos.get(e.to) ?? centre, has.has(`${e.to}\u0000${e.from}`));
    const gates = guarded.get(`${e.from}\u0000${e.to}`);
    const via = workText(e.via);
    return {
      from: e.from,
      to: e.to,
      ...geo,
      // a kernel log's edge says its context (a workqueue, softirq or kthread has no syscall, and is not userspace)
      label: `${e.context ?? e.syscall ?? (e.via?.queued?.syscall ? `via ${e.via.queued.syscall}` : 'userspace')}:${e.line}`,
      title: `${e.from} → ${e.to}: made at line ${e.line}${e.pid >= 0 ? ` by ${e.comm}/${e.pid}` : ''}${e.context ? ` in ${e.context}` : e.syscall ? ` in ${e.syscall}` : ''}${via ? ` ${via}` : ''}; ${e.from} held since line ${e.fromLine}${e.fromSyscall ? ` (${e.fromSyscall})` : ''}${e.crossSyscall ? ' — across a syscall boundary' : ''}${gates ? ` — in a cycle guarded by ${gates.join(', ')}: it cannot deadlock` : ''}`,
      inCycle: inCycle(cycle, e),
      crossSyscall: e.crossSyscall,
      guarded: gates !== undefined,
      split: false,
      seek: { index: e.eventIndex },
    };
  });
  return { mode: 'class', width, height, nodes, edges, truncatedNodes: g.truncatedNodes, caption: classCaption(f) };
}

function classCaption(f: FindingBody | null): string {
  return f?.cycleId
    ? `${f.cycleId}${f.component && f.component !== f.cycleId ? ` in component ${f.component}` : ''}${findingMarks(f).length ? ` · ${findingMarks(f).join(' · ')}` : ''}`
    : '';
}

/** The edge label of a class edge: the syscall (or the work's) that made it and its line. */
function classEdgeLabel(e: GraphEdge): string {
  return `${e.syscall ?? (e.via?.queued?.syscall ? `via ${e.via.queued.syscall}` : 'userspace')}:${e.line}`;
}

function classEdgeTitle(e: GraphEdge, gates: string[] | undefined): string {
  const via = workText(e.via);
  return `${e.from} → ${e.to}: made at line ${e.line} by ${e.comm}/${e.pid}${e.syscall ? ` in ${e.syscall}` : ''}${via ? ` ${via}` : ''}; ${e.from} held since line ${e.fromLine}${e.fromSyscall ? ` (${e.fromSyscall})` : ''}${e.crossSyscall ? ' — across a syscall boundary' : ''}${gates ? ` — in a cycle guarded by ${gates.join(', ')}: it cannot deadlock` : ''}`;
}

/**
 * A class graph too large to read whole (real kernel traces): by default the classes that matter
 * (findings' cycles, the selected one first, and what the current task holds) and their
 * neighbours, or the neighbourhood of a focused class, or every class sent; in a layered layout
 * whose labels do not overlap (./graphFocus.ts). Only the cycle's edges carry a label; every
 * edge's title says where it was made.
 */
export function largeGraphView(s: PanelViewState, g: LockGraphView, width: number): GraphView {
  const f = selectedFinding(s);
  const cycle = f?.cycle ?? [];
  const cycles: string[][] = [];
  const cycleClasses = (c: readonly CycleEdgeBody[]) => [...new Set(c.flatMap((e) => [e.from, e.to]))];
  if (cycle.length) cycles.push(cycleClasses(cycle));
  for (const x of s.replay?.findingsSoFar ?? []) if (x !== f && x.cycle?.length) cycles.push(cycleClasses(x.cycle));
  const task = s.replay?.tasks.find((t) => t.taskId === s.replay?.taskId);
  const held = (task?.held ?? []).map((h) => h.node);
  const focus = s.ui.graphFocus !== null && g.nodes.some((n) => n.id === s.ui.graphFocus) ? s.ui.graphFocus : null;
  const sel = selectClasses(g.nodes, g.edges, { cycles, held, focus });
  const total = g.nodes.length + g.truncatedNodes;
  let ids = sel.shown;
  if (s.ui.graphAll) {
    const first = new Set(sel.shown);
    ids = [...sel.shown, ...g.nodes.map((n) => n.id).filter((id) => !first.has(id))];
  }
  const shown = new Set(ids);
  const list = g.edges.filter((e) => shown.has(e.from) && shown.has(e.to));
  const lay = layeredLayout(ids, list, NODE_R);
  const cycleNodes = cycles[0] ?? [];
  const nodes: GraphNodeView[] = ids.map((id) => {
    const p = lay.nodes.get(id)!;
    return {
      id,
      label: p.label,
      ...(p.label !== id ? { title: id } : {}),
      x: p.x,
      y: p.y,
      inCycle: cycleNodes.includes(id),
      anchor: 'start',
      labelX: p.x + NODE_R + 4,
      labelY: p.y + 4,
      focusable: true,
      focused: id === focus,
    };
  });
  const guarded = guardedEdges(s);
  const edges: GraphEdgeView[] = list.map((e) => {
    const a = lay.nodes.get(e.from)!;
    const b = lay.nodes.get(e.to)!;
    const gates = guarded.get(`${e.from}\u0000${e.to}`);
    const hl = inCycle(cycle, e);
    const geo = layeredEdgePath(a, b, lay, NODE_R);
    return {
      from: e.from,
      to: e.to,
      ...geo,
      label: hl ? classEdgeLabel(e) : '',
      title: classEdgeTitle(e, gates),
      inCycle: hl,
      crossSyscall: e.crossSyscall,
      guarded: gates !== undefined,
      split: false,
      seek: { index: e.eventIndex },
    };
  });
  const n = ids.length;
  let why: string;
  if (s.ui.graphAll) why = n < total ? `every class sent (the ${n} with the most edges)` : 'all of them';
  else if (sel.kind === 'focus') why = `${focus} and its neighbours`;
  else if (sel.kind === 'busiest') why = 'the ones with the most edges (no cycle, no lock held)';
  else {
    const parts: string[] = [];
    if (cycles.length) parts.push(cycles.length === 1 ? 'the cycle' : 'the cycles');
    if (held.some((h) => shown.has(h)) && task) parts.push(`the locks ${task.comm}/${task.pid} holds`);
    why = `${parts.join(', ')} and their neighbours`;
  }
  const scope: GraphScope = { shown: n, total, text: `showing ${n} of ${total} classes: ${why}`, all: s.ui.graphAll, focus };
  return {
    mode: 'class',
    width: Math.max(width, lay.width),
    height: lay.height,
    nodes,
    edges,
    truncatedNodes: 0,
    caption: classCaption(f),
    scope,
  };
}

/** Node id of a lock instance in the instance view. */
function instanceId(cls: string, instance: string): string {
  return `${cls}@${instance}`;
}

/**
 * The instance view: the lock instances of the components' classes and the order between them.
 * The selected inversion's instance cycle is emphasized when it closes between instances; when it
 * does not, the instance pairs behind its class edges are marked `split`: different instances
 * of the same classes, taken in opposite orders.
 */
export function instanceGraphView(s: PanelViewState, width: number, height: number): GraphView | null {
  const g = s.graph;
  if (!g) return null;
  const f = selectedFinding(s);
  const mine = f?.instances ?? [];
  const closes = f?.instanceCycle === true;
  const key = (e: { from: string; to: string; fromInstance: string; toInstance: string }) =>
    `${instanceId(e.from, e.fromInstance)}\u0000${instanceId(e.to, e.toInstance)}`;
  const marked = new Set(mine.map(key));
  const list = [...g.instances];
  // the finding's own pairs are drawn even when made after the position (they say why it is reported)
  for (const e of mine) if (!list.some((x) => key(x) === key(e))) list.push({ ...e, eventIndex: -1 });
  const emphasized: string[] = [];
  for (const e of mine)
    for (const id of [instanceId(e.from, e.fromInstance), instanceId(e.to, e.toInstance)])
      if (!emphasized.includes(id)) emphasized.push(id);
  const ids: string[] = [];
  for (const e of list)
    for (const id of [instanceId(e.from, e.fromInstance), instanceId(e.to, e.toInstance)]) if (!ids.includes(id)) ids.push(id);
  const order = circleSlots(
    emphasized.filter((id) => ids.includes(id)),
    ids.filter((id) => !emphasized.includes(id)),
  );
  const pos = circlePositions(order, width, height);
  const nodes = nodeViews(order, pos, width, height, closes ? emphasized : [], (id) => {
    const at = id.lastIndexOf('@');
    return [id.slice(0, at), id.slice(at + 1)];
  });
  const has = new Set(list.map(key));
  const centre = { x: width / 2, y: height / 2 };
  const edges: GraphEdgeView[] = list.map((e) => {
    const a = instanceId(e.from, e.fromInstance);
    const b = instanceId(e.to, e.toInstance);
    const isMine = marked.has(key(e));
    return {
      from: a,
      to: b,
      ...edgeGeometry(pos.get(a) ?? centre, pos.get(b) ?? centre, has.has(`${b}\u0000${a}`)),
      label: `line ${e.line}`,
      title: `${e.from} (${e.fromInstance}) → ${e.to} (${e.toInstance}): first made at line ${e.line}`,
      inCycle: isMine && closes,
      crossSyscall: false,
      guarded: false,
      split: isMine && f?.instanceCycle === false,
      seek: e.eventIndex >= 0 ? { index: e.eventIndex } : { line: e.line },
    };
  });
  let caption: string;
  if (!f?.cycleId)
    caption = ids.length ? 'lock instances of the classes in cycles' : 'no cycle between classes yet: nothing to show between instances';
  else if (f.instanceCycle === true)
    caption = `${f.cycleId} closes between the same locks: ${[...mine.map((e) => `${e.from} ${e.fromInstance}`), mine.length ? `${mine[0].from} ${mine[0].fromInstance}` : ''].filter(Boolean).join(' → ')}: a deadlock candidate`;
  else if (f.instanceCycle === false)
    caption = `${f.cycleId}: only different instances of its classes were taken in opposite orders — no cycle between the locks themselves`;
  else caption = `${f.cycleId}: whether it closes between instances is not known (too many instance pairs)`;
  return { mode: 'instance', width, height, nodes, edges, truncatedNodes: 0, caption };
}

/** The lock graph compared with another trace: new, gone and unchanged edges between the classes that changed. */
export function diffGraphView(s: PanelViewState, width: number, height: number): GraphView | null {
  const d = s.diff;
  if (!d) return null;
  const newCycles = d.cycles.filter((c) => c.status === 'new');
  const emphasized: string[] = [];
  for (const c of newCycles) for (const id of c.path) if (!emphasized.includes(id)) emphasized.push(id);
  const ids: string[] = [];
  for (const e of d.edges) for (const id of [e.from, e.to]) if (!ids.includes(id)) ids.push(id);
  const order = circleSlots(
    emphasized.filter((id) => ids.includes(id)),
    ids.filter((id) => !emphasized.includes(id)),
  );
  const pos = circlePositions(order, width, height);
  const nodes = nodeViews(order, pos, width, height, emphasized);
  const has = new Set(d.edges.map((e) => `${e.from}\u0000${e.to}`));
  const inNewCycle = (e: { from: string; to: string }) =>
    newCycles.some((c) => c.path.some((from, k) => from === e.from && c.path[(k + 1) % c.path.length] === e.to));
  const centre = { x: width / 2, y: height / 2 };
  const here = s.trace?.name ?? 'this trace';
  const edges: GraphEdgeView[] = d.edges.map((e) => {
    const where = e.status === 'gone' ? d.otherName : here;
    const via = workText(e.via);
    return {
      from: e.from,
      to: e.to,
      ...edgeGeometry(pos.get(e.from) ?? centre, pos.get(e.to) ?? centre, has.has(`${e.to}\u0000${e.from}`)),
      label: `${e.status === 'new' ? '+' : e.status === 'gone' ? '−' : ''}${e.syscall ?? (e.via?.queued?.syscall ? `via ${e.via.queued.syscall}` : 'userspace')}:${e.line}`,
      title: `${e.from} → ${e.to}: ${e.status === 'new' ? `new in ${here}` : e.status === 'gone' ? `gone: only in ${d.otherName}` : 'in both traces'}, made at line ${e.line} of ${where} by ${e.comm}/${e.pid}${e.syscall ? ` in ${e.syscall}` : ''}${via ? ` ${via}` : ''}`,
      inCycle: e.status !== 'gone' && inNewCycle(e),
      crossSyscall: false,
      guarded: false,
      split: false,
      status: e.status,
      // a gone edge is not in this trace: its line is the other trace's, nothing to move to here
      seek: e.status === 'gone' ? { index: s.replay?.index ?? 0 } : { line: e.line },
    };
  });
  const c = d.counts;
  const caption = `compared with ${d.otherName}: edges ${c.edges.new} new, ${c.edges.gone} gone, ${c.edges.unchanged} unchanged; cycles ${c.cycles.new} new, ${c.cycles.gone} gone, ${c.cycles.unchanged} unchanged${d.truncatedEdges ? ` (${d.truncatedEdges} edges not drawn)` : ''}`;
  return { mode: 'diff', width, height, nodes, edges, truncatedNodes: 0, caption };
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

// Host side of the lock panel: turns an Analysis (its event store, findings, lock graph and replay
// checkpoints) and a position into the panel protocol's payloads. Timeline windows are computed
// from the store for the requested range only, replaying from the nearest checkpoint, and are
// aggregated into buckets when the range is too large to draw event by event (summed from the
// block pyramid of ./summary.ts, so every zoom level of a 10M-event trace costs milliseconds).
// Pure: runs in the extension host and in tests.

import { Analysis, EventFlag, EventKind, EventStore, GraphDiff, LockComponent, Replay, componentsOf } from '../core';
import { PERF_TRACER_CLASSES, isNoCheckClass } from '../core/analysis/kernelClasses';
import { holdContext, holdNode } from '../core/analysis/replay';
import { Held, HeldFlag, LockState, StateHooks, TaskState, findHeld } from '../core/analysis/state';
import { ActivitySummary, BucketSink, DIRECT_MAX_EVENTS } from './summary';
import {
  ComponentBody,
  DiffEdgeBody,
  DiffStatus,
  GraphDiffView,
  GraphEdge,
  GraphNode,
  LockBar,
  LockGraphView,
  WaitBar,
  SeekTarget,
  SyscallBar,
  TIMELINE_DETAIL_MAX_EVENTS,
  TIMELINE_MAX_BUCKETS,
  TIMELINE_MAX_LANES,
  TaskFilter,
  TimelineBuckets,
  TimelineLane,
  TimelineWindow,
  TraceSummary,
} from '../protocol/panel';
import { encodeFinding, encodeInstanceEdge, encodeReplayState, encodeWorkOrigin } from '../protocol/encode';
import type { ReplayStateBody } from '../protocol/replayState';

/**
 * Lock classes sent at most (classes of the findings' cycles are always kept, then the classes
 * with the most edges). The webview shows a focused subset of a large graph and all of these on
 * request (media/src/graphFocus.ts); real kernel traces have 10^2–10^4 classes.
 */
export const GRAPH_MAX_NODES = 120;
/** Edges of a diff view drawn at most (new and gone ones first). */
export const DIFF_MAX_EDGES = 96;

export interface TimelineRequest {
  requestId: number;
  from: number;
  to: number;
  /** Pixels available: the bucket count of an aggregated window. */
  width: number;
  tasks: TaskFilter;
}

/** Whether a task passes the filter text (substring of comm or pid, case-insensitive). */
export function taskMatches(filter: TaskFilter, taskId: number, pid: number, comm: string): boolean {
  if (filter.pinned.includes(taskId)) return true;
  const q = filter.text.trim().toLowerCase();
  if (!q) return true;
  return comm.toLowerCase().includes(q) || String(pid).includes(q);
}

export class PanelModel {
  readonly replay: Replay;
  /** Per-block activity for aggregated windows, computed lazily. */
  readonly activity: ActivitySummary;
  /** For each kernel lock wait (in order of their begin): the latest end of it and every wait before it. */
  private waitReach: Int32Array | null = null;

  constructor(
    readonly analysis: Analysis,
    /** Path or URI string of the trace, echoed to the webview. */
    readonly path: string,
  ) {
    this.replay = new Replay(analysis);
    this.activity = new ActivitySummary(analysis);
  }

  get store(): EventStore {
    return this.analysis.store;
  }

  summary(): TraceSummary {
    const s = this.store;
    return {
      path: this.path,
      name: this.path.split(/[\\/]/).pop() ?? this.path,
      totalEvents: s.length,
      firstLine: s.length ? s.line[0] : 0,
      lastLine: s.length ? s.line[s.length - 1] : 0,
      tasks: s.tasks.map((t) => ({ taskId: t.id, pid: t.pid, comm: t.comm, firstEvent: t.firstEvent })),
      findings: this.analysis.findings.map(encodeFinding),
      ...(s.format === 'kernel-log' ? { kernelLog: true } : {}),
      components: componentsOf(this.analysis, this.analysis.findings).map(encodeComponent),
    };
  }

  /** Clamped event index for a seek target (a line maps to the first event at or after it). */
  resolve(target: SeekTarget): number {
    const s = this.store;
    if (s.length === 0) return 0;
    let i: number;
    if ('index' in target) i = target.index;
    else {
      i = s.eventAtOrAfterLine(target.line);
      if (i < 0) i = s.length - 1;
    }
    return Math.max(0, Math.min(Math.floor(i), s.length - 1));
  }

  /** The replay state after event `index`, in the same shape the debug adapter publishes. */
  stateAt(index: number): ReplayStateBody {
    return encodeReplayState({
      ...this.replay.view(index),
      path: this.path,
      totalEvents: this.store.length,
      totalFindings: this.analysis.findings.length,
    });
  }

  /** Lock classes and ordering edges made at or before `upTo`. */
  graph(upTo: number): LockGraphView {
    const g = this.analysis.graph;
    const keep = new Set<string>();
    for (const f of this.analysis.findings) {
      if (f.eventIndex > upTo || !f.cycle) continue;
      for (const e of f.cycle) keep.add(e.from).add(e.to);
    }
    const degree = new Map<string, number>();
    g.forEachEdge((_k, a, from, to) => {
      if (a.eventIndex > upTo) return;
      degree.set(from, (degree.get(from) ?? 0) + 1).set(to, (degree.get(to) ?? 0) + 1);
    });
    const perf = this.store.format === 'perf';
    const seen: GraphNode[] = [];
    g.forEachNode((id, a) => {
      if (a.firstEvent > upTo) return;
      // check=0 maps (rcu_read_lock, SRCU, the tracer's own locks) take part in no dependency: not lock-order nodes
      if (!degree.has(id) && (isNoCheckClass(id) || (perf && PERF_TRACER_CLASSES.has(id)))) return;
      seen.push({ id, acquisitions: a.acquisitions, firstEvent: a.firstEvent });
    });
    let nodes = seen;
    if (seen.length > GRAPH_MAX_NODES) {
      const rest = seen
        .filter((n) => !keep.has(n.id))
        .sort((a, b) => (degree.get(b.id) ?? 0) - (degree.get(a.id) ?? 0) || b.acquisitions - a.acquisitions);
      const room = Math.max(0, GRAPH_MAX_NODES - keep.size);
      const chosen = new Set([...keep, ...rest.slice(0, room).map((n) => n.id)]);
      nodes = seen.filter((n) => chosen.has(n.id));
    }
    nodes.sort((a, b) => a.firstEvent - b.firstEvent || a.id.localeCompare(b.id));
    const ids = new Set(nodes.map((n) => n.id));
    const edges: GraphEdge[] = [];
    g.forEachEdge((_k, a, from, to) => {
      if (a.eventIndex > upTo || !ids.has(from) || !ids.has(to)) return;
      edges.push({
        from,
        to,
        eventIndex: a.eventIndex,
        line: a.line,
        pid: a.pid,
        comm: a.comm,
        syscall: a.syscall,
        fromLine: a.fromLine,
        fromSyscall: a.fromSyscall,
        crossSyscall: a.crossSyscall,
        ...(a.via ? { via: encodeWorkOrigin(a.via) } : {}),
        count: a.count,
        ...(a.context ? { context: a.context.label } : {}),
      });
    });
    edges.sort((a, b) => a.eventIndex - b.eventIndex);
    const instances = (this.analysis.instanceEdges ?? [])
      .filter((e) => e.eventIndex <= upTo && ids.has(e.from) && ids.has(e.to))
      .map((e) => ({ ...encodeInstanceEdge(e), eventIndex: e.eventIndex }));
    return { upTo, nodes, edges, truncatedNodes: seen.length - nodes.length, instances };
  }

  /**
   * The diff view of this trace's lock graph against another recording's (`diff` from the core's
   * diffAnalyses, this trace being `shownIsNew ? new : old`): every new and gone edge, and the
   * unchanged edges between their classes, at most DIFF_MAX_EDGES.
   */
  diffView(diff: GraphDiff, other: { name: string; path: string }, shownIsNew: boolean): GraphDiffView {
    const shown = shownIsNew ? 'new' : 'old';
    const body = (status: DiffStatus, e: GraphDiff['edges']['new'][number]): DiffEdgeBody => {
      const w = (status === 'gone' ? e.old : status === 'new' ? e.new : e[shown]) ?? e.new ?? e.old;
      return {
        from: e.from,
        to: e.to,
        status,
        line: w?.line ?? 0,
        pid: w?.pid ?? -1,
        comm: w?.comm ?? '',
        syscall: w?.syscall ?? null,
        ...(w?.via ? { via: encodeWorkOrigin(w.via) } : {}),
        count: w?.count ?? 0,
      };
    };
    const changed = [...diff.edges.new.map((e) => body('new', e)), ...diff.edges.gone.map((e) => body('gone', e))];
    const classes = new Set(changed.flatMap((e) => [e.from, e.to]));
    for (const c of [...diff.cycles.new, ...diff.cycles.gone]) for (const n of c.path) classes.add(n);
    const same = diff.edges.unchanged.filter((e) => classes.has(e.from) && classes.has(e.to)).map((e) => body('unchanged', e));
    const all = [...changed, ...same];
    const edges = all.slice(0, DIFF_MAX_EDGES);
    const cycle = (status: DiffStatus, c: GraphDiff['cycles']['new'][number]) => ({
      cycleId: c.cycleId,
      path: c.path.slice(),
      status,
      line: (status === 'gone' ? c.old?.line : status === 'new' ? c.new?.line : c[shown]?.line) ?? 0,
    });
    return {
      otherName: other.name,
      otherPath: other.path,
      shownIsNew,
      counts: {
        edges: { new: diff.edges.new.length, gone: diff.edges.gone.length, unchanged: diff.edges.unchanged.length },
        cycles: { new: diff.cycles.new.length, gone: diff.cycles.gone.length, unchanged: diff.cycles.unchanged.length },
      },
      edges,
      cycles: [
        ...diff.cycles.new.map((c) => cycle('new', c)),
        ...diff.cycles.gone.map((c) => cycle('gone', c)),
        ...diff.cycles.unchanged.map((c) => cycle('unchanged', c)),
      ],
      truncatedEdges: all.length - edges.length,
    };
  }

  /** The swimlane timeline over events [from, to): bars when small enough, buckets otherwise. */
  timeline(req: TimelineRequest): TimelineWindow {
    const s = this.store;
    const n = s.length;
    const from = clamp(Math.floor(req.from), 0, Math.max(0, n - 1));
    const to = clamp(Math.ceil(req.to), Math.min(n, from + 1), n);
    const detail = to - from <= TIMELINE_DETAIL_MAX_EVENTS;
    const st = this.activity.takeState(from);
    const { lanes, hidden } = this.pickLanes(st, from, to, req.tasks);
    const win: TimelineWindow = {
      requestId: req.requestId,
      from,
      to,
      mode: detail ? 'detail' : 'aggregate',
      totalEvents: n,
      lanes,
      hiddenLanes: hidden,
      buckets: null,
    };
    if (n === 0) return win;
    if (detail) {
      if (lanes.length) {
        this.fillDetail(st, win);
        this.fillWaits(win);
      }
    } else win.buckets = this.fillBuckets(st, win, clamp(Math.floor(req.width) || 1, 1, TIMELINE_MAX_BUCKETS));
    return win;
  }

  /**
   * Bucket size for a window of `span` events drawn in `width` pixels: the smallest power of two
   * giving at most one bucket per pixel; windows replayed in full aside, at least the finest block.
   */
  static bucketSize(span: number, width: number): number {
    let size = 2 ** Math.max(0, Math.ceil(Math.log2(span / width)));
    if (span > DIRECT_MAX_EVENTS) size = Math.max(size, 256);
    return size;
  }

  private pickLanes(st: LockState, from: number, to: number, filter: TaskFilter): { lanes: TimelineLane[]; hidden: number } {
    const s = this.store;
    const active = new Uint8Array(s.tasks.length);
    for (let k = 0; k < st.tasks.length; k++) {
      const t = st.tasks[k];
      if (t && !t.exited && (t.held.length > 0 || t.sys >= 0)) active[k] = 1;
    }
    this.activity.markActive(from, to, active);
    const pinned = filter.pinned.filter((id) => id >= 0 && id < s.tasks.length);
    const order: number[] = [...pinned];
    let total = 0;
    for (let k = 0; k < s.tasks.length; k++) {
      if (!active[k]) continue;
      total++;
      const info = s.tasks[k];
      if (!pinned.includes(k) && taskMatches(filter, k, info.pid, info.comm)) order.push(k);
    }
    const chosen = order.slice(0, TIMELINE_MAX_LANES);
    const lanes = chosen.map((k) => ({
      taskId: k,
      pid: s.tasks[k].pid,
      comm: s.tasks[k].comm,
      syscalls: [],
      locks: [],
      waits: [],
      maxDepth: 0,
    }));
    const shownActive = chosen.filter((k) => active[k]).length;
    return { lanes, hidden: total - shownActive };
  }

  private fillDetail(st: LockState, win: TimelineWindow): void {
    const s = this.store;
    const laneOf = new Map<number, TimelineLane>(win.lanes.map((l) => [l.taskId, l]));
    const bars = new Map<Held, LockBar>();
    const openSys = new Map<number, SyscallBar>();
    const openLock = (lane: TimelineLane, h: Held, depth: number, start: number): void => {
      const bar: LockBar = {
        lockId: h.lock,
        className: s.classes.get(h.cls),
        node: holdNode(s, h),
        domain: s.locks[h.lock].domain,
        context: holdContext(h),
        sinceBeforeTrace: (h.flags & HeldFlag.PreHeld) !== 0,
        depth,
        start,
        startLine: s.line[start],
        end: null,
        endLine: null,
        read: (h.flags & HeldFlag.Read) !== 0,
        try: (h.flags & HeldFlag.Try) !== 0,
        pending: (h.flags & HeldFlag.Pending) !== 0,
        syscall: h.sysEntry >= 0 ? s.names.get(s.ref[h.sysEntry]) : null,
        acrossSyscall: (h.flags & HeldFlag.Crossed) !== 0,
      };
      bars.set(h, bar);
      lane.locks.push(bar);
      lane.maxDepth = Math.max(lane.maxDepth, depth + 1);
    };
    const close = (h: Held, i: number): void => {
      const bar = bars.get(h);
      if (!bar) return;
      bar.end = i;
      bar.endLine = s.line[i];
      bars.delete(h);
    };
    const closeSys = (taskId: number, i: number): void => {
      const bar = openSys.get(taskId);
      if (!bar) return;
      bar.exit = i;
      bar.exitLine = s.line[i];
      openSys.delete(taskId);
    };
    const openSyscall = (lane: TimelineLane, t: TaskState, at: number): void => {
      const enter = t.sysEntry >= 0 ? t.sysEntry : at;
      const bar: SyscallBar = {
        name: s.names.get(t.sys),
        nr: t.sysEntry >= 0 ? s.num[t.sysEntry] : -1,
        enter,
        enterLine: s.line[enter],
        exit: null,
        exitLine: null,
        sinceBeforeTrace: false,
      };
      openSys.set(lane.taskId, bar);
      lane.syscalls.push(bar);
    };
    // a syscall the task was in when the trace began: from its first event to the exit
    const openAtStart = (lane: TimelineLane, first: number): void => {
      const exit = this.replay.syscallAtStart(lane.taskId);
      if (exit < first || openSys.has(lane.taskId)) return;
      const bar: SyscallBar = {
        name: s.names.get(s.ref[exit]),
        nr: -1,
        enter: first,
        enterLine: s.line[first],
        exit: null,
        exitLine: null,
        sinceBeforeTrace: true,
      };
      openSys.set(lane.taskId, bar);
      lane.syscalls.push(bar);
    };
    // what is already going on when the window opens
    for (const lane of win.lanes) {
      const t = st.tasks[lane.taskId];
      if (!t || t.exited) continue;
      if (t.sys >= 0) openSyscall(lane, t, win.from);
      else if (t.last >= 0 && this.replay.syscallAtStart(lane.taskId) >= win.from) openAtStart(lane, s.tasks[lane.taskId].firstEvent);
      t.held.forEach((h, depth) => openLock(lane, h, depth, h.acq));
    }
    const hooks: StateHooks = {
      acquire: (t, taskId, i, h) => {
        const lane = laneOf.get(taskId);
        if (lane) openLock(lane, h, t.held.length, i);
      },
      preHeld: (t, taskId, i, h) => {
        const lane = laneOf.get(taskId);
        if (lane) openLock(lane, h, t.held.length, i);
      },
      dropped: (_t, taskId, i, h) => {
        if (laneOf.has(taskId)) close(h, i);
      },
      sysExit: (t, taskId, i) => {
        if (!laneOf.has(taskId)) return;
        for (const h of t.held) {
          const bar = bars.get(h);
          if (bar && !(h.flags & HeldFlag.Pending)) bar.acrossSyscall = true;
        }
        closeSys(taskId, i);
      },
      exit: (t, taskId, i) => {
        if (!laneOf.has(taskId)) return;
        for (const h of t.held) close(h, i);
        closeSys(taskId, i);
      },
    };
    for (let i = win.from; i < win.to; i++) {
      const taskId = s.task[i];
      const lane = laneOf.get(taskId);
      if (lane && (st.tasks[taskId]?.last ?? -1) < 0) openAtStart(lane, i);
      if (lane && !(s.flags[i] & EventFlag.Duplicate)) {
        const t = st.task(taskId);
        const kind = s.kind[i] as EventKind;
        if (kind === EventKind.Release || kind === EventKind.AcquireFailed) {
          const j = findHeld(t, s.ref[i]);
          if (j >= 0 && (kind === EventKind.Release || t.held[j].flags & HeldFlag.Pending)) close(t.held[j], i);
        } else if (kind === EventKind.Acquired) {
          const j = findHeld(t, s.ref[i]);
          const bar = j >= 0 ? bars.get(t.held[j]) : undefined;
          if (bar) bar.pending = false;
        }
      }
      st.step(hooks);
      // a sys_enter without a matching exit (lost event) ends the previous bar here
      if (lane && s.kind[i] === EventKind.SysEnter && !(s.flags[i] & EventFlag.Duplicate)) {
        closeSys(taskId, i);
        openSyscall(lane, st.task(taskId), i);
      }
    }
  }

  /**
   * The kernel lock waits (Analysis.contention) of the window's lanes that overlap [from, to).
   * Waits are in order of their begin; a running maximum of their ends bounds the backward scan.
   */
  private fillWaits(win: TimelineWindow): void {
    const waits = this.analysis.contention?.waits;
    if (!waits?.length) return;
    const s = this.store;
    if (!this.waitReach) {
      const reach = new Int32Array(waits.length);
      let far = -1;
      waits.forEach((w, k) => (reach[k] = far = Math.max(far, w.end >= 0 ? w.end : w.begin)));
      this.waitReach = reach;
    }
    const reach = this.waitReach;
    const laneOf = new Map<number, TimelineLane>(win.lanes.map((l) => [l.taskId, l]));
    // the first wait that begins at or after the window's end
    let lo = 0;
    let hi = waits.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (waits[mid].begin < win.to) lo = mid + 1;
      else hi = mid;
    }
    for (let k = lo - 1; k >= 0 && reach[k] >= win.from; k--) {
      const w = waits[k];
      const lane = laneOf.get(w.task);
      if (!lane || (w.end >= 0 ? w.end : w.begin) < win.from) continue;
      const bar: WaitBar = {
        className: s.className(w.lock),
        begin: w.begin,
        beginLine: s.line[w.begin],
        end: w.end >= 0 ? w.end : null,
        endLine: w.end >= 0 ? s.line[w.end] : null,
        seconds: Number.isFinite(w.seconds) ? w.seconds : null,
        syscall: w.sysEntry >= 0 ? s.names.get(s.ref[w.sysEntry]) : null,
        caller: w.caller,
      };
      lane.waits.push(bar);
    }
    for (const lane of win.lanes) lane.waits.reverse();
  }

  private fillBuckets(st: LockState, win: TimelineWindow, width: number): TimelineBuckets {
    const size = PanelModel.bucketSize(win.to - win.from, width);
    const start = Math.floor(win.from / size) * size;
    const count = Math.ceil((win.to - start) / size);
    const cells = win.lanes.length * count;
    const laneOf = new Int32Array(this.store.tasks.length).fill(-1);
    win.lanes.forEach((l, k) => (laneOf[l.taskId] = k));
    const sink: BucketSink = {
      laneOf,
      count,
      events: new Uint32Array(cells),
      inSys: new Uint32Array(cells),
      depth: new Uint8Array(cells),
      leak: new Uint8Array(cells),
    };
    // lane height: the stacks held when the window opens count too
    win.lanes.forEach((l) => (l.maxDepth = Math.min(255, st.tasks[l.taskId]?.held.length ?? 0)));
    if (cells) this.activity.fill(st, win.from, win.to, start, size, sink);
    win.lanes.forEach((l, k) => {
      for (let b = k * count; b < (k + 1) * count; b++) if (sink.depth[b] > l.maxDepth) l.maxDepth = sink.depth[b];
    });
    return { size, start, count, events: sink.events, inSyscall: sink.inSys, maxDepth: sink.depth, leak: sink.leak };
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.max(lo, Math.min(hi, x));
}

/** A component as the panel protocol has it. */
function encodeComponent(c: LockComponent): ComponentBody {
  const out: ComponentBody = {
    id: c.id,
    classes: c.classes.slice(),
    edges: c.edges,
    line: c.line,
    cycles: c.cycles.map((y) => ({
      cycleId: y.cycleId,
      path: y.path.slice(),
      line: y.line,
      reported: y.reported,
      instanceCycle: y.instanceCycle,
      ...(y.guardedBy ? { guardedBy: y.guardedBy.slice() } : {}),
    })),
  };
  if (c.truncated) out.truncated = true;
  return out;
}

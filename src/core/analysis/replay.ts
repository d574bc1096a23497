// Replay engine: the lock state of every task at any event, rebuilt from the nearest checkpoint
// the analysis left, so seeking backwards costs the same as forwards. Produces plain view records
// for the debug adapter, the panel and the editor.

import { EventStore } from '../store';
import { Ctx, EdgeOrigin, EventFlag, EventKind, Finding, LockDomain } from '../types';
import { Analysis } from './analyzer';
import { Held, HeldFlag, LockState } from './state';

export interface HeldLockView {
  lockId: number;
  /** Lock identity (address, file). */
  lock: string;
  className: string;
  domain: LockDomain;
  read: boolean;
  try: boolean;
  /** Still waiting for it (blocking acquisition not yet returned). */
  pending: boolean;
  /** A syscall returned to userspace while it was held. */
  acrossSyscall: boolean;
  /** Held since before the trace began (its release was seen, its acquisition was not). */
  sinceBeforeTrace: boolean;
  /** The context it was taken in (kernel traces with latency flags). */
  context: 'process' | 'softirq' | 'hardirq';
  /** The graph node it counts as: its class, or `class/N` when nested in another instance. */
  node: string;
  eventIndex: number;
  line: number;
  /** Syscall that acquired it (null: userspace / unknown) and that syscall's entry line. */
  syscall: string | null;
  syscallLine: number | null;
}

export interface SyscallView {
  name: string;
  /** -1 when unknown (entered before the trace began). */
  nr: number;
  /** The sys_enter event and its line; -1 and 0 for a syscall entered before the trace began. */
  eventIndex: number;
  line: number;
}

export interface TaskView {
  taskId: number;
  pid: number;
  comm: string;
  /** Outermost first. */
  held: HeldLockView[];
  syscall: SyscallView | null;
  exited: boolean;
  /** This task's last event at or before the position, or -1. */
  lastEvent: number;
}

export interface ReplayView {
  /** The current event: the state includes its effect. */
  index: number;
  line: number;
  taskId: number;
  tasks: TaskView[];
  findingsSoFar: Finding[];
}

/** The context a hold was taken in (lockdep's irq_context). */
export function holdContext(h: Held): HeldLockView['context'] {
  return h.irq & Ctx.Hardirq ? 'hardirq' : h.irq & Ctx.Softirq ? 'softirq' : 'process';
}

/** The lock-graph node a hold counts as: its class, or `class/N` for a nested kernel instance. */
export function holdNode(s: EventStore, h: Held): string {
  const lock = s.locks[h.lock];
  const cls = s.classes.get(lock.classId);
  return h.sub > 0 && lock.domain === 'kernel' ? `${cls}/${h.sub}` : cls;
}

export class Replay {
  private readonly state: LockState;
  /** Sorted event indices of findings, for reverse/forward searches. */
  readonly findingEvents: number[];

  constructor(readonly analysis: Analysis) {
    this.state = new LockState(analysis.store, analysis.model);
    this.findingEvents = analysis.findings.map((f) => f.eventIndex).sort((a, b) => a - b);
  }

  get store(): EventStore {
    return this.analysis.store;
  }

  /** Brings the internal state to "after event `index`". */
  seek(index: number): LockState {
    const n = this.store.length;
    if (n === 0) return this.state;
    const target = Math.max(0, Math.min(index, n - 1)) + 1;
    const st = this.state;
    const { checkpoints, checkpointInterval } = this.analysis;
    const cp = Math.min(Math.floor((target - 1) / checkpointInterval), checkpoints.length - 1);
    const cpPos = checkpoints[cp][0];
    // reuse the current state when it is between the checkpoint and the target.
    if (!(st.position >= cpPos && st.position <= target)) st.restore(checkpoints[cp]);
    while (st.position < target) st.step();
    return st;
  }

  view(index: number): ReplayView {
    const s = this.store;
    const st = this.seek(index);
    const i = Math.max(0, Math.min(index, s.length - 1));
    const tasks: TaskView[] = [];
    for (let k = 0; k < s.tasks.length; k++) {
      const info = s.tasks[k];
      if (info.firstEvent > i) continue;
      tasks.push(this.taskView(k, st));
    }
    return {
      index: i,
      line: s.length ? s.line[i] : 0,
      taskId: s.length ? s.task[i] : 0,
      tasks,
      findingsSoFar: this.analysis.findings.filter((f) => f.eventIndex <= i),
    };
  }

  /**
   * Per task: the exit event of the syscall it was in when the trace began (its first syscall
   * boundary is an exit), or -1. Computed once, on first use.
   */
  private exitsBeforeEntry: Int32Array | null = null;

  /**
   * The exit of the syscall task `taskId` was in when the trace began, or -1: the trace shows its
   * exit but not its entry (the shared samples begin inside the tracer's own `write`).
   */
  syscallAtStart(taskId: number): number {
    if (!this.exitsBeforeEntry) {
      const s = this.store;
      const first = new Int32Array(s.tasks.length).fill(-2);
      for (let i = 0; i < s.length; i++) {
        const k = s.kind[i];
        if ((k !== EventKind.SysEnter && k !== EventKind.SysExit) || s.flags[i] & EventFlag.Duplicate) continue;
        if (first[s.task[i]] === -2) first[s.task[i]] = k === EventKind.SysExit ? i : -1;
      }
      for (let k = 0; k < first.length; k++) if (first[k] === -2) first[k] = -1;
      this.exitsBeforeEntry = first;
    }
    return this.exitsBeforeEntry[taskId] ?? -1;
  }

  /** One task at the current state (call after seek). */
  taskView(taskId: number, st: LockState = this.state): TaskView {
    const s = this.store;
    const info = s.tasks[taskId];
    const t = st.tasks[taskId];
    // before the exit of a syscall entered before the trace, the task is in it (entry unknown)
    const startExit = t && t.sys < 0 && !t.exited ? this.syscallAtStart(taskId) : -1;
    return {
      taskId,
      pid: info.pid,
      comm: info.comm,
      held: t ? t.held.map((h) => this.heldView(h)) : [],
      syscall:
        t && t.sys >= 0
          ? {
              name: s.names.get(t.sys),
              nr: t.sysEntry >= 0 ? s.num[t.sysEntry] : -1,
              eventIndex: t.sysEntry,
              line: t.sysEntry >= 0 ? s.line[t.sysEntry] : 0,
            }
          : startExit >= st.position
            ? { name: s.names.get(s.ref[startExit]), nr: -1, eventIndex: -1, line: 0 }
            : null,
      exited: t ? t.exited : false,
      lastEvent: t ? t.last : -1,
    };
  }

  private heldView(h: Held): HeldLockView {
    const s = this.store;
    const lock = s.locks[h.lock];
    return {
      lockId: h.lock,
      lock: lock.key,
      className: s.classes.get(lock.classId),
      domain: lock.domain,
      read: (h.flags & HeldFlag.Read) !== 0,
      try: (h.flags & HeldFlag.Try) !== 0,
      pending: (h.flags & HeldFlag.Pending) !== 0,
      acrossSyscall: (h.flags & HeldFlag.Crossed) !== 0,
      sinceBeforeTrace: (h.flags & HeldFlag.PreHeld) !== 0,
      context: holdContext(h),
      node: holdNode(s, h),
      eventIndex: h.acq,
      line: s.line[h.acq],
      syscall: h.sysEntry >= 0 ? s.names.get(s.ref[h.sysEntry]) : null,
      syscallLine: h.sysEntry >= 0 ? s.line[h.sysEntry] : null,
    };
  }

  /**
   * The release event of a lock a task held since before the trace (the release that showed it,
   * found by the analyzer's first pass), or -1 when the task did not hold it from the start.
   */
  preHeldRelease(taskId: number, lockId: number): number {
    return this.analysis.model.preHeld.get(taskId)?.find((p) => p.lock === lockId)?.release ?? -1;
  }

  /** Tasks holding (or waiting for) a lock class after event `index`. */
  holdersOfClass(className: string, index: number): { task: TaskView; held: HeldLockView }[] {
    const v = this.view(index);
    const out: { task: TaskView; held: HeldLockView }[] = [];
    for (const t of v.tasks) for (const h of t.held) if (h.className === className) out.push({ task: t, held: h });
    return out;
  }

  /** Lock-order edges made at or before `index` that touch `className`. */
  edgesOf(className: string, index = Infinity): EdgeOrigin[] {
    const g = this.analysis.graph;
    if (!g.hasNode(className)) return [];
    const out: EdgeOrigin[] = [];
    g.forEachEdge(className, (_k, a) => {
      if (a.eventIndex <= index) out.push(a);
    });
    return out.sort((a, b) => a.eventIndex - b.eventIndex);
  }

  /** Next event after `from` (exclusive) satisfying `pred`, or -1. */
  findForward(from: number, pred: (i: number) => boolean): number {
    const n = this.store.length;
    for (let i = from + 1; i < n; i++) if (pred(i)) return i;
    return -1;
  }

  findBackward(from: number, pred: (i: number) => boolean): number {
    for (let i = from - 1; i >= 0; i--) if (pred(i)) return i;
    return -1;
  }

  /** Next/previous finding event strictly after/before `from`, or -1. */
  nextFinding(from: number): number {
    const f = this.findingEvents;
    let lo = 0;
    let hi = f.length;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (f[m] <= from) lo = m + 1;
      else hi = m;
    }
    return lo < f.length ? f[lo] : -1;
  }

  prevFinding(from: number): number {
    const f = this.findingEvents;
    let lo = 0;
    let hi = f.length;
    while (lo < hi) {
      const m = (lo + hi) >>> 1;
      if (f[m] < from) lo = m + 1;
      else hi = m;
    }
    return lo > 0 ? f[lo - 1] : -1;
  }

  /** Next event of the same task, or -1. */
  nextOfTask(from: number): number {
    const s = this.store;
    const task = s.task[from];
    return this.findForward(from, (i) => s.task[i] === task);
  }

  prevOfTask(from: number): number {
    const s = this.store;
    const task = s.task[from];
    return this.findBackward(from, (i) => s.task[i] === task);
  }

  /** The exit of the syscall `from`'s task is in (or the release of its innermost lock), or -1. */
  stepOutTarget(from: number): number {
    const s = this.store;
    const st = this.seek(from);
    const task = s.task[from];
    const t = st.tasks[task];
    if (t && t.sys >= 0) {
      return this.findForward(from, (i) => s.task[i] === task && s.kind[i] === EventKind.SysExit);
    }
    if (t && t.held.length > 0) {
      const lock = t.held[t.held.length - 1].lock;
      return this.findForward(from, (i) => s.task[i] === task && s.kind[i] === EventKind.Release && s.ref[i] === lock);
    }
    return -1;
  }
}

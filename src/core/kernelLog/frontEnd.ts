// What the front ends show of a kernel log's synthetic events (docs/kernel-logs.md): where a
// debugger stops when it steps through a report (the title, each `-> #N` edge, each other task's
// held list, and last the reporting task's state), how an event and a held lock are described with
// the log's own context instead of a trace's syscalls, the log stack of an event, the classes a
// report prints, and which frames belong to the locking primitives.

import { EventStore } from '../store';
import { EventFlag, StackFrame } from '../types';
import { baseFunction, frameLabel, isLockingFunction } from './context';
import { KernelEventInfo, KernelLog, KernelReport } from './model';

/** The kernel log a store was read from, or null for a trace. */
export function kernelLogOf(store: EventStore): KernelLog | null {
  return store.kernelLog;
}

/** What event `i` of a kernel log's store stands for (undefined for a trace). */
export function kernelEventInfo(store: EventStore, i: number): KernelEventInfo | undefined {
  return store.kernelLog?.events[i];
}

/** The report event `i` belongs to. */
export function reportOfEvent(store: EventStore, i: number): KernelReport | undefined {
  const log = store.kernelLog;
  const e = log?.events[i];
  return e ? log.reports[e.report] : undefined;
}

/**
 * The events where a debugger stops in a kernel log, in order: every report's title, each chain
 * edge (`-> #N`, its pseudo-task holding the edge's `from` lock and taking its `to` lock), each irq
 * usage, one stop per other task's held list (at its last entry, the task's whole stack), and what
 * the report is about (the reporting task's pending acquisition, return to user space, release,
 * exit or free: its held list is shown there). Derived events (an edge's `from` lock, the locks
 * dropped when a report ends) are never stops. Sorted event indices.
 */
export function kernelLogSteps(store: EventStore): Int32Array {
  const log = store.kernelLog;
  if (!log) return new Int32Array(0);
  const ev = log.events;
  // the reporting task's held list is shown by the report's own last stop when it has one
  const aboutTask = new Map<number, number>();
  ev.forEach((e, i) => {
    if (e.role === 'acquire' || e.role === 'return' || e.role === 'release' || e.role === 'exit' || e.role === 'free')
      aboutTask.set(e.report, store.task[i]);
  });
  const out: number[] = [];
  for (let i = 0; i < ev.length; i++) {
    const e = ev[i];
    if (store.flags[i] & EventFlag.Derived || e.role === 'end' || e.role === 'edge-from') continue;
    if (e.role === 'held') {
      if (aboutTask.get(e.report) === store.task[i]) continue;
      // the last entry of this task's list in this report
      let later = false;
      for (let j = i + 1; j < ev.length && ev[j].report === e.report; j++)
        if (ev[j].role === 'held' && store.task[j] === store.task[i]) {
          later = true;
          break;
        }
      if (later) continue;
    }
    out.push(i);
  }
  return Int32Array.from(out);
}

/** The next stop after `from` (exclusive) in `steps`, or -1. */
export function nextStep(steps: Int32Array, from: number): number {
  let lo = 0;
  let hi = steps.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (steps[m] <= from) lo = m + 1;
    else hi = m;
  }
  return lo < steps.length ? steps[lo] : -1;
}

/** The previous stop before `from` (exclusive) in `steps`, or -1. */
export function prevStep(steps: Int32Array, from: number): number {
  let lo = 0;
  let hi = steps.length;
  while (lo < hi) {
    const m = (lo + hi) >>> 1;
    if (steps[m] < from) lo = m + 1;
    else hi = m;
  }
  return lo > 0 ? steps[lo - 1] : -1;
}

/** The last stop of the report event `from` is in (the reporting task's state), or -1 when `from` is at or past it. */
export function lastStepOfReport(store: EventStore, steps: Int32Array, from: number): number {
  const ev = store.kernelLog?.events;
  if (!ev?.[from]) return -1;
  const report = ev[from].report;
  let last = -1;
  for (let k = nextStep(steps, from); k >= 0 && ev[k].report === report; k = nextStep(steps, k)) last = k;
  return last;
}

/** The first and last event of a report (its title … the locks dropped at its end). */
export function reportEventRange(store: EventStore, report: number): { first: number; last: number } | undefined {
  const ev = store.kernelLog?.events;
  if (!ev) return undefined;
  let first = -1;
  let last = -1;
  for (let i = 0; i < ev.length; i++) {
    if (ev[i].report !== report) continue;
    if (first < 0) first = i;
    last = i;
  }
  return first < 0 ? undefined : { first, last };
}

/** The stack the log prints for event `i` (innermost first); an edge's `from` lock shares its edge's stack. */
export function kernelStackOf(store: EventStore, i: number): StackFrame[] | undefined {
  const log = store.kernelLog;
  const e = log?.events[i];
  if (!e) return undefined;
  if (e.stack?.length) return e.stack;
  if (e.role === 'edge-from') {
    for (let j = i + 1; j < log.events.length && log.events[j].report === e.report; j++) {
      const x = log.events[j];
      if (x.role === 'edge' && x.edge === e.edge) return x.stack;
    }
  }
  return undefined;
}

/** The context label of event `i` (`syscall ioctl`, `workqueue vdev_reset_work`), or its edge's for an edge's `from` lock. */
function contextLabel(store: EventStore, i: number): string | undefined {
  const log = store.kernelLog;
  const e = log?.events[i];
  if (!e) return undefined;
  if (e.context) return e.context.label;
  if (e.role === 'edge-from') {
    for (let j = i + 1; j < log.events.length && log.events[j].report === e.report; j++) {
      const x = log.events[j];
      if (x.role === 'edge' && x.edge === e.edge) return x.context?.label;
    }
  }
  if (e.role === 'held') {
    // a held list's lock: the context its task is in when the report is printed (its backtrace)
    for (let j = i + 1; j < log.events.length && log.events[j].report === e.report; j++) {
      const x = log.events[j];
      if (x.context && store.task[j] === store.task[i]) return x.context.label;
    }
  }
  return undefined;
}

/** The acquisition site the log prints for a lock (`, at: lockseed_ioctl+0xe5/0x530`), the innermost caller's. */
function atSite(store: EventStore, i: number): string | undefined {
  const e = store.kernelLog?.events[i];
  if (!e) return undefined;
  const stack = e.role === 'held' ? e.stack : undefined;
  if (stack?.length) return frameLabel(stack[stack.length - 1]);
  const s = kernelStackOf(store, i);
  const site = s?.find((f) => !f.unreliable && !isLockingFunction(f.fn));
  return site ? frameLabel(site) : undefined;
}

/**
 * One line about event `i` of a kernel log for the debugger's top frame and its Event scope:
 * `WARNING: possible circular locking dependency detected`, `-> #2 takes &vq->state_lock in workqueue
 * vdev_reset_work (holding (wq_completion)vdev_wq)`, `holds &vq->state_lock (held list #0)`,
 * `trying to acquire &dev->cfg_mutex in syscall write`. Undefined for a trace.
 */
export function kernelEventLabel(store: EventStore, i: number): string | undefined {
  const log = store.kernelLog;
  const e = log?.events[i];
  if (!e) return undefined;
  const r = log.reports[e.report];
  const lock = (): string => store.className(store.ref[i]);
  const ctx = contextLabel(store, i);
  const inCtx = ctx ? ` in ${ctx}` : '';
  switch (e.role) {
    case 'title':
      return r.title;
    case 'edge': {
      let from: string | undefined;
      for (let j = i - 1; j >= 0 && log.events[j].report === e.report; j--)
        if (log.events[j].role === 'edge-from' && log.events[j].edge === e.edge) {
          from = store.className(store.ref[j]);
          break;
        }
      return `-> #${e.edge ?? 0} takes ${lock()}${inCtx}${from ? ` while holding ${from}` : ''}`;
    }
    case 'edge-from':
      return `-> #${e.edge ?? 0} holds ${lock()}`;
    case 'usage':
      return `${store.taskOf(i).comm.replace(/ .*/, '')} ${lock()}${inCtx}`;
    case 'held':
      return `holds ${lock()}${atSite(store, i) ? ` (taken at ${atSite(store, i)})` : ''}`;
    case 'acquire':
      return `${store.flags[i] & EventFlag.Pending ? 'trying to acquire' : 'acquires'} ${lock()}${inCtx}`;
    case 'release':
      return `releases ${lock()}, which it does not hold${inCtx}`;
    case 'return':
      return `returns to user space with locks held${inCtx}`;
    case 'exit':
      return `exits with locks held${inCtx}`;
    case 'free':
      return `${store.names.get(store.ref[i]) ?? 'frees memory'}${inCtx}`;
    case 'end':
      return `end of the report: drops ${lock()}`;
  }
}

/**
 * How a held lock of a kernel log is described (instead of a trace's "held since SYSCALL"): what
 * the log says about the event that gave it. `held: syscall write, at vdev_write+0x8c/0x2a0`,
 * `-> #2: taken in workqueue vdev_reset_work, at vdev_reset_vq`, `-> #1: held while taking
 * (wq_completion)vdev_wq in syscall ioctl`, `waiting: syscall write, at vdev_write+0x1a4/0x2a0`.
 */
export function kernelHeldLabel(store: EventStore, acquireEvent: number, pending = false): string | undefined {
  const log = store.kernelLog;
  const e = log?.events[acquireEvent];
  if (!e) return undefined;
  const ctx = contextLabel(store, acquireEvent);
  const site = atSite(store, acquireEvent);
  const parts = [ctx, site ? `at ${site}` : undefined].filter(Boolean).join(', ');
  switch (e.role) {
    case 'edge':
      return `-> #${e.edge ?? 0}: taken${ctx ? ` in ${ctx}` : ''}${site ? `, at ${site}` : ''}`;
    case 'edge-from': {
      let to: string | undefined;
      for (let j = acquireEvent + 1; j < log.events.length && log.events[j].report === e.report; j++)
        if (log.events[j].role === 'edge' && log.events[j].edge === e.edge) {
          to = store.className(store.ref[j]);
          break;
        }
      return `-> #${e.edge ?? 0}: held while taking ${to ?? 'the next lock'}${ctx ? ` in ${ctx}` : ''}`;
    }
    case 'usage':
      return `${store.taskOf(acquireEvent).comm.replace(/ .*/, '')}${ctx ? ` in ${ctx}` : ''}`;
    case 'held':
      return `held list${parts ? `: ${parts}` : ''}`;
    default:
      return `${pending ? 'waiting' : 'taken'}${parts ? `: ${parts}` : ''}`;
  }
}

/** A thread name for a kernel-log task: `syz-executor.3/9871`, or the pseudo-task's own name (`-> #2 workqueue vdev_reset_work`). */
export function kernelTaskName(pid: number, comm: string): string {
  return pid < 0 ? comm : `${comm}/${pid}`;
}

/** Whether a frame is one of the locking primitives or lockdep itself (not where a lock was taken from). */
export function isLockingFrame(f: StackFrame): boolean {
  return isLockingFunction(f.fn);
}

/** The function name of a frame without optimizer suffixes (`__mutex_lock.constprop.0` → `__mutex_lock`). */
export function frameFunction(f: StackFrame): string {
  return baseFunction(f.fn);
}

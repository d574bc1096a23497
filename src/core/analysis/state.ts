// Per-task lock state machine: what each task holds and which syscall it is in, advanced one
// event at a time. The analyzer drives it with hooks to check lockdep's rules; the replay engine
// drives it without hooks to rebuild the state at any event. Checkpoints serialize it compactly.
// May import only src/core modules.

import { EventStore } from '../store';
import { EventFlag, EventKind } from '../types';

export const enum HeldFlag {
  Read = 1,
  Try = 2,
  /** Still waiting: a blocking userspace/file acquisition that has not returned yet. */
  Pending = 4,
  /** A syscall returned to userspace while this lock was held. */
  Crossed = 8,
  /** A held-across-syscall finding was already reported for this hold. */
  Reported = 16,
}

export interface Held {
  lock: number;
  cls: number;
  flags: number;
  /** Event that acquired it. */
  acq: number;
  /** Entry event of the syscall that acquired it, or -1 (userspace / unknown). */
  sysEntry: number;
}

export interface TaskState {
  held: Held[];
  /** Syscall name id the task is in, or -1. */
  sys: number;
  /** Entry event of that syscall, or -1 (entered before the trace began). */
  sysEntry: number;
  exited: boolean;
  /** Last event of this task applied so far, or -1. */
  last: number;
}

/** Called by `apply` so the analyzer can judge each transition. All optional. */
export interface StateHooks {
  /** Before `h` is pushed on `t`'s stack. */
  acquire?(t: TaskState, taskId: number, i: number, h: Held): void;
  /** A release of a lock the task does not hold. */
  badRelease?(t: TaskState, taskId: number, i: number): void;
  /** Before the task leaves its syscall. */
  sysExit?(t: TaskState, taskId: number, i: number): void;
  /** Before the task's locks are dropped at exit. */
  exit?(t: TaskState, taskId: number, i: number): void;
}

export function newTaskState(): TaskState {
  return { held: [], sys: -1, sysEntry: -1, exited: false, last: -1 };
}

/** The lock state of every task after some prefix of the events. */
export class LockState {
  tasks: TaskState[] = [];
  /** Number of events applied: the state is after events [0, position). */
  position = 0;

  constructor(readonly store: EventStore) {}

  task(id: number): TaskState {
    let t = this.tasks[id];
    if (!t) {
      for (let k = this.tasks.length; k <= id; k++) this.tasks[k] = newTaskState();
      t = this.tasks[id];
    }
    return t;
  }

  /** Applies event `position` and advances. */
  step(hooks?: StateHooks): void {
    this.apply(this.position++, hooks);
  }

  private apply(i: number, hooks?: StateHooks): void {
    const s = this.store;
    const kind = s.kind[i] as EventKind;
    const flags = s.flags[i];
    if (flags & EventFlag.Duplicate) return;
    const taskId = s.task[i];
    const t = this.task(taskId);
    t.last = i;
    switch (kind) {
      case EventKind.Acquire: {
        const lock = s.ref[i];
        const h: Held = {
          lock,
          cls: s.locks[lock].classId,
          flags:
            (flags & EventFlag.Read ? HeldFlag.Read : 0) |
            (flags & EventFlag.Try ? HeldFlag.Try : 0) |
            (flags & EventFlag.Pending ? HeldFlag.Pending : 0),
          acq: i,
          sysEntry: t.sys >= 0 ? t.sysEntry : -1,
        };
        hooks?.acquire?.(t, taskId, i, h);
        t.held.push(h);
        return;
      }
      case EventKind.Acquired: {
        const h = findHeld(t, s.ref[i]);
        if (h >= 0) t.held[h].flags &= ~HeldFlag.Pending;
        return;
      }
      case EventKind.AcquireFailed: {
        const h = findHeld(t, s.ref[i]);
        if (h >= 0 && t.held[h].flags & HeldFlag.Pending) t.held.splice(h, 1);
        return;
      }
      case EventKind.Release: {
        const h = findHeld(t, s.ref[i]);
        if (h < 0) hooks?.badRelease?.(t, taskId, i);
        else t.held.splice(h, 1);
        return;
      }
      case EventKind.SysEnter:
        t.sys = s.ref[i];
        t.sysEntry = i;
        return;
      case EventKind.SysExit:
        hooks?.sysExit?.(t, taskId, i);
        for (const h of t.held) if (!(h.flags & HeldFlag.Pending)) h.flags |= HeldFlag.Crossed;
        t.sys = -1;
        t.sysEntry = -1;
        return;
      case EventKind.Exit: {
        // the exit event may name another pid than its line's task (sched_process_exit: pid=…).
        const pidTask = s.taskByPidLookup(s.num[i]);
        const et = pidTask !== undefined ? this.task(pidTask) : t;
        hooks?.exit?.(et, pidTask ?? taskId, i);
        et.held = [];
        et.exited = true;
        et.sys = -1;
        et.sysEntry = -1;
        return;
      }
      case EventKind.Fork: {
        // a new task starts with nothing held (its fd table is handled at parse time).
        const child = this.task(s.ref[i]);
        child.exited = false;
        return;
      }
      default:
        return;
    }
  }

  // --- checkpoints -----------------------------------------------------------------------

  /** Serializes the state into a compact array. */
  save(): Float64Array {
    let size = 2;
    for (const t of this.tasks) size += 5 + t.held.length * 5;
    const a = new Float64Array(size);
    let k = 0;
    a[k++] = this.position;
    a[k++] = this.tasks.length;
    for (const t of this.tasks) {
      a[k++] = t.sys;
      a[k++] = t.sysEntry;
      a[k++] = t.exited ? 1 : 0;
      a[k++] = t.last;
      a[k++] = t.held.length;
      for (const h of t.held) {
        a[k++] = h.lock;
        a[k++] = h.cls;
        a[k++] = h.flags;
        a[k++] = h.acq;
        a[k++] = h.sysEntry;
      }
    }
    return a;
  }

  restore(a: Float64Array): void {
    let k = 0;
    this.position = a[k++];
    const n = a[k++];
    this.tasks = new Array<TaskState>(n);
    for (let ti = 0; ti < n; ti++) {
      const t = newTaskState();
      t.sys = a[k++];
      t.sysEntry = a[k++];
      t.exited = a[k++] === 1;
      t.last = a[k++];
      const nh = a[k++];
      for (let j = 0; j < nh; j++) {
        t.held.push({ lock: a[k++], cls: a[k++], flags: a[k++], acq: a[k++], sysEntry: a[k++] });
      }
      this.tasks[ti] = t;
    }
  }
}

/** Index of the topmost hold of `lock` in the task's stack, or -1. */
export function findHeld(t: TaskState, lock: number): number {
  for (let j = t.held.length - 1; j >= 0; j--) if (t.held[j].lock === lock) return j;
  return -1;
}

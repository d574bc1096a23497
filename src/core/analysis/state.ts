// Per-task lock state machine: what each task holds and which syscall it is in, advanced one
// event at a time. The analyzer drives it with hooks to check lockdep's rules; the replay engine
// and the editor's index drive it without hooks to rebuild the state at any event. Checkpoints
// serialize it compactly.
//
// What it models of a real kernel (docs/kernel-traces.md explains each rule with its source):
// - interrupt contexts: a held lock remembers the irq context it was taken in (ftrace's latency
//   flags); when the task is seen again in a context outside that one, the interrupt has returned
//   and its locks are gone (their releases were lost);
// - NMI: lockdep ignores lock operations in NMI context, and so does this;
// - context switches: a CPU runs one task at a time, so another task on a CPU (or the task on
//   another CPU) means the previous one was switched out. No task sleeps holding a lock taken with
//   interrupts disabled; the one lockdep carries across the switch is the runqueue lock, released
//   for the previous task in prepare_lock_switch() and acquired for the next in
//   finish_lock_switch(). A pid-filtered trace loses that release (the filter already follows the
//   next task), so it is applied at the inferred switch;
// - locks held since before the trace: the analyzer's first pass finds them (see analyzer.ts) and
//   they are put on the task's stack at its first event;
// - task exit: the task keeps running exit code after sched_process_exit; it is done at its final
//   switch-out (or at the end of the trace).

import { EventStore } from '../store';
import { Ctx, EventFlag, EventKind } from '../types';
import { PERF_TRACER_CLASSES, isNoCheckClass } from './kernelClasses';

export const enum HeldFlag {
  Read = 1,
  Try = 2,
  /** Still waiting: a blocking userspace/file acquisition that has not returned yet. */
  Pending = 4,
  /** A syscall returned to userspace while this lock was held. */
  Crossed = 8,
  /** A held-across-syscall finding was already reported for this hold. */
  Reported = 16,
  /** Taken before the trace began (reconstructed from a release never seen acquired). */
  PreHeld = 32,
  /** Acquired with hardirqs disabled (known only when the trace has latency flags). */
  IrqsOff = 64,
  /** lockdep validates nothing about it (acquired with check=0: RCU maps, no-validate classes). */
  NoCheck = 128,
  /** On top of the task's stack when it was switched out (tracked for traces without latency flags). */
  Slept = 256,
}

export interface Held {
  lock: number;
  cls: number;
  flags: number;
  /** Event that acquired it (for a lock held since before the trace: the task's first event). */
  acq: number;
  /** Entry event of the syscall that acquired it, or -1 (userspace / unknown). */
  sysEntry: number;
  /** lockdep's irq context it was taken in (Ctx.IrqMask bits). */
  irq: number;
  /**
   * Nesting level within its class: how many other instances of the class the task held in the
   * same context when it took this one (lockdep's subclass, which lock_acquire events do not
   * print; `mutex_lock_nested(…, SINGLE_DEPTH_NESTING)` and friends give 1).
   */
  sub: number;
}

export interface TaskState {
  held: Held[];
  /** Syscall name id the task is in, or -1. */
  sys: number;
  /** Entry event of that syscall, or -1 (entered before the trace began). */
  sysEntry: number;
  exited: boolean;
  /** sched_process_exit seen: the task runs its exit code until its final switch-out. */
  exiting: boolean;
  /** Last event of this task applied so far, or -1. */
  last: number;
  /** CPU of that event, or -1. */
  cpu: number;
  /** Switched back in and has taken no lock since (traces without latency flags). */
  resumed: boolean;
  /**
   * Counts the task's switch-ins seen: two events with the same count were recorded while the
   * task ran without a break, so nothing of it between them can have been filtered out.
   */
  run: number;
}

/** A lock a task held when the trace began, found by the analyzer's first pass. */
export interface PreHeld {
  lock: number;
  flags: number;
  irq: number;
  /** The release event that showed it. */
  release: number;
}

/** What the analyzer learned before its main pass, needed to rebuild the same states anywhere. */
export interface StateModel {
  /** Per task id: locks held since before the trace, outermost first. */
  preHeld: Map<number, PreHeld[]>;
}

export const EMPTY_MODEL: StateModel = { preHeld: new Map() };

/** Called by `apply` so the analyzer can judge each transition. All optional. */
export interface StateHooks {
  /** Before `h` is pushed on `t`'s stack. */
  acquire?(t: TaskState, taskId: number, i: number, h: Held): void;
  /** Before a lock held since before the trace is pushed on `t`'s stack, at its first event `i`. */
  preHeld?(t: TaskState, taskId: number, i: number, h: Held): void;
  /** A release of a lock the task does not hold. */
  badRelease?(t: TaskState, taskId: number, i: number): void;
  /** Before the task leaves its syscall. */
  sysExit?(t: TaskState, taskId: number, i: number): void;
  /** Before a syscall entry is applied. */
  sysEnter?(t: TaskState, taskId: number, i: number): void;
  /** At sched_process_exit (the task still runs its exit code afterwards). */
  exitBegin?(t: TaskState, taskId: number, i: number): void;
  /** Before an exiting task's locks are dropped: its final switch-out, or the end of the trace (`i` = its last event). */
  exit?(t: TaskState, taskId: number, i: number): void;
  /** Locks dropped without a release event: a context switch (`why` = 'switch') or an interrupt that returned ('irq'). */
  dropped?(t: TaskState, taskId: number, i: number, h: Held, why: 'switch' | 'irq'): void;
  /** After a lock event's Held was pushed or its flags changed (the analyzer tracks interrupt usage). */
  event?(t: TaskState, taskId: number, i: number): void;
}

export function newTaskState(): TaskState {
  return { held: [], sys: -1, sysEntry: -1, exited: false, exiting: false, last: -1, cpu: -1, resumed: false, run: 0 };
}

/** The lock state of every task after some prefix of the events. */
export class LockState {
  tasks: TaskState[] = [];
  /** Number of events applied: the state is after events [0, position). */
  position = 0;
  /** Per CPU: the task seen running there last, or -1. */
  cpuTask: number[] = [];
  /** Per class id: 1 = lockdep acquires it with check=0; 2 = the perf tracer's own lock in a perf trace. */
  private readonly noCheck: Uint8Array;

  constructor(
    readonly store: EventStore,
    readonly model: StateModel = EMPTY_MODEL,
  ) {
    this.noCheck = new Uint8Array(store.classes.size);
    for (let c = 0; c < store.classes.size; c++) {
      const name = store.classes.get(c);
      if (store.format === 'perf' && PERF_TRACER_CLASSES.has(name)) this.noCheck[c] = 2;
      else if (isNoCheckClass(name)) this.noCheck[c] = 1;
    }
  }

  task(id: number): TaskState {
    let t = this.tasks[id];
    if (!t) {
      for (let k = this.tasks.length; k <= id; k++) this.tasks[k] = newTaskState();
      t = this.tasks[id];
    }
    return t;
  }

  isNoCheck(cls: number): boolean {
    return this.noCheck[cls] !== 0;
  }

  /** Applies event `position` and advances. */
  step(hooks?: StateHooks): void {
    this.apply(this.position++, hooks);
  }

  /**
   * Ends the trace: exiting tasks are done, their locks judged by the `exit` hook. An exiting task
   * always ends in do_task_dead()'s final switch, so it is switched out first: the runqueue lock
   * its last schedule() took goes to the next task.
   */
  finish(hooks?: StateHooks): void {
    for (let id = 0; id < this.tasks.length; id++) {
      const t = this.tasks[id];
      if (t && t.exiting && !t.exited) {
        if (t.cpu >= 0) this.switchOut(t, id, t.last, hooks);
        else this.die(t, id, t.last, hooks);
      }
    }
  }

  private apply(i: number, hooks?: StateHooks): void {
    const s = this.store;
    const kind = s.kind[i] as EventKind;
    const flags = s.flags[i];
    if (flags & EventFlag.Duplicate) return;
    const taskId = s.task[i];
    const t = this.task(taskId);
    const ctx = s.ctx[i];
    if (t.last < 0) this.firstEvent(t, taskId, i, hooks);
    if (ctx & Ctx.Known) this.schedule(t, taskId, i, hooks);
    else if (s.locks.length > 0) this.scheduleBlind(t, taskId, i);
    t.last = i;
    // lockdep does nothing for lock operations in NMI context (lockdep_enabled() is false there)
    if (ctx & Ctx.Nmi) return;
    // perf's own locks in a perf trace: perf switches a task's events off while holding them at its
    // switch-out and on while holding them at its switch-in (perf_event_context_sched_out() and
    // _sched_in(), kernel/events/core.c), so each switch shows an acquire without its release and
    // releases without their acquires. lockdep saw them balanced inside the scheduler; here they
    // are the recorder's, not held by the program: they stay in the trace, not on its stacks.
    if (kind >= EventKind.Acquire && kind <= EventKind.Release && this.noCheck[s.locks[s.ref[i]].classId] === 2) return;
    switch (kind) {
      case EventKind.Acquire: {
        const lock = s.ref[i];
        const cls = s.locks[lock].classId;
        const irq = ctx & Ctx.IrqMask;
        if (!(ctx & Ctx.Known)) this.handedOver(t, taskId, i, lock, hooks);
        let sub = 0;
        for (const p of t.held) if (p.cls === cls && p.lock !== lock && p.irq === irq && !(p.flags & HeldFlag.Pending)) sub++;
        const h: Held = {
          lock,
          cls,
          flags:
            (flags & EventFlag.Read ? HeldFlag.Read : 0) |
            (flags & EventFlag.Try ? HeldFlag.Try : 0) |
            (flags & EventFlag.Pending ? HeldFlag.Pending : 0) |
            ((ctx & (Ctx.Known | Ctx.IrqsOff)) === (Ctx.Known | Ctx.IrqsOff) ? HeldFlag.IrqsOff : 0) |
            (this.noCheck[cls] !== 0 ? HeldFlag.NoCheck : 0),
          acq: i,
          sysEntry: t.sys >= 0 ? t.sysEntry : -1,
          irq,
          sub,
        };
        hooks?.acquire?.(t, taskId, i, h);
        t.held.push(h);
        hooks?.event?.(t, taskId, i);
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
        hooks?.event?.(t, taskId, i);
        return;
      }
      case EventKind.SysEnter:
        hooks?.sysEnter?.(t, taskId, i);
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
        const id = pidTask ?? taskId;
        const et = this.task(id);
        if (et.exiting || et.exited) return;
        hooks?.exitBegin?.(et, id, i);
        et.exiting = true;
        // without latency flags no switch-out can be seen: the task is done at once
        if (!(ctx & Ctx.Known) || id !== taskId) this.die(et, id, i, hooks);
        return;
      }
      case EventKind.Switch: {
        // the task gives its CPU away inside __schedule(), holding the runqueue lock; with latency
        // flags the next task's first event decides (see schedule()), without them the lock on
        // top of the stack is that runqueue lock
        if (!(ctx & Ctx.Known)) {
          this.sleep(t);
          if (this.cpuTask[s.cpu[i]] === taskId) this.cpuTask[s.cpu[i]] = -1;
        }
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

  /** A task's first event: the locks it held since before the trace go on its stack. */
  private firstEvent(t: TaskState, taskId: number, i: number, hooks?: StateHooks): void {
    const pre = this.model.preHeld.get(taskId);
    if (!pre) return;
    for (const p of pre) {
      const h: Held = {
        lock: p.lock,
        cls: this.store.locks[p.lock].classId,
        flags: p.flags | HeldFlag.PreHeld,
        acq: i,
        sysEntry: -1,
        irq: p.irq,
        sub: 0,
      };
      hooks?.preHeld?.(t, taskId, i, h);
      t.held.push(h);
    }
  }

  /**
   * Context bookkeeping for an event with known latency flags: interrupts that returned, and
   * context switches inferred from which task runs on which CPU.
   */
  private schedule(t: TaskState, taskId: number, i: number, hooks?: StateHooks): void {
    const s = this.store;
    const cpu = s.cpu[i];
    const irq = s.ctx[i] & Ctx.IrqMask;
    // the task moved: it was switched out on its old CPU at some point
    if (t.cpu >= 0 && t.cpu !== cpu && this.cpuTask[t.cpu] === taskId) {
      this.cpuTask[t.cpu] = -1;
      this.switchOut(t, taskId, t.last, hooks);
    }
    const prev = this.cpuTask[cpu] ?? -1;
    if (prev >= 0 && prev !== taskId) {
      const p = this.task(prev);
      if (p.cpu === cpu) this.switchOut(p, prev, p.last, hooks);
    }
    if (prev !== taskId || t.cpu !== cpu) t.run++;
    while (this.cpuTask.length <= cpu) this.cpuTask.push(-1);
    this.cpuTask[cpu] = taskId;
    t.cpu = cpu;
    // seen in a context outside an interrupt it held locks in: that interrupt has returned
    for (let k = t.held.length - 1; k >= 0; k--) {
      const h = t.held[k];
      if (h.irq & ~irq) {
        t.held.splice(k, 1);
        hooks?.dropped?.(t, taskId, i, h, 'irq');
      }
    }
  }

  /**
   * Switch tracking for a trace without latency flags: which locks were taken with interrupts off
   * is not known, so holds are only marked as having slept (see handedOver).
   */
  private scheduleBlind(t: TaskState, taskId: number, i: number): void {
    const cpu = this.store.cpu[i];
    const prev = this.cpuTask[cpu] ?? -1;
    if (prev === taskId && t.cpu === cpu) return;
    if (prev >= 0 && prev !== taskId) {
      const p = this.task(prev);
      if (p.cpu === cpu) this.sleep(p);
    }
    if (t.cpu >= 0 && t.cpu !== cpu && this.cpuTask[t.cpu] === taskId) {
      this.cpuTask[t.cpu] = -1;
      this.sleep(t);
    }
    while (this.cpuTask.length <= cpu) this.cpuTask.push(-1);
    this.cpuTask[cpu] = taskId;
    t.cpu = cpu;
    t.resumed = true;
    t.run++;
  }

  private sleep(t: TaskState): void {
    for (let k = t.held.length - 1; k >= 0; k--) {
      const top = t.held[k];
      if (top.flags & HeldFlag.NoCheck) continue;
      if (this.store.locks[top.lock].domain === 'kernel') top.flags |= HeldFlag.Slept;
      return;
    }
  }

  /**
   * Without latency flags, the scheduler's lock handoff shows when a task is switched back in: the
   * first lock it takes is the runqueue lock (finish_lock_switch()), of the class of the lock that
   * was on top of its stack when it was switched out (schedule() took it; a pid filter lost its
   * release). That earlier hold ended at the switch. (With flags the switch itself decides: see
   * switchOut.)
   */
  private handedOver(t: TaskState, taskId: number, i: number, lock: number, hooks?: StateHooks): void {
    // readers and check=0 maps (nested rcu_read_lock) take the same lock again legitimately
    if (this.store.locks[lock].domain !== 'kernel' || this.store.flags[i] & EventFlag.Read) return;
    if (this.noCheck[this.store.locks[lock].classId] !== 0) return;
    // the same instance again: a real self-deadlock would stop the task here; a task that goes on
    // had it handed back (perf records a task's events only while it runs, so its switches never show)
    for (let k = t.held.length - 1; k >= 0; k--) {
      const h = t.held[k];
      if (h.lock !== lock || h.flags & HeldFlag.Pending) continue;
      t.held.splice(k, 1);
      hooks?.dropped?.(t, taskId, i, h, 'switch');
      t.resumed = false;
      return;
    }
    if (!t.resumed) return;
    t.resumed = false;
    const cls = this.store.locks[lock].classId;
    for (let k = t.held.length - 1; k >= 0; k--) {
      const h = t.held[k];
      if (!(h.flags & HeldFlag.Slept) || h.cls !== cls || h.flags & HeldFlag.Pending) continue;
      t.held.splice(k, 1);
      hooks?.dropped?.(t, taskId, i, h, 'switch');
      return;
    }
  }

  /** The task stopped running on its CPU at or after event `i` (its last event there). */
  private switchOut(t: TaskState, taskId: number, i: number, hooks?: StateHooks): void {
    for (let k = t.held.length - 1; k >= 0; k--) {
      const h = t.held[k];
      // interrupts have returned; locks taken with interrupts off cannot be held while asleep
      // (the runqueue lock is handed to the next task: prepare_lock_switch()).
      if (h.irq !== 0 || (h.flags & HeldFlag.IrqsOff && !(h.flags & HeldFlag.PreHeld))) {
        t.held.splice(k, 1);
        hooks?.dropped?.(t, taskId, i, h, h.irq !== 0 ? 'irq' : 'switch');
      }
    }
    if (t.exiting && !t.exited) this.die(t, taskId, i, hooks);
  }

  private die(t: TaskState, taskId: number, i: number, hooks?: StateHooks): void {
    hooks?.exit?.(t, taskId, i);
    t.held = [];
    t.exited = true;
    t.sys = -1;
    t.sysEntry = -1;
  }

  // --- checkpoints -----------------------------------------------------------------------

  /** Serializes the state into a compact array. */
  save(): Float64Array {
    let size = 3 + this.cpuTask.length;
    for (const t of this.tasks) size += 7 + t.held.length * 7;
    const a = new Float64Array(size);
    let k = 0;
    a[k++] = this.position;
    a[k++] = this.tasks.length;
    a[k++] = this.cpuTask.length;
    for (const c of this.cpuTask) a[k++] = c;
    for (const t of this.tasks) {
      a[k++] = t.sys;
      a[k++] = t.sysEntry;
      a[k++] = (t.exited ? 1 : 0) | (t.exiting ? 2 : 0) | (t.resumed ? 4 : 0);
      a[k++] = t.last;
      a[k++] = t.cpu;
      a[k++] = t.run;
      a[k++] = t.held.length;
      for (const h of t.held) {
        a[k++] = h.lock;
        a[k++] = h.cls;
        a[k++] = h.flags;
        a[k++] = h.acq;
        a[k++] = h.sysEntry;
        a[k++] = h.irq;
        a[k++] = h.sub;
      }
    }
    return a;
  }

  restore(a: Float64Array): void {
    let k = 0;
    this.position = a[k++];
    const n = a[k++];
    const ncpu = a[k++];
    this.cpuTask = [];
    for (let c = 0; c < ncpu; c++) this.cpuTask.push(a[k++]);
    this.tasks = new Array<TaskState>(n);
    for (let ti = 0; ti < n; ti++) {
      const t = newTaskState();
      t.sys = a[k++];
      t.sysEntry = a[k++];
      const ex = a[k++];
      t.exited = (ex & 1) !== 0;
      t.exiting = (ex & 2) !== 0;
      t.resumed = (ex & 4) !== 0;
      t.last = a[k++];
      t.cpu = a[k++];
      t.run = a[k++];
      const nh = a[k++];
      for (let j = 0; j < nh; j++) {
        t.held.push({ lock: a[k++], cls: a[k++], flags: a[k++], acq: a[k++], sysEntry: a[k++], irq: a[k++], sub: a[k++] });
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

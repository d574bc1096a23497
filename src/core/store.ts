// Columnar event store: one typed array per field plus interned string tables, so a
// 10-million-event trace costs tens of bytes per event. Written by the parsers, read by the
// analysis, the replay engine and every front end.

import type { KernelLog } from './kernelLog/model';
import { EventFlag, EventKind, LockDomain, LockInfo, TaskInfo, TraceFormat, TraceWarning } from './types';

/** Keys of the idle tasks (pid 0, one per CPU) in the task map: below any pid, pseudo-pids included. */
const IDLE_KEY = -(2 ** 40);

/** Interns strings to dense ids. */
export class StringTable {
  private readonly ids = new Map<string, number>();
  readonly values: string[] = [];

  intern(s: string): number {
    let id = this.ids.get(s);
    if (id === undefined) {
      id = this.values.length;
      this.values.push(s);
      this.ids.set(s, id);
    }
    return id;
  }

  lookup(s: string): number | undefined {
    return this.ids.get(s);
  }

  get(id: number): string {
    return this.values[id];
  }

  get size(): number {
    return this.values.length;
  }
}

export type Column = Uint32Array | Float64Array | Int16Array | Uint8Array | Int32Array;

const INITIAL_CAPACITY = 1024;
/** At most this many warnings are kept one by one; the rest are only counted. */
const MAX_WARNINGS = 200;

/**
 * Events in file order. Per event: the 1-based line, the byte offset of that line (so the raw
 * text can be read back on demand), timestamp, CPU, task, kind, flags, a reference (lock id for
 * lock events, syscall name id for syscall events, event name id for others, child task for forks)
 * and a number (syscall nr on entry, return value on exit, child pid on fork, the work item's name
 * id for workqueue events).
 */
export class EventStore {
  format: TraceFormat = 'ftrace';
  /** The name callers gave the input (a path or URI), used in messages. */
  file = '';
  length = 0;
  line = new Uint32Array(INITIAL_CAPACITY);
  offset = new Float64Array(INITIAL_CAPACITY);
  ts = new Float64Array(INITIAL_CAPACITY);
  cpu = new Int16Array(INITIAL_CAPACITY);
  task = new Uint32Array(INITIAL_CAPACITY);
  kind = new Uint8Array(INITIAL_CAPACITY);
  flags = new Uint8Array(INITIAL_CAPACITY);
  ref = new Int32Array(INITIAL_CAPACITY);
  num = new Float64Array(INITIAL_CAPACITY);
  /** Execution context (Ctx bits from the latency-flags column; 0 = not known). */
  ctx = new Uint8Array(INITIAL_CAPACITY);

  readonly tasks: TaskInfo[] = [];
  private readonly taskByPid = new Map<number, number>();
  readonly locks: LockInfo[] = [];
  private readonly lockByKey = new Map<string, number>();
  /** Lock class names. */
  readonly classes = new StringTable();
  /** Syscall names (syscall events), event names (Other events) and work items (workqueue events' `num`). */
  readonly names = new StringTable();
  /** Optional call sites per lock event (recorded traces), by event index. */
  readonly sites = new Map<number, CallSite>();

  readonly warnings: TraceWarning[] = [];
  warningCount = 0;
  /** Total lines read, including comments and blank lines. */
  lines = 0;
  bytes = 0;
  /** Events the tracer reported lost in the middle of the trace (`CPU:N [LOST M EVENTS]`). */
  lostEvents = 0;
  /** Events overwritten before the trace's first line (ftrace's entries-written above entries-in-buffer). */
  overwritten = 0;
  /** Whether events were reordered by timestamp (`sort` option) rather than kept in file order. */
  sorted = false;
  /**
   * A kernel log (format `kernel-log`): its lockdep reports, and what each (synthetic) event stands
   * for. The analysis of such a store comes from the reports, not from the lock rules.
   */
  kernelLog: KernelLog | null = null;

  warn(line: number, message: string): void {
    this.warningCount++;
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push({ line, message });
  }

  /** Replaces every column with `f(column)` (growing, trimming). */
  private remap(f: <T extends Column>(a: T) => T): void {
    this.line = f(this.line);
    this.offset = f(this.offset);
    this.ts = f(this.ts);
    this.cpu = f(this.cpu);
    this.task = f(this.task);
    this.kind = f(this.kind);
    this.flags = f(this.flags);
    this.ref = f(this.ref);
    this.num = f(this.num);
    this.ctx = f(this.ctx);
  }

  /** Whether columns made from now on live in SharedArrayBuffers (see shareColumns). */
  private sharedColumns = false;

  /**
   * Makes the columns of the next growth (or reservation) in SharedArrayBuffers, so other threads
   * can fault their pages in ahead of the writes (the parallel parse); reading them is unchanged.
   */
  shareColumns(): void {
    this.sharedColumns = true;
  }

  /** The columns, as the arrays of their buffers (the ones to share with other threads). */
  columns(): Column[] {
    return [this.line, this.offset, this.ts, this.cpu, this.task, this.kind, this.flags, this.ref, this.num, this.ctx];
  }

  private grow(min = 0): void {
    // double while small, then grow by half: less transient memory on huge traces
    const cur = this.line.length;
    const cap = Math.max(min, cur < 1 << 22 ? cur * 2 : Math.ceil(cur * 1.5));
    const shared = this.sharedColumns;
    this.remap(<T extends Column>(a: T): T => {
      const C = a.constructor as (new (n: number) => T) & (new (b: SharedArrayBuffer) => T) & { BYTES_PER_ELEMENT: number };
      const b = shared ? new C(new SharedArrayBuffer(cap * C.BYTES_PER_ELEMENT)) : new C(cap);
      b.set(a);
      return b;
    });
  }

  /** Appends an event and returns its index. */
  push(
    line: number,
    offset: number,
    ts: number,
    cpu: number,
    task: number,
    kind: EventKind,
    flags: number,
    ref: number,
    num: number,
    ctx = 0,
  ): number {
    if (this.length === this.line.length) this.grow();
    const i = this.length++;
    this.line[i] = line;
    this.offset[i] = offset;
    this.ts[i] = ts;
    this.cpu[i] = cpu;
    this.task[i] = task;
    this.kind[i] = kind;
    this.flags[i] = flags;
    this.ref[i] = ref;
    this.num[i] = num;
    this.ctx[i] = ctx;
    return i;
  }

  /**
   * Task index for a pid, creating it (with the event index that introduces it) if new. Pid 0 is
   * the idle task of each CPU (`<idle>-0` in ftrace, `swapper/N` to the kernel): one task per CPU,
   * named as the kernel names it, when the CPU is known. Negative pids are a kernel log's
   * pseudo-tasks (one per chain edge), keyed apart from the idle tasks and keeping their names.
   */
  taskFor(pid: number, comm: string, eventIndex: number, cpu = -1): number {
    const idle = pid === 0 && cpu >= 0;
    const key = idle ? IDLE_KEY - cpu : pid;
    let id = this.taskByPid.get(key);
    if (id === undefined) {
      id = this.tasks.length;
      if (idle) comm = `swapper/${cpu}`;
      this.tasks.push(idle ? { id, pid, comm, firstEvent: eventIndex, idleCpu: cpu } : { id, pid, comm, firstEvent: eventIndex });
      this.taskByPid.set(key, id);
    } else if (key >= 0 && comm && this.tasks[id].comm !== comm && !comm.startsWith('<')) {
      // a task is named as it was last seen (exec and set_task_comm rename it; the kernel's
      // reports use the current name); ftrace's "comm unknown" (`<...>`) never replaces a name.
      this.tasks[id].comm = comm;
    }
    return id;
  }

  taskByPidLookup(pid: number): number | undefined {
    return this.taskByPid.get(pid);
  }

  /**
   * Lock id for an instance: its key (address) and class. The same address with another class is
   * another lock (kernel memory is reused after free); a lookup by key alone finds the latest.
   */
  lockFor(key: string, className: string, domain: LockDomain): number {
    const cls = className || key;
    const full = `${key}\u0000${cls}`;
    let id = this.lockByKey.get(full);
    if (id === undefined) {
      id = this.locks.length;
      this.locks.push({ id, key, classId: this.classes.intern(cls), domain });
      this.lockByKey.set(full, id);
      this.lockByKey.set(key, id);
    }
    return id;
  }

  /** The latest lock registered under this key (address), whatever its class. */
  lockByKeyLookup(key: string): number | undefined {
    return this.lockByKey.get(key);
  }

  /** Makes room for `n` events in total (the parser calls it with an estimate from the file size). */
  reserve(n: number): void {
    if (n > this.line.length) this.grow(n);
  }

  /** Shrinks the columns to their used length (after parsing); small slack is kept rather than copied. */
  trim(): void {
    const n = this.length;
    if (this.line.length - n <= n / 8) this.remap(<T extends Column>(a: T): T => a.subarray(0, n) as T);
    else this.remap(<T extends Column>(a: T): T => a.slice(0, n) as T);
  }

  // --- convenience readers -------------------------------------------------------------

  isRead(i: number): boolean {
    return (this.flags[i] & EventFlag.Read) !== 0;
  }

  isTry(i: number): boolean {
    return (this.flags[i] & EventFlag.Try) !== 0;
  }

  lockOf(i: number): LockInfo {
    return this.locks[this.ref[i]];
  }

  className(lockId: number): string {
    return this.classes.get(this.locks[lockId].classId);
  }

  taskOf(i: number): TaskInfo {
    return this.tasks[this.task[i]];
  }

  /** Short label of an event kind. */
  kindName(i: number): string {
    return kindLabel(this.kind[i], this.flags[i]);
  }

  /** Index of the first event at or after a 1-based line (or -1). */
  eventAtOrAfterLine(line: number): number {
    let lo = 0;
    let hi = this.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.line[mid] < line) lo = mid + 1;
      else hi = mid;
    }
    return lo < this.length ? lo : -1;
  }

  /** Index of the last event at or before a 1-based line (or -1). */
  eventAtOrBeforeLine(line: number): number {
    const i = this.eventAtOrAfterLine(line + 1);
    return (i === -1 ? this.length : i) - 1;
  }
}

export interface CallSite {
  addr?: string;
  fn?: string;
  file?: string;
  line?: number;
}

export function kindLabel(kind: EventKind, flags = 0): string {
  switch (kind) {
    case EventKind.Acquire:
      return `acquire${flags & EventFlag.Try ? ' try' : ''}${flags & EventFlag.Read ? ' read' : ''}`;
    case EventKind.Acquired:
      return 'acquired';
    case EventKind.AcquireFailed:
      return 'acquire failed';
    case EventKind.Release:
      return 'release';
    case EventKind.Contended:
      return flags & EventFlag.StatAcquired ? 'lock_acquired (stat)' : 'contended';
    case EventKind.ContentionBegin:
      return 'contention begin';
    case EventKind.ContentionEnd:
      return 'contention end';
    case EventKind.SysEnter:
      return 'syscall entry';
    case EventKind.SysExit:
      return 'syscall exit';
    case EventKind.Fork:
      return 'fork';
    case EventKind.Switch:
      return 'switch';
    case EventKind.Exit:
      return 'exit';
    default:
      return 'event';
  }
}

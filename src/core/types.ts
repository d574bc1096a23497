// Plain records shared by the whole core (parsing, event store, analysis, replay) and by every
// layer above it (CLI, debug adapter, extension, webview protocol).

/** What an event means to the analysis. Stored as a byte per event. */
export const enum EventKind {
  /** Anything the analysis does not model (kept so the debugger can show it). */
  Other = 0,
  /** lockdep's lock_acquire: the task starts to take a lock; ordering edges are made here. */
  Acquire = 1,
  /** A pending (blocking userspace or file) acquisition succeeded. */
  Acquired = 2,
  /** A pending acquisition failed: the lock is not held. */
  AcquireFailed = 3,
  Release = 4,
  /** Lock statistics (lock_contended / lock_acquired), never an acquisition. */
  Contended = 5,
  ContentionBegin = 6,
  ContentionEnd = 7,
  SysEnter = 8,
  SysExit = 9,
  Fork = 10,
  Exit = 11,
  /** sched_switch: the line's task (prev) gives the CPU to the task in `ref` (pid in `num`). */
  Switch = 12,
}

/** Per-event flag bits (a byte per event). */
export const enum EventFlag {
  Read = 1,
  Try = 2,
  /** Made by ingestion from another event on the same line (flock/fcntl syscalls → lock events). */
  Derived = 4,
  /** The same syscall boundary reported a second time (raw_syscalls and syscalls:* both enabled). */
  Duplicate = 8,
  /** The lock stays pending until an Acquired/AcquireFailed event (userspace and file locks). */
  Pending = 16,
  /** lock_acquired statistics event (as opposed to lock_contended), for Contended events. */
  StatAcquired = 32,
}

/** Where a lock lives, which decides which rules apply to it. */
export type LockDomain = 'kernel' | 'user' | 'file';

/** `kernel-log`: a kernel log (dmesg, console capture, journal, fuzzer report) holding lockdep reports. */
export type TraceFormat = 'ftrace' | 'trace-cmd' | 'perf' | 'jsonl' | 'kernel-log';
export type FormatOption = TraceFormat | 'auto';

export type FindingKind =
  | 'inversion'
  | 'recursive'
  | 'held-across-syscall'
  | 'bad-unlock'
  | 'held-at-exit'
  | 'irq-state'
  | 'held-lock-freed'
  | 'lockdep-other'
  | 'order-violation'
  | 'contention';

/** What every front end says about a finding kind: one table, so a new kind is added in one place. */
export interface FindingKindInfo {
  /** Text reports and SARIF rule names: `lock order inversion`. */
  title: string;
  /** Hovers and the panel: `held across syscall boundary`. */
  short: string;
  /** The debugger's exception filter label. */
  filterLabel: string;
  /** Default severity of diagnostics and SARIF results (`information`: SARIF `note`). */
  severity: 'error' | 'warning' | 'information';
}

export const FINDING_KIND_INFO: Readonly<Record<FindingKind, FindingKindInfo>> = {
  inversion: { title: 'lock order inversion', short: 'lock order inversion', filterLabel: 'Lock-order inversion', severity: 'error' },
  'held-across-syscall': {
    title: 'lock held across syscall boundary',
    short: 'held across syscall boundary',
    filterLabel: 'Lock held across syscall exit',
    severity: 'warning',
  },
  recursive: { title: 'recursive locking', short: 'recursive locking', filterLabel: 'Recursive locking', severity: 'error' },
  'bad-unlock': { title: 'bad unlock balance', short: 'bad unlock', filterLabel: 'Unlock of a lock not held', severity: 'error' },
  'held-at-exit': {
    title: 'lock held at task exit',
    short: 'held at task exit',
    filterLabel: 'Lock held at task exit',
    severity: 'warning',
  },
  'irq-state': {
    title: 'irq-unsafe locking',
    short: 'interrupt-unsafe lock usage',
    filterLabel: 'Interrupt-unsafe lock usage (inconsistent lock state, irq lock inversion)',
    severity: 'error',
  },
  'held-lock-freed': { title: 'held lock freed', short: 'held lock freed', filterLabel: 'Memory of a held lock freed', severity: 'error' },
  'lockdep-other': { title: 'other lockdep report', short: 'lockdep report', filterLabel: 'Other lockdep report', severity: 'warning' },
  'order-violation': {
    title: 'lock order violation',
    short: 'against the declared lock hierarchy',
    filterLabel: 'Lock taken against the declared hierarchy (.locktrace.json)',
    severity: 'warning',
  },
  contention: {
    title: 'kernel lock contention',
    short: 'waited for a kernel lock',
    filterLabel: 'Syscall waited for a kernel lock (contention)',
    severity: 'information',
  },
};

/** How much a finding matters, as editors grade diagnostics ('off': not shown at all). */
export type Severity = 'error' | 'warning' | 'information' | 'hint';

/** Default severity of an inversion a gate lock makes safe (`guardedBy`): shown, but not a failure. */
export const DEFAULT_GUARDED_SEVERITY: Severity = 'information';

/**
 * A finding's severity: its kind's, or `guarded` (default DEFAULT_GUARDED_SEVERITY) for an
 * inversion every edge of which was made under the same gate lock.
 */
export function findingSeverity(
  f: Pick<Finding, 'kind' | 'guardedBy'>,
  guarded: Severity | 'off' = DEFAULT_GUARDED_SEVERITY,
): Severity | 'off' {
  if (f.kind === 'inversion' && f.guardedBy?.length) return guarded;
  return FINDING_KIND_INFO[f.kind].severity;
}

/** Every finding kind, in the order reports and settings list them. */
export const FINDING_KINDS: readonly FindingKind[] = [
  'inversion',
  'held-across-syscall',
  'recursive',
  'bad-unlock',
  'held-at-exit',
  'irq-state',
  'held-lock-freed',
  'lockdep-other',
  'order-violation',
  'contention',
];

/**
 * The kinds reported unless asked otherwise: `contention` (where syscalls waited for kernel locks)
 * is a measurement, not a bug, so `check` shows it only with `--contention`.
 */
export const DEFAULT_FINDING_KINDS: readonly FindingKind[] = FINDING_KINDS.filter((k) => k !== 'contention');

/**
 * The execution context of an event, read from ftrace's latency-flags column (`d.h2.`): a byte per
 * event. The low two bits are lockdep's irq_context (task->irq_context: hardirq * 2 + softirq).
 */
export const enum Ctx {
  /** Process (task) context: no interrupt. */
  Process = 0,
  /** Serving a softirq (`s`). */
  Softirq = 1,
  /** In a hardirq (`h`; `H` is a hardirq while serving a softirq: both bits). */
  Hardirq = 2,
  /** lockdep's irq_context: the bits above. */
  IrqMask = 3,
  /** In an NMI (`z`, `Z`): lockdep ignores lock operations there. */
  Nmi = 4,
  /** Hardirqs disabled (`d`, `D`). */
  IrqsOff = 8,
  /** Bottom halves disabled (`b`, `D`). */
  BhOff = 16,
  /** The line had a latency-flags column, so the bits above are known. */
  Known = 32,
}

/**
 * Reads a latency-flags column (`d.h2.`, `dNs1`, `...1.`, old kernels' four characters): the Ctx
 * bits with `Known`, or 0 when the text is not one.
 */
export function parseLatencyFlags(f: string): number {
  if (f.length < 4 || f.length > 5) return 0;
  let ctx: number = Ctx.Known;
  switch (f.charCodeAt(0)) {
    case 68 /* D */:
      ctx |= Ctx.IrqsOff | Ctx.BhOff;
      break;
    case 100 /* d */:
      ctx |= Ctx.IrqsOff;
      break;
    case 98 /* b */:
      ctx |= Ctx.BhOff;
      break;
    case 46 /* . */:
    case 88 /* X */:
      break;
    default:
      return 0;
  }
  const n = f.charCodeAt(1);
  if (n !== 46 && n !== 78 /* N */ && n !== 110 /* n */ && n !== 112 /* p */) return 0;
  switch (f.charCodeAt(2)) {
    case 90 /* Z */:
      ctx |= Ctx.Nmi | Ctx.Hardirq;
      break;
    case 122 /* z */:
      ctx |= Ctx.Nmi;
      break;
    case 72 /* H */:
      ctx |= Ctx.Hardirq | Ctx.Softirq;
      break;
    case 104 /* h */:
      ctx |= Ctx.Hardirq;
      break;
    case 115 /* s */:
      ctx |= Ctx.Softirq;
      break;
    case 46 /* . */:
      break;
    default:
      return 0;
  }
  return ctx;
}

/** How read acquisitions take part in ordering (the tracepoint cannot tell recursive readers apart). */
export type ReadLockRule = 'non-recursive' | 'recursive';

/** A problem with the input that did not stop parsing. `line` is 1-based. */
export interface TraceWarning {
  line: number;
  message: string;
}

/** An input the parser cannot read at all. */
export class TraceError extends Error {
  constructor(
    readonly file: string,
    /** 1-based line, 0 when the problem is not tied to one line. */
    readonly line: number,
    readonly expected: string,
    readonly got?: string,
    /** A specific reason that replaces "expected …" in the message. */
    detail?: string,
  ) {
    super(
      `${file}${line > 0 ? `:${line}` : ''}: ${detail ?? `expected ${expected}`}${got !== undefined ? `, got ${JSON.stringify(clip(got, 80))}` : ''}`,
    );
    this.name = 'TraceError';
  }
}

/** An edge as a finding records it: only the fields of EdgeOrigin (the graph's edge attributes carry more). */
export function edgeOrigin(e: EdgeOrigin): EdgeOrigin {
  return {
    from: e.from,
    to: e.to,
    eventIndex: e.eventIndex,
    line: e.line,
    pid: e.pid,
    comm: e.comm,
    syscall: e.syscall,
    fromEventIndex: e.fromEventIndex,
    fromLine: e.fromLine,
    fromSyscall: e.fromSyscall,
    crossSyscall: e.crossSyscall,
    fromRead: e.fromRead,
    toRead: e.toRead,
    ...(e.site ? { site: e.site } : {}),
    ...(e.fromSite ? { fromSite: e.fromSite } : {}),
    ...(e.via ? { via: e.via } : {}),
  };
}

/** `r` without repeats of the same line and message, in order. */
export function dedupeRelated(r: RelatedLine[]): RelatedLine[] {
  const seen = new Set<string>();
  return r.filter((x) => {
    const k = `${x.line}\u0000${x.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

export function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n)}…` : s;
}

/** A task (thread) as seen in the trace. */
export interface TaskInfo {
  /** Index in the store's task table. */
  id: number;
  pid: number;
  comm: string;
  /** Index of the task's first event. */
  firstEvent: number;
  /** For pid 0: the CPU whose idle task this is (each CPU has its own). */
  idleCpu?: number;
}

/** A lock instance (an address, a file). */
export interface LockInfo {
  id: number;
  /** Identity as printed (address, `file@…`). */
  key: string;
  classId: number;
  domain: LockDomain;
}

/** One frame of a kernel stack trace as a kernel log prints it (`lockseed_ioctl+0x40/0xda [lockseed]`). */
export interface StackFrame {
  /** Function as printed (`__mutex_lock.constprop.0`), or the address when the frame is not symbolized. */
  fn: string;
  /** `+0x40/0xda`: offset into the function and its size, as printed (hex). */
  offset?: string;
  size?: string;
  /** Module the function is in (`[lockseed]`). */
  module?: string;
  /** Source location a symbolizer printed (`fs/ioctl.c:51`; the innermost one for inlined calls). */
  source?: { file: string; line: number };
  /** `[inline]`: a function inlined into the next frame (symbolized reports print them). */
  inline?: boolean;
  /** `? ` frames: the unwinder is not sure they are on the stack; never used to tell the context. */
  unreliable?: boolean;
  /** `[<ffffffff810a0bf1>]`, when printed. */
  address?: string;
  /** 1-based line of the frame in the log. */
  line: number;
}

/** What a kernel stack trace says a lock was taken in (kernel logs). */
export interface ExecContext {
  kind: 'syscall' | 'fault' | 'kthread' | 'workqueue' | 'softirq' | 'hardirq' | 'nmi' | 'boot' | 'idle' | 'unknown';
  /** kinds `syscall` and `fault`: the syscall in progress (null when its entry frame names none). */
  syscall?: string | null;
  /** A 32-bit or compat entry (`__ia32_sys_*`, `compat_sys_*`, `do_int80_syscall_32`). */
  compat?: boolean;
  /** The function that defines the context: work function, thread function, timer or irq handler, initcall. */
  function?: string;
  /** irq and softirq kinds: the context that was interrupted (`syscall ioctl`, `idle`). */
  interrupted?: string;
  /** One line for people: `syscall ioctl`, `workqueue lockseed_work_fn`, `softirq lockseed_timer_fn (interrupted syscall ioctl)`. */
  label: string;
}

/** One edge of the lock-order graph: `from` was held when `to` was taken. */
export interface EdgeOrigin {
  from: string;
  to: string;
  /** Event that first made this edge. */
  eventIndex: number;
  /** 1-based trace line of that event. */
  line: number;
  pid: number;
  comm: string;
  /** Syscall in progress when `to` was taken (null: in userspace or unknown). */
  syscall: string | null;
  /** Event and line where the `from` lock was acquired, and the syscall that acquired it. */
  fromEventIndex: number;
  fromLine: number;
  fromSyscall: string | null;
  /** True when `from` was acquired in an earlier syscall (or in userspace) than the one taking `to`. */
  crossSyscall: boolean;
  /** Source call sites (`file:line in fn`) of the two acquisitions, when the trace recorded them. */
  site?: string;
  fromSite?: string;
  fromRead: boolean;
  toRead: boolean;
  /** Made by a kernel worker running a work item: the work and where it was queued (workqueue.ts). */
  via?: WorkOrigin;
  /** Kernel logs: the context the `to` lock was taken in, read from the edge's stack. */
  context?: ExecContext;
  /** Kernel logs: the stack the log prints for this edge (innermost first). */
  stack?: StackFrame[];
}

/** A work item a kworker ran, and the task and syscall that queued it. */
export interface WorkOrigin {
  /** The work: its function (workqueue events) or its lockdep class, `(work_completion)(&w)`. */
  work: string;
  /** The workqueue, from its `(wq_completion)NAME` lock or the queue event. */
  workqueue?: string;
  /** Where it was queued (absent: before the trace began, or not seen). */
  queued?: {
    line: number;
    pid: number;
    comm: string;
    /** Syscall the queuing task was in (null: none, e.g. a kernel thread or an interrupt). */
    syscall: string | null;
    /** Queued by an interrupt (a timer's softirq, say) on top of that task, not by the task. */
    context?: 'softirq' | 'hardirq';
    /** The queuing task was itself running a work item: where that one was queued. */
    via?: WorkOrigin;
  };
  /**
   * Matched through the worker pool's lock (`&pool->lock`) rather than by workqueue events: the
   * last task to take that pool's lock before the worker picked the work up. A good guess, not proof.
   */
  inferred?: boolean;
}

/** A lock-order edge between two lock instances (the instance view of a class edge). */
export interface InstanceEdge {
  /** Classes (graph nodes) of the two locks. */
  from: string;
  to: string;
  /** The instances: address or recorder lock id, as the trace prints it. */
  fromInstance: string;
  toInstance: string;
  /** 1-based line where this pair of instances first made the edge. */
  line: number;
}

/** One interrupt-usage of a lock class (irq-state findings). */
export interface LockUsage {
  lock: string;
  /** lockdep's name of the usage: IN-HARDIRQ-W, IN-SOFTIRQ-R, HARDIRQ-ON-W, SOFTIRQ-ON-R. */
  usage: string;
  /** 1-based line where the usage first showed up (0: not known, e.g. from a kernel log). */
  line: number;
  comm?: string;
  pid?: number;
  /** Kernel logs: the stack where the usage was recorded, and the context it shows. */
  stack?: StackFrame[];
  context?: ExecContext;
}

/** A lock a kernel log says a task held (`#0: ffff… (&dev->a_lock){+.+.}-{3:3}, at: lockseed_ioctl+0x40/0xda`). */
export interface HeldLockRecord {
  lock: string;
  /** 1-based line of the `#N:` entry. */
  line: number;
  /** Where it was acquired (with inlined callers first when the log is symbolized). */
  at?: StackFrame[];
}

export interface RelatedLine {
  line: number;
  message: string;
}

export interface Finding {
  /** Stable index in the analysis' finding list (ordered by eventIndex). */
  id: number;
  kind: FindingKind;
  message: string;
  /** Event where it first shows up, and its 1-based line. */
  eventIndex: number;
  line: number;
  pid: number;
  comm: string;
  /** Syscall in progress at that event (null: none/unknown). */
  syscall: string | null;
  /** Class names involved, sorted. */
  locks: string[];
  /** Inversions only. */
  /**
   * `syscall-order`: some edge exists only because a lock was held across a syscall boundary;
   * `in-kernel`: every edge was made inside one syscall; `userspace`: only userspace locks.
   */
  order?: 'syscall-order' | 'in-kernel' | 'userspace';
  cycle?: EdgeOrigin[];
  /**
   * irq-state findings: the conflicting usages, lockdep style (`IN-SOFTIRQ-W`: taken in softirq
   * context as a writer; `SOFTIRQ-ON-W`: taken with softirqs enabled), each where it first showed up.
   */
  usages?: LockUsage[];
  /** Other lines worth looking at (edge origins, the leaking syscall's exit, the acquisition). */
  related: RelatedLine[];
  /** How many times the same finding (same kind, locks, task and syscall) was seen. */
  occurrences: number;
  /**
   * Inversions: the cycle's identity, from its set of classes (cycles.ts): a short id (`LT-3f9a`)
   * and the full fingerprint it is a prefix of. The same in every run, format and trace length.
   */
  cycleId?: string;
  cycleFingerprint?: string;
  /** Inversions: the id of the strongly connected component the cycle belongs to. */
  component?: string;
  /**
   * Inversions: whether the cycle also closes between lock instances (true: a real deadlock
   * candidate), only between different instances of its classes (false: the classic class-level
   * false positive), or cannot be told (null: too many instance pairs were seen to keep them all).
   */
  instanceCycle?: boolean | null;
  /** The instance cycle when there is one, else every instance pair seen on the cycle's edges (capped). */
  instances?: InstanceEdge[];
  /**
   * Inversions: locks (class names) held, before the first lock of the edge, by the task making
   * every edge of the cycle, every time: a gate that serialises both orders, so the cycle cannot
   * deadlock. Absent when there is none.
   */
  guardedBy?: string[];
  /** Kernel logs: the report's title as printed (`WARNING: possible circular locking dependency detected`). */
  title?: string;
  /** Kernel logs: the reporting task's context and stack (its `stack backtrace:`), innermost first. */
  context?: ExecContext;
  stack?: StackFrame[];
  /** Kernel logs: what the report says the task held, outermost first. */
  held?: HeldLockRecord[];
  /** contention findings: how often and how long the syscall waited for the kernel lock. */
  wait?: ContentionStats;
}

/** What a `contention` finding measured (milliseconds). */
export interface ContentionStats {
  /** Waits (begin … end pairs) in the group. */
  count: number;
  totalMs: number;
  maxMs: number;
  /** Over the waits that ended inside the trace. */
  avgMs: number;
  /** Waits whose end is not in the trace. */
  unfinished: number;
  /** Distinct tasks that waited. */
  tasks: number;
  /** The kernel function that took the lock (from the recorded kernel stack), when known. */
  caller: string | null;
  /** Userspace locks held during some of the waits (class names). */
  holding: string[];
  /** 1-based line where the longest wait began. */
  longestLine: number;
}

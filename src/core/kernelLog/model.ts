// The records a kernel log is read into: each lockdep (or other locking) report with its locks,
// chain, held-lock lists and stacks, and what each synthetic event of the log's EventStore stands
// for, so the debugger, panel and editor can show the log's own stacks at every step.

import { ExecContext, FindingKind, StackFrame } from '../types';

/** A lock class as a report prints it: `ffff888000b43470 (&type->i_mutex_dir_key#5/1){+.+.}-{3:3}, at: func+0x1/0x2`. */
export interface KernelLockRef {
  /** The class name as printed, with lockdep's `#N` name version and `/N` subclass (`&pipe->mutex/1`). */
  name: string;
  /** The lockdep_map name without `#N` and `/N`: what source lock expressions match. */
  base: string;
  /** `#N`: lockdep numbers classes that share a name (`#2` is another class than the unnumbered one); 1 when absent. */
  version: number;
  /** `/N`: the subclass (`mutex_lock_nested(…, N)`); 0 when absent. */
  subclass: number;
  /** Usage bits as printed (`+.+.`, old kernels `+.+.+.`); see usageStates(). */
  usage?: string;
  /** `-{outer:inner}` wait types (kernels since 5.7). */
  wait?: { outer: number; inner: number };
  /** The lock instance address, when printed (raw, hashed, or `(____ptrval____)`). */
  address?: string;
  /** `, at: …`: where the task acquired it (inlined callers first, as symbolized logs print them). */
  at?: StackFrame[];
  /** 1-based log line where it is printed (the first one, for a lock repeated per inlined caller). */
  line: number;
}

/** `N locks held by comm/pid:` and its `#i:` entries: a task's held stack, outermost first. */
export interface HeldList {
  comm: string;
  pid: number;
  /** The list header's line. */
  line: number;
  /** The count the header prints (entries may be fewer when the log is cut, or when the task was running). */
  count: number;
  locks: KernelLockRef[];
}

/** One `-> #N (class):` entry of a circular-dependency chain, with the stack lockdep saved for it. */
export interface ChainEntry {
  depth: number;
  lock: KernelLockRef;
  stack: StackFrame[];
}

/** An interrupt usage with its stack (`{SOFTIRQ-ON-W} state was registered at:`, `HARDIRQ-ON-W at:`). */
export interface UsageTrace {
  /** The class it belongs to (null when the report does not say). */
  lock: string | null;
  /** lockdep's usage name: `IN-HARDIRQ-W`, `SOFTIRQ-ON-R`, `INITIAL USE`. */
  usage: string;
  line: number;
  stack: StackFrame[];
}

export interface KernelReport {
  /** Index in KernelLog.reports (log order of the titles). */
  index: number;
  kind: FindingKind;
  /** The title as printed: `WARNING: possible circular locking dependency detected`, `[ INFO: … ]`. */
  title: string;
  /** 1-based line of the title, and of the report's last line. */
  line: number;
  endLine: number;
  /** Monotonic seconds of the title line, when the log has them (else NaN). */
  ts: number;
  /** The stream (prefix shape and printk caller) the report's lines came from. */
  stream: string;
  /** `6.1.192 #2 Not tainted`. */
  kernel?: string;
  /** The task the report is about (`comm/pid is trying to acquire lock:`, `CPU: N PID: P Comm: C`). */
  task?: { comm: string; pid: number };
  /** The CPU from the backtrace header (`CPU: 1 PID: 145 …`). */
  cpu?: number;
  /** The lock being acquired, released, freed, or whose state changed. */
  acquiring?: KernelLockRef;
  /** Line of the phrase that introduces `acquiring` (`… is trying to acquire lock:`). */
  acquiringLine?: number;
  /** `but task is already holding lock:` / `and this task is already holding:`. */
  holding?: KernelLockRef;
  /** Circular dependencies: the `-> #N` entries in print order (#N first, #0 last). */
  chain: ChainEntry[];
  /** Every `N locks held by comm/pid:` list of the report (hung-task reports list many tasks). */
  held: HeldList[];
  /** `no locks held by comm/pid.` */
  noneHeld: { comm: string; pid: number; line: number }[];
  /** The reporting task's stack (`stack backtrace:` … `Call Trace:`), innermost first. */
  backtrace: StackFrame[];
  /** Line of `stack backtrace:` (or `Call Trace:` when there is none), 0 when absent. */
  backtraceLine: number;
  /** irq-state reports: the usages with their stacks, in print order. */
  usages: UsageTrace[];
  /** `inconsistent {SOFTIRQ-ON-W} -> {IN-SOFTIRQ-W} usage.` */
  usageChange?: [string, string];
  /** irq inversion: the other lock and the direction (`took another, SOFTIRQ-unsafe` = forwards). */
  other?: KernelLockRef;
  otherRelation?: { forwards: boolean; state: string };
  /** safe -> unsafe order: the irq-safe and irq-unsafe locks, and the new dependency. */
  safe?: KernelLockRef;
  unsafe?: KernelLockRef;
  irqState?: string;
  /** held lock freed: the freed range. */
  freed?: { from: string; to: string; line: number };
  /** Free text lines worth showing for lockdep-other reports (`kernel/foo.c:12 suspicious rcu_dereference_check() usage!`). */
  details: string[];
  /** Parse problems (a cut report, a chain entry without a class). */
  notes: string[];
}

/** What one synthetic event of a kernel log's EventStore stands for. */
export interface KernelEventInfo {
  report: number;
  /**
   * `title`: the report itself (findings point here); `edge`: a chain edge's acquisition of its `to`
   * lock (`edge-from`: the `from` lock it held); `held`: a lock a held list shows; `acquire`: the
   * reporting task's acquisition the report is about (pending); `usage`: an irq usage's acquisition;
   * `release`: a bad unlock's release; `return`: the return to user space of held-across-syscall;
   * `exit`/`free`: the exit or free the report is about; `end`: locks dropped when the report ends.
   */
  role: 'title' | 'edge' | 'edge-from' | 'held' | 'acquire' | 'usage' | 'release' | 'return' | 'exit' | 'free' | 'end';
  /** Chain edges: N of `-> #N`. */
  edge?: number;
  /** The stack the log prints for this step (innermost first). */
  stack?: StackFrame[];
  context?: ExecContext;
}

/** A kernel log read into reports, attached to the EventStore the log becomes. */
export interface KernelLog {
  reports: KernelReport[];
  /** Per event index of the store. */
  events: KernelEventInfo[];
  /** Reports beyond the kept maximum (counted, not kept). */
  droppedReports: number;
  /** Lines with a kernel-log prefix (a dmesg timestamp, a journal prefix, a caller id). */
  prefixedLines: number;
}

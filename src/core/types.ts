// Plain records shared by the whole core (parsing, event store, analysis, replay) and by every
// layer above it (CLI, debug adapter, extension, webview protocol).
// May import nothing: no `vscode`, no Node modules.

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

export type TraceFormat = 'ftrace' | 'trace-cmd' | 'perf' | 'jsonl';
export type FormatOption = TraceFormat | 'auto';

export type FindingKind = 'inversion' | 'recursive' | 'held-across-syscall' | 'bad-unlock' | 'held-at-exit';
export const FINDING_KINDS: readonly FindingKind[] = ['inversion', 'held-across-syscall', 'recursive', 'bad-unlock', 'held-at-exit'];

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
}

/** A lock instance (an address, a file). */
export interface LockInfo {
  id: number;
  /** Identity as printed (address, `file@…`). */
  key: string;
  classId: number;
  domain: LockDomain;
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
  /** Other lines worth looking at (edge origins, the leaking syscall's exit, the acquisition). */
  related: RelatedLine[];
  /** How many times the same finding (same kind, locks, task and syscall) was seen. */
  occurrences: number;
}

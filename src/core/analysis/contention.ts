// Where the traced tasks waited for kernel locks, and for how long: `perf lock contention`, tied to
// the syscall that waited and to the userspace locks the task held meanwhile. Waits are
// contention_begin … contention_end (stock kernels, Linux 5.19+; nested begins of one wait, as a
// mutex's optimistic spin followed by its sleep, are one wait), or lockdep's lock_contended …
// lock_acquired when the trace has those (their lock names are lockdep's classes). Grouped by lock
// class, syscall and the function that took the lock (the call site a recorder stored), each group
// is one finding of kind `contention` (off by default: AnalyzeOptions.kinds turns it on).

import { EventStore } from '../store';
import { EventFlag, EventKind, Finding } from '../types';

/** One wait of one task for one kernel lock. */
export interface ContentionWait {
  /** The event that started the wait (contention_begin or lock_contended). */
  begin: number;
  /** The event that ended it (contention_end or lock_acquired); -1 when the trace has none. */
  end: number;
  task: number;
  /** Lock id (store.locks). */
  lock: number;
  /** Seconds waited (NaN when the end is missing). */
  seconds: number;
  /** The syscall entry event in progress when the wait began (-1: none seen). */
  sysEntry: number;
  /** The function that took the lock (from the recorder's kernel stack), when known. */
  caller: string | null;
  /** Userspace and file locks (lock ids) the task held while it waited. */
  holding: number[];
  /** contention_end's return value (non-zero: the wait was interrupted or failed). */
  ret: number;
}

/** Waits of one lock class from one syscall and one caller. */
export interface ContentionGroup {
  className: string;
  syscall: string | null;
  caller: string | null;
  /** Indexes into ContentionSummary.waits, in trace order. */
  waits: number[];
  totalSeconds: number;
  maxSeconds: number;
  /** The longest finished wait (index into waits), or the first when none finished. */
  longest: number;
  /** Waits whose end is not in the trace (lost events, or the trace stopped). */
  unfinished: number;
  /** Distinct tasks that waited. */
  tasks: number;
  /** Userspace locks held during some of these waits: class name → number of waits. */
  holding: Map<string, number>;
}

export interface ContentionSummary {
  /** `contention`: contention_begin/end; `lockdep`: lock_contended/lock_acquired; null: none. */
  source: 'contention' | 'lockdep' | null;
  waits: ContentionWait[];
  /** Ordered by total time waited, longest first. */
  groups: ContentionGroup[];
  totalSeconds: number;
}

interface TaskTrack {
  sysEntry: number;
  /** Lock id → the wait in progress on it. */
  waiting: Map<number, number>;
  /** Userspace and file locks held, and blocking acquisitions still pending. */
  held: Set<number>;
  pending: Set<number>;
}

/** Every kernel lock wait in the trace, grouped (one pass). */
export function analyzeContention(s: EventStore): ContentionSummary {
  let hasBegin = false;
  let hasContended = false;
  for (let i = 0; i < s.length; i++) {
    const k = s.kind[i];
    if (k === EventKind.ContentionBegin) hasBegin = true;
    else if (k === EventKind.Contended && !(s.flags[i] & EventFlag.StatAcquired)) hasContended = true;
  }
  // lockdep traces with both: lock_contended names the lockdep class, contention_begin only an
  // address (of the lock, not of its dep_map), so the lockdep events are the better source.
  const source = hasContended ? 'lockdep' : hasBegin ? 'contention' : null;
  const waits: ContentionWait[] = [];
  if (!source) return { source, waits, groups: [], totalSeconds: 0 };
  const tracks = new Map<number, TaskTrack>();
  const track = (task: number): TaskTrack => {
    let t = tracks.get(task);
    if (!t) tracks.set(task, (t = { sysEntry: -1, waiting: new Map(), held: new Set(), pending: new Set() }));
    return t;
  };
  const finishWait = (w: ContentionWait, end: number, ret: number) => {
    w.end = end;
    w.ret = ret;
    w.seconds = Math.max(0, s.ts[end] - s.ts[w.begin]);
  };
  for (let i = 0; i < s.length; i++) {
    const kind = s.kind[i];
    switch (kind) {
      case EventKind.SysEnter:
        if (!(s.flags[i] & EventFlag.Duplicate)) track(s.task[i]).sysEntry = i;
        break;
      case EventKind.SysExit:
        if (!(s.flags[i] & EventFlag.Duplicate)) track(s.task[i]).sysEntry = -1;
        break;
      case EventKind.Acquire:
      case EventKind.Acquired:
      case EventKind.AcquireFailed:
      case EventKind.Release: {
        const lock = s.ref[i];
        if (s.locks[lock]?.domain === 'kernel') break;
        const t = track(s.task[i]);
        if (kind === EventKind.Acquire) {
          if (s.flags[i] & EventFlag.Pending) t.pending.add(lock);
          else t.held.add(lock);
        } else if (kind === EventKind.Acquired) {
          t.pending.delete(lock);
          t.held.add(lock);
        } else {
          t.pending.delete(lock);
          t.held.delete(lock);
        }
        break;
      }
      case EventKind.ContentionBegin:
      case EventKind.Contended: {
        const isBegin = kind === EventKind.ContentionBegin;
        const isStatAcquired = !isBegin && (s.flags[i] & EventFlag.StatAcquired) !== 0;
        if ((source === 'contention') !== isBegin) break;
        const t = track(s.task[i]);
        const lock = s.ref[i];
        if (isStatAcquired) {
          const w = t.waiting.get(lock);
          if (w !== undefined) {
            finishWait(waits[w], i, 0);
            t.waiting.delete(lock);
          }
          break;
        }
        if (t.waiting.has(lock)) break; // the same wait goes on (a mutex's spin, then its sleep)
        t.waiting.set(lock, waits.length);
        waits.push({
          begin: i,
          end: -1,
          task: s.task[i],
          lock,
          seconds: NaN,
          sysEntry: t.sysEntry,
          caller: s.sites.get(i)?.fn ?? null,
          holding: [...t.held],
          ret: 0,
        });
        break;
      }
      case EventKind.ContentionEnd: {
        if (source !== 'contention') break;
        const t = track(s.task[i]);
        const lock = s.ref[i];
        const w = t.waiting.get(lock);
        if (w !== undefined) {
          finishWait(waits[w], i, s.num[i]);
          t.waiting.delete(lock);
        }
        break;
      }
      case EventKind.Exit:
        tracks.delete(s.task[i]);
        break;
      default:
        break;
    }
  }
  const groups = new Map<string, ContentionGroup>();
  const groupTasks = new Map<ContentionGroup, Set<number>>();
  let totalSeconds = 0;
  waits.forEach((w, k) => {
    const className = s.className(w.lock);
    const syscall = w.sysEntry >= 0 ? s.names.get(s.ref[w.sysEntry]) : null;
    const key = `${className}\u0000${syscall ?? ''}\u0000${w.caller ?? ''}`;
    let g = groups.get(key);
    if (!g) {
      g = {
        className,
        syscall,
        caller: w.caller,
        waits: [],
        totalSeconds: 0,
        maxSeconds: 0,
        longest: k,
        unfinished: 0,
        tasks: 0,
        holding: new Map(),
      };
      groups.set(key, g);
      groupTasks.set(g, new Set());
    }
    g.waits.push(k);
    groupTasks.get(g)!.add(w.task);
    if (Number.isNaN(w.seconds)) g.unfinished++;
    else {
      g.totalSeconds += w.seconds;
      totalSeconds += w.seconds;
      if (w.seconds > g.maxSeconds || Number.isNaN(waits[g.longest].seconds)) {
        g.maxSeconds = Math.max(g.maxSeconds, w.seconds);
        g.longest = k;
      }
    }
    for (const h of w.holding) {
      const name = s.className(h);
      g.holding.set(name, (g.holding.get(name) ?? 0) + 1);
    }
  });
  for (const [g, set] of groupTasks) g.tasks = set.size;
  const sorted = [...groups.values()].sort((a, b) => b.totalSeconds - a.totalSeconds || a.waits[0] - b.waits[0]);
  return { source, waits, groups: sorted, totalSeconds };
}

/** `37 µs`, `1.2 ms`, `2.50 s`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '?';
  if (seconds >= 1) return `${seconds.toFixed(2)} s`;
  if (seconds >= 1e-3) return `${(seconds * 1e3).toFixed(seconds >= 0.1 ? 0 : 1)} ms`;
  return `${(seconds * 1e6).toFixed(seconds >= 1e-5 ? 0 : 1)} µs`;
}

/** One `contention` finding per group (id 0: the analyzer numbers findings). */
export function contentionFindings(s: EventStore, c: ContentionSummary): Finding[] {
  const out: Finding[] = [];
  for (const g of c.groups) {
    const first = c.waits[g.waits[0]];
    const longest = c.waits[g.longest];
    const t = s.tasks[first.task];
    const finished = g.waits.length - g.unfinished;
    // no syscall: a page fault, an interrupt, a kernel thread, or a syscall entered before the trace
    const where = g.syscall ?? 'outside syscalls (a page fault, an interrupt or a kernel thread)';
    const via = g.caller && !g.className.includes(g.caller) ? ` (taken in ${g.caller})` : '';
    const lines = [
      `${where} waited for kernel lock ${g.className}${via} ${g.waits.length} time${g.waits.length === 1 ? '' : 's'}` +
        `${g.tasks > 1 ? ` in ${g.tasks} tasks` : ''}: ` +
        (finished
          ? `total ${formatDuration(g.totalSeconds)}, longest ${formatDuration(g.maxSeconds)} (line ${s.line[longest.begin]}), average ${formatDuration(g.totalSeconds / finished)}`
          : 'no wait ended inside the trace') +
        (g.unfinished && finished ? `; ${g.unfinished} wait(s) did not end inside the trace` : ''),
    ];
    const holding = [...g.holding.entries()].sort((a, b) => b[1] - a[1]);
    if (holding.length) {
      lines.push(
        `while holding userspace lock${holding.length > 1 ? 's' : ''} ${holding.map(([n, k]) => `${n}${k < g.waits.length ? ` (${k} of the waits)` : ''}`).join(', ')}: other threads that need ${holding.length > 1 ? 'them' : 'it'} wait as long`,
      );
    }
    const related = [
      {
        line: s.line[longest.begin],
        message: `longest wait: ${formatDuration(longest.seconds)} by ${s.tasks[longest.task].comm}/${s.tasks[longest.task].pid}`,
      },
    ];
    if (longest.end >= 0) related.push({ line: s.line[longest.end], message: 'the longest wait ends here' });
    if (first.sysEntry >= 0) related.push({ line: s.line[first.sysEntry], message: `${g.syscall} entered (first wait)` });
    out.push({
      id: 0,
      kind: 'contention',
      message: lines.join('\n'),
      eventIndex: first.begin,
      line: s.line[first.begin],
      pid: t.pid,
      comm: t.comm,
      syscall: g.syscall,
      locks: [g.className, ...holding.map(([n]) => n)].filter((v, k, a) => a.indexOf(v) === k).sort(),
      related,
      occurrences: g.waits.length,
      wait: {
        count: g.waits.length,
        totalMs: g.totalSeconds * 1e3,
        maxMs: g.maxSeconds * 1e3,
        avgMs: finished ? (g.totalSeconds / finished) * 1e3 : 0,
        unfinished: g.unfinished,
        tasks: g.tasks,
        caller: g.caller,
        holding: holding.map(([n]) => n),
        longestLine: s.line[longest.begin],
      },
    });
  }
  return out;
}

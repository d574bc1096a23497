// What the editor features look up in an analysed trace, built once per analysis: syscall spans
// (entry/exit, return value, locks taken and leaked), per-class contention events, per-task
// first/last lines, and the events of a line. Plain data, no `vscode`: hovers, symbols, folding,
// definitions and references are computed from it (and unit-tested without VS Code).
// Lines here are trace lines (1-based), like everywhere in the core.
//
// Columnar like the event store (src/core/store.ts): a 10-million-event trace has over a million
// syscall spans, so spans are typed-array columns, the locks taken and leaked are flat typed
// arrays with per-span offsets, and a span's object (`SyscallSpan`) is only made when a hover,
// definition, symbol or folding provider asks for it. Acquire/release lists per class are computed
// on demand from the store (references are rare; the store's columns are already in memory).

import { Analysis, EventFlag, EventKind, EventStore } from '../core';
import { Held, HeldFlag, LockState, StateHooks } from '../core/analysis/state';

/** A lock taken inside a syscall. */
export interface TakenLock {
  lockId: number;
  className: string;
  /** Acquire event and its line. */
  event: number;
  line: number;
  /** Line of the release by the same task, or null when it is still held at the syscall's exit. */
  releasedLine: number | null;
}

/** A lock still held when a syscall returned, with where it was taken. */
export interface LeakedLock {
  lockId: number;
  className: string;
  line: number;
  /** Taken inside this syscall (rather than held from before it). */
  takenHere: boolean;
  domain: string;
}

/** One syscall of one task: from its entry event to its exit event. Made on demand by `TraceIndex.span`. */
export interface SyscallSpan {
  id: number;
  taskId: number;
  name: string;
  /** Syscall number (-1 when unknown). */
  nr: number;
  /** Entry event and line (-1 when the syscall was entered before the trace began). */
  entryEvent: number;
  entryLine: number;
  /** Exit event and line (-1 when the trace shows no exit). */
  exitEvent: number;
  exitLine: number;
  /** Return value (null without an exit). */
  ret: number | null;
  taken: TakenLock[];
  /** Kernel/user/file locks still held when the syscall returned, with where they were taken. */
  leaked: LeakedLock[];
}

export interface ClassEvents {
  acquires: number[];
  releases: number[];
  contentions: number[];
}

export interface TaskRange {
  taskId: number;
  pid: number;
  comm: string;
  firstLine: number;
  lastLine: number;
  /** Number of syscall spans of the task (`TraceIndex.spansOfTask` lists them). */
  spanCount: number;
}

const SHIFT = 12;
/** Entries per chunk of a column. */
const CHUNK_SIZE = 1 << SHIFT;
const MASK = CHUNK_SIZE - 1;

/**
 * A growable typed-array column made of fixed chunks: growing never copies more than one chunk
 * (fresh memory is paid for page by page, so one big reallocation would block the event loop),
 * and nothing is copied when the build finishes. The first chunk starts small, for small traces.
 */
class Column<T extends Int32Array | Float64Array> {
  private readonly chunks: T[] = [];
  length = 0;

  constructor(private readonly make: (n: number) => T) {}

  push(v: number): number {
    const i = this.length;
    const c = i >>> SHIFT;
    const o = i & MASK;
    let chunk = this.chunks[c];
    if (!chunk) {
      chunk = this.make(c === 0 ? 16 : CHUNK_SIZE);
      this.chunks.push(chunk);
    } else if (o === chunk.length) {
      const bigger = this.make(Math.min(CHUNK_SIZE, chunk.length * 2));
      (bigger as Int32Array).set(chunk);
      this.chunks[c] = chunk = bigger;
    }
    chunk[o] = v;
    return this.length++;
  }

  get(i: number): number {
    return this.chunks[i >>> SHIFT][i & MASK];
  }

  set(i: number, v: number): void {
    this.chunks[i >>> SHIFT][i & MASK] = v;
  }

  /** First k in [lo, hi) with get(k) >= v (the column ascending). */
  lowerBound(v: number, lo = 0, hi = this.length): number {
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.get(mid) < v) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  get byteLength(): number {
    let n = 0;
    for (const c of this.chunks) n += c.byteLength;
    return n;
  }
}

const ints = () => new Column((n) => new Int32Array(n));
const floats = () => new Column((n) => new Float64Array(n));

/** Everything that only exists while the index is being built. */
interface BuildState {
  st: LockState;
  hooks: StateHooks;
  /** Open span per task (-1: none). */
  open: Int32Array;
  /** Last taken-lock record of the task's open span (-1: none yet). */
  tail: Int32Array;
}

/** Default longest stretch of work between two yields of `TraceIndex.build`. */
const SLICE_BUDGET_MS = 12;
/** Events scanned between two clock reads. */
const EVENTS_PER_CHECK = 4096;

export class TraceIndex {
  readonly tasks: TaskRange[] = [];

  // --- span columns (index = span id, in the order the spans' first events appear) ---
  private readonly spanTask = ints();
  private readonly spanName = ints();
  private readonly spanNr = ints();
  private readonly spanEntry = ints();
  private readonly spanExit = ints();
  /** NaN without an exit. */
  private readonly spanRet = floats();
  /** Span ids of each task, in event order. */
  private readonly taskSpans: Column<Int32Array>[] = [];
  /** Locks taken inside a span: a chain of records from takenFirst[span] through takenNext (-1 ends it). */
  private readonly takenFirst = ints();
  private readonly takenEvent = ints(); // ascending: records are made in event order
  private readonly takenRelease = ints(); // release event, -1: none
  private readonly takenNext = ints();
  /** Locks held at a span's exit: leakLock/leakAcq[leakStart[id] .. + leakCount[id]). */
  private readonly leakStart = ints();
  private readonly leakCount = ints();
  private readonly leakLock = ints();
  private readonly leakAcq = ints();
  /** Contention events (lock_contended, contention_begin) per class id, ascending. */
  private readonly contentions: (Column<Int32Array> | undefined)[] = [];
  /** Only for traces sorted by time (lines out of order): events ordered by (line, index). */
  private byLine: Int32Array | null = null;

  private build: BuildState | null = null;

  /**
   * Builds the whole index at once. For big traces on a UI thread use `TraceIndex.build`, which
   * does the same work in slices and yields between them.
   */
  constructor(
    readonly analysis: Analysis,
    deferred = false,
  ) {
    const s = analysis.store;
    for (const t of s.tasks) {
      this.tasks.push({ taskId: t.id, pid: t.pid, comm: t.comm, firstLine: Infinity, lastLine: 0, spanCount: 0 });
      this.taskSpans.push(ints());
    }
    this.build = this.startBuild();
    if (!deferred) {
      this.scan(0, s.length);
      this.finish();
    }
  }

  /**
   * The same index, built in slices with a yield (`pause`) between them: at most `slice` events
   * and about `budgetMs` of work per slice, so the event loop of the extension host is never
   * blocked for long.
   */
  static async build(
    analysis: Analysis,
    slice = 1_000_000,
    pause: () => Promise<void> = () => new Promise((r) => setTimeout(r, 0)),
    budgetMs = SLICE_BUDGET_MS,
  ): Promise<TraceIndex> {
    const index = new TraceIndex(analysis, true);
    const n = analysis.store.length;
    let next = 0;
    while (next < n) {
      const t0 = performance.now();
      const end = Math.min(n, next + slice);
      while (next < end) {
        next = index.scan(next, Math.min(end, next + EVENTS_PER_CHECK));
        if (performance.now() - t0 >= budgetMs) break;
      }
      if (next < n) await pause();
    }
    index.finish();
    return index;
  }

  private startBuild(): BuildState {
    const s = this.analysis.store;
    const b: BuildState = {
      st: new LockState(s, this.analysis.model),
      hooks: {},
      open: new Int32Array(s.tasks.length).fill(-1),
      tail: new Int32Array(s.tasks.length).fill(-1),
    };
    b.hooks = {
      acquire: (_t: unknown, taskId: number, i: number) => {
        const span = b.open[taskId];
        if (span < 0) return;
        const rec = this.takenEvent.push(i);
        this.takenRelease.push(-1);
        this.takenNext.push(-1);
        const tail = b.tail[taskId];
        if (tail < 0) this.takenFirst.set(span, rec);
        else this.takenNext.set(tail, rec);
        b.tail[taskId] = rec;
      },
      sysExit: (t: { held: Held[] }, taskId: number, i: number) => {
        let span = b.open[taskId];
        const name = s.ref[i];
        if (span < 0 || this.spanName.get(span) !== name) {
          // an exit without a traced entry: a span of its own (the open one, if any, ends before it)
          span = this.newSpan(taskId, name, -1, -1);
        }
        this.spanExit.set(span, i);
        this.spanRet.set(span, s.num[i]);
        this.leakStart.set(span, this.leakLock.length);
        let count = 0;
        for (const h of t.held) {
          if (h.flags & HeldFlag.Pending) continue;
          this.leakLock.push(h.lock);
          this.leakAcq.push(h.acq);
          count++;
        }
        this.leakCount.set(span, count);
        b.open[taskId] = -1;
        b.tail[taskId] = -1;
      },
    };
    return b;
  }

  /** Indexes events [from, to); returns `to`. */
  private scan(from: number, to: number): number {
    const b = this.build;
    if (!b) throw new Error('TraceIndex: already built');
    const s = this.analysis.store;
    const { st, hooks, open, tail } = b;
    const tasks = this.tasks;
    const taken = this.takenEvent;
    for (let i = from; i < to; i++) {
      const kind = s.kind[i] as EventKind;
      const taskId = s.task[i];
      const range = tasks[taskId];
      const line = s.line[i];
      if (line < range.firstLine) range.firstLine = line;
      if (line > range.lastLine) range.lastLine = line;
      if ((s.flags[i] & EventFlag.Duplicate) === 0) {
        if (kind === EventKind.SysEnter) {
          // an entry while another syscall is open (no exit traced): that one ends here
          open[taskId] = this.newSpan(taskId, s.ref[i], s.num[i], i);
          tail[taskId] = -1;
        } else if (kind === EventKind.Release) {
          // the matching acquire: the task's topmost hold of this lock, before the release applies
          const t = st.tasks[taskId];
          const acq = t ? topAcquire(t.held, s.ref[i]) : -1;
          if (acq >= 0) {
            const k = taken.lowerBound(acq);
            if (k < taken.length && taken.get(k) === acq) this.takenRelease.set(k, i);
          }
        } else if (kind === EventKind.Contended || kind === EventKind.ContentionBegin) {
          const cls = s.locks[s.ref[i]].classId;
          (this.contentions[cls] ??= ints()).push(i);
        }
      }
      st.step(hooks);
    }
    return to;
  }

  private newSpan(taskId: number, name: number, nr: number, entryEvent: number): number {
    const id = this.spanTask.push(taskId);
    this.spanName.push(name);
    this.spanNr.push(nr);
    this.spanEntry.push(entryEvent);
    this.spanExit.push(-1);
    this.spanRet.push(NaN);
    this.takenFirst.push(-1);
    this.leakStart.push(0);
    this.leakCount.push(0);
    this.taskSpans[taskId].push(id);
    this.tasks[taskId].spanCount++;
    return id;
  }

  private finish(): void {
    if (!this.build) return;
    this.build = null;
    const s = this.analysis.store;
    for (const t of this.tasks) if (t.firstLine === Infinity) t.firstLine = 0;
    if (s.sorted) {
      // lines are out of event order: events by (line, index), a counting sort on the line
      let maxLine = 0;
      for (let i = 0; i < s.length; i++) if (s.line[i] > maxLine) maxLine = s.line[i];
      const start = new Int32Array(maxLine + 2);
      for (let i = 0; i < s.length; i++) start[s.line[i] + 1]++;
      for (let l = 0; l <= maxLine; l++) start[l + 1] += start[l];
      const order = new Int32Array(s.length);
      for (let i = 0; i < s.length; i++) order[start[s.line[i]]++] = i;
      this.byLine = order;
    }
  }

  get store(): EventStore {
    return this.analysis.store;
  }

  // --- spans ------------------------------------------------------------------------------

  /** Number of syscall spans (ids 0 .. spanCount-1, in the order their first events appear). */
  get spanCount(): number {
    return this.spanTask.length;
  }

  /** Entry line of a span (-1: entered before the trace began). */
  entryLine(id: number): number {
    const e = this.spanEntry.get(id);
    return e >= 0 ? this.store.line[e] : -1;
  }

  /** Exit line of a span (-1: no exit in the trace). */
  exitLine(id: number): number {
    const e = this.spanExit.get(id);
    return e >= 0 ? this.store.line[e] : -1;
  }

  /** Return value of a span (null without an exit). */
  returnValue(id: number): number | null {
    return this.spanExit.get(id) >= 0 ? this.spanRet.get(id) : null;
  }

  /** Syscall name of a span. */
  syscallName(id: number): string {
    return this.store.names.get(this.spanName.get(id));
  }

  /** The span as an object, with the locks it took and leaked. */
  span(id: number): SyscallSpan {
    const s = this.store;
    const entryEvent = this.spanEntry.get(id);
    const exitEvent = this.spanExit.get(id);
    const taken: TakenLock[] = [];
    for (let k = this.takenFirst.get(id); k >= 0; k = this.takenNext.get(k)) {
      const event = this.takenEvent.get(k);
      const rel = this.takenRelease.get(k);
      const lockId = s.ref[event];
      taken.push({ lockId, className: s.className(lockId), event, line: s.line[event], releasedLine: rel >= 0 ? s.line[rel] : null });
    }
    const leaked: LeakedLock[] = [];
    if (exitEvent >= 0) {
      for (let k = this.leakStart.get(id), end = k + this.leakCount.get(id); k < end; k++) {
        const lockId = this.leakLock.get(k);
        const acq = this.leakAcq.get(k);
        leaked.push({
          lockId,
          className: s.className(lockId),
          line: s.line[acq],
          takenHere: entryEvent >= 0 && acq >= entryEvent,
          domain: s.locks[lockId].domain,
        });
      }
    }
    return {
      id,
      taskId: this.spanTask.get(id),
      name: this.syscallName(id),
      nr: this.spanNr.get(id),
      entryEvent,
      entryLine: entryEvent >= 0 ? s.line[entryEvent] : -1,
      exitEvent,
      exitLine: exitEvent >= 0 ? s.line[exitEvent] : -1,
      ret: this.returnValue(id),
      taken,
      leaked,
    };
  }

  /** Whether a span returned to userspace holding a kernel lock it took (the outline's "leaks a lock"). */
  leaksKernelLock(id: number): boolean {
    const entry = this.spanEntry.get(id);
    if (this.spanExit.get(id) < 0 || entry < 0) return false;
    const locks = this.store.locks;
    for (let k = this.leakStart.get(id), end = k + this.leakCount.get(id); k < end; k++) {
      if (this.leakAcq.get(k) >= entry && locks[this.leakLock.get(k)].domain === 'kernel') return true;
    }
    return false;
  }

  /** The k-th span of a task (k < its `spanCount`), in event order. */
  taskSpanId(taskId: number, k: number): number {
    return this.taskSpans[taskId].get(k);
  }

  /** The first `limit` spans of a task as objects. */
  spansOfTask(taskId: number, limit = Infinity): SyscallSpan[] {
    const ids = this.taskSpans[taskId];
    const out: SyscallSpan[] = [];
    for (let k = 0; k < ids.length && k < limit; k++) out.push(this.span(ids.get(k)));
    return out;
  }

  /** The syscall span an event belongs to (its task's syscall in progress, or the one it enters/exits). */
  spanOf(event: number): SyscallSpan | undefined {
    const id = this.spanIdOf(event);
    return id >= 0 ? this.span(id) : undefined;
  }

  /** Id of the span an event belongs to, or -1. */
  spanIdOf(event: number): number {
    const s = this.store;
    if (!(event >= 0 && event < s.length) || this.build) return -1;
    const ids = this.taskSpans[s.task[event]];
    // the task's last span that starts at or before the event
    let lo = 0;
    let hi = ids.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.spanStart(ids.get(mid)) <= event) lo = mid + 1;
      else hi = mid;
    }
    if (lo === 0) return -1;
    const id = ids.get(lo - 1);
    // it covers the task's events up to its exit; without an exit, until the task's next span starts
    const exit = this.spanExit.get(id);
    if (exit >= 0) return event <= exit ? id : -1;
    return lo < ids.length ? (event < this.spanStart(ids.get(lo)) ? id : -1) : id;
  }

  /** First event of a span: its entry, or its exit when the entry is not in the trace. */
  private spanStart(id: number): number {
    const e = this.spanEntry.get(id);
    return e >= 0 ? e : this.spanExit.get(id);
  }

  // --- lines ------------------------------------------------------------------------------

  /** Event indices on a 1-based trace line (several for derived events, e.g. flock → lock). */
  eventsOnLine(line: number): number[] {
    const s = this.store;
    const out: number[] = [];
    const by = this.byLine;
    if (by) {
      for (let k = lowerBoundBy(by, line, s.line); k < by.length && s.line[by[k]] === line; k++) out.push(by[k]);
      return out;
    }
    for (let i = s.eventAtOrAfterLine(line); i >= 0 && i < s.length && s.line[i] === line; i++) out.push(i);
    return out;
  }

  /** The last event at or before a line (the replay position "at" that line), or -1. */
  positionAtLine(line: number): number {
    const on = this.eventsOnLine(line);
    if (on.length) return on[on.length - 1];
    const by = this.byLine;
    if (by) {
      // sorted traces: the first event of the greatest line below `line`
      const s = this.store;
      const k = lowerBoundBy(by, line, s.line) - 1;
      if (k < 0) return -1;
      return by[lowerBoundBy(by, s.line[by[k]], s.line)];
    }
    return this.store.eventAtOrBeforeLine(line);
  }

  // --- lock classes -----------------------------------------------------------------------

  /** Contention events (lock_contended, contention_begin) of a class, at or before `upTo` (default: all). */
  contentionCount(className: string, upTo = Infinity): number {
    const c = this.store.classes.lookup(className);
    const col = c === undefined ? undefined : this.contentions[c];
    if (!col) return 0;
    return upTo === Infinity ? col.length : col.lowerBound(upTo + 1);
  }

  /** Acquire, release and contention events of a class (computed from the store on each call). */
  classEvents(className: string): ClassEvents | undefined {
    const s = this.store;
    const c = s.classes.lookup(className);
    if (c === undefined) return undefined;
    const acquires: number[] = [];
    const releases: number[] = [];
    this.forEachLockEvent(c, (i, kind) => {
      if (kind === EventKind.Acquire) acquires.push(i);
      else if (kind === EventKind.Release) releases.push(i);
    });
    const col = this.contentions[c];
    const contentions: number[] = [];
    for (let k = 0; col && k < col.length; k++) contentions.push(col.get(k));
    if (!acquires.length && !releases.length && !contentions.length) return undefined;
    return { acquires, releases, contentions };
  }

  /** 1-based lines of every acquire and release of a lock class, in file order. */
  referenceLines(className: string): { line: number; event: number; kind: 'acquire' | 'release' }[] {
    const s = this.store;
    const c = s.classes.lookup(className);
    if (c === undefined) return [];
    const out: { line: number; event: number; kind: 'acquire' | 'release' }[] = [];
    this.forEachLockEvent(c, (event, kind) => {
      if (kind === EventKind.Acquire) out.push({ line: s.line[event], event, kind: 'acquire' });
      else if (kind === EventKind.Release) out.push({ line: s.line[event], event, kind: 'release' });
    });
    // event order is line order except in traces sorted by time
    if (s.sorted) out.sort((a, b) => a.line - b.line || a.event - b.event);
    return out;
  }

  /** Calls `f` for each non-duplicate acquire/release event of lock class `classId`, in event order. */
  private forEachLockEvent(classId: number, f: (event: number, kind: EventKind) => void): void {
    const s = this.store;
    const ofClass = new Uint8Array(s.locks.length);
    for (const l of s.locks) if (l.classId === classId) ofClass[l.id] = 1;
    const { kind, ref, flags } = s;
    for (let i = 0, n = s.length; i < n; i++) {
      const k = kind[i];
      if ((k === EventKind.Acquire || k === EventKind.Release) && ofClass[ref[i]] && (flags[i] & EventFlag.Duplicate) === 0) f(i, k);
    }
  }

  /** Bytes held by the index's own arrays (not the store's). */
  get byteSize(): number {
    let n = this.byLine?.byteLength ?? 0;
    for (const c of [
      this.spanTask,
      this.spanName,
      this.spanNr,
      this.spanEntry,
      this.spanExit,
      this.spanRet,
      this.takenFirst,
      this.takenEvent,
      this.takenRelease,
      this.takenNext,
      this.leakStart,
      this.leakCount,
      this.leakLock,
      this.leakAcq,
      ...this.taskSpans,
    ])
      n += c.byteLength;
    for (const c of this.contentions) n += c?.byteLength ?? 0;
    return n;
  }
}

/** Acquire event of the task's topmost hold of `lock`, or -1. */
function topAcquire(held: Held[], lock: number): number {
  for (let j = held.length - 1; j >= 0; j--) if (held[j].lock === lock) return held[j].acq;
  return -1;
}

/** First k with key[order[k]] >= v (order sorted by key). */
function lowerBoundBy(order: Int32Array, v: number, key: ArrayLike<number>): number {
  let lo = 0;
  let hi = order.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (key[order[mid]] < v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

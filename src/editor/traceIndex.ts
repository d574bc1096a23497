// What the editor features look up in an analysed trace, built once per analysis: syscall spans
// (entry/exit, return value, locks taken and leaked), per-class acquire/release/contention events,
// per-task first/last lines, and the events of a line. Plain data, no `vscode`: hovers, symbols,
// folding, definitions and references are computed from it (and unit-tested without VS Code).
// Lines here are trace lines (1-based), like everywhere in the core.
// May import only src/core.

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

/** One syscall of one task: from its entry event to its exit event. */
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
  leaked: { lockId: number; className: string; line: number; takenHere: boolean; domain: string }[];
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
  spans: SyscallSpan[];
}

export class TraceIndex {
  readonly spans: SyscallSpan[] = [];
  readonly tasks: TaskRange[] = [];
  readonly classEvents = new Map<string, ClassEvents>();
  /** Span id of each event (-1: outside any syscall), for syscall events and events inside spans. */
  private readonly spanOfEvent: Int32Array;
  /** Only for traces sorted by time (lines out of order): line → event indices. */
  private lineMap: Map<number, number[]> | null = null;

  /**
   * Builds the whole index at once. For big traces on a UI thread use `TraceIndex.build`, which
   * does the same work in slices and yields between them.
   */
  constructor(
    readonly analysis: Analysis,
    deferred = false,
  ) {
    const s = analysis.store;
    this.spanOfEvent = new Int32Array(s.length).fill(-1);
    for (const t of s.tasks) this.tasks.push({ taskId: t.id, pid: t.pid, comm: t.comm, firstLine: Infinity, lastLine: 0, spans: [] });
    const open = this.open;
    const takenIn = this.takenIn;
    this.hooks = {
      acquire: (_t: unknown, taskId: number, i: number, h: Held) => {
        const span = open.get(taskId);
        if (!span) return;
        const rec: TakenLock = { lockId: h.lock, className: s.className(h.lock), event: i, line: s.line[i], releasedLine: null };
        span.taken.push(rec);
        takenIn.set(i, rec);
      },
      sysExit: (t: { held: Held[] }, taskId: number, i: number) => {
        let span = open.get(taskId);
        const name = s.names.get(s.ref[i]);
        if (!span || span.name !== name) {
          // an exit without a traced entry: a span from the task's previous event
          span = this.newSpan(taskId, name, -1, -1, -1);
        }
        span.exitEvent = i;
        span.exitLine = s.line[i];
        span.ret = s.num[i];
        for (const h of t.held) {
          if (h.flags & HeldFlag.Pending) continue;
          span.leaked.push({
            lockId: h.lock,
            className: s.className(h.lock),
            line: s.line[h.acq],
            takenHere: span.entryEvent >= 0 && h.acq >= span.entryEvent,
            domain: s.locks[h.lock].domain,
          });
        }
        open.delete(taskId);
        this.spanOfEvent[i] = span.id;
      },
    };
    if (!deferred) this.finish(this.scan(0, s.length));
  }

  // build state (dropped once the index is complete)
  private readonly open = new Map<number, SyscallSpan>();
  private readonly takenIn = new Map<number, TakenLock>(); // acquire event → record, for release lines
  private st: LockState | null = null;
  private hooks!: StateHooks;

  /** The same index, built in slices of `slice` events with a yield between them. */
  static async build(analysis: Analysis, slice = 200_000, pause: () => Promise<void> = () => new Promise((r) => setTimeout(r, 0))): Promise<TraceIndex> {
    const index = new TraceIndex(analysis, true);
    const n = analysis.store.length;
    let next = 0;
    while (next < n) {
      next = index.scan(next, Math.min(n, next + slice));
      if (next < n) await pause();
    }
    index.finish(n);
    return index;
  }

  /** Indexes events [from, to); returns `to`. */
  private scan(from: number, to: number): number {
    const s = this.analysis.store;
    const open = this.open;
    const takenIn = this.takenIn;
    const hooks = this.hooks;
    const st = (this.st ??= new LockState(s));
    for (let i = from; i < to; i++) {
      const kind = s.kind[i] as EventKind;
      const taskId = s.task[i];
      const range = this.tasks[taskId];
      const line = s.line[i];
      if (line < range.firstLine) range.firstLine = line;
      if (line > range.lastLine) range.lastLine = line;
      const dup = (s.flags[i] & EventFlag.Duplicate) !== 0;
      if (!dup) {
        if (kind === EventKind.SysEnter) {
          const prev = open.get(taskId);
          if (prev) open.delete(taskId); // entry-only syscall: no exit traced
          const span = this.newSpan(taskId, s.names.get(s.ref[i]), s.num[i], i, line);
          open.set(taskId, span);
        } else if (kind >= EventKind.Acquire && kind <= EventKind.ContentionEnd) {
          const cls = s.className(s.ref[i]);
          let ce = this.classEvents.get(cls);
          if (!ce) this.classEvents.set(cls, (ce = { acquires: [], releases: [], contentions: [] }));
          if (kind === EventKind.Acquire) ce.acquires.push(i);
          else if (kind === EventKind.Release) {
            ce.releases.push(i);
            // the matching acquire: the task's topmost hold of this lock, before the release applies
            const t = st.tasks[taskId];
            const h = t ? findTop(t.held, s.ref[i]) : undefined;
            const rec = h ? takenIn.get(h.acq) : undefined;
            if (rec) rec.releasedLine = line;
          } else if (kind === EventKind.Contended || kind === EventKind.ContentionBegin) ce.contentions.push(i);
        }
      }
      st.step(hooks);
      if (this.spanOfEvent[i] < 0) {
        const span = open.get(taskId);
        if (span) this.spanOfEvent[i] = span.id;
      }
        }
    return to;
  }

  private finish(_end: number): void {
    const s = this.analysis.store;
    this.st = null;
    this.open.clear();
    this.takenIn.clear();
    for (const t of this.tasks) if (t.firstLine === Infinity) t.firstLine = 0;
    if (s.sorted) {
      this.lineMap = new Map();
      for (let i = 0; i < s.length; i++) {
        const l = s.line[i];
        const a = this.lineMap.get(l);
        if (a) a.push(i);
        else this.lineMap.set(l, [i]);
      }
    }
  }

  private newSpan(taskId: number, name: string, nr: number, entryEvent: number, entryLine: number): SyscallSpan {
    const span: SyscallSpan = { id: this.spans.length, taskId, name, nr, entryEvent, entryLine, exitEvent: -1, exitLine: -1, ret: null, taken: [], leaked: [] };
    this.spans.push(span);
    this.tasks[taskId].spans.push(span);
    return span;
  }

  get store(): EventStore {
    return this.analysis.store;
  }

  /** Event indices on a 1-based trace line (several for derived events, e.g. flock → lock). */
  eventsOnLine(line: number): number[] {
    if (this.lineMap) return this.lineMap.get(line) ?? [];
    const s = this.store;
    const out: number[] = [];
    for (let i = s.eventAtOrAfterLine(line); i >= 0 && i < s.length && s.line[i] === line; i++) out.push(i);
    return out;
  }

  /** The last event at or before a line (the replay position "at" that line), or -1. */
  positionAtLine(line: number): number {
    const on = this.eventsOnLine(line);
    if (on.length) return on[on.length - 1];
    if (this.lineMap) {
      // sorted traces: the event with the greatest line below `line`
      let best = -1;
      const s = this.store;
      for (let i = 0; i < s.length; i++) if (s.line[i] <= line && (best < 0 || s.line[i] > s.line[best])) best = i;
      return best;
    }
    return this.store.eventAtOrBeforeLine(line);
  }

  /** The syscall span an event belongs to (its task's syscall in progress, or the one it enters/exits). */
  spanOf(event: number): SyscallSpan | undefined {
    const id = event >= 0 && event < this.spanOfEvent.length ? this.spanOfEvent[event] : -1;
    return id >= 0 ? this.spans[id] : undefined;
  }

  /** 1-based lines of every acquire and release of a lock class, in file order. */
  referenceLines(className: string): { line: number; event: number; kind: 'acquire' | 'release' }[] {
    const ce = this.classEvents.get(className);
    if (!ce) return [];
    const s = this.store;
    return [
      ...ce.acquires.map((event) => ({ line: s.line[event], event, kind: 'acquire' as const })),
      ...ce.releases.map((event) => ({ line: s.line[event], event, kind: 'release' as const })),
    ].sort((a, b) => a.line - b.line || a.event - b.event);
  }
}

function findTop(held: Held[], lock: number): Held | undefined {
  for (let j = held.length - 1; j >= 0; j--) if (held[j].lock === lock) return held[j];
  return undefined;
}

// The validator: lockdep's rules over a recorded trace, plus what lockdep cannot say — which
// syscalls made each ordering edge and whether an inversion exists only because userspace held a
// lock across a syscall boundary. One pass over the store; it also leaves replay checkpoints.
//
// Rules (README "Analysis rules" explains them for users):
// - dependencies are between lock classes; taking B while holding A adds A -> B for every held A
//   (lockdep records the nearest one and finds the rest through the chain; recording all keeps each
//   reported cycle as short and direct as possible);
// - a trylock adds no edge into the trylocked lock, but locks taken later nest under it;
// - a new edge A -> B closes a cycle when B already reaches A: reported once per set of classes,
//   with the shortest such path;
// - read acquisitions: `non-recursive` (default) treats readers like writers; `recursive` treats
//   every reader as recursive (read-after-read of a class is allowed, and a cycle passing through a
//   class entered and left by read acquisitions only is not a deadlock: lockdep's strong-path rule);
// - taking a class already held (not a trylock) is recursive locking;
// - releasing a lock the task does not hold is a bad unlock (when the trace shows the lock's state);
// - a kernel lock held when a syscall returns to userspace (lockdep_sys_exit) is reported with the
//   syscall that leaked it; userspace and file locks are meant to live across syscalls;
// - kernel and userspace locks still held when a task exits are reported.
// May import only src/core modules and graphology.

import Graph from 'graphology';
import { EventStore } from '../store';
import { EdgeOrigin, EventKind, Finding, FindingKind, ReadLockRule, RelatedLine } from '../types';
import { Held, HeldFlag, LockState, StateHooks, TaskState } from './state';

export interface AnalyzeOptions {
  readLocks?: ReadLockRule;
  /** Finding kinds to report (default: all). */
  kinds?: readonly FindingKind[];
  /** Called every ~1M events with the number of events processed. */
  onProgress?: (events: number) => void;
  /** Events between replay checkpoints (default: adaptive, at most ~4096 checkpoints). */
  checkpointInterval?: number;
}

/** Attributes of an edge of the lock-order graph. */
export interface EdgeAttributes extends EdgeOrigin {
  /** How many acquisitions made this dependency. */
  count: number;
  /** Seen at least once with both locks taken in the same syscall (or both outside syscalls). */
  sameSyscallSeen: boolean;
  /** Some occurrence had the target taken as a writer / the source held as a writer. */
  toWrite: boolean;
  fromWrite: boolean;
}

export interface NodeAttributes {
  /** Acquisitions of this class. */
  acquisitions: number;
  /** Times a task waited (lock_contended / contention_begin). */
  contentions: number;
  /** First acquisition event. */
  firstEvent: number;
}

export type LockGraph = Graph<NodeAttributes, EdgeAttributes>;

export interface Analysis {
  store: EventStore;
  findings: Finding[];
  graph: LockGraph;
  /** Notes that are not findings (e.g. releases of locks taken before the trace began). */
  notes: { line: number; message: string }[];
  checkpoints: Float64Array[];
  checkpointInterval: number;
  readLocks: ReadLockRule;
}

const ALL_KINDS: readonly FindingKind[] = ['inversion', 'recursive', 'held-across-syscall', 'bad-unlock', 'held-at-exit'];

export function analyze(store: EventStore, opts: AnalyzeOptions = {}): Analysis {
  return new Analyzer(store, opts).run();
}

/** Thrown by analyzeAsync when its signal is aborted. */
export class AnalysisCancelled extends Error {
  constructor() {
    super('analysis cancelled');
    this.name = 'AnalysisCancelled';
  }
}

/**
 * The same analysis in slices, yielding to the event loop between them so an extension host or
 * adapter stays responsive (and progress events get out) on multi-million-event traces.
 */
export async function analyzeAsync(
  store: EventStore,
  opts: AnalyzeOptions & { signal?: { aborted: boolean }; sliceEvents?: number; yieldFn?: () => Promise<void> } = {},
): Promise<Analysis> {
  const a = new Analyzer(store, opts);
  const slice = opts.sliceEvents ?? 250_000;
  const pause = opts.yieldFn ?? (() => new Promise<void>((r) => setTimeout(r, 0)));
  for (let end = slice; a.runTo(end); end += slice) {
    await pause();
    if (opts.signal?.aborted) throw new AnalysisCancelled();
  }
  return a.finish();
}

class Analyzer implements StateHooks {
  private readonly graph: LockGraph = new Graph<NodeAttributes, EdgeAttributes>({ type: 'directed', multi: false, allowSelfLoops: false });
  /** Edge key `from * 2^21 + to` -> attributes, for O(1) lookups without string keys. */
  private readonly edges = new Map<number, EdgeAttributes>();
  private readonly findings: Finding[] = [];
  private readonly dedupe = new Map<string, Finding>();
  private readonly notes: { line: number; message: string }[] = [];
  private readonly kinds: Set<FindingKind>;
  private readonly readRule: ReadLockRule;
  /** Per task: locks (id) whose state the trace has shown for that task. */
  private readonly seenLocks = new Map<number, Set<number>>();
  private readonly state: LockState;
  /** The acyclic dependency order between classes, kept topologically sorted as edges arrive. */
  private readonly order = new DependencyOrder();

  constructor(
    private readonly s: EventStore,
    private readonly opts: AnalyzeOptions,
  ) {
    this.kinds = new Set(opts.kinds ?? ALL_KINDS);
    this.readRule = opts.readLocks ?? 'non-recursive';
    this.state = new LockState(s);
    this.interval = opts.checkpointInterval ?? Math.max(1024, Math.ceil(s.length / 4096));
  }

  private readonly interval: number;
  private readonly checkpoints: Float64Array[] = [];
  private next = 0;

  run(): Analysis {
    this.runTo(this.s.length);
    return this.finish();
  }

  /** Analyses events up to (excluding) `end`; returns false when everything is done. */
  runTo(end: number): boolean {
    const s = this.s;
    const n = Math.min(end, s.length);
    const interval = this.interval;
    const checkpoints = this.checkpoints;
    const st = this.state;
    for (let i = this.next; i < n; i++) {
      if (i % interval === 0) checkpoints.push(st.save());
      const kind = s.kind[i];
      if (kind === EventKind.Contended || kind === EventKind.ContentionBegin) this.contention(i);
      else if (kind === EventKind.Release || kind === EventKind.Acquire) this.markSeen(i);
      st.step(this);
      if (this.opts.onProgress && (i & 0xfffff) === 0xfffff) this.opts.onProgress(i + 1);
    }
    this.next = n;
    return n < s.length;
  }

  finish(): Analysis {
    const s = this.s;
    const checkpoints = this.checkpoints;
    const interval = this.interval;
    this.findings.sort((a, b) => a.eventIndex - b.eventIndex || a.kind.localeCompare(b.kind));
    this.findings.forEach((f, k) => (f.id = k));
    return {
      store: s,
      findings: this.findings,
      graph: this.graph,
      notes: this.notes,
      checkpoints,
      checkpointInterval: interval,
      readLocks: this.readRule,
    };
  }

  // --- helpers -----------------------------------------------------------------------------

  private cls(id: number): string {
    return this.s.classes.get(id);
  }

  private sysName(entry: number): string | null {
    return entry >= 0 ? this.s.names.get(this.s.ref[entry]) : null;
  }

  private taskLabel(i: number): string {
    const t = this.s.taskOf(i);
    return `${t.comm}/${t.pid}`;
  }

  private node(cls: number, i: number): string {
    const name = this.cls(cls);
    if (!this.graph.hasNode(name)) this.graph.addNode(name, { acquisitions: 0, contentions: 0, firstEvent: i });
    return name;
  }

  private markSeen(i: number): void {
    const task = this.s.task[i];
    let set = this.seenLocks.get(task);
    if (!set) this.seenLocks.set(task, (set = new Set()));
    // recorded before the state machine runs, so a release compares against earlier knowledge.
    if (this.s.kind[i] === EventKind.Acquire) set.add(this.s.ref[i]);
  }

  private contention(i: number): void {
    const lock = this.s.locks[this.s.ref[i]];
    const name = this.node(lock.classId, i);
    this.graph.updateNodeAttribute(name, 'contentions', (c) => (c ?? 0) + 1);
  }

  private report(
    kind: FindingKind,
    dedupeKey: string,
    i: number,
    message: string,
    locks: string[],
    related: RelatedLine[],
    sysEntry: number,
    extra: Partial<Finding> = {},
  ): void {
    if (!this.kinds.has(kind)) return;
    const key = `${kind}\u0000${dedupeKey}`;
    const prev = this.dedupe.get(key);
    if (prev) {
      prev.occurrences++;
      return;
    }
    const t = this.s.taskOf(i);
    const f: Finding = {
      id: 0,
      kind,
      message,
      eventIndex: i,
      line: this.s.line[i],
      pid: t.pid,
      comm: t.comm,
      syscall: this.sysName(sysEntry),
      locks: [...new Set(locks)].sort(),
      related,
      occurrences: 1,
      ...extra,
    };
    this.dedupe.set(key, f);
    this.findings.push(f);
  }

  // --- hooks ---------------------------------------------------------------------------------

  acquire(t: TaskState, task: number, i: number, h: Held): void {
    const s = this.s;
    const toName = this.node(h.cls, i);
    this.graph.updateNodeAttribute(toName, 'acquisitions', (c) => (c ?? 0) + 1);
    const isTry = (h.flags & HeldFlag.Try) !== 0;
    const isRead = (h.flags & HeldFlag.Read) !== 0;
    // recursive locking: the class is already held (a trylock simply fails instead).
    if (!isTry) {
      for (const p of t.held) {
        if (p.cls !== h.cls || p.flags & HeldFlag.Pending) continue;
        if (this.readRule === 'recursive' && isRead && p.flags & HeldFlag.Read) continue;
        const same = p.lock === h.lock;
        const name = this.cls(h.cls);
        const where = this.describeHold(p);
        const message = same
          ? `recursive locking: ${this.taskLabel(i)} acquires ${name} (${s.locks[h.lock].key}) again while already holding it since ${where}: self-deadlock`
          : `possible recursive locking: ${this.taskLabel(i)} acquires another ${name} (${s.locks[h.lock].key}) while holding ${s.locks[p.lock].key} since ${where} (same class; lockdep needs a nesting annotation for this, which traces do not show)`;
        this.report(
          'recursive',
          `${name}\u0000${s.task[i]}\u0000${same}`,
          i,
          message,
          [name],
          [{ line: s.line[p.acq], message: `${name} first acquired here` }],
          h.sysEntry,
        );
        break;
      }
    }
    if (isTry) return; // a trylock never waits, so nothing held can deadlock against it
    const seen = new Set<number>();
    for (let k = t.held.length - 1; k >= 0; k--) {
      const p = t.held[k];
      if (p.flags & HeldFlag.Pending || p.cls === h.cls || seen.has(p.cls)) continue;
      seen.add(p.cls);
      this.addEdge(p, h, i, task);
    }
  }

  /** `abba.c:14 in writer` for a recorded call site, or undefined. */
  private siteLabel(i: number): string | undefined {
    const site = this.s.sites.get(i);
    if (!site || !site.file) return undefined;
    const base = site.file.slice(site.file.lastIndexOf('/') + 1);
    return `${base}${site.line ? `:${site.line}` : ''}${site.fn ? ` in ${site.fn}` : ''}`;
  }

  private describeHold(p: Held): string {
    const sys = this.sysName(p.sysEntry);
    return `line ${this.s.line[p.acq]}${sys ? ` in ${sys}` : ''}`;
  }

  private addEdge(p: Held, h: Held, i: number, task: number): void {
    const s = this.s;
    const key = p.cls * 2097152 + h.cls;
    const same = p.sysEntry === h.sysEntry;
    const fromRead = (p.flags & HeldFlag.Read) !== 0;
    const toRead = (h.flags & HeldFlag.Read) !== 0;
    const existing = this.edges.get(key);
    if (existing) {
      existing.count++;
      if (same) existing.sameSyscallSeen = true;
      if (!toRead) existing.toWrite = true;
      if (!fromRead) existing.fromWrite = true;
      return;
    }
    const from = this.cls(p.cls);
    const to = this.cls(h.cls);
    const taskInfo = s.tasks[task];
    const attrs: EdgeAttributes = {
      from,
      to,
      eventIndex: i,
      line: s.line[i],
      pid: taskInfo.pid,
      comm: taskInfo.comm,
      syscall: this.sysName(h.sysEntry),
      fromEventIndex: p.acq,
      fromLine: s.line[p.acq],
      fromSyscall: this.sysName(p.sysEntry),
      crossSyscall: !same,
      fromRead,
      toRead,
      count: 1,
      sameSyscallSeen: same,
      toWrite: !toRead,
      fromWrite: !fromRead,
      site: this.siteLabel(i),
      fromSite: this.siteLabel(p.acq),
    };
    this.edges.set(key, attrs);
    // does `to` already reach `from`? Then this edge closes a cycle.
    this.graph.addDirectedEdgeWithKey(`${from}\u0000${to}`, from, to, attrs);
    // does `to` already reach `from`? Then this edge closes a cycle (and, as in lockdep, is not
    // added to the dependency order, so each cycle is reported once).
    if (this.order.addEdge(p.cls, h.cls)) return;
    const path = this.shortestPath(h.cls, p.cls);
    if (path) this.inversion([attrs, ...path], h, i);
  }

  /** Edges of the shortest path from class `a` to class `b` in the dependency order, or null. */
  private shortestPath(a: number, b: number): EdgeAttributes[] | null {
    const prev = new Map<number, number>();
    const queue = [a];
    prev.set(a, -1);
    for (let q = 0; q < queue.length; q++) {
      const cur = queue[q];
      for (const dst of this.order.out(cur)) {
        if (prev.has(dst)) continue;
        prev.set(dst, cur);
        if (dst === b) {
          const path: EdgeAttributes[] = [];
          for (let n = b; n !== a;) {
            const from = prev.get(n) as number;
            path.push(this.edges.get(from * 2097152 + n) as EdgeAttributes);
            n = from;
          }
          return path.reverse();
        }
        queue.push(dst);
      }
    }
    return null;
  }

  private inversion(cycle: EdgeAttributes[], h: Held, i: number): void {
    const s = this.s;
    if (this.readRule === 'recursive' && this.brokenByRecursiveReaders(cycle)) return;
    const classes = cycle.map((e) => e.from);
    const key = [...classes].sort().join('\u0000');
    const allUser = cycle.every((e) => this.domainOf(e.from) === 'user');
    const order = allUser ? 'userspace' : cycle.some((e) => e.crossSyscall && !e.sameSyscallSeen) ? 'syscall-order' : 'in-kernel';
    const closing = cycle[0];
    const sys = this.sysName(h.sysEntry);
    const lines: string[] = [
      `possible circular locking dependency: ${this.taskLabel(i)} is trying to acquire ${closing.to}${sys ? ` in ${sys}` : ''} (line ${s.line[i]}${closing.site ? `, ${closing.site}` : ''})`,
      `  while holding ${closing.from} (acquired at line ${closing.fromLine}${closing.fromSyscall ? ` in ${closing.fromSyscall}` : ''}${closing.fromSite ? `, ${closing.fromSite}` : ''})`,
      '  but the opposite order already exists:',
    ];
    for (const e of cycle.slice(1)) lines.push(`    ${describeEdge(e)}`);
    if (order === 'userspace') {
      lines.push("  all locks are userspace locks: the order is the program's own");
    } else if (order === 'syscall-order') {
      const crossing = cycle.filter((e) => e.crossSyscall && !e.sameSyscallSeen);
      lines.push(
        `  order set by userspace: ${crossing
          .map(
            (e) =>
              `${e.from} was held across a syscall boundary (taken in ${e.fromSyscall ?? 'userspace'}, line ${e.fromLine}) when ${e.to} was taken${e.syscall ? ` in ${e.syscall}` : ''}`,
          )
          .join('; ')}`,
      );
    } else {
      lines.push('  every edge was made inside one syscall: an in-kernel lock order problem');
    }
    const related: RelatedLine[] = [];
    for (const e of cycle) {
      related.push({ line: e.line, message: `${e.from} -> ${e.to} made here by ${e.comm}/${e.pid}${e.syscall ? ` in ${e.syscall}` : ''}` });
      if (e.fromLine !== e.line)
        related.push({
          line: e.fromLine,
          message: `${e.from} acquired here by ${e.comm}/${e.pid}${e.fromSyscall ? ` in ${e.fromSyscall}` : ''}`,
        });
    }
    this.report('inversion', key, i, lines.join('\n'), classes, dedupeRelated(related), h.sysEntry, {
      order,
      cycle: cycle.map(stripEdge),
    });
  }

  private domainOf(className: string): string {
    const id = this.s.classes.lookup(className);
    const lock = this.s.locks.find((l) => l.classId === id);
    return lock ? lock.domain : 'kernel';
  }

  /** lockdep's strong-path rule for recursive readers: a class entered by a read and left from a read breaks the cycle. */
  private brokenByRecursiveReaders(cycle: EdgeAttributes[]): boolean {
    for (let k = 0; k < cycle.length; k++) {
      const into = cycle[k];
      const out = cycle[(k + 1) % cycle.length];
      if (!into.toWrite && !out.fromWrite) return true;
    }
    return false;
  }

  badRelease(_t: TaskState, task: number, i: number): void {
    const s = this.s;
    const lock = s.ref[i];
    const name = s.className(lock);
    const knownToTask = this.seenLocks.get(task)?.has(lock) ?? false;
    const holder = this.holderOf(lock, task);
    if (!knownToTask && holder < 0) {
      // taken before the recording started: not enough information to call it a bug.
      this.notes.push({
        line: s.line[i],
        message: `${this.taskLabel(i)} releases ${name}, not seen acquired (taken before the trace began?)`,
      });
      return;
    }
    const t = this.state.tasks[task];
    const message =
      holder >= 0
        ? `bad unlock balance: ${this.taskLabel(i)} releases ${name} (${s.locks[lock].key}) which is held by ${s.tasks[holder].comm}/${s.tasks[holder].pid}, not by this task`
        : `bad unlock balance: ${this.taskLabel(i)} releases ${name} (${s.locks[lock].key}) which it no longer holds`;
    this.report('bad-unlock', `${name}\u0000${task}`, i, message, [name], [], t ? t.sysEntry : -1);
  }

  private holderOf(lock: number, except: number): number {
    const tasks = this.state.tasks;
    for (let k = 0; k < tasks.length; k++) {
      if (k === except || !tasks[k]) continue;
      for (const h of tasks[k].held) if (h.lock === lock && !(h.flags & HeldFlag.Pending)) return k;
    }
    return -1;
  }

  sysExit(t: TaskState, task: number, i: number): void {
    const s = this.s;
    const sys = s.names.get(s.ref[i]);
    for (const h of t.held) {
      if (h.flags & (HeldFlag.Pending | HeldFlag.Reported)) continue;
      if (s.locks[h.lock].domain !== 'kernel') continue;
      h.flags |= HeldFlag.Reported;
      const name = this.cls(h.cls);
      const acquiredIn = this.sysName(h.sysEntry);
      const message = `lock held when returning to user space: ${this.taskLabel(i)} returns from ${sys} still holding ${name} (acquired at line ${s.line[h.acq]}${acquiredIn ? ` in ${acquiredIn}` : ''}); whatever it takes next, in any syscall, is ordered after ${name}`;
      this.report(
        'held-across-syscall',
        `${name}\u0000${task}\u0000${sys}`,
        i,
        message,
        [name],
        [{ line: s.line[h.acq], message: `${name} acquired here${acquiredIn ? ` in ${acquiredIn}` : ''}` }],
        t.sysEntry >= 0 ? t.sysEntry : i,
        {},
      );
      // the syscall is the one that leaked it: report it even when the entry was not traced.
      const f = this.findings[this.findings.length - 1];
      if (f && f.eventIndex === i && f.syscall === null) f.syscall = sys;
    }
  }

  exit(t: TaskState, task: number, i: number): void {
    const s = this.s;
    const held = t.held.filter((h) => !(h.flags & HeldFlag.Pending) && s.locks[h.lock].domain !== 'file');
    if (held.length === 0) return;
    const names = held.map((h) => this.cls(h.cls));
    const info = s.tasks[task];
    this.report(
      'held-at-exit',
      `${names.join(',')}\u0000${task}`,
      i,
      `lock held at task exit: ${info.comm}/${info.pid} exits holding ${held.map((h) => `${this.cls(h.cls)} (since ${this.describeHold(h)})`).join(', ')}`,
      names,
      held.map((h) => ({ line: s.line[h.acq], message: `${this.cls(h.cls)} acquired here` })),
      -1,
    );
  }
}

export function describeEdge(e: EdgeOrigin): string {
  return `${e.from} -> ${e.to}: line ${e.line}${e.site ? ` (${e.site})` : ''}, ${e.comm}/${e.pid}${e.syscall ? ` in ${e.syscall}` : ' in userspace'}, holding ${e.from} since line ${e.fromLine}${e.fromSyscall ? ` (${e.fromSyscall})` : ''}${e.fromSite ? ` (${e.fromSite})` : ''}${e.crossSyscall ? ' [held across a syscall boundary]' : ''}`;
}

function stripEdge(e: EdgeAttributes): EdgeOrigin {
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
  };
}

function dedupeRelated(r: RelatedLine[]): RelatedLine[] {
  const seen = new Set<string>();
  return r.filter((x) => {
    const k = `${x.line}\u0000${x.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

/**
 * Incremental cycle detection (Pearce & Kelly, "A dynamic topological sort algorithm for directed
 * acyclic graphs"): nodes keep a topological index; an edge that agrees with it costs O(1), and one
 * that does not searches only the nodes between its two ends. This is what keeps the analysis
 * incremental on traces with many lock classes: no whole-graph search per new dependency.
 */
export class DependencyOrder {
  private readonly ord: number[] = [];
  private readonly outAdj: number[][] = [];
  private readonly inAdj: number[][] = [];
  private readonly mark: number[] = [];
  private epoch = 0;

  private node(n: number): void {
    while (this.ord.length <= n) {
      this.ord.push(this.ord.length);
      this.outAdj.push([]);
      this.inAdj.push([]);
      this.mark.push(0);
    }
  }

  out(n: number): readonly number[] {
    return this.outAdj[n] ?? [];
  }

  /** Adds x -> y and returns true, or returns false (adding nothing) when y already reaches x. */
  addEdge(x: number, y: number): boolean {
    this.node(Math.max(x, y));
    const ord = this.ord;
    if (ord[x] < ord[y]) {
      this.outAdj[x].push(y);
      this.inAdj[y].push(x);
      return true;
    }
    const lb = ord[y];
    const ub = ord[x];
    const epoch = ++this.epoch;
    // forward from y through nodes ordered at most ub: reaching x means a cycle
    const fwd: number[] = [];
    const stack = [y];
    this.mark[y] = epoch;
    while (stack.length) {
      const n = stack.pop() as number;
      fwd.push(n);
      for (const m of this.outAdj[n]) {
        if (m === x) return false;
        if (this.mark[m] !== epoch && ord[m] < ub) {
          this.mark[m] = epoch;
          stack.push(m);
        }
      }
    }
    // backward from x through nodes ordered at least lb
    const bwd: number[] = [];
    stack.push(x);
    this.mark[x] = epoch;
    while (stack.length) {
      const n = stack.pop() as number;
      bwd.push(n);
      for (const m of this.inAdj[n]) {
        if (this.mark[m] !== epoch && ord[m] > lb) {
          this.mark[m] = epoch;
          stack.push(m);
        }
      }
    }
    // everything that reaches x goes before everything y reaches, reusing their index slots
    const byOrd = (a: number, b: number) => ord[a] - ord[b];
    bwd.sort(byOrd);
    fwd.sort(byOrd);
    const nodes = [...bwd, ...fwd];
    const slots = nodes.map((n) => ord[n]).sort((a, b) => a - b);
    nodes.forEach((n, k) => (ord[n] = slots[k]));
    this.outAdj[x].push(y);
    this.inAdj[y].push(x);
    return true;
  }
}

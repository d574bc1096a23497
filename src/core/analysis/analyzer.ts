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

import Graph from 'graphology';
import { analyzeKernelLog } from '../kernelLog/analysis';
import { EventStore } from '../store';
import {
  Ctx,
  DEFAULT_FINDING_KINDS,
  EdgeOrigin,
  EventKind,
  Finding,
  FindingKind,
  LockUsage,
  ReadLockRule,
  RelatedLine,
  dedupeRelated,
  edgeOrigin,
} from '../types';
import { ContentionSummary, analyzeContention, contentionFindings } from './contention';
import { ProcLockdep, SHARED_NAME_CLASSES, nestedNames, sharedNames } from './kernelClasses';
import { Hierarchy } from './hierarchy';
import { InstanceGraphEdge, LockComponent, LockGraphTracker } from './lockGraph';
import { describeWork } from './workqueue';
import { FreedHeld, FreedMemory } from './freed';
import { Held, HeldFlag, LockState, PreHeld, StateHooks, StateModel, TaskState } from './state';

export interface AnalyzeOptions {
  readLocks?: ReadLockRule;
  /**
   * Class names that several lockdep classes of the traced kernel share (from its /proc/lockdep:
   * sharedNamesFromProcLockdep), added to the built-in list.
   */
  sharedClassNames?: readonly string[];
  /**
   * The traced kernel's /proc/lockdep (parseProcLockdep), when known: its shared names are added
   * to sharedClassNames, and a class it shows no subclass of is not taken to be nested on purpose
   * (two instances of it held at once are lockdep's "possible recursive locking").
   */
  lockdep?: ProcLockdep;
  /** Finding kinds to report (default: DEFAULT_FINDING_KINDS, every kind but `contention`). */
  kinds?: readonly FindingKind[];
  /** Called every ~1M events with the number of events processed. */
  onProgress?: (events: number) => void;
  /** Events between replay checkpoints (default: adaptive, at most ~4096 checkpoints). */
  checkpointInterval?: number;
  /** A declared lock hierarchy (`.locktrace.json`): every edge against it is an `order-violation` finding. */
  hierarchy?: Hierarchy;
  /**
   * Keep, per edge, the lock instances and gate locks of every time it was made, and attribute
   * kernel workers' edges to their work (default true). Off, inversions have `instanceCycle: null`
   * and no `guardedBy`: for measuring, or to save a little time on huge traces.
   */
  instances?: boolean;
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
  /** What the state machine needs to rebuild the same states (locks held since before the trace…). */
  model: AnalysisModel;
  /** The class graph's strongly connected components with their cycles (lockGraph.ts). */
  components: LockComponent[];
  /** The instance view of the components' edges: pairs of lock instances (lockGraph.ts). */
  instanceEdges: InstanceGraphEdge[];
  /** Where tasks waited for kernel locks (contention.ts), whatever `kinds` asked for. */
  contention?: ContentionSummary;
}

/** The analyzer's StateModel, plus the tasks whose whole life is in the trace. */
export interface AnalysisModel extends StateModel {
  forked: Set<number>;
}

/**
 * Sees every analysis that starts in this thread (this copy of the module: a worker's analyses are
 * not seen by its caller's). Only the extension's test API sets it, to prove that big traces are
 * never analysed on the extension host's thread.
 */
export const analysisProbe: { started?: (store: EventStore) => void } = {};

export function analyze(store: EventStore, opts: AnalyzeOptions = {}): Analysis {
  analysisProbe.started?.(store);
  if (store.kernelLog) return analyzeKernelLog(store, opts); // a kernel log: findings come from its reports
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
  analysisProbe.started?.(store);
  if (store.kernelLog) return analyzeKernelLog(store, opts);
  const a = new Analyzer(store, opts);
  const slice = opts.sliceEvents ?? 250_000;
  const pause = opts.yieldFn ?? (() => new Promise<void>((r) => setTimeout(r, 0)));
  for (let end = slice; a.runTo(end); end += slice) {
    await pause();
    if (opts.signal?.aborted) throw new AnalysisCancelled();
  }
  return a.finish();
}

/** Usage bits of a lock class, lockdep's LOCK_USED_IN_* and LOCK_ENABLED_* (state × direction × read). */
const enum Usage {
  InHardirq = 1,
  InHardirqRead = 2,
  InSoftirq = 4,
  InSoftirqRead = 8,
  OnHardirq = 16,
  OnHardirqRead = 32,
  OnSoftirq = 64,
  OnSoftirqRead = 128,
}
const USAGE_NAMES = [
  'IN-HARDIRQ-W',
  'IN-HARDIRQ-R',
  'IN-SOFTIRQ-W',
  'IN-SOFTIRQ-R',
  'HARDIRQ-ON-W',
  'HARDIRQ-ON-R',
  'SOFTIRQ-ON-W',
  'SOFTIRQ-ON-R',
];
/** The bit index (0..7) of a single Usage bit. */
const bitIndex = (u: number): number => 31 - Math.clz32(u);

/** A syscall exit whose held locks are judged when the task shows it went back to user space. */
interface PendingReturn {
  exit: number;
  sysEntry: number;
  holds: Held[];
}

class Analyzer implements StateHooks {
  private readonly graph: LockGraph = new Graph<NodeAttributes, EdgeAttributes>({ type: 'directed', multi: false, allowSelfLoops: false });
  /** Edge key `from * 2^21 + to` (node ids) -> attributes, for O(1) lookups without string keys. */
  private readonly edges = new Map<number, EdgeAttributes>();
  private readonly findings: Finding[] = [];
  private readonly dedupe = new Map<string, Finding>();
  private readonly notes: { line: number; message: string }[] = [];
  private readonly kinds: Set<FindingKind>;
  private readonly readRule: ReadLockRule;
  /**
   * Per task: lock id -> the run (TaskState.run) of the task's last acquire or release of it, times
   * two, plus one once the task was seen acquiring it (one map for both: this is per lock event).
   */
  private readonly touched = new Map<number, Map<number, number>>();
  /** Per graph node id: acquisitions so far (written into the graph at the end); unset until its first. */
  private readonly acquisitions: number[] = [];
  private readonly state: LockState;
  private readonly model: AnalysisModel;
  /** The acyclic dependency order between nodes, kept topologically sorted as edges arrive. */
  private readonly order = new DependencyOrder();
  /** Graph nodes are lock classes at a nesting level: `class * 64 + sub` -> dense node id, and back. */
  private readonly nodeIds = new Map<number, number>();
  private readonly nodeNames: string[] = [];
  /**
   * Interrupt usage is kept per slot: one per graph node, and one per lock instance for the
   * classes whose name several lockdep classes share (SHARED_NAME_CLASSES). Per slot: the usage
   * bits, the event where each bit was first seen, and the name used in messages.
   */
  private readonly usage: number[] = [];
  private readonly usageAt: Int32Array[] = [];
  private readonly slotNames: string[] = [];
  private readonly nodeSlot: number[] = [];
  private readonly instanceSlots = new Map<number, number>();
  private readonly sharedName: Uint8Array;
  /** Per class id: the traced kernel's /proc/lockdep has no subclass of it, so nesting it is not annotated. */
  private readonly unannotated: Uint8Array;
  /** Union of every node's usage bits (the dependency checks only run once a class is irq-safe). */
  private usageAll = 0;
  /** Per task: syscall exits waiting for evidence that the task went back to user space. */
  private readonly returns = new Map<number, PendingReturn>();
  /** Per task: its sched_process_exit event. */
  private readonly exitAt = new Map<number, number>();
  /** Locks the state machine dropped at inferred switches or returned interrupts, per class. */
  private readonly droppedCount = new Map<string, { count: number; line: number; why: string }>();
  /** [lock graph] instances, gates, workqueue attribution, components (lockGraph.ts). */
  private readonly lockGraph: LockGraphTracker;
  /** Allocations and frees (kmem events), for held-lock-freed. */
  private readonly freed: FreedMemory;

  constructor(
    private readonly s: EventStore,
    private readonly opts: AnalyzeOptions,
  ) {
    this.kinds = new Set(opts.kinds ?? DEFAULT_FINDING_KINDS);
    this.readRule = opts.readLocks ?? 'non-recursive';
    this.model = findPreHeld(s);
    const procShared = opts.lockdep ? sharedNames(opts.lockdep) : [];
    const shared = new Set([...SHARED_NAME_CLASSES, ...(opts.sharedClassNames ?? []), ...procShared]);
    this.sharedName = new Uint8Array(s.classes.size);
    for (let c = 0; c < s.classes.size; c++) if (shared.has(s.classes.get(c))) this.sharedName[c] = 1;
    this.unannotated = new Uint8Array(s.classes.size);
    if (opts.lockdep) {
      const known = new Set(opts.lockdep.classes.map((c) => c.name));
      const nested = new Set(nestedNames(opts.lockdep));
      for (let c = 0; c < s.classes.size; c++) {
        const name = s.classes.get(c);
        if (known.has(name) && !nested.has(name) && !shared.has(name)) this.unannotated[c] = 1;
      }
    }
    this.state = new LockState(s, this.model);
    for (const [task, list] of this.model.preHeld) {
      const t = s.tasks[task];
      for (const p of list) {
        this.notes.push({
          line: s.line[p.release],
          message: `${t.comm}/${t.pid} releases ${s.className(p.lock)}, not seen acquired: held since before the trace began (or while its events were filtered out)`,
        });
      }
    }
    this.interval = opts.checkpointInterval ?? Math.max(1024, Math.ceil(s.length / 4096));
    this.freed = new FreedMemory(s, (f) => this.heldFreed(f));
    this.lockGraph = new LockGraphTracker(s, this.edges, this.nodeNames, {
      readLocks: this.readRule,
      kinds: this.kinds,
      hierarchy: opts.hierarchy,
      instances: opts.instances ?? true,
    });
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
      else if (kind === EventKind.Other) {
        if (this.lockGraph.work.enabled) this.lockGraph.work.other(i, st.tasks[s.task[i]]); // [lock graph] workqueue events
        if (this.freed.enabled) this.freed.other(i, st.tasks[s.task[i]]); // kmem events
      }
      st.step(this);
      if (kind === EventKind.Acquire || kind === EventKind.Release) this.touch(s.task[i], s.ref[i], kind === EventKind.Acquire);
      if (s.ctx[i] & Ctx.Known) this.irqsOnWhileHolding(i);
      if (this.opts.onProgress && (i & 0xfffff) === 0xfffff) this.opts.onProgress(i + 1);
    }
    this.next = n;
    return n < s.length;
  }

  finish(): Analysis {
    const s = this.s;
    this.state.finish(this);
    for (const [task, r] of this.returns) this.judgeReturn(task, r, this.state.tasks[task]);
    this.returns.clear();
    this.acquisitions.forEach((n, node) => {
      if (n) this.graph.updateNodeAttribute(this.nodeNames[node], 'acquisitions', (c) => (c ?? 0) + n);
    });
    const freedNote = this.freed.note();
    if (freedNote) this.notes.push({ line: s.line[freedNote.event], message: freedNote.message });
    for (const [name, d] of this.droppedCount) {
      this.notes.push({
        line: d.line,
        message: `${d.count} hold(s) of ${name} ended without a release event: ${d.why}`,
      });
    }
    const contention = analyzeContention(s);
    if (this.kinds.has('contention')) this.findings.push(...contentionFindings(s, contention));
    const components = this.lockGraph.finish(this.findings); // [lock graph] cycle ids, components, order violations
    this.findings.sort((a, b) => a.eventIndex - b.eventIndex || a.kind.localeCompare(b.kind));
    this.findings.forEach((f, k) => (f.id = k));
    return {
      store: s,
      findings: this.findings,
      graph: this.graph,
      notes: this.notes,
      checkpoints: this.checkpoints,
      checkpointInterval: this.interval,
      readLocks: this.readRule,
      model: this.model,
      components,
      instanceEdges: this.lockGraph.instanceEdges(),
      contention,
    };
  }

  // --- helpers -----------------------------------------------------------------------------

  private cls(id: number): string {
    return this.s.classes.get(id);
  }

  /** The graph node of a held lock: its class, or `class/N` for the N-th nested instance (kernel locks). */
  private nodeOf(h: Held): number {
    const sub = this.s.locks[h.lock].domain === 'kernel' ? Math.min(h.sub, 63) : 0;
    const key = h.cls * 64 + sub;
    let id = this.nodeIds.get(key);
    if (id === undefined) {
      id = this.nodeNames.length;
      this.nodeIds.set(key, id);
      this.nodeNames.push(sub ? `${this.cls(h.cls)}/${sub}` : this.cls(h.cls));
      this.nodeSlot.push(this.newSlot(this.nodeNames[id]));
    }
    return id;
  }

  private newSlot(name: string): number {
    this.usage.push(0);
    this.usageAt.push(new Int32Array(8).fill(-1));
    this.slotNames.push(name);
    return this.usage.length - 1;
  }

  /** Where a hold's interrupt usage is kept: its node, or its instance when the name is shared. */
  private slotOf(h: Held, node: number): number {
    if (!this.sharedName[h.cls]) return this.nodeSlot[node];
    const key = h.lock * 64 + Math.min(h.sub, 63);
    let slot = this.instanceSlots.get(key);
    if (slot === undefined) {
      slot = this.newSlot(`${this.nodeNames[node]} (${this.s.locks[h.lock].key})`);
      this.instanceSlots.set(key, slot);
    }
    return slot;
  }

  private sysName(entry: number): string | null {
    return entry >= 0 ? this.s.names.get(this.s.ref[entry]) : null;
  }

  private taskLabel(i: number): string {
    const t = this.s.taskOf(i);
    return `${t.comm}/${t.pid}`;
  }

  private graphNode(name: string, i: number): string {
    if (!this.graph.hasNode(name)) this.graph.addNode(name, { acquisitions: 0, contentions: 0, firstEvent: i });
    return name;
  }

  /** An acquisition of graph node `node` at event i (the node joins the graph at its first). */
  private countAcquisition(node: number, i: number): void {
    const n = this.acquisitions[node];
    if (n === undefined) this.graphNode(this.nodeNames[node], i);
    this.acquisitions[node] = (n ?? 0) + 1;
  }

  /** After a lock event was applied: the task's run in which it last touched that lock, and whether it ever acquired it. */
  private touch(task: number, lock: number, acquire: boolean): void {
    let m = this.touched.get(task);
    if (!m) this.touched.set(task, (m = new Map<number, number>()));
    const run = this.state.tasks[task].run * 2;
    if (acquire) m.set(lock, run + 1);
    else m.set(lock, run + ((m.get(lock) ?? 0) & 1));
  }

  private contention(i: number): void {
    const lock = this.s.locks[this.s.ref[i]];
    const name = this.graphNode(this.cls(lock.classId), i);
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
  ): Finding | undefined {
    if (!this.kinds.has(kind)) return undefined;
    const key = `${kind}\u0000${dedupeKey}`;
    const prev = this.dedupe.get(key);
    if (prev) {
      prev.occurrences++;
      return undefined;
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
    return f;
  }

  // --- hooks ---------------------------------------------------------------------------------

  acquire(t: TaskState, task: number, i: number, h: Held): void {
    const s = this.s;
    if (this.lockGraph.work.enabled) this.lockGraph.work.acquire(t, task, i, h); // [lock graph] workqueue maps
    const node = this.nodeOf(h);
    this.countAcquisition(node, i);
    if (h.flags & HeldFlag.NoCheck) return; // check=0: no dependency, no recursion, no usage (lockdep's validate_chain)
    const isTry = (h.flags & HeldFlag.Try) !== 0;
    const isRead = (h.flags & HeldFlag.Read) !== 0;
    const domain = s.locks[h.lock].domain;
    if (s.ctx[i] & Ctx.Known && domain === 'kernel') this.markAcquireUsage(h, node, i);
    // recursive locking (lockdep's check_deadlock, over every held lock of the task; a trylock
    // simply fails instead): the same instance again, or another instance of the class at the same
    // nesting level. Nested instances of a kernel class are taken to be annotated
    // (mutex_lock_nested & co.): lock_acquire events do not print the subclass.
    if (!isTry) {
      for (const p of t.held) {
        if (p.cls !== h.cls || p.flags & (HeldFlag.Pending | HeldFlag.NoCheck)) continue;
        const same = p.lock === h.lock;
        if (!same && domain === 'kernel') {
          // a nested instance (h.sub counts it) is annotated, unless the kernel has no subclass of
          // the class (its /proc/lockdep); across contexts both are subclass 0 for lockdep
          if (p.irq === h.irq ? !this.unannotated[h.cls] : p.sub !== h.sub) continue;
        }
        if (this.readRule === 'recursive' && isRead && p.flags & HeldFlag.Read) continue;
        const name = this.cls(h.cls);
        const where = this.describeHold(p);
        const message = same
          ? `recursive locking: ${this.taskLabel(i)} acquires ${name} (${s.locks[h.lock].key}) again while already holding it since ${where}: self-deadlock`
          : domain === 'kernel' && p.irq === h.irq
            ? `possible recursive locking: ${this.taskLabel(i)} acquires another ${name} (${s.locks[h.lock].key}) while holding ${s.locks[p.lock].key} since ${where}; the traced kernel has no subclass of ${name} (its /proc/lockdep), so the nesting is not annotated`
            : domain === 'kernel'
              ? `possible recursive locking: ${this.taskLabel(i)} acquires another ${name} (${s.locks[h.lock].key}) in ${irqName(h.irq)} context while holding ${s.locks[p.lock].key} since ${where} in ${irqName(p.irq)} context`
              : `possible recursive locking: ${this.taskLabel(i)} acquires another ${name} (${s.locks[h.lock].key}) while holding ${s.locks[p.lock].key} since ${where} (same class)`;
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
    // dependencies: from the held locks of the same interrupt context (lockdep's check_prevs_add
    // stops where the irq context changes); held check=0 maps are passed over.
    const seen = new Set<number>();
    for (let k = t.held.length - 1; k >= 0; k--) {
      const p = t.held[k];
      if (p.irq !== h.irq) break;
      if (p.flags & (HeldFlag.Pending | HeldFlag.NoCheck)) continue;
      const from = this.nodeOf(p);
      if (from === node || seen.has(from)) continue;
      if (domain !== 'kernel' && p.cls === h.cls) continue;
      seen.add(from);
      this.addEdge(p, h, from, node, i, task);
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
    if (p.flags & HeldFlag.PreHeld) return `before the trace began (released later)`;
    const sys = this.sysName(p.sysEntry);
    return `line ${this.s.line[p.acq]}${sys ? ` in ${sys}` : ''}`;
  }

  private addEdge(p: Held, h: Held, fromNode: number, toNode: number, i: number, task: number): void {
    const s = this.s;
    const key = fromNode * 2097152 + toNode;
    const same = p.sysEntry === h.sysEntry;
    const fromRead = (p.flags & HeldFlag.Read) !== 0;
    const toRead = (h.flags & HeldFlag.Read) !== 0;
    const existing = this.edges.get(key);
    this.lockGraph.occurrence(key, p, h, this.state.tasks[task], i); // [lock graph] instances and gates
    if (existing) {
      existing.count++;
      if (same) existing.sameSyscallSeen = true;
      if (!toRead) existing.toWrite = true;
      if (!fromRead) existing.fromWrite = true;
      return;
    }
    const from = this.nodeNames[fromNode];
    const to = this.nodeNames[toNode];
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
    const via = this.lockGraph.origin(this.state.tasks[task], task); // [lock graph] a kworker's work item
    if (via) attrs.via = via;
    this.edges.set(key, attrs);
    this.graphNode(from, p.acq);
    this.graph.addDirectedEdgeWithKey(`${from}\u0000${to}`, from, to, attrs);
    // does `to` already reach `from`? Then this edge closes a cycle (and, as in lockdep, is not
    // added to the dependency order, so each cycle is reported once).
    if (this.order.addEdge(fromNode, toNode)) {
      if (this.usageAll & (Usage.InHardirq | Usage.InHardirqRead | Usage.InSoftirq | Usage.InSoftirqRead))
        this.checkIrqOrder(attrs, fromNode, toNode, i, h);
      return;
    }
    const path = this.shortestPath(toNode, fromNode);
    if (path) this.inversion([attrs, ...path], h, i);
  }

  /** Edges of the shortest path from node `a` to node `b` in the dependency order, or null. */
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
      cycle: cycle.map(edgeOrigin),
    });
  }

  private domainOf(name: string): string {
    const base = this.s.classes.lookup(name) ?? this.s.classes.lookup(name.replace(/\/\d+$/, ''));
    const lock = this.s.locks.find((l) => l.classId === base);
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
    const t = this.state.tasks[task];
    // lockdep knows every task's whole history; a trace does for tasks forked inside it, and
    // between two events of a task that ran without a break (nothing of it was filtered out).
    if (this.state.isNoCheck(s.locks[lock].classId)) return; // a check=0 map or the tracer's own lock
    const t0 = this.state.tasks[task];
    const touched = this.touched.get(task)?.get(lock);
    const sameRun = t0 !== undefined && touched !== undefined && Math.floor(touched / 2) === t0.run;
    if ((!this.model.forked.has(task) && !sameRun) || s.lostEvents > 0) {
      this.notes.push({
        line: s.line[i],
        message: `${this.taskLabel(i)} releases ${name}, not seen acquired (taken before the trace began, or while its events were filtered out)`,
      });
      return;
    }
    const holder = this.holderOf(lock, task);
    const message =
      holder >= 0
        ? `bad unlock balance: ${this.taskLabel(i)} releases ${name} (${s.locks[lock].key}) which is held by ${s.tasks[holder].comm}/${s.tasks[holder].pid}, not by this task`
        : touched !== undefined && touched % 2 === 1
          ? `bad unlock balance: ${this.taskLabel(i)} releases ${name} (${s.locks[lock].key}) which it no longer holds`
          : `bad unlock balance: ${this.taskLabel(i)} releases ${name} (${s.locks[lock].key}) which it never acquired (its whole life is in the trace)`;
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

  dropped(_t: TaskState, _task: number, i: number, h: Held, why: 'switch' | 'irq'): void {
    const name = this.cls(h.cls);
    const d = this.droppedCount.get(name);
    if (d) d.count++;
    else
      this.droppedCount.set(name, {
        count: 1,
        line: this.s.line[i],
        why:
          why === 'switch'
            ? 'taken with interrupts disabled by a task that was then switched out (the scheduler hands the runqueue lock to the next task; its release was not in the trace)'
            : 'taken in an interrupt that returned (its release was not in the trace)',
      });
  }

  // --- returns to user space, exits ------------------------------------------------------------

  sysExit(t: TaskState, task: number, i: number): void {
    const prev = this.returns.get(task);
    if (prev) this.judgeReturn(task, prev, t);
    const holds = t.held.filter((h) => !(h.flags & (HeldFlag.Pending | HeldFlag.Reported)) && this.s.locks[h.lock].domain === 'kernel');
    if (holds.length > 0) this.returns.set(task, { exit: i, sysEntry: t.sysEntry, holds });
    else this.returns.delete(task);
  }

  /** The task entered another syscall, so it went back to user space after its last exit. */
  sysEnter(t: TaskState, task: number): void {
    const r = this.returns.get(task);
    if (!r) return;
    this.returns.delete(task);
    this.judgeReturn(task, r, t);
  }

  /** lockdep_sys_exit(): every lock still held when the task went back to user space. */
  private judgeReturn(task: number, r: PendingReturn, t: TaskState | undefined): void {
    const s = this.s;
    if (!t) return;
    const i = r.exit;
    const sys = s.names.get(s.ref[i]);
    for (const h of r.holds) {
      if (!t.held.includes(h) || h.flags & HeldFlag.Reported) continue;
      h.flags |= HeldFlag.Reported;
      const name = this.cls(h.cls);
      const acquiredIn = this.sysName(h.sysEntry);
      const since =
        h.flags & HeldFlag.PreHeld
          ? 'held since before the trace began'
          : `acquired at line ${s.line[h.acq]}${acquiredIn ? ` in ${acquiredIn}` : ''}`;
      const message = `lock held when returning to user space: ${this.taskLabel(i)} returns from ${sys} still holding ${name} (${since}); whatever it takes next, in any syscall, is ordered after ${name}`;
      const f = this.report(
        'held-across-syscall',
        `${name}\u0000${task}\u0000${sys}`,
        i,
        message,
        [name],
        h.flags & HeldFlag.PreHeld
          ? []
          : [{ line: s.line[h.acq], message: `${name} acquired here${acquiredIn ? ` in ${acquiredIn}` : ''}` }],
        r.sysEntry >= 0 ? r.sysEntry : i,
      );
      // the syscall is the one that leaked it: report it even when the entry was not traced.
      if (f && f.syscall === null) f.syscall = sys;
    }
  }

  exitBegin(_t: TaskState, task: number, i: number): void {
    // killed on its way out of a syscall: it never went back to user space
    this.returns.delete(task);
    this.exitAt.set(task, i);
  }

  exit(t: TaskState, task: number, i: number): void {
    const s = this.s;
    const held = t.held.filter((h) => !(h.flags & HeldFlag.Pending) && s.locks[h.lock].domain !== 'file');
    if (held.length === 0) return;
    const names = held.map((h) => this.nodeName(h));
    const info = s.tasks[task];
    const at = this.exitAt.get(task) ?? i;
    this.report(
      'held-at-exit',
      `${names.join(',')}\u0000${task}`,
      at,
      `lock held at task exit: ${info.comm}/${info.pid} exits holding ${held.map((h) => `${this.nodeName(h)} (since ${this.describeHold(h)})`).join(', ')}`,
      names,
      held.filter((h) => !(h.flags & HeldFlag.PreHeld)).map((h) => ({ line: s.line[h.acq], message: `${this.nodeName(h)} acquired here` })),
      t.sysEntry,
    );
  }

  /** debug_check_no_locks_freed(): a free whose range holds a lock the freeing task holds. */
  private heldFreed(f: FreedHeld): void {
    const s = this.s;
    const i = f.event;
    const task = s.task[i];
    const name = this.nodeName(f.hold);
    const end = f.start + BigInt(f.size);
    const what = s.names.get(s.ref[i]);
    const message = `held lock freed: ${this.taskLabel(i)} frees 0x${f.start.toString(16)}-0x${end.toString(16)} (${what}, ${f.size} bytes allocated at line ${s.line[f.alloc]}) while holding ${name} at ${s.locks[f.hold.lock].key}, inside that memory (since ${this.describeHold(f.hold)})`;
    const related: RelatedLine[] = [{ line: s.line[f.alloc], message: `the freed memory allocated here (${f.size} bytes)` }];
    if (!(f.hold.flags & HeldFlag.PreHeld)) related.unshift({ line: s.line[f.hold.acq], message: `${name} acquired here` });
    const t = this.state.tasks[task];
    this.report('held-lock-freed', `${name}\u0000${task}`, i, message, [name], related, t ? t.sysEntry : -1);
  }

  private nodeName(h: Held): string {
    return this.nodeNames[this.nodeOf(h)];
  }

  // --- interrupt safety ------------------------------------------------------------------------

  /** lockdep's mark_irqflags(): the usages an acquisition shows (trylocks are never irq-safe uses). */
  private markAcquireUsage(h: Held, nodeId: number, i: number): void {
    const node = this.slotOf(h, nodeId);
    const ctx = this.s.ctx[i];
    const read = (h.flags & HeldFlag.Read) !== 0;
    if (!(h.flags & HeldFlag.Try)) {
      if (ctx & Ctx.Hardirq) this.markUsage(node, read ? Usage.InHardirqRead : Usage.InHardirq, i, h);
      if (ctx & Ctx.Softirq) this.markUsage(node, read ? Usage.InSoftirqRead : Usage.InSoftirq, i, h);
    }
    if (!(ctx & Ctx.IrqsOff)) {
      this.markUsage(node, read ? Usage.OnHardirqRead : Usage.OnHardirq, i, h);
      if (!(ctx & (Ctx.BhOff | Ctx.Softirq))) this.markUsage(node, read ? Usage.OnSoftirqRead : Usage.OnSoftirq, i, h);
    }
  }

  /**
   * lockdep's mark_held_locks() when interrupts are enabled: a task seen with interrupts (or
   * bottom halves) enabled while holding locks enabled them with those locks held.
   */
  private irqsOnWhileHolding(i: number): void {
    const s = this.s;
    const ctx = s.ctx[i];
    if (ctx & (Ctx.IrqsOff | Ctx.Nmi)) return;
    const t = this.state.tasks[s.task[i]];
    if (!t || t.held.length === 0) return;
    const irq = ctx & Ctx.IrqMask;
    const softOn = !(ctx & (Ctx.BhOff | Ctx.Softirq));
    for (const h of t.held) {
      if (h.irq !== irq || h.flags & (HeldFlag.Pending | HeldFlag.NoCheck | HeldFlag.PreHeld) || h.acq === i) continue;
      if (s.locks[h.lock].domain !== 'kernel') continue;
      const node = this.slotOf(h, this.nodeOf(h));
      const read = (h.flags & HeldFlag.Read) !== 0;
      const u = this.usage[node];
      const hard = read ? Usage.OnHardirqRead : Usage.OnHardirq;
      const soft = read ? Usage.OnSoftirqRead : Usage.OnSoftirq;
      if (!(u & hard)) this.markUsage(node, hard, i, h);
      if (softOn && !(u & soft)) this.markUsage(node, soft, i, h);
    }
  }

  /** Sets a usage bit; a new one is checked as lockdep's mark_lock_irq() does. */
  private markUsage(node: number, bit: Usage, i: number, h: Held): void {
    if (this.usage[node] & bit) return;
    this.usage[node] |= bit;
    this.usageAt[node][bitIndex(bit)] = i;
    this.usageAll |= bit;
    const read = bit & (Usage.InHardirqRead | Usage.InSoftirqRead | Usage.OnHardirqRead | Usage.OnSoftirqRead);
    const enabled = bit >= Usage.OnHardirq;
    // the opposite direction of the same state, as a writer; a writer also conflicts with readers
    const excl = exclusive(bit);
    const conflict = this.usage[node] & (read ? excl : excl | readOf(excl));
    if (conflict) {
      const other = conflict & excl ? excl : readOf(excl);
      this.inconsistent(node, bit, other, i, h);
      return;
    }
    // the dependencies: an irq-safe lock must not reach an irq-unsafe one
    const mask = excl | readOf(excl);
    if (!(this.usageAll & mask)) return;
    const graphNode = this.nodeSlot.indexOf(node);
    if (graphNode < 0) return; // an instance of a shared name: judged on its own, not between classes
    const found = enabled ? this.searchUsage(graphNode, mask, false) : this.searchUsage(graphNode, mask, true);
    if (found) this.irqInversion(node, bit, this.nodeSlot[found.node], found.bit, found.path, i, h);
  }

  /** BFS from a node along (forward) or against (backward) the dependencies for a node with one of `mask`. */
  private searchUsage(start: number, mask: number, forward: boolean): { node: number; bit: number; path: EdgeAttributes[] } | null {
    const prev = new Map<number, number>([[start, -1]]);
    const queue = [start];
    for (let q = 0; q < queue.length; q++) {
      const cur = queue[q];
      const next = forward ? this.order.out(cur) : this.order.in(cur);
      for (const n of next) {
        if (prev.has(n)) continue;
        prev.set(n, cur);
        const m = this.usage[this.nodeSlot[n]] & mask;
        if (m) {
          const path: EdgeAttributes[] = [];
          for (let x = n; x !== start;) {
            const p = prev.get(x) as number;
            path.push(this.edges.get(forward ? p * 2097152 + x : x * 2097152 + p) as EdgeAttributes);
            x = p;
          }
          if (forward) path.reverse();
          return { node: n, bit: m & -m, path };
        }
        queue.push(n);
      }
    }
    return null;
  }

  /** lockdep's check_irq_usage() for a new dependency: an irq-safe lock before it, an irq-unsafe one after it. */
  private checkIrqOrder(edge: EdgeAttributes, from: number, to: number, i: number, h: Held): void {
    for (const [inW, inR, onW, onR] of [
      [Usage.InHardirq, Usage.InHardirqRead, Usage.OnHardirq, Usage.OnHardirqRead],
      [Usage.InSoftirq, Usage.InSoftirqRead, Usage.OnSoftirq, Usage.OnSoftirqRead],
    ]) {
      if (!(this.usageAll & (inW | inR)) || !(this.usageAll & (onW | onR))) continue;
      const uf = this.usage[this.nodeSlot[from]] & (inW | inR);
      const safe = uf ? { node: from, bit: uf, path: [] } : this.searchUsage(from, inW | inR, false);
      if (!safe) continue;
      const wantOn = safe.bit & inW ? onW | onR : onW;
      const ut = this.usage[this.nodeSlot[to]] & wantOn;
      const unsafe = ut ? { node: to, bit: ut, path: [] } : this.searchUsage(to, wantOn, true);
      if (!unsafe) continue;
      const safeBit = safe.bit & -safe.bit;
      const unsafeBit = unsafe.bit & -unsafe.bit;
      const state = inW === Usage.InHardirq ? 'HARDIRQ' : 'SOFTIRQ';
      // the backward search's path already runs from the irq-safe lock to `from`
      const path = [...safe.path, edge, ...unsafe.path];
      const [safeSlot, unsafeSlot] = [this.nodeSlot[safe.node], this.nodeSlot[unsafe.node]];
      const names = [this.nodeNames[safe.node], ...path.map((e) => e.to)];
      const message = [
        `${state}-safe -> ${state}-unsafe lock order detected: ${this.taskLabel(i)} makes ${edge.from} -> ${edge.to} (line ${this.s.line[i]})`,
        `  ${this.nodeNames[safe.node]} is ${state}-safe: ${this.usageText(safeSlot, safeBit)}`,
        `  ${this.nodeNames[unsafe.node]} is ${state}-unsafe: ${this.usageText(unsafeSlot, unsafeBit)}`,
        `  dependency chain: ${names.join(' -> ')}`,
        `  an interrupt taking ${this.nodeNames[safe.node]} on a CPU where ${this.nodeNames[unsafe.node]} is held with ${state === 'HARDIRQ' ? 'interrupts' : 'softirqs'} enabled can deadlock`,
      ].join('\n');
      this.reportIrq(message, [safeSlot, unsafeSlot], [safeBit, unsafeBit], i, h, path);
      return;
    }
  }

  private inconsistent(node: number, bit: number, other: number, i: number, h: Held): void {
    const name = this.slotNames[node];
    const [first, second] = [other, bit];
    const message = [
      `inconsistent lock state: {${USAGE_NAMES[bitIndex(first)]}} -> {${USAGE_NAMES[bitIndex(second)]}} usage of ${name}`,
      `  ${this.usageText(node, first)}`,
      `  ${this.usageText(node, second)}`,
      `  an interrupt taking ${name} on a CPU where it is already held deadlocks`,
    ].join('\n');
    this.reportIrq(message, [node, node], [first, second], i, h, []);
  }

  private irqInversion(node: number, bit: number, otherNode: number, otherBit: number, path: EdgeAttributes[], i: number, h: Held): void {
    const enabled = bit >= Usage.OnHardirq;
    const [safeNode, safeBit, unsafeNode, unsafeBit] = enabled ? [otherNode, otherBit, node, bit] : [node, bit, otherNode, otherBit];
    const chain = [path.length ? path[0].from : this.slotNames[safeNode], ...path.map((e) => e.to)];
    const message = [
      `possible irq lock inversion dependency: ${this.slotNames[safeNode]} -> ${this.slotNames[unsafeNode]}`,
      `  ${this.usageText(safeNode, safeBit)}`,
      `  ${this.usageText(unsafeNode, unsafeBit)}`,
      `  dependency chain: ${chain.join(' -> ')}`,
    ].join('\n');
    this.reportIrq(message, [safeNode, unsafeNode], [safeBit, unsafeBit], i, h, path);
  }

  private usageText(node: number, bit: number): string {
    const at = this.usageAt[node][bitIndex(bit)];
    const s = this.s;
    const what =
      bit & (Usage.InHardirq | Usage.InHardirqRead)
        ? 'taken in hardirq context'
        : bit & (Usage.InSoftirq | Usage.InSoftirqRead)
          ? 'taken in softirq context'
          : bit & (Usage.OnHardirq | Usage.OnHardirqRead)
            ? 'held with hardirqs enabled'
            : 'held with softirqs enabled';
    return `{${USAGE_NAMES[bitIndex(bit)]}}: ${this.slotNames[node]} ${what}${at >= 0 ? ` at line ${s.line[at]} by ${this.taskLabel(at)}` : ''}`;
  }

  private reportIrq(message: string, nodes: number[], bits: number[], i: number, h: Held, path: EdgeAttributes[]): void {
    const s = this.s;
    const usages: LockUsage[] = nodes.map((n, k) => {
      const at = this.usageAt[n][bitIndex(bits[k])];
      const t = at >= 0 ? s.taskOf(at) : undefined;
      return {
        lock: this.slotNames[n],
        usage: USAGE_NAMES[bitIndex(bits[k])],
        line: at >= 0 ? s.line[at] : 0,
        ...(t ? { comm: t.comm, pid: t.pid } : {}),
      };
    });
    const locks = nodes.map((n) => this.slotNames[n].replace(/ \(.*\)$/, ''));
    const related: RelatedLine[] = usages.filter((u) => u.line > 0).map((u) => ({ line: u.line, message: `{${u.usage}}: ${u.lock} here` }));
    for (const e of path)
      related.push({ line: e.line, message: `${e.from} -> ${e.to} made here by ${e.comm}/${e.pid}${e.syscall ? ` in ${e.syscall}` : ''}` });
    this.report(
      'irq-state',
      `${[...new Set(locks)].sort().join('\u0000')}\u0000${usages.map((u) => u.usage).join(',')}`,
      i,
      message,
      locks,
      dedupeRelated(related),
      h.sysEntry,
      {
        usages,
        ...(path.length ? { cycle: path.map(edgeOrigin) } : {}),
      },
    );
  }
}

/** The other direction of a usage's state, as a writer (lockdep's exclusive_bit()). */
function exclusive(bit: number): number {
  switch (bit) {
    case Usage.InHardirq:
    case Usage.InHardirqRead:
      return Usage.OnHardirq;
    case Usage.InSoftirq:
    case Usage.InSoftirqRead:
      return Usage.OnSoftirq;
    case Usage.OnHardirq:
    case Usage.OnHardirqRead:
      return Usage.InHardirq;
    default:
      return Usage.InSoftirq;
  }
}

/** The reader variant of a writer usage bit. */
const readOf = (bit: number): number => bit << 1;

function irqName(irq: number): string {
  return irq === 0 ? 'process' : irq === Ctx.Softirq ? 'softirq' : 'hardirq';
}

/**
 * The analyzer's first pass: which locks each task held when the trace began (a release never
 * seen acquired, by a task not forked inside the trace), and which tasks were forked inside it.
 */
function findPreHeld(s: EventStore): StateModel & { forked: Set<number> } {
  const forked = new Set<number>();
  const preHeld = new Map<number, PreHeld[]>();
  const acquired = new Map<number, Set<number>>();
  const st = new LockState(s);
  const hooks: StateHooks = {
    badRelease: (_t, task, i) => {
      if (forked.has(task) || acquired.get(task)?.has(s.ref[i])) return;
      let list = preHeld.get(task);
      if (!list) preHeld.set(task, (list = []));
      if (list.some((p) => p.lock === s.ref[i])) return;
      // released last = taken first: the outermost of what the task held
      list.unshift({ lock: s.ref[i], flags: 0, irq: s.ctx[i] & Ctx.IrqMask, release: i });
    },
  };
  for (let i = 0; i < s.length; i++) {
    const kind = s.kind[i];
    const task = s.task[i];
    if (kind === EventKind.Fork && s.tasks[s.ref[i]].firstEvent >= i) forked.add(s.ref[i]);
    else if (kind === EventKind.Acquire) {
      let set = acquired.get(task);
      if (!set) acquired.set(task, (set = new Set()));
      set.add(s.ref[i]);
    }
    st.step(hooks);
  }
  return { preHeld, forked };
}

export function describeEdge(e: EdgeOrigin): string {
  return `${e.from} -> ${e.to}: line ${e.line}${e.site ? ` (${e.site})` : ''}, ${e.comm}/${e.pid}${e.syscall ? ` in ${e.syscall}` : e.via ? ` ${describeWork(e.via)}` : ' in userspace'}, holding ${e.from} since line ${e.fromLine}${e.fromSyscall ? ` (${e.fromSyscall})` : ''}${e.fromSite ? ` (${e.fromSite})` : ''}${e.crossSyscall ? ' [held across a syscall boundary]' : ''}`;
}

/** Label spacing of the dependency order, and the largest label before the list is relabelled. */
const ORDER_GAP = 2 ** 16;
const MAX_LABEL = 2 ** 45;

/**
 * Incremental cycle detection over a topological order that is kept as new dependencies arrive.
 * An edge x -> y that agrees with the order costs O(1). One that does not searches backwards from
 * x, through the nodes ordered after y only (whatever reaches x in between): finding y means a
 * cycle; otherwise that set moves, in its own order, to just before y, which keeps every edge
 * pointing forwards (its outside predecessors are ordered before y, its successors after it). This
 * is one half of Pearce & Kelly's search ("A dynamic topological sort algorithm for directed
 * acyclic graphs"), which also searches forwards from y; the order lives in a linked list with
 * numeric labels (relabelled when a gap runs out), so the move costs only the moved nodes. A lock
 * taken for the first time while others are held has no predecessor yet: it moves alone.
 */
export class DependencyOrder {
  private count = 0;
  /** Per node: its order label, its neighbours in the order (-1: none), and the last search that marked it. */
  private label = new Float64Array(64);
  private prev = new Int32Array(64);
  private next = new Int32Array(64);
  private mark = new Int32Array(64);
  private head = -1;
  private tail = -1;
  private readonly outAdj: number[][] = [];
  private readonly inAdj: number[][] = [];
  private epoch = 0;
  /** Reused by every search: the nodes found and the DFS stack. */
  private found = new Int32Array(64);
  private stack = new Int32Array(64);

  private node(n: number): void {
    if (n < this.count) return;
    if (n >= this.label.length) {
      const size = Math.max(n + 1, this.label.length * 2);
      const label = new Float64Array(size);
      label.set(this.label);
      this.label = label;
      const grow = (a: Int32Array) => {
        const b = new Int32Array(size);
        b.set(a);
        return b;
      };
      this.prev = grow(this.prev);
      this.next = grow(this.next);
      this.mark = grow(this.mark);
      this.found = new Int32Array(size);
      this.stack = new Int32Array(size);
    }
    for (let k = this.count; k <= n; k++) {
      // a new node goes last
      this.label[k] = this.tail < 0 ? 0 : this.label[this.tail] + ORDER_GAP;
      this.prev[k] = this.tail;
      this.next[k] = -1;
      if (this.tail >= 0) this.next[this.tail] = k;
      else this.head = k;
      this.tail = k;
      this.outAdj.push([]);
      this.inAdj.push([]);
    }
    this.count = n + 1;
    if (this.label[this.tail] > MAX_LABEL) this.relabel();
  }

  out(n: number): readonly number[] {
    return this.outAdj[n] ?? [];
  }

  in(n: number): readonly number[] {
    return this.inAdj[n] ?? [];
  }

  /** Whether a is ordered before b (every edge goes from an earlier node to a later one). */
  before(a: number, b: number): boolean {
    return this.label[a] < this.label[b];
  }

  /** Adds x -> y and returns true, or returns false (adding nothing) when y already reaches x. */
  addEdge(x: number, y: number): boolean {
    this.node(Math.max(x, y));
    const label = this.label;
    if (label[x] < label[y]) {
      this.outAdj[x].push(y);
      this.inAdj[y].push(x);
      return true;
    }
    // backwards from x through the nodes ordered after y: reaching y means a cycle
    const lb = label[y];
    const mark = this.mark;
    const stack = this.stack;
    const found = this.found;
    const epoch = ++this.epoch;
    let nf = 0;
    let sp = 0;
    stack[sp++] = x;
    mark[x] = epoch;
    while (sp > 0) {
      const n = stack[--sp];
      found[nf++] = n;
      const inn = this.inAdj[n];
      for (let k = 0; k < inn.length; k++) {
        const m = inn[k];
        if (m === y) return false;
        if (mark[m] !== epoch && label[m] > lb) {
          mark[m] = epoch;
          stack[sp++] = m;
        }
      }
    }
    this.moveBefore(found.subarray(0, nf), y);
    this.outAdj[x].push(y);
    this.inAdj[y].push(x);
    return true;
  }

  /** Moves `nodes` (none of them y), in their current order, to just before y. */
  private moveBefore(nodes: Int32Array, y: number): void {
    const { label, prev, next } = this;
    const list = Array.from(nodes).sort((a, b) => label[a] - label[b]);
    for (const n of list) {
      // unlink
      if (prev[n] >= 0) next[prev[n]] = next[n];
      else this.head = next[n];
      if (next[n] >= 0) prev[next[n]] = prev[n];
      else this.tail = prev[n];
    }
    let lo = prev[y] >= 0 ? label[prev[y]] : label[y] - (list.length + 1) * ORDER_GAP;
    let step = (label[y] - lo) / (list.length + 1);
    if (!(step > Math.max(1, Math.abs(lo), Math.abs(label[y])) * 2 ** -40)) {
      // the gap before y is used up: spread every label out again
      this.relabel();
      lo = prev[y] >= 0 ? label[prev[y]] : label[y] - (list.length + 1) * ORDER_GAP;
      step = (label[y] - lo) / (list.length + 1);
    }
    list.forEach((n, k) => {
      label[n] = lo + step * (k + 1);
      // link before y
      const p = prev[y];
      prev[n] = p;
      next[n] = y;
      if (p >= 0) next[p] = n;
      else this.head = n;
      prev[y] = n;
    });
  }

  /** Labels the list 0, ORDER_GAP, 2 * ORDER_GAP, … in its order. */
  private relabel(): void {
    let k = 0;
    for (let n = this.head; n >= 0; n = this.next[n]) this.label[n] = ORDER_GAP * k++;
  }
}

// The lock graph as something to explore, on top of the analyzer's pass (analyzer.ts calls this
// at a few marked hook points): per class edge, the lock instances and the gate locks of every
// time it was made (instances.ts, gates.ts), kernel workers' edges attributed to who queued their
// work (workqueue.ts); at the end, the strongly connected components with their cycles (cycles.ts),
// each inversion's identity, instance cycle and gates, and the declared hierarchy's violations
// (hierarchy.ts). Everything here is a plain record, so it crosses threads and becomes JSON as is.

import type { EdgeAttributes } from './analyzer';
import { EventStore, StringTable } from '../store';
import { Finding, FindingKind, InstanceEdge, ReadLockRule, WorkOrigin } from '../types';
import { WITNESS_BUDGET, cycleFingerprint, shortCycleId, stronglyConnected, witnessCycles } from './cycles';
import { commonGates, gatesOf, narrowGates } from './gates';
import { Hierarchy, orderViolations } from './hierarchy';
import { EdgeInstances, complete, findInstanceCycle, newEdgeInstances, notePair } from './instances';
import { Held, TaskState } from './state';
import { WorkTracker } from './workqueue';

/** Edge keys as the analyzer makes them: `from * 2^21 + to` over node ids. */
const KEY = 2097152;

/** A cycle of a component. */
export interface ComponentCycle {
  cycleId: string;
  cycleFingerprint: string;
  /** Classes in cycle order: path[k] -> path[k+1], the last back to the first. */
  path: string[];
  /** Line where the trace closed it: where its newest edge was first made. */
  line: number;
  /** That edge. */
  closing: { from: string; to: string };
  /** An inversion finding reports this cycle (the analyzer reports the first cycle each new edge closes). */
  reported: boolean;
  /** See Finding.instanceCycle. */
  instanceCycle: boolean | null;
  guardedBy?: string[];
}

/** A strongly connected component of the class graph: classes that all reach each other. */
export interface LockComponent {
  /** Id of its set of classes (grows with the component, unlike a cycle's). */
  id: string;
  classes: string[];
  /** Edges between its classes. */
  edges: number;
  /** Its distinct elementary cycles the trace closed: the reported ones and a shortest one through each edge. */
  cycles: ComponentCycle[];
  /** The bounded cycle search stopped early: more cycles may exist. */
  truncated?: boolean;
  /** Line of its first cycle. */
  line: number;
}

export interface LockGraphOptions {
  readLocks: ReadLockRule;
  kinds: ReadonlySet<FindingKind>;
  hierarchy?: Hierarchy;
  /** Per-edge instances and gates, and workqueue attribution (AnalyzeOptions.instances). */
  instances: boolean;
  /** Edge visits the cycle search may make in all (default: 4 × WITNESS_BUDGET). */
  witnessBudget?: number;
}

interface EdgeExtra {
  instances: EdgeInstances;
  /** Lock ids held below the first lock every time the edge was made (gates.ts). */
  gates: number[];
}

/** Instance pairs listed per edge in a finding when the cycle does not close between instances. */
const LISTED_PAIRS = 4;
/** Instance edges kept for the instance view (Analysis.instanceEdges), in all. */
const MAX_INSTANCE_EDGES = 20_000;

/** An edge between lock instances, for the instance view of the graph. */
export interface InstanceGraphEdge extends InstanceEdge {
  /** Event where this pair first made the edge. */
  eventIndex: number;
}

export class LockGraphTracker {
  private readonly extra = new Map<number, EdgeExtra>();
  readonly work: WorkTracker;
  /** Edges inside components with cycles (set by finish): what the instance view shows. */
  private componentEdges: number[] = [];

  constructor(
    private readonly s: EventStore,
    /** The analyzer's edges and node names (read only). */
    private readonly edges: ReadonlyMap<number, EdgeAttributes>,
    private readonly nodeNames: readonly string[],
    private readonly opts: LockGraphOptions,
  ) {
    this.work = new WorkTracker(s, opts.instances);
  }

  /** Every time an edge is made: `p` held by the task (stack `t.held`, without `h`) when it takes `h`. */
  occurrence(key: number, p: Held, h: Held, t: TaskState, i: number): void {
    if (!this.opts.instances) return;
    let x = this.extra.get(key);
    if (!x) {
      x = { instances: newEdgeInstances(), gates: gatesOf(t.held, p, h) };
      this.extra.set(key, x);
    } else if (x.gates.length > 0) narrowGates(x.gates, t.held, p, h);
    notePair(x.instances, p.lock, h.lock, i);
  }

  /** The work item a new edge was made in, when a kernel worker made it. */
  origin(t: TaskState | undefined, task: number): WorkOrigin | undefined {
    return this.work.enabled ? this.work.originOf(t, task) : undefined;
  }

  /**
   * At the end of the pass: components and their cycles; each inversion gets its identity,
   * component, instance cycle and gates (with a line of explanation in its message); the
   * declared hierarchy's violations are added to `findings`.
   */
  finish(findings: Finding[]): LockComponent[] {
    if (this.opts.hierarchy && this.opts.kinds.has('order-violation'))
      findings.push(...orderViolations(this.edges.values(), this.opts.hierarchy));
    const n = this.nodeNames.length;
    const ids = new Map<string, number>();
    this.nodeNames.forEach((name, k) => ids.set(name, k));
    const out: number[][] = Array.from({ length: n }, () => []);
    for (const key of this.edges.keys()) out[Math.floor(key / KEY)].push(key % KEY);
    const { comp, components } = stronglyConnected(n, (v) => out[v]);
    const result: LockComponent[] = components.map((members) => {
      const classes = members.map((v) => this.nodeNames[v]).sort();
      let edges = 0;
      for (const v of members) for (const w of out[v]) if (comp[w] === comp[v]) edges++;
      return { id: shortCycleId(cycleFingerprint(classes)), classes, edges, cycles: [], line: 0 };
    });
    const cycles = components.map(() => new Map<string, ComponentCycle>());
    // the reported cycles first: they are what the findings show
    for (const f of findings) {
      if (f.kind !== 'inversion' || !f.cycle?.length) continue;
      const fp = cycleFingerprint(f.cycle.map((e) => e.from));
      f.cycleId = shortCycleId(fp);
      f.cycleFingerprint = fp;
      const path = f.cycle.map((e) => ids.get(e.from) ?? -1);
      // a cycle the graph does not hold whole (a kernel log's partial chain) gets its id only
      if (path.some((v) => v < 0) || this.edgesOf(path).some((e) => !e)) continue;
      const c = comp[path[0]];
      const cyc = this.describe(path);
      cyc.reported = true;
      if (c >= 0) {
        f.component = result[c].id;
        if (!cycles[c].has(cyc.cycleFingerprint)) cycles[c].set(cyc.cycleFingerprint, cyc);
      }
      this.annotate(f, path);
    }
    let budget = this.opts.witnessBudget ?? 4 * WITNESS_BUDGET;
    components.forEach((members, c) => {
      const w = witnessCycles(members, comp, (v) => out[v], Math.max(0, Math.min(budget, WITNESS_BUDGET)));
      budget -= w.visits;
      if (w.truncated) result[c].truncated = true;
      for (const path of w.cycles) {
        const edges = this.edgesOf(path);
        if (this.opts.readLocks === 'recursive' && brokenByRecursiveReaders(edges)) continue;
        const fp = cycleFingerprint(path.map((v) => this.nodeNames[v]));
        if (cycles[c].has(fp)) continue;
        cycles[c].set(fp, this.describe(path));
      }
      if (cycles[c].size > 0)
        for (const v of members) for (const w of out[v]) if (comp[w] === comp[v]) this.componentEdges.push(v * KEY + w);
      const list = [...cycles[c].values()].sort(
        (a, b) =>
          a.line - b.line ||
          Number(b.reported) - Number(a.reported) ||
          a.path.length - b.path.length ||
          a.cycleFingerprint.localeCompare(b.cycleFingerprint),
      );
      result[c].cycles = list;
      result[c].line = list.length ? list[0].line : 0;
    });
    return result.filter((c) => c.cycles.length > 0).sort((a, b) => a.line - b.line || a.id.localeCompare(b.id));
  }

  /**
   * The instance view of the components' edges: every pair of lock instances kept for them (at
   * most MAX_INSTANCE_PAIRS per edge, MAX_INSTANCE_EDGES in all), in order of first appearance.
   */
  instanceEdges(): InstanceGraphEdge[] {
    const out: InstanceGraphEdge[] = [];
    for (const key of this.componentEdges) {
      const r = this.extra.get(key)?.instances;
      const a = this.edges.get(key);
      if (!r || !a) continue;
      for (let j = 0; j < r.from.length && out.length < MAX_INSTANCE_EDGES; j++) {
        out.push({
          from: a.from,
          to: a.to,
          fromInstance: this.s.locks[r.from[j]].key,
          toInstance: this.s.locks[r.to[j]].key,
          eventIndex: r.at[j],
          line: this.s.line[r.at[j]],
        });
      }
    }
    return out.sort((x, y) => x.eventIndex - y.eventIndex);
  }

  private edgesOf(path: readonly number[]): EdgeAttributes[] {
    return path.map((v, k) => this.edges.get(v * KEY + path[(k + 1) % path.length]) as EdgeAttributes);
  }

  private keysOf(path: readonly number[]): number[] {
    return path.map((v, k) => v * KEY + path[(k + 1) % path.length]);
  }

  /** A cycle of node ids as a ComponentCycle (not yet marked reported). */
  private describe(path: readonly number[]): ComponentCycle {
    const edges = this.edgesOf(path);
    let closing = edges[0];
    for (const e of edges) if (e.eventIndex > closing.eventIndex) closing = e;
    const names = path.map((v) => this.nodeNames[v]);
    const fp = cycleFingerprint(names);
    const inst = this.instanceCycle(path);
    const gates = this.gates(path);
    return {
      cycleId: shortCycleId(fp),
      cycleFingerprint: fp,
      path: names,
      line: closing.line,
      closing: { from: closing.from, to: closing.to },
      reported: false,
      instanceCycle: inst.closes,
      ...(gates.length ? { guardedBy: [...new Set(gates.map((g) => this.s.className(g)))] } : {}),
    };
  }

  /** The instance view of a class cycle; `trivial`: one pair of instances per edge, so it says nothing the class view does not. */
  private instanceCycle(path: readonly number[]): { closes: boolean | null; instances: InstanceEdge[]; trivial: boolean } {
    const keys = this.keysOf(path);
    const recs = keys.map((k) => this.extra.get(k)?.instances);
    if (recs.some((r) => !r)) return { closes: null, instances: [], trivial: false };
    const list = recs as EdgeInstances[];
    const pair = (e: number, j: number): InstanceEdge => {
      const a = this.edges.get(keys[e]) as EdgeAttributes;
      const r = list[e];
      return {
        from: a.from,
        to: a.to,
        fromInstance: this.s.locks[r.from[j]].key,
        toInstance: this.s.locks[r.to[j]].key,
        line: this.s.line[r.at[j]],
      };
    };
    const found = findInstanceCycle(list);
    const trivial = list.every((r) => r.from.length === 1 && r.more === 0);
    if (found) return { closes: true, instances: found.map((j, e) => pair(e, j)), trivial };
    const instances: InstanceEdge[] = [];
    list.forEach((r, e) => {
      for (let j = 0; j < Math.min(r.from.length, LISTED_PAIRS); j++) instances.push(pair(e, j));
    });
    return { closes: complete(list) ? false : null, instances, trivial: false };
  }

  private gates(path: readonly number[]): number[] {
    return commonGates(this.keysOf(path).map((k) => this.extra.get(k)?.gates));
  }

  /** An inversion's instance cycle and gates, with a line of explanation each. */
  private annotate(f: Finding, path: readonly number[]): void {
    const s = this.s;
    if (!this.opts.instances) {
      f.instanceCycle = null;
      return;
    }
    const inst = this.instanceCycle(path);
    f.instanceCycle = inst.closes;
    f.instances = inst.instances;
    const lines: string[] = [];
    const at = (name: string, key: string) => `${name} (${key})`;
    if (inst.closes === true && inst.trivial) {
      // each class was one lock here: the class view is the instance view, nothing to add
    } else if (inst.closes === true) {
      const chain = [...inst.instances.map((e) => at(e.from, e.fromInstance)), at(inst.instances[0].from, inst.instances[0].fromInstance)];
      lines.push(`  between instances: the same locks were taken in both orders: ${chain.join(' -> ')}: a deadlock candidate`);
    } else if (inst.closes === false) {
      const pairs = inst.instances.map((e) => `${at(e.from, e.fromInstance)} -> ${at(e.to, e.toInstance)}`);
      lines.push(
        `  between instances: only different instances of these classes were taken in opposite orders (${pairs.join('; ')}), never the same locks: a class-level cycle, as lockdep sees it, but no deadlock between these instances`,
      );
    } else {
      lines.push(`  between instances: not known (more instance pairs than are kept per edge)`);
    }
    const gates = this.gates(path);
    if (gates.length) {
      f.guardedBy = [...new Set(gates.map((g) => s.className(g)))];
      const what = gates.map((g) => at(s.className(g), s.locks[g].key)).join(', ');
      lines.push(
        `  guarded by ${what}: every edge of this cycle was made while the task already held it, so the opposite orders never run at the same time and this cycle cannot deadlock (as long as it stays so)`,
      );
    }
    if (lines.length) f.message = `${f.message}\n${lines.join('\n')}`;
  }
}

/**
 * Components, cycle ids and components of inversions for a lock graph built elsewhere (a kernel
 * log's reports): the same as the analyzer's, without instances or gates (a log prints classes).
 */
export function componentsOfGraph(
  store: EventStore,
  graph: { forEachEdge(cb: (key: string, attrs: EdgeAttributes) => void): void },
  findings: Finding[],
  readLocks: ReadLockRule,
): LockComponent[] {
  const classes = new StringTable();
  const names = classes.values;
  const id = (n: string) => classes.intern(n);
  const edges = new Map<number, EdgeAttributes>();
  graph.forEachEdge((_k, e) => edges.set(id(e.from) * KEY + id(e.to), e));
  const tracker = new LockGraphTracker(store, edges, names, { readLocks, kinds: new Set(), instances: false });
  return tracker.finish(findings);
}

/** lockdep's strong-path rule for recursive readers (the analyzer applies it to the cycles it reports). */
function brokenByRecursiveReaders(cycle: readonly EdgeAttributes[]): boolean {
  for (let k = 0; k < cycle.length; k++) {
    const into = cycle[k];
    const out = cycle[(k + 1) % cycle.length];
    if (!into.toWrite && !out.fromWrite) return true;
  }
  return false;
}

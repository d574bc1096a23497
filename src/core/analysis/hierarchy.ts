// Declared lock hierarchies, as FreeBSD's witness(4) keeps order lists: `.locktrace.json` may say
// in which order lock classes are meant to be taken, as levels listed outermost first, each level
// one class name or glob or a list of them (classes of one level have no order between them):
//   "hierarchy": ["sb_writers", "&sb->s_type->i_mutex_key", ["&mm->mmap_lock", "&vma->lock"]]
// Every observed edge A -> B (A held while B was taken) with A on a later level than B goes
// against it: an `order-violation` finding at the first acquire that made the edge, with or
// without a cycle. The other direction: a proposed hierarchy derived from a trace, a topological
// order of its class graph in levels, where the classes of a cycle share a level and the cycles
// are listed as what prevents a total order.

import type { EdgeAttributes, LockGraph } from './analyzer';
import { StringTable } from '../store';
import { Finding, edgeOrigin } from '../types';
import { cycleFingerprint, shortCycleId, stronglyConnected, witnessCycles } from './cycles';
import { describeWork } from './workqueue';

/** A hierarchy: levels, outermost first, each a list of class names or globs (`*` any run of characters). */
export type Hierarchy = string[][];

/** Reads the `hierarchy` value of a `.locktrace.json`; never throws. */
export function parseHierarchy(value: unknown): { hierarchy?: Hierarchy; errors: string[] } {
  if (!Array.isArray(value)) return { errors: ['"hierarchy" must be a list of levels (class names or globs, or lists of them)'] };
  const levels: Hierarchy = [];
  const errors: string[] = [];
  value.forEach((level: unknown, k) => {
    const list = typeof level === 'string' ? [level] : level;
    if (!Array.isArray(list) || list.length === 0 || !list.every((x) => typeof x === 'string' && x.length > 0)) {
      errors.push(`hierarchy[${k}]: expected a class name or glob, or a list of them (level ignored)`);
      return;
    }
    levels.push(list as string[]);
  });
  return { hierarchy: levels, errors };
}

/** Writes a hierarchy the way `.locktrace.json` holds it: one-class levels as plain strings. */
export function hierarchyToJson(h: Hierarchy): (string | string[])[] {
  return h.map((level) => (level.length === 1 ? level[0] : level));
}

/** The graph node's class without its nesting level (`&inode->i_rwsem/1` -> `&inode->i_rwsem`). */
function baseName(name: string): string {
  return name.replace(/\/\d+$/, '');
}

function globRe(pattern: string): RegExp {
  return new RegExp(
    `^${pattern
      .split('*')
      .map((p) => p.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
      .join('.*')}$`,
    's',
  );
}

/**
 * Which level a class is on (0-based), or -1. A name listed exactly wins over a glob; a pattern
 * without a nesting level also covers the class's nested levels (`x` covers `x/1`).
 */
export class HierarchyMatcher {
  private readonly exact = new Map<string, number>();
  private readonly globs: { re: RegExp; level: number }[] = [];
  private readonly cache = new Map<string, number>();

  constructor(readonly levels: Hierarchy) {
    levels.forEach((level, k) => {
      for (const p of level) {
        if (p.includes('*')) this.globs.push({ re: globRe(p), level: k });
        else if (!this.exact.has(p)) this.exact.set(p, k);
      }
    });
  }

  levelOf(name: string): number {
    let level = this.cache.get(name);
    if (level !== undefined) return level;
    const base = baseName(name);
    level = this.exact.get(name) ?? -1;
    if (level < 0) level = this.globs.find((g) => g.re.test(name))?.level ?? -1;
    if (level < 0 && base !== name) level = this.exact.get(base) ?? this.globs.find((g) => g.re.test(base))?.level ?? -1;
    this.cache.set(name, level);
    return level;
  }
}

/** The `order-violation` findings of a set of edges against a declared hierarchy (ids are set by the caller). */
export function orderViolations(edges: Iterable<EdgeAttributes>, hierarchy: Hierarchy, source = '.locktrace.json'): Finding[] {
  const m = new HierarchyMatcher(hierarchy);
  const out: Finding[] = [];
  for (const e of edges) {
    const lf = m.levelOf(e.from);
    const lt = m.levelOf(e.to);
    if (lf < 0 || lt < 0 || lf <= lt) continue;
    const lines = [
      `lock order violation: ${e.comm}/${e.pid} takes ${e.to}${e.syscall ? ` in ${e.syscall}` : ''} (line ${e.line}) while holding ${e.from} (acquired at line ${e.fromLine}${e.fromSyscall ? ` in ${e.fromSyscall}` : ''})`,
      `  the declared hierarchy (${source}) puts ${e.to} (level ${lt + 1}) before ${e.from} (level ${lf + 1}): ${e.to} must be taken first`,
    ];
    if (e.via) lines.push(`  made ${describeWork(e.via)}`);
    out.push({
      id: 0,
      kind: 'order-violation',
      message: lines.join('\n'),
      eventIndex: e.eventIndex,
      line: e.line,
      pid: e.pid,
      comm: e.comm,
      syscall: e.syscall,
      locks: [...new Set([e.from, e.to])].sort(),
      cycle: [edgeOrigin(e)],
      related:
        e.fromLine !== e.line
          ? [{ line: e.fromLine, message: `${e.from} acquired here by ${e.comm}/${e.pid}${e.fromSyscall ? ` in ${e.fromSyscall}` : ''}` }]
          : [],
      occurrences: e.count,
    });
  }
  return out;
}

/** A cycle that prevents a total order: its classes had to share a level. */
export interface BlockingCycle {
  cycleId: string;
  cycleFingerprint: string;
  /** Classes in cycle order: path[k] -> path[k+1], the last back to the first. */
  path: string[];
  /** Line where the trace closed it (its newest edge). */
  line: number;
}

export interface ProposedHierarchy {
  levels: Hierarchy;
  /** Classes that took part in some dependency (the others are left out: nothing orders them). */
  classes: number;
  cycles: BlockingCycle[];
  /** The cycle search stopped at its bound in some component (more cycles may exist). */
  truncated: boolean;
}

/**
 * A hierarchy the trace's class graph satisfies: each class one level below the deepest class
 * taken before it (longest-path layering of the graph of components), the classes of each cycle
 * on one level, so checking the same trace against it finds no violation.
 */
export function proposeHierarchy(graph: LockGraph): ProposedHierarchy {
  const classes = new StringTable();
  const names = classes.values;
  const id = (n: string) => classes.intern(n);
  const out: number[][] = [];
  const attrs = new Map<number, EdgeAttributes>();
  graph.forEachEdge((_e, a) => {
    const f = id(a.from);
    const t = id(a.to);
    while (out.length < names.length) out.push([]);
    out[f].push(t);
    attrs.set(f * 2097152 + t, a);
  });
  const n = names.length;
  const { comp, components } = stronglyConnected(n, (v) => out[v]);
  // one representative per component: its smallest member; others map to it
  const rep = new Int32Array(n);
  for (let v = 0; v < n; v++) rep[v] = comp[v] >= 0 ? components[comp[v]][0] : v;
  const indeg = new Int32Array(n);
  const dag: number[][] = Array.from({ length: n }, () => []);
  for (let v = 0; v < n; v++)
    for (const w of out[v]) {
      const a = rep[v];
      const b = rep[w];
      if (a === b) continue;
      dag[a].push(b);
      indeg[b]++;
    }
  const level = new Int32Array(n);
  const queue: number[] = [];
  for (let v = 0; v < n; v++) if (rep[v] === v && indeg[v] === 0) queue.push(v);
  for (let q = 0; q < queue.length; q++) {
    const v = queue[q];
    for (const w of dag[v]) {
      if (level[v] + 1 > level[w]) level[w] = level[v] + 1;
      if (--indeg[w] === 0) queue.push(w);
    }
  }
  const byLevel: string[][] = [];
  for (let v = 0; v < n; v++) {
    const l = level[rep[v]];
    while (byLevel.length <= l) byLevel.push([]);
    byLevel[l].push(names[v]);
  }
  const levels = byLevel.filter((l) => l.length > 0).map((l) => l.sort());
  const cycles: BlockingCycle[] = [];
  let truncated = false;
  for (const members of components) {
    const w = witnessCycles(members, comp, (v) => out[v]);
    truncated ||= w.truncated;
    const seen = new Set<string>();
    for (const c of w.cycles) {
      const path = c.map((v) => names[v]);
      const fp = cycleFingerprint(path);
      if (seen.has(fp)) continue;
      seen.add(fp);
      let line = 0;
      let newest = -1;
      for (let k = 0; k < c.length; k++) {
        const e = attrs.get(c[k] * 2097152 + c[(k + 1) % c.length]);
        if (e && e.eventIndex > newest) {
          newest = e.eventIndex;
          line = e.line;
        }
      }
      cycles.push({ cycleId: shortCycleId(fp), cycleFingerprint: fp, path, line });
    }
  }
  cycles.sort((a, b) => a.line - b.line || a.cycleFingerprint.localeCompare(b.cycleFingerprint));
  return { levels, classes: n, cycles, truncated };
}

// Comparing lock graphs: two recordings of one workload (before and after a patch: which
// dependencies and cycles are new, gone or unchanged, each with where it first shows up in the
// trace that has it), and the union of several recordings (cycles whose edges were recorded in
// different traces, so that no single trace shows them). Edges are matched by class names, so the
// traces may come from different runs, formats and lengths; instances (addresses) are not compared.

import type { Analysis, EdgeAttributes } from './analyzer';
import { StringTable } from '../store';
import { WorkOrigin } from '../types';
import { cycleFingerprint, shortCycleId, stronglyConnected } from './cycles';

/** Where an edge was first made in one trace. */
export interface EdgeWhere {
  /** The trace (for a union: which of the files). */
  file: string;
  line: number;
  pid: number;
  comm: string;
  syscall: string | null;
  /** Line where the task took the edge's first lock, and in which syscall. */
  fromLine: number;
  fromSyscall: string | null;
  /** Made by a kworker: the work and where it was queued. */
  via?: WorkOrigin;
  /** How many acquisitions made it in that trace. */
  count: number;
}

export interface DiffEdge {
  from: string;
  to: string;
  /** Where it first shows up in the old trace (absent: new) and in the new one (absent: gone). */
  old?: EdgeWhere;
  new?: EdgeWhere;
}

export interface DiffCycle {
  cycleId: string;
  cycleFingerprint: string;
  /** Classes in cycle order (path[k] -> path[k+1], the last back to the first). */
  path: string[];
  /** Line where each trace that has it closed it. */
  old?: { line: number; reported: boolean };
  new?: { line: number; reported: boolean };
}

export interface GraphDiff {
  edges: { new: DiffEdge[]; gone: DiffEdge[]; unchanged: DiffEdge[] };
  cycles: { new: DiffCycle[]; gone: DiffCycle[]; unchanged: DiffCycle[] };
}

function where(file: string, e: EdgeAttributes): EdgeWhere {
  return {
    file,
    line: e.line,
    pid: e.pid,
    comm: e.comm,
    syscall: e.syscall,
    fromLine: e.fromLine,
    fromSyscall: e.fromSyscall,
    ...(e.via ? { via: e.via } : {}),
    count: e.count,
  };
}

function edgesOf(a: Analysis): Map<string, EdgeAttributes> {
  const m = new Map<string, EdgeAttributes>();
  a.graph.forEachEdge((_k, e) => m.set(`${e.from}\u0000${e.to}`, e));
  return m;
}

function cyclesOf(a: Analysis): Map<string, { path: string[]; line: number; reported: boolean }> {
  const m = new Map<string, { path: string[]; line: number; reported: boolean }>();
  for (const c of a.components) for (const y of c.cycles) m.set(y.cycleFingerprint, { path: y.path, line: y.line, reported: y.reported });
  return m;
}

const byLine = (side: 'old' | 'new') => (x: DiffEdge, y: DiffEdge) =>
  (x[side]?.line ?? 0) - (y[side]?.line ?? 0) || x.from.localeCompare(y.from) || x.to.localeCompare(y.to);

/** What changed in the lock graph from `old` to `neu` (files name them in the result). */
export function diffAnalyses(old: Analysis, neu: Analysis, oldFile = old.store.file, newFile = neu.store.file): GraphDiff {
  const eo = edgesOf(old);
  const en = edgesOf(neu);
  const edges: GraphDiff['edges'] = { new: [], gone: [], unchanged: [] };
  for (const [k, e] of en) {
    const o = eo.get(k);
    if (o) edges.unchanged.push({ from: e.from, to: e.to, old: where(oldFile, o), new: where(newFile, e) });
    else edges.new.push({ from: e.from, to: e.to, new: where(newFile, e) });
  }
  for (const [k, o] of eo) if (!en.has(k)) edges.gone.push({ from: o.from, to: o.to, old: where(oldFile, o) });
  edges.new.sort(byLine('new'));
  edges.unchanged.sort(byLine('new'));
  edges.gone.sort(byLine('old'));
  const co = cyclesOf(old);
  const cn = cyclesOf(neu);
  const cycles: GraphDiff['cycles'] = { new: [], gone: [], unchanged: [] };
  const base = (fp: string, path: string[]) => ({ cycleId: shortCycleId(fp), cycleFingerprint: fp, path });
  for (const [fp, c] of cn) {
    const o = co.get(fp);
    const entry: DiffCycle = {
      ...base(fp, c.path),
      ...(o ? { old: { line: o.line, reported: o.reported } } : {}),
      new: { line: c.line, reported: c.reported },
    };
    (o ? cycles.unchanged : cycles.new).push(entry);
  }
  for (const [fp, o] of co) if (!cn.has(fp)) cycles.gone.push({ ...base(fp, o.path), old: { line: o.line, reported: o.reported } });
  const cyc = (side: 'old' | 'new') => (x: DiffCycle, y: DiffCycle) =>
    (x[side]?.line ?? 0) - (y[side]?.line ?? 0) || x.cycleFingerprint.localeCompare(y.cycleFingerprint);
  cycles.new.sort(cyc('new'));
  cycles.unchanged.sort(cyc('new'));
  cycles.gone.sort(cyc('old'));
  return { edges, cycles };
}

/** A cycle of the union of several traces' graphs that none of them has whole. */
export interface UnionCycle {
  cycleId: string;
  cycleFingerprint: string;
  path: string[];
  /** Each edge of the cycle with the trace and line that made it (the first trace, in argument order, that has it). */
  edges: ({ from: string; to: string } & EdgeWhere)[];
  /** The traces its edges come from. */
  files: string[];
}

export interface UnionResult {
  /** Files, classes and edges of the union graph. */
  files: string[];
  classes: number;
  edges: number;
  cycles: UnionCycle[];
  /** The bounded search stopped early: more cycles may exist. */
  truncated: boolean;
}

/** Edge visits the union's cycle search may make in all. */
const UNION_BUDGET = 20_000_000;
/** Files tracked per edge when looking for a cycle that no single file has whole (2^n search states). */
const MAX_TRACKED_FILES = 4;

/**
 * Cycles across traces: the union graph's cycles (per edge, the shortest cycle through it that no
 * single trace has whole), each edge named by the first trace that made it. Cycles one trace has
 * whole are that trace's own findings and are left out.
 */
export function unionCycles(inputs: readonly { file: string; analysis: Analysis }[], budget = UNION_BUDGET): UnionResult {
  const classes = new StringTable();
  const names = classes.values;
  const id = (n: string) => classes.intern(n);
  const files = inputs.map((x) => x.file);
  /** Edge key -> the files that have it (bit per input, as indexes) and the first one's attributes. */
  const info = new Map<number, { files: number[]; attrs: EdgeAttributes; file: number }>();
  const out: number[][] = [];
  inputs.forEach(({ analysis }, f) => {
    analysis.graph.forEachEdge((_k, e) => {
      const a = id(e.from);
      const b = id(e.to);
      while (out.length < names.length) out.push([]);
      const key = a * 2097152 + b;
      const cur = info.get(key);
      if (cur) {
        if (!cur.files.includes(f)) cur.files.push(f);
      } else {
        info.set(key, { files: [f], attrs: e, file: f });
        out[a].push(b);
      }
    });
  });
  while (out.length < names.length) out.push([]);
  const { comp, components } = stronglyConnected(names.length, (v) => out[v]);
  const seen = new Set<string>();
  const cycles: UnionCycle[] = [];
  let visits = 0;
  let truncated = false;
  for (const members of components) {
    const c = comp[members[0]];
    for (const u of members) {
      for (const v of out[u]) {
        if (comp[v] !== c) continue;
        if (visits >= budget) {
          truncated = true;
          break;
        }
        const e = info.get(u * 2097152 + v);
        if (!e) continue;
        const tracked = e.files.slice(0, MAX_TRACKED_FILES);
        if (tracked.length < e.files.length) continue; // in too many traces to be the missing half of anything
        const full = (1 << tracked.length) - 1;
        // BFS from v to u over (node, mask): bit k set once an edge missing from tracked[k] was used
        const start = v * 16;
        const parent = new Map<number, number>([[start, -1]]);
        const queue = [start];
        let found = -1;
        for (let q = 0; q < queue.length && found < 0; q++) {
          const st = queue[q];
          const x = Math.floor(st / 16);
          const mask = st % 16;
          for (const y of out[x]) {
            visits++;
            if (comp[y] !== c) continue;
            const ey = info.get(x * 2097152 + y);
            if (!ey) continue;
            let m = mask;
            tracked.forEach((f, k) => {
              if (!ey.files.includes(f)) m |= 1 << k;
            });
            const ns = y * 16 + m;
            if (parent.has(ns)) continue;
            parent.set(ns, st);
            if (y === u && m === full) {
              found = ns;
              break;
            }
            if (y !== u) queue.push(ns);
          }
        }
        if (found < 0) continue;
        const path: number[] = [];
        for (let st = found; st !== -1; st = parent.get(st) as number) path.push(Math.floor(st / 16));
        path.reverse(); // v … u; u -> v closes it
        const fp = cycleFingerprint(path.map((k) => names[k]));
        if (seen.has(fp)) continue;
        seen.add(fp);
        const raw = path.map((a, k) => {
          const b = path[(k + 1) % path.length];
          const x = info.get(a * 2097152 + b) as { attrs: EdgeAttributes; file: number };
          return { at: x.file, edge: { from: names[a], to: names[b], ...where(files[x.file], x.attrs) } };
        });
        // start with the edge of the first trace named (then the earliest line): reads in argument order
        let first = 0;
        raw.forEach((r, k) => {
          const f = raw[first];
          if (r.at < f.at || (r.at === f.at && r.edge.line < f.edge.line)) first = k;
        });
        const edges = [...raw.slice(first), ...raw.slice(0, first)].map((r) => r.edge);
        cycles.push({
          cycleId: shortCycleId(fp),
          cycleFingerprint: fp,
          path: edges.map((e) => e.from),
          edges,
          files: [...new Set(edges.map((x) => x.file))],
        });
      }
    }
  }
  cycles.sort((x, y) => x.path.length - y.path.length || x.cycleFingerprint.localeCompare(y.cycleFingerprint));
  return { files, classes: names.length, edges: info.size, cycles, truncated };
}

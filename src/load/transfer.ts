// Moves a whole Analysis (event store columns, string tables, lock graph, replay checkpoints,
// the state model, the kernel lock waits) between threads: the analysis worker packs it, loadAnalysis unpacks it into an
// Analysis that Replay, hovers and diagnostics use exactly like one made in-process. The
// typed-array columns are handed over (transfer list), not copied.

import Graph from 'graphology';
import type { SerializedGraph } from 'graphology-types';
import { Analysis, EdgeAttributes, EventStore, LockGraph, NodeAttributes } from '../core';
import type { CallSite } from '../core';
import type { PreHeld } from '../core/analysis/state';

export interface PackedAnalysis {
  store: {
    format: EventStore['format'];
    file: string;
    length: number;
    columns: Record<(typeof COLUMNS)[number], ArrayBufferView>;
    tasks: EventStore['tasks'];
    locks: { key: string; cls: string; domain: EventStore['locks'][number]['domain'] }[];
    classes: string[];
    names: string[];
    sites: [number, CallSite][];
    warnings: EventStore['warnings'];
    warningCount: number;
    lines: number;
    bytes: number;
    sorted: boolean;
    lostEvents: number;
    overwritten: number;
    kernelLog: EventStore['kernelLog'];
  };
  findings: Analysis['findings'];
  notes: Analysis['notes'];
  graph: SerializedGraph<NodeAttributes, EdgeAttributes>;
  checkpoints: Float64Array[];
  checkpointInterval: number;
  readLocks: Analysis['readLocks'];
  components: Analysis['components'];
  instanceEdges: Analysis['instanceEdges'];
  model: { preHeld: [number, PreHeld[]][]; forked: number[] };
  /** Plain records and Maps: structured clone copies them as they are. */
  contention?: Analysis['contention'];
}

const COLUMNS = ['line', 'offset', 'ts', 'cpu', 'task', 'kind', 'flags', 'ref', 'num', 'ctx'] as const;

/** Packs an analysis; `transfer` lists the buffers to hand over with postMessage. */
export function packAnalysis(a: Analysis): { packed: PackedAnalysis; transfer: ArrayBuffer[] } {
  const s = a.store;
  const columns = {} as PackedAnalysis['store']['columns'];
  const transfer: ArrayBuffer[] = [];
  for (const c of COLUMNS) {
    const col = s[c].subarray(0, s.length);
    if (col.buffer instanceof SharedArrayBuffer) {
      // shared memory (the parallel parse's columns) reaches the other thread as it is: no copy, no transfer
      columns[c] = col;
      continue;
    }
    // trimmed columns may be views into a bigger buffer: copy those so only what is used travels
    const own = col.byteOffset === 0 && col.byteLength === col.buffer.byteLength ? col : col.slice();
    columns[c] = own;
    transfer.push(own.buffer);
  }
  for (const cp of a.checkpoints) transfer.push(cp.buffer as ArrayBuffer);
  const packed: PackedAnalysis = {
    store: {
      format: s.format,
      file: s.file,
      length: s.length,
      columns,
      tasks: s.tasks,
      locks: s.locks.map((l) => ({ key: l.key, cls: s.classes.get(l.classId), domain: l.domain })),
      classes: s.classes.values,
      names: s.names.values,
      sites: [...s.sites],
      warnings: s.warnings,
      warningCount: s.warningCount,
      lines: s.lines,
      bytes: s.bytes,
      sorted: s.sorted,
      lostEvents: s.lostEvents,
      overwritten: s.overwritten,
      kernelLog: s.kernelLog,
    },
    findings: a.findings,
    notes: a.notes,
    graph: a.graph.export(),
    checkpoints: a.checkpoints,
    checkpointInterval: a.checkpointInterval,
    readLocks: a.readLocks,
    components: a.components,
    instanceEdges: a.instanceEdges,
    model: { preHeld: [...a.model.preHeld], forked: [...a.model.forked] },
    ...(a.contention ? { contention: a.contention } : {}),
  };
  return { packed, transfer: [...new Set(transfer)] };
}

/** Rebuilds the Analysis the worker packed. */
export function unpackAnalysis(p: PackedAnalysis): Analysis {
  const s = new EventStore();
  const ps = p.store;
  s.format = ps.format;
  s.file = ps.file;
  // string tables first, in their original order, so every id means the same thing
  for (const c of ps.classes) s.classes.intern(c);
  for (const n of ps.names) s.names.intern(n);
  for (const t of ps.tasks) s.taskFor(t.pid, t.comm, t.firstEvent, t.idleCpu);
  ps.tasks.forEach((t, k) => {
    s.tasks[k].comm = t.comm;
  });
  for (const l of ps.locks) s.lockFor(l.key, l.cls, l.domain);
  s.length = ps.length;
  const st = s as unknown as Record<string, ArrayBufferView>;
  for (const c of COLUMNS) st[c] = ps.columns[c];
  for (const [k, v] of ps.sites) s.sites.set(k, v);
  s.warnings.push(...ps.warnings);
  s.warningCount = ps.warningCount;
  s.lines = ps.lines;
  s.bytes = ps.bytes;
  s.sorted = ps.sorted;
  s.lostEvents = ps.lostEvents;
  s.overwritten = ps.overwritten;
  s.kernelLog = ps.kernelLog;
  const graph: LockGraph = new Graph<NodeAttributes, EdgeAttributes>({ type: 'directed', multi: false, allowSelfLoops: false });
  graph.import(p.graph);
  return {
    store: s,
    findings: p.findings,
    graph,
    notes: p.notes,
    checkpoints: p.checkpoints,
    model: { preHeld: new Map(p.model.preHeld), forked: new Set(p.model.forked) },
    checkpointInterval: p.checkpointInterval,
    readLocks: p.readLocks,
    ...(p.contention ? { contention: p.contention } : {}),
    components: p.components,
    instanceEdges: p.instanceEdges,
  };
}

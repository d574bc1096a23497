// `locktrace diff OLD NEW` and `locktrace hierarchy TRACE`: the lock graph as its own subject.
// diff compares two recordings of one workload (new, gone and unchanged dependencies and cycles);
// hierarchy proposes a lock hierarchy the trace satisfies and can write it into .locktrace.json.
// Thin: argument parsing and output around the loading layer and src/core (analysis/diff.ts,
// analysis/hierarchy.ts).

import * as fs from 'fs';
import * as path from 'path';
import { Analysis, FormatOption, ReadLockRule } from '../core';
import { DiffCycle, DiffEdge, EdgeWhere, GraphDiff, diffAnalyses } from '../core/analysis/diff';
import { hierarchyToJson, proposeHierarchy } from '../core/analysis/hierarchy';
import { describeWork } from '../core/analysis/workqueue';
import { SUPPRESSIONS_FILE } from '../core/suppress';
import { loadAnalysis } from '../load';

export interface GraphIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

/** Thrown for bad usage (main turns it into exit status 2 with the usage text). */
export class GraphUsageError extends Error {}

interface TraceArgs {
  files: string[];
  format: FormatOption;
  readLocks: ReadLockRule;
  sort: boolean;
  arch: 'x86_64' | 'arm64';
  json: boolean;
  write: boolean;
  suppressions?: string;
}

function parseArgs(argv: string[], cmd: string, allowWrite: boolean): TraceArgs {
  const a: TraceArgs = { files: [], format: 'auto', readLocks: 'non-recursive', sort: false, arch: 'x86_64', json: false, write: false };
  for (let k = 0; k < argv.length; k++) {
    const arg = argv[k];
    const value = (): string => {
      const v = argv[++k];
      if (v === undefined) throw new GraphUsageError(`${arg} needs a value`);
      return v;
    };
    switch (arg) {
      case '--format': {
        const v = value();
        if (!['auto', 'ftrace', 'trace-cmd', 'perf', 'jsonl'].includes(v))
          throw new GraphUsageError(`--format: expected auto, ftrace, trace-cmd, perf or jsonl, got ${JSON.stringify(v)}`);
        a.format = v as FormatOption;
        break;
      }
      case '--read-locks': {
        const v = value();
        if (v !== 'non-recursive' && v !== 'recursive')
          throw new GraphUsageError(`--read-locks: expected non-recursive or recursive, got ${JSON.stringify(v)}`);
        a.readLocks = v;
        break;
      }
      case '--arch': {
        const v = value();
        if (v !== 'x86_64' && v !== 'arm64') throw new GraphUsageError(`--arch: expected x86_64 or arm64, got ${JSON.stringify(v)}`);
        a.arch = v;
        break;
      }
      case '--sort':
        a.sort = true;
        break;
      case '--json':
        a.json = true;
        break;
      case '--no-progress':
        break;
      case '--write':
        if (!allowWrite) throw new GraphUsageError(`${cmd}: unknown option --write`);
        a.write = true;
        break;
      case '--suppressions':
        if (!allowWrite) throw new GraphUsageError(`${cmd}: unknown option --suppressions`);
        a.suppressions = value();
        break;
      default:
        if (arg.startsWith('-') && arg !== '-') throw new GraphUsageError(`unknown option ${arg}`);
        a.files.push(arg);
    }
  }
  return a;
}

async function analyzeFile(file: string, a: TraceArgs): Promise<Analysis> {
  // in-process, as check does; the graph does not depend on suppressions
  return loadAnalysis(file, { format: a.format, sort: a.sort, arch: a.arch, readLocks: a.readLocks, workerThreshold: Infinity });
}

function traceSummary(file: string, a: Analysis) {
  return { path: file, format: a.store.format, events: a.store.length, lockClasses: a.graph.order, edges: a.graph.size };
}

/** `in io_submit`, `via work … queued in write (line N)`, or `outside syscalls`. */
function made(w: EdgeWhere): string {
  return w.syscall ? `in ${w.syscall}` : w.via ? describeWork(w.via) : 'outside syscalls';
}

function edgeLine(e: DiffEdge, side: 'old' | 'new', label: string): string {
  const w = e[side] as EdgeWhere;
  return `${w.file}:${w.line}: ${label} ${e.from} -> ${e.to}: made by ${w.comm}/${w.pid} ${made(w)}, holding ${e.from} since line ${w.fromLine}${w.fromSyscall ? ` (${w.fromSyscall})` : ''}`;
}

function cycleLine(c: DiffCycle, file: string, side: 'old' | 'new', label: string): string {
  const at = c[side] as { line: number; reported: boolean };
  return `${file}:${at.line}: ${label} ${c.cycleId} ${[...c.path, c.path[0]].join(' -> ')}`;
}

/**
 * `locktrace diff OLD NEW [--json]`: exit 0 when NEW has no cycle OLD does not have, 1 when it
 * has, 2 on bad usage or unreadable input.
 */
export async function runDiff(argv: string[], io: GraphIo): Promise<number> {
  const a = parseArgs(argv, 'diff', false);
  if (a.files.length !== 2) throw new GraphUsageError('diff needs two trace files: OLD NEW');
  const [oldFile, newFile] = a.files;
  const before = await analyzeFile(oldFile, a);
  const after = await analyzeFile(newFile, a);
  const d: GraphDiff = diffAnalyses(before, after, oldFile, newFile);
  if (a.json) {
    io.stdout.write(
      `${JSON.stringify({ version: 1, old: traceSummary(oldFile, before), new: traceSummary(newFile, after), edges: d.edges, cycles: d.cycles })}\n`,
    );
  } else {
    const out: string[] = [];
    out.push(
      `${oldFile} -> ${newFile}: edges ${d.edges.new.length} new, ${d.edges.gone.length} gone, ${d.edges.unchanged.length} unchanged; cycles ${d.cycles.new.length} new, ${d.cycles.gone.length} gone, ${d.cycles.unchanged.length} unchanged`,
    );
    for (const c of d.cycles.new) out.push(cycleLine(c, newFile, 'new', 'new cycle'));
    for (const c of d.cycles.gone) out.push(cycleLine(c, oldFile, 'old', 'gone cycle'));
    for (const e of d.edges.new) out.push(edgeLine(e, 'new', 'new lock dependency'));
    for (const e of d.edges.gone) out.push(edgeLine(e, 'old', 'gone lock dependency'));
    io.stdout.write(`${out.join('\n')}\n`);
  }
  return d.cycles.new.length > 0 ? 1 : 0;
}

/** The .locktrace.json `hierarchy --write` updates: the named one, the one check would read, or a new one next to the trace. */
function targetFile(a: TraceArgs, trace: string): string {
  if (a.suppressions) return a.suppressions;
  const candidates = [path.join(path.dirname(trace), SUPPRESSIONS_FILE), SUPPRESSIONS_FILE];
  return candidates.find((f) => fs.existsSync(f)) ?? candidates[0];
}

/**
 * `locktrace hierarchy TRACE [--write] [--suppressions FILE] [--json]`: a hierarchy (levels of
 * classes, outermost first) the trace's class graph satisfies, and the cycles that keep some
 * classes on one level; --write puts it into .locktrace.json as "hierarchy", keeping the rest.
 */
export async function runHierarchy(argv: string[], io: GraphIo): Promise<number> {
  const a = parseArgs(argv, 'hierarchy', true);
  if (a.files.length !== 1) throw new GraphUsageError('hierarchy needs one trace FILE');
  const [trace] = a.files;
  const analysis = await analyzeFile(trace, a);
  const p = proposeHierarchy(analysis.graph);
  let written: string | undefined;
  if (a.write) {
    written = targetFile(a, trace);
    let json: Record<string, unknown> = {};
    if (fs.existsSync(written)) {
      try {
        const parsed: unknown = JSON.parse(fs.readFileSync(written, 'utf8'));
        if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) throw new Error('not a JSON object');
        json = parsed as Record<string, unknown>;
      } catch (e) {
        io.stderr.write(`locktrace: ${written}: ${(e as Error).message}; not written\n`);
        return 2;
      }
    }
    json.hierarchy = hierarchyToJson(p.levels);
    fs.writeFileSync(written, `${JSON.stringify(json, null, 2)}\n`);
  }
  if (a.json) {
    io.stdout.write(
      `${JSON.stringify({ version: 1, trace: traceSummary(trace, analysis), hierarchy: hierarchyToJson(p.levels), cycles: p.cycles, truncated: p.truncated, ...(written ? { written } : {}) })}\n`,
    );
  } else {
    const out = [`${trace}: ${p.classes} ordered classes in ${p.levels.length} levels, outermost first`];
    p.levels.forEach((level, k) => out.push(`  ${k + 1}. ${level.join(', ')}`));
    if (p.cycles.length) {
      out.push(`cycles that prevent a total order (their classes share a level)${p.truncated ? ', search bounded' : ''}:`);
      for (const c of p.cycles) out.push(`  ${trace}:${c.line}: ${c.cycleId} ${[...c.path, c.path[0]].join(' -> ')}`);
    }
    if (written) out.push(`wrote "hierarchy" to ${written}`);
    io.stdout.write(`${out.join('\n')}\n`);
  }
  return 0;
}

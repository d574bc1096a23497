// The parallel parse in `npm run bench` (issue 17): how the parse scales with worker threads, and
// what the WebAssembly reader (out/tokenizer.wasm) saves over the JavaScript one.
// - tokenizer: one thread reads 2 MiB ranges of the first 256 MiB of a trace with the JS reader and
//   with the WebAssembly reader (RangeTokenizer, as a parse worker does), CPU time of the process;
// - scaling: the parse (readTraceFile, as `check` runs it) in sequence, with 1 and 2 real worker
//   threads, and "in turn" with 1, 2, 4 and 8 workers: the whole process pinned to one core
//   (taskset), one range at a time handed to the workers in turn, so each range's time is its own.
//   The in-turn run gives each worker's busy time and the parsing thread's apply time; a machine
//   with that many cores would take  outside + max(apply, busiest worker)  (outside: the first
//   megabyte parsed in sequence, starting the workers, the store's end), which is the modelled time.
//   The same model for 1 and 2 workers is printed beside the measured runs, to check it.
// Node-only.

import * as fs from 'fs';
import * as path from 'path';
import { ByteSource, RangeTokenizer, isRangeFormat } from '../../src/core/parse/ranges';
import { TokenBatch } from '../../src/core/parse/tokens';
import { readTraceFile } from '../../src/load/readFile';
import type { ParseStats } from '../../src/load/parallel';

export interface TokenizeResult {
  reader: 'js' | 'wasm';
  mb: number;
  cpuMs: number;
  records: number;
}

export interface ParseRun {
  workers: number;
  wasm: boolean;
  inTurn: boolean;
  parseMs: number;
  events: number;
  maxRssKb: number;
  stats?: ParseStats;
}

const TOKENIZE_BYTES = 256 << 20;
const RANGE = 2 << 20;

/** Child job: one thread tokenizes the first 256 MiB of `file` with one reader (best of 3, CPU time). */
export function tokenizeChild(file: string, reader: 'js' | 'wasm', format: string): TokenizeResult {
  if (!isRangeFormat(format as never)) throw new Error(`not a range format: ${format}`);
  const fd = fs.openSync(file, 'r');
  const size = Math.min(fs.fstatSync(fd).size, TOKENIZE_BYTES);
  const buf = Buffer.allocUnsafe(size);
  fs.readSync(fd, buf, 0, size, 0);
  fs.closeSync(fd);
  const src: ByteSource = {
    size,
    read: (p, n) => buf.subarray(p, Math.min(p + n, size)),
    readInto: (t, p) => {
      const part = buf.subarray(p, Math.min(p + t.length, size));
      t.set(part);
      return part.length;
    },
  };
  const wasm = reader === 'wasm' ? new WebAssembly.Module(fs.readFileSync(wasmFile())) : undefined;
  let best: TokenizeResult | null = null;
  for (let rep = 0; rep < 3; rep++) {
    const tok = new RangeTokenizer(format as 'ftrace', { source: 1, wasm });
    let batch: TokenBatch | undefined;
    let records = 0;
    const c0 = process.cpuUsage();
    // (the first megabyte is the sequential head in a real parse)
    for (let a = 1 << 20; a < size; a += RANGE) {
      batch = tok.tokenize(src, a, Math.min(size, a + RANGE), false, batch);
      records += batch.n;
    }
    const c = process.cpuUsage(c0);
    const r: TokenizeResult = { reader, mb: size / 1e6, cpuMs: (c.user + c.system) / 1000, records };
    if (!best || r.cpuMs < best.cpuMs) best = r;
  }
  return best as TokenizeResult;
}

function wasmFile(): string {
  // the bench bundle is out/bench/bench.js; the module is built to out/tokenizer.wasm
  return path.join(__dirname, '..', 'tokenizer.wasm');
}

/** Child job: the parse as `check` runs it, with the given workers (0: in sequence). */
export async function parseChild(file: string, workers: number, wasm: boolean, inTurn: boolean): Promise<ParseRun> {
  let stats: ParseStats | undefined;
  const t0 = performance.now();
  const store = await readTraceFile(file, {
    workers,
    wasm,
    inTurn,
    parseWorkerScript: path.join(__dirname, '..', 'parseWorker.js'),
    onParseStats: (s) => (stats = s),
  });
  const parseMs = performance.now() - t0;
  return { workers, wasm, inTurn, parseMs, events: store.length, maxRssKb: process.resourceUsage().maxRSS, stats };
}

/** The time a parse would take with one core per worker (see the header), from an in-turn run. */
export function modelled(r: ParseRun): number {
  const s = r.stats;
  if (!s) return r.parseMs;
  const outside = r.parseMs - s.wallMs;
  return outside + Math.max(s.applyMs, ...s.busyMs);
}

export interface ScalingResult {
  file: string;
  sequentialMs: number;
  real: { workers: number; parseMs: number; modelMs: number; speedup: number; applyMs: number; workerMs: number }[];
  simulated: { workers: number; modelMs: number; speedup: number; applyMs: number; busiestMs: number; outsideMs: number }[];
  /** The parse with 2 real workers and the JS reader instead of the WebAssembly one. */
  jsReader2Ms: number;
}

type Runner = (args: string[], opts?: { pin?: boolean }) => ParseRun;

/** Runs the scaling measurements through `run` (a fresh process each) and prints the curve. */
export function scaling(file: string, run: Runner, runs: number): ScalingResult {
  const best = (args: string[], pin = false): ParseRun => {
    let b: ParseRun | null = null;
    for (let k = 0; k < runs; k++) {
      const r = run(args, { pin });
      if (!b || r.parseMs < b.parseMs) b = r;
    }
    return b as ParseRun;
  };
  const seq = best(['0', 'wasm', 'parallel']);
  const base = best(['1', 'wasm', 'parallel']);
  const real = [base, best(['2', 'wasm', 'parallel'])].map((r) => ({
    workers: r.workers,
    parseMs: r.parseMs,
    modelMs: modelled(r),
    speedup: base.parseMs / r.parseMs,
    applyMs: r.stats?.applyMs ?? 0,
    workerMs: r.stats?.workerMs ?? 0,
  }));
  const turns = [1, 2, 4, 8].map((n) => best([String(n), 'wasm', 'in-turn'], true));
  const one = modelled(turns[0]);
  const simulated = turns.map((r) => ({
    workers: r.workers,
    modelMs: modelled(r),
    speedup: one / modelled(r),
    applyMs: r.stats?.applyMs ?? 0,
    busiestMs: Math.max(...(r.stats?.busyMs ?? [0])),
    outsideMs: r.parseMs - (r.stats?.wallMs ?? 0),
  }));
  const js2 = best(['2', 'js', 'parallel']);
  const res: ScalingResult = { file, sequentialMs: seq.parseMs, real, simulated, jsReader2Ms: js2.parseMs };
  console.log(`parse scaling (${file}, ${(seq.events / 1e6).toFixed(0)}M events, best of ${runs}):`);
  console.log(`  in sequence (no workers): ${seq.parseMs.toFixed(0)} ms`);
  for (const r of real)
    console.log(
      `  ${r.workers} worker(s), real threads: ${r.parseMs.toFixed(0)} ms (model ${r.modelMs.toFixed(0)} ms), speedup ${r.speedup.toFixed(2)}× vs 1 worker (target ≥ ${(0.7 * r.workers).toFixed(1)}×), ${(seq.parseMs / r.parseMs).toFixed(2)}× vs in sequence; apply ${r.applyMs.toFixed(0)} ms, workers busy ${r.workerMs.toFixed(0)} ms`,
    );
  console.log(`  2 workers with the JS reader instead of WebAssembly: ${js2.parseMs.toFixed(0)} ms`);
  for (const r of simulated)
    console.log(
      `  ${r.workers} worker(s), in turn on one core: model ${r.modelMs.toFixed(0)} ms = outside ${r.outsideMs.toFixed(0)} + max(apply ${r.applyMs.toFixed(0)}, busiest worker ${r.busiestMs.toFixed(0)}); speedup ${r.speedup.toFixed(2)}× vs 1 (${(r.speedup / r.workers).toFixed(2)} per worker)`,
    );
  return res;
}

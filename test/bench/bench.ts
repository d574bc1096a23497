// `npm run bench`: generates deterministic synthetic traces (ftrace, trace-cmd, perf script; 1M and
// 10M events), then measures in one run, on the same files: the I/O floor (a plain Node
// chunked line count, and `wc -l`), `locktrace check --json` end to end with its peak RSS, parse
// only and analysis only, replay seeks/steps through the debug adapter over DAP, the effect of
// the number of lock classes, and the recorder's overhead on a lock-heavy C program (as root). Prints a table with events/s, MB/s and ratios to the floor, and
// writes bench-out/results.json plus docs/performance/{results.json,events-per-second.svg}.
//
//   node out/bench/bench.js [--sizes 1000000,10000000] [--formats ftrace,trace-cmd,perf] [--quick] [--runs N] [--no-editor] [--no-recorder] [--no-class-sweep] [--only-recorder] [--generate-only]
//   (--no-editor: without the editor's hover child, the lock panel and the VS Code host runs)
//   node out/bench/bench.js --only-editor-host [--editor-host-events N | --editor-host-trace FILE]   (VS Code host, ./editorHost.ts)
//   node out/bench/bench.js --only-panel [--trace FILE] [--no-browser]   (lock panel, ./panel.ts)
//   node out/bench/bench.js --only-graph [--graph-events N] [--graph-classes N] [--graph-inversions N]   (lock graph, ./graph.ts)
//   (child modes used by the harness itself: --child floor|scan|check|phases|hover FILE,
//    --child tokenize FILE js|wasm FORMAT, --child parse FILE WORKERS js|wasm parallel|in-turn)
// Node-only.

import { execFileSync, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import { analyze } from '../../src/core';
import { loadAnalysis } from '../../src/load';
import { readTraceFile } from '../../src/load/readFile';
import { main as cliMain } from '../../src/cli/main';
import { BenchFormat, generateTrace, prng } from './generate';
import { jsByteScan, nodeLineCount } from './floors';
import { Stats, stats } from './stats';
import { PanelBenchResult, panelBench } from './panel';
import { HoverResult, hoverChild, hoverSummary } from './editorIndex';
import { editorHostOnly, editorHostRuns } from './editorHost';
import { ParseRun, ScalingResult, TokenizeResult, parseChild, scaling, tokenizeChild } from './scaling';
import { GraphBenchResult, graphBench, graphChild, graphSummary } from './graph';

const root = path.resolve(__dirname, '../..');
const outDir = path.join(root, 'bench-out');

interface ChildResult {
  wallMs: number;
  maxRssKb: number;
  parseMs?: number;
  analyzeMs?: number;
  lines?: number;
  events?: number;
  findings?: number;
}

// ---------------------------------------------------------------------------------------------
// child modes: run one measured job in a fresh process and print its result as JSON on fd 3

async function child(mode: string, file: string): Promise<void> {
  if (mode === 'tokenize') {
    fs.writeSync(3, JSON.stringify(tokenizeChild(file, process.argv[5] as 'js' | 'wasm', process.argv[6])));
    return;
  }
  if (mode === 'parse') {
    const r = await parseChild(file, Number(process.argv[5]), process.argv[6] !== 'js', process.argv[7] === 'in-turn');
    fs.writeSync(3, JSON.stringify(r));
    return;
  }
  if (mode.startsWith('graph-')) return graphChild(mode, file);
  const t0 = performance.now();
  const r: ChildResult = { wallMs: 0, maxRssKb: 0 };
  if (mode === 'floor') {
    r.lines = nodeLineCount(file);
  } else if (mode === 'scan') {
    r.lines = jsByteScan(file).lines;
  } else if (mode === 'check') {
    // exactly what `locktrace check --json` does, output discarded
    const sink = { write: () => true } as unknown as NodeJS.WritableStream;
    await cliMain(['check', file, '--json', '--no-progress'], { stdout: sink, stderr: process.stderr });
  } else if (mode === 'diagnostics') {
    // what the extension's TraceService does for a trace file (src/vscode/traces.ts), without VS Code
    const a = await loadAnalysis(file, { workerScript: path.join(root, 'out/analysisWorker.js') });
    r.events = a.store.length;
    r.findings = a.findings.length;
  } else if (mode === 'hover') {
    // the editor's work on a big trace (test/bench/editorIndex.ts)
    (r as ChildResult & { hover?: HoverResult }).hover = await hoverChild(file);
  } else if (mode === 'phases') {
    const p0 = performance.now();
    const store = await readTraceFile(file);
    const p1 = performance.now();
    const a = analyze(store);
    const p2 = performance.now();
    r.parseMs = p1 - p0;
    r.analyzeMs = p2 - p1;
    r.events = store.length;
    r.findings = a.findings.length;
  }
  r.wallMs = performance.now() - t0;
  r.maxRssKb = process.resourceUsage().maxRSS;
  fs.writeSync(3, JSON.stringify(r));
}

/**
 * Runs a child job in a fresh process. `env`: more environment (e.g. LOCKTRACE_PARSE_WORKERS);
 * `pin`: the whole process on one core (taskset -c 0).
 */
function runChild<T = ChildResult>(
  mode: string,
  file: string,
  extra: string[] = [],
  o: { env?: NodeJS.ProcessEnv; pin?: boolean } = {},
): T {
  const argv = ['--max-old-space-size=8192', __filename, '--child', mode, file, ...extra];
  const [cmd, args] = o.pin ? ['taskset', ['-c', '0', process.execPath, ...argv]] : [process.execPath, argv];
  const res = spawnSync(cmd, args, {
    stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    maxBuffer: 1 << 20,
    env: { ...process.env, ...o.env },
  });
  if (res.status !== 0) throw new Error(`child ${mode} ${file} ${extra.join(' ')} failed with ${res.status}`);
  return JSON.parse(String(res.output[3])) as T;
}

type RecorderResult =
  { iterations: number; plainMs: number; recordedMs: number; events: number; eventsPerSec: number } | { skipped: string };

/**
 * Overhead of `locktrace record`: a lock-heavy C program run plainly and under the recorder
 * (uprobes on every lock and unlock). Needs root, tracefs with uprobes and gcc; otherwise says why.
 */
function recorderOverhead(iterations = 20000): RecorderResult {
  if (process.getuid?.() !== 0) return { skipped: 'needs root' };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-recbench-'));
  try {
    const exe = path.join(dir, 'lockloop');
    const cc = spawnSync('gcc', ['-g', '-O2', '-pthread', '-o', exe, path.join(root, 'test/bench/programs/lockloop.c')], {
      stdio: 'inherit',
    });
    if (cc.status !== 0) return { skipped: 'gcc failed' };
    const plainMs = Math.min(...[0, 1, 2].map(() => timeCmd(exe, [String(iterations)])));
    const out = path.join(dir, 'lockloop.ltrace');
    const t = performance.now();
    const rec = spawnSync(process.execPath, [path.join(root, 'out/cli.js'), 'record', '-o', out, '--', exe, String(iterations)], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    const recordedMs = performance.now() - t;
    if (rec.status !== 0) return { skipped: `record failed: ${String(rec.stderr).trim().split('\n').pop()}` };
    const events = fs
      .readFileSync(out, 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('{"ev"')).length;
    return { iterations, plainMs, recordedMs, events, eventsPerSec: events / (recordedMs / 1000) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Runs the parse+analyze child under `node --cpu-prof` and returns the top self-time functions. */
function profile(file: string, top = 15): { fn: string; selfPct: number }[] {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-prof-'));
  try {
    const res = spawnSync(process.execPath, ['--cpu-prof', '--cpu-prof-dir', dir, __filename, '--child', 'phases', file], {
      stdio: ['ignore', 'inherit', 'inherit', 'pipe'],
    });
    if (res.status !== 0) throw new Error(`profiling ${file} failed`);
    const prof = JSON.parse(fs.readFileSync(path.join(dir, fs.readdirSync(dir)[0]), 'utf8')) as {
      nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
      samples: number[];
      timeDeltas: number[];
    };
    const byNode = new Map<number, number>();
    prof.samples.forEach((id, k) => byNode.set(id, (byNode.get(id) ?? 0) + (prof.timeDeltas[k] ?? 0)));
    const self = new Map<string, number>();
    for (const n of prof.nodes) {
      const name = `${n.callFrame.functionName || '(anonymous)'}${n.callFrame.url ? ` ${path.basename(n.callFrame.url)}` : ''}`;
      self.set(name, (self.get(name) ?? 0) + (byNode.get(n.id) ?? 0));
    }
    const total = [...self.values()].reduce((a, b) => a + b, 0);
    return [...self.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([fn, t]) => ({ fn, selfPct: Math.round((1000 * t) / total) / 10 }));
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

function timeCmd(cmd: string, args: string[]): number {
  const t = performance.now();
  execFileSync(cmd, args, { stdio: ['ignore', 'ignore', 'inherit'] });
  return performance.now() - t;
}

/** Best (minimum) of `n` runs: the least disturbed by other load on the machine. */
function best<T extends { wallMs: number }>(n: number, f: () => T): T {
  let b: T | null = null;
  for (let k = 0; k < n; k++) {
    const r = f();
    if (!b || r.wallMs < b.wallMs) b = r;
  }
  return b as T;
}

// ---------------------------------------------------------------------------------------------
// replay over DAP

interface ReplayResult {
  launchToFirstStopMs: number;
  seek: Stats;
  next: Stats;
  stepBack: Stats;
  reverseContinue: Stats;
}

async function replayOverDap(file: string, events: number, samples: number, env?: NodeJS.ProcessEnv): Promise<ReplayResult> {
  const dc = new DebugClient(
    process.execPath,
    path.join(root, 'out/debugAdapter.js'),
    'locktrace',
    env ? { env: { ...process.env, ...env } } : undefined,
  );
  dc.defaultTimeout = 600_000;
  await dc.start();
  try {
    const t0 = performance.now();
    // as VS Code does: configurationDone answers the `initialized` event, which the adapter sends
    // once the trace is loaded, before it answers the launch request
    await dc.initializeRequest();
    await Promise.all([dc.waitForEvent('stopped', 600_000), dc.configurationSequence(), dc.launch({ program: file, stopOnEntry: true })]);
    const launchToFirstStopMs = performance.now() - t0;
    const rnd = prng(99);
    const seek: number[] = [];
    const next: number[] = [];
    const back: number[] = [];
    const rev: number[] = [];
    const step = async (f: () => Promise<unknown>, into: number[]) => {
      const t = performance.now();
      await Promise.all([dc.waitForEvent('stopped'), f()]);
      into.push(performance.now() - t);
    };
    for (let k = 0; k < samples; k++) {
      const index = Math.floor(rnd() * events);
      const t = performance.now();
      await dc.customRequest('locktraceSeek', { index });
      seek.push(performance.now() - t);
      await step(() => dc.nextRequest({ threadId: 0 }), next);
      await step(() => dc.stepBackRequest({ threadId: 0 }), back);
      await step(() => dc.reverseContinueRequest({ threadId: 0 }), rev);
    }
    return { launchToFirstStopMs, seek: stats(seek), next: stats(next), stepBack: stats(back), reverseContinue: stats(rev) };
  } finally {
    await dc.stop();
  }
}

// ---------------------------------------------------------------------------------------------

interface Row {
  format: BenchFormat;
  events: number;
  classes: number;
  mb: number;
  floorMs: number;
  /** A JavaScript loop that looks at every byte once: the least any JS parser pays (floors.ts). */
  jsScanMs: number;
  wcMs: number;
  checkMs: number;
  checkRssMb: number;
  bytesPerEvent: number;
  parseMs: number;
  analyzeMs: number;
  ratioToFloor: number;
  ratioToJsScan: number;
  eventsPerSec: number;
  mbPerSec: number;
  findings: number;
  replay?: ReplayResult;
  hover?: HoverResult;
  panel?: PanelBenchResult;
}

function arg(name: string): string | undefined {
  const k = process.argv.indexOf(name);
  return k >= 0 ? process.argv[k + 1] : undefined;
}

async function benchMain(): Promise<void> {
  if (process.argv.includes('--only-editor-host')) {
    editorHostOnly(arg, outDir);
    return;
  }
  if (process.argv.includes('--only-recorder')) {
    console.log(JSON.stringify(recorderOverhead()));
    return;
  }
  if (process.argv.includes('--only-panel')) {
    const file = arg('--trace') ?? path.join(outDir, 'ftrace-10000000-200.txt');
    const r = await panelBench(file, { browser: !process.argv.includes('--no-browser') });
    fs.mkdirSync(outDir, { recursive: true });
    fs.writeFileSync(path.join(outDir, 'panel.json'), `${JSON.stringify(r, null, 2)}\n`);
    return;
  }
  const graphOptions = {
    events: Number(arg('--graph-events') ?? 10_000_000),
    classes: Number(arg('--graph-classes') ?? 20_000),
    inversions: Number(arg('--graph-inversions') ?? 20),
  };
  if (process.argv.includes('--only-graph')) {
    updateReadmeGraph(graphBench(__filename, outDir, graphOptions));
    return;
  }
  const quick = process.argv.includes('--quick');
  const sizes = (arg('--sizes') ?? (quick ? '1000000' : '1000000,10000000')).split(',').map(Number);
  const formats = (arg('--formats') ?? 'ftrace,trace-cmd,perf').split(',') as BenchFormat[];
  const runs = Number(arg('--runs') ?? (quick ? 1 : 3));
  const editor = !process.argv.includes('--no-editor');
  const generateOnly = process.argv.includes('--generate-only');
  fs.mkdirSync(outDir, { recursive: true });
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const machine = `${os.cpus().length} × ${cpu}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.type()} ${os.release()}`;
  console.log(`machine: ${machine}`);
  const rows: Row[] = [];
  const jobs: { format: BenchFormat; events: number; classes: number }[] = [];
  for (const events of sizes) for (const format of formats) jobs.push({ format, events, classes: 200 });
  // cost vs number of lock classes (ftrace, smallest size)
  if (!process.argv.includes('--no-class-sweep')) jobs.push({ format: 'ftrace', events: sizes[0], classes: 20000 });
  for (const j of jobs) {
    const file = path.join(outDir, `${j.format}-${j.events}-${j.classes}.txt`);
    if (!fs.existsSync(file)) {
      process.stdout.write(`generating ${path.basename(file)}… `);
      const g = generateTrace(file, { events: j.events, format: j.format, classes: j.classes, seed: 1 });
      console.log(`${(g.bytes / 1e6).toFixed(0)} MB, hidden inversion at line ${g.inversionLine}`);
    }
    if (generateOnly) continue;
    const mb = fs.statSync(file).size / 1e6;
    const floor = best(runs, () => runChild('floor', file));
    const jsScan = best(runs, () => runChild('scan', file));
    const wcMs = Math.min(...Array.from({ length: runs }, () => timeCmd('wc', ['-l', file])));
    const check = best(runs, () => runChild('check', file));
    const phases = best(runs, () => runChild('phases', file));
    const events = phases.events ?? j.events;
    const row: Row = {
      format: j.format,
      events,
      classes: j.classes,
      mb,
      floorMs: floor.wallMs,
      jsScanMs: jsScan.wallMs,
      wcMs,
      checkMs: check.wallMs,
      checkRssMb: check.maxRssKb / 1024,
      bytesPerEvent: (check.maxRssKb * 1024) / events,
      parseMs: phases.parseMs ?? 0,
      analyzeMs: phases.analyzeMs ?? 0,
      ratioToFloor: check.wallMs / floor.wallMs,
      ratioToJsScan: check.wallMs / jsScan.wallMs,
      eventsPerSec: events / (check.wallMs / 1000),
      mbPerSec: mb / (check.wallMs / 1000),
      findings: phases.findings ?? 0,
    };
    if (j.format === 'ftrace' && j.classes === 200 && fs.existsSync(path.join(root, 'out/debugAdapter.js'))) {
      row.replay = await replayOverDap(file, events, quick ? 10 : 30);
    }
    if (editor && j.format === 'ftrace' && j.classes === 200) {
      row.hover = runChild<ChildResult & { hover: HoverResult }>('hover', file).hover;
      console.log(`          ${hoverSummary(row.hover)}`);
    }
    if (editor && j.format === 'ftrace' && j.classes === 200 && j.events >= 10_000_000) row.panel = await panelBench(file);
    rows.push(row);
    console.log(
      `${j.format.padEnd(9)} ${String(events).padStart(9)} ev ${String(j.classes).padStart(5)} cls ${mb.toFixed(0).padStart(5)} MB | floor ${floor.wallMs.toFixed(0)} ms, JS byte scan ${jsScan.wallMs.toFixed(0)} ms, wc ${wcMs.toFixed(0)} ms | check ${check.wallMs.toFixed(0)} ms (${row.ratioToFloor.toFixed(1)}× floor, ${row.ratioToJsScan.toFixed(1)}× JS scan, ${(row.eventsPerSec / 1e6).toFixed(2)} M ev/s, ${row.mbPerSec.toFixed(0)} MB/s, RSS ${row.checkRssMb.toFixed(0)} MB = ${row.bytesPerEvent.toFixed(0)} B/ev) | parse ${row.parseMs.toFixed(0)} ms, analyze ${row.analyzeMs.toFixed(0)} ms | ${row.findings} finding(s)`,
    );
    if (row.replay) {
      const r = row.replay;
      console.log(
        `          replay over DAP: launch→first stop ${r.launchToFirstStopMs.toFixed(0)} ms (${(r.launchToFirstStopMs / check.wallMs).toFixed(2)}× check); median/worst ms: seek ${r.seek.medianMs.toFixed(1)}/${r.seek.worstMs.toFixed(1)}, next ${r.next.medianMs.toFixed(1)}/${r.next.worstMs.toFixed(1)}, stepBack ${r.stepBack.medianMs.toFixed(1)}/${r.stepBack.worstMs.toFixed(1)}, reverseContinue ${r.reverseContinue.medianMs.toFixed(1)}/${r.reverseContinue.worstMs.toFixed(1)}`,
      );
    }
  }
  if (generateOnly) return;
  const parallel = await parallelSection(rows, formats, sizes, runs);
  // the lock graph at 20,000 classes and 10M events (./graph.ts)
  const graph = quick ? undefined : graphBench(__filename, outDir, graphOptions);
  const recorder: RecorderResult = process.argv.includes('--no-recorder') ? { skipped: '--no-recorder' } : recorderOverhead();
  if ('skipped' in recorder) console.log(`recorder overhead: not measured (${recorder.skipped})`);
  else
    console.log(
      `recorder overhead (lockloop ${recorder.iterations} × 2 threads): plain ${recorder.plainMs.toFixed(0)} ms, recorded ${recorder.recordedMs.toFixed(0)} ms incl. probe set-up and clean-up (${(recorder.recordedMs / recorder.plainMs).toFixed(0)}× slower), ${recorder.events} events at ${recorder.eventsPerSec.toFixed(0)} events/s`,
    );

  // the editor in the real VS Code extension host (test/bench/editorHost.ts)
  const editorHost = editor ? editorHostRuns(outDir) : undefined;

  // where the time goes: a CPU profile of parse + analysis on the first ftrace trace
  const first = jobs.find((j) => j.format === 'ftrace');
  const profileTop = first ? profile(path.join(outDir, `${first.format}-${first.events}-${first.classes}.txt`)) : [];
  if (profileTop.length) {
    console.log('profile (parse + analysis, self time):');
    for (const p of profileTop) console.log(`  ${p.selfPct.toFixed(1).padStart(5)}%  ${p.fn}`);
  }
  const load = os.loadavg().map((x) => Math.round(x * 100) / 100);
  console.log(`load average at the end: ${load.join(', ')}`);
  const result = {
    date: new Date().toISOString(),
    machine,
    runsPerMeasure: runs,
    loadAverage: load,
    rows,
    parallel,
    profileTop,
    recorder,
    editorHost,
    graph,
  };
  fs.writeFileSync(path.join(outDir, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
  if (!quick) {
    const docs = path.join(root, 'docs/performance');
    fs.mkdirSync(docs, { recursive: true });
    fs.writeFileSync(path.join(docs, 'results.json'), `${JSON.stringify(result, null, 2)}\n`);
    fs.writeFileSync(path.join(docs, 'events-per-second.svg'), plot(rows));
    updateReadmeTable(result.machine, rows, runs, load);
    if (graph) updateReadmeGraph(graph);
  }
  console.log(
    `results: ${path.relative(root, path.join(outDir, 'results.json'))}${quick ? '' : ', docs/performance/results.json, docs/performance/events-per-second.svg'}`,
  );
}

interface ParallelResult {
  tokenizer: { format: BenchFormat; js: TokenizeResult; wasm: TokenizeResult }[];
  scaling?: ScalingResult;
  /** The same work with the parse in sequence (LOCKTRACE_PARSE_WORKERS=0) and in parallel (default). */
  loader?: { what: string; sequentialMs: number; parallelMs: number; factor: number }[];
  targets: string[];
}

/**
 * Issue 17's table: the WebAssembly reader vs the JS reader, the parse's speedup curve, the loader's
 * gain through `check`, the debugger's launch and the extension's diagnostics path, and the targets.
 */
async function parallelSection(rows: Row[], formats: BenchFormat[], sizes: number[], runs: number): Promise<ParallelResult> {
  const biggest = Math.max(...sizes);
  const fileOf = (f: BenchFormat) => path.join(outDir, `${f}-${biggest}-200.txt`);
  const res: ParallelResult = { tokenizer: [], targets: [] };
  console.log('tokenizer, one thread, first 256 MiB in 2 MiB ranges (CPU time, best of 3):');
  for (const format of formats) {
    const js = runChild<TokenizeResult>('tokenize', fileOf(format), ['js', format]);
    const wasm = runChild<TokenizeResult>('tokenize', fileOf(format), ['wasm', format]);
    res.tokenizer.push({ format, js, wasm });
    const mbs = (t: TokenizeResult) => (t.mb / (t.cpuMs / 1000)).toFixed(0);
    console.log(
      `  ${format.padEnd(9)} JS reader ${js.cpuMs.toFixed(0)} ms (${mbs(js)} MB/s), WebAssembly ${wasm.cpuMs.toFixed(0)} ms (${mbs(wasm)} MB/s): ${(js.cpuMs / wasm.cpuMs).toFixed(2)}× faster`,
    );
  }
  const ftrace = fileOf('ftrace');
  if (formats.includes('ftrace')) {
    res.scaling = scaling(ftrace, (args, o) => runChild<ParseRun>('parse', ftrace, args, { pin: o?.pin }), runs);
    const seqEnv = { LOCKTRACE_PARSE_WORKERS: '0' };
    const row = rows.find((r) => r.format === 'ftrace' && r.classes === 200 && r.events >= biggest);
    const loader: NonNullable<ParallelResult['loader']> = [];
    const both = (what: string, f: (env?: NodeJS.ProcessEnv) => number | Promise<number>) => async () => {
      let s = Infinity;
      let p = Infinity;
      for (let k = 0; k < runs; k++) {
        s = Math.min(s, await f(seqEnv));
        p = Math.min(p, await f());
      }
      loader.push({ what, sequentialMs: s, parallelMs: p, factor: s / p });
    };
    await both('check --json', (env) => runChild('check', ftrace, [], { env }).wallMs)();
    await both(
      'diagnostics: loadAnalysis as the extension runs it (analysis worker)',
      (env) => runChild('diagnostics', ftrace, [], { env }).wallMs,
    )();
    if (row && fs.existsSync(path.join(root, 'out/debugAdapter.js')))
      await both(
        'debugger: launch to first stop over DAP',
        async (env) => (await replayOverDap(ftrace, row.events, 1, env)).launchToFirstStopMs,
      )();
    res.loader = loader;
    console.log(`the loader, in sequence (LOCKTRACE_PARSE_WORKERS=0) vs parallel (default), ftrace ${biggest / 1e6}M, best of ${runs}:`);
    for (const l of loader)
      console.log(`  ${l.what}: ${l.sequentialMs.toFixed(0)} ms → ${l.parallelMs.toFixed(0)} ms (${l.factor.toFixed(2)}× faster)`);
  }
  // the issue's targets, from this run's rows
  const at = (f: BenchFormat) => rows.find((r) => r.format === f && r.classes === 200 && r.events >= biggest);
  const f = at('ftrace');
  if (f) {
    res.targets.push(
      `ftrace ${biggest / 1e6}M check: ${f.ratioToJsScan.toFixed(2)}× the JS byte scan (target ≤ 3×): ${f.ratioToJsScan <= 3 ? 'met' : 'not met'}`,
      `ftrace ${biggest / 1e6}M check: ${f.mbPerSec.toFixed(0)} MB/s (target ≥ 250): ${f.mbPerSec >= 250 ? 'met' : 'not met'}`,
    );
    for (const o of ['trace-cmd', 'perf'] as const) {
      const r = at(o);
      if (r)
        res.targets.push(
          `${o} ${biggest / 1e6}M check: ${r.mbPerSec.toFixed(0)} MB/s, ${((100 * r.mbPerSec) / f.mbPerSec).toFixed(0)} % of ftrace's (target ≥ 90 %): ${r.mbPerSec >= 0.9 * f.mbPerSec ? 'met' : 'not met'}`,
        );
    }
  }
  for (const r of rows.filter((x) => x.classes === 200 && x.events >= biggest))
    res.targets.push(
      `${r.format} ${biggest / 1e6}M peak RSS: ${r.bytesPerEvent.toFixed(0)} B/event (target ≤ 50): ${r.bytesPerEvent <= 50 ? 'met' : 'not met'}`,
    );
  const two = res.scaling?.real.find((r) => r.workers === 2);
  if (two)
    res.targets.push(
      `2 real workers: parse speedup ${two.speedup.toFixed(2)}× vs 1 (target ≥ 1.4×): ${two.speedup >= 1.4 ? 'met' : 'not met'}`,
    );
  console.log('targets (issue 17):');
  for (const t of res.targets) console.log(`  ${t}`);
  return res;
}

/** Rewrites the table between the bench markers in README.md. */
function updateReadmeTable(machine: string, rows: Row[], runs: number, load: number[]): void {
  const readme = path.join(root, 'README.md');
  const text = fs.readFileSync(readme, 'utf8');
  const start = '<!-- bench-table:start -->';
  const end = '<!-- bench-table:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) return;
  const lines = [
    start,
    `Measured by \`npm run bench\` on ${machine} (${new Date().toISOString().slice(0, 10)}); best of ${runs} run(s); load average at the end ${load.join(', ')}.`,
    '',
    '| format | events | lock classes | MB | `check --json` | × Node floor | × JS byte scan | events/s | peak RSS (B/event) | parse / analyze |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${r.format} | ${(r.events / 1e6).toFixed(0)}M | ${r.classes} | ${r.mb.toFixed(0)} | ${(r.checkMs / 1000).toFixed(2)} s | ${r.ratioToFloor.toFixed(1)} | ${r.ratioToJsScan.toFixed(1)} | ${(r.eventsPerSec / 1e6).toFixed(2)}M | ${r.bytesPerEvent.toFixed(0)} | ${(r.parseMs / 1000).toFixed(2)} s / ${(r.analyzeMs / 1000).toFixed(2)} s |`,
    ),
    '',
    ...rows
      .filter((r) => r.replay)
      .map((r) => {
        const p = r.replay as ReplayResult;
        return `Replay over DAP, ${(r.events / 1e6).toFixed(0)}M events: launch to first stop ${(p.launchToFirstStopMs / 1000).toFixed(2)} s (${(p.launchToFirstStopMs / r.checkMs).toFixed(2)}× check); median / worst: seek ${p.seek.medianMs.toFixed(1)} / ${p.seek.worstMs.toFixed(1)} ms, next ${p.next.medianMs.toFixed(1)} / ${p.next.worstMs.toFixed(1)} ms, step back ${p.stepBack.medianMs.toFixed(1)} / ${p.stepBack.worstMs.toFixed(1)} ms, reverse-continue ${p.reverseContinue.medianMs.toFixed(1)} / ${p.reverseContinue.worstMs.toFixed(1)} ms.`;
      }),
    end,
  ];
  fs.writeFileSync(readme, text.slice(0, a) + lines.join('\n') + text.slice(b + end.length));
}

/** Rewrites the lock-graph rows between their markers in README.md. */
function updateReadmeGraph(r: GraphBenchResult): void {
  const readme = path.join(root, 'README.md');
  const text = fs.readFileSync(readme, 'utf8');
  const start = '<!-- graph-bench:start -->';
  const end = '<!-- graph-bench:end -->';
  const a = text.indexOf(start);
  const b = text.indexOf(end);
  if (a < 0 || b < a) return;
  const cpu = os.cpus()[0]?.model ?? 'unknown CPU';
  const lines = [
    start,
    `Measured by \`npm run bench\` (\`--only-graph\` for these rows alone) on ${os.cpus().length} × ${cpu}, Node ${process.version} (${new Date().toISOString().slice(0, 10)}); one run, fresh process per step.`,
    '',
    ...graphSummary(r),
    end,
  ];
  fs.writeFileSync(readme, text.slice(0, a) + lines.join('\n') + text.slice(b + end.length));
}

/** A small SVG line plot: events/s of `check` vs trace size, one line per format. */
function plot(rows: Row[]): string {
  const W = 560;
  const H = 320;
  const pad = 56;
  const data = rows.filter((r) => r.classes === 200);
  const sizes = [...new Set(data.map((r) => r.events))].sort((a, b) => a - b);
  const maxY = Math.max(...data.map((r) => r.eventsPerSec)) * 1.15;
  const x = (ev: number) =>
    pad +
    (sizes.length === 1
      ? (W - 2 * pad) / 2
      : ((Math.log10(ev) - Math.log10(sizes[0])) / (Math.log10(sizes[sizes.length - 1]) - Math.log10(sizes[0]))) * (W - 2 * pad));
  const y = (v: number) => H - pad - (v / maxY) * (H - 2 * pad);
  const colors: Record<string, string> = { ftrace: '#d9480f', 'trace-cmd': '#1971c2', perf: '#2f9e44' };
  const parts: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="20" text-anchor="middle" font-size="14">locktrace check: events/s vs trace size</text>`,
    `<line x1="${pad}" y1="${H - pad}" x2="${W - pad}" y2="${H - pad}" stroke="black"/>`,
    `<line x1="${pad}" y1="${pad}" x2="${pad}" y2="${H - pad}" stroke="black"/>`,
  ];
  for (let k = 0; k <= 4; k++) {
    const v = (maxY * k) / 4;
    parts.push(`<text x="${pad - 6}" y="${y(v) + 4}" text-anchor="end">${(v / 1e6).toFixed(1)}M</text>`);
  }
  for (const s of sizes) parts.push(`<text x="${x(s)}" y="${H - pad + 18}" text-anchor="middle">${s / 1e6}M events</text>`);
  let legend = 0;
  for (const f of Object.keys(colors)) {
    const pts = data.filter((r) => r.format === f).sort((a, b) => a.events - b.events);
    if (!pts.length) continue;
    parts.push(
      `<polyline fill="none" stroke="${colors[f]}" stroke-width="2" points="${pts.map((p) => `${x(p.events)},${y(p.eventsPerSec)}`).join(' ')}"/>`,
    );
    for (const p of pts) parts.push(`<circle cx="${x(p.events)}" cy="${y(p.eventsPerSec)}" r="4" fill="${colors[f]}"/>`);
    parts.push(`<text x="${W - pad - 90}" y="${pad + 16 * legend++}" fill="${colors[f]}">${f}</text>`);
  }
  parts.push('</svg>\n');
  return parts.join('\n');
}

if (process.argv[2] === '--child') {
  child(process.argv[3], process.argv[4]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
} else {
  benchMain().catch((e) => {
    console.error(e);
    process.exit(1);
  });
}

// The editor in the real VS Code extension host (code-server), end to end: runs the integration
// test "editor at scale" (test/integration/editorScale.test.ts) on a big trace and reads the timings
// it writes: time until the problems appear, the longest stall of the extension host's event loop
// (a 10 ms timer) and of command round trips to the workbench while the trace loads, and hover
// latency through vscode.executeHoverProvider. Only one code-server may run at a time on the
// machine, so the run takes /tmp/locktrace-vscode.lock itself (do not wrap the bench in flock).
//
//   node out/bench/bench.js --only-editor-host [--editor-host-events N | --editor-host-trace FILE]
// Node-only.

import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import type { Stats } from './stats';

const root = path.resolve(__dirname, '../..');
const LOCK = '/tmp/locktrace-vscode.lock';

export interface EditorHostResult {
  file: string;
  bytes: number;
  /** Whether VS Code gave the file to the extension as a document (files above 50 MB: no). */
  synced: boolean;
  openMs: number;
  diagnosticsMs: number;
  diagnostics: number;
  stall: Stats & { over50ms: number; longest: { atMs: number; ms: number }[] };
  commandRoundTrip: Stats & { over200ms: number; longest: { atMs: number; ms: number }[] };
  hover?: Stats;
  firstHoverMs?: number;
  hoverNote?: string;
}

export type EditorHostRun = { label: string } & (EditorHostResult | { skipped: string } | { failed: string });

/** One run of the test on a generated trace of `events` events, or on an existing `trace` file. */
export function editorHost(label: string, what: { events?: number; trace?: string }): EditorHostRun {
  const host = process.env.LOCKTRACE_VSHOST ?? '/opt/locktrace-vshost';
  if (!process.env.VSCODE_EXECUTABLE && !fs.existsSync(host))
    return { label, skipped: `no VS Code host in ${host} (npm run test:vscode installs it)` };
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-editor-host-'));
  try {
    const out = path.join(dir, 'editor-host.json');
    const env: NodeJS.ProcessEnv = { ...process.env, LOCKTRACE_EDITOR_HOST_OUT: out };
    if (what.trace) env.LOCKTRACE_EDITOR_HOST_TRACE = path.resolve(what.trace);
    else env.LOCKTRACE_EDITOR_HOST_EVENTS = String(what.events ?? 1_000_000);
    const args = [
      LOCK,
      process.execPath,
      path.join(root, 'scripts/vscode-host/run.mjs'),
      '--grep',
      'editor at scale',
      '--no-screenshot',
      '--timeout',
      '1200',
      '--artifacts-dir',
      path.join(dir, 'artifacts'),
    ];
    const res = spawnSync('flock', args, { env, stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 64 << 20 });
    if (res.status !== 0 || !fs.existsSync(out)) {
      const log = `${res.stdout?.toString() ?? ''}${res.stderr?.toString() ?? ''}`;
      const why = /AssertionError[^\n]*|Error: no locktrace diagnostics[^\n]*|timed out[^\n]*/i.exec(log)?.[0];
      return { label, failed: `exit ${res.status}${why ? `: ${why}` : ''}` };
    }
    return { label, ...(JSON.parse(fs.readFileSync(out, 'utf8')) as EditorHostResult) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * The full bench's cases: the largest generated trace VS Code still gives to extensions (500k
 * events, ~46 MB: problems and hovers) and the 1M-event bench trace (~93 MB: problems only).
 */
export function editorHostRuns(outDir: string): EditorHostRun[] {
  const runs = [editorHost('500k events (generated)', { events: 500_000 })];
  console.log(editorHostSummary(runs[0]));
  const big = path.join(outDir, 'ftrace-1000000-200.txt');
  if (fs.existsSync(big)) {
    runs.push(editorHost('1M events (bench file)', { trace: big }));
    console.log(editorHostSummary(runs[1]));
  }
  return runs;
}

/** `--only-editor-host [--editor-host-events N | --editor-host-trace FILE]`. */
export function editorHostOnly(arg: (name: string) => string | undefined, outDir: string): EditorHostRun[] {
  const trace = arg('--editor-host-trace');
  const events = arg('--editor-host-events');
  let runs: EditorHostRun[];
  if (trace || events) {
    runs = [
      editorHost(trace ? path.basename(trace) : `${events} events (generated)`, { trace, events: events ? Number(events) : undefined }),
    ];
    console.log(editorHostSummary(runs[0]));
  } else runs = editorHostRuns(outDir);
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, 'editor-host.json'), `${JSON.stringify(runs, null, 2)}\n`);
  return runs;
}

export function editorHostSummary(r: EditorHostRun): string {
  if ('skipped' in r) return `editor in VS Code, ${r.label}: not measured (${r.skipped})`;
  if ('failed' in r) return `editor in VS Code, ${r.label}: FAILED (${r.failed})`;
  const ms = (x: number | undefined) => (x === undefined || Number.isNaN(x) ? '–' : `${x.toFixed(0)} ms`);
  return (
    `editor in VS Code, ${r.label}, ${(r.bytes / 1e6).toFixed(0)} MB${r.synced ? '' : ' (above the 50 MB sync limit: no document for extensions)'}: ` +
    `problems after ${ms(r.diagnosticsMs)} (document open ${ms(r.openMs)}); extension-host timer delay median/worst ${ms(r.stall.medianMs)}/${ms(r.stall.worstMs)} (${r.stall.over50ms} over 50 ms); ` +
    `command round trip to the workbench median/worst ${ms(r.commandRoundTrip.medianMs)}/${ms(r.commandRoundTrip.worstMs)}; ` +
    (r.hover
      ? `hover median/worst ${ms(r.hover.medianMs)}/${ms(r.hover.worstMs)} (${r.hover.n} lock lines, first ${ms(r.firstHoverMs)})`
      : `hover: ${r.hoverNote ?? 'not measured'}`)
  );
}

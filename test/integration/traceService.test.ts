// One analysis per trace (the TraceService), in the real extension host: the trace's problems, the C/C++ source
// annotations, the debugger and the lock panel report the same findings for a trace with a
// `.locktrace.json` beside it, from one load; a trace above the worker threshold is never analysed
// on the extension host's thread, whatever feature asks (the extension's test probe sees every
// analysis that starts on that thread; a control proves it does); a trace changed on disk is read
// again by the diagnostics and the lock panel, and a restarted debug session's panel shows the new
// analysis.
// The lock panel parts need the driver (code-server route) and are skipped under VSCODE_EXECUTABLE.
// The probe's shape is restated here: the suite does not import src/.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { REPO, cleanUp, launch } from './dap';
import { driverAvailable, driverRequest } from './driver';
import { waitFor } from './wait';
import { kindOf } from './findingCode';

const INVERSION = path.join(REPO, 'samples/syscall-order-inversion.trace');
const URING_ABBA = path.join(REPO, 'test/workspace/source-traces/uring-abba.trace');
const C_FILE = vscode.Uri.file(path.join(REPO, 'test/workspace/src/io_uring_fixture.c'));
const KINDS = 'inversion|held-across-syscall|recursive|bad-unlock|held-at-exit|irq-state|held-lock-freed|lockdep-other';

/** What src/vscode/traces.ts's TraceServiceProbe gives the tests through the extension's API. */
interface Probe {
  hostAnalyses(): { file: string; events: number; bytes: number }[];
  loads(): { file: string; format: string; readLocks: string; source: 'disk' | 'text'; inWorker: boolean }[];
  reset(): void;
}

async function probe(): Promise<Probe> {
  const ext = vscode.extensions.getExtension<{ testing: Probe }>('locktrace.locktrace');
  assert.ok(ext);
  return (await ext.activate()).testing;
}

/** A copy of a trace in a fresh temp folder (outside the workspace), with an optional `.locktrace.json`. */
function tempTrace(source: string, name: string, suppress?: object[]): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-one-'));
  const file = path.join(dir, name);
  fs.copyFileSync(source, file);
  if (suppress) fs.writeFileSync(path.join(dir, '.locktrace.json'), JSON.stringify({ suppress }));
  return file;
}

const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'locktrace');
const codeOf = kindOf;

/** The trace's problems as `kind:line`, once they are `want` (sorted by line). */
async function problems(uri: vscode.Uri, want: string[]): Promise<string[]> {
  let last: string[] = [];
  try {
    return await waitFor(`problems ${want.join(', ')}`, () => {
      last = ours(uri)
        .sort((a, b) => a.range.start.line - b.range.start.line)
        .map((d) => `${codeOf(d)}:${d.range.start.line + 1}`);
      return JSON.stringify(last) === JSON.stringify(want) && last;
    });
  } catch (e) {
    throw new Error(`${(e as Error).message}; last: ${JSON.stringify(last)}`);
  }
}

/** The lock panel's findings list as `kind:line`, once it is `want`. */
async function panelFindings(want: string[]): Promise<string[]> {
  let last: string[] = [];
  const re = new RegExp(`(${KINDS}): .*?line (\\d+) · `, 'g');
  try {
    return await waitFor(
      `the lock panel's findings ${want.join(', ')}`,
      async () => {
        const t = (await driverRequest('webviewText', { selector: '#lt-findings', timeoutMs: 5_000 }).catch(() => ({ text: null }))).text;
        last = [...(t ?? '').matchAll(re)].map((m) => `${m[1]}:${m[2]}`);
        return JSON.stringify(last) === JSON.stringify(want) && last;
      },
      30_000,
    );
  } catch (e) {
    const shot = await driverRequest('screenshot', { name: 'analyses-panel-findings-failed' }).catch(() => undefined);
    throw new Error(`${(e as Error).message}; last: ${JSON.stringify(last)}${shot ? `; screenshot ${shot.path}` : ''}`);
  }
}

/** Every finding the debugger reports: the replay state's findings so far at the last event. */
async function debuggerFindings(session: vscode.DebugSession): Promise<string[]> {
  const state = (await session.customRequest('locktraceState')) as { totalEvents: number };
  const end = (await session.customRequest('locktraceSeek', { index: state.totalEvents - 1 })) as {
    findingsSoFar: { kind: string; line: number }[];
    totalFindings: number;
  };
  assert.strictEqual(end.findingsSoFar.length, end.totalFindings);
  return end.findingsSoFar.map((f) => `${f.kind}:${f.line}`);
}

suite('one analysis per trace', function () {
  this.timeout(180_000);

  setup(async () => {
    // each test starts from an empty editor area: the lock panel opens beside the trace, as for a user
    await cleanUp();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  teardown(async () => {
    await cleanUp();
    await vscode.workspace.getConfiguration('locktrace').update('analysis.workerThreshold', undefined, vscode.ConfigurationTarget.Global);
  });

  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('problems, source annotations, the debugger and the lock panel report the same findings with a .locktrace.json, from one load', async () => {
    const p = await probe();
    // the suppression accepts the leaked sb_writers: only the in-kernel inversion at line 13 is left
    const file = tempTrace(URING_ABBA, 'abba.trace', [{ kind: 'held-across-syscall', locks: ['sb_writers'], reason: 'test' }]);
    const uri = vscode.Uri.file(file);
    p.reset();
    const want = ['inversion:13'];

    // the trace's problems
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    assert.deepStrictEqual(await problems(uri, want), want);
    const summary = await vscode.commands.executeCommand<{ lines: number[]; suppressed: number }>('locktrace.checkTrace', uri);
    assert.deepStrictEqual([summary.lines, summary.suppressed], [[13], 1]);

    // C/C++ source annotations of the active trace: the inversion's sites, not the suppressed leak
    await vscode.commands.executeCommand('locktrace.selectActiveTrace', uri);
    const c = await vscode.workspace.openTextDocument(C_FILE);
    await vscode.window.showTextDocument(c, vscode.ViewColumn.Beside);
    const source = await waitFor('source diagnostics of the trace', () => {
      const d = ours(C_FILE);
      return d.length > 0 && d.every((x) => x.relatedInformation?.every((r) => r.location.uri.fsPath === file)) && d;
    });
    const sourceKinds = new Set(
      source.map((d) =>
        /inversion/.test(d.message) ? 'inversion' : /held across a syscall/.test(d.message) ? 'held-across-syscall' : d.message,
      ),
    );
    assert.deepStrictEqual([...sourceKinds], ['inversion']);
    for (const d of source)
      assert.ok(
        d.relatedInformation?.some((r) => r.location.range.start.line + 1 === 13),
        'related to the finding line',
      );

    // the debugger (and, with the driver, the lock panel that opens with it)
    const session = await launch({ program: file });
    await waitFor(
      'the session to stop',
      async () => ((await session.customRequest('threads')) as { threads: unknown[] }).threads.length > 0,
    );
    assert.deepStrictEqual(await debuggerFindings(session), want);
    if (driverAvailable()) assert.deepStrictEqual(await panelFindings(want), want);
    await cleanUp();

    // and without a session the panel shows the same
    if (driverAvailable()) {
      await vscode.commands.executeCommand('locktrace.showPanel', uri);
      assert.deepStrictEqual(await panelFindings(want), want);
    }

    // all of them worked on one load of the file (same options, same source)
    const loads = p.loads().filter((l) => l.file === file);
    assert.deepStrictEqual(
      loads.map((l) => `${l.source} ${l.format} ${l.readLocks}`),
      ['disk auto non-recursive'],
      JSON.stringify(p.loads()),
    );
  });

  test('above the worker threshold no analysis runs on the extension host thread, whoever asks (and the probe does see host analyses)', async () => {
    const p = await probe();
    const config = vscode.workspace.getConfiguration('locktrace');
    // control: below the threshold the trace is analysed on the host, and the probe sees it
    const small = tempTrace(INVERSION, 'small.trace');
    p.reset();
    await vscode.commands.executeCommand('locktrace.checkTrace', vscode.Uri.file(small));
    assert.ok(
      p.hostAnalyses().some((a) => a.file === small),
      `the probe saw the host analysis: ${JSON.stringify(p.hostAnalyses())}`,
    );

    const big = tempTrace(INVERSION, 'big.trace');
    const threshold = 1024;
    assert.ok(fs.statSync(big).size > threshold);
    await config.update('analysis.workerThreshold', threshold, vscode.ConfigurationTarget.Global);
    p.reset();
    const uri = vscode.Uri.file(big);
    // problems, hovers, outline
    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    await problems(uri, [
      'held-across-syscall:17',
      'held-across-syscall:22',
      'held-across-syscall:31',
      'inversion:35',
      'held-across-syscall:36',
    ]);
    const col = doc.lineAt(34).text.indexOf('sb_writers') + 1;
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', uri, new vscode.Position(34, col));
    assert.ok(hovers.length > 0, 'a hover');
    await vscode.commands.executeCommand('vscode.executeDocumentSymbolProvider', uri);
    // commands, source annotations of the active trace
    await vscode.commands.executeCommand('locktrace.checkTrace', uri);
    await vscode.commands.executeCommand('locktrace.exportFindings', uri, vscode.Uri.file(`${big}.sarif`));
    await vscode.commands.executeCommand('locktrace.selectActiveTrace', uri);
    await vscode.commands.executeCommand('vscode.executeHoverProvider', C_FILE, new vscode.Position(0, 0));
    // the lock panel without a session, then the debugger and its panel
    await vscode.commands.executeCommand('locktrace.showPanel', uri);
    if (driverAvailable())
      await panelFindings([
        'held-across-syscall:17',
        'held-across-syscall:22',
        'held-across-syscall:31',
        'inversion:35',
        'held-across-syscall:36',
      ]);
    const stops: number[] = [];
    const sub = vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
      if (e.event === 'locktraceState') stops.push((e.body as { line: number }).line);
    });
    try {
      const session = await launch({ program: big, stopOnEntry: false });
      await waitFor('the session at the inversion', () => stops.includes(35));
      await session.customRequest('evaluate', { expression: 'holders("sb_writers")', context: 'repl' });
    } finally {
      sub.dispose();
    }
    await cleanUp();

    assert.deepStrictEqual(
      p.hostAnalyses().filter((a) => a.bytes >= threshold),
      [],
      'no analysis of a trace above the threshold on the extension host thread',
    );
    const loads = p.loads().filter((l) => l.file === big);
    assert.ok(loads.length >= 1, 'the trace was loaded');
    assert.ok(
      loads.every((l) => l.inWorker),
      JSON.stringify(loads),
    );
  });

  test('a trace changed on disk is read again by the diagnostics and the lock panel; a restarted session shows the new analysis', async () => {
    const file = tempTrace(INVERSION, 'changing.trace');
    const uri = vscode.Uri.file(file);
    const original = fs.readFileSync(file, 'utf8');
    const all = ['held-across-syscall:17', 'held-across-syscall:22', 'held-across-syscall:31', 'inversion:35', 'held-across-syscall:36'];
    const fewer = ['held-across-syscall:17', 'held-across-syscall:22', 'held-across-syscall:31'];
    // dio-reader no longer takes sb_writers (lines 35 and 38): no inversion, nothing leaked at 36
    const lines = original.split('\n');
    const changed = lines.filter((_l, k) => k !== 34 && k !== 37).join('\n');
    const driver = driverAvailable();

    const doc = await vscode.workspace.openTextDocument(uri);
    await vscode.window.showTextDocument(doc);
    await problems(uri, all);
    // a debug session on it, its lock panel
    const session = await launch({ program: file });
    if (driver) await panelFindings(all);

    fs.writeFileSync(file, changed);
    assert.deepStrictEqual(await problems(uri, fewer), fewer);
    // the session replays what it loaded until it restarts; the restart loads the new content and the panel follows
    const restarted = new Promise<void>((resolve) => {
      const sub = vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
        if (e.session.id !== session.id || e.event !== 'locktraceState') return;
        if ((e.body as { totalFindings: number }).totalFindings === fewer.length) {
          sub.dispose();
          resolve();
        }
      });
    });
    await vscode.commands.executeCommand('workbench.action.debug.restart');
    await restarted;
    assert.deepStrictEqual(await debuggerFindings(session), fewer);
    if (driver) assert.deepStrictEqual(await panelFindings(fewer), fewer);
    await cleanUp();

    // without a session the panel follows the file itself
    if (driver) {
      await vscode.commands.executeCommand('locktrace.showPanel', uri);
      await panelFindings(fewer);
    }
    fs.writeFileSync(file, original);
    assert.deepStrictEqual(await problems(uri, all), all);
    if (driver) assert.deepStrictEqual(await panelFindings(all), all);
  });
});

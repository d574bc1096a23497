// The trace view (src/vscode/traceView.ts, media/src/traceView/) in the real extension host and
// workbench: the sample's lines with the grammar's colours, a lock hover, go to line and its
// findings; then a generated 500 MB trace (LOCKTRACE_TRACE_VIEW_MB, default 500; or an existing
// file in LOCKTRACE_TRACE_VIEW_TRACE), which VS Code gives extensions no document of: opened like
// a user opens a file, it lands in the trace view; its first lines are on screen within a second of
// the analysis (the target, recorded, not asserted: timings depend on the machine's load); mouse
// wheel scrolling (frame timings measured in the webview); a jump to a finding; a hover on a lock;
// the debugger's position and its stack frames followed there, never in a text editor tab.
// The numbers go to $LOCKTRACE_TEST_ARTIFACTS/trace-view.json and the log.
// Needs the driver (code-server route); skipped under VSCODE_EXECUTABLE.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { generateTrace } from '../bench/generate';
import { SAMPLE_URI, cleanUp, waitFor } from './dap';
import { driverAvailable, driverRequest } from './driver';
import { panelText } from './workbench';

interface ScrollStats {
  frames: number;
  medianMs: number;
  p95Ms: number;
  maxMs: number;
  longFrames: number;
  blankFrames: number;
  lines: number;
  durationMs: number;
}

interface ViewReport {
  file: string;
  lineCount: number;
  events: number;
  bytes: number;
  paintAfterAnalysisMs: number | null;
  paintAfterReadyMs: number | null;
  analysisMs: number | null;
  position: number | null;
  revealed: number | null;
  scrolls: ScrollStats[];
  hovers: { line: number; ms: number; found: boolean }[];
  lineRequests: number;
  linesSent: number;
}

const VIEW = 'body.lt-trace-view';
const VIEW_TYPE = 'locktrace.traceView';

function views(): ViewReport[] {
  const ext = vscode.extensions.getExtension<{ traceViews: { views(): ViewReport[] } }>('locktrace.locktrace');
  if (!ext?.isActive) return [];
  return ext.exports.traceViews.views();
}

function viewOf(file: string): ViewReport | undefined {
  return views().find((v) => v.file === file);
}

/** textContent of an element of the trace view's webview, polled until `re` matches. */
async function viewText(selector: string, re: RegExp, timeoutMs = 20_000): Promise<string> {
  let last: string | null = null;
  try {
    return await waitFor(
      `trace view ${selector} to match ${re}`,
      async () => {
        last = (await driverRequest('webviewText', { selector: `${VIEW} ${selector}`, timeoutMs: 3_000 }).catch(() => ({ text: null })))
          .text;
        return last !== null && re.test(last) && { text: last };
      },
      timeoutMs,
    ).then((r) => r.text);
  } catch (e) {
    throw new Error(`${(e as Error).message}; last text: ${JSON.stringify(last)}`);
  }
}

/** The editor tabs showing `file`: in the trace view and as text. */
function tabsOf(file: vscode.Uri): { view: number; text: number } {
  let view = 0;
  let text = 0;
  for (const g of vscode.window.tabGroups.all)
    for (const t of g.tabs) {
      if (t.input instanceof vscode.TabInputCustom && t.input.viewType === VIEW_TYPE && t.input.uri.path === file.path) view++;
      if (t.input instanceof vscode.TabInputText && t.input.uri.toString() === file.toString()) text++;
    }
  return { view, text };
}

/**
 * Scroll frame timings of `count` wheel turns over the view, measured in the webview. Under load
 * the turns can come more than the meter's quiet time apart, which splits them into several
 * gestures: every gesture since the first turn is summed.
 */
async function wheel(file: string, deltaY: number, count: number): Promise<ScrollStats & { gestures: number }> {
  const before = viewOf(file)?.scrolls.length ?? 0;
  // each turn waits for the webview's renderer: on a loaded machine a turn can take a second
  await driverRequest('webviewWheel', { selector: `${VIEW} .viewport`, deltaY, count, intervalMs: 16 }, 300_000);
  // the last gesture ends a quiet time after the last turn
  await new Promise((r) => setTimeout(r, 1000));
  const all = await waitFor('the scroll gestures measured in the webview', () => {
    const s = viewOf(file)?.scrolls ?? [];
    return s.length > before && s.slice(before);
  });
  const sum = (f: (s: ScrollStats) => number) => all.reduce((a, s) => a + f(s), 0);
  const max = (f: (s: ScrollStats) => number) => Math.max(...all.map(f));
  // a percentile over the gestures, each counted by its frames
  const weighted = (f: (s: ScrollStats) => number, q: number) => {
    const sorted = [...all].sort((a, b) => f(a) - f(b));
    const total = sum((s) => s.frames);
    let seen = 0;
    for (const s of sorted) if ((seen += s.frames) >= q * total) return f(s);
    return f(sorted[sorted.length - 1]);
  };
  return {
    gestures: all.length,
    frames: sum((s) => s.frames),
    // the gestures' medians and 95th percentiles, weighted by their frames
    medianMs: weighted((s) => s.medianMs, 0.5),
    p95Ms: weighted((s) => s.p95Ms, 0.95),
    maxMs: max((s) => s.maxMs),
    longFrames: sum((s) => s.longFrames),
    blankFrames: sum((s) => s.blankFrames),
    lines: sum((s) => s.lines),
    durationMs: Math.round(sum((s) => s.durationMs)),
  };
}

suite('trace view', function () {
  this.timeout(1_500_000);
  let dir: string | undefined;

  suiteSetup(async function () {
    if (!driverAvailable()) {
      console.log('[locktrace-tests] no Playwright driver on this route: trace view tests skipped');
      this.skip();
    }
    await cleanUp();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  suiteTeardown(async () => {
    await cleanUp();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    if (dir) fs.rmSync(dir, { recursive: true, force: true });
  });

  test('the sample in the trace view: coloured lines, its finding, a lock hover, go to line', async () => {
    const file = SAMPLE_URI.fsPath;
    assert.strictEqual(await vscode.commands.executeCommand('locktrace.openTraceView', SAMPLE_URI, 35), true);
    await waitFor('the trace view tab', () => tabsOf(SAMPLE_URI).view === 1);
    await waitFor('the first paint', () => viewOf(file)?.paintAfterAnalysisMs !== null && viewOf(file));
    // the inversion's line, selected, coloured by the grammar, its finding in the gutter
    await viewText('.row.selected .ln', /^35$/);
    await viewText('.row[data-line="35"] .text', /lock_acquire: .* sb_writers$/);
    await viewText('.row[data-line="35"] .tk-variable', /^sb_writers$/);
    await viewText('.row[data-line="35"] .tk-type', /dio-reader/);
    await viewText('.row[data-line="35"] .glyph.sev-error', /^$/);
    await viewText('.row[data-line="35"] .squiggle-error', /^sb_writers$/);
    // a hover on the lock class: the same Markdown as the text editor's
    await driverRequest('webviewHover', { selector: `${VIEW} .row[data-line="35"] .tk-variable` });
    await viewText('.hover', /sb_writers.*lock class.*Held at line 35/s);
    assert.ok(viewOf(file)?.hovers.some((h) => h.line === 35 && h.found));
    // go to line in the toolbar
    await driverRequest('webviewClick', { selector: `${VIEW} input.goto` });
    await driverRequest('press', { key: 'Control+A' });
    for (const k of ['2', '0', 'Enter']) await driverRequest('press', { key: k });
    await viewText('.row.selected .ln', /^20$/);
    await driverRequest('screenshot', { name: 'trace-view-sample' });
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });

  test('a 500 MB trace: in the trace view, painted soon after its analysis, scrolling, a finding, a hover, the debugger', async () => {
    let file = process.env.LOCKTRACE_TRACE_VIEW_TRACE;
    let generated: { events: number; inversionLine: number; bytes: number } | undefined;
    const tGen = performance.now();
    if (!file) {
      dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-traceview-'));
      file = path.join(dir, 'big.ftrace');
      const mb = Number(process.env.LOCKTRACE_TRACE_VIEW_MB || 500);
      // the generator writes about 92.8 bytes an event in ftrace format
      generated = generateTrace(file, { events: Math.round((mb * 1e6) / 92.8), format: 'ftrace', seed: 3 });
    }
    const genMs = performance.now() - tGen;
    const uri = vscode.Uri.file(file);
    const bytes = fs.statSync(file).size;
    console.log(
      `[trace view] ${file}: ${bytes} bytes${generated ? `, ${generated.events} events generated in ${Math.round(genMs)} ms` : ''}`,
    );

    // opened like a user opens a file: VS Code makes a text tab, the extension puts the view in its place
    const t0 = performance.now();
    await vscode.commands.executeCommand('vscode.open', uri);
    await waitFor('the trace view in place of the text tab', () => {
      const t = tabsOf(uri);
      return t.view === 1 && t.text === 0;
    });
    const painted = await waitFor(
      'the first lines on screen',
      () => {
        const v = viewOf(file);
        return v && v.paintAfterAnalysisMs !== null && v;
      },
      1_200_000,
    );
    const openToPaintMs = performance.now() - t0;
    console.log(
      `[trace view] open: ${painted.lineCount} lines, analysis ${painted.analysisMs} ms, first lines on screen ${painted.paintAfterAnalysisMs} ms after it (${Math.round(openToPaintMs)} ms after vscode.open)`,
    );
    assert.ok(painted.lineCount >= painted.events / 2 && painted.events > 100_000, `${painted.lineCount} lines, ${painted.events} events`);
    await viewText('.row[data-line="1"] .ln', /^1$/);
    await driverRequest('screenshot', { name: 'trace-view-big-open' });

    // mouse wheel: at the start, then far into the file (lines never read before)
    const scrollStart = await wheel(file, 120, 60);
    // 60 turns of 120 px move the view by hundreds of 19 px lines
    assert.ok(scrollStart.lines > 100, `the wheel moved the view ${scrollStart.lines} lines`);
    await driverRequest('webviewClick', { selector: `${VIEW} input.goto` });
    await driverRequest('press', { key: 'Control+A' });
    const middle = String(Math.floor(painted.lineCount / 2));
    for (const k of [...middle, 'Enter']) await driverRequest('press', { key: k });
    await viewText('.row.selected .ln', new RegExp(`^${middle}$`));
    const scrollMiddle = await wheel(file, -240, 60);
    assert.ok(scrollMiddle.lines > 100, `the wheel moved the view ${scrollMiddle.lines} lines`);

    // a finding: the toolbar's next finding from the top, then the generated inversion through a hover link's command
    const findingLines = vscode.languages
      .getDiagnostics(uri)
      .filter((d) => d.source === 'locktrace' && typeof d.code === 'object')
      .map((d) => d.range.start.line + 1)
      .sort((a, b) => a - b);
    assert.ok(findingLines.length > 0, 'the big trace has findings');
    await vscode.commands.executeCommand('locktrace.openTraceView', uri, 1);
    await viewText('.row.selected .ln', /^1$/);
    await driverRequest('webviewClick', { selector: `${VIEW} button.next-finding` });
    await viewText('.row.selected .ln', new RegExp(`^${findingLines.find((l) => l > 1)}$`));
    const target = generated?.inversionLine ?? findingLines[0];
    await vscode.commands.executeCommand('locktrace.revealLine', uri.toString(), target);
    await viewText('.row.selected .ln', new RegExp(`^${target}$`));
    await viewText(`.row[data-line="${target}"] .glyph`, /^$/);
    assert.strictEqual(tabsOf(uri).text, 0, 'revealLine of a big trace does not open a text editor');

    // a hover on the lock class of that line
    const hoversBefore = viewOf(file)!.hovers.length;
    await driverRequest('webviewHover', { selector: `${VIEW} .row[data-line="${target}"] .tk-variable` });
    await viewText('.hover', new RegExp(`lock class.*Held at line ${target}`, 's'));
    const hover = viewOf(file)!
      .hovers.slice(hoversBefore)
      .find((h) => h.line === target && h.found);
    assert.ok(hover, 'the host answered the hover');
    await driverRequest('press', { key: 'Escape' });

    // the debugger: Debug to Line stops there; the view follows, the stack frames lead to it
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.commands.executeCommand('locktrace.openTraceView', uri);
    await waitFor('the view again', () => tabsOf(uri).view === 1);
    const debugLine = target;
    const tDebug = performance.now();
    assert.strictEqual(await vscode.commands.executeCommand('locktrace.debugToLine', uri.toString(), debugLine), true);
    await waitFor("the view at the debugger's line", () => viewOf(file)?.position === debugLine, 120_000);
    await viewText('.row.current .ln', new RegExp(`^${debugLine}$`));
    const debugMs = performance.now() - tDebug;
    const frame = await waitFor('a focused stack frame', () => {
      const a = vscode.debug.activeStackItem;
      return a instanceof vscode.DebugStackFrame && a;
    });
    // VS Code opened the focused frame's source: the view's URI, so no text tab
    await new Promise((r) => setTimeout(r, 1000));
    assert.deepStrictEqual(tabsOf(uri), { view: 1, text: 0 }, 'the stack frame opened the trace view');
    // another frame of the stack: the view marks its line
    const stack = (await frame.session.customRequest('stackTrace', { threadId: frame.threadId })) as {
      stackFrames: { id: number; line: number; source?: { path?: string } }[];
    };
    assert.match(stack.stackFrames[0].source?.path ?? '', /^locktrace-view:/, 'frames name the trace view');
    let frameLine: number | undefined;
    if (stack.stackFrames.length > 1) {
      await vscode.commands.executeCommand('workbench.action.debug.callStackDown');
      frameLine = stack.stackFrames[1].line;
      await viewText('.row.frame .ln, .row.current .ln', new RegExp(`^(${frameLine}|${debugLine})$`));
      await waitFor('the view at the frame', () => viewOf(file)?.revealed === frameLine);
      assert.deepStrictEqual(tabsOf(uri), { view: 1, text: 0 }, 'the other stack frame opened the trace view');
    }
    // the view's "Lock panel" opens the lock panel at its selected line; the panel's finding leads
    // back into the view (the panel reveals lines of a big trace there, not in a text tab)
    await vscode.commands.executeCommand('locktrace.openTraceView', uri, debugLine);
    await viewText('.row.selected .ln', new RegExp(`^${debugLine}$`));
    await driverRequest('webviewClick', { selector: `${VIEW} button.show-panel` });
    const panelHeader = await panelText('#lt-position', new RegExp(`^line ${debugLine} · `));
    assert.match(panelHeader, /debug session/, 'the panel follows the debug session');
    await vscode.commands.executeCommand('locktrace.openTraceView', uri, 1);
    await waitFor('the view at line 1', () => viewOf(file)?.revealed === 1);
    await driverRequest('webviewClick', { selector: '.lt-finding.lt-kind-inversion' });
    const panelFinding = await waitFor("the panel's finding revealed in the view", () => {
      const r = viewOf(file)?.revealed;
      return r !== undefined && r !== null && findingLines.includes(r) && r;
    });
    await viewText('.row.selected .ln', new RegExp(`^${panelFinding}$`));
    assert.deepStrictEqual(tabsOf(uri), { view: 1, text: 0 }, 'the lock panel revealed the line in the trace view');
    await driverRequest('screenshot', { name: 'trace-view-big-debug' });
    await cleanUp();
    await waitFor('the position cleared', () => viewOf(file)?.position === null);

    // opening again with the analysis in hand
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await waitFor('the view closed', () => !viewOf(file));
    const t1 = performance.now();
    await vscode.commands.executeCommand('locktrace.openTraceView', uri);
    const again = await waitFor(
      'the first lines on screen again',
      () => {
        const v = viewOf(file);
        return v && v.paintAfterAnalysisMs !== null && v;
      },
      600_000,
    );
    const reopenMs = performance.now() - t1;

    const result = {
      date: new Date().toISOString(),
      vscode: vscode.version,
      loadavg: os.loadavg().map((x) => Math.round(x * 100) / 100),
      file: generated ? `generated ${generated.events} events` : file,
      bytes,
      lines: painted.lineCount,
      events: painted.events,
      generateMs: Math.round(genMs),
      openToPaintMs: Math.round(openToPaintMs),
      analysisMs: painted.analysisMs,
      paintAfterAnalysisMs: painted.paintAfterAnalysisMs,
      reopen: { commandToPaintMs: Math.round(reopenMs), analysisMs: again.analysisMs, paintAfterAnalysisMs: again.paintAfterAnalysisMs },
      scrollStart,
      scrollMiddle,
      hoverHostMs: hover.ms,
      debugToLineMs: Math.round(debugMs),
      frameLine,
      lineRequestsAtFirstPaint: painted.lineRequests,
    };
    const out = process.env.LOCKTRACE_TRACE_VIEW_OUT ?? path.join(process.env.LOCKTRACE_TEST_ARTIFACTS ?? os.tmpdir(), 'trace-view.json');
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, `${JSON.stringify(result, null, 2)}\n`);
    console.log(`[trace view] ${JSON.stringify(result)}`);
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
});

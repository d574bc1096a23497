// The lock-state panel against a real debug session in the real extension host: the panel opens
// with the session, follows the stop at the inversion (read from inside the webview iframe through
// the Playwright driver and compared with what the adapter says), clicks in the panel move the
// debugger (VS Code's focused frame follows), the panel shares the session's analysis, and workbench
// screenshots in dark and light themes.
// Needs the driver (code-server route); skipped under VSCODE_EXECUTABLE.
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DapLog, SAMPLE_URI, cleanUp, launch, stackOf, stepAndStop, threadOf, vscodeAt, waitFor } from './dap';
import { driverAvailable, driverRequest } from './driver';
import { panelText } from './workbench';

const READER = '.lt-col[data-pid="2102"]';

suite('lock panel in a debug session', function () {
  this.timeout(120_000);
  let log: DapLog;
  let session: vscode.DebugSession;
  let readerThread: number;

  suiteSetup(async function () {
    if (!driverAvailable()) {
      console.log('[locktrace-tests] no Playwright driver on this route: lock panel tests skipped');
      this.skip();
    }
    log = new DapLog();
    await cleanUp();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.window.showTextDocument(SAMPLE_URI);
  });
  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('workbench').update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
    await cleanUp();
    log?.dispose();
  });

  test('the panel opens with the session and follows the stop at the inversion', async () => {
    session = await launch();
    const entry = await log.event<DebugProtocol.StoppedEvent>(session, 'stopped');
    await panelText('#lt-position', /^line 13 · .*debug session$/);
    await driverRequest('screenshot', { name: 'panel-session-entry' });
    // the panel works on the session's own analysis, not a second one (output channel says so)
    await vscode.commands.executeCommand('locktrace.showOutput');
    const out = await waitFor('the output channel', async () => {
      const { text } = await driverRequest('workbenchText', { selector: '.part.panel .monaco-editor .view-lines' });
      return text && /lock panel: using the analysis of debug session integration test/.test(text) && text;
    });
    assert.ok(out);
    await vscode.commands.executeCommand('workbench.action.closePanel');
    const stop = await stepAndStop(log, session, 'continue', { threadId: entry.body.threadId });
    readerThread = await threadOf(session, 'dio-reader-2102');
    assert.strictEqual(stop.body.threadId, readerThread);
    await vscodeAt(log, session, 35);
    const header = await panelText('#lt-position', /^line 35 · /);
    assert.match(header, /dio-reader\/2102 in io_submit/);
    await driverRequest('screenshot', { name: 'panel-session-line35' });
  });

  test("held locks in the panel match the adapter's call stack", async () => {
    // adapter: dio-reader's lock frames, innermost first, e.g. `sb_writers (held since io_submit, line 35)`
    const frames = await stackOf(session, readerThread);
    const locks = frames.slice(1, -1).map((f) => {
      const m = /^(.*) \(held since (\S+), line (\d+)\)$/.exec(f.name);
      assert.ok(m, `lock frame: ${f.name}`);
      return { className: m[1], syscall: m[2], line: Number(m[3]) };
    });
    assert.deepStrictEqual(
      locks.map((l) => l.className),
      ['sb_writers', '&inode->i_dio_map'],
    );
    // panel: the same stack, innermost on top, each with its line and syscall
    for (const [k, l] of locks.entries()) {
      const text = await panelText(`${READER} .lt-stack li:nth-child(${k + 1}) .lt-held`, /L\d+/);
      assert.ok(text.startsWith(l.className), `${text} starts with ${l.className}`);
      assert.ok(text.includes(`L${l.line} · ${l.syscall}`), `${text} has L${l.line} · ${l.syscall}`);
    }
    // &inode->i_dio_map came from an earlier syscall (io_uring_enter): marked as held across it
    assert.match(await panelText(`${READER} .lt-held[data-class="&inode->i_dio_map"]`, /./), /across syscall/);
    assert.doesNotMatch(await panelText(`${READER} .lt-held[data-class="sb_writers"]`, /./), /across syscall/);
    assert.match(await panelText(`${READER}[aria-current="true"] .lt-syscall-now`, /./), /in io_submit/);
    assert.match(await panelText('.lt-col[data-pid="2101"]', /./), /no locks held/);
    // the evaluate language says the same
    const ev = (await session.customRequest('evaluate', {
      expression: 'holders("sb_writers")',
      frameId: frames[0].id,
      context: 'repl',
    })) as DebugProtocol.EvaluateResponse['body'];
    assert.match(ev.result, /dio-reader-2102/);
  });

  test('the timeline highlights io_submit of pid 2102 where the inversion shows up', async () => {
    const lane = await panelText('.lt-lane-label.lt-current', /2102/);
    assert.match(lane, /dio-reader/);
    const inv = await panelText('.lt-lane.lt-current .lt-sys.lt-hl-inversion', /./);
    assert.match(inv, /^io_submit \(NR 209\), lines 32–36, the inversion shows up here/);
  });

  test('the graph draws the cycle the adapter reports', async () => {
    const info = (await session.customRequest('exceptionInfo', { threadId: readerThread })) as DebugProtocol.ExceptionInfoResponse['body'];
    const details = info.details?.message ?? '';
    // e.g. `  sb_writers -> &inode->i_dio_map: line 20, aio-writer/2101 in io_uring_enter, …`
    const cycle = [...details.matchAll(/^ {2}(\S+) -> (\S+): line (\d+), \S+ in (\S+),/gm)].map((m) => ({
      from: m[1],
      to: m[2],
      line: m[3],
      syscall: m[4],
    }));
    assert.strictEqual(cycle.length, 2, details);
    for (const e of cycle) {
      const text = await panelText(`.lt-edge.lt-in-cycle[data-from="${e.from}"][data-to="${e.to}"]`, /./);
      assert.ok(text.endsWith(`${e.syscall}:${e.line}`), `edge label of ${e.from} -> ${e.to}: ${text}`);
      assert.match(text, new RegExp(`made at line ${e.line}`));
    }
    assert.match(await panelText('.lt-finding.lt-selected .lt-finding-title', /./), /^inversion: &inode->i_dio_map ⇄ sb_writers$/);
  });

  test('workbench screenshots with the panel in dark and light themes (before any click scrolls it)', async () => {
    // room for the editor and the panel: no side bars, no bottom panel
    for (const c of ['workbench.action.closePanel', 'workbench.action.closeSidebar', 'workbench.action.closeAuxiliaryBar']) {
      await vscode.commands.executeCommand(c);
    }
    const workbench = vscode.workspace.getConfiguration('workbench');
    for (const [name, theme, kind] of [
      ['dark', 'Default Dark Modern', vscode.ColorThemeKind.Dark],
      ['light', 'Default Light Modern', vscode.ColorThemeKind.Light],
    ] as const) {
      await workbench.update('colorTheme', theme, vscode.ConfigurationTarget.Global);
      await waitFor(`the ${name} theme`, () => vscode.window.activeColorTheme.kind === kind);
      // the webview got the theme: VS Code sets vscode-dark / vscode-light on its body
      await panelText(`body.vscode-${name} #lt-position`, /^line 35 · /);
      await new Promise((r) => setTimeout(r, 500)); // let the workbench finish repainting
      const { path } = await driverRequest('screenshot', { name: `workbench-panel-${name}` });
      assert.ok(path.endsWith(`workbench-panel-${name}.png`));
    }
  });
  test('clicking in the panel moves the debugger', async () => {
    // a held lock → where it was taken (line 29, same task)
    let m = log.mark(session);
    await driverRequest('webviewClick', { selector: `${READER} .lt-held[data-class="&inode->i_dio_map"]` });
    let stop = await log.event<DebugProtocol.StoppedEvent>(session, 'stopped', m);
    assert.strictEqual(stop.body.reason, 'goto');
    assert.strictEqual(stop.body.threadId, readerThread);
    await vscodeAt(log, session, 29);
    await panelText('#lt-position', /^line 29 · /);
    await driverRequest('screenshot', { name: 'panel-session-click-line29' });

    // a lock-order edge → where it was made (line 20, aio-writer)
    m = log.mark(session);
    await driverRequest('webviewClick', { selector: '.lt-edge[data-from="sb_writers"][data-to="&inode->i_dio_map"] text' });
    stop = await log.event<DebugProtocol.StoppedEvent>(session, 'stopped', m);
    assert.strictEqual(stop.body.threadId, await threadOf(session, 'aio-writer-2101'));
    await vscodeAt(log, session, 20);
    await panelText('#lt-position', /^line 20 · .* · aio-writer\/2101 in io_uring_enter · /);

    // the finding → back to the inversion
    m = log.mark(session);
    await driverRequest('webviewClick', { selector: '.lt-finding.lt-kind-inversion' });
    stop = await log.event<DebugProtocol.StoppedEvent>(session, 'stopped', m);
    assert.strictEqual(stop.body.threadId, readerThread);
    await vscodeAt(log, session, 35);
    await panelText('#lt-position', /^line 35 · /);
    // the editor shows the line too
    await waitFor('the editor at line 35', () =>
      vscode.window.visibleTextEditors.some((e) => e.document.uri.toString() === SAMPLE_URI.toString() && e.selection.active.line === 34),
    );
  });

  test('without a session, "Show in lock panel" of a finding moves the panel itself to its line', async () => {
    await cleanUp();
    await vscode.commands.executeCommand('locktrace.showPanel', SAMPLE_URI, 20);
    const header = await panelText('#lt-position', /^line 20 · /);
    assert.doesNotMatch(header, /debug session/);
    assert.match(header, /aio-writer\/2101 in io_uring_enter/);
  });
});

// The debug adapter through VS Code's real debugger API (extension host, inline adapter): launches
// on the shared sample, stops, stepping back, goto, breakpoints set through vscode.debug, evaluate,
// debug hovers on lock classes, the end of the trace, the no-launch.json command and a bad
// program path. A DebugAdapterTracker
// (./dap.ts) records what the adapter sent so the tests see the same stopped events VS Code saw.
import * as assert from 'assert';
import * as vscode from 'vscode';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { driverAvailable, driverRequest } from './driver';
import { DapLog, SAMPLE, SAMPLE_URI, cleanUp, launch, stackOf, stepAndStop, threadOf, vscodeAt, waitFor } from './dap';

suite('debugging a trace in VS Code', function () {
  this.timeout(60_000);
  let log: DapLog;

  suiteSetup(async () => {
    log = new DapLog();
    await vscode.window.showTextDocument(SAMPLE_URI);
  });
  suiteTeardown(async () => {
    await cleanUp();
    log.dispose();
  });
  teardown(cleanUp);

  /** Launches with stopOnEntry and continues to the inversion; returns the session and the stop. */
  async function toInversion(): Promise<{ session: vscode.DebugSession; stop: DebugProtocol.StoppedEvent }> {
    const session = await launch();
    const entry = await log.event<DebugProtocol.StoppedEvent>(session, 'stopped');
    assert.strictEqual(entry.body.reason, 'entry');
    const stop = await stepAndStop(log, session, 'continue', { threadId: entry.body.threadId });
    // let VS Code catch up (it asks for the stack and the exception info) before the next request
    await vscodeAt(log, session, 35);
    return { session, stop };
  }

  test('continue stops on the inversion at line 35 with the cycle in exceptionInfo', async () => {
    const { session, stop } = await toInversion();
    assert.strictEqual(stop.body.reason, 'exception');
    assert.match(stop.body.text ?? '', /possible circular locking dependency/);
    const reader = await threadOf(session, 'dio-reader-2102');
    assert.strictEqual(stop.body.threadId, reader);
    const frames = await stackOf(session, reader);
    assert.strictEqual(frames[0].line, 35);
    // in a remote window VS Code hands sources to extensions as remote URIs
    assert.strictEqual(vscode.Uri.parse(frames[0].source!.path!).path, SAMPLE);
    const info = (await session.customRequest('exceptionInfo', { threadId: reader })) as DebugProtocol.ExceptionInfoResponse['body'];
    assert.strictEqual(info.exceptionId, 'inversion');
    assert.match(info.details?.message ?? '', /&inode->i_dio_map -> sb_writers: line 35, dio-reader\/2102 in io_submit/);
    assert.match(
      info.details?.message ?? '',
      /sb_writers -> &inode->i_dio_map: line 20, aio-writer\/2101 in io_uring_enter, holding sb_writers since line 16 \(io_submit\)/,
    );
    // VS Code focused the stopped thread's top frame
    assert.strictEqual((await vscodeAt(log, session, 35)).threadId, reader);
  });

  test('stepBack from the inversion returns to line 34', async () => {
    const { session, stop } = await toInversion();
    const back = await stepAndStop(log, session, 'stepBack', { threadId: stop.body.threadId });
    assert.strictEqual(back.body.reason, 'step');
    assert.strictEqual((await stackOf(session, back.body.threadId!))[0].line, 34);
  });

  test('goto line 20 shows aio-writer holding sb_writers taken in io_submit at line 16', async () => {
    const { session, stop } = await toInversion();
    // the source as VS Code hands it out (in a remote window a plain local path would be taken
    // for a file on the client: `vscode-local:/…`), as Run to Cursor would send it
    const source = (await stackOf(session, stop.body.threadId!))[0].source;
    const targets = (await session.customRequest('gotoTargets', { source, line: 20 })) as DebugProtocol.GotoTargetsResponse['body'];
    assert.strictEqual(targets.targets.length, 1);
    assert.strictEqual(targets.targets[0].line, 20);
    const moved = await stepAndStop(log, session, 'goto', { threadId: stop.body.threadId, targetId: targets.targets[0].id });
    const writer = await threadOf(session, 'aio-writer-2101');
    assert.strictEqual(moved.body.threadId, writer);
    const names = (await stackOf(session, writer)).map((f) => `${f.name} @${f.line}`);
    assert.deepStrictEqual(names, [
      'acquire &inode->i_dio_map @20',
      '&inode->i_dio_map (held since io_uring_enter, line 20) @20',
      '&ctx->uring_lock (held since io_uring_enter, line 19) @19',
      'sb_writers (held since io_submit, line 16) @16',
      'io_uring_enter (entered at line 18) @18',
    ]);
  });

  test('locktraceSeek moves the replay and VS Code follows', async () => {
    const session = await launch();
    await log.event(session, 'stopped');
    const m = log.mark(session);
    const body = (await session.customRequest('locktraceSeek', { line: 29 })) as { line: number; index: number };
    assert.strictEqual(body.line, 29);
    const stop = await log.event<DebugProtocol.StoppedEvent>(session, 'stopped', m);
    assert.strictEqual(stop.body.threadId, await threadOf(session, 'dio-reader-2102'));
    await vscodeAt(log, session, 29);
  });

  test('scopes and variables of the inversion frame', async () => {
    const { session, stop } = await toInversion();
    const top = (await stackOf(session, stop.body.threadId!))[0];
    const scopes = (await session.customRequest('scopes', { frameId: top.id })) as DebugProtocol.ScopesResponse['body'];
    assert.deepStrictEqual(
      scopes.scopes.map((s) => s.name),
      ['Event', 'Held locks', 'Syscall', 'Lock graph', 'Findings so far'],
    );
    const held = scopes.scopes.find((s) => s.name === 'Held locks')!;
    const vars = (await session.customRequest('variables', {
      variablesReference: held.variablesReference,
    })) as DebugProtocol.VariablesResponse['body'];
    assert.deepStrictEqual(
      vars.variables.map((v) => v.name),
      ['sb_writers', '&inode->i_dio_map'],
    );
  });

  test('a line breakpoint added with vscode.debug.addBreakpoints is hit', async () => {
    const session = await launch();
    await log.event(session, 'stopped');
    const m = log.mark(session);
    const bp = new vscode.SourceBreakpoint(new vscode.Location(SAMPLE_URI, new vscode.Position(29, 0))); // line 30
    vscode.debug.addBreakpoints([bp]);
    const set = await log.response<DebugProtocol.SetBreakpointsResponse>(session, 'setBreakpoints', m);
    assert.deepStrictEqual(
      set.body.breakpoints.map((b) => [b.verified, b.line]),
      [[true, 30]],
    );
    const stop = await stepAndStop(log, session, 'continue', { threadId: 1 });
    assert.strictEqual(stop.body.reason, 'breakpoint');
    assert.strictEqual((await stackOf(session, stop.body.threadId!))[0].line, 30);
    // VS Code maps the hit to its own breakpoint object
    assert.ok(stop.body.hitBreakpointIds?.length);
  });

  test('a function breakpoint syscall:io_submit is hit', async () => {
    const session = await launch();
    const entry = await log.event<DebugProtocol.StoppedEvent>(session, 'stopped');
    const m = log.mark(session);
    vscode.debug.addBreakpoints([new vscode.FunctionBreakpoint('syscall:io_submit')]);
    const set = await log.response<DebugProtocol.SetFunctionBreakpointsResponse>(session, 'setFunctionBreakpoints', m);
    assert.strictEqual(set.body.breakpoints[0].verified, true);
    // the entry is io_submit of aio-writer (line 13); the next one is dio-reader's at line 32
    const stop = await stepAndStop(log, session, 'continue', { threadId: entry.body.threadId });
    assert.strictEqual(stop.body.reason, 'function breakpoint');
    assert.strictEqual(stop.body.threadId, await threadOf(session, 'dio-reader-2102'));
    assert.strictEqual((await stackOf(session, stop.body.threadId))[0].line, 32);
  });

  test('evaluate sb_writers at the inversion gives its holder (watch, hover and repl)', async () => {
    const { session, stop } = await toInversion();
    const top = (await stackOf(session, stop.body.threadId!))[0];
    for (const context of ['watch', 'hover', 'repl']) {
      const r = (await session.customRequest('evaluate', {
        expression: 'sb_writers',
        frameId: top.id,
        context,
      })) as DebugProtocol.EvaluateResponse['body'];
      assert.match(r.result, /^sb_writers: held by dio-reader-2102 \(since line 35 in io_submit\)/, context);
      assert.ok(r.variablesReference > 0, 'expandable');
    }
    const r = (await session.customRequest('evaluate', {
      expression: 'holders("&inode->i_dio_map")',
      frameId: top.id,
      context: 'repl',
    })) as DebugProtocol.EvaluateResponse['body'];
    assert.match(r.result, /dio-reader-2102/);
  });

  test('a debug hover evaluates the whole lock class and address (EvaluatableExpressionProvider)', async () => {
    const { session } = await toInversion();
    const editor = await vscode.window.showTextDocument(SAMPLE_URI, { viewColumn: vscode.ViewColumn.One, preserveFocus: false });
    // line 29: `… lock_acquire: 00000000f13b2c07 &inode->i_dio_map`; the default word would be `i_dio_map`
    const line = editor.document.lineAt(28).text;
    for (const [at, expression, result] of [
      ['i_dio_map', '&inode->i_dio_map', /^&inode->i_dio_map: held by dio-reader-2102 \(since line 29 in io_uring_enter\)/],
      ['f13b2c07', '00000000f13b2c07', /^0xf13b2c07: held by dio-reader-2102/],
    ] as const) {
      const pos = new vscode.Position(28, line.indexOf(at) + 2);
      editor.selection = new vscode.Selection(pos, pos);
      const m = log.mark(session);
      await vscode.commands.executeCommand('editor.debug.action.showDebugHover');
      const req = await waitFor(`a hover evaluate of ${expression}`, () =>
        log
          .messages(session, m)
          .find((x): x is DebugProtocol.EvaluateRequest => x.type === 'request' && (x as DebugProtocol.Request).command === 'evaluate'),
      );
      assert.deepStrictEqual([req.arguments.expression, req.arguments.context], [expression, 'hover']);
      const res = await log.response<DebugProtocol.EvaluateResponse>(session, 'evaluate', m);
      assert.strictEqual(res.success, true, res.message);
      assert.match(res.body.result, result);
      if (driverAvailable()) {
        const { text } = await driverRequest('workbenchText', { selector: '.debug-hover-widget' });
        assert.match(text ?? '', /held by dio-reader-2102/);
        await driverRequest('screenshot', { name: `debug-hover-${at}` });
        await driverRequest('press', { key: 'Escape' });
      }
    }
  });

  test('the session terminates at the end of the trace', async () => {
    const { session, stop } = await toInversion();
    const ended = new Promise<void>((resolve) => {
      const sub = vscode.debug.onDidTerminateDebugSession((s) => {
        if (s.id !== session.id) return;
        sub.dispose();
        resolve();
      });
    });
    const m = log.mark(session);
    await session.customRequest('continue', { threadId: stop.body.threadId });
    await log.event(session, 'terminated', m);
    await ended;
    assert.strictEqual(vscode.debug.activeDebugSession, undefined);
  });

  test('locktrace.debugTrace launches the active trace without a launch.json', async () => {
    assert.strictEqual(
      vscode.workspace.getConfiguration('launch').get<unknown[]>('configurations', []).length,
      0,
      'the test workspace has no launch configurations',
    );
    await vscode.window.showTextDocument(SAMPLE_URI);
    const started = new Promise<vscode.DebugSession>((resolve) => {
      const sub = vscode.debug.onDidStartDebugSession((s) => {
        sub.dispose();
        resolve(s);
      });
    });
    await vscode.commands.executeCommand('locktrace.debugTrace');
    const session = await started;
    assert.strictEqual(session.type, 'locktrace');
    assert.strictEqual(session.configuration.program, SAMPLE);
    const entry = await log.event<DebugProtocol.StoppedEvent>(session, 'stopped');
    assert.strictEqual(entry.body.reason, 'entry');
    assert.strictEqual((await stackOf(session, entry.body.threadId!))[0].line, 13);
  });

  test('a bad program path gives a clear error and the extension host survives', async () => {
    const missing = `${SAMPLE}.missing`;
    let launchError: DebugProtocol.Response | undefined;
    const sub = vscode.debug.onDidStartDebugSession(() => undefined);
    const tracker = vscode.debug.registerDebugAdapterTrackerFactory('locktrace', {
      createDebugAdapterTracker: () => ({
        onDidSendMessage: (m: DebugProtocol.ProtocolMessage) => {
          if (m.type === 'response' && (m as DebugProtocol.Response).command === 'launch') launchError = m as DebugProtocol.Response;
        },
      }),
    });
    try {
      const result = vscode.debug.startDebugging(undefined, { type: 'locktrace', request: 'launch', name: 'bad', program: missing });
      const response = await waitFor('the launch response', () => launchError);
      assert.strictEqual(response.success, false);
      assert.strictEqual(response.message, `locktrace: cannot open trace file ${missing}: no such file`);
      // VS Code shows it to the user (showUser) in a modal dialog and startDebugging resolves false
      // once it is closed; code-server's smoke-test mode refuses dialogs instead, and the refusal
      // (which quotes the dialog's text) rejects startDebugging.
      const outcome = await result.then(
        (ok) => (ok ? 'started' : 'not started'),
        (e: Error) => e.message,
      );
      assert.ok(outcome === 'not started' || /refused to show dialog.*cannot open trace file/.test(outcome), outcome);
    } finally {
      tracker.dispose();
      sub.dispose();
    }
    // the extension host and the debug type still work
    const session = await launch();
    const entry = await log.event<DebugProtocol.StoppedEvent>(session, 'stopped');
    assert.strictEqual(entry.body.reason, 'entry');
  });
});

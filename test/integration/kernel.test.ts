// A real lockdep kernel trace in the real extension host: the lockseed abba capture of the QEMU
// lockdep kernel (test/workspace/kernel/lockseed-abba.trace, unpacked from
// test/fixtures/kernel/abba/trace.txt.gz), where the kernel's own lockdep reported an AB-BA
// inversion between &dev->a_lock and &dev->b_lock. The editor shows that inversion as a diagnostic
// at the line of the acquire lockdep flagged, hovers on kernel lock classes tell holders, contexts
// and locks held since before the trace; the debugger stops there and the lock panel shows it (held
// stacks, timeline, finding). The same capture as `trace-cmd report` without `-l` has no latency
// flags: the warning about it reaches the Problems view and the debug console.
// The freeheld capture (kmem events, raw pointers): lockdep's "held lock freed" is a diagnostic at
// the kfree with the acquisition and the allocation as related lines, and the debugger stops there.
// Panel checks and screenshots need the driver (code-server route).
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as zlib from 'zlib';
import * as vscode from 'vscode';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DapLog, REPO, cleanUp, launch, stackOf, stepAndStop, threadOf, vscodeAt, waitFor } from './dap';
import { driverAvailable, driverRequest } from './driver';
import { kindOf } from './findingCode';
import { at, hoverText, panelText } from './workbench';

const ABBA = path.join(REPO, 'test/workspace/kernel/lockseed-abba.trace');
const ABBA_URI = vscode.Uri.file(ABBA);
/** The inversion lockdep reported: ls_seed/66 takes &dev->a_lock holding &dev->b_lock (line 2541). */
const INVERSION_LINE = 2545;

/** locktrace's diagnostics of a URI, once `ok` accepts them. */
function diagnosticsOf(uri: vscode.Uri, ok: (d: vscode.Diagnostic[]) => boolean): Promise<vscode.Diagnostic[]> {
  // the first analysis also waits for the extension to activate: slow on a loaded machine
  return waitFor(
    `locktrace diagnostics on ${path.basename(uri.fsPath)}`,
    () => {
      const d = vscode.languages.getDiagnostics(uri).filter((x) => x.source === 'locktrace');
      return d.length > 0 && ok(d) && d;
    },
    60_000,
  );
}

/** Temp folders of unpacked captures, removed after the suite. */
const unpacked: string[] = [];

/** A gzipped capture of test/fixtures/kernel, unpacked into a fresh temp folder. */
function unpack(rel: string, name: string): vscode.Uri {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-kernel-'));
  unpacked.push(dir);
  const file = path.join(dir, name);
  fs.writeFileSync(file, zlib.gunzipSync(fs.readFileSync(path.join(REPO, 'test/fixtures/kernel', rel))));
  return vscode.Uri.file(file);
}

suite('real kernel trace (lockseed abba capture)', function () {
  this.timeout(120_000);
  let log: DapLog;
  let doc: vscode.TextDocument;

  suiteSetup(async () => {
    log = new DapLog();
    await cleanUp();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    doc = await vscode.workspace.openTextDocument(ABBA_URI);
    await vscode.window.showTextDocument(doc);
  });
  suiteTeardown(async () => {
    await vscode.workspace.getConfiguration('workbench').update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
    await cleanUp();
    log?.dispose();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const dir of unpacked) fs.rmSync(dir, { recursive: true, force: true });
  });
  teardown(cleanUp);

  test('the inversion lockdep reported is the one diagnostic, on &dev->a_lock at its line, with the other edge', async () => {
    assert.strictEqual(doc.languageId, 'locktrace');
    const ds = await diagnosticsOf(doc.uri, (d) => d.some((x) => kindOf(x) === 'inversion'));
    // nothing else: no false reports on the kernel's own locks (rcu, runqueue handoff, the tracer's locks)
    assert.deepStrictEqual(
      ds.map((d) => `${kindOf(d)}:${d.range.start.line + 1}`),
      [`inversion:${INVERSION_LINE}`],
    );
    const inv = ds[0];
    assert.strictEqual(inv.severity, vscode.DiagnosticSeverity.Error);
    assert.strictEqual(doc.getText(inv.range), '&dev->a_lock');
    assert.match(
      inv.message,
      /possible circular locking dependency: ls_seed\/66 is trying to acquire &dev->a_lock in ioctl \(line 2545\)\n\s+while holding &dev->b_lock \(acquired at line 2541 in ioctl\)/,
    );
    assert.match(inv.message, /every edge was made inside one syscall: an in-kernel lock order problem/);
    const related = inv.relatedInformation!.map((r) => `${r.location.range.start.line + 1}: ${r.message}`);
    for (const want of [
      '2280: &dev->a_lock -> &dev->b_lock made here by ls_seed/65 in ioctl',
      '2541: &dev->b_lock acquired here by ls_seed/66 in ioctl',
      '2245: &dev->a_lock acquired here by ls_seed/65 in ioctl',
    ])
      assert.ok(related.includes(want), `${want}\nin:\n${related.join('\n')}`);
  });

  test('hovers on kernel lock classes: the inversion, a softirq on top of an ioctl, a hardirq on top of locks held since before the trace', async () => {
    const a = await hoverText(doc, at(doc, INVERSION_LINE, '&dev->a_lock', 5));
    assert.match(a, /\*\*`&dev->a_lock`\*\* — lock class \(kernel\)/);
    assert.match(
      a,
      /- ls_seed\/66 since \[line 2545\]\([^)]*\) in `ioctl`, while holding `&dev->b_lock` \(since \[line 2541\]\([^)]*\) in `ioctl`\)/,
    );
    assert.match(a, /`&dev->a_lock -> &dev->b_lock` first made at \[line 2280\]\([^)]*\) in `ioctl` by ls_seed\/65/);
    assert.match(a, /lock order inversion \(in-kernel\) at \[line 2545\]/);
    // &pool->lock at line 2260: a softirq's lock, on top of ls_seed/65's ioctl holding &dev->a_lock
    const pool = await hoverText(doc, at(doc, 2260, '&pool->lock', 3));
    assert.match(pool, /- ls_seed\/65 since \[line 2259\]\([^)]*\) in `ioctl` \(in softirq\), while holding `&dev->a_lock`/);
    // line 13, the first event: a hardirq's lock on top of sb_writers and trace_types_lock, which the
    // tracer's own `echo 1 > tracing_on` took before the trace began
    const hr = await hoverText(doc, at(doc, 13, 'hrtimer_bases.lock', 3));
    assert.match(
      hr,
      /- ls_seed\/65 since \[line 13\]\([^)]*\) \(in hardirq\), while holding `sb_writers` \(since before the trace began\), `trace_types_lock` \(since before the trace began\)/,
    );
    assert.doesNotMatch(hr, /userspace/);
  });

  test('the debugger stops at the inversion with both edges; the panel shows it', async () => {
    const session = await launch({ program: ABBA, name: 'kernel abba' });
    const entry = await log.event<DebugProtocol.StoppedEvent>(session, 'stopped');
    assert.strictEqual(entry.body.reason, 'entry');
    const stop = await stepAndStop(log, session, 'continue', { threadId: entry.body.threadId });
    assert.strictEqual(stop.body.reason, 'exception');
    const seed66 = await threadOf(session, 'ls_seed-66');
    assert.strictEqual(stop.body.threadId, seed66);
    await vscodeAt(log, session, INVERSION_LINE);
    const frames = await stackOf(session, seed66);
    assert.deepStrictEqual(
      frames.map((f) => `${f.name} @${f.line}`),
      [
        'acquire &dev->a_lock @2545',
        '&dev->a_lock (held since ioctl, line 2545) @2545',
        '&dev->b_lock (held since ioctl, line 2541) @2541',
        'ioctl (entered at line 2539) @2539',
      ],
    );
    const info = (await session.customRequest('exceptionInfo', { threadId: seed66 })) as DebugProtocol.ExceptionInfoResponse['body'];
    assert.strictEqual(info.exceptionId, 'inversion');
    assert.match(
      info.details?.message ?? '',
      /^ {2}&dev->a_lock -> &dev->b_lock: line 2280, ls_seed\/65 in ioctl, holding &dev->a_lock since line 2245 \(ioctl\)$/m,
    );
    // at the first event, the tracer's locks are held since before the trace, and ls_seed/65 is
    // still inside the write that started tracing
    const m = log.mark(session);
    await session.customRequest('locktraceSeek', { line: 20 });
    await log.event<DebugProtocol.StoppedEvent>(session, 'stopped', m);
    const seed65 = await threadOf(session, 'ls_seed-65');
    const early = (await stackOf(session, seed65)).map((f) => f.name);
    assert.deepStrictEqual(early.slice(-3), [
      'trace_types_lock (held since before the trace)',
      'sb_writers (held since before the trace)',
      'write (entered before the trace)',
    ]);

    if (!driverAvailable()) {
      console.log('[locktrace-tests] no Playwright driver on this route: kernel panel checks skipped');
      return;
    }
    await panelText('#lt-position', /^line 20 · /);
    const col65 = '.lt-col[data-pid="65"]';
    assert.match(await panelText(`${col65} .lt-held[data-class="sb_writers"]`, /./), /since before the trace/);
    assert.match(await panelText(`${col65} .lt-syscall-now`, /./), /in write/);
    // back to the inversion: the panel follows the debugger
    const back = log.mark(session);
    await session.customRequest('locktraceSeek', { line: INVERSION_LINE });
    await log.event<DebugProtocol.StoppedEvent>(session, 'stopped', back);
    await vscodeAt(log, session, INVERSION_LINE);
    const header = await panelText('#lt-position', /^line 2545 · /);
    assert.match(header, /ls_seed\/66 in ioctl/);
    const col66 = '.lt-col[data-pid="66"]';
    assert.strictEqual(await panelText(`${col66} .lt-stack li:nth-child(1) .lt-held-class`, /./), '&dev->a_lock');
    assert.strictEqual(await panelText(`${col66} .lt-stack li:nth-child(2) .lt-held-class`, /./), '&dev->b_lock');
    assert.match(await panelText(`${col66} .lt-held[data-class="&dev->b_lock"]`, /./), /L2541 · ioctl/);
    assert.match(await panelText('.lt-finding.lt-selected .lt-finding-title', /./), /^inversion: &dev->a_lock ⇄ &dev->b_lock$/);
    assert.match(await panelText('.lt-lane.lt-current .lt-sys.lt-hl-inversion', /./), /^ioctl \(NR 16\), lines 2539–/);
    // the lock-order graph draws both edges of the cycle, each labelled with where it was made
    assert.match(await panelText('.lt-edge.lt-in-cycle[data-from="&dev->a_lock"][data-to="&dev->b_lock"]', /./), /made at line 2280/);
    assert.match(await panelText('.lt-edge.lt-in-cycle[data-from="&dev->b_lock"][data-to="&dev->a_lock"]', /./), /made at line 2545/);
    // 75 classes so far: the graph shows the inversion's two classes (all ls_seed/66 holds), not a tangle
    assert.match(
      await panelText('.lt-graph-scope-text', /./),
      /^showing 2 of \d+ classes: the cycle, the locks ls_seed\/66 holds and their neighbours$/,
    );

    // screenshot for the README: the editor at the inversion with the exception widget, the panel beside
    for (const c of ['workbench.action.closePanel', 'workbench.action.closeSidebar', 'workbench.action.closeAuxiliaryBar']) {
      await vscode.commands.executeCommand(c);
    }
    const workbench = vscode.workspace.getConfiguration('workbench');
    await workbench.update('colorTheme', 'Default Dark Modern', vscode.ConfigurationTarget.Global);
    await waitFor('the dark theme', () => vscode.window.activeColorTheme.kind === vscode.ColorThemeKind.Dark);
    await panelText('body.vscode-dark #lt-position', /^line 2545 · /);
    await new Promise((r) => setTimeout(r, 800)); // let the workbench finish repainting
    await driverRequest('screenshot', { name: 'kernel-abba-inversion' });
  });

  test('held lock freed (the freeheld capture): the diagnostic at the kfree lockdep flagged, with the acquire and the allocation; the debugger stops there', async () => {
    // ls_seed/71 kfree()s the object whose mutex &obj->lock it holds; kmem events on, raw pointers
    const uri = unpack('freeheld/trace.txt.gz', 'lockseed-freeheld.trace');
    await vscode.workspace.openTextDocument(uri);
    const ds = await diagnosticsOf(uri, (d) => d.some((x) => kindOf(x) === 'held-lock-freed'));
    const freed = ds.filter((x) => kindOf(x) === 'held-lock-freed');
    assert.strictEqual(freed.length, 1, ds.map((x) => x.message).join('\n'));
    const f = freed[0];
    assert.strictEqual(f.range.start.line + 1, 1721);
    assert.strictEqual(f.severity, vscode.DiagnosticSeverity.Error);
    assert.match(
      f.message,
      /frees 0xffff88800033e0c0-0xffff88800033e180 \(kfree, 192 bytes allocated at line 1716\) while holding &obj->lock at 0xffff88800033e130/,
    );
    assert.deepStrictEqual(
      (f.relatedInformation ?? []).map((r) => [r.location.range.start.line + 1, r.message]),
      [
        [1717, '&obj->lock acquired here'],
        [1716, 'the freed memory allocated here (192 bytes)'],
      ],
    );
    const session = await launch({ program: uri.fsPath, name: 'kernel freeheld' });
    const entry = await log.event<DebugProtocol.StoppedEvent>(session, 'stopped');
    // only inversions stop by default: tick "Memory of a held lock freed" as a user would
    await session.customRequest('setExceptionBreakpoints', { filters: ['inversion', 'held-lock-freed'] });
    const stop = await stepAndStop(log, session, 'continue', { threadId: entry.body.threadId });
    assert.strictEqual(stop.body.reason, 'exception');
    assert.strictEqual(stop.body.threadId, await threadOf(session, 'ls_seed-71'));
    await vscodeAt(log, session, 1721);
    const info = (await session.customRequest('exceptionInfo', {
      threadId: stop.body.threadId,
    })) as DebugProtocol.ExceptionInfoResponse['body'];
    assert.strictEqual(info.exceptionId, 'held-lock-freed');
    const frames = (await stackOf(session, stop.body.threadId)).map((f) => f.name);
    assert.ok(
      frames.some((n) => n.startsWith('&obj->lock')),
      frames.join(' | '),
    );
  });

  test('a trace-cmd report without the latency flags: the warning is in the Problems view and the debug console', async () => {
    const plain = unpack('abba-tracecmd/trace-cmd-report.txt.gz', 'abba-trace-cmd-report.trace');
    assert.strictEqual((await vscode.workspace.openTextDocument(plain)).languageId, 'locktrace');
    const ds = await diagnosticsOf(plain, (d) => d.some((x) => kindOf(x) === 'parse-warning') && d.some((x) => kindOf(x) === 'inversion'));
    const warn = ds.find((x) => kindOf(x) === 'parse-warning')!;
    assert.strictEqual(warn.severity, vscode.DiagnosticSeverity.Information);
    assert.strictEqual(warn.range.start.line + 1, 4);
    assert.match(
      warn.message,
      /^no latency-flags column \(irqs-off\/softirq\/hardirq\): .*use `trace-cmd report -l`, or record with `locktrace record --kernel`/,
    );
    // the inversion is still found (same report of lockdep, in this capture's own line numbers)
    assert.match(ds.find((x) => kindOf(x) === 'inversion')!.message, /ls_seed\/81 is trying to acquire &dev->a_lock in ioctl/);
    // the same capture with -l has the flags: no such warning
    const flagged = unpack('abba-tracecmd/trace-cmd-report-l.txt.gz', 'abba-trace-cmd-report-l.trace');
    await vscode.workspace.openTextDocument(flagged);
    const fd = await diagnosticsOf(flagged, (d) => d.some((x) => kindOf(x) === 'inversion'));
    assert.ok(!fd.some((x) => /latency-flags/.test(x.message)), fd.map((x) => x.message).join('\n'));
    // a debug session on the plain report says it in the debug console
    const session = await launch({ program: plain.fsPath, name: 'kernel abba trace-cmd' });
    const out = await log.event<DebugProtocol.OutputEvent>(session, 'output', 0, (e) => /latency-flags/.test(e.body.output));
    assert.strictEqual(out.body.category, 'stderr');
    assert.match(out.body.output, /^line 4: no latency-flags column/);
    await log.event(session, 'stopped');
  });
});

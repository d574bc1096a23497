// Editor features in the real extension host, through VS Code's own API: language detection,
// hovers (vscode.executeHoverProvider), diagnostics with related information, symbols,
// definitions, references, folding, CodeLens, the commands (Check Trace, Export Findings, Debug to
// Line, Select Active Trace), .locktrace.json suppressions, parse errors, edits, the worker path,
// and screenshots of the workbench with diagnostics and a hover open.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { driverAvailable, driverRequest } from './driver';
import { waitFor } from './wait';
import { cycleIdOf, kindOf } from './findingCode';
import { at, hoverText, screenshotHover } from './workbench';

const REPO = path.resolve(__dirname, '../../..');
const INVERSION = vscode.Uri.file(path.join(REPO, 'samples/syscall-order-inversion.trace'));
const FLOCK = vscode.Uri.file(path.join(REPO, 'samples/flock-deadlock.real.trace'));

/** Diagnostics of a URI from locktrace, once there are at least `min`. */
function diagnosticsOf(uri: vscode.Uri, min = 1): Promise<vscode.Diagnostic[]> {
  return waitFor(`${min} locktrace diagnostic(s) on ${path.basename(uri.path)}`, () => {
    const d = vscode.languages.getDiagnostics(uri).filter((x) => x.source === 'locktrace');
    return d.length >= min && d;
  });
}

const lines = (ds: vscode.Diagnostic[]) => ds.map((d) => d.range.start.line + 1);

/** A copy of a sample in a fresh temp folder (suppression files and edits never touch the repo). */
function tempCopy(sample: vscode.Uri, name = path.basename(sample.fsPath)): vscode.Uri {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-editor-'));
  const file = path.join(dir, name);
  fs.copyFileSync(sample.fsPath, file);
  return vscode.Uri.file(file);
}

suite('editor features', function () {
  this.timeout(60_000);
  let doc: vscode.TextDocument;

  suiteSetup(async () => {
    doc = await vscode.workspace.openTextDocument(INVERSION);
    await vscode.window.showTextDocument(doc);
  });

  suiteTeardown(async () => {
    if (vscode.debug.activeDebugSession) await vscode.debug.stopDebugging();
    await vscode.workspace.getConfiguration('locktrace').update('analysis.workerThreshold', undefined, vscode.ConfigurationTarget.Global);
  });

  test('both samples are locktrace documents', async () => {
    assert.strictEqual(doc.languageId, 'locktrace');
    assert.strictEqual((await vscode.workspace.openTextDocument(FLOCK)).languageId, 'locktrace');
  });

  test('hover on a lock: holders, where acquired, the edge with its syscalls, the finding', async () => {
    // line 20: aio-writer takes &inode->i_dio_map while holding sb_writers since line 16 (io_submit)
    const h20 = await hoverText(doc, at(doc, 20, '&inode->i_dio_map', 3));
    assert.match(
      h20,
      /aio-writer\/2101 since \[line 20\]\([^)]*\) in `io_uring_enter`, while holding `sb_writers` \(since \[line 16\]\([^)]*\) in `io_submit`\)/,
    );
    assert.match(
      h20,
      /`sb_writers -> &inode->i_dio_map` first made at \[line 20\]\([^)]*\) in `io_uring_enter` by aio-writer\/2101, holding `sb_writers` since \[line 16\]\([^)]*\) \(`io_submit`\) — held across a syscall boundary/,
    );
    assert.match(h20, /command:locktrace\.revealLine\?/);
    // sb_writers at line 35: two holders' story and the inversion it takes part in
    const h35 = await hoverText(doc, at(doc, 35, 'sb_writers'));
    assert.match(h35, /\*\*`sb_writers`\*\* — lock class \(kernel\)/);
    assert.match(h35, /dio-reader\/2102 since \[line 35\]\([^)]*\) in `io_submit`, while holding `&inode->i_dio_map` \(since \[line 29\]/);
    assert.match(h35, /`&inode->i_dio_map -> sb_writers` first made at \[line 35\]/);
    // every edge touching the class so far, in the order they were made
    const edges35 = [...h35.matchAll(/`([^`]+ -> [^`]+)` first made at \[line (\d+)\]/g)].map((m) => `${m[1]}@${m[2]}`);
    assert.deepStrictEqual(edges35, [
      'sb_writers -> &ctx->uring_lock@19',
      'sb_writers -> &inode->i_dio_map@20',
      '&inode->i_dio_map -> sb_writers@35',
    ]);
    const edges20 = [...h20.matchAll(/`([^`]+ -> [^`]+)` first made at \[line (\d+)\]/g)].map((m) => `${m[1]}@${m[2]}`);
    assert.deepStrictEqual(edges20.sort(), ['&ctx->uring_lock -> &inode->i_dio_map@20', 'sb_writers -> &inode->i_dio_map@20']);
    assert.match(h35, /lock order inversion \(syscall-order\) at \[line 35\]/);
    assert.match(h35, /\[debug to here\]\(command:locktrace\.debugToLine\?/);
    // the hashed address resolves to the same lock
    assert.match(await hoverText(doc, at(doc, 16, '000000008a1c55e2', 5)), /aio-writer\/2101 since \[line 16\]\([^)]*\) in `io_submit`/);
  });

  test('hover on a syscall: entry, exit, return value, locks taken and leaked', async () => {
    const h = await hoverText(doc, at(doc, 13, 'NR 209'));
    assert.match(h, /`io_submit`\*\* \(syscall 209\) — aio-writer\/2101/);
    assert.match(h, /entered at \[line 13\]\([^)]*\), returned `1` at \[line 17\]/);
    assert.match(h, /- `sb_writers` \(taken at \[line 16\]\([^)]*\)\) still held when `io_submit` returned/);
    const flock = await vscode.workspace.openTextDocument(FLOCK);
    const f = await hoverText(flock, at(flock, 35, 'sys_flock', 5));
    assert.match(f, /`flock`\*\* \(syscall 73\) — flockabba\/5827/);
    assert.match(f, /returned `-512 \(ERESTARTSYS\)`/);
  });

  test('diagnostics: inversion at 35, held-across-syscall at 17/22/31/36, related lines, codes', async () => {
    const ds = (await diagnosticsOf(doc.uri, 5)).sort((a, b) => a.range.start.line - b.range.start.line);
    assert.deepStrictEqual(lines(ds), [17, 22, 31, 35, 36]);
    const inv = ds.find((d) => d.range.start.line === 34)!;
    assert.strictEqual(inv.severity, vscode.DiagnosticSeverity.Error);
    assert.match(
      inv.message,
      /possible circular locking dependency: dio-reader\/2102 is trying to acquire sb_writers in io_submit \(line 35\)/,
    );
    assert.strictEqual(doc.getText(inv.range), 'sb_writers');
    const code = inv.code as { value: string; target: vscode.Uri };
    const id = cycleIdOf(inv);
    assert.ok(
      id && code.value === id && inv.message.includes(`cycle ${id}`),
      `the code is the cycle id named in the message: ${code.value}`,
    );
    assert.strictEqual(code.target.fragment, 'inversion');
    assert.match(code.target.path, /README\.md$/);
    const related = inv.relatedInformation!.map((r) => `${r.location.range.start.line + 1}: ${r.message}`);
    assert.ok(related.includes('20: sb_writers -> &inode->i_dio_map made here by aio-writer/2101 in io_uring_enter'), related.join('\n'));
    assert.ok(related.includes('16: sb_writers acquired here by aio-writer/2101 in io_submit'), related.join('\n'));
    assert.ok(
      related.some((r) => r.startsWith('17: io_submit returned to userspace here still holding sb_writers')),
      related.join('\n'),
    );
    assert.ok(
      related.some((r) => r.startsWith('29: ')),
      related.join('\n'),
    );
    const held = ds.find((d) => d.range.start.line === 16)!;
    assert.strictEqual(held.severity, vscode.DiagnosticSeverity.Warning);
    assert.strictEqual(kindOf(held), 'held-across-syscall');
    assert.deepStrictEqual(
      held.relatedInformation!.map((r) => r.location.range.start.line + 1),
      [16],
    );
    // the real flock recording: the inversion where 5826 blocks on the second file
    const flock = await vscode.workspace.openTextDocument(FLOCK);
    const fd = await diagnosticsOf(flock.uri);
    assert.deepStrictEqual(lines(fd.filter((d) => kindOf(d) === 'inversion')), [34]);
  });

  test('screenshots: diagnostics and a hover open (driver)', async function () {
    if (!driverAvailable()) this.skip();
    const pos = at(doc, 20, '&inode->i_dio_map', 3);
    const range = new vscode.Range(pos.line - 8, 0, pos.line + 8, 0);
    await screenshotHover(
      'editor-hover',
      doc,
      pos,
      { range, type: vscode.TextEditorRevealType.InCenter },
      /sb_writers -> &inode->i_dio_map/,
      () => diagnosticsOf(doc.uri, 5),
    );
  });

  test('outline by task and syscall, folding per syscall', async () => {
    const syms = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri);
    assert.deepStrictEqual(
      syms.map((s) => [s.name, s.children.map((c) => `${c.name} ${c.detail}`)]),
      [
        ['aio-writer/2101', ['io_submit = 1 · leaks a lock', 'io_uring_enter = 1 · leaks a lock', 'io_getevents = 1']],
        ['dio-reader/2102', ['io_uring_enter = 1 · leaks a lock', 'io_submit = 1 · leaks a lock', 'io_getevents = 2']],
      ],
    );
    assert.strictEqual(syms[0].children[0].range.start.line, 12);
    assert.strictEqual(syms[0].children[0].range.end.line, 16);
    const folds = await vscode.commands.executeCommand<vscode.FoldingRange[]>('vscode.executeFoldingRangeProvider', doc.uri);
    const mine = folds.filter((f) => f.kind === vscode.FoldingRangeKind.Region).map((f) => `${f.start + 1}-${f.end + 1}`);
    assert.deepStrictEqual(mine, ['13-17', '18-22', '23-26', '27-31', '32-36', '37-40']);
  });

  test('definition: where the hold live at the line was acquired; references: every acquire/release', async () => {
    const def = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>(
      'vscode.executeDefinitionProvider',
      doc.uri,
      at(doc, 25, 'sb_writers'),
    );
    const target = def.map((d) => ('targetUri' in d ? d.targetRange : d.range).start.line + 1);
    assert.deepStrictEqual(target, [16]);
    const def2 = await vscode.commands.executeCommand<vscode.Location[]>(
      'vscode.executeDefinitionProvider',
      doc.uri,
      at(doc, 35, 'sb_writers'),
    );
    assert.deepStrictEqual(
      def2.map((d) => d.range.start.line + 1),
      [35],
    );
    const refs = await vscode.commands.executeCommand<vscode.Location[]>(
      'vscode.executeReferenceProvider',
      doc.uri,
      at(doc, 16, 'sb_writers'),
    );
    assert.deepStrictEqual(
      refs.map((r) => r.range.start.line + 1).sort((a, b) => a - b),
      [16, 25, 35, 38],
    );
  });

  test('CodeLens on findings: Debug to here and Show in lock panel', async () => {
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
    const on35 = lenses.filter((l) => l.range.start.line === 34).map((l) => l.command?.title);
    assert.deepStrictEqual(on35, ['$(debug-alt) Debug to here', '$(layers) Show in lock panel']);
    const debug = lenses.find((l) => l.range.start.line === 34 && l.command?.command === 'locktrace.debugToLine')!;
    assert.deepStrictEqual(debug.command!.arguments, [doc.uri.toString(), 35]);
    assert.strictEqual(lenses.length, 10);
  });

  test('Check Trace', async () => {
    const summary = await vscode.commands.executeCommand<{ findings: number; suppressed: number; lines: number[] }>(
      'locktrace.checkTrace',
      INVERSION,
    );
    assert.deepStrictEqual(summary.lines, [17, 22, 31, 35, 36]);
    assert.strictEqual(summary.suppressed, 0);
  });

  test('the status bar counts the findings', async function () {
    if (!driverAvailable()) {
      console.log('[locktrace-tests] no Playwright driver on this route: status bar test skipped');
      this.skip();
    }
    await vscode.commands.executeCommand('locktrace.checkTrace', INVERSION);
    const status = await waitFor('status bar', async () => {
      const r = await driverRequest('workbenchText', { selector: '.statusbar' });
      return /syscall-order-inversion\.trace: 5 findings/.test(r.text ?? '') && r.text;
    });
    assert.match(status, /syscall-order-inversion\.trace: 5 findings/);
  });

  test('Export Findings writes valid SARIF and JSON', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-export-'));
    const sarifPath = path.join(dir, 'findings.sarif');
    await vscode.commands.executeCommand('locktrace.exportFindings', INVERSION, vscode.Uri.file(sarifPath));
    type Location = { physicalLocation: { region: { startLine: number } } };
    const sarif = JSON.parse(fs.readFileSync(sarifPath, 'utf8')) as {
      version: string;
      runs: { tool: { driver: { name: string } }; results: { ruleId: string; locations: Location[]; relatedLocations: Location[] }[] }[];
    };
    assert.strictEqual(sarif.version, '2.1.0');
    assert.strictEqual(sarif.runs[0].tool.driver.name, 'locktrace');
    assert.deepStrictEqual(
      sarif.runs[0].results.map((r) => `${r.ruleId}:${r.locations[0].physicalLocation.region.startLine}`),
      ['held-across-syscall:17', 'held-across-syscall:22', 'held-across-syscall:31', 'inversion:35', 'held-across-syscall:36'],
    );
    const inv = sarif.runs[0].results[3];
    assert.ok(inv.relatedLocations.some((r) => r.physicalLocation.region.startLine === 20));
    const jsonPath = path.join(dir, 'findings.json');
    await vscode.commands.executeCommand('locktrace.exportFindings', INVERSION.toString(), jsonPath);
    const json = JSON.parse(fs.readFileSync(jsonPath, 'utf8')) as { version: number; findings: unknown[] };
    assert.strictEqual(json.version, 1);
    assert.strictEqual(json.findings.length, 5);
  });

  test('a .locktrace.json next to the trace suppresses the inversion (diagnostics, lenses, check)', async () => {
    const copy = tempCopy(INVERSION);
    fs.writeFileSync(
      path.join(path.dirname(copy.fsPath), '.locktrace.json'),
      JSON.stringify({
        suppress: [{ kind: 'inversion', locks: ['sb_writers', '&inode->i_dio_map'], reason: 'known, fixed in the next kernel' }],
      }),
    );
    const d = await vscode.workspace.openTextDocument(copy);
    await vscode.window.showTextDocument(d);
    const summary = await vscode.commands.executeCommand<{ findings: number; suppressed: number }>('locktrace.checkTrace', copy);
    assert.deepStrictEqual([summary.findings, summary.suppressed], [4, 1]);
    const ds = await diagnosticsOf(copy, 4);
    await new Promise((r) => setTimeout(r, 500));
    assert.deepStrictEqual(
      lines(vscode.languages.getDiagnostics(copy)).sort((a, b) => a - b),
      [17, 22, 31, 36],
    );
    assert.ok(!ds.some((x) => kindOf(x) === 'inversion'));
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', copy);
    assert.ok(!lenses.some((l) => l.range.start.line === 34));
    // the hover no longer lists it either
    assert.doesNotMatch(await hoverText(d, at(d, 35, 'sb_writers')), /lock order inversion/);
  });

  test('edits re-analyse (debounced); a file that is not a trace gets a diagnostic, not an exception', async () => {
    const copy = tempCopy(INVERSION);
    const d = await vscode.workspace.openTextDocument(copy);
    await vscode.window.showTextDocument(d);
    await diagnosticsOf(copy, 5);
    // drop dio-reader's acquire of sb_writers (line 35) and its release (38): no inversion left
    const edit = new vscode.WorkspaceEdit();
    edit.delete(copy, new vscode.Range(37, 0, 38, 0));
    edit.delete(copy, new vscode.Range(34, 0, 35, 0));
    assert.ok(await vscode.workspace.applyEdit(edit));
    await waitFor('diagnostics after the edit', () => {
      const l = lines(vscode.languages.getDiagnostics(copy)).sort((a, b) => a - b);
      return JSON.stringify(l) === JSON.stringify([17, 22, 31]) && l;
    });
    const bad = tempCopy(INVERSION, 'broken.trace');
    fs.writeFileSync(bad.fsPath, 'this is not\na lock trace\n');
    const bd = await vscode.workspace.openTextDocument(bad);
    assert.strictEqual(bd.languageId, 'locktrace');
    const [err] = await diagnosticsOf(bad);
    assert.strictEqual(err.code, 'parse-error');
    assert.strictEqual(err.range.start.line, 0);
    assert.match(err.message, /expected a lock trace/);
  });

  test('big traces are analysed in the worker thread with the same results', async () => {
    await vscode.workspace.getConfiguration('locktrace').update('analysis.workerThreshold', 0, vscode.ConfigurationTarget.Global);
    try {
      const copy = tempCopy(FLOCK, 'worker.trace');
      const summary = await vscode.commands.executeCommand<{ lines: number[] }>('locktrace.checkTrace', copy);
      assert.deepStrictEqual(summary.lines, [34]);
      const d = await vscode.workspace.openTextDocument(copy);
      assert.match(await hoverText(d, at(d, 35, 'sys_flock', 5)), /returned `-512 \(ERESTARTSYS\)`/);
    } finally {
      await vscode.workspace.getConfiguration('locktrace').update('analysis.workerThreshold', undefined, vscode.ConfigurationTarget.Global);
    }
  });

  test('Debug to here starts a session that stops at the line; the active trace follows it', async () => {
    const positions: number[] = [];
    const sub = vscode.debug.onDidReceiveDebugSessionCustomEvent((e) => {
      if (e.event === 'locktraceState') positions.push((e.body as { line: number }).line);
    });
    try {
      assert.strictEqual(await vscode.commands.executeCommand('locktrace.debugToLine', INVERSION.toString(), 35), true);
      await waitFor('a stop at line 35', () => positions.includes(35));
      const session = vscode.debug.activeDebugSession!;
      assert.strictEqual(session.type, 'locktrace');
      const threads = (await session.customRequest('threads')) as { threads: { id: number; name: string }[] };
      const reader = threads.threads.find((t) => t.name === 'dio-reader-2102')!;
      const st = (await session.customRequest('stackTrace', { threadId: reader.id })) as { stackFrames: { line: number }[] };
      assert.strictEqual(st.stackFrames[0].line, 35);
    } finally {
      sub.dispose();
      if (vscode.debug.activeDebugSession) await vscode.debug.stopDebugging();
      await waitFor('no debug session', () => vscode.debug.activeDebugSession === undefined);
    }
  });
});

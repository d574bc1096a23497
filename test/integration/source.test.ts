// Source features in the real extension host: hovers, diagnostics and CodeLens in a kernel-style C
// file (test/workspace/src/io_uring_fixture.c) driven by the active trace (fixture traces in
// test/workspace/source-traces/), switching the active trace, and a real recording of
// test/record-programs/abba.c through "Record and Debug" whose diagnostics land on the exact
// pthread_mutex_lock lines.
import * as assert from 'assert';
import { execFileSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { driverAvailable, driverRequest } from './driver';
import { waitFor } from './wait';

const REPO = path.resolve(__dirname, '../../..');
const C_FILE = vscode.Uri.file(path.join(REPO, 'test/workspace/src/io_uring_fixture.c'));
const ABBA_TRACE = vscode.Uri.file(path.join(REPO, 'test/workspace/source-traces/uring-abba.trace'));
const CLEAN_TRACE = vscode.Uri.file(path.join(REPO, 'test/workspace/source-traces/uring-clean.trace'));
const ABBA_C = path.join(REPO, 'test/record-programs/abba.c');

function hoverText(hovers: vscode.Hover[]): string {
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
    .join('\n');
}

/** 0-based line of the first line containing `needle`, and the column of `needle`. */
function find(doc: vscode.TextDocument, needle: string): vscode.Position {
  for (let i = 0; i < doc.lineCount; i++) {
    const c = doc.lineAt(i).text.indexOf(needle);
    if (c >= 0) return new vscode.Position(i, c);
  }
  throw new Error(`${needle} not in ${doc.uri.fsPath}`);
}

const sourceDiagnostics = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'locktrace');

async function makeActive(uri: vscode.Uri): Promise<void> {
  await vscode.commands.executeCommand('locktrace.selectActiveTrace', uri);
}

suite('source: lock annotations in C files', function () {
  this.timeout(90_000);
  let doc: vscode.TextDocument;

  suiteSetup(async () => {
    await vscode.workspace.openTextDocument(ABBA_TRACE); // activates the extension (onLanguage:locktrace)
    const ext = vscode.extensions.all.find((e) => (e.packageJSON as { name?: string } | undefined)?.name === 'locktrace');
    await waitFor('activation', () => ext?.isActive);
    doc = await vscode.workspace.openTextDocument(C_FILE);
    await vscode.window.showTextDocument(doc);
    assert.strictEqual(doc.languageId, 'c');
    await makeActive(ABBA_TRACE);
  });

  test('hover on mutex_lock(&ctx->uring_lock) shows the class and its ordering edges', async () => {
    const pos = find(doc, 'mutex_lock(&ctx->uring_lock)').translate(0, 14);
    const text = await waitFor('a locktrace hover', async () => {
      const t = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', C_FILE, pos));
      return /locktrace/.test(t) && t;
    });
    assert.match(text, /lock class `&ctx->uring_lock`/);
    assert.match(text, /class named after `ctx->uring_lock`/);
    assert.match(text, /Taken \*\*2\*\* times/);
    // edges: held when taken (mmap_lock → uring_lock, line 13 in pread64) and taken under it (→ mmap_lock, line 7 in io_uring_enter)
    assert.match(
      text,
      /\*\*Held when it was taken\*\*[\s\S]*`&mm->mmap_lock` — 1×, first \[line 13\]\([^)]*\) by uring-fault\/3102 in `pread64`/,
    );
    assert.match(
      text,
      /\*\*Taken under it\*\*[\s\S]*`&mm->mmap_lock` — 1×, first \[line 7\]\([^)]*\) by uring-submit\/3101 in `io_uring_enter`/,
    );
    assert.match(text, /inversion \(in-kernel\)/);
    assert.match(text, /command:locktrace\.revealLine/);
    assert.match(text, /command:locktrace\.debugToLine/);
  });

  test('hover on an annotation and on the percpu rwsem (sb_writers by freeze level)', async () => {
    const ann = hoverText(
      await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', C_FILE, find(doc, '__must_hold').translate(0, 3)),
    );
    assert.match(ann, /lock class `&ctx->uring_lock` · assert/);
    const sb = hoverText(
      await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        C_FILE,
        find(doc, 'percpu_down_read').translate(0, 3),
      ),
    );
    assert.match(sb, /lock class `sb_writers`/);
    assert.match(sb, /held across a syscall|held-across-syscall/);
  });

  test("diagnostics at the cycle's source sites (possible sites) with related information into the trace", async () => {
    const diags = await waitFor('source diagnostics', () => {
      const d = sourceDiagnostics(C_FILE);
      return d.length >= 4 && d;
    });
    const lines = (re: RegExp) =>
      diags
        .filter((d) => re.test(d.message))
        .map((d) => d.range.start.line)
        .sort((a, b) => a - b);
    const lockLine = find(doc, 'mutex_lock(&ctx->uring_lock)').line;
    const guardLine = find(doc, 'guard(mutex)(&ctx->uring_lock)').line;
    const downReads: number[] = [];
    for (let i = 0; i < doc.lineCount; i++)
      if (doc.lineAt(i).text.includes('down_read(&mm->mmap_lock)') && !doc.lineAt(i).text.includes('percpu')) downReads.push(i);
    assert.deepStrictEqual(
      lines(/lock-order inversion \(in-kernel\)/),
      [...downReads, lockLine, guardLine].sort((a, b) => a - b),
    );
    for (const d of diags.filter((x) => /inversion/.test(x.message))) {
      assert.match(d.message, /^possible site: takes (&ctx->uring_lock|&mm->mmap_lock), part of a lock-order inversion/);
      assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Warning);
      const rel = d.relatedInformation ?? [];
      assert.ok(
        rel.every((r) => r.location.uri.fsPath === ABBA_TRACE.fsPath),
        'related info points into the trace',
      );
      assert.deepStrictEqual(
        rel.map((r) => r.location.range.start.line + 1).sort((a, b) => a - b),
        [6, 7, 12, 13],
      );
    }
    // the leaked sb_writers: at percpu_down_read, related to the sys_exit (line 19) and the acquisition (18)
    const leak = diags.filter((d) => /held across a syscall boundary/.test(d.message));
    assert.deepStrictEqual(
      leak.map((d) => d.range.start.line),
      [find(doc, 'percpu_down_read').line],
    );
    assert.deepStrictEqual(
      leak[0].relatedInformation?.map((r) => r.location.range.start.line + 1),
      [19, 18],
    );
  });

  test('CodeLens above functions that take or are annotated with locks', async () => {
    const lenses = await waitFor('code lenses', async () => {
      const l = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', C_FILE, 100);
      return l.filter((x) => x.command?.command === 'locktrace.showLockInTrace').length >= 3 && l;
    });
    const at = (fn: string) =>
      lenses
        .filter((l) => l.range.start.line === find(doc, fn).line && l.command?.command === 'locktrace.showLockInTrace')
        .map((l) => l.command!.title)
        .sort();
    assert.deepStrictEqual(at('io_submit_sqes(struct'), [
      '&ctx->uring_lock: taken 2× in trace; under: &mm->mmap_lock',
      '&mm->mmap_lock: taken 2× in trace; under: &ctx->uring_lock',
    ]);
    assert.deepStrictEqual(at('io_start_write_fixture('), ['sb_writers: taken 1× in trace; held across syscall: write']);
  });

  test('showLockInTrace reveals the acquisitions as references', async () => {
    const locs = await vscode.commands.executeCommand<vscode.Location[]>('locktrace.showLockInTrace', '&ctx->uring_lock');
    assert.deepStrictEqual(
      locs?.map((l) => l.range.start.line + 1),
      [6, 13],
    );
    assert.ok(locs?.every((l) => l.uri.fsPath === ABBA_TRACE.fsPath));
    await vscode.window.showTextDocument(doc);
  });

  test('switching the active trace updates hovers, diagnostics and CodeLens', async () => {
    await makeActive(CLEAN_TRACE);
    await waitFor('diagnostics cleared', () => sourceDiagnostics(C_FILE).length === 0);
    const pos = find(doc, 'mutex_lock(&ctx->uring_lock)').translate(0, 14);
    const text = await waitFor('the clean trace in the hover', async () => {
      const t = hoverText(await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', C_FILE, pos));
      return /uring-clean\.trace/.test(t) && t;
    });
    assert.match(text, /Taken \*\*2\*\* times/);
    assert.doesNotMatch(text, /Held when it was taken|Findings/);
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', C_FILE, 100);
    const titles = lenses.map((l) => l.command?.title ?? '');
    assert.ok(titles.includes('&ctx->uring_lock: taken 2× in trace'), titles.join(' | '));
    assert.ok(!titles.some((t) => t.startsWith('sb_writers')), 'no sb_writers in the clean trace');
    await makeActive(ABBA_TRACE);
    await waitFor('diagnostics back', () => sourceDiagnostics(C_FILE).length >= 4);
  });

  test('screenshot: a C file with a locktrace hover open', async function () {
    if (!driverAvailable()) this.skip();
    // one editor group, no side bar: room for the hover
    await vscode.commands.executeCommand('workbench.action.joinAllGroups');
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    await vscode.commands.executeCommand('workbench.action.closeAuxiliaryBar');
    const editor = await vscode.window.showTextDocument(doc, vscode.ViewColumn.One);
    // the unlock carries no diagnostic, so the hover shows only the lock's story
    const pos = find(doc, 'mutex_unlock(&ctx->uring_lock)').translate(0, 16);
    editor.selection = new vscode.Selection(pos, pos);
    editor.revealRange(new vscode.Range(pos.translate(-12), pos), vscode.TextEditorRevealType.AtTop);
    await vscode.commands.executeCommand('workbench.action.closePanel');
    await vscode.commands.executeCommand('editor.action.showHover');
    await driverRequest('workbenchText', { selector: '.monaco-hover .rendered-markdown' });
    await new Promise((r) => setTimeout(r, 800));
    const shot = await driverRequest('screenshot', { name: 'source-hover' });
    assert.ok(shot.path.endsWith('source-hover.png'));
  });
});

suite('source: a recorded program (Record and Debug)', function () {
  this.timeout(120_000);

  test('records abba.c for real and puts diagnostics on the exact pthread_mutex_lock lines', async function () {
    const reason = recordingUnavailable();
    // like the recorder's unit tests: a machine that cannot record fails here, loudly, never skips
    if (reason) assert.fail(`cannot record for real here: ${reason} (run as root on Linux with tracefs, uprobes and gcc)`);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-src-'));
    const exe = path.join(dir, 'abba');
    execFileSync('gcc', ['-g', '-O0', '-pthread', '-o', exe, ABBA_C]);
    const output = path.join(dir, 'abba.ltrace');
    const uri = await vscode.commands.executeCommand<vscode.Uri | undefined>('locktrace.recordAndDebug', exe, { output, cwd: dir });
    assert.ok(uri, 'Record and Debug returned the recording');
    assert.strictEqual(uri.fsPath, output);
    await waitFor('a locktrace debug session on the recording', () => vscode.debug.activeDebugSession?.configuration.program === output);
    const src = await vscode.workspace.openTextDocument(vscode.Uri.file(ABBA_C));
    await vscode.window.showTextDocument(src, vscode.ViewColumn.One);
    const diags = await waitFor('diagnostics in abba.c', () => {
      const d = sourceDiagnostics(src.uri).filter((x) => /inversion \(userspace\)/.test(x.message));
      return d.length >= 2 && d;
    });
    const writer = find(src, 'ABBA_WRITER_FIRST').line;
    const indexer = find(src, 'ABBA_INDEXER_FIRST').line;
    const lines = [...new Set(diags.map((d) => d.range.start.line))].sort((a, b) => a - b);
    assert.ok(lines.includes(writer) && lines.includes(indexer), `diagnostics on lines ${lines.map((l) => l + 1).join(',')}`);
    // exact sites only (no "possible site"), the ranges cover the pthread call, related info into the recording
    for (const d of diags) {
      assert.doesNotMatch(d.message, /possible site/);
      const text = src.getText(d.range);
      assert.match(text, /^pthread_mutex_(timed)?lock\(/, text);
      assert.ok(d.relatedInformation?.length && d.relatedInformation.every((r) => r.location.uri.fsPath === output));
    }
    const hover = hoverText(
      await vscode.commands.executeCommand<vscode.Hover[]>(
        'vscode.executeHoverProvider',
        src.uri,
        new vscode.Position(writer, find(src, 'ABBA_WRITER_FIRST').character - 12),
      ),
    );
    assert.match(hover, /lock class `db_lock`/);
    assert.match(hover, /recorded at abba\.c:\d+/);
    assert.match(hover, /\*\*Taken under it\*\*[\s\S]*`index_lock`/);
    await vscode.debug.stopDebugging();
    await waitFor('no debug session', () => vscode.debug.activeDebugSession === undefined, 15_000);
  });
});

/** Why a real recording cannot run here (not root, no gcc, no tracefs/uprobes), or undefined. */
function recordingUnavailable(): string | undefined {
  if (process.getuid?.() !== 0) return 'not root';
  try {
    execFileSync('gcc', ['--version'], { stdio: 'ignore' });
  } catch {
    return 'no gcc';
  }
  if (!fs.existsSync('/sys/kernel/tracing/uprobe_events') && !fs.existsSync('/sys/kernel/debug/tracing/uprobe_events'))
    return 'no tracefs with uprobes';
  return undefined;
}

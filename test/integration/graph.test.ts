// The lock graph in the real extension host: the panel's class and instance views of a cycle between
// different instances (read from inside the webview through the Playwright driver), the hover and
// diagnostic of that inversion, `locktrace.compareTraces` on two recordings (the panel's diff view),
// and `locktrace.proposeHierarchy` writing .locktrace.json (a later trace against it gets an
// order-violation). Workbench screenshots: graph-class-view, graph-instance-view, graph-diff-view.
// The panel parts need the driver (code-server route) and are skipped under VSCODE_EXECUTABLE.
import * as assert from 'assert';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as vscode from 'vscode';
import { driverAvailable, driverRequest } from './driver';
import { waitFor } from './wait';
import { kindOf } from './findingCode';
import { panelText } from './workbench';

const REPO = path.resolve(__dirname, '../../..');
const GRAPH = path.join(REPO, 'test/fixtures/graph');
const PARENT_CHILD = vscode.Uri.file(path.join(GRAPH, 'parent-child-instances.trace'));
const DIFF_OLD = vscode.Uri.file(path.join(GRAPH, 'diff-old.trace'));
const DIFF_NEW = vscode.Uri.file(path.join(GRAPH, 'diff-new.trace'));

/** Room for the editor and the panel: no side bars, no bottom panel, no notifications. */
async function clearWorkbench(): Promise<void> {
  for (const c of [
    'workbench.action.closePanel',
    'workbench.action.closeSidebar',
    'workbench.action.closeAuxiliaryBar',
    'notifications.clearAll',
  ])
    await vscode.commands.executeCommand(c);
}

const ours = (uri: vscode.Uri) => vscode.languages.getDiagnostics(uri).filter((d) => d.source === 'locktrace');

suite('lock graph views and commands', function () {
  this.timeout(120_000);
  const temps: string[] = [];

  suiteSetup(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  });
  suiteTeardown(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const t of temps) fs.rmSync(t, { recursive: true, force: true });
  });

  test('a cycle between different instances: hover and diagnostic say so, with its cycle id', async () => {
    const doc = await vscode.workspace.openTextDocument(PARENT_CHILD);
    await vscode.window.showTextDocument(doc);
    const inv = await waitFor('the inversion diagnostic', () => ours(PARENT_CHILD).find((d) => kindOf(d) === 'inversion'));
    const id = /\ncycle (LT-[0-9a-f]{4})/.exec(inv.message)?.[1];
    assert.ok(id, `cycle id in the diagnostic: ${inv.message}`);
    assert.match(inv.message, /only different instances of these classes were taken in opposite orders/);
    const line = inv.range.start.line;
    const col = doc.lineAt(line).text.indexOf('&inode->i_rwsem');
    assert.ok(col >= 0, doc.lineAt(line).text);
    const hovers = await vscode.commands.executeCommand<vscode.Hover[]>(
      'vscode.executeHoverProvider',
      doc.uri,
      new vscode.Position(line, col + 2),
    );
    const md = hovers
      .flatMap((h) => h.contents)
      .map((c) => (typeof c === 'string' ? c : c.value))
      .join('\n');
    assert.ok(md.includes(`cycle \`${id}\``), md);
    assert.match(md, /only between different instances of these classes \(`0xffff888004b20180` → `0xffff888004b20100`, /);
  });

  test('a gate-guarded inversion is information by default, and follows locktrace.findings.guardedSeverity', async () => {
    const uri = vscode.Uri.file(path.join(GRAPH, 'gate-guarded.trace'));
    await vscode.window.showTextDocument(uri);
    const inv = () => ours(uri).find((d) => kindOf(d) === 'inversion');
    const d = await waitFor('the guarded inversion', inv);
    assert.strictEqual(d.severity, vscode.DiagnosticSeverity.Information);
    assert.match(d.message, /guarded by gate_mutex/);
    const cfg = vscode.workspace.getConfiguration('locktrace');
    await cfg.update('findings.guardedSeverity', 'error', vscode.ConfigurationTarget.Global);
    try {
      await waitFor('the guarded inversion as an error', () => inv()?.severity === vscode.DiagnosticSeverity.Error);
      await cfg.update('findings.guardedSeverity', 'off', vscode.ConfigurationTarget.Global);
      await waitFor('no guarded inversion', () => !inv());
      await new Promise((r) => setTimeout(r, 500));
      assert.strictEqual(inv(), undefined, 'the guarded inversion stays hidden');
    } finally {
      await cfg.update('findings.guardedSeverity', undefined, vscode.ConfigurationTarget.Global);
    }
    await waitFor('the guarded inversion back as information', () => inv()?.severity === vscode.DiagnosticSeverity.Information);
  });

  test('the panel toggles between the class graph and the instance graph', async function () {
    if (!driverAvailable()) this.skip();
    await clearWorkbench();
    const last = fs.readFileSync(PARENT_CHILD.fsPath, 'utf8').trimEnd().split('\n').length;
    await vscode.commands.executeCommand('locktrace.showPanel', PARENT_CHILD, last);
    await panelText('#lt-position', new RegExp(`^line ${last} · `));
    // classes: the two-class cycle, drawn as one, marked as between different instances only
    assert.match(await panelText('.lt-graph-caption', /./), /· different instances only$/);
    assert.match(await panelText('.lt-mode[data-mode="class"][aria-pressed="true"]', /./), /^Classes$/);
    await panelText('.lt-graph-class .lt-edge.lt-in-cycle[data-from="&inode->i_rwsem"][data-to="&ei->xattr_sem"]', /./);
    await panelText('.lt-graph-class .lt-edge.lt-in-cycle[data-from="&ei->xattr_sem"][data-to="&inode->i_rwsem"]', /./);
    await driverRequest('screenshot', { name: 'graph-class-view' });
    // instances: the four locks, no cycle among them, the reason under the drawing
    await driverRequest('webviewClick', { selector: '.lt-mode[data-mode="instance"]' });
    await panelText('.lt-mode[data-mode="instance"][aria-pressed="true"]', /^Instances$/);
    const drawing = await panelText('.lt-graph-instance', /0xffff888004b20180/);
    for (const a of ['0xffff888004a10100', '0xffff888004a10180', '0xffff888004b20100'])
      assert.ok(drawing.includes(a), `${a} in ${drawing}`);
    assert.match(await panelText('.lt-graph-caption', /./), /only different instances of its classes were taken in opposite orders/);
    await driverRequest('screenshot', { name: 'graph-instance-view' });
    // and back
    await driverRequest('webviewClick', { selector: '.lt-mode[data-mode="class"]' });
    await panelText('.lt-mode[data-mode="class"][aria-pressed="true"]', /^Classes$/);
  });

  test('Compare Lock Graph with Another Trace shows the diff view in the panel', async function () {
    if (!driverAvailable()) this.skip();
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.window.showTextDocument(DIFF_NEW);
    await clearWorkbench();
    // as from the explorer: the right-clicked file (newer) and the whole selection
    await vscode.commands.executeCommand('locktrace.compareTraces', DIFF_NEW, [DIFF_OLD, DIFF_NEW]);
    await panelText('#lt-title', /^diff-new\.trace$/);
    assert.match(await panelText('.lt-mode[data-mode="diff"][aria-pressed="true"]', /./), /^Diff$/);
    assert.match(
      await panelText('.lt-graph-caption', /^compared with/),
      /^compared with diff-old\.trace: edges 1 new, 1 gone, 2 unchanged; cycles 1 new, 0 gone, 0 unchanged$/,
    );
    await panelText('.lt-graph-diff .lt-edge[data-status="new"][data-from="lock_c"][data-to="lock_a"]', /./);
    await panelText('.lt-graph-diff .lt-edge[data-status="gone"][data-from="lock_d"][data-to="lock_e"]', /./);
    await panelText('.lt-graph-diff .lt-edge[data-status="unchanged"][data-from="lock_a"][data-to="lock_b"]', /./);
    await vscode.commands.executeCommand('notifications.clearAll');
    await new Promise((r) => setTimeout(r, 300));
    await driverRequest('screenshot', { name: 'graph-diff-view' });
    // the other way round: the new edge is gone
    await vscode.commands.executeCommand('locktrace.compareTraces', DIFF_OLD, DIFF_NEW);
    await panelText('#lt-title', /^diff-old\.trace$/);
    assert.match(
      await panelText('.lt-graph-caption', /^compared with diff-new/),
      /^compared with diff-new\.trace: edges 1 new, 1 gone, 2 unchanged; cycles 0 new, 1 gone, 0 unchanged$/,
    );
    await panelText('.lt-graph-diff .lt-edge[data-status="gone"][data-from="lock_c"][data-to="lock_a"]', /./);
  });

  test('Propose Lock Hierarchy writes it into .locktrace.json; a trace against it gets an order-violation', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-hierarchy-'));
    temps.push(dir);
    for (const f of ['hierarchy-consistent.trace', 'hierarchy-violation.trace']) fs.copyFileSync(path.join(GRAPH, f), path.join(dir, f));
    // an existing file keeps its other fields
    fs.writeFileSync(path.join(dir, '.locktrace.json'), '{ "suppress": [] }\n');
    const consistent = vscode.Uri.file(path.join(dir, 'hierarchy-consistent.trace'));
    const violation = vscode.Uri.file(path.join(dir, 'hierarchy-violation.trace'));
    const before = await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(violation));
    // only proposed: the file is untouched
    const proposed = await vscode.commands.executeCommand<{ proposal: { levels: string[][] }; written?: vscode.Uri }>(
      'locktrace.proposeHierarchy',
      consistent,
      { write: false },
    );
    assert.strictEqual(proposed.written, undefined);
    assert.strictEqual(proposed.proposal.levels.length, 6);
    assert.strictEqual(fs.readFileSync(path.join(dir, '.locktrace.json'), 'utf8'), '{ "suppress": [] }\n');
    assert.ok(!ours(violation).some((d) => kindOf(d) === 'order-violation'));
    const r = await vscode.commands.executeCommand<{ proposal: { levels: string[][] }; written?: vscode.Uri }>(
      'locktrace.proposeHierarchy',
      consistent,
      { write: true },
    );
    assert.strictEqual(r.written?.fsPath, path.join(dir, '.locktrace.json'));
    const written = JSON.parse(fs.readFileSync(path.join(dir, '.locktrace.json'), 'utf8')) as { suppress: unknown; hierarchy: unknown };
    assert.deepStrictEqual(written.suppress, []);
    assert.deepStrictEqual(written.hierarchy, [
      'sb_writers',
      '&sb->s_type->i_mutex_key',
      '&sb->s_type->i_mutex_key/1',
      '&mm->mmap_lock',
      '&mapping->i_mmap_rwsem',
      '&(&q12->lock)->rlock',
    ]);
    assert.deepStrictEqual(r.proposal.levels.flat(), written.hierarchy);
    // the other trace of the folder is now checked against it: sb_writers taken under &mm->mmap_lock
    const v = await waitFor('an order-violation diagnostic', () => ours(before.document.uri).find((d) => kindOf(d) === 'order-violation'));
    assert.strictEqual(v.range.start.line + 1, 18);
    assert.match(v.message, /aio\/31 takes sb_writers in io_submit \(line 18\) while holding &mm->mmap_lock/);
    // the trace it came from satisfies it
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(consistent));
    await new Promise((r) => setTimeout(r, 500));
    assert.deepStrictEqual(
      ours(consistent).map((d) => kindOf(d)),
      [],
    );
  });
});

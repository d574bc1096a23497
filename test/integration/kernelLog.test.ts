// Kernel logs in the real extension host: a real captured dmesg (Linux 6.1.192 in QEMU, the
// lockseed driver's AB-BA report) is detected by content, gets a diagnostic at the report's title
// with related information at each edge's `-> #N` entry and the held list, hovers on class names
// show the chain, the CodeLens opens the lock panel, the debugger steps through the chain edge by
// edge (step back too) with each edge's stack as its frames, and frames open their source in the
// test workspace's fake kernel tree (test/workspace/kernel-tree): by the function's definition for
// the real (unsymbolized) dmesg, by `file:line` for the same report symbolized. Screenshot of the
// report with its hover and problems (driver).
import * as assert from 'assert';
import * as fs from 'fs';
import * as path from 'path';
import * as vscode from 'vscode';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { DapLog, REPO, cleanUp, launch, stackOf, stepAndStop, threadOf } from './dap';
import { driverAvailable, driverRequest } from './driver';
import { waitFor } from './wait';
import { kindOf } from './findingCode';
import { at, hoverText, screenshotHover } from './workbench';

const DMESG = vscode.Uri.file(path.join(REPO, 'test/fixtures/kernel/abba/dmesg.txt'));
const SYMBOLIZED = vscode.Uri.file(path.join(REPO, 'test/fixtures/kernel-log/abba-6.1-symbolized.log'));
const TREE = path.join(REPO, 'test/workspace/kernel-tree');

/** Where go to definition leads from a position: `tree-relative/path:line` (1-based), or undefined. */
async function definitionOf(doc: vscode.TextDocument, pos: vscode.Position): Promise<string | undefined> {
  const defs = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>(
    'vscode.executeDefinitionProvider',
    doc.uri,
    pos,
  );
  const d = defs[0];
  if (!d) return undefined;
  const uri = 'targetUri' in d ? d.targetUri : d.uri;
  const range = 'targetRange' in d ? d.targetRange : d.range;
  return `${path.relative(TREE, uri.fsPath)}:${range.start.line + 1}`;
}

/** A DAP source path as a file path: under code-server the adapter sends `vscode-remote://…` URIs (the client asks for URIs). */
function filePath(p: string | undefined): string {
  return p && /^[a-z][\w+.-]+:\/\//i.test(p) ? vscode.Uri.parse(p).path : (p ?? '');
}

async function openLog(uri: vscode.Uri): Promise<vscode.TextDocument> {
  const doc = await vscode.workspace.openTextDocument(uri);
  await vscode.window.showTextDocument(doc, { preview: false });
  return waitFor(`${path.basename(uri.fsPath)} detected as a kernel log`, () => {
    const d = vscode.workspace.textDocuments.find((x) => x.uri.toString() === uri.toString());
    return d?.languageId === 'locktrace' && d;
  });
}

suite('kernel logs', function () {
  this.timeout(90_000);
  let doc: vscode.TextDocument;
  const log = new DapLog();

  suiteSetup(async () => {
    doc = await openLog(DMESG);
  });

  suiteTeardown(async () => {
    await cleanUp();
    log.dispose();
  });

  test('a real dmesg gets a diagnostic at the title line, related information at each edge and the held lock', async () => {
    const ds = await waitFor('locktrace diagnostics on dmesg.txt', () => {
      const d = vscode.languages.getDiagnostics(doc.uri).filter((x) => x.source === 'locktrace');
      return d.length > 0 && d;
    });
    const inv = ds.filter((d) => kindOf(d) === 'inversion');
    assert.strictEqual(inv.length, 1, ds.map((d) => `${d.range.start.line + 1}: ${d.message}`).join('\n'));
    const [d] = inv;
    // line 199 is `WARNING: possible circular locking dependency detected` (not the ===== rule above it)
    assert.strictEqual(d.range.start.line + 1, 199);
    assert.match(doc.lineAt(198).text, /WARNING: possible circular locking dependency detected/);
    assert.match(d.message, /&dev->a_lock/);
    assert.match(d.message, /&dev->b_lock/);
    const related = (d.relatedInformation ?? []).map((r) => `${r.location.range.start.line + 1}: ${r.message}`);
    assert.ok(related.includes('221: -> #0: &dev->b_lock -> &dev->a_lock (syscall ioctl)'), related.join('\n'));
    assert.ok(related.includes('213: -> #1: &dev->a_lock -> &dev->b_lock (syscall ioctl)'), related.join('\n'));
    assert.ok(
      related.some((r) => r.startsWith('245: &dev->b_lock held by ls_seed/66')),
      related.join('\n'),
    );
    for (const r of d.relatedInformation ?? []) assert.strictEqual(r.location.uri.toString(), doc.uri.toString());
  });

  test('hover on a class name shows the chain it takes part in, with each edge and its context', async () => {
    const h = await hoverText(doc, at(doc, 206, '&dev->b_lock', 4));
    assert.match(h, /\*\*`&dev->b_lock`\*\* — lock class in 1 report of this log/);
    assert.match(h, /`-> #1` `&dev->a_lock -> &dev->b_lock` — syscall ioctl, at `lockseed_ioctl\+0xbb\/0x530`/);
    assert.match(h, /`-> #0` `&dev->b_lock -> &dev->a_lock` — syscall ioctl, at `lockseed_ioctl\+0xfb\/0x530` by ls_seed\/66/);
    assert.match(h, /Held by:\*\*\n- ls_seed\/66 at \[line 245\]/);
    // the same class in the scenario's `lock(&dev->b_lock);` line
    assert.match(await hoverText(doc, at(doc, 237, '&dev->b_lock', 2)), /lock class in 1 report/);
    // the name version is part of the name: no hover on a prefix that is no class of this log
    assert.strictEqual(await hoverText(doc, at(doc, 199, 'possible', 2)), '');
  });

  test('screenshot: a report opened in VS Code with a hover and its problems (driver)', async function () {
    if (!driverAvailable()) this.skip();
    const pos = at(doc, 213, '&dev->b_lock', 4);
    const reveal = { range: new vscode.Range(197, 0, 225, 0), type: vscode.TextEditorRevealType.AtTop };
    await screenshotHover('kernel-log-hover', doc, pos, reveal, /&dev->a_lock -> &dev->b_lock/);
  });

  test('CodeLens "Show in lock panel" on the title line opens the lock panel', async () => {
    const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri);
    const panel = lenses.find((l) => l.command?.title.includes('Show in lock panel'));
    assert.ok(panel?.command, lenses.map((l) => l.command?.title).join(', '));
    assert.strictEqual(panel.range.start.line + 1, 199);
    await vscode.commands.executeCommand(panel.command.command, ...((panel.command.arguments ?? []) as unknown[]));
    await waitFor('the lock panel tab', () =>
      vscode.window.tabGroups.all.some((g) =>
        g.tabs.some((t) => t.input instanceof vscode.TabInputWebview && t.input.viewType.includes('locktrace')),
      ),
    );
    await vscode.commands.executeCommand('workbench.action.closeEditorsInOtherGroups');
  });

  test("the real dmesg's frames open the function's definition in the workspace's kernel tree", async () => {
    // -> #1's stack: lockseed_ioctl+0xbb/0x530 (line 215), vfs_ioctl (216), __mutex_lock (214)
    assert.strictEqual(await definitionOf(doc, at(doc, 215, 'lockseed_ioctl', 3)), 'drivers/misc/lockseed.c:176');
    assert.strictEqual(await definitionOf(doc, at(doc, 216, 'vfs_ioctl', 3)), 'fs/ioctl.c:8');
    assert.strictEqual(await definitionOf(doc, at(doc, 214, '__mutex_lock', 3)), 'kernel/locking/mutex.c:14');
    // a function the tree does not define goes nowhere, and its hover says why
    assert.strictEqual(await definitionOf(doc, at(doc, 251, 'dump_stack_lvl', 3)), undefined);
    assert.match(await hoverText(doc, at(doc, 251, 'dump_stack_lvl', 3)), /Not found in the workspace/);
    const h = await hoverText(doc, at(doc, 215, 'lockseed_ioctl', 3));
    assert.match(h, /`lockseed_ioctl\+0xbb\/0x530`/);
    assert.match(h, /kernel-tree\/drivers\/misc\/lockseed\.c:176\]\([^)]*\) \(from the function definition in the workspace\)/);
  });

  test('a symbolized log: frames open their file:line in the kernel tree', async () => {
    const sym = await openLog(SYMBOLIZED);
    // -> #1's lockseed_ioctl is the driver's AB case (line 215), -> #0's its BA case (206)
    assert.strictEqual(await definitionOf(sym, at(sym, 30, 'lockseed_ioctl', 3)), 'drivers/misc/lockseed.c:215');
    assert.strictEqual(await definitionOf(sym, at(sym, 40, 'lockseed_ioctl', 3)), 'drivers/misc/lockseed.c:206');
    assert.strictEqual(await definitionOf(sym, at(sym, 29, '__mutex_lock', 3)), 'kernel/locking/mutex.c:16');
    assert.match(fs.readFileSync(path.join(TREE, 'drivers/misc/lockseed.c'), 'utf8').split('\n')[214], /mutex_lock\(&dev->b_lock\)/);
    assert.match(await hoverText(sym, at(sym, 30, 'lockseed_ioctl', 3)), /lockseed\.c:215\]\([^)]*\) \(from the log\)/);
    await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
  });

  test("with the log as the active trace, the kernel tree's lock expressions light up with the report's classes", async () => {
    await vscode.commands.executeCommand('locktrace.selectActiveTrace', DMESG);
    const c = await vscode.workspace.openTextDocument(path.join(TREE, 'drivers/misc/lockseed.c'));
    const k = c
      .getText()
      .split('\n')
      .findIndex((l) => l.includes('mutex_lock(&dev->b_lock)'));
    assert.ok(k > 0);
    const pos = new vscode.Position(k, c.lineAt(k).text.indexOf('&dev->b_lock') + 7);
    const text = await waitFor('a locktrace hover in lockseed.c', async () => {
      const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', c.uri, pos);
      const t = hovers
        .flatMap((h) => h.contents)
        .map((x) => (typeof x === 'string' ? x : x.value))
        .join('\n');
      return /locktrace/.test(t) && t;
    });
    assert.match(text, /lock class `&dev->b_lock`/);
    assert.match(text, /&dev->a_lock/);
  });

  test('the debugger steps through the chain edge by edge, back again, each edge with its stack in source', async () => {
    // the lock panel opens beside the log when the session starts (no panel left from earlier tests)
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.One });
    const m0 = 0;
    const session = await launch({ program: DMESG.fsPath, stopOnEntry: true });
    const entry = await log.event<DebugProtocol.StoppedEvent>(session, 'stopped', m0);
    const lineOf = async (threadId: number) => {
      const frames = await stackOf(session, threadId);
      return { frames, top: frames[0] };
    };
    let t = entry.body.threadId!;
    const { top } = await lineOf(t);
    assert.strictEqual(top.line, 199, 'stops at the title line');
    assert.strictEqual(top.name, 'WARNING: possible circular locking dependency detected');

    // next: -> #1, then -> #0, then the reporting task with its held list and the lock it waits for
    const seen: { line: number; thread: string; name: string }[] = [];
    const threads = async () => ((await session.customRequest('threads')) as DebugProtocol.ThreadsResponse['body']).threads;
    for (let k = 0; k < 3; k++) {
      const s = await stepAndStop(log, session, 'stepIn', { threadId: t });
      t = s.body.threadId!;
      const { top: f } = await lineOf(t);
      seen.push({ line: f.line, thread: (await threads()).find((x) => x.id === t)!.name, name: f.name });
    }
    assert.deepStrictEqual(
      seen.map((s) => `${s.line} ${s.thread}`),
      ['213 -> #1 syscall ioctl', '221 -> #0 syscall ioctl', '247 ls_seed/66'],
    );
    assert.match(seen[0].name, /^-> #1 takes &dev->b_lock in syscall ioctl while holding &dev->a_lock/);

    // step back: -> #0 again; its frames are its stack in the log, opened in the kernel tree
    const back = await stepAndStop(log, session, 'stepBack', { threadId: t });
    t = back.body.threadId!;
    assert.strictEqual(t, await threadOf(session, '-> #0 syscall ioctl'));
    const { frames } = await lineOf(t);
    assert.strictEqual(frames[0].line, 221);
    const named = (fn: string) => frames.find((f) => f.name.startsWith(fn));
    const ioctl = named('lockseed_ioctl');
    assert.ok(ioctl, frames.map((f) => f.name).join(' | '));
    assert.strictEqual(path.relative(TREE, filePath(ioctl.source?.path)), 'drivers/misc/lockseed.c');
    assert.strictEqual(ioctl.line, 176);
    assert.strictEqual(path.relative(TREE, filePath(named('vfs_ioctl')?.source?.path)), 'fs/ioctl.c');
    // lockdep's own frames are there, marked subtle
    assert.strictEqual(named('__lock_acquire')?.presentationHint, 'subtle');
    // a frame the tree does not have stays on its log line
    const entryFrame = named('entry_SYSCALL_64_after_hwframe');
    assert.ok(entryFrame);
    assert.strictEqual(filePath(entryFrame.source?.path), DMESG.fsPath);
    assert.strictEqual(entryFrame.line, 229);
    if (driverAvailable()) {
      // the lock panel opened with the session: the chain is its lock graph, each edge labelled with its context and line
      const edge = async (from: string, to: string, re: RegExp) =>
        waitFor(`panel edge ${from} -> ${to} matching ${re}`, async () => {
          const r = await driverRequest('webviewText', {
            selector: `.lt-edge[data-from="${from}"][data-to="${to}"]`,
            timeoutMs: 5_000,
          }).catch(() => ({
            text: null,
          }));
          return r.text !== null && re.test(r.text) && r.text;
        });
      const e1 = await edge('&dev->a_lock', '&dev->b_lock', /syscall ioctl:213$/);
      assert.match(e1, /made at line 213 in syscall ioctl/);
      assert.doesNotMatch(e1, /\/-1/, 'no task is named for an edge lockdep recorded none for');
      assert.match(await edge('&dev->b_lock', '&dev->a_lock', /syscall ioctl:221$/), /made at line 221 by ls_seed\/66 in syscall ioctl/);
      await new Promise((r) => setTimeout(r, 500));
      const shot = await driverRequest('screenshot', { name: 'kernel-log-debug' });
      assert.ok(fs.existsSync(shot.path));
    }
    await cleanUp();
  });
});

// Smoke test of the extension in a real extension host: language registration (by extension and by
// first line), activation, the locktrace.showOutput command.
import * as assert from 'assert';
import * as path from 'path';
import * as vscode from 'vscode';
import { driverAvailable, driverRequest } from './driver';
import { waitFor } from './wait';

const EXTENSION_ID = 'locktrace.locktrace';
// out/test/integration/smoke.test.js → repo root
const REPO = path.resolve(__dirname, '../../..');
const SAMPLE = path.join(REPO, 'samples/syscall-order-inversion.trace');
const FIRST_LINE = path.join(REPO, 'test/workspace/first-line');

suite('smoke', () => {
  let doc: vscode.TextDocument;

  suiteSetup(async () => {
    doc = await vscode.workspace.openTextDocument(vscode.Uri.file(SAMPLE));
    await vscode.window.showTextDocument(doc);
  });

  test('a .trace file gets the locktrace language', () => {
    assert.strictEqual(doc.languageId, 'locktrace');
  });

  test('opening a trace activates the extension', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is loaded as the extension under development`);
    await waitFor('activation', () => ext.isActive);
  });

  test('locktrace.showOutput is registered and runs', async () => {
    const commands = await vscode.commands.getCommands(true);
    assert.ok(commands.includes('locktrace.showOutput'), 'command registered');
    await vscode.commands.executeCommand('locktrace.showOutput');
  });

  test('the output panel shows the locktrace channel (driver)', async function () {
    if (!driverAvailable()) this.skip();
    await vscode.commands.executeCommand('locktrace.showOutput');
    const text = await driverRequest('workbenchText', { selector: '.part.panel .monaco-editor .view-lines' });
    assert.match(text.text ?? '', /locktrace [\d.]+ activated/);
    const shot = await driverRequest('screenshot', { name: 'smoke-output' });
    assert.ok(shot.path.endsWith('smoke-output.png'));
  });

  for (const [file, expected] of [
    ['ftrace-header', 'locktrace'],
    ['trace-cmd-report', 'locktrace'],
    ['locktrace-jsonl', 'locktrace'],
    ['not-a-trace', 'plaintext'],
  ] as const) {
    test(`first line: ${file} → ${expected}`, async () => {
      const d = await vscode.workspace.openTextDocument(vscode.Uri.file(path.join(FIRST_LINE, file)));
      assert.strictEqual(d.languageId, expected);
    });
  }
});

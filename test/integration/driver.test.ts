// Tests of the driver request channel itself (test/integration/driver.ts ⇄ run-vscode-tests.mjs), on a
// throw-away webview created by the test, so webview features can rely on webviewText/webviewClick.
// Skipped under VSCODE_EXECUTABLE (test-electron has no Playwright driver).
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { driverAvailable, driverRequest } from './driver';

suite('driver channel', () => {
  suiteSetup(function () {
    if (!driverAvailable()) {
      console.log('[locktrace-tests] no Playwright driver on this route: driver channel tests skipped');
      this.skip();
    }
  });

  test('ping', async () => {
    assert.deepStrictEqual(await driverRequest('ping', {}), { pong: true });
  });

  test('an unknown op is answered with an error, not a hang', async () => {
    await assert.rejects(driverRequest('nope' as 'ping', {}), /unknown driver op/);
  });

  test('screenshot writes a PNG', async () => {
    const { path } = await driverRequest('screenshot', { name: 'driver-channel' });
    assert.strictEqual(fs.readFileSync(path).subarray(1, 4).toString(), 'PNG');
  });

  test('webview text and click round trip', async () => {
    const panel = vscode.window.createWebviewPanel('locktrace.testPanel', 'driver test', vscode.ViewColumn.One, {
      enableScripts: true,
    });
    try {
      const clicked = new Promise<unknown>((resolve) => panel.webview.onDidReceiveMessage(resolve));
      const nonce = 'n' + Math.random().toString(36).slice(2);
      panel.webview.html = `<!DOCTYPE html><html><head><meta charset="utf-8">
        <meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-${nonce}';">
        </head><body><h1 id="title">driver says hello</h1><button id="btn">click</button>
        <script nonce="${nonce}">const vscode = acquireVsCodeApi();
        document.getElementById('btn').addEventListener('click', () => vscode.postMessage({ type: 'clicked' }));</script>
        </body></html>`;
      const { text } = await driverRequest('webviewText', { selector: '#title', timeoutMs: 30_000 });
      assert.strictEqual(text, 'driver says hello');
      await driverRequest('webviewClick', { selector: '#btn' });
      const msg = await Promise.race([
        clicked,
        new Promise((_, rej) => setTimeout(() => rej(new Error('no message from the webview within 15 s')), 15_000)),
      ]);
      assert.deepStrictEqual(msg, { type: 'clicked' });
    } finally {
      panel.dispose();
    }
  }).timeout(60_000);
});

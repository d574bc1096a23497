// What the integration suites read from the workbench: a position found by the text on a line,
// the text of the hovers there, the text of an element inside the lock panel's webview, and a
// screenshot with a hover open (the last two through the Playwright driver, so only on the
// code-server route).
import * as assert from 'assert';
import * as fs from 'fs';
import * as vscode from 'vscode';
import { driverRequest } from './driver';
import { waitFor } from './wait';

/** 0-based position of `needle` on a 1-based line of `doc` (+ offset into it). */
export function at(doc: vscode.TextDocument, line: number, needle: string, plus = 1): vscode.Position {
  const k = doc.lineAt(line - 1).text.indexOf(needle);
  assert.ok(k >= 0, `${needle} on line ${line}`);
  return new vscode.Position(line - 1, k + plus);
}

/** The hovers' text at a position (vscode.executeHoverProvider), joined by newlines. */
export async function hoverText(doc: vscode.TextDocument, pos: vscode.Position): Promise<string> {
  const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, pos);
  return hovers
    .flatMap((h) => h.contents)
    .map((c) => (typeof c === 'string' ? c : c.value))
    .join('\n');
}

/** textContent of a webview element, polled until `re` matches (the panel renders asynchronously). */
export async function panelText(selector: string, re: RegExp, timeoutMs = 20_000): Promise<string> {
  let last: string | null = null;
  try {
    return await waitFor(
      `panel ${selector} to match ${re}`,
      async () => {
        last = (await driverRequest('webviewText', { selector, timeoutMs: 5_000 }).catch(() => ({ text: null }))).text;
        return last !== null && re.test(last) && last;
      },
      timeoutMs,
    );
  } catch (e) {
    throw new Error(`${(e as Error).message}; last text: ${JSON.stringify(last)}`);
  }
}

/**
 * The workbench screenshot `name` (test-artifacts/screenshots) of `doc` alone in the first column
 * with the Problems view open and the hover at `pos` showing text that matches `expect`; `reveal`
 * scrolls the editor first, `ready` waits for what must be there once the document is shown.
 * Closes the hover and shows the explorer again afterwards. Needs the driver (code-server route).
 */
export async function screenshotHover(
  name: string,
  doc: vscode.TextDocument,
  pos: vscode.Position,
  reveal: { range: vscode.Range; type: vscode.TextEditorRevealType },
  expect: RegExp,
  ready?: () => Promise<unknown>,
): Promise<void> {
  await vscode.commands.executeCommand('workbench.action.closeAllEditors');
  await vscode.commands.executeCommand('workbench.action.closeSidebar');
  await vscode.commands.executeCommand('workbench.action.closeAuxiliaryBar');
  const editor = await vscode.window.showTextDocument(doc, { preview: false, viewColumn: vscode.ViewColumn.One });
  await ready?.();
  await vscode.commands.executeCommand('workbench.actions.view.problems');
  await vscode.commands.executeCommand('workbench.action.focusActiveEditorGroup');
  editor.selection = new vscode.Selection(pos, pos);
  editor.revealRange(reveal.range, reveal.type);
  await new Promise((r) => setTimeout(r, 500));
  await vscode.commands.executeCommand('editor.action.showHover');
  const hover = await driverRequest('workbenchText', { selector: '.monaco-hover-content' });
  assert.match(hover.text ?? '', expect);
  await new Promise((r) => setTimeout(r, 300));
  const shot = await driverRequest('screenshot', { name });
  assert.ok(fs.existsSync(shot.path));
  await driverRequest('press', { key: 'Escape' });
  await vscode.commands.executeCommand('workbench.view.explorer');
}

// What the integration suites read from the workbench: a position found by the text on a line,
// the text of the hovers there, and the text of an element inside the lock panel's webview (through
// the Playwright driver, so only on the code-server route).
import * as assert from 'assert';
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

// Test-side client of the driver request channel: asks scripts/vscode-host/run-vscode-tests.mjs (Playwright)
// for things the extension API cannot do — workbench screenshots, reading or clicking inside a webview.
// Protocol (docs/vscode-tests.md): log one line `LOCKTRACE_DRIVER {"id":…,"op":…}`; the driver writes
// `$LOCKTRACE_DRIVER_DIR/<id>.json` = {id, ok, result | error}; we poll for that file.
// Only the code-server route has a driver; under VSCODE_EXECUTABLE (test-electron) `driverAvailable()` is false.
// Uses no `vscode` API: it talks to the host through files.
import * as fs from 'fs';
import * as path from 'path';

/** The requests the driver understands, with their results. */
export interface DriverOps {
  ping: { args: Record<string, never>; result: { pong: true } };
  /** PNG of the whole workbench, written to <artifacts>/screenshots/<name>.png. */
  screenshot: { args: { name: string }; result: { path: string } };
  /** textContent of the first element matching `selector` in any webview frame. */
  webviewText: { args: { selector: string; timeoutMs?: number }; result: { text: string | null } };
  webviewClick: { args: { selector: string; timeoutMs?: number }; result: Record<string, never> };
  /** Moves the mouse onto the first element matching `selector` in any webview frame. */
  webviewHover: { args: { selector: string; timeoutMs?: number }; result: Record<string, never> };
  /** Turns the mouse wheel over that element: `count` events of `deltaY` pixels, `intervalMs` apart. */
  webviewWheel: {
    args: { selector: string; deltaY: number; count: number; intervalMs?: number; timeoutMs?: number };
    result: Record<string, never>;
  };
  /** textContent of an element of the workbench itself (hover widget, status bar, …). */
  workbenchText: { args: { selector: string; timeoutMs?: number }; result: { text: string | null } };
  /** Clicks a visible element of the workbench itself (a walkthrough step, its button). */
  workbenchClick: { args: { selector: string; timeoutMs?: number }; result: Record<string, never> };
  /** A key press in the focused workbench element (Playwright key names: "Escape", "Control+P"). */
  press: { args: { key: string }; result: Record<string, never> };
}

let counter = 0;
// Every test file bundles its own copy of this module, so the counter alone is not unique.
const instance = Math.random().toString(36).slice(2, 8);

/** True when the tests run under the Playwright driver (code-server route). */
export function driverAvailable(): boolean {
  return !!process.env.LOCKTRACE_DRIVER_DIR;
}

/** Sends one request to the driver and waits for its answer; rejects with the driver's error message. */
export async function driverRequest<K extends keyof DriverOps>(
  op: K,
  args: DriverOps[K]['args'],
  timeoutMs = 60_000,
): Promise<DriverOps[K]['result']> {
  const dir = process.env.LOCKTRACE_DRIVER_DIR;
  if (!dir) throw new Error(`driver request "${op}" needs the code-server route (LOCKTRACE_DRIVER_DIR is not set)`);
  const id = `r${process.pid}-${instance}-${++counter}`;
  const file = path.join(dir, `${id}.json`);
  console.log(`LOCKTRACE_DRIVER ${JSON.stringify({ id, op, ...args })}`);
  const end = Date.now() + timeoutMs;
  while (!fs.existsSync(file)) {
    if (Date.now() > end) throw new Error(`driver did not answer request ${id} (${op}) within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
  const res = JSON.parse(fs.readFileSync(file, 'utf8')) as { ok: boolean; result?: unknown; error?: string };
  fs.rmSync(file, { force: true });
  if (!res.ok) throw new Error(`driver request ${op} failed: ${res.error}`);
  return res.result as DriverOps[K]['result'];
}

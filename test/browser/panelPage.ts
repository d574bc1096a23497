// The built lock panel (out/media/panel.js) in a fresh headless Chromium, talking the real
// protocol to a real host controller (src/panel/controller.ts): a stub acquireVsCodeApi forwards
// the webview's messages (each checked to be a protocol message) to the controller, and the
// controller's messages are delivered with window.postMessage, as VS Code does.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { PanelController } from '../../src/panel/controller';
import type { PanelModel } from '../../src/panel/model';
import { HostMessage, WebviewMessage, isWebviewMessage } from '../../src/protocol/panel';
import { ROOT } from '../unit/panel/fixture';
import { CHROMIUM, launchChromium, writePanelPage } from './chromium';
import { applyThemeScript } from './themes';

/** Where the browser tests write their pages and screenshots. */
export const ARTIFACTS = path.join(ROOT, 'test-artifacts');
/** The built webview bundle. */
export const BUNDLE = path.join(ROOT, 'out', 'media', 'panel.js');

export interface PanelPage {
  context: BrowserContext;
  page: Page;
  controller: PanelController;
  /** The browser profile: remove it when done. */
  userDataDir: string;
}

/**
 * Opens `model`'s panel (page test-artifacts/NAME.html, dark theme) and resolves once it shows the
 * trace's name. `posted` receives every message the webview posts; `onPage` sees the page before
 * anything is loaded (to listen for errors).
 */
export async function openPanelPage(
  model: PanelModel,
  o: {
    name: string;
    nonce: string;
    viewport: { width: number; height: number };
    scale?: number;
    /** The event the controller starts at (its default otherwise). */
    at?: number;
    posted: WebviewMessage[];
    reveal?: (line: number) => void;
    onPage?: (page: Page) => void;
  },
): Promise<PanelPage> {
  assert.ok(
    fs.existsSync(CHROMIUM),
    `Chromium not found at ${CHROMIUM}: install it with \`apt-get install -y chromium\` (or set LOCKTRACE_CHROMIUM). The browser tests do not skip.`,
  );
  assert.ok(fs.existsSync(BUNDLE), `${BUNDLE} missing: run \`node esbuild.js\` first`);
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  const htmlFile = path.join(ARTIFACTS, `${o.name}.html`);
  writePanelPage(htmlFile, BUNDLE, o.nonce);
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-chromium-'));
  const { context, page } = await launchChromium(userDataDir, o.viewport, o.scale);
  o.onPage?.(page);
  const controller = new PanelController(
    model,
    {
      post: (msg: HostMessage) => void page.evaluate((m) => window.postMessage(m, '*'), msg).catch(() => undefined),
      reveal: o.reveal ?? (() => undefined),
    },
    o.at,
  );
  await page.exposeFunction('__locktraceHostReceive', async (msg: unknown) => {
    assert.ok(isWebviewMessage(msg), `webview posted a non-protocol message: ${JSON.stringify(msg)}`);
    o.posted.push(msg);
    await controller.handle(msg);
  });
  await page.addInitScript(`
    window.__ltState = undefined;
    window.acquireVsCodeApi = () => ({
      postMessage: (m) => window.__locktraceHostReceive(JSON.parse(JSON.stringify(m))),
      getState: () => window.__ltState,
      setState: (s) => { window.__ltState = s; },
    });
  `);
  await page.addInitScript(applyThemeScript('dark'));
  await page.goto(`file://${htmlFile}`);
  await page.waitForFunction((title) => document.getElementById('lt-title')?.textContent === title, path.basename(model.path));
  return { context, page, controller, userDataDir };
}

// Headless Debian Chromium for the panel's browser tests and its benchmark (test/bench/panel.ts):
// where the browser is, the flags this offline machine needs, and the built webview written as
// an HTML page the way the extension serves it (file: URIs, strict CSP with a nonce).
// playwright-core is loaded only when a browser is launched.

import * as fs from 'node:fs';
import * as path from 'node:path';
import type { BrowserContext, Page } from 'playwright-core';
import { panelHtml } from '../../src/panel/html';
import CHROMIUM_FLAGS from '../../scripts/vscode-host/chromium-flags.json';

export const CHROMIUM = process.env.LOCKTRACE_CHROMIUM ?? '/usr/bin/chromium';

/** No sandbox (root), no GPU, and nothing that would reach the network: the flags the VS Code host runner uses too. */
export const CHROMIUM_ARGS = ['--headless', ...CHROMIUM_FLAGS];

/**
 * Starts Chromium with a profile in `userDataDir` (a fresh directory) and returns its first page;
 * `scale` is the device pixels per CSS pixel (2 for a HiDPI screen).
 */
export async function launchChromium(
  userDataDir: string,
  viewport: { width: number; height: number },
  scale = 1,
): Promise<{ context: BrowserContext; page: Page }> {
  const { chromium } = await import('playwright-core');
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport,
    deviceScaleFactor: scale,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return { context, page };
}

/** Writes the panel page for the built bundle `bundle` (out/media/panel.js) to `htmlFile`. */
export function writePanelPage(htmlFile: string, bundle: string, nonce: string): void {
  fs.mkdirSync(path.dirname(htmlFile), { recursive: true });
  fs.writeFileSync(
    htmlFile,
    panelHtml({ cspSource: 'file:', nonce, scriptUri: `file://${bundle}`, styleUri: `file://${bundle.replace(/\.js$/, '.css')}` }),
  );
}

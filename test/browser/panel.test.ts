// The built webview bundle (out/media/panel.js + panel.css) in headless Debian Chromium, talking
// the real protocol to the real host controller (src/panel/controller.ts) over the real analysis
// of the shared sample. A stub acquireVsCodeApi forwards the webview's messages to the controller;
// the controller's messages are delivered with window.postMessage like VS Code does.
// Screenshots (dark and light theme) go to test-artifacts/.
// Needs /usr/bin/chromium (`apt-get install -y chromium`): without it this test FAILS.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { PanelController } from '../../src/panel/controller';
import { LANE_LOCK_H, LANE_PAD, LANE_SYSCALL_H } from '../../media/src/viewModel';
import { WebviewMessage, isWebviewMessage } from '../../src/protocol/panel';
import { CHROMIUM, launchChromium, writePanelPage } from './chromium';
import { ARTIFACTS, BUNDLE, PanelPage, openPanelPage } from './panelPage';
import { applyThemeScript } from './themes';
import type { PanelModel } from '../../src/panel/model';
import { generatedModel, kernelAbbaModel, sampleModel } from '../unit/panel/fixture';

/** The sample's panel in a fresh Chromium at `scale` device pixels per CSS pixel, talking to a real controller. */
function openSamplePanel(
  model: PanelModel,
  scale: number,
  name: string,
  sink: { posted: WebviewMessage[]; revealed: number[]; errors: string[] },
): Promise<PanelPage> {
  return openPanelPage(model, {
    name,
    nonce: 'dGVzdC1ub25jZS0xMjM0NQ==',
    viewport: { width: 1180, height: 900 },
    scale,
    posted: sink.posted,
    reveal: (line) => sink.revealed.push(line),
    onPage: (page) => {
      page.on('console', (m) => {
        if (/Content.Security.Policy/i.test(m.text())) sink.errors.push(m.text());
      });
      page.on('pageerror', (e) => sink.errors.push(`page error: ${e.message}`));
    },
  });
}

/** Where the view model puts event `index` of task `task` (row -1: its syscall row, else a lock depth), in page coordinates. */
async function eventPointOn(page: Page, task: number, index: number, row: number): Promise<{ x: number; y: number }> {
  const g = await page.evaluate((t) => {
    const host = document.getElementById('lt-timeline')!;
    const overlay = host.querySelector('svg.lt-tl-overlay')!;
    const box = overlay.getBoundingClientRect();
    const label = document.querySelector(`.lt-lane-label[data-task="${t}"]`)!.getBoundingClientRect();
    return {
      left: box.left,
      top: box.top,
      width: Number(overlay.getAttribute('width')),
      laneY: label.top - box.top,
      from: Number(host.dataset.from),
      to: Number(host.dataset.to),
    };
  }, task);
  const x = ((index - g.from) / (g.to - g.from)) * g.width + 4;
  const y = g.laneY + LANE_PAD + (row < 0 ? 7 : LANE_SYSCALL_H + row * LANE_LOCK_H + 5);
  return { x: g.left + x, y: g.top + y };
}

describe('lock panel in Chromium', { timeout: 120_000 }, () => {
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const model = sampleModel();
  const at35 = model.resolve({ line: 35 });
  const posted: WebviewMessage[] = [];
  const revealed: number[] = [];
  const cspErrors: string[] = [];
  let controller: PanelController;

  before(async () => {
    ({ context, page, controller, userDataDir } = await openSamplePanel(model, 1, 'panel', { posted, revealed, errors: cspErrors }));
  });

  after(async () => {
    await context?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  async function moveTo(index: number): Promise<void> {
    controller.moveTo(index);
    const line = model.store.line[index];
    await page.waitForFunction((l) => document.getElementById('lt-position')?.textContent?.startsWith(`line ${l} `), line);
    // the webview asks for a timeline window when the cursor leaves it; wait until it is drawn
    await page.waitForSelector('#lt-cursor', { state: 'attached' });
  }

  function eventPoint(task: number, index: number, row: number): Promise<{ x: number; y: number }> {
    return eventPointOn(page, task, index, row);
  }

  async function clickEvent(task: number, index: number, row: number): Promise<void> {
    const p = await eventPoint(task, index, row);
    await page.mouse.click(p.x, p.y);
  }

  async function hoverEvent(task: number, index: number, row: number): Promise<string> {
    const p = await eventPoint(task, index, row);
    await page.mouse.move(p.x, p.y);
    await page.waitForFunction(() => !!document.querySelector('.lt-tl-stack')?.getAttribute('title'));
    return (await page.locator('.lt-tl-stack').getAttribute('title')) ?? '';
  }

  it('starts with the ready handshake and a timeline request', () => {
    assert.equal(posted[0]?.type, 'ready');
    const req = posted.find((m) => m.type === 'requestTimeline');
    assert.ok(req && req.type === 'requestTimeline' && req.from === 0 && req.to === model.store.length);
  });

  it('shows the held stacks at line 35, innermost on top', async () => {
    await moveTo(at35);
    const reader = page.locator('.lt-col[data-pid="2102"]');
    assert.deepEqual(await reader.locator('.lt-held-class').allTextContents(), ['sb_writers', '&inode->i_dio_map']);
    assert.match((await reader.getAttribute('class')) ?? '', /lt-current/);
    assert.equal(await reader.getAttribute('aria-current'), 'true');
    const dio = reader.locator('.lt-held[data-class="&inode->i_dio_map"]');
    assert.match((await dio.getAttribute('class')) ?? '', /lt-across/);
    assert.match((await dio.textContent()) ?? '', /L29 · io_uring_enter.*across syscall/);
    const sb = reader.locator('.lt-held[data-class="sb_writers"]');
    assert.match((await sb.textContent()) ?? '', /L35 · io_submit/);
    assert.doesNotMatch((await sb.getAttribute('class')) ?? '', /lt-across/);
    assert.match((await reader.locator('.lt-syscall-now').textContent()) ?? '', /in io_submit/);
    const writer = page.locator('.lt-col[data-pid="2101"]');
    assert.doesNotMatch((await writer.getAttribute('class')) ?? '', /lt-current/);
    assert.equal(await writer.locator('.lt-held').count(), 0);
    assert.match((await writer.textContent()) ?? '', /no locks held/);
    assert.match((await writer.textContent()) ?? '', /in userspace/);
  });

  it('highlights the io_submit of pid 2102 and the syscalls of the other edge', async () => {
    const readerLane = page.locator('.lt-lane[data-task="1"]');
    const inv = readerLane.locator('.lt-sys.lt-hl-inversion');
    assert.equal(await inv.count(), 1);
    assert.equal(await inv.getAttribute('data-syscall'), 'io_submit');
    assert.equal(await page.locator('.lt-sys.lt-hl-inversion').count(), 1, 'only one syscall is where it shows up');
    const cycle = await page
      .locator('.lt-sys.lt-hl-cycle')
      .evaluateAll((els) => els.map((e) => `${e.closest('.lt-lane')?.getAttribute('data-task')}:${e.getAttribute('data-syscall')}`).sort());
    assert.deepEqual(cycle, ['0:io_submit', '0:io_uring_enter', '1:io_uring_enter']);
    // the bars are on the canvas: the leaked spans' hatching shows as leak-coloured pixels there
    const leakPixels = await page.evaluate(() => {
      const canvas = document.querySelector('canvas.lt-tl-canvas') as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      // --vscode-charts-yellow of the dark stub theme, #cca700
      for (let k = 0; k < data.length; k += 4)
        if (Math.abs(data[k] - 204) < 8 && Math.abs(data[k + 1] - 167) < 8 && data[k + 2] < 16 && data[k + 3] > 200) n++;
      return n;
    });
    assert.ok(leakPixels > 200, `leaked spans are drawn: ${leakPixels} leak-coloured pixels`);
    // detail windows are one canvas and a few SVG marks, not one element a bar
    assert.equal(await page.locator('#lt-timeline canvas.lt-tl-canvas').count(), 1);
    assert.ok((await page.locator('#lt-timeline svg *').count()) < 60, 'few overlay elements');
  });

  it('draws the cycle in the lock-order graph with syscall labels', async () => {
    const edges = await page
      .locator('.lt-edge.lt-in-cycle')
      .evaluateAll((els) =>
        els
          .map((e) => `${e.getAttribute('data-from')} -> ${e.getAttribute('data-to')} [${e.querySelector('.lt-edge-label')?.textContent}]`)
          .sort(),
      );
    assert.deepEqual(edges, ['&inode->i_dio_map -> sb_writers [io_submit:35]', 'sb_writers -> &inode->i_dio_map [io_uring_enter:20]']);
    const nodes = await page.locator('.lt-node.lt-in-cycle').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')).sort());
    assert.deepEqual(nodes, ['&inode->i_dio_map', 'sb_writers']);
    assert.equal(
      await page.locator('.lt-finding.lt-selected .lt-finding-title').textContent(),
      'inversion: &inode->i_dio_map ⇄ sb_writers',
    );
  });

  it('saves dark, light and high-contrast screenshots', async () => {
    await page.screenshot({ path: path.join(ARTIFACTS, 'panel-dark-line35.png'), fullPage: true });
    await page.evaluate(applyThemeScript('light'));
    await page.screenshot({ path: path.join(ARTIFACTS, 'panel-light-line35.png'), fullPage: true });
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    assert.equal(bg, 'rgb(255, 255, 255)');
    await page.evaluate(applyThemeScript('hc'));
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    await page.screenshot({ path: path.join(ARTIFACTS, 'panel-hc-line35.png'), fullPage: true });
    const hc = await page.evaluate(() => ({
      bg: getComputedStyle(document.body).backgroundColor,
      // high contrast draws task columns and held locks with the contrast border, not a shade
      column: getComputedStyle(document.querySelector('.lt-col')!).borderTopColor,
      held: getComputedStyle(document.querySelector('.lt-held')!).borderTopColor,
    }));
    assert.deepEqual(hc, { bg: 'rgb(0, 0, 0)', column: 'rgb(111, 195, 223)', held: 'rgb(111, 195, 223)' });
    await page.evaluate(applyThemeScript('dark'));
    assert.ok(fs.statSync(path.join(ARTIFACTS, 'panel-dark-line35.png')).size > 10_000);
  });

  it('posts seek and selectFinding messages on clicks and keys', async () => {
    const inversion = model.analysis.findings.find((f) => f.kind === 'inversion')!;
    const leak = model.analysis.findings.find((f) => f.kind === 'held-across-syscall')!;
    const last = (): WebviewMessage | undefined => posted[posted.length - 1];
    const nextPost = async (act: () => Promise<void>): Promise<WebviewMessage> => {
      const n = posted.length;
      await act();
      for (let k = 0; k < 100 && posted.length === n; k++) await new Promise((r) => setTimeout(r, 20));
      assert.ok(posted.length > n, 'a message was posted');
      return posted[n];
    };

    // a held lock: seek to its acquisition
    let m = await nextPost(() => page.locator('.lt-col[data-pid="2102"] .lt-held[data-class="&inode->i_dio_map"]').click());
    assert.deepEqual(m, { type: 'seek', target: { index: model.resolve({ line: 29 }) } });
    await moveTo(at35);

    // a syscall bar of the other task (on the canvas: a click where the view model puts it)
    const uringEnter = model.resolve({ line: 18 });
    const tooltip = await hoverEvent(0, uringEnter, -1);
    assert.match(tooltip, /^io_uring_enter \(NR \d+\), lines 18–/, 'the tooltip names the bar under the pointer');
    m = await nextPost(() => clickEvent(0, uringEnter, -1));
    assert.deepEqual(m, { type: 'seek', target: { index: uringEnter } });
    await moveTo(at35);

    // a lock bar in the timeline: sb_writers of task 0, at its depth in the window
    const w = await page.evaluate(() => ({
      from: Number(document.getElementById('lt-timeline')!.dataset.from),
      to: Number(document.getElementById('lt-timeline')!.dataset.to),
    }));
    const win = model.timeline({ requestId: 0, from: w.from, to: w.to, width: 600, tasks: { pinned: [], text: '' } });
    const sb = win.lanes.find((l) => l.taskId === 0)!.locks.find((b) => b.className === 'sb_writers')!;
    assert.equal(sb.start, model.resolve({ line: 16 }));
    m = await nextPost(() => clickEvent(0, sb.start, sb.depth));
    assert.deepEqual(m, { type: 'seek', target: { index: model.resolve({ line: 16 }) } });
    await moveTo(at35);

    // elsewhere (here the axis) a click seeks to the event under the pointer
    m = await nextPost(async () => {
      const p = await eventPoint(0, model.resolve({ line: 29 }), -1);
      const top = await page.evaluate(() => document.querySelector('svg.lt-tl-overlay')!.getBoundingClientRect().top);
      await page.mouse.click(p.x, top + 5);
    });
    assert.deepEqual(m, { type: 'seek', target: { index: model.resolve({ line: 29 }) } });
    await moveTo(at35);

    // keyboard on the canvas bars: ] selects the first bar at or after the cursor in the current task's lane, Enter seeks there
    m = await nextPost(async () => {
      await page.locator('#lt-timeline').focus();
      await page.keyboard.press(']');
      await page.waitForFunction(() => !!document.querySelector('.lt-kbd-info')?.textContent);
      await page.keyboard.press('Enter');
    });
    assert.equal(m.type, 'seek');
    assert.ok(m.type === 'seek' && 'index' in m.target && m.target.index >= at35, `a bar at or after the cursor: ${JSON.stringify(m)}`);
    assert.equal(await page.locator('#lt-kbd-bar').count(), 1, 'the selected bar is outlined');
    await page.keyboard.press('Escape');
    await moveTo(at35);

    // a graph edge
    m = await nextPost(() => page.locator('.lt-edge[data-from="sb_writers"][data-to="&inode->i_dio_map"] text').click());
    assert.deepEqual(m, { type: 'seek', target: { index: model.resolve({ line: 20 }) } });

    // a finding: select it and seek to where it shows up
    m = await nextPost(() => page.locator(`.lt-finding[data-finding="${leak.id}"]`).click());
    assert.deepEqual(m, { type: 'selectFinding', findingId: leak.id, seek: true });
    await page.waitForFunction((l) => document.getElementById('lt-position')?.textContent?.startsWith(`line ${l} `), leak.line);
    assert.deepEqual(revealed.slice(-1), [leak.line], 'the host reveals the line');

    // keyboard: focus the inversion finding and press Enter
    m = await nextPost(async () => {
      await page.locator(`.lt-finding[data-finding="${inversion.id}"]`).focus();
      await page.keyboard.press('Enter');
    });
    assert.deepEqual(m, { type: 'selectFinding', findingId: inversion.id, seek: true });
    await page.waitForFunction((l) => document.getElementById('lt-position')?.textContent?.startsWith(`line ${l} `), 35);

    // keyboard on an SVG syscall bar
    m = await nextPost(async () => {
      await page.locator('.lt-lane[data-task="1"] .lt-sys.lt-hl-inversion').focus();
      await page.keyboard.press('Enter');
    });
    assert.deepEqual(m, { type: 'seek', target: { index: model.resolve({ line: 32 }) } });
    assert.ok(last());
  });

  it('filters and pins tasks, and keeps the choice with setState', async () => {
    await page.fill('#lt-filter', 'aio');
    await page.waitForFunction(() => document.querySelectorAll('.lt-col').length === 1);
    assert.equal(await page.locator('.lt-col').getAttribute('data-pid'), '2101');
    const f = posted.filter((p) => p.type === 'setTaskFilter').pop();
    assert.ok(f && f.type === 'setTaskFilter' && f.tasks.text === 'aio');
    await page.fill('#lt-filter', '');
    await page.locator('.lt-col[data-pid="2102"] .lt-pin').click();
    await page.waitForFunction(() => document.querySelector('.lt-col')?.getAttribute('data-pid') === '2102');
    const saved = await page.evaluate<{ tasks: { pinned: number[] }; tracePath: string }>('window.__ltState');
    assert.deepEqual(saved.tasks.pinned, [1]);
    assert.equal(saved.tracePath, model.path);
  });

  it('runs under the strict CSP without violations or page errors', () => {
    assert.deepEqual(cspErrors, []);
  });
});

describe('lock panel in Chromium at 2 device pixels per CSS pixel', { timeout: 120_000 }, () => {
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const model = sampleModel();
  const posted: WebviewMessage[] = [];
  const errors: string[] = [];
  let controller: PanelController;

  before(async () => {
    ({ context, page, controller, userDataDir } = await openSamplePanel(model, 2, 'panel-hidpi', { posted, revealed: [], errors }));
    controller.moveTo(model.resolve({ line: 35 }));
    await page.waitForFunction(() => document.getElementById('lt-position')?.textContent?.startsWith('line 35 '));
    await page.waitForSelector('#lt-cursor', { state: 'attached' });
  });

  after(async () => {
    await context?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  it('paints detail windows with device pixels, and clicks still find the bar under the pointer', async () => {
    // let the panel finish its frame
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const size = await page.evaluate(() => {
      const canvas = document.querySelector('#lt-timeline canvas') as HTMLCanvasElement;
      const box = canvas.getBoundingClientRect();
      return { backing: canvas.width, css: box.width, ratio: window.devicePixelRatio };
    });
    assert.equal(size.ratio, 2);
    assert.equal(size.backing, Math.round(size.css) * 2, 'the backing store has two pixels per CSS pixel');
    // the drawing fills the backing store: scaled to device pixels, not drawn into its top-left quarter
    const ink = await page.evaluate(() => {
      const c = document.querySelector('#lt-timeline canvas') as HTMLCanvasElement;
      const d = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
      let maxX = -1;
      let maxY = -1;
      for (let i = 3; i < d.length; i += 4) {
        if (!d[i]) continue;
        const px = (i - 3) / 4;
        maxX = Math.max(maxX, px % c.width);
        maxY = Math.max(maxY, Math.floor(px / c.width));
      }
      return { maxX, maxY, w: c.width, h: c.height };
    });
    assert.ok(ink.maxX > ink.w * 0.75 && ink.maxY > ink.h * 0.75, `painted over the whole backing store: ${JSON.stringify(ink)}`);
    // the io_uring_enter bar of the other task, where the view model puts it
    const enter = model.resolve({ line: 18 });
    const p = await eventPointOn(page, 0, enter, -1);
    // and a click there seeks to it
    const n = posted.length;
    await page.mouse.click(p.x, p.y);
    for (let k = 0; k < 100 && posted.length === n; k++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(posted[n], { type: 'seek', target: { index: enter } });
    assert.deepEqual(errors, []);
  });
});

describe('lock panel in Chromium: aggregated windows of a generated trace', { timeout: 180_000 }, () => {
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  const model = generatedModel();
  const n = model.store.length;
  const inv = model.analysis.findings.find((f) => f.kind === 'inversion')!;
  const posted: WebviewMessage[] = [];
  const errors: string[] = [];
  let controller: PanelController;

  before(async () => {
    assert.ok(fs.existsSync(CHROMIUM), `Chromium not found at ${CHROMIUM}`);
    const htmlFile = path.join(ARTIFACTS, 'panel-aggregate.html');
    writePanelPage(htmlFile, BUNDLE, 'dGVzdC1ub25jZS02Nzg5MA==');
    userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-chromium-'));
    ({ context, page } = await launchChromium(userDataDir, { width: 1180, height: 900 }));
    page.on('console', (m) => {
      if (/Content.Security.Policy/i.test(m.text())) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
    let deliveries = Promise.resolve();
    controller = new PanelController(model, {
      // in order, like VS Code's channel; typed arrays arrive as typed arrays (structured clone)
      post: (msg) => {
        deliveries = deliveries.then(() => page.evaluate((m) => window.postMessage(m, '*'), msg)).catch(() => undefined);
      },
      reveal: () => undefined,
    });
    await page.exposeFunction('__locktraceHostReceive', async (msg: unknown) => {
      assert.ok(isWebviewMessage(msg));
      posted.push(msg);
      await controller.handle(msg);
    });
    // the page logs, in its own order, every timeline request it posts and every answer it receives
    await page.addInitScript(`
      window.__ltState = undefined;
      window.__log = [];
      window.acquireVsCodeApi = () => ({
        postMessage: (m) => {
          if (m.type === 'requestTimeline') window.__log.push('req ' + m.requestId);
          window.__locktraceHostReceive(JSON.parse(JSON.stringify(m)));
        },
        getState: () => window.__ltState,
        setState: (s) => { window.__ltState = s; },
      });
      window.addEventListener('message', (ev) => {
        if (ev.data && ev.data.type === 'timeline') window.__log.push('ans ' + ev.data.window.requestId + (ev.data.window.buckets && ev.data.window.buckets.events instanceof Uint32Array ? ' typed' : ''));
      }, true);
    `);
    await page.addInitScript(applyThemeScript('dark'));
    await page.goto(`file://${htmlFile}`);
    controller.moveTo(inv.eventIndex);
    await page.waitForFunction((l) => document.getElementById('lt-position')?.textContent?.startsWith(`line ${l} `), inv.line);
  });

  after(async () => {
    await context?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  /** Waits until the window drawn is the view asked for. */
  async function settled(): Promise<{ from: number; to: number }> {
    await page.waitForFunction(() => {
      const t = document.getElementById('lt-timeline');
      const v = (window as unknown as { __ltState?: { view: { from: number; to: number } } }).__ltState?.view;
      return !!t && !!v && !t.dataset.pending && t.dataset.from === String(v.from) && t.dataset.to === String(v.to);
    });
    return page.evaluate(() => (window as unknown as { __ltState: { view: { from: number; to: number } } }).__ltState.view);
  }

  it('draws the whole trace on a canvas, with the inversion marked in its task and clickable', async () => {
    await page.locator('button[title="Whole trace"]').click();
    assert.deepEqual(await settled(), { from: 0, to: n });
    assert.equal(await page.locator('#lt-timeline canvas.lt-tl-canvas').count(), 1);
    assert.match((await page.locator('.lt-timeline .lt-section-head .lt-muted').textContent()) ?? '', /aggregated, \d+ events a bar/);
    const invTask = model.store.task[inv.eventIndex];
    const mark = page.locator(`.lt-lane[data-task="${invTask}"] .lt-sys.lt-hl-inversion`);
    assert.equal(await mark.count(), 1);
    assert.equal(await mark.getAttribute('data-event'), String(inv.eventIndex));
    assert.equal(await mark.getAttribute('data-syscall'), inv.syscall ?? '');
    assert.equal(await page.locator('.lt-sys.lt-hl-inversion').count(), 1);
    assert.ok((await page.locator('.lt-sys.lt-hl-cycle').count()) >= 1, 'the other edge of the cycle is marked');
    // the lanes are painted: the inverting task's lane (scrolled into view: the canvas covers what
    // is on screen) has opaque lock-colour pixels
    await page.locator(`.lt-lane-label[data-task="${invTask}"]`).scrollIntoViewIfNeeded();
    await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r))));
    const paintedPixels = await page.evaluate((task) => {
      const label = (document.querySelector(`.lt-lane-label[data-task="${task}"]`) as HTMLElement).getBoundingClientRect();
      const canvas = document.querySelector('canvas.lt-tl-canvas') as HTMLCanvasElement;
      const top = Math.round(label.top - canvas.getBoundingClientRect().top);
      const data = canvas.getContext('2d')!.getImageData(0, top, canvas.width, Math.round(label.height)).data;
      let n = 0;
      for (let k = 3; k < data.length; k += 4) if (data[k] > 200) n++;
      return n;
    }, invTask);
    assert.ok(paintedPixels > 1000, `painted pixels: ${paintedPixels}`);
    const log = await page.evaluate<string[]>('window.__log');
    assert.ok(
      log.some((l) => l.endsWith(' typed')),
      'buckets arrive as typed arrays',
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'panel-dark-aggregate.png'), fullPage: false });
    const before = posted.length;
    await mark.click();
    await page.waitForFunction(() => true);
    for (let k = 0; k < 100 && !posted.slice(before).some((m) => m.type === 'seek'); k++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      posted.slice(before).find((m) => m.type === 'seek'),
      { type: 'seek', target: { index: inv.eventIndex } },
    );
  });

  it('zooms and pans with the wheel, one request at a time, ending on the latest view', async () => {
    await page.evaluate('window.__log.length = 0');
    await page.evaluate(async () => {
      const host = document.getElementById('lt-timeline')!;
      const box = host.getBoundingClientRect();
      for (let k = 0; k < 30; k++) {
        const zoom = k < 20;
        host.dispatchEvent(
          new WheelEvent('wheel', {
            deltaY: zoom ? -60 : 0,
            deltaX: zoom ? 0 : 80,
            ctrlKey: zoom,
            clientX: box.left + box.width * 0.4,
            clientY: box.top + 30,
            bubbles: true,
            cancelable: true,
          }),
        );
        await new Promise((r) => requestAnimationFrame(r));
      }
    });
    const view = await settled();
    assert.ok(view.to - view.from < n / 4, `zoomed in: ${JSON.stringify(view)}`);
    const log = await page.evaluate<string[]>('window.__log');
    const reqs = log.filter((l) => l.startsWith('req'));
    assert.ok(reqs.length >= 2, `requests: ${log.join(', ')}`);
    // never two requests without the answer to the first in between
    let open: string | null = null;
    for (const l of log) {
      const [kind, id] = l.split(' ');
      if (kind === 'req') {
        assert.equal(open, null, `request ${id} sent while ${open} was on its way: ${log.join(', ')}`);
        open = id;
      } else if (id === open) open = null;
    }
    const last = posted.filter((m) => m.type === 'requestTimeline').pop();
    assert.ok(last && last.type === 'requestTimeline' && last.from === view.from && last.to === view.to);
  });

  it('runs without CSP violations or page errors', () => {
    assert.deepEqual(errors, []);
  });
});

describe('lock panel in Chromium: a real lockdep kernel trace (the lockseed abba capture)', { timeout: 120_000 }, () => {
  let context: BrowserContext;
  let page: Page;
  let userDataDir: string;
  let controller: PanelController;
  const model = kernelAbbaModel();
  const posted: WebviewMessage[] = [];
  const errors: string[] = [];
  const seed = model.store.tasks.find((t) => t.pid === 65)!.id;

  before(async () => {
    ({ context, page, controller, userDataDir } = await openSamplePanel(model, 1, 'panel-kernel', { posted, revealed: [], errors }));
  });

  after(async () => {
    await context?.close();
    if (userDataDir) fs.rmSync(userDataDir, { recursive: true, force: true });
  });

  async function moveToLine(line: number): Promise<void> {
    controller.moveTo(model.resolve({ line }));
    await page.waitForFunction((l) => document.getElementById('lt-position')?.textContent?.startsWith(`line ${l} `), line);
    await page.waitForFunction(() => {
      const t = document.getElementById('lt-timeline');
      const v = (window as unknown as { __ltState?: { view: { from: number; to: number } } }).__ltState?.view;
      return !!t && !!v && t.dataset.from === String(v.from) && t.dataset.to === String(v.to) && !!document.getElementById('lt-cursor');
    });
  }

  async function tooltipAt(index: number, row: number): Promise<string> {
    const p = await eventPointOn(page, seed, index, row);
    await page.mouse.move(p.x, p.y);
    await page.waitForFunction(() => !!document.querySelector('.lt-tl-stack')?.getAttribute('title'));
    return (await page.locator('.lt-tl-stack').getAttribute('title')) ?? '';
  }

  it('the held stacks say which locks are held since before the trace, and in which context', async () => {
    await moveToLine(13);
    const col = page.locator('.lt-col[data-pid="65"]');
    assert.deepEqual(await col.locator('.lt-held-class').allTextContents(), ['hrtimer_bases.lock', 'trace_types_lock', 'sb_writers']);
    assert.equal(await col.locator('.lt-held.lt-before-trace').count(), 2);
    assert.match((await col.locator('.lt-held[data-class="sb_writers"]').textContent()) ?? '', /since before the trace/);
    assert.match(
      (await col.locator('.lt-held[data-class="sb_writers"]').getAttribute('aria-label')) ?? '',
      /held since before the trace began/,
    );
    // a hardirq's lock on top of them: its context as a badge, and no syscall (not "userspace")
    const hard = col.locator('.lt-held[data-class="hrtimer_bases.lock"]');
    assert.equal(await hard.locator('.lt-badge-hardirq').count(), 1);
    assert.equal(await hard.locator('.lt-held-where').textContent(), 'L13');

    await moveToLine(2263);
    const soft = await col
      .locator('.lt-held')
      .evaluateAll((els) => els.map((e) => `${e.getAttribute('data-class')}${e.querySelector('.lt-badge-softirq') ? ' (softirq)' : ''}`));
    assert.deepEqual(soft, [
      '&pid_list->lock (softirq)',
      '&p->pi_lock (softirq)',
      '&pool->lock (softirq)',
      'rcu_read_lock (softirq)',
      '(&sdp->delay_work) (softirq)',
      '&dev->a_lock',
    ]);

    await moveToLine(1722);
    assert.deepEqual(await col.locator('.lt-held-class').allTextContents(), ['&mm->mmap_lock/1', '&mm->mmap_lock', 'dup_mmap_sem']);
  });

  it('the timeline draws held-since-before-the-trace bars from the task’s first event', async () => {
    await moveToLine(30);
    // sb_writers is the outermost (row 0): its bar starts at ls_seed/65's first event
    const first = model.store.tasks[seed].firstEvent;
    const tip = await tooltipAt(first + 2, 0);
    assert.equal(tip, "sb_writers, held since before the trace began (drawn from the task's first event, line 13), released at line 64");
    await page.screenshot({ path: path.join(ARTIFACTS, 'panel-kernel-abba-start.png'), fullPage: true });
  });

  it('the timeline draws kernel lock waits on the waiting task’s lane, with lock, syscall and duration', async () => {
    await moveToLine(5114);
    const wait = model.analysis.contention!.waits.find((w) => model.store.line[w.begin] === 5114)!;
    const tip = await tooltipAt(wait.begin + 1, -1);
    assert.equal(tip, 'waited 4.7 ms for kernel lock tasklist_lock in wait4, from line 5114 to line 5157');
    // painted: the wait's hatching in --vscode-charts-orange of the dark stub theme (#d18616)
    const waitPixels = await page.evaluate(() => {
      const canvas = document.querySelector('canvas.lt-tl-canvas') as HTMLCanvasElement;
      const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
      let n = 0;
      for (let k = 0; k < data.length; k += 4)
        if (Math.abs(data[k] - 0xd1) < 10 && Math.abs(data[k + 1] - 0x86) < 10 && Math.abs(data[k + 2] - 0x16) < 10 && data[k + 3] > 200)
          n++;
      return n;
    });
    assert.ok(waitPixels > 50, `waits are drawn: ${waitPixels} wait-coloured pixels`);
    // a click on the wait moves to where it began
    const n = posted.length;
    const p = await eventPointOn(page, seed, wait.begin + 1, -1);
    await page.mouse.click(p.x, p.y);
    for (let k = 0; k < 100 && !posted.slice(n).some((m) => m.type === 'seek'); k++) await new Promise((r) => setTimeout(r, 20));
    assert.deepEqual(
      posted.slice(n).find((m) => m.type === 'seek'),
      { type: 'seek', target: { index: wait.begin } },
    );
    await page.screenshot({ path: path.join(ARTIFACTS, 'panel-kernel-abba-wait.png'), fullPage: true });
  });

  /** The drawn class labels' boxes that overlap another one (empty: none). */
  async function overlappingLabels(): Promise<string[]> {
    return page.evaluate(() => {
      const boxes = Array.from(document.querySelectorAll('#lt-graph .lt-node-label')).map((t) => ({
        text: t.textContent ?? '',
        r: t.getBoundingClientRect(),
      }));
      const out: string[] = [];
      for (let i = 0; i < boxes.length; i++)
        for (let j = i + 1; j < boxes.length; j++) {
          const a = boxes[i].r;
          const b = boxes[j].r;
          if (a.left < b.right && b.left < a.right && a.top < b.bottom && b.top < a.bottom) out.push(`${boxes[i].text} / ${boxes[j].text}`);
        }
      return out;
    });
  }

  const scopeText = async () => (await page.locator('.lt-graph-scope-text').textContent()) ?? '';
  const drawnNodes = async () => page.locator('#lt-graph .lt-node').evaluateAll((els) => els.map((e) => e.getAttribute('data-node')!));

  it('the lock-order graph shows the classes that matter, labels apart, every class on request, a clicked class’s neighbourhood', async () => {
    await moveToLine(2600);
    const g = model.graph(model.resolve({ line: 2600 }));
    const total = g.nodes.length + g.truncatedNodes;
    await page.waitForFunction(() => !!document.querySelector('.lt-graph-scope-text'));
    const [, shown] =
      /^showing (\d+) of (\d+) classes: the cycle, the locks ls_seed\/66 holds and their neighbours$/.exec(await scopeText()) ?? [];
    assert.ok(shown, await scopeText());
    assert.match(await scopeText(), new RegExp(` of ${total} classes`));
    const nodes = await drawnNodes();
    assert.equal(nodes.length, Number(shown));
    assert.ok(nodes.length <= 25 && nodes.length > 3, `${nodes.length} classes drawn`);
    assert.ok(nodes.includes('&dev->a_lock') && nodes.includes('&dev->b_lock'));
    assert.ok(!nodes.some((id) => /^rcu_read_lock|srcu$|^rcu_callback$/.test(id)), `no check=0 map: ${nodes.join(', ')}`);
    assert.deepEqual(await overlappingLabels(), []);
    await page.locator('#lt-graph').screenshot({ path: path.join(ARTIFACTS, 'panel-kernel-graph-focused.png') });

    await page.locator('.lt-graph-all').click();
    await page.waitForFunction(
      (t) => document.querySelector('.lt-graph-scope-text')?.textContent === t,
      `showing ${total} of ${total} classes: all of them`,
    );
    assert.equal((await drawnNodes()).length, g.nodes.length);
    assert.deepEqual(await overlappingLabels(), []);
    await page.locator('#lt-graph').screenshot({ path: path.join(ARTIFACTS, 'panel-kernel-graph-all.png') });

    // a click on a class (here in the whole graph): it and its neighbours; Clear focus goes back to the classes that matter
    await page.locator('#lt-graph .lt-node[data-node="tasklist_lock"]').click();
    await page.waitForFunction(() =>
      /: tasklist_lock and its neighbours$/.test(document.querySelector('.lt-graph-scope-text')?.textContent ?? ''),
    );
    const near = new Set(g.edges.flatMap((e) => (e.from === 'tasklist_lock' ? [e.to] : e.to === 'tasklist_lock' ? [e.from] : [])));
    assert.deepEqual(new Set(await drawnNodes()), new Set(['tasklist_lock', ...near]));
    assert.deepEqual(await overlappingLabels(), []);
    await page.locator('.lt-graph-unfocus').click();
    await page.waitForFunction(() =>
      / holds and their neighbours$/.test(document.querySelector('.lt-graph-scope-text')?.textContent ?? ''),
    );
    assert.deepEqual(await drawnNodes(), nodes);

    // the instance view still draws, and the class view comes back
    await page.locator('.lt-mode[data-mode="instance"]').click();
    await page.waitForFunction(() => document.getElementById('lt-graph')?.dataset.mode === 'instance');
    assert.equal(await page.locator('.lt-graph-scope').count(), 0);
    await page.locator('.lt-mode[data-mode="class"]').click();
    await page.waitForFunction(() => !!document.querySelector('.lt-graph-scope-text'));
    assert.deepEqual(await drawnNodes(), nodes);
  });

  it('runs without CSP violations or page errors', () => {
    assert.deepEqual(errors, []);
  });
});

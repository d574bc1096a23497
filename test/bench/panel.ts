// Lock-panel benchmark on a big trace (`node out/bench/bench.js --only-panel [--trace FILE]`, and
// part of `npm run bench` for the 10M-event ftrace row): loads the trace with the extension's own
// core code (readTraceFile + analyze), builds the PanelModel and measures
//   - host: the cost of timeline windows over a zoom/scroll sequence (whole-trace overview cold
//     and again, then windows of 3M, 1M, 100k, 10k, 4000 and 400 events panned across the trace),
//     and the structured-clone size of each answer (what postMessage copies);
//   - webview: the built bundle (out/media/panel.js) in headless Debian Chromium, talking to the
//     real PanelController over that model; for every timeline message the time from its arrival
//     to the end of the next painted frame (and that frame's own work, from its first
//     animation-frame callback to the end of its paint: the rest is the wait for the frame), over a zoom-in sequence from the whole trace to a
//     detail window and pans at several zoom levels; then a burst of pans (arrow keys and, when the
//     webview handles them, wheel events), one every animation frame for two seconds, counting
//     dropped and long frames.
// Node-only; the browser part needs /usr/bin/chromium (or LOCKTRACE_CHROMIUM) and playwright-core.

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as v8 from 'v8';
import { analyze } from '../../src/core';
import { readTraceFile } from '../../src/load/readFile';
import { PanelController } from '../../src/panel/controller';
import { CHROMIUM, launchChromium, writePanelPage } from '../browser/chromium';
import { Stats, stats } from './stats';
import { PanelModel, TimelineRequest } from '../../src/panel/model';
import { HostMessage, TimelineWindow, emptyTaskFilter, isWebviewMessage } from '../../src/protocol/panel';

const root = path.resolve(__dirname, '../..');

export interface HostLevel extends Stats {
  span: number;
  mode: TimelineWindow['mode'];
  /** Median structured-clone size of the answers, bytes. */
  bytes: number;
}

export interface FrameLevel extends Stats {
  span: number;
  mode: string;
  /** The frame's own work: from its first animation-frame callback to the end of its paint (no wait for the frame). */
  work: Stats;
}

export interface PanelBenchResult {
  file: string;
  events: number;
  loadMs: number;
  width: number;
  host: {
    firstOverviewMs: number;
    overviewAgainMs: number;
    overviewBytes: number;
    /** A 1M-event window on a fresh model (nothing computed before it). */
    cold1MMs: number;
    levels: HostLevel[];
  };
  frames?: {
    chromium: string;
    /** message arrival → end of the next painted frame, per zoom level (zoom-in then pans). */
    levels: FrameLevel[];
    all: Stats;
    bursts: BurstResult[];
  };
  skipped?: string;
}

export interface BurstResult {
  what: string;
  span: number;
  frames: number;
  /** Frames missed at 60 Hz: sum over frame intervals of round(interval / 16.7) − 1. */
  dropped: number;
  /** Frame intervals over 50 ms. */
  long: number;
  worstFrameMs: number;
  medianFrameMs: number;
  requests: number;
  windows: number;
}

function time<T>(f: () => T): { ms: number; value: T } {
  const t = performance.now();
  const value = f();
  return { ms: performance.now() - t, value };
}

/** The windows of a pan across the trace: from three starting points, 8 steps of a quarter span each. */
export function panSequence(total: number, span: number): { from: number; to: number }[] {
  const out: { from: number; to: number }[] = [];
  const w = Math.min(span, total);
  for (const start of [0.05, 0.35, 0.65]) {
    let from = Math.floor(start * total);
    for (let k = 0; k < 8; k++) {
      const f = Math.max(0, Math.min(total - w, from));
      out.push({ from: f, to: f + w });
      from += Math.floor(w / 4);
    }
  }
  return out;
}

export const PANEL_BENCH_SPANS = [3_000_000, 1_000_000, 100_000, 10_000, 4000, 400];

export async function panelBench(file: string, opts: { browser?: boolean; log?: (s: string) => void } = {}): Promise<PanelBenchResult> {
  const log = opts.log ?? ((s: string) => console.log(s));
  const width = 1000;
  const t0 = performance.now();
  const store = await readTraceFile(file);
  const analysis = analyze(store);
  const loadMs = performance.now() - t0;
  const n = store.length;
  log(`panel: ${path.basename(file)}: ${n} events loaded and analysed in ${(loadMs / 1000).toFixed(1)} s`);
  const tasks = emptyTaskFilter();
  let id = 0;
  const req = (from: number, to: number): TimelineRequest => ({ requestId: ++id, from, to, width, tasks });

  // a 1M-event window on a model that has computed nothing yet
  const cold = time(() => new PanelModel(analysis, file).timeline(req(Math.floor(n / 3), Math.floor(n / 3) + 1_000_000)));
  const model = new PanelModel(analysis, file);
  const first = time(() => model.timeline(req(0, n)));
  const again = time(() => model.timeline(req(0, n)));
  const overviewBytes = v8.serialize(first.value).byteLength;
  log(
    `panel host: whole-trace overview ${first.ms.toFixed(0)} ms first, ${again.ms.toFixed(1)} ms again, ${(overviewBytes / 1e6).toFixed(2)} MB structured clone; a 1M window on a fresh model ${cold.ms.toFixed(0)} ms`,
  );
  const levels: HostLevel[] = [];
  for (const span of PANEL_BENCH_SPANS) {
    if (span > n) continue;
    const times: number[] = [];
    const sizes: number[] = [];
    let mode: TimelineWindow['mode'] = 'detail';
    for (const v of panSequence(n, span)) {
      const r = time(() => model.timeline(req(v.from, v.to)));
      times.push(r.ms);
      sizes.push(v8.serialize(r.value).byteLength);
      mode = r.value.mode;
    }
    const st = stats(times);
    const bytes = sizes.sort((a, b) => a - b)[Math.floor(sizes.length / 2)];
    levels.push({ span, mode, bytes, ...st });
    log(
      `panel host: ${fmtSpan(span).padStart(5)} windows (${mode}), ${st.n} panned: median ${st.medianMs.toFixed(1)} ms, worst ${st.worstMs.toFixed(1)} ms, ${(bytes / 1e3).toFixed(0)} kB each`,
    );
  }
  const result: PanelBenchResult = {
    file: path.basename(file),
    events: n,
    loadMs,
    width,
    host: { firstOverviewMs: first.ms, overviewAgainMs: again.ms, overviewBytes, cold1MMs: cold.ms, levels },
  };
  if (opts.browser !== false) {
    try {
      result.frames = await browserFrames(model, log);
    } catch (e) {
      result.skipped = `browser part failed: ${e instanceof Error ? e.message : String(e)}`;
      log(`panel webview: ${result.skipped}`);
    }
  }
  return result;
}

function fmtSpan(span: number): string {
  return span >= 1e6 ? `${span / 1e6}M` : span >= 1e3 ? `${span / 1e3}k` : String(span);
}

// ---------------------------------------------------------------------------------------------
// webview frames in headless Chromium

interface Mark {
  requestId: number;
  from: number;
  to: number;
  mode: string;
  t0: number;
  /** The next animation frame's first callback (the wait for the frame ends here). */
  raf: number;
  painted: number;
}

/** Installed before the bundle: timestamps every timeline message and the end of the frame after it. */
const INSTRUMENT = `(() => {
  window.__ltState = undefined;
  window.__marks = [];
  window.__requests = 0;
  window.acquireVsCodeApi = () => ({
    postMessage: (m) => { if (m && m.type === 'requestTimeline') window.__requests++; window.__locktraceHostReceive(JSON.parse(JSON.stringify(m))); },
    getState: () => window.__ltState,
    setState: (s) => { window.__ltState = s; },
  });
  window.addEventListener('message', (ev) => {
    const m = ev.data;
    if (!m || m.type !== 'timeline') return;
    const rec = { requestId: m.window.requestId, from: m.window.from, to: m.window.to, mode: m.window.mode, t0: performance.now(), raf: 0, painted: 0 };
    requestAnimationFrame(() => {
      rec.raf = performance.now();
      const ch = new MessageChannel();
      ch.port1.onmessage = () => { rec.painted = performance.now(); window.__marks.push(rec); };
      ch.port2.postMessage(0);
    });
  }, true);
})();`;

async function browserFrames(model: PanelModel, log: (s: string) => void): Promise<PanelBenchResult['frames']> {
  if (!fs.existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}`);
  const bundle = path.join(root, 'out', 'media', 'panel.js');
  if (!fs.existsSync(bundle)) throw new Error(`${bundle} missing: run node esbuild.js`);
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-panelbench-'));
  const htmlFile = path.join(dir, 'panel.html');
  writePanelPage(htmlFile, bundle, 'YmVuY2gtbm9uY2UtMTIzNDU=');
  // playwright-core is loaded only here, so the rest of the benchmark runs without it
  const { context, page } = await launchChromium(path.join(dir, 'profile'), { width: 1280, height: 1000 });
  try {
    const version = context.browser()?.version() ?? 'chromium';
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(e.message));
    let deliveries = Promise.resolve();
    const controller = new PanelController(model, {
      // in order, like VS Code's message channel
      post: (msg: HostMessage) => {
        deliveries = deliveries
          .then(() => page.evaluate((m) => window.postMessage(m, '*'), msg).then(() => undefined))
          .catch(() => undefined);
      },
      reveal: () => undefined,
    });
    await page.exposeFunction('__locktraceHostReceive', async (msg: unknown) => {
      if (isWebviewMessage(msg)) await controller.handle(msg);
    });
    await page.addInitScript(INSTRUMENT);
    await page.goto(`file://${htmlFile}`);
    const total = model.store.length;
    controller.moveTo(Math.floor(total / 2));
    const info = page.locator('.lt-timeline .lt-section-head .lt-muted');
    const shown = async (): Promise<{ from: number; to: number } | null> => {
      const t = (await info.textContent()) ?? '';
      const m = /events (\d+)–(\d+) of/.exec(t);
      return m ? { from: Number(m[1]) - 1, to: Number(m[2]) } : null;
    };
    const view = async (): Promise<{ from: number; to: number } | null> =>
      page.evaluate(() => (window as unknown as { __ltState?: { view: { from: number; to: number } | null } }).__ltState?.view ?? null);
    /** Waits until the window drawn is the view asked for (and its frame is painted). */
    const settle = async (): Promise<void> => {
      for (let k = 0; k < 3000; k++) {
        const v = await view();
        const s = await shown();
        if (v && s && v.from === s.from && v.to === s.to) {
          await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0))));
          await deliveries;
          return;
        }
        await new Promise((r) => setTimeout(r, 10));
      }
      throw new Error('the timeline did not settle');
    };
    await settle();
    // LOCKTRACE_PANEL_PROFILE=1: a CPU profile of the webview over the whole browser part
    // (bench-out/panel-webview.cpuprofile) and its top self-time functions in the log
    const cdp = process.env.LOCKTRACE_PANEL_PROFILE ? await page.context().newCDPSession(page) : null;
    // LOCKTRACE_PANEL_PROFILE=trace: a DevTools timeline trace instead (bench-out/panel-webview-trace.json,
    // opens in DevTools' Performance panel), summed by event name on the page's main thread
    // (style, layout, paint, script…: what the CPU profile calls (program))
    const tracing = process.env.LOCKTRACE_PANEL_PROFILE === 'trace';
    const traceEvents: TraceEvent[] = [];
    if (cdp && tracing) {
      cdp.on('Tracing.dataCollected', (e) => void traceEvents.push(...(e.value as unknown as TraceEvent[])));
      await cdp.send('Tracing.start', {
        categories: 'devtools.timeline,disabled-by-default-devtools.timeline',
        transferMode: 'ReportEvents',
      });
    } else if (cdp) {
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    const key = async (k: string): Promise<void> => {
      await page.focus('#lt-timeline');
      await page.keyboard.press(k);
      await settle();
    };
    const marksFrom = async (since: number): Promise<Mark[]> =>
      page.evaluate((s) => (window as unknown as { __marks: Mark[] }).__marks.slice(s), since);
    const count = async (): Promise<number> => page.evaluate(() => (window as unknown as { __marks: Mark[] }).__marks.length);

    // zoom in from the whole trace to a detail window, then pan at a few zoom levels
    const all: Mark[] = [];
    let since = await count();
    await page.locator('button[title="Whole trace"]').click();
    await settle();
    for (let k = 0; k < 14; k++) {
      const v = await view();
      if (!v || v.to - v.from <= 2000) break;
      await key('+');
      if (k % 2 === 0) for (let p = 0; p < 3; p++) await key('ArrowRight');
    }
    all.push(...(await marksFrom(since)));
    const byLevel = new Map<string, { span: number; mode: string; ms: number[]; work: number[] }>();
    for (const m of all) {
      if (!m.painted) continue;
      const span = m.to - m.from;
      const lvl = span >= 1e6 ? 1e6 * Math.round(span / 1e6) : 10 ** Math.floor(Math.log10(span));
      const k = `${m.mode}:${lvl}`;
      const e = byLevel.get(k) ?? { span: lvl, mode: m.mode, ms: [], work: [] };
      e.ms.push(m.painted - m.t0);
      e.work.push(m.painted - m.raf);
      byLevel.set(k, e);
    }
    const levels: FrameLevel[] = [...byLevel.values()]
      .sort((a, b) => b.span - a.span)
      .map((e) => ({ span: e.span, mode: e.mode, ...stats(e.ms), work: stats(e.work) }));
    for (const l of levels)
      log(
        `panel webview: ~${fmtSpan(l.span).padStart(4)} ${l.mode.padEnd(9)} message → painted frame: median ${l.medianMs.toFixed(1)} ms, worst ${l.worstMs.toFixed(1)} ms (${l.n}); the frame's own work: median ${l.work.medianMs.toFixed(1)} ms, worst ${l.work.worstMs.toFixed(1)} ms`,
      );
    const allStats = stats(all.filter((m) => m.painted).map((m) => m.painted - m.t0));
    log(`panel webview: all ${allStats.n} windows: median ${allStats.medianMs.toFixed(1)} ms, worst ${allStats.worstMs.toFixed(1)} ms`);

    // bursts: one input every animation frame for two seconds, at two zoom levels
    const bursts: BurstResult[] = [];
    for (const span of [1_000_000, 100_000]) {
      for (const what of ['keys', 'wheel-pan', 'wheel-zoom']) {
        // back to about `span` events around the middle
        await page.locator('button[title="Whole trace"]').click();
        await settle();
        for (let k = 0; k < 20; k++) {
          const v = await view();
          if (!v || v.to - v.from <= span) break;
          await key('+');
        }
        const sinceReq = await page.evaluate(() => (window as unknown as { __requests: number }).__requests);
        since = await count();
        const frames = await page.evaluate(
          ([what, n]) =>
            new Promise<number[]>((resolve) => {
              const host = document.getElementById('lt-timeline')!;
              const box = host.getBoundingClientRect();
              const stamps: number[] = [];
              let k = 0;
              const tick = (t: number): void => {
                stamps.push(t);
                if (k < n) {
                  if (what === 'keys')
                    host.dispatchEvent(
                      new KeyboardEvent('keydown', { key: k % 40 < 20 ? 'ArrowRight' : 'ArrowLeft', bubbles: true, cancelable: true }),
                    );
                  else {
                    const zoomIn = what === 'wheel-zoom';
                    const dir = k % 40 < 20 ? 1 : -1;
                    host.dispatchEvent(
                      new WheelEvent('wheel', {
                        deltaX: zoomIn ? 0 : 40 * dir,
                        deltaY: zoomIn ? 30 * dir : 0,
                        ctrlKey: zoomIn,
                        clientX: box.left + box.width * (0.3 + 0.4 * ((k % 20) / 20)),
                        clientY: box.top + 40,
                        bubbles: true,
                        cancelable: true,
                      }),
                    );
                  }
                  k++;
                  requestAnimationFrame(tick);
                } else resolve(stamps);
              };
              requestAnimationFrame(tick);
            }),
          [what, 120] as [string, number],
        );
        await settle();
        const gaps = frames.slice(1).map((t, k) => t - frames[k]);
        const dropped = gaps.reduce((a, g) => a + Math.max(0, Math.round(g / 16.67) - 1), 0);
        const g = stats(gaps);
        const requests = (await page.evaluate(() => (window as unknown as { __requests: number }).__requests)) - sinceReq;
        const windows = (await count()) - since;
        const b: BurstResult = {
          what,
          span,
          frames: gaps.length,
          dropped,
          long: gaps.filter((x) => x > 50).length,
          worstFrameMs: g.worstMs,
          medianFrameMs: g.medianMs,
          requests,
          windows,
        };
        bursts.push(b);
        log(
          `panel webview: burst of 120 ${what} at ~${fmtSpan(span)} events: ${b.dropped} frames dropped, ${b.long} over 50 ms, frame median ${b.medianFrameMs.toFixed(1)} ms, worst ${b.worstFrameMs.toFixed(1)} ms; ${b.requests} requests, ${b.windows} windows`,
        );
      }
    }
    if (cdp && tracing) {
      const done = new Promise<void>((r) => cdp.once('Tracing.tracingComplete', () => r()));
      await cdp.send('Tracing.end');
      await done;
      fs.writeFileSync(path.join(root, 'bench-out', 'panel-webview-trace.json'), JSON.stringify({ traceEvents }));
      for (const line of traceSummary(traceEvents, 15)) log(`panel webview trace: ${line}`);
    } else if (cdp) {
      const { profile } = await cdp.send('Profiler.stop');
      fs.writeFileSync(path.join(root, 'bench-out', 'panel-webview.cpuprofile'), JSON.stringify(profile));
      for (const line of topSelfTime(profile, 15)) log(`panel webview profile: ${line}`);
    }
    if (errors.length) throw new Error(`page errors: ${errors.join('; ')}`);
    return { chromium: version, levels, all: allStats, bursts };
  } finally {
    await context.close();
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number }; children?: number[] }[];
  samples?: number[];
  timeDeltas?: number[];
}

/** The functions with the most self time in a CDP CPU profile, as log lines. */
export function topSelfTime(profile: CpuProfile, n: number): string[] {
  const self = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let k = 0; k < samples.length; k++) self.set(samples[k], (self.get(samples[k]) ?? 0) + (deltas[k] ?? 0));
  const byFn = new Map<string, number>();
  let total = 0;
  for (const node of profile.nodes) {
    const us = self.get(node.id) ?? 0;
    total += us;
    const f = node.callFrame;
    const name =
      `${f.functionName || '(anonymous)'} ${f.url ? `${path.basename(f.url)}:${f.lineNumber + 1}:${f.columnNumber + 1}` : ''}`.trim();
    byFn.set(name, (byFn.get(name) ?? 0) + us);
  }
  return [...byFn.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([name, us]) => `${(us / 1000).toFixed(0).padStart(6)} ms ${((100 * us) / Math.max(1, total)).toFixed(1).padStart(5)} %  ${name}`);
}

interface TraceEvent {
  name: string;
  ph: string;
  pid: number;
  tid: number;
  dur?: number;
  args?: { name?: string };
}

/** Total time per event name on the renderer's main thread (complete events; nested ones count in both). */
export function traceSummary(events: TraceEvent[], n: number): string[] {
  const main = events.find((e) => e.ph === 'M' && e.name === 'thread_name' && e.args?.name === 'CrRendererMain');
  const byName = new Map<string, { us: number; count: number }>();
  for (const e of events) {
    if (e.ph !== 'X' || !e.dur || (main && (e.pid !== main.pid || e.tid !== main.tid))) continue;
    const x = byName.get(e.name) ?? { us: 0, count: 0 };
    x.us += e.dur;
    x.count++;
    byName.set(e.name, x);
  }
  return [...byName.entries()]
    .sort((a, b) => b[1].us - a[1].us)
    .slice(0, n)
    .map(([name, x]) => `${(x.us / 1000).toFixed(0).padStart(6)} ms ${String(x.count).padStart(6)}×  ${name}`);
}

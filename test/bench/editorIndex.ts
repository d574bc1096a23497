// The editor's work on a big trace, measured in the bench's `--child hover FILE` process: the
// trace index built the way the extension host builds it (TraceIndex.build, in slices), with its
// time, the longest slice (how long the host's event loop is blocked at most), the memory it keeps
// (RSS and heap after a forced GC, against the same before the build) and the peak while building;
// then the hover work (token under the cursor + Markdown) on random lock and syscall lines.
// Node-only.

import * as fs from 'fs';
import * as v8 from 'v8';
import * as vm from 'vm';
import { EventKind, Replay, analyze } from '../../src/core';
import { readTraceFile } from '../../src/load/readFile';
import { lockHover, syscallHover } from '../../src/editor/hover';
import { TraceIndex } from '../../src/editor/traceIndex';
import { tokenAt } from '../../src/editor/tokens';
import { prng } from './generate';

export interface HoverResult {
  /** Wall time of TraceIndex.build (slices and the pauses between them). */
  indexMs: number;
  /** Longest slice of the build: the longest the event loop is blocked by it. */
  indexMaxSliceMs: number;
  indexSlices: number;
  /** Retained by the index after a forced GC: RSS, and V8 heap + array buffers. */
  indexRssMb: number;
  indexHeapMb: number;
  /** Peak RSS during the build (sampled between slices) above the RSS before it. */
  indexPeakRssMb: number;
  /** Lock hovers: token + Markdown, on random acquire lines. */
  n: number;
  medianMs: number;
  worstMs: number;
  /** Syscall hovers on random syscall entry lines. */
  syscall: { n: number; medianMs: number; worstMs: number };
}

const MB = 1024 * 1024;

function gcFunction(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

function memory(gc: () => void): { rss: number; heap: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { rss: m.rss, heap: m.heapUsed + m.arrayBuffers };
}

function median(xs: number[]): number {
  return xs[Math.floor(xs.length / 2)] ?? NaN;
}

export async function hoverChild(file: string): Promise<HoverResult> {
  const gc = gcFunction();
  const store = await readTraceFile(file);
  const a = analyze(store);
  const before = memory(gc);
  let peakRss = before.rss;
  let maxSlice = 0;
  let slices = 0;
  let sliceStart = performance.now();
  const t0 = performance.now();
  const index = await TraceIndex.build(a, undefined, () => {
    const now = performance.now();
    maxSlice = Math.max(maxSlice, now - sliceStart);
    slices++;
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
    return new Promise<void>((r) =>
      setTimeout(() => {
        sliceStart = performance.now();
        r();
      }, 0),
    );
  });
  const indexMs = performance.now() - t0;
  maxSlice = Math.max(maxSlice, performance.now() - sliceStart); // the last slice and the finish
  slices++;
  peakRss = Math.max(peakRss, process.memoryUsage().rss);
  const after = memory(gc);
  const replay = new Replay(a);

  const fd = fs.openSync(file, 'r');
  const buf = Buffer.alloc(65536);
  const lineText = (ev: number) => {
    const n = fs.readSync(fd, buf, 0, buf.length, store.offset[ev]);
    const t = buf.toString('latin1', 0, n);
    return t.slice(0, t.indexOf('\n'));
  };
  const links = { reveal: (l: number) => `r:${l}`, debug: (l: number) => `d:${l}` };
  const rnd = prng(5);
  const times: number[] = [];
  const sys: number[] = [];
  for (let k = 0; (times.length < 50 || sys.length < 20) && k < 20000; k++) {
    const ev = Math.floor(rnd() * store.length);
    const kind = store.kind[ev];
    if (kind === EventKind.Acquire && times.length < 50) {
      const text = lineText(ev);
      const t = performance.now();
      const tok = tokenAt(index, store.line[ev], text, text.length - 2);
      if (!tok || tok.kind !== 'lock') continue;
      lockHover(index, replay, a.findings, tok.className, store.line[ev], links, tok.lockId);
      times.push(performance.now() - t);
    } else if (kind === EventKind.SysEnter && sys.length < 20) {
      const text = lineText(ev);
      const t = performance.now();
      const tok = tokenAt(index, store.line[ev], text, text.length - 2);
      if (!tok || tok.kind !== 'syscall') continue;
      syscallHover(index, tok.span, links);
      sys.push(performance.now() - t);
    }
  }
  fs.closeSync(fd);
  times.sort((x, y) => x - y);
  sys.sort((x, y) => x - y);
  return {
    indexMs,
    indexMaxSliceMs: maxSlice,
    indexSlices: slices,
    indexRssMb: (after.rss - before.rss) / MB,
    indexHeapMb: (after.heap - before.heap) / MB,
    indexPeakRssMb: (peakRss - before.rss) / MB,
    n: times.length,
    medianMs: median(times),
    worstMs: times[times.length - 1],
    syscall: { n: sys.length, medianMs: median(sys), worstMs: sys[sys.length - 1] },
  };
}

/** One line for the bench's console output. */
export function hoverSummary(h: HoverResult): string {
  return (
    `editor: trace index built in ${h.indexMs.toFixed(0)} ms (${h.indexSlices} slices, longest ${h.indexMaxSliceMs.toFixed(0)} ms), ` +
    `keeps ${h.indexRssMb.toFixed(0)} MB RSS / ${h.indexHeapMb.toFixed(0)} MB heap, peak +${h.indexPeakRssMb.toFixed(0)} MB RSS while building; ` +
    `hover (token + text) median/worst: lock ${h.medianMs.toFixed(1)}/${h.worstMs.toFixed(1)} ms (${h.n} lines), syscall ${h.syscall.medianMs.toFixed(1)}/${h.syscall.worstMs.toFixed(1)} ms (${h.syscall.n})`
  );
}

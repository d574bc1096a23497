// Canvas painting of the timeline: aggregated windows pixel by pixel (density shades, held-lock
// levels, leaks), detail windows as batched rectangles with their names (locks taken in interrupts
// in their own colour, locks held since before the trace fading in from the task's first event,
// kernel lock waits hatched over the syscall row), lane borders and tick lines, in the theme's
// colours. When only the view moved (a pan or zoom on its way), the image already painted is moved
// and stretched with a CSS transform instead of repainted.

import { clipText } from '../dom';
import { invalidate } from '../frame';
import { frameLayout } from '../layout';
import { state } from '../store';
import { LANE_LOCK_H, LANE_PAD, LANE_SYSCALL_H, LockRect, Rect, TimelineView, selectedFinding } from '../viewModel';
import { renderedView, tlCanvas, tlStack } from './elements';

type Rgba = [number, number, number, number];
type Colours = Record<'sys' | 'lock' | 'leak' | 'irq' | 'wait' | 'border' | 'current' | 'hl' | 'fg' | 'muted', Rgba>;
/** Resolved once per theme (the body class changes with it). */
let colours: Colours | null = null;
/** Hatch patterns by colour name (leaked spans, kernel lock waits), made once per theme. */
const hatches = new Map<'leak' | 'wait', CanvasPattern | string>();

/** The theme colours the canvas paints with (CSS variables of panel.css, resolved to RGBA bytes). */
function themeColours(): Colours {
  return (colours ??= resolveColours());
}

function resolveColours(): Colours {
  const css = getComputedStyle(document.body);
  const probe = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
  const rgba = (name: string, fallback: string): Rgba => {
    if (!probe) return [128, 128, 128, 255];
    probe.clearRect(0, 0, 1, 1);
    probe.fillStyle = fallback;
    probe.fillStyle = css.getPropertyValue(name).trim() || fallback;
    probe.fillRect(0, 0, 1, 1);
    const d = probe.getImageData(0, 0, 1, 1).data;
    return [d[0], d[1], d[2], d[3]];
  };
  hatches.clear();
  return {
    sys: rgba('--lt-sys', '#3794ff'),
    lock: rgba('--lt-lock', '#89d185'),
    leak: rgba('--lt-leak', '#cca700'),
    irq: rgba('--lt-irq', '#b180d7'),
    wait: rgba('--lt-wait', '#d18616'),
    border: rgba('--lt-border', '#80808059'),
    current: rgba('--lt-current-bg', '#37373d'),
    hl: rgba('--lt-hl', '#f14c4c'),
    fg: rgba('--lt-fg', '#cccccc'),
    muted: rgba('--lt-muted', '#9d9d9d'),
  };
}

const css = (c: readonly number[], alpha = c[3] / 255): string => `rgba(${c[0]},${c[1]},${c[2]},${alpha})`;

/** Hatching in a theme colour (leaked spans, kernel lock waits): the colour at 25 % with diagonal lines, 6 px apart. */
function hatchPattern(ctx: CanvasRenderingContext2D, name: 'leak' | 'wait'): CanvasPattern | string {
  const c = themeColours();
  const done = hatches.get(name);
  if (done) return done;
  const tile = document.createElement('canvas');
  tile.width = 6;
  tile.height = 6;
  const t = tile.getContext('2d');
  if (!t) return css(c[name], 0.4);
  t.fillStyle = css(c[name], 0.25);
  t.fillRect(0, 0, 6, 6);
  t.strokeStyle = css(c[name], 1);
  t.lineWidth = 2;
  t.beginPath();
  for (const o of [-6, 0, 6]) {
    t.moveTo(o, 6);
    t.lineTo(o + 6, 0);
  }
  t.stroke();
  const p = ctx.createPattern(tile, 'repeat') ?? css(c[name], 0.4);
  hatches.set(name, p);
  return p;
}

/** Extra pixels painted above and below the visible part, so small scrolls need no repaint. */
const PAINT_MARGIN = 120;
const SHADES = 64;
let paintBuffer: ImageData | null = null;
/** What the canvas shows: the image is reused (transformed) while everything but the view is the same. */
interface PaintKey {
  tv: TimelineView;
  window: unknown;
  /** The selected finding (detail windows draw its locks and syscalls differently). */
  finding: unknown;
  colours: Colours;
  top: number;
  bottom: number;
  W: number;
  span: number;
  /** Event index at x = 0 of the image. */
  from: number;
  lanesKey: string;
}
let lastPaint: PaintKey | null = null;

function lanesKey(tv: TimelineView): string {
  return tv.lanes.map((l) => `${l.taskId}${l.current ? '*' : ''}`).join(',') + `|${tv.height}`;
}

/** Paints the canvas for `tv`, or moves the image already painted when only the view changed. */
export function paintTimeline(tv: TimelineView): void {
  const W = Math.max(1, Math.floor(tv.width));
  const viewTop = -frameLayout().stackTop;
  const top = Math.max(0, Math.floor(viewTop - PAINT_MARGIN));
  const bottom = Math.max(top + 1, Math.min(Math.ceil(tv.height), Math.ceil(viewTop + frameLayout().viewportH + PAINT_MARGIN)));
  const H = bottom - top;
  // Detail windows are vector drawings: on HiDPI screens their backing store has device pixels so
  // bars and names stay sharp. Aggregated windows are one bucket per CSS pixel, painted with
  // putImageData (which ignores transforms), so they keep CSS-pixel resolution.
  const dpr = tv.buckets ? 1 : backingScale();
  const BW = Math.round(W * dpr);
  const BH = Math.round(H * dpr);
  if (tlCanvas.width !== BW || tlCanvas.height !== BH) {
    tlCanvas.width = BW;
    tlCanvas.height = BH;
    tlCanvas.style.width = `${W}px`;
    tlCanvas.style.height = `${H}px`;
    lastPaint = null;
  }
  const topPx = `${top}px`;
  if (tlCanvas.style.top !== topPx) tlCanvas.style.top = topPx;
  const ctx = tlCanvas.getContext('2d');
  if (!ctx) return;
  const c = themeColours();
  const span = tv.to - tv.from;
  const unit = W / Math.max(1, span);
  const key: PaintKey = {
    tv,
    window: state().timeline,
    finding: selectedFinding(state()),
    colours: c,
    top,
    bottom,
    W,
    span,
    from: tv.from,
    lanesKey: lanesKey(tv),
  };
  const last = lastPaint;
  if (
    last &&
    last.window === key.window &&
    last.finding === key.finding &&
    last.colours === c &&
    last.top === top &&
    last.bottom === bottom &&
    last.W === W &&
    last.lanesKey === key.lanesKey
  ) {
    // the same data at another place or scale (a pan or zoom on its way): the image painted for
    // it is moved and stretched by the compositor (a CSS transform), no pixel is painted; the
    // answer is painted exactly. (Drawing the canvas into itself costs 20–30 ms in Chromium's
    // software canvas, more than a whole repaint.)
    const scale = last.span / Math.max(1, span);
    const dx = (last.from - tv.from) * unit;
    const t = dx === 0 && scale === 1 ? '' : `translateX(${dx.toFixed(2)}px) scaleX(${scale.toFixed(6)})`;
    if (tlCanvas.style.transform !== t) tlCanvas.style.transform = t;
    return;
  }
  lastPaint = key;
  if (tlCanvas.style.transform) tlCanvas.style.transform = '';
  ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
  paintColumns(ctx, tv, c, top, H, 0, W);
  ctx.setTransform(1, 0, 0, 1, 0, 0);
}

/** Device pixels per CSS pixel for vector drawing (1 to 3). */
function backingScale(): number {
  const r = window.devicePixelRatio || 1;
  return Math.min(3, Math.max(1, r));
}

/** Paints columns [x0, x1) of rows [top, top + H) of the timeline. */
function paintColumns(ctx: CanvasRenderingContext2D, tv: TimelineView, c: Colours, top: number, H: number, x0: number, x1: number): void {
  if (x1 <= x0) return;
  if (tv.buckets) {
    // pixels first, the grid over them
    paintBuckets(ctx, tv, c, top, H, x0, x1);
    ctx.save();
    ctx.beginPath();
    ctx.rect(x0, 0, x1 - x0, H);
    ctx.clip();
    ctx.translate(0, -top);
    paintGrid(ctx, tv, c, top, H, x0, x1);
    ctx.restore();
  } else paintBars(ctx, tv, c, top, H, x0, x1);
}

/** Lane borders and dashed tick lines (in timeline coordinates: the caller translated by -top). */
function paintGrid(ctx: CanvasRenderingContext2D, tv: TimelineView, c: Colours, top: number, H: number, x0: number, x1: number): void {
  ctx.lineWidth = 0.5;
  ctx.strokeStyle = css(c.border);
  ctx.beginPath();
  for (const lane of tv.lanes) if (lane.y + lane.h > top && lane.y < top + H) ctx.rect(0, lane.y, tv.width, lane.h);
  ctx.stroke();
  ctx.lineWidth = 1;
  ctx.setLineDash([2, 3]);
  ctx.beginPath();
  for (const t of tv.ticks) {
    if (t.x < x0 - 1 || t.x > x1 + 1) continue;
    ctx.moveTo(Math.round(t.x) + 0.5, Math.max(14, top));
    ctx.lineTo(Math.round(t.x) + 0.5, Math.min(tv.height, top + H));
  }
  ctx.stroke();
  ctx.setLineDash([]);
}

/** `src` (RGBA bytes, alpha 0..1 given separately) over `dst` (RGBA bytes), packed little-endian. */
function over(src: readonly number[], alpha: number, dst: readonly number[] | null): number {
  const da = dst ? dst[3] / 255 : 0;
  const a = alpha + da * (1 - alpha);
  if (a <= 0) return 0;
  const ch = (k: number): number => Math.round((src[k] * alpha + (dst ? dst[k] : 0) * da * (1 - alpha)) / a);
  return ((Math.round(a * 255) << 24) | (ch(2) << 16) | (ch(1) << 8) | ch(0)) >>> 0;
}

/** Scratch arrays reused across frames (no per-frame allocation). */
let scratchW = 0;
let colOf = new Int32Array(0);
let rowPx = new Uint32Array(0);
let densityPx = new Uint32Array(0);
const shadePx = new Uint32Array(SHADES + 1);

/**
 * Aggregated windows, pixel by pixel: per lane one row of colours per held-lock level, copied down
 * the rows of that level, then one putImageData of the strip. The cost is the strip's area.
 */
function paintBuckets(ctx: CanvasRenderingContext2D, tv: TimelineView, c: Colours, top: number, H: number, x0: number, x1: number): void {
  const d = tv.buckets!.data;
  const W = x1 - x0;
  const bottom = top + H;
  if (!paintBuffer || paintBuffer.width !== W || paintBuffer.height !== H) paintBuffer = ctx.createImageData(W, H);
  const img = paintBuffer;
  const px = new Uint32Array(img.data.buffer);
  px.fill(0);
  if (scratchW < W) {
    scratchW = W;
    colOf = new Int32Array(W);
    rowPx = new Uint32Array(W);
    densityPx = new Uint32Array(W);
  }
  const col = colOf;
  const row = rowPx;
  const density = densityPx;
  // the bucket under each pixel column (-1: outside the window's data)
  const unit = tv.width / Math.max(1, tv.to - tv.from);
  for (let x = 0; x < W; x++) {
    const i = tv.from + (x0 + x + 0.5) / unit;
    col[x] = i < tv.window.from || i >= tv.window.to ? -1 : Math.min(d.count - 1, Math.floor((i - d.start) / d.size));
  }
  const fill = (y0: number, y1: number): void => {
    const a = Math.max(y0, top);
    const b = Math.min(y1, bottom);
    if (a >= b) return;
    const first = (a - top) * W;
    px.set(row.subarray(0, W), first);
    // double the filled rows: log2(rows) copies instead of one per row
    let done = W;
    const total = (b - a) * W;
    while (done < total) {
      const n = Math.min(done, total - done);
      px.copyWithin(first + done, first, first + n);
      done += n;
    }
  };
  const lock = over(c.lock, 1, null);
  const leak = over(c.leak, 1, null);
  for (const lane of tv.lanes) {
    if (lane.y + lane.h <= top || lane.y >= bottom) continue;
    const base = lane.bucketLane * d.count;
    const bg = lane.current ? c.current : null;
    const bgPx = bg ? over(bg, bg[3] / 255, null) : 0;
    // density shades, quantised: 64 colours a lane instead of a blend per pixel
    for (let q = 0; q <= SHADES; q++) shadePx[q] = over(c.sys, 0.15 + (0.6 * q) / SHADES, bg);
    const q = SHADES / lane.maxEvents;
    row.fill(bgPx, 0, W);
    fill(lane.y, lane.y + 6);
    fill(lane.y + lane.h - 6, lane.y + lane.h);
    // density only (the syscall row, and lock levels above a bucket's deepest stack)
    for (let x = 0; x < W; x++) {
      const k = col[x];
      const ev = k < 0 ? 0 : d.events[base + k];
      density[x] = ev ? shadePx[Math.round(ev * q)] : bgPx;
    }
    row.set(density.subarray(0, W));
    fill(lane.y + 6, lane.y + LANE_PAD + LANE_SYSCALL_H);
    const lockTop = lane.y + LANE_PAD + LANE_SYSCALL_H;
    for (let level = lane.depth - 1; level >= 0; level--) {
      const y0 = lockTop + (lane.depth - 1 - level) * LANE_LOCK_H;
      if (y0 + LANE_LOCK_H <= top || y0 >= bottom) continue;
      for (let x = 0; x < W; x++) {
        const k = col[x];
        row[x] = k >= 0 && d.events[base + k] && d.maxDepth[base + k] > level ? (d.leak[base + k] ? leak : lock) : density[x];
      }
      fill(y0, y0 + LANE_LOCK_H);
    }
  }
  ctx.putImageData(img, x0, 0);
}

/**
 * Detail windows: every bar as a canvas rectangle, batched by style (one path per fill or stroke
 * style), bar names where they fit. Highlighted syscalls are left to the SVG overlay (focusable).
 */
function paintBars(ctx: CanvasRenderingContext2D, tv: TimelineView, c: Colours, top: number, H: number, x0: number, x1: number): void {
  const bottom = top + H;
  ctx.save();
  ctx.beginPath();
  ctx.rect(x0, 0, x1 - x0, H);
  ctx.clip();
  ctx.clearRect(x0, 0, x1 - x0, H);
  ctx.translate(0, -top);
  const visible = (b: Rect): boolean => b.x + b.w >= x0 - 1 && b.x <= x1 + 1 && b.y + b.h > top && b.y < bottom;
  const lanes = tv.lanes.filter((l) => l.y + l.h > top && l.y < bottom);
  for (const lane of lanes) {
    if (!lane.current) continue;
    ctx.fillStyle = css(c.current);
    ctx.fillRect(0, lane.y, tv.width, lane.h);
  }
  // the grid under the bars, as in the SVG it replaces
  paintGrid(ctx, tv, c, top, H, x0, x1);
  const sys = new Path2D();
  const sysOpen = new Path2D();
  const locks = new Path2D();
  const irqLocks = new Path2D();
  const lockHl = new Path2D();
  const leaks = new Path2D();
  const waits = new Path2D();
  const before: LockRect[] = [];
  const texts: { x: number; y: number; w: number; t: string }[] = [];
  for (const lane of lanes) {
    for (const b of lane.syscalls) {
      if (b.highlight || !visible(b)) continue;
      (b.open ? sysOpen : sys).rect(b.x + 0.5, b.y + 0.5, b.w - 1, b.h - 1);
      if (b.w > 24) texts.push({ x: b.x + 3, y: b.y + b.h - 4, w: b.w - 6, t: b.name });
    }
    for (const b of lane.waits) if (visible(b)) waits.rect(b.x + 0.5, b.y + 0.5, b.w - 1, b.h - 1);
    for (const b of lane.locks) {
      if (!visible(b)) continue;
      if (b.sinceBeforeTrace) before.push(b);
      if (b.inFinding) lockHl.rect(b.x + 0.5, b.y + 0.5, b.w - 1, b.h - 1);
      else if (!b.sinceBeforeTrace) (b.context === 'process' ? locks : irqLocks).rect(b.x + 0.5, b.y + 0.5, b.w - 1, b.h - 1);
      for (const k of b.leaks) leaks.rect(k.x + 0.5, b.y + 0.5, k.w - 1, b.h - 1);
      if (b.w > 24) texts.push({ x: b.x + 3, y: b.y + b.h - 2, w: b.w - 6, t: b.node });
    }
  }
  ctx.lineWidth = 1;
  ctx.fillStyle = css(c.sys, 0.3);
  ctx.fill(sys);
  ctx.fill(sysOpen);
  ctx.strokeStyle = css(c.sys, 1);
  ctx.stroke(sys);
  ctx.setLineDash([4, 2]);
  ctx.stroke(sysOpen);
  ctx.setLineDash([]);
  // kernel lock waits, hatched over the syscall row
  ctx.fillStyle = hatchPattern(ctx, 'wait');
  ctx.fill(waits);
  ctx.strokeStyle = css(c.wait, 1);
  ctx.stroke(waits);
  ctx.fillStyle = css(c.lock, 0.45);
  ctx.fill(locks);
  ctx.fill(lockHl);
  ctx.strokeStyle = css(c.lock, 1);
  ctx.stroke(locks);
  ctx.fillStyle = css(c.irq, 0.45);
  ctx.fill(irqLocks);
  ctx.strokeStyle = css(c.irq, 1);
  ctx.stroke(irqLocks);
  // held since before the trace: fading in over the first pixels, a dashed outline
  ctx.setLineDash([3, 2]);
  for (const b of before) {
    const fade = ctx.createLinearGradient(b.x, 0, b.x + Math.min(24, b.w), 0);
    const colour = b.context === 'process' ? c.lock : c.irq;
    fade.addColorStop(0, css(colour, 0));
    fade.addColorStop(1, css(colour, 0.45));
    ctx.fillStyle = fade;
    ctx.fillRect(b.x + 0.5, b.y + 0.5, b.w - 1, b.h - 1);
    ctx.strokeStyle = css(colour, 1);
    ctx.strokeRect(b.x + 0.5, b.y + 0.5, b.w - 1, b.h - 1);
  }
  ctx.setLineDash([]);
  ctx.fillStyle = hatchPattern(ctx, 'leak');
  ctx.fill(leaks);
  ctx.strokeStyle = css(c.leak, 1);
  ctx.stroke(leaks);
  ctx.lineWidth = 1.5;
  ctx.strokeStyle = css(c.hl, 1);
  ctx.stroke(lockHl);
  if (texts.length) {
    ctx.fillStyle = css(c.fg, 1);
    ctx.font = `10px ${getComputedStyle(document.body).getPropertyValue('--lt-mono').trim() || 'monospace'}`;
    for (const t of texts) {
      const s = clipText(t.t, t.w);
      if (s) ctx.fillText(s, t.x, t.y);
    }
  }
  ctx.restore();
}

/** The canvas shows nothing worth keeping (no timeline on screen): the next paint starts afresh. */
export function forgetPaint(): void {
  lastPaint = null;
}

/** The canvas covers what is on screen: scrolling past the painted part repaints it. */
export function repaintOnScroll(): void {
  window.addEventListener(
    'scroll',
    () => {
      if (!renderedView() || !lastPaint || !tlStack.isConnected) return;
      const viewTop = -tlStack.getBoundingClientRect().top;
      if (viewTop < lastPaint.top || viewTop + window.innerHeight > lastPaint.bottom) invalidate('timeline');
    },
    { passive: true },
  );
}

/** A theme change repaints the canvas (its colours are not CSS). */
export function repaintOnThemeChange(): void {
  new MutationObserver(() => {
    colours = null;
    invalidate('timeline');
  }).observe(document.body, { attributes: true, attributeFilter: ['class'] });
}

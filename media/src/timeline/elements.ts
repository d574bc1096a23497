// The timeline's drawing surface, built once and updated in place: one canvas (bars or buckets,
// lane backgrounds, tick lines; ./paint.ts) under one SVG overlay (tick labels, the cursor, the
// few highlighted events as focusable marks, the keyboard selection; ./render.ts), and the view
// model last rendered, which hit-testing, tooltips and the keyboard read.

import { svg, el } from '../dom';
import type { TimelineView } from '../viewModel';

export const tlStack = el('div', { class: 'lt-tl-stack' });
export const tlCanvas = el('canvas', { class: 'lt-tl-canvas', role: 'img' });
export const tlOverlay = svg('svg', { class: 'lt-tl lt-tl-overlay', role: 'group', 'aria-label': 'Syscall and lock-hold timeline' });
export const tlTicks = svg('g', { class: 'lt-ticks', 'aria-hidden': 'true' });
export const tlLanes = svg('g', { class: 'lt-marks' });
export const tlKbd = svg('rect', { class: 'lt-kbd-bar', id: 'lt-kbd-bar', rx: 2 });
export const tlCursor = svg('line', { class: 'lt-cursor', id: 'lt-cursor', y1: 0 });
tlOverlay.append(tlTicks, tlLanes);
tlStack.append(tlCanvas, tlOverlay);

/** The view last rendered (hit-testing, tooltips, keyboard). */
let view: TimelineView | null = null;

export function renderedView(): TimelineView | null {
  return view;
}

export function setRenderedView(tv: TimelineView | null): void {
  view = tv;
}

// The timeline section: the lane labels, the axis' tick labels, the cursor and the highlighted
// events (focusable SVG marks) over the canvas that ./paint.ts paints. The canvas covers only the
// visible part of the timeline (plus a margin). While a pan or zoom is on its way, the image
// painted for the data on screen is moved and stretched with a CSS transform instead of repainted.
// Clicks and tooltips on bars hit-test the view model (./pointer.ts), so a detail window of
// thousands of bars is no DOM at all.

import { activatable, clipText, el, setAttrs, svg } from '../dom';
import { changed } from '../frame';
import { seek } from '../host';
import { timelineWidth } from '../layout';
import { timelineHost, timelineInfo, timelineLabels } from '../page';
import { state } from '../store';
import { LaneView, MarkRect, TimelineView, timelineView } from '../viewModel';
import { setRenderedView, tlCanvas, tlCursor, tlLanes, tlOverlay, tlStack, tlTicks } from './elements';
import { renderKbd } from './keyboard';
import { forgetPaint, paintTimeline } from './paint';

export function renderTimeline(): void {
  const width = timelineWidth() - 2;
  const tv = timelineView(state(), width);
  setRenderedView(tv);
  if (!tv) {
    timelineHost.replaceChildren();
    timelineLabels.replaceChildren();
    timelineInfo.textContent = state().trace ? 'loading…' : '';
    forgetPaint();
    return;
  }
  const w = tv.window;
  const pending = tv.from !== w.from || tv.to !== w.to ? ' · loading…' : '';
  timelineInfo.textContent = `events ${w.from + 1}–${w.to} of ${state().trace?.totalEvents ?? w.to}${tv.mode === 'aggregate' ? ` · aggregated, ${tv.buckets?.data.size} events a bar` : ''}${tv.hiddenLanes ? ` · ${tv.hiddenLanes} tasks hidden` : ''}${pending}`;
  timelineHost.dataset.from = String(w.from);
  timelineHost.dataset.to = String(w.to);
  timelineHost.dataset.mode = tv.mode;
  if (changed('labels', [state().timeline?.lanes, state().replay?.taskId, state().ui.tasks])) renderLabels(tv);
  if (timelineHost.firstChild !== tlStack || timelineHost.childNodes.length !== 1) timelineHost.replaceChildren(tlStack);
  const h = `${tv.height}px`;
  if (tlStack.style.height !== h) tlStack.style.height = h;
  if (tlOverlay.getAttribute('width') !== String(tv.width) || tlOverlay.getAttribute('height') !== String(tv.height)) {
    setAttrs(tlOverlay, { width: tv.width, height: tv.height });
    tlCursor.setAttribute('y2', String(tv.height));
  }
  tlCanvas.setAttribute(
    'aria-label',
    tv.buckets
      ? `Aggregated activity of ${tv.lanes.length} tasks over events ${w.from}–${w.to - 1}, ${tv.buckets.data.size} events a bar: shade = events, bar height = deepest held-lock stack, yellow = a lock leaked across a syscall`
      : `Syscalls, kernel lock waits (hatched) and lock holds of ${tv.lanes.length} tasks over events ${w.from}–${w.to - 1}; [ and ] step through the bars of a lane, ↑ ↓ change lanes, Enter moves there`,
  );
  paintTimeline(tv);
  renderTicks(tv);
  renderMarks(tv);
  renderKbd(tv);
  if (tv.cursorX !== null) {
    const x = String(tv.cursorX);
    if (tlCursor.getAttribute('x1') !== x) setAttrs(tlCursor, { x1: x, x2: x });
    if (tlCursor.parentNode !== tlOverlay) tlOverlay.append(tlCursor);
  } else tlCursor.remove();
}

function renderLabels(tv: TimelineView): void {
  timelineLabels.replaceChildren(
    el('div', { class: 'lt-axis-label' }),
    ...tv.lanes.map((l) =>
      el('div', { class: `lt-lane-label${l.current ? ' lt-current' : ''}`, 'data-task': l.taskId }, `${l.pinned ? '★ ' : ''}${l.title}`),
    ),
  );
  // lane label heights follow the lanes (CSSOM, allowed by the CSP unlike style attributes)
  const labels = timelineLabels.children;
  (labels[0] as HTMLElement).style.height = `${tv.lanes[0]?.y ?? 18}px`;
  tv.lanes.forEach((l, k) => ((labels[k + 1] as HTMLElement).style.height = `${l.h}px`));
}

/** Tick labels (SVG text, reused); the dashed tick lines are on the canvas. */
const tickTexts: SVGTextElement[] = [];
function renderTicks(tv: TimelineView): void {
  tv.ticks.forEach((t, k) => {
    let e = tickTexts[k];
    if (!e) tickTexts.push((e = svg('text', { y: 11, class: 'lt-tick-label' })));
    const x = String(t.x + 2);
    if (e.getAttribute('x') !== x) e.setAttribute('x', x);
    if (e.textContent !== t.label) e.textContent = t.label;
    if (e.parentNode !== tlTicks) tlTicks.append(e);
  });
  for (let k = tv.ticks.length; k < tickTexts.length; k++) tickTexts[k].remove();
}

/** The focusable highlighted events: aggregated windows' marks, detail windows' highlighted syscalls. */
interface OverlayMark extends MarkRect {
  name: string | null;
}

function overlayMarks(lane: LaneView): OverlayMark[] {
  const out: OverlayMark[] = lane.marks.map((m) => ({ ...m, name: null }));
  for (const b of lane.syscalls) {
    if (!b.highlight || !('index' in b.seek)) continue;
    out.push({ x: b.x, y: b.y, w: b.w, h: b.h, highlight: b.highlight, syscall: b.name, label: b.label, seek: b.seek, name: b.name });
  }
  return out;
}

/** Lane groups holding the marks, rebuilt only when the set of marks changes; else moved. */
let markKey = '';
let markRects: SVGRectElement[] = [];
let markTexts: (SVGTextElement | null)[] = [];
function renderMarks(tv: TimelineView): void {
  const lanes = tv.lanes.map((l) => ({ lane: l, marks: overlayMarks(l) })).filter((x) => x.marks.length > 0);
  const key = lanes
    .map((x) => `${x.lane.taskId}${x.lane.current ? '*' : ''}:${x.marks.map((m) => `${m.highlight}@${m.seek.index}/${m.label}`).join(',')}`)
    .join(';');
  const all = lanes.flatMap((x) => x.marks);
  if (key !== markKey) {
    markKey = key;
    markRects = [];
    markTexts = [];
    tlLanes.replaceChildren(
      ...lanes.map(({ lane, marks }) => {
        const g = svg('g', { class: `lt-lane${lane.current ? ' lt-current' : ''}`, 'data-task': lane.taskId });
        for (const m of marks) {
          const r = activatable(
            svg('g', { class: `lt-sys lt-mark lt-hl-${m.highlight}`, 'data-syscall': m.syscall ?? '', 'data-event': m.seek.index }),
            m.label,
            () => seek(m.seek),
          );
          const rect = svg('rect', { rx: 2 });
          r.append(rect);
          markRects.push(rect);
          const text = m.name !== null ? svg('text', { class: 'lt-bar-text' }) : null;
          if (text) r.append(text);
          markTexts.push(text);
          g.append(r);
        }
        return g;
      }),
    );
  }
  all.forEach((m, k) => {
    setAttrs(markRects[k], { x: m.x, y: m.y, width: m.w, height: m.h });
    const t = markTexts[k];
    if (t) {
      setAttrs(t, { x: m.x + 3, y: m.y + m.h - 4 });
      const label = m.w > 24 && m.name ? clipText(m.name, m.w - 6) : '';
      if (t.textContent !== label) t.textContent = label;
    }
  });
}

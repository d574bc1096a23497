// The timeline's keyboard: ← → pan, + and − zoom, Home centres the cursor; [ and ] step through
// the bars of a lane (canvas bars have no DOM of their own), ↑ ↓ change lanes, Enter/Space seek
// to the selected bar, which is outlined and announced.

import { setAttrs } from '../dom';
import { seek } from '../host';
import { kbdInfo, timelineHost } from '../page';
import { changeView, state } from '../store';
import { Rect, TimelineView, laneBars, pan, zoom } from '../viewModel';
import type { SeekTarget } from '../../../src/protocol/panel';
import { renderedView, tlKbd, tlOverlay } from './elements';

/** Keyboard selection of a bar: its task, its seek index and its kind. */
let kbdSel: { taskId: number; index: number; y: number } | null = null;

export function installTimelineKeys(): void {
  timelineHost.tabIndex = 0;
  timelineHost.setAttribute(
    'aria-label',
    'Timeline: ← → pan, + and − zoom, Home centres the cursor; [ and ] step through the bars of a lane, ↑ ↓ change lanes, Enter moves to the bar',
  );
  timelineHost.addEventListener('keydown', (ev) => {
    const k = ev.key;
    // keys on a focused mark are the mark's (Enter/Space activate it)
    if (ev.target !== timelineHost && (k === 'Enter' || k === ' ')) return;
    if (kbdKey(k)) {
      ev.preventDefault();
      return;
    }
    if (k === 'ArrowLeft') changeView((v, t) => pan(v, -0.25, t));
    else if (k === 'ArrowRight') changeView((v, t) => pan(v, 0.25, t));
    else if (k === '+' || k === '=') changeView((v, t) => zoom(v, 0.5, t));
    else if (k === '-' || k === '_') changeView((v, t) => zoom(v, 2, t));
    else if (k === 'Home' && state().replay) {
      const c = state().replay!.index;
      changeView((v, t) => zoom(v, 1, t, c));
    } else return;
    ev.preventDefault();
  });
}

function kbdLane(tv: TimelineView): number {
  const byTask = kbdSel ? tv.lanes.findIndex((l) => l.taskId === kbdSel!.taskId) : -1;
  if (byTask >= 0) return byTask;
  const cur = tv.lanes.findIndex((l) => l.current);
  return cur >= 0 ? cur : 0;
}

function kbdBars(tv: TimelineView, lane: number): (Rect & { label: string; seek: SeekTarget })[] {
  const l = tv.lanes[lane];
  return l ? laneBars(l) : [];
}

/** Moves the keyboard selection; true when the key was handled. */
function kbdKey(k: string): boolean {
  const tv = renderedView();
  if (!tv || tv.lanes.length === 0) return false;
  if (k === 'Escape' && kbdSel) {
    kbdSel = null;
  } else if (k === '[' || k === ']') {
    const lane = kbdLane(tv);
    const bars = kbdBars(tv, lane);
    if (bars.length === 0) return true;
    const idx = (b: { seek: SeekTarget }): number => ('index' in b.seek ? b.seek.index : 0);
    let at = kbdSel ? bars.findIndex((b) => idx(b) === kbdSel!.index && b.y === kbdSel!.y) : -1;
    if (at < 0) {
      const cursor = state().replay?.index ?? tv.from;
      at = k === ']' ? bars.findIndex((b) => idx(b) >= cursor) - 1 : bars.findIndex((b) => idx(b) > cursor);
      if (at < -1) at = k === ']' ? bars.length - 1 : bars.length;
      if (k === '[' && at === -1) at = bars.length;
    }
    const next = Math.max(0, Math.min(bars.length - 1, at + (k === ']' ? 1 : -1)));
    const b = bars[next];
    kbdSel = { taskId: tv.lanes[lane].taskId, index: idx(b), y: b.y };
  } else if ((k === 'ArrowUp' || k === 'ArrowDown') && kbdSel) {
    const lane = Math.max(0, Math.min(tv.lanes.length - 1, kbdLane(tv) + (k === 'ArrowDown' ? 1 : -1)));
    const bars = kbdBars(tv, lane);
    const idx = (b: { seek: SeekTarget }): number => ('index' in b.seek ? b.seek.index : 0);
    const near = bars.reduce<(typeof bars)[number] | null>(
      (best, b) => (!best || Math.abs(idx(b) - kbdSel!.index) < Math.abs(idx(best) - kbdSel!.index) ? b : best),
      null,
    );
    kbdSel = near
      ? { taskId: tv.lanes[lane].taskId, index: idx(near), y: near.y }
      : { taskId: tv.lanes[lane].taskId, index: kbdSel.index, y: -1 };
  } else if ((k === 'Enter' || k === ' ') && kbdSel) {
    const bar = selectedBar(tv);
    if (bar) seek(bar.seek);
  } else return false;
  renderKbd(tv);
  return true;
}

function selectedBar(tv: TimelineView): (Rect & { label: string; seek: SeekTarget }) | null {
  if (!kbdSel) return null;
  const lane = tv.lanes.findIndex((l) => l.taskId === kbdSel!.taskId);
  if (lane < 0) return null;
  return kbdBars(tv, lane).find((b) => 'index' in b.seek && b.seek.index === kbdSel!.index && b.y === kbdSel!.y) ?? null;
}

export function renderKbd(tv: TimelineView): void {
  const bar = selectedBar(tv);
  if (!bar) {
    tlKbd.remove();
    if (kbdInfo.textContent) kbdInfo.textContent = '';
    return;
  }
  setAttrs(tlKbd, { x: bar.x - 1, y: bar.y - 1, width: bar.w + 2, height: bar.h + 2 });
  if (tlKbd.parentNode !== tlOverlay) tlOverlay.append(tlKbd);
  if (kbdInfo.textContent !== bar.label) kbdInfo.textContent = bar.label;
}

// The pointer on the timeline: clicks hit-test the view model (a bar, a mark, or the event under
// the pointer) and seek there, hovering names what is under the pointer, and the wheel zooms
// (ctrl/⌘) or pans (horizontal, or shift).

import { seek } from '../host';
import { timelineHost } from '../page';
import { setUi, state } from '../store';
import { hitTest, indexAtX, pan } from '../viewModel';
import { renderedView, tlOverlay, tlStack } from './elements';

function pointAt(ev: MouseEvent): { x: number; y: number } {
  const box = tlOverlay.getBoundingClientRect();
  return { x: ev.clientX - box.left, y: ev.clientY - box.top };
}

/** Clicks on the timeline seek (to the bar or mark under the pointer, else to the event under it); the tooltip names what is under the pointer. */
export function installTimelinePointer(): void {
  tlOverlay.addEventListener('click', (ev) => {
    const tv = renderedView();
    if (!tv) return;
    const { x, y } = pointAt(ev);
    const hit = hitTest(tv, x, y);
    seek(hit && hit.kind !== 'bucket' ? hit.seek : { index: indexAtX(tv, x) });
  });

  let hoverAt: { x: number; y: number } | null = null;
  let hoverQueued = false;
  tlOverlay.addEventListener('mousemove', (ev) => {
    hoverAt = pointAt(ev);
    if (hoverQueued) return;
    hoverQueued = true;
    requestAnimationFrame(() => {
      hoverQueued = false;
      const tv = renderedView();
      const hit = tv && hoverAt ? hitTest(tv, hoverAt.x, hoverAt.y) : null;
      const title = hit ? hit.label : '';
      if (tlStack.title !== title) tlStack.title = title;
      tlStack.classList.toggle('lt-over-bar', !!hit && hit.kind !== 'bucket');
    });
  });

  // wheel: ctrl/⌘ + wheel zooms around the pointer, horizontal wheel (or shift + wheel) pans;
  // a plain vertical wheel scrolls the page as usual
  timelineHost.addEventListener(
    'wheel',
    (ev) => {
      const v = state().ui.view;
      const total = state().trace?.totalEvents ?? 0;
      if (!v || total === 0) return;
      const box = timelineHost.getBoundingClientRect();
      const scale = ev.deltaMode === 1 ? 16 : ev.deltaMode === 2 ? box.height : 1;
      if (ev.ctrlKey || ev.metaKey) {
        const at = indexAtX({ from: v.from, to: v.to, width: box.width }, ev.clientX - box.left);
        const factor = Math.exp(ev.deltaY * scale * 0.002);
        // keep the event under the pointer where it is
        const span = Math.max(Math.min(8, total), Math.min(total, Math.round((v.to - v.from) * factor)));
        const frac = (ev.clientX - box.left) / Math.max(1, box.width);
        const from = Math.max(0, Math.min(total - span, Math.round(at - frac * span)));
        setUi({ view: { from, to: from + span } });
      } else {
        const dx = ev.shiftKey && ev.deltaX === 0 ? ev.deltaY : ev.deltaX;
        if (dx === 0 || (Math.abs(ev.deltaY) > Math.abs(ev.deltaX) * 2 && !ev.shiftKey)) return;
        setUi({ view: pan(v, (dx * scale) / Math.max(1, box.width), total) });
      }
      ev.preventDefault();
    },
    { passive: false },
  );
}

// Timeline windows are asked of the host one at a time: while one is on its way, pans and zooms
// move the window already drawn (./timeline/paint.ts) and only the latest view is asked for next.
// An answer that is not the one on its way is dropped; a request unanswered for too long is given up.

import { TIMELINE_DETAIL_MAX_EVENTS } from '../../src/protocol/panel';
import { post } from './host';
import { timelineWidth } from './layout';
import { timelineHost } from './page';
import { state } from './store';

let requestId = 0;
/** What a timeline request asks for; equal keys need no second request. */
interface Wanted {
  from: number;
  to: number;
  /** Pixel budget (only aggregated windows depend on it). */
  width: number;
  tasks: string;
}
/** The request on its way (at most one), and what the window on screen answers. */
let inFlight: { id: number; wanted: Wanted; since: number } | null = null;
let drawn: Wanted | null = null;
/** A request unanswered this long is given up (the host may have been busy loading). */
const REQUEST_TIMEOUT_MS = 4000;

function wanted(): Wanted | null {
  const s = state();
  const v = s.ui.view;
  if (!v || !s.trace) return null;
  return { from: v.from, to: v.to, width: timelineWidth(), tasks: JSON.stringify(s.ui.tasks) };
}

/** Whether a window answering `a` is what `b` wants (the width matters to aggregated windows only). */
function answers(a: Wanted | null, b: Wanted): boolean {
  return (
    !!a && a.from === b.from && a.to === b.to && a.tasks === b.tasks && (a.width === b.width || b.to - b.from <= TIMELINE_DETAIL_MAX_EVENTS)
  );
}

/** Asks for the window of the current view unless it is drawn or on its way; one request at a time. */
export function maybeRequestTimeline(): void {
  const w = wanted();
  if (!w || answers(drawn, w)) return;
  if (inFlight) {
    if (answers(inFlight.wanted, w) || performance.now() - inFlight.since < REQUEST_TIMEOUT_MS) return;
  }
  inFlight = { id: ++requestId, wanted: w, since: performance.now() };
  timelineHost.dataset.pending = '1';
  post({ type: 'requestTimeline', requestId: inFlight.id, from: w.from, to: w.to, width: w.width, tasks: state().ui.tasks });
}

/** A window arrived: true when it answers the request on its way (it is then drawn), false when it is stale. */
export function acceptAnswer(id: number): boolean {
  // only the answer to the request on its way is drawn (older ones were given up)
  if (!inFlight || id !== inFlight.id) return false;
  drawn = inFlight.wanted;
  inFlight = null;
  delete timelineHost.dataset.pending;
  return true;
}

/** A new trace: nothing is drawn or on its way any more. */
export function forgetRequests(): void {
  inFlight = null;
  drawn = null;
}

// The lock panel's webview front end (browser iife bundle, out/media/panel.js): receives the
// host's messages, keeps the state with getState/setState, and renders the view models of
// ./viewModel.ts as DOM, SVG and canvas. This file wires the parts together:
//   ./host.ts       messages to and from the extension host, the `ready` handshake
//   ./store.ts      the one state, and what runs after each change of it
//   ./requests.ts   timeline windows asked of the host one at a time
//   ./frame.ts      rendering once per animation frame, only the sections whose inputs changed
//   ./layout.ts     layout reads (once a frame; the timeline's width from a ResizeObserver)
//   ./page.ts       the skeleton, built once
//   ./header.ts, ./stacks.ts, ./timeline/, ./findings.ts, ./graph.ts  one renderer per section
// Every interactive element is a real button, a focusable SVG element with a keyboard handler, or
// (canvas bars) reachable with the timeline's [ ] keys; clicks post `seek` / `selectFinding`
// messages to the host.

import './panel.css';
import type { HostMessage } from '../../src/protocol/panel';
import { renderFindings } from './findings';
import { changed, scheduleRender, setRender } from './frame';
import { renderGraph } from './graph';
import { renderHeader } from './header';
import { listen, persist, sayReady } from './host';
import { frameLayout, readLayout, timelineWidth, watchTimelineWidth } from './layout';
import { buildPage } from './page';
import { acceptAnswer, forgetRequests, maybeRequestTimeline } from './requests';
import { renderStacks } from './stacks';
import { onStateChange, setState, state } from './store';
import { installTimelineKeys } from './timeline/keyboard';
import { repaintOnScroll, repaintOnThemeChange } from './timeline/paint';
import { installTimelinePointer } from './timeline/pointer';
import { renderTimeline } from './timeline/render';
import { persisted, reduce, selectedFinding } from './viewModel';

/** After every change of the state: keep it across reloads, ask for the timeline it shows, render. */
function update(): void {
  persist(persisted(state()));
  maybeRequestTimeline();
  scheduleRender();
}

function onHostMessage(msg: HostMessage): void {
  if (msg.type === 'timeline' && !acceptAnswer(msg.window.requestId)) return;
  if (msg.type === 'init') forgetRequests();
  setState(reduce(state(), msg));
}

function render(): void {
  readLayout();
  const s = state();
  const sel = selectedFinding(s);
  if (changed('header', [s.trace, s.replay, s.error, s.source])) renderHeader();
  if (changed('stacks', [s.replay, s.ui.tasks, sel])) renderStacks();
  if (changed('timeline', [s.timeline, s.ui.view, s.replay, sel, s.ui.tasks, timelineWidth(), s.trace])) renderTimeline();
  if (changed('findings', [s.trace, s.replay, sel])) renderFindings();
  // a large class graph also follows the current task's held locks and the Show all / focus choice
  if (changed('graph', [s.graph, s.diff, s.trace, s.replay, s.ui.graphMode, s.ui.graphAll, s.ui.graphFocus, sel, frameLayout().graphW]))
    renderGraph();
}

onStateChange(update);
setRender(render);
buildPage();
installTimelineKeys();
installTimelinePointer();
listen(onHostMessage);
// aggregated windows depend on the width (update asks again); detail windows are only redrawn
watchTimelineWidth(update);
repaintOnScroll();
repaintOnThemeChange();
render();
sayReady();

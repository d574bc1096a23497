// Layout reads, kept out of the render path: the positions a frame needs are read once at its
// start (before any DOM write of the frame), and the timeline's width is kept by a ResizeObserver
// instead of being read every frame.

import { graphHost, timelineHost } from './page';
import { tlStack } from './timeline/elements';

export interface FrameLayout {
  /** The timeline stack's top relative to the viewport. */
  stackTop: number;
  viewportH: number;
  graphW: number;
}

let frame: FrameLayout = { stackTop: 0, viewportH: 800, graphW: 0 };

/** The layout read at the start of the current frame. */
export function frameLayout(): FrameLayout {
  return frame;
}

export function readLayout(): void {
  // one layout read a frame, before any DOM write of the frame
  frame = {
    stackTop: tlStack.isConnected ? tlStack.getBoundingClientRect().top : 0,
    viewportH: window.innerHeight,
    graphW: graphHost.clientWidth,
  };
}

/** The timeline's width, read once and then kept by the ResizeObserver (no layout read a frame). */
let hostWidth = -1;
export function timelineWidth(): number {
  if (hostWidth < 0) hostWidth = timelineHost.clientWidth;
  return Math.max(200, Math.floor(hostWidth || 600));
}

/** Follows the timeline's width; `onResize` runs 100 ms after the last change. */
export function watchTimelineWidth(onResize: () => void): void {
  let resizeTimer: number | undefined;
  new ResizeObserver((entries) => {
    for (const e of entries) hostWidth = e.contentRect.width;
    window.clearTimeout(resizeTimer);
    resizeTimer = window.setTimeout(onResize, 100);
  }).observe(timelineHost);
}

// How smooth scrolling is, measured where it matters: in the webview, the gaps between animation
// frames from the first scroll input of a gesture (wheel, scrollbar drag, keys) until no input
// came for a moment, and how many of those frames showed a line whose text had not arrived yet.
// One `scrolled` message per gesture; the host logs it and the real-host test reads it.

import type { ScrollStats } from '../../../src/protocol/traceView';

interface Gesture {
  startTop: number;
  lastTop: number;
  lastInput: number;
  lastFrame: number;
  start: number;
  gaps: number[];
  blankFrames: number;
  blankThisFrame: boolean;
}

export class ScrollMeter {
  private g: Gesture | null = null;

  constructor(
    private readonly report: (s: ScrollStats) => void,
    private readonly quietMs = 300,
  ) {}

  /** A scroll input moved the view to `top`. */
  input(top: number): void {
    const now = performance.now();
    if (!this.g) {
      this.g = { startTop: top, lastTop: top, lastInput: now, lastFrame: now, start: now, gaps: [], blankFrames: 0, blankThisFrame: false };
      requestAnimationFrame((t) => this.tick(t));
    }
    this.g.lastInput = now;
    this.g.lastTop = top;
  }

  /** The frame being drawn shows a line without its text. */
  blank(): void {
    if (this.g) this.g.blankThisFrame = true;
  }

  private tick(t: number): void {
    const g = this.g;
    if (!g) return;
    g.gaps.push(t - g.lastFrame);
    g.lastFrame = t;
    if (g.blankThisFrame) g.blankFrames++;
    g.blankThisFrame = false;
    if (performance.now() - g.lastInput < this.quietMs) {
      requestAnimationFrame((x) => this.tick(x));
      return;
    }
    this.g = null;
    // the first gap runs from the input to the first frame
    const gaps = [...g.gaps].sort((a, b) => a - b);
    const at = (q: number) => (gaps.length ? gaps[Math.min(gaps.length - 1, Math.floor(q * gaps.length))] : 0);
    this.report({
      frames: gaps.length,
      medianMs: round(at(0.5)),
      p95Ms: round(at(0.95)),
      maxMs: round(gaps.length ? gaps[gaps.length - 1] : 0),
      longFrames: gaps.filter((x) => x > 50).length,
      blankFrames: g.blankFrames,
      lines: Math.round(Math.abs(g.lastTop - g.startTop)),
      durationMs: round(g.lastInput - g.start),
    });
  }
}

function round(x: number): number {
  return Math.round(x * 10) / 10;
}

// The lines the webview has (a bounded cache by line number) and the requests for those it lacks:
// only lines around what is on screen are asked for, each missing stretch once, in pieces of at
// most TRACE_VIEW_MAX_LINES. The host answers every request; answers for lines far from the
// screen by then are kept until the cache is full, then the farthest lines go first.

import { TRACE_VIEW_MAX_LINES } from '../../../src/protocol/traceView';
import type { Token } from './tokenize';

export interface CachedLine {
  text: string;
  cut: boolean;
  /** Computed when first drawn. */
  tokens?: Token[];
}

interface Pending {
  id: number;
  from: number;
  to: number;
}

export class LineCache {
  private readonly lines = new Map<number, CachedLine>();
  private pending: Pending[] = [];
  private nextId = 1;
  /** Middle of the last wanted stretch: eviction keeps what is near it. */
  private focus = 1;

  constructor(
    private readonly request: (requestId: number, from: number, count: number) => void,
    private readonly limit = 20_000,
  ) {}

  get(line: number): CachedLine | undefined {
    return this.lines.get(line);
  }

  get size(): number {
    return this.lines.size;
  }

  /** Forgets every line and request (a new analysis: the file may have changed). */
  clear(): void {
    this.lines.clear();
    this.pending = [];
  }

  private requested(line: number): boolean {
    return this.pending.some((p) => line >= p.from && line <= p.to);
  }

  /** Asks for the lines of [from, to] (1-based, clipped to 1..lineCount) that are neither here nor asked for. */
  want(from: number, to: number, lineCount: number): void {
    const a0 = Math.max(1, Math.floor(from));
    const b0 = Math.min(lineCount, Math.floor(to));
    this.focus = (a0 + b0) >> 1;
    let a = a0;
    while (a <= b0) {
      while (a <= b0 && (this.lines.has(a) || this.requested(a))) a++;
      if (a > b0) break;
      let b = a;
      while (b < b0 && b - a + 1 < TRACE_VIEW_MAX_LINES && !this.lines.has(b + 1) && !this.requested(b + 1)) b++;
      const id = this.nextId++;
      this.pending.push({ id, from: a, to: b });
      this.request(id, a, b - a + 1);
      a = b + 1;
    }
  }

  /** Takes an answer; returns false for one of a request made before the last `clear`. */
  accept(requestId: number, from: number, texts: string[], cut: number[]): boolean {
    const k = this.pending.findIndex((p) => p.id === requestId);
    if (k < 0) return false;
    this.pending.splice(k, 1);
    const cutSet = new Set(cut);
    for (let i = 0; i < texts.length; i++) this.lines.set(from + i, { text: texts[i], cut: cutSet.has(from + i) });
    if (this.lines.size > this.limit) this.evict();
    return true;
  }

  /** Drops the lines farthest from the focus until a quarter of the room is free. */
  private evict(): void {
    const keep = Math.floor(this.limit * 0.75);
    const byDistance = [...this.lines.keys()].sort((x, y) => Math.abs(y - this.focus) - Math.abs(x - this.focus));
    for (const line of byDistance) {
      if (this.lines.size <= keep) break;
      this.lines.delete(line);
    }
  }
}

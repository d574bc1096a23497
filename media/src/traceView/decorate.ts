// What a line is drawn as: its grammar tokens cut further where a decoration (a finding's lock
// class, the hovered token) starts or ends, each piece with the CSS classes of its token and of
// the decorations over it. Pure, so the unit tests check it without a browser.

import type { TraceViewFinding } from '../../../src/protocol/traceView';
import { Token, scopeClass } from './tokenize';

export interface Decoration {
  start: number;
  end: number;
  className: string;
}

export interface Segment {
  start: number;
  end: number;
  className: string;
}

/** The tokens of a line with the decorations laid over them. */
export function segments(tokens: readonly Token[], decorations: readonly Decoration[]): Segment[] {
  const cuts = new Set<number>();
  for (const d of decorations) {
    cuts.add(d.start);
    cuts.add(d.end);
  }
  const out: Segment[] = [];
  for (const t of tokens) {
    const points = [t.start, ...[...cuts].filter((c) => c > t.start && c < t.end).sort((a, b) => a - b), t.end];
    for (let k = 0; k + 1 < points.length; k++) {
      const start = points[k];
      const end = points[k + 1];
      const classes = [scopeClass(t.scope)];
      for (const d of decorations) if (d.start <= start && d.end >= end && d.start < d.end) classes.push(d.className);
      out.push({ start, end, className: classes.filter(Boolean).join(' ') });
    }
  }
  return out;
}

/**
 * Where a finding shows on its line: the last occurrence of one of its lock classes (the class is
 * printed last on lock lines), like the problem's range in the text editor; none when no class is
 * printed there.
 */
export function findingDecorations(text: string, findings: readonly TraceViewFinding[]): Decoration[] {
  const out: Decoration[] = [];
  for (const f of findings) {
    for (const cls of f.locks) {
      const k = cls ? text.lastIndexOf(cls) : -1;
      if (k < 0) continue;
      out.push({ start: k, end: k + cls.length, className: `squiggle-${f.severity}` });
      break;
    }
  }
  return out;
}

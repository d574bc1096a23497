// Median and worst of a list of timings, as every benchmark and the editor-at-scale test report them.

export interface Stats {
  n: number;
  medianMs: number;
  worstMs: number;
}

/** NaN for an empty list. */
export function stats(xs: number[]): Stats {
  const s = [...xs].sort((a, b) => a - b);
  return { n: s.length, medianMs: s[Math.floor(s.length / 2)] ?? NaN, worstMs: s[s.length - 1] ?? NaN };
}

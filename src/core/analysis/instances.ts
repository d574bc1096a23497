// The instance view of the lock-order graph. lockdep reasons about classes; a class-level cycle
// may exist only because different instances of the same classes were taken in opposite orders
// (a parent directory's inode lock, then a child's; elsewhere a child's, then its parent's), which
// cannot deadlock by itself. For each class edge this keeps the distinct pairs of lock instances
// that made it (up to a bound per edge, so a trace touching millions of objects stays small), and
// for a class cycle finds a cycle between instances: the same locks taken in both orders.

/** Distinct instance pairs kept per class edge; beyond it they are only counted. */
export const MAX_INSTANCE_PAIRS = 64;

/** The instance pairs of one class edge, in order of first appearance. */
export interface EdgeInstances {
  from: number[];
  to: number[];
  /** Event index where each pair first made the edge. */
  at: number[];
  /** Occurrences with a pair not kept because the bound was reached (0: the list is complete). */
  more: number;
}

export function newEdgeInstances(): EdgeInstances {
  return { from: [], to: [], at: [], more: 0 };
}

/** Notes that lock `from` was held when lock `to` was taken at event `i`. */
export function notePair(r: EdgeInstances, from: number, to: number, i: number): void {
  const n = r.from.length;
  // the same pair again (the common case) is found first from the end
  for (let k = n - 1; k >= 0; k--) if (r.from[k] === from && r.to[k] === to) return;
  if (n >= MAX_INSTANCE_PAIRS) {
    r.more++;
    return;
  }
  r.from.push(from);
  r.to.push(to);
  r.at.push(i);
}

/**
 * A cycle between instances along a class cycle: one pair per class edge, each pair's target the
 * next pair's source, the last pair's target the first pair's source. `edges` are the class
 * cycle's edges in order. Returns the index of the chosen pair in each edge, or null.
 */
export function findInstanceCycle(edges: readonly EdgeInstances[]): number[] | null {
  const k = edges.length;
  if (k === 0) return null;
  const first = edges[0];
  for (let start = 0; start < first.from.length; start++) {
    const origin = first.from[start];
    // layered search: at each step, the pairs reachable from the previous step's targets
    let frontier = new Map<number, number[]>([[first.to[start], [start]]]);
    for (let e = 1; e < k && frontier.size > 0; e++) {
      const next = new Map<number, number[]>();
      const r = edges[e];
      for (let j = 0; j < r.from.length; j++) {
        const path = frontier.get(r.from[j]);
        if (path && !next.has(r.to[j])) next.set(r.to[j], [...path, j]);
      }
      frontier = next;
    }
    const closed = frontier.get(origin);
    if (closed) return closed;
  }
  return null;
}

/** Whether every pair of every edge was kept, so a missing instance cycle means there is none. */
export function complete(edges: readonly EdgeInstances[]): boolean {
  return edges.every((r) => r.more === 0);
}

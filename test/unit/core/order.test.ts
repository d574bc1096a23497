// The incremental dependency order (Pearce-Kelly) against a brute-force reachability check.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { DependencyOrder } from '../../../src/core/analysis/analyzer';

function reaches(adj: Map<number, number[]>, a: number, b: number): boolean {
  const seen = new Set([a]);
  const stack = [a];
  while (stack.length) {
    const n = stack.pop() as number;
    if (n === b) return true;
    for (const m of adj.get(n) ?? [])
      if (!seen.has(m)) {
        seen.add(m);
        stack.push(m);
      }
  }
  return false;
}

test('an edge is refused exactly when it would close a cycle', () => {
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.nat({ max: 12 }), fc.nat({ max: 12 })), { maxLength: 80 }), (edges) => {
      const o = new DependencyOrder();
      const adj = new Map<number, number[]>();
      for (const [x, y] of edges) {
        if (x === y) continue;
        const cycle = reaches(adj, y, x);
        assert.equal(o.addEdge(x, y), !cycle, `edge ${x}->${y}`);
        if (!cycle) adj.set(x, [...(adj.get(x) ?? []), y]);
      }
    }),
    { numRuns: 300, seed: 11 },
  );
});

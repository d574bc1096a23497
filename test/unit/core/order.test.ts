// The incremental dependency order against a brute-force reachability check: an edge is refused
// exactly when it closes a cycle, and every accepted edge points forwards in the kept order.
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
        for (const [a, outs] of adj) for (const b of outs) assert.ok(o.before(a, b), `after ${x}->${y}: ${a}->${b} points backwards`);
      }
    }),
    { numRuns: 300, seed: 11 },
  );
});

test('the order stays topological through label exhaustion and on long chains met in random order', () => {
  // nodes first seen in a random order, edges of a long chain with short skips (the worst case
  // for searches bounded by the order, and many moves to one spot, which relabels the list)
  fc.assert(
    fc.property(fc.array(fc.nat({ max: 399 }), { minLength: 400, maxLength: 400 }), fc.integer({ min: 1, max: 2 ** 31 }), (perm, seed) => {
      const order = [...new Set(perm)];
      for (let k = 0; k < 400; k++) if (!order.includes(k)) order.push(k);
      const o = new DependencyOrder();
      let r = seed;
      const edges: [number, number][] = [];
      for (let k = 0; k < 2000; k++) {
        r = (r * 1103515245 + 12345) % 2 ** 31;
        const a = r % 396;
        const b = a + 1 + ((r >> 8) % 3);
        edges.push([order[a], order[b]]);
      }
      for (const [x, y] of edges) assert.equal(o.addEdge(x, y), true, `${x}->${y} is no cycle`);
      for (const [x, y] of edges) assert.ok(o.before(x, y));
      // and the chain's reverse is refused everywhere
      assert.equal(o.addEdge(edges[0][1], edges[0][0]), false);
    }),
    { numRuns: 40, seed: 5 },
  );
});

test('many moves into one gap relabel the order instead of losing it', () => {
  const o = new DependencyOrder();
  // every new node goes last, then must move before node 0: always into the same shrinking gap
  for (let k = 1; k <= 3000; k++) assert.equal(o.addEdge(k, 0), true);
  for (let k = 1; k <= 3000; k++) assert.ok(o.before(k, 0), `${k} before 0`);
  // each moved alone, in arrival order just before 0: k-1 stays before k
  for (let k = 2; k <= 3000; k++) assert.ok(o.before(k - 1, k), `${k - 1} before ${k}`);
  assert.equal(o.addEdge(0, 1), false);
});

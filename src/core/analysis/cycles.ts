// Cycle identity and grouping for the lock-order graph. A cycle's identity is its set of classes
// (not which edge closed it, not its lines), hashed to a fingerprint with a short human id
// (`LT-3f9a`) the way git shortens commit hashes. Cycles are grouped by strongly connected
// component, and each component lists its elementary cycles found in bounded time: one shortest
// witness cycle per edge of the component (a BFS per distinct edge target), never an enumeration
// of all cycles, which can be exponential.
// Generic over node ids and an adjacency function, so the analyzer's class graph, a diff and the
// union of several traces share the same code.

/**
 * A 64-bit hash of `text` as 16 hex digits: two 32-bit multiply-xorshift lanes over the UTF-16
 * code units, mixed into each other at the end (bryc's cyrb53, both lanes kept whole), so that a
 * change anywhere in the text changes the leading digits the short id is made of.
 */
export function hash64(text: string): string {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let k = 0; k < text.length; k++) {
    const c = text.charCodeAt(k);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507);
  h1 ^= Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507);
  h2 ^= Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return (h2 >>> 0).toString(16).padStart(8, '0') + (h1 >>> 0).toString(16).padStart(8, '0');
}

/** The prefix of every short cycle id. */
export const CYCLE_ID_PREFIX = 'LT-';
/** Hex digits of a short cycle id. */
const SHORT_DIGITS = 4;

/**
 * The fingerprint of a set of lock classes (16 hex digits): the same for the same classes,
 * whatever their order, the edge that closed the cycle or the trace they came from.
 */
export function cycleFingerprint(classes: readonly string[]): string {
  const set = [...new Set(classes)].sort();
  return hash64(`locktrace-cycle-v1\n${set.join('\n')}`);
}

/** The short human id of a fingerprint (`LT-3f9a`). Short ids can collide; the fingerprint does not in practice. */
export function shortCycleId(fingerprint: string): string {
  return `${CYCLE_ID_PREFIX}${fingerprint.slice(0, SHORT_DIGITS)}`;
}

/** `LT-3f9a` for a set of lock classes. */
export function cycleId(classes: readonly string[]): string {
  return shortCycleId(cycleFingerprint(classes));
}

/** A cycle id as users write it (`LT-3f9a`, `lt-3f9a0c`, `3f9a0c12…`): its hex digits, or null when it is not one. */
export function parseCycleId(text: string): string | null {
  const m = /^(?:lt-)?([0-9a-f]{4,16})$/i.exec(text.trim());
  return m ? m[1].toLowerCase() : null;
}

/** Whether a cycle id a user wrote (any prefix of at least 4 hex digits, `LT-` optional) names this fingerprint. */
export function matchesCycleId(written: string, fingerprint: string): boolean {
  const hex = parseCycleId(written);
  return hex !== null && fingerprint.startsWith(hex);
}

/** Adjacency of a directed graph over dense node ids 0..n-1. */
export type Adjacency = (node: number) => readonly number[];

/**
 * Strongly connected components (Tarjan's algorithm, iterative so that a 20,000-class chain does
 * not overflow the stack). Returns each node's component index and the components of more than
 * one node (singletons are never part of a cycle: the graph has no self loops).
 */
export function stronglyConnected(n: number, out: Adjacency): { comp: Int32Array; components: number[][] } {
  const index = new Int32Array(n).fill(-1);
  const low = new Int32Array(n);
  const onStack = new Uint8Array(n);
  const comp = new Int32Array(n).fill(-1);
  const stack: number[] = [];
  const components: number[][] = [];
  let counter = 0;
  let compCount = 0;
  // explicit DFS stack: node and the position in its adjacency
  const callNode: number[] = [];
  const callPos: number[] = [];
  for (let root = 0; root < n; root++) {
    if (index[root] >= 0) continue;
    callNode.push(root);
    callPos.push(0);
    index[root] = low[root] = counter++;
    stack.push(root);
    onStack[root] = 1;
    while (callNode.length) {
      const top = callNode.length - 1;
      const v = callNode[top];
      const adj = out(v);
      const pos = callPos[top];
      if (pos < adj.length) {
        callPos[top] = pos + 1;
        const w = adj[pos];
        if (index[w] < 0) {
          index[w] = low[w] = counter++;
          stack.push(w);
          onStack[w] = 1;
          callNode.push(w);
          callPos.push(0);
        } else if (onStack[w] && index[w] < low[v]) low[v] = index[w];
        continue;
      }
      callNode.pop();
      callPos.pop();
      if (callNode.length) {
        const parent = callNode[callNode.length - 1];
        if (low[v] < low[parent]) low[parent] = low[v];
      }
      if (low[v] === index[v]) {
        const members: number[] = [];
        let w: number;
        do {
          w = stack.pop() as number;
          onStack[w] = 0;
          comp[w] = compCount;
          members.push(w);
        } while (w !== v);
        if (members.length > 1) components.push(members.sort((a, b) => a - b));
        else comp[w] = -1;
        compCount++;
      }
    }
  }
  // number the reported components densely
  const renum = new Map<number, number>();
  components.forEach((m, k) => renum.set(comp[m[0]], k));
  for (let v = 0; v < n; v++) comp[v] = comp[v] >= 0 ? (renum.get(comp[v]) ?? -1) : -1;
  return { comp, components };
}

/** A cycle as the node ids along it: `[a, b, c]` is a -> b -> c -> a. */
export type NodeCycle = number[];

/** Default bound on the edge visits the witness search may make in one component. */
export const WITNESS_BUDGET = 1_000_000;

/**
 * One shortest cycle through each edge of a component (u -> v closes the shortest path from v back
 * to u inside the component), without repeats. Bounded: one BFS per distinct edge target, and at
 * most `budget` edge visits overall; `truncated` says the budget ran out (the cycles found so far
 * are kept; `visits` is what was spent). Each cycle starts at the target of the edge it was found
 * for, so `cycle[last] -> cycle[0]` is that edge.
 */
export function witnessCycles(
  members: readonly number[],
  comp: Int32Array,
  out: Adjacency,
  budget = WITNESS_BUDGET,
): { cycles: NodeCycle[]; truncated: boolean; visits: number } {
  const c = comp[members[0]];
  const size = members.length;
  // the component on its own, over local indexes: adjacency, and the sources of each target
  const local = new Map<number, number>();
  members.forEach((v, k) => local.set(v, k));
  const adj: number[][] = members.map(() => []);
  const sources: number[][] = members.map(() => []);
  let visits = 0;
  members.forEach((u, k) => {
    for (const v of out(u)) {
      visits++;
      if (comp[v] !== c) continue;
      const j = local.get(v) as number;
      adj[k].push(j);
      sources[j].push(k);
    }
  });
  const seen = new Set<string>();
  const cycles: NodeCycle[] = [];
  const parent = new Int32Array(size);
  const stamp = new Int32Array(size).fill(-1);
  const wanted = new Int32Array(size).fill(-1);
  const queue = new Int32Array(size);
  let truncated = false;
  for (let v = 0; v < size; v++) {
    if (sources[v].length === 0) continue;
    if (visits >= budget) {
      truncated = true;
      break;
    }
    // BFS from v inside the component, until every source of v is reached
    let left = 0;
    for (const u of sources[v])
      if (wanted[u] !== v) {
        wanted[u] = v;
        left++;
      }
    stamp[v] = v;
    parent[v] = -1;
    let head = 0;
    let tail = 0;
    queue[tail++] = v;
    while (head < tail && left > 0) {
      const next = adj[queue[head++]];
      const x = queue[head - 1];
      for (let j = 0; j < next.length; j++) {
        const y = next[j];
        visits++;
        if (stamp[y] === v) continue;
        stamp[y] = v;
        parent[y] = x;
        if (wanted[y] === v) left--;
        queue[tail++] = y;
      }
    }
    for (const u of sources[v]) {
      if (stamp[u] !== v) continue;
      const path: number[] = [];
      for (let x = u; x !== -1; x = parent[x]) path.push(x);
      path.reverse(); // v … u, and u -> v closes it
      const key = canonicalKey(path);
      if (seen.has(key)) continue;
      seen.add(key);
      cycles.push(path.map((k) => members[k]));
    }
  }
  return { cycles, truncated, visits };
}

/** The same cycle whatever node it starts at: its length and a hash of the rotation that starts at its smallest node. */
function canonicalKey(cycle: readonly number[]): string {
  let min = 0;
  for (let k = 1; k < cycle.length; k++) if (cycle[k] < cycle[min]) min = k;
  if (cycle.length <= 16) return [...cycle.slice(min), ...cycle.slice(0, min)].join(',');
  let h1 = 0x9e3779b9;
  let h2 = 0x85ebca6b;
  for (let k = 0; k < cycle.length; k++) {
    const x = cycle[(min + k) % cycle.length];
    h1 = Math.imul(h1 ^ x, 2654435761);
    h2 = Math.imul(h2 ^ x, 1597334677);
  }
  return `${cycle.length}:${cycle[min]}:${h1 >>> 0}:${h2 >>> 0}`;
}

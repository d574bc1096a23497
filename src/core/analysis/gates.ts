// Gate locks: a lock G that the task making an edge A -> B already held when it took A, every
// time any edge of a cycle was made, serialises the cycle's orders. Two tasks can only deadlock on
// the cycle by each holding one of its locks while waiting for the next, and each of them would
// hold G at that moment, which an exclusive lock does not allow: the cycle cannot deadlock. lockdep
// and TSan report such cycles all the same; locktrace marks them `guardedBy` and says why.
// A gate must be one lock instance (not a class: two inodes' mutexes serialise nothing), held
// exclusively (not a read lock, not a check=0 map such as rcu_read_lock), and held before the
// edge's first lock (a lock taken between A and B does not protect the time A was held alone).

import { Held, HeldFlag } from './state';

/** Holds that cannot be gates. */
const NOT_A_GATE = HeldFlag.Read | HeldFlag.Pending | HeldFlag.NoCheck;

/**
 * Gate candidates of one occurrence of an edge p -> h: the lock ids held below `p` on the stack.
 * `held` is the task's stack before `h` is pushed.
 */
export function gatesOf(held: readonly Held[], p: Held, h: Held): number[] {
  const out: number[] = [];
  for (const g of held) {
    if (g === p) break;
    if (g.flags & NOT_A_GATE || g.lock === p.lock || g.lock === h.lock) continue;
    if (!out.includes(g.lock)) out.push(g.lock);
  }
  return out;
}

/** Narrows an edge's gate candidates to those this occurrence also has (in place; returns the new length). */
export function narrowGates(gates: number[], held: readonly Held[], p: Held, h: Held): number {
  let n = 0;
  for (const lock of gates) {
    let kept = false;
    for (const g of held) {
      if (g === p) break;
      if (g.lock === lock && !(g.flags & NOT_A_GATE) && lock !== h.lock) {
        kept = true;
        break;
      }
    }
    if (kept) gates[n++] = lock;
  }
  gates.length = n;
  return n;
}

/** The gates every edge of a cycle had (lock ids), given each edge's candidates. */
export function commonGates(perEdge: readonly (readonly number[] | undefined)[]): number[] {
  if (perEdge.length === 0 || perEdge.some((g) => !g || g.length === 0)) return [];
  let common = [...(perEdge[0] as number[])];
  for (const g of perEdge.slice(1)) common = common.filter((x) => (g as number[]).includes(x));
  return common;
}

// Held lock freed (lockdep's debug_check_no_locks_freed()): the slab allocator calls it on every
// kfree()/kmem_cache_free() with the object's range, and lockdep reports any lock the freeing task
// holds whose lockdep_map lies in that range ("WARNING: held lock freed!"). A trace shows it with
// the kmem events next to lock:*:
//   kmalloc: call_site=… ptr=ffff88800033e0c0 bytes_req=168 bytes_alloc=192 …   (and kmem_cache_alloc)
//   kfree: call_site=… ptr=ffff88800033e0c0                                        (and kmem_cache_free)
// interpret.ts keeps them as Other events whose `num` names `ADDRESS SIZE` (allocations) or
// `ADDRESS` (frees); lock_acquire prints the lockdep_map's address, the lock's key. bytes_alloc
// is the slab's object stride, so the range never reaches into the next object. The check needs the
// allocation in the trace (a free alone does not say its size) and raw addresses: with the kernel's
// default hashed %p the addresses are not ordered, and the rule stays off with a note.

import { ALLOC_EVENTS, FREE_EVENTS } from '../parse/interpret';
import { EventStore } from '../store';
import { Held, TaskState } from './state';

/** Lowest address of the kernel half on x86-64 and arm64; a hashed %p prints a 32-bit value. */
const KERNEL_HALF = 0xffff000000000000n;

export interface FreedHeld {
  /** The free event. */
  event: number;
  hold: Held;
  /** The freed range. */
  start: bigint;
  size: number;
  /** The allocation event of the range. */
  alloc: number;
}

/** Follows allocations through a trace and checks each free against the freeing task's held locks. */
export class FreedMemory {
  /** Whether the trace has allocation and free events at all (otherwise `other` returns at once). */
  readonly enabled: boolean;
  private readonly isAlloc = new Set<number>();
  private readonly isFree = new Set<number>();
  /** Live allocations: address -> size and event. */
  private readonly live = new Map<bigint, { size: number; event: number }>();
  private readonly lockAddr = new Map<number, bigint | null>();
  /** The first kmem event with a hashed (unordered) address, or -1. */
  private hashedAt = -1;

  constructor(
    private readonly s: EventStore,
    private readonly found: (f: FreedHeld) => void,
  ) {
    for (const n of ALLOC_EVENTS) {
      const id = s.names.lookup(n);
      if (id !== undefined) this.isAlloc.add(id);
    }
    for (const n of FREE_EVENTS) {
      const id = s.names.lookup(n);
      if (id !== undefined) this.isFree.add(id);
    }
    this.enabled = this.isAlloc.size > 0 && this.isFree.size > 0;
  }

  /** An Other event of task state `t` (its held locks as they were before the event). */
  other(i: number, t: TaskState | undefined): void {
    const s = this.s;
    const name = s.ref[i];
    const alloc = this.isAlloc.has(name);
    if (!alloc && !this.isFree.has(name)) return;
    const text = s.names.get(s.num[i]);
    if (text === '') return; // the event's body was not understood (interpret.ts warned)
    const sp = text.indexOf(' ');
    const addr = BigInt(sp < 0 ? text : text.slice(0, sp));
    if (addr === 0n) return; // kfree(NULL), or a failed allocation
    if (addr < KERNEL_HALF) {
      if (this.hashedAt < 0) this.hashedAt = i;
      return;
    }
    if (alloc) {
      this.live.set(addr, { size: Number(text.slice(sp + 1)), event: i });
      return;
    }
    const a = this.live.get(addr);
    if (!a) return; // allocated before the trace: its size is unknown
    this.live.delete(addr);
    if (!t) return;
    const end = addr + BigInt(a.size);
    for (const h of t.held) {
      const at = this.address(h.lock);
      if (at !== null && at >= addr && at < end) this.found({ event: i, hold: h, start: addr, size: a.size, alloc: a.event });
    }
  }

  /** A note when the rule could not run, or null. */
  note(): { event: number; message: string } | null {
    if (this.hashedAt < 0) return null;
    return {
      event: this.hashedAt,
      message:
        'kmem events print hashed pointers (the kernel default for %p): held-lock-freed is not checked, since hashed addresses cannot tell which locks lie in a freed range (boot with no_hash_pointers to check it)',
    };
  }

  private address(lock: number): bigint | null {
    let a = this.lockAddr.get(lock);
    if (a === undefined) {
      const info = this.s.locks[lock];
      a = null;
      if (info.domain === 'kernel' && /^0x[0-9a-f]+$/.test(info.key)) {
        const v = BigInt(info.key);
        if (v >= KERNEL_HALF) a = v;
      }
      this.lockAddr.set(lock, a);
    }
    return a;
  }
}

// Aggregated activity of the panel's timeline, exact and cheap at every zoom level of a huge trace.
//
// Each task's activity over an event range is four numbers: its events, how many of them happened
// inside a syscall, the deepest held-lock stack after one of them, and whether one of its syscalls
// returned to userspace with a lock held (a leak). All four compose over adjacent ranges (sum, sum,
// max, or), so they are kept per aligned block in a pyramid: blocks of 2^8, 2^10, 2^12, 2^14 and
// 2^16 events, computed lazily a chunk (2^16 events) at a time, the first time a window needs it,
// in one replay pass over the chunk. A window whose buckets are 2^8 events or more is then summed
// from a few blocks per bucket; only the unaligned ends of the window (under 256 events each) are
// replayed. Smaller windows are replayed event by event (at most DIRECT_MAX_EVENTS).
// Storage: one entry per (block, task active in it), per level in flat typed columns.
// Pure.

import { Analysis, EventKind, EventStore } from '../core';
import { HeldFlag, LockState, StateHooks, TaskState } from '../core/analysis/state';

/** log2 of the block sizes kept, finest first; the last one is the chunk. */
export const LEVEL_BITS = [8, 10, 12, 14, 16] as const;
const BASE_BITS = LEVEL_BITS[0];
const BASE = 1 << BASE_BITS;
const CHUNK_BITS = LEVEL_BITS[LEVEL_BITS.length - 1];
const CHUNK = 1 << CHUNK_BITS;
/** Windows up to this many events are replayed event by event (a few ms) instead of summed from blocks. */
export const DIRECT_MAX_EVENTS = 1 << 16;

/**
 * One level of the pyramid: block j (events [j·2^bits, (j+1)·2^bits)) has `count[j]` entries from
 * `first[j]` on in the columns, one per task with events in the block. Columns grow by doubling as
 * chunks are computed (in whatever order windows ask for them).
 */
class Level {
  readonly first: Uint32Array;
  readonly count: Uint32Array;
  task = new Uint32Array(0);
  events = new Uint32Array(0);
  inSys = new Uint32Array(0);
  depth = new Uint8Array(0);
  leak = new Uint8Array(0);
  length = 0;
  /** Most entries the level can have: a task per event, and at most every task in each block. */
  private readonly bound: number;

  constructor(
    readonly bits: number,
    events: number,
    tasks: number,
  ) {
    const nb = Math.ceil(events / 2 ** bits);
    this.first = new Uint32Array(nb);
    this.count = new Uint32Array(nb);
    this.bound = Math.min(events, nb * tasks);
  }

  /** Room for `extra` more entries. */
  reserve(extra: number): void {
    const need = this.length + extra;
    if (need <= this.task.length) return;
    // the bound at once when it is moderate (untouched pages of a big zeroed buffer cost no
    // memory), else by doubling: reallocations are what a lazily built pyramid must avoid
    const cap = this.bound <= 1 << 24 ? Math.max(need, this.bound) : Math.max(need, this.task.length * 2, 1 << 16);
    const grow = <T extends Uint32Array | Uint8Array>(x: T): T => {
      const y = new (x.constructor as new (n: number) => T)(cap);
      y.set(x.subarray(0, this.length));
      return y;
    };
    this.task = grow(this.task);
    this.events = grow(this.events);
    this.inSys = grow(this.inSys);
    this.depth = grow(this.depth);
    this.leak = grow(this.leak);
  }

  get bytes(): number {
    return this.first.byteLength * 2 + this.task.byteLength * 3 + this.depth.byteLength * 2;
  }
}

/** Where aggregated activity goes: lane-major arrays of `lanes × count` buckets. */
export interface BucketSink {
  /** Lane of each task id, or -1 for tasks without a lane. */
  laneOf: Int32Array;
  count: number;
  events: Uint32Array;
  inSys: Uint32Array;
  depth: Uint8Array;
  leak: Uint8Array;
}

let leakNow = false;
const LEAK_HOOKS: StateHooks = {
  sysExit: (t) => {
    leakNow = heldNonPending(t);
  },
};

function heldNonPending(t: TaskState): boolean {
  for (const h of t.held) if (!(h.flags & HeldFlag.Pending)) return true;
  return false;
}

export class ActivitySummary {
  private readonly levels: Level[];
  /** 1 for each chunk (2^16 events) whose blocks are computed. */
  private readonly built: Uint8Array;
  /** A replay state reused between calls (positioned wherever the last use left it). */
  private cursor: LockState | null = null;
  // per-task accumulators, reused by every block
  private readonly accEvents: Uint32Array;
  private readonly accSys: Uint32Array;
  private readonly accDepth: Uint8Array;
  private readonly accLeak: Uint8Array;
  private readonly touched: Int32Array;
  /** Events replayed so far to build blocks (tests and the benchmark read it). */
  builtEvents = 0;

  constructor(private readonly analysis: Analysis) {
    const s = analysis.store;
    this.levels = LEVEL_BITS.map((bits) => new Level(bits, s.length, s.tasks.length));
    this.built = new Uint8Array(Math.ceil(s.length / CHUNK));
    const nt = Math.max(1, s.tasks.length);
    this.accEvents = new Uint32Array(nt);
    this.accSys = new Uint32Array(nt);
    this.accDepth = new Uint8Array(nt);
    this.accLeak = new Uint8Array(nt);
    this.touched = new Int32Array(nt);
  }

  get store(): EventStore {
    return this.analysis.store;
  }

  /** Bytes held by the pyramid so far. */
  get bytes(): number {
    return this.levels.reduce((n, l) => n + l.bytes, 0);
  }

  /** Chunks computed so far, of how many. */
  get progress(): { built: number; total: number } {
    return { built: this.built.reduce((n, x) => n + x, 0), total: this.built.length };
  }

  /** A lock state after events [0, index): the reused one when it is close behind, else from the nearest checkpoint. */
  stateAt(index: number): LockState {
    const a = this.analysis;
    let st = this.cursor;
    if (!st || st.position > index || index - st.position > a.checkpointInterval) {
      st = new LockState(a.store, a.model);
      if (a.checkpoints.length) {
        const cp = Math.min(Math.floor(index / a.checkpointInterval), a.checkpoints.length - 1);
        st.restore(a.checkpoints[cp]);
      }
      this.cursor = st;
    }
    while (st.position < index) st.step();
    return st;
  }

  /** Hands a state over to the caller: it will not be reused here any more. */
  takeState(index: number): LockState {
    const st = this.stateAt(index);
    this.cursor = null;
    return st;
  }

  // --- building --------------------------------------------------------------------------

  /** Computes every chunk overlapping [from, to) that is missing (in order, one replay pass). */
  ensure(from: number, to: number): void {
    for (let c = Math.floor(from / CHUNK); c < this.built.length && c * CHUNK < to; c++) {
      if (this.built[c]) continue;
      const a = c * CHUNK;
      const b = Math.min(this.store.length, a + CHUNK);
      this.scan(this.stateAt(a), a, b);
      // coarser levels: each block merges the blocks of the level below it
      for (let l = 1; l < this.levels.length; l++) this.merge(this.levels[l - 1], this.levels[l], a, b);
      this.built[c] = 1;
      this.builtEvents += b - a;
    }
  }

  /** Level 0 of events [a, b) (a chunk): one replay pass from `st` (after [0, a)). */
  private scan(st: LockState, a: number, b: number): void {
    const s = this.store;
    const lv = this.levels[0];
    lv.reserve(b - a); // entries ≤ events
    const { accEvents, accSys, accDepth, accLeak, touched } = this;
    const taskCol = s.task;
    const kindCol = s.kind;
    const tasks = st.tasks; // grows in place while stepping (restore is never called here)
    let nt = 0;
    let j = a / BASE;
    let next = Math.min(b, a + BASE);
    for (let i = a; i < b; i++) {
      leakNow = false;
      st.step(LEAK_HOOKS);
      const k = taskCol[i];
      if (accEvents[k]++ === 0) touched[nt++] = k;
      const t = tasks[k];
      if ((t !== undefined && t.sys >= 0) || kindCol[i] === EventKind.SysExit) accSys[k]++;
      const d = t === undefined ? 0 : t.held.length;
      if (d > accDepth[k]) accDepth[k] = d > 255 ? 255 : d;
      if (leakNow) accLeak[k] = 1;
      if (i + 1 === next) {
        // end of a block: one entry per task seen in it
        this.flush(lv, j++, nt);
        nt = 0;
        next = Math.min(b, next + BASE);
      }
    }
  }

  /** The blocks of `up` over events [a, b), each merging the blocks of `below` it covers. */
  private merge(below: Level, up: Level, a: number, b: number): void {
    const { accEvents, accSys, accDepth, accLeak, touched } = this;
    const ratio = 2 ** (up.bits - below.bits);
    const j0 = a / 2 ** up.bits;
    const j1 = Math.ceil(b / 2 ** up.bits);
    const nbBelow = below.first.length;
    for (let j = j0; j < j1; j++) {
      let nt = 0;
      let room = 0;
      for (let q = j * ratio; q < Math.min(nbBelow, (j + 1) * ratio); q++) room += below.count[q];
      up.reserve(room);
      const { task: bTask, events: bEvents, inSys: bSys, depth: bDepth, leak: bLeak } = below;
      for (let q = j * ratio; q < Math.min(nbBelow, (j + 1) * ratio); q++) {
        const e1 = below.first[q] + below.count[q];
        for (let e = below.first[q]; e < e1; e++) {
          const k = bTask[e];
          if (accEvents[k] === 0) touched[nt++] = k;
          accEvents[k] += bEvents[e];
          accSys[k] += bSys[e];
          if (bDepth[e] > accDepth[k]) accDepth[k] = bDepth[e];
          accLeak[k] |= bLeak[e];
        }
      }
      this.flush(up, j, nt);
    }
  }

  /** Makes the accumulators of the `nt` touched tasks block `j` of `lv` (room reserved) and clears them. */
  private flush(lv: Level, j: number, nt: number): void {
    const { accEvents, accSys, accDepth, accLeak, touched } = this;
    const { task, events, inSys, depth, leak } = lv;
    let m = lv.length;
    lv.first[j] = m;
    lv.count[j] = nt;
    for (let q = 0; q < nt; q++) {
      const k = touched[q];
      task[m] = k;
      events[m] = accEvents[k];
      inSys[m] = accSys[k];
      depth[m] = accDepth[k];
      leak[m] = accLeak[k];
      m++;
      accEvents[k] = 0;
      accSys[k] = 0;
      accDepth[k] = 0;
      accLeak[k] = 0;
    }
    lv.length = m;
  }

  // --- queries ---------------------------------------------------------------------------

  /**
   * Splits [a, b) into stored blocks (largest aligned first) and unaligned ends; calls `block` for
   * each block and `rest` for each end (under BASE events).
   */
  private cover(a: number, b: number, block: (l: Level, j: number) => void, rest: (a: number, b: number) => void): void {
    let p = a;
    const head = Math.min(b, Math.ceil(p / BASE) * BASE);
    if (head > p) {
      rest(p, head);
      p = head;
    }
    while (b - p >= BASE) {
      let l = LEVEL_BITS.length - 1;
      while (l > 0 && (p % 2 ** LEVEL_BITS[l] !== 0 || p + 2 ** LEVEL_BITS[l] > b)) l--;
      const size = 2 ** LEVEL_BITS[l];
      block(this.levels[l], p / size);
      p += size;
    }
    if (p < b) rest(p, b);
  }

  /** Marks in `active` every task with an event in [from, to). */
  markActive(from: number, to: number, active: Uint8Array): void {
    const tasks = this.store.task;
    if (to - from <= DIRECT_MAX_EVENTS) {
      for (let i = from; i < to; i++) active[tasks[i]] = 1;
      return;
    }
    this.ensure(from, to);
    this.cover(
      from,
      to,
      (l, j) => {
        for (let e = l.first[j]; e < l.first[j] + l.count[j]; e++) active[l.task[e]] = 1;
      },
      (a, b) => {
        for (let i = a; i < b; i++) active[tasks[i]] = 1;
      },
    );
  }

  /**
   * Adds the activity of events [from, to) to `sink`, in buckets of `size` events on the grid of
   * multiples of `size` starting at `start` (bucket k: [start + k·size, start + (k+1)·size) ∩ [from, to)).
   * `st` is a lock state after events [0, from); it is stepped forward.
   * Blocks are used when `size` is a multiple of the finest block, else every event is replayed.
   */
  fill(st: LockState, from: number, to: number, start: number, size: number, sink: BucketSink): void {
    if (size % BASE !== 0) {
      this.replay(st, from, to, start, size, sink);
      return;
    }
    this.ensure(from, to);
    const { laneOf, count } = sink;
    let endState: LockState | null = st;
    for (let k = 0; k < sink.count; k++) {
      const a = Math.max(from, start + k * size);
      const b = Math.min(to, start + (k + 1) * size);
      if (a >= b) continue;
      this.cover(
        a,
        b,
        (l, j) => {
          for (let e = l.first[j]; e < l.first[j] + l.count[j]; e++) {
            const lane = laneOf[l.task[e]];
            if (lane < 0) continue;
            const at = lane * count + k;
            sink.events[at] += l.events[e];
            sink.inSys[at] += l.inSys[e];
            if (l.depth[e] > sink.depth[at]) sink.depth[at] = l.depth[e];
            sink.leak[at] |= l.leak[e];
          }
        },
        (ra, rb) => {
          // the window's ends: replay them (the head with the caller's state, the tail from a fresh one)
          const rs = endState && endState.position === ra ? endState : this.stateAt(ra);
          endState = null;
          this.replay(rs, ra, rb, start, size, sink);
        },
      );
    }
  }

  /** Replays events [from, to) from `st` (after [0, from)) into `sink`'s buckets. */
  replay(st: LockState, from: number, to: number, start: number, size: number, sink: BucketSink): void {
    const s = this.store;
    const { laneOf, count } = sink;
    const taskCol = s.task;
    const kindCol = s.kind;
    while (st.position < from) st.step();
    for (let i = from; i < to; i++) {
      leakNow = false;
      st.step(LEAK_HOOKS);
      const lane = laneOf[taskCol[i]];
      if (lane < 0) continue;
      const at = lane * count + Math.floor((i - start) / size);
      const t = st.tasks[taskCol[i]];
      sink.events[at]++;
      if ((t && t.sys >= 0) || kindCol[i] === EventKind.SysExit) sink.inSys[at]++;
      const d = t ? Math.min(255, t.held.length) : 0;
      if (d > sink.depth[at]) sink.depth[at] = d;
      if (leakNow) sink.leak[at] = 1;
    }
  }
}

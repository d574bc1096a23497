// Host-side panel model against the shared sample: state, windowed timeline, graph, controller.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, parseTrace } from '../../../src/core';
import { PanelController } from '../../../src/panel/controller';
import { PanelModel } from '../../../src/panel/model';
import {
  HostMessage,
  PANEL_PROTOCOL_VERSION,
  TIMELINE_DETAIL_MAX_EVENTS,
  TimelineWindow,
  bucketRange,
  emptyTaskFilter,
} from '../../../src/protocol/panel';
import { DIRECT_MAX_EVENTS } from '../../../src/panel/summary';
import { LockState } from '../../../src/core/analysis/state';
import { EventKind } from '../../../src/core';
import { selectFindings } from '../../../src/load';
import { prng } from '../../bench/generate';
import { SAMPLE, generatedModel, kernelAbbaModel, sampleModel } from './fixture';

const ALL = emptyTaskFilter();

describe('PanelModel on the shared sample', () => {
  const m = sampleModel();
  const at35 = m.resolve({ line: 35 });

  it('resolves lines and indices', () => {
    assert.equal(m.store.line[at35], 35);
    assert.equal(m.resolve({ index: 1e9 }), m.store.length - 1);
    assert.equal(m.resolve({ line: 1 }), 0);
  });

  it('gives the replay state at line 35 in the adapter shape', () => {
    const s = m.stateAt(at35);
    assert.equal(s.line, 35);
    const reader = s.tasks.find((t) => t.pid === 2102)!;
    assert.deepEqual(
      reader.held.map((h) => h.className),
      ['&inode->i_dio_map', 'sb_writers'],
    );
    assert.equal(reader.held[0].acrossSyscall, true);
    assert.equal(reader.syscall?.name, 'io_submit');
    assert.deepEqual(s.tasks.find((t) => t.pid === 2101)!.held, []);
    assert.ok(s.findingsSoFar.some((f) => f.kind === 'inversion'));
  });

  it('draws syscall and lock bars for a detail window, with leaks marked', () => {
    const w = m.timeline({ requestId: 7, from: 0, to: m.store.length, width: 800, tasks: ALL });
    assert.equal(w.requestId, 7);
    assert.equal(w.mode, 'detail');
    assert.deepEqual(
      w.lanes.map((l) => l.pid),
      [2101, 2102],
    );
    const writer = w.lanes[0];
    assert.deepEqual(
      writer.syscalls.map((b) => [b.name, b.enterLine, b.exitLine]),
      [
        ['io_submit', 13, 17],
        ['io_uring_enter', 18, 22],
        ['io_getevents', 23, 26],
      ],
    );
    const sb = writer.locks.find((b) => b.className === 'sb_writers')!;
    assert.equal(sb.startLine, 16);
    assert.equal(sb.endLine, 25);
    assert.equal(sb.acrossSyscall, true);
    assert.equal(sb.syscall, 'io_submit');
    const mm = writer.locks.find((b) => b.className === '&mm->mmap_lock')!;
    assert.equal(mm.read, true);
    assert.equal(mm.acrossSyscall, false);
    const dio = writer.locks.find((b) => b.className === '&inode->i_dio_map')!;
    assert.equal(dio.depth, 2, 'taken under sb_writers and &ctx->uring_lock');
  });

  it('starts a window with what is already held and open', () => {
    // window starting inside 2102's io_submit (line 33): io_uring_enter's leaked lock is still held
    const from = m.resolve({ line: 34 });
    const w = m.timeline({ requestId: 1, from, to: from + 3, width: 300, tasks: ALL });
    const reader = w.lanes.find((l) => l.pid === 2102)!;
    assert.equal(reader.syscalls[0].name, 'io_submit');
    assert.equal(reader.syscalls[0].enterLine, 32);
    const dio = reader.locks.find((b) => b.className === '&inode->i_dio_map')!;
    assert.equal(dio.startLine, 29);
    assert.equal(dio.acrossSyscall, true);
    assert.equal(dio.end, null, 'still held at the window end');
    assert.ok(!w.lanes.some((l) => l.pid === 2101), 'idle task has no lane');
  });

  it('filters and pins lanes', () => {
    const w = m.timeline({ requestId: 1, from: 0, to: m.store.length, width: 300, tasks: { pinned: [], text: 'dio' } });
    assert.deepEqual(
      w.lanes.map((l) => l.pid),
      [2102],
    );
    assert.equal(w.hiddenLanes, 1);
    const p = m.timeline({ requestId: 1, from: 0, to: m.store.length, width: 300, tasks: { pinned: [1], text: 'zzz' } });
    assert.deepEqual(
      p.lanes.map((l) => l.pid),
      [2102],
    );
  });

  it('keeps only edges made so far in the graph', () => {
    const before = m.graph(m.resolve({ line: 20 }) - 1);
    assert.ok(!before.edges.some((e) => e.from === 'sb_writers' && e.to === '&inode->i_dio_map'));
    const g = m.graph(at35);
    const e1 = g.edges.find((e) => e.from === 'sb_writers' && e.to === '&inode->i_dio_map')!;
    const e2 = g.edges.find((e) => e.from === '&inode->i_dio_map' && e.to === 'sb_writers')!;
    assert.equal(e1.syscall, 'io_uring_enter');
    assert.equal(e1.line, 20);
    assert.equal(e2.syscall, 'io_submit');
    assert.equal(e2.line, 35);
    assert.ok(e1.crossSyscall && e2.crossSyscall);
    assert.equal(g.truncatedNodes, 0);
  });
});

describe('PanelModel on a large synthetic trace', () => {
  // 200k events, 4 tasks, each looping: enter, acquire A, acquire B, exit (A and B leak), release both
  const lines: string[] = [];
  const N = 40_000;
  for (let k = 0; k < N; k++) {
    const pid = 3000 + (k % 4);
    const ts = (k / 1e4).toFixed(6);
    const p = `t-${pid} [000] ..... ${ts}:`;
    lines.push(
      `${p} sys_enter: NR 0 (0, 0, 0, 0, 0, 0)`,
      `${p} lock_acquire: 00000000000000a${k % 4} &a->lock`,
      `${p} lock_acquire: 00000000000000b${k % 4} &b->lock`,
      `${p} sys_exit: NR 0 = 0`,
      `${p} lock_release: 00000000000000b${k % 4} &b->lock`,
    );
    lines.push(`${p} lock_release: 00000000000000a${k % 4} &a->lock`);
  }
  const store = parseTrace(lines.join('\n') + '\n', { file: 'big.trace', format: 'ftrace' });
  const m = new PanelModel(analyze(store, { kinds: ['inversion'] }), 'big.trace');

  it('aggregates windows too large to draw event by event', () => {
    assert.ok(m.store.length > TIMELINE_DETAIL_MAX_EVENTS * 10);
    const w = m.timeline({ requestId: 1, from: 0, to: m.store.length, width: 500, tasks: ALL });
    assert.equal(w.mode, 'aggregate');
    assert.equal(w.lanes.length, 4);
    const b = w.buckets!;
    assert.ok(b.count <= 500 + 1, 'at most about one bucket per pixel');
    assert.equal(b.size & (b.size - 1), 0, 'a power of two');
    assert.equal(b.events.length, 4 * b.count);
    w.lanes.forEach((l, lane) => {
      assert.equal(l.syscalls.length, 0);
      assert.equal(l.maxDepth, 2);
      const row = (a: ArrayLike<number>) => Array.from(a).slice(lane * b.count, (lane + 1) * b.count);
      assert.ok(row(b.leak).some((x) => x === 1));
      assert.equal(
        row(b.events).reduce((n, x) => n + x, 0),
        m.store.length / 4,
      );
    });
  });

  it('answers every request afresh, in typed arrays of its own', () => {
    const req = { requestId: 1, from: 0, to: m.store.length, width: 400, tasks: ALL };
    const a = m.timeline(req);
    const b = m.timeline({ ...req, requestId: 2 });
    assert.equal(b.requestId, 2);
    assert.deepEqual({ ...b, requestId: 1 }, a);
    assert.notEqual(b.buckets!.events, a.buckets!.events, 'posted arrays are never shared');
    assert.equal(a.buckets!.events.byteLength, a.buckets!.events.buffer.byteLength, 'each array owns its buffer');
    assert.deepEqual(
      m.timeline({ ...req, tasks: { pinned: [], text: '3001' } }).lanes.map((l) => l.pid),
      [3001],
    );
  });

  it('draws a small window from the middle in detail', () => {
    const mid = Math.floor(m.store.length / 2);
    const w = m.timeline({ requestId: 2, from: mid, to: mid + 60, width: 500, tasks: ALL });
    assert.equal(w.mode, 'detail');
    const bars = w.lanes.flatMap((l) => l.locks);
    assert.ok(bars.length > 0 && bars.every((b) => b.className === '&a->lock' || b.className === '&b->lock'));
    assert.ok(bars.some((b) => b.acrossSyscall));
  });
});

/**
 * The four numbers of every bucket, counted the plain way: a fresh lock state replayed from event 0,
 * then event by event over the window. What the block pyramid must reproduce exactly.
 */
function referenceBuckets(
  model: PanelModel,
  w: TimelineWindow,
): { events: number[]; inSyscall: number[]; maxDepth: number[]; leak: number[] } {
  const s = model.store;
  const b = w.buckets!;
  const n = w.lanes.length * b.count;
  const out = {
    events: new Array<number>(n).fill(0),
    inSyscall: new Array<number>(n).fill(0),
    maxDepth: new Array<number>(n).fill(0),
    leak: new Array<number>(n).fill(0),
  };
  const laneOf = new Map(w.lanes.map((l, k) => [l.taskId, k]));
  const st = new LockState(s);
  while (st.position < w.from) st.step();
  let leak = false;
  const hooks = { sysExit: (t: { held: { flags: number }[] }) => (leak = t.held.some((h) => !(h.flags & 4 /* Pending */))) };
  for (let i = w.from; i < w.to; i++) {
    leak = false;
    st.step(hooks);
    const lane = laneOf.get(s.task[i]);
    if (lane === undefined) continue;
    const k = Math.floor((i - b.start) / b.size);
    const [a, z] = bucketRange(w, b, k);
    assert.ok(a <= i && i < z);
    const at = lane * b.count + k;
    const t = st.task(s.task[i]);
    out.events[at]++;
    if (t.sys >= 0 || s.kind[i] === EventKind.SysExit) out.inSyscall[at]++;
    out.maxDepth[at] = Math.max(out.maxDepth[at], t.held.length);
    if (leak) out.leak[at] = 1;
  }
  return out;
}

describe('aggregated windows of a generated trace (64 tasks, nested locks, a hidden inversion)', () => {
  const g = generatedModel();
  const n = g.store.length;

  it('every bucket of random windows equals a plain replay, through blocks and through direct replay', () => {
    const rnd = prng(11);
    let viaBlocks = 0;
    let direct = 0;
    for (let k = 0; k < 40; k++) {
      const span = Math.floor(TIMELINE_DETAIL_MAX_EVENTS + 1 + rnd() * rnd() * (n - TIMELINE_DETAIL_MAX_EVENTS - 1));
      const from = Math.floor(rnd() * (n - span));
      const width = 50 + Math.floor(rnd() * 1500);
      const w = g.timeline({ requestId: k, from, to: from + span, width, tasks: ALL });
      assert.equal(w.mode, 'aggregate');
      const b = w.buckets!;
      assert.ok(b.count <= width + 1);
      assert.ok(b.start <= from && b.start + b.count * b.size >= from + span);
      if (span > DIRECT_MAX_EVENTS) viaBlocks++;
      else direct++;
      const ref = referenceBuckets(g, w);
      assert.deepEqual(Array.from(b.events), ref.events, `events, window ${from}+${span} / ${width}px`);
      assert.deepEqual(Array.from(b.inSyscall), ref.inSyscall, `inSyscall, window ${from}+${span}`);
      assert.deepEqual(Array.from(b.maxDepth), ref.maxDepth, `maxDepth, window ${from}+${span}`);
      assert.deepEqual(Array.from(b.leak), ref.leak, `leak, window ${from}+${span}`);
    }
    assert.ok(viaBlocks >= 5 && direct >= 5, `both paths exercised (${viaBlocks} via blocks, ${direct} direct)`);
  });

  it('lanes are the tasks active in the window, and the whole trace counts every event once', () => {
    const w = g.timeline({ requestId: 1, from: 0, to: n, width: 800, tasks: ALL });
    const b = w.buckets!;
    assert.equal(w.lanes.length, Math.min(64, g.store.tasks.length));
    let total = 0;
    for (let k = 0; k < b.events.length; k++) total += b.events[k];
    assert.equal(total, n);
    // a window in the middle: exactly the tasks with an event in it or something held/open at its start
    const from = Math.floor(n / 3);
    const to = from + 100_000;
    const part = g.timeline({ requestId: 2, from, to, width: 800, tasks: ALL });
    const active = new Set<number>();
    for (let i = from; i < to; i++) active.add(g.store.task[i]);
    const st = new LockState(g.store);
    while (st.position < from) st.step();
    st.tasks.forEach((t, id) => t && !t.exited && (t.held.length || t.sys >= 0) && active.add(id));
    assert.deepEqual(
      part.lanes.map((l) => l.taskId).sort((x, y) => x - y),
      [...active].sort((x, y) => x - y),
    );
  });

  it('computes blocks lazily: a zoomed-in window does not pay for the whole trace', () => {
    const fresh = new PanelModel(g.analysis, 'gen');
    fresh.timeline({ requestId: 1, from: 1000, to: 1000 + DIRECT_MAX_EVENTS * 2, width: 300, tasks: ALL });
    assert.ok(fresh.activity.builtEvents > 0 && fresh.activity.builtEvents <= 4 * 65536, `built ${fresh.activity.builtEvents}`);
    fresh.timeline({ requestId: 2, from: 0, to: n, width: 300, tasks: ALL });
    const built = fresh.activity.builtEvents;
    assert.equal(built, n, 'the overview builds every block once');
    fresh.timeline({ requestId: 3, from: 5, to: n - 5, width: 777, tasks: ALL });
    assert.equal(fresh.activity.builtEvents, built, 'and later windows build nothing');
  });

  it('the bucket holding the inversion is busy in a syscall of the inverting task', () => {
    const inv = g.analysis.findings.find((f) => f.kind === 'inversion')!;
    assert.ok(inv, 'the generated trace hides an inversion');
    const w = g.timeline({ requestId: 1, from: 0, to: n, width: 600, tasks: ALL });
    const b = w.buckets!;
    const lane = w.lanes.findIndex((l) => l.pid === inv.pid);
    const k = Math.floor((inv.eventIndex - b.start) / b.size);
    const [a, z] = bucketRange(w, b, k);
    assert.ok(a <= inv.eventIndex && inv.eventIndex < z);
    assert.ok(b.events[lane * b.count + k] > 0);
    assert.ok(b.inSyscall[lane * b.count + k] > 0);
    assert.ok(b.maxDepth[lane * b.count + k] >= 2, 'two locks held when the reversed one is taken');
  });
});

describe('PanelController', () => {
  function setup(session = false) {
    const m = sampleModel();
    const posted: HostMessage[] = [];
    const revealed: number[] = [];
    const seeks: unknown[] = [];
    const c = new PanelController(m, {
      post: (msg) => posted.push(msg),
      reveal: (line) => revealed.push(line),
      seekSession: session
        ? (args) => {
            seeks.push(args);
            return Promise.resolve(m.stateAt(args.index ?? 0));
          }
        : undefined,
    });
    return { m, c, posted, revealed, seeks };
  }

  it('pushes nothing before ready, then init, state and graph', async () => {
    const { c, posted } = setup();
    c.moveTo(3);
    assert.equal(posted.length, 0);
    await c.handle({ type: 'ready', version: PANEL_PROTOCOL_VERSION });
    assert.deepEqual(
      posted.map((p) => p.type),
      ['init', 'state', 'graph'],
    );
    const st = posted[1];
    assert.ok(st.type === 'state' && st.state.index === 3);
  });

  it('rejects a webview of another protocol version', async () => {
    const { c, posted } = setup();
    await c.handle({ type: 'ready', version: PANEL_PROTOCOL_VERSION + 1 });
    assert.equal(posted[0].type, 'error');
  });

  it('seeks locally without a session and reveals the line', async () => {
    const { c, posted, revealed } = setup();
    await c.handle({ type: 'ready', version: PANEL_PROTOCOL_VERSION });
    posted.length = 0;
    await c.handle({ type: 'seek', target: { line: 35 } });
    assert.deepEqual(revealed, [35]);
    const st = posted.find((p) => p.type === 'state');
    assert.ok(st && st.type === 'state' && st.state.line === 35);
  });

  it('asks the debug session to seek when there is one', async () => {
    const { m, c, seeks, posted } = setup(true);
    await c.handle({ type: 'ready', version: PANEL_PROTOCOL_VERSION });
    const inv = m.analysis.findings.find((f) => f.kind === 'inversion')!;
    await c.handle({ type: 'selectFinding', findingId: inv.id, seek: true });
    assert.deepEqual(seeks, [{ index: inv.eventIndex }]);
    assert.equal(c.index, inv.eventIndex);
    assert.equal(posted[0].type === 'init' && posted[0].source, 'debug');
  });

  it('a finding selected in a selection of findings (kinds, suppressions) seeks to that finding, by id', async () => {
    const all = sampleModel().analysis;
    const m = new PanelModel(selectFindings(all, { kinds: ['inversion'] }), SAMPLE);
    const revealed: number[] = [];
    const c = new PanelController(m, { post: () => undefined, reveal: (line) => revealed.push(line) });
    const inv = m.analysis.findings[0];
    assert.ok(inv.id > 0, 'its id is not its position in the selection');
    await c.handle({ type: 'selectFinding', findingId: inv.id, seek: true });
    assert.deepEqual(revealed, [inv.line]);
    assert.equal(c.index, inv.eventIndex);
  });

  it('answers timeline requests with the same request id', async () => {
    const { c, posted } = setup();
    await c.handle({ type: 'requestTimeline', requestId: 42, from: 0, to: 10, width: 100, tasks: ALL });
    const t = posted.find((p) => p.type === 'timeline');
    assert.ok(t && t.type === 'timeline' && t.window.requestId === 42 && t.window.to === 10);
  });
});

describe('PanelModel on a real lockdep kernel trace (the lockseed abba capture)', () => {
  const m = kernelAbbaModel();
  const s = m.store;
  const window = (line: number, span = 200) => {
    const at = m.resolve({ line });
    return m.timeline({ requestId: 1, from: Math.max(0, at - span / 2), to: at + span / 2, width: 800, tasks: ALL });
  };

  it('locks held since before the trace are bars from the task’s first event to their release', () => {
    const w = m.timeline({ requestId: 1, from: 0, to: 100, width: 800, tasks: ALL });
    const seed = w.lanes.find((l) => l.pid === 65)!;
    const pre = seed.locks.filter((b) => b.sinceBeforeTrace);
    assert.deepEqual(
      pre.map((b) => `${b.className} ${b.startLine}-${b.endLine} depth ${b.depth}`),
      ['sb_writers 13-64 depth 0', 'trace_types_lock 13-63 depth 1'],
    );
    assert.equal(s.tasks[seed.taskId].firstEvent, pre[0].start);
    assert.ok(seed.locks.filter((b) => !b.sinceBeforeTrace).every((b) => s.kind[b.start] === EventKind.Acquire));
  });

  it('aggregated windows count them too (the activity pyramid replays with the analysis’ model)', () => {
    const w = m.timeline({ requestId: 1, from: 0, to: 4096, width: 16, tasks: ALL });
    assert.equal(w.mode, 'aggregate');
    const lane = w.lanes.findIndex((l) => l.pid === 65);
    const b = w.buckets!;
    // each bucket's deepest stack of ls_seed/65 is the replay's (which starts it with sb_writers and trace_types_lock)
    for (let k = 0; k < b.count; k++) {
      const [from, to] = bucketRange(w, b, k);
      let want = 0;
      for (let i = from; i < to; i++)
        if (s.task[i] === w.lanes[lane].taskId) want = Math.max(want, m.replay.view(i).tasks.find((t) => t.pid === 65)!.held.length);
      assert.equal(b.maxDepth[lane * b.count + k], want, `bucket ${k} (events ${from}–${to - 1})`);
    }
  });

  it('locks taken in a softirq on top of an ioctl carry their context; a nested instance its node', () => {
    const w = window(2263);
    const seed = w.lanes.find((l) => l.pid === 65)!;
    const at = (line: number) => seed.locks.find((b) => b.startLine === line)!;
    assert.equal(at(2245).className, '&dev->a_lock');
    assert.equal(at(2245).context, 'process');
    for (const line of [2257, 2258, 2259, 2261, 2263]) assert.equal(at(line).context, 'softirq', `line ${line}`);
    const nested = window(1722)
      .lanes.find((l) => l.pid === 65)!
      .locks.find((b) => b.startLine === 1722)!;
    assert.deepEqual([nested.className, nested.node], ['&mm->mmap_lock', '&mm->mmap_lock/1']);
  });

  it('kernel lock waits (lock_contended … lock_acquired) are drawn on the waiting task’s lane', () => {
    const w = window(5120);
    const seed = w.lanes.find((l) => l.pid === 65)!;
    assert.deepEqual(
      seed.waits.map((x) => `${x.className} ${x.beginLine}-${x.endLine} in ${x.syscall} ${(x.seconds! * 1e3).toFixed(2)} ms`),
      ['tasklist_lock 5114-5157 in wait4 4.66 ms', '&p->pi_lock 5152-5153 in wait4 3.42 ms'],
    );
    // a window that begins inside a wait still shows it; one after every wait shows none
    const inside = m.timeline({ requestId: 2, from: m.resolve({ line: 5130 }), to: m.resolve({ line: 5140 }), width: 400, tasks: ALL });
    assert.deepEqual(
      inside.lanes.find((l) => l.pid === 65)!.waits.map((x) => x.className),
      ['tasklist_lock'],
    );
    const after = m.timeline({ requestId: 3, from: s.length - 50, to: s.length, width: 400, tasks: ALL });
    assert.ok(after.lanes.every((l) => l.waits.length === 0));
    // no waits in aggregated windows (their lanes carry no bars)
    assert.ok(m.timeline({ requestId: 4, from: 0, to: s.length, width: 300, tasks: ALL }).lanes.every((l) => l.waits.length === 0));
  });

  it('the replay state marks what the held stacks show: since before the trace, context, node', () => {
    const entry = m.stateAt(0).tasks.find((t) => t.pid === 65)!;
    assert.deepEqual(
      entry.held.map((h) => `${h.node}${h.sinceBeforeTrace ? ' (before)' : ''} ${h.context}`),
      ['sb_writers (before) process', 'trace_types_lock (before) process', 'hrtimer_bases.lock hardirq'],
    );
  });
});

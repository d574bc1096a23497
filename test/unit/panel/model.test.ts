// Host-side panel model against the shared sample: state, windowed timeline, graph, controller.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyze, parseTrace } from '../../../src/core';
import { PanelController } from '../../../src/panel/controller';
import { PanelModel } from '../../../src/panel/model';
import { HostMessage, PANEL_PROTOCOL_VERSION, TIMELINE_DETAIL_MAX_EVENTS, emptyTaskFilter } from '../../../src/protocol/panel';
import { sampleModel } from './fixture';

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
    for (const l of w.lanes) {
      assert.equal(l.syscalls.length, 0);
      assert.ok(l.buckets.length <= 500);
      assert.equal(l.maxDepth, 2);
      assert.ok(l.buckets.some((b) => b.leak));
      assert.equal(
        l.buckets.reduce((n, b) => n + b.events, 0),
        m.store.length / 4,
      );
    }
  });

  it('serves a repeated aggregated window from its cache, with the new request id', () => {
    const req = { requestId: 1, from: 0, to: m.store.length, width: 400, tasks: ALL };
    const a = m.timeline(req);
    const b = m.timeline({ ...req, requestId: 2 });
    assert.equal(b.requestId, 2);
    assert.deepEqual({ ...b, requestId: 1 }, a);
    assert.equal(b.lanes, a.lanes, 'the cached lanes are reused, not recomputed');
    // another width or filter is another window
    assert.notEqual(m.timeline({ ...req, width: 401 }).lanes, a.lanes);
    assert.notEqual(m.timeline({ ...req, tasks: { pinned: [], text: 'w' } }).lanes, a.lanes);
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
        ? async (args) => {
            seeks.push(args);
            return m.stateAt(args.index ?? 0);
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

  it('answers timeline requests with the same request id', async () => {
    const { c, posted } = setup();
    await c.handle({ type: 'requestTimeline', requestId: 42, from: 0, to: 10, width: 100, tasks: ALL });
    const t = posted.find((p) => p.type === 'timeline');
    assert.ok(t && t.type === 'timeline' && t.window.requestId === 42 && t.window.to === 10);
  });
});

// The webview's logic without a browser: host messages (built by the real host model from the
// shared sample) → reducer → view models.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PanelViewState,
  bucketAtX,
  bucketInfo,
  centred,
  circleSlots,
  findingItems,
  followCursor,
  graphView,
  highlightsOf,
  hitTest,
  indexAtX,
  initialState,
  laneAtY,
  laneBars,
  leakSpan,
  persisted,
  reduce,
  selectedFinding,
  taskColumns,
  timelineView,
  togglePin,
  uncovered,
  zoom,
} from '../../../media/src/viewModel';
import { HostMessage, bucketRange, emptyTaskFilter, hostMessage } from '../../../src/protocol/panel';
import { generatedModel, kernelLogModel, sampleModel } from './fixture';

const m = sampleModel();
const at35 = m.resolve({ line: 35 });

function stateAt(index: number, base: PanelViewState = initialState()): PanelViewState {
  const msgs: HostMessage[] = [
    hostMessage('init', { source: 'standalone', trace: m.summary() }),
    hostMessage('state', { state: m.stateAt(index) }),
    hostMessage('graph', { graph: m.graph(index) }),
  ];
  let s = msgs.reduce(reduce, base);
  const v = s.ui.view!;
  s = reduce(s, hostMessage('timeline', { window: m.timeline({ requestId: 1, from: v.from, to: v.to, width: 600, tasks: s.ui.tasks }) }));
  return s;
}

describe('view model: held stacks', () => {
  it('shows each task innermost first at line 35, current task marked', () => {
    const cols = taskColumns(stateAt(at35));
    const reader = cols.find((c) => c.pid === 2102)!;
    const writer = cols.find((c) => c.pid === 2101)!;
    assert.equal(reader.current, true);
    assert.equal(writer.current, false);
    assert.deepEqual(
      reader.held.map((h) => h.className),
      ['sb_writers', '&inode->i_dio_map'],
    );
    const [top, below] = reader.held;
    assert.equal(top.syscall, 'io_submit');
    assert.equal(top.line, 35);
    assert.equal(top.acrossSyscall, false);
    assert.equal(below.acrossSyscall, true);
    assert.equal(below.syscall, 'io_uring_enter');
    assert.match(below.label, /held across a syscall boundary/);
    assert.ok(top.inFinding && below.inFinding, 'both locks belong to the inversion');
    assert.equal(reader.syscall, 'io_submit');
    assert.deepEqual(writer.held, []);
  });

  it('marks read acquisitions', () => {
    const cols = taskColumns(stateAt(m.resolve({ line: 14 })));
    assert.deepEqual(cols[0].held[0].badges, ['read']);
  });

  it('filters and pins tasks', () => {
    const s = stateAt(at35);
    const filtered = { ...s, ui: { ...s.ui, tasks: { pinned: [], text: 'aio' } } };
    assert.deepEqual(
      taskColumns(filtered).map((c) => c.pid),
      [2101],
    );
    const pinned = { ...s, ui: { ...s.ui, tasks: togglePin(emptyTaskFilter(), 1) } };
    assert.deepEqual(
      taskColumns(pinned).map((c) => [c.pid, c.pinned]),
      [
        [2102, true],
        [2101, false],
      ],
    );
    assert.deepEqual(togglePin(togglePin(emptyTaskFilter(), 1), 1).pinned, []);
  });
});

describe('view model: findings and highlights', () => {
  it('selects the latest inversion by default and lists the others', () => {
    const s = stateAt(at35);
    const f = selectedFinding(s)!;
    assert.equal(f.kind, 'inversion');
    const items = findingItems(s);
    assert.equal(items.filter((i) => i.selected).length, 1);
    assert.ok(items.find((i) => i.selected)!.atCursor);
    assert.ok(
      items.some((i) => i.ahead),
      'line-36 leak is not reached yet',
    );
    assert.equal(selectedFinding(stateAt(0)), null);
  });

  it('highlights the io_submit of 2102 and the syscalls behind the other edge', () => {
    const s = stateAt(at35);
    const tv = timelineView(s, 600)!;
    const hl = tv.lanes.flatMap((l) => l.syscalls.filter((b) => b.highlight).map((b) => `${l.title} ${b.name} ${b.highlight}`));
    assert.deepEqual(hl.sort(), [
      'aio-writer/2101 io_submit cycle',
      'aio-writer/2101 io_uring_enter cycle',
      'dio-reader/2102 io_submit inversion',
      'dio-reader/2102 io_uring_enter cycle',
    ]);
    const h = highlightsOf(selectedFinding(s));
    assert.equal(h.primary?.pid, 2102);
  });

  it('shows leaked spans outside syscalls and the cursor', () => {
    const tv = timelineView(stateAt(at35), 560)!;
    const writer = tv.lanes.find((l) => l.title === 'aio-writer/2101')!;
    const sb = writer.locks.find((b) => b.className === 'sb_writers')!;
    assert.ok(sb.acrossSyscall);
    // sb_writers leaks out of io_submit (exit at line 17) until its release at line 25
    const unit = 560 / 28;
    assert.deepEqual(sb.leaks, [{ x: m.resolve({ line: 18 }) * unit, w: (m.resolve({ line: 25 }) + 1 - m.resolve({ line: 18 })) * unit }]);
    const mm = writer.locks.find((b) => b.className === '&mm->mmap_lock')!;
    assert.deepEqual(mm.leaks, []);
    assert.equal(tv.cursorX, (at35 + 0.5) * (560 / 28));
    assert.ok(tv.lanes.find((l) => l.current)!.title.startsWith('dio-reader'));
  });
});

describe('view model: hit-testing the canvas', () => {
  it('finds every syscall and lock bar of a detail window at its centre, and nothing between lanes', () => {
    const tv = timelineView(stateAt(at35), 600)!;
    let bars = 0;
    tv.lanes.forEach((lane, k) => {
      assert.equal(laneAtY(tv, lane.y), k);
      assert.equal(laneAtY(tv, lane.y + lane.h - 0.5), k);
      for (const b of lane.syscalls) {
        const hit = hitTest(tv, b.x + Math.min(b.w / 2, 3), b.y + b.h / 2)!;
        assert.equal(hit.kind, 'syscall', b.label);
        assert.deepEqual(hit.seek, b.seek);
        assert.equal(hit.label, b.label);
        bars++;
      }
      for (const b of lane.locks) {
        const hit = hitTest(tv, b.x + Math.min(b.w / 2, 3), b.y + b.h / 2)!;
        assert.equal(hit.kind, 'lock', b.label);
        assert.deepEqual(hit.seek, b.seek);
        bars++;
      }
    });
    assert.ok(bars >= 12, `bars: ${bars}`);
    assert.equal(hitTest(tv, 10, 5), null, 'the axis is no lane');
    assert.equal(laneAtY(tv, tv.height + 10), -1);
  });

  it('steps through a lane in event order', () => {
    const tv = timelineView(stateAt(at35), 600)!;
    const reader = tv.lanes.find((l) => l.title === 'dio-reader/2102')!;
    const order = laneBars(reader).map((b) => ('index' in b.seek ? b.seek.index : -1));
    assert.deepEqual(
      order,
      [...order].sort((a, b) => a - b),
    );
    assert.equal(order.length, reader.syscalls.length + reader.locks.length);
  });
});

describe('view model: aggregated timeline of a generated trace', () => {
  const g = generatedModel();
  const n = g.store.length;
  const inv = g.analysis.findings.find((f) => f.kind === 'inversion')!;

  /** The webview's state at the inversion with the whole trace in view (what ⤢ shows). */
  function overview(): PanelViewState {
    let s = [
      hostMessage('init', { source: 'standalone', trace: g.summary() }),
      hostMessage('state', { state: g.stateAt(inv.eventIndex) }),
      hostMessage('graph', { graph: g.graph(inv.eventIndex) }),
    ].reduce(reduce, initialState());
    s = { ...s, ui: { ...s.ui, view: { from: 0, to: n } } };
    return reduce(s, hostMessage('timeline', { window: g.timeline({ requestId: 1, from: 0, to: n, width: 700, tasks: s.ui.tasks }) }));
  }

  it('marks the bucket holding the inversion in the inverting task, and the cycle buckets', () => {
    const s = overview();
    const tv = timelineView(s, 700)!;
    assert.equal(tv.mode, 'aggregate');
    const marks = tv.lanes.flatMap((l) => l.marks.map((m) => ({ lane: l, m })));
    const primary = marks.filter(({ m }) => m.highlight === 'inversion');
    assert.equal(primary.length, 1);
    const { lane, m: mark } = primary[0];
    assert.equal(lane.title, `${inv.comm}/${inv.pid}`);
    assert.equal(mark.seek.index, inv.eventIndex);
    assert.equal(mark.syscall, inv.syscall);
    // the mark lies over the bucket that holds the inversion event, and that bucket has events
    const k = bucketAtX(tv, mark.x + mark.w / 2);
    const info = bucketInfo(tv, lane, k)!;
    assert.ok(info.from <= inv.eventIndex && inv.eventIndex < info.to, `${info.from} ≤ ${inv.eventIndex} < ${info.to}`);
    assert.ok(info.events > 0 && info.inSyscall > 0);
    // every cycle event of the finding lies in a marked bucket of its task's lane (one mark a bucket)
    for (const e of inv.cycle ?? []) {
      for (const i of [e.eventIndex, e.fromEventIndex]) {
        const l = tv.lanes.find((x) => x.title === `${e.comm}/${e.pid}`)!;
        assert.ok(
          l.marks.some((m) => {
            const r = bucketInfo(tv, l, bucketAtX(tv, m.x + m.w / 2))!;
            return r.from <= i && i < r.to;
          }),
          `cycle event ${i} marked`,
        );
      }
    }
  });

  it('gives each bucket the window counts, and finds buckets by x', () => {
    const s = overview();
    const tv = timelineView(s, 700)!;
    const b = s.timeline!.buckets!;
    const lane = tv.lanes[3];
    for (const k of [0, 1, Math.floor(b.count / 2), b.count - 1]) {
      const info = bucketInfo(tv, lane, k)!;
      assert.deepEqual([info.from, info.to], bucketRange(s.timeline!, b, k));
      assert.equal(info.events, b.events[lane.bucketLane * b.count + k]);
      assert.ok(info.intensity >= 0 && info.intensity <= 1);
      assert.equal(bucketAtX(tv, (tv.buckets!.x[k] + tv.buckets!.x[k + 1]) / 2), k);
    }
    assert.equal(bucketAtX(tv, -1), -1);
    // hit-testing a lane away from the marks gives its bucket
    const k = Math.floor(b.count / 3);
    const x = (tv.buckets!.x[k] + tv.buckets!.x[k + 1]) / 2;
    const hit = hitTest(tv, x, lane.y + lane.h - 2)!;
    assert.equal(hit.kind, 'bucket');
    assert.equal(hit.label, bucketInfo(tv, lane, k)!.label);
  });

  it('shows the window drawn at the new place while a pan is on its way', () => {
    const s = overview();
    const half = Math.floor(n / 2);
    const panned: PanelViewState = { ...s, ui: { ...s.ui, view: { from: half, to: half + n } } };
    const a = timelineView(s, 700)!;
    const p = timelineView(panned, 700)!;
    assert.deepEqual([p.from, p.to], [half, half + n]);
    assert.deepEqual(p.window, { from: 0, to: n }, 'still the old data');
    // the bucket at the middle of the trace moved from the middle to the left edge
    const k = bucketAtX(a, 350);
    assert.ok(Math.abs(p.buckets!.x[k] - (a.buckets!.x[k] - 350)) < 1e-6);
  });
});

describe('view model: timeline helpers', () => {
  it('finds the leaked part of a hold', () => {
    assert.deepEqual(leakSpan(3, 12, true, [1, 4, 9]), [5, 12]);
    assert.deepEqual(leakSpan(3, 12, false, [4]), null);
    assert.deepEqual(leakSpan(3, 12, true, []), [3, 12]);
  });

  it('subtracts intervals', () => {
    assert.deepEqual(
      uncovered(0, 10, [
        [2, 4],
        [3, 6],
        [8, 12],
      ]),
      [
        [0, 2],
        [6, 8],
      ],
    );
    assert.deepEqual(uncovered(0, 10, []), [[0, 10]]);
    assert.deepEqual(uncovered(2, 5, [[0, 10]]), []);
  });

  it('follows the cursor, zooms and maps x to events', () => {
    assert.deepEqual(followCursor(null, 5, 28), { from: 0, to: 28 });
    assert.deepEqual(followCursor({ from: 0, to: 100 }, 50, 10_000_000), { from: 0, to: 100 });
    assert.deepEqual(followCursor({ from: 0, to: 100 }, 5_000_000, 10_000_000), { from: 4_999_950, to: 5_000_050 });
    assert.deepEqual(centred(0, 400, 10_000_000), { from: 0, to: 400 });
    assert.deepEqual(zoom({ from: 0, to: 400 }, 0.5, 1000), { from: 100, to: 300 });
    assert.deepEqual(zoom({ from: 0, to: 28 }, 4, 28), { from: 0, to: 28 });
    assert.equal(indexAtX({ from: 10, to: 20, width: 100 }, 55), 15);
    assert.equal(indexAtX({ from: 10, to: 20, width: 100 }, 1000), 19);
  });

  it('keeps UI choices across a reload of the same trace', () => {
    const s = stateAt(at35);
    const p = persisted({ ...s, ui: { ...s.ui, selectedFindingId: 0 } });
    assert.equal(p.tracePath, m.path);
    const again = stateAt(at35, initialState(p));
    assert.equal(selectedFinding(again)?.id, 0);
  });
});

describe('view model: lock-order graph', () => {
  it('draws the inversion cycle highlighted with syscall labels', () => {
    const gv = graphView(stateAt(at35), 400, 240)!;
    const cyc = gv.edges.filter((e) => e.inCycle).map((e) => `${e.from} -> ${e.to} ${e.label}`);
    assert.deepEqual(cyc.sort(), ['&inode->i_dio_map -> sb_writers io_submit:35', 'sb_writers -> &inode->i_dio_map io_uring_enter:20']);
    assert.deepEqual(
      gv.nodes
        .filter((n) => n.inCycle)
        .map((n) => n.id)
        .sort(),
      ['&inode->i_dio_map', 'sb_writers'],
    );
    for (const n of gv.nodes) {
      assert.ok(n.x >= 0 && n.x <= 400 && n.y >= 0 && n.y <= 240, `${n.id} inside`);
    }
    // opposite edges bend apart: their label positions differ
    const [a, b] = gv.edges.filter((e) => e.inCycle);
    assert.notDeepEqual([a.labelX, a.labelY], [b.labelX, b.labelY]);
  });

  it('spreads cycle classes around the circle', () => {
    assert.deepEqual(circleSlots(['a', 'b'], ['c', 'd']), ['a', 'c', 'b', 'd']);
    assert.deepEqual(circleSlots(['a', 'b', 'c'], []), ['a', 'b', 'c']);
    assert.deepEqual(circleSlots([], ['x']), ['x']);
    const gv = graphView(stateAt(at35), 400, 240)!;
    const [p, q] = gv.nodes.filter((n) => n.inCycle);
    assert.ok(Math.abs(p.y - q.y) < 1e-6, 'a two-class cycle lies horizontally');
  });

  it('has no cycle before the inversion', () => {
    const gv = graphView(stateAt(m.resolve({ line: 30 })), 400, 240)!;
    assert.equal(gv.edges.filter((e) => e.inCycle).length, 0);
    assert.ok(!gv.edges.some((e) => e.from === '&inode->i_dio_map' && e.to === 'sb_writers'));
  });
});

describe('view model: the lock graph of a kernel log', () => {
  it("draws a report's chain as the graph, each edge labelled with the context its stack shows", () => {
    const k = kernelLogModel();
    const inv = k.analysis.findings.find((f) => f.kind === 'inversion')!;
    // the last event of the report: every edge of the chain has been made
    const end = k.store.length - 1;
    const s = [
      hostMessage('init', { source: 'standalone', trace: k.summary() }),
      hostMessage('state', { state: k.stateAt(end) }),
      hostMessage('graph', { graph: k.graph(end) }),
    ].reduce(reduce, initialState());
    const gv = graphView({ ...s, ui: { ...s.ui, selectedFindingId: inv.id } }, 400, 240)!;
    const cycle = gv.edges.filter((e) => e.inCycle).map((e) => ({ edge: `${e.from} -> ${e.to}`, label: e.label }));
    // the log's lines of -> #0 (line 47), -> #1 (36) and -> #2 (26), with the contexts the fixture states
    assert.deepEqual(
      cycle.sort((a, b) => a.edge.localeCompare(b.edge)),
      [
        { edge: '(wq_completion)vdev_wq -> &vq->state_lock', label: 'workqueue vdev_reset_work:26' },
        { edge: '&dev->cfg_mutex -> (wq_completion)vdev_wq', label: 'syscall ioctl:36' },
        { edge: '&vq->state_lock -> &dev->cfg_mutex', label: 'syscall write:47' },
      ],
    );
    // older chain edges were made by no known task: the tooltip does not invent one
    const wq = gv.edges.find((e) => e.from === '(wq_completion)vdev_wq')!;
    assert.doesNotMatch(wq.title, /by \S*\/-1/);
    assert.match(wq.title, /in workqueue vdev_reset_work/);
  });

  it('says nothing about userspace in the task columns: a log has no syscall spans', () => {
    const k = kernelLogModel();
    const end = k.store.length - 1;
    // the reporting task's held list (just before the report's end releases everything)
    const at = k.resolve({ line: 80 });
    assert.ok(at < end);
    const s = [hostMessage('init', { source: 'standalone', trace: k.summary() }), hostMessage('state', { state: k.stateAt(at) })].reduce(
      reduce,
      initialState(),
    );
    const cols = taskColumns(s);
    const task = cols.find((c) => c.pid === 9871)!;
    assert.deepEqual(
      task.held.map((h) => [h.className, h.line, h.where]),
      [['&vq->state_lock', 80, 'L80']],
    );
    for (const c of cols) assert.notEqual(c.idle, 'in userspace', `${c.comm}/${c.pid}`);
    assert.doesNotMatch(task.held[0].label, /userspace/);
    // a trace still says where a lock was taken outside any syscall
    assert.ok(taskColumns(stateAt(at35)).every((c) => c.idle === 'in userspace' || c.syscall !== null || c.idle === 'exited'));
  });
});

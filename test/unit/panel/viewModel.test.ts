// The webview's logic without a browser: host messages (built by the real host model from the
// shared sample) → reducer → view models.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  PanelViewState,
  centred,
  circleSlots,
  findingItems,
  followCursor,
  graphView,
  highlightsOf,
  indexAtX,
  initialState,
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
import { HostMessage, emptyTaskFilter, hostMessage } from '../../../src/protocol/panel';
import { sampleModel } from './fixture';

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
    assert.ok(items.some((i) => i.ahead), 'line-36 leak is not reached yet');
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

describe('view model: timeline helpers', () => {
  it('finds the leaked part of a hold', () => {
    assert.deepEqual(leakSpan(3, 12, true, [1, 4, 9]), [5, 12]);
    assert.deepEqual(leakSpan(3, 12, false, [4]), null);
    assert.deepEqual(leakSpan(3, 12, true, []), [3, 12]);
  });

  it('subtracts intervals', () => {
    assert.deepEqual(uncovered(0, 10, [[2, 4], [3, 6], [8, 12]]), [
      [0, 2],
      [6, 8],
    ]);
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
    assert.deepEqual(gv.nodes.filter((n) => n.inCycle).map((n) => n.id).sort(), ['&inode->i_dio_map', 'sb_writers']);
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

// The large class graph: which classes are shown (selection), a layered layout whose labels do
// not overlap, and the view model on the real lockseed abba kernel capture (98 lock classes).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { GRAPH_CHAR_W, GRAPH_FOCUS_ABOVE, GRAPH_FOCUS_CAP, layeredLayout, selectClasses } from '../../../media/src/graphFocus';
import { NODE_R, PanelViewState, graphSection, initialState, reduce } from '../../../media/src/viewModel';
import { hostMessage } from '../../../src/protocol/panel';
import { kernelAbbaModel } from './fixture';

const node = (id: string, acquisitions = 1) => ({ id, acquisitions });
const edge = (from: string, to: string) => ({ from, to });

describe('selectClasses', () => {
  // A ⇄ B a cycle; C, D neighbours of A; E of B; F two edges into the cycle; G–H far away
  const nodes = ['A', 'B', 'C', 'D', 'E', 'F', 'G', 'H', 'H2'].map((id) => node(id, id === 'D' ? 50 : 1));
  const edges = [
    edge('A', 'B'),
    edge('B', 'A'),
    edge('C', 'A'),
    edge('A', 'D'),
    edge('B', 'E'),
    edge('F', 'A'),
    edge('F', 'B'),
    edge('G', 'H'),
    edge('H', 'H2'),
    edge('G', 'H2'),
  ];

  it('keeps the cycle and held classes first, then neighbours with most links into them, up to the cap', () => {
    const s = selectClasses(nodes, edges, { cycles: [['A', 'B']], held: ['E'], focus: null }, 5);
    assert.equal(s.kind, 'matter');
    assert.deepEqual(s.core, ['A', 'B', 'E']);
    // F has two edges into the core; D beats C by acquisitions; G/H are not neighbours
    assert.deepEqual(s.shown, ['A', 'B', 'E', 'F', 'D']);
  });

  it('a focused class replaces the default: it and its direct neighbours only', () => {
    const s = selectClasses(nodes, edges, { cycles: [['A', 'B']], held: [], focus: 'H' });
    assert.equal(s.kind, 'focus');
    assert.deepEqual(s.shown, ['H', 'G', 'H2']);
    // a focus that is not in the graph falls back to the classes that matter
    assert.equal(selectClasses(nodes, edges, { cycles: [['A', 'B']], held: [], focus: 'nope' }).kind, 'matter');
  });

  it('without cycles or held locks: the classes with the most edges', () => {
    const s = selectClasses(nodes, edges, { cycles: [], held: ['not-a-node'], focus: null }, 3);
    assert.equal(s.kind, 'busiest');
    assert.deepEqual(s.shown, ['A', 'B', 'F']);
  });
});

/** Label boxes as the layout estimates them (x from label start, GRAPH_CHAR_W a character, 12 px high). */
function labelBoxes(l: ReturnType<typeof layeredLayout>) {
  return [...l.nodes.values()].map((n) => ({ x0: n.x + NODE_R + 4, x1: n.labelEnd, y0: n.y - 8, y1: n.y + 4, label: n.label }));
}

function overlaps(a: { x0: number; x1: number; y0: number; y1: number }, b: { x0: number; x1: number; y0: number; y1: number }) {
  return a.x0 < b.x1 && b.x0 < a.x1 && a.y0 < b.y1 && b.y0 < a.y1;
}

describe('layeredLayout', () => {
  it('puts a cycle’s first class on the left and follows edges to the right', () => {
    const l = layeredLayout(['B', 'A', 'C'], [edge('A', 'B'), edge('B', 'A'), edge('B', 'C')], NODE_R);
    assert.equal(l.nodes.get('B')!.layer, 0);
    assert.equal(l.nodes.get('A')!.layer, 1);
    assert.equal(l.nodes.get('C')!.layer, 1);
    assert.ok(l.nodes.get('A')!.x > l.nodes.get('B')!.labelEnd, 'the next column starts after the longest label of the previous one');
  });

  it('cuts long labels and never lets two estimated label boxes overlap', () => {
    const ids = Array.from({ length: 60 }, (_, k) => `&some_rather_long_lock_class_name_${k}->lock`);
    const edges = ids.flatMap((id, k) => (k ? [edge(ids[Math.floor(k / 3)], id), edge(id, ids[(k * 7) % ids.length])] : []));
    const l = layeredLayout(ids, edges, NODE_R);
    assert.equal(l.nodes.size, ids.length);
    const boxes = labelBoxes(l);
    assert.ok(boxes.every((b) => b.label.length <= 24));
    for (let i = 0; i < boxes.length; i++)
      for (let j = i + 1; j < boxes.length; j++) assert.ok(!overlaps(boxes[i], boxes[j]), `${boxes[i].label} overlaps ${boxes[j].label}`);
    for (const b of boxes) assert.ok(b.x1 <= l.width && b.y1 <= l.height, `${b.label} inside the drawing`);
    assert.ok(GRAPH_CHAR_W >= 6.6, 'estimate at least the monospace advance of 11 px fonts');
  });
});

describe('the class graph of the lockseed abba kernel capture', () => {
  const m = kernelAbbaModel();
  const state = (line: number, patch: Partial<PanelViewState['ui']> = {}): PanelViewState => {
    const at = m.resolve({ line });
    let s = initialState();
    s = reduce(s, hostMessage('init', { source: 'standalone', trace: m.summary() }));
    s = reduce(s, hostMessage('state', { state: m.stateAt(at) }));
    s = reduce(s, hostMessage('graph', { graph: m.graph(at) }));
    return { ...s, ui: { ...s.ui, ...patch } };
  };

  it('the host leaves out check=0 maps that take part in no dependency', () => {
    const g = m.graph(m.store.length - 1);
    const ids = g.nodes.map((n) => n.id);
    for (const id of ['rcu_read_lock', 'rcu_read_lock_sched', 'rcu_callback', 'tracepoint_srcu'])
      assert.ok(m.store.classes.lookup(id) !== undefined && !ids.includes(id), `${id} is no graph node`);
    assert.ok(!g.edges.some((e) => /^rcu_read_lock/.test(e.from) || /^rcu_read_lock/.test(e.to)));
    assert.ok(ids.length > GRAPH_FOCUS_ABOVE, `${ids.length} classes`);
  });

  it('at the inversion: its two classes (all ls_seed/66 holds; no other edge of theirs yet)', () => {
    const at = m.resolve({ line: 2545 });
    const g = m.graph(at);
    const gv = graphSection(state(2545), 400, 240)!;
    assert.equal(gv.scope!.text, `showing 2 of ${g.nodes.length} classes: the cycle, the locks ls_seed/66 holds and their neighbours`);
    assert.deepEqual(
      gv.nodes.map((n) => n.id),
      ['&dev->b_lock', '&dev->a_lock'],
    );
    assert.ok(gv.nodes.every((n) => n.inCycle && n.focusable));
    // only the cycle's edges are labelled, with the line that made them
    assert.deepEqual(gv.edges.map((e) => `${e.from}>${e.to} ${e.label}`).sort(), [
      '&dev->a_lock>&dev->b_lock ioctl:2280',
      '&dev->b_lock>&dev->a_lock ioctl:2545',
    ]);
  });

  it('later: the held locks’ neighbours up to the cap; every class on request; a focused class’s neighbourhood', () => {
    const at = m.resolve({ line: 2600 });
    const g = m.graph(at);
    const total = g.nodes.length + g.truncatedNodes;
    const gv = graphSection(state(2600), 400, 240)!;
    const core = new Set([
      '&dev->a_lock',
      '&dev->b_lock',
      ...m
        .stateAt(at)
        .tasks.find((t) => t.pid === 66)!
        .held.map((h) => h.node),
    ]);
    const near = new Set(g.edges.flatMap((e) => (core.has(e.from) ? [e.to] : core.has(e.to) ? [e.from] : [])));
    for (const id of core) near.delete(id);
    const expected = Math.min(GRAPH_FOCUS_CAP, core.size + near.size);
    assert.ok(expected > 3, `${expected} classes to show`);
    assert.equal(gv.nodes.length, expected);
    assert.equal(gv.scope!.text, `showing ${expected} of ${total} classes: the cycle, the locks ls_seed/66 holds and their neighbours`);
    for (const n of gv.nodes) assert.ok(core.has(n.id) || near.has(n.id), `${n.id} is held, in the cycle or a neighbour`);
    for (const id of core)
      assert.ok(
        gv.nodes.some((n) => n.id === id),
        `${id} shown`,
      );

    const all = graphSection(state(2600, { graphAll: true }), 400, 240)!;
    assert.equal(all.nodes.length, g.nodes.length);
    assert.equal(all.scope!.text, `showing ${total} of ${total} classes: all of them`);

    const focused = graphSection(state(2600, { graphFocus: 'tasklist_lock' }), 400, 240)!;
    assert.equal(focused.nodes[0].id, 'tasklist_lock');
    assert.ok(focused.nodes[0].focused);
    assert.match(focused.scope!.text, /: tasklist_lock and its neighbours$/);
    const nb = new Set(g.edges.flatMap((e) => (e.from === 'tasklist_lock' ? [e.to] : e.to === 'tasklist_lock' ? [e.from] : [])));
    assert.ok(nb.size > 0);
    assert.deepEqual(new Set(focused.nodes.slice(1).map((n) => n.id)), nb);
  });
});

// The panel's lock-graph views without a browser: the host model's components, instance edges and
// diff view over the graph fixtures (test/fixtures/graph/), through the reducer into the class,
// instance and diff view models, and the findings grouped by component.
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { analyze, diffAnalyses, parseTrace } from '../../../src/core';
import { PanelModel } from '../../../src/panel/model';
import { HostMessage, hostMessage } from '../../../src/protocol/panel';
import {
  PanelViewState,
  diffGraphView,
  findingGroups,
  graphModes,
  graphSection,
  graphView,
  initialState,
  instanceGraphView,
  persisted,
  reduce,
} from '../../../media/src/viewModel';
import { ROOT } from './fixture';

const G = path.join(ROOT, 'test/fixtures/graph');

function model(name: string): PanelModel {
  const file = path.join(G, name);
  return new PanelModel(analyze(parseTrace(fs.readFileSync(file), { file })), file);
}

/** The webview's state after init, the state at the end of the trace and its graph. */
function atEnd(m: PanelModel, base: PanelViewState = initialState()): PanelViewState {
  const end = m.store.length - 1;
  const msgs: HostMessage[] = [
    hostMessage('init', { source: 'standalone', trace: m.summary() }),
    hostMessage('state', { state: m.stateAt(end) }),
    hostMessage('graph', { graph: m.graph(end) }),
  ];
  return msgs.reduce(reduce, base);
}

describe('lock graph views', () => {
  it('the class view marks the edges of a gate-guarded cycle and says why', () => {
    const s = atEnd(model('gate-guarded.trace'));
    const gv = graphView(s, 400, 240)!;
    const guarded = gv.edges.filter((e) => e.guarded).map((e) => `${e.from} -> ${e.to}`);
    assert.deepEqual(guarded.sort(), ['lock_a -> lock_b', 'lock_b -> lock_a']);
    assert.ok(gv.edges.filter((e) => e.guarded).every((e) => /guarded by gate_mutex: it cannot deadlock/.test(e.title)));
    // a component of this one cycle has the cycle's id: not said twice
    assert.match(gv.caption, /^LT-[0-9a-f]{4} · guarded by gate_mutex$/);
    const scc = graphView(atEnd(model('scc-abc.trace')), 400, 240)!;
    const [, cycle, component] = /^(LT-[0-9a-f]{4}) in component (LT-[0-9a-f]{4})$/.exec(scc.caption) ?? [];
    assert.ok(cycle && component && cycle !== component, scc.caption);
  });

  it('the instance view: a class cycle between different instances is drawn split, with the reason', () => {
    const s = atEnd(model('parent-child-instances.trace'));
    const iv = instanceGraphView(s, 500, 240)!;
    assert.equal(iv.mode, 'instance');
    assert.deepEqual(iv.nodes.map((n) => n.id).sort(), [
      '&ei->xattr_sem@0xffff888004a10180',
      '&ei->xattr_sem@0xffff888004b20180',
      '&inode->i_rwsem@0xffff888004a10100',
      '&inode->i_rwsem@0xffff888004b20100',
    ]);
    assert.equal(iv.edges.length, 2);
    assert.ok(iv.edges.every((e) => e.split && !e.inCycle));
    assert.match(iv.caption, /only different instances of its classes were taken in opposite orders/);
    // the same classes on the same locks: one instance cycle, emphasized
    const real = instanceGraphView(atEnd(model('same-instances.trace')), 500, 240)!;
    assert.ok(real.edges.every((e) => e.inCycle && !e.split));
    assert.equal(real.nodes.filter((n) => n.inCycle).length, 2);
    assert.match(real.caption, /closes between the same locks: .*a deadlock candidate/);
  });

  it('the diff view: new, gone and unchanged edges with where each was made; the mode follows the comparison', () => {
    const before = model('diff-old.trace');
    const after = model('diff-new.trace');
    const d = after.diffView(diffAnalyses(before.analysis, after.analysis), { name: 'diff-old.trace', path: before.path }, true);
    let s = atEnd(after);
    assert.deepEqual(graphModes(s), ['class', 'instance']);
    s = reduce(s, hostMessage('diff', { diff: d }));
    assert.equal(s.ui.graphMode, 'diff');
    assert.deepEqual(graphModes(s), ['class', 'instance', 'diff']);
    const dv = diffGraphView(s, 480, 240)!;
    assert.deepEqual(dv.edges.map((e) => `${e.status} ${e.from}->${e.to} ${e.label}`).sort(), [
      'gone lock_d->lock_e −ioctl:21',
      'new lock_c->lock_a +io_submit:22',
      'unchanged lock_a->lock_b write:10',
      'unchanged lock_b->lock_c read:16',
    ]);
    assert.ok(dv.edges.find((e) => e.status === 'new')?.inCycle, 'the new edge closes the new cycle');
    assert.match(dv.caption, /^compared with diff-old\.trace: edges 1 new, 1 gone, 2 unchanged; cycles 1 new, 0 gone, 0 unchanged$/);
    assert.equal(graphSection(s, 480, 240)?.mode, 'diff');
    // not kept across a reload; a comparison withdrawn goes back to the class graph
    assert.equal(initialState(persisted(s)).ui.graphMode, 'class');
    assert.equal(reduce(s, hostMessage('diff', { diff: null })).ui.graphMode, 'class');
  });

  it('the findings of a component with several cycles come together under one header', () => {
    const s = atEnd(model('scc-abc.trace'));
    const groups = findingGroups(s);
    assert.equal(groups.length, 1);
    assert.match(groups[0].title, /^component LT-[0-9a-f]{4}$/);
    assert.match(groups[0].detail, /^3 classes, 3 cycles: LT-[0-9a-f]{4} lock_c → lock_a → lock_c; /);
    assert.equal(groups[0].items.length, 3);
    assert.ok(groups[0].items.every((i) => /· LT-[0-9a-f]{4}$/.test(i.detail)));
    // one cycle: no header
    assert.ok(findingGroups(atEnd(model('gate-guarded.trace'))).every((g) => g.component === null));
    assert.match(findingGroups(atEnd(model('gate-guarded.trace')))[0].items[0].detail, /· guarded by gate_mutex$/);
  });
});

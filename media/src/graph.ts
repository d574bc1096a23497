// The lock-order graph (SVG) in one of three views: the classes seen so far (the selected
// finding's cycle highlighted, edges of gate-guarded cycles marked), the lock instances of the
// classes in cycles (does the cycle close between the same locks?), or the comparison with
// another trace (new, gone and unchanged edges). Every edge is focusable and moves to where it
// was made; the buttons above switch the view.

import { activatable, el, svg } from './dom';
import { seek } from './host';
import { frameLayout } from './layout';
import { graphHost, graphModeBar } from './page';
import { setUi, state } from './store';
import { GraphView, graphModes, graphSection, selectedFinding } from './viewModel';
import type { GraphMode } from '../../src/protocol/panel';

const MODE_LABEL: Record<GraphMode, [string, string]> = {
  class: ['Classes', 'Lock-order graph between lock classes (lockdep’s view)'],
  instance: ['Instances', 'Lock-order graph between lock instances: does a class-level cycle close between the same locks?'],
  diff: ['Diff', 'This trace’s lock graph compared with another trace'],
};

export function renderGraph(): void {
  const s = state();
  const modes = graphModes(s);
  graphModeBar.replaceChildren(
    ...modes.map((m) => {
      const [text, title] = MODE_LABEL[m];
      const b = el(
        'button',
        {
          type: 'button',
          class: `lt-tool lt-mode${s.ui.graphMode === m ? ' lt-mode-on' : ''}`,
          'data-mode': m,
          title,
          'aria-pressed': String(s.ui.graphMode === m),
        },
        text,
      );
      b.addEventListener('click', () => setUi({ graphMode: m }));
      return b;
    }),
  );
  const w = Math.max(260, frameLayout().graphW || 360);
  const gv = graphSection(s, w, 240);
  graphHost.dataset.mode = gv?.mode ?? s.ui.graphMode;
  graphHost.replaceChildren(gv ? drawGraph(gv) : el('p', { class: 'lt-muted' }, ''));
}

function drawGraph(gv: GraphView): Node {
  const f = selectedFinding(state());
  const what = gv.mode === 'instance' ? 'lock instances' : 'classes';
  const s = svg('svg', {
    width: gv.width,
    height: gv.height,
    class: `lt-graph-svg lt-graph-${gv.mode}`,
    role: 'group',
    'aria-label':
      gv.mode === 'diff'
        ? `Lock-order graph compared with another trace: ${gv.caption}`
        : `Lock-order graph: ${gv.nodes.length} ${what}, ${gv.edges.length} edges${f?.cycle ? `; cycle of finding ${f.id} highlighted` : ''}`,
  });
  s.append(
    svg(
      'defs',
      {},
      svg(
        'marker',
        { id: 'lt-arrow', viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'lt-arrow' }),
      ),
      svg(
        'marker',
        { id: 'lt-arrow-hl', viewBox: '0 0 10 10', refX: 8, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' },
        svg('path', { d: 'M0,0 L10,5 L0,10 z', class: 'lt-arrow lt-arrow-hl' }),
      ),
    ),
  );
  for (const e of gv.edges) {
    const cls = [
      'lt-edge',
      e.inCycle ? 'lt-in-cycle' : '',
      e.crossSyscall ? 'lt-cross' : '',
      e.guarded ? 'lt-guarded' : '',
      e.split ? 'lt-split' : '',
      e.status ? `lt-diff-${e.status}` : '',
    ]
      .filter(Boolean)
      .join(' ');
    const g = activatable(
      svg('g', { class: cls, 'data-from': e.from, 'data-to': e.to, ...(e.status ? { 'data-status': e.status } : {}) }),
      e.title,
      () => seek(e.seek),
    );
    g.append(
      svg('path', { d: e.d, class: 'lt-edge-path', 'marker-end': e.inCycle ? 'url(#lt-arrow-hl)' : 'url(#lt-arrow)' }),
      svg('text', { x: e.labelX, y: e.labelY, class: 'lt-edge-label', 'text-anchor': 'middle' }, e.label),
    );
    s.append(g);
  }
  for (const n of gv.nodes) {
    s.append(
      svg(
        'g',
        { class: `lt-node${n.inCycle ? ' lt-in-cycle' : ''}`, 'data-node': n.id },
        svg('circle', { cx: n.x, cy: n.y, r: 7 }),
        svg('text', { x: n.labelX, y: n.labelY, 'text-anchor': n.anchor, class: 'lt-node-label' }, n.label),
        ...(n.sublabel
          ? [svg('text', { x: n.labelX, y: n.sublabelY ?? n.labelY + 12, 'text-anchor': n.anchor, class: 'lt-node-sublabel' }, n.sublabel)]
          : []),
      ),
    );
  }
  const box = el('div', {}, s);
  if (gv.caption) box.append(el('p', { class: 'lt-graph-caption', 'aria-live': 'polite' }, gv.caption));
  if (gv.truncatedNodes) box.append(el('p', { class: 'lt-muted' }, `${gv.truncatedNodes} less involved classes not drawn`));
  return box;
}

// The lock-order graph (SVG): the classes seen so far on a circle, the selected finding's cycle
// highlighted; every edge is focusable and moves to where it was made.

import { activatable, el, svg } from './dom';
import { seek } from './host';
import { frameLayout } from './layout';
import { graphHost } from './page';
import { state } from './store';
import { GraphView, graphView, selectedFinding } from './viewModel';

export function renderGraph(): void {
  const w = Math.max(260, frameLayout().graphW || 360);
  const gv = graphView(state(), w, 240);
  graphHost.replaceChildren(gv ? drawGraph(gv) : el('p', { class: 'lt-muted' }, ''));
}

function drawGraph(gv: GraphView): Node {
  const f = selectedFinding(state());
  const s = svg('svg', {
    width: gv.width,
    height: gv.height,
    class: 'lt-graph-svg',
    role: 'group',
    'aria-label': `Lock-order graph: ${gv.nodes.length} classes, ${gv.edges.length} edges${f?.cycle ? `; cycle of finding ${f.id} highlighted` : ''}`,
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
    const g = activatable(
      svg('g', {
        class: `lt-edge${e.inCycle ? ' lt-in-cycle' : ''}${e.crossSyscall ? ' lt-cross' : ''}`,
        'data-from': e.from,
        'data-to': e.to,
      }),
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
        svg('text', { x: n.labelX, y: n.labelY, 'text-anchor': n.anchor, class: 'lt-node-label' }, n.id),
      ),
    );
  }
  const box = el('div', {}, s);
  if (gv.truncatedNodes) box.append(el('p', { class: 'lt-muted' }, `${gv.truncatedNodes} less involved classes not drawn`));
  return box;
}

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
import type { GraphScope } from './viewModel';

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
    const g = svg('g', {
      class: `lt-node${n.inCycle ? ' lt-in-cycle' : ''}${n.focused ? ' lt-focused' : ''}`,
      'data-node': n.id,
    });
    if (n.focusable)
      // a large graph: a click shows this class's neighbourhood (again on the focused class: back to the default)
      activatable(g, n.focused ? `${n.id}: focused; activate to show the classes that matter again` : `${n.id}: show its neighbours`, () =>
        setUi({ graphFocus: n.focused ? null : n.id, graphAll: false }),
      );
    else if (n.title) g.append(svg('title', {}, n.title));
    s.append(
      withChildren(
        g,
        svg('circle', { cx: n.x, cy: n.y, r: 7 }),
        svg('text', { x: n.labelX, y: n.labelY, 'text-anchor': n.anchor, class: 'lt-node-label' }, n.label),
        ...(n.sublabel
          ? [svg('text', { x: n.labelX, y: n.sublabelY ?? n.labelY + 12, 'text-anchor': n.anchor, class: 'lt-node-sublabel' }, n.sublabel)]
          : []),
      ),
    );
  }
  // a large graph: what it shows and the controls above, the drawing scrolls inside the section
  const box = gv.scope ? el('div', {}, scopeBar(gv.scope), el('div', { class: 'lt-graph-scroll' }, s)) : el('div', {}, s);
  if (gv.caption) box.append(el('p', { class: 'lt-graph-caption', 'aria-live': 'polite' }, gv.caption));
  if (gv.truncatedNodes) box.append(el('p', { class: 'lt-muted' }, `${gv.truncatedNodes} less involved classes not drawn`));
  return box;
}

function withChildren(g: SVGElement, ...children: Node[]): SVGElement {
  g.append(...children);
  return g;
}

/** `showing N of M classes: why`, with Show all / Show fewer and Clear focus. */
function scopeBar(scope: GraphScope): Node {
  const button = (cls: string, text: string, title: string, patch: Parameters<typeof setUi>[0]) => {
    const b = el('button', { type: 'button', class: `lt-tool ${cls}`, title }, text);
    b.addEventListener('click', () => setUi(patch));
    return b;
  };
  return el(
    'p',
    { class: 'lt-graph-scope' },
    el('span', { class: 'lt-graph-scope-text', 'aria-live': 'polite' }, scope.text),
    scope.all
      ? button('lt-graph-fewer', 'Show fewer', 'Show only the classes that matter and their neighbours', { graphAll: false })
      : button('lt-graph-all', 'Show all', 'Show every class of the lock-order graph', { graphAll: true, graphFocus: null }),
    ...(scope.focus !== null ? [button('lt-graph-unfocus', 'Clear focus', `Stop focusing on ${scope.focus}`, { graphFocus: null })] : []),
  );
}

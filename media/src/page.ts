// The page's skeleton, built once: header (title, position, task filter), error box, the held-lock
// stacks, the timeline section with its tool buttons, findings and the lock-order graph. The
// sections' contents are rendered by ./header.ts, ./stacks.ts, ./timeline/, ./findings.ts and
// ./graph.ts into the elements made here.

import { el } from './dom';
import { post } from './host';
import { changeView, setUi, state } from './store';
import { pan, zoom } from './viewModel';

export const root = el('main', { id: 'lt-root' });
export const headerInfo = el('div', { class: 'lt-position', id: 'lt-position', 'aria-live': 'polite' });
export const filterInput = el('input', {
  type: 'search',
  id: 'lt-filter',
  placeholder: 'Filter tasks (comm or pid)',
  'aria-label': 'Filter tasks by comm or pid',
});
export const errorBox = el('div', { class: 'lt-error', role: 'alert', hidden: true });
export const stacks = el('section', { id: 'lt-stacks', class: 'lt-stacks', 'aria-label': 'Held locks per task' });
export const timelineLabels = el('div', { class: 'lt-lane-labels' });
export const timelineHost = el('div', { class: 'lt-timeline-svg', id: 'lt-timeline' });
export const timelineInfo = el('span', { class: 'lt-muted' });
/** The bar selected with the keyboard in the timeline, announced. */
export const kbdInfo = el('span', { class: 'lt-kbd-info', 'aria-live': 'polite' });
export const findingsList = el('ol', { id: 'lt-findings', class: 'lt-findings', 'aria-label': 'Findings' });
export const graphHost = el('div', { id: 'lt-graph', class: 'lt-graph' });
/** The graph section's view buttons (classes, instances, diff), rendered by ./graph.ts. */
export const graphModeBar = el('div', { class: 'lt-modes', role: 'group', 'aria-label': 'Graph view' });

function toolButton(label: string, text: string, onClick: () => void): HTMLButtonElement {
  const b = el('button', { type: 'button', class: 'lt-tool', title: label, 'aria-label': label }, text);
  b.addEventListener('click', onClick);
  return b;
}

/** Puts the skeleton into the document and wires the task filter. */
export function buildPage(): void {
  root.append(
    el(
      'header',
      { class: 'lt-header' },
      el('h1', { id: 'lt-title' }, 'Lock state'),
      headerInfo,
      el('span', { class: 'lt-spacer' }),
      filterInput,
    ),
    errorBox,
    stacks,
    el(
      'section',
      { class: 'lt-timeline', 'aria-label': 'Syscall timeline' },
      el(
        'div',
        { class: 'lt-section-head' },
        el('h2', {}, 'Timeline'),
        timelineInfo,
        el('span', { class: 'lt-spacer' }),
        kbdInfo,
        toolButton('Earlier (←)', '◀', () => changeView((v, t) => pan(v, -0.5, t))),
        toolButton('Zoom in (+)', '+', () => changeView((v, t) => zoom(v, 0.5, t))),
        toolButton('Zoom out (−)', '−', () => changeView((v, t) => zoom(v, 2, t))),
        toolButton('Later (→)', '▶', () => changeView((v, t) => pan(v, 0.5, t))),
        toolButton('Whole trace', '⤢', () => changeView((_v, t) => ({ from: 0, to: t }))),
      ),
      el('div', { class: 'lt-timeline-body' }, timelineLabels, timelineHost),
    ),
    el(
      'div',
      { class: 'lt-bottom' },
      el('section', { class: 'lt-findings-box', 'aria-label': 'Findings' }, el('h2', {}, 'Findings'), findingsList),
      el(
        'section',
        { class: 'lt-graph-box', 'aria-label': 'Lock-order graph' },
        el('div', { class: 'lt-section-head' }, el('h2', {}, 'Lock order'), el('span', { class: 'lt-spacer' }), graphModeBar),
        graphHost,
      ),
    ),
  );
  document.body.append(root);

  filterInput.value = state().ui.tasks.text;
  filterInput.addEventListener('input', () => {
    setUi({ tasks: { ...state().ui.tasks, text: filterInput.value } });
    post({ type: 'setTaskFilter', tasks: state().ui.tasks });
  });
}

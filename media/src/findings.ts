// The findings list: every finding of the trace, the ones not reached yet dimmed, the selected one
// pressed; clicking one selects it and moves to where it first shows up. The inversions of a
// lock-order component with several cycles come together under one header (its classes and cycles).

import { el } from './dom';
import { post } from './host';
import { findingsList } from './page';
import { setUi, state } from './store';
import { FindingItem, findingGroups } from './viewModel';

export function renderFindings(): void {
  const groups = findingGroups(state());
  const rows: HTMLElement[] = [];
  for (const g of groups) {
    if (g.component)
      rows.push(
        el(
          'li',
          { class: 'lt-component', 'data-component': g.component.id },
          el('span', { class: 'lt-component-title' }, g.title),
          el('span', { class: 'lt-component-detail' }, g.detail),
        ),
      );
    for (const f of g.items) rows.push(findingRow(f, g.component !== null));
  }
  findingsList.replaceChildren(...rows);
  if (rows.length === 0) findingsList.append(el('li', { class: 'lt-muted' }, state().trace ? 'No findings.' : ''));
}

function findingRow(f: FindingItem, inGroup: boolean): HTMLElement {
  const b = el(
    'button',
    {
      type: 'button',
      class: `lt-finding lt-kind-${f.kind}${f.selected ? ' lt-selected' : ''}${f.ahead ? ' lt-ahead' : ''}${f.atCursor ? ' lt-at-cursor' : ''}${f.marks.length ? ' lt-marked' : ''}`,
      'data-finding': f.id,
      ...(f.cycleId ? { 'data-cycle': f.cycleId } : {}),
      'aria-pressed': String(f.selected),
      'aria-label': `${f.title}, ${f.detail}${f.ahead ? ', not reached yet' : ''}`,
    },
    el('span', { class: 'lt-finding-title' }, f.title),
    el('span', { class: 'lt-finding-detail' }, f.detail),
  );
  b.addEventListener('click', () => {
    setUi({ selectedFindingId: f.id });
    post({ type: 'selectFinding', findingId: f.id, seek: true });
  });
  return el('li', inGroup ? { class: 'lt-in-component' } : {}, b);
}

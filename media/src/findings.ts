// The findings list: every finding of the trace, the ones not reached yet dimmed, the selected one
// pressed; clicking one selects it and moves to where it first shows up.

import { el } from './dom';
import { post } from './host';
import { findingsList } from './page';
import { setUi, state } from './store';
import { findingItems } from './viewModel';

export function renderFindings(): void {
  const items = findingItems(state());
  findingsList.replaceChildren(
    ...items.map((f) => {
      const b = el(
        'button',
        {
          type: 'button',
          class: `lt-finding lt-kind-${f.kind}${f.selected ? ' lt-selected' : ''}${f.ahead ? ' lt-ahead' : ''}${f.atCursor ? ' lt-at-cursor' : ''}`,
          'data-finding': f.id,
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
      return el('li', {}, b);
    }),
  );
  if (items.length === 0) findingsList.append(el('li', { class: 'lt-muted' }, state().trace ? 'No findings.' : ''));
}

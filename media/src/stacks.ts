// The held-lock stacks: one column per visible task (pinned first), its syscall and the locks it
// holds, innermost first, each with the context it was taken in (softirq, hardirq) and whether it
// was held since before the trace. Clicking a lock or the syscall moves there; the star pins the task.

import { el } from './dom';
import { post, seek } from './host';
import { stacks } from './page';
import { setUi, state } from './store';
import { TaskColumn, taskColumns, togglePin } from './viewModel';

export function renderStacks(): void {
  const cols = taskColumns(state());
  stacks.replaceChildren(...cols.map(renderColumn));
  if (cols.length === 0) stacks.append(el('p', { class: 'lt-muted' }, state().replay ? 'No task matches the filter.' : ''));
}

function renderColumn(c: TaskColumn): HTMLElement {
  const pin = el(
    'button',
    {
      type: 'button',
      class: 'lt-pin',
      'aria-pressed': String(c.pinned),
      title: c.pinned ? 'Unpin task' : 'Pin task (keep it first and always shown)',
      'aria-label': `${c.pinned ? 'Unpin' : 'Pin'} ${c.comm}/${c.pid}`,
    },
    c.pinned ? '★' : '☆',
  );
  pin.addEventListener('click', () => {
    setUi({ tasks: togglePin(state().ui.tasks, c.taskId) });
    post({ type: 'setTaskFilter', tasks: state().ui.tasks });
  });
  const head = el(
    'div',
    { class: 'lt-col-head' },
    el('span', { class: 'lt-comm' }, `${c.comm}`),
    el('span', { class: 'lt-pid' }, `${c.pid}`),
    el('span', { class: 'lt-spacer' }),
    pin,
  );
  const sys = c.syscall
    ? (() => {
        const b = el(
          'button',
          {
            type: 'button',
            class: 'lt-syscall-now',
            title: c.syscallLine ? `in ${c.syscall} since line ${c.syscallLine}` : `in ${c.syscall}, entered before the trace began`,
          },
          `in ${c.syscall}`,
        );
        b.addEventListener('click', () => seek({ line: c.syscallLine || 1 }));
        return b;
      })()
    : el('span', { class: 'lt-muted lt-syscall-now' }, c.idle);
  const list = el('ol', { class: 'lt-stack', 'aria-label': `Locks held by ${c.comm}/${c.pid}, innermost first` });
  for (const h of c.held) {
    const b = el(
      'button',
      {
        type: 'button',
        class: `lt-held${h.acrossSyscall ? ' lt-across' : ''}${h.inFinding ? ' lt-in-finding' : ''}${h.sinceBeforeTrace ? ' lt-before-trace' : ''}`,
        'data-class': h.className,
        'data-node': h.node,
        'aria-label': h.label,
        title: `${h.label}\n${h.lock}`,
      },
      el('span', { class: 'lt-held-class' }, h.node),
      ...h.badges.map((x) => el('span', { class: `lt-badge lt-badge-${x}` }, x)),
      el('span', { class: 'lt-held-where' }, h.where),
      ...(h.acrossSyscall
        ? [el('span', { class: 'lt-badge lt-badge-across', title: 'held across a syscall boundary' }, '⇥ across syscall')]
        : []),
    );
    b.addEventListener('click', () => seek({ index: h.eventIndex }));
    list.append(el('li', {}, b));
  }
  if (c.held.length === 0) list.append(el('li', { class: 'lt-muted lt-empty' }, 'no locks held'));
  return el(
    'article',
    {
      class: `lt-col${c.current ? ' lt-current' : ''}${c.pinned ? ' lt-pinned' : ''}${c.exited ? ' lt-exited' : ''}`,
      'data-task': c.taskId,
      'data-pid': c.pid,
      'aria-current': c.current ? 'true' : undefined,
      'aria-label': `${c.comm}/${c.pid}${c.current ? ' (current task)' : ''}`,
    },
    head,
    sys,
    list,
  );
}

// The header: the trace's name, where the position is (line, event, task, syscall, findings so
// far, debug session or not), and the error box.

import { errorBox, headerInfo } from './page';
import { state } from './store';

export function renderHeader(): void {
  errorBox.hidden = !state().error;
  errorBox.textContent = state().error ?? '';
  const t = state().trace;
  const r = state().replay;
  document.getElementById('lt-title')!.textContent = t ? t.name : 'Lock state';
  if (!t || !r) {
    headerInfo.textContent = t ? 'Loading…' : 'Waiting for a trace…';
    return;
  }
  const task = r.tasks.find((x) => x.taskId === r.taskId);
  const where = task ? `${task.comm}/${task.pid}${task.syscall ? ` in ${task.syscall.name}` : ''}` : '';
  headerInfo.textContent = `line ${r.line} · event ${r.index + 1} of ${r.totalEvents} · ${where} · ${r.findingsSoFar.length}/${r.totalFindings} findings · ${state().source === 'debug' ? 'debug session' : 'no session'}`;
}

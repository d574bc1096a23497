// Text output of `locktrace check A B C --union`: the cycles of the union of the traces' lock
// graphs that no single trace has whole, each edge with the trace, line and syscall that made it.

import { UnionResult } from '../core/analysis/diff';
import { describeWork } from '../core/analysis/workqueue';

export function formatUnion(u: UnionResult): string {
  const out = [
    `union of ${u.files.length} traces (${u.files.join(', ')}): ${u.classes} lock classes, ${u.edges} edges, ${u.cycles.length} cycle(s) across traces${u.truncated ? ' (search bounded: more may exist)' : ''}`,
  ];
  for (const c of u.cycles) {
    const first = c.edges[0];
    out.push(`${first.file}:${first.line}: lock order inversion across traces ${c.cycleId}: ${[...c.path, c.path[0]].join(' -> ')}`);
    for (const e of c.edges) {
      const made = e.syscall ? `in ${e.syscall}` : e.via ? describeWork(e.via) : 'outside syscalls';
      out.push(
        `  ${e.file}:${e.line}: ${e.from} -> ${e.to} made by ${e.comm}/${e.pid} ${made}, holding ${e.from} since line ${e.fromLine}${e.fromSyscall ? ` (${e.fromSyscall})` : ''}`,
      );
    }
    out.push(`  no single trace has this cycle: its edges were recorded in ${c.files.join(', ')}`);
  }
  return `${out.join('\n')}\n`;
}

// The debug console and hovers in replay context: a lock class or address gives its holders and
// ordering edges; anything else is an expression of the evaluate language (../expr.ts) over the
// names and functions below, evaluated at an event with the replay's state. Also the names
// breakpoint conditions and logpoints use, and completions.

import { EventFlag, EventKind, HeldLockView, Replay } from '../../core';
import { Env, ExprError, Value, evaluateNode, formatValue, parseExpr } from '../expr';
import { dataIdFor } from './breakpoints';
import { LoadedTrace, isLockEvent } from './loading';
import { VarNode, edgeValue, edgeVar, findingValue, heldValue, leaf, valueVar } from './variables';

export interface EvaluateResult {
  text: string;
  node: VarNode;
}

export interface CompletionItem {
  label: string;
  type: 'variable' | 'function' | 'value';
  detail?: string;
}

/** Names and functions of the evaluate language, with the text docs/debugging.md gives them. */
export const EVAL_NAMES: Record<string, string> = {
  index: 'event index (0-based)',
  line: 'trace line (1-based)',
  ts: 'timestamp in seconds',
  cpu: 'CPU number',
  pid: 'pid of the task',
  comm: 'command name of the task',
  task: 'task as comm-pid',
  event: 'event kind: acquire, release, syscall entry, syscall exit, fork, exit, … (or the raw event name)',
  lock: 'lock address/key of a lock event (null otherwise)',
  class: 'lock class of a lock event (null otherwise)',
  read: 'read acquisition',
  try: 'trylock',
  syscall: 'syscall of a syscall event, else the syscall the task is in (null: userspace)',
  nr: 'syscall number (null outside syscalls)',
  ret: 'return value of a syscall exit (null otherwise)',
  held: 'locks the task holds, outermost first (records: class, lock, read, try, pending, acrossSyscall, line, syscall, syscallLine, sinceBeforeTrace, context, node)',
  depth: 'number of locks the task holds',
  finding: 'finding reported at this event (null if none)',
  findings: 'findings so far (records: kind, message, line, pid, comm, syscall, locks)',
  tasks: 'every task seen so far (records: task, pid, comm, held, syscall, exited)',
};

export const EVAL_FUNCTIONS: Record<string, string> = {
  'holds(x)': 'the task holds a lock of class x, or the lock with address x',
  'holders(x)': 'tasks (comm-pid) holding class or lock x now',
  'edges(x)': 'lock-order edges so far touching class x',
  'len(x)': 'length of a list or string',
  'contains(x, y)': 'list x has element y, or string x contains y',
};

/**
 * Evaluates in the context of a task at the current event `index`: a lock class or address gives
 * its holders and edges; anything else is an expression (expr.ts).
 */
export function evaluate(trace: LoadedTrace, index: number, text: string, taskId = trace.store.task[index]): EvaluateResult {
  const s = trace.store;
  const src = text.trim();
  const unquoted = src.replace(/^lock:/, '');
  const cls = s.classes.lookup(unquoted) !== undefined ? unquoted : undefined;
  const lockId = trace.lockIdOf(unquoted);
  if (cls !== undefined || lockId !== undefined) return lockReport(trace, index, cls ?? s.className(lockId!), lockId);
  const t = trace.replay.view(index).tasks.find((x) => x.taskId === taskId);
  const ev = taskId === s.task[index] ? index : (t?.lastEvent ?? index);
  const v = evaluateNode(parseExpr(src), envAt(trace, ev, taskId, index));
  return { text: formatValue(v), node: valueVar(src, v, src) };
}

/** `since line 16 in io_submit, waiting`, `since before the trace`, `since line 2249 in ioctl, in softirq`. */
function sinceText(h: HeldLockView): string {
  const since = h.sinceBeforeTrace ? 'since before the trace' : `since line ${h.line}${h.syscall ? ` in ${h.syscall}` : ''}`;
  return `${since}${h.context !== 'process' ? `, in ${h.context}` : ''}${h.pending ? ', waiting' : ''}`;
}

function lockReport(trace: LoadedTrace, index: number, className: string, lockId: number | undefined): EvaluateResult {
  const s = trace.store;
  const key = lockId !== undefined ? s.locks[lockId].key : undefined;
  const holders = trace.replay.holdersOfClass(className, index).filter((h) => key === undefined || h.held.lock === key);
  const edges = trace.replay.edgesOf(className, index);
  const who = holders.length
    ? `held by ${holders.map((h) => `${h.task.comm}-${h.task.pid} (${sinceText(h.held)})`).join(', ')}`
    : 'not held';
  const text = `${key ?? className}: ${who}; ${edges.length} ordering edge${edges.length === 1 ? '' : 's'} so far`;
  const node: VarNode = {
    name: key ?? className,
    value: text,
    dataId: key ? dataIdFor('lock', key) : dataIdFor('class', className),
    children: () => [
      leaf('class', className),
      {
        name: 'holders',
        value: `${holders.length}`,
        children: () =>
          holders.map((h) => ({
            name: `${h.task.comm}-${h.task.pid}`,
            value: h.held.sinceBeforeTrace ? 'since before the trace' : `since line ${h.held.line}`,
            children: () => Object.entries(heldValue(h.held)).map(([k, x]) => valueVar(k, x)),
          })),
      },
      { name: 'edges', value: `${edges.length}`, children: () => edges.map((e) => edgeVar(e)) },
    ],
  };
  return { text, node };
}

/** The names an expression at event `ev` of task `taskId` can use, with the state after event `at`. */
export function envAt(trace: LoadedTrace, ev: number, taskId: number, at: number): Env {
  const s = trace.store;
  const replay = trace.replay;
  let view: ReturnType<Replay['view']> | undefined;
  const v = () => (view ??= replay.view(at));
  const task = () => v().tasks.find((t) => t.taskId === taskId);
  const kind = s.kind[ev] as EventKind;
  const info = s.tasks[taskId];
  const lockEv = isLockEvent(kind) && s.task[ev] === taskId;
  const sysEv = (kind === EventKind.SysEnter || kind === EventKind.SysExit) && s.task[ev] === taskId;
  const holds = (x: Value): boolean => {
    const t = task();
    return !!t && t.held.some((h) => h.className === x || h.lock === x);
  };
  const names: Record<string, () => Value> = {
    index: () => ev,
    line: () => s.line[ev],
    ts: () => s.ts[ev],
    cpu: () => s.cpu[ev],
    pid: () => info.pid,
    comm: () => info.comm,
    task: () => `${info.comm}-${info.pid}`,
    event: () => (kind === EventKind.Other ? s.names.get(s.ref[ev]) : s.kindName(ev)),
    lock: () => (lockEv ? s.locks[s.ref[ev]].key : null),
    class: () => (lockEv ? s.className(s.ref[ev]) : null),
    read: () => lockEv && (s.flags[ev] & EventFlag.Read) !== 0,
    try: () => lockEv && (s.flags[ev] & EventFlag.Try) !== 0,
    syscall: () => (sysEv ? s.names.get(s.ref[ev]) : (task()?.syscall?.name ?? null)),
    nr: () => (sysEv && kind === EventKind.SysEnter ? s.num[ev] : (task()?.syscall?.nr ?? null)),
    ret: () => (sysEv && kind === EventKind.SysExit ? s.num[ev] : null),
    held: () => (task()?.held ?? []).map(heldValue),
    depth: () => task()?.held.length ?? 0,
    finding: () => {
      const f = trace.findingsAt.get(ev)?.[0];
      return f ? findingValue(f) : null;
    },
    findings: () => v().findingsSoFar.map(findingValue),
    tasks: () =>
      v().tasks.map((t) => ({
        task: `${t.comm}-${t.pid}`,
        pid: t.pid,
        comm: t.comm,
        held: t.held.map(heldValue),
        syscall: t.syscall?.name ?? null,
        exited: t.exited,
      })),
  };
  return {
    get: (name) => (Object.prototype.hasOwnProperty.call(names, name) ? names[name]() : undefined),
    call: (name, args) => {
      const arg = (k: number): Value => {
        if (args.length <= k) throw new ExprError(`${name}() needs ${k + 1} argument${k ? 's' : ''}`, 0);
        return args[k];
      };
      switch (name) {
        case 'holds':
          return holds(arg(0));
        case 'holders': {
          const x = arg(0);
          return v()
            .tasks.filter((t) => t.held.some((h) => h.className === x || h.lock === x))
            .map((t) => `${t.comm}-${t.pid}`);
        }
        case 'edges': {
          // only a class name (a string) has edges; String() made records "[object Object]"
          const x = arg(0);
          return typeof x === 'string' ? replay.edgesOf(x, at).map(edgeValue) : [];
        }
        case 'len': {
          const x = arg(0);
          if (Array.isArray(x) || typeof x === 'string') return x.length;
          throw new ExprError('len() needs a list or a string', 0);
        }
        case 'contains': {
          const x = arg(0);
          const y = arg(1);
          if (typeof x === 'string') return typeof y === 'string' && x.includes(y);
          if (Array.isArray(x)) return x.some((e) => JSON.stringify(e) === JSON.stringify(y));
          throw new ExprError('contains() needs a list or a string', 0);
        }
        default:
          throw new ExprError(`unknown function ${JSON.stringify(name)} (known: ${Object.keys(EVAL_FUNCTIONS).join(', ')})`, 0);
      }
    },
  };
}

/** Completions for the debug console: names, functions, lock classes and syscalls of this trace. */
export function completions(trace: LoadedTrace, text: string, column: number): { start: number; items: CompletionItem[] } {
  let start = column;
  while (start > 0 && /[A-Za-z0-9_$&>\-:.]/.test(text[start - 1])) start--;
  // `&inode->i_dio_map` spans `->`; but stop before a `.` member access or `&&` operator.
  const word = text.slice(start, column);
  const cut = Math.max(
    word.lastIndexOf('.') >= 0 && !word.includes('->') ? word.lastIndexOf('.') + 1 : 0,
    word.lastIndexOf('&&') >= 0 ? word.lastIndexOf('&&') + 2 : 0,
  );
  start += cut;
  const prefix = text.slice(start, column);
  const s = trace.store;
  const items: CompletionItem[] = [];
  for (const [n, d] of Object.entries(EVAL_NAMES)) items.push({ label: n, type: 'variable', detail: d });
  for (const [n, d] of Object.entries(EVAL_FUNCTIONS))
    items.push({ label: n.replace(/\(.*$/, ''), type: 'function', detail: `${n}: ${d}` });
  for (const c of s.classes.values) items.push({ label: c, type: 'value', detail: 'lock class' });
  const sys = new Set<number>();
  for (let i = 0; i < s.length && sys.size < 500; i++) if (s.kind[i] === EventKind.SysEnter) sys.add(s.ref[i]);
  for (const id of sys) items.push({ label: s.names.get(id), type: 'value', detail: 'syscall' });
  return { start, items: items.filter((it) => it.label.startsWith(prefix)) };
}

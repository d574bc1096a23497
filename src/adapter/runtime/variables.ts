// What the debugger shows at a position of the replay: threads (tasks seen so far), each task's
// frames (its event, held locks innermost first, its syscall; at an irq-state finding, the held
// locks at each of its two usages too), scopes and variable trees (event, held locks, syscall,
// lock graph, findings so far), and the exception widget's report of a finding.
// A kernel log's position shows the log instead: the threads of the current report (its task and
// one pseudo-task per chain edge), each with the stack the log prints for its step and the locks
// the log says it held, labelled with the log's context. Also the Value → variable tree conversion
// the debug console uses.

import {
  EdgeOrigin,
  EventFlag,
  EventKind,
  Finding,
  FindingKind,
  HeldLockView,
  StackFrame,
  TaskView,
  describeEdge,
  describeUsage,
} from '../../core';
import {
  frameLabel,
  isLockingFrame,
  kernelEventInfo,
  kernelHeldLabel,
  kernelStackOf,
  kernelTaskName,
  reportEventRange,
  reportOfEvent,
} from '../../core/kernelLog';
import { Value, formatValue } from '../expr';
import { dataIdFor } from './breakpoints';
import type { StopEvent } from './events';
import { LoadedTrace, firstLine, isLockEvent } from './loading';

export interface FrameInfo {
  /** `log`: a frame of the stack a kernel log prints for the event (`frame`); `usage`: the heading of one usage of an irq-state finding, the frames after it show that usage. */
  kind: 'event' | 'lock' | 'syscall' | 'log' | 'usage';
  name: string;
  /** 1-based trace line. */
  line: number;
  eventIndex: number;
  held?: HeldLockView;
  /** Kernel logs: the log's stack frame (`kind` `log`). */
  frame?: StackFrame;
  /** Frames of the locking primitives and lockdep, and frames the unwinder was not sure of. */
  subtle?: boolean;
  /** Frames of another position than the current one (an irq-state usage): its event and task. */
  at?: number;
  taskId?: number;
  /** How the client should show it (DAP's presentationHint); default: the top frame plain, the rest `normal`. */
  hint?: 'label' | 'subtle';
}

/**
 * How a lock is held, for frame names and hovers: `in softirq, read, held since ioctl, line 2249`,
 * `held since before the trace`, `waiting since io_submit, line 35`.
 */
export function holdText(h: HeldLockView): string {
  const parts: string[] = [];
  if (h.context !== 'process') parts.push(`in ${h.context}`);
  if (h.read) parts.push('read');
  if (h.try) parts.push('try');
  // a kernel lock outside a known syscall was taken by a kernel thread, an interrupt, a fault or a
  // syscall entered before the trace: never in userspace
  const where = h.syscall ?? (h.domain === 'kernel' ? null : 'userspace');
  parts.push(
    h.sinceBeforeTrace
      ? 'held since before the trace'
      : `${h.pending ? 'waiting since' : 'held since'}${where ? ` ${where},` : ''} line ${h.line}`,
  );
  return parts.join(', ');
}

/** A variable tree node; children are built when expanded. */
export interface VarNode {
  name: string;
  value: string;
  type?: string;
  evaluateName?: string;
  /** Set on locks: a data breakpoint can be set on this variable. */
  dataId?: string;
  children?: () => VarNode[];
}

export interface ScopeInfo {
  name: 'Event' | 'Held locks' | 'Syscall' | 'Lock graph' | 'Findings so far';
  children: () => VarNode[];
}

/** The debugger's view of a trace at one event (`index`, the current one). */
export class Variables {
  constructor(
    private readonly trace: LoadedTrace,
    private readonly index: number,
    /** The finding the replay stopped on here (exception stops), whose usages get frames. */
    private readonly finding?: Finding,
  ) {}

  /** Task of the current event: the stopped thread. */
  get currentTask(): number {
    return this.trace.store.task[this.index];
  }

  /** Tasks seen at or before the current event, in order of appearance (a kernel log: those of the current report). */
  threads(): { taskId: number; name: string }[] {
    const tasks = this.trace.replay.view(this.index).tasks;
    const s = this.trace.store;
    if (!s.kernelLog) return tasks.map((t) => ({ taskId: t.taskId, name: `${t.comm}-${t.pid}` }));
    const r = reportOfEvent(s, this.index);
    const range = r ? reportEventRange(s, r.index) : undefined;
    const inReport = new Set<number>();
    if (range) for (let i = range.first; i <= this.index; i++) inReport.add(s.task[i]);
    return tasks.filter((t) => inReport.has(t.taskId)).map((t) => ({ taskId: t.taskId, name: kernelTaskName(t.pid, t.comm) }));
  }

  taskView(taskId: number): TaskView | undefined {
    return this.trace.replay.view(this.index).tasks.find((t) => t.taskId === taskId);
  }

  /**
   * Top: the task's current event; then held locks innermost first; then its syscall. At an
   * irq-state finding, the stopped task's frames go on with each usage: a heading, then the
   * frames of the task that showed it, at the event where it first showed up.
   */
  frames(taskId: number): FrameInfo[] {
    const out = this.taskFrames(taskId, this.index);
    const f = this.finding;
    if (f?.usages && taskId === this.currentTask) for (const u of f.usages) out.push(...this.usageFrames(u));
    return out;
  }

  /** A task's frames at position `at` (its event there, held locks innermost first, syscall). */
  private taskFrames(taskId: number, at: number): FrameInfo[] {
    const t = this.trace.replay.view(at).tasks.find((x) => x.taskId === taskId);
    if (!t) return [];
    const s = this.trace.store;
    if (s.kernelLog) return this.logFrames(t);
    const out: FrameInfo[] = [];
    const elsewhere = at === this.index ? {} : { at, taskId };
    const ev = taskId === s.task[at] ? at : t.lastEvent;
    if (ev >= 0) out.push({ kind: 'event', name: this.trace.describeEvent(ev), line: s.line[ev], eventIndex: ev, ...elsewhere });
    for (let k = t.held.length - 1; k >= 0; k--) {
      const h = t.held[k];
      out.push({ kind: 'lock', name: `${h.node} (${holdText(h)})`, line: h.line, eventIndex: h.eventIndex, held: h, ...elsewhere });
    }
    if (t.syscall) {
      out.push({
        kind: 'syscall',
        name: `${t.syscall.name} (${t.syscall.eventIndex >= 0 ? `entered at line ${t.syscall.line}` : 'entered before the trace'})`,
        line: t.syscall.line || s.line[Math.max(0, ev)],
        eventIndex: t.syscall.eventIndex,
        ...elsewhere,
      });
    }
    return out;
  }

  /**
   * A kernel log: the step's event, the stack the log prints for it (innermost first), then the
   * locks the log says the task held (innermost first), labelled with what the log says about them.
   */
  private logFrames(t: TaskView): FrameInfo[] {
    const s = this.trace.store;
    const ev = t.taskId === this.currentTask ? this.index : t.lastEvent;
    if (ev < 0) return [];
    const out: FrameInfo[] = [{ kind: 'event', name: this.trace.describeEvent(ev), line: s.line[ev], eventIndex: ev }];
    for (const f of kernelStackOf(s, ev) ?? []) {
      const frame: FrameInfo = { kind: 'log', name: frameLabel({ ...f, source: undefined }), line: f.line, eventIndex: ev, frame: f };
      if (f.unreliable || isLockingFrame(f)) frame.subtle = true;
      out.push(frame);
    }
    for (let k = t.held.length - 1; k >= 0; k--) {
      const h = t.held[k];
      const label = kernelHeldLabel(s, h.eventIndex, h.pending) ?? `line ${h.line}`;
      out.push({ kind: 'lock', name: `${h.className} (${label})`, line: h.line, eventIndex: h.eventIndex, held: h });
    }
    return out;
  }

  /** One usage of an irq-state finding: a heading, then the frames of its task where it showed up. */
  private usageFrames(u: NonNullable<Finding['usages']>[number]): FrameInfo[] {
    const s = this.trace.store;
    const at = u.line > 0 ? s.eventAtOrAfterLine(u.line) : -1;
    if (at < 0 || s.line[at] !== u.line) return [];
    const taskId = s.task[at];
    const head: FrameInfo = { kind: 'usage', name: describeUsage(u), line: u.line, eventIndex: at, at, taskId, hint: 'label' };
    return [head, ...this.taskFrames(taskId, at).map((f): FrameInfo => ({ ...f, at, taskId, hint: 'subtle' }))];
  }

  scopes(taskId: number, frame: FrameInfo): ScopeInfo[] {
    // a frame of an irq-state usage shows the state where that usage showed up
    if (frame.at !== undefined && frame.at !== this.index) return new Variables(this.trace, frame.at).scopes(frame.taskId ?? taskId, frame);
    const s = this.trace.store;
    const t = this.taskView(frame.taskId ?? taskId);
    const ev = frame.eventIndex >= 0 ? frame.eventIndex : this.index;
    const lockClass = isLockEvent(s.kind[ev]) ? s.className(s.ref[ev]) : (t?.held[t.held.length - 1]?.className ?? null);
    return [
      { name: 'Event', children: () => this.eventVars(ev) },
      {
        name: 'Held locks',
        children: () =>
          (t?.held ?? [])
            .slice()
            .reverse()
            .map((h, k) => this.heldVar(t!, h, `held[${(t?.held.length ?? 0) - 1 - k}]`)),
      },
      { name: 'Syscall', children: () => this.syscallVars(t) },
      { name: 'Lock graph', children: () => this.graphVars(lockClass) },
      { name: 'Findings so far', children: () => this.trace.replay.view(this.index).findingsSoFar.map((f) => findingVar(f)) },
    ];
  }

  private eventVars(i: number): VarNode[] {
    const s = this.trace.store;
    const task = s.taskOf(i);
    const out: VarNode[] = [
      leaf('index', i),
      leaf('line', s.line[i]),
      leaf('time', s.ts[i]),
      leaf('cpu', s.cpu[i]),
      leaf('task', `${task.comm}-${task.pid}`),
      leaf('event', this.trace.describeEvent(i)),
    ];
    const kind = s.kind[i] as EventKind;
    if (isLockEvent(kind)) {
      const lock = s.lockOf(i);
      out.push(
        { ...leaf('lock', lock.key), dataId: dataIdFor('lock', lock.key) },
        { ...leaf('class', s.className(lock.id)), dataId: dataIdFor('class', s.className(lock.id)) },
      );
      if (s.flags[i] & EventFlag.Read) out.push(leaf('read', true));
      if (s.flags[i] & EventFlag.Try) out.push(leaf('try', true));
    }
    const site = s.sites.get(i);
    if (site) out.push(valueVar('site', site as unknown as Value));
    const info = kernelEventInfo(s, i);
    const report = reportOfEvent(s, i);
    if (info && report) {
      out.push(leaf('report', `${report.title} (line ${report.line})`), leaf('role', info.role));
      if (info.edge !== undefined) out.push(leaf('edge', `-> #${info.edge}`));
      if (info.context) out.push(leaf('context', info.context.label));
      const stack = kernelStackOf(s, i);
      if (stack?.length)
        out.push({
          name: 'stack',
          value: `${stack.length} frame${stack.length === 1 ? '' : 's'}`,
          children: () => stack.map((f, k) => leaf(`#${k}`, `${frameLabel(f)}${f.unreliable ? ' (unreliable)' : ''}, log line ${f.line}`)),
        });
    }
    out.push(leaf('body', this.trace.readLine(i)));
    return out;
  }

  private heldVar(t: TaskView, h: HeldLockView, evaluateName: string): VarNode {
    const v = heldValue(h);
    const logLabel = kernelHeldLabel(this.trace.store, h.eventIndex, h.pending);
    const since = h.sinceBeforeTrace ? 'held since before the trace' : `since line ${h.line}${h.syscall ? ` in ${h.syscall}` : ''}`;
    const release = h.sinceBeforeTrace ? this.trace.replay.preHeldRelease(t.taskId, h.lockId) : -1;
    return {
      name: h.node,
      value: logLabel
        ? `${logLabel}, line ${h.line}`
        : `${h.lock}${h.read ? ' read' : ''}${h.try ? ' try' : ''}${h.pending ? ' (waiting)' : ''}, ${since}${h.context !== 'process' ? `, in ${h.context}` : ''}`,
      evaluateName,
      dataId: dataIdFor('lock', h.lock),
      children: () => [
        ...Object.entries(v).map(([k, x]) => valueVar(k, x, `${evaluateName}.${k}`)),
        h.sinceBeforeTrace
          ? leaf(
              'released at',
              release >= 0 ? `line ${this.trace.store.line[release]}: ${this.trace.readLine(release)}` : 'not in the trace',
            )
          : leaf('acquiring event', this.trace.readLine(h.eventIndex)),
      ],
    };
  }

  private syscallVars(t: TaskView | undefined): VarNode[] {
    const s = this.trace.store;
    if (s.kernelLog) {
      // a log has no syscall events: what its stack says the task was in
      const ev = t ? (t.taskId === this.currentTask ? this.index : t.lastEvent) : -1;
      const ctx = ev >= 0 ? kernelEventInfo(s, ev)?.context : undefined;
      return ctx
        ? [leaf('context', ctx.label), leaf('syscall', ctx.syscall ?? null)]
        : [leaf('context', 'the log does not say for this step')];
    }
    const sc = t?.syscall;
    if (!sc) return [leaf('syscall', 'none (in userspace)')];
    const out = [leaf('name', sc.name), leaf('number', sc.nr)];
    if (sc.eventIndex >= 0) {
      const raw = this.trace.readLine(sc.eventIndex);
      const args = /\(([^()]*)\)\s*$/.exec(raw);
      if (args) out.push(leaf('args', args[1]));
      out.push(leaf('entered at', `line ${sc.line}`));
    } else out.push(leaf('entered at', 'before the trace began'));
    return out;
  }

  private graphVars(lockClass: string | null): VarNode[] {
    if (lockClass === null) return [leaf('lock', 'no current lock')];
    const edges = this.trace.replay.edgesOf(lockClass, this.index);
    if (edges.length === 0) return [leaf(lockClass, 'no ordering edges so far')];
    return edges.map((e) => edgeVar(e));
  }
}

/**
 * The finding of the last exception stop (when still there), as a report with the cycle's edges.
 * `usageFrames`: the call stack shows the locks held at the finding's usages (irq-state).
 */
export function exceptionInfo(
  lastStop: StopEvent | null,
  index: number,
  usageFrames = false,
): { id: FindingKind; description: string; details: string } | null {
  const f = lastStop?.finding;
  if (!f || lastStop?.index !== index) return null;
  const lines = [f.message];
  if (f.cycle) {
    // an irq-state finding's edges are the dependency chain from the irq-safe to the irq-unsafe lock, not a cycle
    lines.push('', f.kind === 'irq-state' ? 'dependency chain:' : 'cycle:');
    for (const e of f.cycle) lines.push(`  ${describeEdge(e)}`);
  }
  if (usageFrames && f.usages?.length) {
    // the message names both usages with their lines; the related lines would only repeat them
    lines.push(
      '',
      `call stack: below the current frames, the locks held where each usage showed up (line ${f.usages.map((u) => u.line).join(', line ')})`,
    );
  } else if (f.related.length) {
    lines.push('', 'related lines:');
    for (const r of f.related) lines.push(`  line ${r.line}: ${r.message}`);
  }
  return { id: f.kind, description: firstLine(f.message), details: lines.join('\n') };
}

export function edgeVar(e: EdgeOrigin): VarNode {
  return {
    name: `${e.from} -> ${e.to}`,
    value: `line ${e.line}, ${e.comm}-${e.pid} in ${e.syscall ?? 'userspace'}`,
    children: () => Object.entries(edgeValue(e)).map(([k, x]) => valueVar(k, x)),
  };
}

function findingVar(f: Finding): VarNode {
  return {
    name: `${f.kind} (line ${f.line})`,
    value: firstLine(f.message),
    children: () => [
      leaf('message', f.message),
      leaf('task', `${f.comm}-${f.pid}`),
      leaf('syscall', f.syscall),
      valueVar('locks', f.locks),
      ...(f.cycle ? [{ name: 'cycle', value: `${f.cycle.length} edges`, children: () => f.cycle!.map((e) => edgeVar(e)) }] : []),
      { name: 'related', value: `${f.related.length} lines`, children: () => f.related.map((r) => leaf(`line ${r.line}`, r.message)) },
    ],
  };
}

export function leaf(name: string, v: string | number | boolean | null): VarNode {
  return { name, value: v === null ? 'null' : String(v), type: v === null ? undefined : typeof v };
}

export function heldValue(h: HeldLockView): { [k: string]: Value } {
  return {
    class: h.className,
    lock: h.lock,
    read: h.read,
    try: h.try,
    pending: h.pending,
    acrossSyscall: h.acrossSyscall,
    line: h.line,
    syscall: h.syscall,
    syscallLine: h.syscallLine,
    sinceBeforeTrace: h.sinceBeforeTrace,
    context: h.context,
    node: h.node,
  };
}

export function edgeValue(e: EdgeOrigin): { [k: string]: Value } {
  return {
    from: e.from,
    to: e.to,
    line: e.line,
    task: `${e.comm}-${e.pid}`,
    syscall: e.syscall,
    fromLine: e.fromLine,
    fromSyscall: e.fromSyscall,
    crossSyscall: e.crossSyscall,
  };
}

export function findingValue(f: Finding): { [k: string]: Value } {
  return { kind: f.kind, message: firstLine(f.message), line: f.line, pid: f.pid, comm: f.comm, syscall: f.syscall, locks: f.locks };
}

/** Generic Value → variable tree. */
export function valueVar(name: string, v: Value, evaluateName?: string): VarNode {
  if (v === null || typeof v !== 'object') return { ...leaf(name, v), evaluateName };
  if (Array.isArray(v)) {
    return {
      name,
      value: v.length <= 5 && v.every((x) => x === null || typeof x !== 'object') ? formatValue(v) : `list of ${v.length}`,
      type: 'list',
      evaluateName,
      children: () => v.map((x, k) => valueVar(`[${k}]`, x, evaluateName ? `${evaluateName}[${k}]` : undefined)),
    };
  }
  return {
    name,
    value: formatValue(v),
    type: 'record',
    evaluateName,
    children: () =>
      Object.entries(v).map(([k, x]) => valueVar(k, x, evaluateName && /^[A-Za-z_$][\w$]*$/.test(k) ? `${evaluateName}.${k}` : undefined)),
  };
}

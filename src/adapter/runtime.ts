// The replay runtime behind the debug adapter: loads a trace, keeps the current event, moves
// forwards and backwards (steps, runs to breakpoints and findings), evaluates expressions and
// builds the records the debugger shows (frames, scopes, variables, replay state).
// It knows nothing of DAP or VS Code: src/adapter/session.ts maps its typed events and records to
// the protocol. Trace lines here are always 1-based.
// May import src/core, src/protocol, src/cli/readFile and Node built-ins.

import * as fs from 'fs';
import { readTraceFile } from '../cli/readFile';
import {
  Analysis,
  EdgeOrigin,
  EventFlag,
  EventKind,
  EventStore,
  FINDING_KINDS,
  Finding,
  FindingKind,
  HeldLockView,
  Replay,
  TaskView,
  analyzeAsync,
  describeEdge,
  normalizeAddress,
} from '../core';
import { REPLAY_STATE_VERSION, ReplayStateBody } from '../protocol/replayState';
import { Env, ExprError, Node, Value, evaluateNode, formatValue, interpolate, parseExpr, parseHitCondition, truthy } from './expr';
import { LaunchArguments } from './launchArgs';

// --- events ------------------------------------------------------------------------------

export type StopReason = 'entry' | 'step' | 'breakpoint' | 'function breakpoint' | 'data breakpoint' | 'exception' | 'goto' | 'pause';

export interface StopEvent {
  reason: StopReason;
  index: number;
  /** Short text for the UI (the finding's first line for exceptions). */
  description?: string;
  breakpointIds: number[];
  finding?: Finding;
}

export interface OutputEvent {
  text: string;
  /** Event (and its 1-based line) that produced it, for logpoints. */
  index?: number;
  line?: number;
  category: 'console' | 'stderr';
}

export interface ProgressEvent {
  phase: 'start' | 'update' | 'end';
  message: string;
  /** 0..100 */
  percent?: number;
}

/** What the runtime reports; the session subscribes with `on`. */
export interface RuntimeEvents {
  stopped: StopEvent;
  output: OutputEvent;
  progress: ProgressEvent;
  /** The replay ran past the last event. */
  end: { index: number };
}

class Emitter<E> {
  private readonly listeners: { [K in keyof E]?: ((e: E[K]) => void)[] } = {};

  on<K extends keyof E>(kind: K, fn: (e: E[K]) => void): void {
    (this.listeners[kind] ??= []).push(fn);
  }

  protected emit<K extends keyof E>(kind: K, e: E[K]): void {
    for (const fn of this.listeners[kind] ?? []) fn(e);
  }
}

// --- breakpoints -------------------------------------------------------------------------

export interface BreakpointSpec {
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

export interface LineBreakpointSpec extends BreakpointSpec {
  /** 1-based trace line. */
  line: number;
}

export interface NamedBreakpointSpec extends BreakpointSpec {
  /** Function breakpoints: `lock:CLASS`, `syscall:NAME` or a bare name; data breakpoints: a data id. */
  name: string;
}

export interface BreakpointResult {
  id: number;
  verified: boolean;
  /** 1-based line of the event the breakpoint binds to. */
  line?: number;
  message?: string;
}

type Target = { kind: 'class'; id: number } | { kind: 'lock'; id: number } | { kind: 'syscall'; id: number };

interface Bp {
  id: number;
  spec: BreakpointSpec;
  condition?: Node;
  hit?: (n: number) => boolean;
  hits: number;
  verified: boolean;
  message?: string;
}

interface LineBp extends Bp {
  requested: number;
  line: number;
}

interface NamedBp extends Bp {
  name: string;
  target?: Target;
}

/** Data breakpoint ids: `lock:<address>` (one instance) or `class:<name>` (every instance). */
export function dataIdFor(kind: 'lock' | 'class', key: string): string {
  return `${kind}:${key}`;
}

// --- records for the debugger UI ----------------------------------------------------------

export interface FrameInfo {
  kind: 'event' | 'lock' | 'syscall';
  name: string;
  /** 1-based trace line. */
  line: number;
  eventIndex: number;
  held?: HeldLockView;
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
  held: 'locks the task holds, outermost first (records: class, lock, read, try, pending, acrossSyscall, line, syscall, syscallLine)',
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

// --- the runtime ---------------------------------------------------------------------------

export class ReplayRuntime extends Emitter<RuntimeEvents> {
  private analysis!: Analysis;
  private replay!: Replay;
  private args!: LaunchArguments;
  /** Current event; the state includes its effect. */
  index = 0;
  lastStop: StopEvent | null = null;
  private taskFilter: Set<number> | null = null;
  private findingsAt = new Map<number, Finding[]>();

  private nextBpId = 1;
  private lineBps: LineBp[] = [];
  private lineBpsByLine = new Map<number, LineBp[]>();
  private fnBps: NamedBp[] = [];
  private dataBps: NamedBp[] = [];
  private exceptionKinds = new Set<FindingKind>(['inversion']);

  private runToken = 0;
  private pauseRequested = false;
  running = false;

  get store(): EventStore {
    return this.analysis.store;
  }

  get program(): string {
    return this.args.program;
  }

  /** The loaded analysis, read-only (shared with the lock panel by the inline adapter). */
  get analysisView(): Analysis {
    return this.analysis;
  }

  get loaded(): boolean {
    return this.analysis !== undefined;
  }

  /** Reads and analyzes the trace; throws with a user-facing message when it cannot. */
  async load(args: LaunchArguments): Promise<void> {
    this.emit('progress', { phase: 'start', message: `Reading ${args.program}`, percent: 0 });
    try {
      const store = await readTraceFile(args.program, {
        format: args.format,
        onProgress: (bytes, size) =>
          this.emit('progress', {
            phase: 'update',
            message: `Reading: ${(bytes / 1048576).toFixed(0)} MiB`,
            percent: size ? (80 * bytes) / size : undefined,
          }),
      });
      if (store.length === 0) throw new Error(`${args.program}: no events in this trace`);
      this.emit('progress', { phase: 'update', message: `Analyzing ${store.length} events`, percent: 80 });
      const analysis = await analyzeAsync(store, {
        readLocks: args.readLocks,
        onProgress: (events) =>
          this.emit('progress', { phase: 'update', message: `Analyzing: ${events} events`, percent: 80 + (20 * events) / store.length }),
      });
      let filter: Set<number> | null = null;
      if (args.task !== undefined && args.task !== '') {
        const want = String(args.task);
        filter = new Set(
          store.tasks.filter((t) => String(t.pid) === want || t.comm === want || `${t.comm}-${t.pid}` === want).map((t) => t.id),
        );
        if (filter.size === 0) {
          const known = store.tasks.map((t) => `${t.comm}-${t.pid}`).join(', ');
          throw new Error(`"task": no task ${JSON.stringify(want)} in this trace (tasks: ${known})`);
        }
      }
      this.args = args;
      this.analysis = analysis;
      this.replay = new Replay(analysis);
      this.taskFilter = filter;
      this.findingsAt = new Map();
      for (const f of analysis.findings) {
        const l = this.findingsAt.get(f.eventIndex);
        if (l) l.push(f);
        else this.findingsAt.set(f.eventIndex, [f]);
      }
      this.index = 0;
      this.lastStop = null;
      this.resolveBreakpoints();
      for (const w of store.warnings.slice(0, 20))
        this.emit('output', { text: `line ${w.line}: ${w.message}\n`, line: w.line, category: 'stderr' });
      if (store.warningCount > 20) this.emit('output', { text: `… ${store.warningCount - 20} more warnings\n`, category: 'stderr' });
    } finally {
      this.emit('progress', { phase: 'end', message: 'Trace loaded' });
    }
  }

  /** Re-reads the trace (it may have changed) and resets hit counts; breakpoints are kept. */
  async reload(): Promise<void> {
    this.stopRunning();
    for (const b of [...this.lineBps, ...this.fnBps, ...this.dataBps]) b.hits = 0;
    await this.load(this.args);
  }

  // --- breakpoints ---------------------------------------------------------------------

  setLineBreakpoints(specs: LineBreakpointSpec[]): BreakpointResult[] {
    this.lineBps = specs.map((spec) => ({ ...this.newBp(spec), requested: spec.line, line: spec.line }));
    this.resolveBreakpoints();
    return this.lineBps.map((b) => this.result(b, b.verified ? b.line : b.requested));
  }

  setFunctionBreakpoints(specs: NamedBreakpointSpec[]): BreakpointResult[] {
    this.fnBps = specs.map((spec) => ({ ...this.newBp(spec), name: spec.name }));
    this.resolveBreakpoints();
    return this.fnBps.map((b) => this.result(b));
  }

  setDataBreakpoints(specs: NamedBreakpointSpec[]): BreakpointResult[] {
    this.dataBps = specs.map((spec) => ({ ...this.newBp(spec), name: spec.name }));
    this.resolveBreakpoints();
    return this.dataBps.map((b) => this.result(b));
  }

  /** Unknown kinds are ignored. */
  setExceptionFilters(kinds: string[]): void {
    this.exceptionKinds = new Set(kinds.filter((k): k is FindingKind => (FINDING_KINDS as readonly string[]).includes(k)));
  }

  /** Data breakpoint info for a lock class or lock address named in an expression or a variable. */
  dataBreakpointInfo(name: string): { dataId: string; description: string } | null {
    const s = this.store;
    const text = name.trim();
    if (/^(lock|class):/.test(text)) return this.lookupTarget(text, 'data') ? { dataId: text, description: text } : null;
    if (s.classes.lookup(text) !== undefined)
      return { dataId: dataIdFor('class', text), description: `lock class ${text} (acquired or released)` };
    const lockId = this.lockIdOf(text);
    if (lockId !== undefined)
      return { dataId: dataIdFor('lock', s.locks[lockId].key), description: `lock ${s.locks[lockId].key} (acquired or released)` };
    return null;
  }

  private newBp(spec: BreakpointSpec): Bp {
    return { id: this.nextBpId++, spec, hits: 0, verified: false };
  }

  private result(b: Bp, line?: number): BreakpointResult {
    return { id: b.id, verified: b.verified, line, message: b.message };
  }

  private compile(b: Bp): string | null {
    try {
      b.condition = b.spec.condition?.trim() ? parseExpr(b.spec.condition) : undefined;
    } catch (e) {
      return `condition: ${(e as Error).message}`;
    }
    try {
      b.hit = b.spec.hitCondition?.trim() ? parseHitCondition(b.spec.hitCondition) : undefined;
    } catch (e) {
      return (e as Error).message;
    }
    return null;
  }

  private resolveBreakpoints(): void {
    if (!this.loaded) return;
    const s = this.store;
    this.lineBpsByLine = new Map();
    for (const b of this.lineBps) {
      const err = this.compile(b);
      const i = s.eventAtOrAfterLine(b.requested);
      b.verified = err === null && i >= 0;
      b.message = err ?? (i < 0 ? `no event at or after line ${b.requested}` : undefined);
      if (i >= 0) b.line = s.line[i];
      if (b.verified) {
        const l = this.lineBpsByLine.get(b.line);
        if (l) l.push(b);
        else this.lineBpsByLine.set(b.line, [b]);
      }
    }
    for (const [bps, what] of [
      [this.fnBps, 'function'],
      [this.dataBps, 'data'],
    ] as const) {
      for (const b of bps) {
        const err = this.compile(b);
        b.target = this.lookupTarget(b.name, what) ?? undefined;
        b.verified = err === null && b.target !== undefined;
        b.message = err ?? (b.target ? undefined : this.unknownTargetMessage(b.name, what));
      }
    }
  }

  /**
   * A lock by address as the trace prints it or as locktrace shows it: `000000008a1c55e2`
   * (ftrace's %p), `0xffff888100100040`, `0x8a1c55e2` are one key. Short hex-looking words
   * (`2102`) are not taken for addresses unless they start with 0x.
   */
  private lockIdOf(text: string): number | undefined {
    const s = this.store;
    const exact = s.lockByKeyLookup(text);
    if (exact !== undefined) return exact;
    return /^(0x[0-9a-f]+|[0-9a-f]{8,})$/i.test(text) ? s.lockByKeyLookup(normalizeAddress(text)) : undefined;
  }

  private lookupTarget(name: string, what: 'function' | 'data'): Target | null {
    const s = this.store;
    const m = /^(lock|class|syscall):(.*)$/.exec(name.trim());
    const prefix = m ? m[1] : null;
    const rest = (m ? m[2] : name).trim();
    if (what === 'data') {
      if (prefix === 'lock') {
        const id = this.lockIdOf(rest);
        if (id !== undefined) return { kind: 'lock', id };
      }
      if (prefix === 'class' || prefix === 'lock' || prefix === null) {
        const id = s.classes.lookup(rest);
        if (id !== undefined) return { kind: 'class', id };
      }
      return null;
    }
    if (prefix === 'lock' || prefix === 'class' || prefix === null) {
      const id = s.classes.lookup(rest);
      if (id !== undefined) return { kind: 'class', id };
    }
    if (prefix === 'syscall' || prefix === null) {
      const id = s.names.lookup(rest);
      if (id !== undefined && this.isSyscallName(id)) return { kind: 'syscall', id };
    }
    return null;
  }

  private isSyscallName(nameId: number): boolean {
    const s = this.store;
    for (let i = 0; i < s.length; i++) if (s.kind[i] === EventKind.SysEnter && s.ref[i] === nameId) return true;
    return false;
  }

  private unknownTargetMessage(name: string, what: 'function' | 'data'): string {
    return what === 'function'
      ? `no lock class or syscall ${JSON.stringify(name)} in this trace (use lock:CLASS or syscall:NAME)`
      : `no lock class or lock address ${JSON.stringify(name)} in this trace`;
  }

  // --- moving ---------------------------------------------------------------------------

  private inFilter(i: number): boolean {
    return this.taskFilter === null || this.taskFilter.has(this.store.task[i]);
  }

  /** After launch: stop on the first event, or run to the first stop. */
  start(stopOnEntry: boolean): void {
    if (stopOnEntry) {
      const first = this.inFilter(0) ? 0 : this.replay.findForward(0, (i) => this.inFilter(i));
      this.stop({ reason: 'entry', index: Math.max(0, first), breakpointIds: [] });
    } else void this.run(1, 0);
  }

  continue(): void {
    void this.run(1, this.index + 1);
  }

  reverseContinue(): void {
    void this.run(-1, this.index - 1);
  }

  /** Next event of the current task. */
  next(): void {
    const i = this.replay.nextOfTask(this.index);
    if (i < 0) this.stop({ reason: 'step', index: this.index, description: 'no later event of this task', breakpointIds: [] });
    else this.stop({ reason: 'step', index: i, breakpointIds: [] });
  }

  /** Next event of any task (in the task filter). */
  stepIn(): void {
    const i = this.replay.findForward(this.index, (k) => this.inFilter(k));
    if (i < 0) this.stop({ reason: 'step', index: this.index, description: 'end of trace', breakpointIds: [] });
    else this.stop({ reason: 'step', index: i, breakpointIds: [] });
  }

  /** To the exit of the current syscall (or the release of the innermost lock); breakpoints on the way stop it. */
  stepOut(): void {
    const target = this.replay.stepOutTarget(this.index);
    if (target < 0) return this.next();
    void this.run(1, this.index + 1, target);
  }

  /** Previous event of the current task. */
  stepBack(): void {
    const i = this.replay.prevOfTask(this.index);
    if (i < 0) this.stop({ reason: 'step', index: this.index, description: 'no earlier event of this task', breakpointIds: [] });
    else this.stop({ reason: 'step', index: i, breakpointIds: [] });
  }

  goto(index: number, reason: StopReason = 'goto'): void {
    this.stopRunning();
    this.stop({ reason, index: Math.max(0, Math.min(index, this.store.length - 1)), breakpointIds: [] });
  }

  pause(): void {
    if (this.running) this.pauseRequested = true;
  }

  /** Cancels a run without a stop event (disconnect, restart). */
  stopRunning(): void {
    this.runToken++;
    this.running = false;
  }

  /** Event index a goto to a 1-based line lands on (the nearest event at or after it), or -1. */
  gotoTarget(line: number): number {
    return this.store.eventAtOrAfterLine(line);
  }

  private stop(e: StopEvent): void {
    this.running = false;
    this.index = e.index;
    this.lastStop = e;
    this.emit('stopped', e);
  }

  /** Scans from `from` in direction `dir` until a stop, `target`, or the end. Yields every few thousand events. */
  private async run(dir: 1 | -1, from: number, target = -1): Promise<void> {
    const token = ++this.runToken;
    this.running = true;
    this.pauseRequested = false;
    const n = this.store.length;
    if (this.lineBpsByLine.size === 0 && this.fnBps.length === 0 && this.dataBps.length === 0) {
      return this.runBetweenFindings(dir, from, target);
    }
    let i = from;
    while (i >= 0 && i < n) {
      for (let c = 0; c < 20000 && i >= 0 && i < n; c++, i += dir) {
        const hit = this.check(i);
        if (hit) return this.stop(hit);
        if (i === target) return this.stop({ reason: 'step', index: i, breakpointIds: [] });
      }
      await new Promise((r) => setImmediate(r));
      if (token !== this.runToken) return;
      if (this.pauseRequested) return this.stop({ reason: 'pause', index: Math.max(0, Math.min(n - 1, i - dir)), breakpointIds: [] });
    }
    if (dir === 1) {
      this.running = false;
      this.index = n - 1;
      this.emit('end', { index: n - 1 });
    } else this.stop({ reason: 'entry', index: 0, description: 'beginning of trace', breakpointIds: [] });
  }

  /**
   * With no breakpoints only findings (and the step-out target) can stop a run: jump from finding
   * to finding through the replay's sorted index instead of checking every event, so continue and
   * reverse-continue cost the same on a 10M-event trace as on a small one.
   */
  private runBetweenFindings(dir: 1 | -1, from: number, target: number): void {
    const n = this.store.length;
    let k = from - dir;
    for (;;) {
      const f = dir === 1 ? this.replay.nextFinding(k) : this.replay.prevFinding(k);
      const pastTarget = target >= 0 && (f < 0 || (dir === 1 ? target < f : target > f));
      if (pastTarget) return this.stop({ reason: 'step', index: target, breakpointIds: [] });
      if (f < 0) break;
      const hit = this.check(f);
      if (hit) return this.stop(hit);
      k = f;
    }
    if (dir === 1) {
      this.running = false;
      this.index = n - 1;
      this.emit('end', { index: n - 1 });
    } else this.stop({ reason: 'entry', index: 0, description: 'beginning of trace', breakpointIds: [] });
  }

  /** Whether event i stops a run (counting hits and printing logpoints on the way). */
  private check(i: number): StopEvent | null {
    if (!this.inFilter(i)) return null;
    const s = this.store;
    const found = this.findingsAt.get(i);
    if (found) {
      const f = found.find((x) => this.exceptionKinds.has(x.kind));
      if (f) return { reason: 'exception', index: i, description: firstLine(f.message), breakpointIds: [], finding: f };
    }
    const hits: number[] = [];
    let reason: StopReason = 'breakpoint';
    if (this.lineBpsByLine.size > 0 && (i === 0 || s.line[i - 1] !== s.line[i])) {
      for (const b of this.lineBpsByLine.get(s.line[i]) ?? []) if (this.hit(b, i)) hits.push(b.id);
    }
    const kind = s.kind[i] as EventKind;
    if (this.fnBps.length > 0 && (kind === EventKind.Acquire || kind === EventKind.SysEnter)) {
      for (const b of this.fnBps) {
        const t = b.target;
        if (!t || !b.verified) continue;
        const match =
          kind === EventKind.Acquire ? t.kind === 'class' && s.locks[s.ref[i]].classId === t.id : t.kind === 'syscall' && s.ref[i] === t.id;
        if (match && this.hit(b, i)) {
          hits.push(b.id);
          if (hits.length === 1) reason = 'function breakpoint';
        }
      }
    }
    if (this.dataBps.length > 0 && isLockChange(kind)) {
      const lock = s.ref[i];
      for (const b of this.dataBps) {
        const t = b.target;
        if (!t || !b.verified) continue;
        const match = t.kind === 'lock' ? lock === t.id : s.locks[lock].classId === t.id;
        if (match && this.hit(b, i)) {
          hits.push(b.id);
          if (hits.length === 1) reason = 'data breakpoint';
        }
      }
    }
    return hits.length ? { reason, index: i, breakpointIds: hits } : null;
  }

  /** Condition, hit count and logpoint of one breakpoint at event i; true when it stops. */
  private hit(b: Bp, i: number): boolean {
    if (b.condition) {
      let ok: boolean;
      try {
        ok = truthy(evaluateNode(b.condition, this.env(i, this.store.task[i], i)));
      } catch (e) {
        // a condition that cannot be evaluated stops, so the user sees why
        this.emit('output', {
          text: `line ${this.store.line[i]}: breakpoint condition ${JSON.stringify(b.spec.condition)}: ${(e as Error).message}\n`,
          index: i,
          line: this.store.line[i],
          category: 'stderr',
        });
        ok = true;
      }
      if (!ok) return false;
    }
    b.hits++;
    if (b.hit && !b.hit(b.hits)) return false;
    if (b.spec.logMessage !== undefined) {
      const text = interpolate(b.spec.logMessage, this.env(i, this.store.task[i], i));
      this.emit('output', { text: `${text}\n`, index: i, line: this.store.line[i], category: 'console' });
      return false;
    }
    return true;
  }

  // --- what the UI shows ---------------------------------------------------------------

  /** Tasks seen at or before the current event, in order of appearance. */
  threads(): { taskId: number; name: string }[] {
    return this.replay.view(this.index).tasks.map((t) => ({ taskId: t.taskId, name: `${t.comm}-${t.pid}` }));
  }

  /** Task of the current event: the stopped thread. */
  get currentTask(): number {
    return this.store.task[this.index];
  }

  taskView(taskId: number): TaskView | undefined {
    return this.replay.view(this.index).tasks.find((t) => t.taskId === taskId);
  }

  /** Top: the task's current event; then held locks innermost first; then its syscall. */
  frames(taskId: number): FrameInfo[] {
    const t = this.taskView(taskId);
    if (!t) return [];
    const s = this.store;
    const out: FrameInfo[] = [];
    const ev = taskId === this.currentTask ? this.index : t.lastEvent;
    if (ev >= 0) out.push({ kind: 'event', name: this.describeEvent(ev), line: s.line[ev], eventIndex: ev });
    for (let k = t.held.length - 1; k >= 0; k--) {
      const h = t.held[k];
      const how = [h.read ? 'read' : '', h.try ? 'try' : ''].filter(Boolean).join(' ');
      const since = `${h.pending ? 'waiting since' : 'held since'} ${h.syscall ?? 'userspace'}, line ${h.line}`;
      out.push({
        kind: 'lock',
        name: `${h.className} (${how ? `${how}, ` : ''}${since})`,
        line: h.line,
        eventIndex: h.eventIndex,
        held: h,
      });
    }
    if (t.syscall) {
      out.push({
        kind: 'syscall',
        name: `${t.syscall.name} (entered at line ${t.syscall.line})`,
        line: t.syscall.line || s.line[Math.max(0, ev)],
        eventIndex: t.syscall.eventIndex,
      });
    }
    return out;
  }

  /** One-line description of an event: `acquire sb_writers`, `syscall exit io_submit = 1`. */
  describeEvent(i: number): string {
    const s = this.store;
    const kind = s.kind[i] as EventKind;
    switch (kind) {
      case EventKind.Acquire:
      case EventKind.Acquired:
      case EventKind.AcquireFailed:
      case EventKind.Release:
      case EventKind.Contended:
      case EventKind.ContentionBegin:
      case EventKind.ContentionEnd:
        return `${s.kindName(i)} ${s.className(s.ref[i])}`;
      case EventKind.SysEnter:
        return `syscall entry ${s.names.get(s.ref[i])}`;
      case EventKind.SysExit:
        return `syscall exit ${s.names.get(s.ref[i])} = ${s.num[i]}`;
      case EventKind.Fork:
        return `fork ${s.num[i]}`;
      case EventKind.Exit:
        return 'exit';
      case EventKind.Switch:
        return `switch to ${s.tasks[s.ref[i]].comm}-${s.num[i]}`;
      default:
        return s.names.get(s.ref[i]) ?? 'event';
    }
  }

  /** The raw text of an event's line, read from the file at the stored offset. */
  readLine(i: number): string {
    const fd = fs.openSync(this.args.program, 'r');
    try {
      const buf = Buffer.alloc(8192);
      const n = fs.readSync(fd, buf, 0, buf.length, this.store.offset[i]);
      let text = buf.subarray(0, n).toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) text = text.slice(0, nl);
      else if (n === buf.length) text += '…';
      return text.replace(/\r$/, '');
    } catch (e) {
      return `<cannot read line ${this.store.line[i]}: ${(e as Error).message}>`;
    } finally {
      fs.closeSync(fd);
    }
  }

  scopes(taskId: number, frame: FrameInfo): ScopeInfo[] {
    const s = this.store;
    const t = this.taskView(taskId);
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
            .map((h, k) => this.heldVar(h, `held[${(t?.held.length ?? 0) - 1 - k}]`)),
      },
      { name: 'Syscall', children: () => this.syscallVars(t) },
      { name: 'Lock graph', children: () => this.graphVars(lockClass) },
      { name: 'Findings so far', children: () => this.replay.view(this.index).findingsSoFar.map((f) => this.findingVar(f)) },
    ];
  }

  private eventVars(i: number): VarNode[] {
    const s = this.store;
    const task = s.taskOf(i);
    const out: VarNode[] = [
      leaf('index', i),
      leaf('line', s.line[i]),
      leaf('time', s.ts[i]),
      leaf('cpu', s.cpu[i]),
      leaf('task', `${task.comm}-${task.pid}`),
      leaf('event', this.describeEvent(i)),
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
    out.push(leaf('body', this.readLine(i)));
    return out;
  }

  private heldVar(h: HeldLockView, evaluateName: string): VarNode {
    const v = heldValue(h);
    return {
      name: h.className,
      value: `${h.lock}${h.read ? ' read' : ''}${h.try ? ' try' : ''}${h.pending ? ' (waiting)' : ''}, since line ${h.line}${h.syscall ? ` in ${h.syscall}` : ''}`,
      evaluateName,
      dataId: dataIdFor('lock', h.lock),
      children: () => [
        ...Object.entries(v).map(([k, x]) => valueVar(k, x, `${evaluateName}.${k}`)),
        leaf('acquiring event', this.readLine(h.eventIndex)),
      ],
    };
  }

  private syscallVars(t: TaskView | undefined): VarNode[] {
    const sc = t?.syscall;
    if (!sc) return [leaf('syscall', 'none (in userspace)')];
    const out = [leaf('name', sc.name), leaf('number', sc.nr)];
    if (sc.eventIndex >= 0) {
      const raw = this.readLine(sc.eventIndex);
      const args = /\(([^()]*)\)\s*$/.exec(raw);
      if (args) out.push(leaf('args', args[1]));
      out.push(leaf('entered at', `line ${sc.line}`));
    } else out.push(leaf('entered at', 'before the trace began'));
    return out;
  }

  private graphVars(lockClass: string | null): VarNode[] {
    if (lockClass === null) return [leaf('lock', 'no current lock')];
    const edges = this.replay.edgesOf(lockClass, this.index);
    if (edges.length === 0) return [leaf(lockClass, 'no ordering edges so far')];
    return edges.map((e) => this.edgeVar(e));
  }

  private edgeVar(e: EdgeOrigin): VarNode {
    return {
      name: `${e.from} -> ${e.to}`,
      value: `line ${e.line}, ${e.comm}-${e.pid} in ${e.syscall ?? 'userspace'}`,
      children: () => Object.entries(edgeValue(e)).map(([k, x]) => valueVar(k, x)),
    };
  }

  private findingVar(f: Finding): VarNode {
    return {
      name: `${f.kind} (line ${f.line})`,
      value: firstLine(f.message),
      children: () => [
        leaf('message', f.message),
        leaf('task', `${f.comm}-${f.pid}`),
        leaf('syscall', f.syscall),
        valueVar('locks', f.locks),
        ...(f.cycle ? [{ name: 'cycle', value: `${f.cycle.length} edges`, children: () => f.cycle!.map((e) => this.edgeVar(e)) }] : []),
        { name: 'related', value: `${f.related.length} lines`, children: () => f.related.map((r) => leaf(`line ${r.line}`, r.message)) },
      ],
    };
  }

  /** The finding of the last exception stop, as a report with the cycle's edges. */
  exceptionInfo(): { id: FindingKind; description: string; details: string } | null {
    const f = this.lastStop?.finding;
    if (!f || this.lastStop?.index !== this.index) return null;
    const lines = [f.message];
    if (f.cycle) {
      lines.push('', 'cycle:');
      for (const e of f.cycle) lines.push(`  ${describeEdge(e)}`);
    }
    if (f.related.length) {
      lines.push('', 'related lines:');
      for (const r of f.related) lines.push(`  line ${r.line}: ${r.message}`);
    }
    return { id: f.kind, description: firstLine(f.message), details: lines.join('\n') };
  }

  // --- evaluate ------------------------------------------------------------------------

  /**
   * Evaluates in the context of a task at the current event: a lock class or address gives its
   * holders and edges; anything else is an expression (expr.ts).
   */
  evaluate(text: string, taskId = this.currentTask): EvaluateResult {
    const s = this.store;
    const src = text.trim();
    const unquoted = src.replace(/^lock:/, '');
    const cls = s.classes.lookup(unquoted) !== undefined ? unquoted : undefined;
    const lockId = this.lockIdOf(unquoted);
    if (cls !== undefined || lockId !== undefined) return this.lockReport(cls ?? s.className(lockId!), lockId);
    const t = this.taskView(taskId);
    const ev = taskId === this.currentTask ? this.index : (t?.lastEvent ?? this.index);
    const v = evaluateNode(parseExpr(src), this.env(ev, taskId, this.index));
    return { text: formatValue(v), node: valueVar(src, v, src) };
  }

  private lockReport(className: string, lockId: number | undefined): EvaluateResult {
    const s = this.store;
    const key = lockId !== undefined ? s.locks[lockId].key : undefined;
    const holders = this.replay.holdersOfClass(className, this.index).filter((h) => key === undefined || h.held.lock === key);
    const edges = this.replay.edgesOf(className, this.index);
    const who = holders.length
      ? `held by ${holders.map((h) => `${h.task.comm}-${h.task.pid} (since line ${h.held.line}${h.held.syscall ? ` in ${h.held.syscall}` : ''}${h.held.pending ? ', waiting' : ''})`).join(', ')}`
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
              value: `since line ${h.held.line}`,
              children: () => Object.entries(heldValue(h.held)).map(([k, x]) => valueVar(k, x)),
            })),
        },
        { name: 'edges', value: `${edges.length}`, children: () => edges.map((e) => this.edgeVar(e)) },
      ],
    };
    return { text, node };
  }

  /** The names an expression at event `ev` of task `taskId` can use, with the state after event `at`. */
  private env(ev: number, taskId: number, at: number): Env {
    const s = this.store;
    const replay = this.replay;
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
        const f = this.findingsAt.get(ev)?.[0];
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
  completions(text: string, column: number): { start: number; items: CompletionItem[] } {
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
    const s = this.store;
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

  // --- replay state for the lock panel -------------------------------------------------

  state(): ReplayStateBody {
    const s = this.store;
    const view = this.replay.view(this.index);
    return {
      version: REPLAY_STATE_VERSION,
      path: this.args.program,
      index: view.index,
      line: view.line,
      taskId: view.taskId,
      totalEvents: s.length,
      tasks: view.tasks.map((t) => ({
        taskId: t.taskId,
        pid: t.pid,
        comm: t.comm,
        held: t.held,
        syscall: t.syscall,
        exited: t.exited,
        lastEvent: t.lastEvent,
      })),
      findingsSoFar: view.findingsSoFar,
      totalFindings: this.analysis.findings.length,
    };
  }
}

// --- helpers -----------------------------------------------------------------------------

function isLockEvent(kind: EventKind): boolean {
  return kind >= EventKind.Acquire && kind <= EventKind.ContentionEnd;
}

function isLockChange(kind: EventKind): boolean {
  return kind === EventKind.Acquire || kind === EventKind.Acquired || kind === EventKind.Release || kind === EventKind.AcquireFailed;
}

function firstLine(s: string): string {
  const nl = s.indexOf('\n');
  return nl < 0 ? s : s.slice(0, nl);
}

function leaf(name: string, v: string | number | boolean | null): VarNode {
  return { name, value: v === null ? 'null' : String(v), type: v === null ? undefined : typeof v };
}

function heldValue(h: HeldLockView): { [k: string]: Value } {
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
  };
}

function edgeValue(e: EdgeOrigin): { [k: string]: Value } {
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

function findingValue(f: Finding): { [k: string]: Value } {
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

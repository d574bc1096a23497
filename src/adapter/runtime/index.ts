// The replay runtime behind the debug adapter: one object the session (src/adapter/session.ts)
// talks to. It knows nothing of DAP or VS Code; the session maps its typed events and records to
// the protocol. Trace lines here are always 1-based. The work is split by job:
//   loading.ts      where the trace comes from (injected TraceAccess) and the LoadedTrace
//   breakpoints.ts  line, function, data and exception breakpoints; whether an event stops a run
//   execution.ts    the current event, steps, runs, goto, pause
//   variables.ts    threads, frames, scopes, variable trees, exception info
//   evaluate.ts     debug console expressions, condition names, completions
//   events.ts       the typed event map
// This file composes them and builds the replay state the lock panel follows.

import { Analysis, EventStore, StackFrame, TaskView } from '../../core';
import { REPLAY_STATE_VERSION, ReplayStateBody } from '../../protocol/replayState';
import type { LaunchArguments } from '../launchArgs';
import { BreakpointResult, Breakpoints, LineBreakpointSpec, NamedBreakpointSpec } from './breakpoints';
import { CompletionItem, EvaluateResult, completions, envAt, evaluate } from './evaluate';
import { Emitter, RuntimeEvents, StopEvent, StopReason } from './events';
import { Execution } from './execution';
import { LoadedTrace, SourceLocation, TraceAccess, nodeTraceAccess } from './loading';
import { FrameInfo, ScopeInfo, Variables, exceptionInfo } from './variables';

export type { BreakpointResult, BreakpointSpec, LineBreakpointSpec, NamedBreakpointSpec } from './breakpoints';
export { dataIdFor } from './breakpoints';
export type { CompletionItem, EvaluateResult } from './evaluate';
export { EVAL_FUNCTIONS, EVAL_NAMES } from './evaluate';
export type { OutputEvent, ProgressEvent, RuntimeEvents, StopEvent, StopReason } from './events';
export { LoadedTrace, nodeTraceAccess } from './loading';
export type { SourceLocation, TraceAccess, TraceLoadHooks } from './loading';
export type { FrameInfo, ScopeInfo, VarNode } from './variables';
export { valueVar } from './variables';

export class ReplayRuntime extends Emitter<RuntimeEvents> {
  private trace: LoadedTrace | undefined;
  private readonly breakpoints = new Breakpoints({
    output: (e) => this.emit('output', e),
    env: (ev, taskId, at) => envAt(this.loadedTrace, ev, taskId, at),
  });
  private readonly execution = new Execution({
    trace: () => this.loadedTrace,
    breakpoints: this.breakpoints,
    stopped: (e) => this.emit('stopped', e),
    end: (e) => this.emit('end', e),
  });

  /** `access`: where traces come from (default: from disk through src/load). */
  constructor(private readonly access: TraceAccess = nodeTraceAccess) {
    super();
  }

  private get loadedTrace(): LoadedTrace {
    if (!this.trace) throw new Error('no trace is loaded');
    return this.trace;
  }

  get store(): EventStore {
    return this.loadedTrace.store;
  }

  get program(): string {
    return this.loadedTrace.program;
  }

  /** The loaded analysis, read-only (shared with the lock panel by the inline adapter). */
  get analysisView(): Analysis {
    return this.loadedTrace.analysis;
  }

  get loaded(): boolean {
    return this.trace !== undefined;
  }

  /** Current event; the state includes its effect. */
  get index(): number {
    return this.execution.index;
  }

  get lastStop(): StopEvent | null {
    return this.execution.lastStop;
  }

  get running(): boolean {
    return this.execution.running;
  }

  // --- loading ---------------------------------------------------------------------------

  /** Loads the trace (through the TraceAccess); throws with a user-facing message when it cannot. */
  async load(args: LaunchArguments): Promise<void> {
    this.emit('progress', { phase: 'start', message: `Reading ${args.program}`, percent: 0 });
    try {
      const trace = await LoadedTrace.open(this.access, args, {
        onProgress: (p) => this.emit('progress', { phase: 'update', message: p.message, percent: p.percent }),
      });
      this.trace = trace;
      this.execution.reset();
      this.breakpoints.bind(trace);
      const store = trace.store;
      for (const w of store.warnings.slice(0, 20))
        this.emit('output', { text: `line ${w.line}: ${w.message}\n`, line: w.line, category: 'stderr' });
      if (store.warningCount > 20) this.emit('output', { text: `… ${store.warningCount - 20} more warnings\n`, category: 'stderr' });
    } finally {
      this.emit('progress', { phase: 'end', message: 'Trace loaded' });
    }
  }

  /** Loads the trace again (it may have changed) and resets hit counts; breakpoints are kept. */
  async reload(): Promise<void> {
    this.stopRunning();
    this.breakpoints.resetHits();
    await this.load(this.loadedTrace.args);
  }

  // --- breakpoints -----------------------------------------------------------------------

  setLineBreakpoints(specs: LineBreakpointSpec[]): BreakpointResult[] {
    return this.breakpoints.setLine(specs);
  }

  setFunctionBreakpoints(specs: NamedBreakpointSpec[]): BreakpointResult[] {
    return this.breakpoints.setFunction(specs);
  }

  setDataBreakpoints(specs: NamedBreakpointSpec[]): BreakpointResult[] {
    return this.breakpoints.setData(specs);
  }

  /** Finding kinds that stop a run (unknown kinds are ignored). */
  setExceptionFilters(kinds: string[]): void {
    this.breakpoints.setExceptionFilters(kinds);
  }

  /** Data breakpoint info for a lock class or lock address named in an expression or a variable. */
  dataBreakpointInfo(name: string): { dataId: string; description: string } | null {
    return this.breakpoints.dataBreakpointInfo(this.loadedTrace, name);
  }

  // --- execution -------------------------------------------------------------------------

  /** After launch: stop on the first event, or run to the first stop. */
  start(stopOnEntry: boolean): void {
    this.execution.start(stopOnEntry);
  }

  continue(): void {
    this.execution.continue();
  }

  reverseContinue(): void {
    this.execution.reverseContinue();
  }

  /** Next event of the current task. */
  next(): void {
    this.execution.next();
  }

  /** Next event of any task (in the task filter). */
  stepIn(): void {
    this.execution.stepIn();
  }

  /** To the exit of the current syscall (or the release of the innermost lock). */
  stepOut(): void {
    this.execution.stepOut();
  }

  /** Previous event of the current task. */
  stepBack(): void {
    this.execution.stepBack();
  }

  goto(index: number, reason: StopReason = 'goto'): void {
    this.execution.goto(index, reason);
  }

  pause(): void {
    this.execution.pause();
  }

  /** Cancels a run without a stop event (disconnect, restart). */
  stopRunning(): void {
    this.execution.stopRunning();
  }

  /** Event index a goto to a 1-based line lands on (the nearest event at or after it), or -1. */
  gotoTarget(line: number): number {
    return this.execution.gotoTarget(line);
  }

  // --- what the UI shows -----------------------------------------------------------------

  private view(): Variables {
    const stop = this.lastStop;
    const finding = stop?.reason === 'exception' && stop.index === this.index ? stop.finding : undefined;
    return new Variables(this.loadedTrace, this.index, finding);
  }

  /** Task of the current event: the stopped thread. */
  get currentTask(): number {
    return this.store.task[this.index];
  }

  /** Tasks seen at or before the current event, in order of appearance. */
  threads(): { taskId: number; name: string }[] {
    return this.view().threads();
  }

  taskView(taskId: number): TaskView | undefined {
    return this.view().taskView(taskId);
  }

  /** Top: the task's current event; then held locks innermost first; then its syscall. */
  frames(taskId: number): FrameInfo[] {
    return this.view().frames(taskId);
  }

  scopes(taskId: number, frame: FrameInfo): ScopeInfo[] {
    return this.view().scopes(taskId, frame);
  }

  /** Kernel logs: where the log's stack frames are in source, when the TraceAccess can tell ([] otherwise). */
  resolveFrames(frames: readonly StackFrame[]): Promise<(SourceLocation | undefined)[]> {
    return this.loadedTrace.resolveFrames(frames);
  }

  /** One-line description of an event: `acquire sb_writers`, `syscall exit io_submit = 1`. */
  describeEvent(i: number): string {
    return this.loadedTrace.describeEvent(i);
  }

  /** The raw text of an event's line. */
  readLine(i: number): string {
    return this.loadedTrace.readLine(i);
  }

  /** The finding of the last exception stop, as a report with the cycle's edges. */
  exceptionInfo(): ReturnType<typeof exceptionInfo> {
    const usageFrames =
      this.loaded &&
      this.view()
        .frames(this.currentTask)
        .some((f) => f.kind === 'usage');
    return exceptionInfo(this.lastStop, this.index, usageFrames);
  }

  // --- evaluate --------------------------------------------------------------------------

  /** Evaluates a lock name or an expression for a task (default: the current one) at the current event. */
  evaluate(text: string, taskId?: number): EvaluateResult {
    return evaluate(this.loadedTrace, this.index, text, taskId);
  }

  /** Completions for the debug console. */
  completions(text: string, column: number): { start: number; items: CompletionItem[] } {
    return completions(this.loadedTrace, text, column);
  }

  // --- replay state for the lock panel -------------------------------------------------

  state(): ReplayStateBody {
    const s = this.store;
    const view = this.loadedTrace.replay.view(this.index);
    return {
      version: REPLAY_STATE_VERSION,
      path: this.program,
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
      totalFindings: this.analysisView.findings.length,
    };
  }
}

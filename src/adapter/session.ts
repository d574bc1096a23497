// The Debug Adapter Protocol face of the replay runtime: maps DAP requests to ReplayRuntime calls
// and runtime events to DAP events. Runs inline in the extension host and as the standalone
// adapter (main.ts). Thread ids are task ids + 1; DAP lines are converted from the trace's 1-based
// lines only here (toClientLine/fromClientLine). Where traces come from is the runtime's
// TraceAccess, given to the constructor (the inline adapter passes the extension's).

import * as path from 'path';
import {
  Breakpoint,
  Handles,
  InitializedEvent,
  LoggingDebugSession,
  OutputEvent,
  ProgressEndEvent,
  ProgressStartEvent,
  ProgressUpdateEvent,
  Scope,
  Source,
  StackFrame,
  StoppedEvent,
  TerminatedEvent,
  Thread,
  Event as DapEvent,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { Analysis, FINDING_KINDS, FINDING_KIND_INFO, StackFrame as LogStackFrame } from '../core';
import { encodeReplayState } from '../protocol/encode';
import { REPLAY_STATE_EVENT, ReplayStateBody, SEEK_REQUEST, SeekArguments } from '../protocol/replayState';
import { LaunchArguments, validateLaunchArguments } from './launchArgs';
import { BreakpointResult, FrameInfo, NamedBreakpointSpec, ReplayRuntime, SourceLocation, TraceAccess, VarNode } from './runtime';

const EXCEPTION_FILTERS: DebugProtocol.ExceptionBreakpointsFilter[] = FINDING_KINDS.map((kind) => ({
  filter: kind,
  label: FINDING_KIND_INFO[kind].filterLabel,
  default: kind === 'inversion',
  description: `Stop where the analyzer reports a ${kind} finding`,
}));

/** Error ids of error responses. */
const enum ErrorId {
  Launch = 1001,
  NotLoaded = 1002,
  Evaluate = 1003,
  Goto = 1004,
  Request = 1005,
}

const MAX_FRAMES_PER_TASK = 1000;

export class LocktraceSession extends LoggingDebugSession {
  private readonly runtime: ReplayRuntime;
  private launchArgs: LaunchArguments | null = null;
  private configurationDone!: Promise<void>;
  private resolveConfigurationDone: () => void = () => undefined;
  private readonly varHandles = new Handles<() => VarNode[]>();
  private readonly dataIds = new Map<string, string>();
  /** Frame id → task and frame, rebuilt at every stop. */
  private frames = new Map<number, { taskId: number; frame: FrameInfo }>();
  private nextFrameId = 1;
  private progressId = 0;
  private clientSupportsProgress = false;
  private initializedSent = false;
  private resolveLaunched: () => void = () => undefined;
  /** Settles once the first launch request has tried to load the trace. */
  private readonly launched = new Promise<void>((r) => (this.resolveLaunched = r));

  /** `access`: where traces come from (default: from disk through src/load, as the standalone adapter does). */
  constructor(access?: TraceAccess) {
    super();
    this.runtime = new ReplayRuntime(access);
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.resetConfigurationDone();

    this.runtime.on('stopped', (e) => {
      this.invalidateHandles();
      const ev: DebugProtocol.StoppedEvent = new StoppedEvent(e.reason, this.runtime.currentTask + 1);
      ev.body.allThreadsStopped = true;
      if (e.description) ev.body.description = e.description;
      if (e.finding) ev.body.text = e.finding.message;
      if (e.breakpointIds.length) ev.body.hitBreakpointIds = e.breakpointIds;
      this.sendEvent(ev);
      this.sendReplayState();
    });
    this.runtime.on('output', (e) => {
      const ev = new OutputEvent(e.text, e.category) as DebugProtocol.OutputEvent;
      if (e.line !== undefined && this.runtime.loaded) {
        ev.body.source = this.source();
        ev.body.line = this.toClientLine(e.line);
      }
      this.sendEvent(ev);
    });
    this.runtime.on('progress', (e) => {
      if (!this.clientSupportsProgress) return;
      const id = `locktrace-load-${this.progressId}`;
      if (e.phase === 'start') this.sendEvent(new ProgressStartEvent(`locktrace-load-${++this.progressId}`, 'Loading trace', e.message));
      else if (e.phase === 'update') {
        const ev: DebugProtocol.ProgressUpdateEvent = new ProgressUpdateEvent(id, e.message);
        if (e.percent !== undefined) ev.body.percentage = Math.round(e.percent);
        this.sendEvent(ev);
      } else this.sendEvent(new ProgressEndEvent(id, e.message));
    });
    this.runtime.on('end', () => this.sendEvent(new TerminatedEvent()));
  }

  // --- lines and sources: the one place that converts ----------------------------------

  private toClientLine(traceLine: number): number {
    return this.convertDebuggerLineToClient(traceLine);
  }

  private fromClientLine(line: number): number {
    return this.convertClientLineToDebugger(line);
  }

  private source(): Source {
    return new Source(path.basename(this.runtime.program), this.convertDebuggerPathToClient(this.runtime.program));
  }

  private isTraceSource(src: DebugProtocol.Source | undefined): boolean {
    if (!src?.path) return false;
    return path.resolve(this.convertClientPathToDebugger(src.path)) === this.runtime.program;
  }

  private fail(response: DebugProtocol.Response, id: ErrorId, message: string): void {
    this.sendErrorResponse(response, { id, format: '{_message}', variables: { _message: message }, showUser: id === ErrorId.Launch });
  }

  /** Runs a request handler that needs a loaded trace, turning exceptions into error responses. */
  private guarded(response: DebugProtocol.Response, fn: () => void): void {
    if (!this.runtime.loaded)
      return this.fail(response, ErrorId.NotLoaded, 'locktrace: no trace is loaded (the launch request failed or has not happened)');
    try {
      fn();
    } catch (e) {
      this.fail(response, ErrorId.Request, (e as Error).message);
    }
  }

  /** Execution requests: the response goes out before the runtime moves (its stopped event follows). */
  private answerThenMove(response: DebugProtocol.Response, move: () => void): void {
    this.guarded(response, () => {
      this.sendResponse(response);
      move();
    });
  }

  private resetConfigurationDone(): void {
    this.configurationDone = new Promise((r) => (this.resolveConfigurationDone = r));
  }

  private invalidateHandles(): void {
    this.varHandles.reset();
    this.frames.clear();
    this.nextFrameId = 1;
  }

  /** The body of the `locktraceState` event and request: the runtime's position copied into the protocol's own records, so only the protocol's fields leave the adapter. */
  private replayState(): ReplayStateBody {
    return encodeReplayState(this.runtime.state());
  }

  private sendReplayState(): void {
    this.sendEvent(new DapEvent(REPLAY_STATE_EVENT, this.replayState()));
  }

  // --- lifecycle ------------------------------------------------------------------------

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.clientSupportsProgress = args.supportsProgressReporting === true;
    response.body = {
      ...response.body,
      supportsConfigurationDoneRequest: true,
      supportsStepBack: true,
      supportsGotoTargetsRequest: true,
      supportsRestartRequest: true,
      supportsTerminateRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsFunctionBreakpoints: true,
      supportsDataBreakpoints: true,
      supportsEvaluateForHovers: true,
      supportsCompletionsRequest: true,
      completionTriggerCharacters: ['.', '('],
      supportsExceptionInfoRequest: true,
      supportsBreakpointLocationsRequest: true,
      supportsDelayedStackTraceLoading: false,
      exceptionBreakpointFilters: EXCEPTION_FILTERS,
    };
    this.sendResponse(response);
  }

  /**
   * The analysis the replay runs on, once the launch request has loaded the trace (undefined if it
   * failed). For the lock panel in the same extension host (inline adapter): it shares the
   * analysis read-only instead of reading and analysing the trace a second time.
   */
  async loadedAnalysis(): Promise<{ program: string; analysis: Analysis } | undefined> {
    await this.launched;
    return this.runtime.loaded ? { program: this.runtime.program, analysis: this.runtime.analysisView } : undefined;
  }

  /** The analysis the replay runs on now (it changes when a restart loads the trace again). */
  currentAnalysis(): Analysis | undefined {
    return this.runtime.loaded ? this.runtime.analysisView : undefined;
  }

  // The base class drops a handler's return value: launch and restart run async and turn an
  // unexpected rejection into an error response instead of an unhandled rejection.
  protected override launchRequest(response: DebugProtocol.LaunchResponse, raw: DebugProtocol.LaunchRequestArguments): void {
    this.launch(response, raw).catch((e: unknown) =>
      this.fail(response, ErrorId.Launch, `locktrace: launch failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  private async launch(response: DebugProtocol.LaunchResponse, raw: DebugProtocol.LaunchRequestArguments): Promise<void> {
    const checked = validateLaunchArguments(raw as Record<string, unknown> | undefined);
    if ('error' in checked) {
      this.resolveLaunched();
      return this.fail(response, ErrorId.Launch, checked.error);
    }
    try {
      await this.runtime.load(checked.args);
    } catch (e) {
      return this.fail(response, ErrorId.Launch, `locktrace: cannot replay ${checked.args.program}: ${(e as Error).message}`);
    } finally {
      this.resolveLaunched();
    }
    // a failed launch leaves the session without a trace; a later launch may still succeed
    this.launchArgs = checked.args;
    // configuration requests (breakpoints) come after `initialized`: the trace is loaded by then,
    // so every breakpoint is verified against real event lines.
    if (!this.initializedSent) {
      this.initializedSent = true;
      this.sendEvent(new InitializedEvent());
      await Promise.race([this.configurationDone, new Promise((r) => setTimeout(r, 5000))]);
    }
    this.sendResponse(response);
    this.runtime.start(checked.args.stopOnEntry === true);
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.resolveConfigurationDone();
    this.sendResponse(response);
  }

  protected override restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): void {
    this.restart(response, args).catch((e: unknown) =>
      this.fail(response, ErrorId.Launch, `locktrace: restart failed: ${e instanceof Error ? e.message : String(e)}`),
    );
  }

  private async restart(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): Promise<void> {
    if (!this.launchArgs) return this.fail(response, ErrorId.NotLoaded, 'locktrace: nothing to restart');
    const raw = (args.arguments as Record<string, unknown> | undefined) ?? { ...this.launchArgs };
    const checked = validateLaunchArguments(raw);
    if ('error' in checked) return this.fail(response, ErrorId.Launch, checked.error);
    try {
      this.runtime.stopRunning();
      await this.runtime.load(checked.args);
    } catch (e) {
      return this.fail(response, ErrorId.Launch, `locktrace: cannot replay ${checked.args.program}: ${(e as Error).message}`);
    }
    this.launchArgs = checked.args;
    this.sendResponse(response);
    this.runtime.start(checked.args.stopOnEntry === true);
  }

  protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
    this.runtime.stopRunning();
    this.sendResponse(response);
    this.sendEvent(new TerminatedEvent());
  }

  protected override disconnectRequest(
    response: DebugProtocol.DisconnectResponse,
    args: DebugProtocol.DisconnectArguments,
    request?: DebugProtocol.Request,
  ): void {
    this.runtime.stopRunning();
    super.disconnectRequest(response, args, request);
  }

  // --- breakpoints -----------------------------------------------------------------------

  private toDapBreakpoint(r: BreakpointResult): DebugProtocol.Breakpoint {
    const bp = new Breakpoint(r.verified) as DebugProtocol.Breakpoint;
    bp.id = r.id;
    if (r.line !== undefined) {
      bp.line = this.toClientLine(r.line);
      bp.source = this.source();
    }
    if (r.message) bp.message = r.message;
    return bp;
  }

  protected override setBreakPointsRequest(
    response: DebugProtocol.SetBreakpointsResponse,
    args: DebugProtocol.SetBreakpointsArguments,
  ): void {
    this.guarded(response, () => {
      const reqs: DebugProtocol.SourceBreakpoint[] = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
      if (!this.isTraceSource(args.source)) {
        response.body = { breakpoints: reqs.map(() => ({ verified: false, message: 'not the trace being replayed' })) };
        return this.sendResponse(response);
      }
      const results = this.runtime.setLineBreakpoints(
        reqs.map((b) => ({
          line: this.fromClientLine(b.line),
          condition: b.condition,
          hitCondition: b.hitCondition,
          logMessage: b.logMessage,
        })),
      );
      response.body = { breakpoints: results.map((r) => this.toDapBreakpoint(r)) };
      this.sendResponse(response);
    });
  }

  protected override breakpointLocationsRequest(
    response: DebugProtocol.BreakpointLocationsResponse,
    args: DebugProtocol.BreakpointLocationsArguments,
  ): void {
    this.guarded(response, () => {
      const s = this.runtime.store;
      const first = this.fromClientLine(args.line);
      const last = this.fromClientLine(args.endLine ?? args.line);
      const out: DebugProtocol.BreakpointLocation[] = [];
      if (this.isTraceSource(args.source)) {
        for (let i = s.eventAtOrAfterLine(first); i >= 0 && i < s.length && s.line[i] <= last; i++) {
          if (i === 0 || s.line[i - 1] !== s.line[i]) out.push({ line: this.toClientLine(s.line[i]) });
        }
      }
      response.body = { breakpoints: out };
      this.sendResponse(response);
    });
  }

  protected override setFunctionBreakPointsRequest(
    response: DebugProtocol.SetFunctionBreakpointsResponse,
    args: DebugProtocol.SetFunctionBreakpointsArguments,
  ): void {
    this.setNamedBreakpoints(
      response,
      args.breakpoints,
      (b) => b.name,
      (specs) => this.runtime.setFunctionBreakpoints(specs),
    );
  }

  /** Function and data breakpoints: a named target each (a function, a lock), with the same conditions, answered alike. */
  private setNamedBreakpoints<B extends { condition?: string; hitCondition?: string }>(
    response: DebugProtocol.SetFunctionBreakpointsResponse | DebugProtocol.SetDataBreakpointsResponse,
    breakpoints: B[],
    nameOf: (b: B) => string,
    set: (specs: NamedBreakpointSpec[]) => BreakpointResult[],
  ): void {
    this.guarded(response, () => {
      const results = set(breakpoints.map((b) => ({ name: nameOf(b), condition: b.condition, hitCondition: b.hitCondition })));
      response.body = { breakpoints: results.map((r) => this.toDapBreakpoint(r)) };
      this.sendResponse(response);
    });
  }

  protected override setExceptionBreakPointsRequest(
    response: DebugProtocol.SetExceptionBreakpointsResponse,
    args: DebugProtocol.SetExceptionBreakpointsArguments,
  ): void {
    const kinds = [...args.filters, ...(args.filterOptions ?? []).map((o) => o.filterId)];
    this.runtime.setExceptionFilters(kinds);
    response.body = { breakpoints: kinds.map(() => ({ verified: true })) };
    this.sendResponse(response);
  }

  protected override dataBreakpointInfoRequest(
    response: DebugProtocol.DataBreakpointInfoResponse,
    args: DebugProtocol.DataBreakpointInfoArguments,
  ): void {
    this.guarded(response, () => {
      let info: { dataId: string; description: string } | null = null;
      if (args.variablesReference !== undefined && args.variablesReference > 0) {
        const id = this.dataIds.get(`${args.variablesReference}\u0000${args.name}`);
        if (id) info = this.runtime.dataBreakpointInfo(id);
      } else info = this.runtime.dataBreakpointInfo(args.name);
      response.body = info
        ? { dataId: info.dataId, description: info.description, accessTypes: ['readWrite'], canPersist: true }
        : { dataId: null, description: `${args.name} is not a lock class or lock address` };
      this.sendResponse(response);
    });
  }

  protected override setDataBreakpointsRequest(
    response: DebugProtocol.SetDataBreakpointsResponse,
    args: DebugProtocol.SetDataBreakpointsArguments,
  ): void {
    this.setNamedBreakpoints(
      response,
      args.breakpoints,
      (b) => b.dataId,
      (specs) => this.runtime.setDataBreakpoints(specs),
    );
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse): void {
    this.guarded(response, () => {
      const info = this.runtime.exceptionInfo();
      if (!info) return this.fail(response, ErrorId.Request, 'not stopped on a finding');
      response.body = {
        exceptionId: info.id,
        description: info.description,
        breakMode: 'always',
        // VS Code's exception widget shows the description, then stackTrace: do not repeat the first line
        details: {
          message: info.details,
          typeName: info.id,
          stackTrace: info.details.startsWith(info.description)
            ? info.details.slice(info.description.length).replace(/^\n+/, '')
            : info.details,
        },
      };
      this.sendResponse(response);
    });
  }

  // --- threads, stacks, variables --------------------------------------------------------

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    if (!this.runtime.loaded) {
      response.body = { threads: [] };
      return this.sendResponse(response);
    }
    response.body = { threads: this.runtime.threads().map((t) => new Thread(t.taskId + 1, t.name)) };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    this.guarded(response, () => {
      const taskId = args.threadId - 1;
      const all = this.runtime.frames(taskId).slice(0, MAX_FRAMES_PER_TASK);
      const start = args.startFrame ?? 0;
      const count = args.levels && args.levels > 0 ? args.levels : all.length;
      const shown = all.slice(start, start + count);
      const send = (sources: (SourceLocation | undefined)[]) => {
        const src = this.source();
        const frames = shown.map((f, k) => {
          const id = this.nextFrameId++;
          this.frames.set(id, { taskId, frame: f });
          // a kernel log's frame opens its source when the extension found it, else its line in the log
          const at = sources[k];
          const sf: DebugProtocol.StackFrame = at
            ? new StackFrame(
                id,
                f.name,
                new Source(path.basename(at.path), this.convertDebuggerPathToClient(at.path)),
                this.toClientLine(at.line),
              )
            : new StackFrame(id, f.name, src, this.toClientLine(f.line), this.convertDebuggerColumnToClient(1));
          if (f.hint) sf.presentationHint = f.hint;
          else if (f.subtle) sf.presentationHint = 'subtle';
          else if (f.kind !== 'event') sf.presentationHint = 'normal';
          return sf;
        });
        response.body = { stackFrames: frames, totalFrames: all.length };
        this.sendResponse(response);
      };
      const logFrames = shown.filter((f) => f.frame);
      if (logFrames.length === 0) return send([]);
      // the log frames' sources (a kernel tree, debug info) come from the TraceAccess, asynchronously
      void this.runtime.resolveFrames(logFrames.map((f) => f.frame as LogStackFrame)).then(
        (found) => {
          let k = 0;
          send(shown.map((f) => (f.frame ? found[k++] : undefined)));
        },
        () => send([]),
      );
    });
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    this.guarded(response, () => {
      const f = this.frames.get(args.frameId);
      if (!f) return this.fail(response, ErrorId.Request, `unknown frame ${args.frameId} (stale after a step?)`);
      response.body = {
        scopes: this.runtime.scopes(f.taskId, f.frame).map((s) => {
          const scope = new Scope(s.name, this.varHandles.create(s.children), false) as DebugProtocol.Scope;
          if (s.name === 'Held locks') scope.presentationHint = 'locals';
          return scope;
        }),
      };
      this.sendResponse(response);
    });
  }

  private toDapVariable(ref: number, n: VarNode): DebugProtocol.Variable {
    if (n.dataId) this.dataIds.set(`${ref}\u0000${n.name}`, n.dataId);
    return {
      name: n.name,
      value: n.value,
      type: n.type,
      evaluateName: n.evaluateName,
      variablesReference: n.children ? this.varHandles.create(n.children) : 0,
    };
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    this.guarded(response, () => {
      const children = this.varHandles.get(args.variablesReference);
      let nodes = children ? children() : [];
      if (args.start !== undefined || args.count !== undefined)
        nodes = nodes.slice(args.start ?? 0, (args.start ?? 0) + (args.count ?? nodes.length));
      response.body = { variables: nodes.map((n) => this.toDapVariable(args.variablesReference, n)) };
      this.sendResponse(response);
    });
  }

  // --- execution -------------------------------------------------------------------------

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.guarded(response, () => {
      response.body = { allThreadsContinued: true };
      this.sendResponse(response);
      this.runtime.continue();
    });
  }

  protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
    this.answerThenMove(response, () => this.runtime.reverseContinue());
  }

  protected override nextRequest(response: DebugProtocol.NextResponse): void {
    this.answerThenMove(response, () => this.runtime.next());
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
    this.answerThenMove(response, () => this.runtime.stepIn());
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
    this.answerThenMove(response, () => this.runtime.stepOut());
  }

  protected override stepBackRequest(response: DebugProtocol.StepBackResponse): void {
    this.answerThenMove(response, () => this.runtime.stepBack());
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.sendResponse(response);
    this.runtime.pause();
  }

  protected override gotoTargetsRequest(response: DebugProtocol.GotoTargetsResponse, args: DebugProtocol.GotoTargetsArguments): void {
    this.guarded(response, () => {
      if (!this.isTraceSource(args.source)) return this.fail(response, ErrorId.Goto, 'goto: not the trace being replayed');
      const i = this.runtime.gotoTarget(this.fromClientLine(args.line));
      if (i < 0) {
        response.body = { targets: [] };
        return this.sendResponse(response);
      }
      const line = this.runtime.store.line[i];
      response.body = { targets: [{ id: i + 1, label: `line ${line}: ${this.runtime.describeEvent(i)}`, line: this.toClientLine(line) }] };
      this.sendResponse(response);
    });
  }

  protected override gotoRequest(response: DebugProtocol.GotoResponse, args: DebugProtocol.GotoArguments): void {
    this.guarded(response, () => {
      const i = args.targetId - 1;
      if (i < 0 || i >= this.runtime.store.length) return this.fail(response, ErrorId.Goto, `goto: no event ${i}`);
      this.sendResponse(response);
      this.runtime.goto(i);
    });
  }

  // --- evaluate and completions ----------------------------------------------------------

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    this.guarded(response, () => {
      const taskId = args.frameId !== undefined ? this.frames.get(args.frameId)?.taskId : undefined;
      try {
        const r = this.runtime.evaluate(args.expression, taskId);
        const ref = r.node.children ? this.varHandles.create(r.node.children) : 0;
        response.body = { result: r.text, type: r.node.type, variablesReference: ref };
        this.sendResponse(response);
      } catch (e) {
        // hovers over words that are not names should stay quiet, not show an error
        this.fail(response, ErrorId.Evaluate, (e as Error).message);
      }
    });
  }

  protected override completionsRequest(response: DebugProtocol.CompletionsResponse, args: DebugProtocol.CompletionsArguments): void {
    this.guarded(response, () => {
      // `column` is in UTF-16 code units, 1-based unless the client said otherwise.
      const col = this.convertClientColumnToDebugger(args.column) - 1;
      const line = args.line && args.line > 1 ? (args.text.split('\n')[args.line - 1] ?? '') : args.text.split('\n')[0];
      const { start, items } = this.runtime.completions(line, col);
      response.body = {
        targets: items.map((it) => ({ label: it.label, type: it.type, detail: it.detail, start: start, length: col - start })),
      };
      this.sendResponse(response);
    });
  }

  // --- custom requests: the lock panel's protocol (src/protocol/replayState.ts) -----------

  protected override customRequest(command: string, response: DebugProtocol.Response, args: unknown): void {
    if (command === REPLAY_STATE_EVENT) {
      return this.guarded(response, () => {
        response.body = this.replayState();
        this.sendResponse(response);
      });
    }
    if (command === SEEK_REQUEST) {
      return this.guarded(response, () => {
        const a = (args ?? {}) as SeekArguments;
        let i: number;
        if (typeof a.index === 'number') i = a.index;
        else if (typeof a.line === 'number') i = this.runtime.gotoTarget(a.line);
        else return this.fail(response, ErrorId.Request, `${SEEK_REQUEST}: give "index" or "line"`);
        if (i < 0 || i >= this.runtime.store.length)
          return this.fail(response, ErrorId.Request, `${SEEK_REQUEST}: no event at ${JSON.stringify(a)}`);
        // the stopped event (and the state event) go out first so the UI and the panel agree
        this.runtime.goto(i);
        response.body = this.replayState();
        this.sendResponse(response);
      });
    }
    super.customRequest(command, response, args);
  }
}

// Moving through the replay: the current event, steps (next event of the task or of any task,
// step out of a syscall, step back), runs forwards and backwards to the next breakpoint or finding
// (yielding every few thousand events so pause works), goto, pause. In a kernel log a step goes to
// the next stop of the report (title, each `-> #N` edge, held lists, the reporting task last:
// kernelLogSteps), whichever pseudo-task it belongs to, and step out to the reporting task's state.

import { lastStepOfReport, nextStep, prevStep } from '../../core/kernelLog';
import type { Breakpoints } from './breakpoints';
import type { StopEvent, StopReason } from './events';
import type { LoadedTrace } from './loading';

/** What execution needs from the runtime. */
export interface ExecutionHost {
  /** The loaded trace (runs only happen after a load). */
  trace(): LoadedTrace;
  readonly breakpoints: Breakpoints;
  stopped(e: StopEvent): void;
  end(e: { index: number }): void;
}

export class Execution {
  /** Current event; the state includes its effect. */
  index = 0;
  lastStop: StopEvent | null = null;
  running = false;
  private runToken = 0;
  private pauseRequested = false;

  constructor(private readonly host: ExecutionHost) {}

  /** Back to the first event, without a stop (a new trace was loaded). */
  reset(): void {
    this.index = 0;
    this.lastStop = null;
  }

  /** After launch: stop on the first event, or run to the first stop. */
  start(stopOnEntry: boolean): void {
    const t = this.host.trace();
    if (stopOnEntry) {
      const first = t.inFilter(0) ? 0 : t.replay.findForward(0, (i) => t.inFilter(i));
      this.stop({ reason: 'entry', index: Math.max(0, first), breakpointIds: [] });
    } else void this.run(1, 0);
  }

  continue(): void {
    void this.run(1, this.index + 1);
  }

  reverseContinue(): void {
    void this.run(-1, this.index - 1);
  }

  /** Next event of the current task (a kernel log: the next stop of the report). */
  next(): void {
    if (this.host.trace().steps) return this.stepLog(1);
    const i = this.host.trace().replay.nextOfTask(this.index);
    if (i < 0) this.stop({ reason: 'step', index: this.index, description: 'no later event of this task', breakpointIds: [] });
    else this.stop({ reason: 'step', index: i, breakpointIds: [] });
  }

  /** Next event of any task (in the task filter). */
  stepIn(): void {
    if (this.host.trace().steps) return this.stepLog(1);
    const t = this.host.trace();
    const i = t.replay.findForward(this.index, (k) => t.inFilter(k));
    if (i < 0) this.stop({ reason: 'step', index: this.index, description: 'end of trace', breakpointIds: [] });
    else this.stop({ reason: 'step', index: i, breakpointIds: [] });
  }

  /** To the exit of the current syscall (or the release of the innermost lock); breakpoints on the way stop it. */
  stepOut(): void {
    const t = this.host.trace();
    if (t.steps) {
      const last = lastStepOfReport(t.store, t.steps, this.index);
      return last < 0 ? this.stepLog(1) : this.stop({ reason: 'step', index: last, breakpointIds: [] });
    }
    const target = this.host.trace().replay.stepOutTarget(this.index);
    if (target < 0) return this.next();
    void this.run(1, this.index + 1, target);
  }

  /** Previous event of the current task (a kernel log: the previous stop). */
  stepBack(): void {
    if (this.host.trace().steps) return this.stepLog(-1);
    const i = this.host.trace().replay.prevOfTask(this.index);
    if (i < 0) this.stop({ reason: 'step', index: this.index, description: 'no earlier event of this task', breakpointIds: [] });
    else this.stop({ reason: 'step', index: i, breakpointIds: [] });
  }

  /** A kernel log's next or previous stop (in the task filter). */
  private stepLog(dir: 1 | -1): void {
    const t = this.host.trace();
    const steps = t.steps as Int32Array;
    let i = this.index;
    do i = dir === 1 ? nextStep(steps, i) : prevStep(steps, i);
    while (i >= 0 && !t.inFilter(i));
    if (i < 0)
      this.stop({
        reason: 'step',
        index: this.index,
        description: dir === 1 ? 'end of the log' : 'beginning of the log',
        breakpointIds: [],
      });
    else this.stop({ reason: 'step', index: i, breakpointIds: [] });
  }

  goto(index: number, reason: StopReason = 'goto'): void {
    this.stopRunning();
    this.stop({ reason, index: Math.max(0, Math.min(index, this.host.trace().store.length - 1)), breakpointIds: [] });
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
    const t = this.host.trace();
    const i = t.store.eventAtOrAfterLine(line);
    // a kernel log: the first stop there (a `-> #N` line's edge, not the Derived hold of its `from` lock)
    if (i >= 0 && t.steps) {
      const k = nextStep(t.steps, i - 1);
      return k >= 0 && t.store.line[k] === t.store.line[i] ? k : i;
    }
    return i;
  }

  private stop(e: StopEvent): void {
    this.running = false;
    this.index = e.index;
    this.lastStop = e;
    this.host.stopped(e);
  }

  private ended(n: number): void {
    this.running = false;
    this.index = n - 1;
    this.host.end({ index: n - 1 });
  }

  /** Scans from `from` in direction `dir` until a stop, `target`, or the end. Yields every few thousand events. */
  private async run(dir: 1 | -1, from: number, target = -1): Promise<void> {
    const token = ++this.runToken;
    this.running = true;
    this.pauseRequested = false;
    const bps = this.host.breakpoints;
    const n = this.host.trace().store.length;
    if (bps.none) return this.runBetweenFindings(dir, from, target);
    let i = from;
    while (i >= 0 && i < n) {
      for (let c = 0; c < 20000 && i >= 0 && i < n; c++, i += dir) {
        const hit = bps.check(i);
        if (hit) return this.stop(hit);
        if (i === target) return this.stop({ reason: 'step', index: i, breakpointIds: [] });
      }
      await new Promise((r) => setImmediate(r));
      if (token !== this.runToken) return;
      if (this.pauseRequested) return this.stop({ reason: 'pause', index: Math.max(0, Math.min(n - 1, i - dir)), breakpointIds: [] });
    }
    if (dir === 1) this.ended(n);
    else this.stop({ reason: 'entry', index: 0, description: 'beginning of trace', breakpointIds: [] });
  }

  /**
   * With no breakpoints only findings (and the step-out target) can stop a run: jump from finding
   * to finding through the replay's sorted index instead of checking every event, so continue and
   * reverse-continue cost the same on a 10M-event trace as on a small one.
   */
  private runBetweenFindings(dir: 1 | -1, from: number, target: number): void {
    const replay = this.host.trace().replay;
    const n = this.host.trace().store.length;
    let k = from - dir;
    for (;;) {
      const f = dir === 1 ? replay.nextFinding(k) : replay.prevFinding(k);
      const pastTarget = target >= 0 && (f < 0 || (dir === 1 ? target < f : target > f));
      if (pastTarget) return this.stop({ reason: 'step', index: target, breakpointIds: [] });
      if (f < 0) break;
      const hit = this.host.breakpoints.check(f);
      if (hit) return this.stop(hit);
      k = f;
    }
    if (dir === 1) this.ended(n);
    else this.stop({ reason: 'entry', index: 0, description: 'beginning of trace', breakpointIds: [] });
  }
}

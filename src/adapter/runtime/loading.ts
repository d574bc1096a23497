// Loading a trace for the replay: where the analysis comes from (TraceAccess, injected like
// mock-debug's FileAccessor: the standalone adapter loads through src/load, the inline adapter in VS
// Code reuses the extension's analysis, tests can feed their own), and the LoadedTrace every other
// part of the runtime reads: the analysis, its replay engine, findings by event, the task filter,
// the raw text of a line, and lookups of locks, classes and syscalls by name.

import * as fs from 'fs';
import { Analysis, EventKind, EventStore, Finding, Replay, StackFrame, normalizeAddress } from '../../core';
import { kernelEventLabel, kernelLogSteps } from '../../core/kernelLog';
import { findSuppressionsFile, loadAnalysis, readSuppressions } from '../../load';
import type { LaunchArguments } from '../launchArgs';

export interface TraceLoadHooks {
  signal?: AbortSignal;
  /** Progress of the load (`percent` 0..100 when known). */
  onProgress?: (p: { message: string; percent?: number }) => void;
}

/** A place in a source file: an absolute path and a 1-based line. */
export interface SourceLocation {
  path: string;
  line: number;
}

/** How the runtime gets a trace and reads its lines. */
export interface TraceAccess {
  /**
   * The analysis of the launch's trace, its `findings` being those to report (finding kinds and
   * suppressions applied). Throws with a message meant for the user when it cannot.
   */
  loadAnalysis(args: LaunchArguments, hooks: TraceLoadHooks): Promise<Analysis>;
  /** The raw text of the trace from byte `offset` to the end of that line. */
  readLine(program: string, offset: number): string;
  /**
   * Kernel logs: where the log's stack frames are in source (a kernel tree, debug info), one entry
   * per frame, undefined where unknown. Optional: without it frames show their line in the log.
   */
  resolveFrames?(program: string, frames: readonly StackFrame[]): Promise<(SourceLocation | undefined)[]>;
}

/**
 * The trace straight from disk through the loading layer, with the CLI's suppression file lookup
 * (`.locktrace.json` next to the trace, else in the current directory).
 */
export const nodeTraceAccess: TraceAccess = {
  async loadAnalysis(args, hooks) {
    const supFile = findSuppressionsFile(args.program);
    return loadAnalysis(
      args.program,
      { format: args.format, readLocks: args.readLocks, suppressions: supFile ? readSuppressions(supFile, args.program) : undefined },
      {
        signal: hooks.signal,
        onProgress: (p) =>
          hooks.onProgress?.({
            message: p.phase === 'reading' ? `Reading: ${Math.round(2 * p.percent)}%` : `Analyzing: ${Math.round(2 * (p.percent - 50))}%`,
            percent: p.percent,
          }),
      },
    );
  },
  readLine(program, offset) {
    const fd = fs.openSync(program, 'r');
    try {
      const buf = Buffer.alloc(8192);
      const n = fs.readSync(fd, buf, 0, buf.length, offset);
      let text = buf.subarray(0, n).toString('utf8');
      const nl = text.indexOf('\n');
      if (nl >= 0) text = text.slice(0, nl);
      else if (n === buf.length) text += '…';
      return text.replace(/\r$/, '');
    } finally {
      fs.closeSync(fd);
    }
  },
};

/** A trace ready to replay: the analysis and what the runtime looks up in it. */
export class LoadedTrace {
  readonly replay: Replay;
  /** Findings by the event where they show up. */
  readonly findingsAt = new Map<number, Finding[]>();
  /** Kernel logs: the events steps stop at (kernelLogSteps); null for traces. */
  readonly steps: Int32Array | null;

  private constructor(
    readonly analysis: Analysis,
    readonly args: LaunchArguments,
    /** Tasks whose events stop a run (`task` launch argument); null: every task. */
    readonly taskFilter: Set<number> | null,
    private readonly access: TraceAccess,
  ) {
    this.replay = new Replay(analysis);
    this.steps = analysis.store.kernelLog ? kernelLogSteps(analysis.store) : null;
    for (const f of analysis.findings) {
      const l = this.findingsAt.get(f.eventIndex);
      if (l) l.push(f);
      else this.findingsAt.set(f.eventIndex, [f]);
    }
  }

  /** Loads the launch's trace; throws with a user-facing message when it cannot. */
  static async open(access: TraceAccess, args: LaunchArguments, hooks: TraceLoadHooks = {}): Promise<LoadedTrace> {
    const analysis = await access.loadAnalysis(args, hooks);
    const store = analysis.store;
    if (store.length === 0) throw new Error(`${args.program}: no events in this trace`);
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
    return new LoadedTrace(analysis, args, filter, access);
  }

  get store(): EventStore {
    return this.analysis.store;
  }

  get program(): string {
    return this.args.program;
  }

  /** Whether event i belongs to a task the launch asked to stop on. */
  inFilter(i: number): boolean {
    return this.taskFilter === null || this.taskFilter.has(this.store.task[i]);
  }

  /** The raw text of an event's line. */
  readLine(i: number): string {
    try {
      return this.access.readLine(this.program, this.store.offset[i]);
    } catch (e) {
      return `<cannot read line ${this.store.line[i]}: ${(e as Error).message}>`;
    }
  }

  /** Where the log's frames are in source (kernel logs; [] when the access cannot tell). */
  async resolveFrames(frames: readonly StackFrame[]): Promise<(SourceLocation | undefined)[]> {
    if (!this.access.resolveFrames || frames.length === 0) return [];
    try {
      return await this.access.resolveFrames(this.program, frames);
    } catch {
      return [];
    }
  }

  /**
   * One-line description of an event: `acquire sb_writers`, `syscall exit io_submit = 1`; for a
   * kernel log what the log says (`-> #1 takes &dev->b_lock in syscall ioctl`).
   */
  describeEvent(i: number): string {
    const s = this.store;
    if (s.kernelLog) return kernelEventLabel(s, i) ?? 'event';
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

  /**
   * A lock by address as the trace prints it or as locktrace shows it: `000000008a1c55e2`
   * (ftrace's %p), `0xffff888100100040`, `0x8a1c55e2` are one key. Short hex-looking words
   * (`2102`) are not taken for addresses unless they start with 0x.
   */
  lockIdOf(text: string): number | undefined {
    const s = this.store;
    const exact = s.lockByKeyLookup(text);
    if (exact !== undefined) return exact;
    return /^(0x[0-9a-f]+|[0-9a-f]{8,})$/i.test(text) ? s.lockByKeyLookup(normalizeAddress(text)) : undefined;
  }

  /** Whether a name id is a syscall some task entered. */
  isSyscallName(nameId: number): boolean {
    const s = this.store;
    for (let i = 0; i < s.length; i++) if (s.kind[i] === EventKind.SysEnter && s.ref[i] === nameId) return true;
    return false;
  }
}

export function isLockEvent(kind: EventKind): boolean {
  return kind >= EventKind.Acquire && kind <= EventKind.ContentionEnd;
}

export function isLockChange(kind: EventKind): boolean {
  return kind === EventKind.Acquire || kind === EventKind.Acquired || kind === EventKind.Release || kind === EventKind.AcquireFailed;
}

export function firstLine(s: string): string {
  const nl = s.indexOf('\n');
  return nl < 0 ? s : s.slice(0, nl);
}

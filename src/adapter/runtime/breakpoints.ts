// Breakpoints of the replay: line breakpoints (bound to the event at or after the line), function
// breakpoints (`lock:CLASS`, `syscall:NAME`), data breakpoints (a lock or every lock of a class
// changing hands), exception breakpoints (finding kinds), with conditions, hit counts and
// logpoints. `check` decides whether one event stops a run.

import { EventKind, FINDING_KINDS, FindingKind } from '../../core';
import { Env, Node, evaluateNode, interpolate, parseExpr, parseHitCondition, truthy } from '../expr';
import type { OutputEvent, StopEvent, StopReason } from './events';
import { LoadedTrace, firstLine, isLockChange } from './loading';

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

/** What breakpoints need from the runtime: where to print, and the names a condition can use at an event. */
export interface BreakpointHost {
  output(e: OutputEvent): void;
  /** Names and functions for a condition or logpoint at event `ev` of task `taskId`. */
  env(ev: number, taskId: number, at: number): Env;
}

export class Breakpoints {
  private trace: LoadedTrace | undefined;
  private nextBpId = 1;
  private lineBps: LineBp[] = [];
  private lineBpsByLine = new Map<number, LineBp[]>();
  private fnBps: NamedBp[] = [];
  private dataBps: NamedBp[] = [];
  private exceptionKinds = new Set<FindingKind>(['inversion']);

  constructor(private readonly host: BreakpointHost) {}

  /** Binds every breakpoint to a (new) trace. */
  bind(trace: LoadedTrace): void {
    this.trace = trace;
    this.resolve();
  }

  /** Hit counts start again (breakpoints are kept). */
  resetHits(): void {
    for (const b of [...this.lineBps, ...this.fnBps, ...this.dataBps]) b.hits = 0;
  }

  /** No line, function or data breakpoint is set (only findings can stop a run). */
  get none(): boolean {
    return this.lineBpsByLine.size === 0 && this.fnBps.length === 0 && this.dataBps.length === 0;
  }

  setLine(specs: LineBreakpointSpec[]): BreakpointResult[] {
    this.lineBps = specs.map((spec) => ({ ...this.newBp(spec), requested: spec.line, line: spec.line }));
    this.resolve();
    return this.lineBps.map((b) => this.result(b, b.verified ? b.line : b.requested));
  }

  setFunction(specs: NamedBreakpointSpec[]): BreakpointResult[] {
    this.fnBps = specs.map((spec) => ({ ...this.newBp(spec), name: spec.name }));
    this.resolve();
    return this.fnBps.map((b) => this.result(b));
  }

  setData(specs: NamedBreakpointSpec[]): BreakpointResult[] {
    this.dataBps = specs.map((spec) => ({ ...this.newBp(spec), name: spec.name }));
    this.resolve();
    return this.dataBps.map((b) => this.result(b));
  }

  /** Unknown kinds are ignored. */
  setExceptionFilters(kinds: string[]): void {
    this.exceptionKinds = new Set(kinds.filter((k): k is FindingKind => (FINDING_KINDS as readonly string[]).includes(k)));
  }

  /** Data breakpoint info for a lock class or lock address named in an expression or a variable. */
  dataBreakpointInfo(trace: LoadedTrace, name: string): { dataId: string; description: string } | null {
    const s = trace.store;
    const text = name.trim();
    if (/^(lock|class):/.test(text)) return lookupTarget(trace, text, 'data') ? { dataId: text, description: text } : null;
    if (s.classes.lookup(text) !== undefined)
      return { dataId: dataIdFor('class', text), description: `lock class ${text} (acquired or released)` };
    const lockId = trace.lockIdOf(text);
    if (lockId !== undefined)
      return { dataId: dataIdFor('lock', s.locks[lockId].key), description: `lock ${s.locks[lockId].key} (acquired or released)` };
    return null;
  }

  /** Whether event i stops a run (counting hits and printing logpoints on the way). */
  check(i: number): StopEvent | null {
    const trace = this.trace;
    if (!trace || !trace.inFilter(i)) return null;
    const s = trace.store;
    const found = trace.findingsAt.get(i);
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

  private resolve(): void {
    const trace = this.trace;
    if (!trace) return;
    const s = trace.store;
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
        b.target = lookupTarget(trace, b.name, what) ?? undefined;
        b.verified = err === null && b.target !== undefined;
        b.message = err ?? (b.target ? undefined : unknownTargetMessage(b.name, what));
      }
    }
  }

  /** Condition, hit count and logpoint of one breakpoint at event i; true when it stops. */
  private hit(b: Bp, i: number): boolean {
    const s = this.trace!.store;
    if (b.condition) {
      let ok: boolean;
      try {
        ok = truthy(evaluateNode(b.condition, this.host.env(i, s.task[i], i)));
      } catch (e) {
        // a condition that cannot be evaluated stops, so the user sees why
        this.host.output({
          text: `line ${s.line[i]}: breakpoint condition ${JSON.stringify(b.spec.condition)}: ${(e as Error).message}\n`,
          index: i,
          line: s.line[i],
          category: 'stderr',
        });
        ok = true;
      }
      if (!ok) return false;
    }
    b.hits++;
    if (b.hit && !b.hit(b.hits)) return false;
    if (b.spec.logMessage !== undefined) {
      const text = interpolate(b.spec.logMessage, this.host.env(i, s.task[i], i));
      this.host.output({ text: `${text}\n`, index: i, line: s.line[i], category: 'console' });
      return false;
    }
    return true;
  }
}

function lookupTarget(trace: LoadedTrace, name: string, what: 'function' | 'data'): Target | null {
  const s = trace.store;
  const m = /^(lock|class|syscall):(.*)$/.exec(name.trim());
  const prefix = m ? m[1] : null;
  const rest = (m ? m[2] : name).trim();
  if (what === 'data') {
    if (prefix === 'lock') {
      const id = trace.lockIdOf(rest);
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
    if (id !== undefined && trace.isSyscallName(id)) return { kind: 'syscall', id };
  }
  return null;
}

function unknownTargetMessage(name: string, what: 'function' | 'data'): string {
  return what === 'function'
    ? `no lock class or syscall ${JSON.stringify(name)} in this trace (use lock:CLASS or syscall:NAME)`
    : `no lock class or lock address ${JSON.stringify(name)} in this trace`;
}

// The Analysis of a kernel log: one finding per report (identical reports grouped), each chain
// edge with the context its stack shows, the syscall-order / in-kernel classification from what
// the log says about locks held across a return to user space, one lock graph for every report of
// the log, and replay checkpoints over the log's synthetic events (docs/kernel-logs.md).

import Graph from 'graphology';
import type { Analysis, AnalyzeOptions, EdgeAttributes, LockGraph, NodeAttributes } from '../analysis/analyzer';
import { componentsOfGraph } from '../analysis/lockGraph';
import { LockState } from '../analysis/state';
import { EventStore } from '../store';
import {
  EdgeOrigin,
  EventFlag,
  EventKind,
  ExecContext,
  FINDING_KINDS,
  Finding,
  FindingKind,
  HeldLockRecord,
  LockUsage,
  RelatedLine,
  StackFrame,
  dedupeRelated,
} from '../types';
import { acquisitionSite, contextOfStack, frameLabel } from './context';
import { KernelLockRef, KernelLog, KernelReport } from './model';

/** Where each report's events are in the store. */
interface ReportEvents {
  title: number;
  acquire: number;
  edges: Map<number, number>;
  edgeFrom: Map<number, number>;
  /** Event of each held-list entry, by its line. */
  held: Map<number, number>;
  usages: Map<number, number>;
}

function indexEvents(log: KernelLog): ReportEvents[] {
  const out: ReportEvents[] = log.reports.map(() => ({
    title: -1,
    acquire: -1,
    edges: new Map(),
    edgeFrom: new Map(),
    held: new Map(),
    usages: new Map(),
  }));
  log.events.forEach((e, i) => {
    const r = out[e.report];
    switch (e.role) {
      case 'title':
        r.title = i;
        break;
      case 'edge':
        r.edges.set(e.edge ?? 0, i);
        break;
      case 'edge-from':
        r.edgeFrom.set(e.edge ?? 0, i);
        break;
      case 'held':
        break;
      case 'usage':
        break;
      case 'end':
        break;
      default:
        r.acquire = i;
    }
  });
  return out;
}

const syscallOf = (c: ExecContext | undefined): string | null =>
  c && (c.kind === 'syscall' || c.kind === 'fault') ? (c.syscall ?? null) : null;
const inCtx = (c: ExecContext | undefined): string => (c ? ` in ${c.label}` : '');
const atSite = (frames: StackFrame[] | undefined): string => {
  const s = frames?.length ? acquisitionSite(frames) : undefined;
  return s ? `, at ${s}` : '';
};
/** `lockseed_ioctl+0x40/0xda`: the acquiring function of a held lock (the last of its inlined callers). */
const atLabel = (l: KernelLockRef | undefined): string | undefined => (l?.at?.length ? frameLabel(l.at[l.at.length - 1]) : undefined);

class KernelLogAnalyzer {
  private readonly log: KernelLog;
  private readonly ev: ReportEvents[];
  private readonly findings: Finding[] = [];
  private readonly groups = new Map<string, Finding>();
  private readonly graph: LockGraph = new Graph<NodeAttributes, EdgeAttributes>({ type: 'directed', multi: false, allowSelfLoops: false });
  private readonly notes: { line: number; message: string }[] = [];
  /** Classes the log says were held when a task returned to user space, with the first such report. */
  private readonly heldAcross = new Map<string, { line: number; comm: string; pid: number }>();
  /** Inversion cycles by class, for the held-across-syscall findings' related lines. */
  private readonly kinds: Set<FindingKind>;

  constructor(
    private readonly s: EventStore,
    private readonly opts: AnalyzeOptions,
  ) {
    this.log = s.kernelLog as KernelLog;
    this.ev = indexEvents(this.log);
    this.kinds = new Set(opts.kinds ?? FINDING_KINDS);
  }

  run(): Analysis {
    for (const r of this.log.reports) {
      if (r.kind !== 'held-across-syscall') continue;
      const list = this.taskHeld(r);
      for (const l of list?.locks ?? [])
        if (!this.heldAcross.has(l.name)) this.heldAcross.set(l.name, { line: l.line, comm: list?.comm ?? '', pid: list?.pid ?? -1 });
    }
    this.countAcquisitions();
    for (const r of this.log.reports) {
      for (const n of r.notes) this.notes.push({ line: r.line, message: `${r.title}: ${n}` });
      this.heldEdges(r);
      const f = this.finding(r);
      if (f) this.add(f, r);
    }
    if (this.log.droppedReports > 0)
      this.notes.push({
        line: 0,
        message: `${this.log.droppedReports} more report(s) in the log were counted but not read (too many reports)`,
      });
    this.linkHeldAcross();
    const components = componentsOfGraph(this.s, this.graph, this.findings, this.opts.readLocks ?? 'non-recursive'); // [lock graph] cycle ids, components
    this.findings.sort((a, b) => a.eventIndex - b.eventIndex || a.kind.localeCompare(b.kind));
    this.findings.forEach((f, k) => (f.id = k));
    const model = { preHeld: new Map(), forked: new Set<number>() };
    const interval = this.opts.checkpointInterval ?? Math.max(64, Math.ceil(this.s.length / 4096));
    const checkpoints: Float64Array[] = [];
    const st = new LockState(this.s, model);
    for (let i = 0; i < this.s.length; i++) {
      if (i % interval === 0) checkpoints.push(st.save());
      st.step();
    }
    if (checkpoints.length === 0) checkpoints.push(st.save());
    return {
      store: this.s,
      findings: this.findings,
      graph: this.graph,
      notes: this.notes,
      checkpoints,
      components,
      instanceEdges: [], // a log prints classes, not instances
      checkpointInterval: interval,
      readLocks: this.opts.readLocks ?? 'non-recursive',
      model,
    };
  }

  // --- the lock graph ------------------------------------------------------------------------

  private countAcquisitions(): void {
    const s = this.s;
    for (let i = 0; i < s.length; i++) {
      if (s.kind[i] !== EventKind.Acquire || s.flags[i] & EventFlag.Derived) continue;
      const name = s.className(s.ref[i]);
      this.node(name, i);
      this.graph.updateNodeAttribute(name, 'acquisitions', (c) => (c ?? 0) + 1);
    }
  }

  private node(name: string, i: number): void {
    if (!this.graph.hasNode(name)) this.graph.addNode(name, { acquisitions: 0, contentions: 0, firstEvent: i });
  }

  private edge(e: EdgeOrigin): void {
    if (e.from === e.to) return;
    this.node(e.from, e.fromEventIndex);
    this.node(e.to, e.eventIndex);
    const key = `${e.from}\u0000${e.to}`;
    if (this.graph.hasEdge(key)) {
      this.graph.updateEdgeAttribute(key, 'count', (c) => (c ?? 0) + 1);
      return;
    }
    this.graph.addDirectedEdgeWithKey(key, e.from, e.to, {
      ...e,
      count: 1,
      sameSyscallSeen: !e.crossSyscall,
      toWrite: !e.toRead,
      fromWrite: !e.fromRead,
    });
  }

  /** A held list is a nesting the task was in: each lock was taken while the ones above it were held. */
  private heldEdges(r: KernelReport): void {
    const ev = this.ev[r.index];
    for (const h of r.held) {
      for (let j = 1; j < h.locks.length; j++) {
        const to = h.locks[j];
        for (let i = 0; i < j; i++) {
          const by = { eventIndex: this.heldEvent(ev, to.line), pid: h.pid, comm: h.comm, syscall: null };
          this.edge(this.fromHeld(ev, h.locks[i], to, by, atLabel(to)));
        }
      }
    }
  }

  /**
   * A dependency whose `from` is a lock of one of the report's held lists (its event is the one at
   * its line there) and whose `to` was taken at its own line, by `by`.
   */
  private fromHeld(
    ev: ReportEvents,
    from: KernelLockRef,
    to: KernelLockRef,
    by: { eventIndex: number; pid: number; comm: string; syscall: string | null },
    site: string | undefined,
  ): EdgeOrigin {
    return {
      from: from.name,
      to: to.name,
      eventIndex: by.eventIndex,
      line: to.line,
      pid: by.pid,
      comm: by.comm,
      syscall: by.syscall,
      fromEventIndex: this.heldEvent(ev, from.line),
      fromLine: from.line,
      fromSyscall: null,
      crossSyscall: this.heldAcross.has(from.name),
      fromRead: false,
      toRead: false,
      ...(site ? { site } : {}),
      ...(atLabel(from) ? { fromSite: atLabel(from) } : {}),
    };
  }

  private heldEvent(ev: ReportEvents, line: number): number {
    let i = ev.held.get(line);
    if (i === undefined) {
      i = this.s.eventAtOrAfterLine(line);
      ev.held.set(line, i);
    }
    return i < 0 ? ev.title : i;
  }

  // --- findings ------------------------------------------------------------------------------

  private add(f: Finding, r: KernelReport): void {
    if (!this.kinds.has(f.kind)) return;
    const key = this.groupKey(f, r);
    const prev = this.groups.get(key);
    if (prev) {
      prev.occurrences++;
      prev.related.push({ line: r.line, message: `the same report again (${prev.occurrences}${ordinal(prev.occurrences)}): ${r.title}` });
      return;
    }
    this.groups.set(key, f);
    this.findings.push(f);
  }

  /** Identical reports: the same kind and class set (a cycle's classes); other reports also by title and usages. */
  private groupKey(f: Finding, r: KernelReport): string {
    const parts: string[] = [f.kind, f.locks.join('\u0001')];
    if (f.kind === 'lockdep-other') parts.push(r.title.replace(/\b(?:0x)?[0-9a-f]{8,16}\b/g, '<addr>'));
    if (f.usages) parts.push(f.usages.map((u) => `${u.lock}:${u.usage}`).join(','));
    return parts.join('\u0000');
  }

  /** The held list of the reporting task (the first list naming it, else the first list). */
  private taskHeld(r: KernelReport): KernelReport['held'][number] | undefined {
    return r.held.find((h) => r.task && h.pid === r.task.pid) ?? (r.kind === 'lockdep-other' ? undefined : r.held[0]);
  }

  private heldRecords(r: KernelReport): HeldLockRecord[] | undefined {
    const list = this.taskHeld(r);
    if (!list) return r.noneHeld.length ? [] : undefined;
    return list.locks.map((l) => ({ lock: l.name, line: l.line, ...(l.at ? { at: l.at } : {}) }));
  }

  private finding(r: KernelReport): Finding | null {
    const ev = this.ev[r.index];
    const s = this.s;
    const titleEvent = ev.title;
    if (titleEvent < 0) return null;
    const task = s.taskOf(titleEvent);
    const stack = r.backtrace.length ? r.backtrace : r.chain.find((e) => e.depth === 0)?.stack;
    const context = stack?.length ? contextOfStack(stack) : undefined;
    const held = this.heldRecords(r);
    const base: Finding = {
      id: 0,
      kind: r.kind,
      message: '',
      eventIndex: titleEvent,
      line: r.line,
      pid: task.pid,
      comm: task.comm,
      syscall: syscallOf(context),
      locks: [],
      related: [],
      occurrences: 1,
      title: r.title,
      ...(context ? { context } : {}),
      ...(stack?.length ? { stack } : {}),
      ...(held ? { held } : {}),
    };
    const who = `${task.comm}/${task.pid}`;
    switch (r.kind) {
      case 'inversion':
        return this.inversion(r, base, who, context);
      case 'recursive':
        return this.recursive(r, base, who, context);
      case 'held-across-syscall': {
        const locks = held ?? [];
        base.locks = sorted(locks.map((h) => h.lock));
        base.message = [
          `lock held when returning to user space: ${who} is leaving the kernel still holding ${locks.length ? locks.map((h) => `${h.lock} (line ${h.line}${h.at?.length ? `, acquired at ${frameLabel(h.at[h.at.length - 1])}` : ''})`).join(', ') : 'locks the log does not list'}`,
          `  the log does not name the syscall; whatever ${task.comm} takes next, in any syscall, is ordered after ${locks.length ? locks.map((h) => h.lock).join(', ') : 'them'}`,
        ].join('\n');
        base.related = locks.map((h) => ({ line: h.line, message: `${h.lock} held here` }));
        return base;
      }
      case 'bad-unlock': {
        const a = r.acquiring;
        base.locks = a ? [a.name] : [];
        const holds = held?.length ? held.map((h) => h.lock).join(', ') : 'no locks';
        base.message = `bad unlock balance: ${who} releases ${a?.name ?? 'a lock'}${atSite(a?.at)}${inCtx(context)}, but holds ${holds}`;
        if (a) base.related = [{ line: a.line, message: `${a.name} released here` }];
        return base;
      }
      case 'held-at-exit': {
        const locks = held ?? [];
        base.locks = sorted(locks.map((h) => h.lock));
        base.message = `lock held at task exit: ${who} exits${inCtx(context)} still holding ${locks.map((h) => `${h.lock} (line ${h.line}${h.at?.length ? `, acquired at ${frameLabel(h.at[h.at.length - 1])}` : ''})`).join(', ') || 'locks the log does not list'}`;
        base.related = locks.map((h) => ({ line: h.line, message: `${h.lock} held here` }));
        return base;
      }
      case 'held-lock-freed': {
        const a = r.acquiring;
        base.locks = a ? [a.name] : sorted((held ?? []).map((h) => h.lock));
        base.message = `held lock freed: ${who} frees memory ${r.freed ? `${r.freed.from}-${r.freed.to}` : ''}${inCtx(context)} while holding ${a?.name ?? 'a lock'} there${a?.at?.length ? ` (acquired at ${frameLabel(a.at[a.at.length - 1])})` : ''}`;
        if (a) base.related = [{ line: a.line, message: `${a.name}, in the freed memory` }];
        return base;
      }
      case 'irq-state':
        return this.irqState(r, base, who, context);
      case 'order-violation':
        return null; // locktrace's own (a declared hierarchy), never a lockdep report
      case 'lockdep-other': {
        const a = r.acquiring;
        base.locks = a ? [a.name] : [];
        const lists = r.held
          .slice(0, 8)
          .map((h) => `${h.count} lock${h.count === 1 ? '' : 's'} held by ${h.comm}/${h.pid}: ${h.locks.map((l) => l.name).join(', ')}`);
        base.message = [
          `${r.title}${r.task ? ` (${who})` : ''}`,
          ...r.details.map((d) => `  ${d}`),
          ...(a ? [`  ${who} is trying to lock ${a.name}${atSite(a.at)}${inCtx(context)}`] : []),
          ...lists.map((l) => `  ${l}`),
          ...(r.held.length > 8 ? [`  … and ${r.held.length - 8} more held-lock lists`] : []),
        ].join('\n');
        if (a && r.held.length) for (const h of this.taskHeld(r)?.locks ?? []) this.pendingEdge(r, h, a, base, context, stack);
        return base;
      }
      case 'contention':
        return null; // a measurement of recorded traces; no kernel log report is one
    }
  }

  /** An attempted dependency: the task holds `from` and waits for `to` (the report's own acquisition). */
  private pendingEdge(
    r: KernelReport,
    from: KernelLockRef,
    to: KernelLockRef,
    f: Finding,
    context: ExecContext | undefined,
    stack: StackFrame[] | undefined,
  ): EdgeOrigin {
    const ev = this.ev[r.index];
    const by = { eventIndex: ev.acquire >= 0 ? ev.acquire : ev.title, pid: f.pid, comm: f.comm, syscall: syscallOf(context) };
    const e: EdgeOrigin = {
      ...this.fromHeld(ev, from, to, by, stack?.length ? acquisitionSite(stack) : undefined),
      ...(context ? { context } : {}),
      ...(stack?.length ? { stack } : {}),
    };
    this.edge(e);
    return e;
  }

  private inversion(r: KernelReport, f: Finding, who: string, context: ExecContext | undefined): Finding {
    const ev = this.ev[r.index];
    const byDepth = new Map(r.chain.map((e) => [e.depth, e]));
    const deepest = r.chain.reduce((d, e) => Math.max(d, e.depth), -1);
    const holding = byDepth.get(deepest)?.lock ?? r.holding;
    const taking = byDepth.get(0)?.lock ?? r.acquiring;
    const taskList = this.taskHeld(r);
    const heldLock = taskList?.locks.find((l) => l.name === holding?.name) ?? r.holding;
    const cycle: EdgeOrigin[] = [];
    // #0 first: the new dependency, made by the reporting task now
    if (holding && taking) {
      const e0 = byDepth.get(0);
      const stack = e0?.stack.length ? e0.stack : r.backtrace;
      const ctx = stack.length ? contextOfStack(stack) : context;
      const fromEvent = heldLock ? this.heldEvent(ev, heldLock.line) : (ev.edgeFrom.get(0) ?? ev.title);
      cycle.push({
        from: holding.name,
        to: taking.name,
        eventIndex: ev.edges.get(0) ?? (ev.acquire >= 0 ? ev.acquire : ev.title),
        line: e0?.lock.line ?? r.acquiring?.line ?? r.line,
        pid: f.pid,
        comm: f.comm,
        syscall: syscallOf(ctx),
        fromEventIndex: fromEvent,
        fromLine: heldLock?.line ?? holding.line,
        fromSyscall: null,
        crossSyscall: this.heldAcross.has(holding.name),
        fromRead: false,
        toRead: false,
        ...(stack.length && acquisitionSite(stack) ? { site: acquisitionSite(stack) } : {}),
        ...(atLabel(heldLock) ? { fromSite: atLabel(heldLock) } : {}),
        ...(ctx ? { context: ctx } : {}),
        ...(stack.length ? { stack } : {}),
      });
    }
    // then the existing chain, from the new lock to the held one: #1 … #N
    for (let d = 1; d <= deepest; d++) {
      const e = byDepth.get(d);
      const prev = byDepth.get(d - 1);
      if (!e || !prev) continue;
      const ctx = e.stack.length ? contextOfStack(e.stack) : undefined;
      const at = ev.edges.get(d) ?? ev.title;
      cycle.push({
        from: prev.lock.name,
        to: e.lock.name,
        eventIndex: at,
        line: e.lock.line,
        pid: -1,
        comm: '',
        syscall: syscallOf(ctx),
        fromEventIndex: ev.edgeFrom.get(d) ?? at,
        fromLine: e.lock.line,
        fromSyscall: null,
        crossSyscall: this.heldAcross.has(prev.lock.name),
        fromRead: false,
        toRead: false,
        ...(e.stack.length && acquisitionSite(e.stack) ? { site: acquisitionSite(e.stack) } : {}),
        ...(ctx ? { context: ctx } : {}),
        stack: e.stack,
      });
    }
    for (const e of cycle) this.edge(e);
    const classes = sorted([...new Set(cycle.flatMap((e) => [e.from, e.to]))]);
    f.locks = classes.length ? classes : sorted([r.acquiring?.name, r.holding?.name].filter((x): x is string => !!x));
    f.cycle = cycle;
    const crossing = cycle.filter((e) => e.crossSyscall);
    f.order = crossing.length ? 'syscall-order' : 'in-kernel';
    const edgeText = (e: EdgeOrigin, depth: number): string =>
      `-> #${depth} ${e.from} -> ${e.to}: line ${e.line}${e.context ? `, ${e.context.label}` : ''}${e.site ? `, at ${e.site}` : ''}${e.crossSyscall ? ' [from-lock held across a return to user space]' : ''}`;
    const lines = [
      `possible circular locking dependency: ${who} is trying to acquire ${taking?.name ?? '?'}${inCtx(context)} (line ${r.acquiring?.line ?? r.line}${atLabel(r.acquiring) ? `, at ${atLabel(r.acquiring)}` : ''})`,
      `  while holding ${holding?.name ?? '?'}${heldLock ? ` (line ${heldLock.line}${atLabel(heldLock) ? `, acquired at ${atLabel(heldLock)}` : ''})` : ''}`,
    ];
    if (cycle.length > 1) {
      lines.push('  but the opposite order already exists:');
      for (let d = 1; d < cycle.length; d++) lines.push(`    ${edgeText(cycle[d], d)}`);
    }
    if (cycle.length) lines.push('  new dependency:', `    ${edgeText(cycle[0], 0)}`);
    if (crossing.length) {
      lines.push(
        `  order set by userspace: ${crossing
          .map((e) => {
            const h = this.heldAcross.get(e.from);
            return `${e.from} is held across a return to user space (line ${h?.line ?? '?'}${h ? `, ${h.comm}/${h.pid}` : ''}) and ${e.to} is taken${e.context ? ` in ${e.context.label}` : ''}`;
          })
          .join('; ')}`,
      );
    } else {
      lines.push('  no lock of the chain is known to be held across a return to user space: an in-kernel lock order problem');
    }
    f.message = lines.join('\n');
    const related: RelatedLine[] = [];
    cycle.forEach((e, d) =>
      related.push({ line: e.line, message: `-> #${d}: ${e.from} -> ${e.to}${e.context ? ` (${e.context.label})` : ''}` }),
    );
    if (heldLock) related.push({ line: heldLock.line, message: `${heldLock.name} held by ${who}` });
    for (const e of crossing) {
      const h = this.heldAcross.get(e.from);
      if (h) related.push({ line: h.line, message: `${e.from} held across a return to user space by ${h.comm}/${h.pid}` });
    }
    f.related = dedupeRelated(related);
    return f;
  }

  private recursive(r: KernelReport, f: Finding, who: string, context: ExecContext | undefined): Finding {
    const a = r.acquiring;
    const list = this.taskHeld(r);
    const h = list?.locks.find((l) => l.name === a?.name) ?? r.holding;
    f.locks = sorted([...new Set([a?.name, h?.name].filter((x): x is string => !!x))]);
    const same = a?.address && h?.address && a.address === h.address;
    f.message = [
      `possible recursive locking: ${who} is trying to acquire ${a?.name ?? '?'}${inCtx(context)} (line ${a?.line ?? r.line}${atLabel(a) ? `, at ${atLabel(a)}` : ''})`,
      `  while already holding ${h?.name ?? '?'}${h ? ` (line ${h.line}${atLabel(h) ? `, acquired at ${atLabel(h)}` : ''})` : ''}`,
      same
        ? `  the same lock instance (${a.address}) again: a self-deadlock`
        : '  another instance of the same class: a deadlock unless the nesting is annotated (mutex_lock_nested() and friends)',
    ].join('\n');
    f.related = dedupeRelated([
      ...(h ? [{ line: h.line, message: `${h.name} already held here` }] : []),
      ...(a ? [{ line: a.line, message: `${a.name} acquired again here` }] : []),
    ]);
    return f;
  }

  private usageOf(r: KernelReport, lock: string | undefined, usage: string): { line: number; stack: StackFrame[] } | undefined {
    const u =
      r.usages.find((x) => x.lock === lock && x.usage === usage) ?? r.usages.find((x) => x.lock === lock && !x.usage.startsWith('INITIAL'));
    return u ? { line: u.line, stack: u.stack } : undefined;
  }

  private irqState(r: KernelReport, f: Finding, who: string, context: ExecContext | undefined): Finding {
    const a = r.acquiring;
    const usage = (lock: string, name: string, at: { line: number; stack: StackFrame[] } | undefined, now: boolean): LockUsage => {
      const stack = now ? (r.backtrace.length ? r.backtrace : at?.stack) : at?.stack;
      const ctx = now ? context : stack?.length ? contextOfStack(stack) : undefined;
      return {
        lock,
        usage: name,
        line: now ? (a?.line ?? r.line) : (at?.line ?? 0),
        ...(now ? { comm: f.comm, pid: f.pid } : {}),
        ...(stack?.length ? { stack } : {}),
        ...(ctx ? { context: ctx } : {}),
      };
    };
    const text = (u: LockUsage): string =>
      `{${u.usage}}: ${u.lock}${u.line ? ` at line ${u.line}` : ''}${u.context ? ` in ${u.context.label}` : ''}${u.stack?.length ? atSite(u.stack) : ''}`;
    const state = r.irqState ?? 'HARDIRQ';
    if (r.usageChange && a) {
      const [prev, next] = r.usageChange;
      const usages = [usage(a.name, prev, this.usageOf(r, a.name, prev) ?? r.usages[0], false), usage(a.name, next, undefined, true)];
      f.usages = usages;
      f.locks = [a.name];
      f.message = [
        `inconsistent lock state: {${prev}} -> {${next}} usage of ${a.name}`,
        `  ${text(usages[0])}`,
        `  ${text(usages[1])} (now, ${who})`,
        `  an interrupt taking ${a.name} on a CPU where it is already held deadlocks`,
      ].join('\n');
      f.related = usages.filter((u) => u.line > 0).map((u) => ({ line: u.line, message: `{${u.usage}}: ${u.lock} here` }));
      return f;
    }
    if (r.otherRelation && a && r.other) {
      const { forwards, state: st } = r.otherRelation;
      const safeLock = forwards ? a : r.other;
      const unsafeLock = forwards ? r.other : a;
      const safeUsage = usageName(safeLock, st, true);
      const unsafeUsage = usageName(unsafeLock, st, false);
      const usages = [
        usage(safeLock.name, safeUsage, forwards ? undefined : this.usageOf(r, safeLock.name, safeUsage), forwards),
        usage(unsafeLock.name, unsafeUsage, forwards ? this.usageOf(r, unsafeLock.name, unsafeUsage) : undefined, !forwards),
      ];
      f.usages = usages;
      f.locks = sorted([a.name, r.other.name]);
      f.message = [
        `possible irq lock inversion dependency: ${forwards ? `${a.name} -> ${r.other.name}` : `${r.other.name} -> ${a.name}`} (${who} just changed the state of ${a.name})`,
        `  ${text(usages[0])}`,
        `  ${text(usages[1])}`,
        `  an interrupt taking ${safeLock.name} on a CPU where ${unsafeLock.name} is held with ${st === 'HARDIRQ' ? 'interrupts' : `${st.toLowerCase()}s`} enabled can deadlock`,
      ].join('\n');
      f.related = usages.filter((u) => u.line > 0).map((u) => ({ line: u.line, message: `{${u.usage}}: ${u.lock} here` }));
      return f;
    }
    // S-safe -> S-unsafe lock order
    const safe = r.safe;
    const unsafe = r.unsafe;
    const usages: LockUsage[] = [];
    if (safe) {
      const name = usageName(safe, state, true);
      usages.push(usage(safe.name, name, this.usageOf(r, safe.name, name), false));
    }
    if (unsafe) {
      const name = usageName(unsafe, state, false);
      usages.push(usage(unsafe.name, name, this.usageOf(r, unsafe.name, name), false));
    }
    f.usages = usages;
    f.locks = sorted([...new Set([safe?.name, unsafe?.name].filter((x): x is string => !!x))]);
    const held = r.holding;
    const lines = [
      `${r.title.replace(/^(?:WARNING|BUG|INFO): |^\[ (?:\w+: )?| \]$/g, '')}: ${who} makes ${held?.name ?? '?'} -> ${a?.name ?? '?'}${inCtx(context)} (line ${a?.line ?? r.line})`,
    ];
    for (const u of usages) lines.push(`  ${u.lock} is ${state}-${u.usage.startsWith('IN-') ? 'safe' : 'unsafe'}: ${text(u)}`);
    if (safe && unsafe)
      lines.push(
        `  an interrupt taking ${safe.name} on a CPU where ${unsafe.name} is held with ${state === 'HARDIRQ' ? 'interrupts' : `${state.toLowerCase()}s`} enabled can deadlock`,
      );
    f.message = lines.join('\n');
    if (held && a) {
      const list = this.taskHeld(r);
      const from = list?.locks.find((l) => l.name === held.name) ?? held;
      f.cycle = [this.pendingEdge(r, from, a, f, context, r.backtrace)];
    }
    f.related = usages.filter((u) => u.line > 0).map((u) => ({ line: u.line, message: `{${u.usage}}: ${u.lock} here` }));
    return f;
  }

  /** Held-across-syscall findings point at the inversions their locks take part in. */
  private linkHeldAcross(): void {
    for (const f of this.findings) {
      if (f.kind !== 'held-across-syscall') continue;
      for (const g of this.findings) {
        if (g.kind !== 'inversion' || !g.cycle) continue;
        const e = g.cycle.find((x) => f.locks.includes(x.from));
        if (e) f.related.push({ line: g.line, message: `${e.from} -> ${e.to} closes the lock order inversion reported here` });
      }
    }
  }
}

/** The usage name an irq-safe (`IN-S-W`) or irq-unsafe (`S-ON-W`) lock shows, reader variant when only its reader bit is set. */
function usageName(lock: KernelLockRef, state: string, safe: boolean): string {
  const k = ['HARDIRQ', 'SOFTIRQ', 'RECLAIM_FS'].indexOf(state);
  const bits = lock.usage ?? '';
  if (k < 0 || bits.length < 2 * k + 2) return safe ? `IN-${state}-W` : `${state}-ON-W`;
  const w = bits[2 * k];
  const rd = bits[2 * k + 1];
  if (safe) return w === '-' || w === '?' || !(rd === '-' || rd === '?') ? `IN-${state}-W` : `IN-${state}-R`;
  return w === '+' || w === '?' || !(rd === '+' || rd === '?') ? `${state}-ON-W` : `${state}-ON-R`;
}

function sorted(xs: string[]): string[] {
  return [...new Set(xs)].sort();
}

function ordinal(n: number): string {
  const t = n % 100;
  if (t >= 11 && t <= 13) return 'th';
  return ['th', 'st', 'nd', 'rd'][n % 10] ?? 'th';
}

/** The Analysis of a store read from a kernel log (`store.kernelLog` set). */
export function analyzeKernelLog(store: EventStore, opts: AnalyzeOptions = {}): Analysis {
  return new KernelLogAnalyzer(store, opts).run();
}

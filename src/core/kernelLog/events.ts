// Turns a kernel log's reports into events of an EventStore, so the replay engine, the debugger
// and the panel step through a report as through a trace (docs/kernel-logs.md):
// - the report's title line is an event of the reporting task (findings point there);
// - each `-> #N` chain edge is a task of its own (pid < 0: lockdep does not record which task made
//   it) that holds the edge's `from` lock and takes its `to` lock, at the `-> #N` line;
// - each `#i:` entry of a held list is an acquisition by that list's task, at its line;
// - then what the report is about, at its backtrace: the pending acquisition of the lock the task
//   is trying to take (circular, recursive), the irq usage, the return to user space, the exit, the
//   free, the bad release;
// - at the report's last line, every lock its tasks were given is released again (Derived events),
//   so the next report starts from a clean state.
// Events are in line order across reports (interleaved caller streams interleave their events).

import { EventStore } from '../store';
import { EventFlag, EventKind } from '../types';
import { contextOfStack } from './context';
import { KernelEventInfo, KernelLockRef, KernelLog, KernelReport } from './model';
import { RawReport } from './reader';

interface Synth {
  line: number;
  ts: number;
  pid: number;
  comm: string;
  cpu: number;
  kind: EventKind;
  flags: number;
  /** Lock events: the instance key and class. */
  lock?: { key: string; name: string };
  /** Other / syscall events: the name. */
  name?: string;
  info: KernelEventInfo;
}

/** The instance key of a lock the log prints: its address when printed, else a key unique to where it is printed. */
function lockKey(l: KernelLockRef, where: string): string {
  if (l.address && /^[0-9a-fA-F]+$/.test(l.address) && !/^0+$/.test(l.address)) return `0x${l.address.toLowerCase().replace(/^0+/, '')}`;
  return `${where}:${l.name}`;
}

/** The synthetic events of one report, in the order the state should see them. */
function reportEvents(r: KernelReport, pseudo: () => number): Synth[] {
  const out: Synth[] = [];
  const ts = Number.isNaN(r.ts) ? 0 : r.ts;
  const task = r.task ?? { comm: `(report at line ${r.line})`, pid: pseudo() };
  const cpu = r.cpu ?? -1;
  const held = new Map<number, { pid: number; comm: string; cpu: number; locks: { key: string; name: string }[] }>();
  const give = (pid: number, comm: string, c: number, lock: { key: string; name: string }): void => {
    let h = held.get(pid);
    if (!h) held.set(pid, (h = { pid, comm, cpu: c, locks: [] }));
    h.locks.push(lock);
  };
  const ev = (s: Omit<Synth, 'ts'>): void => {
    out.push({ ...s, ts });
    if (s.lock && s.kind === EventKind.Acquire) give(s.pid, s.comm, s.cpu, s.lock);
  };
  ev({
    line: r.line,
    pid: task.pid,
    comm: task.comm,
    cpu,
    kind: EventKind.Other,
    flags: 0,
    name: r.title,
    info: { report: r.index, role: 'title' },
  });

  // the chain: edge #N takes class #N while holding class #N-1; #0 (the new dependency) holds the deepest class
  const byDepth = new Map(r.chain.map((e) => [e.depth, e]));
  const deepest = r.chain.reduce((d, e) => Math.max(d, e.depth), -1);
  for (const e of r.chain) {
    const from = e.depth > 0 ? byDepth.get(e.depth - 1)?.lock : byDepth.get(deepest)?.lock;
    const context = contextOfStack(e.stack);
    const pid = pseudo();
    const comm = `-> #${e.depth} ${context.label}`;
    if (from && from.name !== e.lock.name) {
      ev({
        line: e.lock.line,
        pid,
        comm,
        cpu: -1,
        kind: EventKind.Acquire,
        flags: EventFlag.Derived,
        lock: { key: `r${r.index}#${e.depth}-from:${from.name}`, name: from.name },
        info: { report: r.index, role: 'edge-from', edge: e.depth },
      });
    }
    ev({
      line: e.lock.line,
      pid,
      comm,
      cpu: -1,
      kind: EventKind.Acquire,
      flags: 0,
      lock: { key: `r${r.index}#${e.depth}:${e.lock.name}`, name: e.lock.name },
      info: { report: r.index, role: 'edge', edge: e.depth, stack: e.stack, context },
    });
  }

  // irq usages recorded earlier (each usage once; not the one the report is about): a task of their own each
  const seenUsage = new Set<string>();
  for (const u of r.usages) {
    const key = `${u.lock}\u0000${u.usage}`;
    if (!u.lock || u.stack.length === 0 || u.usage.startsWith('INITIAL') || seenUsage.has(key)) continue;
    seenUsage.add(key);
    const context = contextOfStack(u.stack);
    ev({
      line: u.line,
      pid: pseudo(),
      comm: `{${u.usage}} ${context.label}`,
      cpu: -1,
      kind: EventKind.Acquire,
      flags: 0,
      lock: { key: `r${r.index}@${u.line}:${u.lock}`, name: u.lock },
      info: { report: r.index, role: 'usage', stack: u.stack, context },
    });
  }

  // held lists: each task's stack at the time of the report
  let taskHeldLast = 0;
  let taskHasList = false;
  for (const h of r.held) {
    const isTask = h.pid === task.pid;
    if (isTask) taskHasList = true;
    for (const [k, l] of h.locks.entries()) {
      ev({
        line: l.line,
        pid: h.pid,
        comm: h.comm,
        cpu: isTask ? cpu : -1,
        kind: EventKind.Acquire,
        flags: 0,
        lock: { key: lockKey(l, `r${r.index}:${h.pid}#${k}`), name: l.name },
        info: { report: r.index, role: 'held', ...(l.at ? { stack: l.at } : {}) },
      });
      if (isTask) taskHeldLast = Math.max(taskHeldLast, l.line);
    }
  }
  // without a list of the task's own, the lock it holds (`but task is already holding lock:`)
  if (!taskHasList && r.holding && r.holding.name !== r.acquiring?.name) {
    ev({
      line: r.holding.line,
      pid: task.pid,
      comm: task.comm,
      cpu,
      kind: EventKind.Acquire,
      flags: 0,
      lock: { key: lockKey(r.holding, `r${r.index}:holding`), name: r.holding.name },
      info: { report: r.index, role: 'held', ...(r.holding.at ? { stack: r.holding.at } : {}) },
    });
    taskHeldLast = Math.max(taskHeldLast, r.holding.line);
  }

  // what the report is about, at the task's backtrace (its last stop)
  const last = Math.max(r.line, taskHeldLast, r.backtraceLine, r.acquiringLine ?? 0, r.acquiring?.line ?? 0);
  const stack = r.backtrace.length ? r.backtrace : r.chain.find((e) => e.depth === 0)?.stack;
  const context = stack?.length ? contextOfStack(stack) : undefined;
  const about = { report: r.index, ...(stack?.length ? { stack } : {}), ...(context ? { context } : {}) };
  const base = { line: last, pid: task.pid, comm: task.comm, cpu };
  const a = r.acquiring;
  switch (r.kind) {
    case 'inversion':
    case 'recursive':
    case 'lockdep-other':
    case 'irq-state':
      // an irq-state report's lock is pending only in a `safe -> unsafe` report or when the title
      // says `is trying to acquire`
      if (a)
        ev({
          ...base,
          kind: EventKind.Acquire,
          flags: r.kind !== 'irq-state' || /is trying to acquire/.test(r.title) || r.safe ? EventFlag.Pending : 0,
          lock: { key: lockKey(a, `r${r.index}:acquire`), name: a.name },
          info: { ...about, role: 'acquire' },
        });
      break;
    case 'held-across-syscall':
      ev({ ...base, kind: EventKind.SysExit, flags: 0, name: '(return to user space)', info: { ...about, role: 'return' } });
      break;
    case 'bad-unlock':
      if (a)
        ev({
          ...base,
          kind: EventKind.Release,
          flags: 0,
          lock: { key: `r${r.index}:release:${a.name}`, name: a.name },
          info: { ...about, role: 'release' },
        });
      break;
    case 'held-at-exit':
      ev({ ...base, kind: EventKind.Other, flags: 0, name: 'exit with locks held', info: { ...about, role: 'exit' } });
      break;
    case 'held-lock-freed':
      ev({
        ...base,
        kind: EventKind.Other,
        flags: 0,
        name: `free ${r.freed ? `${r.freed.from}-${r.freed.to}` : 'memory'} with a lock held there`,
        info: { ...about, role: 'free' },
      });
      break;
  }

  // the report is over: every lock given above is dropped again
  const end = Math.max(r.endLine, last);
  for (const h of held.values()) {
    for (let k = h.locks.length - 1; k >= 0; k--) {
      out.push({
        line: end,
        ts,
        pid: h.pid,
        comm: h.comm,
        cpu: h.cpu,
        kind: EventKind.Release,
        flags: EventFlag.Derived,
        lock: h.locks[k],
        info: { report: r.index, role: 'end' },
      });
    }
  }
  return out;
}

/**
 * Fills `store` with the events of `reports` and attaches the KernelLog. `raw` gives the byte offset
 * of each line an event is on (the store keeps offsets so front ends can read the line back).
 */
export function fillKernelLogStore(
  store: EventStore,
  reports: KernelReport[],
  raw: RawReport[],
  extra: { dropped: number; prefixedLines: number },
): void {
  const offsets = new Map<number, number>();
  for (const rr of raw) {
    offsets.set(rr.line, rr.offset);
    for (const l of rr.lines) offsets.set(l.line, l.offset);
  }
  let next = -1;
  const pseudo = (): number => next--;
  const all: Synth[] = [];
  for (const r of reports) all.push(...reportEvents(r, pseudo));
  // stable: events on one line keep the order reportEvents gave them
  all.sort((x, y) => x.line - y.line);
  const info: KernelEventInfo[] = [];
  for (const e of all) {
    const i = store.length;
    const task = store.taskFor(e.pid, e.comm, i, e.pid === 0 ? e.cpu : -1);
    let ref = -1;
    if (e.lock) ref = store.lockFor(e.lock.key, e.lock.name, 'kernel');
    else if (e.name !== undefined) ref = store.names.intern(e.name);
    store.push(e.line, offsets.get(e.line) ?? 0, e.ts, e.cpu, task, e.kind, e.flags, ref, 0);
    info.push(e.info);
  }
  const log: KernelLog = { reports, events: info, droppedReports: extra.dropped, prefixedLines: extra.prefixedLines };
  store.kernelLog = log;
}

// Kernel workers: an edge a kworker makes while running a work item belongs to whoever queued the
// work, not to the worker (which is in no syscall). Two sources, best first:
// - workqueue events (`workqueue:workqueue_queue_work`, `workqueue_execute_start` / `_end`): the
//   work struct's address and function link the queuing event to the run, exactly;
// - lockdep's own workqueue maps, always in a lockdep trace with work activity: process_one_work()
//   holds `(wq_completion)NAME` (the workqueue) and `(work_completion)(&w)` (the work, a copy of its
//   map on the worker's stack) while the work function runs. They say which work ran, not who
//   queued it: that is inferred from the worker pool's lock. __queue_work() inserts the work under
//   `&pool->lock`, and the worker takes the same lock instance to pick the work up; the last task
//   (other than an idle worker) to take that instance before the worker did is taken as the queuer
//   (`inferred`). flush and cancel also take the pool lock, so this is a good guess, not proof.
// docs/kernel-traces.md explains it for users.

import { EventStore } from '../store';
import { Ctx, WorkOrigin } from '../types';
import { Held, HeldFlag, TaskState } from './state';

const WQ_PREFIX = '(wq_completion)';
const WORK_PREFIX = '(work_completion)';
/** The worker pool's lock (kernel/workqueue.c: raw_spin_lock_init(&pool->lock)). */
const POOL_LOCK = '&pool->lock';
/** Queuing candidates kept per pool lock instance. */
const MAX_CANDIDATES = 64;

const enum WqClass {
  None = 0,
  Workqueue = 1,
  Work = 2,
  Pool = 3,
}

interface Candidate {
  event: number;
  task: number;
  syscall: string | null;
  context?: 'softirq' | 'hardirq';
  via?: WorkOrigin;
}

/** Follows kernel workers' work items through a trace, for the analyzer (analyzer.ts calls it). */
export class WorkTracker {
  /** Whether the trace shows any workqueue activity (otherwise every call returns at once). */
  readonly enabled: boolean;
  /** Whether it has the workqueue events (exact attribution). */
  private readonly events: boolean;
  private readonly classKind: Uint8Array;
  private readonly queueName: number;
  private readonly startName: number;
  private readonly endName: number;
  /** Events: pending work (`ADDRESS\tFUNCTION`) -> where it was queued. */
  private readonly pending = new Map<string, { workqueue?: string; queued: NonNullable<WorkOrigin['queued']> }>();
  /** Events: task -> the work it runs. */
  private readonly running = new Map<number, WorkOrigin>();
  /** Lock maps: the work whose `(work_completion)` hold was acquired at this event. */
  private readonly executions = new Map<number, WorkOrigin>();
  /** Lock maps: per pool lock instance, who took it last (possible queuers). */
  private readonly candidates = new Map<number, Candidate[]>();
  /** Lock maps: per task, the pool lock instance it took last and where. */
  private readonly lastPool = new Map<number, { lock: number; event: number }>();

  constructor(
    private readonly s: EventStore,
    on = true,
  ) {
    this.classKind = new Uint8Array(s.classes.size);
    let maps = false;
    for (let c = 0; c < s.classes.size; c++) {
      const name = s.classes.get(c);
      if (name.startsWith(WQ_PREFIX)) this.classKind[c] = WqClass.Workqueue;
      else if (name.startsWith(WORK_PREFIX)) this.classKind[c] = WqClass.Work;
      else if (name === POOL_LOCK) this.classKind[c] = WqClass.Pool;
      else continue;
      if (this.classKind[c] !== WqClass.Pool) maps = true;
    }
    this.queueName = s.names.lookup('workqueue_queue_work') ?? -1;
    this.startName = s.names.lookup('workqueue_execute_start') ?? -1;
    this.endName = s.names.lookup('workqueue_execute_end') ?? -1;
    this.events = this.startName >= 0;
    this.enabled = on && (maps || this.events);
  }

  /** An event the analysis does not model (EventKind.Other): the workqueue events. */
  other(i: number, t: TaskState | undefined): void {
    const s = this.s;
    const name = s.ref[i];
    if (name !== this.queueName && name !== this.startName && name !== this.endName) return;
    const [addr, fn, wq] = s.names.get(s.num[i]).split('\t');
    const key = `${addr}\t${fn}`;
    const task = s.task[i];
    if (name === this.queueName) {
      const info = s.tasks[task];
      const via = this.running.get(task);
      this.pending.set(key, {
        workqueue: wq,
        queued: {
          line: s.line[i],
          pid: info.pid,
          comm: info.comm,
          syscall: this.syscallAt(i, t),
          ...this.contextAt(i),
          ...(via ? { via: oneLevel(via) } : {}),
        },
      });
    } else if (name === this.startName) {
      const p = this.pending.get(key);
      this.pending.delete(key);
      this.running.set(task, { work: fn || addr, ...(p?.workqueue ? { workqueue: p.workqueue } : {}), ...(p ? { queued: p.queued } : {}) });
    } else this.running.delete(task);
  }

  /** A lock acquisition (before it is pushed on the task's stack). */
  acquire(t: TaskState, task: number, i: number, h: Held): void {
    const kind = this.classKind[h.cls];
    if (kind === WqClass.None || this.events) return;
    const s = this.s;
    if (kind === WqClass.Pool) {
      this.lastPool.set(task, { lock: h.lock, event: i });
      const running = this.originOf(t, task);
      // an idle worker takes its pool's lock to look for work, not to queue it
      if (!running && this.isWorker(task)) return;
      let list = this.candidates.get(h.lock);
      if (!list) this.candidates.set(h.lock, (list = []));
      list.push({ event: i, task, syscall: this.syscallAt(i, t), ...this.contextAt(i), ...(running ? { via: oneLevel(running) } : {}) });
      if (list.length > MAX_CANDIDATES) list.shift();
      return;
    }
    if (kind !== WqClass.Work || h.flags & HeldFlag.Try) return;
    // process_one_work(): the work's map is taken while the workqueue's is held
    const wq = t.held.find((x) => this.classKind[x.cls] === WqClass.Workqueue);
    if (!wq) return; // flush_work() takes it alone
    const origin: WorkOrigin = { work: s.classes.get(h.cls), workqueue: s.classes.get(wq.cls).slice(WQ_PREFIX.length), inferred: true };
    const pool = this.lastPool.get(task);
    const list = pool ? this.candidates.get(pool.lock) : undefined;
    if (pool && list) {
      for (let k = list.length - 1; k >= 0; k--) {
        const c = list[k];
        if (c.event > pool.event || c.task === task) continue;
        list.splice(k, 1);
        const info = s.tasks[c.task];
        origin.queued = {
          line: s.line[c.event],
          pid: info.pid,
          comm: info.comm,
          syscall: c.syscall,
          ...(c.context ? { context: c.context } : {}),
          ...(c.via ? { via: c.via } : {}),
        };
        break;
      }
    }
    this.executions.set(i, origin);
  }

  /** The work item task `task` is running (undefined: none known). */
  originOf(t: TaskState | undefined, task: number): WorkOrigin | undefined {
    if (this.events) return this.running.get(task);
    if (!t) return undefined;
    for (let k = t.held.length - 1; k >= 0; k--) {
      const o = this.executions.get(t.held[k].acq);
      if (o) return o;
    }
    return undefined;
  }

  private isWorker(task: number): boolean {
    return this.s.tasks[task].comm.startsWith('kworker/');
  }

  /** `{context}` when event i ran in an interrupt. */
  private contextAt(i: number): { context?: 'softirq' | 'hardirq' } {
    const irq = this.s.ctx[i] & Ctx.IrqMask;
    return irq === 0 ? {} : { context: irq & Ctx.Hardirq ? 'hardirq' : 'softirq' };
  }

  /** The syscall a task is in at event i (null in an interrupt or outside syscalls). */
  private syscallAt(i: number, t: TaskState | undefined): string | null {
    if (this.s.ctx[i] & Ctx.IrqMask || !t || t.sys < 0) return null;
    return this.s.names.get(t.sys);
  }
}

/** A work origin without the queuer's own origin (self-requeueing work would chain without end). */
function oneLevel(o: WorkOrigin): WorkOrigin {
  if (!o.queued?.via) return o;
  const { via: _via, ...queued } = o.queued;
  return { ...o, queued };
}

/** `via work X on WQ queued in write (line N)`, for edge descriptions. */
export function describeWork(o: WorkOrigin): string {
  const what = `work ${o.work}${o.workqueue ? ` on ${o.workqueue}` : ''}`;
  const q = o.queued;
  if (!q) return `in ${what} (queued before the trace began)`;
  const how = o.inferred ? 'probably queued' : 'queued';
  if (q.context) return `via ${what} ${how} from a ${q.context} (line ${q.line}, on ${q.comm}/${q.pid}'s CPU)`;
  if (q.syscall) return `via ${what} ${how} in ${q.syscall} (line ${q.line}, ${q.comm}/${q.pid})`;
  if (q.via) {
    const inner = q.via.queued?.syscall ? `, itself queued in ${q.via.queued.syscall} (line ${q.via.queued.line})` : '';
    return `via ${what} ${how} by ${q.comm}/${q.pid} running work ${q.via.work} (line ${q.line}${inner})`;
  }
  return `via ${what} ${how} by ${q.comm}/${q.pid} outside a syscall (line ${q.line})`;
}

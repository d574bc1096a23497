// Copies records onto the wire. Each function takes anything shaped like one of the protocol's
// records (a core record is: it has every field the protocol has, and maybe more) and returns a
// fresh object with exactly the protocol's fields. So a field a core record gains stays off the
// wire until it is added to the protocol's types (with a version bump), and a field it loses or
// retypes fails to compile where the record is passed in. The debug adapter (src/adapter/session.ts)
// and the panel host (src/panel/model.ts) send only what comes out of here.

import {
  CycleEdgeBody,
  FindingBody,
  HeldLockBody,
  InstanceEdgeBody,
  WorkOriginBody,
  LockUsageBody,
  REPLAY_STATE_VERSION,
  ReplayStateBody,
  SyscallBody,
  TaskStateBody,
} from './replayState';

/** A replay position (the core's ReplayView) with what the state body says about the whole trace. */
export type ReplayPosition = Omit<ReplayStateBody, 'version'>;

export function encodeReplayState(p: ReplayPosition): ReplayStateBody {
  return {
    version: REPLAY_STATE_VERSION,
    path: p.path,
    index: p.index,
    line: p.line,
    taskId: p.taskId,
    totalEvents: p.totalEvents,
    tasks: p.tasks.map(encodeTask),
    findingsSoFar: p.findingsSoFar.map(encodeFinding),
    totalFindings: p.totalFindings,
  };
}

export function encodeTask(t: TaskStateBody): TaskStateBody {
  return {
    taskId: t.taskId,
    pid: t.pid,
    comm: t.comm,
    held: t.held.map(encodeHeldLock),
    syscall: t.syscall && encodeSyscall(t.syscall),
    exited: t.exited,
    lastEvent: t.lastEvent,
  };
}

export function encodeHeldLock(h: HeldLockBody): HeldLockBody {
  return {
    lockId: h.lockId,
    lock: h.lock,
    className: h.className,
    domain: h.domain,
    read: h.read,
    try: h.try,
    pending: h.pending,
    acrossSyscall: h.acrossSyscall,
    sinceBeforeTrace: h.sinceBeforeTrace,
    context: h.context,
    node: h.node,
    eventIndex: h.eventIndex,
    line: h.line,
    syscall: h.syscall,
    syscallLine: h.syscallLine,
  };
}

export function encodeSyscall(s: SyscallBody): SyscallBody {
  return { name: s.name, nr: s.nr, eventIndex: s.eventIndex, line: s.line };
}

export function encodeFinding(f: FindingBody): FindingBody {
  const out: FindingBody = {
    id: f.id,
    kind: f.kind,
    message: f.message,
    eventIndex: f.eventIndex,
    line: f.line,
    pid: f.pid,
    comm: f.comm,
    syscall: f.syscall,
    locks: f.locks.slice(),
    related: f.related.map((r) => ({ line: r.line, message: r.message })),
    occurrences: f.occurrences,
  };
  // optional fields stay absent (not `undefined`) when the core leaves them out
  if (f.order !== undefined) out.order = f.order;
  if (f.cycle !== undefined) out.cycle = f.cycle.map(encodeCycleEdge);
  if (f.usages !== undefined) out.usages = f.usages.map(encodeLockUsage);
  if (f.cycleId !== undefined) out.cycleId = f.cycleId;
  if (f.cycleFingerprint !== undefined) out.cycleFingerprint = f.cycleFingerprint;
  if (f.component !== undefined) out.component = f.component;
  if (f.instanceCycle !== undefined) out.instanceCycle = f.instanceCycle;
  if (f.instances !== undefined) out.instances = f.instances.map(encodeInstanceEdge);
  if (f.guardedBy !== undefined) out.guardedBy = f.guardedBy.slice();
  return out;
}

export function encodeInstanceEdge(e: InstanceEdgeBody): InstanceEdgeBody {
  return { from: e.from, to: e.to, fromInstance: e.fromInstance, toInstance: e.toInstance, line: e.line };
}

export function encodeWorkOrigin(o: WorkOriginBody): WorkOriginBody {
  const out: WorkOriginBody = { work: o.work };
  if (o.workqueue !== undefined) out.workqueue = o.workqueue;
  if (o.queued !== undefined) {
    const q = o.queued;
    out.queued = { line: q.line, pid: q.pid, comm: q.comm, syscall: q.syscall };
    if (q.context !== undefined) out.queued.context = q.context;
    if (q.via !== undefined) out.queued.via = encodeWorkOrigin(q.via);
  }
  if (o.inferred !== undefined) out.inferred = o.inferred;
  return out;
}

export function encodeCycleEdge(e: CycleEdgeBody): CycleEdgeBody {
  const out: CycleEdgeBody = {
    from: e.from,
    to: e.to,
    eventIndex: e.eventIndex,
    line: e.line,
    pid: e.pid,
    comm: e.comm,
    syscall: e.syscall,
    fromEventIndex: e.fromEventIndex,
    fromLine: e.fromLine,
    fromSyscall: e.fromSyscall,
    crossSyscall: e.crossSyscall,
    fromRead: e.fromRead,
    toRead: e.toRead,
  };
  if (e.site !== undefined) out.site = e.site;
  if (e.fromSite !== undefined) out.fromSite = e.fromSite;
  if (e.via !== undefined) out.via = encodeWorkOrigin(e.via);
  return out;
}

export function encodeLockUsage(u: LockUsageBody): LockUsageBody {
  const out: LockUsageBody = { lock: u.lock, usage: u.usage, line: u.line };
  if (u.comm !== undefined) out.comm = u.comm;
  if (u.pid !== undefined) out.pid = u.pid;
  return out;
}

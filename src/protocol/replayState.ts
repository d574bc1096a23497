// The debug adapter's custom DAP protocol for the lock panel: the event `locktraceState` (also a
// request answered with the same body) and the request `locktraceSeek`. Consumed by the
// extension's lock panel and editor features, and carried on to the webview inside the panel
// protocol's `state` message. Versioned, plain JSON.
//
// These are the protocol's own records, not the core's: src/protocol/encode.ts copies records
// onto them field by field (a core record passes as one), so a change in src/core cannot change
// what goes over the wire unnoticed. test/unit/protocol/versions.test.ts compares the shape of
// every type here with test/golden/protocol/replayState.txt and fails when it changed while
// REPLAY_STATE_VERSION did not.

/** Bumped on any change of the types below (the version test insists). */
export const REPLAY_STATE_VERSION = 3;

/** Name of the custom DAP event and request. */
export const REPLAY_STATE_EVENT = 'locktraceState';
/** Custom DAP request: move the replay to an event (body: SeekArguments), answered with a ReplayStateBody. */
export const SEEK_REQUEST = 'locktraceSeek';

export type FindingKindName =
  | 'inversion'
  | 'recursive'
  | 'held-across-syscall'
  | 'bad-unlock'
  | 'held-at-exit'
  | 'irq-state'
  | 'held-lock-freed'
  | 'lockdep-other'
  | 'contention'
  | 'order-violation';

/** Where a lock lives: a kernel lock, a userspace lock, a file lock. */
export type LockDomainName = 'kernel' | 'user' | 'file';

/** A lock held by a task at the current position. */
export interface HeldLockBody {
  lockId: number;
  /** Lock identity (address, file). */
  lock: string;
  className: string;
  domain: LockDomainName;
  read: boolean;
  try: boolean;
  /** Still waiting for it (blocking acquisition not yet returned). */
  pending: boolean;
  /** A syscall returned to userspace while it was held. */
  acrossSyscall: boolean;
  /** Held since before the trace began: its release is in the trace, its acquisition is not. */
  sinceBeforeTrace: boolean;
  /** The context it was taken in (kernel traces with latency flags). */
  context: 'process' | 'softirq' | 'hardirq';
  /** The lock-graph node it counts as: its class, or `class/N` when nested in another instance. */
  node: string;
  /** Acquisition event and its 1-based trace line. */
  eventIndex: number;
  line: number;
  /** Syscall that acquired it (null: userspace / unknown) and that syscall's 1-based entry line. */
  syscall: string | null;
  syscallLine: number | null;
}

/** The syscall a task is in at the current position. */
export interface SyscallBody {
  name: string;
  nr: number;
  /** Its sys_enter event and 1-based trace line; -1 and 0 (and `nr` -1) when it was entered before the trace began. */
  eventIndex: number;
  line: number;
}

/** One task at the current position. */
export interface TaskStateBody {
  taskId: number;
  pid: number;
  comm: string;
  /** Outermost first. */
  held: HeldLockBody[];
  syscall: SyscallBody | null;
  exited: boolean;
  /** This task's last event at or before the position, or -1. */
  lastEvent: number;
}

/** One edge of a finding's cycle: `from` was held when `to` was taken. */
export interface CycleEdgeBody {
  from: string;
  to: string;
  /** Event that first made this edge, and its 1-based trace line. */
  eventIndex: number;
  line: number;
  pid: number;
  comm: string;
  /** Syscall in progress when `to` was taken (null: in userspace or unknown). */
  syscall: string | null;
  /** Event, 1-based line and syscall where the `from` lock was acquired. */
  fromEventIndex: number;
  fromLine: number;
  fromSyscall: string | null;
  /** `from` was acquired in an earlier syscall (or in userspace) than the one taking `to`. */
  crossSyscall: boolean;
  /** Source call sites (`file:line in fn`) of the two acquisitions, when the trace recorded them. */
  site?: string;
  fromSite?: string;
  fromRead: boolean;
  toRead: boolean;
  /** Made by a kernel worker running a work item: the work and where it was queued. */
  via?: WorkOriginBody;
}

/** A work item a kernel worker ran, and where it was queued. */
export interface WorkOriginBody {
  /** Its function (workqueue events) or its lockdep class `(work_completion)(&w)`. */
  work: string;
  workqueue?: string;
  /** Where it was queued (absent: before the trace began). */
  queued?: WorkQueuedBody;
  /** Matched through the worker pool's lock, not by workqueue events. */
  inferred?: boolean;
}

export interface WorkQueuedBody {
  /** 1-based trace line of the queuing event. */
  line: number;
  pid: number;
  comm: string;
  syscall: string | null;
  /** Queued by an interrupt on that task's CPU. */
  context?: 'softirq' | 'hardirq';
  /** The queuing task was running a work item itself (one level). */
  via?: WorkOriginBody;
}

/** An edge between two lock instances (the instance view of a class edge). */
export interface InstanceEdgeBody {
  /** Classes (graph nodes) of the two locks. */
  from: string;
  to: string;
  /** The instances as the trace prints them (address, recorder lock id). */
  fromInstance: string;
  toInstance: string;
  /** 1-based line where this pair first made the edge. */
  line: number;
}

/** One interrupt usage of a lock class (irq-state findings). */
export interface LockUsageBody {
  lock: string;
  /** lockdep's name of the usage: IN-HARDIRQ-W, SOFTIRQ-ON-R, … */
  usage: string;
  /** 1-based line where the usage first showed up (0: not known). */
  line: number;
  comm?: string;
  pid?: number;
}

export interface RelatedLineBody {
  /** 1-based trace line. */
  line: number;
  message: string;
}

export interface FindingBody {
  /** Index in the trace's finding list (ordered by eventIndex). */
  id: number;
  kind: FindingKindName;
  message: string;
  /** Event where it first shows up, and its 1-based trace line. */
  eventIndex: number;
  line: number;
  pid: number;
  comm: string;
  /** Syscall in progress at that event (null: none/unknown). */
  syscall: string | null;
  /** Class names involved, sorted. */
  locks: string[];
  /** Inversions only: whether some edge exists only because a lock was held across a syscall. */
  order?: 'syscall-order' | 'in-kernel' | 'userspace';
  /** Inversions only. */
  cycle?: CycleEdgeBody[];
  /** irq-state findings: the conflicting usages. */
  usages?: LockUsageBody[];
  /** Other lines worth looking at. */
  related: RelatedLineBody[];
  /** Inversions: the cycle's short id (`LT-3f9a`) and fingerprint, from its set of classes. */
  cycleId?: string;
  cycleFingerprint?: string;
  /** Inversions: the id of its strongly connected component. */
  component?: string;
  /** Inversions: closes between lock instances too (true), only between different instances (false), not known (null). */
  instanceCycle?: boolean | null;
  /** The instance cycle, or the instance pairs seen on the cycle's edges. */
  instances?: InstanceEdgeBody[];
  /** Inversions: gate locks every edge of the cycle was made under (the cycle cannot deadlock). */
  guardedBy?: string[];
  /** How many times the same finding was seen. */
  occurrences: number;
}

export interface ReplayStateBody {
  version: typeof REPLAY_STATE_VERSION;
  /** Absolute path of the trace file. */
  path: string;
  /** Current event (its effect included) and its 1-based trace line. */
  index: number;
  line: number;
  /** Task of the current event. */
  taskId: number;
  totalEvents: number;
  tasks: TaskStateBody[];
  /** Findings whose event is at or before `index`. */
  findingsSoFar: FindingBody[];
  /** Number of findings in the whole trace. */
  totalFindings: number;
}

export interface SeekArguments {
  /** Event index, or `line` (1-based trace line; the nearest event at or after it). */
  index?: number;
  line?: number;
}

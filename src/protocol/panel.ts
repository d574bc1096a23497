// The extension ⇄ webview protocol of the lock-state panel: typed, versioned, plain JSON.
// Imported by both bundles (extension host: src/vscode/panel.ts, src/panel/*; webview:
// media/src/*). The webview speaks first (`ready`); the host answers with `init` and then pushes
// `state`, `graph` and `timeline` messages. The timeline is windowed: the webview asks for an
// event range and a pixel budget, the host computes only that window (aggregated when it is large),
// so a 10-million-event trace never crosses the boundary whole. Plain JSON except the buckets of
// aggregated windows, which are typed arrays (structured clone copies them as flat buffers).
//
// Line numbers named `line` are 1-based trace lines throughout (never editor positions).
//
// The protocol's own records (and those of ./replayState.ts, which the `state` message carries):
// the panel host (src/panel/model.ts) builds them from the core's, field by field.
// test/unit/protocol/versions.test.ts compares the shape of every type here with
// test/golden/protocol/panel.txt and fails when it changed while PANEL_PROTOCOL_VERSION did not.

import type { CycleEdgeBody, FindingBody, InstanceEdgeBody, LockDomainName, ReplayStateBody, WorkOriginBody } from './replayState';

/** Bumped on any change of the types below (the version test insists); both sides check it in `ready` / `init`. */
export const PANEL_PROTOCOL_VERSION = 7;

/** Webview panel type, also the key of the WebviewPanelSerializer. */
export const PANEL_VIEW_TYPE = 'locktrace.lockPanel';

/** At most this many events are drawn one by one; larger windows are aggregated into buckets. */
export const TIMELINE_DETAIL_MAX_EVENTS = 4000;
/** Upper bound of the pixel budget of a window (buckets are at most one per pixel). */
export const TIMELINE_MAX_BUCKETS = 2000;
/** At most this many lanes (tasks) per window; pinned tasks first. */
export const TIMELINE_MAX_LANES = 64;

// ---------------------------------------------------------------------------------------------
// Payloads

/** Where the panel's position comes from. */
export type PanelSource = 'debug' | 'standalone';

export interface TaskSummary {
  taskId: number;
  pid: number;
  comm: string;
  firstEvent: number;
}

/** Everything about the trace that does not change with the position. */
export interface TraceSummary {
  /** Absolute path (or URI string) of the trace file. */
  path: string;
  /** File name, for titles. */
  name: string;
  totalEvents: number;
  /** 1-based trace lines of the first and last events. */
  firstLine: number;
  lastLine: number;
  tasks: TaskSummary[];
  /** Every finding of the trace (the state carries the ones at or before the position). */
  findings: FindingBody[];
  /** A kernel log: no syscall spans (a lock without a syscall is not "in userspace"), tasks are a report's. */
  kernelLog?: boolean;
  /** Strongly connected components of the class graph with the cycles the trace closed in them. */
  components: ComponentBody[];
}

/** A cycle of a component: classes in order (path[k] -> path[k+1], the last back to the first). */
export interface ComponentCycleBody {
  cycleId: string;
  path: string[];
  /** 1-based line where the trace closed it (its newest edge was made). */
  line: number;
  /** A finding reports it. */
  reported: boolean;
  /** Closes between the same lock instances too (true), only between different ones (false), not known (null). */
  instanceCycle: boolean | null;
  /** Gate locks every edge of it was made under: it cannot deadlock. */
  guardedBy?: string[];
}

/** Classes that all reach each other in the lock-order graph, and the cycles among them. */
export interface ComponentBody {
  id: string;
  classes: string[];
  /** Edges between its classes. */
  edges: number;
  /** 1-based line of its first cycle. */
  line: number;
  cycles: ComponentCycleBody[];
  /** The bounded cycle search stopped early. */
  truncated?: boolean;
}

/** A syscall of one task, as a bar [enter, exit] over event indices. */
export interface SyscallBar {
  name: string;
  nr: number;
  /** Event index of sys_enter (may lie before the window) and its 1-based line. */
  enter: number;
  enterLine: number;
  /** Event index of sys_exit, or null when it has not returned by the window's end. */
  exit: number | null;
  exitLine: number | null;
  /**
   * Entered before the trace began (the trace shows its exit, not its entry): `enter` is then the
   * task's first event, and `nr` is -1.
   */
  sinceBeforeTrace: boolean;
}

/** A lock held by one task, as a bar [start, end] over event indices, nested by depth. */
export interface LockBar {
  lockId: number;
  className: string;
  /** The lock-graph node it counts as: its class, or `class/N` when nested in another instance. */
  node: string;
  /** Where the lock lives (a kernel lock outside a syscall was not taken in userspace). */
  domain: LockDomainName;
  /** The context it was taken in (kernel traces with latency flags). */
  context: 'process' | 'softirq' | 'hardirq';
  /** Held since before the trace began: the bar starts at the task's first event, not at an acquisition. */
  sinceBeforeTrace: boolean;
  /** Nesting depth when taken: 0 = outermost. */
  depth: number;
  /** Acquisition event (may lie before the window) and its 1-based line. */
  start: number;
  startLine: number;
  /** Release (or failed acquisition) event, or null when still held at the window's end. */
  end: number | null;
  endLine: number | null;
  read: boolean;
  try: boolean;
  pending: boolean;
  /** Syscall that acquired it (null: userspace / unknown). */
  syscall: string | null;
  /** A syscall returned to userspace while it was held (at any time up to `end`). */
  acrossSyscall: boolean;
}

/**
 * One wait of a task for a kernel lock (the analysis' contention waits: lockdep's lock_contended …
 * lock_acquired, or contention_begin … contention_end), as a bar [begin, end] over event indices.
 */
export interface WaitBar {
  /** The lock class waited for (a stock kernel's contention events name only an address). */
  className: string;
  /** The event that started the wait (may lie before the window) and its 1-based line. */
  begin: number;
  beginLine: number;
  /** The event that ended it and its 1-based line, or null when the trace has no end of it. */
  end: number | null;
  endLine: number | null;
  /** Seconds waited (null without an end). */
  seconds: number | null;
  /** The syscall that waited (null: none seen: a fault, an interrupt, a kernel thread). */
  syscall: string | null;
  /** The kernel function that took the lock (from a recorded kernel stack), when known. */
  caller: string | null;
}

/**
 * Aggregated activity of every lane of a large window, columnar: lane `l`'s bucket `k` is at
 * `l * count + k` of each array. Buckets lie on the grid of multiples of `size` (a power of two),
 * clipped to the window: bucket k covers [start + k·size, start + (k+1)·size) ∩ [from, to), so
 * panning does not move the buckets that stay on screen. Each array is its own buffer.
 */
export interface TimelineBuckets {
  /** Events per bucket (a power of two). */
  size: number;
  /** The grid line at or before the window start: floor(from / size) · size. */
  start: number;
  count: number;
  /** Events of the lane's task in the bucket. */
  events: Uint32Array;
  /** Of those, the ones that happened inside a syscall (its exit included). */
  inSyscall: Uint32Array;
  /** Deepest held-lock stack after one of those events (capped at 255). */
  maxDepth: Uint8Array;
  /** 1 when one of the task's syscalls returned to userspace with a lock held (a leak) in the bucket. */
  leak: Uint8Array;
}

/** Event range [from, to) of bucket `k` of a window's buckets. */
export function bucketRange(w: { from: number; to: number }, b: Pick<TimelineBuckets, 'size' | 'start'>, k: number): [number, number] {
  return [Math.max(w.from, b.start + k * b.size), Math.min(w.to, b.start + (k + 1) * b.size)];
}

export interface TimelineLane {
  taskId: number;
  pid: number;
  comm: string;
  /** Detail windows only. */
  syscalls: SyscallBar[];
  locks: LockBar[];
  /** Kernel lock waits of the task in the window (detail windows only). */
  waits: WaitBar[];
  /** Deepest nesting in the window (lane height). */
  maxDepth: number;
}

/** One window of the swimlane timeline. The x axis is the event index. */
export interface TimelineWindow {
  /** Echo of the request id, so late answers to stale requests can be dropped. */
  requestId: number;
  /** Event index range [from, to). */
  from: number;
  to: number;
  mode: 'detail' | 'aggregate';
  totalEvents: number;
  lanes: TimelineLane[];
  /** Aggregated windows only (null in detail windows). */
  buckets: TimelineBuckets | null;
  /** Tasks with activity in the window that were left out (lane limit or filter). */
  hiddenLanes: number;
}

export interface GraphNode {
  /** Lock class name. */
  id: string;
  acquisitions: number;
  firstEvent: number;
}

/**
 * One edge of the graph: `from` was held when `to` was taken (what the panel draws of a cycle
 * edge), and how many times it was made.
 */
export interface GraphEdge extends Pick<
  CycleEdgeBody,
  'from' | 'to' | 'eventIndex' | 'line' | 'pid' | 'comm' | 'syscall' | 'fromLine' | 'fromSyscall' | 'crossSyscall' | 'via'
> {
  count: number;
  /** Kernel logs: the context the edge was made in, read from its stack (`syscall ioctl`, `workqueue fn`, `softirq fn`). */
  context?: string;
}

/** An edge between two lock instances (the instance view), with the event that first made it. */
export interface InstanceGraphEdgeBody extends InstanceEdgeBody {
  eventIndex: number;
}

/** The lock-order graph of the classes seen up to `upTo` (inclusive). */
export interface LockGraphView {
  upTo: number;
  nodes: GraphNode[];
  edges: GraphEdge[];
  /** Nodes left out to keep the drawing readable (cycle nodes are always kept). */
  truncatedNodes: number;
  /** The instance view: instance pairs of the edges inside components, between drawn classes, made up to `upTo`. */
  instances: InstanceGraphEdgeBody[];
}

/** Whether an edge or cycle of a compared trace is new, gone or in both. */
export type DiffStatus = 'new' | 'gone' | 'unchanged';

/** An edge of the diff view: where it was first made in the trace that has it (the shown one, for unchanged edges). */
export interface DiffEdgeBody {
  from: string;
  to: string;
  status: DiffStatus;
  /** 1-based line in that trace, the task and the syscall (null: none). */
  line: number;
  pid: number;
  comm: string;
  syscall: string | null;
  via?: WorkOriginBody;
  count: number;
}

export interface DiffCycleBody {
  cycleId: string;
  path: string[];
  status: DiffStatus;
  /** 1-based line where the trace that has it closed it. */
  line: number;
}

/** The lock graph of the shown trace compared with another recording (`locktrace diff`). */
export interface GraphDiffView {
  /** The other trace: its name and path (URI string). */
  otherName: string;
  otherPath: string;
  /** Whether the shown trace is the newer one (the other is what it is compared with). */
  shownIsNew: boolean;
  counts: { edges: Record<DiffStatus, number>; cycles: Record<DiffStatus, number> };
  /** New and gone edges, and the unchanged ones between their classes (capped). */
  edges: DiffEdgeBody[];
  cycles: DiffCycleBody[];
  /** Edges left out of `edges` to keep the drawing readable. */
  truncatedEdges: number;
}

/** What the graph section draws. */
export type GraphMode = 'class' | 'instance' | 'diff';

// ---------------------------------------------------------------------------------------------
// Messages

/** Host → webview. */
export type HostMessage =
  | { type: 'init'; version: number; source: PanelSource; trace: TraceSummary }
  | { type: 'state'; version: number; state: ReplayStateBody }
  | { type: 'timeline'; version: number; window: TimelineWindow }
  | { type: 'graph'; version: number; graph: LockGraphView }
  /** The lock graph compared with another trace (null: no comparison). */
  | { type: 'diff'; version: number; diff: GraphDiffView | null }
  /** The host could not load or follow the trace. */
  | { type: 'error'; version: number; message: string };

/** Where to move: an event index, or a 1-based trace line (nearest event at or after it). */
export type SeekTarget = { index: number } | { line: number };

/** Webview → host. */
export type WebviewMessage =
  /** First message of the webview: nothing is pushed before it. */
  | { type: 'ready'; version: number }
  | { type: 'seek'; target: SeekTarget }
  /** Select a finding (null: none); `seek` also moves the position to where it first shows up. */
  | { type: 'selectFinding'; findingId: number | null; seek: boolean }
  /** Ask for the timeline over events [from, to) drawn in about `width` pixels. */
  | { type: 'requestTimeline'; requestId: number; from: number; to: number; width: number; tasks: TaskFilter }
  /** Pinned/filtered tasks changed (the host keeps them for timeline windows and restore). */
  | { type: 'setTaskFilter'; tasks: TaskFilter };

export interface TaskFilter {
  /** Task ids shown first, whatever the filter says. */
  pinned: number[];
  /** Case-insensitive substring of comm or pid; '' shows all. */
  text: string;
}

/** What the webview keeps with setState (restored after reload; also read by the serializer). */
export interface PanelPersistedState {
  version: number;
  tracePath: string | null;
  index: number | null;
  selectedFindingId: number | null;
  tasks: TaskFilter;
  /** Visible timeline range. */
  view: { from: number; to: number } | null;
  /** What the graph section draws. */
  graphMode: GraphMode;
}

// ---------------------------------------------------------------------------------------------
// Helpers shared by both sides

export function hostMessage<T extends HostMessage['type']>(
  type: T,
  body: Omit<Extract<HostMessage, { type: T }>, 'type' | 'version'>,
): Extract<HostMessage, { type: T }> {
  return { type, version: PANEL_PROTOCOL_VERSION, ...body } as Extract<HostMessage, { type: T }>;
}

/** Fails to compile when a switch over a union misses a case; throws if reached at run time. */
export function assertNever(x: never, what = 'message'): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}

const HOST_TYPES: ReadonlySet<string> = new Set<HostMessage['type']>(['init', 'state', 'timeline', 'graph', 'diff', 'error']);
const WEBVIEW_TYPES: ReadonlySet<string> = new Set<WebviewMessage['type']>([
  'ready',
  'seek',
  'selectFinding',
  'requestTimeline',
  'setTaskFilter',
]);

function hasType(x: unknown): x is { type: string } {
  return typeof x === 'object' && x !== null && typeof (x as { type?: unknown }).type === 'string';
}

/** Shallow guard for what arrives through postMessage (other extensions' frames may post too). */
export function isHostMessage(x: unknown): x is HostMessage {
  return hasType(x) && HOST_TYPES.has(x.type) && (x as { version?: unknown }).version === PANEL_PROTOCOL_VERSION;
}

export function isWebviewMessage(x: unknown): x is WebviewMessage {
  return hasType(x) && WEBVIEW_TYPES.has(x.type);
}

export function emptyTaskFilter(): TaskFilter {
  return { pinned: [], text: '' };
}

// The replay state the debug adapter publishes with its custom DAP event `locktraceState`
// (and answers to the custom request `locktraceState`), consumed by the extension's lock panel.
// Versioned; plain JSON; shared by the adapter and the panel bundles.
// May import only src/core types.

import type { Finding, TaskView } from '../core';

export const REPLAY_STATE_VERSION = 1;

/** Name of the custom DAP event and request. */
export const REPLAY_STATE_EVENT = 'locktraceState';
/** Custom DAP request: move the replay to an event (body: SeekArguments), answered with a ReplayStateBody. */
export const SEEK_REQUEST = 'locktraceSeek';

/** One task at the current position: the replay engine's own view record, sent as is. */
export type TaskStateBody = TaskView;

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
  findingsSoFar: Finding[];
  /** Number of findings in the whole trace. */
  totalFindings: number;
}

export interface SeekArguments {
  /** Event index, or `line` (1-based trace line; the nearest event at or after it). */
  index?: number;
  line?: number;
}

// Messages between the extension host and the analysis worker (out/analysisWorker.js), which
// parses and analyses big traces off the extension host's thread. One request per worker; the host
// cancels by terminating the worker.
// May import only src/core types and src/editor/transfer types.

import type { FormatOption, ReadLockRule } from '../core';
import type { PackedAnalysis } from '../editor/transfer';

export const ANALYSIS_WORKER_VERSION = 1;

export interface AnalyzeRequest {
  type: 'analyze';
  version: typeof ANALYSIS_WORKER_VERSION;
  /** Name used in messages (path or URI). */
  file: string;
  /** Read the trace from this path (saved documents), or parse `text` (unsaved edits). */
  path?: string;
  text?: string;
  format: FormatOption;
  readLocks: ReadLockRule;
}

export type WorkerMessage =
  | { type: 'progress'; message: string; percent: number }
  | { type: 'done'; analysis: PackedAnalysis }
  /** `line` is set for a TraceError (1-based, 0: not tied to a line). */
  | { type: 'error'; message: string; traceError?: { line: number; expected: string } };

// Messages between loadAnalysis (src/load/index.ts, on the caller's thread) and the analysis worker
// (src/load/worker.ts, bundled to out/analysisWorker.js), which parses and analyses big traces off
// the caller's thread. One request per worker; the caller cancels by terminating the worker.

import type { Arch, FormatOption, ReadLockRule } from '../core';
import type { PackedAnalysis } from './transfer';

export const ANALYSIS_WORKER_VERSION = 3;

export interface AnalyzeRequest {
  type: 'analyze';
  version: typeof ANALYSIS_WORKER_VERSION;
  /** Name used in messages (path or URI). */
  file: string;
  /** Read the trace from this path (saved documents), or parse `text` (unsaved edits). */
  path?: string;
  text?: string | Uint8Array;
  format: FormatOption;
  readLocks: ReadLockRule;
  /** Order events by timestamp (`--sort`); default false. */
  sort?: boolean;
  /** Syscall table of raw_syscalls events; default x86_64. */
  arch?: Arch;
  /** The traced kernel's /proc/lockdep, read from this path (see AnalyzeOptions.lockdep). */
  lockdepPath?: string;
}

/** Where a load is, for progress reports: `percent` of the whole load (reading 0–50, analysing 50–100). */
export interface ProgressMessage {
  type: 'progress';
  phase: 'reading' | 'analysing';
  /** Short text for a progress bar (`reading`, `analysing`). */
  message: string;
  percent: number;
}

export type WorkerMessage =
  | ProgressMessage
  | { type: 'done'; analysis: PackedAnalysis }
  /**
   * `traceError` is set for a TraceError (`line` 1-based, 0: not tied to a line) and carries what
   * the caller needs to throw the same TraceError; `code`/`path` for file system errors.
   */
  | {
      type: 'error';
      message: string;
      traceError?: { file: string; line: number; expected: string; got?: string };
      code?: string;
      path?: string;
    };

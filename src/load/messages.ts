// Messages between loadAnalysis (src/load/index.ts, on the caller's thread) and the analysis worker
// (src/load/worker.ts, bundled to out/analysisWorker.js), which parses and analyses big traces off
// the caller's thread. One request per worker; the caller cancels by terminating the worker. The
// error shape (PostedError) is also the parse workers' (src/load/parseWorker.ts).

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
  | ({ type: 'error'; traceError?: { file: string; line: number; expected: string; got?: string } } & PostedError);

/** A thrown value as a worker posts it: its message, and `code`/`path` for file system errors. */
export interface PostedError {
  message: string;
  code?: string;
  path?: string;
}

/** What a worker (the analysis worker, a parse worker) posts for an error it caught. */
export function postedError(e: unknown): PostedError {
  const err = e as NodeJS.ErrnoException;
  return {
    message: e instanceof Error ? e.message : String(e),
    code: typeof err?.code === 'string' ? err.code : undefined,
    path: typeof err?.path === 'string' ? err.path : undefined,
  };
}

/** The error a worker posted, thrown again on the caller's thread with the same message, code and path. */
export function errorOfPosted(msg: PostedError): NodeJS.ErrnoException {
  const e: NodeJS.ErrnoException = new Error(msg.message);
  if (msg.code) e.code = msg.code;
  if (msg.path) e.path = msg.path;
  return e;
}

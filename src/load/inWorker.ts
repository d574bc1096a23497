// The caller's half of the analysis worker: starts out/analysisWorker.js for one request, relays
// its progress, turns its answer back into an Analysis (or the same error the in-process path would
// throw) and terminates it when the load is cancelled.

import * as fs from 'fs';
import { Worker } from 'worker_threads';
import { Analysis, TraceError } from '../core';
import { AnalyzeRequest, ProgressMessage, WorkerMessage, errorOfPosted } from './messages';
import { unpackAnalysis } from './transfer';

/** Thrown (rejected with) when a load's signal is aborted. Its name is `AbortError`, like fetch's. */
export class LoadCancelled extends Error {
  constructor() {
    super('loading cancelled');
    this.name = 'AbortError';
  }
}

/** Runs one request in a new worker thread. */
export function analyseInWorker(
  script: string,
  req: AnalyzeRequest,
  hooks: { signal?: AbortSignal; onProgress?: (p: ProgressMessage) => void } = {},
): Promise<Analysis> {
  const { signal, onProgress } = hooks;
  if (signal?.aborted) return Promise.reject(new LoadCancelled());
  if (!fs.existsSync(script)) return Promise.reject(new Error(`the analysis worker is missing: ${script} (run the build)`));
  return new Promise<Analysis>((resolve, reject) => {
    const worker = new Worker(script);
    let settled = false;
    const settle = (e: Error | undefined, a?: Analysis) => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      void worker.terminate();
      if (e) reject(e);
      else resolve(a!);
    };
    const onAbort = () => settle(new LoadCancelled());
    signal?.addEventListener('abort', onAbort, { once: true });
    worker.on('message', (msg: WorkerMessage) => {
      switch (msg.type) {
        case 'progress':
          if (!settled) onProgress?.(msg);
          return;
        case 'done':
          try {
            settle(undefined, unpackAnalysis(msg.analysis));
          } catch (e) {
            settle(new Error(`cannot unpack the worker's analysis: ${e instanceof Error ? e.message : String(e)}`));
          }
          return;
        case 'error':
          settle(errorOf(msg));
          return;
        default: {
          const never: never = msg;
          void never;
        }
      }
    });
    worker.on('error', (e) => settle(new Error(`analysis worker failed: ${e.message}`)));
    // after `done` or `error` the worker's exit is expected (settle ignores it)
    worker.on('exit', (code) => settle(new Error(`analysis worker exited (${code})`)));
    worker.postMessage(req);
  });
}

/** The worker's error message as the error the in-process path would have thrown. */
function errorOf(msg: Extract<WorkerMessage, { type: 'error' }>): Error {
  if (msg.traceError) {
    const t = msg.traceError;
    // same file, line and fields; the message is the worker's (it may carry a specific reason)
    return Object.assign(new TraceError(t.file, t.line, t.expected, t.got), { message: msg.message });
  }
  return errorOfPosted(msg);
}

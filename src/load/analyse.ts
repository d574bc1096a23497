// Parse and analyse one trace on the current thread: the one recipe both the analysis worker and
// loadAnalysis's in-process path run, so a trace gives the same Analysis wherever it is analysed.
// Reading and analysing report progress as one 0–100 scale (reading 0–50, analysing 50–100).

import * as fs from 'fs';
import { Analysis, FINDING_KINDS, ProcLockdep, TraceError, analyzeAsync, parseProcLockdep, parseTrace } from '../core';
import type { AnalyzeRequest, ProgressMessage } from './messages';
import { readTraceFile } from './readFile';

export type AnalyseRequest = Omit<AnalyzeRequest, 'type' | 'version'>;

/** Reads (`path`) or parses (`text`) a trace and analyses it, yielding to the event loop on the way. */
export async function readAndAnalyse(
  req: AnalyseRequest,
  hooks: { signal?: { aborted: boolean }; onProgress?: (p: ProgressMessage) => void } = {},
): Promise<Analysis> {
  const progress = hooks.onProgress;
  // 'reading', or 'reading on N threads' once the parallel parse has begun
  let reading = 'reading';
  const store =
    req.path !== undefined
      ? await readTraceFile(req.path, {
          format: req.format,
          sort: req.sort,
          arch: req.arch,
          signal: hooks.signal,
          onParallel: (n) => (reading = `reading on ${n} thread${n === 1 ? '' : 's'}`),
          onProgress: progress
            ? (b, size) => progress({ type: 'progress', phase: 'reading', message: reading, percent: (50 * b) / Math.max(size, 1) })
            : undefined,
        })
      : parseTrace(req.text ?? '', { file: req.file, format: req.format, sort: req.sort, arch: req.arch });
  store.file = req.file;
  const n = Math.max(store.length, 1);
  return analyzeAsync(store, {
    readLocks: req.readLocks,
    lockdep: req.lockdepPath !== undefined ? readLockdep(req.lockdepPath) : undefined,
    // every kind: which are reported is the caller's selection (selectFindings)
    kinds: FINDING_KINDS,
    signal: hooks.signal,
    onProgress: progress
      ? (done) => progress({ type: 'progress', phase: 'analysing', message: 'analysing', percent: 50 + (50 * done) / n })
      : undefined,
  });
}

/** A /proc/lockdep copy; a file that holds no lock class is an error naming it. */
function readLockdep(file: string): ProcLockdep {
  const p = parseProcLockdep(fs.readFileSync(file, 'utf8'));
  if (p.classes.length === 0)
    throw new TraceError(
      file,
      0,
      'a copy of /proc/lockdep (`KEY FD: n BD: n USAGE: NAME` lines)',
      undefined,
      'expected a copy of /proc/lockdep: no lock class line found',
    );
  return p;
}

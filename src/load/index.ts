// The loading layer's front door: loadAnalysis turns a trace (a file, or text held in memory) into
// an Analysis, in-process for small traces and in the analysis worker (out/analysisWorker.js) for
// big ones, with progress and cancellation, and applies the finding kinds and suppressions asked
// for. The CLI, the standalone debug adapter and the extension's TraceService all load through it.
// Node-only: never imports `vscode`.

import * as fs from 'fs';
import * as path from 'path';
import type { Analysis, Arch, FormatOption, ReadLockRule } from '../core';
import { AnalyseRequest, readAndAnalyse } from './analyse';
import { FindingSelection, LoadedAnalysis, selectFindings } from './findings';
import { LoadCancelled, analyseInWorker } from './inWorker';
import { ANALYSIS_WORKER_VERSION, ProgressMessage } from './messages';

export { LoadCancelled } from './inWorker';
export { findSuppressionsFile, isLoaded, readSuppressions, selectFindings } from './findings';
export type { FindingSelection, LoadedAnalysis, Suppressions } from './findings';
export { readTraceFile } from './readFile';
export type { ReadOptions } from './readFile';

/** Default size from which a trace is analysed in the worker (the `locktrace.analysis.workerThreshold` setting's default). */
export const DEFAULT_WORKER_THRESHOLD = 2 * 1024 * 1024;

/** A trace file (its path), or a trace held in memory (an editor's unsaved text) with the name messages use. */
export type TraceSource = string | { path: string; name?: string } | { text: string | Uint8Array; name: string };

export interface LoadOptions extends FindingSelection {
  format?: FormatOption;
  readLocks?: ReadLockRule;
  /** Order events by timestamp instead of file order. */
  sort?: boolean;
  arch?: Arch;
  /**
   * Traces of at least this size (bytes of a file, characters of a text) are analysed in the
   * worker thread (default DEFAULT_WORKER_THRESHOLD; 0: always; Infinity: never).
   */
  workerThreshold?: number;
  /**
   * The traced kernel's /proc/lockdep (a copy of the file): its classes tell which names several
   * classes share and which classes are nested on purpose. undefined: `TRACE.lockdep` next to a
   * trace file, when there is one; null: none.
   */
  lockdep?: string | null;
  /**
   * The bundled worker. Default: analysisWorker.js next to the running bundle (out/); where there is
   * none (a test bundle, an unbundled build) traces are analysed in-process whatever their size.
   */
  workerScript?: string;
}

export interface LoadProgress {
  phase: 'reading' | 'analysing';
  /** Of the whole load: reading 0–50, analysing 50–100. */
  percent: number;
  message: string;
  /** Whether the load runs in the worker thread (known from the first report on). */
  inWorker: boolean;
}

export interface LoadHooks {
  /** Aborting it stops the load (the worker is terminated); loadAnalysis then rejects with LoadCancelled. */
  signal?: AbortSignal;
  /** Called first with 0% (saying where the load runs), then now and then. */
  onProgress?: (p: LoadProgress) => void;
}

/** Whether an error is the rejection of a cancelled load. */
export function isCancelled(e: unknown): boolean {
  return e instanceof LoadCancelled || (e instanceof Error && (e.name === 'AbortError' || e.name === 'AnalysisCancelled'));
}

/**
 * Parses and analyses a trace. Rejects with the parser's TraceError (naming the file and line) when
 * the input is not a trace, with the file system's error (its `code` and `path`) when the file
 * cannot be read, and with LoadCancelled when `hooks.signal` is aborted.
 */
export async function loadAnalysis(source: TraceSource, options: LoadOptions = {}, hooks: LoadHooks = {}): Promise<LoadedAnalysis> {
  const { signal } = hooks;
  if (signal?.aborted) throw new LoadCancelled();
  const src = typeof source === 'string' ? { path: source } : source;
  let size: number;
  const req: AnalyseRequest = {
    file: '',
    format: options.format ?? 'auto',
    readLocks: options.readLocks ?? 'non-recursive',
    sort: options.sort,
    arch: options.arch,
  };
  if ('path' in src) {
    const st = await fs.promises.stat(src.path);
    if (st.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR', path: src.path });
    size = st.size;
    req.file = src.name ?? src.path;
    req.path = src.path;
    if (options.lockdep === undefined && fs.existsSync(`${src.path}.lockdep`)) req.lockdepPath = `${src.path}.lockdep`;
  } else {
    size = typeof src.text === 'string' ? src.text.length : src.text.byteLength;
    req.file = src.name;
    req.text = src.text;
  }
  if (options.lockdep) req.lockdepPath = options.lockdep;
  const script = options.workerScript ?? bundledWorker();
  const inWorker = script !== undefined && size >= (options.workerThreshold ?? DEFAULT_WORKER_THRESHOLD);
  const onProgress = hooks.onProgress;
  const report = onProgress
    ? (p: ProgressMessage) => onProgress({ phase: p.phase, percent: p.percent, message: p.message, inWorker })
    : undefined;
  report?.({ type: 'progress', phase: 'reading', message: 'reading', percent: 0 });
  let analysis: Analysis;
  try {
    analysis = inWorker
      ? await analyseInWorker(script, { type: 'analyze', version: ANALYSIS_WORKER_VERSION, ...req }, { signal, onProgress: report })
      : await readAndAnalyse(req, { signal, onProgress: report });
  } catch (e) {
    throw signal?.aborted ? new LoadCancelled() : e;
  }
  if (signal?.aborted) throw new LoadCancelled();
  return selectFindings(analysis, options, inWorker);
}

/** out/analysisWorker.js when this code runs from a bundle beside it. */
function bundledWorker(): string | undefined {
  const p = path.join(__dirname, 'analysisWorker.js');
  return fs.existsSync(p) ? p : undefined;
}

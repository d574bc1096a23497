// The parallel parse of a trace file: after the first megabyte is parsed in sequence (the format is
// detected there), the rest is cut into byte ranges that a pool of worker threads
// (out/parseWorker.js) read and tokenize on every core, while this thread applies their records in
// file order (TraceParser.pushTokens: task state, syscalls, file locks, warnings, as in sequence)
// as they arrive. The store is the one the sequential parse makes (test/unit/load/parallel.test.ts).

import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { Arch, TraceParser } from '../core';
import { PackedBatch, TokenBatch } from '../core/parse';
import { RangeFormat, rangeCuts } from '../core/parse/ranges';
import { PostedError, errorOfPosted } from './messages';

/** What a parse worker is started with. */
export interface ParseWorkerData {
  file: string;
  /** Bytes of the file when the parse began (ranges never read past it). */
  size: number;
  arch?: Arch;
  /** The id of its dictionaries in the parser (1, 2, …). */
  source: number;
  /** false: the JS reader even when out/tokenizer.wasm is there (benchmarks compare the two). */
  wasm?: boolean;
}

/** One range to tokenize: the lines that start in [start, end). */
export interface ParseWorkerRequest {
  type: 'range';
  id: number;
  format: RangeFormat;
  start: number;
  end: number;
  /** A line is known to start at `start`. */
  atLineStart: boolean;
  /** An applied batch whose buffers the worker fills again (its typed arrays were transferred back). */
  reuse?: PackedBatch;
  /** The store's columns, when they are new (shared memory: the worker faults their pages in). */
  columns?: { buffer: SharedArrayBuffer; bytesPerElement: number }[];
  /** Events of the store this range's events will probably take: their pages are faulted in first. */
  prefault?: { from: number; to: number };
}

export type ParseWorkerMessage = { type: 'tokens'; id: number; batch: PackedBatch; ms: number } | ({ type: 'error' } & PostedError);

/** Where the time of a parallel parse went (the benchmark prints it). */
export interface ParseStats {
  workers: number;
  ranges: number;
  rangeBytes: number;
  /** Time the workers spent on ranges (prefaulting, reading, tokenizing), summed. */
  workerMs: number;
  /** The same, per worker. */
  busyMs: number[];
  /** Time this thread spent applying the ranges' records. */
  applyMs: number;
  /** From the first range handed out to the last one applied. */
  wallMs: number;
}

/** Traces below this size are parsed in sequence: starting workers would cost more than they save. */
export const PARALLEL_MIN_BYTES = 16 << 20;

/**
 * Worker threads to use by default: one per core, or LOCKTRACE_PARSE_WORKERS when it is set to a
 * whole number (0: parse in sequence; the benchmark compares the two through the CLI and adapter).
 */
export function defaultParseWorkers(): number {
  const env = process.env.LOCKTRACE_PARSE_WORKERS;
  if (env !== undefined && /^\d+$/.test(env.trim())) return Math.min(64, Number(env));
  return Math.max(1, typeof os.availableParallelism === 'function' ? os.availableParallelism() : os.cpus().length);
}

/**
 * out/parseWorker.js when this code runs from a bundle beside it (the CLI, the adapter, the analysis
 * worker, the extension) or one folder below it (the benchmark, out/bench/bench.js).
 */
export function bundledParseWorker(): string | undefined {
  for (const dir of [__dirname, path.dirname(__dirname)]) {
    const p = path.join(dir, 'parseWorker.js');
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

export interface RangesOptions {
  file: string;
  size: number;
  format: RangeFormat;
  arch?: Arch;
  workers: number;
  script: string;
  /** Bytes per range (default: about eight ranges per worker, 1–8 MiB each). */
  rangeBytes?: number;
  /** Polled after each range; stops the parse with an AbortError. */
  signal?: { aborted: boolean };
}

/** A started pool, so workers can start while the first megabyte is parsed. */
export class ParsePool {
  private readonly workers: Worker[];
  private columns: ParseWorkerRequest['columns'] = undefined;
  private readonly columnsSent = new Set<Worker>();

  constructor(
    script: string,
    file: string,
    private readonly size: number,
    count: number,
    arch?: Arch,
    wasm?: boolean,
  ) {
    this.workers = Array.from(
      { length: count },
      (_, k) => new Worker(script, { workerData: { file, size, arch, source: k + 1, wasm } satisfies ParseWorkerData }),
    );
  }

  /** Stops the workers (always call it, also after an error). */
  async close(): Promise<void> {
    await Promise.all(this.workers.map((w) => w.terminate()));
  }

  /**
   * Tokenizes [from, size) of the file in ranges on the pool and applies them to `parser` (which
   * has taken everything before `from`) in file order, as they arrive.
   */
  parse(
    parser: TraceParser,
    from: number,
    format: RangeFormat,
    opts: {
      rangeBytes?: number;
      signal?: { aborted: boolean };
      /**
       * One range at a time, to the workers in turn (benchmarks: each range's time is then its own,
       * undisturbed by the others, and the busy time per worker models that many cores).
       */
      inTurn?: boolean;
    } = {},
  ): Promise<ParseStats> {
    const n = this.workers.length;
    const rangeBytes = opts.rangeBytes ?? Math.min(2 << 20, Math.max(256 << 10, Math.ceil((this.size - from) / (8 * n))));
    const cuts = rangeCuts(from, this.size, rangeBytes);
    const ranges = cuts.length - 1;
    // ranges handed out but not applied yet, at most this many (bounds the memory of waiting batches)
    const window = opts.inTurn ? 1 : 2 * n + 2;
    return new Promise<ParseStats>((resolve, reject) => {
      const idle = [...this.workers];
      const done = new Map<number, PackedBatch>();
      // applied batches, whose buffers go back to the workers: fresh memory costs page faults
      const free: PackedBatch[] = [];
      let sent = 0;
      let applied = 0;
      let settled = false;
      const t0 = performance.now();
      const stats: ParseStats = { workers: n, ranges, rangeBytes, workerMs: 0, busyMs: this.workers.map(() => 0), applyMs: 0, wallMs: 0 };
      const fail = (e: unknown) => {
        if (settled) return;
        settled = true;
        reject(e instanceof Error ? e : new Error(String(e)));
      };
      // the store's columns the workers have (shared memory they fault in ahead of this thread's writes)
      let shared: unknown = null;
      const dispatch = () => {
        while (idle.length > 0 && sent < ranges && sent - applied < window) {
          const reuse = free.pop();
          const req: ParseWorkerRequest = {
            type: 'range',
            id: sent,
            format,
            start: cuts[sent],
            end: cuts[sent + 1],
            atLineStart: sent === 0,
            reuse,
          };
          const store = parser.store;
          if (store.line.buffer instanceof SharedArrayBuffer) {
            if (shared !== store.line.buffer) {
              shared = store.line.buffer;
              this.columns = store.columns().map((c) => ({ buffer: c.buffer as SharedArrayBuffer, bytesPerElement: c.BYTES_PER_ELEMENT }));
              this.columnsSent.clear();
            }
            // where the range's events will probably go, at the rate of events per byte so far
            const at = parser.position.bytes;
            const rate = store.length / Math.max(1, at);
            const from = Math.max(store.length, Math.floor(store.length + (cuts[sent] - at) * rate));
            const to = Math.min(store.line.length, Math.ceil(store.length + (cuts[sent + 1] - at) * rate * 1.02));
            if (to > from) req.prefault = { from, to };
          }
          const w = opts.inTurn ? this.workers[sent % n] : (idle.pop() as Worker);
          if (opts.inTurn) idle.splice(idle.indexOf(w), 1);
          if (this.columns && !this.columnsSent.has(w)) {
            req.columns = this.columns;
            this.columnsSent.add(w);
          }
          w.postMessage(req, reuse ? TokenBatch.buffers(reuse) : []);
          sent++;
        }
      };
      for (const w of this.workers) {
        w.on('message', (msg: ParseWorkerMessage) => {
          if (settled) return;
          if (msg.type === 'error') {
            fail(errorOfPosted(msg));
            return;
          }
          idle.push(w);
          done.set(msg.id, msg.batch);
          stats.workerMs += msg.ms;
          stats.busyMs[this.workers.indexOf(w)] += msg.ms;
          try {
            for (let b = done.get(applied); b; b = done.get(applied)) {
              done.delete(applied++);
              const t = performance.now();
              parser.pushTokens(b);
              stats.applyMs += performance.now() - t;
              // only the typed arrays are reused; the strings go with the garbage
              free.push({ ...b, texts: [], dict: { comms: [], lockKeys: [], lockSps: [], lockNames: [] } });
            }
            if (opts.signal?.aborted) throw Object.assign(new Error('reading cancelled'), { name: 'AbortError' });
          } catch (e) {
            fail(e);
            return;
          }
          if (applied === ranges) {
            settled = true;
            stats.wallMs = performance.now() - t0;
            resolve(stats);
          } else dispatch();
        });
        w.on('error', (e) => fail(new Error(`parse worker failed: ${e.message}`)));
        w.on('exit', (code) => fail(new Error(`parse worker exited (${code})`)));
      }
      dispatch();
    });
  }
}

/** Resolves the script of the parse workers: the one given, or the bundled one; undefined when there is none. */
export function parseWorkerScript(given?: string): string | undefined {
  if (given !== undefined) return fs.existsSync(given) ? given : undefined;
  return bundledParseWorker();
}

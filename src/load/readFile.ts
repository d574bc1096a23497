// Reads a trace file from disk in chunks into the core parser (never the whole text at once).
// Part of the loading layer (src/load): loadAnalysis and the analysis worker read files through it.
// Big text traces are parsed on every core (./parallel.ts): the first megabyte in sequence, the
// rest in byte ranges tokenized by worker threads; the store is the same either way.

import * as fs from 'fs';
import * as zlib from 'zlib';
import { EventStore, FormatOption, TraceError, TraceParser } from '../core';
import type { Arch } from '../core';
import { FIRST_BLOCK, headPart, isRangeFormat } from '../core/parse/ranges';
import { PARALLEL_MIN_BYTES, ParsePool, ParseStats, defaultParseWorkers, parseWorkerScript } from './parallel';

export interface ReadOptions {
  format?: FormatOption;
  sort?: boolean;
  arch?: Arch;
  onProgress?: (bytes: number, size: number) => void;
  /** Stops reading when aborted (throws an AbortError). */
  signal?: { aborted: boolean };
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number;
  /**
   * Worker threads tokenizing a big text trace (default: one per core; 0: parse in sequence).
   * Needs the bundled out/parseWorker.js (or `parseWorkerScript`).
   */
  workers?: number;
  /** Traces of at least this many bytes are parsed in parallel (default PARALLEL_MIN_BYTES). */
  parallelThreshold?: number;
  /** Bytes per range of the parallel parse (default: about eight ranges per worker). */
  rangeBytes?: number;
  /** The parse worker script (default: parseWorker.js beside the running bundle). */
  parseWorkerScript?: string;
  /** false: the workers read with the JS reader even when out/tokenizer.wasm is there. */
  wasm?: boolean;
  /** The ranges one at a time, to the workers in turn (benchmarks; see ParsePool.parse). */
  inTurn?: boolean;
  /** Told, before the ranges, that the rest of the trace is read by this many worker threads. */
  onParallel?: (workers: number) => void;
  /** Told where the time of a parallel parse went. */
  onParseStats?: (s: ParseStats) => void;
}

export async function readTraceFile(file: string, opts: ReadOptions = {}): Promise<EventStore> {
  // read-only: a trace file is never modified. Asynchronous reads let the event loop run between
  // chunks, so an adapter or extension host stays responsive and its progress messages get out.
  const fh = await fs.promises.open(file, 'r');
  let pool: ParsePool | null = null;
  try {
    const stat = await fh.stat();
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR', path: file });
    const size = stat.size;
    const magic = Buffer.alloc(2);
    if ((await fh.read(magic, 0, 2, 0)).bytesRead === 2 && magic[0] === 0x1f && magic[1] === 0x8b)
      return await readGzip(fh, file, size, opts);
    const workers = opts.workers ?? defaultParseWorkers();
    const script =
      workers > 0 && !opts.sort && size >= (opts.parallelThreshold ?? PARALLEL_MIN_BYTES)
        ? parseWorkerScript(opts.parseWorkerScript)
        : undefined;
    const parser = new TraceParser({
      file,
      format: opts.format,
      sort: opts.sort,
      arch: opts.arch,
      sizeHint: size,
      onProgress: opts.onProgress ? (b) => opts.onProgress?.(b, size) : undefined,
      sharedColumns: script !== undefined,
    });
    // the workers start while the first megabyte is parsed here
    if (script) pool = new ParsePool(script, file, size, workers, opts.arch, opts.wasm);
    const buf = Buffer.allocUnsafe(opts.chunkSize ?? FIRST_BLOCK);
    let pos = 0;
    for (;;) {
      const format = parser.detectedFormat;
      if (pool && pos > 0 && pos < size && parser.takesTokens && isRangeFormat(format)) {
        opts.onParallel?.(workers);
        const stats = await pool.parse(parser, pos, format, { rangeBytes: opts.rangeBytes, signal: opts.signal, inTurn: opts.inTurn });
        opts.onParseStats?.(stats);
        break;
      }
      if (pool && format !== null && !isRangeFormat(format)) {
        // JSONL, kernel logs: read in sequence
        await pool.close();
        pool = null;
      }
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      // while ranges may follow, each read is cut after its last newline so they start at a line
      const part = pool ? headPart(buf.subarray(0, bytesRead), pos + bytesRead >= size) : buf.subarray(0, bytesRead);
      parser.push(part);
      pos += part.length;
      if (opts.signal?.aborted) throw Object.assign(new Error('reading cancelled'), { name: 'AbortError' });
    }
    if (pool) {
      // the workers' memory goes before the analysis needs its own
      await pool.close();
      pool = null;
    }
    return parser.end();
  } finally {
    await pool?.close();
    await fh.close();
  }
}

/**
 * A gzip-compressed trace (`trace.txt.gz`, as kernel captures are often kept): decompressed as a
 * stream into the parser, in sequence (byte ranges of the text are not known up front). Progress
 * counts compressed bytes; a damaged file is a TraceError naming it.
 */
async function readGzip(fh: fs.promises.FileHandle, file: string, size: number, opts: ReadOptions): Promise<EventStore> {
  const parser = new TraceParser({
    file,
    format: opts.format,
    sort: opts.sort,
    arch: opts.arch,
    sizeHint: size * 8,
  });
  // the handle readTraceFile opened (and closes): the file is not opened a second time
  const input = fh.createReadStream({ start: 0, autoClose: false, highWaterMark: opts.chunkSize ?? FIRST_BLOCK });
  const gunzip = zlib.createGunzip();
  input.pipe(gunzip);
  try {
    for await (const chunk of gunzip) {
      parser.push(chunk as Buffer);
      opts.onProgress?.(input.bytesRead, size);
      if (opts.signal?.aborted) throw Object.assign(new Error('reading cancelled'), { name: 'AbortError' });
    }
  } catch (e) {
    if (e instanceof TraceError || (e as Error).name === 'AbortError') throw e;
    const err = e as NodeJS.ErrnoException;
    if (err.code?.startsWith('Z_')) throw new TraceError(file, 0, '', undefined, `not a readable gzip file: ${err.message}`);
    throw e;
  } finally {
    input.destroy();
    gunzip.destroy();
  }
  return parser.end();
}

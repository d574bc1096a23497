// Reads a trace file from disk in chunks into the core parser (never the whole text at once).
// Part of the loading layer (src/load): loadAnalysis and the analysis worker read files through it.

import * as fs from 'fs';
import { EventStore, FormatOption, TraceParser } from '../core';
import type { Arch } from '../core';

export interface ReadOptions {
  format?: FormatOption;
  sort?: boolean;
  arch?: Arch;
  onProgress?: (bytes: number, size: number) => void;
  /** Stops reading when aborted (throws an AbortError). */
  signal?: { aborted: boolean };
  /** Bytes per read (default 1 MiB). */
  chunkSize?: number;
}

export async function readTraceFile(file: string, opts: ReadOptions = {}): Promise<EventStore> {
  // read-only: a trace file is never modified. Asynchronous reads let the event loop run between
  // chunks, so an adapter or extension host stays responsive and its progress messages get out.
  const fh = await fs.promises.open(file, 'r');
  try {
    const stat = await fh.stat();
    if (stat.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR', path: file });
    const size = stat.size;
    const parser = new TraceParser({
      file,
      format: opts.format,
      sort: opts.sort,
      arch: opts.arch,
      sizeHint: size,
      onProgress: opts.onProgress ? (b) => opts.onProgress?.(b, size) : undefined,
    });
    const buf = Buffer.allocUnsafe(opts.chunkSize ?? 1 << 20);
    for (;;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, null);
      if (bytesRead === 0) break;
      parser.push(buf.subarray(0, bytesRead));
      if (opts.signal?.aborted) throw Object.assign(new Error('reading cancelled'), { name: 'AbortError' });
    }
    return parser.end();
  } finally {
    await fh.close();
  }
}

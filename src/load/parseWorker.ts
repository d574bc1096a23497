// Worker thread of the parallel parse (src/load/parallel.ts), bundled to out/parseWorker.js: reads
// byte ranges of one trace file itself and tokenizes them (src/core/parse/ranges.ts), posting each
// range's records back with their typed arrays transferred. Its dictionaries (task names, lock
// keys) last from range to range; the caller applies the batches in file order.

import * as fs from 'fs';
import * as path from 'path';
import { parentPort, workerData } from 'worker_threads';
import { TokenBatch } from '../core/parse';
import { ByteSource, RangeTokenizer } from '../core/parse/ranges';
import { postedError } from './messages';
import type { ParseWorkerData, ParseWorkerMessage, ParseWorkerRequest } from './parallel';

const init = workerData as ParseWorkerData;

/** The file through one descriptor and one reusable buffer (each read is consumed before the next). */
function fileSource(file: string, size: number): ByteSource & { close(): void } {
  const fd = fs.openSync(file, 'r');
  let buf = Buffer.allocUnsafe(1 << 20);
  return {
    size,
    read(position, length) {
      const want = Math.max(0, Math.min(length, size - position));
      if (buf.length < want) buf = Buffer.allocUnsafe(want);
      let got = 0;
      while (got < want) {
        const n = fs.readSync(fd, buf, got, want - got, position + got);
        if (n === 0) break;
        got += n;
      }
      return buf.subarray(0, got);
    },
    close: () => fs.closeSync(fd),
  };
}

/** out/tokenizer.wasm beside this bundle, compiled (the JS reader when it is missing or not wanted). */
function wasmModule(): WebAssembly.Module | undefined {
  if (init.wasm === false) return undefined;
  const file = path.join(__dirname, 'tokenizer.wasm');
  return fs.existsSync(file) ? new WebAssembly.Module(fs.readFileSync(file)) : undefined;
}

function post(msg: ParseWorkerMessage, transfer: ArrayBuffer[] = []): void {
  parentPort?.postMessage(msg, transfer);
}

let src: (ByteSource & { close(): void }) | null = null;
let tokenizer: RangeTokenizer | null = null;
/** The parser's store columns (shared memory), as words to touch. */
let columns: { words: Int32Array; bytesPerElement: number }[] = [];

const PAGE = 4096;

/**
 * Faults in the pages of the store's columns for events [from, to): the parsing thread then writes
 * them without taking the page faults itself (they are costly, and this thread has time for them).
 * A compare-exchange of 0 with 0 makes the page writable and present and changes no value, even
 * where the parsing thread got there first.
 */
function prefault(from: number, to: number): void {
  for (const c of columns) {
    const end = Math.min(to * c.bytesPerElement, c.words.length * 4);
    for (let p = Math.floor((from * c.bytesPerElement) / PAGE) * PAGE; p < end; p += PAGE) Atomics.compareExchange(c.words, p >> 2, 0, 0);
  }
}

parentPort?.on('message', (req: ParseWorkerRequest) => {
  try {
    if (req.columns)
      columns = req.columns.map((c) => ({
        words: new Int32Array(c.buffer, 0, c.buffer.byteLength >> 2),
        bytesPerElement: c.bytesPerElement,
      }));
    if (req.prefault) prefault(req.prefault.from, req.prefault.to);
    src ??= fileSource(init.file, init.size);
    tokenizer ??= new RangeTokenizer(req.format, { arch: init.arch, source: init.source, wasm: wasmModule() });
    const t0 = performance.now();
    const batch = tokenizer.tokenize(src, req.start, req.end, req.atLineStart, req.reuse ? TokenBatch.reuse(req.reuse) : undefined);
    const { packed, transfer } = batch.pack();
    post({ type: 'tokens', id: req.id, batch: packed, ms: performance.now() - t0 }, transfer);
  } catch (e) {
    post({ type: 'error', ...postedError(e) });
  }
});

// A text trace read as byte ranges, each by its own tokenizer: the part of the parallel parse
// that runs in every worker thread (src/load/parseWorker.ts), and the same thing in one thread for
// tests and benchmarks (parseInRanges). A range [a, b) holds the lines that *start* in it: the
// line cut by `a` belongs to the range before, and the last line is read past `b` up to its
// newline, so every line is read by exactly one range, whatever bytes a boundary falls on (the
// middle of a line, a CR before its LF, a multi-byte character). TraceParser.pushTokens then
// applies the ranges' records in file order, with exact line numbers and byte offsets.

import { EventStore } from '../store';
import { TraceFormat } from '../types';
import { Arch } from './interpret';
import { FastFtraceLines } from './fastFtrace';
import { LineSplitter } from './lines';
import { ParseOptions, TraceParser } from './index';
import { TokenBatch } from './tokens';
import { WasmLines } from './wasmTokenizer';

/** Random access to the bytes of a trace. */
export interface ByteSource {
  readonly size: number;
  /** Up to `length` bytes from `position` (fewer only at the end); valid until the next read. */
  read(position: number, length: number): Uint8Array;
  /** Reads up to `target.length` bytes from `position` into `target`; returns how many (fewer only at the end). */
  readInto?(target: Uint8Array, position: number): number;
}

/** A trace held in memory as a ByteSource. */
export function memorySource(bytes: Uint8Array): ByteSource {
  const read = (p: number, n: number) => bytes.subarray(p, Math.min(p + n, bytes.length));
  return {
    size: bytes.length,
    read,
    readInto: (target, p) => {
      const part = read(p, target.length);
      target.set(part);
      return part.length;
    },
  };
}

function readInto(src: ByteSource, target: Uint8Array, position: number): number {
  if (src.readInto) return src.readInto(target, position);
  const part = src.read(position, target.length);
  target.set(part);
  return part.length;
}

/** Formats whose lines ranges can be tokenized for (the byte-level reader's). */
export type RangeFormat = Extract<TraceFormat, 'ftrace' | 'trace-cmd' | 'perf'>;

export function isRangeFormat(f: TraceFormat | null): f is RangeFormat {
  return f === 'ftrace' || f === 'trace-cmd' || f === 'perf';
}

/** Bytes read at a time past a range's end while looking for the end of its last line. */
const TAIL_READ = 64 * 1024;

/** The WebAssembly reader takes a range whose last line runs on at most this far past its end. */
const WASM_TAIL = 1 << 20;

/** Tokenizes ranges of one trace; its dictionaries (task names, lock keys) last from range to range. */
export class RangeTokenizer {
  private readonly fast: FastFtraceLines;
  private readonly wasm: WasmLines | null;

  /**
   * `source`: the id TraceParser knows this tokenizer's dictionaries by (0 is the parser's own).
   * `wasm`: out/tokenizer.wasm compiled, to read the lines with (the JS reader otherwise).
   */
  constructor(format: RangeFormat, opts: { arch?: Arch; source: number; wasm?: WebAssembly.Module }) {
    this.fast = new FastFtraceLines(format === 'perf', { arch: opts.arch });
    this.wasm = opts.wasm ? new WasmLines(opts.wasm, format === 'perf', opts.arch) : null;
    this.source = opts.source;
  }

  readonly source: number;

  /** Lines read by bytes and lines left to the string parser so far. */
  get counts(): { handled: number; declined: number } {
    if (this.wasm) return { handled: this.wasm.handled, declined: this.wasm.declined };
    return { handled: this.fast.handled, declined: this.fast.declined };
  }

  /**
   * The records of the lines that start in [a, b) of `src` (`atLineStart`: a line is known to start
   * at `a`, e.g. the first range after what was parsed in sequence).
   */
  tokenize(src: ByteSource, a: number, b: number, atLineStart: boolean, into?: TokenBatch): TokenBatch {
    const batch = into ?? new TokenBatch(Math.ceil((b - a) / 64) + 16);
    batch.reset();
    batch.source = this.source;
    this.fast.batch = batch;
    b = Math.min(b, src.size);
    if (a >= b) return batch;
    if (this.wasm && this.tokenizeWasm(this.wasm, src, a, b, atLineStart, batch)) return batch;
    // the first line starting at or after `a`: right after the first newline at or after a - 1
    const from = atLineStart || a === 0 ? a : a - 1;
    const buf = src.read(from, b - from);
    let first = 0;
    if (from < a) {
      const nl = buf.indexOf(10);
      if (nl < 0 || from + nl + 1 >= b) return batch; // no line starts here: the range is inside one line
      first = nl + 1;
    }
    const start = from + first;
    const fast = this.fast;
    const splitter = new LineSplitter((text, lineNo, offset, truncated) => batch.addSlow(text, lineNo, offset, truncated), start);
    // (the JS reader's dictionaries are not the WebAssembly reader's: a range it gave up on is read by the string path)
    if (!this.wasm) splitter.byteHandler = (bytes, s, e, lineNo, offset) => fast.line(bytes, s, e, lineNo, offset);
    splitter.push(buf.subarray(first, buf.length));
    // the last line runs on to its newline
    for (let pos = b; !splitter.atLineStart;) {
      const tail = pos < src.size ? src.read(pos, TAIL_READ) : new Uint8Array(0);
      if (tail.length === 0) {
        splitter.end(); // the file's last line, without a newline
        break;
      }
      const nl = tail.indexOf(10);
      const part = nl < 0 ? tail : tail.subarray(0, nl + 1);
      splitter.push(part);
      pos += part.length;
    }
    batch.start = start;
    batch.bytes = splitter.bytesSeen - start;
    batch.lines = splitter.linesSeen;
    return batch;
  }

  /**
   * The range read into the WebAssembly reader's memory and tokenized there (the same lines as
   * above); false, with nothing done, when its last line runs on too far past `b`.
   */
  private tokenizeWasm(wasm: WasmLines, src: ByteSource, a: number, b: number, atLineStart: boolean, batch: TokenBatch): boolean {
    const from = atLineStart || a === 0 ? a : a - 1;
    const cap = b - from + WASM_TAIL;
    const { at, view } = wasm.input(cap);
    const len = readInto(src, view.subarray(0, b - from), from);
    let first = 0;
    if (from < a) {
      const nl = view.subarray(0, len).indexOf(10);
      if (nl < 0 || from + nl + 1 >= b) return true; // no line starts here: the range is inside one line
      first = nl + 1;
    }
    // the last line runs on to its newline
    let end = len;
    let eof = false;
    if (view[end - 1] !== 10) {
      for (let pos = from + end; ;) {
        if (end === cap) return false;
        const got = pos < src.size ? readInto(src, view.subarray(end, Math.min(cap, end + TAIL_READ)), pos) : 0;
        if (got === 0) {
          eof = true;
          break;
        }
        const nl = view.subarray(end, end + got).indexOf(10);
        if (nl >= 0) {
          end += nl + 1;
          break;
        }
        end += got;
        pos += got;
      }
    }
    const start = from + first;
    batch.lines = wasm.tokenize(at + first, end - first, start, eof, batch);
    batch.start = start;
    batch.bytes = end - first;
    return true;
  }
}

/** Bytes parsed in sequence before the ranges: enough to know the format (TraceParser detects it from the first lines). */
export const FIRST_BLOCK = 1 << 20;

/**
 * Pushes `src` from `pos` into `parser` one block at a time, each cut after its last newline, until
 * the parser takes ranges' records (the format is known and read by the byte-level reader) and at
 * least `minBytes` were pushed, or the input ends. Returns where the ranges start.
 */
export function parseHead(parser: TraceParser, src: ByteSource, minBytes = FIRST_BLOCK, block = FIRST_BLOCK): number {
  let pos = parser.position.bytes;
  while (pos < src.size && !(parser.takesTokens && pos >= minBytes)) {
    const buf = src.read(pos, block);
    const part = headPart(buf, pos + buf.length >= src.size);
    parser.push(part);
    pos += part.length;
  }
  return pos;
}

/** What to push of a block read before the ranges: up to its last newline (all of it at the end of the input, or without a newline). */
export function headPart(buf: Uint8Array, atEnd: boolean): Uint8Array {
  const nl = atEnd ? -1 : buf.lastIndexOf(10);
  return nl >= 0 ? buf.subarray(0, nl + 1) : buf;
}

/** Where a trace of `size` bytes is cut into ranges of about `rangeBytes` after `head` bytes parsed in sequence. */
export function rangeCuts(head: number, size: number, rangeBytes: number): number[] {
  const cuts = [head];
  for (let p = head + rangeBytes; p < size; p += rangeBytes) cuts.push(p);
  cuts.push(size);
  return cuts;
}

/**
 * Parses a trace held in memory the way the parallel parse does, in one thread: the head in
 * sequence, then each range [cuts[k], cuts[k+1]) tokenized by tokenizer k mod `tokenizers` and the
 * records applied in order. The store is the one parseTrace makes (the tests hold them to it).
 * Formats the byte-level reader does not take are parsed in sequence.
 */
export function parseInRanges(
  bytes: Uint8Array,
  opts: ParseOptions & {
    cuts?: number[];
    rangeBytes?: number;
    tokenizers?: number;
    headBytes?: number;
    headBlock?: number;
    /** Read the ranges with the WebAssembly reader (out/tokenizer.wasm compiled). */
    wasm?: WebAssembly.Module;
  },
): EventStore {
  const src = memorySource(bytes);
  const parser = new TraceParser({ ...opts, sizeHint: opts.sizeHint ?? bytes.length });
  const head = parseHead(parser, src, opts.headBytes ?? FIRST_BLOCK, Math.max(1, opts.headBlock ?? FIRST_BLOCK));
  const format = parser.detectedFormat;
  if (head < bytes.length) {
    if (!parser.takesTokens || !isRangeFormat(format)) {
      parser.push(bytes.subarray(head));
    } else {
      const cuts = (opts.cuts ?? rangeCuts(head, bytes.length, opts.rangeBytes ?? 1 << 20)).filter((c) => c >= head);
      if (cuts[0] !== head) cuts.unshift(head);
      if (cuts[cuts.length - 1] !== bytes.length) cuts.push(bytes.length);
      const n = Math.max(1, opts.tokenizers ?? 2);
      const toks = Array.from({ length: n }, (_, k) => new RangeTokenizer(format, { arch: opts.arch, source: k + 1, wasm: opts.wasm }));
      for (let k = 0; k + 1 < cuts.length; k++) {
        parser.pushTokens(toks[k % n].tokenize(src, cuts[k], cuts[k + 1], k === 0));
      }
    }
  }
  return parser.end();
}

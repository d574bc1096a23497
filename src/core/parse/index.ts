// The trace reader: bytes in (in chunks, as they arrive), an EventStore out. Detects the format
// from the first lines unless told, keeps every event's line number and byte offset, and reports
// problems as warnings with line numbers, or as a TraceError when the input is not a trace at all.

import { KernelLogReader } from '../kernelLog/reader';
import { parseReport } from '../kernelLog/report';
import { fillKernelLogStore } from '../kernelLog/events';
import { EventStore } from '../store';
import { Ctx, EventKind, FormatOption, TraceError, TraceFormat } from '../types';
import { Arch, EventBuilder } from './interpret';
import { JsonlReader } from './jsonl';
import { FastFtraceLines } from './fastFtrace';
import { LineSplitter, MAX_LINE_BYTES } from './lines';
import { FORMAT_EXPECTATION, RawEvent, detectFormat, lineParserFor } from './textFormats';
import { TokenBatch, TokenDictionary, TokenView } from './tokens';

export type { PackedBatch, TokenView } from './tokens';
export { TokenBatch } from './tokens';

export interface ParseOptions {
  /** Name of the input for messages (a path or URI). */
  file: string;
  format?: FormatOption;
  arch?: Arch;
  /** Order events by timestamp instead of file order (buffers the whole trace). */
  sort?: boolean;
  /** Total input size in bytes, when known: used to reserve memory for all events at once. */
  sizeHint?: number;
  /** Called now and then with bytes consumed so far. */
  onProgress?: (bytes: number) => void;
  /**
   * Use the byte-level reader for the common ftrace / trace-cmd lines (default true). It gives
   * the same result as the string parser; turning it off is for tests that compare the two.
   */
  fastPath?: boolean;
  /** Keep the store's columns in SharedArrayBuffers (EventStore.shareColumns; the parallel parse prefaults them). */
  sharedColumns?: boolean;
}

/** Lines looked at before the format is decided. */
const DETECT_LINES = 40;
/** A file whose first lines are this often malformed is not taken for a trace. */
const MAX_LEADING_ERRORS = 20;

export class TraceParser {
  readonly store = new EventStore();
  private readonly builder: EventBuilder;
  private readonly splitter: LineSplitter;
  private format: TraceFormat | null = null;
  private readonly pending: { text: string; lineNo: number; offset: number; truncated: boolean }[] = [];
  private lineFn: ((text: string, lineNo: number, offset: number, truncated: boolean) => void) | null = null;
  private leadingErrors = 0;
  private firstError: { line: number; got: string; message: string } | null = null;
  private sortBuffer: { ev: RawEvent; line: number; offset: number }[] | null = null;
  private lastProgress = 0;
  private contentLines = 0;
  private reserved = false;
  /** Kernel logs: the reader that finds the lockdep reports. */
  private kernel: KernelLogReader | null = null;
  /**
   * The first lines matched no format, so the rest is read as a kernel log whose first report may
   * be far down (a fuzzer log): without any report or kernel-log line by the end, it is not a trace.
   */
  private speculative: { lineNo: number; text: string } | null = null;
  /**
   * Text formats through the byte-level reader: the records of the lines of each pushed chunk
   * (slow lines included, to keep their order), applied at the end of the push. Null otherwise.
   */
  private tokens: TokenBatch | null = null;
  /** Per tokenizer (0: this parser's own, others: workers'): its dictionaries, with the store's lock ids. */
  private readonly dicts: TokenDictionary[] = [];

  constructor(private readonly opts: ParseOptions) {
    this.store.file = opts.file;
    if (opts.sharedColumns) this.store.shareColumns();
    this.builder = new EventBuilder(this.store, { arch: opts.arch });
    this.splitter = new LineSplitter((text, lineNo, offset, truncated) => this.onLine(text, lineNo, offset, truncated));
    if (opts.format && opts.format !== 'auto') this.setFormat(opts.format);
    if (opts.sort) this.sortBuffer = [];
  }

  push(chunk: Uint8Array): void {
    this.splitter.push(chunk);
    this.flushTokens();
    this.afterInput();
  }

  /**
   * Whether pushTokens can take batches now: the format is known and read by the byte-level
   * reader (ftrace, trace-cmd, perf script; not sorted), and everything pushed ended with a newline.
   */
  get takesTokens(): boolean {
    return this.tokens !== null && this.splitter.atLineStart;
  }

  /**
   * Applies the records of lines read by a tokenizer elsewhere (a FastFtraceLines over a byte range
   * of the same input, e.g. in a worker thread): the lines right after everything pushed so far,
   * in file order. Exactly what pushing those bytes would have done.
   */
  pushTokens(b: TokenView): void {
    if (!this.takesTokens) throw new Error('pushTokens: the parser is not reading a text format at a line boundary');
    if (b.lines > 0 && b.start !== this.splitter.bytesSeen)
      throw new Error(`pushTokens: a batch from byte ${b.start} where byte ${this.splitter.bytesSeen} was expected`);
    this.applyTokens(b, this.splitter.linesSeen);
    this.splitter.skip(b.lines, b.bytes);
    this.afterInput();
  }

  /** Bytes and lines taken so far (pushed or applied). */
  get position(): { bytes: number; lines: number } {
    return { bytes: this.splitter.bytesSeen, lines: this.splitter.linesSeen };
  }

  /** The format, once known. */
  get detectedFormat(): TraceFormat | null {
    return this.format;
  }

  private flushTokens(): void {
    const t = this.tokens;
    if (!t) return;
    this.applyTokens(t, 0);
    t.reset();
  }

  private afterInput(): void {
    if (!this.reserved && this.opts.sizeHint && this.splitter.bytesSeen >= 1 << 20 && this.store.length > 0) {
      // one allocation for the whole trace instead of repeated growth (and its transient copies)
      this.reserved = true;
      this.store.reserve(Math.ceil((this.store.length / this.splitter.bytesSeen) * this.opts.sizeHint * 1.04) + 1024);
    }
    if (this.opts.onProgress) {
      const b = this.splitter.bytesSeen;
      if (b - this.lastProgress > 8 * 1024 * 1024) {
        this.lastProgress = b;
        this.opts.onProgress(b);
      }
    }
  }

  /** Finishes parsing; throws TraceError when the input is not a readable trace. */
  end(): EventStore {
    this.splitter.end();
    this.flushTokens();
    if (!this.format) {
      const fmt = detectFormat(this.pending.map((p) => p.text));
      if (fmt) this.setFormat(fmt);
      else this.speculate();
    }
    if (this.kernel) return this.endKernelLog(this.kernel);
    if (this.sortBuffer) {
      const buf = this.sortBuffer;
      this.sortBuffer = null;
      // stable sort by timestamp: equal times keep file order.
      buf.sort((a, b) => a.ev.ts - b.ev.ts || a.line - b.line);
      for (const r of buf) this.builder.add(r.ev, r.line, r.offset);
      this.store.sorted = true;
    }
    this.builder.finish();
    const s = this.store;
    s.lines = this.splitter.linesSeen;
    s.bytes = this.splitter.bytesSeen;
    if (s.length === 0 && this.firstError) throw this.noEvents(this.firstError);
    s.trim();
    noteMissingFlags(s);
    return s;
  }

  private notATrace(first: { lineNo: number; text: string } | undefined): never {
    if (!first) throw new TraceError(this.opts.file, 0, 'a lock trace (ftrace, trace-cmd report, perf script or locktrace JSONL)', '');
    throw new TraceError(
      this.opts.file,
      first.lineNo,
      'a lock trace: an ftrace line `TASK-PID [CPU] FLAGS TIMESTAMP: event: body`, a trace-cmd report, perf script output or locktrace JSONL',
      first.text,
    );
  }

  /** Reads the input as a kernel log whose reports may start after the lines format detection looked at. */
  private speculate(): void {
    const first = this.pending.find((p) => p.text.trim() !== '');
    this.speculative = first ? { lineNo: first.lineNo, text: first.text } : { lineNo: 0, text: '' };
    this.setFormat('kernel-log');
  }

  private endKernelLog(reader: KernelLogReader): EventStore {
    const raw = reader.finish();
    const s = this.store;
    // read as a kernel log only because nothing else fitted: without a report or kernel lines, it is not a trace
    if (this.speculative && raw.length === 0 && reader.dropped === 0 && reader.prefixedLines < 10)
      this.notATrace(this.speculative.lineNo > 0 ? this.speculative : undefined);
    for (const line of reader.longLines) s.warn(line, `line longer than ${MAX_LINE_BYTES} bytes; skipped`);
    fillKernelLogStore(
      s,
      raw.map((r, k) => parseReport(r, k)),
      raw,
      { dropped: reader.dropped, prefixedLines: reader.prefixedLines },
    );
    s.lines = this.splitter.linesSeen;
    s.bytes = this.splitter.bytesSeen;
    s.trim();
    return s;
  }

  private setFormat(format: TraceFormat): void {
    this.format = format;
    this.store.format = format;
    if (format === 'kernel-log') {
      const reader = (this.kernel = new KernelLogReader());
      this.lineFn = (text, lineNo, offset, truncated) => reader.line(text, lineNo, offset, truncated);
    } else if (format === 'jsonl') {
      const reader = new JsonlReader(this.builder);
      this.lineFn = (text, lineNo, offset, truncated) => {
        if (truncated) {
          this.store.warn(lineNo, `line longer than ${MAX_LINE_BYTES} bytes; skipped`);
          return;
        }
        const err = reader.line(text, lineNo, offset);
        if (err) this.lineError(lineNo, text, err);
      };
    } else {
      if (!this.sortBuffer && this.opts.fastPath !== false) {
        const fast = new FastFtraceLines(format === 'perf', { arch: this.opts.arch });
        this.tokens = fast.batch;
        this.splitter.byteHandler = (bytes, start, end, lineNo, offset) => fast.line(bytes, start, end, lineNo, offset);
      }
      const parseLine = lineParserFor(format);
      this.lineFn = (text, lineNo, offset, truncated) => {
        if (truncated) {
          this.store.warn(lineNo, `line longer than ${MAX_LINE_BYTES} bytes; skipped`);
          return;
        }
        const r = parseLine(text);
        if (r === 'skip') {
          const lost = /^\s*CPU:?(\d+) \[LOST (\d+) EVENTS\]/.exec(text);
          if (lost) {
            this.store.lostEvents += +lost[2];
            this.store.warn(lineNo, `CPU ${lost[1]} lost ${lost[2]} events here: lock state after this point may be incomplete`);
          }
          const wrapped = /^#\s*entries-in-buffer\/entries-written:\s*(\d+)\/(\d+)/.exec(text);
          if (wrapped && +wrapped[2] > +wrapped[1]) {
            this.store.overwritten += +wrapped[2] - +wrapped[1];
            this.store.warn(
              lineNo,
              `the ring buffer overwrote its ${+wrapped[2] - +wrapped[1]} oldest events: the trace begins after some tasks took locks (a release not seen acquired is taken as held since before the trace)`,
            );
          }
          return;
        }
        if (r === null) {
          this.lineError(lineNo, text, `expected ${FORMAT_EXPECTATION[format]}`);
          return;
        }
        if (this.sortBuffer) this.sortBuffer.push({ ev: { ...r }, line: lineNo, offset });
        else this.builder.add(r, lineNo, offset);
      };
    }
    const queued = this.pending.splice(0);
    for (const p of queued) this.lineFn(p.text, p.lineNo, p.offset, p.truncated);
  }

  private lineError(lineNo: number, text: string, message: string): void {
    if (!this.firstError) this.firstError = { line: lineNo, got: text, message };
    if (this.store.length === 0 && ++this.leadingErrors > MAX_LEADING_ERRORS) {
      throw this.noEvents(this.firstError);
    }
    const shown = text.length > 60 ? `${text.slice(0, 60)}…` : text;
    this.store.warn(lineNo, `${message}; got ${JSON.stringify(shown)} (line skipped)`);
  }

  /** The error for an input whose lines all failed: the first line's own reason. */
  private noEvents(first: { line: number; got: string; message: string }): TraceError {
    const specific = first.message.startsWith('expected ') ? undefined : first.message;
    return new TraceError(this.opts.file, first.line, FORMAT_EXPECTATION[this.store.format], specific ? undefined : first.got, specific);
  }

  /** The records' events, in order (slow lines through the string path); `lineBase` is added to their line numbers. */
  private applyTokens(b: TokenView, lineBase: number): void {
    const d = (this.dicts[b.source] ??= new TokenDictionary());
    d.add(b.dict);
    this.builder.addRecords(b, lineBase, d, this.lineFn as NonNullable<typeof this.lineFn>);
  }

  private onLine(text: string, lineNo: number, offset: number, truncated: boolean): void {
    if (this.lineFn) {
      // after the records of the lines before it
      if (this.tokens) this.tokens.addSlow(text, lineNo, offset, truncated);
      else this.lineFn(text, lineNo, offset, truncated);
      return;
    }
    this.pending.push({ text, lineNo, offset, truncated });
    const t = text.trimStart();
    if (t !== '' && !t.startsWith('#')) this.contentLines++;
    if (this.contentLines >= DETECT_LINES || this.pending.length > 10 * DETECT_LINES) {
      const fmt = detectFormat(this.pending.map((p) => p.text));
      if (fmt) this.setFormat(fmt);
      else this.speculate();
    }
  }
}

/**
 * A kernel trace without ftrace's latency-flags column (trace-cmd report without -l, perf script)
 * hides interrupt contexts: the analysis cannot tell an interrupt's locks from the interrupted
 * task's, nor which locks were taken with interrupts off. Said once, at the first kernel lock event.
 */
function noteMissingFlags(s: EventStore): void {
  let firstKernel = -1;
  for (let i = 0; i < s.length; i++) {
    if (s.ctx[i] & Ctx.Known) return;
    if (firstKernel < 0 && s.kind[i] === EventKind.Acquire && s.locks[s.ref[i]].domain === 'kernel') firstKernel = i;
  }
  if (firstKernel < 0) return;
  s.warn(
    s.line[firstKernel],
    `no latency-flags column (irqs-off/softirq/hardirq): locks taken in interrupts look like the interrupted task's, dependencies across interrupt contexts cannot be told apart and interrupt-safety rules are off; ${
      s.format === 'trace-cmd'
        ? 'use `trace-cmd report -l`'
        : s.format === 'perf'
          ? 'record with ftrace or trace-cmd instead (perf script does not print them)'
          : 'keep the flags column'
    }, or record with \`locktrace record --kernel\` (docs/kernel-traces.md)`,
  );
}

/** Parses a whole trace held in memory. */
export function parseTrace(bytes: Uint8Array | string, opts: ParseOptions): EventStore {
  const p = new TraceParser(opts);
  p.push(typeof bytes === 'string' ? new TextEncoder().encode(bytes) : bytes);
  return p.end();
}

// The lines of a trace file by number, read at their byte offsets: what the trace view shows
// without ever holding the file. The event store keeps every event's 1-based line and the byte
// offset of that line, so a line with an event is one binary search away; lines without events
// (headers, comments, skipped lines, perf callchains) are found by reading forward from the
// nearest event line before them, and long stretches of them leave checkpoints behind so the
// next lookup there is short. I/O is injected (`ByteReader`): the extension host reads the file,
// tests read a buffer. Lines here are trace lines (1-based).

import { TraceIndex } from './traceIndex';

/** Reads bytes of the trace file. */
export interface ByteReader {
  /** File size in bytes. */
  readonly size: number;
  /** Up to `length` bytes from `offset` (fewer at the end of the file). */
  read(offset: number, length: number): Promise<Uint8Array>;
}

export interface LineWindow {
  from: number;
  texts: string[];
  /** Lines cut at `maxLineChars` (the rest of them was not read). */
  cut: number[];
}

export interface TraceLinesOptions {
  /** Longer lines are cut (and only that much of them is read). */
  maxLineChars?: number;
  /** Bytes read per step when scanning for line starts. */
  scanChunk?: number;
  /** A checkpoint every this many lines of a scanned stretch. */
  checkpointEvery?: number;
}

const NL = 10;
const CR = 13;
/** A window of lines is read in one piece up to this many bytes, else line by line. */
const MAX_WINDOW_BYTES = 4 << 20;

export class TraceLines {
  /** Number of lines of the file (a last line without a newline counts; a final newline does not start one). */
  lineCount = 0;
  private readonly maxLineChars: number;
  private readonly scanChunk: number;
  private readonly checkpointEvery: number;
  /** Line starts found by scanning, ascending by line (and so by offset). */
  private readonly cpLine: number[] = [];
  private readonly cpOffset: number[] = [];
  private readonly decoder = new TextDecoder('utf-8');

  private constructor(
    private readonly index: TraceIndex,
    private readonly reader: ByteReader,
    o: TraceLinesOptions,
  ) {
    this.maxLineChars = o.maxLineChars ?? 4096;
    this.scanChunk = o.scanChunk ?? 64 * 1024;
    this.checkpointEvery = o.checkpointEvery ?? 256;
  }

  /** Opens the lines of the file the index's analysis was made from; counts them from the last event line. */
  static async open(index: TraceIndex, reader: ByteReader, options: TraceLinesOptions = {}): Promise<TraceLines> {
    const t = new TraceLines(index, reader, options);
    t.lineCount = await t.countLines();
    return t;
  }

  /** The last line with an event (0: none). */
  private lastEventLine(): number {
    const s = this.index.store;
    if (!s.length) return 0;
    if (!s.sorted) return s.line[s.length - 1];
    let max = 0;
    for (const t of this.index.tasks) if (t.lastLine > max) max = t.lastLine;
    return max;
  }

  private async countLines(): Promise<number> {
    const size = this.reader.size;
    if (size === 0) return 0;
    const [line, offset] = this.anchor(Math.max(1, this.lastEventLine()));
    // every newline before the last byte starts one more line
    let n = line;
    for (let pos = offset; pos < size;) {
      const buf = await this.reader.read(pos, Math.min(this.scanChunk, size - pos));
      if (!buf.length) break;
      const end = pos + buf.length;
      for (let k = 0; k < buf.length; k++) {
        if (buf[k] !== NL || pos + k === size - 1) continue;
        n++;
        if ((n - line) % this.checkpointEvery === 0) this.checkpoint(n, pos + k + 1);
      }
      pos = end;
    }
    return n;
  }

  /** The nearest known line start at or before `line`: an event line or a checkpoint. */
  private anchor(line: number): [number, number] {
    let best: [number, number] = [1, 0];
    const e = this.index.positionAtLine(line);
    if (e >= 0) {
      const s = this.index.store;
      best = [s.line[e], s.offset[e]];
    }
    // checkpoints: the greatest at or before `line`
    let lo = 0;
    let hi = this.cpLine.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.cpLine[mid] <= line) lo = mid + 1;
      else hi = mid;
    }
    if (lo > 0 && this.cpLine[lo - 1] > best[0]) best = [this.cpLine[lo - 1], this.cpOffset[lo - 1]];
    return best;
  }

  private checkpoint(line: number, offset: number): void {
    const n = this.cpLine.length;
    if (n && this.cpLine[n - 1] >= line) {
      // out of order (a scan of an earlier stretch): insert in place unless known
      let k = 0;
      while (k < n && this.cpLine[k] < line) k++;
      if (this.cpLine[k] === line) return;
      this.cpLine.splice(k, 0, line);
      this.cpOffset.splice(k, 0, offset);
      return;
    }
    this.cpLine.push(line);
    this.cpOffset.push(offset);
  }

  /** Byte offset where a line starts (the file size for the line after the last). */
  async offsetOf(line: number): Promise<number> {
    const size = this.reader.size;
    if (line <= 1) return 0;
    if (line > this.lineCount) return size;
    const [from, offset] = this.anchor(line);
    if (from === line) return offset;
    // read forward from the anchor, counting newlines
    let n = from;
    for (let pos = offset; pos < size;) {
      const buf = await this.reader.read(pos, Math.min(this.scanChunk, size - pos));
      if (!buf.length) break;
      for (let k = 0; k < buf.length; k++) {
        if (buf[k] !== NL) continue;
        n++;
        const start = pos + k + 1;
        if (n === line) return start;
        if ((n - from) % this.checkpointEvery === 0) this.checkpoint(n, start);
      }
      pos += buf.length;
    }
    return size;
  }

  /** Lines `from` … `from + count - 1` (clipped to the file), their texts without line ends. */
  async lines(from: number, count: number): Promise<LineWindow> {
    const first = Math.max(1, Math.floor(from));
    const last = Math.min(this.lineCount, first + Math.max(0, Math.floor(count)) - 1);
    const out: LineWindow = { from: first, texts: [], cut: [] };
    if (last < first) return out;
    const start = await this.offsetOf(first);
    const end = await this.offsetOf(last + 1);
    if (end - start <= MAX_WINDOW_BYTES) {
      const buf = await this.reader.read(start, end - start);
      let a = 0;
      for (let line = first; line <= last; line++) {
        let b = buf.indexOf(NL, a);
        if (b < 0) b = buf.length;
        this.push(out, line, buf.subarray(a, b), false);
        a = b + 1;
      }
      return out;
    }
    // a window with huge lines: each line on its own, only its head read
    for (let line = first; line <= last; line++) {
      const a = await this.offsetOf(line);
      const b = await this.offsetOf(line + 1);
      const want = Math.min(b - a, this.maxLineChars * 4);
      const buf = await this.reader.read(a, want);
      let e = buf.indexOf(NL);
      if (e < 0) e = buf.length;
      this.push(out, line, buf.subarray(0, e), want < b - a);
    }
    return out;
  }

  private push(out: LineWindow, line: number, bytes: Uint8Array, truncated: boolean): void {
    let n = bytes.length;
    if (n && bytes[n - 1] === CR) n--;
    let text = this.decoder.decode(bytes.subarray(0, Math.min(n, this.maxLineChars * 4)));
    let cut = truncated || n > this.maxLineChars * 4;
    if (text.length > this.maxLineChars) {
      text = text.slice(0, this.maxLineChars);
      cut = true;
    }
    out.texts.push(text);
    if (cut) out.cut.push(line);
  }

  /** Line starts remembered from scans (for tests and the memory account). */
  get checkpoints(): number {
    return this.cpLine.length;
  }
}

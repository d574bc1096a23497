// Splits a byte stream into lines without ever holding the whole text: chunks in, one callback
// per line out, with its 1-based number and byte offset. Handles CRLF and a missing final newline,
// and bounds memory on absurdly long lines (they are cut and reported, never buffered whole).

/** Longest line kept; longer lines are truncated to this many bytes and flagged. */
export const MAX_LINE_BYTES = 64 * 1024;

export type LineSink = (text: string, lineNo: number, offset: number, truncated: boolean) => void;

/**
 * Optional byte-level handler tried first for each complete line, given its bytes [start, end)
 * without the line ending. Returns false to have the line decoded and sent to the LineSink.
 */
export type ByteLineHandler = (bytes: Uint8Array, start: number, end: number, lineNo: number, offset: number) => boolean;

const latin1 = new TextDecoder('latin1');
const utf8 = new TextDecoder('utf-8');

/** Decodes bytes as UTF-8, using the fast one-byte-per-char path when the range is ASCII. */
export function decode(bytes: Uint8Array, start: number, end: number): string {
  for (let i = start; i < end; i++) {
    if (bytes[i] >= 0x80) return utf8.decode(bytes.subarray(start, end));
  }
  return latin1.decode(bytes.subarray(start, end));
}

/** Node's Buffer has a native one-byte-per-char slice, much faster than TextDecoder. */
interface NodeBufferLike extends Uint8Array {
  latin1Slice(start: number, end: number): string;
}
const NON_ASCII = /[\x80-\uffff]/;

/** The bytes [start, end) as a string when they are all ASCII, else null. */
function asciiText(chunk: Uint8Array, start: number, end: number): string | null {
  const text =
    typeof (chunk as NodeBufferLike).latin1Slice === 'function'
      ? (chunk as NodeBufferLike).latin1Slice(start, end)
      : latin1.decode(chunk.subarray(start, end));
  return NON_ASCII.test(text) ? null : text;
}

export class LineSplitter {
  private carry: Uint8Array | null = null;
  private carryLen = 0;
  private carryTruncated = false;
  private lineNo = 0;
  private offset = 0;

  /** When set, complete lines are offered to it as bytes before any string is made. */
  byteHandler: ByteLineHandler | null = null;

  /** `offset`: byte offset of the first byte pushed (a range of a file read on its own); line numbers start at 1 anyway. */
  constructor(
    private readonly sink: LineSink,
    offset = 0,
  ) {
    this.offset = offset;
  }

  /** Whether everything pushed so far ended with a newline (no partial line is carried). */
  get atLineStart(): boolean {
    return this.carryLen === 0 && !this.carryTruncated;
  }

  /** Counts `lines` lines of `bytes` bytes that were split elsewhere (they follow what was pushed, which ended a line). */
  skip(lines: number, bytes: number): void {
    if (!this.atLineStart) throw new Error('LineSplitter.skip inside a line');
    this.lineNo += lines;
    this.offset += bytes;
  }

  /** Feeds the next chunk of bytes. */
  push(chunk: Uint8Array): void {
    let start = 0;
    // finish a line carried over from the previous chunk first
    if (this.carryLen > 0 || this.carryTruncated) {
      const nl = chunk.indexOf(10);
      if (nl === -1) {
        this.append(chunk, 0, chunk.length);
        return;
      }
      this.append(chunk, 0, nl);
      this.emitCarry(nl + 1);
      start = nl + 1;
    }
    if (this.byteHandler) {
      this.pushLines(chunk, start, this.byteHandler);
      return;
    }
    // fast path: decode all complete lines of the chunk at once; when they are ASCII, string
    // offsets are byte offsets and lines are plain slices of one string.
    const last = chunk.lastIndexOf(10);
    if (last >= start) {
      const text = asciiText(chunk, start, last + 1);
      if (text !== null) {
        this.pushAscii(text);
        start = last + 1;
      }
    }
    this.pushLines(chunk, start, null);
  }

  private pushAscii(text: string): void {
    let a = 0;
    const n = text.length;
    while (a < n) {
      const nl = text.indexOf('\n', a);
      let end = nl;
      if (end > a && text.charCodeAt(end - 1) === 13) end--;
      const truncated = end - a > MAX_LINE_BYTES;
      if (truncated) end = a + MAX_LINE_BYTES;
      this.sink(text.slice(a, end), ++this.lineNo, this.offset, truncated);
      this.offset += nl - a + 1;
      a = nl + 1;
    }
  }

  /**
   * Each complete line from `start` on: offered to `handler` first when there is one, and sent to
   * the sink as a string unless the handler took it. A final partial line is carried over.
   */
  private pushLines(chunk: Uint8Array, start: number, handler: ByteLineHandler | null): void {
    const n = chunk.length;
    while (start < n) {
      const nl = chunk.indexOf(10, start);
      if (nl === -1) {
        this.append(chunk, start, n);
        return;
      }
      let end = nl;
      if (end > start && chunk[end - 1] === 13) end--;
      const lineNo = ++this.lineNo;
      const truncated = end - start > MAX_LINE_BYTES;
      if (truncated || !handler?.(chunk, start, end, lineNo, this.offset)) {
        if (truncated) end = start + MAX_LINE_BYTES;
        this.sink(decode(chunk, start, end), lineNo, this.offset, truncated);
      }
      this.offset += nl - start + 1;
      start = nl + 1;
    }
  }

  /** Flushes a final line without a newline. */
  end(): void {
    if (this.carryLen > 0 || this.carryTruncated) this.emitCarry(0);
  }

  get linesSeen(): number {
    return this.lineNo;
  }

  get bytesSeen(): number {
    return this.offset + this.carryLen;
  }

  private carryBytes = 0;

  private append(chunk: Uint8Array, start: number, end: number): void {
    const len = end - start;
    this.carryBytes += len;
    const room = MAX_LINE_BYTES + 1 - this.carryLen; // +1 keeps a possible trailing CR
    if (len > room) this.carryTruncated = true;
    const take = Math.min(len, Math.max(room, 0));
    if (take <= 0) return;
    if (!this.carry || this.carry.length < this.carryLen + take) {
      const next = new Uint8Array(Math.min(MAX_LINE_BYTES + 1, Math.max(256, (this.carryLen + take) * 2)));
      if (this.carry) next.set(this.carry.subarray(0, this.carryLen));
      this.carry = next;
    }
    this.carry.set(chunk.subarray(start, start + take), this.carryLen);
    this.carryLen += take;
  }

  /** Emits the carried line; `consumedFromChunk` is how many bytes of the newline-bearing chunk were the line's tail plus newline. */
  private emitCarry(newlineBytes: number): void {
    const buf = this.carry ?? new Uint8Array(0);
    let end = this.carryLen;
    if (end > 0 && buf[end - 1] === 13 && !this.carryTruncated) end--;
    let truncated = this.carryTruncated;
    if (end > MAX_LINE_BYTES) {
      end = MAX_LINE_BYTES;
      truncated = true;
    }
    // carryBytes already counts the tail of the line in the newline-bearing chunk; add the newline itself.
    const total = this.carryBytes + (newlineBytes > 0 ? 1 : 0);
    this.sink(decode(buf, 0, end), ++this.lineNo, this.offset, truncated);
    this.offset += total;
    this.carryLen = 0;
    this.carryBytes = 0;
    this.carryTruncated = false;
    if (this.carry && this.carry.length > 4096) this.carry = null; // do not keep a huge buffer around
  }
}

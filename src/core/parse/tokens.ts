// Tokenized lines of a text trace in columns: what the byte-level reader (fastFtrace.ts) makes of
// a run of lines, before the EventBuilder gives them meaning. A batch holds, in line order, one
// record per line: a lock or raw_syscalls event already read into numbers (its task name and lock
// key as ids into its tokenizer's dictionaries), or the text of a line left to the string parser.
// Batches are made on the parsing thread (TraceParser, one per pushed chunk) or in worker threads
// (one per byte range of the file, src/load/parallel.ts) and applied in file order by
// TraceParser.pushTokens, so every event gets the same line, offset and ids either way.

/** What a record is. */
export const enum Op {
  /** A line for the string parser (`texts[ref]`). */
  Slow = 0,
  Acquire = 1,
  Release = 2,
  Contended = 3,
  Acquired = 4,
  SysEnter = 5,
  SysExit = 6,
}

/** Record flag bits besides the EventFlag bits of lock records. */
export const TRUNCATED = 128;

/**
 * The dictionary entries a tokenizer added since its previous batch: task names (ids continue
 * from the tokenizer's earlier entries) and lock keys (`ADDRESS NAME` text, where the address
 * ends, and the class name), as EventBuilder.kernelLock takes them.
 */
export interface DictionaryDelta {
  comms: string[];
  lockKeys: string[];
  lockSps: number[];
  lockNames: string[];
}

/** A batch in the form postMessage carries (typed arrays are transferred, not copied). */
export interface PackedBatch {
  /** Which tokenizer made it (dictionary ids are its own). */
  source: number;
  n: number;
  start: number;
  bytes: number;
  lines: number;
  op: Uint8Array;
  line: Uint32Array;
  offset: Float64Array;
  ts: Float64Array;
  pid: Int32Array;
  cpu: Int32Array;
  comm: Int32Array;
  ctx: Uint8Array;
  flags: Uint8Array;
  ref: Int32Array;
  num: Float64Array;
  args: Float64Array;
  texts: string[];
  dict: DictionaryDelta;
}

/** What TraceParser reads of a batch: a TokenBatch, or a PackedBatch from a worker. */
export type TokenView = PackedBatch;

const INITIAL = 4096;

/** A growable run of records. */
export class TokenBatch {
  /** Which tokenizer fills it. */
  source = 0;
  n = 0;
  /** Byte offset of the batch's first line, bytes and lines it covers (lines without records included). */
  start = 0;
  bytes = 0;
  lines = 0;
  op: Uint8Array;
  /** Line number as the tokenizer's line splitter counted it (TraceParser adds the lines before a range). */
  line: Uint32Array;
  /** Byte offset of the line in the file. */
  offset: Float64Array;
  ts: Float64Array;
  pid: Int32Array;
  cpu: Int32Array;
  /** Task name: an id in the tokenizer's name dictionary. */
  comm: Int32Array;
  ctx: Uint8Array;
  /** Lock records: EventFlag bits (Try, Read, StatAcquired); Slow: TRUNCATED. */
  flags: Uint8Array;
  /** Lock records: lock id in the tokenizer's dictionary; syscalls: the number; Slow: index into `texts`. */
  ref: Int32Array;
  /** SysExit: the return value; SysEnter: where its arguments start in `args` (count, then values), -1: none read. */
  num: Float64Array;
  args = new Float64Array(256);
  argsLen = 0;
  texts: string[] = [];
  dict: DictionaryDelta = { comms: [], lockKeys: [], lockSps: [], lockNames: [] };

  /** `capacity`: records to make room for at once (it grows as needed). */
  constructor(capacity = INITIAL) {
    const n = Math.max(16, capacity);
    this.op = new Uint8Array(n);
    this.line = new Uint32Array(n);
    this.offset = new Float64Array(n);
    this.ts = new Float64Array(n);
    this.pid = new Int32Array(n);
    this.cpu = new Int32Array(n);
    this.comm = new Int32Array(n);
    this.ctx = new Uint8Array(n);
    this.flags = new Uint8Array(n);
    this.ref = new Int32Array(n);
    this.num = new Float64Array(n);
  }

  /** Room for `n` records in all. */
  ensure(n: number): void {
    while (this.op.length < n) this.grow();
  }

  /** Index of a new record (its fields are the caller's to fill). */
  add(): number {
    if (this.n === this.op.length) this.grow();
    return this.n++;
  }

  /** A line for the string parser. */
  addSlow(text: string, lineNo: number, offset: number, truncated: boolean): void {
    const k = this.add();
    this.op[k] = Op.Slow;
    this.line[k] = lineNo;
    this.offset[k] = offset;
    this.flags[k] = truncated ? TRUNCATED : 0;
    this.ref[k] = this.texts.length;
    this.texts.push(text);
  }

  /** Room for `count` more argument slots; returns where they start. */
  argSlots(count: number): number {
    if (this.argsLen + count > this.args.length) {
      const a = new Float64Array(Math.max(this.args.length * 2, this.argsLen + count));
      a.set(this.args.subarray(0, this.argsLen));
      this.args = a;
    }
    const at = this.argsLen;
    this.argsLen += count;
    return at;
  }

  /**
   * A batch over the buffers of one that was packed and applied (handed back by the thread that
   * applied it): fresh memory costs page faults, reused memory does not.
   */
  static reuse(p: PackedBatch): TokenBatch {
    const b = new TokenBatch(0);
    b.op = new Uint8Array(p.op.buffer as ArrayBuffer);
    b.line = new Uint32Array(p.line.buffer as ArrayBuffer);
    b.offset = new Float64Array(p.offset.buffer as ArrayBuffer);
    b.ts = new Float64Array(p.ts.buffer as ArrayBuffer);
    b.pid = new Int32Array(p.pid.buffer as ArrayBuffer);
    b.cpu = new Int32Array(p.cpu.buffer as ArrayBuffer);
    b.comm = new Int32Array(p.comm.buffer as ArrayBuffer);
    b.ctx = new Uint8Array(p.ctx.buffer as ArrayBuffer);
    b.flags = new Uint8Array(p.flags.buffer as ArrayBuffer);
    b.ref = new Int32Array(p.ref.buffer as ArrayBuffer);
    b.num = new Float64Array(p.num.buffer as ArrayBuffer);
    b.args = new Float64Array(p.args.buffer as ArrayBuffer);
    return b;
  }

  /** The buffers of a packed batch, to transfer back for reuse. */
  static buffers(p: PackedBatch): ArrayBuffer[] {
    return [p.op, p.line, p.offset, p.ts, p.pid, p.cpu, p.comm, p.ctx, p.flags, p.ref, p.num, p.args].map((a) => a.buffer as ArrayBuffer);
  }

  /** Empties the batch for reuse (the dictionary delta too). */
  reset(): void {
    this.n = 0;
    this.argsLen = 0;
    this.start = 0;
    this.bytes = 0;
    this.lines = 0;
    this.texts = [];
    this.dict = { comms: [], lockKeys: [], lockSps: [], lockNames: [] };
  }

  private grow(): void {
    const cap = this.op.length * 2;
    const g = <T extends Uint8Array | Uint32Array | Int32Array | Float64Array>(a: T): T => {
      const b = new (a.constructor as new (n: number) => T)(cap);
      b.set(a);
      return b;
    };
    this.op = g(this.op);
    this.line = g(this.line);
    this.offset = g(this.offset);
    this.ts = g(this.ts);
    this.pid = g(this.pid);
    this.cpu = g(this.cpu);
    this.comm = g(this.comm);
    this.ctx = g(this.ctx);
    this.flags = g(this.flags);
    this.ref = g(this.ref);
    this.num = g(this.num);
  }

  /** The batch for postMessage, and the buffers to transfer. The batch must not be used afterwards. */
  pack(): { packed: PackedBatch; transfer: ArrayBuffer[] } {
    const n = this.n;
    const packed: PackedBatch = {
      source: this.source,
      n,
      start: this.start,
      bytes: this.bytes,
      lines: this.lines,
      op: this.op.subarray(0, n),
      line: this.line.subarray(0, n),
      offset: this.offset.subarray(0, n),
      ts: this.ts.subarray(0, n),
      pid: this.pid.subarray(0, n),
      cpu: this.cpu.subarray(0, n),
      comm: this.comm.subarray(0, n),
      ctx: this.ctx.subarray(0, n),
      flags: this.flags.subarray(0, n),
      ref: this.ref.subarray(0, n),
      num: this.num.subarray(0, n),
      args: this.args.subarray(0, this.argsLen),
      texts: this.texts,
      dict: this.dict,
    };
    return { packed, transfer: TokenBatch.buffers(packed) };
  }
}

/** A tokenizer's dictionaries as a parser has received them, with the store's lock ids (-1: not made yet). */
export class TokenDictionary {
  readonly comms: string[] = [];
  private readonly keys: string[] = [];
  private readonly sps: number[] = [];
  private readonly names: string[] = [];
  private readonly ids: number[] = [];

  add(d: DictionaryDelta): void {
    for (const c of d.comms) this.comms.push(c);
    for (let k = 0; k < d.lockKeys.length; k++) {
      this.keys.push(d.lockKeys[k]);
      this.sps.push(d.lockSps[k]);
      this.names.push(d.lockNames[k]);
      this.ids.push(-1);
    }
  }

  /** The store's lock for entry `k`, made at its first use (so locks are numbered in file order, as the string path numbers them). */
  lock(k: number, b: { kernelLock(addrAndName: string, sp: number, name: string): number }): number {
    let id = this.ids[k];
    if (id < 0) this.ids[k] = id = b.kernelLock(this.keys[k], this.sps[k], this.names[k]);
    return id;
  }
}

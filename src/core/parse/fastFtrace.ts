// Byte-level fast path for the hottest line shapes of ftrace / trace-cmd and perf script text:
// lock_acquire, lock_release, lock_contended, lock_acquired, and raw_syscalls sys_enter /
// sys_exit. It reads the line straight from the input bytes into a record of a TokenBatch
// (tokens.ts) and builds no per-line strings: task names and lock keys become ids of its own
// dictionaries, looked up by their bytes, and strings are only made the first time a name is seen.
// It keeps no other state from line to line, so any byte range of a trace can be read by its own
// tokenizer (in a worker thread) and the records applied in file order afterwards
// (TraceParser.pushTokens: the EventBuilder calls the string path would make, in the same order).
//
// It either reads a line exactly as the string path (textFormats.ts parseFtraceLine or
// parsePerfLine, then EventBuilder.add) would, or declines it and the caller takes the string
// path. Anything unusual (non-ASCII, malformed, other events, syscalls:* shapes, absurd numbers)
// is declined, so the string path stays the one definition of the grammar and its error
// messages; a differential test (test/unit/core/fastPath.test.ts) holds the two to the same
// result on every fixture, on fuzzed traces and on traces cut into ranges at every kind of boundary.

import { EventFlag, parseLatencyFlags } from '../types';
import { Arch, fileSyscall, parseArgs, syscallTable } from './interpret';
import { Op, TokenBatch } from './tokens';

const SPACE = 32;
const TAB = 9;
const COLON = 58;
const DASH = 45;
const DOT = 46;
const LPAREN = 40;
const RPAREN = 41;
const LBRACKET = 91;
const RBRACKET = 93;

const isSpace = (c: number) => c === SPACE || c === TAB;
const isDigit = (c: number) => c >= 48 && c <= 57;
const isWord = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 95 || c === 45;

/** Event names the fast path handles, as bytes. */
const enum Ev {
  None,
  LockAcquire,
  LockRelease,
  LockContended,
  LockAcquired,
  SysEnter,
  SysExit,
}

function bytesOf(s: string): Uint8Array {
  return Uint8Array.from(s, (ch) => ch.charCodeAt(0));
}
const NAMES: [Uint8Array, Ev, string][] = [
  [bytesOf('lock_acquire'), Ev.LockAcquire, 'lock_acquire'],
  [bytesOf('lock_release'), Ev.LockRelease, 'lock_release'],
  [bytesOf('lock_contended'), Ev.LockContended, 'lock_contended'],
  [bytesOf('lock_acquired'), Ev.LockAcquired, 'lock_acquired'],
  [bytesOf('sys_enter'), Ev.SysEnter, 'sys_enter'],
  [bytesOf('sys_exit'), Ev.SysExit, 'sys_exit'],
];

function eventOf(buf: Uint8Array, a: number, b: number): Ev {
  const len = b - a;
  for (let n = 0; n < NAMES.length; n++) {
    const name = NAMES[n][0];
    if (name.length !== len || name[len - 1] !== buf[b - 1]) continue;
    let k = 0;
    while (k < len && buf[a + k] === name[k]) k++;
    if (k === len) return NAMES[n][1];
  }
  return Ev.None;
}

/** True when bytes [a, b) are all ASCII (so a latin1 string of them equals their UTF-8 text). */
function ascii(buf: Uint8Array, a: number, b: number): boolean {
  for (let i = a; i < b; i++) if (buf[i] >= 0x80) return false;
  return true;
}

const latin1 = new TextDecoder('latin1');
/** Node's Buffer has a native one-byte-per-char slice, much faster than TextDecoder. */
interface NodeBufferLike extends Uint8Array {
  latin1Slice(start: number, end: number): string;
}
function text(buf: Uint8Array, a: number, b: number): string {
  const nb = buf as NodeBufferLike;
  return typeof nb.latin1Slice === 'function' ? nb.latin1Slice(a, b) : latin1.decode(buf.subarray(a, b));
}

/** Largest count of decimal digits parsed here; longer numbers are left to the string path. */
const MAX_DIGITS = 15;

/**
 * A hash map from byte strings to ids, so a lock seen a million times costs a hash and a compare
 * instead of a new string and a string-keyed lookup. Keys are copied into one growing pool.
 */
export class ByteKeyMap {
  private slots = new Int32Array(1 << 12).fill(-1);
  private hashes = new Uint32Array(1 << 10);
  private starts = new Uint32Array(1 << 10);
  private lens = new Uint32Array(1 << 10);
  private values = new Int32Array(1 << 10);
  private pool = new Uint8Array(1 << 16);
  private poolLen = 0;
  size = 0;

  constructor(private readonly maxEntries = 1_000_000) {}

  static hash(buf: Uint8Array, a: number, b: number, h = 0x811c9dc5): number {
    for (let i = a; i < b; i++) h = Math.imul(h ^ buf[i], 0x01000193);
    return h >>> 0;
  }

  /**
   * The id stored for the key made of bytes [a1, b1) followed by [a2, b2) with hash `h`,
   * or -1 when it is not stored.
   */
  get(h: number, buf: Uint8Array, a1: number, b1: number, a2: number, b2: number): number {
    const mask = this.slots.length - 1;
    const len = b1 - a1 + (b2 - a2);
    for (let s = h & mask; ; s = (s + 1) & mask) {
      const e = this.slots[s];
      if (e < 0) return -1;
      if (this.hashes[e] !== h || this.lens[e] !== len) continue;
      const p = this.pool;
      let q = this.starts[e];
      let i = a1;
      while (i < b1 && p[q] === buf[i]) {
        i++;
        q++;
      }
      if (i < b1) continue;
      i = a2;
      while (i < b2 && p[q] === buf[i]) {
        i++;
        q++;
      }
      if (i === b2) return this.values[e];
    }
  }

  /** Stores a key that `get` did not find (silently ignored once the map is full). */
  set(h: number, buf: Uint8Array, a1: number, b1: number, a2: number, b2: number, value: number): void {
    if (this.size >= this.maxEntries) return;
    const len = b1 - a1 + (b2 - a2);
    if (this.size === this.hashes.length) {
      const grow = <T extends Uint32Array | Int32Array>(a: T): T => {
        const b = new (a.constructor as new (n: number) => T)(a.length * 2);
        b.set(a);
        return b;
      };
      this.hashes = grow(this.hashes);
      this.starts = grow(this.starts);
      this.lens = grow(this.lens);
      this.values = grow(this.values);
    }
    if (this.poolLen + len > this.pool.length) {
      const p = new Uint8Array(Math.max(this.pool.length * 2, this.poolLen + len));
      p.set(this.pool.subarray(0, this.poolLen));
      this.pool = p;
    }
    const e = this.size++;
    this.hashes[e] = h;
    this.starts[e] = this.poolLen;
    this.lens[e] = len;
    this.values[e] = value;
    this.pool.set(buf.subarray(a1, b1), this.poolLen);
    this.pool.set(buf.subarray(a2, b2), this.poolLen + (b1 - a1));
    this.poolLen += len;
    if (this.size * 2 > this.slots.length) this.rehash();
    else this.place(e);
  }

  private place(e: number): void {
    const mask = this.slots.length - 1;
    let s = this.hashes[e] & mask;
    while (this.slots[s] >= 0) s = (s + 1) & mask;
    this.slots[s] = e;
  }

  private rehash(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(-1);
    for (let e = 0; e < this.size; e++) this.place(e);
  }
}

/** Per-pid cache of the last task name seen, compared byte by byte with the next line's. */
const COMM_CACHE = 1024;

/** Largest pid and CPU number a record holds (Int32 columns); larger ones are the string path's. */
const MAX_INT32 = 0x7fffffff;
/** Whether an Int32 column holds `n` as it is (`NR -0` keeps its sign in the store's number column). */
const int32 = (n: number): boolean => (n | 0) === n && !Object.is(n, -0);

export class FastFtraceLines {
  /** Where records go; the owner empties or replaces it between runs of lines. */
  batch = new TokenBatch();
  /** Ctx bits of the line being read (its latency-flags column), set before `event`. */
  private ctx = 0;
  /** The last flags column seen and what it meant: lines repeat a handful of shapes. */
  private lastFlags = -1;
  private lastFlagsCtx = 0;
  private readonly commPid = new Float64Array(COMM_CACHE).fill(-1);
  private readonly comm: string[] = new Array<string>(COMM_CACHE).fill('');
  private readonly commIdOf = new Int32Array(COMM_CACHE);
  /** Task names -> dictionary ids. */
  private readonly commIds = new Map<string, number>();
  private readonly lockKeys = new ByteKeyMap();
  private lockCount = 0;
  /** Syscall number -> whether the file-lock tracking reads its arguments (1/0; 2: not known yet). */
  private readonly fileNr = new Uint8Array(1024).fill(2);
  private readonly table: Readonly<Record<number, string>>;
  /** Lines handled and declined (the tests check that the byte path really takes the common lines). */
  handled = 0;
  declined = 0;

  /** `perf` reads `perf script` lines; otherwise ftrace / trace-cmd lines. */
  constructor(
    private readonly perf = false,
    opts: { arch?: Arch } = {},
  ) {
    this.table = syscallTable(opts.arch);
  }

  /**
   * Handles the line in bytes [start, end) (without its newline) as line `lineNo` at byte `offset`.
   * Returns false, having changed nothing, when the string path must handle it.
   */
  line(buf: Uint8Array, start: number, end: number, lineNo: number, offset: number): boolean {
    if (this.perf ? this.perfLine(buf, start, end, lineNo, offset) : this.ftrace(buf, start, end, lineNo, offset)) {
      this.handled++;
      return true;
    }
    this.declined++;
    return false;
  }

  /** ftrace / trace-cmd: `comm-PID [(TGID)] [CPU] [FLAGS] TIMESTAMP: [subsys:]name: body`. */
  private ftrace(buf: Uint8Array, start: number, end: number, lineNo: number, offset: number): boolean {
    // --- `comm-PID [CPU]` (the same search as the string scanner's scanTaskCpu)
    let from = start;
    let k = -1;
    let pid = 0;
    let cpu = 0;
    let c0 = 0;
    let d = 0;
    for (;;) {
      let lb = from;
      while (lb < end && buf[lb] !== LBRACKET) lb++;
      if (lb >= end) return false;
      from = lb + 1;
      let j = lb + 1;
      cpu = 0;
      while (j < end && isDigit(buf[j])) cpu = cpu * 10 + buf[j++] - 48;
      if (j === lb + 1 || j >= end || buf[j] !== RBRACKET || lb === start || !isSpace(buf[lb - 1])) continue;
      let e = lb - 1;
      while (e >= start && isSpace(buf[e])) e--;
      if (e >= start && buf[e] === RPAREN) {
        let open = e;
        while (open >= start && buf[open] !== LPAREN) open--;
        if (open < start) continue;
        e = open - 1;
        while (e >= start && isSpace(buf[e])) e--;
      }
      d = e;
      pid = 0;
      let mul = 1;
      while (d >= start && isDigit(buf[d])) {
        pid += (buf[d] - 48) * mul;
        mul *= 10;
        d--;
      }
      if (d === e || d < start || buf[d] !== DASH) continue;
      c0 = start;
      while (c0 < d && isSpace(buf[c0])) c0++;
      k = j + 1;
      break;
    }
    if (d - c0 > MAX_COMM || pid > MAX_INT32 || cpu > MAX_INT32) return false;
    // --- `[FLAGS] TIMESTAMP:`
    while (k < end && isSpace(buf[k])) k++;
    let tokEnd = k;
    while (tokEnd < end && !isSpace(buf[tokEnd])) tokEnd++;
    this.ctx = 0;
    if (buf[tokEnd - 1] !== COLON) {
      // a flags column of 4 or 5 characters: counted in bytes, so only when they are ASCII
      if (tokEnd - k < 4 || tokEnd - k > 5 || !ascii(buf, k, tokEnd)) return false;
      this.ctx = this.flagsCtx(buf, k, tokEnd);
      k = tokEnd;
      while (k < end && isSpace(buf[k])) k++;
      tokEnd = k;
      while (tokEnd < end && !isSpace(buf[tokEnd])) tokEnd++;
      if (buf[tokEnd - 1] !== COLON) return false;
    }
    if (tokEnd - 1 === k) return false;
    let mant = 0;
    let digits = 0;
    let frac = -1;
    for (let j = k; j < tokEnd - 1; j++) {
      const c = buf[j];
      if (isDigit(c)) {
        mant = mant * 10 + c - 48;
        digits++;
        if (frac >= 0) frac++;
      } else if (c === DOT && frac < 0) frac = 0;
      else return false; // a second dot or another character: the string path decides
    }
    if (digits > MAX_DIGITS || digits === 0) return false;
    const ts = timestamp(mant, frac);
    // --- event name (`name:` or `subsys:name:`) and body
    k = tokEnd;
    while (k < end && isSpace(buf[k])) k++;
    let e = k;
    while (e < end && isWord(buf[e])) e++;
    if (e >= end || buf[e] !== COLON || e === k) return false;
    let nameStart = k;
    let nameEnd = e;
    let e2 = e + 1;
    while (e2 < end && isWord(buf[e2])) e2++;
    if (e2 > e + 1 && e2 < end && buf[e2] === COLON) {
      nameStart = e + 1;
      nameEnd = e2;
      e = e2;
    }
    const what = eventOf(buf, nameStart, nameEnd);
    if (what === Ev.None) return false;
    let b = e + 1;
    while (b < end && isSpace(buf[b])) b++;
    let be = end;
    while (be > b && isSpace(buf[be - 1])) be--;

    const comm = this.commOf(buf, c0, d, pid);
    if (comm < 0) return false;
    return this.event(buf, b, be, what, comm, pid, cpu, ts, lineNo, offset);
  }

  /**
   * perf script: `comm PID[/TID] [CPU] TIMESTAMP: [PERIOD] subsys:name: body`, as the string
   * path's PERF_RE reads it. The comm is the shortest prefix after which the rest of the line
   * matches, so each blank after it is tried in turn, like the regular expression's lazy group.
   */
  private perfLine(buf: Uint8Array, start: number, end: number, lineNo: number, offset: number): boolean {
    let c0 = start;
    while (c0 < end && isSpace(buf[c0])) c0++;
    let s = c0;
    for (;;) {
      // the next blank; bytes the expression would read differently (other whitespace, non-ASCII) are declined
      for (;;) {
        if (s >= end || s - c0 > MAX_COMM) return false;
        const c = buf[s];
        if (isSpace(c)) break;
        if ((c >= 11 && c <= 13) || c >= 0x80) return false;
        s++;
      }
      if (s > c0 && this.perfRest(buf, s, end)) break;
      s++;
    }
    if (this.pid > MAX_INT32 || this.cpu > MAX_INT32) return false;
    const comm = this.commOf(buf, c0, s, this.pid);
    if (comm < 0) return false;
    this.ctx = 0;
    return this.event(buf, this.bodyStart, this.bodyEnd, this.what, comm, this.pid, this.cpu, this.ts, lineNo, offset);
  }

  // what perfRest found
  private pid = 0;
  private cpu = 0;
  private ts = 0;
  private what = Ev.None;
  private bodyStart = 0;
  private bodyEnd = 0;

  /** The part of a perf line after the comm, from the blank at `k`; false when it does not match. */
  private perfRest(buf: Uint8Array, k: number, end: number): boolean {
    while (k < end && isSpace(buf[k])) k++;
    // PID, or PID/TID (the TID is the task)
    let pid = this.uint(buf, k, end);
    if (pid === null) return false;
    k = this.intEnd;
    if (k < end && buf[k] === 47 /* / */) {
      pid = this.uint(buf, k + 1, end);
      if (pid === null) return false;
      k = this.intEnd;
    }
    let w = k;
    while (k < end && isSpace(buf[k])) k++;
    if (k === w || k >= end || buf[k] !== LBRACKET) return false;
    const cpu = this.uint(buf, k + 1, end);
    if (cpu === null) return false;
    k = this.intEnd;
    if (k >= end || buf[k] !== RBRACKET) return false;
    w = ++k;
    while (k < end && isSpace(buf[k])) k++;
    if (k === w) return false;
    // TIMESTAMP `\d+(\.\d+)?:`
    let mant = 0;
    let digits = 0;
    let frac = -1;
    while (k < end && isDigit(buf[k])) {
      mant = mant * 10 + buf[k++] - 48;
      digits++;
    }
    if (digits === 0) return false;
    if (k < end && buf[k] === DOT) {
      k++;
      frac = 0;
      while (k < end && isDigit(buf[k])) {
        mant = mant * 10 + buf[k++] - 48;
        digits++;
        frac++;
      }
      if (frac === 0) return false;
    }
    if (digits > MAX_DIGITS || k >= end || buf[k] !== COLON) return false;
    w = ++k;
    while (k < end && isSpace(buf[k])) k++;
    if (k === w) return false;
    // an optional period `\d+\s+`
    if (k < end && isDigit(buf[k])) {
      let q = k;
      while (q < end && isDigit(buf[q])) q++;
      if (q < end && isSpace(buf[q])) {
        k = q;
        while (k < end && isSpace(buf[k])) k++;
      }
    }
    // `subsys:name:`
    const s0 = k;
    while (k < end && isWord(buf[k])) k++;
    if (k === s0 || k >= end || buf[k] !== COLON) return false;
    const nameStart = ++k;
    while (k < end && isWord(buf[k])) k++;
    if (k === nameStart || k >= end || buf[k] !== COLON) return false;
    const what = eventOf(buf, nameStart, k);
    if (what === Ev.None) return false;
    k++;
    if (k < end && isSpace(buf[k])) k++;
    // the body `.*$` runs to the end (it cannot cross a CR); trimmed of blanks only when nothing else could be trimmed
    let b = k;
    for (let j = k; j < end; j++) if (buf[j] === 13) return false;
    while (b < end && isSpace(buf[b])) b++;
    let be = end;
    while (be > b && isSpace(buf[be - 1])) be--;
    if (be > b && (notBlankSpace(buf[b]) || notBlankSpace(buf[be - 1]))) return false;
    this.pid = pid;
    this.cpu = cpu;
    this.ts = timestamp(mant, frac);
    this.what = what;
    this.bodyStart = b;
    this.bodyEnd = be;
    return true;
  }

  /** Ctx bits of the flags column in bytes [a, b) (4 or 5 ASCII bytes), cached by their value. */
  private flagsCtx(buf: Uint8Array, a: number, b: number): number {
    let v = b - a;
    for (let i = a; i < b; i++) v = v * 128 + buf[i];
    if (v !== this.lastFlags) {
      this.lastFlags = v;
      this.lastFlagsCtx = parseLatencyFlags(text(buf, a, b));
    }
    return this.lastFlagsCtx;
  }

  /** Dictionary id of the task name in bytes [a, b) (from the cache when this pid had the same name last time), or -1. */
  private commOf(buf: Uint8Array, a: number, b: number, pid: number): number {
    const slot = pid & (COMM_CACHE - 1);
    if (this.commPid[slot] === pid && sameText(this.comm[slot], buf, a, b)) return this.commIdOf[slot];
    if (!ascii(buf, a, b)) return -1;
    const comm = text(buf, a, b);
    let id = this.commIds.get(comm);
    if (id === undefined) {
      id = this.commIds.size;
      this.commIds.set(comm, id);
      this.batch.dict.comms.push(comm);
    }
    this.comm[slot] = comm;
    this.commPid[slot] = pid;
    this.commIdOf[slot] = id;
    return id;
  }

  /** The event `what` with body bytes [b, be) as a record, holding what EventBuilder.add would read of it. */
  private event(
    buf: Uint8Array,
    b: number,
    be: number,
    what: Ev,
    comm: number,
    pid: number,
    cpu: number,
    ts: number,
    lineNo: number,
    offset: number,
  ): boolean {
    switch (what) {
      case Ev.LockAcquire: {
        let sp = b;
        while (sp < be && buf[sp] !== SPACE) sp++;
        if (sp === b || sp === be) return false;
        let q = sp + 1;
        let flags = 0;
        if (startsWith(buf, q, be, TRY)) {
          flags |= EventFlag.Try;
          q += 4;
        }
        if (startsWith(buf, q, be, READ)) {
          flags |= EventFlag.Read;
          q += 5;
        }
        if (q >= be) return false;
        // the key is `ADDRESS NAME` without the try/read words
        const a2 = flags === 0 ? be : q - 1;
        const b1 = flags === 0 ? be : sp;
        const lock = this.lock(buf, b, b1, a2, be, sp, q);
        if (lock < 0) return false;
        this.record(Op.Acquire, comm, pid, cpu, ts, lineNo, offset, flags, lock, 0);
        return true;
      }
      case Ev.LockRelease:
      case Ev.LockContended:
      case Ev.LockAcquired: {
        let sp = b;
        while (sp < be && buf[sp] !== SPACE) sp++;
        if (sp === b || sp >= be - 1) return false;
        const lock = this.lock(buf, b, be, be, be, sp, sp + 1);
        if (lock < 0) return false;
        if (what === Ev.LockRelease) this.record(Op.Release, comm, pid, cpu, ts, lineNo, offset, 0, lock, 0);
        else if (what === Ev.LockAcquired) this.record(Op.Acquired, comm, pid, cpu, ts, lineNo, offset, EventFlag.StatAcquired, lock, 0);
        else this.record(Op.Contended, comm, pid, cpu, ts, lineNo, offset, 0, lock, 0);
        return true;
      }
      case Ev.SysEnter: {
        // `NR n (args)`: the arguments run to the last `)` of the body
        const n = this.syscallNr(buf, b, be);
        if (n === null) return false;
        let q = this.intEnd;
        if (q + 1 >= be || buf[q] !== SPACE || buf[q + 1] !== LPAREN) return false;
        q += 2;
        let close = -1;
        for (let j = q; j < be; j++) {
          const c = buf[j];
          if (c === RPAREN) close = j;
          else if (c === 13) return false; // `.` of the grammar's regex stops at a CR
        }
        if (close < 0) return false;
        // the arguments, for the syscalls whose arguments the file-lock tracking reads
        let at = -1;
        if (this.wantsArgs(n)) {
          let args = hexArgs(buf, q, close);
          if (args === null) {
            if (!ascii(buf, q, close)) return false;
            args = parseArgs(text(buf, q, close), true);
          }
          const batch = this.batch;
          at = batch.argSlots(args.length + 1);
          batch.args[at] = args.length;
          for (let j = 0; j < args.length; j++) batch.args[at + 1 + j] = args[j];
        }
        this.record(Op.SysEnter, comm, pid, cpu, ts, lineNo, offset, 0, n, at);
        return true;
      }
      case Ev.SysExit: {
        // `NR n = ret`
        const n = this.syscallNr(buf, b, be);
        if (n === null) return false;
        const q = this.intEnd;
        if (q + 2 >= be || buf[q] !== SPACE || buf[q + 1] !== 61 /* = */ || buf[q + 2] !== SPACE) return false;
        const ret = this.int(buf, q + 3, be);
        // `0x…` return values (and odd tails) are the string path's
        if (ret === null || (this.intEnd < be && (buf[this.intEnd] | 0x20) === 120) /* x */) return false;
        this.record(Op.SysExit, comm, pid, cpu, ts, lineNo, offset, 0, n, ret);
        return true;
      }
      default:
        return false;
    }
  }

  /** The `NR n` that starts a raw_syscalls body at `b` (`intEnd` after it), or null. */
  private syscallNr(buf: Uint8Array, b: number, be: number): number | null {
    if (!startsWith(buf, b, be, NR)) return null;
    const n = this.int(buf, b + 3, be);
    return n === null || !int32(n) ? null : n;
  }

  /** Appends a record to the batch. */
  private record(
    op: Op,
    comm: number,
    pid: number,
    cpu: number,
    ts: number,
    lineNo: number,
    offset: number,
    flags: number,
    ref: number,
    num: number,
  ): void {
    const t = this.batch;
    const k = t.add();
    t.op[k] = op;
    t.line[k] = lineNo;
    t.offset[k] = offset;
    t.ts[k] = ts;
    t.pid[k] = pid;
    t.cpu[k] = cpu;
    t.comm[k] = comm;
    t.ctx[k] = this.ctx;
    t.flags[k] = flags;
    t.ref[k] = ref;
    t.num[k] = num;
  }

  /** Whether the file-lock tracking reads the arguments of syscall `nr` (EventBuilder.wantsArgs of its name). */
  private wantsArgs(nr: number): boolean {
    if (nr < 0 || nr >= this.fileNr.length) return fileSyscall(this.table[nr] ?? `syscall_${nr}`);
    let w = this.fileNr[nr];
    if (w === 2) this.fileNr[nr] = w = fileSyscall(this.table[nr] ?? `syscall_${nr}`) ? 1 : 0;
    return w === 1;
  }

  /** End of the last number read by `int`. */
  private intEnd = 0;

  /** `digits` at `a` (1 to MAX_DIGITS of them), or null; where they end goes to `intEnd`. */
  private uint(buf: Uint8Array, a: number, end: number): number | null {
    let q = a;
    let v = 0;
    while (q < end && isDigit(buf[q])) v = v * 10 + buf[q++] - 48;
    if (q === a || q - a > MAX_DIGITS) return null;
    this.intEnd = q;
    return v;
  }

  /** `-?digits` at `a`, or null; where they end goes to `intEnd`. */
  private int(buf: Uint8Array, a: number, end: number): number | null {
    const neg = a < end && buf[a] === DASH;
    const v = this.uint(buf, neg ? a + 1 : a, end);
    return v === null ? null : neg ? -v : v;
  }

  /**
   * Lock id of the key bytes [a1, b1) + [a2, b2), where [b, sp) of the line is the address and
   * [nameStart, b2) the class name. -1 when the string path must decide (non-ASCII).
   */
  private lock(buf: Uint8Array, a1: number, b1: number, a2: number, b2: number, sp: number, nameStart: number): number {
    const h = ByteKeyMap.hash(buf, a2, b2, ByteKeyMap.hash(buf, a1, b1));
    let id = this.lockKeys.get(h, buf, a1, b1, a2, b2);
    if (id >= 0) return id;
    if (!ascii(buf, a1, b2)) return -1;
    // a new dictionary entry; EventBuilder.kernelLock makes (or finds) the store's lock when it is applied
    const dict = this.batch.dict;
    dict.lockKeys.push(b1 === b2 ? text(buf, a1, b1) : text(buf, a1, b1) + text(buf, a2, b2));
    dict.lockSps.push(sp - a1);
    dict.lockNames.push(text(buf, nameStart, b2));
    id = this.lockCount++;
    this.lockKeys.set(h, buf, a1, b1, a2, b2, id);
    return id;
  }
}

const POW10 = Array.from({ length: MAX_DIGITS + 1 }, (_, i) => 10 ** i);

/**
 * `digits` with `frac` of them after the dot (-1: no dot). An exact integer divided by an exact
 * power of ten rounds once, so this equals `+text`.
 */
function timestamp(mant: number, frac: number): number {
  return frac > 0 ? mant / POW10[frac] : mant;
}
const TRY = bytesOf('try ');
const READ = bytesOf('read ');
const NR = bytesOf('NR ');

/**
 * raw_syscalls' argument list `3, 7ffd2b1c9e30, 1000` (bare hex, at most 12 digits each) as
 * numbers, as parseArgs would read it; null for anything else (empty, `name: value`, other
 * characters), which parseArgs then reads from text.
 */
function hexArgs(buf: Uint8Array, a: number, b: number): number[] | null {
  const out: number[] = [];
  let i = a;
  for (;;) {
    while (i < b && buf[i] === SPACE) i++;
    const d0 = i;
    let v = 0;
    for (; i < b; i++) {
      const c = buf[i];
      const l = c | 0x20;
      if (c >= 48 && c <= 57) v = v * 16 + c - 48;
      else if (l >= 97 && l <= 102) v = v * 16 + l - 87;
      else break;
    }
    if (i === d0 || i - d0 > 12) return null;
    out.push(v);
    while (i < b && buf[i] === SPACE) i++;
    if (i === b) return out;
    if (buf[i] !== 44 /* , */) return null;
    i++;
  }
}

/** Task names longer than this are left to the string path (ftrace's comm is at most 16 bytes). */
const MAX_COMM = 256;

/** Whitespace that String.prototype.trim removes besides blanks, and non-ASCII (which it might). */
function notBlankSpace(c: number): boolean {
  return (c >= 10 && c <= 13) || c >= 0x80;
}

function startsWith(buf: Uint8Array, a: number, end: number, w: Uint8Array): boolean {
  if (end - a < w.length) return false;
  for (let i = 0; i < w.length; i++) if (buf[a + i] !== w[i]) return false;
  return true;
}

function sameText(s: string, buf: Uint8Array, a: number, b: number): boolean {
  if (s.length !== b - a) return false;
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) !== buf[a + i]) return false;
  return true;
}

// AssemblyScript, compiled to out/tokenizer.wasm by esbuild.js (the assemblyscript compiler from
// the npm registry; nothing prebuilt is checked in). The byte-level reader of
// src/core/parse/fastFtrace.ts, line for line, for the worker threads of the parallel parse: it
// splits a buffer of whole lines and writes the same records (tokens.ts) for the lines the JS reader
// takes, and declines the same lines or more (a declined line is left to the string parser, which
// is the one definition of the grammar: declining is always exact). The JS side
// (src/core/parse/wasmTokenizer.ts) reads the file into this module's memory, makes the strings of
// new dictionary entries and of declined lines, and copies the records out.
// Differential tests: test/unit/core/wasmTokenizer.test.ts.
//
// Memory: the stub runtime's bump allocator; nothing is ever freed (the tables only grow).

const MAX_LINE_BYTES: i32 = 64 * 1024;
const MAX_COMM: i32 = 256;
const MAX_DIGITS: i32 = 15;
const MAX_INT32: f64 = 2147483647;
const MAX_ENTRIES: i32 = 1000000;

// record ops (tokens.ts Op)
const OP_SLOW: u8 = 0;
const OP_ACQUIRE: u8 = 1;
const OP_RELEASE: u8 = 2;
const OP_CONTENDED: u8 = 3;
const OP_ACQUIRED: u8 = 4;
const OP_SYS_ENTER: u8 = 5;
const OP_SYS_EXIT: u8 = 6;
// EventFlag bits
const F_READ: u8 = 1;
const F_TRY: u8 = 2;
const F_STAT_ACQUIRED: u8 = 32;
// events (fastFtrace.ts Ev)
const EV_NONE: i32 = 0;
const EV_LOCK_ACQUIRE: i32 = 1;
const EV_LOCK_RELEASE: i32 = 2;
const EV_LOCK_CONTENDED: i32 = 3;
const EV_LOCK_ACQUIRED: i32 = 4;
const EV_SYS_ENTER: i32 = 5;
const EV_SYS_EXIT: i32 = 6;

/** Memory from the runtime's allocator (the stub runtime: a bump allocator that grows the memory). */
function alloc(n: i32): i32 {
  return <i32>heap.alloc(<usize>n);
}

function b(p: i32): i32 {
  return <i32>load<u8>(<usize>p);
}
function isDigit(c: i32): bool {
  return <u32>(c - 48) < 10;
}
function isSpace(c: i32): bool {
  return c == 32 || c == 9;
}
function isWord(c: i32): bool {
  return <u32>((c | 0x20) - 97) < 26 || <u32>(c - 48) < 10 || c == 95 || c == 45;
}
function ascii(a: i32, e: i32): bool {
  for (let i = a; i < e; i++) if (b(i) >= 0x80) return false;
  return true;
}

// --- a byte-string -> id map (fastFtrace.ts ByteKeyMap): keys are one or two spans of the input

class ByteMap {
  slots: i32 = 0; // i32 per slot: entry + 1, 0 = empty
  mask: i32 = 0;
  hashes: i32 = 0; // u32 per entry
  starts: i32 = 0; // i32 per entry: where its bytes are in the pool
  lens: i32 = 0;
  values: i32 = 0;
  cap: i32 = 0;
  pool: i32 = 0;
  poolCap: i32 = 0;
  poolLen: i32 = 0;
  size: i32 = 0;

  constructor() {
    this.mask = (1 << 12) - 1;
    this.slots = alloc((this.mask + 1) << 2);
    memory.fill(<usize>this.slots, 0, <usize>((this.mask + 1) << 2));
    this.cap = 1 << 10;
    this.hashes = alloc(this.cap << 2);
    this.starts = alloc(this.cap << 2);
    this.lens = alloc(this.cap << 2);
    this.values = alloc(this.cap << 2);
    this.poolCap = 1 << 16;
    this.pool = alloc(this.poolCap);
  }

  get(h: u32, a1: i32, b1: i32, a2: i32, b2: i32): i32 {
    const len = b1 - a1 + (b2 - a2);
    for (let s = (<i32>h) & this.mask; ; s = (s + 1) & this.mask) {
      const e = load<i32>(<usize>(this.slots + (s << 2))) - 1;
      if (e < 0) return -1;
      if (load<u32>(<usize>(this.hashes + (e << 2))) != h || load<i32>(<usize>(this.lens + (e << 2))) != len) continue;
      const q = this.pool + load<i32>(<usize>(this.starts + (e << 2)));
      const l1 = b1 - a1;
      if (same(q, a1, l1) && same(q + l1, a2, b2 - a2)) return load<i32>(<usize>(this.values + (e << 2)));
    }
    return -1; // not reached: the table always has an empty slot
  }

  set(h: u32, a1: i32, b1: i32, a2: i32, b2: i32, value: i32): void {
    if (this.size >= MAX_ENTRIES) return;
    const l1 = b1 - a1;
    const len = l1 + (b2 - a2);
    if (this.size == this.cap) {
      const cap = this.cap << 1;
      this.hashes = grow(this.hashes, this.cap << 2, cap << 2);
      this.starts = grow(this.starts, this.cap << 2, cap << 2);
      this.lens = grow(this.lens, this.cap << 2, cap << 2);
      this.values = grow(this.values, this.cap << 2, cap << 2);
      this.cap = cap;
    }
    if (this.poolLen + len > this.poolCap) {
      let cap = this.poolCap << 1;
      while (cap < this.poolLen + len) cap <<= 1;
      this.pool = grow(this.pool, this.poolLen, cap);
      this.poolCap = cap;
    }
    const e = this.size++;
    store<u32>(<usize>(this.hashes + (e << 2)), h);
    store<i32>(<usize>(this.starts + (e << 2)), this.poolLen);
    store<i32>(<usize>(this.lens + (e << 2)), len);
    store<i32>(<usize>(this.values + (e << 2)), value);
    memory.copy(<usize>(this.pool + this.poolLen), <usize>a1, <usize>l1);
    memory.copy(<usize>(this.pool + this.poolLen + l1), <usize>a2, <usize>(b2 - a2));
    this.poolLen += len;
    if (this.size * 2 > this.mask + 1) this.rehash();
    else this.place(e);
  }

  place(e: i32): void {
    let s = (<i32>load<u32>(<usize>(this.hashes + (e << 2)))) & this.mask;
    while (load<i32>(<usize>(this.slots + (s << 2))) != 0) s = (s + 1) & this.mask;
    store<i32>(<usize>(this.slots + (s << 2)), e + 1);
  }

  rehash(): void {
    this.mask = ((this.mask + 1) << 1) - 1;
    this.slots = alloc((this.mask + 1) << 2);
    memory.fill(<usize>this.slots, 0, <usize>((this.mask + 1) << 2));
    for (let e = 0; e < this.size; e++) this.place(e);
  }
}

function grow(p: i32, used: i32, cap: i32): i32 {
  const q = alloc(cap);
  memory.copy(<usize>q, <usize>p, <usize>used);
  return q;
}

function same(q: i32, a: i32, n: i32): bool {
  let i = 0;
  for (; i + 8 <= n; i += 8) if (load<u64>(<usize>(q + i)) != load<u64>(<usize>(a + i))) return false;
  for (; i < n; i++) if (load<u8>(<usize>(q + i)) != load<u8>(<usize>(a + i))) return false;
  return true;
}

/** FNV-1a over a span (keys of one map are hashed the same way: the id of equal bytes is found). */
function fnv(a: i32, e: i32, h: u32): u32 {
  for (let i = a; i < e; i++) h = (h ^ load<u8>(<usize>i)) * 0x01000193;
  return h;
}

// --- state

let perf = false;
let recCap = 0;
let n = 0; // records in this call
let lineNo = 0;
let base = 0; // memory address of the input's first byte
let offsetBase: f64 = 0; // its byte offset in the file
// record columns
let oOp = 0;
let oLine = 0;
let oOff = 0;
let oTs = 0;
let oPid = 0;
let oCpu = 0;
let oComm = 0;
let oCtx = 0;
let oFlags = 0;
let oRef = 0;
let oNum = 0;
let oArgs = 0;
let argsCap = 0;
let argsLen = 0;
// declined lines: (start, end, truncated) each
let oSlow = 0;
let slowN = 0;
// new dictionary entries: comms (start, end); locks (a1, b1, a2, b2, sp, nameStart)
let oComms = 0;
let commsN = 0;
let oLocks = 0;
let locksN = 0;
let commCount = 0;
let lockCount = 0;
let commMap: ByteMap | null = null;
let lockMap: ByteMap | null = null;
// per-pid cache of the last task name id
const COMM_CACHE = 1024;
let commPid = 0; // f64 per slot
let commIdOf = 0; // i32 per slot
// syscall number -> whether file locks read its arguments (u8 per nr < 1024), filled by the JS side
let fileNr = 0;
let inputCap = 0;
let input = 0;
export let handled = 0;
export let declined = 0;

/** Sets the module up: perf script lines or ftrace / trace-cmd lines, records per call. */
export function init(perfFormat: bool, records: i32): void {
  perf = perfFormat;
  recCap = records;
  oOp = alloc(records);
  oLine = alloc(records << 2);
  oOff = alloc(records << 3);
  oTs = alloc(records << 3);
  oPid = alloc(records << 2);
  oCpu = alloc(records << 2);
  oComm = alloc(records << 2);
  oCtx = alloc(records);
  oFlags = alloc(records);
  oRef = alloc(records << 2);
  oNum = alloc(records << 3);
  argsCap = records * 8 + 40000;
  oArgs = alloc(argsCap << 3);
  oSlow = alloc(records * 12);
  oComms = alloc(records * 8);
  oLocks = alloc(records * 24);
  commMap = new ByteMap();
  lockMap = new ByteMap();
  commPid = alloc(COMM_CACHE << 3);
  for (let s = 0; s < COMM_CACHE; s++) store<f64>(<usize>(commPid + (s << 3)), -1);
  commIdOf = alloc(COMM_CACHE << 2);
  fileNr = alloc(1024);
}

/** Where the JS side writes the file-syscall table (1024 bytes). */
export function fileSyscalls(): i32 {
  return fileNr;
}

/** Room for `bytes` of input; returns where to put them (valid until the next call of `reserve`). */
export function reserve(bytes: i32): i32 {
  if (bytes > inputCap) {
    inputCap = bytes + (bytes >> 2);
    input = alloc(inputCap);
  }
  return input;
}

/** Starts a range: its first byte is at memory address `at`, byte `offset` of the file. */
export function begin(at: i32, offset: f64): void {
  base = at;
  offsetBase = offset;
  lineNo = 0;
}

// where the JS side finds the outputs of the last call
export function records(): i32 {
  return n;
}
export function slowCount(): i32 {
  return slowN;
}
export function newComms(): i32 {
  return commsN;
}
export function newLocks(): i32 {
  return locksN;
}
export function argsLength(): i32 {
  return argsLen;
}
export function lines(): i32 {
  return lineNo;
}
export function column(k: i32): i32 {
  switch (k) {
    case 0:
      return oOp;
    case 1:
      return oLine;
    case 2:
      return oOff;
    case 3:
      return oTs;
    case 4:
      return oPid;
    case 5:
      return oCpu;
    case 6:
      return oComm;
    case 7:
      return oCtx;
    case 8:
      return oFlags;
    case 9:
      return oRef;
    case 10:
      return oNum;
    case 11:
      return oArgs;
    case 12:
      return oSlow;
    case 13:
      return oComms;
    default:
      return oLocks;
  }
}

// what the caller's batch holds before this call's outputs: Slow records and argument lists refer past them
let slowBase = 0;
let argsOffset = 0;

/**
 * Reads the lines of [from, to) (memory addresses; each ends with a newline, except a last one at
 * the end of the file when `eof`) until the record columns are full. Returns where it stopped (a
 * line start; `to` when done). The outputs of the previous call are overwritten; `textBase` and
 * `argsBase` are the caller's counts of line texts and argument slots so far (records refer past them).
 */
export function tokenize(from: i32, to: i32, eof: bool, textBase: i32, argsBase: i32): i32 {
  slowBase = textBase;
  argsOffset = argsBase;
  n = 0;
  slowN = 0;
  commsN = 0;
  locksN = 0;
  argsLen = 0;
  let s = from;
  while (s < to) {
    // room for any line: a record, its arguments, a new name and lock
    if (n >= recCap || argsLen + 2 + (min(to - s, MAX_LINE_BYTES) >> 1) > argsCap) break;
    let nl = s;
    // the newline, eight bytes at a time
    while (nl + 8 <= to) {
      const w = load<u64>(<usize>nl) ^ 0x0a0a0a0a0a0a0a0a;
      const z = (w - 0x0101010101010101) & ~w & 0x8080808080808080;
      if (z != 0) {
        nl += <i32>(ctz(z) >> 3);
        break;
      }
      nl += 8;
    }
    while (nl < to && b(nl) != 10) nl++;
    const offset = offsetBase + <f64>(s - base);
    lineNo++;
    let end = nl;
    if (end > s && b(end - 1) == 13) end--;
    if (nl >= to) {
      // the file's last line, without a newline: the string path, as LineSplitter sends it there
      if (end - s > MAX_LINE_BYTES) slow(s, s + MAX_LINE_BYTES, true, offset);
      else slow(s, end, false, offset);
      s = to;
      break;
    }
    if (end - s > MAX_LINE_BYTES) slow(s, s + MAX_LINE_BYTES, true, offset);
    else if (perf ? perfLine(s, end, offset) : ftrace(s, end, offset)) handled++;
    else {
      declined++;
      slow(s, end, false, offset);
    }
    s = nl + 1;
  }
  return s;
}

function slow(s: i32, e: i32, truncated: bool, offset: f64): void {
  const k = n++;
  store<u8>(<usize>(oOp + k), OP_SLOW);
  store<u32>(<usize>(oLine + (k << 2)), lineNo);
  store<f64>(<usize>(oOff + (k << 3)), offset);
  store<u8>(<usize>(oFlags + k), truncated ? 128 : 0);
  store<i32>(<usize>(oRef + (k << 2)), slowBase + slowN);
  const t = oSlow + slowN * 12;
  store<i32>(<usize>t, s);
  store<i32>(<usize>(t + 4), e);
  store<i32>(<usize>(t + 8), truncated ? 1 : 0);
  slowN++;
}

// --- the line grammars (fastFtrace.ts)

let ctx = 0;

// what taskCpu found
let tPid: f64 = 0;
let tCpu: f64 = 0;
let tComm = 0;
let tCommEnd = 0;

/** `comm-PID [(TGID)] [CPU]`: the same search as the string scanner's scanTaskCpu; returns the index after `]`, or -1. */
function taskCpu(start: i32, end: i32): i32 {
  let from = start;
  while (true) {
    let lb = from;
    while (lb < end && b(lb) != 91) lb++;
    if (lb >= end) return -1;
    from = lb + 1;
    let j = lb + 1;
    let cpu: f64 = 0;
    while (j < end && isDigit(b(j))) cpu = cpu * 10 + <f64>(b(j++) - 48);
    if (j == lb + 1 || j >= end || b(j) != 93 || lb == start || !isSpace(b(lb - 1))) continue;
    let e = lb - 1;
    while (e >= start && isSpace(b(e))) e--;
    if (e >= start && b(e) == 41) {
      let open = e;
      while (open >= start && b(open) != 40) open--;
      if (open < start) continue;
      e = open - 1;
      while (e >= start && isSpace(b(e))) e--;
    }
    let d = e;
    let pid: f64 = 0;
    let mul: f64 = 1;
    while (d >= start && isDigit(b(d))) {
      pid += <f64>(b(d) - 48) * mul;
      mul *= 10;
      d--;
    }
    if (d == e || d < start || b(d) != 45) continue;
    let c0 = start;
    while (c0 < d && isSpace(b(c0))) c0++;
    tPid = pid;
    tCpu = cpu;
    tComm = c0;
    tCommEnd = d;
    return j + 1;
  }
  return -1;
}

function ftrace(start: i32, end: i32, offset: f64): bool {
  let k = taskCpu(start, end);
  if (k < 0) return false;
  const pid = tPid;
  const cpu = tCpu;
  const c0 = tComm;
  const d = tCommEnd;
  if (d - c0 > MAX_COMM || pid > MAX_INT32 || cpu > MAX_INT32) return false;
  // `[FLAGS] TIMESTAMP:`
  while (k < end && isSpace(b(k))) k++;
  let tokEnd = k;
  while (tokEnd < end && !isSpace(b(tokEnd))) tokEnd++;
  ctx = 0;
  if (b(tokEnd - 1) != 58) {
    if (tokEnd - k < 4 || tokEnd - k > 5 || !ascii(k, tokEnd)) return false;
    ctx = latencyFlags(k, tokEnd);
    k = tokEnd;
    while (k < end && isSpace(b(k))) k++;
    tokEnd = k;
    while (tokEnd < end && !isSpace(b(tokEnd))) tokEnd++;
    if (b(tokEnd - 1) != 58) return false;
  }
  if (tokEnd - 1 == k) return false;
  let mant: f64 = 0;
  let digits = 0;
  let frac = -1;
  for (let j = k; j < tokEnd - 1; j++) {
    const c = b(j);
    if (isDigit(c)) {
      mant = mant * 10 + <f64>(c - 48);
      digits++;
      if (frac >= 0) frac++;
    } else if (c == 46 && frac < 0) frac = 0;
    else return false;
  }
  if (digits > MAX_DIGITS || digits == 0) return false;
  const ts = timestamp(mant, frac);
  // event name and body
  k = tokEnd;
  while (k < end && isSpace(b(k))) k++;
  let e = k;
  while (e < end && isWord(b(e))) e++;
  if (e >= end || b(e) != 58 || e == k) return false;
  let nameStart = k;
  let nameEnd = e;
  let e2 = e + 1;
  while (e2 < end && isWord(b(e2))) e2++;
  if (e2 > e + 1 && e2 < end && b(e2) == 58) {
    nameStart = e + 1;
    nameEnd = e2;
    e = e2;
  }
  const what = eventOf(nameStart, nameEnd);
  if (what == EV_NONE) return false;
  let bs = e + 1;
  while (bs < end && isSpace(b(bs))) bs++;
  let be = end;
  while (be > bs && isSpace(b(be - 1))) be--;
  const comm = commOf(c0, d, pid);
  if (comm < 0) return false;
  return event(bs, be, what, comm, <i32>pid, <i32>cpu, ts, offset);
}

// what perfRest found
let pPid: f64 = 0;
let pCpu: f64 = 0;
let pTs: f64 = 0;
let pWhat = 0;
let pBody = 0;
let pBodyEnd = 0;

function perfLine(start: i32, end: i32, offset: f64): bool {
  let c0 = start;
  while (c0 < end && isSpace(b(c0))) c0++;
  let s = c0;
  while (true) {
    while (true) {
      if (s >= end || s - c0 > MAX_COMM) return false;
      const c = b(s);
      if (isSpace(c)) break;
      if ((c >= 11 && c <= 13) || c >= 0x80) return false;
      s++;
    }
    if (s > c0 && perfRest(s, end)) break;
    s++;
  }
  if (pPid > MAX_INT32 || pCpu > MAX_INT32) return false;
  const comm = commOf(c0, s, pPid);
  if (comm < 0) return false;
  ctx = 0;
  return event(pBody, pBodyEnd, pWhat, comm, <i32>pPid, <i32>pCpu, pTs, offset);
}

let intEnd = 0;
let uintOk = false;

/** `digits` at `a` (1 to MAX_DIGITS); sets uintOk and intEnd. */
function uint(a: i32, end: i32): f64 {
  let q = a;
  let v: f64 = 0;
  while (q < end && isDigit(b(q))) v = v * 10 + <f64>(b(q++) - 48);
  uintOk = q != a && q - a <= MAX_DIGITS;
  intEnd = q;
  return v;
}

/** `-?digits`; sets uintOk and intEnd. */
function int(a: i32, end: i32): f64 {
  const neg = a < end && b(a) == 45;
  const v = uint(neg ? a + 1 : a, end);
  return neg ? -v : v;
}

function perfRest(k0: i32, end: i32): bool {
  let k = k0;
  while (k < end && isSpace(b(k))) k++;
  let pid = uint(k, end);
  if (!uintOk) return false;
  k = intEnd;
  if (k < end && b(k) == 47) {
    pid = uint(k + 1, end);
    if (!uintOk) return false;
    k = intEnd;
  }
  let w = k;
  while (k < end && isSpace(b(k))) k++;
  if (k == w || k >= end || b(k) != 91) return false;
  const cpu = uint(k + 1, end);
  if (!uintOk) return false;
  k = intEnd;
  if (k >= end || b(k) != 93) return false;
  w = ++k;
  while (k < end && isSpace(b(k))) k++;
  if (k == w) return false;
  let mant: f64 = 0;
  let digits = 0;
  let frac = -1;
  while (k < end && isDigit(b(k))) {
    mant = mant * 10 + <f64>(b(k++) - 48);
    digits++;
  }
  if (digits == 0) return false;
  if (k < end && b(k) == 46) {
    k++;
    frac = 0;
    while (k < end && isDigit(b(k))) {
      mant = mant * 10 + <f64>(b(k++) - 48);
      digits++;
      frac++;
    }
    if (frac == 0) return false;
  }
  if (digits > MAX_DIGITS || k >= end || b(k) != 58) return false;
  w = ++k;
  while (k < end && isSpace(b(k))) k++;
  if (k == w) return false;
  if (k < end && isDigit(b(k))) {
    let q = k;
    while (q < end && isDigit(b(q))) q++;
    if (q < end && isSpace(b(q))) {
      k = q;
      while (k < end && isSpace(b(k))) k++;
    }
  }
  const s0 = k;
  while (k < end && isWord(b(k))) k++;
  if (k == s0 || k >= end || b(k) != 58) return false;
  const nameStart = ++k;
  while (k < end && isWord(b(k))) k++;
  if (k == nameStart || k >= end || b(k) != 58) return false;
  const what = eventOf(nameStart, k);
  if (what == EV_NONE) return false;
  k++;
  if (k < end && isSpace(b(k))) k++;
  let bs = k;
  for (let j = k; j < end; j++) if (b(j) == 13) return false;
  while (bs < end && isSpace(b(bs))) bs++;
  let be = end;
  while (be > bs && isSpace(b(be - 1))) be--;
  if (be > bs && (notBlankSpace(b(bs)) || notBlankSpace(b(be - 1)))) return false;
  pPid = pid;
  pCpu = cpu;
  pTs = timestamp(mant, frac);
  pWhat = what;
  pBody = bs;
  pBodyEnd = be;
  return true;
}

function notBlankSpace(c: i32): bool {
  return (c >= 10 && c <= 13) || c >= 0x80;
}

const POW10: StaticArray<f64> = [1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15];

function timestamp(mant: f64, frac: i32): f64 {
  return frac > 0 ? mant / unchecked(POW10[frac]) : mant;
}

/** types.ts parseLatencyFlags of the 4 or 5 ASCII bytes [a, e). */
function latencyFlags(a: i32, e: i32): i32 {
  let c = 32; // Known
  switch (b(a)) {
    case 68:
      c |= 8 | 16;
      break;
    case 100:
      c |= 8;
      break;
    case 98:
      c |= 16;
      break;
    case 46:
    case 88:
      break;
    default:
      return 0;
  }
  const nn = b(a + 1);
  if (nn != 46 && nn != 78 && nn != 110 && nn != 112) return 0;
  switch (b(a + 2)) {
    case 90:
      c |= 4 | 2;
      break;
    case 122:
      c |= 4;
      break;
    case 72:
      c |= 2 | 1;
      break;
    case 104:
      c |= 2;
      break;
    case 115:
      c |= 1;
      break;
    case 46:
      break;
    default:
      return 0;
  }
  return c;
}

function eventOf(a: i32, e: i32): i32 {
  switch (e - a) {
    case 12:
      return word(a, 'lock_acquire') ? EV_LOCK_ACQUIRE : word(a, 'lock_release') ? EV_LOCK_RELEASE : EV_NONE;
    case 14:
      return word(a, 'lock_contended') ? EV_LOCK_CONTENDED : EV_NONE;
    case 13:
      return word(a, 'lock_acquired') ? EV_LOCK_ACQUIRED : EV_NONE;
    case 9:
      return word(a, 'sys_enter') ? EV_SYS_ENTER : EV_NONE;
    case 8:
      return word(a, 'sys_exit') ? EV_SYS_EXIT : EV_NONE;
    default:
      return EV_NONE;
  }
}

function word(a: i32, s: string): bool {
  const len = s.length;
  for (let i = 0; i < len; i++) if (b(a + i) != s.charCodeAt(i)) return false;
  return true;
}

function commOf(a: i32, e: i32, pid: f64): i32 {
  const slot = <i32>((<u32>(<i64>pid)) & (COMM_CACHE - 1));
  const map = commMap as ByteMap;
  if (load<f64>(<usize>(commPid + (slot << 3))) == pid) {
    // the cached id's bytes are in the map's pool: compare with this line's
    const id = load<i32>(<usize>(commIdOf + (slot << 2)));
    const entry = id; // comm ids are the map's entry numbers (one entry per id, never capped below 1M)
    if (
      entry < map.size &&
      load<i32>(<usize>(map.lens + (entry << 2))) == e - a &&
      same(map.pool + load<i32>(<usize>(map.starts + (entry << 2))), a, e - a)
    )
      return id;
  }
  if (!ascii(a, e)) return -1;
  const h = fnv(a, e, 0x811c9dc5);
  let id = map.get(h, a, e, e, e);
  if (id < 0) {
    if (map.size >= MAX_ENTRIES) return -1; // no room to remember it: the string path
    id = commCount++;
    map.set(h, a, e, e, e, id);
    const t = oComms + commsN * 8;
    store<i32>(<usize>t, a);
    store<i32>(<usize>(t + 4), e);
    commsN++;
  }
  store<f64>(<usize>(commPid + (slot << 3)), pid);
  store<i32>(<usize>(commIdOf + (slot << 2)), id);
  return id;
}

/** The lock key bytes [a1, b1) + [a2, b2) as a dictionary id (fastFtrace.ts lock), or -1. */
function lock(a1: i32, b1: i32, a2: i32, b2: i32, sp: i32, nameStart: i32): i32 {
  const h = fnv(a2, b2, fnv(a1, b1, 0x811c9dc5));
  const map = lockMap as ByteMap;
  let id = map.get(h, a1, b1, a2, b2);
  if (id >= 0) return id;
  if (!ascii(a1, b2)) return -1;
  id = lockCount++;
  map.set(h, a1, b1, a2, b2, id);
  const t = oLocks + locksN * 24;
  store<i32>(<usize>t, a1);
  store<i32>(<usize>(t + 4), b1);
  store<i32>(<usize>(t + 8), a2);
  store<i32>(<usize>(t + 12), b2);
  store<i32>(<usize>(t + 16), sp);
  store<i32>(<usize>(t + 20), nameStart);
  locksN++;
  return id;
}

function startsWith(a: i32, end: i32, s: string): bool {
  if (end - a < s.length) return false;
  return word(a, s);
}

function event(bs: i32, be: i32, what: i32, comm: i32, pid: i32, cpu: i32, ts: f64, offset: f64): bool {
  switch (what) {
    case EV_LOCK_ACQUIRE: {
      let sp = bs;
      while (sp < be && b(sp) != 32) sp++;
      if (sp == bs || sp == be) return false;
      let q = sp + 1;
      let flags: u8 = 0;
      if (startsWith(q, be, 'try ')) {
        flags |= F_TRY;
        q += 4;
      }
      if (startsWith(q, be, 'read ')) {
        flags |= F_READ;
        q += 5;
      }
      if (q >= be) return false;
      const a2 = flags == 0 ? be : q - 1;
      const b1 = flags == 0 ? be : sp;
      const id = lock(bs, b1, a2, be, sp, q);
      if (id < 0) return false;
      record(OP_ACQUIRE, comm, pid, cpu, ts, offset, flags, id, 0);
      return true;
    }
    case EV_LOCK_RELEASE:
    case EV_LOCK_CONTENDED:
    case EV_LOCK_ACQUIRED: {
      let sp = bs;
      while (sp < be && b(sp) != 32) sp++;
      if (sp == bs || sp >= be - 1) return false;
      const id = lock(bs, be, be, be, sp, sp + 1);
      if (id < 0) return false;
      if (what == EV_LOCK_RELEASE) record(OP_RELEASE, comm, pid, cpu, ts, offset, 0, id, 0);
      else if (what == EV_LOCK_ACQUIRED) record(OP_ACQUIRED, comm, pid, cpu, ts, offset, F_STAT_ACQUIRED, id, 0);
      else record(OP_CONTENDED, comm, pid, cpu, ts, offset, 0, id, 0);
      return true;
    }
    case EV_SYS_ENTER: {
      if (!startsWith(bs, be, 'NR ')) return false;
      const nr = int(bs + 3, be);
      if (!uintOk || !int32(nr)) return false;
      let q = intEnd;
      if (q + 1 >= be || b(q) != 32 || b(q + 1) != 40) return false;
      q += 2;
      let close = -1;
      for (let j = q; j < be; j++) {
        const c = b(j);
        if (c == 41) close = j;
        else if (c == 13) return false;
      }
      if (close < 0) return false;
      let at: f64 = -1;
      const inr = <i32>nr;
      const wants = inr >= 0 && inr < 1024 && load<u8>(<usize>(fileNr + inr)) == 1;
      if (wants) {
        at = <f64>(argsOffset + argsLen);
        if (!hexArgs(q, close)) return false; // not bare hex (nor blank): the string path reads them
      }
      record(OP_SYS_ENTER, comm, pid, cpu, ts, offset, 0, inr, at);
      return true;
    }
    case EV_SYS_EXIT: {
      if (!startsWith(bs, be, 'NR ')) return false;
      const nr = int(bs + 3, be);
      if (!uintOk || !int32(nr)) return false;
      const q = intEnd;
      if (q + 2 >= be || b(q) != 32 || b(q + 1) != 61 || b(q + 2) != 32) return false;
      const ret = int(q + 3, be);
      if (!uintOk || (intEnd < be && (b(intEnd) | 0x20) == 120)) return false;
      record(OP_SYS_EXIT, comm, pid, cpu, ts, offset, 0, <i32>nr, ret);
      return true;
    }
    default:
      return false;
  }
}

/** fastFtrace.ts int32: an Int32 column holds it as it is (not -0). */
function int32(x: f64): bool {
  return x >= -2147483648 && x <= 2147483647 && reinterpret<u64>(x) != 0x8000000000000000;
}

/** fastFtrace.ts hexArgs into the args column (count, then values); false for anything else. */
function hexArgs(a: i32, e: i32): bool {
  const at = argsLen;
  // nothing but blanks: no arguments (parseArgs of a blank text)
  let blank = true;
  for (let i = a; i < e && blank; i++) {
    const c = b(i);
    blank = c == 32 || (c >= 9 && c <= 13);
  }
  if (blank) {
    store<f64>(<usize>(oArgs + (at << 3)), 0);
    argsLen = at + 1;
    return true;
  }
  let count = 0;
  let w = at + 1;
  let i = a;
  while (true) {
    while (i < e && b(i) == 32) i++;
    const d0 = i;
    let v: f64 = 0;
    for (; i < e; i++) {
      const c = b(i);
      const l = c | 0x20;
      if (c >= 48 && c <= 57) v = v * 16 + <f64>(c - 48);
      else if (l >= 97 && l <= 102) v = v * 16 + <f64>(l - 87);
      else break;
    }
    if (i == d0 || i - d0 > 12) return false;
    store<f64>(<usize>(oArgs + (w << 3)), v);
    w++;
    count++;
    while (i < e && b(i) == 32) i++;
    if (i == e) break;
    if (b(i) != 44) return false;
    i++;
  }
  store<f64>(<usize>(oArgs + (at << 3)), <f64>count);
  argsLen = w;
  return true;
}

function record(op: u8, comm: i32, pid: i32, cpu: i32, ts: f64, offset: f64, flags: u8, ref: i32, num: f64): void {
  const k = n++;
  store<u8>(<usize>(oOp + k), op);
  store<u32>(<usize>(oLine + (k << 2)), lineNo);
  store<f64>(<usize>(oOff + (k << 3)), offset);
  store<f64>(<usize>(oTs + (k << 3)), ts);
  store<i32>(<usize>(oPid + (k << 2)), pid);
  store<i32>(<usize>(oCpu + (k << 2)), cpu);
  store<i32>(<usize>(oComm + (k << 2)), comm);
  store<u8>(<usize>(oCtx + k), <u8>ctx);
  store<u8>(<usize>(oFlags + k), flags);
  store<i32>(<usize>(oRef + (k << 2)), ref);
  store<f64>(<usize>(oNum + (k << 3)), num);
}

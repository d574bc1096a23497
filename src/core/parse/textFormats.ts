// Line grammars of the text formats: ftrace's trace/trace_pipe, `trace-cmd report` and
// `perf script`, plus content-based format detection. Each line becomes a RawEvent (task, CPU,
// time, event name and body); what the event *means* is decided in interpret.ts.

import { TraceFormat, parseLatencyFlags } from '../types';
import { looksLikeKernelLog } from '../kernelLog/detect';

export interface RawEvent {
  comm: string;
  pid: number;
  cpu: number;
  ts: number;
  /** Event name without subsystem (`lock_acquire`, `sys_enter_flock`, `sys_flock`). */
  name: string;
  /** Shape of a syscalls:* line in the trace file: `sys_x(args)` is 'enter', `sys_x -> ret` is 'exit'. */
  shape: 'event' | 'enter' | 'exit';
  body: string;
  /** Ctx bits from the latency-flags column; 0 when the line has none (then nothing is known). */
  ctx: number;
}

/**
 * `TASK-PID [CPU] FLAGS TIMESTAMP: rest`, also with the TGID column `(  PID)`, without flags
 * (trace_pipe with `noirq-info`, trace-cmd report). The comm is split at the first `-PID` that is
 * followed by the CPU column, which is the last `-PID` before `[CPU]`.
 */
const FTRACE_RE = /^\s*(.*?)-(\d+)\s+(?:\(\s*(?:\d+|-+)\)\s+)?\[(\d+)\]\s+(?:(\S{4,5})\s+)?(\d+(?:\.\d+)?):\s+(.*)$/;

/** `comm PID[/TID] [CPU] TIMESTAMP: subsys:event: body` with right-aligned event names. */
const PERF_RE = /^\s*(.*?)\s+(\d+)(?:\/(\d+))?\s+\[(\d+)\]\s+(\d+(?:\.\d+)?):\s+(?:\d+\s+)?([\w-]+):([\w-]+):\s?(.*)$/;

export type LineResult = RawEvent | 'skip' | null;

/** Lines that are not events but are legitimately in traces (headers, markers). */
function isNoise(line: string): boolean {
  const t = line.trimStart();
  return (
    t === '' ||
    t.startsWith('#') ||
    /^cpus=\d+/.test(t) ||
    /^version = /.test(t) ||
    /^CPU \d+ is empty/.test(t) ||
    /^CPU:?\d+ \[LOST/.test(t) ||
    /^##### CPU \d+ buffer started/.test(t)
  );
}

const isDigit = (c: number) => c >= 48 && c <= 57;

/**
 * Small caches of recent comm and event-name strings, so the hot path compares characters in
 * place instead of allocating a new string per line. Keyed by length and first character.
 */
const commCache = new Map<number, string>();
const nameCache = new Map<number, string>();

function internSlice(line: string, a: number, b: number, cache: Map<number, string>): string {
  const key = (b - a) * 65536 + (b > a ? line.charCodeAt(a) * 256 + line.charCodeAt(b - 1) : 0);
  const hit = cache.get(key);
  if (hit !== undefined && line.startsWith(hit, a)) return hit;
  const s = line.slice(a, b);
  if (cache.size > 4096) cache.clear();
  cache.set(key, s);
  return s;
}
const isSpace = (c: number) => c === 32 || c === 9;
const isWord = (c: number) => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || isDigit(c) || c === 95 || c === 45;

/**
 * Finds the `[CPU]` column: the first `[digits]` preceded by whitespace whose left part ends in
 * `-PID` (optionally followed by a TGID column). Fills `out` (comm, pid, cpu) and returns the
 * index after `]`, or -1. A hand scanner: this runs once per line of multi-gigabyte traces.
 */
function scanTaskCpu(line: string, out: RawEvent): number {
  let from = 0;
  for (;;) {
    const lb = line.indexOf('[', from);
    if (lb < 0) return -1;
    from = lb + 1;
    let k = lb + 1;
    let cpu = 0;
    while (k < line.length && isDigit(line.charCodeAt(k))) cpu = cpu * 10 + line.charCodeAt(k++) - 48;
    if (k === lb + 1 || line.charCodeAt(k) !== 93 /* ] */ || lb === 0 || !isSpace(line.charCodeAt(lb - 1))) continue;
    // left of the CPU column: `comm-PID` then spaces, maybe `(  TGID)` then spaces
    let e = lb - 1;
    while (e >= 0 && isSpace(line.charCodeAt(e))) e--;
    if (e >= 0 && line.charCodeAt(e) === 41 /* ) */) {
      const open = line.lastIndexOf('(', e);
      if (open < 0) continue;
      e = open - 1;
      while (e >= 0 && isSpace(line.charCodeAt(e))) e--;
    }
    let d = e;
    let pid = 0;
    let mul = 1;
    while (d >= 0 && isDigit(line.charCodeAt(d))) {
      pid += (line.charCodeAt(d) - 48) * mul;
      mul *= 10;
      d--;
    }
    if (d === e || d < 0 || line.charCodeAt(d) !== 45 /* - */) continue;
    let c0 = 0;
    while (c0 < d && isSpace(line.charCodeAt(c0))) c0++;
    out.comm = internSlice(line, c0, d, commCache);
    out.pid = pid;
    out.cpu = cpu;
    return k + 1;
  }
}

/** Reads `[FLAGS] TIMESTAMP:` after the CPU column; returns the index after the `:` or -1. */
function scanTimestamp(line: string, k: number, out: RawEvent): number {
  const n = line.length;
  out.ctx = 0;
  while (k < n && isSpace(line.charCodeAt(k))) k++;
  let tokEnd = k;
  while (tokEnd < n && !isSpace(line.charCodeAt(tokEnd))) tokEnd++;
  if (line.charCodeAt(tokEnd - 1) !== 58 /* : */) {
    // a flags column (`d..1.`): 4 or 5 characters, then the timestamp
    if (tokEnd - k < 4 || tokEnd - k > 5) return -1;
    out.ctx = parseLatencyFlags(line.slice(k, tokEnd));
    k = tokEnd;
    while (k < n && isSpace(line.charCodeAt(k))) k++;
    tokEnd = k;
    while (tokEnd < n && !isSpace(line.charCodeAt(tokEnd))) tokEnd++;
    if (line.charCodeAt(tokEnd - 1) !== 58) return -1;
  }
  for (let j = k; j < tokEnd - 1; j++) {
    const c = line.charCodeAt(j);
    if (!isDigit(c) && c !== 46) return -1;
  }
  if (tokEnd - 1 === k) return -1;
  out.ts = +line.slice(k, tokEnd - 1);
  return tokEnd;
}

/** Splits `name: body`, `subsys:name: body`, `sys_x(args)` and `sys_x -> ret` after the timestamp. */
function scanEvent(line: string, k: number, out: RawEvent): void {
  const n = line.length;
  while (k < n && isSpace(line.charCodeAt(k))) k++;
  let e = k;
  while (e < n && isWord(line.charCodeAt(e))) e++;
  const c = line.charCodeAt(e);
  if (c === 58 /* : */ && e > k) {
    let nameStart = k;
    let nameEnd = e;
    // trace-cmd/perf style `subsys:event:`
    let e2 = e + 1;
    while (e2 < n && isWord(line.charCodeAt(e2))) e2++;
    if (e2 > e + 1 && line.charCodeAt(e2) === 58) {
      nameStart = e + 1;
      nameEnd = e2;
      e = e2;
    }
    out.name = internSlice(line, nameStart, nameEnd, nameCache);
    out.shape = 'event';
    let b = e + 1;
    while (b < n && isSpace(line.charCodeAt(b))) b++;
    let be = n;
    while (be > b && isSpace(line.charCodeAt(be - 1))) be--;
    out.body = line.slice(b, be);
    return;
  }
  if (line.startsWith('sys_', k) && e > k + 4) {
    if (c === 40 /* ( */) {
      let be = n;
      while (be > e && isSpace(line.charCodeAt(be - 1))) be--;
      if (line.charCodeAt(be - 1) === 41) {
        out.name = line.slice(k, e);
        out.shape = 'enter';
        out.body = line.slice(e + 1, be - 1);
        return;
      }
    } else if (line.startsWith(' -> ', e)) {
      out.name = line.slice(k, e);
      out.shape = 'exit';
      out.body = line.slice(e + 4).trim();
      return;
    }
  }
  // function tracer and other free-form lines: keep as an unnamed event.
  out.name = 'text';
  out.shape = 'event';
  out.body = line.slice(k);
}

/** The event object the text parsers fill; reused line after line (copy it to keep it). */
function blank(): RawEvent {
  return { comm: '', pid: 0, cpu: 0, ts: 0, name: '', shape: 'event', body: '', ctx: 0 };
}
const shared = blank();

/**
 * `trace-cmd report -l`: the CPU number is printed without brackets and runs straight into the
 * latency flags (`ls_seed-80      1d.h2.    18.492033: lock_acquire: …`).
 */
const TRACECMD_LATENCY_RE = /^\s*(.*?)-(\d+)\s+(\d+)([dDbX.][Nnp.][ZzHhs.][0-9a-f.][0-9a-f.]?)\s+(\d+(?:\.\d+)?):\s/;

/** Parses one ftrace / trace-cmd line. null: malformed; 'skip': not an event. The result is reused by the next call. */
export function parseFtraceLine(line: string): LineResult {
  const out = shared;
  let k = scanTaskCpu(line, out);
  if (k >= 0) k = scanTimestamp(line, k, out);
  if (k < 0) {
    const m = TRACECMD_LATENCY_RE.exec(line);
    if (!m) return isNoise(line) ? 'skip' : null;
    out.comm = m[1];
    out.pid = +m[2];
    out.cpu = +m[3];
    out.ctx = parseLatencyFlags(m[4]);
    out.ts = +m[5];
    k = m[0].length - 1;
  }
  scanEvent(line, k, out);
  return out;
}

export function parsePerfLine(line: string): LineResult {
  const m = PERF_RE.exec(line);
  if (!m) {
    const t = line.trimStart();
    // callchain lines under an event (perf script -g) are indented `addr sym (dso)`.
    if (/^[0-9a-f]+ /.test(t) && /^\s/.test(line)) return 'skip';
    return isNoise(line) ? 'skip' : null;
  }
  const pid = m[3] !== undefined ? +m[3] : +m[2];
  return { comm: m[1], pid, cpu: +m[4], ts: +m[5], name: m[7], shape: 'event', body: m[8].trim(), ctx: 0 };
}

export function lineParserFor(format: Exclude<TraceFormat, 'jsonl' | 'kernel-log'>): (line: string) => LineResult {
  return format === 'perf' ? parsePerfLine : parseFtraceLine;
}

export const FORMAT_EXPECTATION: Record<TraceFormat, string> = {
  ftrace: 'an ftrace line `TASK-PID [CPU] FLAGS TIMESTAMP: event: body`',
  'trace-cmd': 'a trace-cmd report line `TASK-PID [CPU] TIMESTAMP: event: body`',
  perf: 'a perf script line `COMM PID [CPU] TIMESTAMP: subsys:event: body`',
  jsonl: 'a locktrace JSON Lines object (see docs/jsonl-format.md)',
  'kernel-log': 'a kernel log line (dmesg, console capture, journalctl -k) with lockdep reports',
};

/**
 * Decides the format from the first lines of a file (never from its name).
 * Returns null when nothing looks like a trace.
 */
export function detectFormat(firstLines: readonly string[]): TraceFormat | null {
  let sawTracerHeader = false;
  for (const raw of firstLines) {
    const line = raw.trim();
    if (line === '') continue;
    if (line.startsWith('{')) return 'jsonl';
    if (/^cpus=\d+/.test(line) || /^version = \d+/.test(line)) return 'trace-cmd';
    if (line.startsWith('# tracer:')) sawTracerHeader = true;
    if (line.startsWith('#')) continue;
    if (FTRACE_RE.test(raw)) return sawTracerHeader ? 'ftrace' : 'ftrace';
    if (TRACECMD_LATENCY_RE.test(raw)) return 'trace-cmd';
    if (PERF_RE.test(raw)) return 'perf';
    if (/^CPU:?\d+ \[LOST/.test(line) || /^##### CPU/.test(line)) continue;
    return sawTracerHeader ? 'ftrace' : looksLikeKernelLog(firstLines) ? 'kernel-log' : null;
  }
  return sawTracerHeader ? 'ftrace' : looksLikeKernelLog(firstLines) ? 'kernel-log' : null;
}

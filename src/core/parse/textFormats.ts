// Line grammars of the text formats: ftrace's trace/trace_pipe, `trace-cmd report` and
// `perf script`, plus content-based format detection. Each line becomes a RawEvent (task, CPU,
// time, event name and body); what the event *means* is decided in interpret.ts.
// May import only src/core modules.

import { TraceFormat } from '../types';

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
}

/**
 * `TASK-PID [CPU] FLAGS TIMESTAMP: rest`, also with the TGID column `(  PID)`, without flags
 * (trace_pipe with `noirq-info`, trace-cmd report). The comm is split at the first `-PID` that is
 * followed by the CPU column, which is the last `-PID` before `[CPU]`.
 */
const FTRACE_RE = /^\s*(.*?)-(\d+)\s+(?:\(\s*(?:\d+|-+)\)\s+)?\[(\d+)\]\s+(?:(\S{4,5})\s+)?(\d+(?:\.\d+)?):\s+(.*)$/;

/** `comm PID[/TID] [CPU] TIMESTAMP: subsys:event: body` with right-aligned event names. */
const PERF_RE = /^\s*(.*?)\s+(\d+)(?:\/(\d+))?\s+\[(\d+)\]\s+(\d+(?:\.\d+)?):\s+(?:\d+\s+)?([\w-]+):([\w-]+):\s?(.*)$/;

const SYSCALL_ENTER_RE = /^(sys_\w+)\((.*)\)\s*$/;
const SYSCALL_EXIT_RE = /^(sys_\w+) -> (\S+)\s*$/;
const EVENT_RE = /^([\w-]+)(?::([\w-]+))?:\s?(.*)$/;

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

/** Parses one ftrace / trace-cmd line. null: malformed; 'skip': not an event. */
export function parseFtraceLine(line: string): LineResult {
  const m = FTRACE_RE.exec(line);
  if (!m) return isNoise(line) ? 'skip' : null;
  const rest = m[6];
  const base = { comm: m[1], pid: +m[2], cpu: +m[3], ts: +m[5] };
  let s = SYSCALL_ENTER_RE.exec(rest);
  if (s) return { ...base, name: s[1], shape: 'enter', body: s[2] };
  s = SYSCALL_EXIT_RE.exec(rest);
  if (s) return { ...base, name: s[1], shape: 'exit', body: s[2] };
  const e = EVENT_RE.exec(rest);
  if (e) {
    // trace-cmd may print `subsys:event:` too; keep the event part.
    const name = e[2] !== undefined ? e[2] : e[1];
    return { ...base, name, shape: 'event', body: e[3].trim() };
  }
  // function tracer and other free-form lines: keep as an unnamed event.
  return { ...base, name: 'text', shape: 'event', body: rest };
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
  return { comm: m[1], pid, cpu: +m[4], ts: +m[5], name: m[7], shape: 'event', body: m[8].trim() };
}

export function lineParserFor(format: Exclude<TraceFormat, 'jsonl'>): (line: string) => LineResult {
  return format === 'perf' ? parsePerfLine : parseFtraceLine;
}

export const FORMAT_EXPECTATION: Record<TraceFormat, string> = {
  ftrace: 'an ftrace line `TASK-PID [CPU] FLAGS TIMESTAMP: event: body`',
  'trace-cmd': 'a trace-cmd report line `TASK-PID [CPU] TIMESTAMP: event: body`',
  perf: 'a perf script line `COMM PID [CPU] TIMESTAMP: subsys:event: body`',
  jsonl: 'a locktrace JSON Lines object (see docs/jsonl-format.md)',
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
    if (PERF_RE.test(raw)) return 'perf';
    if (/^CPU:?\d+ \[LOST/.test(line) || /^##### CPU/.test(line)) continue;
    return sawTracerHeader ? 'ftrace' : null;
  }
  return sawTracerHeader ? 'ftrace' : null;
}

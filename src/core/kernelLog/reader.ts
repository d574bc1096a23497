// Finds the reports in a kernel log as its lines stream by: a report starts at its title, wherever
// it is, and collects the lines of its stream (same log prefix and printk caller) until its stack
// backtrace ends, its held-lock list is complete, another report starts, or too many lines in a
// row are not report text (fuzzer output or other messages). Only report lines are kept, and each
// report and stack is bounded, so memory stays bounded on any log.

import { FindingKind } from '../types';
import { isRegisterLine, parseFrame, parseLockLine, parseMarker } from './lines';
import { stripPrefix } from './prefix';
import { reportTitle } from './titles';

export interface RawLine {
  /** Message text without the log prefix. */
  text: string;
  /** 1-based line and byte offset in the log. */
  line: number;
  offset: number;
}

export interface RawReport {
  kind: FindingKind;
  title: string;
  line: number;
  offset: number;
  ts: number;
  stream: string;
  /** The lines after the title that belong to the report. */
  lines: RawLine[];
  /** True when the report was cut (too long, or the log ended inside it). */
  cut: boolean;
}

/** Lines kept per report; longer reports are cut (a hung-task report lists every task's locks). */
export const MAX_REPORT_LINES = 6000;
/** Reports kept in full; more are only counted. */
export const MAX_REPORTS = 2000;
/** Unknown lines in a row that end a report that has not reached its backtrace. */
const MAX_UNKNOWN_RUN = 24;

/** Lockdep's phrases and the other fixed lines of reports (for telling report text from other output). */
const KNOWN = new RegExp(
  [
    '^\\d+\\.\\d+\\S*(?: #\\d+)?(?: |$)',
    'Not tainted|Tainted: ',
    ' is trying to (?:acquire|release|lock)',
    '^but task is already holding lock:',
    'which lock already depends on the new lock',
    'the existing dependency chain',
    '^other info that might help us debug this',
    'Possible (?:interrupt )?unsafe locking scenario',
    '^Chain exists of:',
    ' --> ',
    '^CPU\\d',
    '^-{4}',
    '^r?lock\\(',
    '^<Interrupt>',
    '^local_irq_disable\\(\\);',
    '\\*\\*\\* DEADLOCK \\*\\*\\*',
    'missing lock nesting notation',
    '^\\d+ locks? held by ',
    '^no locks held by ',
    '^stack backtrace:',
    '^CPU: \\d+',
    '^Pid: \\d+, comm:',
    '^Hardware name:',
    '^(?:Call Trace|Call trace|Backtrace|Stack):?$',
    '^Workqueue: ',
    'is leaving the kernel with locks still held',
    'but there are no more locks to release',
    'is freeing memory',
    '^inconsistent \\{',
    '\\] takes:$',
    'state was registered at:',
    '^irq event stamp:',
    '^(?:hard|soft)irqs last ',
    'just changed the state of lock:',
    '^but this lock (?:took|was taken by) another',
    'interrupts could create inverse lock ordering',
    'the shortest dependencies between',
    '^\\.\\.\\. ',
    ' at:$',
    '^\\}$',
    '^\\.\\.\\.$',
    'and this task is already holding:',
    'which would create a new lock dependency',
    'but this new dependency connects',
    '^to a \\S+ lock:',
    'the dependencies between',
    'but this task is not holding',
    'suspicious rcu_dereference|suspicious RCU',
    'rcu_scheduler_active',
    'RCU used illegally',
    'turning off the locking correctness validator',
    'needs lockdep annotation',
    "didn't initialize this object",
    '^lock: ',
    '\\.magic:',
    '^Modules linked in:',
    '^Showing all locks held',
    'lockdep is turned off',
    'hung_task_timeout_secs',
    '^task:\\S+ +state:',
    '^Preemption disabled at:',
    '^in_atomic\\(\\)',
    '^preempt_count:',
    '^RCU nest depth',
    '^context-\\{',
    '^\\{\\d+:\\d+\\}',
    '^-> ',
    '^------------\\[ cut here \\]',
    '^DEBUG_LOCKS_WARN_ON',
    '^WARNING: CPU: ',
    '^\\[ BUG: ',
  ].join('|'),
);

type Shape = 'blank' | 'rule' | 'frame' | 'marker' | 'register' | 'lock' | 'known' | 'unknown';

function shapeOf(text: string, trimmed: string, line: number): Shape {
  if (trimmed === '') return 'blank';
  if (/^[=-]{4,}$/.test(trimmed)) return 'rule';
  if (parseMarker(text)) return 'marker';
  if (isRegisterLine(text)) return 'register';
  if (KNOWN.test(trimmed)) return 'known';
  if (trimmed.includes('(') && parseLockLine(text, line)) return 'lock';
  if (parseFrame(text, line)) return 'frame';
  return 'unknown';
}

const TRACE_HEADER = /^(?:Call Trace|Call trace|Backtrace):?$/;
const HELD_HEADER = /^(\d+) locks? held by .+:$/;
const TAIL = /^(?:Showing all locks held in the system:|\d+ locks? held by .+:|no locks held by .+\.|INFO: lockdep is turned off\.)$/;

class Collector {
  readonly lines: RawLine[] = [];
  private phase: 'body' | 'trace' | 'after' | 'tail' = 'body';
  private sawBacktrace = false;
  private unknownRun = 0;
  /** Lines up to this count are known to be report text (the unknown run after them is dropped). */
  private known = 0;
  /** held-across-syscall: the held list's count and the entries seen (the report ends with the list). */
  private heldCount = -1;
  private heldSeen = new Set<number>();
  cut = false;

  constructor(
    readonly kind: FindingKind,
    readonly title: string,
    readonly line: number,
    readonly offset: number,
    readonly ts: number,
    readonly stream: string,
  ) {}

  /** Whether a title line continues this report (a WARN in locking code right after DEBUG_LOCKS_WARN_ON). */
  absorbs(title: string): boolean {
    return this.title.startsWith('DEBUG_LOCKS_WARN_ON') && this.lines.length <= 2 && /^WARNING: CPU: /.test(title);
  }

  private push(l: RawLine): void {
    this.lines.push(l);
    this.known = this.lines.length;
  }

  /** Takes a line of the stream: 'keep' (part of the report), 'end' (not part: the report is over), 'last' (part, and over). */
  feed(l: RawLine, trimmed: string): 'keep' | 'end' | 'last' {
    if (this.lines.length >= MAX_REPORT_LINES) {
      this.cut = true;
      return 'end';
    }
    const shape = shapeOf(l.text, trimmed, l.line);
    if (/^---\[ end trace/.test(trimmed)) {
      this.push(l);
      return 'last';
    }
    switch (this.phase) {
      case 'body':
        return this.body(l, trimmed, shape);
      case 'trace':
        return this.trace(l, trimmed, shape);
      case 'after':
        return this.after(l, trimmed, shape);
      case 'tail':
        return this.tail(l, trimmed, shape);
    }
  }

  private body(l: RawLine, trimmed: string, shape: Shape): 'keep' | 'end' | 'last' {
    if (this.heldCount >= 0 && this.heldSeen.size >= this.heldCount) {
      const entry = shape === 'lock' ? parseLockLine(l.text, l.line) : null;
      if (!entry || entry.index === null || !this.heldSeen.has(entry.index)) return 'end';
    }
    if (this.kind === 'held-across-syscall') {
      const h = HELD_HEADER.exec(trimmed);
      if (h) this.heldCount = Number(h[1]);
      else if (/^no locks held by /.test(trimmed)) {
        this.push(l);
        return 'last';
      } else if (shape === 'lock') {
        const entry = parseLockLine(l.text, l.line);
        if (entry?.index != null) this.heldSeen.add(entry.index);
      }
    }
    if (trimmed === 'stack backtrace:') this.sawBacktrace = true;
    if (TRACE_HEADER.test(trimmed) || (this.sawBacktrace && (shape === 'frame' || shape === 'marker'))) this.phase = 'trace';
    if (shape === 'unknown') {
      if (++this.unknownRun > MAX_UNKNOWN_RUN) {
        this.lines.length = this.known;
        return 'end';
      }
      this.lines.push(l);
      return 'keep';
    }
    this.unknownRun = 0;
    this.push(l);
    return 'keep';
  }

  private trace(l: RawLine, trimmed: string, shape: Shape): 'keep' | 'end' | 'last' {
    if (
      shape === 'frame' ||
      shape === 'marker' ||
      shape === 'register' ||
      TRACE_HEADER.test(trimmed) ||
      /^(?:CPU: |Hardware name:|Workqueue: |Modules linked in:|Pid: )/.test(trimmed)
    ) {
      this.push(l);
      if (shape === 'marker' && parseMarker(l.text)?.marker === '/TASK') this.phase = 'after';
      return 'keep';
    }
    this.phase = 'after';
    if (shape === 'blank') return 'keep';
    return this.after(l, trimmed, shape);
  }

  private after(l: RawLine, trimmed: string, shape: Shape): 'keep' | 'end' | 'last' {
    if (shape === 'blank') return 'keep';
    if (TAIL.test(trimmed)) {
      this.phase = 'tail';
      this.push(l);
      return 'keep';
    }
    // an interrupted task's frames after `</IRQ>` without a `<TASK>` marker (older kernels)
    if (shape === 'frame' || shape === 'marker') {
      this.phase = 'trace';
      this.push(l);
      return 'keep';
    }
    return 'end';
  }

  private tail(l: RawLine, trimmed: string, shape: Shape): 'keep' | 'end' | 'last' {
    if (shape === 'blank') return 'keep';
    if (shape === 'rule') {
      this.push(l);
      return 'last';
    }
    if (TAIL.test(trimmed) || shape === 'lock') {
      this.push(l);
      return 'keep';
    }
    return 'end';
  }

  done(): RawReport {
    // the rule printed above the next report's title is not part of this one
    let n = this.lines.length;
    while (n > 0 && /^\s*(?:[=-]{4,})?\s*$/.test(this.lines[n - 1].text)) n--;
    this.lines.length = n;
    return {
      kind: this.kind,
      title: this.title,
      line: this.line,
      offset: this.offset,
      ts: this.ts,
      stream: this.stream,
      lines: this.lines,
      cut: this.cut,
    };
  }
}

/** Feeds log lines in order; `finish()` returns the reports by title line. */
export class KernelLogReader {
  private readonly open = new Map<string, Collector>();
  private readonly done: RawReport[] = [];
  /** Reports beyond MAX_REPORTS (counted only). */
  dropped = 0;
  /** Lines with a kernel-log prefix. */
  prefixedLines = 0;
  /** Lines too long to read (cut by the line splitter); skipped. */
  readonly longLines: number[] = [];

  line(raw: string, lineNo: number, offset: number, truncated: boolean): void {
    if (truncated) {
      if (this.longLines.length < 100) this.longLines.push(lineNo);
      return;
    }
    const k = stripPrefix(raw);
    if (k.prefixed) this.prefixedLines++;
    const trimmed = k.text.trim();
    const title = reportTitle(trimmed);
    const current = this.open.get(k.stream);
    const l: RawLine = { text: k.text, line: lineNo, offset };
    if (title) {
      if (current?.absorbs(title.title)) {
        current.lines.push(l);
        return;
      }
      if (current) this.close(k.stream, current);
      if (this.done.length + this.open.size >= MAX_REPORTS) {
        this.dropped++;
        return;
      }
      this.open.set(k.stream, new Collector(title.kind, title.title, lineNo, offset, k.ts, k.stream));
      return;
    }
    if (!current) return;
    const r = current.feed(l, trimmed);
    if (r !== 'keep') this.close(k.stream, current);
  }

  private close(stream: string, c: Collector): void {
    this.open.delete(stream);
    this.done.push(c.done());
  }

  /** Ends the log: reports still open are closed (a log cut inside a report keeps what it has). */
  finish(): RawReport[] {
    for (const [stream, c] of [...this.open]) this.close(stream, c);
    return this.done.sort((a, b) => a.line - b.line);
  }

  /** Reports found so far (closed or open): for format detection. */
  get reportCount(): number {
    return this.done.length + this.open.size + this.dropped;
  }
}

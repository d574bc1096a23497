// Line-level readers for lockdep reports: stack frames in every shape kernels and symbolizers
// print them, interrupt-section markers and register dumps (skipped), and lock references with
// their class name (`#N` name version, `/N` subclass), usage bits and wait types.

import { StackFrame } from '../types';
import { KernelLockRef } from './model';

const SYM = /^(?:[A-Za-z_.$][\w.$]*|0x[0-9a-fA-F]+)/;
const OFFSET = /^\+(0x[0-9a-fA-F]+)\/(0x[0-9a-fA-F]+)/;
const ADDR = /^\[<([0-9a-fA-F]+)>\]\s*/;
/**
 * Tokens after a frame's symbol: `[inline]`, `[module]` / `[module buildid]`, `(file:line …)` (which
 * may hold `(discriminator N)`), `file:line`, arm64's `(C)`.
 */
const TOKEN = /\s+(?:\[inline\]|\[([\w-]+)(?: [0-9a-fA-F]+)?\]|\(((?:[^()]|\([^()]*\))*)\)|([\w./+-]+\.\w+:\d+(?::\d+)?))/y;
const FILE_LINE = /^([\w./+-]+\.\w+):(\d+)/;

/**
 * One stack frame, or null when the text is not one. Accepts `func+0x1a/0x2b`, `[<addr>] func+…`,
 * `? func+…` (unreliable), `func+0x1a/0x2b [mod]`, `func+0x1a/0x2b file.c:12`, `func file.c:12 [inline]`,
 * decode_stacktrace.sh's `func (file.c:12 other.c:3)`, and a bare `[<addr>] 0xffffffffc0001234`.
 */
export function parseFrame(text: string, line: number): StackFrame | null {
  let s = text.trim();
  let unreliable = false;
  let address: string | undefined;
  if (s.startsWith('? ')) {
    unreliable = true;
    s = s.slice(2).trimStart();
  }
  let m = ADDR.exec(s);
  if (m) {
    address = m[1];
    s = s.slice(m[0].length);
    if (s.startsWith('? ')) {
      unreliable = true;
      s = s.slice(2).trimStart();
    }
  }
  m = SYM.exec(s);
  if (!m) return null;
  const fn = m[0];
  let rest = s.slice(fn.length);
  const frame: StackFrame = { fn, line };
  m = OFFSET.exec(rest);
  if (m) {
    frame.offset = m[1];
    frame.size = m[2];
    rest = rest.slice(m[0].length);
  }
  let evidence = address !== undefined || frame.offset !== undefined || fn.startsWith('0x');
  TOKEN.lastIndex = 0;
  while (TOKEN.lastIndex < rest.length) {
    const at = TOKEN.lastIndex;
    const t = TOKEN.exec(rest);
    if (!t) {
      if (rest.slice(at).trim() === '') break;
      return null;
    }
    if (t[0].trim() === '[inline]') {
      frame.inline = true;
      evidence = true;
    } else if (t[1] !== undefined) {
      frame.module = t[1];
    } else if (t[2] !== undefined) {
      const inside = t[2].trim();
      if (/^[A-Z]$/.test(inside)) continue; // arm64's (C)/(T)/(P) unwinder annotations
      const loc = FILE_LINE.exec(inside);
      if (!loc) return null;
      frame.source ??= { file: loc[1], line: Number(loc[2]) };
      evidence = true;
    } else if (t[3] !== undefined) {
      const loc = FILE_LINE.exec(t[3]);
      if (loc) frame.source ??= { file: loc[1], line: Number(loc[2]) };
      evidence = true;
    }
  }
  if (!evidence) return null;
  if (unreliable) frame.unreliable = true;
  if (address !== undefined) frame.address = address;
  return frame;
}

/** `<IRQ>`, `</IRQ>`, `<TASK>`, `<NMI>`, `<SOFTIRQ>`, `<EOI>`, `<#DF>` …: the section and what follows it on the line. */
export function parseMarker(text: string): { marker: string; rest: string } | null {
  const m = /^\s*<(\/?[#A-Z][A-Z0-9]*)>\s*(.*)$/.exec(text);
  return m ? { marker: m[1], rest: m[2] } : null;
}

const REGISTER =
  /^\s*(?:RIP|RSP|RAX|RBX|RCX|RDX|RBP|RSI|RDI|R\d{1,2}|FS|GS|CS|DS|ES|CR[0-4]|DR[0-7]|EFLAGS|ORIG_RAX|EIP|EAX|EBX|ECX|EDX|ESI|EDI|EBP|ESP|Code|PKRU|pc|lr|sp|pstate|x\d{1,2}|ra|gp|tp|t\d|s\d{1,2}|a\d|epc|status|badaddr|cause|NIP|LR|CTR|XER|MSR|CR|TRAP|GPR\d\d|IRQMASK|DAR|DSISR|Krnl PSW|Krnl GPRS|Krnl Code)\s*:/;

/** Register dumps and the code bytes of an oops inside a trace: skipped. */
export function isRegisterLine(text: string): boolean {
  return REGISTER.test(text);
}

/** `&pipe->mutex#3/1` → the lockdep_map name, its name version and subclass. */
export function splitClassName(name: string): { base: string; version: number; subclass: number } {
  const m = /^(.*?)(?:#(\d+))?(?:\/(\d+))?$/.exec(name);
  if (!m || m[1] === '') return { base: name, version: 1, subclass: 0 };
  return { base: m[1], version: m[2] ? Number(m[2]) : 1, subclass: m[3] ? Number(m[3]) : 0 };
}

/** The index just after the `)` closing the `(` at `open`, or -1. */
function closeParen(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 40) depth++;
    else if (c === 41 && --depth === 0) return i + 1;
  }
  return -1;
}

/** A class with its usage and wait suffixes at `open` (a `(`): ` (name){+.+.}-{3:3}`. */
export function scanClass(
  s: string,
  open: number,
): { name: string; usage?: string; wait?: { outer: number; inner: number }; end: number } | null {
  if (s.charCodeAt(open) !== 40) return null;
  let close = closeParen(s, open);
  if (close < 0 || s.charCodeAt(close) !== 123 /* { */) {
    // a name with unbalanced parentheses: trust the `){` that starts the usage bits, when there is one
    const u = s.indexOf('){', open);
    if (u > open) close = u + 1;
    else if (close < 0) return null;
  }
  const name = s.slice(open + 1, close - 1);
  if (name === '' || name.length > 512) return null;
  let end = close;
  let usage: string | undefined;
  let wait: { outer: number; inner: number } | undefined;
  const u = /^\{([^{}]{0,16})\}/.exec(s.slice(end, end + 20));
  if (u) {
    usage = u[1];
    end += u[0].length;
    const w = /^-\{(\d+):(\d+)\}/.exec(s.slice(end, end + 16));
    if (w) {
      wait = { outer: Number(w[1]), inner: Number(w[2]) };
      end += w[0].length;
    }
  }
  return { name, usage, wait, end };
}

const LOCK_HEAD = /^\s*(?:#(\d+):\s*)?(?:([0-9a-fA-F]{8,16}|\(____ptrval____\))\s*)?(?=\()/;

/**
 * A lock line: `ffff… (&dev->a_lock){+.+.}-{3:3}, at: lockseed_ioctl+0x40/0xda`, a held entry
 * ` #0: ffff… (…){…}, at: …`, old kernels' ` (&mm->mmap_sem){++++}, at: [<ffffffff8106c1b0>] func+…`,
 * or a bare ` (&dev->b_spin){+.+.}-{2:2}`. Returns the lock, its held-list index, and where the line ends.
 */
export function parseLockLine(text: string, line: number): { lock: KernelLockRef; index: number | null; rest: string } | null {
  const h = LOCK_HEAD.exec(text);
  if (!h) return null;
  const c = scanClass(text, h[0].length);
  if (!c) return null;
  // a bare class needs its usage bits or an address to be told from prose in parentheses
  if (c.usage === undefined && h[2] === undefined && h[1] === undefined) return null;
  const parts = splitClassName(c.name);
  const lock: KernelLockRef = { name: c.name, ...parts, line };
  if (c.usage !== undefined) lock.usage = c.usage;
  if (c.wait) lock.wait = c.wait;
  if (h[2] !== undefined) lock.address = h[2];
  let rest = text.slice(c.end);
  const at = /^(?: ops: \d+)?, at: (.*)$/.exec(rest);
  if (at) {
    const f = parseFrame(at[1], line);
    if (f) lock.at = [f];
    rest = '';
  }
  return { lock, index: h[1] !== undefined ? Number(h[1]) : null, rest };
}

/** `comm/pid` at the start of a phrase (`swapper/0/0 [HC0…` is comm `swapper/0`, pid 0). */
export function parseTask(s: string): { comm: string; pid: number } | null {
  const m = /^(.*)\/(-?\d+)$/.exec(s);
  return m && m[1] !== '' ? { comm: m[1], pid: Number(m[2]) } : null;
}

const USAGE_STATES = ['HARDIRQ', 'SOFTIRQ', 'RECLAIM_FS'];

/**
 * The usage states behind usage bits, lockdep's get_usage_char(): per state, a writer then a reader
 * character; `+` irq-enabled (`…-ON-W`), `-` used in irq (`IN-…-W`), `?` both, `.` neither.
 */
export function usageStates(usage: string): string[] {
  const out: string[] = [];
  for (let k = 0; k < usage.length && k / 2 < USAGE_STATES.length; k++) {
    const state = USAGE_STATES[k >> 1];
    const rw = k & 1 ? 'R' : 'W';
    const c = usage[k];
    if (c === '-' || c === '?') out.push(`IN-${state}-${rw}`);
    if (c === '+' || c === '?') out.push(`${state}-ON-${rw}`);
  }
  return out;
}

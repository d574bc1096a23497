// What is under the cursor in a trace line: a lock (by class name or address) or a syscall.
// Resolution goes from the events the parser made of that line to the text, not from guessing
// with regular expressions: the lock of a `lock_acquire` line is found where its class name or its
// address is printed. Elsewhere (comments, JSONL, lines without events) a known class name or a
// known address under the cursor still resolves. Columns are 0-based UTF-16 offsets, lines 1-based.

import { EventKind, normalizeAddress } from '../core';
import { SyscallSpan, TraceIndex } from './traceIndex';

export type TraceToken =
  | {
      kind: 'lock';
      className: string;
      /** The lock instance when known (the line's event, or the address under the cursor). */
      lockId: number | undefined;
      start: number;
      end: number;
    }
  | {
      kind: 'syscall';
      span: SyscallSpan;
      /** Locks the same line takes or releases (flock/fcntl lines make lock events). */
      lockIds: number[];
      start: number;
      end: number;
    };

const HEX_WORD = /(?:0x)?[0-9a-fA-F]{6,}/g;

/** Characters of a "word" for the fallback lookup: lock class names contain &, ->, ., #, :, /, brackets. */
function isWordChar(c: string): boolean {
  return !/[\s"',=(){}]/.test(c);
}

/** The run of word characters around `character` in `text`. */
export function wordAt(text: string, character: number): { word: string; start: number; end: number } | undefined {
  if (character < 0 || character > text.length) return undefined;
  let start = character;
  let end = character;
  while (start > 0 && isWordChar(text[start - 1])) start--;
  while (end < text.length && isWordChar(text[end])) end++;
  if (start === end) return undefined;
  // trailing punctuation of prose/JSON (`sb_writers,` `name:`) is not part of a name
  while (end > start && /[,;:.\]]/.test(text[end - 1]) && end - 1 > character) end--;
  return { word: text.slice(start, end), start, end };
}

/** Every occurrence of `needle` in `text` as [start, end) ranges. */
function occurrences(text: string, needle: string): [number, number][] {
  const out: [number, number][] = [];
  if (!needle) return out;
  for (let k = text.indexOf(needle); k >= 0; k = text.indexOf(needle, k + 1)) out.push([k, k + needle.length]);
  return out;
}

/** Where the event part of a text trace line starts (after `TIMESTAMP: `), or 0. */
function eventStart(text: string): number {
  const m = /\d+\.\d+:\s+/.exec(text);
  return m ? m.index + m[0].length : 0;
}

/**
 * Resolves the token at (line, character) of a trace document.
 * `text` is that line's text.
 */
export function tokenAt(index: TraceIndex, line: number, text: string, character: number): TraceToken | undefined {
  const s = index.store;
  const events = index.eventsOnLine(line);
  const inside = (a: number, b: number) => character >= a && character <= b;

  // 1. the locks of this line's events, where their class or address is printed
  for (const i of events) {
    const kind = s.kind[i] as EventKind;
    if (kind < EventKind.Acquire || kind > EventKind.ContentionEnd) continue;
    const lockId = s.ref[i];
    const cls = s.className(lockId);
    const key = s.locks[lockId].key;
    // the class is printed last on ftrace-style lines: prefer the last occurrence
    const hits = occurrences(text, cls).reverse();
    for (const [a, b] of hits) if (inside(a, b)) return { kind: 'lock', className: cls, lockId, start: a, end: b };
    for (const [a, b] of occurrences(text, key)) if (inside(a, b)) return { kind: 'lock', className: cls, lockId, start: a, end: b };
    for (const m of text.matchAll(HEX_WORD)) {
      const a = m.index ?? 0;
      const b = a + m[0].length;
      if (inside(a, b) && sameAddress(m[0], key)) return { kind: 'lock', className: cls, lockId, start: a, end: b };
    }
  }

  // 2. a syscall line: anything in the event part (`sys_enter: NR 209 (…)`, `sys_flock(fd: 3…)`)
  const sysEvent = events.find((i) => s.kind[i] === EventKind.SysEnter || s.kind[i] === EventKind.SysExit);
  if (sysEvent !== undefined) {
    const from = eventStart(text);
    const span = index.spanOf(sysEvent);
    if (span && character >= from && character <= text.length) {
      const w = wordAt(text, character) ?? { start: character, end: character };
      const lockIds = events.filter((i) => s.kind[i] >= EventKind.Acquire && s.kind[i] <= EventKind.ContentionEnd).map((i) => s.ref[i]);
      return { kind: 'syscall', span, lockIds: [...new Set(lockIds)], start: w.start, end: w.end };
    }
  }

  // 3. fallback: a known class name or address under the cursor, anywhere
  const w = wordAt(text, character);
  if (!w) return undefined;
  if (s.classes.lookup(w.word) !== undefined) return { kind: 'lock', className: w.word, lockId: undefined, start: w.start, end: w.end };
  if (/^(?:0x)?[0-9a-fA-F]{6,}$/.test(w.word) || /^file@/.test(w.word)) {
    const id = s.lockByKeyLookup(w.word) ?? s.lockByKeyLookup(normalizeAddress(w.word));
    if (id !== undefined) return { kind: 'lock', className: s.className(id), lockId: id, start: w.start, end: w.end };
  }
  // class names with spaces (`flock file@0x…`): look for a known class containing the cursor
  if (s.classes.size <= 5000) {
    for (const cls of s.classes.values) {
      if (!cls.includes(' ')) continue;
      for (const [a, b] of occurrences(text, cls))
        if (inside(a, b)) return { kind: 'lock', className: cls, lockId: undefined, start: a, end: b };
    }
  }
  return undefined;
}

function sameAddress(printed: string, key: string): boolean {
  if (!/^(?:0x)?[0-9a-fA-F]+$/.test(key.replace(/^0x/i, ''))) return false;
  return normalizeAddress(printed) === normalizeAddress(key);
}

// Shared pieces of the fuzz tests over mutated inputs (fuzz.test.ts: traces; kernelLogFuzz.test.ts:
// kernel logs): edits to a list of lines, and reading the result in chunks, which may only give a
// store or a TraceError.

import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { EventStore, TraceError } from '../../../src/core';
import { TraceParser } from '../../../src/core/parse';
import type { FormatOption } from '../../../src/core';
import { replaceChar } from '../helpers';

/** One edit to a list of lines; `at`, `to` and `pos` are taken modulo the list's or the line's length. */
export type LineMutation =
  | { op: 'delete'; at: number; n: number }
  | { op: 'duplicate'; at: number; n: number }
  | { op: 'swap'; at: number; to: number }
  | { op: 'insert'; at: number; text: string }
  | { op: 'truncate'; at: number; len: number }
  | { op: 'replaceChar'; at: number; pos: number; ch: string };

/**
 * The arbitraries of each kind of edit, in this order: delete and duplicate (runs of up to
 * `maxDelete`/`maxDuplicate` lines), swap, insert, truncate, replaceChar (one of `chars`). A test
 * picks among them, and among edits of its own, with fc.oneof.
 */
export function lineMutations(o: { chars: string[]; maxDelete: number; maxDuplicate: number }) {
  const run = (max: number) => (max === 1 ? fc.constant(1) : fc.integer({ min: 1, max }));
  return [
    fc.record({ op: fc.constant('delete' as const), at: fc.nat(), n: run(o.maxDelete) }),
    fc.record({ op: fc.constant('duplicate' as const), at: fc.nat(), n: run(o.maxDuplicate) }),
    fc.record({ op: fc.constant('swap' as const), at: fc.nat(), to: fc.nat() }),
    fc.record({ op: fc.constant('insert' as const), at: fc.nat(), text: fc.string({ maxLength: 120 }) }),
    fc.record({ op: fc.constant('truncate' as const), at: fc.nat(), len: fc.nat({ max: 120 }) }),
    fc.record({ op: fc.constant('replaceChar' as const), at: fc.nat(), pos: fc.nat(), ch: fc.constantFrom(...o.chars) }),
  ] as const;
}

/** `lines` with one edit applied (a new list). */
export function applyLineMutation(lines: string[], m: LineMutation): string[] {
  if (lines.length === 0) return lines;
  const at = m.at % lines.length;
  const out = lines.slice();
  switch (m.op) {
    case 'delete':
      out.splice(at, m.n);
      break;
    case 'duplicate':
      out.splice(at, 0, ...out.slice(at, at + m.n));
      break;
    case 'swap': {
      const to = m.to % lines.length;
      [out[at], out[to]] = [out[to], out[at]];
      break;
    }
    case 'insert':
      out.splice(at, 0, m.text);
      break;
    case 'truncate':
      out[at] = out[at].slice(0, m.len);
      break;
    case 'replaceChar':
      out[at] = replaceChar(out[at], m.pos, m.ch);
      break;
  }
  return out;
}

/**
 * `text` read in chunks of `chunk` bytes by a parser named `fuzz`: the store, or undefined when it
 * threw a TraceError naming that file (any other exception fails the test).
 */
export function parseOrTraceError(text: string, chunk: number, format?: FormatOption): EventStore | undefined {
  const p = new TraceParser({ file: 'fuzz', format });
  const bytes = new TextEncoder().encode(text);
  try {
    for (let k = 0; k < bytes.length; k += chunk) p.push(bytes.subarray(k, k + chunk));
    return p.end();
  } catch (e) {
    assert.ok(e instanceof TraceError, `non-TraceError thrown: ${(e as Error).stack}`);
    assert.match((e as Error).message, /^fuzz(:\d+)?: /);
    return undefined;
  }
}

// Shared pieces of the differential parse tests (fastPath, ranges and wasmTokenizer .test.ts), which
// check that two readers of the same text make the same store or records: the text fixtures, the
// outcome of a parse as plain data, generated lines around the grammar's corners, and character
// edits of real traces.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import fc from 'fast-check';
import { EventStore, TraceError } from '../../../src/core';
import { parseTrace } from '../../../src/core/parse';
import type { RangeFormat } from '../../../src/core/parse/ranges';
import { repoRoot, replaceChar, storeSnapshot } from '../helpers';

/** What a parse gave: its store as plain data, or the TraceError's message (anything else fails the test). */
export type Outcome = { store: unknown } | { error: string };

export function outcome(f: () => EventStore): Outcome {
  try {
    return { store: storeSnapshot(f()) };
  } catch (e) {
    assert.ok(e instanceof TraceError, `non-TraceError thrown: ${(e as Error).stack}`);
    return { error: (e as Error).message };
  }
}

/** The text traces of the samples and fixtures (the first four are the seeds of the mutation tests). */
export const textFixtures = [
  'samples/syscall-order-inversion.trace',
  'samples/flock-deadlock.real.trace',
  'test/fixtures/core/syscall-order-inversion.trace-cmd.txt',
  'test/fixtures/core/syscall-order-inversion.perf.txt',
  ...fs.readdirSync(path.join(repoRoot, 'test/fixtures/rules')).map((f) => `test/fixtures/rules/${f}`),
];

/** The format the sequential parse detects, if it is one the ranged readers take. */
export function formatOf(bytes: Uint8Array): RangeFormat | undefined {
  try {
    const f = parseTrace(bytes, { file: 'f' }).format;
    return f === 'ftrace' || f === 'trace-cmd' || f === 'perf' ? f : undefined;
  } catch {
    return undefined;
  }
}

// --- lines around the grammar's corners --------------------------------------------------------

const comm = fc.constantFrom('worker', 'kworker/u8:2', 'my-prog-1', 'a b', '<...>', 'été', 'x[1]', '', 'aio-writer', 'a(b)');
const pid = fc.constantFrom('1', '2102', '0', '4194304', '2147483647', '2147483648', '99999999999999999999');
const cpu = fc.constantFrom('[000]', '[7]', '[]', '[x]', '[001] ', '[2147483648]');
const flags = fc.constantFrom(
  ' .....',
  ' d..1.',
  ' ....',
  ' ...',
  ' d.é.',
  ' dé.',
  ' é..',
  '',
  ' ......',
  ' DNZ1.',
  ' bph2.',
  ' Xs..',
  ' q....',
);
const ts = fc.constantFrom(
  '5000.000003',
  '1.5',
  '.5',
  '5.',
  '7',
  '1.2.3',
  '.',
  '123456789012.123456',
  '0.1',
  '00.100',
  '9007199254740993.1',
);
const tgid = fc.constantFrom('', ' (  2102)', ' (-------)', ' (12');
const addr = fc.constantFrom('0000000010002f40', 'ffff888012345678', '0x1', 'ffff88801234567é');
const cls = fc.constantFrom('&obj1->lock', 'subsys_mutex', 'sb_writers', '&inode->i_rwsem', 'x y', 'é', 'a\rb');
const num = fc.constantFrom(
  '0',
  '1',
  '-1',
  '-0',
  '202',
  '257',
  '3',
  '0x1f',
  '0X2',
  '9999999999999999',
  '2147483648',
  '-2147483648',
  'abc',
  '',
  '-',
  '3 ',
);
const body = fc.oneof(
  fc.tuple(addr, fc.constantFrom('', 'try ', 'read ', 'try read ', 'read try '), cls).map(([a, f, c]) => ['lock_acquire', `${a} ${f}${c}`]),
  fc.tuple(fc.constantFrom('lock_release', 'lock_contended', 'lock_acquired'), addr, cls).map(([n, a, c]) => [n, `${a} ${c}`]),
  fc
    .tuple(num, fc.constantFrom('3, 7ffd, 1000, 0, 0, 0', '3, 2', '', '3, 2) x (1', 'a\rb', 'fd: 3, cmd: 2', '1234567890123, 1', ' 3 ,4 '))
    .map(([n, a]) => ['sys_enter', `NR ${n} (${a})`]),
  fc.tuple(num, num).map(([n, r]) => ['sys_exit', `NR ${n} = ${r}`]),
  fc.constantFrom(
    ['lock_acquire', ''],
    ['lock_acquire', 'x'],
    ['lock_release', 'x '],
    ['sys_enter', 'NR 1'],
    ['sys_exit', 'NR 1 ='],
    ['sched_process_exit', 'pid=3'],
  ),
);
const eventName = (name: string) => fc.constantFrom(name, `lock:${name}`, `raw_syscalls:${name}`, `${name}x`);

/** One ftrace event line with odd names, numbers and spacing. */
export const ftraceLineArb = fc
  .tuple(comm, pid, tgid, cpu, flags, ts, body, fc.constantFrom(' ', '  ', '\t'), fc.constantFrom('', ' ', '\r'))
  .chain(([c, p, t, cp, fl, tm, [name, b], sep, tail]) =>
    eventName(name).map((n) => `${' '.repeat(c.length % 5)}${c}-${p}${t}  ${cp}${fl} ${tm}: ${n}:${sep}${b}${tail}`),
  );

/** One `perf script` event line with odd names, numbers and spacing. */
export const perfLineArb = fc
  .tuple(
    comm,
    fc.constantFrom('1040', '2101/2102', '0', '12/', '/3', '99999999999999999999', 'x', '2147483648'),
    cpu,
    fc.constantFrom('5000.000003', '7', '5.', '.5', '1.2', '123456789012.123456'),
    fc.constantFrom('', '1 ', '250000  ', '12x '),
    body,
    fc.constantFrom(' ', '', '  ', '\t'),
    fc.constantFrom('', ' ', '\r', '\u00a0', '\u000b', '\r m'),
  )
  .map(
    ([c, p, cp, tm, period, [name, b], sep, tail]) =>
      `${' '.repeat(c.length % 7)}${c} ${' '.repeat(p.length % 3)}${p} ${cp} ${tm}: ${period}${name.startsWith('sys') ? 'raw_syscalls' : 'lock'}:${name}:${sep}${b}${tail}`,
  );

// --- edits of real traces ----------------------------------------------------------------------

/** Up to ten character edits: (line, position, the character written there), both taken modulo the text's size. */
export const charEdits = (chars: string[]) => fc.array(fc.tuple(fc.nat(), fc.nat(), fc.constantFrom(...chars)), { maxLength: 10 });

/** `text` with each edit's character written over the one at its line and position. */
export function withEdits(text: string, edits: [number, number, string][]): string {
  const lines = text.split('\n');
  for (const [at, pos, c] of edits) {
    const i = at % lines.length;
    lines[i] = replaceChar(lines[i], pos, c);
  }
  return lines.join('\n');
}

// The parallel parse's core (src/core/parse/ranges.ts) must give exactly the store the sequential
// parse gives, wherever the byte ranges are cut: mid-line, right after a newline, between a CR and
// its LF, inside a multi-byte UTF-8 character, inside a line longer than the line limit, in a last
// line without a newline, with ranges holding no line at all, and with the format detected from
// the first lines. Checked on every fixture, on the real kernel captures and on fuzzed cuts of
// fuzzed traces (the worker threads themselves: test/unit/load/parallel.test.ts).

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { test } from 'node:test';
import fc from 'fast-check';
import { parseTrace } from '../../../src/core/parse';
import { RangeFormat, RangeTokenizer, memorySource, parseInRanges } from '../../../src/core/parse/ranges';
import { generateTrace } from '../../bench/generate';
import { fixture, repoRoot } from '../helpers';
import { Outcome, charEdits, formatOf, outcome, textFixtures, withEdits } from './differential';

const enc = new TextEncoder();

/** Sequential and ranged parses of `bytes` agree. */
function same(
  bytes: Uint8Array,
  o: { format?: RangeFormat; cuts?: number[]; tokenizers?: number; headBytes?: number; headBlock?: number; rangeBytes?: number },
  expected?: Outcome,
): void {
  const want = expected ?? outcome(() => parseTrace(bytes, { file: 'f', format: o.format }));
  const got = outcome(() => parseInRanges(bytes, { file: 'f', headBytes: 0, ...o }));
  assert.deepStrictEqual(got, want, `cuts ${JSON.stringify(o.cuts)} tokenizers ${o.tokenizers}`);
}

/** Cuts around the line structure: each newline, the bytes on either side, a CR before it, and mid-line. */
function lineCuts(bytes: Uint8Array): number[] {
  const cuts = new Set<number>();
  let prev = 0;
  for (let i = 0; i < bytes.length; i++) {
    if (bytes[i] !== 10) continue;
    for (const c of [i - 1, i, i + 1, (prev + i) >> 1]) if (c > 0 && c < bytes.length) cuts.add(c);
    prev = i + 1;
  }
  cuts.add(bytes.length - 1);
  return [...cuts];
}

test('ranges: every fixture, cut once around every line (and two of them at every byte), parses to the sequential store', () => {
  let checked = 0;
  for (const f of textFixtures) {
    const bytes = enc.encode(fixture(f));
    const format = formatOf(bytes);
    if (!format) continue;
    const want = outcome(() => parseTrace(bytes, { file: 'f', format }));
    const every = f.startsWith('test/fixtures/core/');
    const cuts = every ? Array.from({ length: bytes.length + 1 }, (_, c) => c) : lineCuts(bytes);
    for (const c of cuts) same(bytes, { format, cuts: [0, c, bytes.length] }, want);
    checked++;
  }
  assert.ok(checked >= 10, `only ${checked} text fixtures`);
});

test('ranges: many small ranges and several tokenizers (dictionaries per tokenizer) agree', () => {
  for (const f of textFixtures) {
    const bytes = enc.encode(fixture(f));
    const format = formatOf(bytes);
    if (!format) continue;
    const want = outcome(() => parseTrace(bytes, { file: 'f', format }));
    for (const rangeBytes of [1, 7, 61, 500]) for (const tokenizers of [1, 2, 3]) same(bytes, { format, rangeBytes, tokenizers }, want);
  }
});

const FT = (n: number, body: string) => `   worker-${n}-${1000 + n}  [00${n % 8}] ..... 5000.00000${n}: ${body}`;

test('ranges: the boundary cases', () => {
  const lines = [
    '# tracer: nop',
    FT(1, 'raw_syscalls:sys_enter: NR 73 (3, 2, 0, 0, 0, 0)'),
    FT(1, 'lock_acquire: 0000000010002f40 &obj1->lock'),
    FT(2, 'lock_acquire: 0000000010002f80 cls-été'), // multi-byte UTF-8 in a class name
    `   t\u00e9che-3-1003  [003] ..... 5000.000004: lock_release: 0000000010002f80 cls-été`, // and in a task name
    FT(1, 'lock_release: 0000000010002f40 &obj1->lock'),
    FT(1, 'raw_syscalls:sys_exit: NR 73 = 0'),
  ];
  for (const eol of ['\n', '\r\n']) {
    for (const last of ['', eol]) {
      const text = lines.join(eol) + last;
      const bytes = enc.encode(text);
      const want = outcome(() => parseTrace(bytes, { file: 'f', format: 'ftrace' }));
      // cuts at every byte, and pairs of them: mid-line, exactly after a newline, between CR and LF, inside a character
      for (let a = 0; a <= bytes.length; a++) same(bytes, { format: 'ftrace', cuts: [0, a, bytes.length] }, want);
      for (let a = 0; a <= bytes.length; a += 3)
        for (const d of [1, 2, 3, 9, 40, 90])
          same(bytes, { format: 'ftrace', cuts: [0, a, Math.min(a + d, bytes.length), bytes.length], tokenizers: 2 }, want);
      // the named cases, by position
      const crlf = text.indexOf('\r\n');
      const nl = text.indexOf('\n');
      const utf8 = Buffer.from(text).indexOf(Buffer.from('é')) + 1;
      for (const c of [nl, nl + 1, crlf, crlf + 1, crlf + 2, utf8, bytes.length - 1]) {
        if (c > 0 && c < bytes.length) same(bytes, { format: 'ftrace', cuts: [0, c, bytes.length] }, want);
      }
    }
  }
});

test('ranges: lines longer than the line limit, and ranges inside them', () => {
  const long = `   worker-1-1001  [001] ..... 5000.000001: lock_acquire: 0000000010002f40 ${'x'.repeat(70_000)}`;
  for (const tail of ['', '\n', '\r\n', `\n${FT(2, 'lock_release: 0000000010002f40 y')}\n`]) {
    const text = `${FT(1, 'lock_acquire: 0000000010002f40 y')}\n${long}${tail}`;
    const bytes = enc.encode(text);
    const want = outcome(() => parseTrace(bytes, { file: 'f', format: 'ftrace' }));
    for (const rangeBytes of [1000, 65_536, 65_537, 70_000]) same(bytes, { format: 'ftrace', rangeBytes }, want);
    for (const c of [100, 101, 102, 65_636, 70_100, bytes.length - 1]) same(bytes, { format: 'ftrace', cuts: [0, c, bytes.length] }, want);
  }
});

test('ranges: the format detected from the first lines, handing over after any block', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'locktrace-ranges-'));
  try {
    for (const format of ['ftrace', 'trace-cmd', 'perf'] as const) {
      const file = path.join(dir, `${format}.txt`);
      generateTrace(file, { events: 3000, format, classes: 30, seed: 3 });
      const bytes = fs.readFileSync(file);
      const want = outcome(() => parseTrace(bytes, { file: 'f' }));
      for (const headBlock of [1, 97, 4096, 1 << 20])
        for (const rangeBytes of [333, 10_000]) same(bytes, { headBlock, headBytes: 0, rangeBytes, tokenizers: 2 }, want);
      same(bytes, { headBytes: 50_000, headBlock: 7_000, rangeBytes: 20_000, tokenizers: 3 }, want);
    }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('ranges: real kernel captures (flags, interrupts, sched_switch, trace-cmd -l, perf) agree', () => {
  const dir = path.join(repoRoot, 'test/fixtures/kernel');
  const captures = fs
    .readdirSync(dir)
    .flatMap((c) =>
      ['trace.txt.gz', 'trace-cmd-report-l.txt.gz', 'trace-cmd-report.txt.gz', 'perf-script.txt.gz'].map((f) => path.join(dir, c, f)),
    )
    .filter((f) => fs.existsSync(f));
  assert.ok(captures.length >= 5, `only ${captures.length} captures`);
  for (const f of captures) {
    const bytes = zlib.gunzipSync(fs.readFileSync(f));
    const want = outcome(() => parseTrace(bytes, { file: 'f' }));
    same(bytes, { headBytes: 0, headBlock: 8192, rangeBytes: 4093, tokenizers: 2 }, want);
  }
});

test('ranges: mutated traces cut anywhere agree (fuzz)', () => {
  const seeds = textFixtures.slice(0, 4).map((f) => fixture(f));
  fc.assert(
    fc.property(
      fc.nat({ max: seeds.length - 1 }),
      charEdits([' ', '-', ':', '[', ']', '0', '9', '.', 'x', '\t', '\u00e9', '\r', '\n', '\r\n', '#']),
      fc.array(fc.nat(), { maxLength: 6 }),
      fc.integer({ min: 1, max: 3 }),
      fc.boolean(),
      (seed, edits, cutAt, tokenizers, given) => {
        const bytes = enc.encode(withEdits(seeds[seed], edits));
        const format = given ? formatOf(bytes) : undefined;
        const cuts = [...new Set([0, ...cutAt.map((c) => c % (bytes.length + 1)), bytes.length])].sort((a, b) => a - b);
        same(bytes, { format, cuts, tokenizers, headBlock: 64 }, undefined);
      },
    ),
    { numRuns: 400, seed: 17 },
  );
});

test('ranges: a range tokenizer reads only the lines that start in its range', () => {
  const text = 'a\nbb\r\nccc\ndddd';
  const src = memorySource(enc.encode(text));
  const tok = new RangeTokenizer('ftrace', { source: 1 });
  const starts = (a: number, b: number, known = false) => {
    const t = tok.tokenize(src, a, b, known);
    return { start: t.lines ? t.start : -1, lines: t.lines, bytes: t.bytes, texts: t.texts };
  };
  assert.deepStrictEqual(starts(0, 1), { start: 0, lines: 1, bytes: 2, texts: ['a'] });
  assert.deepStrictEqual(starts(1, 3), { start: 2, lines: 1, bytes: 4, texts: ['bb'] }); // cut inside `a\n`: `bb` is the first line
  assert.deepStrictEqual(starts(3, 6), { start: -1, lines: 0, bytes: 0, texts: [] }); // `bb\r\n` started before: nothing
  assert.deepStrictEqual(starts(5, 7), { start: 6, lines: 1, bytes: 4, texts: ['ccc'] }); // between CR and LF: the next line
  assert.deepStrictEqual(starts(7, 14), { start: 10, lines: 1, bytes: 4, texts: ['dddd'] }); // the last line, no newline
  assert.deepStrictEqual(starts(11, 14), { start: -1, lines: 0, bytes: 0, texts: [] }); // inside the last line
});

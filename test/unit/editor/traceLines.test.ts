// The trace view's lines read at byte offsets through the index (src/editor/traceLines.ts) are the
// file's lines: on the samples and fixtures of every format, with CRLF, comments and non-event
// lines between events (read forward from the last event line, leaving checkpoints), a trace
// sorted by time (lines out of event order), huge lines (cut) and a file
// without a final newline; read in tiny chunks so every chunk boundary is crossed.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import * as zlib from 'node:zlib';
import { analyze, parseTrace } from '../../../src/core';
import { ByteReader, TraceLines } from '../../../src/editor/traceLines';
import { TraceIndex } from '../../../src/editor/traceIndex';
import { prng } from '../../bench/generate';
import { repoRoot } from '../helpers';

/** A reader over a buffer that counts what it was asked for. */
function bufferReader(bytes: Uint8Array): ByteReader & { reads: number; bytesRead: number } {
  return {
    size: bytes.length,
    reads: 0,
    bytesRead: 0,
    read(offset, length) {
      this.reads++;
      const b = bytes.subarray(offset, Math.min(bytes.length, offset + length));
      this.bytesRead += b.length;
      return Promise.resolve(b);
    },
  };
}

/** The file's lines as an editor numbers them (a final newline does not start a line). */
function expectedLines(text: string): string[] {
  const lines = text.split('\n').map((l) => l.replace(/\r$/, ''));
  if (text.endsWith('\n')) lines.pop();
  return lines;
}

async function open(text: string, opts: { sort?: boolean; scanChunk?: number; checkpointEvery?: number; maxLineChars?: number } = {}) {
  const bytes = new TextEncoder().encode(text);
  const index = new TraceIndex(analyze(parseTrace(bytes, { file: 'x', sort: opts.sort })));
  const reader = bufferReader(bytes);
  const lines = await TraceLines.open(index, reader, {
    scanChunk: opts.scanChunk ?? 7,
    checkpointEvery: opts.checkpointEvery ?? 3,
    maxLineChars: opts.maxLineChars,
  });
  return { lines, reader, bytes, index };
}

/** Every line, every offset, and windows at random places. */
async function checkAll(text: string, name: string, opts: { sort?: boolean } = {}): Promise<void> {
  const want = expectedLines(text);
  const { lines, bytes } = await open(text, opts);
  assert.equal(lines.lineCount, want.length, `${name}: line count`);
  const all = await lines.lines(1, want.length + 5);
  assert.deepEqual(all.texts, want, `${name}: all lines`);
  // offsets: each line starts right after the previous newline
  let offset = 0;
  for (let l = 1; l <= want.length; l++) {
    assert.equal(await lines.offsetOf(l), offset, `${name}: offset of line ${l}`);
    offset = bytes.indexOf(10, offset) + 1 || bytes.length;
  }
  const rnd = prng(want.length);
  for (let k = 0; k < 40; k++) {
    const from = 1 + Math.floor(rnd() * want.length);
    const count = 1 + Math.floor(rnd() * 30);
    const w = await lines.lines(from, count);
    assert.equal(w.from, from);
    assert.deepEqual(w.texts, want.slice(from - 1, from - 1 + count), `${name}: lines ${from}+${count}`);
  }
}

const textFiles = [
  'samples/syscall-order-inversion.trace',
  'samples/flock-deadlock.real.trace',
  'test/fixtures/core/syscall-order-inversion.perf.txt',
  'test/fixtures/core/syscall-order-inversion.trace-cmd.txt',
  'test/fixtures/contention/pipe-writers.ltrace',
  'test/fixtures/rules/duplicate-boundaries.trace',
  'test/fixtures/rules/kernel-irq-state.trace',
];

for (const rel of textFiles) {
  test(`lines of ${rel} are the file's`, async () => {
    await checkAll(fs.readFileSync(path.join(repoRoot, rel), 'utf8'), rel);
  });
}

test("lines of a real lockdep kernel's perf script capture are the file's", async () => {
  const text = zlib.gunzipSync(fs.readFileSync(path.join(repoRoot, 'test/fixtures/kernel/abba-perf/perf-script.txt.gz'))).toString('utf8');
  await checkAll(text, 'abba-perf');
});

const ev = (pid: number, t: number, body: string) => `          task-${pid} [000] ..... ${(100 + t / 1e4).toFixed(6)}: ${body}`;

test('comments, blank and unparsed lines between events, CRLF, no final newline', async () => {
  const out: string[] = ['# tracer: nop', '#', '#  entries-in-buffer/entries-written: 10/10'];
  for (let k = 0; k < 40; k++) {
    out.push(ev(7, k, `lock_acquire: 00000000aaaa0001 &dev->mutex`));
    if (k % 5 === 0) for (let j = 0; j < k; j++) out.push(j % 2 ? '' : `# a comment ${j} with ünïcödé`);
    out.push(ev(7, k, `lock_release: 00000000aaaa0001 &dev->mutex`));
  }
  const lf = out.join('\n');
  await checkAll(lf, 'lf, no final newline');
  await checkAll(`${lf}\n`, 'lf');
  await checkAll(`${out.join('\r\n')}\r\n`, 'crlf');
  await checkAll(`${lf}\n\n\n# trailing comments\n`, 'trailing non-event lines');
});

test('a trace sorted by time: lines out of event order', async () => {
  const out = ['# tracer: nop'];
  for (let k = 0; k < 60; k++) {
    const t = k % 2 ? k : 200 - k; // timestamps jump back and forth
    out.push(ev(3 + (k % 3), t, `lock_acquire: 00000000aaaa000${k % 3} &l${k % 3}`));
    out.push(ev(3 + (k % 3), t + 0.5, `lock_release: 00000000aaaa000${k % 3} &l${k % 3}`));
  }
  const text = `${out.join('\n')}\n`;
  const { index } = await open(text, { sort: true });
  assert.ok(index.store.sorted, 'the store is sorted by time');
  await checkAll(text, 'sorted', { sort: true });
});

test('a long stretch without events leaves checkpoints: a second lookup there reads little', async () => {
  const out = [ev(1, 0, 'lock_acquire: 00000000aaaa0001 &a')];
  for (let k = 0; k < 5000; k++) out.push(`# filler line ${k}`);
  out.push(ev(1, 1, 'lock_release: 00000000aaaa0001 &a'));
  const text = `${out.join('\n')}\n`;
  const { lines, reader } = await open(text, { scanChunk: 4096, checkpointEvery: 256 });
  assert.equal((await lines.lines(4500, 1)).texts[0], '# filler line 4498');
  assert.ok(lines.checkpoints >= 4500 / 256 - 1, `${lines.checkpoints} checkpoints`);
  reader.bytesRead = 0;
  const w = await lines.lines(4000, 3);
  assert.deepEqual(w.texts, ['# filler line 3998', '# filler line 3999', '# filler line 4000']);
  // from the checkpoint at or before line 4000, not from line 1
  assert.ok(reader.bytesRead < 3 * 4096 + 300, `read ${reader.bytesRead} bytes`);
});

test("huge lines are cut to the view's width", async () => {
  const long = `# ${'x'.repeat(200_000)}`;
  const out = [ev(1, 0, 'lock_acquire: 00000000aaaa0001 &a'), long, ev(1, 1, 'lock_release: 00000000aaaa0001 &a')];
  const text = `${out.join('\n')}\n`;
  const { lines } = await open(text, { scanChunk: 65536, maxLineChars: 100 });
  const w = await lines.lines(1, 3);
  assert.equal(w.texts[0], out[0].slice(0, 100));
  assert.equal(w.texts[1], long.slice(0, 100));
  assert.deepEqual(
    w.cut,
    [1, 2, 3].filter((l) => out[l - 1].length > 100),
  );
  // a window of many huge lines is read line by line, each only at its head
  const many = [
    ev(1, 0, 'lock_acquire: 00000000aaaa0001 &a'),
    ...Array.from({ length: 30 }, () => long),
    ev(1, 1, 'lock_release: 00000000aaaa0001 &a'),
  ];
  const big = await open(`${many.join('\n')}\n`, { scanChunk: 1 << 20, maxLineChars: 100 });
  const w2 = await big.lines.lines(2, 30);
  assert.equal(w2.texts.length, 30);
  assert.ok(w2.texts.every((t) => t === long.slice(0, 100)));
  assert.deepEqual(w2.cut.length, 30);
});

test('windows are clipped to the file', async () => {
  const text = `${[ev(1, 0, 'lock_acquire: 00000000aaaa0001 &a'), ev(1, 1, 'lock_release: 00000000aaaa0001 &a')].join('\n')}\n`;
  const { lines } = await open(text);
  assert.deepEqual((await lines.lines(0, 10)).texts.length, 2);
  assert.deepEqual((await lines.lines(2, 10)).texts, [ev(1, 1, 'lock_release: 00000000aaaa0001 &a')]);
  assert.deepEqual((await lines.lines(3, 10)).texts, []);
  assert.equal(await lines.offsetOf(3), text.length);
});

// Property tests over mutated real traces: whatever the bytes, the parser either returns a store
// or throws a TraceError (never another exception), line numbers stay ordered and in range, and
// the analysis and the replay never throw on what the parser accepted.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import fc from 'fast-check';
import { Replay, TraceError, analyze, parseTrace } from '../../../src/core';
import { TraceParser } from '../../../src/core/parse';
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as zlib from 'node:zlib';
import { fixture, repoRoot } from '../helpers';
import { applyLineMutation, lineMutations, parseOrTraceError } from './mutations';

/** Lines of a real kernel capture (gzip): interrupts, the scheduler, flags, sched_switch, kmem. */
function kernelSlice(rel: string, lines: number, from = 0): string {
  const text = zlib.gunzipSync(fs.readFileSync(path.join(repoRoot, rel))).toString('utf8');
  return text
    .split('\n')
    .slice(from, from + lines)
    .join('\n');
}

const seeds = [
  fixture('samples/syscall-order-inversion.trace'),
  fixture('samples/flock-deadlock.real.trace'),
  fixture('test/fixtures/core/syscall-order-inversion.trace-cmd.txt'),
  fixture('test/fixtures/core/syscall-order-inversion.perf.txt'),
  [
    '{"type":"header","format":"locktrace","version":1}',
    '{"ev":"acquire","ts":1,"pid":1,"comm":"a","lock":"0x1","class":"m1","lockKind":"mutex"}',
    '{"ev":"acquired","ts":2,"pid":1,"comm":"a","lock":"0x1"}',
    '{"ev":"acquire","ts":3,"pid":1,"comm":"a","lock":"0x2","class":"m2","lockKind":"mutex"}',
    '{"ev":"release","ts":4,"pid":1,"comm":"a","lock":"0x2"}',
    '{"ev":"release","ts":5,"pid":1,"comm":"a","lock":"0x1"}',
  ].join('\n'),
  kernelSlice('test/fixtures/kernel/abba-sched/trace.txt.gz', 600),
  kernelSlice('test/fixtures/kernel/irqstate-tracecmd/trace-cmd-report-l.txt.gz', 400),
  kernelSlice('test/fixtures/kernel/abba-perf/perf-script.txt.gz', 400),
  // kmalloc, lock_acquire of the lock inside it, kfree: the held-lock-freed report
  kernelSlice('test/fixtures/kernel/freeheld/trace.txt.gz', 120, 1660),
];

/** One edit to a list of lines (one line at a time). */
const mutation = fc.oneof(
  ...lineMutations({ chars: [' ', '-', ':', '[', ']', '(', ')', '0', 'x', '{', '"', '\t', '\u00e9', '\r'], maxDelete: 1, maxDuplicate: 1 }),
);

function check(text: string, chunk: number): void {
  const store = parseOrTraceError(text, chunk);
  if (!store) return;
  const lines = text.split('\n').length;
  for (let i = 1; i < store.length; i++) assert.ok(store.line[i] >= store.line[i - 1], 'lines ascend');
  if (store.length) assert.ok(store.line[store.length - 1] <= lines, 'line in range');
  const a = analyze(store, { checkpointInterval: 3 });
  for (const f of a.findings) assert.ok(f.line >= 1 && f.line <= lines);
  const r = new Replay(a);
  for (const i of [store.length - 1, 0, Math.floor(store.length / 2), 1]) r.view(i);
}

test('mutated real traces: parse, analyze and replay never crash', () => {
  fc.assert(
    fc.property(
      fc.nat({ max: seeds.length - 1 }),
      fc.array(mutation, { maxLength: 8 }),
      fc.integer({ min: 1, max: 97 }),
      (seed, muts, chunk) => {
        let lines = seeds[seed].split('\n');
        for (const m of muts) lines = applyLineMutation(lines, m);
        check(lines.join('\n'), chunk);
      },
    ),
    { numRuns: 400, seed: 42 },
  );
});

test('random bytes: only TraceErrors or a store', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 600 }), (bytes) => {
      const p = new TraceParser({ file: 'fuzz' });
      try {
        p.push(bytes);
        p.end();
      } catch (e) {
        assert.ok(e instanceof TraceError, `non-TraceError thrown: ${(e as Error).stack}`);
      }
    }),
    { numRuns: 300, seed: 7 },
  );
});

test('replay: any seek order gives the same state as a fresh replay', () => {
  const a = analyze(parseTrace(seeds[0], { file: 'x' }), { checkpointInterval: 4 });
  const fresh = (i: number) => JSON.stringify(new Replay(a).view(i));
  const r = new Replay(a);
  fc.assert(
    fc.property(fc.array(fc.nat({ max: a.store.length - 1 }), { minLength: 1, maxLength: 20 }), (idx) => {
      for (const i of idx) assert.equal(JSON.stringify(r.view(i)), fresh(i));
    }),
    { numRuns: 50, seed: 3 },
  );
});

test('parse errors never touch the input and keep memory bounded on an absurd line', () => {
  const huge = 'x'.repeat(5_000_000);
  const text = `${seeds[0]}\n${huge}\n`;
  const before = text.length;
  const s = parseTrace(text, { file: 'big' });
  assert.equal(text.length, before);
  assert.equal(s.length, 28);
  assert.ok(s.warnings.some((w) => /longer than/.test(w.message)));
  void parseTrace;
});

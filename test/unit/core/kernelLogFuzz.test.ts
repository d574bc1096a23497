// Property tests over mutated kernel logs (the real lockdep captures and the hand-written logs of
// other kernels' formats): whatever the edits, reading either gives a store or a TraceError (never
// another exception), the kernel-log invariants hold (event lines ascend and stay in the log, each
// finding points at its title event, replay works anywhere), and what is kept stays bounded.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { Replay, analyze, parseTrace } from '../../../src/core';
import { TraceParser } from '../../../src/core/parse';
import { MAX_FRAMES, MAX_REPORTS, MAX_REPORT_LINES } from '../../../src/core/kernelLog';
import { repoRoot } from '../helpers';
import { applyLineMutation, lineMutations, parseOrTraceError } from './mutations';

const dir = path.join(repoRoot, 'test/fixtures/kernel-log');
const captures = path.join(repoRoot, 'test/fixtures/kernel');
const seeds = [
  // the real captures' dmesg with a report (test/kernel/ recipe), boot 1's console, then the hand-written logs
  ...[
    'xsyscall',
    'abba',
    'ring3',
    'recursive',
    'badunlock',
    'exitheld',
    'killheld',
    'freeheld',
    'irqstate',
    'irqstate_hard',
    'irqinv',
    'irqorder',
  ].map((c) => path.join(captures, c, 'dmesg.txt')),
  path.join(dir, 'real/boot1.console.log'),
  ...fs
    .readdirSync(dir)
    .filter((f) => /\.(txt|log)$/.test(f))
    .map((f) => path.join(dir, f)),
].map((f) => {
  // the report part of each log (real dmesgs start with ~190 boot lines): mutations hit the reports
  const lines = fs.readFileSync(f, 'utf8').split('\n');
  const first = Math.max(0, lines.findIndex((l) => /={20,}/.test(l)) - 3);
  return lines.slice(first, first + 400);
});

/** Report text lockdep prints, to splice in anywhere. */
const snippets = [
  '======================================================',
  'WARNING: possible circular locking dependency detected',
  '[ INFO: possible recursive locking detected ]',
  'WARNING: lock held when returning to user space!',
  '-> #3 (&x->lock/1){+.+.}-{3:3}:',
  '-> #0 (',
  ' #0: ffff888000b70910 (&dev->b_lock){+.+.}-{3:3}, at: lockseed_ioctl+0xe5/0x530',
  '1 lock held by ls_seed/66:',
  '2147483647 locks held by x/-1:',
  'stack backtrace:',
  'Call Trace:',
  ' <IRQ>',
  ' </TASK>',
  ' __x64_sys_ioctl+0x88b/0x8ae',
  ' ? do_syscall_64+0x39/0x46',
  'inconsistent {IN-SOFTIRQ-W} -> {SOFTIRQ-ON-W} usage.',
  '{IN-HARDIRQ-W} state was registered at:',
  '... which became SOFTIRQ-irq-unsafe at:',
  ' -> (&dev->plain_lock){+.+.}-{2:2} {',
  'but this lock took another, HARDIRQ-unsafe lock in the past:',
  'ls_seed/68 is trying to release lock (&dev->unbal_lock) at:',
  '[   45.123456][ T5012] ',
  'Dec 03 15:56:54 vm kernel: ',
  '4,1,2,-;',
  '\x1b[1;31m',
  '(((((((((((((((',
  ')))){+.+.}-{9:9}, at: ',
];

const [del, duplicate, swap, insert, truncate, replaceChar] = lineMutations({
  chars: [' ', '-', ':', '[', ']', '(', ')', '{', '}', '#', '/', '0', 'x', '>', '<', '?', '\t', '\u00e9', '\r', '\x1b'],
  maxDelete: 20,
  maxDuplicate: 60,
});
const mutation = fc.oneof(
  del,
  duplicate,
  swap,
  insert,
  fc.record({ op: fc.constant('snippet' as const), at: fc.nat(), k: fc.nat(), prefix: fc.boolean() }),
  truncate,
  fc.record({ op: fc.constant('unprefix' as const), at: fc.nat(), n: fc.integer({ min: 1, max: 40 }) }),
  replaceChar,
);
type Mutation = typeof mutation extends fc.Arbitrary<infer T> ? T : never;

/** `lines` with one edit applied: the shared line edits, a report snippet spliced in, or timestamp prefixes removed. */
function apply(lines: string[], m: Mutation): string[] {
  if (lines.length === 0) return lines;
  const at = m.at % lines.length;
  const out = lines.slice();
  switch (m.op) {
    case 'snippet':
      out.splice(at, 0, `${m.prefix ? '[    5.405080] ' : ''}${snippets[m.k % snippets.length]}`);
      return out;
    case 'unprefix':
      for (let k = at; k < Math.min(out.length, at + m.n); k++) out[k] = out[k].replace(/^\[[^\]]*\](\[[^\]]*\])? ?/, '');
      return out;
    default:
      return applyLineMutation(lines, m);
  }
}

const stats = { runs: 0, kernelLogs: 0, notATrace: 0, reports: 0, findings: 0, events: 0 };

function check(text: string, chunk: number, format?: 'kernel-log'): void {
  stats.runs++;
  const store = parseOrTraceError(text, chunk, format);
  if (!store) {
    stats.notATrace++;
    return;
  }
  const lines = text.split('\n').length;
  for (let i = 1; i < store.length; i++) assert.ok(store.line[i] >= store.line[i - 1], 'event lines ascend');
  if (store.length) assert.ok(store.line[store.length - 1] <= lines, 'event lines are in the log');
  const a = analyze(store, { checkpointInterval: 3 });
  if (!store.kernelLog) return; // some mutations turn a log into something else; the trace fuzz test covers those
  stats.kernelLogs++;
  stats.reports += store.kernelLog.reports.length;
  stats.findings += a.findings.length;
  stats.events += store.length;
  assert.ok(store.kernelLog.reports.length <= MAX_REPORTS);
  for (const r of store.kernelLog.reports) {
    assert.ok(r.endLine >= r.line && r.endLine <= lines, 'a report ends inside the log, after its title');
    for (const st of [r.backtrace, ...r.chain.map((e) => e.stack), ...r.usages.map((u) => u.stack)]) assert.ok(st.length <= MAX_FRAMES);
  }
  for (const f of a.findings) {
    assert.ok(f.line >= 1 && f.line <= lines);
    assert.equal(store.line[f.eventIndex], f.line);
    assert.ok(f.related.every((x) => x.line >= 1 && x.line <= lines));
  }
  const r = new Replay(a);
  for (const i of [store.length - 1, 0, Math.floor(store.length / 2), 1]) if (i >= 0 && i < store.length) r.view(i);
}

test('mutated kernel logs: read, analyze and replay never crash', (t) => {
  fc.assert(
    fc.property(
      fc.nat({ max: seeds.length - 1 }),
      fc.array(mutation, { maxLength: 10 }),
      fc.integer({ min: 1, max: 257 }),
      fc.boolean(),
      (seed, muts, chunk, forced) => {
        let lines = seeds[seed];
        for (const m of muts) lines = apply(lines, m);
        check(lines.join(muts.length % 3 === 0 ? '\r\n' : '\n'), chunk, forced ? 'kernel-log' : undefined);
      },
    ),
    { numRuns: 600, seed: 1515 },
  );
  t.diagnostic(
    `runs ${stats.runs}: ${stats.kernelLogs} read as kernel logs, ${stats.notATrace} not a trace; ${stats.reports} reports, ${stats.findings} findings, ${stats.events} events`,
  );
  assert.ok(stats.kernelLogs > stats.runs / 2, 'most mutated logs are still kernel logs');
  assert.ok(stats.findings > stats.runs / 2, 'and still give findings');
});

test('random bytes read as a kernel log: a store, never an exception', () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 800 }), (bytes) => {
      const p = new TraceParser({ file: 'fuzz', format: 'kernel-log' });
      p.push(bytes);
      const s = p.end();
      analyze(s);
    }),
    { numRuns: 300, seed: 15 },
  );
});

test('bounded: one endless report is cut, endless chains and held lists are capped', () => {
  const head = ['======', 'WARNING: possible circular locking dependency detected', 'x/1 is trying to acquire lock:'];
  const chain = Array.from({ length: 40_000 }, (_, k) => (k % 4 === 0 ? `-> #${k} (&c${k}->lock){+.+.}-{3:3}:` : `       f${k}+0x1/0x2`));
  const held = [
    '100000 locks held by x/1:',
    ...Array.from({ length: 40_000 }, (_, k) => ` #${k}: ffff8880${String(k).padStart(8, '0')} (&h${k}){+.+.}-{3:3}, at: f+0x1/0x2`),
  ];
  const before = process.memoryUsage().heapUsed;
  const s = parseTrace([...head, ...chain, ...held].join('\n'), { file: 'endless' });
  const r = s.kernelLog?.reports[0];
  assert.ok(r);
  assert.ok(r.endLine - r.line <= MAX_REPORT_LINES + 1, `report cut at ${MAX_REPORT_LINES} lines`);
  assert.ok(r.notes.some((n) => /cut/.test(n)));
  assert.ok(r.chain.length <= 64);
  assert.ok(r.held.every((h) => h.locks.length <= 64));
  analyze(s);
  const grown = process.memoryUsage().heapUsed - before;
  assert.ok(grown < 256 * 1024 * 1024, `heap grew ${grown} bytes`);
});

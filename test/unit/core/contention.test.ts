// Kernel lock contention in the analysis (src/core/analysis/contention.ts): waits paired per task
// (a mutex's spin-then-sleep is one wait), grouped by lock class, syscall and caller, with the
// userspace locks held meanwhile; findings of kind `contention` only when asked for.
import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { DEFAULT_FINDING_KINDS, FINDING_KINDS, analyze, parseTrace, toJsonReport } from '../../../src/core';
import { formatDuration } from '../../../src/core/analysis/contention';
import { fixture } from '../helpers';

const load = (rel: string) => parseTrace(fixture(rel), { file: rel });

test('contention_begin/end: waits, groups, userspace locks held, unfinished waits', () => {
  const store = load('test/fixtures/contention/pipe-writers.ltrace');
  const a = analyze(store);
  assert.equal(a.findings.length, 0, 'off by default');
  assert.ok(!DEFAULT_FINDING_KINDS.includes('contention') && FINDING_KINDS.includes('contention'));
  const c = a.contention!;
  assert.equal(c.source, 'contention');
  assert.equal(c.waits.length, 4, 'the spin and the sleep of pid 101 are one wait');
  const pipe = c.groups.find((g) => g.className === '&pipe->mutex')!;
  assert.equal(pipe.syscall, 'write');
  assert.equal(pipe.caller, 'anon_pipe_write');
  assert.equal(pipe.waits.length, 3);
  assert.equal(pipe.unfinished, 1);
  assert.equal(pipe.tasks, 2);
  assert.ok(Math.abs(pipe.totalSeconds - 0.003) < 1e-9, `${pipe.totalSeconds}`);
  assert.ok(Math.abs(pipe.maxSeconds - 0.002) < 1e-9);
  assert.deepEqual([...pipe.holding], [['stats_lock', 1]]);
  const mm = c.groups.find((g) => g.className === '&mm->mmap_lock')!;
  assert.equal(mm.syscall, null, 'a page fault: no syscall');
  assert.equal(c.groups[0], pipe, 'longest total first');

  const b = analyze(store, { kinds: FINDING_KINDS });
  const f = b.findings.filter((x) => x.kind === 'contention');
  assert.equal(f.length, 2);
  const w = f.find((x) => x.syscall === 'write')!;
  assert.equal(w.line, 5, 'the first wait');
  assert.equal(w.occurrences, 3);
  assert.deepEqual(w.locks, ['&pipe->mutex', 'stats_lock']);
  assert.deepEqual(w.wait, {
    count: 3,
    totalMs: w.wait!.totalMs,
    maxMs: w.wait!.maxMs,
    avgMs: w.wait!.avgMs,
    unfinished: 1,
    tasks: 2,
    caller: 'anon_pipe_write',
    holding: ['stats_lock'],
    longestLine: 5,
  });
  assert.ok(Math.abs(w.wait.totalMs - 3) < 1e-6 && Math.abs(w.wait.maxMs - 2) < 1e-6 && Math.abs(w.wait.avgMs - 1.5) < 1e-6);
  assert.match(
    w.message,
    /^write waited for kernel lock &pipe->mutex \(taken in anon_pipe_write\) 3 times in 2 tasks: total 3\.0 ms, longest 2\.0 ms \(line 5\), average 1\.5 ms; 1 wait\(s\) did not end/,
  );
  assert.match(w.message, /while holding userspace lock stats_lock \(1 of the waits\)/);
  assert.match(f.find((x) => x.syscall === null)!.message, /^outside syscalls \(a page fault/);
  // in --json, with the numbers
  const json = toJsonReport(b);
  assert.equal(json.findings.find((x) => x.kind === 'contention' && x.syscall === 'write')?.wait?.count, 3);
});

test("lockdep traces: lock_contended … lock_acquired are the waits, named by lockdep's class", () => {
  const a = analyze(load('test/fixtures/contention/lockdep-stat.trace'), { kinds: FINDING_KINDS });
  const c = a.contention!;
  assert.equal(c.source, 'lockdep');
  assert.equal(c.waits.length, 1, 'the uncontended lock_acquired is no wait; contention_begin is not counted twice');
  assert.equal(c.groups[0].className, '&dev->a_lock');
  assert.equal(c.groups[0].syscall, 'ioctl');
  assert.ok(Math.abs(c.groups[0].totalSeconds - 0.000501) < 1e-9);
  assert.deepEqual(
    a.findings.map((f) => [f.kind, f.line, f.syscall]),
    [['contention', 9, 'ioctl']],
  );
});

test('durations are printed in the unit that reads best', () => {
  assert.equal(formatDuration(0.0000037), '3.7 µs');
  assert.equal(formatDuration(0.000037), '37 µs');
  assert.equal(formatDuration(0.0012), '1.2 ms');
  assert.equal(formatDuration(0.25), '250 ms');
  assert.equal(formatDuration(2.5), '2.50 s');
  assert.equal(formatDuration(NaN), '?');
});

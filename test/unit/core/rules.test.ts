// Data-driven analyzer tests: every fixture under test/fixtures/rules/ states its expected
// findings in `# expect:` header lines (written by hand from the trace's semantics); the test
// checks that the analysis reports exactly those (kind, line, locks, and pid/syscall/order when given).

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { analyze, parseTrace } from '../../../src/core';
import { repoRoot } from '../helpers';

const dir = path.join(repoRoot, 'test/fixtures/rules');

interface Expect {
  kind: string;
  fields: Record<string, string>;
}

function expectations(text: string): Expect[] | 'none' {
  const out: Expect[] = [];
  for (const m of text.matchAll(/^# expect: (.*)$/gm)) {
    const parts = m[1].trim().split(/\s+/);
    if (parts[0] === 'none') return 'none';
    const fields: Record<string, string> = {};
    for (const p of parts.slice(1)) {
      const [k, v] = p.split('=');
      fields[k] = v;
    }
    out.push({ kind: parts[0], fields });
  }
  return out;
}

const files = fs.readdirSync(dir).filter((f) => f.endsWith('.trace'));

test('the rule fixtures exist', () => {
  assert.ok(files.length >= 10, `expected at least 10 rule fixtures, found ${files.length}`);
});

for (const f of files) {
  test(`rules: ${f}`, () => {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    const want = expectations(text);
    assert.ok(want === 'none' || want.length > 0, `${f} has no # expect: lines`);
    const a = analyze(parseTrace(text, { file: f }));
    const got = a.findings.map(
      (x) => `${x.kind} line=${x.line} locks=${x.locks.join(',')} pid=${x.pid} syscall=${x.syscall} order=${x.order}`,
    );
    if (want === 'none') {
      assert.deepEqual(got, [], `${f}: expected no findings`);
      return;
    }
    assert.equal(a.findings.length, want.length, `${f}: findings were\n${got.join('\n')}`);
    want.forEach((w, k) => {
      const x = a.findings[k];
      assert.equal(x.kind, w.kind, `${f} #${k}: ${got[k]}`);
      assert.equal(String(x.line), w.fields.line, `${f} #${k} line: ${got[k]}`);
      assert.equal(x.locks.join(','), w.fields.locks, `${f} #${k} locks: ${got[k]}`);
      if (w.fields.pid) assert.equal(String(x.pid), w.fields.pid, `${f} #${k} pid: ${got[k]}`);
      if (w.fields.syscall) assert.equal(String(x.syscall), w.fields.syscall, `${f} #${k} syscall: ${got[k]}`);
      if (w.fields.order) assert.equal(x.order, w.fields.order, `${f} #${k} order: ${got[k]}`);
    });
  });
}

test('read-read AB-BA is not reported when readers are treated as recursive', () => {
  const text = fs.readFileSync(path.join(dir, 'read-read-abba.trace'), 'utf8');
  const a = analyze(parseTrace(text, { file: 'x' }), { readLocks: 'recursive' });
  assert.deepEqual(
    a.findings.map((f) => f.kind),
    [],
  );
});

test('recursive read of one class is allowed only under the recursive read rule', () => {
  const lines = [
    '  t1-10 [000] ..... 1.000001: lock_acquire: 00000000aaaa0001 read rw_a',
    '  t1-10 [000] ..... 1.000002: lock_acquire: 00000000aaaa0001 read rw_a',
  ].join('\n');
  assert.deepEqual(analyze(parseTrace(lines, { file: 'x' }), { readLocks: 'recursive' }).findings, []);
  assert.deepEqual(
    analyze(parseTrace(lines, { file: 'x' })).findings.map((f) => f.kind),
    ['recursive'],
  );
});

test('a finding kind filter leaves out the other kinds', () => {
  const text = fs.readFileSync(path.join(dir, 'abba-syscall-order.trace'), 'utf8');
  const a = analyze(parseTrace(text, { file: 'x' }), { kinds: ['inversion'] });
  assert.deepEqual(
    a.findings.map((f) => f.kind),
    ['inversion'],
  );
});

test('a repeated finding is reported once with an occurrence count', () => {
  const one = [
    '  t1-10 [000] ..... 1.000001: sys_enter: NR 16 (0, 0, 0, 0, 0, 0)',
    '  t1-10 [000] ..... 1.000002: lock_acquire: 0000000011111111 lock_a',
    '  t1-10 [000] ..... 1.000003: sys_exit: NR 16 = 0',
    '  t1-10 [000] ..... 1.000004: sys_enter: NR 16 (0, 0, 0, 0, 0, 0)',
    '  t1-10 [000] ..... 1.000005: lock_release: 0000000011111111 lock_a',
    '  t1-10 [000] ..... 1.000006: sys_exit: NR 16 = 0',
  ];
  const a = analyze(parseTrace([...one, ...one].join('\n'), { file: 'x' }));
  assert.equal(a.findings.length, 1);
  assert.equal(a.findings[0].occurrences, 2);
  assert.equal(a.findings[0].line, 3);
});

test('kernel rules: no dependency across an interrupt boundary, nested instances of a class become class/1', () => {
  const text = fs.readFileSync(path.join(dir, 'kernel-irq-context.trace'), 'utf8');
  const g = analyze(parseTrace(text, { file: 'x' })).graph;
  assert.ok(!g.hasEdge('lock_a', 'lock_b'), 'lock_a -> lock_b crosses from process into hardirq context');
  assert.ok(g.hasEdge('lock_b', 'lock_a'));
  const nested = [
    '  t1-10 [000] ...1. 1.000001: lock_acquire: 0000000011111111 &mm->mmap_lock',
    '  t1-10 [000] ...1. 1.000002: lock_acquire: 0000000022222222 &mm->mmap_lock',
    '  t1-10 [000] ...2. 1.000003: lock_acquire: 0000000033333333 &f->lock',
  ].join('\n');
  const a = analyze(parseTrace(nested, { file: 'x' }));
  assert.deepEqual(a.findings, []);
  assert.deepEqual(
    a.graph
      .edges()
      .map((e) => `${a.graph.source(e)} -> ${a.graph.target(e)}`)
      .sort(),
    ['&mm->mmap_lock -> &f->lock', '&mm->mmap_lock -> &mm->mmap_lock/1', '&mm->mmap_lock/1 -> &f->lock'],
  );
});

test('kernel rules: a lock held since before the trace orders what the task takes while it holds it', () => {
  const text = fs.readFileSync(path.join(dir, 'kernel-partial-history.trace'), 'utf8');
  const a = analyze(parseTrace(text, { file: 'x' }));
  assert.ok(a.graph.hasEdge('sb_writers', '&inode->lock'));
  assert.match(a.notes.map((n) => n.message).join('\n'), /t1\/10 releases sb_writers, not seen acquired/);
  assert.deepEqual([...a.model.preHeld.values()].flat().length, 1);
});

test("kernel rules: perf's own locks are the recorder's only in a perf trace", () => {
  // the same leak of an &ctx->lock out of a syscall, written by ftrace and by perf script
  const events = [
    ['sys_enter: NR 0 (3, 0, 0, 0, 0, 0)', 'raw_syscalls:sys_enter: NR 0 (3, 0, 0, 0, 0, 0)'],
    ['lock_acquire: 0000000011111111 &ctx->lock', 'lock:lock_acquire: 0xffff888011111111 &ctx->lock'],
    ['sys_exit: NR 0 = 1', 'raw_syscalls:sys_exit: NR 0 = 1'],
    ['sys_enter: NR 1 (3, 0, 0, 0, 0, 0)', 'raw_syscalls:sys_enter: NR 1 (3, 0, 0, 0, 0, 0)'],
  ];
  const ftrace = events.map(([e], k) => `  t1-10 [000] ..... 1.00000${k + 1}: ${e}`).join('\n');
  const perf = events.map(([, e], k) => `              t1    10 [000]     1.00000${k + 1}: ${e}`).join('\n');
  assert.deepEqual(
    analyze(parseTrace(ftrace, { file: 'x' })).findings.map((f) => `${f.kind} ${f.locks.join(',')}`),
    ['held-across-syscall &ctx->lock'],
  );
  const p = parseTrace(perf, { file: 'x' });
  assert.equal(p.format, 'perf');
  assert.deepEqual(analyze(p).findings, []);
  // the perf fixture: its one finding is the program's own leak, none of perf's switch-time locks
  const text = fs.readFileSync(path.join(dir, 'kernel-perf-tracer-locks.trace'), 'utf8');
  assert.deepEqual(
    analyze(parseTrace(text, { file: 'x' })).findings.map((f) => `${f.kind} ${f.locks.join(',')}`),
    ['held-across-syscall &lt->leak_mutex'],
  );
});

// Parser tests: every format on the same recording, detection from content, the real-world mess
// (CRLF, truncated lines, lost events, odd comm names, TGID column, trace_pipe), and malformed input.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { EventKind, TraceError, analyze, detectFormat, parseTrace } from '../../../src/core';
import { LineSplitter, MAX_LINE_BYTES } from '../../../src/core/parse/lines';
import { fixture } from '../helpers';

const SAMPLE = fixture('samples/syscall-order-inversion.trace');

function summary(text: string, file = 'x') {
  const a = analyze(parseTrace(text, { file }));
  return a.findings.map((f) => `${f.kind}@${f.line} ${f.comm}/${f.pid} ${f.syscall} ${f.locks.join('+')}${f.order ? ` ${f.order}` : ''}`);
}

test('shared sample: the findings its README lists, with lines and syscalls', () => {
  assert.deepEqual(summary(SAMPLE), [
    'held-across-syscall@17 aio-writer/2101 io_submit sb_writers',
    'held-across-syscall@22 aio-writer/2101 io_uring_enter &inode->i_dio_map',
    'held-across-syscall@31 dio-reader/2102 io_uring_enter &inode->i_dio_map',
    'inversion@35 dio-reader/2102 io_submit &inode->i_dio_map+sb_writers syscall-order',
    'held-across-syscall@36 dio-reader/2102 io_submit sb_writers',
  ]);
  const inv = analyze(parseTrace(SAMPLE, { file: 'x' })).findings.find((f) => f.kind === 'inversion');
  assert.ok(inv?.cycle);
  const other = inv.cycle.find((e) => e.from === 'sb_writers');
  assert.ok(other, 'cycle has the sb_writers -> &inode->i_dio_map edge');
  assert.equal(other.to, '&inode->i_dio_map');
  assert.equal(other.line, 20);
  assert.equal(other.pid, 2101);
  assert.equal(other.syscall, 'io_uring_enter');
  assert.equal(other.fromLine, 16);
  assert.equal(other.fromSyscall, 'io_submit');
  assert.equal(other.crossSyscall, true);
});

test('the same recording as trace-cmd report and perf script gives the same findings (shifted lines)', () => {
  const tc = fixture('test/fixtures/core/syscall-order-inversion.trace-cmd.txt');
  const perf = fixture('test/fixtures/core/syscall-order-inversion.perf.txt');
  assert.equal(detectFormat(tc.split('\n').slice(0, 5)), 'trace-cmd');
  assert.equal(detectFormat(perf.split('\n').slice(0, 5)), 'perf');
  const base = summary(SAMPLE);
  // trace-cmd: one `cpus=` line instead of the 12-line header; perf: no header at all.
  const shift = (list: string[], by: number) => list.map((s) => s.replace(/@(\d+)/, (_m, n: string) => `@${+n - by}`));
  assert.deepEqual(summary(tc), shift(base, 11));
  assert.deepEqual(summary(perf), shift(base, 12));
});

test('flock deadlock recording: syscall-level file locks make a syscall-order inversion', () => {
  const text = fixture('samples/flock-deadlock.real.trace');
  const a = analyze(parseTrace(text, { file: 'flock' }));
  assert.deepEqual(
    a.findings.map((f) => `${f.kind}@${f.line} ${f.pid} ${f.syscall} ${f.order}`),
    ['inversion@34 5826 flock syscall-order'],
  );
  // 5827's second flock was interrupted (-ERESTARTSYS): its lock was never held.
  const s = a.store;
  const failed = [...Array(s.length).keys()].filter((i) => s.kind[i] === EventKind.AcquireFailed);
  assert.deepEqual(
    failed.map((i) => s.line[i]),
    [35],
  );
});

test('detection is by content, for every format, and the override wins', () => {
  assert.equal(detectFormat(['# tracer: nop', '#']), 'ftrace');
  assert.equal(detectFormat(['  bash-1 [000] d..1. 1.0: sys_enter: NR 0 (0)']), 'ftrace');
  assert.equal(detectFormat(['cpus=2']), 'trace-cmd');
  assert.equal(detectFormat(['{"type":"header","format":"locktrace","version":1}']), 'jsonl');
  assert.equal(detectFormat(['hello world']), null);
  const s = parseTrace(SAMPLE, { file: 'x', format: 'trace-cmd' });
  assert.equal(s.format, 'trace-cmd');
  assert.equal(s.length, 28);
});

test('ftrace variants: no flags column, TGID column, trace_pipe without header, comm with spaces and dashes', () => {
  const text = [
    '   my worker-12-7 [001] 5.000001: lock_acquire: 0000000000000001 alpha',
    '  kworker/u8:2-99 (   99) [000] d..2. 5.000002: lock_acquire: 0000000000000002 beta',
    '   my worker-12-7 [001] 5.000003: lock_release: 0000000000000001 alpha',
    '  a:b/c-d-100 [003] .N... 5.000004: sched_switch: prev_comm=x prev_pid=1',
  ].join('\n');
  const s = parseTrace(text, { file: 'x' });
  assert.equal(s.length, 4);
  assert.deepEqual(
    s.tasks.map((t) => `${t.comm}|${t.pid}`),
    ['my worker-12|7', 'kworker/u8:2|99', 'a:b/c-d|100'],
  );
  assert.equal(s.kind[3], EventKind.Other);
  assert.equal(s.names.get(s.ref[3]), 'sched_switch');
  assert.equal(s.warnings.length, 0);
});

test('CRLF line ends, a truncated last line and lost-events markers are handled with warnings', () => {
  const lines = SAMPLE.split('\n');
  lines.splice(20, 0, 'CPU:3 [LOST 42 EVENTS]');
  const crlf = lines.join('\r\n');
  const truncated = crlf.slice(0, crlf.length - 40); // cut inside the last event line
  const s = parseTrace(truncated, { file: 'x' });
  assert.ok(s.length >= 26 && s.length <= 28, `events: ${s.length}`);
  assert.ok(
    s.warnings.some((w) => w.line === 21 && /lost 42 events/.test(w.message)),
    JSON.stringify(s.warnings),
  );
  // the line after the marker keeps its own number
  assert.equal(s.line[s.eventAtOrAfterLine(22)], 22);
});

test('out-of-order timestamps are kept in file order with a warning, or sorted on request', () => {
  const text = [
    '  a-1 [000] ..... 2.0: lock_acquire: 01 la',
    '  b-2 [001] ..... 1.0: lock_acquire: 02 lb',
    '  a-1 [000] ..... 3.0: lock_release: 01 la',
  ].join('\n');
  const s = parseTrace(text, { file: 'x' });
  assert.deepEqual([...s.line], [1, 2, 3]);
  assert.ok(s.warnings.some((w) => /kept in file order/.test(w.message)));
  const sorted = parseTrace(text, { file: 'x', sort: true });
  assert.deepEqual([...sorted.line], [2, 1, 3]);
  assert.equal(sorted.sorted, true);
});

test('syscalls:* in the trace-file shape and the trace-cmd/perf shape', () => {
  const ftrace = ['  p-5 [000] ..... 1.0: sys_flock(fd: 3, cmd: 2)', '  p-5 [000] ..... 1.1: sys_flock -> 0xfffffffffffffe00'].join('\n');
  const s = parseTrace(ftrace, { file: 'x' });
  assert.equal(s.kind[0], EventKind.SysEnter);
  assert.equal(s.names.get(s.ref[0]), 'flock');
  assert.equal(s.num[0], 73);
  const exit = [...Array(s.length).keys()].find((i) => s.kind[i] === EventKind.SysExit) as number;
  assert.equal(s.num[exit], -512);
  const perf = [
    '  p     5 [000]     1.0: syscalls:sys_enter_flock: fd: 0x00000003, cmd: 0x00000006',
    '  p     5 [000]     1.1: syscalls:sys_exit_flock: 0x0',
  ].join('\n');
  const p = parseTrace(perf, { file: 'x' });
  assert.equal(p.format, 'perf');
  // LOCK_EX|LOCK_NB that succeeded: a trylock acquisition at the exit.
  const acq = [...Array(p.length).keys()].find((i) => p.kind[i] === EventKind.Acquire) as number;
  assert.ok(acq >= 0);
  assert.ok(p.isTry(acq));
  assert.equal(p.line[acq], 2);
});

test('lock addresses in different printings are one lock', () => {
  const text = [
    '  a-1 [000] ..... 1.0: lock_acquire: 000000008a1c55e2 sb_writers',
    '  a-1 [000] ..... 1.1: lock_release: 0x8A1C55E2 sb_writers',
  ].join('\n');
  const s = parseTrace(text, { file: 'x' });
  assert.equal(s.locks.length, 1);
  assert.equal(analyze(s).findings.length, 0);
});

test('JSON Lines: header, events, sites, and field-level errors as warnings', () => {
  const text = [
    '{"type":"header","format":"locktrace","version":1}',
    '{"ev":"sys_enter","ts":1,"pid":7,"comm":"w","name":"write","args":[1,2,3]}',
    '{"ev":"acquire","ts":2,"pid":7,"comm":"w","lock":"0x10","class":"db_lock","lockKind":"mutex","site":{"fn":"main","file":"/s/a.c","line":12}}',
    '{"ev":"acquired","ts":3,"pid":7,"comm":"w","lock":"0x10"}',
    '{"ev":"acquire","ts":4,"pid":7,"comm":"w"}',
    'not json',
    '{"ev":"sys_exit","ts":5,"pid":7,"comm":"w","name":"write","ret":3}',
  ].join('\n');
  const s = parseTrace(text, { file: 'rec.ltrace' });
  assert.equal(s.format, 'jsonl');
  assert.equal(s.length, 4);
  assert.equal(s.sites.get(1)?.line, 12);
  assert.deepEqual(
    s.warnings.map((w) => w.line),
    [5, 6],
  );
  assert.match(s.warnings[0].message, /expected field "lock"/);
  // a userspace mutex held across the write's return is not a kernel leak
  assert.deepEqual(analyze(s).findings, []);
});

test('JSON Lines: an unknown version is a clear error', () => {
  const text = '{"type":"header","format":"locktrace","version":7}\n';
  assert.throws(
    () => parseTrace(text, { file: 'r' }),
    /^TraceError: r:1: unsupported locktrace format version 7 \(this reader knows version 1\)/,
  );
});

test('not a trace: a TraceError naming file, line and what was expected', () => {
  const err = (() => {
    try {
      parseTrace('\n\nthis is a shopping list\nmilk\n', { file: 'list.txt' });
    } catch (e) {
      return e;
    }
    return null;
  })();
  assert.ok(err instanceof TraceError);
  assert.equal(err.file, 'list.txt');
  assert.equal(err.line, 3);
  assert.match(err.message, /^list\.txt:3: expected a lock trace/);
  assert.throws(() => parseTrace('', { file: 'empty.trace' }), /empty\.trace: expected a lock trace/);
  // a forced format on the wrong content also names the first bad line
  assert.throws(() => parseTrace('hello\n'.repeat(30), { file: 'h', format: 'perf' }), /h:1: expected a perf script line/);
});

test('malformed lines inside a trace are warnings with line numbers', () => {
  const lines = SAMPLE.split('\n');
  lines[15] = 'garbage here';
  lines[16] = '       aio-writer-2101 [001] ..... 10231.000152: lock_acquire:';
  const s = parseTrace(lines.join('\n'), { file: 'x' });
  // line 17 was io_submit's sys_exit: the missing exit is reported where the next syscall starts
  assert.deepEqual(
    s.warnings.map((w) => w.line),
    [16, 17, 18],
  );
  assert.match(s.warnings[0].message, /expected an ftrace line/);
  assert.match(s.warnings[1].message, /expected lock_acquire/);
  assert.match(s.warnings[2].message, /io_submit entry has no matching exit/);
});

test('line splitter: offsets, CRLF, chunk boundaries anywhere, bounded memory on huge lines', () => {
  const text = 'ab\r\ncd\n\nlast';
  const bytes = new TextEncoder().encode(text);
  for (let cut = 0; cut <= bytes.length; cut++) {
    const got: string[] = [];
    const sp = new LineSplitter((t, n, off) => got.push(`${n}:${off}:${t}`));
    sp.push(bytes.subarray(0, cut));
    sp.push(bytes.subarray(cut));
    sp.end();
    assert.deepEqual(got, ['1:0:ab', '2:4:cd', '3:7:', '4:8:last'], `cut at ${cut}`);
  }
  const huge = new Uint8Array(MAX_LINE_BYTES * 3 + 10).fill(65);
  const seen: { len: number; truncated: boolean; off: number }[] = [];
  const sp = new LineSplitter((t, _n, off, truncated) => seen.push({ len: t.length, truncated, off }));
  for (let k = 0; k < huge.length; k += 1000) sp.push(huge.subarray(k, k + 1000));
  sp.push(new TextEncoder().encode('\nnext\n'));
  sp.end();
  assert.deepEqual(seen, [
    { len: MAX_LINE_BYTES, truncated: true, off: 0 },
    { len: 4, truncated: false, off: huge.length + 1 },
  ]);
});

test('UTF-8 comm names survive chunking', () => {
  const text = '  wörker-5 [000] ..... 1.0: lock_acquire: 01 la\n';
  const bytes = new TextEncoder().encode(text);
  const s = parseTrace(bytes, { file: 'x' });
  assert.equal(s.tasks[0].comm, 'wörker');
});

test('JSON Lines: acquired/release without a class refer to the lock acquired at that address', () => {
  const ev = (o: object) => JSON.stringify({ ts: 1, comm: 'w', ...o });
  const text = [
    ev({ ev: 'acquire', pid: 1, lock: '0xa', class: 'a_lock', lockKind: 'mutex' }),
    ev({ ev: 'acquired', pid: 1, lock: '0xa' }),
    ev({ ev: 'acquire', pid: 1, lock: '0xb', class: 'b_lock', lockKind: 'mutex' }),
    ev({ ev: 'acquired', pid: 1, lock: '0xb' }),
    ev({ ev: 'release', pid: 1, lock: '0xb' }),
    ev({ ev: 'release', pid: 1, lock: '0xa' }),
    ev({ ev: 'acquire', pid: 2, lock: '0xb', class: 'b_lock', lockKind: 'mutex' }),
    ev({ ev: 'acquired', pid: 2, lock: '0xb' }),
    ev({ ev: 'acquire', pid: 2, lock: '0xa', class: 'a_lock', lockKind: 'mutex' }),
  ].join('\n');
  const a = analyze(parseTrace(text, { file: 'x' }));
  assert.equal(a.store.locks.length, 2);
  assert.deepEqual(
    a.findings.map((f) => `${f.kind}@${f.line} ${f.order}`),
    ['inversion@9 userspace'],
  );
});

test('recorded call sites appear in inversion reports and cycle edges', () => {
  const ev = (o: object) => JSON.stringify({ ts: 1, comm: 'w', lockKind: 'mutex', ...o });
  const site = (line: number, fn: string) => ({ file: '/src/abba.c', line, fn });
  const text = [
    ev({ ev: 'acquire', pid: 1, lock: '0xa', class: 'db_lock', try: true, site: site(14, 'writer') }),
    ev({ ev: 'acquire', pid: 1, lock: '0xb', class: 'index_lock', site: site(15, 'writer') }),
    ev({ ev: 'release', pid: 1, lock: '0xb' }),
    ev({ ev: 'release', pid: 1, lock: '0xa' }),
    ev({ ev: 'acquire', pid: 2, lock: '0xb', class: 'index_lock', try: true, site: site(22, 'indexer') }),
    ev({ ev: 'acquire', pid: 2, lock: '0xa', class: 'db_lock', site: site(23, 'indexer') }),
  ].join('\n');
  const [f] = analyze(parseTrace(text, { file: 'x' })).findings;
  assert.match(f.message, /trying to acquire db_lock \(line 6, abba\.c:23 in indexer\)/);
  assert.match(f.message, /while holding index_lock \(acquired at line 5, abba\.c:22 in indexer\)/);
  const other = f.cycle?.find((e) => e.from === 'db_lock');
  assert.equal(other?.site, 'abba.c:15 in writer');
  assert.equal(other?.fromSite, 'abba.c:14 in writer');
});

test('an event printing the path of an open (an eprobe on sys_enter_openat) names the file lock by path', () => {
  const line = (ts: number, rest: string) => `        ls_flock-75      [001] ...1.     5.${String(ts).padStart(6, '0')}: ${rest}`;
  const text = [
    '# tracer: nop',
    line(1, 'sys_enter: NR 257 (ffffff9c, 7ffc515c7740, 42, 1a4, 0, 0)'),
    line(2, 'openat: (syscalls.sys_enter_openat) path="/mnt/lockA"'),
    line(3, 'sys_exit: NR 257 = 3'),
    // the eprobe's event may also come just before the raw syscall entry
    line(4, 'openat: (syscalls.sys_enter_openat) path="/mnt/lockB"'),
    line(5, 'sys_enter: NR 257 (ffffff9c, 7ffc515c7840, 42, 1a4, 0, 0)'),
    line(6, 'sys_exit: NR 257 = 4'),
    line(7, 'sys_enter: NR 73 (3, 2, 0, 0, 0, 0)'),
    line(8, 'sys_exit: NR 73 = 0'),
    line(9, 'sys_enter: NR 73 (4, 2, 0, 0, 0, 0)'),
    line(10, 'sys_exit: NR 73 = 0'),
  ].join('\n');
  const s = parseTrace(text, { file: 'x' });
  assert.deepEqual(
    s.locks.filter((l) => l.domain === 'file').map((l) => s.classes.get(l.classId)),
    ['flock /mnt/lockA', 'flock /mnt/lockB'],
  );
});

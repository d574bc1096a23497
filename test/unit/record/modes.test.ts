// The recorder's pure pieces for kernel locks, without tracefs: joining the stacktrace trigger's
// `<stack trace>` entries to their contention_begin, naming kernel locks (kallsyms, well-known
// callers, `KIND via CALLER`), the contention events the Converter writes, the kernel mode's header
// helpers (/proc/lockdep's shared class names, lockdep's report titles) and the mode choice.
import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { test } from 'node:test';
import { sharedNamesFromProcLockdep } from '../../../src/core/analysis/kernelClasses';
import { Converter } from '../../../src/record/convert';
import {
  ContentionNamer,
  hashPtrOffIsSafe,
  KernelSymbols,
  lockCaller,
  lockKindOfFlags,
  plainFunction,
  StackJoiner,
} from '../../../src/record/kcontention';
import { lockdepReports, sharedNames } from '../../../src/record/kernel';
import { resolveMode, unfinishedMessages } from '../../../src/record/recorder';
import { LOCK_FUNCTIONS, ProbeInfo } from '../../../src/record/probes';
import { Symbolizer } from '../../../src/record/symbolize';
import { RecordSetupError } from '../../../src/record/tracefs';

const line = (comm: string, pid: number, cpu: number, ts: string, rest: string) =>
  `${comm.padStart(16)}-${pid}   (  ${pid}) [00${cpu}] ...1.  ${ts}: ${rest}`;

test("StackJoiner: a stack printed after other CPUs' events joins its contention_begin, order kept", () => {
  const j = new StackJoiner();
  const out = [
    ...j.line(line('w', 10, 0, '100.000010', 'contention_begin: ffff888100000040 (flags=SPIN|MUTEX)')),
    ...j.line(line('r', 11, 1, '100.000011', 'sys_enter: NR 0 (3, 0, 80, 0, 0, 0)')),
    ...j.line(line('w', 10, 0, '100.000012', '<stack trace>')),
    ...j.line(' => trace_event_raw_event_contention_begin'),
    ...j.line(' => __mutex_lock.constprop.0'),
    ...j.line(' => anon_pipe_write'),
    ...j.line(' => vfs_write'),
    ...j.line(line('w', 10, 0, '100.000020', 'contention_end: ffff888100000040 (ret=0)')),
  ];
  assert.deepEqual(
    out.map((r) => [r.pid, r.name]),
    [
      [10, 'contention_begin'],
      [11, 'sys_enter'],
      [10, 'contention_end'],
    ],
  );
  assert.deepEqual(out[0].stack, ['trace_event_raw_event_contention_begin', '__mutex_lock.constprop.0', 'anon_pipe_write', 'vfs_write']);
});

test("StackJoiner: a contention_begin whose stack never comes is let go by its task's next event or the end", () => {
  const j = new StackJoiner();
  assert.deepEqual(j.line(line('w', 10, 0, '1.000001', 'contention_begin: ffff8881 (flags=SPIN)')), []);
  assert.deepEqual(j.line(line('x', 12, 1, '1.000002', 'sys_enter: NR 1 (1, 0, 0, 0, 0, 0)')), []);
  const next = j.line(line('w', 10, 0, '1.000003', 'contention_end: ffff8881 (ret=0)'));
  assert.deepEqual(
    next.map((r) => [r.name, r.stack]),
    [
      ['contention_begin', undefined],
      ['sys_enter', undefined],
      ['contention_end', undefined],
    ],
  );
  assert.deepEqual(j.line(line('w', 10, 0, '1.000004', 'contention_begin: ffff8881 (flags=SPIN)')), []);
  assert.deepEqual(
    j.end().map((r) => r.name),
    ['contention_begin'],
  );
});

test('kernel lock kinds, plain function names and the caller below the lock primitives', () => {
  assert.equal(lockKindOfFlags('SPIN|MUTEX'), 'mutex');
  assert.equal(lockKindOfFlags('SPIN'), 'spinlock');
  assert.equal(lockKindOfFlags('SPIN|READ'), 'rwlock');
  assert.equal(lockKindOfFlags('READ'), 'rwsem');
  assert.equal(lockKindOfFlags('WRITE'), 'rwsem');
  assert.equal(lockKindOfFlags('PERCPU|READ'), 'percpu rwsem');
  assert.equal(lockKindOfFlags('RT'), 'rt_mutex');
  assert.equal(plainFunction('anon_pipe_write.constprop.0+0x1c/0x40'), 'anon_pipe_write');
  assert.equal(
    lockCaller(['trace_event_raw_event_contention_begin', '__mutex_lock.constprop.0', 'anon_pipe_write', 'vfs_write']),
    'anon_pipe_write',
  );
  assert.equal(
    lockCaller(['trace_event_raw_event_contention_begin', 'queued_spin_lock_slowpath', '_raw_spin_lock', 'do_wp_page']),
    'do_wp_page',
  );
  assert.equal(lockCaller(['rwsem_down_read_slowpath', 'down_read', 'lock_mm_and_find_vma', 'do_user_addr_fault']), 'lock_mm_and_find_vma');
  assert.equal(lockCaller(['__mutex_lock']), undefined);
});

test('kernel locks named by kallsyms (static data), by well-known callers, else KIND via CALLER', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'lt-kallsyms-'));
  const file = path.join(dir, 'kallsyms');
  fs.writeFileSync(
    file,
    [
      '0000000000000000 A fixed_percpu_data',
      '0000000000001000 D runqueues',
      'ffffffff81000000 T _stext',
      'ffffffff81000100 T do_wp_page',
      'ffffffff82000000 D _sdata',
      'ffffffff82001000 d tasklist_lock',
      'ffffffff82001040 D some_table',
      'ffffffff83000000 B _end',
      'ffffffffc0001000 d mod_lock\t[lockmod]',
      '',
    ].join('\n'),
  );
  try {
    const syms = new KernelSymbols(file);
    assert.equal(syms.lookup(0xffffffff82001000n), 'tasklist_lock');
    assert.equal(syms.lookup(0xffffffff82001048n), 'some_table+0x8');
    assert.equal(syms.lookup(0xffffffffc0001000n), 'mod_lock');
    assert.equal(syms.lookup(0xffff888100001000n), undefined, 'heap');
    assert.equal(syms.lookup(0x1000n), undefined, 'percpu offsets are not addresses');
    const n = new ContentionNamer(syms);
    assert.equal(n.name(0xffffffff82001000n, 'SPIN|READ', ['queued_read_lock_slowpath', 'do_wait']), 'tasklist_lock');
    assert.equal(
      n.name(0xffff888100000100n, 'WRITE', ['rwsem_down_write_slowpath', 'down_write_killable', 'vm_mmap_pgoff']),
      '&mm->mmap_lock',
    );
    assert.equal(n.name(0xffff888100000200n, 'SPIN|MUTEX', ['__mutex_lock.constprop.0', 'anon_pipe_write']), '&pipe->mutex');
    assert.equal(
      n.name(0xffff888100000280n, 'WRITE', ['rwsem_down_write_slowpath', 'down_write', 'ext4_buffered_write_iter']),
      '&sb->s_type->i_mutex_key',
    );
    assert.equal(
      n.name(0xffff888100000300n, 'SPIN', ['queued_spin_lock_slowpath', '_raw_spin_lock', 'do_wp_page']),
      'spinlock via do_wp_page',
    );
    // one class per address: its first sighting names it
    assert.equal(n.name(0xffff888100000300n, 'SPIN', ['queued_spin_lock_slowpath', 'other_fn']), 'spinlock via do_wp_page');
    assert.equal(n.name(0xffff888100000400n, 'SPIN', undefined), 'spinlock 0xffff888100000400');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('Converter: contention events become JSONL with the lock, its class, the caller site and the stack', () => {
  const conv = new Converter({
    probes: new Map(),
    sym: new Symbolizer(),
    nrNames: new Map([[1, 'write']]),
    rootPid: 10,
    waitExec: false,
    cwd: '/',
    contention: new ContentionNamer(new KernelSymbols('/nonexistent')),
  });
  const j = new StackJoiner();
  const recs = [
    ...j.line(line('w', 10, 0, '5.000001', 'contention_begin: ffff888100000040 (flags=SPIN|MUTEX)')),
    ...j.line(line('w', 10, 0, '5.000002', '<stack trace>')),
    ...j.line(' => __mutex_lock.constprop.0'),
    ...j.line(' => anon_pipe_write'),
    ...j.line(line('w', 10, 0, '5.000009', 'contention_end: ffff888100000040 (ret=0)')),
    ...j.end(),
  ];
  const evs = recs.flatMap((r) => conv.feed(r));
  assert.deepEqual(
    evs.map(({ ts: _t, comm: _c, cpu: _u, tgid: _g, pid: _p, ...rest }) => rest),
    [
      {
        ev: 'contention_begin',
        lock: '0xffff888100000040',
        class: '&pipe->mutex',
        lockKind: 'kernel',
        flags: 'SPIN|MUTEX',
        site: { fn: 'anon_pipe_write' },
        stack: ['__mutex_lock.constprop.0', 'anon_pipe_write'],
      },
      { ev: 'contention_end', lock: '0xffff888100000040', ret: 0 },
    ],
  );
});

test('kernel mode header helpers: shared class names (as the analysis reads them) and lockdep report titles', () => {
  const proc = [
    'all lock classes:',
    'ffffffff82a1c2b8 FD:    1 BD:    1 ....: &xa->xa_lock#2',
    'ffffffff82a1c2c8 FD:    1 BD:    1 +.+.: &dev->a_lock',
    'ffffffff82a1c2d8 FD:    3 BD:    2 ++++: sb_writers#3/1',
    '',
  ].join('\n');
  assert.deepEqual(sharedNames(proc), ['&xa->xa_lock', 'sb_writers']);
  assert.deepEqual(sharedNames(proc), sharedNamesFromProcLockdep(proc));
  const dmesg = [
    '[   12.000000] ',
    '[   12.000001] ======================================================',
    '[   12.000002] WARNING: possible circular locking dependency detected',
    '[   12.000003] 6.1.0 #1 Not tainted',
    '[   12.000004] ------------------------------------------------------',
    '[   12.000005] WARNING: this is not a title',
  ];
  assert.deepEqual(lockdepReports(dmesg), ['WARNING: possible circular locking dependency detected']);
});

test('mode choice: auto picks kernel, then contention, then user; kernel and contention need their events', () => {
  assert.equal(resolveMode('auto', { lockdep: true, contention: true }), 'kernel');
  assert.equal(resolveMode('auto', { lockdep: false, contention: true }), 'contention');
  assert.equal(resolveMode('auto', { lockdep: false, contention: false }), 'user');
  assert.equal(resolveMode('user', { lockdep: true, contention: true }), 'user');
  assert.throws(
    () => resolveMode('kernel', { lockdep: false, contention: true }),
    (e: Error) => e instanceof RecordSetupError && /--contention/.test(e.message),
  );
  assert.throws(() => resolveMode('contention', { lockdep: false, contention: false }), RecordSetupError);
});

test('raw pointers (hash-ptr off) only where the kernel prints the %s after a %p correctly (6.13+)', () => {
  assert.equal(hashPtrOffIsSafe('6.1.192'), false);
  assert.equal(hashPtrOffIsSafe('6.12.9-amd64'), false);
  assert.equal(hashPtrOffIsSafe('6.13.0'), true);
  assert.equal(hashPtrOffIsSafe('6.18.44-fc-v1252'), true);
  assert.equal(hashPtrOffIsSafe('7.0.1'), true);
  assert.equal(hashPtrOffIsSafe('5.19.0'), false);
});

test('Converter: lock calls without a recorded return are told apart: still waiting, or the return went missing', () => {
  const probe = (event: string, ret: boolean): [string, ProbeInfo] => [
    event,
    { event, ret, file: '/nonexistent/libc.so.6', symValue: 0n, fn: 'pthread_mutex_lock', lock: LOCK_FUNCTIONS[0] },
  ];
  const conv = new Converter({
    probes: new Map([probe('lock_entry', false), probe('lock_return', true)]),
    sym: new Symbolizer(),
    nrNames: new Map([[1, 'write']]),
    rootPid: 4_100_000,
    waitExec: false,
    cwd: '/',
  });
  const j = new StackJoiner();
  const recs = [
    // task A: a call whose return probe was dropped, then a completed call and a syscall
    line('a', 4_100_001, 0, '5.000001', 'lock_entry: (0x1000) lock=0x5000 ra=0x2000'),
    line('a', 4_100_001, 0, '5.000002', 'lock_entry: (0x1000) lock=0x6000 ra=0x2000'),
    line('a', 4_100_001, 0, '5.000003', 'lock_return: (0x2000 <- 0x1000) ret=0x0'),
    line('a', 4_100_001, 0, '5.000004', 'sys_enter: NR 1 (1, 0, 0, 0, 0, 0)'),
    // task B: blocked in its call when the recording stopped
    line('b', 4_100_002, 1, '5.000005', 'lock_entry: (0x1000) lock=0x6000 ra=0x2000'),
  ].flatMap((l) => j.line(l));
  for (const r of [...recs, ...j.end()]) conv.feed(r);
  const calls = conv.unfinished();
  assert.deepEqual(
    calls.map((c) => [c.comm, c.pid, c.fn, c.lock, c.wentOn]),
    [
      ['a', 4_100_001, 'pthread_mutex_lock', '0x5000', true],
      ['b', 4_100_002, 'pthread_mutex_lock', '0x6000', false],
    ],
  );
  const text = unfinishedMessages(calls).join('\n');
  assert.match(
    text,
    /^note: 1 lock call\(s\) had not returned when the recording stopped .*\n {2}b\/4100002: pthread_mutex_lock\(0x6000\) called at 5\.000005/m,
  );
  assert.match(
    text,
    /^warning: the return of 1 lock call\(s\) was not recorded although the task went on .*\n {2}a\/4100001: pthread_mutex_lock\(0x5000\)/m,
  );
  assert.deepEqual(unfinishedMessages([]), []);
});

// Kernel logs read as lock traces. Data-driven: every log under test/fixtures/kernel-log/ states
// its findings, written by hand (real logs: real/expect.json; hand-written logs in other kernels'
// formats: `# expect: {json}` header lines, a line without "kind" adding to the finding above it),
// and the analysis must give exactly those findings, matched field by field for the fields given.
// Then the line readers, the stack contexts, detection, replay through a report, and the bounds.

import { strict as assert } from 'node:assert';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { EventKind, Replay, TraceParser, analyze, detectFormat, parseTrace, toJsonReport } from '../../../src/core';
import type { Analysis, StackFrame } from '../../../src/core';
import {
  KernelLogReader,
  MAX_FRAMES,
  MAX_REPORTS,
  contextOfStack,
  parseFrame,
  parseLockLine,
  parseReport,
  stripPrefix,
  syscallOfStack,
  usageStates,
} from '../../../src/core/kernelLog';
import { repoRoot } from '../helpers';

const dir = path.join(repoRoot, 'test/fixtures/kernel-log');
/** The real captures (test/kernel/ recipe): `capture('abba')` is abba's dmesg. */
const captures = path.join(repoRoot, 'test/fixtures/kernel');
const capture = (name: string): string => path.join(captures, name, 'dmesg.txt');

/** `actual` has every field `want` gives (objects field by field, arrays element by element and of the same length). */
function matches(actual: unknown, want: unknown, where: string): void {
  if (want === null || typeof want !== 'object') {
    assert.deepEqual(actual, want, where);
    return;
  }
  if (Array.isArray(want)) {
    assert.ok(Array.isArray(actual), `${where}: expected an array, got ${JSON.stringify(actual)}`);
    assert.equal(actual.length, want.length, `${where}: length of ${JSON.stringify(actual)}`);
    want.forEach((w, k) => matches(actual[k], w, `${where}[${k}]`));
    return;
  }
  assert.ok(actual && typeof actual === 'object', `${where}: expected an object, got ${JSON.stringify(actual)}`);
  for (const [k, w] of Object.entries(want)) matches((actual as Record<string, unknown>)[k], w, `${where}.${k}`);
}

function headerExpectations(text: string): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const m of text.matchAll(/^# expect: (.*)$/gm)) {
    const e = JSON.parse(m[1]) as Record<string, unknown>;
    if ('kind' in e || out.length === 0) out.push(e);
    else Object.assign(out[out.length - 1], e);
  }
  return out;
}

/** The invariants every kernel-log analysis keeps, whatever the log. */
function checkInvariants(a: Analysis, lines: number): void {
  const s = a.store;
  const log = s.kernelLog;
  assert.ok(log, 'the store carries its kernel log');
  assert.equal(log.events.length, s.length, 'one event record per event');
  for (let i = 1; i < s.length; i++) assert.ok(s.line[i] >= s.line[i - 1], `event lines ascend at ${i}`);
  if (s.length) assert.ok(s.line[s.length - 1] <= lines, 'event lines are in the log');
  for (const f of a.findings) {
    assert.ok(f.line >= 1 && f.line <= lines, `finding line ${f.line} in range`);
    assert.equal(s.line[f.eventIndex], f.line, 'a finding points at its title event');
    for (const e of f.cycle ?? []) assert.ok(e.eventIndex >= 0 && e.eventIndex < s.length);
  }
  const r = new Replay(a);
  for (const i of [s.length - 1, 0, Math.floor(s.length / 2)]) if (i >= 0) r.view(i);
  // every report ends with nothing held: the next one starts clean
  if (s.length) for (const t of r.view(s.length - 1).tasks) assert.deepEqual(t.held, [], `${t.comm} holds nothing at the end`);
}

function analyzeFile(file: string): Analysis {
  const text = fs.readFileSync(file);
  const a = analyze(parseTrace(text, { file: path.basename(file) }));
  assert.equal(a.store.format, 'kernel-log', `${path.basename(file)} is detected as a kernel log`);
  checkInvariants(a, text.toString('utf8').split('\n').length);
  return a;
}

function checkFindings(a: Analysis, want: Record<string, unknown>[], name: string): void {
  const got = toJsonReport(a).findings;
  const summary = got.map((f) => `${f.kind} line=${f.line} ${f.comm}/${f.pid} locks=${f.locks.join(',')}`).join('\n');
  assert.equal(got.length, want.length, `${name}: findings were\n${summary}`);
  want.forEach((w, k) => matches(got[k], w, `${name} finding ${k}`));
}

const handWritten = fs.readdirSync(dir).filter((f) => /\.(txt|log)$/.test(f));

test('the kernel-log fixtures exist', () => {
  assert.ok(handWritten.length >= 10, `hand-written fixtures: ${handWritten.length}`);
  const real = JSON.parse(fs.readFileSync(path.join(dir, 'real/expect.json'), 'utf8')) as { files: Record<string, unknown> };
  assert.ok(Object.keys(real.files).length >= 12);
});

for (const f of handWritten) {
  test(`kernel log (hand-written): ${f}`, () => {
    const text = fs.readFileSync(path.join(dir, f), 'utf8');
    assert.match(text, /^# .*(?:Format|format):/m, `${f} says which format it is written in`);
    const want = headerExpectations(text);
    assert.ok(want.length > 0, `${f} has # expect: lines`);
    checkFindings(analyzeFile(path.join(dir, f)), want, f);
  });
}

{
  const real = JSON.parse(fs.readFileSync(path.join(dir, 'real/expect.json'), 'utf8')) as {
    files: Record<string, Record<string, unknown>[]>;
  };
  for (const [f, want] of Object.entries(real.files)) {
    test(`kernel log (real): ${f}`, () => checkFindings(analyzeFile(path.join(repoRoot, f)), want, f));
  }
}

/** What the capture recipe's own oracle (test/kernel/expect-draft.mjs, checked by hand) says each dmesg reports. */
interface CaptureExpect {
  lockdepReports: { kind: string; dmesgLine: number; task: { comm: string; pid: number } | null; locks: string[] }[];
}

test('every real capture: the reports its expect.json lists, with their lines, tasks and classes', () => {
  const names = fs.readdirSync(captures).filter((d) => fs.existsSync(path.join(captures, d, 'expect.json')) && fs.existsSync(capture(d)));
  assert.ok(names.length >= 20, `captures: ${names.length}`);
  for (const name of names) {
    const want = (JSON.parse(fs.readFileSync(path.join(captures, name, 'expect.json'), 'utf8')) as CaptureExpect).lockdepReports;
    const got = analyzeFile(capture(name)).findings;
    assert.deepEqual(
      got.map((f) => [f.kind, f.line, f.comm, f.pid, [...f.locks].sort()]),
      want.map((r) => [r.kind, r.dmesgLine, r.task?.comm, r.task?.pid, [...r.locks].sort()]),
      name,
    );
  }
});

// --- line readers ------------------------------------------------------------------------------

test('log prefixes: timestamps, dates, caller ids, journal, kmsg, levels, colours, CRs', () => {
  const cases: [string, string, string][] = [
    ['[   11.479473] WARNING: x', 'WARNING: x', 'm|'],
    ['[   45.123456][ T5012] WARNING: x', 'WARNING: x', 'm|T5012'],
    ['[   45.1][    C1]  #0: ffff', ' #0: ffff', 'm|C1'],
    ['[    T1] Run /init', 'Run /init', '|T1'],
    ['Dec 03 15:56:54 vm kernel: WARNING: y', 'WARNING: y', 'journal|'],
    ['2026-12-03T15:56:54+0000 vm kernel: hello', 'hello', 'journal|'],
    ['Dec  3 15:56:54 vm kernel: [   11.4] both', 'both', 'journalm|'],
    ['<4>[   12.3] foo', 'foo', 'lm|'],
    ['4,1234,11479473,-,caller=T7;WARNING: z', 'WARNING: z', 'kmsg|T7'],
    ['\x1b[32m[   11.0]\x1b[0m \x1b[1;31mred\x1b[0m\r', 'red', 'm|'],
    ['[Tue Dec  3 15:56:54 2026] WARNING', 'WARNING', 'd|'],
    ['kern  :warn  : [   11.4] msg', 'msg', 'xm|'],
    ['executing program 1:', 'executing program 1:', ''],
  ];
  for (const [raw, text, stream] of cases) {
    const k = stripPrefix(raw);
    assert.equal(k.text, text, raw);
    assert.equal(k.stream, stream, raw);
  }
  assert.equal(stripPrefix('[   11.479473] x').ts, 11.479473);
});

test('stack frames in every shape', () => {
  const f = (s: string): StackFrame | null => parseFrame(s, 7);
  assert.deepEqual(f('       __mutex_lock+0x16f/0x1a80 kernel/locking/mutex.c:893'), {
    fn: '__mutex_lock',
    line: 7,
    offset: '0x16f',
    size: '0x1a80',
    source: { file: 'kernel/locking/mutex.c', line: 893 },
  });
  assert.equal(f('       __mutex_lock_common kernel/locking/mutex.c:756 [inline]')?.inline, true);
  assert.equal(f('  lockseed_ioctl+0x40/0xda [lockseed]')?.module, 'lockseed');
  assert.equal(f('  lockseed_ioctl+0x40/0xda [lockseed 5c1e0a1b2c3d]')?.module, 'lockseed');
  assert.equal(f(' ? __lock_acquire+0x1a/0x2b')?.unreliable, true);
  assert.equal(f(' [<ffffffff810a0bf1>] ? lock_acquire+0x91/0x1f0')?.address, 'ffffffff810a0bf1');
  assert.deepEqual(f('mark_lock_irq (kernel/locking/lockdep.c:4013 kernel/locking/lockdep.c:4059)')?.source, {
    file: 'kernel/locking/lockdep.c',
    line: 4013,
  });
  assert.equal(f('common_interrupt (arch/x86/kernel/irq.c:278 (discriminator 14))')?.fn, 'common_interrupt');
  assert.equal(f(' show_stack+0x18/0x24 (C)')?.fn, 'show_stack');
  assert.equal(f(' [<ffffffffc0012345>] 0xffffffffc0012345')?.fn, '0xffffffffc0012345');
  for (const notFrame of [
    '  lock(&dev->a_lock);',
    'Call Trace:',
    'Hardware name: QEMU (i440FX + PIIX, 1996)',
    '6.1.192 #2 Not tainted',
    'swapper/0',
    'RIP: 0010:x+0x1/0x2',
  ])
    assert.equal(f(notFrame), null, notFrame);
});

test('lock lines: class names with #N and /N, usage bits, wait types, addresses, `at:`', () => {
  const l = parseLockLine(
    ' #1: ff600000114c8400 (&type->i_mutex_dir_key#5/1){++++}-{3:3}, at: inode_lock_shared include/linux/fs.h:766 [inline]',
    3,
  );
  assert.ok(l);
  assert.equal(l.index, 1);
  assert.deepEqual(
    { name: l.lock.name, base: l.lock.base, version: l.lock.version, subclass: l.lock.subclass, usage: l.lock.usage, wait: l.lock.wait },
    {
      name: '&type->i_mutex_dir_key#5/1',
      base: '&type->i_mutex_dir_key',
      version: 5,
      subclass: 1,
      usage: '++++',
      wait: { outer: 3, inner: 3 },
    },
  );
  assert.equal(l.lock.address, 'ff600000114c8400');
  assert.equal(l.lock.at?.[0].fn, 'inode_lock_shared');
  assert.equal(parseLockLine(' (&mm->mmap_sem){++++++}, at: [<ffffffff8106c1b0>] __do_page_fault+0x1c0/0x4f0', 1)?.lock.usage, '++++++');
  assert.equal(parseLockLine('ffffc90000003e70 ((&dev->timer)){+.-.}-{0:0}, at: call_timer_fn+0x5/0x10', 1)?.lock.name, '(&dev->timer)');
  assert.equal(parseLockLine(' ((wq_completion)events){+.+.}-{0:0}', 1)?.lock.name, '(wq_completion)events');
  assert.equal(parseLockLine(' (&(&ctx->ctx_lock)->rlock){..-.}, at: x+0x1/0x2', 1)?.lock.name, '&(&ctx->ctx_lock)->rlock');
  assert.equal(parseLockLine(' (which is held)', 1), null);
  assert.deepEqual(usageStates('+.?.'), ['HARDIRQ-ON-W', 'IN-SOFTIRQ-W', 'SOFTIRQ-ON-W']);
  assert.deepEqual(usageStates('..-.'), ['IN-SOFTIRQ-W']);
});

// --- contexts ----------------------------------------------------------------------------------

const stack = (...fns: string[]): StackFrame[] =>
  fns.map((fn, line) => (fn.startsWith('? ') ? { fn: fn.slice(2), line, unreliable: true } : { fn, line }));

test('syscalls from entry frames: wrappers, old and compat names, the frame above do_syscall_64', () => {
  const sys = (...fns: string[]) => syscallOfStack(stack(...fns));
  assert.deepEqual(sys('vfs_ioctl', '__x64_sys_ioctl', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe'), {
    name: 'ioctl',
    compat: false,
  });
  assert.deepEqual(sys('x', '__do_sys_ioctl', '__se_sys_ioctl', '__x64_sys_ioctl', 'x64_sys_call', 'do_syscall_64'), {
    name: 'ioctl',
    compat: false,
  });
  assert.deepEqual(sys('vfs_write', 'ksys_write', 'do_syscall_64'), { name: 'write', compat: false });
  assert.deepEqual(sys('vm_mmap_pgoff', 'SyS_mmap_pgoff', 'SyS_mmap', 'system_call_fastpath'), { name: 'mmap', compat: false });
  assert.deepEqual(sys('x', '__ia32_compat_sys_ioctl', 'do_fast_syscall_32', 'entry_SYSENTER_compat'), { name: 'ioctl', compat: true });
  assert.deepEqual(sys('x', 'compat_SyS_ioctl', 'sysenter_dispatch'), { name: 'ioctl', compat: true });
  assert.deepEqual(sys('x', '__arm64_sys_read', 'invoke_syscall', 'el0_svc_common.constprop.0', 'do_el0_svc', 'el0_svc'), {
    name: 'read',
    compat: false,
  });
  assert.deepEqual(sys('lockseed_ioctl', 'vfs_ioctl', 'do_syscall_64', 'entry_SYSCALL_64_after_hwframe'), {
    name: 'vfs_ioctl',
    compat: false,
  });
  assert.deepEqual(
    sys('x', '? __x64_sys_ioctl', 'do_syscall_64'),
    { name: 'x', compat: false },
    'unreliable frames never name the syscall',
  );
  assert.equal(
    sys('do_exit', 'get_signal', 'arch_do_signal_or_restart', 'syscall_exit_to_user_mode', 'entry_SYSCALL_64_after_hwframe')?.name,
    null,
  );
  assert.equal(sys('worker_fn', 'process_one_work', 'worker_thread', 'kthread', 'ret_from_fork'), undefined);
});

test('contexts: kthread, workqueue, softirq, hardirq, NMI, fault, boot, idle', () => {
  const ctx = (...fns: string[]) => contextOfStack(stack(...fns));
  // the thread function is the frame kthread() called
  assert.deepEqual(ctx('mutex_lock', 'poll_one', 'poll_thread', 'kthread', 'ret_from_fork'), {
    kind: 'kthread',
    function: 'poll_thread',
    label: 'kthread poll_thread',
  });
  assert.equal(ctx('dump_stack_lvl', 'do_exit', '? thread_fn', 'kthread_exit', 'kthread', 'ret_from_fork').label, 'kthread');
  assert.equal(ctx('x', 'work_fn', 'process_one_work', 'worker_thread', 'kthread', 'ret_from_fork').function, 'work_fn');
  const soft = ctx(
    '_raw_spin_lock',
    'timer_fn',
    'call_timer_fn',
    'run_timer_softirq',
    '__do_softirq',
    'irq_exit_rcu',
    'sysvec_apic_timer_interrupt',
    'asm_sysvec_apic_timer_interrupt',
    'lockseed_ioctl',
    '__x64_sys_ioctl',
    'do_syscall_64',
  );
  assert.deepEqual(soft, {
    kind: 'softirq',
    function: 'timer_fn',
    interrupted: 'syscall ioctl',
    label: 'softirq timer_fn (interrupted syscall ioctl)',
  });
  assert.equal(ctx('x', 'handler', 'run_ksoftirqd', 'smpboot_thread_fn', 'kthread').interrupted, 'ksoftirqd');
  const hard = ctx(
    '_raw_spin_lock',
    'irq_fn',
    '__handle_irq_event_percpu',
    'handle_irq_event',
    'handle_edge_irq',
    'common_interrupt',
    'asm_common_interrupt',
    'default_idle',
    'do_idle',
    'cpu_startup_entry',
  );
  assert.deepEqual(hard, { kind: 'hardirq', function: 'irq_fn', interrupted: 'idle', label: 'hardirq irq_fn (interrupted idle)' });
  assert.equal(ctx('x', 'perf_event_nmi_handler', 'nmi_handle', 'default_do_nmi', 'exc_nmi').kind, 'nmi');
  assert.deepEqual(
    ctx('mutex_lock', 'vdev_fault', '__do_fault', 'handle_mm_fault', 'do_user_addr_fault', 'exc_page_fault', 'asm_exc_page_fault'),
    {
      kind: 'fault',
      syscall: null,
      label: 'page fault',
    },
  );
  assert.equal(
    ctx('x', 'filldir', 'asm_exc_page_fault', 'copy_user', 'vfs_readdir', '__x64_sys_getdents64', 'do_syscall_64').label,
    'page fault in syscall getdents64',
  );
  assert.equal(ctx('x', 'vdev_init', 'do_one_initcall', 'kernel_init_freeable', 'kernel_init', 'ret_from_fork').label, 'boot vdev_init');
  assert.equal(
    ctx('x', 'mod_init', 'do_one_initcall', 'do_init_module', 'load_module', '__x64_sys_finit_module', 'do_syscall_64').label,
    'syscall finit_module',
  );
  assert.equal(ctx('x', 'sched_init', 'start_kernel', 'x86_64_start_kernel').kind, 'boot');
  assert.equal(ctx('x', 'default_idle_call', 'do_idle', 'cpu_startup_entry', 'rest_init', 'start_kernel').kind, 'idle');
  assert.equal(ctx('x', '? process_one_work').kind, 'unknown');
});

// --- detection and parsing -----------------------------------------------------------------------

test('detection: dmesg, journal and reports without prefixes are kernel logs; traces stay traces', () => {
  assert.equal(detectFormat(['[    0.000000] Linux version 6.1.192', '[    0.000000] Command line: x']), 'kernel-log');
  assert.equal(detectFormat(['Dec 03 15:56:54 vm kernel: Linux version 6.1', 'Dec 03 15:56:54 vm kernel: x']), 'kernel-log');
  assert.equal(detectFormat(['======', 'WARNING: possible recursive locking detected', '6.1.0 #1 Not tainted']), 'kernel-log');
  assert.equal(detectFormat(['# tracer: nop', '  t1-10 [000] ..... 100.000013: sys_enter: NR 1 (0, 0, 0, 0, 0, 0)']), 'ftrace');
  assert.equal(detectFormat(['dear diary', 'nothing to see']), null);
});

test('a fuzzer log whose report starts far down is still read; text without a report is not a trace', () => {
  const noise = Array.from({ length: 300 }, (_, k) => `2026/12/03 15:56:54 executing program ${k}:`);
  const report = fs.readFileSync(capture('abba'), 'utf8').split('\n').slice(194, 262);
  const a = analyze(parseTrace([...noise, ...report].join('\n'), { file: 'fuzz.log' }));
  assert.equal(a.store.format, 'kernel-log');
  assert.deepEqual(
    a.findings.map((f) => [f.kind, f.line]),
    [['inversion', 305]],
  );
  assert.throws(() => parseTrace(noise.join('\n'), { file: 'noise.log' }), /noise\.log:1: expected a lock trace/);
  // forced: a kernel log without reports is an empty analysis, not an error
  const empty = analyze(parseTrace(noise.join('\n'), { file: 'noise.log', format: 'kernel-log' }));
  assert.deepEqual(empty.findings, []);
});

test('reports are found in chunks of any size, and from interleaved caller streams', () => {
  const text = fs.readFileSync(path.join(dir, 'console-callerid-crlf.log'));
  const whole = JSON.stringify(toJsonReport(analyze(parseTrace(text, { file: 'x' }))).findings);
  for (const chunk of [1, 7, 64, 4096]) {
    const p = new TraceParser({ file: 'x' });
    for (let k = 0; k < text.length; k += chunk) p.push(text.subarray(k, k + chunk));
    assert.equal(JSON.stringify(toJsonReport(analyze(p.end())).findings), whole, `chunks of ${chunk}`);
  }
  // two reports whose lines interleave (two CPUs printing at once, caller ids tell them apart)
  const a = fs.readFileSync(capture('abba'), 'utf8').split('\n').slice(195, 262);
  const b = fs.readFileSync(capture('badunlock'), 'utf8').split('\n').slice(194, 222);
  const mixed: string[] = [];
  for (let k = 0; k < Math.max(a.length, b.length); k++) {
    if (k < a.length) mixed.push(a[k].replace(/^(\[[^\]]*\])/, '$1[ T66]'));
    if (k < b.length) mixed.push(b[k].replace(/^(\[[^\]]*\])/, '$1[ T68]'));
  }
  const m = analyze(parseTrace(mixed.join('\n'), { file: 'mixed' }));
  // the bad unlock's title is printed first in the interleaving
  assert.deepEqual(
    m.findings.map((f) => `${f.kind} ${f.comm}/${f.pid} ${f.locks.join(',')}`),
    ['bad-unlock ls_seed/68 &dev->unbal_lock', 'inversion ls_seed/66 &dev->a_lock,&dev->b_lock'],
  );
  assert.ok(m.findings.every((f) => (f.kind === 'inversion' ? f.cycle?.length === 2 : f.locks.length === 1)));
  checkInvariants(m, mixed.length);
});

// --- the debugger's view: stepping through a report --------------------------------------------

test('replay steps through a circular report: each edge, the held list, then the acquiring task waiting', () => {
  const a = analyzeFile(capture('ring3'));
  const s = a.store;
  const log = s.kernelLog;
  assert.ok(log);
  const roles = log.events.map((e) => `${e.role}${e.edge !== undefined ? `#${e.edge}` : ''}@${s.line[log.events.indexOf(e)]}`);
  assert.deepEqual(roles, [
    'title@197',
    'edge-from#2@211',
    'edge#2@211',
    'edge-from#1@219',
    'edge#1@219',
    'edge-from#0@227',
    'edge#0@227',
    'held@254',
    'acquire@256',
    // the report ends with its backtrace's </TASK> (line 286); each lock given is released there
    'end@286',
    'end@286',
    'end@286',
    'end@286',
    'end@286',
    'end@286',
    'end@286',
    'end@286',
  ]);
  const r = new Replay(a);
  // the edge #2 step: its pseudo-task holds #1's class and has just taken #2's, with #2's stack from the log
  const e2 = log.events.findIndex((e) => e.role === 'edge' && e.edge === 2);
  const t2 = r.view(e2).tasks.find((t) => t.taskId === s.task[e2]);
  assert.deepEqual(
    t2?.held.map((h) => h.className),
    ['&dev->b_lock', '&dev->c_lock'],
  );
  assert.ok(t2 && t2.pid < 0, 'chain edges are pseudo-tasks (lockdep does not say who made them)');
  assert.equal(log.events[e2].stack?.[0].fn, '__mutex_lock');
  assert.equal(log.events[e2].context?.label, 'syscall ioctl');
  // the last stop of the report: the reporting task holds c_lock and waits for a_lock
  const acq = log.events.findIndex((e) => e.role === 'acquire');
  const task = r.view(acq).tasks.find((t) => t.pid === 68);
  assert.deepEqual(
    task?.held.map((h) => [h.className, h.pending]),
    [
      ['&dev->c_lock', false],
      ['&dev->a_lock', true],
    ],
  );
  assert.equal(s.kind[acq], EventKind.Acquire);
  assert.equal(a.findings[0].eventIndex, 0, 'the finding stops at the title');
  // the lock graph holds the whole ring, every edge labelled with its context
  assert.deepEqual(
    a.graph
      .edges()
      .map((k) => k.replace('\u0000', ' -> '))
      .sort(),
    ['&dev->a_lock -> &dev->b_lock', '&dev->b_lock -> &dev->c_lock', '&dev->c_lock -> &dev->a_lock'],
  );
  assert.equal(a.graph.getEdgeAttribute('&dev->b_lock\u0000&dev->c_lock', 'context')?.label, 'syscall ioctl');
});

test('held across a return to user space: the task is left holding the lock, marked as crossing', () => {
  const a = analyzeFile(capture('xsyscall'));
  const r = new Replay(a);
  const log = a.store.kernelLog;
  const ret = log ? log.events.findIndex((e) => e.role === 'return') : -1;
  assert.ok(ret > 0);
  const t = r.view(ret).tasks.find((x) => x.pid === 64);
  assert.deepEqual(
    t?.held.map((h) => [h.className, h.acrossSyscall]),
    [['&dev->a_lock', true]],
  );
});

test('one lock graph for all reports of a log', () => {
  const a = analyzeFile(path.join(dir, 'journalctl-k-two-boots.txt'));
  // the held list of the second boot's report is a nesting the worker was in
  assert.deepEqual(
    a.graph
      .edges()
      .map((k) => k.replace('\u0000', ' -> '))
      .sort(),
    [
      '(work_completion)(&obj->release_work) -> &obj->lock',
      '(wq_completion)events -> &obj->lock',
      '(wq_completion)events -> (work_completion)(&obj->release_work)',
    ],
  );
  // two identical reports from two boots: one finding seen twice, and each edge counted twice
  const b = analyzeFile(path.join(dir, 'console-three-boots-grouped.log'));
  assert.deepEqual(
    b.graph
      .edges()
      .map((k) => `${k.replace('\u0000', ' -> ')} x${b.graph.getEdgeAttribute(k, 'count')}`)
      .sort(),
    ['&dev->a_lock -> &dev->b_lock x2', '&dev->b_lock -> &dev->a_lock x2'],
  );
  assert.equal(b.graph.getEdgeAttribute('&dev->a_lock\u0000&dev->b_lock', 'crossSyscall'), true);
});

// --- bounds ------------------------------------------------------------------------------------

test('bounded memory: absurd lines, endless stacks, endless held lists, too many reports', () => {
  const base = fs.readFileSync(capture('abba'), 'utf8').split('\n');
  const chainAt = base.findIndex((l) => l.includes('-> #1'));
  // a 5 MB line and 100,000 frames inside the chain entry
  const frames = Array.from({ length: 100_000 }, (_, k) => `[    5.409857]        f${k}+0x9e/0x350`);
  const big = [...base.slice(0, chainAt + 1), 'x'.repeat(5_000_000), ...frames, ...base.slice(chainAt + 1)];
  const s = parseTrace(big.join('\n'), { file: 'big' });
  assert.ok(s.warnings.some((w) => /longer than/.test(w.message)));
  const report = s.kernelLog?.reports[0];
  assert.ok(report);
  assert.ok(report.chain.every((e) => e.stack.length <= MAX_FRAMES));
  // more reports than are kept: counted, not read
  const one = base.slice(194, 250).join('\n');
  const reader = new KernelLogReader();
  let line = 0;
  for (let k = 0; k < MAX_REPORTS + 50; k++) for (const l of one.split('\n')) reader.line(l, ++line, 0, false);
  const raw = reader.finish();
  assert.equal(raw.length, MAX_REPORTS);
  assert.equal(reader.dropped, 50);
  assert.equal(parseReport(raw[0], 0).kind, 'inversion');
});

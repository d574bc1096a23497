// held-lock-freed from kmem events (src/core/analysis/freed.ts): what a finding says, the formats
// it is read from, and the inputs where it cannot be decided (hashed pointers, bad kmem lines).
// The rule fixture test/fixtures/rules/kernel-held-lock-freed.trace holds the positive and negative
// cases; the oracle test holds it to the kernel's own report on the real `freeheld` capture.

import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { analyze, parseTrace } from '../../../src/core';

/** A task allocating 192 bytes at `ptr`, taking the lock at ptr+0x70 and freeing the memory. */
function freeWhileHeld(ptr: string, lock: string): string {
  return [
    `  t1-10 [000] ...1. 5.000001: sys_enter: NR 16 (3, 4c0c, 0, 0, 0, 0)`,
    `  t1-10 [000] ...1. 5.000002: kmalloc: call_site=seed+0x1/0x9 ptr=${ptr} bytes_req=168 bytes_alloc=192 gfp_flags=GFP_KERNEL node=-1 accounted=false`,
    `  t1-10 [000] ...2. 5.000003: lock_acquire: ${lock} &obj->lock`,
    `  t1-10 [000] ...1. 5.000004: kfree: call_site=seed+0x2/0x9 ptr=${ptr}`,
    `  t1-10 [000] ...1. 5.000005: lock_release: ${lock} &obj->lock`,
    `  t1-10 [000] ...1. 5.000006: sys_exit: NR 16 = 0`,
  ].join('\n');
}

test('held-lock-freed names the freed range, the lock, and where both came from', () => {
  const a = analyze(parseTrace(freeWhileHeld('ffff888000010000', 'ffff888000010070'), { file: 'x' }));
  assert.deepEqual(
    a.findings.map((f) => [f.kind, f.line, f.locks, f.syscall]),
    [['held-lock-freed', 4, ['&obj->lock'], 'ioctl']],
  );
  const f = a.findings[0];
  assert.match(f.message, /frees 0xffff888000010000-0xffff8880000100c0 \(kfree, 192 bytes allocated at line 2\)/);
  assert.match(f.message, /holding &obj->lock at 0xffff888000010070/);
  assert.deepEqual(
    f.related.map((r) => r.line),
    [3, 2],
  );
});

test('the lock at the last byte of the range is in it, the one just past it is not', () => {
  const inside = analyze(parseTrace(freeWhileHeld('ffff888000010000', 'ffff8880000100bf'), { file: 'x' }));
  assert.equal(inside.findings.filter((f) => f.kind === 'held-lock-freed').length, 1);
  const past = analyze(parseTrace(freeWhileHeld('ffff888000010000', 'ffff8880000100c0'), { file: 'x' }));
  assert.equal(past.findings.filter((f) => f.kind === 'held-lock-freed').length, 0);
});

test('perf script prints the same kmem events with 0x addresses', () => {
  const perf = [
    `ls_seed    71 [001]     6.119180: kmem:kmalloc: call_site=seed+0x1 ptr=0xffff88800033e0c0 bytes_req=168 bytes_alloc=192 gfp_flags=GFP_KERNEL node=-1 accounted=false`,
    `ls_seed    71 [001]     6.119209: lock:lock_acquire: 0xffff88800033e130 &obj->lock`,
    `ls_seed    71 [001]     6.119392: kmem:kfree: call_site=seed+0x2 ptr=0xffff88800033e0c0`,
  ].join('\n');
  const a = analyze(parseTrace(perf, { file: 'x' }));
  assert.deepEqual(
    a.findings.filter((f) => f.kind === 'held-lock-freed').map((f) => f.line),
    [3],
  );
});

test('with hashed pointers nothing is decided, and a note says why', () => {
  // the kernel's default %p: a hash, unordered, so ranges mean nothing (this lock "looks" inside)
  const a = analyze(parseTrace(freeWhileHeld('00000000a1b2c000', '00000000a1b2c070'), { file: 'x' }));
  assert.deepEqual(a.findings, []);
  const note = a.notes.find((n) => /hashed pointers/.test(n.message));
  assert.ok(note, `notes: ${JSON.stringify(a.notes)}`);
  assert.equal(note.line, 2);
  assert.match(note.message, /no_hash_pointers/);
});

test('a kmem line without ptr= or bytes_alloc= is a warning naming the line, not a crash', () => {
  const text = [
    `  t1-10 [000] ...1. 5.000001: kmalloc: call_site=seed+0x1/0x9 bytes_req=168`,
    `  t1-10 [000] ...1. 5.000002: kmalloc: call_site=seed+0x1/0x9 ptr=ffff888000010000 bytes_req=168`,
    `  t1-10 [000] ...1. 5.000003: kfree: call_site=seed+0x2/0x9 ptr=zzzz`,
    `  t1-10 [000] ...1. 5.000004: kfree: call_site=seed+0x2/0x9 ptr=(null)`,
  ].join('\n');
  const store = parseTrace(text, { file: 'x' });
  assert.deepEqual(
    store.warnings.map((w) => w.line),
    [1, 2, 3],
  );
  assert.match(store.warnings[0].message, /kmalloc: `… ptr=ADDRESS … bytes_alloc=N …`/);
  assert.match(store.warnings[2].message, /hexadecimal ptr=, got `zzzz`/);
  assert.equal(store.length, 4, 'the lines stay events');
  assert.deepEqual(analyze(store).findings, []);
});

// Source matcher: lexer, lock-site scanner and class matching on the C fixture tree under
// test/fixtures/source/ (kernel and pthread style, with near-misses). Markers `/*@name*/` in the
// fixtures name the lines the tests look at.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ClassIndex, LockSite, SourceScan, lex, parseClassName, scanSource } from '../../../src/source';
import { fixture } from '../helpers';

function load(rel: string): { text: string; scan: SourceScan; line0: (marker: string) => number; at: (marker: string) => LockSite[] } {
  const text = fixture(`test/fixtures/source/${rel}`);
  const scan = scanSource(text);
  const lines = text.split('\n');
  const line0 = (marker: string): number => {
    const i = lines.findIndex((l) => l.includes(`/*@${marker}*/`));
    assert.ok(i >= 0, `marker ${marker} in ${rel}`);
    return i;
  };
  return { text, scan, line0, at: (m) => scan.sitesOnLine(line0(m)) };
}

const KERNEL_CLASSES = [
  '&ctx->uring_lock',
  '&ctx->completion_lock',
  '&mm->mmap_lock',
  'io_uring_global_mutex',
  'io_wq_lock',
  'sb_writers',
  'sb_pagefaults',
  '&zone->lock',
  '&q->lock',
  'rcu_read_lock',
  '&rq->__lock',
];

describe('lexer', () => {
  test('drops comments, directives with continuations and #if 0 regions; keeps strings as tokens', () => {
    const toks = lex(
      'a /* x */ b // c\n#define m(x) \\\n  mutex_lock(x)\n"s(t)" \'c\'\n#if 0\nzz\n#if 1\nyy\n#endif\n#else\nkeep\n#endif\nR"d(raw ) " )d" end',
    );
    assert.deepEqual(
      toks.map((t) => `${t.kind}:${t.text}`),
      ['ident:a', 'ident:b', 'string:"s(t)"', "char:'c'", 'ident:keep', 'string:R"d(raw ) " )d"', 'ident:end'],
    );
  });

  test('multi-character punctuation and offsets', () => {
    const toks = lex('&ctx->x.y[0]');
    assert.deepEqual(
      toks.map((t) => t.text),
      ['&', 'ctx', '->', 'x', '.', 'y', '[', '0', ']'],
    );
    assert.equal(toks[2].start, 4);
  });
});

describe('scanner: kernel style', () => {
  const k = load('kernel/io_uring.c');

  test('every call form on its marker line', () => {
    const expect: [string, string, string, string][] = [
      // marker, kind, callee, expression
      ['define', 'define', 'DEFINE_MUTEX', 'io_uring_global_mutex'],
      ['init', 'init', 'mutex_init', 'ctx->uring_lock'],
      ['acquires', 'annotate-acquires', '__acquires', 'ctx->uring_lock'],
      ['assert', 'assert', 'lockdep_assert_held', 'ctx->uring_lock'],
      ['lock', 'acquire', 'mutex_lock', 'ctx->uring_lock'],
      ['unlock', 'release', 'mutex_unlock', 'ctx->uring_lock'],
      ['musthold', 'assert', '__must_hold', 'ctx->uring_lock'],
      ['mmap', 'acquire', 'down_read', 'mm->mmap_lock'],
      ['irqsave', 'acquire', 'spin_lock_irqsave', 'ctx->completion_lock'],
      ['guard', 'acquire', 'guard(mutex)', 'ctx->uring_lock'],
      ['scoped', 'acquire', 'scoped_guard(spinlock, …)', 'ctx->completion_lock'],
      ['percpu', 'acquire', 'percpu_down_read', 'sb->s_writers.rw_sem[SB_FREEZE_WRITE-1]'],
      ['nested', 'acquire', 'mutex_lock_nested', 'ctx->uring_lock'],
      ['global', 'acquire', 'mutex_lock', 'io_uring_global_mutex'],
      ['readlock', 'acquire', 'read_lock_bh', 'io_wq_lock'],
      ['chain', 'acquire', 'down_write', 'current->mm->mmap_lock'],
      ['sbwrite', 'acquire', 'sb_start_write', 'sb->s_writers.rw_sem[SB_FREEZE_WRITE-1]'],
      ['syscall', 'acquire', 'mutex_lock', 'ctx->uring_lock'],
    ];
    for (const [marker, kind, callee, expr] of expect) {
      const sites = k.at(marker);
      assert.equal(sites.length, 1, `one site on ${marker}: ${JSON.stringify(sites.map((s) => s.callee))}`);
      assert.equal(sites[0].kind, kind, marker);
      assert.equal(sites[0].callee, callee, marker);
      assert.equal(sites[0].expr?.text, expr, marker);
    }
    assert.equal(k.at('mmap')[0].read, true);
    assert.equal(k.at('readlock')[0].read, true);
    assert.equal(k.at('lock')[0].read, false);
  });

  test('near-misses produce no site: macros, prototypes, comments, strings, members, other names, #if 0', () => {
    const lines = k.text.split('\n');
    for (const s of k.scan.sites) {
      const line = lines[s.pos.line0];
      assert.ok(!/^#|^\s*mutex_lock\(&\(ctx\)/.test(line), `no site in a macro definition: ${line}`);
      assert.ok(!/near-miss|^\s*\/\/|^\s*\/\*|pr_debug|^(void|extern)/.test(line), `no site on: ${line}`);
    }
    // the sites of the file, in order: nothing else slipped in
    assert.equal(k.scan.sites.filter((s) => s.callee === 'mutex_lock').length, 3);
    assert.equal(k.scan.sites.filter((s) => s.callee === 'mutex_trylock').length, 0);
  });

  test('functions, their annotations and SYSCALL_DEFINE bodies', () => {
    const names = k.scan.functions.filter((f) => f.bodyStart >= 0).map((f) => f.name);
    assert.deepEqual(names, [
      'io_ring_ctx_alloc',
      'io_ring_submit_lock',
      'io_ring_submit_unlock',
      'io_submit_sqes',
      'io_uring_guards',
      'sys_io_uring_fixture',
    ]);
    assert.equal(k.at('acquires')[0].functionName, 'io_ring_submit_lock');
    assert.equal(k.at('syscall')[0].functionName, 'sys_io_uring_fixture');
    assert.equal(k.scan.structOf('ctx', k.at('lock')[0].start), 'io_ring_ctx');
    assert.equal(k.scan.structOf('mm', k.at('mmap')[0].start), 'mm_struct');
  });

  test('rcu_read_lock() is its own class; guard(rcu)() has no lock', () => {
    const s = scanSource('void f(void) { rcu_read_lock(); guard(rcu)(); rcu_read_unlock(); }');
    assert.deepEqual(
      s.sites.map((x) => `${x.kind}:${x.className}`),
      ['acquire:rcu_read_lock', 'release:rcu_read_lock'],
    );
  });
});

describe('matching kernel classes', () => {
  const k = load('kernel/io_uring.c');
  const index = new ClassIndex(KERNEL_CLASSES);
  const match = (marker: string) => index.match(k.at(marker)[0], k.scan, '/src/io_uring/io_uring.c');

  test('by the init-site expression (lockdep class names)', () => {
    for (const m of ['lock', 'unlock', 'guard', 'nested', 'acquires', 'musthold', 'assert', 'init', 'syscall']) {
      assert.deepEqual(
        match(m),
        { classes: ['&ctx->uring_lock'], how: 'expression', ambiguous: false, detail: 'class named after `ctx->uring_lock`' },
        m,
      );
    }
    assert.deepEqual(match('irqsave').classes, ['&ctx->completion_lock']);
    assert.deepEqual(match('mmap').classes, ['&mm->mmap_lock']);
  });

  test('a longer path ending in the class expression: &current->mm->mmap_lock', () => {
    const m = match('chain');
    assert.deepEqual([m.classes, m.how], [['&mm->mmap_lock'], 'expression']);
  });

  test('globals by symbol: DEFINE_MUTEX and its uses', () => {
    assert.deepEqual([match('define').classes, match('define').how], [['io_uring_global_mutex'], 'symbol']);
    assert.deepEqual(match('global').classes, ['io_uring_global_mutex']);
    assert.deepEqual(match('readlock').classes, ['io_wq_lock']);
  });

  test('percpu rwsem of the superblock: sb_writers by the freeze level', () => {
    for (const m of ['percpu', 'sbwrite']) {
      const r = match(m);
      assert.deepEqual([r.classes, r.how, r.ambiguous], [['sb_writers'], 'alias', false], m);
    }
  });

  test('class name cleanup: #n suffix, old &(&x)->rlock, first-use and symbol+offset names', () => {
    assert.equal(parseClassName('&sb->s_type->i_mutex_key#12').expr?.text, 'sb->s_type->i_mutex_key');
    assert.equal(parseClassName('&(&zone->lock)->rlock').expr?.text, 'zone->lock');
    assert.deepEqual(parseClassName('0x55d0c2a4e2a0 (first used at rwlock.c:10)').firstUse, { base: 'rwlock.c', line: 10 });
    assert.equal(parseClassName('table+64').symbol, 'table');
    assert.equal(parseClassName('flock /tmp/db.lock').expr, null);
  });

  test('i_rwsem: the known inode classes, and lockdep_set_class learned from source', () => {
    const idx = new ClassIndex(['&sb->s_type->i_mutex_key', '&ei->xattr_sem']);
    const s = scanSource('void f(struct inode *inode) { inode_lock(inode); down_write(&inode->i_rwsem); }');
    assert.deepEqual(
      s.sites.map((x) => idx.match(x, s, 'f.c').classes),
      [['&sb->s_type->i_mutex_key'], ['&sb->s_type->i_mutex_key']],
    );
    const idx2 = new ClassIndex(['&my_key', '&ei->xattr_sem']);
    const s2 = scanSource(
      'static struct lock_class_key my_key;\nvoid g(struct foo *f) { init_rwsem(&f->sem); lockdep_set_class(&f->sem, &my_key); down_read(&f->sem); }',
    );
    const r = idx2.match(s2.sites[2], s2, 'g.c');
    assert.deepEqual([r.classes, r.how], [['&my_key'], 'alias']);
  });
});

describe('different structs with the same member name', () => {
  const z = load('kernel/same_member.c');
  const index = new ClassIndex(['&zone->lock', '&q->lock']);
  const match = (marker: string) => index.match(z.at(marker)[0], z.scan, 'mm/same_member.c');

  test('the struct type decides when the file declares it (struct zone *z)', () => {
    const r = match('typed');
    assert.deepEqual([r.classes, r.how, r.ambiguous], [['&zone->lock'], 'type', false]);
    assert.match(r.detail, /struct zone/);
  });

  test('unknown struct: ambiguous, both candidates listed, nothing guessed', () => {
    const r = match('ambiguous');
    assert.equal(r.ambiguous, true);
    assert.deepEqual(r.classes, ['&q->lock', '&zone->lock']);
    assert.match(r.detail, /ambiguous: 2 classes have `->lock`/);
  });

  test('a cast names the struct only in its own text, which is not a declaration: still ambiguous', () => {
    assert.equal(match('cast').ambiguous, true);
  });

  test('one class with that member and no contrary evidence: a member-only match, said so', () => {
    const r = new ClassIndex(['&zone->lock']).match(z.at('ambiguous')[0], z.scan, 'x.c');
    assert.deepEqual([r.classes, r.how, r.ambiguous], [['&zone->lock'], 'member', false]);
    assert.match(r.detail, /by member `->lock` only/);
  });

  test('a known, different struct excludes the class', () => {
    const r = new ClassIndex(['&q->lock']).match(z.at('typed')[0], z.scan, 'x.c');
    assert.deepEqual(r.classes, []);
  });
});

describe('pthread style', () => {
  const u = load('user/db.c');
  const index = new ClassIndex(['db_lock', 'index_lock', 'table_lock', 'stats_lock', 'tables+40', 'tables+80']);
  const match = (marker: string) => index.match(u.at(marker)[0], u.scan, '/home/me/db.c');

  test('API calls, definitions and kinds', () => {
    const kinds = (m: string) => u.at(m).map((s) => `${s.kind}${s.try ? ' try' : ''}${s.read ? ' read' : ''} ${s.callee} ${s.expr?.text}`);
    assert.deepEqual(kinds('define_db'), ['define pthread_mutex_t db_lock']);
    assert.deepEqual(kinds('define_index'), ['define pthread_mutex_t index_lock']);
    assert.deepEqual(kinds('trylock'), ['acquire try pthread_mutex_trylock index_lock']);
    assert.deepEqual(kinds('rdlock'), ['acquire read pthread_rwlock_rdlock table_lock']);
    assert.deepEqual(kinds('wrlock'), ['acquire pthread_rwlock_wrlock table_lock']);
    assert.deepEqual(kinds('spin'), ['acquire pthread_spin_lock stats_lock']);
    assert.deepEqual(kinds('condwait'), ['wait pthread_cond_wait db_lock']);
    assert.deepEqual(kinds('unlock_db'), ['release pthread_mutex_unlock db_lock']);
    // the prototype `int pthread_mutex_lock(pthread_mutex_t *m);` and the string are not sites
    assert.equal(u.scan.sites.filter((s) => s.callee === 'pthread_mutex_lock').length, 4);
  });

  test('globals match by symbol; a parameter with the same name does not', () => {
    assert.deepEqual(match('lock_db').classes, ['db_lock']);
    assert.deepEqual(match('lock_index').classes, ['index_lock']);
    assert.deepEqual(match('condwait').classes, ['db_lock']);
    assert.deepEqual(match('define_db').classes, ['db_lock']);
    const shadow = match('shadow');
    assert.deepEqual(shadow.classes, []);
    assert.match(shadow.detail, /local or a parameter/);
  });

  test('locks inside a global named by symbol+offset are ambiguous when there are several', () => {
    const r = match('rows');
    assert.equal(r.ambiguous, true);
    assert.deepEqual(r.classes, ['tables+40', 'tables+80']);
  });

  test('recorded call sites win, by file:line with the longest common path suffix', () => {
    const line1 = u.line0('lock_db') + 1;
    const idx = new ClassIndex(
      ['db_lock', '0x55d0c2a4e2a0 (first used at db.c:99)'],
      [
        { file: '/build/x/src/db.c', line: line1, className: 'db_lock', eventIndex: 3 },
        { file: '/build/x/other/db.c', line: line1, className: '0x55d0c2a4e2a0 (first used at db.c:99)', eventIndex: 9 },
      ],
    );
    const r = idx.match(u.at('lock_db')[0], u.scan, '/home/me/src/db.c');
    assert.deepEqual([r.classes, r.how], [['db_lock'], 'site']);
    assert.match(r.detail, /recorded at db.c:\d+ \(1 event\)/);
    assert.ok(idx.hasRecordedSites);
  });

  test('userspace locks named by their first use match at that line', () => {
    const line1 = u.line0('lock_index') + 1;
    const idx = new ClassIndex([`0x55d0c2a4e2a0 (first used at db.c:${line1})`]);
    const r = idx.match(u.at('lock_index')[0], u.scan, '/x/db.c');
    assert.deepEqual([r.how, r.ambiguous], ['first-use', false]);
    assert.equal(idx.match(u.at('lock_index')[0], u.scan, '/x/other.c').classes.length, 0);
  });
});

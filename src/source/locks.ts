// The lock functions, macros and annotations the source scanner knows: kernel mutex, spinlock,
// rwlock, rwsem and percpu-rwsem calls, scope guards, sparse context annotations, lockdep
// assertions and class setters, static definitions, and the pthread API. Plain data.

/** What a lock site does with its lock. */
export type SiteKind =
  | 'acquire'
  | 'release'
  /** pthread_cond_wait: releases and takes the mutex again. */
  | 'wait'
  /** lockdep_assert_held and friends, `__must_hold`. */
  | 'assert'
  /** `__acquires(x)` on a function: the function returns with x held. */
  | 'annotate-acquires'
  /** `__releases(x)` on a function: the function is entered with x held and releases it. */
  | 'annotate-releases'
  /** `DEFINE_MUTEX(x)`, `pthread_mutex_t x = PTHREAD_MUTEX_INITIALIZER`, a file-scope lock variable. */
  | 'define'
  /** `mutex_init(&x)`: lockdep names the class after this expression. */
  | 'init'
  /** `lockdep_set_class(&x, &key)`: the lock x gets the class named after `&key`. */
  | 'set-class';

export interface LockFunction {
  kind: SiteKind;
  /** Argument that names the lock (0-based; negative: from the end, for annotations). */
  arg: number;
  read?: boolean;
  try?: boolean;
  /** Member path the function appends to its argument (wrappers: `inode_lock(inode)` → `inode->i_rwsem`). */
  implied?: string;
  /** The class is fixed (`rcu_read_lock()` takes `rcu_read_lock`). */
  fixedClass?: string;
  /** Userspace (pthread) or kernel API: only used for wording. */
  api: 'kernel' | 'pthread';
}

const K = (kind: SiteKind, extra: Partial<LockFunction> = {}): LockFunction => ({ kind, arg: 0, api: 'kernel', ...extra });
const P = (kind: SiteKind, extra: Partial<LockFunction> = {}): LockFunction => ({ kind, arg: 0, api: 'pthread', ...extra });

function family(prefix: string, variants: string[], fn: LockFunction): [string, LockFunction][] {
  return variants.map((v) => [`${prefix}${v}`, fn]);
}

const LOCK_SUFFIXES = ['', '_nested', '_nest_lock', '_irq', '_irqsave', '_irqsave_nested', '_bh'];
const TRY_SUFFIXES = ['', '_irq', '_irqsave', '_bh'];
const UNLOCK_SUFFIXES = ['', '_irq', '_irqrestore', '_bh'];

/** Calls by name. */
export const LOCK_FUNCTIONS: ReadonlyMap<string, LockFunction> = new Map<string, LockFunction>([
  // mutex
  ...family(
    'mutex_lock',
    ['', '_nested', '_nest_lock', '_interruptible', '_interruptible_nested', '_killable', '_killable_nested', '_io', '_io_nested'],
    K('acquire'),
  ),
  ['mutex_trylock', K('acquire', { try: true })],
  ['mutex_trylock_nested', K('acquire', { try: true })],
  ['mutex_unlock', K('release')],
  ['mutex_init', K('init')],
  // spinlocks, raw spinlocks, rwlocks
  ...family('spin_lock', LOCK_SUFFIXES, K('acquire')),
  ...family('spin_trylock', TRY_SUFFIXES, K('acquire', { try: true })),
  ...family('spin_unlock', UNLOCK_SUFFIXES, K('release')),
  ['spin_lock_init', K('init')],
  ...family('raw_spin_lock', LOCK_SUFFIXES, K('acquire')),
  ...family('raw_spin_trylock', TRY_SUFFIXES, K('acquire', { try: true })),
  ...family('raw_spin_unlock', UNLOCK_SUFFIXES, K('release')),
  ['raw_spin_lock_init', K('init')],
  ...family('read_lock', LOCK_SUFFIXES, K('acquire', { read: true })),
  ['read_trylock', K('acquire', { read: true, try: true })],
  ...family('read_unlock', UNLOCK_SUFFIXES, K('release', { read: true })),
  ...family('write_lock', LOCK_SUFFIXES, K('acquire')),
  ['write_trylock', K('acquire', { try: true })],
  ...family('write_unlock', UNLOCK_SUFFIXES, K('release')),
  ['rwlock_init', K('init')],
  // rw semaphores
  ...family('down_read', ['', '_nested', '_killable', '_killable_nested', '_interruptible', '_non_owner'], K('acquire', { read: true })),
  ['down_read_trylock', K('acquire', { read: true, try: true })],
  ...family('down_write', ['', '_nested', '_killable', '_killable_nested', '_nest_lock'], K('acquire')),
  ['down_write_trylock', K('acquire', { try: true })],
  ['up_read', K('release', { read: true })],
  ['up_read_non_owner', K('release', { read: true })],
  ['up_write', K('release')],
  ['init_rwsem', K('init')],
  ['percpu_down_read', K('acquire', { read: true })],
  ['percpu_down_read_trylock', K('acquire', { read: true, try: true })],
  ['percpu_down_write', K('acquire')],
  ['percpu_up_read', K('release', { read: true })],
  ['percpu_up_write', K('release')],
  ['percpu_init_rwsem', K('init')],
  // common wrappers whose lock is a fixed member of the argument
  ['inode_lock', K('acquire', { implied: '->i_rwsem' })],
  ['inode_lock_nested', K('acquire', { implied: '->i_rwsem' })],
  ['inode_lock_shared', K('acquire', { implied: '->i_rwsem', read: true })],
  ['inode_trylock', K('acquire', { implied: '->i_rwsem', try: true })],
  ['inode_unlock', K('release', { implied: '->i_rwsem' })],
  ['inode_unlock_shared', K('release', { implied: '->i_rwsem', read: true })],
  ['mmap_read_lock', K('acquire', { implied: '->mmap_lock', read: true })],
  ['mmap_read_lock_killable', K('acquire', { implied: '->mmap_lock', read: true })],
  ['mmap_read_trylock', K('acquire', { implied: '->mmap_lock', read: true, try: true })],
  ['mmap_read_unlock', K('release', { implied: '->mmap_lock', read: true })],
  ['mmap_write_lock', K('acquire', { implied: '->mmap_lock' })],
  ['mmap_write_lock_killable', K('acquire', { implied: '->mmap_lock' })],
  ['mmap_write_unlock', K('release', { implied: '->mmap_lock' })],
  ['sb_start_write', K('acquire', { implied: '->s_writers.rw_sem[SB_FREEZE_WRITE-1]', read: true })],
  ['sb_end_write', K('release', { implied: '->s_writers.rw_sem[SB_FREEZE_WRITE-1]', read: true })],
  ['sb_start_pagefault', K('acquire', { implied: '->s_writers.rw_sem[SB_FREEZE_PAGEFAULT-1]', read: true })],
  ['sb_end_pagefault', K('release', { implied: '->s_writers.rw_sem[SB_FREEZE_PAGEFAULT-1]', read: true })],
  ['sb_start_intwrite', K('acquire', { implied: '->s_writers.rw_sem[SB_FREEZE_FS-1]', read: true })],
  ['sb_end_intwrite', K('release', { implied: '->s_writers.rw_sem[SB_FREEZE_FS-1]', read: true })],
  ['rcu_read_lock', K('acquire', { fixedClass: 'rcu_read_lock', read: true })],
  ['rcu_read_unlock', K('release', { fixedClass: 'rcu_read_lock', read: true })],
  // lockdep
  ...family('lockdep_assert_held', ['', '_write', '_read', '_once'], K('assert')),
  ['lockdep_set_class', K('set-class')],
  ['lockdep_set_class_and_name', K('set-class')],
  // sparse context annotations (on function declarations) and statements
  ['__acquires', K('annotate-acquires', { arg: -1 })],
  ['__acquires_shared', K('annotate-acquires', { arg: -1, read: true })],
  ['__cond_acquires', K('annotate-acquires', { arg: -1, try: true })],
  ['__cond_acquires_shared', K('annotate-acquires', { arg: -1, try: true, read: true })],
  ['__releases', K('annotate-releases', { arg: -1 })],
  ['__releases_shared', K('annotate-releases', { arg: -1, read: true })],
  ['__must_hold', K('assert', { arg: -1 })],
  ['__must_hold_shared', K('assert', { arg: -1, read: true })],
  ['__acquire', K('acquire', { arg: -1 })],
  ['__release', K('release', { arg: -1 })],
  // static definitions
  ...[
    'DEFINE_MUTEX',
    'DEFINE_SPINLOCK',
    'DEFINE_RAW_SPINLOCK',
    'DEFINE_RWLOCK',
    'DECLARE_RWSEM',
    'DEFINE_RWSEM',
    'DEFINE_PERCPU_RWSEM',
    'DEFINE_STATIC_PERCPU_RWSEM',
  ].map((m): [string, LockFunction] => [m, K('define')]),
  // pthread
  ['pthread_mutex_lock', P('acquire')],
  ['pthread_mutex_timedlock', P('acquire')],
  ['pthread_mutex_clocklock', P('acquire')],
  ['pthread_mutex_trylock', P('acquire', { try: true })],
  ['pthread_mutex_unlock', P('release')],
  ['pthread_mutex_init', P('init')],
  ['pthread_rwlock_rdlock', P('acquire', { read: true })],
  ['pthread_rwlock_timedrdlock', P('acquire', { read: true })],
  ['pthread_rwlock_clockrdlock', P('acquire', { read: true })],
  ['pthread_rwlock_tryrdlock', P('acquire', { read: true, try: true })],
  ['pthread_rwlock_wrlock', P('acquire')],
  ['pthread_rwlock_timedwrlock', P('acquire')],
  ['pthread_rwlock_clockwrlock', P('acquire')],
  ['pthread_rwlock_trywrlock', P('acquire', { try: true })],
  ['pthread_rwlock_unlock', P('release')],
  ['pthread_rwlock_init', P('init')],
  ['pthread_spin_lock', P('acquire')],
  ['pthread_spin_trylock', P('acquire', { try: true })],
  ['pthread_spin_unlock', P('release')],
  ['pthread_spin_init', P('init')],
  ['pthread_cond_wait', P('wait', { arg: 1 })],
  ['pthread_cond_timedwait', P('wait', { arg: 1 })],
  ['pthread_cond_clockwait', P('wait', { arg: 1 })],
]);

/** `guard(TYPE)(&x)` / `scoped_guard(TYPE, &x)` lock types, read side marked. Others (rcu, irq) have no lock argument. */
export function guardIsRead(type: string): boolean {
  return /read/.test(type);
}

/** Lock types declared as variables: `pthread_mutex_t x;`, `static spinlock_t x;`, `struct mutex x;`. */
export const LOCK_TYPES: ReadonlySet<string> = new Set([
  'pthread_mutex_t',
  'pthread_rwlock_t',
  'pthread_spinlock_t',
  'spinlock_t',
  'raw_spinlock_t',
  'rwlock_t',
]);
/** Lock types spelled `struct NAME`. */
export const LOCK_STRUCTS: ReadonlySet<string> = new Set(['mutex', 'rw_semaphore', 'percpu_rw_semaphore']);

/** Identifiers after which `NAME(` is a declaration, not a call. */
export const STATEMENT_KEYWORDS: ReadonlySet<string> = new Set([
  'return',
  'else',
  'do',
  'case',
  'goto',
  'sizeof',
  'co_return',
  'co_await',
  'throw',
  'typeof',
  '__typeof__',
  'decltype',
]);

// What the recorder probes: the C library's lock functions (uprobes + uretprobes), the helpers
// that give file locks their paths and types, and the tracepoints. x86-64 calling convention:
// first argument %di, second %si, third %dx; at function entry the return address is at 0(%sp).

import type { ElfFile } from './elf';

export type UserLockKind = 'mutex' | 'rwlock' | 'spin';

/** A lock function of the C library and what a call means. */
export interface LockFn {
  fn: string;
  op: 'acquire' | 'release' | 'condwait';
  kind: UserLockKind;
  try?: boolean;
  read?: boolean;
}

export const LOCK_FUNCTIONS: readonly LockFn[] = [
  { fn: 'pthread_mutex_lock', op: 'acquire', kind: 'mutex' },
  { fn: 'pthread_mutex_trylock', op: 'acquire', kind: 'mutex', try: true },
  { fn: 'pthread_mutex_timedlock', op: 'acquire', kind: 'mutex' },
  { fn: 'pthread_mutex_clocklock', op: 'acquire', kind: 'mutex' },
  { fn: 'pthread_mutex_unlock', op: 'release', kind: 'mutex' },
  { fn: 'pthread_rwlock_rdlock', op: 'acquire', kind: 'rwlock', read: true },
  { fn: 'pthread_rwlock_wrlock', op: 'acquire', kind: 'rwlock' },
  { fn: 'pthread_rwlock_tryrdlock', op: 'acquire', kind: 'rwlock', read: true, try: true },
  { fn: 'pthread_rwlock_trywrlock', op: 'acquire', kind: 'rwlock', try: true },
  { fn: 'pthread_rwlock_timedrdlock', op: 'acquire', kind: 'rwlock', read: true },
  { fn: 'pthread_rwlock_timedwrlock', op: 'acquire', kind: 'rwlock' },
  { fn: 'pthread_rwlock_unlock', op: 'release', kind: 'rwlock' },
  { fn: 'pthread_spin_lock', op: 'acquire', kind: 'spin' },
  { fn: 'pthread_spin_trylock', op: 'acquire', kind: 'spin', try: true },
  { fn: 'pthread_spin_unlock', op: 'release', kind: 'spin' },
  // pthread_cond_*wait unlock the mutex inside the C library (not through pthread_mutex_unlock)
  // and take it again before returning: without these the waiter would look like it holds it.
  { fn: 'pthread_cond_wait', op: 'condwait', kind: 'mutex' },
  { fn: 'pthread_cond_timedwait', op: 'condwait', kind: 'mutex' },
  { fn: 'pthread_cond_clockwait', op: 'condwait', kind: 'mutex' },
];

/** Helpers: file paths for fds (open/openat), struct flock's l_type (fcntl), flock's call site. */
export type AuxRole = 'open' | 'openat' | 'fcntl' | 'flock' | 'entry';

export interface ProbeInfo {
  /** Event name inside our group. */
  event: string;
  ret: boolean;
  /** The ELF file probed and the symbol's linked address (to compute the load bias from the hit). */
  file: string;
  symValue: bigint;
  lock?: LockFn;
  aux?: AuxRole;
  /** The C name probed (for the header). */
  fn: string;
}

export interface PlannedProbe extends ProbeInfo {
  kind: 'p' | 'r';
  offset: bigint;
  args: string;
}

const RA = 'ra=+0(%sp):x64';

/**
 * The uprobes to define in `lib` (the C library, or a static program) plus an entry probe on
 * `exe` (its ELF entry point, which tells the program's load bias). Functions missing from the
 * library are skipped (older C libraries lack clocklock/clockwait); two names at one address are
 * probed once.
 */
export function planProbes(lib: ElfFile, exe: ElfFile | undefined): { probes: PlannedProbe[]; missing: string[] } {
  const probes: PlannedProbe[] = [];
  const missing: string[] = [];
  const seen = new Set<bigint>();
  const add = (fn: string, extra: Partial<PlannedProbe>, entryArgs: string, withRet: boolean) => {
    const sym = lib.findFunction(fn);
    const off = sym ? lib.fileOffset(sym.value) : undefined;
    if (!sym || off === undefined) {
      missing.push(fn);
      return;
    }
    if (seen.has(off)) return;
    seen.add(off);
    const base = { file: lib.path, symValue: sym.value, fn, offset: off, ...extra };
    probes.push({ ...base, event: fn, ret: false, kind: 'p', args: entryArgs });
    if (withRet) probes.push({ ...base, event: `${fn}__ret`, ret: true, kind: 'r', args: 'ret=$retval:s32' });
  };
  for (const l of LOCK_FUNCTIONS) {
    const args = l.op === 'condwait' ? `cond=%di:x64 lock=%si:x64 ${RA}` : `lock=%di:x64 ${RA}`;
    add(l.fn, { lock: l }, args, l.op !== 'release');
  }
  add('open', { aux: 'open' }, 'path=+0(%di):ustring', false);
  add('openat', { aux: 'openat' }, 'path=+0(%si):ustring', false);
  add('fcntl64', { aux: 'fcntl' }, `fd=%di:s32 cmd=%si:s32 ltype=+0(%dx):s16 ${RA}`, false);
  if (!lib.findFunction('fcntl64')) add('fcntl', { aux: 'fcntl' }, `fd=%di:s32 cmd=%si:s32 ltype=+0(%dx):s16 ${RA}`, false);
  add('flock', { aux: 'flock' }, `fd=%di:s32 op=%si:s32 ${RA}`, false);
  if (exe && exe !== lib) {
    const off = exe.fileOffset(exe.entry);
    if (off !== undefined) {
      probes.push({
        event: 'entry',
        ret: false,
        kind: 'p',
        file: exe.path,
        symValue: exe.entry,
        fn: '_start',
        offset: off,
        args: '',
        aux: 'entry',
      });
    }
  }
  return { probes, missing };
}

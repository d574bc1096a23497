// Which lines start a report, and which finding kind each report becomes. Lockdep's titles since
// 4.15 (`WARNING: possible circular locking dependency detected`), older kernels' bracketed ones
// (`[ INFO: possible circular locking dependency detected ]`, `[ BUG: held lock freed! ]`), and the
// other locking reports (RCU, lockdep limits, spinlock debugging, sleeping in atomic context, hung
// tasks with their held locks), so nothing locking-related in a log is dropped silently.

import { FindingKind } from '../types';

const KINDS: [RegExp, FindingKind][] = [
  [/possible circular locking dependency detected/, 'inversion'],
  [/possible recursive locking detected/, 'recursive'],
  [/lock held when returning to user space/, 'held-across-syscall'],
  [/bad unlock balance detected/, 'bad-unlock'],
  [/ still has locks held!?$/, 'held-at-exit'],
  [/held lock freed/, 'held-lock-freed'],
  [/inconsistent lock state|possible irq lock inversion dependency detected|-safe -> \S+-unsafe lock order detected/, 'irq-state'],
];

/** Other locking reports: kept as `lockdep-other` with their title. */
const OTHER = [
  /suspicious RCU usage/,
  /MAX_[A-Z_]+ too low/,
  /[Nn]ested lock was not taken/,
  /[Ii]nvalid wait context/,
  /trying to register non-static key/,
  /looking up invalid subclass/,
  /^key \S+ has not been registered/,
  /^(?:spinlock|rwlock|raw_spinlock|rt_spinlock|read_lock|write_lock) /,
  /bad contention detected/,
  /sleeping function called from invalid context/,
  /scheduling while atomic/,
  /workqueue leaked (?:lock|atomic)/,
  /^task \S.*:\d+ blocked for more than \d+ seconds/,
  /^CPU: \d+ PID: \d+ at kernel\/locking\//,
  /lockdep/i,
  /circular locking|recursive locking|lock order detected/,
];

const BRACKETED = /^\[ (?:(?:INFO|BUG|WARNING): )?(.+?) \]$/;
const PLAIN = /^(?:WARNING|BUG|INFO): (.+)$/;

/** The report a line starts, or null. `text` is the message with its log prefix and surrounding spaces removed. */
export function reportTitle(text: string): { kind: FindingKind; title: string } | null {
  const c = text.charCodeAt(0);
  // W, B, I, [, D: a cheap filter, since every line of a log goes through here
  if (c !== 87 && c !== 66 && c !== 73 && c !== 91 && c !== 68) return null;
  if (c === 68) return /^DEBUG_LOCKS_WARN_ON\(.*\)$/.test(text) ? { kind: 'lockdep-other', title: text } : null;
  const m = PLAIN.exec(text) ?? BRACKETED.exec(text);
  if (!m) return null;
  const body = m[1];
  for (const [re, kind] of KINDS) if (re.test(body)) return { kind, title: text };
  if (body.startsWith('lockdep is turned off')) return null; // debug_show_all_locks' note, inside a report
  for (const re of OTHER) if (re.test(body)) return { kind: 'lockdep-other', title: text };
  return null;
}

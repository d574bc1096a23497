// What lockdep knows about lock classes that a trace's lock_acquire event does not print, from
// Linux's source and from /proc/lockdep of real kernels. docs/kernel-traces.md explains each list.

/**
 * Classes lockdep acquires with check=0: they take part in no dependency and no recursion or
 * irq-usage check, but are held (so they count for "held when returning to user space" and at
 * exit). rcu_lock_acquire() in include/linux/rcupdate.h takes rcu_read_lock, rcu_read_lock_bh,
 * rcu_read_lock_sched, the callback map and tasks-trace RCU that way, and every SRCU domain's map
 * through srcu_lock_acquire(); lockdep_set_novalidate_class() gives the same to the device mutex
 * (drivers/base/core.c).
 */
const NO_CHECK_CLASSES = new Set([
  'rcu_read_lock',
  'rcu_read_lock_bh',
  'rcu_read_lock_sched',
  'rcu_callback',
  'rcu_read_lock_trace',
  '&dev->mutex',
]);
/** SRCU domains are named after their srcu_struct (DEFINE_SRCU(x), init_srcu_struct(&y->srcu)). */
const SRCU_NAME = /srcu$/;

export function isNoCheckClass(name: string): boolean {
  return NO_CHECK_CLASSES.has(name) || SRCU_NAME.test(name);
}

/**
 * perf's own locks: perf_event_context_sched_out()/_sched_in() (kernel/events/core.c) hold the
 * event contexts' locks while the task's events are being switched off and on, so a perf recording
 * shows the acquire of each switch-out without its release and the releases of each switch-in
 * without their acquires. In a `perf script` trace they are the tracer's, not the program's: their
 * events are left out of the lock state (no hold, no dependency, no finding; see LockState.apply).
 */
export const PERF_TRACER_CLASSES: ReadonlySet<string> = new Set(['&ctx->lock', '&cpuctx_lock']);

/**
 * Names that several lockdep classes share (different lock_class_keys, printed `name#2`, `name#3`
 * in /proc/lockdep): an inline init function in a header gives each file that calls it its own
 * key (xa_init, init_completion), and per-filesystem-type keys share one name (sb_writers,
 * i_mutex_key). A trace prints only the name, so locks of these names are judged per instance where
 * a class-level judgement could merge unrelated classes (interrupt usage). Collected from
 * /proc/lockdep of the Linux 6.1 kernels in test/fixtures/kernel; a kernel with more drivers has
 * more, and `lockdepClasses` (a /proc/lockdep file) adds the ones of the traced kernel.
 */
export const SHARED_NAME_CLASSES: readonly string[] = [
  '&xa->xa_lock',
  'subsys mutex',
  '&type->s_umount_key',
  '&ctx->completion_lock',
  '&____s->seqcount',
  'key',
  '&dev->mutex',
  '&x->wait',
  '&pa->pa_lock',
  'ptlock_ptr(page)',
  'lock',
  '&wq',
  '&sb->s_type->i_mutex_key',
  '&sb->s_type->i_lock_key',
  'vga_lock',
  'sb_writers',
  '&type->i_mutex_dir_key',
  'mapping.invalidate_lock',
];

/** One class of /proc/lockdep: `ffffffff82e27e50 FD:    1 BD:    1 +.+.: &dev->rec_lock[i]`. */
export interface LockdepClass {
  /** As printed: `&type->s_umount_key#3/1`. */
  printed: string;
  /** Without `#N` and `/N`: the name a trace's lock_acquire prints. */
  name: string;
  /** `#N` (several classes of one name): 1 when absent. */
  version: number;
  /** `/N`: 0 when absent. */
  subclass: number;
  /** Usage characters (`+.+.`). */
  usage: string;
}

/** A /proc/lockdep file: every class, and the direct dependencies (`-> [key] name` lines). */
export interface ProcLockdep {
  classes: LockdepClass[];
  /** Index pairs into `classes`: [from, to]. */
  edges: [number, number][];
}

/** Splits `name#2/1` into its parts. */
export function splitLockdepName(printed: string): { name: string; version: number; subclass: number } {
  const m = /^(.*?)(?:#(\d+))?(?:\/(\d+))?$/.exec(printed) as RegExpExecArray;
  return { name: m[1], version: m[2] ? +m[2] : 1, subclass: m[3] ? +m[3] : 0 };
}

/** Reads /proc/lockdep (Linux 4.x–6.x layout); lines it does not know are skipped. */
export function parseProcLockdep(text: string): ProcLockdep {
  const classes: LockdepClass[] = [];
  const byKey = new Map<string, number>();
  const pending: [number, string][] = [];
  let current = -1;
  for (const line of text.split('\n')) {
    const c = /^([0-9a-f]{8,16}) (?:OPS:\s*\d+ )?FD:\s*\d+ BD:\s*\d+ ([^:]*): (.*)$/.exec(line);
    if (c) {
      const printed = c[3].trim();
      current = classes.length;
      classes.push({ printed, ...splitLockdepName(printed), usage: c[2].trim() });
      byKey.set(c[1], current);
      continue;
    }
    const d = /^ -> \[([0-9a-f]{8,16})\] /.exec(line);
    if (d && current >= 0) pending.push([current, d[1]]);
  }
  const edges: [number, number][] = [];
  for (const [from, key] of pending) {
    const to = byKey.get(key);
    if (to !== undefined) edges.push([from, to]);
  }
  return { classes, edges };
}

/** Names of a /proc/lockdep that several classes share (printed with `#N`). */
export function sharedNames(p: ProcLockdep): string[] {
  return [...new Set(p.classes.filter((c) => c.version > 1).map((c) => c.name))].sort();
}

/** Names that have a class at a subclass above 0 (some code takes them nested, annotated). */
export function nestedNames(p: ProcLockdep): string[] {
  return [...new Set(p.classes.filter((c) => c.subclass > 0).map((c) => c.name))].sort();
}

/**
 * The class names of a /proc/lockdep file that several classes share (printed with `#N`), with
 * `#N` and `/N` suffixes removed.
 */
export function sharedNamesFromProcLockdep(text: string): string[] {
  return sharedNames(parseProcLockdep(text));
}

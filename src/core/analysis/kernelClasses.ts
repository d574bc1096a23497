// What lockdep knows about lock classes that a trace's lock_acquire event does not print, from
// Linux's source and from /proc/lockdep of real kernels. docs/kernel-traces.md explains each list.
// May import nothing.

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

/**
 * The class names of a /proc/lockdep file that several classes share (printed with `#N`), with
 * `#N` and `/N` suffixes removed.
 */
export function sharedNamesFromProcLockdep(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/^[0-9a-f]{8,16} FD:\s*\d+ BD:\s*\d+ [^:]*: (.*)$/gm)) {
    const name = m[1].trim();
    const v = /^(.*)#\d+(?:\/\d+)?$/.exec(name);
    if (v) out.add(v[1]);
  }
  return [...out].sort();
}

// SPDX-License-Identifier: GPL-2.0-only
/*
 * A fake kernel tree for locktrace's tests (test/workspace/kernel-tree): only the functions the
 * symbolized kernel-log fixture names, at the lines its frames point to. Not Linux's code.
 */
#include <linux/lockdep.h>

static int check_noncircular(struct held_lock *src, struct held_lock *target)
{
	print_circular_bug(src, target);
	return 0;
}

static int __lock_acquire(struct lockdep_map *lock, unsigned int subclass)
{
	struct held_lock *prev = curr_held_lock(), *next = new_held_lock(lock, subclass);

	return check_noncircular(prev, next);
}

void lock_acquire(struct lockdep_map *lock, unsigned int subclass, int trylock, int read)
{
	__lock_acquire(lock, subclass);
}

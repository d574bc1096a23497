// SPDX-License-Identifier: GPL-2.0-only
/*
 * A fake kernel tree for locktrace's tests (test/workspace/kernel-tree): only the functions the
 * symbolized kernel-log fixture names, at the lines its frames point to. Not Linux's code.
 */
#include <linux/mutex.h>

static int __mutex_lock_common(struct mutex *lock, unsigned int state, unsigned int subclass)
{
	mutex_acquire_nest(&lock->dep_map, subclass, 0, NULL, _RET_IP_);
	return __mutex_trylock_or_wait(lock, state);
}

static int __sched __mutex_lock(struct mutex *lock, unsigned int state, unsigned int subclass)
{
	return __mutex_lock_common(lock, state, subclass);
}

void __sched mutex_lock_nested(struct mutex *lock, unsigned int subclass)
{
	__mutex_lock(lock, TASK_UNINTERRUPTIBLE, subclass);
}

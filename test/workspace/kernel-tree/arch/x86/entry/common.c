// SPDX-License-Identifier: GPL-2.0-only
/*
 * A fake kernel tree for locktrace's tests (test/workspace/kernel-tree): only the functions the
 * symbolized kernel-log fixture names, at the lines its frames point to. Not Linux's code.
 */
#include <linux/syscalls.h>

void do_syscall_64(struct pt_regs *regs, int nr)
{
	regs->ax = sys_call_table[nr](regs);
}

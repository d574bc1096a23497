// SPDX-License-Identifier: GPL-2.0
/*
 * A fake kernel tree for locktrace's tests (test/workspace/kernel-tree): only the functions the
 * symbolized kernel-log fixture names, at the lines its frames point to. Not Linux's code.
 */
#include <linux/fs.h>

static long vfs_ioctl(struct file *filp, unsigned int cmd, unsigned long arg)
{
	return filp->f_op->unlocked_ioctl(filp, cmd, arg);
}

long __x64_sys_ioctl(const struct pt_regs *regs)
{
	struct fd f = fdget(regs->di);

	return vfs_ioctl(f.file, regs->si, regs->dx);
}

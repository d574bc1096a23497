/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A fake kernel tree for locktrace's tests (test/workspace/kernel-tree): only the symbols the
 * symbolized kernel-log fixture names. Not Linux's code.
 */
SYM_CODE_START(entry_SYSCALL_64)
SYM_INNER_LABEL(entry_SYSCALL_64_after_hwframe, SYM_L_GLOBAL)
	call	do_syscall_64
SYM_CODE_END(entry_SYSCALL_64)

// Kernel-style fixture for the source features (hovers, diagnostics, CodeLens) in the real VS Code
// tests; source-traces/uring-abba.trace and uring-clean.trace are traces of "this" code.
#include <linux/fs.h>
#include <linux/io_uring.h>
#include <linux/mm.h>

struct io_ring_ctx {
	struct mutex uring_lock;
	spinlock_t completion_lock;
};

static void io_ring_ctx_init(struct io_ring_ctx *ctx)
{
	mutex_init(&ctx->uring_lock);
	spin_lock_init(&ctx->completion_lock);
}

/* io_uring_enter: takes the ring lock, then maps user memory under it */
static int io_submit_sqes(struct io_ring_ctx *ctx, struct mm_struct *mm)
	__must_hold(&ctx->uring_lock)
{
	down_read(&mm->mmap_lock);
	up_read(&mm->mmap_lock);
	return 0;
}

static int io_uring_enter_fixture(struct io_ring_ctx *ctx, struct mm_struct *mm)
{
	int ret;

	mutex_lock(&ctx->uring_lock);
	ret = io_submit_sqes(ctx, mm);
	mutex_unlock(&ctx->uring_lock);
	return ret;
}

/* page fault path: holds mmap_lock, then waits for the ring (the opposite order) */
static void io_fault_fixture(struct io_ring_ctx *ctx, struct mm_struct *mm)
{
	down_read(&mm->mmap_lock);
	guard(mutex)(&ctx->uring_lock);
	up_read(&mm->mmap_lock);
}

/* leaves the freeze protection held when the syscall returns */
static void io_start_write_fixture(struct super_block *sb)
{
	percpu_down_read(&sb->s_writers.rw_sem[SB_FREEZE_WRITE-1]);
}

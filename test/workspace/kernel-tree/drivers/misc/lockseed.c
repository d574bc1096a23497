// SPDX-License-Identifier: GPL-2.0
/*
 * lockseed: a test-only misc device (/dev/lockseed) whose ioctls provoke real
 * lockdep reports on demand, so that locktrace can be checked against the
 * kernel's own lockdep (test/kernel/ in the locktrace repository).
 *
 * Each ioctl is one small, deliberate locking step; the userspace driver
 * (test/kernel/workloads/ls_seed.c) strings them together into scenarios, one
 * scenario per boot because the first lockdep report turns lockdep off:
 *
 *   xsyscall       TAKE_A, TAKE_B, REL_B / BA / REL_A  "lock held when returning to user space!"
 *   abba           AB (task 1), BA (task 2)            "possible circular locking dependency detected"
 *   ring3          PAIR a->b, b->c, c->a (3 tasks)     "possible circular locking dependency detected"
 *   recursive      RECURSE                             "possible recursive locking detected"
 *   badunlock      UNLOCK_TWICE                        "bad unlock balance detected!"
 *   exitheld       KTHREAD_HELD                        "lockseed_exit/N still has locks held!"
 *   killheld       KILL_HELD                           "ls_seed/N still has locks held!"
 *   freeheld       FREE_HELD                           "held lock freed!"
 *   irqstate       SOFTIRQ, SPIN soft                  "inconsistent lock state" {IN-SOFTIRQ-W} -> {SOFTIRQ-ON-W}
 *   irqstate_hard  HARDIRQ, SPIN hard                  "inconsistent lock state" {IN-HARDIRQ-W} -> {HARDIRQ-ON-W}
 *   irqinv         SPIN plain, NEST hard->plain (irq), HARDIRQ
 *                                                      "possible irq lock inversion dependency detected"
 *   irqorder       SOFTIRQ, SPIN plain, NEST soft->plain (bh)
 *                                                      "SOFTIRQ-safe -> SOFTIRQ-unsafe lock order detected"
 *
 * LOCKSEED_CLOCKS takes no lock: it reads the "local" trace clock (sched_clock(), the default
 * clock of ftrace and trace-cmd) and local_clock() (printk's timestamps, perf's clock) together,
 * returns both and logs them, so that dmesg times can be placed in a trace (they differ by the
 * constant __sched_clock_offset).
 *
 * Lock class names (as lockdep prints them) come from the init expressions:
 * &dev->a_lock, &dev->b_lock, &dev->c_lock, &dev->rec_lock[i], &dev->unbal_lock,
 * &dev->exit_lock, &obj->lock, &dev->soft_lock, &dev->hard_lock, &dev->plain_lock.
 */
#include <linux/module.h>
#include <linux/miscdevice.h>
#include <linux/fs.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/slab.h>
#include <linux/delay.h>
#include <linux/uaccess.h>
#include <linux/timer.h>
#include <linux/hrtimer.h>
#include <linux/jiffies.h>
#include <linux/kthread.h>
#include <linux/completion.h>
#include <linux/sched/signal.h>
#include <linux/sched/task.h>
#include <linux/sched/clock.h>
#include <linux/trace_clock.h>

#define LOCKSEED_MAGIC		'L'
#define LOCKSEED_TAKE_A		_IO(LOCKSEED_MAGIC, 1)	/* lock A, return to user holding it */
#define LOCKSEED_TAKE_B		_IO(LOCKSEED_MAGIC, 2)	/* lock B (A may be held from earlier syscall) */
#define LOCKSEED_REL_B		_IO(LOCKSEED_MAGIC, 3)	/* unlock B */
#define LOCKSEED_REL_A		_IO(LOCKSEED_MAGIC, 4)	/* unlock A */
#define LOCKSEED_BA		_IO(LOCKSEED_MAGIC, 5)	/* lock B then A in one ioctl (arg: ms to sleep between) */
#define LOCKSEED_AB		_IO(LOCKSEED_MAGIC, 6)	/* lock A then B in one ioctl (arg: ms to sleep between) */
#define LOCKSEED_PAIR		_IO(LOCKSEED_MAGIC, 7)	/* arg = outer | inner << 4, mutex 0=a 1=b 2=c */
#define LOCKSEED_RECURSE	_IO(LOCKSEED_MAGIC, 8)	/* rec_lock[0] then rec_lock[1]: one class, twice */
#define LOCKSEED_UNLOCK_TWICE	_IO(LOCKSEED_MAGIC, 9)	/* lock, unlock, unlock unbal_lock */
#define LOCKSEED_KILL_HELD	_IO(LOCKSEED_MAGIC, 10)	/* lock exit_lock, SIGKILL self, return */
#define LOCKSEED_KTHREAD_HELD	_IO(LOCKSEED_MAGIC, 11)	/* a kthread locks exit_lock and exits */
#define LOCKSEED_FREE_HELD	_IO(LOCKSEED_MAGIC, 12)	/* kfree() an object whose mutex is held */
#define LOCKSEED_SOFTIRQ	_IO(LOCKSEED_MAGIC, 13)	/* a timer_list callback (softirq) takes soft_lock */
#define LOCKSEED_HARDIRQ	_IO(LOCKSEED_MAGIC, 14)	/* an hrtimer callback (hardirq) takes hard_lock */
#define LOCKSEED_SPIN		_IO(LOCKSEED_MAGIC, 15)	/* arg = spinlock 0=soft 1=hard 2=plain: spin_lock() with irqs+bh on */
#define LOCKSEED_SPIN_NEST	_IO(LOCKSEED_MAGIC, 16)	/* arg = outer | inner << 4 | mode << 8; mode 0 outer _bh, 1 outer _irqsave */
#define LOCKSEED_CLOCKS		_IOR(LOCKSEED_MAGIC, 17, __u64[2]) /* read trace_clock_local() and local_clock() */

#define LOCKSEED_NREC 2

struct lockseed_dev {
	struct mutex a_lock;
	struct mutex b_lock;
	struct mutex c_lock;
	struct mutex rec_lock[LOCKSEED_NREC];
	struct mutex unbal_lock;
	struct mutex exit_lock;
	spinlock_t soft_lock;		/* taken in a timer_list callback: softirq-safe */
	spinlock_t hard_lock;		/* taken in an hrtimer callback: hardirq-safe */
	spinlock_t plain_lock;		/* process context only */
	struct timer_list timer;
	struct hrtimer hrtimer;
	int fired;
	struct completion exit_locked;
	unsigned long counter;
};

struct lockseed_obj {
	struct mutex lock;
	unsigned long value;
};

static struct lockseed_dev *lockseed;

static struct mutex *lockseed_mutex(struct lockseed_dev *dev, unsigned int i)
{
	switch (i) {
	case 0: return &dev->a_lock;
	case 1: return &dev->b_lock;
	case 2: return &dev->c_lock;
	}
	return NULL;
}

static spinlock_t *lockseed_spin(struct lockseed_dev *dev, unsigned int i)
{
	switch (i) {
	case 0: return &dev->soft_lock;
	case 1: return &dev->hard_lock;
	case 2: return &dev->plain_lock;
	}
	return NULL;
}

static void lockseed_timer_fn(struct timer_list *t)
{
	struct lockseed_dev *dev = from_timer(dev, t, timer);

	spin_lock(&dev->soft_lock);
	dev->counter++;
	spin_unlock(&dev->soft_lock);
	WRITE_ONCE(dev->fired, 1);
}

static enum hrtimer_restart lockseed_hrtimer_fn(struct hrtimer *t)
{
	struct lockseed_dev *dev = container_of(t, struct lockseed_dev, hrtimer);

	spin_lock(&dev->hard_lock);
	dev->counter++;
	spin_unlock(&dev->hard_lock);
	WRITE_ONCE(dev->fired, 1);
	return HRTIMER_NORESTART;
}

/*
 * Busy-wait (interrupts and softirqs enabled, no sleeping) until the timer has
 * fired. Both timers are queued on this CPU (no NO_HZ timer migration in this
 * kernel) and this task keeps the CPU, so the callback runs in interrupt
 * context on top of this very task: a pid-filtered trace records it with the
 * task's pid and the latency flags' h/s context.
 * Once ksoftirqd has been woken on this CPU, softirqs wait for it (irq exit
 * skips them while it is runnable), and under PREEMPT_NONE it never runs while
 * this task spins. So when a reschedule is pending and the timer_list timer has
 * not run yet: take the timer back, let the others run, and arm it again.
 */
static int lockseed_wait_fired(struct lockseed_dev *dev, bool softirq)
{
	unsigned long deadline = jiffies + HZ;

	while (!READ_ONCE(dev->fired)) {
		if (time_after(jiffies, deadline))
			return -ETIMEDOUT;
		if (softirq && need_resched() && del_timer(&dev->timer)) {
			cond_resched();
			mod_timer(&dev->timer, jiffies + 1);
		}
		cpu_relax();
	}
	return 0;
}

static int lockseed_exit_thread(void *data)
{
	struct lockseed_dev *dev = data;

	mutex_lock(&dev->exit_lock);
	dev->counter++;
	complete(&dev->exit_locked);
	return 0;		/* deliberately exits with exit_lock held */
}

static long lockseed_ioctl(struct file *file, unsigned int cmd, unsigned long arg)
{
	struct lockseed_dev *dev = lockseed;
	struct mutex *m1, *m2;
	spinlock_t *s1, *s2;
	struct lockseed_obj *obj;
	struct task_struct *t;
	unsigned long flags;
	u64 clocks[2];
	int ret;

	switch (cmd) {
	case LOCKSEED_TAKE_A:
		mutex_lock(&dev->a_lock);
		dev->counter++;
		return 0;		/* deliberately returns with a_lock held */
	case LOCKSEED_TAKE_B:
		mutex_lock(&dev->b_lock);
		dev->counter++;
		return 0;		/* deliberately returns with b_lock held */
	case LOCKSEED_REL_B:
		mutex_unlock(&dev->b_lock);
		return 0;
	case LOCKSEED_REL_A:
		mutex_unlock(&dev->a_lock);
		return 0;
	case LOCKSEED_BA:
		mutex_lock(&dev->b_lock);
		if (arg)
			msleep(arg);
		mutex_lock(&dev->a_lock);
		dev->counter++;
		mutex_unlock(&dev->a_lock);
		mutex_unlock(&dev->b_lock);
		return 0;
	case LOCKSEED_AB:
		mutex_lock(&dev->a_lock);
		if (arg)
			msleep(arg);
		mutex_lock(&dev->b_lock);
		dev->counter++;
		mutex_unlock(&dev->b_lock);
		mutex_unlock(&dev->a_lock);
		return 0;
	case LOCKSEED_PAIR:
		m1 = lockseed_mutex(dev, arg & 0xf);
		m2 = lockseed_mutex(dev, (arg >> 4) & 0xf);
		if (!m1 || !m2 || m1 == m2)
			return -EINVAL;
		mutex_lock(m1);
		mutex_lock(m2);
		dev->counter++;
		mutex_unlock(m2);
		mutex_unlock(m1);
		return 0;
	case LOCKSEED_RECURSE:
		/* two instances of one class (same mutex_init site), no subclass */
		mutex_lock(&dev->rec_lock[0]);
		mutex_lock(&dev->rec_lock[1]);
		dev->counter++;
		mutex_unlock(&dev->rec_lock[1]);
		mutex_unlock(&dev->rec_lock[0]);
		return 0;
	case LOCKSEED_UNLOCK_TWICE:
		mutex_lock(&dev->unbal_lock);
		dev->counter++;
		mutex_unlock(&dev->unbal_lock);
		/*
		 * lockdep reports before the mutex code looks at the owner, then
		 * turns itself off, so the mutex debug checks stay quiet and the
		 * unlock of an unowned, waiter-less mutex is a no-op.
		 */
		mutex_unlock(&dev->unbal_lock);
		return 0;
	case LOCKSEED_KILL_HELD:
		/*
		 * The SIGKILL is handled on the way out of this syscall
		 * (exit_to_user_mode_loop -> get_signal -> do_exit), before
		 * lockdep_sys_exit() could see the held lock: the task never
		 * returns to user space and do_exit() reports the held lock.
		 */
		mutex_lock(&dev->exit_lock);
		dev->counter++;
		send_sig(SIGKILL, current, 1);
		return 0;
	case LOCKSEED_KTHREAD_HELD:
		init_completion(&dev->exit_locked);
		t = kthread_create(lockseed_exit_thread, dev, "lockseed_exit");
		if (IS_ERR(t))
			return PTR_ERR(t);
		get_task_struct(t);
		wake_up_process(t);
		/* kthread_stop() before the thread ran would skip its function */
		wait_for_completion(&dev->exit_locked);
		ret = kthread_stop(t);
		put_task_struct(t);
		msleep(20);	/* let the exiting thread's report reach the log */
		return ret;
	case LOCKSEED_FREE_HELD:
		obj = kzalloc(sizeof(*obj), GFP_KERNEL);
		if (!obj)
			return -ENOMEM;
		mutex_init(&obj->lock);
		mutex_lock(&obj->lock);
		obj->value++;
		/*
		 * Freed while held: lockdep reports and turns itself off. The
		 * mutex is never unlocked (that would touch freed memory); with
		 * lockdep off the stale held-lock entry is ignored on the return
		 * to user space.
		 */
		kfree(obj);
		return 0;
	case LOCKSEED_SOFTIRQ:
		WRITE_ONCE(dev->fired, 0);
		mod_timer(&dev->timer, jiffies + 1);
		return lockseed_wait_fired(dev, true);
	case LOCKSEED_HARDIRQ:
		WRITE_ONCE(dev->fired, 0);
		hrtimer_start(&dev->hrtimer, ms_to_ktime(1), HRTIMER_MODE_REL_HARD);
		return lockseed_wait_fired(dev, false);
	case LOCKSEED_SPIN:
		s1 = lockseed_spin(dev, arg & 0xf);
		if (!s1)
			return -EINVAL;
		spin_lock(s1);		/* hardirqs and softirqs enabled */
		dev->counter++;
		spin_unlock(s1);
		return 0;
	case LOCKSEED_SPIN_NEST:
		s1 = lockseed_spin(dev, arg & 0xf);
		s2 = lockseed_spin(dev, (arg >> 4) & 0xf);
		if (!s1 || !s2 || s1 == s2)
			return -EINVAL;
		if ((arg >> 8) & 0xf) {
			spin_lock_irqsave(s1, flags);
			spin_lock(s2);
			dev->counter++;
			spin_unlock(s2);
			spin_unlock_irqrestore(s1, flags);
		} else {
			spin_lock_bh(s1);
			spin_lock(s2);
			dev->counter++;
			spin_unlock(s2);
			spin_unlock_bh(s1);
		}
		return 0;
	case LOCKSEED_CLOCKS:
		local_irq_save(flags);
		clocks[0] = trace_clock_local();
		clocks[1] = local_clock();
		local_irq_restore(flags);
		pr_info("lockseed: clocks: trace_clock_local %llu.%09llu local_clock %llu.%09llu\n",
			clocks[0] / NSEC_PER_SEC, clocks[0] % NSEC_PER_SEC,
			clocks[1] / NSEC_PER_SEC, clocks[1] % NSEC_PER_SEC);
		if (copy_to_user((void __user *)arg, clocks, sizeof(clocks)))
			return -EFAULT;
		return 0;
	}
	return -ENOTTY;
}

static const struct file_operations lockseed_fops = {
	.owner		= THIS_MODULE,
	.unlocked_ioctl	= lockseed_ioctl,
	.llseek		= noop_llseek,
};

static struct miscdevice lockseed_misc = {
	.minor	= MISC_DYNAMIC_MINOR,
	.name	= "lockseed",
	.fops	= &lockseed_fops,
};

static int __init lockseed_init(void)
{
	struct lockseed_dev *dev;
	int i, ret;

	dev = kzalloc(sizeof(*dev), GFP_KERNEL);
	if (!dev)
		return -ENOMEM;
	mutex_init(&dev->a_lock);	/* lockdep class name: &dev->a_lock */
	mutex_init(&dev->b_lock);	/* lockdep class name: &dev->b_lock */
	mutex_init(&dev->c_lock);	/* lockdep class name: &dev->c_lock */
	for (i = 0; i < LOCKSEED_NREC; i++)
		mutex_init(&dev->rec_lock[i]);	/* one class for both: &dev->rec_lock[i] */
	mutex_init(&dev->unbal_lock);
	mutex_init(&dev->exit_lock);
	spin_lock_init(&dev->soft_lock);
	spin_lock_init(&dev->hard_lock);
	spin_lock_init(&dev->plain_lock);
	timer_setup(&dev->timer, lockseed_timer_fn, 0);
	hrtimer_init(&dev->hrtimer, CLOCK_MONOTONIC, HRTIMER_MODE_REL_HARD);
	dev->hrtimer.function = lockseed_hrtimer_fn;
	init_completion(&dev->exit_locked);
	lockseed = dev;

	ret = misc_register(&lockseed_misc);
	if (ret) {
		lockseed = NULL;
		kfree(dev);
		return ret;
	}
	pr_info("lockseed: /dev/lockseed ready\n");
	return 0;
}
device_initcall(lockseed_init);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("lockdep seed reproducer: locks held across syscalls, AB-BA, rings, recursion, bad unlock, exit, irq state");

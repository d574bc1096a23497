/* (i) tasks and the scheduler: CPU affinity migrations, yields, exec from a multithreaded process
 * (de_thread kills the other threads), SIGKILL of processes blocked in a pipe read and a futex wait,
 * exit_group with blocked threads, ptrace attach/peek/detach, POSIX and interval timers, reads of
 * another process' /proc files, pidfd signals, mlock. Nothing here is a locking bug, so lockdep
 * must report nothing. */
#include "common.h"
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/ptrace.h>
#include <sys/time.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <linux/futex.h>

#define PAGE 4096

static volatile sig_atomic_t alarms, timer_sigs;
static int futex_word;

static void on_alarm(int sig)
{
	(void)sig;
	alarms++;
}

static void on_timer(int sig)
{
	(void)sig;
	timer_sigs++;
}

static void pin(int cpu)
{
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set))
		DIE("sched_setaffinity");
}

/* a task moving between the two CPUs (migration with both runqueue locks held) and a child on the
 * other CPU, waking each other through a pipe */
static void migrate(void)
{
	int ab[2], ba[2], i;
	char c = 'x';
	if (pipe(ab) || pipe(ba))
		DIE("pipe");
	pid_t pid = fork();
	if (pid == 0) {
		for (i = 0; i < 8; i++) {
			pin(i & 1);
			if (read(ab[0], &c, 1) != 1 || write(ba[1], &c, 1) != 1)
				DIE("child pipe");
			sched_yield();
		}
		_exit(0);
	}
	for (i = 0; i < 8; i++) {
		pin((i + 1) & 1);
		if (write(ab[1], &c, 1) != 1 || read(ba[0], &c, 1) != 1)
			DIE("parent pipe");
	}
	if (wait_all())
		DIE("migrate child");
	cpu_set_t all;
	CPU_ZERO(&all);
	CPU_SET(0, &all);
	CPU_SET(1, &all);
	sched_setaffinity(0, sizeof(all), &all);
	setpriority(PRIO_PROCESS, 0, 5);
	close(ab[0]); close(ab[1]); close(ba[0]); close(ba[1]);
}

static void *blocked_thread(void *arg)
{
	(void)arg;
	/* waits forever: ended by the exec or the exit_group of its process */
	for (;;)
		syscall(SYS_futex, &futex_word, FUTEX_WAIT, 0, NULL, NULL, 0);
	return NULL;
}

/* a child with two threads blocked in futex waits execs this program: de_thread() kills them */
static void exec_multithreaded(const char *self)
{
	pid_t pid = fork();
	if (pid == 0) {
		pthread_t t;
		int i;
		for (i = 0; i < 2; i++)
			if (pthread_create(&t, NULL, blocked_thread, NULL))
				_exit(2);
		msleep_u(5);
		execl(self, self, "exec-child", (char *)NULL);
		_exit(127);
	}
	/* and one whose main thread exits with the threads still blocked (exit_group) */
	pid_t pid2 = fork();
	if (pid2 == 0) {
		pthread_t t;
		if (pthread_create(&t, NULL, blocked_thread, NULL))
			_exit(2);
		msleep_u(5);
		exit(0);
	}
	if (wait_all())
		DIE("exec_multithreaded children");
}

/* SIGKILL for a process blocked in a pipe read and one blocked in a futex wait */
static void kill_blocked(void)
{
	int p[2];
	char c;
	if (pipe(p))
		DIE("pipe");
	pid_t reader = fork();
	if (reader == 0) {
		close(p[1]);
		read(p[0], &c, 1);
		_exit(3);
	}
	pid_t waiter = fork();
	if (waiter == 0) {
		for (;;)
			syscall(SYS_futex, &futex_word, FUTEX_WAIT, 0, NULL, NULL, 0);
	}
	close(p[0]);
	msleep_u(5);
	kill(reader, SIGKILL);
	int fd = syscall(SYS_pidfd_open, waiter, 0);
	if (fd >= 0) {
		syscall(SYS_pidfd_send_signal, fd, SIGKILL, NULL, 0);
		close(fd);
	} else {
		kill(waiter, SIGKILL);
	}
	int st, killed = 0;
	while (wait(&st) > 0)
		if (WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL)
			killed++;
	if (killed != 2)
		DIE("killed children");
	close(p[1]);
}

/* ptrace: attach to a child, read its memory and registers' worth of words, detach */
static long traced_value = 0x5a5a;
static void trace_child(void)
{
	pid_t pid = fork();
	if (pid == 0) {
		msleep_u(20);
		_exit(traced_value == 0x5a5a ? 0 : 1);
	}
	if (ptrace(PTRACE_ATTACH, pid, NULL, NULL) == 0) {
		int st;
		waitpid(pid, &st, 0);
		errno = 0;
		long v = ptrace(PTRACE_PEEKDATA, pid, &traced_value, NULL);
		if (errno || v != 0x5a5a)
			DIE("PTRACE_PEEKDATA");
		ptrace(PTRACE_DETACH, pid, NULL, NULL);
	}
	/* and the other process' /proc files, which take its mm and exec locks */
	const char *files[] = { "maps", "stat", "status", "environ", "cmdline", "pagemap", "wchan", NULL };
	char path[64], buf[4096];
	int i;
	for (i = 0; files[i]; i++) {
		snprintf(path, sizeof(path), "/proc/%d/%s", pid, files[i]);
		int fd = open(path, O_RDONLY);
		if (fd < 0)
			continue;
		read(fd, buf, sizeof(buf));
		close(fd);
	}
	if (wait_all())
		DIE("traced child");
}

/* timers: setitimer(ITIMER_REAL) to a SIGALRM handler, a POSIX CPU-time timer's signal */
static void timers(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_alarm;
	sigaction(SIGALRM, &sa, NULL);
	sa.sa_handler = on_timer;
	sigaction(SIGRTMIN, &sa, NULL);
	struct itimerval it = { .it_interval = { 0, 4000 }, .it_value = { 0, 4000 } };
	setitimer(ITIMER_REAL, &it, NULL);
	while (alarms < 3)
		pause();
	memset(&it, 0, sizeof(it));
	setitimer(ITIMER_REAL, &it, NULL);

	timer_t tid;
	struct sigevent sev;
	memset(&sev, 0, sizeof(sev));
	sev.sigev_notify = SIGEV_SIGNAL;
	sev.sigev_signo = SIGRTMIN;
	if (timer_create(CLOCK_PROCESS_CPUTIME_ID, &sev, &tid))
		DIE("timer_create");
	struct itimerspec its = { .it_value = { 0, 2000000 } };
	timer_settime(tid, 0, &its, NULL);
	volatile unsigned long spin = 0;
	while (!timer_sigs && spin < 4000000000UL)
		spin++;
	timer_delete(tid);
	if (!timer_sigs)
		DIE("cpu timer");
}

/* mlock a few pages (faulted in at once), munlock */
static void locked_memory(void)
{
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (p == MAP_FAILED)
		DIE("mmap");
	if (mlock(p, 4 * PAGE) == 0)
		munlock(p, 4 * PAGE);
	munmap(p, 4 * PAGE);
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0)
		return 0;
	migrate();
	exec_multithreaded("/proc/self/exe");
	kill_blocked();
	trace_child();
	timers();
	locked_memory();
	printf("tasks: ok (alarms %d, cpu timer %d)\n", (int)alarms, (int)timer_sigs);
	return 0;
}

/* (g) processes, threads, futexes, signals, exec and memory mappings (dir = argv[1], an ext4 mount):
 * nothing here is a locking bug, so lockdep must report nothing. Kept small: every page fault,
 * fork and exec is hundreds of lock events. */
#include "common.h"
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/eventfd.h>
#include <sys/timerfd.h>
#include <sys/epoll.h>
#include <sys/syscall.h>
#include <linux/futex.h>

#define NTHREADS 4
#define ROUNDS 20
#define PAGE 4096

static pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static long counter, turn;
static int efd;
static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

/* threads: contend on one mutex (futex wait/wake), take turns on a condition variable, map and
 * unmap memory while the others fault (mmap_lock readers and writers), signal an eventfd */
static void *worker(void *arg)
{
	long id = (long)arg, i;
	for (i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&mtx);
		while (turn % NTHREADS != id)
			pthread_cond_wait(&cond, &mtx);
		counter++;
		turn++;
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&mtx);
		if (i % 5 == 0) {
			char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
			if (p == MAP_FAILED)
				DIE("thread mmap");
			p[0] = 1;
			p[3 * PAGE] = 1;
			munmap(p, 4 * PAGE);
		}
	}
	uint64_t one = 1;
	if (write(efd, &one, sizeof(one)) != sizeof(one))
		DIE("eventfd write");
	return NULL;
}

static void threads(void)
{
	pthread_t t[NTHREADS];
	long i;
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		DIE("eventfd");
	for (i = 0; i < NTHREADS; i++)
		if (pthread_create(&t[i], NULL, worker, (void *)i))
			DIE("pthread_create");
	for (i = 0; i < NTHREADS; i++)
		pthread_join(t[i], NULL);
	uint64_t n;
	if (read(efd, &n, sizeof(n)) != sizeof(n) || n != NTHREADS)
		DIE("eventfd read");
	close(efd);
	if (counter != NTHREADS * ROUNDS)
		DIE("counter");
}

/* a raw futex handoff between two processes through a shared anonymous page */
static void futex_pingpong(void)
{
	int *w = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	int i;
	if (w == MAP_FAILED)
		DIE("shared mmap");
	pid_t pid = fork();
	if (pid == 0) {
		for (i = 0; i < 10; i++) {
			while (__atomic_load_n(w, __ATOMIC_ACQUIRE) != 2 * i + 1)
				syscall(SYS_futex, w, FUTEX_WAIT, 2 * i, NULL, NULL, 0);
			__atomic_store_n(w, 2 * i + 2, __ATOMIC_RELEASE);
			syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
		}
		_exit(0);
	}
	for (i = 0; i < 10; i++) {
		__atomic_store_n(w, 2 * i + 1, __ATOMIC_RELEASE);
		syscall(SYS_futex, w, FUTEX_WAKE, 1, NULL, NULL, 0);
		while (__atomic_load_n(w, __ATOMIC_ACQUIRE) != 2 * i + 2)
			syscall(SYS_futex, w, FUTEX_WAIT, 2 * i + 1, NULL, NULL, 0);
	}
	if (wait_all())
		DIE("futex child");
	munmap(w, PAGE);
}

/* anonymous memory: faults, mprotect, mremap (grow and move), madvise, munmap */
static void anon_memory(void)
{
	size_t len = 16 * PAGE;
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t i;
	if (p == MAP_FAILED)
		DIE("mmap anon");
	for (i = 0; i < len; i += PAGE)
		p[i] = (char)i;
	/* split the mapping in two and merge it again (mremap needs one vma) */
	if (mprotect(p, 4 * PAGE, PROT_READ) || mprotect(p, 4 * PAGE, PROT_READ | PROT_WRITE))
		DIE("mprotect");
	char *q = mremap(p, len, 2 * len, MREMAP_MAYMOVE);
	if (q == MAP_FAILED)
		DIE("mremap");
	for (i = len; i < 2 * len; i += 2 * PAGE)
		q[i] = 1;
	madvise(q + len, len, MADV_DONTNEED);
	munmap(q, 2 * len);
}

/* a file mapping on ext4: shared writes through the mapping, msync, a private copy-on-write map */
static void file_memory(const char *dir)
{
	char path[256];
	size_t len = 8 * PAGE, i;
	snprintf(path, sizeof(path), "%s/procmm.map", dir);
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR, 0644);
	if (fd < 0)
		DIE("open map");
	if (ftruncate(fd, len))
		DIE("ftruncate map");
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	if (p == MAP_FAILED)
		DIE("mmap shared file");
	for (i = 0; i < len; i += PAGE)
		p[i] = 'a' + i / PAGE;
	if (msync(p, len, MS_SYNC))
		DIE("msync");
	char *c = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	if (c == MAP_FAILED)
		DIE("mmap private file");
	if (c[PAGE] != 'b')
		DIE("private map content");
	c[PAGE] = 'z';	/* copy on write */
	munmap(c, len);
	munmap(p, len);
	close(fd);
	unlink(path);
}

/* signals: a handler installed with sigaction, signals blocked and read through a signalfd that an
 * epoll set watches together with a timerfd */
static void signals(void)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_usr1;
	sigemptyset(&sa.sa_mask);
	if (sigaction(SIGUSR1, &sa, NULL))
		DIE("sigaction");
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
	int sfd = signalfd(-1, &set, SFD_CLOEXEC);
	int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC);
	int ep = epoll_create1(EPOLL_CLOEXEC);
	if (sfd < 0 || tfd < 0 || ep < 0)
		DIE("signalfd/timerfd/epoll");
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = sfd }, out;
	epoll_ctl(ep, EPOLL_CTL_ADD, sfd, &ev);
	ev.data.fd = tfd;
	epoll_ctl(ep, EPOLL_CTL_ADD, tfd, &ev);
	pid_t parent = getpid();
	pid_t pid = fork();
	if (pid == 0) {
		int i;
		for (i = 0; i < 3; i++) {
			kill(parent, SIGUSR1);
			kill(parent, SIGUSR2);
			msleep_u(2);
		}
		_exit(0);
	}
	struct itimerspec its = { .it_value = { 0, 3000000 } };
	timerfd_settime(tfd, 0, &its, NULL);
	int sigs = 0, ticks = 0, tries = 0;
	while ((sigs < 3 || ticks < 1) && tries++ < 50) {
		if (epoll_wait(ep, &out, 1, 1000) != 1)
			continue;
		if (out.data.fd == sfd) {
			struct signalfd_siginfo si;
			if (read(sfd, &si, sizeof(si)) == sizeof(si))
				sigs++;
		} else {
			uint64_t n;
			if (read(tfd, &n, sizeof(n)) == sizeof(n))
				ticks++;
		}
	}
	if (wait_all())
		DIE("signal child");
	/* the SIGUSR2 signals may coalesce while pending: at least one arrived */
	if (sigs < 1 || ticks < 1)
		DIE("signals/timer");
	close(ep);
	close(tfd);
	close(sfd);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
}

/* exec: fork + execve of this program, vfork + execve; then many short children reaped by wait4 */
static void exec_and_reap(const char *self)
{
	pid_t pid = fork();
	if (pid == 0) {
		execl(self, self, "exec-child", (char *)NULL);
		_exit(127);
	}
	pid = vfork();
	if (pid == 0) {
		execl(self, self, "exec-child", (char *)NULL);
		_exit(127);
	}
	int i;
	for (i = 0; i < 6; i++)
		if (fork() == 0)
			_exit(0);
	if (wait_all())
		DIE("exec/reap children");
}

/* /proc and /sys reads about this process and the system */
static void proc_reads(void)
{
	const char *files[] = { "/proc/self/maps", "/proc/self/status", "/proc/self/stat", "/proc/meminfo",
				"/proc/self/smaps", "/sys/kernel/mm/transparent_hugepage/enabled", NULL };
	char buf[4096];
	int i;
	for (i = 0; files[i]; i++) {
		int fd = open(files[i], O_RDONLY);
		if (fd < 0)
			continue;
		while (read(fd, buf, sizeof(buf)) > 0)
			;
		close(fd);
	}
}

int main(int argc, char **argv)
{
	if (argc > 1 && strcmp(argv[1], "exec-child") == 0) {
		char *p = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			return 1;
		p[0] = 1;
		return 0;
	}
	const char *dir = argc > 1 ? argv[1] : "/mnt";
	anon_memory();
	file_memory(dir);
	threads();
	futex_pingpong();
	signals();
	exec_and_reap("/proc/self/exe");
	proc_reads();
	printf("procmm: ok (counter %ld, usr1 %d)\n", counter, (int)got_usr1);
	return 0;
}

/* (j) contention on kernel locks from both CPUs (dir = argv[1], an ext4 mount): threads of one
 * process mapping, unmapping, faulting and mprotect()ing memory at once (mmap_lock readers and
 * writers, page table locks), threads writing one pipe a reader drains (the pipe mutex, wakeups),
 * two processes renaming files in one directory and stat()ing them (the directory's inode lock,
 * rename locks). Nothing here is a locking bug, so lockdep must report nothing. */
#include "common.h"
#include <pthread.h>
#include <sys/mman.h>

#define PAGE 4096
#define ITER 40

static char *shared;
static int pipefd[2];

static void *mapper(void *arg)
{
	(void)arg;
	int i;
	for (i = 0; i < ITER; i++) {
		char *p = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		if (p == MAP_FAILED)
			DIE("mmap");
		p[0] = 1;
		p[5 * PAGE] = 1;
		munmap(p, 8 * PAGE);
	}
	return NULL;
}

static void *faulter(void *arg)
{
	long id = (long)arg;
	int i;
	for (i = 0; i < ITER; i++) {
		char *p = shared + (id & 1) * 8 * PAGE;
		int k;
		for (k = 0; k < 8; k++)
			p[k * PAGE] = (char)i;
		madvise(p, 8 * PAGE, MADV_DONTNEED);
	}
	return NULL;
}

static void *protector(void *arg)
{
	(void)arg;
	int i;
	for (i = 0; i < ITER; i++) {
		mprotect(shared + 16 * PAGE, 4 * PAGE, PROT_READ);
		mprotect(shared + 16 * PAGE, 4 * PAGE, PROT_READ | PROT_WRITE);
	}
	return NULL;
}

static void *writer(void *arg)
{
	(void)arg;
	char b[512];
	int i;
	memset(b, 'w', sizeof(b));
	for (i = 0; i < ITER; i++)
		if (write(pipefd[1], b, sizeof(b)) != sizeof(b))
			DIE("pipe write");
	return NULL;
}

static void memory_and_pipe(void)
{
	pthread_t t[10];
	long i;
	int n = 0;
	shared = mmap(NULL, 20 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED)
		DIE("mmap shared");
	if (pipe(pipefd))
		DIE("pipe");
	for (i = 0; i < 2; i++) {
		pthread_create(&t[n++], NULL, mapper, NULL);
		pthread_create(&t[n++], NULL, faulter, (void *)i);
		pthread_create(&t[n++], NULL, protector, NULL);
		pthread_create(&t[n++], NULL, writer, NULL);
	}
	/* the reader: drains what the two writers write */
	char b[4096];
	long want = 2L * ITER * 512, got = 0;
	while (got < want) {
		ssize_t r = read(pipefd[0], b, sizeof(b));
		if (r <= 0)
			DIE("pipe read");
		got += r;
	}
	for (i = 0; i < n; i++)
		pthread_join(t[i], NULL);
	close(pipefd[0]);
	close(pipefd[1]);
	munmap(shared, 20 * PAGE);
}

static void renames(const char *dir)
{
	char d[200], a[256], b[256];
	snprintf(d, sizeof(d), "%s/contend", dir);
	mkdir(d, 0755);
	pid_t pid = fork();
	int me = pid == 0, i;
	snprintf(a, sizeof(a), "%s/a%d", d, me);
	snprintf(b, sizeof(b), "%s/b%d", d, me);
	int fd = open(a, O_CREAT | O_WRONLY | O_TRUNC, 0644);
	if (fd < 0)
		DIE("open");
	close(fd);
	for (i = 0; i < ITER; i++) {
		struct stat st;
		if (rename(i & 1 ? b : a, i & 1 ? a : b))
			DIE("rename");
		stat(d, &st);
	}
	unlink(a);
	unlink(b);
	if (me)
		_exit(0);
	if (wait_all())
		DIE("rename child");
	rmdir(d);
}

int main(int argc, char **argv)
{
	const char *dir = argc > 1 ? argv[1] : "/mnt";
	memory_and_pipe();
	renames(dir);
	printf("contend: ok\n");
	return 0;
}

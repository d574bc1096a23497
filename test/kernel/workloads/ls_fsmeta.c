/* (h) file system metadata on tmpfs and ext4, splice/tee/vmsplice, memfd (dir = argv[1], an ext4
 * mount; /tmp is tmpfs): nothing here is a locking bug, so lockdep must report nothing. */
#include "common.h"
#include <dirent.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <sys/sendfile.h>
#include <linux/falloc.h>

#define PAGE 4096

static void must(int ok, const char *what)
{
	if (!ok)
		DIE(what);
}

static void write_file(const char *path, size_t len)
{
	char buf[PAGE];
	memset(buf, 'm', sizeof(buf));
	int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	must(fd >= 0, "open for write");
	while (len) {
		size_t n = len < sizeof(buf) ? len : sizeof(buf);
		must(write(fd, buf, n) == (ssize_t)n, "write");
		len -= n;
	}
	close(fd);
}

static void list_dir(const char *path)
{
	DIR *d = opendir(path);
	must(d != NULL, "opendir");
	while (readdir(d))
		;
	closedir(d);
}

/* metadata in one directory tree: mkdir, create, link, symlink, rename (within a directory, across
 * directories, over an existing file, RENAME_EXCHANGE), truncate, fallocate, chmod, utimens,
 * readdir, unlink, rmdir */
static void metadata(const char *root, int is_ext4)
{
	char a[256], b[256], c[256], d1[128], d2[128];
	snprintf(d1, sizeof(d1), "%s/meta1", root);
	snprintf(d2, sizeof(d2), "%s/meta2", root);
	must(mkdir(d1, 0755) == 0, "mkdir d1");
	must(mkdir(d2, 0755) == 0, "mkdir d2");
	snprintf(a, sizeof(a), "%s/a", d1);
	snprintf(b, sizeof(b), "%s/b", d1);
	snprintf(c, sizeof(c), "%s/c", d2);
	write_file(a, 3 * PAGE);
	write_file(b, PAGE);
	must(link(a, c) == 0, "link");
	snprintf(c, sizeof(c), "%s/sym", d2);
	must(symlink("../meta1/a", c) == 0, "symlink");
	must(rename(b, a) == 0, "rename over");	/* replaces a (c still links the old a) */
	snprintf(c, sizeof(c), "%s/moved", d2);
	must(rename(a, c) == 0, "rename across directories");
	write_file(a, PAGE);
	must(renameat2(AT_FDCWD, a, AT_FDCWD, c, RENAME_EXCHANGE) == 0, "renameat2 exchange");
	int fd = open(c, O_RDWR);
	must(fd >= 0, "open moved");
	must(ftruncate(fd, 10 * PAGE) == 0, "ftruncate grow");
	must(fallocate(fd, 0, 0, 16 * PAGE) == 0, "fallocate");
	if (fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 2 * PAGE, 2 * PAGE) != 0 && is_ext4)
		DIE("punch hole");
	must(ftruncate(fd, PAGE) == 0, "ftruncate shrink");
	must(fsync(fd) == 0, "fsync");
	must(fchmod(fd, 0600) == 0, "fchmod");
	must(futimens(fd, NULL) == 0, "futimens");
	close(fd);
	struct stat st;
	must(lstat(c, &st) == 0, "lstat");
	list_dir(d1);
	list_dir(d2);
	/* clean up: unlink everything, rmdir both */
	const char *names1[] = { "a", NULL }, *names2[] = { "c", "sym", "moved", NULL };
	int i;
	for (i = 0; names1[i]; i++) {
		snprintf(a, sizeof(a), "%s/%s", d1, names1[i]);
		unlink(a);
	}
	for (i = 0; names2[i]; i++) {
		snprintf(a, sizeof(a), "%s/%s", d2, names2[i]);
		unlink(a);
	}
	must(rmdir(d1) == 0, "rmdir d1");
	must(rmdir(d2) == 0, "rmdir d2");
}

/* O_DIRECT reads and writes on ext4 (the loop device below it) */
static void direct_io(const char *root)
{
	char path[256];
	void *buf;
	snprintf(path, sizeof(path), "%s/direct", root);
	must(posix_memalign(&buf, PAGE, 4 * PAGE) == 0, "posix_memalign");
	memset(buf, 'd', 4 * PAGE);
	int fd = open(path, O_CREAT | O_TRUNC | O_RDWR | O_DIRECT, 0644);
	must(fd >= 0, "open O_DIRECT");
	must(pwrite(fd, buf, 4 * PAGE, 0) == 4 * PAGE, "pwrite O_DIRECT");
	must(pread(fd, buf, 2 * PAGE, PAGE) == 2 * PAGE, "pread O_DIRECT");
	must(fdatasync(fd) == 0, "fdatasync");
	close(fd);
	unlink(path);
	free(buf);
}

/* pipes: splice a file into a pipe, tee it into a second pipe, splice both out into files,
 * vmsplice user memory into a pipe; sendfile and copy_file_range between files */
static void splicing(const char *src_dir, const char *dst_dir)
{
	char src[256], dst[256], dst2[256];
	int p1[2], p2[2];
	snprintf(src, sizeof(src), "%s/splice.src", src_dir);
	snprintf(dst, sizeof(dst), "%s/splice.dst", dst_dir);
	snprintf(dst2, sizeof(dst2), "%s/splice.tee", dst_dir);
	write_file(src, 4 * PAGE);
	must(pipe(p1) == 0 && pipe(p2) == 0, "pipe");
	int in = open(src, O_RDONLY), out = open(dst, O_CREAT | O_TRUNC | O_WRONLY, 0644),
	    out2 = open(dst2, O_CREAT | O_TRUNC | O_WRONLY, 0644);
	must(in >= 0 && out >= 0 && out2 >= 0, "open splice files");
	ssize_t n;
	loff_t off = 0;
	while ((n = splice(in, &off, p1[1], NULL, 2 * PAGE, SPLICE_F_MOVE)) > 0) {
		must(tee(p1[0], p2[1], n, 0) == n, "tee");
		must(splice(p1[0], NULL, out, NULL, n, SPLICE_F_MOVE) == n, "splice to file");
		must(splice(p2[0], NULL, out2, NULL, n, SPLICE_F_MOVE) == n, "splice tee to file");
	}
	must(n == 0, "splice from file");
	static char user[2 * PAGE];
	memset(user, 'v', sizeof(user));
	struct iovec iov = { user, sizeof(user) };
	must(vmsplice(p1[1], &iov, 1, 0) == (ssize_t)sizeof(user), "vmsplice");
	must(splice(p1[0], NULL, out, NULL, sizeof(user), 0) == (ssize_t)sizeof(user), "splice vmspliced");
	close(out);
	out = open(dst, O_WRONLY);
	must(out >= 0, "reopen dst");
	lseek(out, 0, SEEK_END);
	lseek(in, 0, SEEK_SET);
	must(sendfile(out, in, NULL, PAGE) == PAGE, "sendfile");
	off = 0;
	loff_t off_out = 8 * PAGE;
	/* across file systems 6.1 refuses (EXDEV): the attempt is what is traced */
	if (copy_file_range(in, &off, out2, &off_out, PAGE, 0) < 0 && errno != EXDEV)
		DIE("copy_file_range");
	close(in);
	close(out);
	close(out2);
	close(p1[0]); close(p1[1]); close(p2[0]); close(p2[1]);
	unlink(src);
	unlink(dst);
	unlink(dst2);
}

/* memfd: write, seal, map shared in a child, read back in the parent */
static void memfd(void)
{
	int fd = memfd_create("ls_fsmeta", MFD_CLOEXEC | MFD_ALLOW_SEALING);
	must(fd >= 0, "memfd_create");
	must(ftruncate(fd, 4 * PAGE) == 0, "memfd ftruncate");
	char *p = mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	must(p != MAP_FAILED, "memfd mmap");
	pid_t pid = fork();
	if (pid == 0) {
		int i;
		for (i = 0; i < 4; i++)
			p[i * PAGE] = 'A' + i;
		_exit(0);
	}
	must(wait_all() == 0, "memfd child");
	must(p[3 * PAGE] == 'D', "memfd content");
	munmap(p, 4 * PAGE);
	must(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE) == 0, "F_ADD_SEALS");
	must(ftruncate(fd, PAGE) != 0, "sealed ftruncate refused");
	char buf[PAGE];
	must(pread(fd, buf, PAGE, 2 * PAGE) == PAGE && buf[0] == 'C', "memfd pread");
	close(fd);
}

int main(int argc, char **argv)
{
	const char *ext4 = argc > 1 ? argv[1] : "/mnt";
	char tdir[64];
	snprintf(tdir, sizeof(tdir), "/tmp/fsmeta");
	must(mkdir(tdir, 0755) == 0 || errno == EEXIST, "mkdir /tmp/fsmeta");
	/* tmpfs and ext4 metadata in two processes at once, then alone */
	pid_t pid = fork();
	if (pid == 0) {
		metadata(tdir, 0);
		_exit(0);
	}
	metadata(ext4, 1);
	must(wait_all() == 0, "tmpfs child");
	direct_io(ext4);
	splicing(tdir, ext4);
	splicing(ext4, tdir);
	memfd();
	list_dir("/proc/self/fd");
	rmdir(tdir);
	sync();
	printf("fsmeta: ok\n");
	return 0;
}

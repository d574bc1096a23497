// Kernel lock contention for `locktrace record --contention`, one mode per argument:
//   file N  writer threads write 256 KiB chunks to one file (kcontend.dat in the current directory):
//           each write holds the file's i_rwsem for a long copy, the others queue on it; one writer
//           holds the userspace mutex stats_lock the whole time
//   pipe N  writer threads fill one pipe faster than its reader empties it (the pipe's mutex)
//   mmap N  the pipe writers, plus threads mapping and unmapping pages (mmap_lock)
// N: iterations per thread.
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
pthread_mutex_t stats_lock = PTHREAD_MUTEX_INITIALIZER;
static int fds[2];
static int iterations = 3000;
static void *writer(void *arg) {
  char b[512];
  int locked = arg != NULL;
  memset(b, 'x', sizeof b);
  if (locked) pthread_mutex_lock(&stats_lock); /* KC_STATS_LOCK */
  for (int i = 0; i < iterations; i++) write(fds[1], b, sizeof b); /* KC_WRITE */
  if (locked) pthread_mutex_unlock(&stats_lock);
  return NULL;
}
static int file_fd;
static void *file_writer(void *arg) {
  static char chunk[256 << 10];
  int locked = arg != NULL;
  if (locked) pthread_mutex_lock(&stats_lock); /* KC_FILE_STATS_LOCK */
  for (int i = 0; i < iterations; i++) pwrite(file_fd, chunk, sizeof chunk, 0); /* KC_FILE_WRITE */
  if (locked) pthread_mutex_unlock(&stats_lock);
  return NULL;
}
static void *mapper(void *arg) {
  (void)arg;
  for (int i = 0; i < iterations; i++) {
    char *p = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) break;
    memset(p, 1, 1 << 16);
    munmap(p, 1 << 16);
  }
  return NULL;
}
static void *reader(void *arg) {
  (void)arg;
  char b[128];
  while (read(fds[0], b, sizeof b) > 0) {
  }
  return NULL;
}
int main(int argc, char **argv) {
  int mmaps = argc > 1 && strcmp(argv[1], "mmap") == 0;
  if (argc > 2) iterations = atoi(argv[2]);
  if (argc > 1 && strcmp(argv[1], "file") == 0) {
    pthread_t f[4];
    file_fd = open("kcontend.dat", O_WRONLY | O_CREAT | O_TRUNC, 0644);
    if (file_fd < 0) return 1;
    for (int i = 0; i < 4; i++) pthread_create(&f[i], NULL, file_writer, i == 0 ? &stats_lock : NULL);
    for (int i = 0; i < 4; i++) pthread_join(f[i], NULL);
    close(file_fd);
    unlink("kcontend.dat");
    return 0;
  }
  if (pipe(fds)) return 1;
  pthread_t r, w[6], m[4];
  pthread_create(&r, NULL, reader, NULL);
  for (int i = 0; i < 6; i++) pthread_create(&w[i], NULL, writer, i == 0 ? &stats_lock : NULL);
  if (mmaps)
    for (int i = 0; i < 4; i++) pthread_create(&m[i], NULL, mapper, NULL);
  for (int i = 0; i < 6; i++) pthread_join(w[i], NULL);
  if (mmaps)
    for (int i = 0; i < 4; i++) pthread_join(m[i], NULL);
  close(fds[1]);
  pthread_join(r, NULL);
  return 0;
}

// Kernel lock contention for `locktrace record --contention`: writer threads fill one pipe faster
// than its reader empties it (they sleep when it is full and, woken together, queue on the pipe's
// mutex in pipe_write), one of them while holding the userspace mutex stats_lock; with `mmap`,
// threads also map and unmap pages (mmap_lock).
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

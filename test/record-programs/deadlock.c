// AB-BA between two threads with blocking locks: they deadlock. main writes deadlock.ready once
// both had time to block, then waits forever; the test kills the process.
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;
static void *writer(void *arg) {
  (void)arg;
  pthread_mutex_lock(&db_lock);
  usleep(100000);
  pthread_mutex_lock(&index_lock); /* DEADLOCK_WRITER_WAITS */
  return 0;
}
static void *indexer(void *arg) {
  (void)arg;
  pthread_mutex_lock(&index_lock);
  usleep(100000);
  pthread_mutex_lock(&db_lock); /* DEADLOCK_INDEXER_WAITS */
  return 0;
}
int main(void) {
  pthread_t a, b;
  pthread_create(&a, 0, writer, 0);
  pthread_create(&b, 0, indexer, 0);
  usleep(400000);
  FILE *f = fopen("deadlock.ready", "w");
  if (f) fclose(f);
  pthread_join(a, 0);
  pthread_join(b, 0);
  return 0;
}

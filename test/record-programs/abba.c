// AB-BA between two threads; timed locks so it always terminates.
#include <pthread.h>
#include <time.h>
#include <unistd.h>
pthread_mutex_t db_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t index_lock = PTHREAD_MUTEX_INITIALIZER;
static int timed(pthread_mutex_t *m) {
  struct timespec ts; clock_gettime(CLOCK_REALTIME, &ts); ts.tv_nsec += 200000000;
  if (ts.tv_nsec >= 1000000000) { ts.tv_sec++; ts.tv_nsec -= 1000000000; }
  return pthread_mutex_timedlock(m, &ts);
}
static void *writer(void *arg) {
  (void)arg;
  pthread_mutex_lock(&db_lock); /* ABBA_WRITER_FIRST */
  usleep(50000);
  if (timed(&index_lock) == 0) pthread_mutex_unlock(&index_lock);
  pthread_mutex_unlock(&db_lock);
  return 0;
}
static void *indexer(void *arg) {
  (void)arg;
  pthread_mutex_lock(&index_lock); /* ABBA_INDEXER_FIRST */
  usleep(50000);
  if (timed(&db_lock) == 0) pthread_mutex_unlock(&db_lock);
  pthread_mutex_unlock(&index_lock);
  return 0;
}
int main(void) {
  pthread_t a, b;
  pthread_create(&a, 0, writer, 0);
  pthread_create(&b, 0, indexer, 0);
  pthread_join(a, 0);
  pthread_join(b, 0);
  return 0;
}

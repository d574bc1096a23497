// Readers and a writer on config_lock; a heap mutex taken under the read side.
#include <pthread.h>
#include <stdlib.h>
pthread_rwlock_t config_lock = PTHREAD_RWLOCK_INITIALIZER;
static pthread_mutex_t *stats_lock;
static void *reader(void *arg) {
  (void)arg;
  for (int i = 0; i < 5; i++) {
    pthread_rwlock_rdlock(&config_lock); /* RW_READ */
    pthread_mutex_lock(stats_lock); /* RW_HEAP */
    pthread_mutex_unlock(stats_lock);
    pthread_rwlock_unlock(&config_lock);
  }
  return 0;
}
static void *writer(void *arg) {
  (void)arg;
  for (int i = 0; i < 5; i++) {
    pthread_rwlock_wrlock(&config_lock); /* RW_WRITE */
    pthread_rwlock_unlock(&config_lock);
    if (pthread_rwlock_trywrlock(&config_lock) == 0) pthread_rwlock_unlock(&config_lock);
  }
  return 0;
}
int main(void) {
  stats_lock = malloc(sizeof *stats_lock);
  pthread_mutex_init(stats_lock, 0);
  pthread_t r1, r2, w;
  pthread_create(&r1, 0, reader, 0);
  pthread_create(&r2, 0, reader, 0);
  pthread_create(&w, 0, writer, 0);
  pthread_join(r1, 0); pthread_join(r2, 0); pthread_join(w, 0);
  return 0;
}

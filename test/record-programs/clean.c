// Consistent ordering: every thread takes outer_lock then inner_lock.
#include <pthread.h>
pthread_mutex_t outer_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t inner_lock = PTHREAD_MUTEX_INITIALIZER;
static long counter;
static void *work(void *arg) {
  (void)arg;
  for (int i = 0; i < 20; i++) {
    pthread_mutex_lock(&outer_lock); /* CLEAN_OUTER */
    pthread_mutex_lock(&inner_lock); /* CLEAN_INNER */
    counter++;
    pthread_mutex_unlock(&inner_lock);
    pthread_mutex_unlock(&outer_lock);
  }
  return 0;
}
int main(void) {
  pthread_t t[3];
  for (int i = 0; i < 3; i++) pthread_create(&t[i], 0, work, 0);
  for (int i = 0; i < 3; i++) pthread_join(t[i], 0);
  return counter == 60 ? 0 : 1;
}

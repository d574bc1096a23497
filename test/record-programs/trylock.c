// Back-off: the second lock is only ever tried, and everything is dropped when it is busy.
#include <pthread.h>
#include <unistd.h>
pthread_mutex_t left_lock = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t right_lock = PTHREAD_MUTEX_INITIALIZER;
static void *grab(void *arg) {
  int flip = arg != 0;
  pthread_mutex_t *first = flip ? &right_lock : &left_lock, *second = flip ? &left_lock : &right_lock;
  for (int done = 0, n = 0; !done && n < 1000; n++) {
    pthread_mutex_lock(first);
    if (pthread_mutex_trylock(second) == 0) { /* TRY_SECOND */
      usleep(1000);
      pthread_mutex_unlock(second);
      done = 1;
    }
    pthread_mutex_unlock(first);
    if (!done) usleep(500);
  }
  return 0;
}
int main(void) {
  pthread_t a, b;
  pthread_create(&a, 0, grab, 0);
  pthread_create(&b, 0, grab, (void *)1);
  pthread_join(a, 0);
  pthread_join(b, 0);
  return 0;
}

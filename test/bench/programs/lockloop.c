// Recorder overhead benchmark: N iterations of two nested pthread mutexes in two threads, with a
// getppid() syscall every 10th iteration. Usage: lockloop N
#include <pthread.h>
#include <stdlib.h>
#include <unistd.h>
static pthread_mutex_t a = PTHREAD_MUTEX_INITIALIZER, b = PTHREAD_MUTEX_INITIALIZER;
static long n;
static void *worker(void *arg) {
  (void)arg;
  for (long i = 0; i < n; i++) {
    pthread_mutex_lock(&a);
    pthread_mutex_lock(&b);
    if (i % 10 == 0) getppid();
    pthread_mutex_unlock(&b);
    pthread_mutex_unlock(&a);
  }
  return NULL;
}
int main(int argc, char **argv) {
  n = argc > 1 ? atol(argv[1]) : 10000;
  pthread_t t1, t2;
  pthread_create(&t1, NULL, worker, NULL);
  pthread_create(&t2, NULL, worker, NULL);
  pthread_join(t1, NULL);
  pthread_join(t2, NULL);
  return 0;
}

// Three threads, three locks, a cycle A->B, B->C, C->A; run one after the other so it never hangs.
#include <pthread.h>
pthread_mutex_t lock_a = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_b = PTHREAD_MUTEX_INITIALIZER;
pthread_mutex_t lock_c = PTHREAD_MUTEX_INITIALIZER;
struct pair { pthread_mutex_t *first, *second; };
static void *take(void *arg) {
  struct pair *p = arg;
  pthread_mutex_lock(p->first); /* CYCLE_FIRST */
  pthread_mutex_lock(p->second); /* CYCLE_SECOND */
  pthread_mutex_unlock(p->second);
  pthread_mutex_unlock(p->first);
  return 0;
}
int main(void) {
  struct pair ps[3] = {{&lock_a, &lock_b}, {&lock_b, &lock_c}, {&lock_c, &lock_a}};
  for (int i = 0; i < 3; i++) { pthread_t t; pthread_create(&t, 0, take, &ps[i]); pthread_join(t, 0); }
  return 0;
}

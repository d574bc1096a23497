// Holds log_lock across many syscalls (writes, fsync), then sleeps so a test can kill it.
#include <pthread.h>
#include <fcntl.h>
#include <unistd.h>
#include <stdlib.h>
pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
int main(int argc, char **argv) {
  int fd = open("held.log", O_WRONLY | O_CREAT | O_TRUNC, 0644);
  pthread_mutex_lock(&log_lock); /* HELD_LOCK */
  for (int i = 0; i < 200; i++) write(fd, "line\n", 5);
  fsync(fd);
  if (argc > 1) sleep(atoi(argv[1])); /* killed here by the test */
  pthread_mutex_unlock(&log_lock);
  close(fd);
  return 0;
}

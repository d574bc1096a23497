// Two processes flock two files in opposite order; alarm() breaks the deadlock after 1 s.
#include <sys/file.h>
#include <fcntl.h>
#include <unistd.h>
#include <signal.h>
#include <stdio.h>
#include <sys/wait.h>
static void onalarm(int s) { (void)s; }
static void worker(const char *first, const char *second) {
  struct sigaction sa = {0}; sa.sa_handler = onalarm; sigaction(SIGALRM, &sa, 0);
  int a = open(first, O_RDWR | O_CREAT, 0644), b = open(second, O_RDWR | O_CREAT, 0644);
  flock(a, LOCK_EX); /* FLOCK_FIRST */
  usleep(200000);
  alarm(1);
  if (flock(b, LOCK_EX) != 0) perror("flock second (deadlock broken by alarm)"); /* FLOCK_SECOND */
  alarm(0);
  flock(b, LOCK_UN); flock(a, LOCK_UN); close(b); close(a);
}
int main(void) {
  pid_t p = fork();
  if (p == 0) { worker("db.lock", "index.lock"); _exit(0); }
  worker("index.lock", "db.lock");
  waitpid(p, 0, 0);
  return 0;
}

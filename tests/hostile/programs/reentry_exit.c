/* exit() from a signal handler that may have interrupted the runtime (issue #13): the
 * process ends instead of waiting on a lock its own thread holds. */
#include <signal.h>
#include <stdlib.h>
#include <sys/time.h>

static void on_alarm(int sig) {
  (void)sig;
  exit(0);
}

int main(void) {
  signal(SIGALRM, on_alarm);
  struct itimerval it = {{0, 0}, {0, 20000}};
  setitimer(ITIMER_REAL, &it, NULL);
  for (;;) {
    void *volatile p = malloc(32);
    free(p);
  }
}

/* Descriptors belong to the program (issue #13, item 3).
 *   closeall: closes 3..1023 (a closefrom loop), opens its own file, writes 13 bytes,
 *             allocates (in full mode every event goes to memscope's file), checks the
 *             file still holds exactly its 13 bytes;
 *   dup2:     opens its own file and dup2()s it over descriptors 3..63 and 960..1023
 *             (the low ones a constructor would get, the high ones memscope keeps), then
 *             the same checks;
 *   rlimit:   opens /dev/null until EMFILE and prints how many it got (run under
 *             `ulimit -n N` and compared with the plain build);
 *   exec:     becomes ls listing its own descriptors (none of memscope's may leak
 *             through exec).
 * Allocates PAIRS malloc/free pairs from 2 threads in each mode. */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { PAIRS = 20000 };
/* Each thread its own: a volatile pointer keeps the compiler from removing the pairs. */
static __thread void *volatile sink;

static void *churn(void *arg) {
  for (int i = 0; i < PAIRS; i++) {
    sink = malloc(64 + (size_t)(i & 7));
    free(sink);
  }
  return arg;
}

static void churn_two_threads(void) {
  pthread_t t;
  pthread_create(&t, NULL, churn, NULL);
  churn(NULL);
  pthread_join(t, NULL);
}

static int check_own_file(const char *path, int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0 || st.st_size != 13) {
    fprintf(stderr, "descriptors: %s holds %lld bytes, expected 13\n", path,
            (long long)st.st_size);
    return 1;
  }
  char buf[32] = {0};
  if (pread(fd, buf, sizeof buf, 0) != 13 || memcmp(buf, "program data\n", 13) != 0) {
    fprintf(stderr, "descriptors: %s was changed\n", path);
    return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "closeall";
  if (strcmp(mode, "rlimit") == 0) {
    int n = 0;
    while (open("/dev/null", O_RDONLY) >= 0) n++;
    printf("descriptors: %d opened before %s\n", n, errno == EMFILE ? "EMFILE" : "another error");
    churn_two_threads();
    return 0;
  }
  if (strcmp(mode, "exec") == 0) {
    churn_two_threads();
    fflush(stdout);
    execl("/bin/ls", "ls", "/proc/self/fd", (char *)NULL); /* ls's own descriptors */
    return 5;
  }
  const char *path = argc > 2 ? argv[2] : "own.txt";
  churn_two_threads(); /* memscope has written before the program touches descriptors */
  int fd;
  if (strcmp(mode, "closeall") == 0) {
    for (int i = 3; i < 1024; i++) close(i);
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  } else {
    fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    for (int i = 3; i < 1024; i = i == 63 ? 960 : i + 1)
      if (i != fd) dup2(fd, i);
  }
  if (fd < 0 || write(fd, "program data\n", 13) != 13) return 3;
  churn_two_threads();
  if (check_own_file(path, fd)) return 4;
  printf("descriptors: %s kept its 13 bytes\n", mode);
  return 0;
}

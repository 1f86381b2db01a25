/* LD_PRELOAD counter of free() calls with a non-NULL pointer (tests/hostile/
 * unwinder_tls.sh): what the plain program frees, written to $UNW_FREES_OUT at exit. */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static unsigned long frees;
static void (*next_free)(void *);

void free(void *p) {
  if (!next_free) next_free = (void (*)(void *))dlsym(RTLD_NEXT, "free");
  if (p) __atomic_fetch_add(&frees, 1, __ATOMIC_RELAXED);
  next_free(p);
}

__attribute__((destructor)) static void report(void) {
  const char *path = getenv("UNW_FREES_OUT");
  if (!path) return;
  char line[32];
  int len = snprintf(line, sizeof line, "%lu\n", frees);
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return;
  if (write(fd, line, (size_t)len) < 0) {}
  close(fd);
}

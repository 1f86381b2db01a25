/* A file's bytes read again, later (reread.h). */
#include "reread.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "util.h"

struct mg_reread {
  int fd;
  size_t refs;
  char *name;
};

struct mg_reread *mg_reread_open(int fd, const char *name) {
  int own = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (own < 0)
    return NULL;
  struct mg_reread *rr = mg_xmalloc(sizeof *rr);
  rr->fd = own;
  rr->refs = 1;
  rr->name = mg_xstrdup(name ? name : "-");
  return rr;
}

struct mg_reread *mg_reread_hold(struct mg_reread *rr) {
  rr->refs++;
  return rr;
}

void mg_reread_drop(struct mg_reread *rr) {
  if (!rr || --rr->refs > 0)
    return;
  close(rr->fd);
  free(rr->name);
  free(rr);
}

const char *mg_reread_name(const struct mg_reread *rr) { return rr->name; }

long mg_reread(struct mg_reread *rr, uint64_t off, void *buf, size_t len) {
  size_t have = 0;
  while (have < len) {
    ssize_t n = pread(rr->fd, (char *)buf + have, len - have, (off_t)(off + have));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    if (n == 0) /* the end of the file: it shrank */
      break;
    have += (size_t)n;
  }
  return (long)have;
}

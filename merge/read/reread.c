/* A file's bytes read again, later (reread.h). */
#include "reread.h"

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "util.h"

struct mg_reread {
  int fd;
  size_t refs;
};

struct mg_reread *mg_reread_open(int fd) {
  int own = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (own < 0)
    return NULL;
  struct mg_reread *rr = mg_xmalloc(sizeof *rr);
  rr->fd = own;
  rr->refs = 1;
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
  free(rr);
}

long mg_reread(struct mg_reread *rr, uint64_t off, void *buf, size_t len) {
  return mg_pread_full(rr->fd, buf, len, off);
}

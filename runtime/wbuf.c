/* A byte buffer that grows with mremap: the msgpack packer writes records into it
 * without touching malloc. */
#include <string.h>

#include "internal.h"

#define MS_PAGE 4096u

static size_t round_pages(size_t n) { return (n + MS_PAGE - 1) & ~(size_t)(MS_PAGE - 1); }

int ms_wbuf_init(struct ms_wbuf *b, size_t cap) {
  b->len = 0;
  b->failed = 0;
  b->fixed = 0;
  b->cap = round_pages(cap ? cap : MS_PAGE);
  b->data = ms_os_map(b->cap);
  if (!b->data) {
    b->cap = 0;
    b->failed = 1;
    return -1;
  }
  return 0;
}

void ms_wbuf_release(struct ms_wbuf *b) {
  ms_os_unmap(b->data, b->cap);
  b->data = NULL;
  b->cap = b->len = 0;
}

int ms_wbuf_append(struct ms_wbuf *b, const void *data, size_t len) {
  if (b->failed) return -1;
  if (b->len + len > b->cap) {
    if (b->fixed) {
      b->failed = 1;
      return -1;
    }
    size_t want = round_pages((b->len + len) * 2);
    char *p = b->data ? ms_os_remap(b->data, b->cap, want) : ms_os_map(want);
    if (!p) {
      b->failed = 1;
      return -1;
    }
    b->data = p;
    b->cap = want;
  }
  memcpy(b->data + b->len, data, len);
  b->len += len;
  return 0;
}

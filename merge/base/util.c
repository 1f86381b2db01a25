#include "util.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void out_of_memory(size_t size) {
  fprintf(stderr, "memscope-merge: out of memory (asked for %zu bytes)\n", size);
  exit(1);
}

void *mg_xmalloc(size_t size) {
  void *p = malloc(size ? size : 1);
  if (!p)
    out_of_memory(size);
  return p;
}

void *mg_xcalloc(size_t nmemb, size_t size) {
  void *p = calloc(nmemb ? nmemb : 1, size ? size : 1);
  if (!p)
    out_of_memory(nmemb * size);
  return p;
}

void *mg_xrealloc(void *ptr, size_t size) {
  void *p = realloc(ptr, size ? size : 1);
  if (!p)
    out_of_memory(size);
  return p;
}

char *mg_xstrndup(const char *s, size_t len) {
  char *p = mg_xmalloc(len + 1);
  memcpy(p, s, len);
  p[len] = '\0';
  return p;
}

char *mg_xstrdup(const char *s) {
  return mg_xstrndup(s, strlen(s));
}

void mg_grow(void **array, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap)
    return;
  size_t n = *cap ? *cap : 8;
  while (n < need) {
    if (n > ((size_t)-1) / 2 / elem)
      out_of_memory((size_t)-1);
    n *= 2;
  }
  *array = mg_xrealloc(*array, n * elem);
  *cap = n;
}

void mg_prefault(void *p, size_t len) {
#ifdef MADV_POPULATE_WRITE
  uintptr_t start = ((uintptr_t)p + 4095) & ~(uintptr_t)4095;
  uintptr_t end = ((uintptr_t)p + len) & ~(uintptr_t)4095;
  if (end > start + 4 * 4096) /* a few pages fault cheaper than a system call */
    madvise((void *)start, end - start, MADV_POPULATE_WRITE);
#else
  (void)p;
  (void)len;
#endif
}

size_t mg_huge_size(size_t size) {
  const size_t huge = (size_t)2 << 20;
  return size < huge ? size : (size + huge - 1) & ~(huge - 1);
}

void *mg_xmalloc_huge(size_t size) {
  const size_t huge = (size_t)2 << 20;
  if (size < huge)
    return mg_xmalloc(size);
  size = mg_huge_size(size); /* whole huge pages: aligned_alloc's rule too */
  void *p = aligned_alloc(huge, size);
  if (!p)
    out_of_memory(size);
#ifdef MADV_HUGEPAGE
  madvise(p, size, MADV_HUGEPAGE); /* a refusal leaves small pages: only slower */
#endif
  return p;
}

const char *mg_base_name(const char *path) {
  const char *slash = strrchr(path, '/');
  return slash ? slash + 1 : path;
}

char *mg_xstrdup_or_null(const char *s) { return s ? mg_xstrdup(s) : NULL; }

void mg_grow_zeroed(void **array, size_t *cap, size_t need, size_t elem) {
  if (need <= *cap)
    return;
  size_t old = *cap;
  mg_grow(array, cap, need, elem);
  memset((char *)*array + old * elem, 0, (*cap - old) * elem);
}

long mg_pread_full(int fd, void *buf, size_t len, uint64_t off) {
  size_t have = 0;
  while (have < len) {
    ssize_t n = pread(fd, (char *)buf + have, len - have, (off_t)(off + have));
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return -1;
    if (n == 0) /* the file's end */
      break;
    have += (size_t)n;
  }
  return (long)have;
}

/* An allocation wrapper nobody lists or declares: xmalloc returns what malloc
 * returned, so the pass infers it, and each of its three callers is a site of its own
 * (frames: xmalloc's malloc, then the caller's call) with exact counts.  keep() returns
 * a pointer it did not allocate, so it is no wrapper. */
#include <stdio.h>
#include <stdlib.h>

static void *kept[32];

__attribute__((noinline)) void *xmalloc(size_t n) {
  void *p = malloc(n); /* site:inner-malloc */
  if (!p)
    abort();
  return p;
}

__attribute__((noinline)) static void *keep(int i, size_t n) {
  if (!kept[i])
    kept[i] = xmalloc(n); /* site:call-keep */
  return kept[i];
}

__attribute__((noinline)) static void alpha(int n) {
  for (int i = 0; i < n; i++)
    free(xmalloc(24)); /* site:call-alpha */
}

__attribute__((noinline)) static void beta(int n) {
  for (int i = 0; i < n; i++)
    kept[i] = xmalloc(40); /* site:call-beta */
  for (int i = 0; i < n; i++) {
    free(kept[i]);
    kept[i] = NULL;
  }
}

__attribute__((noinline)) static void gamma_(int n) {
  for (int i = 0; i < n; i++)
    free(xmalloc(8 + i)); /* site:call-gamma */
}

int main(void) {
  alpha(10);
  beta(20);
  gamma_(30);
  for (int i = 0; i < 4; i++)
    keep(i % 2, 100);
  free(kept[0]);
  free(kept[1]);
  puts("inferred: done");
  return 0;
}

/* Small helpers shared by the analysis: allocation that cannot fail, growable arrays.
 *
 * The analysis is an offline tool: when memory runs out there is nothing useful to do but
 * say so and stop, so the ms_x* functions print a message and exit(1) instead of returning
 * NULL.  (An in-process user would replace these three functions.) */
#ifndef MEMSCOPE_MERGE_UTIL_H
#define MEMSCOPE_MERGE_UTIL_H

#include <stddef.h>

void *ms_xmalloc(size_t size);
void *ms_xcalloc(size_t nmemb, size_t size);
void *ms_xrealloc(void *ptr, size_t size);
/* Copies len bytes and appends a NUL. */
char *ms_xstrndup(const char *s, size_t len);
char *ms_xstrdup(const char *s);

/* Makes room for at least `need` elements of `elem` bytes in *array, whose capacity is
 * *cap; grows geometrically so appending n elements costs O(n). */
void ms_grow(void **array, size_t *cap, size_t need, size_t elem);

/* Asks the kernel to map the pages of [p, p + len) now, in one call, before they are
 * written: on a virtual machine, faulting in fresh memory a page at a time is what costs
 * most when the merge fills its window (docs/merge.md, "Performance").  Only worth it for
 * large ranges; does nothing where the kernel cannot (before Linux 5.14). */
void ms_prefault(void *p, size_t len);

#define MS_GROW(array, cap, need) \
  ms_grow((void **)&(array), &(cap), (need), sizeof *(array))

#endif

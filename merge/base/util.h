/* Small helpers shared by the analysis: allocation that cannot fail, growable arrays.
 *
 * The analysis is an offline tool: when memory runs out there is nothing useful to do but
 * say so and stop, so the mg_x* functions print a message and exit(1) instead of returning
 * NULL.  (An in-process user would replace
 * mg_xmalloc, mg_xcalloc and mg_xrealloc; the others allocate through them.) */
#ifndef MEMSCOPE_MERGE_UTIL_H
#define MEMSCOPE_MERGE_UTIL_H

#include <stddef.h>
#include <stdint.h>

void *mg_xmalloc(size_t size);
void *mg_xcalloc(size_t nmemb, size_t size);
void *mg_xrealloc(void *ptr, size_t size);
/* Copies len bytes and appends a NUL. */
char *mg_xstrndup(const char *s, size_t len);
char *mg_xstrdup(const char *s);
/* mg_xstrdup, or NULL for NULL. */
char *mg_xstrdup_or_null(const char *s);

/* Makes room for at least `need` elements of `elem` bytes in *array, whose capacity is
 * *cap; grows geometrically so appending n elements costs O(n). */
void mg_grow(void **array, size_t *cap, size_t need, size_t elem);

/* Asks the kernel to map the pages of [p, p + len) now, in one call, before they are
 * written: on a virtual machine, faulting in fresh memory a page at a time is what costs
 * most when the merge fills its window (docs/merge.md, "Performance").  Only worth it for
 * large ranges; does nothing where the kernel cannot (before Linux 5.14). */
void mg_prefault(void *p, size_t len);
/* len bytes of fd at off into buf, through interruptions and short reads: how many were
 * read (fewer than len only at the file's end), or -1 with errno set. */
long mg_pread_full(int fd, void *buf, size_t len, uint64_t off);
/* size bytes for an array that is probed at random (the live-block table), freed with
 * free(): from 2 MiB up, on 2 MiB boundaries and backed by huge pages where the system
 * gives them on request (madvise), so that its probes do not each miss the TLB too. */
void *mg_xmalloc_huge(size_t size);
/* The bytes mg_xmalloc_huge(size) gives (whole huge pages from 2 MiB up): an array that
 * takes them all as its capacity is not reallocated for the next request a few bytes
 * larger (the decoder's entries: a fresh array's pages are zeroed again). */
size_t mg_huge_size(size_t size);

/* The last component of a path (the whole string when it has no slash). */
const char *mg_base_name(const char *path);

/* The same, with the new elements zero-filled, so that every element below *cap is
 * initialized (an array indexed by number that grows as numbers come). */
void mg_grow_zeroed(void **array, size_t *cap, size_t need, size_t elem);
#define MG_GROW_ZEROED(array, cap, need) \
  mg_grow_zeroed((void **)&(array), &(cap), (need), sizeof *(array))

#define MG_GROW(array, cap, need) \
  mg_grow((void **)&(array), &(cap), (need), sizeof *(array))

#endif

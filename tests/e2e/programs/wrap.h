/* Allocation wrappers for tests/e2e/wrappers.sh, defined in wrap_lib.c and called
 * from wrap_main.c. */
#include <stddef.h>

void *xmalloc(size_t n) __attribute__((malloc, alloc_size(1))); /* declared allocator */
void *xmalloc2(size_t n) __attribute__((malloc)); /* calls xmalloc: two levels */
char *xstrdup(const char *s);     /* a wrapper only because wrappers.txt names it */
void *plain_alloc(size_t n);      /* not a wrapper: counted inside */

/* The library stacks_storm loads and unloads again and again: its constructor and
 * destructor allocate (instrumented), while the loader holds its lock. */
#include <stdlib.h>
#include <string.h>

static char *volatile keep;

/* Each function its own site; the empty asm keeps its frame on the stack. */
#define TOUCH(n)                                                                             \
  do {                                                                                       \
    char *p_ = malloc(n);                                                                    \
    if (!p_) abort();                                                                        \
    memset(p_, 1, (n));                                                                      \
    keep = p_;                                                                               \
    free(p_);                                                                                \
    __asm__ volatile("" ::: "memory");                                                       \
  } while (0)

__attribute__((constructor)) static void storm_lib_init(void) { TOUCH(96); }
__attribute__((destructor)) static void storm_lib_fini(void) { TOUCH(80); }

void storm_lib_work(void) { TOUCH(112); }

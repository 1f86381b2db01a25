/* The allocator underneath the hooks.  This file is not compiled with the pass, so these
 * calls reach the program's malloc (libc's, or one the program links or preloads). */
#include <stdlib.h>

#include "internal.h"

void *ms_real_malloc(size_t size) { return malloc(size); }
void *ms_real_calloc(size_t nmemb, size_t size) { return calloc(nmemb, size); }
void *ms_real_realloc(void *ptr, size_t size) { return realloc(ptr, size); }
void ms_real_free(void *ptr) { free(ptr); }

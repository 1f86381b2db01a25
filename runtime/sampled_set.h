/* The runtime's own blocks, kept in the sampled set (sampled_set.c) beside the sampled
 * ones: what the loader, dlsym or libunwind allocate through our interposed functions
 * while the runtime is busy (ms_self.busy) is neither counted nor recorded, and so must
 * its free be, whenever and by whichever thread it comes (glibc frees libunwind's TLS
 * block at thread exit).  Such a block sets its filter byte like a sampled one, so its
 * free takes the slow path, where ms_own_remove() finds it.  Costs one table insert per
 * block the runtime causes, nothing on the fast path. */
#ifndef MEMSCOPE_RUNTIME_SAMPLED_SET_H
#define MEMSCOPE_RUNTIME_SAMPLED_SET_H

#include <stdint.h>

/* Remembers p (not NULL) as the runtime's own; 0 when the set is full or not set up. */
int ms_own_insert(uintptr_t p);
/* 1 when p was the runtime's own (and is no more): its free is not the program's. */
int ms_own_remove(uintptr_t p);

#endif

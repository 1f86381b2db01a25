/* Finding the inputs: files as given, directories searched for record files (inputs.c). */
#ifndef MEMSCOPE_MERGE_INPUTS_H
#define MEMSCOPE_MERGE_INPUTS_H

#include <stddef.h>

/* The inputs named by args: files as given; for a directory, every file under it named
 * memscope.*.msgpack, in name order.  *out is malloc'd (each string too).  A directory
 * without any is reported through problem(ctx, arg, message) and contributes nothing.
 * A file named again (the same device and inode) is left out where it comes again and
 * said through note (may be NULL; not a problem: nothing is lost).  Returns the count. */
size_t mg_expand_inputs(char *const *args, size_t nargs, char ***out,
                        void (*problem)(void *ctx, const char *arg, const char *message),
                        void (*note)(void *ctx, const char *arg, const char *message),
                        void *ctx);

#endif

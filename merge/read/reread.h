/* A file's bytes read again, later (reread.c): a consumer that keeps only where an
 * EVENTS chunk lies, instead of its bytes, while its events wait behind other threads'
 * (model/replay.c), reads them again from the file when it needs them.  The file may
 * have changed in between (a program still running truncates its file when a session
 * ends): each read says so, naming the file and the chunk, and what was read before
 * stays. */
#ifndef MEMSCOPE_MERGE_REREAD_H
#define MEMSCOPE_MERGE_REREAD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A file open for reading again: a descriptor of its own (dup), so that it outlives the
 * reader's; counted references, all on one thread (the reader's delivering thread). */
struct mg_reread;

/* NULL when the descriptor cannot be duplicated (the consumer keeps bytes instead). */
struct mg_reread *mg_reread_open(int fd);
struct mg_reread *mg_reread_hold(struct mg_reread *rr);
void mg_reread_drop(struct mg_reread *rr);

/* Up to len bytes at off into buf; how many (fewer only at the file's end: it shrank),
 * or -1 with errno set when the system refused. */
long mg_reread(struct mg_reread *rr, uint64_t off, void *buf, size_t len);

#endif

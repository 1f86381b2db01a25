/* A string table: each distinct string stored once and numbered in order of first
 * appearance.  pprof numbers its strings with it, folded stacks count their lines by it
 * and the stack table keeps its names in one.  Strings are copied; pointers from
 * mg_strtab_str stay valid until the table is freed. */
#ifndef MEMSCOPE_MERGE_STRTAB_H
#define MEMSCOPE_MERGE_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "hashmap.h"

struct mg_strtab {
  struct mg_map index; /* FNV-1a hash, probed linearly on collisions -> position + 1 */
  char **v;
  size_t n, cap;
};

void mg_strtab_init(struct mg_strtab *t);
void mg_strtab_destroy(struct mg_strtab *t);

/* The position of s in the table, adding it when new. */
size_t mg_strtab_intern(struct mg_strtab *t, const char *s);
/* The table's copy of s (NULL for NULL). */
const char *mg_strtab_copy(struct mg_strtab *t, const char *s);
static inline const char *mg_strtab_str(const struct mg_strtab *t, size_t i) { return t->v[i]; }

/* FNV-1a over len bytes, continuing from h (MG_HASH_SEED to start). */
#define MG_HASH_SEED 1469598103934665603ULL
uint64_t mg_hash_bytes(uint64_t h, const void *data, size_t len);

#endif

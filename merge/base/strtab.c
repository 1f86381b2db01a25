/* The string table (strtab.h). */
#include "strtab.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

uint64_t mg_hash_bytes(uint64_t h, const void *data, size_t len) {
  const unsigned char *p = data;
  for (size_t i = 0; i < len; i++)
    h = (h ^ p[i]) * 1099511628211ULL;
  return h;
}

void mg_strtab_init(struct mg_strtab *t) {
  memset(t, 0, sizeof *t);
  mg_map_init(&t->index, sizeof(size_t));
}

void mg_strtab_destroy(struct mg_strtab *t) {
  for (size_t i = 0; i < t->n; i++)
    free(t->v[i]);
  free(t->v);
  mg_map_destroy(&t->index);
  memset(t, 0, sizeof *t);
}

struct strtab_key {
  const struct mg_strtab *t;
  const char *s;
};

static bool same_string(const void *ctx, size_t pos) {
  const struct strtab_key *k = ctx;
  return strcmp(k->t->v[pos], k->s) == 0;
}

size_t mg_strtab_intern(struct mg_strtab *t, const char *s) {
  uint64_t h = mg_hash_bytes(MG_HASH_SEED, s, strlen(s));
  bool existed;
  size_t *slot = mg_map_probe(&t->index, &h, same_string, &(struct strtab_key){t, s}, &existed);
  if (!existed) {
    MG_GROW(t->v, t->cap, t->n + 1);
    t->v[t->n] = mg_xstrdup(s);
    *slot = ++t->n;
  }
  return *slot - 1;
}

const char *mg_strtab_copy(struct mg_strtab *t, const char *s) {
  if (!s)
    return NULL;
  size_t i = mg_strtab_intern(t, s); /* may move t->v */
  return t->v[i];
}

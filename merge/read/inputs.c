/* Inputs given as directories: a run (or a fleet) writes one file per process, often all
 * in one directory tree; every memscope.*.msgpack under it is an input, in name order so
 * that the report does not depend on the directory's order. */
#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "memscope/format.h"
#include "util.h"

struct names {
  char **v;
  size_t n, cap;
};

static void push(struct names *l, char *s) {
  MG_GROW(l->v, l->cap, l->n + 1);
  l->v[l->n++] = s;
}

static bool is_record_file(const char *name) {
  size_t n = strlen(name), pre = strlen(MS_FILE_PREFIX), suf = strlen(MS_FILE_SUFFIX);
  return n > pre + suf && strncmp(name, MS_FILE_PREFIX, pre) == 0 &&
         strcmp(name + n - suf, MS_FILE_SUFFIX) == 0;
}

static int by_name(const void *a, const void *b) {
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Every record file under dir (depth-limited: a link loop ends). */
static void walk(struct names *l, const char *dir, int depth) {
  DIR *d = opendir(dir);
  if (!d || depth > 32) {
    if (d)
      closedir(d);
    return;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0)
      continue;
    size_t len = strlen(dir) + strlen(e->d_name) + 2;
    char *path = mg_xmalloc(len);
    snprintf(path, len, "%s%s%s", dir, dir[strlen(dir) - 1] == '/' ? "" : "/", e->d_name);
    struct stat st;
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
      walk(l, path, depth + 1);
      free(path);
    } else if (is_record_file(e->d_name)) {
      push(l, path);
    } else {
      free(path);
    }
  }
  closedir(d);
}

/* A file named twice (a directory and a file in it, a glob given twice) is read once:
 * read twice, every number of its process would count double.  Same file: the same
 * device and inode.  Sorted (device, inode, place) so that each later name is found
 * next to the first, which is kept; O(n log n) for a fleet's thousands of files. */
struct ident {
  dev_t dev;
  ino_t ino;
  size_t at;
};

static int by_ident(const void *a, const void *b) {
  const struct ident *x = a, *y = b;
  if (x->dev != y->dev) return x->dev < y->dev ? -1 : 1;
  if (x->ino != y->ino) return x->ino < y->ino ? -1 : 1;
  return x->at < y->at ? -1 : x->at > y->at;
}

static void drop_repeats(struct names *l,
                         void (*note)(void *ctx, const char *arg, const char *message),
                         void *ctx) {
  struct ident *ids = mg_xmalloc((l->n ? l->n : 1) * sizeof *ids);
  size_t *first_of = mg_xmalloc((l->n ? l->n : 1) * sizeof *first_of); /* SIZE_MAX: kept */
  size_t n = 0;
  for (size_t i = 0; i < l->n; i++) {
    first_of[i] = SIZE_MAX;
    struct stat st;
    if (strcmp(l->v[i], "-") != 0 && stat(l->v[i], &st) == 0 && S_ISREG(st.st_mode))
      ids[n++] = (struct ident){st.st_dev, st.st_ino, i};
  }
  qsort(ids, n, sizeof *ids, by_ident);
  for (size_t i = 1, first = 0; i < n; i++) {
    if (ids[i].dev == ids[first].dev && ids[i].ino == ids[first].ino)
      first_of[ids[i].at] = ids[first].at;
    else
      first = i;
  }
  /* Said in the order the names came (each quotes its first, which is kept), then the
   * kept ones moved together. */
  for (size_t i = 0; i < l->n; i++) {
    if (first_of[i] == SIZE_MAX) continue;
    if (note) {
      char msg[4200];
      snprintf(msg, sizeof msg, "the same file as %s, named again: read once",
               l->v[first_of[i]]);
      note(ctx, l->v[i], msg);
    }
    free(l->v[i]);
  }
  size_t kept = 0;
  for (size_t i = 0; i < l->n; i++)
    if (first_of[i] == SIZE_MAX) l->v[kept++] = l->v[i];
  l->n = kept;
  free(ids);
  free(first_of);
}

size_t mg_expand_inputs(char *const *args, size_t nargs, char ***out,
                        void (*problem)(void *ctx, const char *arg, const char *message),
                        void (*note)(void *ctx, const char *arg, const char *message),
                        void *ctx) {
  struct names l = {0};
  for (size_t i = 0; i < nargs; i++) {
    struct stat st;
    if (strcmp(args[i], "-") == 0 || stat(args[i], &st) != 0 || !S_ISDIR(st.st_mode)) {
      push(&l, mg_xstrdup(args[i])); /* reading it will say what is wrong, if anything */
      continue;
    }
    size_t first = l.n;
    walk(&l, args[i], 0);
    if (l.n == first && problem)
      problem(ctx, args[i], "no " MS_FILE_PREFIX "*" MS_FILE_SUFFIX " file in this directory");
    qsort(l.v + first, l.n - first, sizeof *l.v, by_name);
  }
  drop_repeats(&l, note, ctx);
  *out = l.v;
  return l.n;
}

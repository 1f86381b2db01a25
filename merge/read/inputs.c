/* Inputs given as directories: a run (or a fleet) writes one file per process, often all
 * in one directory tree; every memscope.*.msgpack under it is an input, in name order so
 * that the report does not depend on the directory's order. */
#include "inputs.h"

#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
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

size_t mg_expand_inputs(char *const *args, size_t nargs, char ***out,
                        void (*problem)(void *ctx, const char *arg, const char *message),
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
  *out = l.v;
  return l.n;
}

/* Loading many inputs in parallel (load.h). */
#include "load.h"

#include "parallel.h"

struct loading {
  struct mg_profile *p;
  char *const *paths;
  const struct mg_read_options *opt;
  unsigned decode_jobs; /* per file: the cores the files being read at once leave */
};

static void *read_one(void *ctx, size_t i, _Atomic uint64_t *bytes) {
  struct loading *l = ctx;
  const struct mg_profile *p = l->p;
  return mg_profile_read_file(l->paths[i], p->window, p->has_site_thread ? &p->site_thread : NULL,
                              l->decode_jobs, bytes);
}

static void combine_one(void *ctx, size_t i, void *part) {
  (void)i;
  struct loading *l = ctx;
  mg_profile_absorb(l->p, part, l->opt ? l->opt->pid : NULL);
  if (l->opt && l->opt->input_done)
    l->opt->input_done(l->opt->ctx, &l->p->inputs[l->p->ninputs - 1]);
}

static void progress(void *ctx, uint64_t done, uint64_t total) {
  struct loading *l = ctx;
  l->opt->progress(l->opt->ctx, done, total);
}

void mg_profile_add_files(struct mg_profile *p, char *const *paths, size_t n,
                          const struct mg_read_options *opt) {
  unsigned jobs = opt && opt->jobs ? opt->jobs : mg_cores();
  size_t at_once = n < jobs ? n : jobs;
  struct loading l = {p, paths, opt, at_once ? (unsigned)(jobs / at_once) : 1};
  struct mg_parallel_work w = {
      .read = read_one,
      .deliver = combine_one,
      .progress = opt && opt->progress ? progress : NULL,
      .ctx = &l,
  };
  mg_read_in_parallel(paths, n, jobs, 1, &w);
}

/* Combining profiles: each input is read into a profile of its own (on any core), then
 * the profiles are absorbed into one, in input order.  Processes move as they are (they
 * name sites by id, threads by index); sites are matched by id and their numbers added.
 * Reading one file and reading many take this same path, so the report never depends on
 * how many cores read the inputs, nor in which order they finished. */
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "util.h"

static void site_absorb(struct mg_site *to, const struct mg_site *s) {
  if (!to->described && s->described) {
    to->described = true;
    to->api = s->api;
    to->flags = s->flags;
    to->nframes = s->nframes;
    to->frames = mg_xcalloc(s->nframes ? s->nframes : 1, sizeof *to->frames);
    for (size_t i = 0; i < s->nframes; i++) {
      to->frames[i] = s->frames[i];
      to->frames[i].function = mg_xstrdup_or_null(s->frames[i].function);
      to->frames[i].file = mg_xstrdup_or_null(s->frames[i].file);
    }
  }
  mg_counts_add(&to->counts, &s->counts);
  mg_sizes_add(&to->sizes, &s->sizes);
  mg_site_add_events(to, s);
  mg_site_rank_thread(to, &s->top_thread);
  to->threads += s->threads;
}

void mg_profile_absorb(struct mg_profile *dst, struct mg_profile *src, const uint64_t *pid) {
  bool kept_any = false;
  for (size_t i = 0; i < src->ninputs; i++) {
    struct mg_input in = src->inputs[i];
    if (in.process && pid && in.process->pid != *pid) {
      mg_process_free(in.process);
      in.process = NULL;
      in.filtered = true;
    }
    if (in.process) {
      kept_any = true;
      in.process->path = in.path;
      dst->nprocesses++;
      dst->nthreads += in.process->nthreads;
      mg_counts_add(&dst->totals, &in.process->counts);
    }
    in.problem.file = in.path;
    MG_GROW(dst->inputs, dst->inputs_cap, dst->ninputs + 1);
    dst->inputs[dst->ninputs++] = in;
  }
  /* Sites of a profile whose processes were all filtered out stay out too. */
  for (size_t i = 0; kept_any && i < src->nsites; i++) {
    size_t slot = mg_profile_site_slot(dst, src->sites[i].id);
    site_absorb(&dst->sites[slot], &src->sites[i]);
  }
  src->ninputs = 0; /* moved */
  mg_profile_free(src);
}

/* The sites as one thread saw them (profile.h, mg_profile_thread_sites): what a --thread
 * report shows in its site tables.  The numbers come from the thread's own tallies, kept
 * while reading for that thread index only (build.c); a copy of the site list costs one
 * array of sites per report, nothing per thread. */
#include <string.h>

#include "profile.h"
#include "util.h"

struct mg_site *mg_profile_thread_sites(const struct mg_profile *p, const uint64_t *pid,
                                        uint64_t thread) {
  struct mg_site *v = mg_xmalloc((p->nsites ? p->nsites : 1) * sizeof *v);
  for (size_t i = 0; i < p->nsites; i++) {
    v[i] = p->sites[i]; /* its identity, first and last event, top thread */
    memset(&v[i].counts, 0, sizeof v[i].counts);
    memset(&v[i].sizes, 0, sizeof v[i].sizes);
    memset(v[i].lifetime, 0, sizeof v[i].lifetime);
    v[i].chains = v[i].chain_steps = v[i].chain_max = 0;
    v[i].chain_first_bytes = v[i].chain_last_bytes = 0;
  }
  for (size_t i = 0; i < p->ninputs; i++) {
    const struct mg_process *proc = p->inputs[i].process;
    if (!proc || (pid && proc->pid != *pid))
      continue;
    const struct mg_thread *t = mg_process_find_thread(proc, thread);
    for (size_t k = 0; t && k < t->nsites; k++) {
      const struct mg_site *s = mg_profile_find_site(p, t->sites[k].site);
      if (!s)
        continue;
      struct mg_site *to = &v[s - p->sites];
      const struct mg_thread_site *ts = &t->sites[k];
      mg_counts_add(&to->counts, &ts->counts);
      mg_sizes_add(&to->sizes, &ts->sizes);
      struct mg_site part = {.chains = ts->chains, .chain_steps = ts->chain_steps,
                             .chain_max = ts->chain_max,
                             .chain_first_bytes = ts->chain_first_bytes,
                             .chain_last_bytes = ts->chain_last_bytes};
      memcpy(part.lifetime, ts->lifetime, sizeof part.lifetime);
      mg_site_add_events(to, &part);
    }
  }
  return v;
}

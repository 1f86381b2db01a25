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
    v[i] = p->sites[i]; /* its identity and the whole program's other numbers */
    memset(&v[i].counts, 0, sizeof v[i].counts);
    memset(&v[i].sizes, 0, sizeof v[i].sizes);
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
      mg_counts_add(&to->counts, &t->sites[k].counts);
      mg_sizes_add(&to->sizes, &t->sites[k].sizes);
    }
  }
  return v;
}

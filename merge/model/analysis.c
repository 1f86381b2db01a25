/* The session result (analysis.h): a finished profile, flattened into the few numbers a
 * program asks for in process. */
#include "analysis.h"

#include <stdlib.h>
#include <string.h>

#include "bottleneck.h"
#include "inputs.h"
#include "load.h"
#include "resources.h"
#include "util.h"

static int fill(struct mg_profile *p, struct mg_session_result *out) {
  memset(out, 0, sizeof *out);
  mg_profile_finish(p);
  out->profile = p;
  out->nprocesses = p->nprocesses;
  out->nthreads = p->nthreads;
  out->threads = mg_xcalloc(p->nthreads ? p->nthreads : 1, sizeof *out->threads);
  out->inputs_ok = true;
  size_t k = 0;
  for (size_t i = 0; i < p->ninputs; i++) {
    out->inputs_ok &= p->inputs[i].problem.status == MG_DECODE_OK;
    const struct mg_process *proc = p->inputs[i].process;
    const struct mg_resources *res = proc ? proc->resources : NULL;
    if (res) {
      out->has_resources = true;
      out->peak_rss_bytes += res->summary.peak_rss;
      if (res->summary.peak_cpu_percent > out->peak_cpu_percent)
        out->peak_cpu_percent = res->summary.peak_cpu_percent;
      out->cpu_user_ns += res->summary.user_ns;
      out->cpu_system_ns += res->summary.system_ns;
    }
    for (size_t t = 0; proc && t < proc->nthreads; t++) {
      const struct mg_thread *thr = &proc->threads[t];
      struct mg_figure peak = proc->sampled ? mg_est_figure(&thr->est_peak_live_bytes, true)
                                            : mg_exact_figure(thr->peak_live_bytes);
      out->threads[k++] = (struct mg_thread_stats){
          .pid = proc->pid, .thread = thr->index, .os_tid = thr->os_tid, .name = thr->name,
          .allocations = thr->counts.allocations, .frees = thr->counts.frees,
          .bytes_allocated = thr->counts.bytes_allocated,
          .average_size = thr->counts.allocations
                              ? (double)thr->counts.bytes_allocated / (double)thr->counts.allocations
                              : 0,
          .peak_live_bytes = peak.value, .peak_error = peak.error, .peak_ns = thr->peak_ns,
          .hottest_site = thr->nhot ? thr->hot[0].site : 0};
      const struct mg_resource_thread *rt = mg_resources_thread(res, thr->index);
      if (rt) {
        out->threads[k - 1].cpu_user_ns = rt->user_ns;
        out->threads[k - 1].cpu_system_ns = rt->system_ns;
        out->threads[k - 1].cpu_share = rt->cpu_share;
      }
    }
  }
  const struct mg_counts *c = &p->totals;
  struct mg_figure peak = mg_counts_figure(c, MG_PEAK_LIVE_BYTES);
  struct mg_figure live = mg_counts_figure(c, MG_LIVE_BYTES);
  out->total_allocations = c->allocations;
  out->total_frees = c->frees;
  out->bytes_allocated = c->bytes_allocated;
  out->peak_live_bytes = peak.value;
  out->peak_error = peak.error;
  out->live_bytes = live.value;
  out->live_error = live.error;
  out->estimated = c->estimated;
  out->bottlenecks = p->bottlenecks;
  out->nbottlenecks = p->nbottlenecks;
  if (!mg_profile_has_data(p))
    return -1;
  return out->inputs_ok ? 0 : 1;
}

int mg_session_from_buffer(const char *name, const void *data, size_t len,
                           struct mg_session_result *out) {
  struct mg_profile *p = mg_profile_new();
  mg_profile_add_buffer(p, name ? name : "(memory)", data, len);
  return fill(p, out);
}

int mg_session_from_files(char *const *paths, size_t n, unsigned jobs,
                          struct mg_session_result *out) {
  char **expanded;
  size_t m = mg_expand_inputs(paths, n, &expanded, NULL, NULL, NULL);
  struct mg_profile *p = mg_profile_new();
  struct mg_read_options opt = {.jobs = jobs};
  mg_profile_add_files(p, expanded, m, &opt);
  for (size_t i = 0; i < m; i++)
    free(expanded[i]);
  free(expanded);
  int r = fill(p, out);
  if (r == 0 && m < n) /* a directory without any record file */
    r = 1;
  return r;
}

void mg_session_result_free(struct mg_session_result *r) {
  if (!r)
    return;
  free(r->threads);
  mg_profile_free(r->profile);
  memset(r, 0, sizeof *r);
}

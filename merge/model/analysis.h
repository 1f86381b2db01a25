/* The analysis as a library: the summary of a session (its threads, total allocations,
 * the peak, the bottlenecks), from record files or from a buffer the runtime holds in
 * memory.  memscope-merge is one user; a program reading its own session back
 * (examples/session100.c) is another (analysis.c).
 *
 * Link: the static libraries memscope_merge_model, _read and _base (merge/), which need
 * msgpack-c, libm and pthreads.  Out of memory exits the process (util.h). */
#ifndef MEMSCOPE_MERGE_ANALYSIS_H
#define MEMSCOPE_MERGE_ANALYSIS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

/* One thread, as the seeds' ThreadStats. */
struct mg_thread_stats {
  uint64_t pid, thread, os_tid; /* os_tid 0 when unknown */
  const char *name;             /* NULL when unknown; owned by the result */
  uint64_t allocations, frees, bytes_allocated;
  double average_size;
  uint64_t peak_live_bytes, peak_error; /* its own blocks still live, at their peak */
  uint64_t peak_ns;                     /* when, ns since its process started */
  uint64_t hottest_site;                /* site id, 0 when none */
  /* From the resource sampler (MEMSCOPE_RESOURCE_INTERVAL): CPU time at its last tick
   * and its share of its process's CPU time (0..1); all 0 when not sampled. */
  uint64_t cpu_user_ns, cpu_system_ns;
  double cpu_share;
};

struct mg_session_result {
  size_t nprocesses;
  size_t nthreads;
  struct mg_thread_stats *threads; /* nthreads, by process then thread index */
  uint64_t total_allocations, total_frees, bytes_allocated;
  uint64_t peak_live_bytes, peak_error; /* sum over processes of their peaks */
  uint64_t live_bytes, live_error;      /* still allocated at the end */
  bool estimated;                       /* some number comes from samples (error > 0) */
  bool inputs_ok;                       /* every input was read whole */
  const struct mg_bottleneck *bottlenecks; /* by severity; owned by the result */
  size_t nbottlenecks;
  struct mg_profile *profile; /* the whole model, for anything more */
  /* The resource sampler's summary (resources.h); has_resources false when no process
   * recorded any tick.  RSS: the sum over processes of their peaks; CPU %: of one core,
   * the highest of any process; CPU time: summed. */
  bool has_resources;
  uint64_t peak_rss_bytes;
  double peak_cpu_percent;
  uint64_t cpu_user_ns, cpu_system_ns;
};

/* Analyses record data held in memory (name: for messages).  Returns 0 when the input
 * was read whole, 1 when it was cut short or damaged (the result covers what was read),
 * -1 when nothing usable was in it (the result is empty but valid). */
int mg_session_from_buffer(const char *name, const void *data, size_t len,
                           struct mg_session_result *out);
/* The same for record files (and directories), read `jobs` at a time (0: every core). */
int mg_session_from_files(char *const *paths, size_t n, unsigned jobs,
                          struct mg_session_result *out);
void mg_session_result_free(struct mg_session_result *r);

#endif

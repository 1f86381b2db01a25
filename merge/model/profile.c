/* The model's own data: creating and freeing it, finding sites and threads, adding counts,
 * and what the reports ask of a site (profile.h).  Building it from records is build.c;
 * reading inputs, read_input.c. */
#include "profile.h"

#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "memscope/abi.h"
#include "memscope/format.h"
#include "resources.h"
#include "stacks.h"
#include "util.h"

struct mg_profile *mg_profile_new(void) {
  struct mg_profile *p = mg_xcalloc(1, sizeof *p);
  mg_map_init(&p->site_slots, sizeof(size_t));
  return p;
}

static void process_free(struct mg_process *proc) {
  if (!proc)
    return;
  for (size_t i = 0; i < proc->nthreads; i++) {
    free(proc->threads[i].name);
    free(proc->threads[i].counters);
    free(proc->threads[i].sites);
    free(proc->threads[i].by_slot);
  }
  free(proc->threads);
  for (size_t i = 0; i < proc->nphases; i++)
    free(proc->phases[i].label);
  free(proc->phases);
  free(proc->slot_sites);
  mg_proc_stacks_free(proc->stacks);
  mg_resources_free(proc->resources);
  free(proc->peak_sites);
  free(proc->interactions);
  if (proc->tallies) {
    mg_tallies_destroy(proc->tallies);
    free(proc->tallies);
  }
  mg_map_destroy(&proc->thread_slots);
  free(proc->program);
  free(proc->mode);
  free(proc->sampler);
  free(proc->end_reason);
  free(proc->runtime_version);
  for (size_t i = 0; i < proc->ncommand_line; i++)
    free(proc->command_line[i]);
  free(proc->command_line);
  free(proc);
}

void mg_profile_free(struct mg_profile *p) {
  if (!p)
    return;
  for (size_t i = 0; i < p->ninputs; i++) {
    process_free(p->inputs[i].process);
    free(p->inputs[i].path);
  }
  free(p->inputs);
  for (size_t i = 0; i < p->nsites; i++) {
    for (size_t f = 0; f < p->sites[i].nframes; f++) {
      free(p->sites[i].frames[f].function);
      free(p->sites[i].frames[f].file);
    }
    free(p->sites[i].frames);
  }
  free(p->sites);
  mg_map_destroy(&p->site_slots);
  free(p->bottlenecks);
  mg_stack_table_free(p->stacks);
  free(p);
}

void mg_process_free(struct mg_process *proc) { process_free(proc); }

bool mg_profile_has_data(const struct mg_profile *p) { return p->nprocesses > 0; }

/* --- Sites and threads --------------------------------------------------------------- */

struct mg_site *mg_profile_find_site(const struct mg_profile *p, uint64_t id) {
  const size_t *slot = mg_map_get(&p->site_slots, id);
  return slot ? &p->sites[*slot] : NULL;
}

size_t mg_profile_site_slot(struct mg_profile *p, uint64_t id) {
  bool existed;
  size_t *slot = mg_map_put(&p->site_slots, id, &existed);
  if (!existed) {
    *slot = p->nsites;
    MG_GROW(p->sites, p->sites_cap, p->nsites + 1);
    p->sites[p->nsites] = (struct mg_site){.id = id};
    p->nsites++;
  }
  return *slot;
}

struct mg_thread *mg_process_find_thread(const struct mg_process *proc, uint64_t index) {
  const size_t *slot = mg_map_get(&proc->thread_slots, index);
  return slot ? &proc->threads[*slot] : NULL;
}


void mg_sizes_add(struct mg_sizes *to, const struct mg_sizes *s) {
  if (s->calls) {
    if (!to->calls || s->min < to->min)
      to->min = s->min;
    if (s->max > to->max)
      to->max = s->max;
  }
  to->calls += s->calls;
  to->bytes += s->bytes;
}

void mg_counts_add(struct mg_counts *to, const struct mg_counts *c) {
  to->allocations += c->allocations;
  to->failed_allocations += c->failed_allocations;
  to->reallocs += c->reallocs;
  to->frees += c->frees;
  to->null_frees += c->null_frees;
  to->unmatched_frees += c->unmatched_frees;
  to->bytes_allocated += c->bytes_allocated;
  to->bytes_freed += c->bytes_freed;
  to->live_blocks += c->live_blocks;
  to->live_bytes += c->live_bytes;
  to->overwritten_blocks += c->overwritten_blocks;
  to->peak_live_bytes += c->peak_live_bytes;
  to->samples += c->samples;
  to->realloc_releases += c->realloc_releases;
  to->exact_live_blocks += c->exact_live_blocks;
  if (c->largest_size > to->largest_size)
    to->largest_size = c->largest_size;
  to->uncounted |= c->uncounted;
  if (c->net)
    to->net = to->net == 0 ? c->net : to->net == 1 && c->net == 1 ? 1 : 2;
  mg_est_sum(&to->est_bytes_freed, &c->est_bytes_freed);
  mg_est_sum(&to->est_live_blocks, &c->est_live_blocks);
  mg_est_sum(&to->est_live_bytes, &c->est_live_bytes);
  mg_est_sum(&to->est_peak_live_bytes, &c->est_peak_live_bytes);
  mg_est_sum(&to->est_short_lived, &c->est_short_lived);
  mg_est_sum(&to->est_cross_freed, &c->est_cross_freed);
  mg_est_sum(&to->est_cross_freed_bytes, &c->est_cross_freed_bytes);
  to->estimated |= c->estimated;
  to->lives_only |= c->lives_only;
  to->lives_unlisted |= c->lives_unlisted;
}

/* The runtime's tiered sampler (runtime/sampler.c) samples a block under 2 KiB with
 * probability 0.01 at least, one under 64 KiB with 0.5, larger ones always. */
static double tiered_probability(uint64_t size) {
  return size >= 65536 ? 1.0 : size >= 2048 ? 0.5 : 0.01;
}

static bool tiered(const struct mg_process *proc) {
  return proc->sampler && strcmp(proc->sampler, "tiered") == 0;
}

/* A file that does not say its interval was written with the runtime's default. */
static double interval_of(const struct mg_process *proc) {
  return proc->sample_interval ? (double)proc->sample_interval : 512.0 * 1024;
}

double mg_byte_unit(const struct mg_process *proc) {
  /* Tiered: a small block's 2047 bytes at weight 100 is the most one unseen adds. */
  return tiered(proc) ? 2047.0 / 0.01 : interval_of(proc);
}

double mg_block_unit(const struct mg_process *proc, uint64_t min_size) {
  double size = min_size ? (double)min_size : 1.0;
  if (tiered(proc))
    return 1.0 / tiered_probability(min_size ? min_size : 1);
  return 1.0 / -expm1(-size / interval_of(proc));
}

int64_t mg_counts_net_blocks(const struct mg_counts *c) {
  return (int64_t)c->allocations - (int64_t)c->frees - (int64_t)c->realloc_releases;
}

uint64_t mg_mean(uint64_t sum, uint64_t n) {
  if (!n)
    return 0;
  uint64_t rem = sum % n;
  return sum / n + (rem >= n - rem); /* rounded to nearest, without overflowing */
}

void mg_site_add_events(struct mg_site *to, const struct mg_site *part) {
  if (part->has_events) {
    if (!to->has_events || part->first_ns < to->first_ns)
      to->first_ns = part->first_ns;
    if (!to->has_events || part->last_ns > to->last_ns)
      to->last_ns = part->last_ns;
    to->has_events = true;
  }
  for (size_t k = 0; k < MG_LIFETIME_BUCKETS; k++)
    mg_est_sum(&to->lifetime[k], &part->lifetime[k]);
  to->chains += part->chains;
  to->chain_steps += part->chain_steps;
  if (part->chain_max > to->chain_max)
    to->chain_max = part->chain_max;
  to->chain_first_bytes += part->chain_first_bytes;
  to->chain_last_bytes += part->chain_last_bytes;
}

/* a ranks before b: more allocations, then lower pid, then lower thread index. */
static bool ref_before(const struct mg_thread_ref *a, const struct mg_thread_ref *b) {
  if (a->allocations != b->allocations)
    return a->allocations > b->allocations;
  if (a->pid != b->pid)
    return a->pid < b->pid;
  return a->thread < b->thread;
}

void mg_site_rank_thread(struct mg_site *site, const struct mg_thread_ref *r) {
  if (r->allocations && (!site->top_thread.allocations || ref_before(r, &site->top_thread)))
    site->top_thread = *r;
}

/* --- Presentation helpers -------------------------------------------------------------- */

bool mg_site_id_uninstrumented(uint64_t id, uint32_t flags) {
  return (flags & MS_SITE_FLAG_UNINSTRUMENTED) || (id & ~0xffffull) == MS_UNINSTRUMENTED_SITE_ID(0);
}

bool mg_site_uninstrumented(const struct mg_site *s) {
  return mg_site_id_uninstrumented(s->id, s->flags);
}

const char *mg_site_fallback_name(const struct mg_site *s, uint64_t id, char *buf, size_t size) {
  if (s ? mg_site_uninstrumented(s) : mg_site_id_uninstrumented(id, 0))
    snprintf(buf, size, "(uninstrumented %s)", mg_api_name((uint32_t)(id & 0xffff)));
  else
    snprintf(buf, size, "site 0x%" PRIx64, id);
  return buf;
}

bool mg_process_uninstrumented(const struct mg_process *proc) {
  const struct mg_counts *c = &proc->counts;
  return proc->instrumented_sites == 0 &&
         (c->allocations || c->frees || c->reallocs || c->failed_allocations);
}

bool mg_site_is_free(const struct mg_site *s) {
  enum mg_api_kind k = mg_api_kind(s->api);
  if (k != MG_API_UNKNOWN)
    return k == MG_API_FREE;
  /* No SITE record, or an api this tool does not know: judge by what happened there. */
  const struct mg_counts *c = &s->counts;
  return c->allocations == 0 && c->failed_allocations == 0 && c->reallocs == 0 &&
         (c->frees > 0 || c->null_frees > 0);
}

uint64_t mg_site_calls(const struct mg_site *s) {
  return mg_site_is_free(s) ? s->counts.frees : s->counts.allocations;
}

uint64_t mg_site_bytes(const struct mg_site *s) {
  return mg_site_is_free(s) ? mg_counts_figure(&s->counts, MG_BYTES_FREED).value
                            : s->counts.bytes_allocated;
}

struct mg_figure mg_counts_figure(const struct mg_counts *c, enum mg_figure_of what) {
  uint64_t exact = 0;
  const struct mg_est *e = &c->est_bytes_freed;
  switch (what) {
  case MG_BYTES_FREED: exact = c->bytes_freed; e = &c->est_bytes_freed; break;
  case MG_LIVE_BLOCKS:
    if (c->net == 1 && c->estimated) /* exact from the counts (build.c) */
      return mg_exact_figure(c->exact_live_blocks);
    exact = c->live_blocks;
    e = &c->est_live_blocks;
    break;
  case MG_LIVE_BYTES: exact = c->live_bytes; e = &c->est_live_bytes; break;
  case MG_PEAK_LIVE_BYTES: exact = c->peak_live_bytes; e = &c->est_peak_live_bytes; break;
  }
  if (!c->estimated)
    return mg_exact_figure(exact);
  /* Where the exact counts say there was nothing, there is nothing to estimate. */
  if (what == MG_BYTES_FREED ? c->frees == 0 && c->reallocs == 0 : c->allocations == 0)
    return mg_exact_figure(0);
  if (what == MG_LIVE_BYTES && c->net == 1 && c->exact_live_blocks == 0)
    return mg_exact_figure(0); /* no block live, exactly */
  struct mg_figure f = mg_est_figure(e, true);
  /* Nor more than the exact counts allow: no more blocks live than were allocated, no
   * more bytes live (at exit or at the peak) than were. */
  uint64_t most = what == MG_LIVE_BLOCKS ? c->allocations
                  : what == MG_BYTES_FREED ? UINT64_MAX : c->bytes_allocated;
  /* ... and at exit no more than its exact live blocks, each at most the largest size
   * asked for: a bound without a sample that is certain, not 95% (the one-sided bound
   * of an unsampled heap is a multiple of the sampling interval). */
  uint64_t at_most_each;
  if (what == MG_LIVE_BYTES && c->net == 1 && c->largest_size &&
      !__builtin_mul_overflow(c->exact_live_blocks, c->largest_size, &at_most_each) &&
      at_most_each < most)
    most = at_most_each;
  if (!c->uncounted && most != UINT64_MAX)
    f = mg_figure_at_most(f, most);
  return f;
}

struct mg_figure mg_counts_blocks_figure(const struct mg_counts *c, const struct mg_est *e) {
  struct mg_figure f = mg_est_figure(e, c->estimated);
  return c->estimated && !c->uncounted ? mg_figure_at_most(f, c->allocations) : f;
}

/* Keep in step with enum memscope_api.  A wrapper site (xmalloc, xfree, ...) is whatever
 * its wrapper does, so it is judged, like an unknown api, by what happened there. */
enum mg_api_kind mg_api_kind(uint32_t api) {
  switch (api) {
  case MEMSCOPE_API_MALLOC:
  case MEMSCOPE_API_CALLOC:
  case MEMSCOPE_API_ALIGNED_ALLOC:
  case MEMSCOPE_API_POSIX_MEMALIGN:
  case MEMSCOPE_API_MEMALIGN:
  case MEMSCOPE_API_VALLOC:
  case MEMSCOPE_API_PVALLOC:
  case MEMSCOPE_API_STRDUP:
  case MEMSCOPE_API_STRNDUP:
  case MEMSCOPE_API_NEW:
  case MEMSCOPE_API_NEW_ARRAY:
  case MEMSCOPE_API_MMAP: return MG_API_ALLOC;
  case MEMSCOPE_API_REALLOC:
  case MEMSCOPE_API_REALLOCARRAY: return MG_API_REALLOC;
  case MEMSCOPE_API_FREE:
  case MEMSCOPE_API_DELETE:
  case MEMSCOPE_API_DELETE_ARRAY:
  case MEMSCOPE_API_MUNMAP: return MG_API_FREE;
  }
  return MG_API_UNKNOWN;
}

const char *mg_api_name(uint32_t api) {
  switch (api) {
  case MEMSCOPE_API_MALLOC: return "malloc";
  case MEMSCOPE_API_CALLOC: return "calloc";
  case MEMSCOPE_API_REALLOC: return "realloc";
  case MEMSCOPE_API_FREE: return "free";
  case MEMSCOPE_API_REALLOCARRAY: return "reallocarray";
  case MEMSCOPE_API_ALIGNED_ALLOC: return "aligned_alloc";
  case MEMSCOPE_API_POSIX_MEMALIGN: return "posix_memalign";
  case MEMSCOPE_API_MEMALIGN: return "memalign";
  case MEMSCOPE_API_VALLOC: return "valloc";
  case MEMSCOPE_API_PVALLOC: return "pvalloc";
  case MEMSCOPE_API_STRDUP: return "strdup";
  case MEMSCOPE_API_STRNDUP: return "strndup";
  case MEMSCOPE_API_NEW: return "new";
  case MEMSCOPE_API_NEW_ARRAY: return "new[]";
  case MEMSCOPE_API_DELETE: return "delete";
  case MEMSCOPE_API_DELETE_ARRAY: return "delete[]";
  case MEMSCOPE_API_MMAP: return "mmap";
  case MEMSCOPE_API_MUNMAP: return "munmap";
  case MEMSCOPE_API_WRAPPER: return "wrapper";
  }
  return "?";
}

uint64_t mg_process_dropped_events(const struct mg_process *proc) {
  uint64_t n = proc->status.dropped_calls; /* threads that had no record */
  for (size_t i = 0; i < proc->nthreads; i++) n += proc->threads[i].dropped_events;
  return n;
}

#include "profile.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "counters.h"
#include "memscope/abi.h"
#include "replay.h"
#include "resources.h"
#include "scan.h"
#include "stacks.h"
#include "util.h"

static char *dup_or_null(const char *s) { return s ? ms_xstrdup(s) : NULL; }

struct ms_profile *ms_profile_new(void) {
  struct ms_profile *p = ms_xcalloc(1, sizeof *p);
  ms_map_init(&p->site_slots, sizeof(size_t));
  return p;
}

static void process_free(struct ms_process *proc) {
  if (!proc)
    return;
  for (size_t i = 0; i < proc->nthreads; i++) {
    free(proc->threads[i].name);
    free(proc->threads[i].counters);
  }
  free(proc->threads);
  for (size_t i = 0; i < proc->nphases; i++)
    free(proc->phases[i].label);
  free(proc->phases);
  ms_proc_stacks_free(proc->stacks);
  ms_resources_free(proc->resources);
  free(proc->peak_sites);
  free(proc->interactions);
  if (proc->tallies) {
    ms_map_destroy(proc->tallies);
    free(proc->tallies);
  }
  ms_map_destroy(&proc->thread_slots);
  free(proc->program);
  free(proc->mode);
  free(proc->sampler);
  free(proc->end_reason);
  free(proc);
}

void ms_profile_free(struct ms_profile *p) {
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
  ms_map_destroy(&p->site_slots);
  free(p->bottlenecks);
  ms_stack_table_free(p->stacks);
  free(p);
}

void ms_process_free(struct ms_process *proc) { process_free(proc); }

bool ms_profile_has_data(const struct ms_profile *p) { return p->nprocesses > 0; }

/* --- Sites and threads --------------------------------------------------------------- */

struct ms_site *ms_profile_find_site(const struct ms_profile *p, uint64_t id) {
  const size_t *slot = ms_map_get(&p->site_slots, id);
  return slot ? &p->sites[*slot] : NULL;
}

size_t ms_profile_site_slot(struct ms_profile *p, uint64_t id) {
  bool existed;
  size_t *slot = ms_map_put(&p->site_slots, id, &existed);
  if (!existed) {
    *slot = p->nsites;
    MS_GROW(p->sites, p->sites_cap, p->nsites + 1);
    p->sites[p->nsites] = (struct ms_site){.id = id};
    p->nsites++;
  }
  return *slot;
}

struct ms_thread *ms_process_find_thread(const struct ms_process *proc, uint64_t index) {
  const size_t *slot = ms_map_get(&proc->thread_slots, index);
  return slot ? &proc->threads[*slot] : NULL;
}

static struct ms_thread *thread_at(struct ms_process *proc, uint64_t index) {
  bool existed;
  size_t *slot = ms_map_put(&proc->thread_slots, index, &existed);
  if (!existed) {
    *slot = proc->nthreads;
    MS_GROW(proc->threads, proc->threads_cap, proc->nthreads + 1);
    proc->threads[proc->nthreads] = (struct ms_thread){.index = index};
    proc->nthreads++;
  }
  return &proc->threads[*slot];
}

/* --- Building a process ---------------------------------------------------------------- */

static size_t add_input(struct ms_profile *p, const char *name) {
  MS_GROW(p->inputs, p->inputs_cap, p->ninputs + 1);
  p->inputs[p->ninputs] = (struct ms_input){.path = ms_xstrdup(name)};
  p->inputs[p->ninputs].problem.file = p->inputs[p->ninputs].path;
  return p->ninputs++;
}

static struct ms_process *attach_process(struct ms_input *in, const struct ms_header_rec *h) {
  struct ms_process *proc = ms_xcalloc(1, sizeof *proc);
  proc->path = in->path;
  proc->version = h->version;
  proc->program = dup_or_null(h->program);
  proc->mode = dup_or_null(h->mode);
  proc->sampler = dup_or_null(h->sampler);
  proc->sample_interval = h->sample_interval;
  proc->pid = h->pid;
  proc->ppid = h->ppid;
  proc->start_ns = h->start_ns;
  proc->start_unix_ns = h->start_unix_ns;
  proc->present = h->present;
  ms_map_init(&proc->thread_slots, sizeof(size_t));
  in->process = proc;
  return proc;
}

struct ms_process *ms_profile_begin_process(struct ms_profile *p, const char *name,
                                            const struct ms_header_rec *h) {
  size_t i = add_input(p, name);
  struct ms_process *proc = attach_process(&p->inputs[i], h);
  ms_replay_begin(p, proc, NULL, 0, p->window);
  return proc;
}

void ms_process_add_site(struct ms_profile *p, struct ms_process *proc,
                         const struct ms_site_rec *s) {
  (void)proc;
  size_t slot = ms_profile_site_slot(p, s->id); /* may move p->sites */
  struct ms_site *site = &p->sites[slot];
  if (site->described) /* the same id describes the same site everywhere: keep the first */
    return;
  site->described = true;
  site->api = s->api;
  site->flags = s->flags;
  site->nframes = s->nframes;
  site->frames = ms_xcalloc(s->nframes, sizeof *site->frames);
  for (size_t i = 0; i < s->nframes; i++) {
    site->frames[i].function = dup_or_null(s->frames[i].function);
    site->frames[i].file = dup_or_null(s->frames[i].file);
    site->frames[i].line = s->frames[i].line;
    site->frames[i].column = s->frames[i].column;
  }
}

void ms_process_add_thread(struct ms_profile *p, struct ms_process *proc,
                           const struct ms_thread_rec *t) {
  (void)p;
  struct ms_thread *thr = thread_at(proc, t->thread);
  thr->described = true;
  thr->os_tid = t->os_tid;
  if (t->name) {
    free(thr->name);
    thr->name = ms_xstrdup(t->name);
  }
  thr->start_ns = t->start_ns;
  thr->end_ns = t->end_ns;
  thr->dropped_events = t->dropped;
  ms_replay_thread_ended(proc, (size_t)(thr - proc->threads));
}

void ms_process_add_events(struct ms_profile *p, struct ms_process *proc,
                           const struct ms_events_rec *e) {
  struct ms_thread *thr = thread_at(proc, e->thread);
  if (!thr->os_tid)
    thr->os_tid = e->os_tid;
  proc->events += e->nevents;
  proc->skipped_events += e->nskipped;
  for (size_t i = 0; i < e->nevents; i++)
    proc->weighted_events += e->events[i].weight != 1.0;
  ms_phases_count(proc, e);
  ms_replay_events(p, proc, (size_t)(thr - proc->threads), e);
}

void ms_process_add_counters(struct ms_profile *p, struct ms_process *proc,
                             const struct ms_counters_rec *c) {
  struct ms_thread *thr = thread_at(proc, c->thread);
  if (!thr->os_tid)
    thr->os_tid = c->os_tid;
  proc->has_counters = true;
  ms_counters_keep(p, thr, c);
}

void ms_process_add_module(struct ms_profile *p, struct ms_process *proc,
                           const struct ms_module_rec *m) {
  (void)p;
  ms_stacks_module(proc, m);
}

void ms_process_add_end(struct ms_profile *p, struct ms_process *proc,
                        const struct ms_end_rec *e) {
  (void)p;
  proc->complete = true;
  proc->end_ns = e->end_ns;
  free(proc->end_reason);
  proc->end_reason = dup_or_null(e->reason);
}

static int by_index(const void *a, const void *b) {
  const struct ms_thread *x = a, *y = b;
  return (x->index > y->index) - (x->index < y->index);
}

void ms_sizes_add(struct ms_sizes *to, const struct ms_sizes *s) {
  if (s->calls) {
    if (!to->calls || s->min < to->min)
      to->min = s->min;
    if (s->max > to->max)
      to->max = s->max;
  }
  to->calls += s->calls;
  to->bytes += s->bytes;
}

static void est_add(struct ms_est *to, const struct ms_est *e) {
  to->value += e->value;
  to->var += e->var;
}

void ms_counts_add(struct ms_counts *to, const struct ms_counts *c) {
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
  est_add(&to->est_bytes_freed, &c->est_bytes_freed);
  est_add(&to->est_live_blocks, &c->est_live_blocks);
  est_add(&to->est_live_bytes, &c->est_live_bytes);
  est_add(&to->est_peak_live_bytes, &c->est_peak_live_bytes);
  est_add(&to->est_short_lived, &c->est_short_lived);
  est_add(&to->est_cross_freed, &c->est_cross_freed);
  est_add(&to->est_cross_freed_bytes, &c->est_cross_freed_bytes);
  to->estimated |= c->estimated;
}

/* a ranks before b: more allocations, then lower pid, then lower thread index. */
static bool ref_before(const struct ms_thread_ref *a, const struct ms_thread_ref *b) {
  if (a->allocations != b->allocations)
    return a->allocations > b->allocations;
  if (a->pid != b->pid)
    return a->pid < b->pid;
  return a->thread < b->thread;
}

void ms_site_rank_thread(struct ms_site *site, const struct ms_thread_ref *r) {
  if (r->allocations && (!site->top_thread.allocations || ref_before(r, &site->top_thread)))
    site->top_thread = *r;
}

/* Keeps the thread's MS_HOT_SITES sites with the most allocations (then bytes, then the
 * lower id). */
static void rank_hot_site(struct ms_thread *thr, uint64_t id, uint64_t allocs, uint64_t bytes) {
  if (!allocs)
    return;
  struct ms_hot_site h = {id, allocs, bytes};
  size_t i = thr->nhot < MS_HOT_SITES ? thr->nhot : MS_HOT_SITES;
  while (i > 0) {
    const struct ms_hot_site *o = &thr->hot[i - 1];
    bool before = o->allocations != h.allocations ? o->allocations < h.allocations
                  : o->bytes != h.bytes           ? o->bytes < h.bytes
                                                  : o->site > h.site;
    if (!before)
      break;
    if (i < MS_HOT_SITES)
      thr->hot[i] = *o;
    i--;
  }
  if (i < MS_HOT_SITES) {
    thr->hot[i] = h;
    if (thr->nhot < MS_HOT_SITES)
      thr->nhot++;
  }
}

/* The pairs' tallies into the threads, the sites and the process. */
static void add_tallies(struct ms_profile *p, struct ms_process *proc, struct ms_map *tallies) {
  size_t pos = 0;
  uint64_t key;
  struct ms_tally *t;
  while ((t = ms_map_next(tallies, &pos, &key))) {
    struct ms_site *site = &p->sites[ms_tally_site(key)];
    struct ms_thread *thr = &proc->threads[ms_tally_thread(key)];
    t->counts.estimated = proc->sampled;
    if (!proc->sampled)
      t->counts.samples = 0;
    ms_counts_add(&thr->counts, &t->counts);
    ms_counts_add(&site->counts, &t->counts);
    ms_sizes_add(&site->sizes, &t->sizes);
    ms_counts_add(&proc->counts, &t->counts);
    /* Free sites make no allocations: rank_hot_site and the ranking skip them. */
    rank_hot_site(thr, site->id, t->counts.allocations, t->counts.bytes_allocated);
    struct ms_thread_ref r = {proc->pid, thr->index, t->counts.allocations};
    ms_site_rank_thread(site, &r);
  }
  for (size_t i = 0; i < proc->nthreads; i++)
    proc->threads[i].counts.estimated = proc->sampled;
  proc->counts.estimated = proc->sampled;
}

void ms_profile_end_process(struct ms_profile *p, struct ms_process *proc) {
  if (proc->ended)
    return;
  /* A file says it is sampled, or its weights do (a header cut short, a future mode). */
  proc->sampled = (proc->mode && strcmp(proc->mode, "sampled") == 0) || proc->weighted_events;
  ms_replay_finish(p, proc);
  ms_stacks_end_process(p, proc);
  ms_phases_finish(proc);
  struct ms_map *tallies = proc->tallies;
  if (proc->has_counters)
    ms_counters_apply(p, proc, tallies);
  add_tallies(p, proc, tallies);
  ms_map_destroy(tallies);
  free(tallies);
  proc->tallies = NULL;
  for (size_t i = 0; i < proc->nthreads; i++) {
    struct ms_thread *t = &proc->threads[i];
    free(t->counters);
    t->counters = NULL;
    t->ncounters = t->counters_cap = 0;
  }
  /* Threads in index order from now on; the lookup map follows. */
  if (proc->nthreads > 1)
    qsort(proc->threads, proc->nthreads, sizeof *proc->threads, by_index);
  for (size_t i = 0; i < proc->nthreads; i++)
    *(size_t *)ms_map_put(&proc->thread_slots, proc->threads[i].index, NULL) = i;
  ms_resources_finish(proc); /* matches its threads to these, by tid */
  ms_counts_add(&p->totals, &proc->counts);
  p->nprocesses++;
  p->nthreads += proc->nthreads;
  proc->ended = true;
}

/* --- Reading inputs -------------------------------------------------------------------- */

struct reading {
  struct ms_profile *p;
  size_t input;
  struct ms_process *proc; /* set by the header */
  uint64_t *order;         /* the pre-scan's suffix minimums, handed to the replay */
  size_t norder;
  int fd;                  /* a regular file, pre-scanned once its header is read; or -1 */
  const void *data;        /* or a buffer, likewise */
  size_t len;
  struct ms_decode_reading how;
  uint64_t scanned;        /* bytes the pre-scan read */
};

static uint64_t *order_of(uint64_t *mins, size_t n, size_t *norder);

static void on_header(void *ctx, const struct ms_header_rec *h) {
  struct reading *r = ctx;
  /* The pre-scan reads the whole file, so it waits for a valid header: a file that is
   * not one is refused on its first bytes, whatever its size. */
  if (r->fd >= 0) {
    struct ms_scan s;
    ms_scan_fd(r->fd, r->how.size, &s, r->how.progress);
    r->order = order_of(s.mins, s.n, &r->norder);
    r->how.cut = s.cut;
    r->scanned = s.bytes;
  } else if (r->data) {
    uint64_t *mins;
    size_t n = ms_scan_buffer(r->data, r->len, &mins);
    r->order = order_of(mins, n, &r->norder);
  }
  r->proc = attach_process(&r->p->inputs[r->input], h);
  ms_replay_begin(r->p, r->proc, r->order, r->norder, r->p->window);
  r->order = NULL;
}

static void on_site(void *ctx, const struct ms_site_rec *s) {
  struct reading *r = ctx;
  ms_process_add_site(r->p, r->proc, s);
}

static void on_thread(void *ctx, const struct ms_thread_rec *t) {
  struct reading *r = ctx;
  ms_process_add_thread(r->p, r->proc, t);
}

static void on_events(void *ctx, const struct ms_events_rec *e) {
  struct reading *r = ctx;
  ms_process_add_events(r->p, r->proc, e);
}

static void on_end(void *ctx, const struct ms_end_rec *e) {
  struct reading *r = ctx;
  ms_process_add_end(r->p, r->proc, e);
}

static void on_counters(void *ctx, const struct ms_counters_rec *c) {
  struct reading *r = ctx;
  ms_process_add_counters(r->p, r->proc, c);
}

static void on_phase(void *ctx, const struct ms_phase_rec *ph) {
  struct reading *r = ctx;
  ms_process_add_phase(r->p, r->proc, ph);
}

static void on_resource(void *ctx, const struct ms_resource_rec *res) {
  struct reading *r = ctx;
  ms_resources_add(r->proc, res);
}

static void on_module(void *ctx, const struct ms_module_rec *m) {
  struct reading *r = ctx;
  ms_process_add_module(r->p, r->proc, m);
}

static void on_unknown(void *ctx, uint64_t type, uint64_t offset) {
  struct reading *r = ctx;
  (void)type;
  (void)offset;
  r->proc->skipped_records++;
}

static const struct ms_decode_callbacks reading_callbacks = {
    .header = on_header,
    .site = on_site,
    .thread = on_thread,
    .events = on_events,
    .end = on_end,
    .unknown = on_unknown,
    .counters = on_counters,
    .phase = on_phase,
    .module = on_module,
    .resource = on_resource,
};

static void finish_input(struct ms_profile *p, struct reading *r,
                         const struct ms_decode_problem *problem) {
  struct ms_input *in = &p->inputs[r->input];
  in->problem = *problem;
  in->problem.file = in->path;
  if (r->proc)
    ms_profile_end_process(p, r->proc);
  free(r->order); /* no header: the replay never took it */
}

/* The suffix minimums of the batches' first times, or NULL (scan.h). */
static uint64_t *order_of(uint64_t *mins, size_t n, size_t *norder) {
  if (n == (size_t)-1) {
    *norder = 0;
    return NULL;
  }
  ms_scan_suffix_min(mins, n);
  *norder = n;
  return mins ? mins : ms_xcalloc(1, sizeof *mins); /* no batch: an empty order */
}

struct ms_profile *ms_profile_read_file(const char *path, size_t window,
                                        _Atomic uint64_t *progress) {
  struct ms_profile *part = ms_profile_new();
  part->window = window;
  struct reading r = {.p = part, .input = add_input(part, path), .fd = -1};
  const char *name = part->inputs[r.input].path;
  struct ms_decode_problem problem;
  if (strcmp(path, "-") == 0) { /* a stream: read once, not pre-scanned */
    ms_decode_file_progress(name, &reading_callbacks, &r, &problem, progress);
  } else if ((r.fd = ms_decode_open(name, &problem, &r.how.size)) >= 0) {
    r.how.progress = progress;
    r.how.cut = UINT64_MAX;
    ms_decode_fd(r.fd, name, &reading_callbacks, &r, &problem, &r.how);
    close(r.fd);
    /* The progress total counts every file twice (parallel.h): what a refused or cut
     * file was spared is done too. */
    uint64_t done = r.scanned + r.how.read;
    if (progress && done < 2 * r.how.size)
      atomic_fetch_add_explicit(progress, 2 * r.how.size - done, memory_order_relaxed);
  }
  finish_input(part, &r, &problem);
  return part;
}

struct ms_profile *ms_profile_read_buffer(const char *name, const void *data, size_t len,
                                          size_t window) {
  struct ms_profile *part = ms_profile_new();
  part->window = window;
  struct reading r = {.p = part, .input = add_input(part, name), .fd = -1, .data = data,
                      .len = len};
  struct ms_decode_problem problem;
  ms_decode_buffer(part->inputs[r.input].path, data, len, &reading_callbacks, &r, &problem);
  finish_input(part, &r, &problem);
  return part;
}

/* One input at a time goes through a profile of its own and is then combined, exactly as
 * ms_profile_add_files does on many cores: the numbers never depend on how inputs were
 * read. */
const struct ms_input *ms_profile_add_file(struct ms_profile *p, const char *path) {
  ms_profile_absorb(p, ms_profile_read_file(path, p->window, NULL), NULL);
  return &p->inputs[p->ninputs - 1];
}

const struct ms_input *ms_profile_add_buffer(struct ms_profile *p, const char *name,
                                             const void *data, size_t len) {
  ms_profile_absorb(p, ms_profile_read_buffer(name, data, len, p->window), NULL);
  return &p->inputs[p->ninputs - 1];
}

/* --- Presentation helpers -------------------------------------------------------------- */

bool ms_site_is_free(const struct ms_site *s) {
  enum ms_api_kind k = ms_api_kind(s->api);
  if (k != MS_API_UNKNOWN)
    return k == MS_API_FREE;
  /* No SITE record, or an api this tool does not know: judge by what happened there. */
  const struct ms_counts *c = &s->counts;
  return c->allocations == 0 && c->failed_allocations == 0 && c->reallocs == 0 &&
         (c->frees > 0 || c->null_frees > 0);
}

uint64_t ms_site_calls(const struct ms_site *s) {
  return ms_site_is_free(s) ? s->counts.frees : s->counts.allocations;
}

uint64_t ms_site_bytes(const struct ms_site *s) {
  return ms_site_is_free(s) ? ms_counts_figure(&s->counts, MS_BYTES_FREED).value
                            : s->counts.bytes_allocated;
}

struct ms_figure ms_est_figure(const struct ms_est *e, bool estimated) {
  struct ms_figure f = {.estimated = estimated};
  f.value = e->value > 0 ? (uint64_t)llround(e->value) : 0;
  f.error = estimated && e->var > 0 ? (uint64_t)llround(1.96 * sqrt(e->var)) : 0;
  return f;
}

struct ms_figure ms_counts_figure(const struct ms_counts *c, enum ms_figure_of what) {
  uint64_t exact = 0;
  const struct ms_est *e = &c->est_bytes_freed;
  switch (what) {
  case MS_BYTES_FREED: exact = c->bytes_freed; e = &c->est_bytes_freed; break;
  case MS_LIVE_BLOCKS: exact = c->live_blocks; e = &c->est_live_blocks; break;
  case MS_LIVE_BYTES: exact = c->live_bytes; e = &c->est_live_bytes; break;
  case MS_PEAK_LIVE_BYTES: exact = c->peak_live_bytes; e = &c->est_peak_live_bytes; break;
  }
  struct ms_figure f = {.value = exact, .estimated = c->estimated};
  if (!c->estimated)
    return f;
  /* A running sum (the peak's) may end a hair below zero: clamp. */
  f.value = e->value > 0 ? (uint64_t)llround(e->value) : 0;
  f.error = e->var > 0 ? (uint64_t)llround(1.96 * sqrt(e->var)) : 0;
  return f;
}

/* Keep in step with enum memscope_api.  A wrapper site (xmalloc, xfree, ...) is whatever
 * its wrapper does, so it is judged, like an unknown api, by what happened there. */
enum ms_api_kind ms_api_kind(uint32_t api) {
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
  case MEMSCOPE_API_MMAP: return MS_API_ALLOC;
  case MEMSCOPE_API_REALLOC:
  case MEMSCOPE_API_REALLOCARRAY: return MS_API_REALLOC;
  case MEMSCOPE_API_FREE:
  case MEMSCOPE_API_DELETE:
  case MEMSCOPE_API_DELETE_ARRAY:
  case MEMSCOPE_API_MUNMAP: return MS_API_FREE;
  }
  return MS_API_UNKNOWN;
}

const char *ms_api_name(uint32_t api) {
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

uint64_t ms_process_dropped_events(const struct ms_process *proc) {
  uint64_t n = 0;
  for (size_t i = 0; i < proc->nthreads; i++) n += proc->threads[i].dropped_events;
  return n;
}

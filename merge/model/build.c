/* Building a process from its decoded records (profile.h, "Building a process record by
 * record"): each record goes to the part of the model that keeps it (replay.c, counters.c,
 * phases.c, stacks.c, resources.c), and the end of the process settles the counts into
 * threads, sites and the profile. */
#include <stdlib.h>
#include <string.h>

#include "memscope/format.h"

#include "build.h"
#include "counters.h"
#include "names.h"
#include "profile.h"
#include "replay.h"
#include "resources.h"
#include "stacks.h"
#include "util.h"

static struct mg_thread *thread_at(struct mg_process *proc, uint64_t index) {
  bool existed;
  size_t *slot = mg_map_put(&proc->thread_slots, index, &existed);
  if (!existed) {
    *slot = proc->nthreads;
    MG_GROW(proc->threads, proc->threads_cap, proc->nthreads + 1);
    proc->threads[proc->nthreads] = (struct mg_thread){.index = index};
    proc->nthreads++;
  }
  return &proc->threads[*slot];
}

size_t mg_profile_add_input(struct mg_profile *p, const char *name) {
  MG_GROW(p->inputs, p->inputs_cap, p->ninputs + 1);
  p->inputs[p->ninputs] = (struct mg_input){.path = mg_xstrdup(name)};
  p->inputs[p->ninputs].problem.file = p->inputs[p->ninputs].path;
  return p->ninputs++;
}

struct mg_process *mg_input_attach_process(struct mg_input *in, const struct mg_header_rec *h) {
  struct mg_process *proc = mg_xcalloc(1, sizeof *proc);
  proc->path = in->path;
  proc->version = h->version;
  proc->program = mg_xstrdup_or_null(h->program);
  proc->mode = mg_xstrdup_or_null(h->mode);
  proc->sampler = mg_xstrdup_or_null(h->sampler);
  proc->sample_interval = h->sample_interval;
  proc->pid = h->pid;
  proc->ppid = h->ppid;
  proc->start_ns = h->start_ns;
  proc->start_unix_ns = h->start_unix_ns;
  proc->present = h->present;
  proc->runtime_version = mg_xstrdup_or_null(h->runtime_version);
  if (h->command_line) {
    proc->command_line = mg_xcalloc(h->ncommand_line ? h->ncommand_line : 1, sizeof(char *));
    for (size_t i = 0; i < h->ncommand_line; i++)
      proc->command_line[i] = mg_xstrdup(h->command_line[i]);
    proc->ncommand_line = h->ncommand_line;
  }
  proc->command_line_truncated = h->command_line_truncated;
  mg_map_init(&proc->thread_slots, sizeof(size_t));
  in->process = proc;
  return proc;
}

struct mg_process *mg_profile_begin_process(struct mg_profile *p, const char *name,
                                            const struct mg_header_rec *h) {
  size_t i = mg_profile_add_input(p, name);
  struct mg_process *proc = mg_input_attach_process(&p->inputs[i], h);
  mg_replay_begin(p, proc, NULL, 0, p->window);
  return proc;
}

void mg_process_add_site(struct mg_profile *p, struct mg_process *proc,
                         const struct mg_site_rec *s) {
  size_t slot = mg_profile_site_slot(p, s->id); /* may move p->sites */
  if (s->slot < MG_PLAIN_SLOTS) { /* the same slot again is the same site (container.c) */
    MG_GROW_ZEROED(proc->slot_sites, proc->nslot_sites, (size_t)s->slot + 1);
    proc->slot_sites[s->slot] = (uint32_t)slot + 1;
  }
  struct mg_site *site = &p->sites[slot];
  if (!mg_site_id_uninstrumented(s->id, s->flags))
    proc->instrumented_sites++;
  if (site->described) /* the same id describes the same site everywhere: keep the first */
    return;
  site->described = true;
  site->api = s->api;
  site->flags = s->flags;
  site->nframes = s->nframes;
  site->frames = mg_xcalloc(s->nframes, sizeof *site->frames);
  for (size_t i = 0; i < s->nframes; i++) {
    /* one spelling with the stacks' frames (names.h) */
    site->frames[i].function = mg_name_function(mg_xstrdup_or_null(s->frames[i].function));
    site->frames[i].file = mg_name_path(mg_xstrdup_or_null(s->frames[i].file));
    site->frames[i].line = s->frames[i].line;
    site->frames[i].column = s->frames[i].column;
  }
}

void mg_process_add_thread(struct mg_profile *p, struct mg_process *proc,
                           const struct mg_thread_rec *t) {
  (void)p;
  struct mg_thread *thr = thread_at(proc, t->thread);
  thr->described = true;
  thr->os_tid = t->os_tid;
  if (t->name) {
    free(thr->name);
    thr->name = mg_xstrdup(t->name);
  }
  thr->start_ns = t->start_ns;
  thr->end_ns = t->end_ns;
  thr->dropped_events = t->dropped;
  mg_replay_thread_ended(proc, (size_t)(thr - proc->threads));
}

void mg_process_add_events(struct mg_profile *p, struct mg_process *proc,
                           const struct mg_events_rec *e) {
  struct mg_thread *thr = thread_at(proc, e->thread);
  if (!thr->os_tid)
    thr->os_tid = e->os_tid;
  proc->events += e->nevents;
  proc->skipped_events += e->nskipped;
  if (!(e->facts & MG_EVENTS_PLAIN)) /* else every weight is 1 */
    for (size_t i = 0; i < e->nevents; i++)
      proc->weighted_events += e->events[i].weight != 1.0;
  mg_phases_count(proc, e);
  mg_replay_events(p, proc, (size_t)(thr - proc->threads), e);
}

void mg_process_add_counters(struct mg_profile *p, struct mg_process *proc,
                             const struct mg_counters_rec *c) {
  struct mg_thread *thr = thread_at(proc, c->thread);
  if (!thr->os_tid)
    thr->os_tid = c->os_tid;
  proc->has_counters = true;
  mg_counters_keep(p, thr, c);
  thr->from_table = thr->counters_seq == c->seq && c->from_table;
}

void mg_process_add_module(struct mg_profile *p, struct mg_process *proc,
                           const struct mg_module_rec *m) {
  (void)p;
  mg_stacks_module(proc, m);
}

void mg_process_add_end(struct mg_profile *p, struct mg_process *proc,
                        const struct mg_end_rec *e) {
  (void)p;
  proc->complete = true;
  proc->end_ns = e->end_ns;
  free(proc->end_reason);
  proc->end_reason = mg_xstrdup_or_null(e->reason);
}

static int by_site_id(const void *a, const void *b) {
  const struct mg_thread_site *x = a, *y = b;
  return (x->site > y->site) - (x->site < y->site);
}

static int by_index(const void *a, const void *b) {
  const struct mg_thread *x = a, *y = b;
  return (x->index > y->index) - (x->index < y->index);
}

/* Keeps the thread's MG_HOT_SITES sites with the most allocations (then bytes, then the
 * lower id). */
static void rank_hot_site(struct mg_thread *thr, uint64_t id, uint64_t allocs, uint64_t bytes) {
  if (!allocs)
    return;
  struct mg_hot_site h = {id, allocs, bytes};
  size_t i = thr->nhot < MG_HOT_SITES ? thr->nhot : MG_HOT_SITES;
  while (i > 0) {
    const struct mg_hot_site *o = &thr->hot[i - 1];
    bool before = o->allocations != h.allocations ? o->allocations < h.allocations
                  : o->bytes != h.bytes           ? o->bytes < h.bytes
                                                  : o->site > h.site;
    if (!before)
      break;
    if (i < MG_HOT_SITES)
      thr->hot[i] = *o;
    i--;
  }
  if (i < MG_HOT_SITES) {
    thr->hot[i] = h;
    if (thr->nhot < MG_HOT_SITES)
      thr->nhot++;
  }
}

/* A sampled process's estimates learn their units (estimate.h) once the exact sizes are
 * known: bytes from the sampler, blocks from the smallest size where they were counted
 * (every size is exact in a COUNTERS snapshot; without one, sizes seen in samples only
 * say nothing about the smallest, so 1 byte is assumed). */
struct unit_facts {
  uint64_t min; /* the process's smallest allocation, 0 when unknown */
  bool all_counted;
};

static struct unit_facts set_tally_units(struct mg_profile *p, struct mg_process *proc,
                                         struct mg_tallies *tallies) {
  uint64_t proc_min = 0;
  bool all_counted = true;
  size_t pos = 0;
  uint64_t key;
  struct mg_tally *t;
  while ((t = mg_tallies_next(tallies, &pos, &key))) {
    uint64_t min = t->counted && t->sizes.calls ? t->sizes.min : 1;
    all_counted &= t->counted;
    if (t->sizes.calls && (!proc_min || min < proc_min))
      proc_min = min;
    /* (the pair's own units: pair_units) */
    if (t->counted && !t->sizes.calls)
      continue;
    double blocks = mg_block_unit(proc, min);
    struct mg_site *site = &p->sites[mg_tally_site(key)];
    for (size_t k = 0; k < MG_LIFETIME_BUCKETS; k++)
      mg_est_unit(&site->lifetime[k], blocks);
  }
  return (struct unit_facts){all_counted ? proc_min : 1, all_counted};
}

/* A sampled pair's units, on its numbers as counts (add_tallies). */
static void pair_units(const struct mg_process *proc, const struct mg_tally *t,
                       struct mg_counts *c) {
  double bytes = mg_byte_unit(proc);
  mg_est_unit(&c->est_bytes_freed, bytes);
  /* What is counted where blocks were allocated: nothing where none was (a free
   * site's calls, by the exact counts). */
  if (t->counted && !t->sizes.calls)
    return;
  double blocks = mg_block_unit(proc, t->counted && t->sizes.calls ? t->sizes.min : 1);
  mg_est_unit(&c->est_live_bytes, bytes);
  mg_est_unit(&c->est_live_blocks, blocks);
  mg_est_unit(&c->est_short_lived, blocks);
  if (proc->nthreads > 1) { /* one thread frees no other thread's blocks: exactly 0 */
    mg_est_unit(&c->est_cross_freed_bytes, bytes);
    mg_est_unit(&c->est_cross_freed, blocks);
  }
}

/* A pair's numbers as counts: the tally's fields, the rest 0 (as a pair has them). */
static struct mg_counts pair_counts(const struct mg_tally_counts *t) {
  struct mg_tally_ests e = mg_tally_ests_of(t);
#define EST(f) {e.f.value, e.f.var, e.f.n, 0, 0}
  return (struct mg_counts){
      .allocations = t->allocations, .failed_allocations = t->failed_allocations,
      .reallocs = t->reallocs, .frees = t->frees, .null_frees = t->null_frees,
      .unmatched_frees = t->unmatched_frees, .bytes_allocated = t->bytes_allocated,
      .bytes_freed = t->bytes_freed, .live_blocks = t->live_blocks,
      .live_bytes = t->live_bytes, .overwritten_blocks = t->overwritten_blocks,
      .samples = t->samples, .est_bytes_freed = EST(est_bytes_freed),
      .est_live_blocks = EST(est_live_blocks), .est_live_bytes = EST(est_live_bytes),
      .est_short_lived = EST(est_short_lived), .est_cross_freed = EST(est_cross_freed),
      .est_cross_freed_bytes = EST(est_cross_freed_bytes)};
#undef EST
}

/* The process's other estimates, once its tallies are in its sites (their sizes). */
static void set_process_units(struct mg_profile *p, struct mg_process *proc,
                              struct unit_facts f) {
  double bytes = mg_byte_unit(proc), blocks = mg_block_unit(proc, f.min);
  for (size_t i = 0; i < proc->nphases; i++) {
    mg_est_unit(&proc->phases[i].allocations, blocks);
    mg_est_unit(&proc->phases[i].bytes, bytes);
  }
  for (size_t i = 0; i < proc->ninteractions; i++) {
    mg_est_unit(&proc->interactions[i].blocks, blocks);
    mg_est_unit(&proc->interactions[i].bytes, bytes);
  }
  for (size_t i = 0; i < proc->nthreads; i++)
    mg_est_unit(&proc->threads[i].est_peak_live_bytes, bytes);
  mg_est_unit(&proc->counts.est_peak_live_bytes, bytes);
  for (size_t i = 0; i < proc->npeak_sites; i++) {
    mg_est_unit(&proc->peak_sites[i].bytes, bytes);
    mg_est_unit(&proc->peak_sites[i].blocks, blocks);
  }
  if (proc->stacks)
    for (size_t i = 0; i < proc->stacks->nsamples; i++) {
      struct mg_stack_tally *st = &proc->stacks->samples[i];
      const struct mg_site *site = mg_profile_find_site(p, st->site);
      double site_blocks = site && site->sizes.calls && f.all_counted
                               ? mg_block_unit(proc, site->sizes.min) : mg_block_unit(proc, 1);
      mg_est_unit(&st->calls, site_blocks);
      mg_est_unit(&st->live_blocks, site_blocks);
      mg_est_unit(&st->bytes, bytes);
      mg_est_unit(&st->live_bytes, bytes);
    }
}

/* Blocks live at exit, exact in sampled mode too: every allocation, free and realloc is
 * counted exactly (COUNTERS), so allocations - frees - reallocs that released a block is
 * the number still live, when the process ended and every thread's counts are in.  (In
 * full mode the events count it already.)  A negative balance means frees of blocks
 * from before the file began (a session started late): then it is not the number live. */
static void set_net_blocks(struct mg_process *proc, bool all_counted, uint64_t largest) {
  bool releases_known = true;
  uint64_t releases = 0;
  for (size_t i = 0; i < proc->nthreads; i++) {
    struct mg_thread *t = &proc->threads[i];
    t->counts.realloc_releases = t->realloc_releases;
    releases += t->realloc_releases;
    releases_known &= t->has_realloc_releases || t->counts.reallocs == 0;
  }
  struct mg_counts *c = &proc->counts;
  c->realloc_releases = releases;
  bool exact = proc->complete && all_counted && releases_known &&
               mg_counts_net_blocks(c) >= 0;
  c->net = exact ? 1 : 2;
  c->exact_live_blocks = exact ? (uint64_t)mg_counts_net_blocks(c) : 0;
  c->largest_size = exact ? largest : 0; /* (every tally counted: exact ranges) */
}

/* --thread: the kept thread's numbers at one site, with the lifetimes and chains the
 * replay kept for it (by site position), in the units its tally's estimates have. */
static void keep_thread_site(const struct mg_process *proc, struct mg_thread *thr, uint64_t id,
                             uint32_t slot, const struct mg_tally *t,
                             const struct mg_counts *counts) {
  MG_GROW(thr->sites, thr->sites_cap, thr->nsites + 1);
  struct mg_thread_site *ts = &thr->sites[thr->nsites++];
  *ts = slot < thr->nby_slot ? thr->by_slot[slot] : (struct mg_thread_site){0};
  ts->site = id;
  ts->counts = *counts;
  ts->sizes = t->sizes;
  if (proc->sampled) { /* as set_tally_units does for the site's */
    double blocks = mg_block_unit(proc, t->counted && t->sizes.calls ? t->sizes.min : 1);
    for (size_t k = 0; k < MG_LIFETIME_BUCKETS; k++)
      mg_est_unit(&ts->lifetime[k], blocks);
  }
}

/* The pairs' tallies into the threads, the sites and the process. */
static void add_tallies(struct mg_profile *p, struct mg_process *proc, struct mg_tallies *tallies) {
  struct unit_facts units = {0, false};
  if (proc->sampled)
    units = set_tally_units(p, proc, tallies);
  size_t pos = 0;
  uint64_t key, largest = 0;
  struct mg_tally *t;
  while ((t = mg_tallies_next(tallies, &pos, &key))) {
    if (t->sizes.calls && t->sizes.max > largest)
      largest = t->sizes.max;
    struct mg_site *site = &p->sites[mg_tally_site(key)];
    struct mg_thread *thr = &proc->threads[mg_tally_thread(key)];
    struct mg_counts c = pair_counts(&t->counts);
    if (proc->sampled)
      pair_units(proc, t, &c);
    c.estimated = proc->sampled;
    c.uncounted = proc->sampled && !t->counted;
    c.lives_only = proc->leaks;
    c.lives_unlisted = proc->lives_unlisted;
    if (!proc->sampled)
      c.samples = 0;
    mg_counts_add(&thr->counts, &c);
    if (p->has_site_thread && thr->index == p->site_thread) /* --thread: its own sites */
      keep_thread_site(proc, thr, site->id, mg_tally_site(key), t, &c);
    mg_counts_add(&site->counts, &c);
    mg_sizes_add(&site->sizes, &t->sizes);
    mg_counts_add(&proc->counts, &c);
    /* Free sites make no allocations: rank_hot_site and the ranking skip them. */
    rank_hot_site(thr, site->id, c.allocations, c.bytes_allocated);
    struct mg_thread_ref r = {proc->pid, thr->index, c.allocations};
    mg_site_rank_thread(site, &r);
    site->threads += c.allocations > 0;
  }
  for (size_t i = 0; i < proc->nthreads; i++) {
    proc->threads[i].kept_sites = p->has_site_thread && proc->threads[i].index == p->site_thread;
    if (proc->threads[i].nsites > 1) /* by id: the JSON's order */
      qsort(proc->threads[i].sites, proc->threads[i].nsites, sizeof *proc->threads[i].sites,
            by_site_id);
    proc->threads[i].counts.estimated = proc->sampled;
    proc->threads[i].counts.lives_only |= proc->leaks;
    proc->threads[i].counts.lives_unlisted |= proc->lives_unlisted;
  }
  proc->counts.estimated = proc->sampled;
  if (proc->sampled) {
    set_process_units(p, proc, units);
    set_net_blocks(proc, units.all_counted, largest);
  } else { /* full mode: every block is an event */
    proc->counts.net = 1;
    proc->counts.exact_live_blocks = proc->counts.live_blocks;
  }
  proc->counts.lives_only |= proc->leaks;
  proc->counts.lives_unlisted |= proc->lives_unlisted;
}

void mg_profile_end_process(struct mg_profile *p, struct mg_process *proc) {
  if (proc->ended)
    return;
  /* A file says it is sampled, or its weights do (a header cut short, a future mode). */
  proc->sampled = (proc->mode && strcmp(proc->mode, "sampled") == 0) || proc->weighted_events;
  /* Leaks mode: exact, but its events are only the blocks still live at its end. */
  proc->leaks = !proc->sampled && proc->mode && strcmp(proc->mode, "leaks") == 0;
  /* Its live blocks are written at the session's end, before END: without END (killed,
   * a fatal signal) none or only some are here; after a full disk, only some. */
  proc->lives_unlisted =
      proc->leaks && (!proc->complete || (proc->status.flags & MS_STATUS_DISK_FULL));
  mg_replay_finish(p, proc);
  mg_stacks_end_process(p, proc);
  mg_phases_finish(proc);
  struct mg_tallies *tallies = proc->tallies;
  if (proc->has_counters)
    mg_counters_apply(p, proc, tallies);
  add_tallies(p, proc, tallies);
  mg_tallies_destroy(tallies);
  free(tallies);
  proc->tallies = NULL;
  for (size_t i = 0; i < proc->nthreads; i++) {
    struct mg_thread *t = &proc->threads[i];
    free(t->counters);
    t->counters = NULL;
    t->ncounters = t->counters_cap = 0;
    free(t->by_slot);
    t->by_slot = NULL;
    t->nby_slot = 0;
  }
  /* Threads in index order from now on; the lookup map follows. */
  if (proc->nthreads > 1)
    qsort(proc->threads, proc->nthreads, sizeof *proc->threads, by_index);
  for (size_t i = 0; i < proc->nthreads; i++)
    *(size_t *)mg_map_put(&proc->thread_slots, proc->threads[i].index, NULL) = i;
  mg_resources_finish(proc); /* matches its threads to these, by tid */
  mg_counts_add(&p->totals, &proc->counts);
  p->nprocesses++;
  p->nthreads += proc->nthreads;
  proc->ended = true;
}

/* Resources: the ticks of the runtime's resource sampler (RESOURCE records), per
 * process.  Each tick gives the process's RSS and virtual size, and counters that only
 * grow (CPU time, I/O, page faults, context switches) for the process and for each
 * recording thread; the rates come from the differences between consecutive ticks.
 *
 * Memory is bounded: the timeline holds at most MG_RESOURCE_POINTS points (when it
 * fills, neighbours are merged in pairs and each later point stands for twice as many
 * ticks), the threads one entry per kernel thread id.  The summary is kept apart from
 * the timeline, exact over every tick. */
#include "resources.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "profile.h"
#include "util.h"

static uint64_t minus(uint64_t a, uint64_t b) { return a > b ? a - b : 0; }
static uint64_t max_u(uint64_t a, uint64_t b) { return a > b ? a : b; }

/* The program's storage writes: the process's less memscope's own file, whose chunks
 * are reserved ahead of being written (so this can read low by their unwritten tails,
 * never high because of memscope). */
static uint64_t program_writes(const struct mg_resource_rec *r) {
  return minus(r->write_bytes, r->own_file_bytes);
}

/* The higher of two rates, NaN (no interval) losing to any number. */
static double max_rate(double a, double b) {
  if (isnan(a))
    return b;
  if (isnan(b))
    return a;
  return a > b ? a : b;
}

/* b (a later point) folded into a: the highest levels and rates, b's counters. */
static void merge_point(struct mg_resource_point *a, const struct mg_resource_point *b) {
  a->ns = b->ns;
  a->ticks += b->ticks;
  a->rss = max_u(a->rss, b->rss);
  a->vsize = max_u(a->vsize, b->vsize);
  a->cpu_percent = max_rate(a->cpu_percent, b->cpu_percent);
  a->read_rate = max_rate(a->read_rate, b->read_rate);
  a->write_rate = max_rate(a->write_rate, b->write_rate);
  a->minor_faults = b->minor_faults;
  a->major_faults = b->major_faults;
  a->voluntary_switches = b->voluntary_switches;
  a->involuntary_switches = b->involuntary_switches;
}

/* A whole point into the timeline; a full timeline is halved first. */
static void append_point(struct mg_resources *res, const struct mg_resource_point *pt) {
  if (res->npoints == MG_RESOURCE_POINTS) {
    for (size_t i = 0; i < MG_RESOURCE_POINTS / 2; i++) {
      struct mg_resource_point merged = res->points[2 * i];
      merge_point(&merged, &res->points[2 * i + 1]);
      res->points[i] = merged;
    }
    res->npoints = MG_RESOURCE_POINTS / 2;
    res->stride *= 2;
  }
  MG_GROW(res->points, res->points_cap, res->npoints + 1);
  res->points[res->npoints++] = *pt;
}

static struct mg_resource_thread *thread_of(struct mg_resources *res, uint64_t os_tid) {
  bool existed;
  size_t *slot = mg_map_put(res->tid_slots, os_tid, &existed);
  if (!existed) {
    *slot = res->nthreads;
    MG_GROW(res->threads, res->threads_cap, res->nthreads + 1);
    res->threads[res->nthreads] = (struct mg_resource_thread){.os_tid = os_tid};
    res->nthreads++;
  }
  return &res->threads[*slot];
}

static void add_thread(struct mg_resources *res, const struct mg_resource_thread_rec *r) {
  struct mg_resource_thread *t = thread_of(res, r->os_tid);
  /* CPU that went back: the tid now names another thread; keep what the first one used.
   * (The sum: runtimes that split a thread's exact run time as the kernel's ticks do can
   * move time between user and system from one tick to the next.) */
  if (r->user_ns + r->system_ns < t->user_ns + t->system_ns ||
      (r->has_io && t->has_io && (r->read_bytes < t->read_bytes || r->write_bytes < t->write_bytes))) {
    t->base_user += t->user_ns;
    t->base_system += t->system_ns;
    t->base_read += t->read_bytes;
    t->base_write += t->write_bytes;
    t->read_bytes = t->write_bytes = 0;
  }
  t->user_ns = r->user_ns;
  t->system_ns = r->system_ns;
  if (r->has_io) {
    t->read_bytes = r->read_bytes;
    t->write_bytes = r->write_bytes;
    t->has_io = true;
  }
  t->ticks++;
}

void mg_resources_add(struct mg_process *proc, const struct mg_resource_rec *r) {
  struct mg_resources *res = proc->resources;
  if (!res) {
    res = proc->resources = mg_xcalloc(1, sizeof *res);
    res->stride = 1;
    res->tid_slots = mg_xmalloc(sizeof *res->tid_slots);
    mg_map_init(res->tid_slots, sizeof(size_t));
  }
  struct mg_resource_summary *s = &res->summary;
  uint64_t cpu = r->user_ns + r->system_ns;
  struct mg_resource_point pt = {
      .ns = r->ts, .ticks = 1, .rss = r->rss, .vsize = r->vsize,
      .cpu_percent = NAN, .read_rate = NAN, .write_rate = NAN,
      .minor_faults = r->minor_faults, .major_faults = r->major_faults,
      .voluntary_switches = r->voluntary_switches,
      .involuntary_switches = r->involuntary_switches};
  /* Rates over intervals of MG_RESOURCE_MIN_RATE_NS or more (see resources.h); a tick
   * closer to the one before has none, and the next interval starts before it. */
  bool rated = res->has_prev && r->ts >= res->prev.ts + MG_RESOURCE_MIN_RATE_NS;
  if (rated) {
    double dt = (double)(r->ts - res->prev.ts);
    pt.cpu_percent = 100.0 * (double)minus(cpu, res->prev.user_ns + res->prev.system_ns) / dt;
    pt.read_rate = 1e9 * (double)minus(r->read_bytes, res->prev.read_bytes) / dt;
    pt.write_rate = 1e9 * (double)minus(program_writes(r), program_writes(&res->prev)) / dt;
  }

  /* The summary, exact. */
  if (s->ticks == 0) {
    res->first_ts = res->last_ts = r->ts;
    res->first_cpu_ns = cpu;
  }
  s->ticks++;
  if (r->ts < res->first_ts) {
    res->first_ts = r->ts;
    res->first_cpu_ns = cpu;
  }
  res->last_ts = max_u(res->last_ts, r->ts);
  if (s->ticks == 1 || r->rss > s->peak_rss) {
    s->peak_rss = r->rss;
    res->peak_rss_ts = r->ts;
  }
  if (s->ticks == 1 || r->vsize > s->peak_vsize) {
    s->peak_vsize = r->vsize;
    res->peak_vsize_ts = r->ts;
  }
  if (!isnan(pt.cpu_percent) && pt.cpu_percent > s->peak_cpu_percent) {
    s->peak_cpu_percent = pt.cpu_percent;
    res->peak_cpu_ts = r->ts;
  }
  s->peak_read_rate = max_rate(s->peak_read_rate, pt.read_rate);
  s->peak_write_rate = max_rate(s->peak_write_rate, pt.write_rate);
  s->user_ns = max_u(s->user_ns, r->user_ns);
  s->system_ns = max_u(s->system_ns, r->system_ns);
  s->read_bytes = max_u(s->read_bytes, r->read_bytes);
  s->write_bytes = max_u(s->write_bytes, program_writes(r));
  s->minor_faults = max_u(s->minor_faults, r->minor_faults);
  s->major_faults = max_u(s->major_faults, r->major_faults);
  s->voluntary_switches = max_u(s->voluntary_switches, r->voluntary_switches);
  s->involuntary_switches = max_u(s->involuntary_switches, r->involuntary_switches);

  /* The timeline, bounded. */
  if (res->pending.ticks == 0)
    res->pending = pt;
  else
    merge_point(&res->pending, &pt);
  if (res->pending.ticks >= res->stride) {
    append_point(res, &res->pending);
    res->pending.ticks = 0;
  }

  for (size_t i = 0; i < r->nthreads; i++)
    add_thread(res, &r->threads[i]);
  if (rated || !res->has_prev || r->ts < res->prev.ts) {
    res->prev = *r;
    res->prev.threads = NULL;
    res->prev.nthreads = 0;
    res->has_prev = true;
  }
}

/* Runtime threads first, by index; then the others, by tid. */
static int by_thread(const void *a, const void *b) {
  const struct mg_resource_thread *x = a, *y = b;
  if ((x->thread == 0) != (y->thread == 0))
    return x->thread == 0 ? 1 : -1;
  if (x->thread != y->thread)
    return x->thread < y->thread ? -1 : 1;
  return (x->os_tid > y->os_tid) - (x->os_tid < y->os_tid);
}

void mg_resources_finish(struct mg_process *proc) {
  struct mg_resources *res = proc->resources;
  if (!res || res->finished)
    return;
  res->finished = true;
  /* The process's time origin; without a start time or any event, its first tick. */
  uint64_t t0 = proc->t0 ? proc->t0 : res->first_ts;
#define REL(ts) ((ts) > t0 ? (ts) - t0 : 0)
  if (res->pending.ticks) {
    append_point(res, &res->pending);
    res->pending.ticks = 0;
  }
  for (size_t i = 0; i < res->npoints; i++)
    res->points[i].ns = REL(res->points[i].ns);
  struct mg_resource_summary *s = &res->summary;
  s->first_ns = REL(res->first_ts);
  s->last_ns = REL(res->last_ts);
  s->peak_rss_ns = REL(res->peak_rss_ts);
  s->peak_vsize_ns = REL(res->peak_vsize_ts);
  s->peak_cpu_ns = s->peak_cpu_percent > 0 ? REL(res->peak_cpu_ts) : 0;
#undef REL
  if (isnan(s->peak_read_rate))
    s->peak_read_rate = 0;
  if (isnan(s->peak_write_rate))
    s->peak_write_rate = 0;
  uint64_t span = res->last_ts - res->first_ts;
  s->average_cpu_percent =
      span ? 100.0 * (double)minus(s->user_ns + s->system_ns, res->first_cpu_ns) / (double)span
           : 0;

  /* Threads: the runtime's, by tid (the first with that tid: THREAD, EVENTS and
   * COUNTERS records carry it). */
  struct mg_map by_tid;
  mg_map_init(&by_tid, sizeof(size_t));
  for (size_t i = 0; i < proc->nthreads; i++) {
    bool existed;
    size_t *slot = mg_map_put(&by_tid, proc->threads[i].os_tid, &existed);
    if (!existed)
      *slot = i;
  }
  double total = (double)(s->user_ns + s->system_ns);
  for (size_t i = 0; i < res->nthreads; i++) {
    struct mg_resource_thread *t = &res->threads[i];
    t->user_ns += t->base_user;
    t->system_ns += t->base_system;
    t->read_bytes += t->base_read;
    t->write_bytes += t->base_write;
    const size_t *slot = t->os_tid ? mg_map_get(&by_tid, t->os_tid) : NULL;
    if (slot) {
      t->thread = proc->threads[*slot].index;
      t->name = proc->threads[*slot].name;
    }
    t->cpu_share = total > 0 ? (double)(t->user_ns + t->system_ns) / total : 0;
  }
  mg_map_destroy(&by_tid);
  if (res->nthreads > 1)
    qsort(res->threads, res->nthreads, sizeof *res->threads, by_thread);
  mg_map_destroy(res->tid_slots);
  free(res->tid_slots);
  res->tid_slots = NULL;
}

void mg_resources_free(struct mg_resources *res) {
  if (!res)
    return;
  if (res->tid_slots) {
    mg_map_destroy(res->tid_slots);
    free(res->tid_slots);
  }
  free(res->points);
  free(res->threads);
  free(res);
}

const struct mg_resource_thread *mg_resources_thread(const struct mg_resources *res,
                                                     uint64_t thread) {
  if (!res || !thread)
    return NULL;
  /* The runtime's threads come first, by index (by_thread). */
  size_t lo = 0, hi = res->nthreads;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    uint64_t t = res->threads[mid].thread;
    if (t != 0 && t < thread)
      lo = mid + 1;
    else
      hi = mid;
  }
  return lo < res->nthreads && res->threads[lo].thread == thread ? &res->threads[lo] : NULL;
}

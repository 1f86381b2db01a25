/* Resources (resources.c): the runtime's resource sampler (RESOURCE records,
 * MEMSCOPE_RESOURCE_INTERVAL) turned into a timeline and a summary per process.
 *
 * The summary is exact over every tick.  The timeline kept for the reports is bounded:
 * at most MG_RESOURCE_POINTS points per process, however long the run; past that, each
 * point stands for 2, 4, 8... consecutive ticks and keeps their highest RSS, virtual
 * size, CPU% and I/O rates, so peaks stay visible (docs/json.md). */
#ifndef MEMSCOPE_MERGE_RESOURCES_H
#define MEMSCOPE_MERGE_RESOURCES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "hashmap.h"

/* Points kept per process (a power of two: the timeline halves when it fills). */
#define MG_RESOURCE_POINTS 1024
/* The shortest interval a rate (CPU%, I/O per second) is computed over.  The kernel
 * counts CPU time in clock ticks (10 ms), so a shorter interval gives a rate that is
 * mostly rounding: the tick written when the session stops, a few ms after the last
 * periodic one, would read 800% on two cores.  A tick closer than this to the previous
 * rated one has no rate; the next interval starts before it. */
#define MG_RESOURCE_MIN_RATE_NS 10000000ULL

struct mg_process;

/* One point of the timeline: one tick, or the ticks it stands for. */
struct mg_resource_point {
  uint64_t ns;                   /* its (last) tick, ns since the process started */
  uint64_t ticks;                /* ticks it stands for */
  uint64_t rss, vsize;           /* bytes, the highest of its ticks */
  /* CPU time (user + system) over the interval before the tick, in % of one core, and
   * the I/O rates, bytes per second; the highest of its ticks.  NaN for the first tick
   * (no interval before it). */
  double cpu_percent, read_rate, write_rate;
  /* At its last tick, cumulative since the process started. */
  uint64_t minor_faults, major_faults;
  uint64_t voluntary_switches, involuntary_switches;
};

/* A thread the sampler saw (by kernel thread id), and the runtime's thread it is. */
struct mg_resource_thread {
  uint64_t os_tid;
  uint64_t thread;                  /* the runtime's thread index; 0: never recorded */
  const char *name;                 /* the thread's name (owned by the process); NULL */
  uint64_t user_ns, system_ns;      /* CPU time at its last tick */
  uint64_t read_bytes, write_bytes; /* I/O at its last tick (has_io) */
  bool has_io;
  uint64_t ticks;                   /* ticks it was in */
  double cpu_share;                 /* (user + system) / the process's, 0..1 */
  /* While reading: what an earlier thread with the same tid had used (tids are reused). */
  uint64_t base_user, base_system, base_read, base_write;
};

/* Exact over every tick.  Times are ns since the process started. */
struct mg_resource_summary {
  uint64_t ticks;
  uint64_t first_ns, last_ns;
  uint64_t peak_rss, peak_rss_ns;
  uint64_t peak_vsize, peak_vsize_ns;
  double peak_cpu_percent;       /* the highest of the intervals between ticks */
  uint64_t peak_cpu_ns;          /* the end of that interval */
  double average_cpu_percent;    /* CPU time from the first tick to the last / that span */
  uint64_t user_ns, system_ns;   /* CPU time of the process at its last tick */
  uint64_t read_bytes, write_bytes; /* the program's: memscope's own file left out */
  double peak_read_rate, peak_write_rate; /* bytes per second */
  uint64_t minor_faults, major_faults;
  uint64_t voluntary_switches, involuntary_switches;
};

struct mg_resources {
  struct mg_resource_summary summary;
  struct mg_resource_point *points; /* in time order, at most MG_RESOURCE_POINTS */
  size_t npoints, points_cap;
  uint64_t stride;                  /* ticks per point */
  struct mg_resource_thread *threads; /* once finished: recording threads by index, then
                                       * the others by tid */
  size_t nthreads, threads_cap;
  /* While reading. */
  struct mg_map *tid_slots;         /* os_tid -> position in threads */
  bool has_prev;
  struct mg_resource_rec prev;      /* the last rated tick's process numbers (no threads) */
  struct mg_resource_point pending; /* ticks not yet making a whole point */
  uint64_t first_ts, last_ts;       /* absolute */
  uint64_t first_cpu_ns;            /* user + system at the first tick */
  uint64_t peak_rss_ts, peak_vsize_ts, peak_cpu_ts;
  bool finished;
};

/* Adds one tick to the process (creating its resources on the first). */
void mg_resources_add(struct mg_process *proc, const struct mg_resource_rec *r);
/* At the end of the process, once its threads are final: times relative to its start,
 * threads matched to the runtime's by tid, CPU shares. */
void mg_resources_finish(struct mg_process *proc);
void mg_resources_free(struct mg_resources *res);

/* The resource thread of the runtime's thread with this index, or NULL. */
const struct mg_resource_thread *mg_resources_thread(const struct mg_resources *res,
                                                     uint64_t thread);

#endif

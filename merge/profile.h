/* The analysis model: what memscope-merge knows after reading its inputs.
 *
 * Every input file is one process (program, pid, mode, threads, whether it finished).
 * Sites are shared by all processes: a site id names the same source location in every
 * process, so their counters add up.  Events are kept only while their process is being
 * read; when the input ends they are replayed (replay.c) into the counters below and
 * dropped, so memory grows with sites and threads, not with events.
 *
 * Building: ms_profile_add_file/_buffer read one input each.  Other producers (the runtime
 * in-process, tests) may drive the same steps through ms_profile_begin_process ...
 * ms_profile_end_process with decoded records. */
#ifndef MEMSCOPE_MERGE_PROFILE_H
#define MEMSCOPE_MERGE_PROFILE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "hashmap.h"

/* An estimate from weighted samples (Horvitz-Thompson): value = sum of w*x over the
 * samples, var = sum of (w*w - w)*x*x, the unbiased estimate of its variance under
 * independent (Poisson) sampling with inclusion probability 1/w. */
struct ms_est {
  double value, var;
};

static inline void ms_est_add(struct ms_est *e, double w, double x) {
  e->value += w * x;
  e->var += (w * w - w) * x * x;
}

/* What a site's allocations asked for: calls that returned a block, the sum of their
 * requested sizes, the smallest and largest (0 when calls is 0). */
struct ms_sizes {
  uint64_t calls, bytes, min, max;
};

void ms_sizes_add(struct ms_sizes *to, const struct ms_sizes *s);

/* Counters kept per process, per thread and per site (docs/merge.md says what each
 * means).  Frees count at the thread and site that freed; live blocks count at the thread
 * and site that allocated them.
 *
 * allocations, bytes_allocated, reallocs and frees are exact in both modes (from COUNTERS
 * records when the process has them, else from the events).  failed_allocations is exact
 * (failures are always events).  null_frees, unmatched_frees, bytes_freed, live_blocks,
 * live_bytes and peak_live_bytes are what the events show: the whole truth in full mode,
 * only the sampled blocks in sampled mode, where the est_* fields hold the weighted
 * estimates.  `estimated` says that a sampled process contributed: then the est_* fields
 * are the ones to show (ms_counts_figure). */
struct ms_counts {
  uint64_t allocations;        /* ALLOC or REALLOC that returned a block */
  uint64_t failed_allocations; /* ALLOC or REALLOC that returned NULL for size != 0 */
  uint64_t reallocs;           /* REALLOC calls, whatever their outcome */
  uint64_t frees;              /* free(p != NULL), and reallocs that released old_ptr */
  uint64_t null_frees;         /* free(NULL) */
  uint64_t unmatched_frees;    /* of the frees, those of a pointer not live in the replay */
  uint64_t bytes_allocated;
  uint64_t bytes_freed;        /* sizes of the matched frees' blocks */
  uint64_t live_blocks;        /* still allocated at the end of the replay */
  uint64_t live_bytes;
  uint64_t overwritten_blocks; /* live blocks whose address was returned again by an
                                * allocation: freed somewhere memscope did not see */
  uint64_t peak_live_bytes;    /* processes (and totals: their sum) only */
  uint64_t samples;            /* sampled allocation events (sampled processes only) */
  struct ms_est est_bytes_freed, est_live_blocks, est_live_bytes, est_peak_live_bytes;
  bool estimated;
};

void ms_counts_add(struct ms_counts *to, const struct ms_counts *c);

/* A number as the reports show it: exact, or an estimate with the half-width of its 95%
 * interval (1.96 standard errors), both rounded to integers. */
enum ms_figure_of { MS_BYTES_FREED, MS_LIVE_BLOCKS, MS_LIVE_BYTES, MS_PEAK_LIVE_BYTES };
struct ms_figure {
  uint64_t value, error;
  bool estimated;
};
struct ms_figure ms_counts_figure(const struct ms_counts *c, enum ms_figure_of what);

struct ms_frame {
  char *function; /* NULL when unknown */
  char *file;     /* NULL when unknown */
  uint32_t line, column;
};

struct ms_site {
  uint64_t id;
  uint32_t api;   /* enum memscope_api; 0 while no SITE record was seen */
  bool described; /* a SITE record was seen */
  size_t nframes;
  struct ms_frame *frames; /* innermost first */
  struct ms_counts counts; /* summed over all processes */
  struct ms_sizes sizes;   /* summed over all processes */
};

struct ms_item; /* replay.c's form of an event */

/* One site's entry in a thread's latest COUNTERS snapshot. */
struct ms_counter {
  uint32_t site; /* position in profile->sites */
  uint64_t calls, bytes, min, max;
};

struct ms_thread {
  uint64_t index;  /* the runtime's thread index */
  uint64_t os_tid; /* 0 when unknown */
  char *name;      /* NULL when unknown */
  uint64_t start_ns, end_ns;
  bool described;  /* a THREAD record was seen */
  struct ms_counts counts;
  /* Events waiting for the replay, in program order; freed by it. */
  struct ms_item *items;
  size_t nitems, items_cap;
  /* The latest COUNTERS snapshot (highest seq), while reading. */
  bool has_counters;
  uint64_t counters_seq;
  struct ms_counter *counters;
  size_t ncounters, counters_cap;
};

struct ms_process {
  const char *path; /* the input's name */
  uint64_t version;
  char *program; /* NULL when unknown */
  char *mode;    /* NULL when unknown */
  char *sampler; /* NULL when unknown */
  uint64_t sample_interval;
  uint64_t pid, ppid, start_ns, start_unix_ns;
  unsigned present; /* MS_HEADER_HAS_* */
  bool complete;    /* an END record was seen */
  uint64_t end_ns;
  char *end_reason;
  struct ms_thread *threads; /* by thread index once the process has ended */
  size_t nthreads, threads_cap;
  struct ms_map thread_slots; /* thread index -> position in threads, while reading */
  struct ms_counts counts;
  uint64_t events;          /* events read */
  uint64_t skipped_records; /* records of unknown types */
  uint64_t skipped_events;  /* events of unknown kinds */
  uint64_t weighted_events; /* events with a weight other than 1 */
  bool has_counters;        /* at least one COUNTERS record */
  bool sampled;             /* mode "sampled" or weighted events: estimates (set at end) */
  uint64_t disagreeing_sites; /* full mode: sites where counters and events differ */
  bool ended;
};

/* One input as given: its process, or NULL when nothing usable was read from it. */
struct ms_input {
  char *path;
  struct ms_process *process;
  struct ms_decode_problem problem; /* status MS_DECODE_OK when the input was fine */
};

struct ms_profile {
  struct ms_input *inputs;
  size_t ninputs, inputs_cap;
  struct ms_site *sites; /* in order of first appearance */
  size_t nsites, sites_cap;
  struct ms_map site_slots; /* site id -> position in sites */
  struct ms_counts totals;  /* summed over all processes */
  size_t nprocesses, nthreads;
};

struct ms_profile *ms_profile_new(void);
void ms_profile_free(struct ms_profile *p);

/* Reads one input into a new process; the returned input (valid until the next add)
 * holds the problem, if any.  Everything read before a problem is kept. */
const struct ms_input *ms_profile_add_file(struct ms_profile *p, const char *path);
const struct ms_input *ms_profile_add_buffer(struct ms_profile *p, const char *name,
                                             const void *data, size_t len);

/* True when at least one input gave a process. */
bool ms_profile_has_data(const struct ms_profile *p);

/* The site with this id, or NULL. */
struct ms_site *ms_profile_find_site(const struct ms_profile *p, uint64_t id);
/* The site's position in p->sites, creating an undescribed site when new. */
size_t ms_profile_site_slot(struct ms_profile *p, uint64_t id);

/* The thread with this index in a process, or NULL. */
struct ms_thread *ms_process_find_thread(const struct ms_process *proc, uint64_t index);

/* Building a process record by record (what ms_profile_add_* do with the decoder). */
struct ms_process *ms_profile_begin_process(struct ms_profile *p, const char *name,
                                            const struct ms_header_rec *h);
void ms_process_add_site(struct ms_profile *p, struct ms_process *proc,
                         const struct ms_site_rec *s);
void ms_process_add_thread(struct ms_profile *p, struct ms_process *proc,
                           const struct ms_thread_rec *t);
void ms_process_add_events(struct ms_profile *p, struct ms_process *proc,
                           const struct ms_events_rec *e);
void ms_process_add_counters(struct ms_profile *p, struct ms_process *proc,
                             const struct ms_counters_rec *c);
void ms_process_add_end(struct ms_profile *p, struct ms_process *proc,
                        const struct ms_end_rec *e);
/* Replays the process's events, applies its COUNTERS, and adds its counters to the
 * profile's. */
void ms_profile_end_process(struct ms_profile *p, struct ms_process *proc);

/* What kind of call an api number is (enum memscope_api); MS_API_UNKNOWN for a number
 * this tool does not know. */
enum ms_api_kind { MS_API_UNKNOWN, MS_API_ALLOC, MS_API_REALLOC, MS_API_FREE };
enum ms_api_kind ms_api_kind(uint32_t api);

/* Presentation helpers shared by the reports. */
bool ms_site_is_free(const struct ms_site *s);       /* a deallocation site */
uint64_t ms_site_calls(const struct ms_site *s);     /* allocations, or frees for free sites */
uint64_t ms_site_bytes(const struct ms_site *s);     /* bytes allocated, or freed */
const char *ms_api_name(uint32_t api);               /* "malloc", ..., "?" when unknown */

#endif

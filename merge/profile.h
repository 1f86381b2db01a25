/* The analysis model: what memscope-merge knows after reading its inputs.
 *
 * Every input file is one process (program, pid, mode, threads, whether it finished).
 * Sites are shared by all processes: a site id names the same source location in every
 * process, so their counters add up.  Events are replayed (replay.c) while the input is
 * read, in time order, through a window that holds only the events that may still be
 * reordered; what stays is per site, per thread and per process (docs/merge.md says how
 * large the window gets).
 *
 * Building: ms_profile_add_file/_buffer read one input each (into a profile of its own,
 * then combined: combine.c); ms_profile_add_files (parallel.c) reads many on every core.
 * Other producers (the runtime in-process, tests) may drive the same steps through
 * ms_profile_begin_process ... ms_profile_end_process with decoded records. */
#ifndef MEMSCOPE_MERGE_PROFILE_H
#define MEMSCOPE_MERGE_PROFILE_H

#include <stdatomic.h>
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
  /* Counted at the allocating thread and site (blocks, weighted): freed within
   * MS_SHORT_LIVED_NS of their allocation; freed by another thread than the one that
   * allocated them (and their bytes). */
  struct ms_est est_short_lived, est_cross_freed, est_cross_freed_bytes;
  bool estimated;
};

/* "Short-lived": freed less than this long after it was allocated (100 us). */
#define MS_SHORT_LIVED_NS 100000ULL

/* Lifetimes of freed blocks, by decade: < 1 us, < 10 us, ... < 10 s, >= 10 s. */
#define MS_LIFETIME_BUCKETS 9
/* Buckets of every timeline; a timeline's bucket width doubles as the process runs. */
#define MS_TIMELINE_BUCKETS 32
/* Sites kept per thread (its hottest) and per process (what made up its peak). */
#define MS_HOT_SITES 3
#define MS_PEAK_SITES 20

void ms_counts_add(struct ms_counts *to, const struct ms_counts *c);

/* A number as the reports show it: exact, or an estimate with the half-width of its 95%
 * interval (1.96 standard errors), both rounded to integers. */
enum ms_figure_of { MS_BYTES_FREED, MS_LIVE_BLOCKS, MS_LIVE_BYTES, MS_PEAK_LIVE_BYTES };
struct ms_figure {
  uint64_t value, error;
  bool estimated;
};
struct ms_figure ms_counts_figure(const struct ms_counts *c, enum ms_figure_of what);
/* Any estimate as a figure (exact when `estimated` is false: then var is 0 anyway). */
struct ms_figure ms_est_figure(const struct ms_est *e, bool estimated);

struct ms_frame {
  char *function; /* NULL when unknown */
  char *file;     /* NULL when unknown */
  uint32_t line, column;
};

/* A thread named across processes: pid (0 when unknown) and the runtime's index. */
struct ms_thread_ref {
  uint64_t pid, thread;
  uint64_t allocations; /* what it is ranked by */
};

struct ms_site {
  uint64_t id;
  uint32_t api;   /* enum memscope_api; 0 while no SITE record was seen */
  uint32_t flags; /* MS_SITE_FLAG_* of its SITE record (ms_site_uninstrumented) */
  bool described; /* a SITE record was seen */
  size_t nframes;
  struct ms_frame *frames; /* innermost first */
  struct ms_counts counts; /* summed over all processes */
  struct ms_sizes sizes;   /* summed over all processes */
  /* From the recorded events (every call in full mode, the samples in sampled mode):
   * first and last event at the site, ns since its process started (the earliest and
   * latest over processes); has_events says whether there was any. */
  bool has_events;
  uint64_t first_ns, last_ns;
  struct ms_est lifetime[MS_LIFETIME_BUCKETS]; /* freed blocks by lifetime, weighted */
  /* Realloc growth chains that ended at this (realloc) site: a block reallocated again
   * and again, each realloc taking the previous result.  Full mode only (a sampled file
   * records a realloc as an unlinked FREE and ALLOC). */
  uint64_t chains;      /* chains of 2 reallocs or more */
  uint64_t chain_steps; /* reallocs in those chains */
  uint64_t chain_max;   /* the longest chain's reallocs */
  uint64_t chain_first_bytes, chain_last_bytes; /* sums of their first and last sizes */
  struct ms_thread_ref top_thread; /* the thread that made most allocations here */
};

struct ms_replay; /* replay.c's state while a process is read */
struct ms_resources; /* resources.h */

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
  uint64_t dropped_events; /* events the runtime could not record (its THREAD record) */
  bool described;  /* a THREAD record was seen */
  struct ms_counts counts;
  /* Peak of this thread's own live heap: bytes it allocated that were still live (freed
   * by any thread or not), and when (ns since the process started). */
  uint64_t peak_live_bytes, peak_ns;
  struct ms_est est_peak_live_bytes;
  struct ms_hot_site {
    uint64_t site, allocations, bytes;
  } hot[MS_HOT_SITES]; /* its hottest sites by allocations; site 0 with 0 calls: none */
  size_t nhot;
  /* Allocations (weighted) and their bytes per timeline bucket (struct ms_process). */
  double timeline_allocs[MS_TIMELINE_BUCKETS], timeline_bytes[MS_TIMELINE_BUCKETS];
  /* The latest COUNTERS snapshot (highest seq), while reading. */
  bool has_counters;
  uint64_t counters_seq;
  struct ms_counter *counters;
  size_t ncounters, counters_cap;
};

/* What a process's heap was made of at its peak: one site's live blocks (weighted). */
struct ms_peak_site {
  uint64_t site;
  double bytes, blocks;
};

/* Blocks allocated by one thread and freed by another (weighted). */
struct ms_interaction {
  uint64_t alloc_thread, free_thread; /* thread indices */
  struct ms_est blocks, bytes;
};

/* A phase of a process (memscope_phase, PHASE records) and the allocations made while it
 * was current, from the ALLOC events that carry its id: the samples, weighted, in sampled
 * mode (an estimate), every malloc-like call in full mode (exact).  Realloc events carry
 * no phase. */
struct ms_phase {
  uint32_t id;  /* 0: allocations made outside any phase */
  char *label;  /* NULL when no PHASE record named it */
  uint64_t ts;  /* when it was first named (absolute, like events), 0 when unknown */
  struct ms_est allocations, bytes;
  uint64_t samples; /* events counted */
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
  /* The replay (replay.c) */
  struct ms_replay *replay;   /* while reading */
  struct ms_map *tallies;     /* while reading: (thread, site) -> struct ms_tally */
  uint64_t t0;                /* the time origin: start_ns, else the first event's */
  uint64_t first_ns, last_ns; /* first and last event, ns since t0 */
  uint64_t peak_ns;           /* when the (estimated) live heap peaked, ns since t0 */
  struct ms_peak_site *peak_sites; /* at the peak, by bytes, at most MS_PEAK_SITES */
  size_t npeak_sites;
  struct ms_interaction *interactions; /* by bytes */
  size_t ninteractions;
  uint64_t late_events;     /* events that arrived after the window had passed their time */
  uint64_t window_max;      /* the most events the replay held at once */
  bool ordered_by_scan;     /* the pre-scan gave the order of the batches (scan.c) */
  /* Timeline: bucket i covers [t0 + i*width, t0 + (i+1)*width). */
  uint64_t timeline_width;
  double timeline_live[MS_TIMELINE_BUCKETS];   /* the highest live bytes in the bucket */
  double timeline_allocs[MS_TIMELINE_BUCKETS]; /* allocations, weighted */
  /* Phases (phases.c), by id once the process has ended; none when the process named no
   * phase and no event carried one. */
  struct ms_phase *phases;
  size_t nphases, phases_cap;
  size_t phase_hint; /* while reading: the entry the last event used */
  bool named_phases; /* a PHASE record or a phase id was seen */
  /* The resource sampler's ticks (resources.c); NULL when the file has none. */
  struct ms_resources *resources;
  /* Stacks of sampled allocations and the MODULE records that place them (stacks.c);
   * NULL when the file has neither. */
  struct ms_proc_stacks *stacks;
};

/* One input as given: its process, or NULL when nothing usable was read from it. */
struct ms_input {
  char *path;
  struct ms_process *process;
  struct ms_decode_problem problem; /* status MS_DECODE_OK when the input was fine */
  bool filtered; /* left out by a --process filter (process is NULL then) */
};

/* A performance problem found in the profile (bottleneck.c, docs/merge.md). */
enum ms_bottleneck_type {
  MS_BN_LARGE_ALLOCATION,
  MS_BN_THOUSAND_CUTS,
  MS_BN_CHURN,
  MS_BN_CROSS_THREAD_FREE,
  MS_BN_LEAK,
  MS_BN_THREAD_IMBALANCE,
};
struct ms_bottleneck {
  enum ms_bottleneck_type type;
  uint64_t pid;    /* 0 when unknown or for the whole profile */
  uint64_t thread; /* thread index, 0 when none */
  uint64_t site;   /* site id, 0 when none */
  double severity; /* 0..1 */
  char description[256];
  char suggestion[256];
};
const char *ms_bottleneck_type_name(enum ms_bottleneck_type t);

struct ms_profile {
  struct ms_input *inputs;
  size_t ninputs, inputs_cap;
  struct ms_site *sites; /* in order of first appearance */
  size_t nsites, sites_cap;
  struct ms_map site_slots; /* site id -> position in sites */
  struct ms_counts totals;  /* summed over all processes */
  size_t nprocesses, nthreads;
  size_t window;            /* the replay's cap on events held (0: the default) */
  struct ms_bottleneck *bottlenecks; /* by severity, set by ms_profile_finish */
  size_t nbottlenecks;
  /* The stacks of sampled allocations, symbolized (stacks.h, ms_stacks_resolve); NULL
   * until then, and when no input had any. */
  struct ms_stack_table *stacks;
  bool finished;
};

/* The default cap on the events a replay holds for ordering (docs/merge.md). */
#define MS_DEFAULT_WINDOW (4u << 20)

struct ms_profile *ms_profile_new(void);
void ms_profile_free(struct ms_profile *p);

/* Reads one input into a new process; the returned input (valid until the next add)
 * holds the problem, if any.  Everything read before a problem is kept. */
const struct ms_input *ms_profile_add_file(struct ms_profile *p, const char *path);
const struct ms_input *ms_profile_add_buffer(struct ms_profile *p, const char *name,
                                             const void *data, size_t len);

/* Reads one input into a profile of its own (what ms_profile_add_* and the parallel
 * reader combine).  window: the replay's cap (0: the default); progress, when not NULL,
 * counts the bytes read (twice: the pre-scan reads the file too). */
struct ms_profile *ms_profile_read_file(const char *path, size_t window,
                                        _Atomic uint64_t *progress);
struct ms_profile *ms_profile_read_buffer(const char *name, const void *data, size_t len,
                                          size_t window);
void ms_process_free(struct ms_process *proc);

/* Moves src's inputs, processes and sites into dst (combine.c), after dst's own, and
 * frees src.  Inputs whose process has another pid than *pid (when pid is not NULL) are
 * kept as filtered inputs without their process. */
void ms_profile_absorb(struct ms_profile *dst, struct ms_profile *src, const uint64_t *pid);

/* After the last input: derived analyses (bottlenecks).  Reports call it if needed. */
void ms_profile_finish(struct ms_profile *p);

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
void ms_process_add_phase(struct ms_profile *p, struct ms_process *proc,
                          const struct ms_phase_rec *ph);
void ms_process_add_module(struct ms_profile *p, struct ms_process *proc,
                           const struct ms_module_rec *m);

/* Phases (phases.c): counts the allocations of one EVENTS record by phase; at the end of
 * the process, sorts the phases by id (or drops them all when none was named). */
void ms_phases_count(struct ms_process *proc, const struct ms_events_rec *e);
void ms_phases_finish(struct ms_process *proc);
/* The time a phase was named, ns since its process started; false when unknown. */
bool ms_phase_time(const struct ms_process *proc, const struct ms_phase *ph, uint64_t *ns);
/* Finishes the replay of the process's events, applies its COUNTERS, and adds its
 * counters to the profile's. */
void ms_profile_end_process(struct ms_profile *p, struct ms_process *proc);

/* What kind of call an api number is (enum memscope_api); MS_API_UNKNOWN for a number
 * this tool does not know. */
enum ms_api_kind { MS_API_UNKNOWN, MS_API_ALLOC, MS_API_REALLOC, MS_API_FREE };
enum ms_api_kind ms_api_kind(uint32_t api);

/* Makes r the site's top thread if it ranks before the current one. */
void ms_site_rank_thread(struct ms_site *site, const struct ms_thread_ref *r);

/* Presentation helpers shared by the reports. */
bool ms_site_is_free(const struct ms_site *s);       /* a deallocation site */
/* Calls by code not built with the pass (MS_SITE_FLAG_UNINSTRUMENTED, or its id). */
bool ms_site_uninstrumented(const struct ms_site *s);
uint64_t ms_site_calls(const struct ms_site *s);     /* allocations, or frees for free sites */
uint64_t ms_site_bytes(const struct ms_site *s);     /* bytes allocated, or freed */
const char *ms_api_name(uint32_t api);               /* "malloc", ..., "?" when unknown */

/* Events the runtime dropped in a process (its threads' THREAD records): allocations
 * made while it was busy on the same thread, by a signal handler. */
uint64_t ms_process_dropped_events(const struct ms_process *proc);

#endif

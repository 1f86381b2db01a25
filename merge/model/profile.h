/* The analysis model: what memscope-merge knows after reading its inputs.
 *
 * Every input file is one process (program, pid, mode, threads, whether it finished).
 * Sites are shared by all processes: a site id names the same source location in every
 * process, so their counters add up.  Events are replayed (replay.c) while the input is
 * read, in time order, through a window that holds only the events that may still be
 * reordered; what stays is per site, per thread and per process (docs/merge.md says how
 * large the window gets).
 *
 * Building: mg_profile_add_file/_buffer read one input each (into a profile of its own,
 * then combined: combine.c); mg_profile_add_files (parallel.c) reads many on every core.
 * Other producers (the runtime in-process, tests) may drive the same steps through
 * mg_profile_begin_process ... mg_profile_end_process with decoded records (build.h). */
#ifndef MEMSCOPE_MERGE_PROFILE_H
#define MEMSCOPE_MERGE_PROFILE_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "decode.h"
#include "estimate.h"
#include "hashmap.h"
#include "tallies.h"

/* What a site's allocations asked for: calls that returned a block, the sum of their
 * requested sizes, the smallest and largest (0 when calls is 0). */
struct mg_sizes {
  uint64_t calls, bytes, min, max;
};

void mg_sizes_add(struct mg_sizes *to, const struct mg_sizes *s);

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
 * are the ones to show (mg_counts_figure). */
struct mg_counts {
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
  /* Sampled processes: realloc calls that released their old block (exact, from the
   * threads' COUNTERS).  Processes and totals: the blocks live at exit, exactly, when
   * `net` is 1: in full mode from the events, in sampled mode allocations - frees -
   * realloc_releases of a complete process with exact counts (build.c).  net 0: not
   * known here (sites, threads), 2: some part is not exact. */
  uint64_t realloc_releases;
  uint64_t exact_live_blocks;
  /* With net 1: the largest size any counted call asked for (the exact counts' ranges;
   * a later session's may reach back before it), so that the live bytes at exit are at
   * most exact_live_blocks times it. */
  uint64_t largest_size;
  uint8_t net;
  bool uncounted; /* a sampled part without COUNTERS: allocations are only its samples */
  struct mg_est est_bytes_freed, est_live_blocks, est_live_bytes, est_peak_live_bytes;
  /* Counted at the allocating thread and site (blocks, weighted): freed within
   * MG_SHORT_LIVED_NS of their allocation; freed by another thread than the one that
   * allocated them (and their bytes). */
  struct mg_est est_short_lived, est_cross_freed, est_cross_freed_bytes;
  bool estimated;
  /* A leaks-mode process contributed: its only events are the blocks live at exit, so
   * bytes_freed, peak_live_bytes, null_frees, unmatched_frees, short-lived and
   * cross-thread frees are unknown here (the reports show them as unavailable). */
  bool lives_only;
  /* ... and one of those ended without listing its live blocks (mg_process.lives_unlisted):
   * live_blocks and live_bytes are unknown too. */
  bool lives_unlisted;
};

/* "Short-lived": freed less than this long after it was allocated (100 us). */
#define MG_SHORT_LIVED_NS 100000ULL

/* Lifetimes of freed blocks, by decade: < 1 us, < 10 us, ... < 10 s, >= 10 s. */
#define MG_LIFETIME_BUCKETS 9
/* Buckets of every timeline; a timeline's bucket width doubles as the process runs. */
#define MG_TIMELINE_BUCKETS 32
/* Sites kept per thread (its hottest) and per process (what made up its peak). */
#define MG_HOT_SITES 3
#define MG_PEAK_SITES 20

void mg_counts_add(struct mg_counts *to, const struct mg_counts *c);

/* A count's figure as the reports show it (estimate.h): the exact number, or the estimate
 * when a sampled process contributed. */
enum mg_figure_of { MG_BYTES_FREED, MG_LIVE_BLOCKS, MG_LIVE_BYTES, MG_PEAK_LIVE_BYTES };
struct mg_figure mg_counts_figure(const struct mg_counts *c, enum mg_figure_of what);
/* allocations - frees - realloc_releases: for a thread, the blocks it allocated minus
 * those it freed (others may free its blocks, it may free theirs); for a process whose
 * `net` is 1, its blocks live at exit. */
int64_t mg_counts_net_blocks(const struct mg_counts *c);
/* One of c's estimates of blocks it allocated (short-lived, cross-thread freed): at most
 * its allocations. */
struct mg_figure mg_counts_blocks_figure(const struct mg_counts *c, const struct mg_est *e);

struct mg_frame {
  char *function; /* NULL when unknown */
  char *file;     /* NULL when unknown */
  uint32_t line, column;
};

/* A thread named across processes: pid (0 when unknown) and the runtime's index. */
struct mg_thread_ref {
  uint64_t pid, thread;
  uint64_t allocations; /* what it is ranked by */
};

struct mg_site {
  uint64_t id;
  uint32_t api;   /* enum memscope_api; 0 while no SITE record was seen */
  uint32_t flags; /* MS_SITE_FLAG_* of its SITE record (mg_site_uninstrumented) */
  bool described; /* a SITE record was seen */
  size_t nframes;
  struct mg_frame *frames; /* innermost first */
  struct mg_counts counts; /* summed over all processes */
  struct mg_sizes sizes;   /* summed over all processes */
  /* From the recorded events (every call in full mode, the samples in sampled mode):
   * first and last event at the site, ns since its process started (the earliest and
   * latest over processes); has_events says whether there was any. */
  bool has_events;
  uint64_t first_ns, last_ns;
  struct mg_est lifetime[MG_LIFETIME_BUCKETS]; /* freed blocks by lifetime, weighted */
  /* Realloc growth chains that ended at this (realloc) site: a block reallocated again
   * and again, each realloc taking the previous result.  Full mode only (a sampled file
   * records a realloc as an unlinked FREE and ALLOC). */
  uint64_t chains;      /* chains of 2 reallocs or more */
  uint64_t chain_steps; /* reallocs in those chains */
  uint64_t chain_max;   /* the longest chain's reallocs */
  uint64_t chain_first_bytes, chain_last_bytes; /* sums of their first and last sizes */
  struct mg_thread_ref top_thread; /* the thread that made most allocations here */
  uint64_t threads; /* threads (of every process) that made allocations here */
};

struct mg_replay; /* replay.c's state while a process is read */
struct mg_resources; /* resources.h */

/* What one thread did at one site, as the sites' own numbers (calls and bytes exact,
 * estimates from the thread's own samples).  Kept only for the thread index a report
 * filters on (mg_profile.site_thread, --thread N): for every thread it would take memory
 * that grows with threads x sites. */
struct mg_thread_site {
  uint64_t site; /* its id */
  struct mg_counts counts;
  struct mg_sizes sizes;
  /* As struct mg_site's, of the blocks this thread allocated at the site. */
  struct mg_est lifetime[MG_LIFETIME_BUCKETS];
  uint64_t chains, chain_steps, chain_max, chain_first_bytes, chain_last_bytes;
};

/* One site's entry in a thread's latest COUNTERS snapshot. */
struct mg_counter {
  uint32_t site; /* position in profile->sites */
  uint64_t calls, bytes, min, max;
};

struct mg_thread {
  uint64_t index;  /* the runtime's thread index */
  uint64_t os_tid; /* 0 when unknown */
  char *name;      /* NULL when unknown */
  uint64_t start_ns, end_ns;
  uint64_t dropped_events; /* events the runtime could not record (its THREAD record) */
  bool described;  /* a THREAD record was seen */
  struct mg_counts counts;
  /* Peak of this thread's own live heap: bytes it allocated that were still live (freed
   * by any thread or not), and when (ns since the process started). */
  uint64_t peak_live_bytes, peak_ns;
  struct mg_est est_peak_live_bytes;
  struct mg_hot_site {
    uint64_t site, allocations, bytes;
  } hot[MG_HOT_SITES]; /* its hottest sites by allocations; site 0 with 0 calls: none */
  size_t nhot;
  /* Allocations (weighted) and their bytes per timeline bucket (struct mg_process). */
  double timeline_allocs[MG_TIMELINE_BUCKETS], timeline_bytes[MG_TIMELINE_BUCKETS];
  /* The latest COUNTERS snapshot (highest seq), while reading. */
  bool has_counters;
  uint64_t counters_seq;
  struct mg_counter *counters;
  size_t ncounters, counters_cap;
  /* From the latest snapshot too, exact in every mode: the thread's realloc-like calls
   * that released a non-NULL old block, so that its net blocks are allocations - frees
   * - realloc_releases (mg_counts_net_blocks).  has_realloc_releases is false when the snapshot does not carry
   * it (a runtime older than the field) or there is none. */
  uint64_t realloc_releases;
  bool has_realloc_releases;
  /* Counted from its TABLE chunks (no COUNTERS record: killed, or running at exit): its
   * last call may be counted without its event. */
  bool from_table;
  bool tolerated; /* ... and it was: one call counted whose event is missing */
  /* Its numbers per site (by site id once its process ended), when this is the thread
   * the profile keeps them for (mg_profile.site_thread); kept_sites says it is. */
  bool kept_sites;
  struct mg_thread_site *sites;
  size_t nsites, sites_cap;
  /* While reading, that thread's lifetimes and chains by site position (replay.c). */
  struct mg_thread_site *by_slot;
  size_t nby_slot;
};

/* What a process's heap was made of at its peak: one site's live blocks.  In full mode
 * exact; in sampled mode an estimate made like the peak's (replay.c, "The peak"). */
struct mg_peak_site {
  uint64_t site;
  struct mg_est bytes, blocks;
};

/* Blocks allocated by one thread and freed by another (weighted). */
struct mg_interaction {
  uint64_t alloc_thread, free_thread; /* thread indices */
  struct mg_est blocks, bytes;
};

/* A phase of a process (memscope_phase, PHASE records) and the allocations made while it
 * was current, from the ALLOC events that carry its id: the samples, weighted, in sampled
 * mode (an estimate), every malloc-like call in full mode (exact).  Realloc events carry
 * no phase. */
struct mg_phase {
  uint32_t id;  /* 0: allocations made outside any phase */
  char *label;  /* NULL when no PHASE record named it */
  uint64_t ts;  /* when it was first named (absolute, like events), 0 when unknown */
  struct mg_est allocations, bytes;
  uint64_t samples; /* events counted */
};

struct mg_process {
  const char *path; /* the input's name */
  uint64_t version;
  char *program; /* NULL when unknown */
  char *mode;    /* NULL when unknown */
  char *sampler; /* NULL when unknown */
  uint64_t sample_interval;
  uint64_t pid, ppid, start_ns, start_unix_ns;
  unsigned present; /* MG_HEADER_HAS_* */
  char *runtime_version; /* NULL when unknown */
  char **command_line;   /* the program's arguments, argv[0] first; NULL when unknown */
  size_t ncommand_line;
  bool command_line_truncated; /* some arguments were left out */
  bool complete;    /* an END record was seen */
  uint64_t end_ns;
  char *end_reason;
  struct mg_thread *threads; /* by thread index once the process has ended */
  size_t nthreads, threads_cap;
  struct mg_map thread_slots; /* thread index -> position in threads, while reading */
  struct mg_counts counts;
  uint64_t events;          /* events read */
  uint64_t skipped_records; /* records of unknown types */
  uint64_t skipped_events;  /* events of unknown kinds */
  uint64_t weighted_events; /* events with a weight other than 1 */
  bool has_counters;        /* at least one COUNTERS record */
  bool sampled;             /* mode "sampled" or weighted events: estimates (set at end) */
  bool leaks;               /* mode "leaks": exact counters, events only for the blocks
                             * live at exit (set at end; mg_counts.lives_only) */
  /* Leaks mode without the list of live blocks, or with a part of it: the process never
   * reached the session's end (killed, a fatal signal: no END), or the disk filled up
   * (set at end; mg_counts.lives_unlisted). */
  bool lives_unlisted;
  uint64_t disagreeing_sites; /* full mode: sites where counters and events differ */
  /* Full mode after a full disk: sites whose events are short of their counters by calls
   * the status block's lost_events accounts for (not a disagreement), and those calls. */
  uint64_t short_sites, short_calls;
  /* SITE records of code built with the plugin: 0 means the program's own calls were
   * never seen, only what the interposed allocator caught (mg_process_uninstrumented). */
  uint64_t instrumented_sites;
  bool ended;
  /* The file's status block (format.h): recording stopped for want of space, the process
   * died of a signal; and bytes of garbage found between chunks.  Zero: nothing to say. */
  struct mg_status_rec status;
  /* The replay (replay.c) */
  struct mg_replay *replay;   /* while reading */
  struct mg_tallies *tallies; /* while reading: (thread, site) -> struct mg_tally */
  uint64_t t0;                /* the time origin: start_ns, else the first event's */
  uint64_t first_ns, last_ns; /* first and last event, ns since t0 */
  uint64_t peak_ns;           /* when the (estimated) live heap peaked, ns since t0 */
  struct mg_peak_site *peak_sites; /* at the peak, by bytes, at most MG_PEAK_SITES */
  size_t npeak_sites;
  struct mg_interaction *interactions; /* by bytes */
  size_t ninteractions;
  uint64_t late_events;     /* events that arrived after the window had passed their time */
  /* The file shrank or changed while it was read (replay.c: a waiting chunk read again):
   * the first such problem, and the events given up for it. */
  struct mg_decode_problem reread_problem;
  uint64_t reread_lost;
  uint64_t window_max;      /* the most events the replay held at once */
  bool ordered_by_scan;     /* the pre-scan gave the order of the batches (scan.c) */
  /* Timeline: bucket i covers [t0 + i*width, t0 + (i+1)*width). */
  uint64_t timeline_width;
  double timeline_live[MG_TIMELINE_BUCKETS];   /* the highest live bytes in the bucket */
  double timeline_allocs[MG_TIMELINE_BUCKETS]; /* allocations, weighted */
  /* Phases (phases.c), by id once the process has ended; none when the process named no
   * phase and no event carried one. */
  struct mg_phase *phases;
  size_t nphases, phases_cap;
  size_t phase_hint; /* while reading: the entry the last event used */
  /* While reading: the SITE records' slots (below MG_PLAIN_SLOTS) -> position + 1 in
   * profile->sites, for plain batches, whose events carry slots (0: not named); the
   * array's capacity, zero-filled. */
  uint32_t *slot_sites;
  size_t nslot_sites;
  bool named_phases; /* a PHASE record or a phase id was seen */
  /* The resource sampler's ticks (resources.c); NULL when the file has none. */
  struct mg_resources *resources;
  /* Stacks of sampled allocations and the MODULE records that place them (stacks.c);
   * NULL when the file has neither. */
  struct mg_proc_stacks *stacks;
};

/* One input as given: its process, or NULL when nothing usable was read from it. */
struct mg_input {
  char *path;
  struct mg_process *process;
  struct mg_decode_problem problem; /* status MG_DECODE_OK when the input was fine */
  bool filtered; /* left out by a --process filter (process is NULL then) */
};

/* A performance problem found in the profile (bottleneck.c, docs/merge.md). */
enum mg_bottleneck_type {
  MG_BN_LARGE_ALLOCATION,
  MG_BN_THOUSAND_CUTS,
  MG_BN_CHURN,
  MG_BN_CROSS_THREAD_FREE,
  MG_BN_LEAK,
  MG_BN_THREAD_IMBALANCE,
};
struct mg_bottleneck {
  enum mg_bottleneck_type type;
  uint64_t pid;    /* 0 when unknown or for the whole profile */
  uint64_t thread; /* thread index, 0 when none */
  uint64_t site;   /* site id, 0 when none */
  /* A site's: the threads that made its allocations, and the busiest one's share of
   * them (1 for one thread): a thread is alerted only when it stands out (bottleneck.c). */
  uint64_t site_threads;
  double top_share;
  double severity; /* 0..1 */
  char description[512];
  char suggestion[256];
};

struct mg_profile {
  struct mg_input *inputs;
  size_t ninputs, inputs_cap;
  struct mg_site *sites; /* in order of first appearance */
  size_t nsites, sites_cap;
  struct mg_map site_slots; /* site id -> position in sites */
  struct mg_counts totals;  /* summed over all processes */
  size_t nprocesses, nthreads;
  size_t window;            /* the replay's cap on events held (0: the default) */
  /* Keep the per-site numbers of the threads with this index (struct mg_thread_site). */
  bool has_site_thread;
  uint64_t site_thread;
  struct mg_bottleneck *bottlenecks; /* by severity, set by mg_profile_finish */
  size_t nbottlenecks;
  /* The stacks of sampled allocations, symbolized (stacks.h, mg_stacks_resolve); NULL
   * until then, and when no input had any. */
  struct mg_stack_table *stacks;
  bool finished;
};

/* The default cap on the events a replay holds for ordering (docs/merge.md). */
#define MG_DEFAULT_WINDOW (4u << 20)

struct mg_profile *mg_profile_new(void);
void mg_profile_free(struct mg_profile *p);

/* Reads one input into a new process; the returned input (valid until the next add)
 * holds the problem, if any.  Everything read before a problem is kept. */
const struct mg_input *mg_profile_add_file(struct mg_profile *p, const char *path);
const struct mg_input *mg_profile_add_buffer(struct mg_profile *p, const char *name,
                                             const void *data, size_t len);

/* Reads one input into a profile of its own (what mg_profile_add_* and the parallel
 * reader combine).  window: the replay's cap (0: the default); site_thread: the thread
 * index whose per-site numbers are kept (NULL: none); jobs: threads decoding its EVENTS
 * chunks (container.h); progress, when not NULL, counts the bytes read. */
struct mg_profile *mg_profile_read_file(const char *path, size_t window,
                                        const uint64_t *site_thread, unsigned jobs,
                                        _Atomic uint64_t *progress);
struct mg_profile *mg_profile_read_buffer(const char *name, const void *data, size_t len,
                                          size_t window, const uint64_t *site_thread);
void mg_process_free(struct mg_process *proc);

/* Moves src's inputs, processes and sites into dst (combine.c), after dst's own, and
 * frees src.  Inputs whose process has another pid than *pid (when pid is not NULL) are
 * kept as filtered inputs without their process. */
void mg_profile_absorb(struct mg_profile *dst, struct mg_profile *src, const uint64_t *pid);


/* True when at least one input gave a process. */
bool mg_profile_has_data(const struct mg_profile *p);

/* The site with this id, or NULL. */
struct mg_site *mg_profile_find_site(const struct mg_profile *p, uint64_t id);
/* The site's position in p->sites, creating an undescribed site when new. */
size_t mg_profile_site_slot(struct mg_profile *p, uint64_t id);

/* The profile's sites as the threads with this index (of the process with *pid, or of
 * every process when pid is NULL) saw them: a copy of p->sites (same order and
 * identities; frames shared, not to be freed) whose counts, sizes, lifetimes and realloc
 * chains are the threads' own (struct mg_thread_site; zero where they made no call);
 * first and last event, top thread and thread count stay the whole program's.  Needs
 * the profile read with site_thread set to `thread`.  Free the array only. */
struct mg_site *mg_profile_thread_sites(const struct mg_profile *p, const uint64_t *pid,
                                        uint64_t thread);

/* The thread with this index in a process, or NULL. */
struct mg_thread *mg_process_find_thread(const struct mg_process *proc, uint64_t index);

/* The time a phase was named, ns since its process started; false when unknown. */
bool mg_phase_time(const struct mg_process *proc, const struct mg_phase *ph, uint64_t *ns);

/* What kind of call an api number is (enum memscope_api); MG_API_UNKNOWN for a number
 * this tool does not know. */
enum mg_api_kind { MG_API_UNKNOWN, MG_API_ALLOC, MG_API_REALLOC, MG_API_FREE };
enum mg_api_kind mg_api_kind(uint32_t api);

/* The units of a sampled process's estimates (estimate.h): the most one allocation that
 * no sample saw can add to an estimate of bytes, and to one of blocks when no allocation
 * was smaller than min_size bytes (0: unknown, taken as 1).  For the byte sampler: R,
 * and 1/p(min_size). */
double mg_byte_unit(const struct mg_process *proc);
double mg_block_unit(const struct mg_process *proc, uint64_t min_size);

/* sum / n rounded to the nearest integer (an average size, a chain's first and last
 * sizes); 0 when n is 0. */
uint64_t mg_mean(uint64_t sum, uint64_t n);
/* Adds what another part's events told of a site (a replay's, another input's): its first
 * and last event, lifetimes, realloc chains. */
void mg_site_add_events(struct mg_site *to, const struct mg_site *part);
/* Makes r the site's top thread if it ranks before the current one. */
void mg_site_rank_thread(struct mg_site *site, const struct mg_thread_ref *r);

/* Presentation helpers shared by the reports. */
bool mg_site_is_free(const struct mg_site *s);       /* a deallocation site */
/* Calls by code not built with the pass (MS_SITE_FLAG_UNINSTRUMENTED, or its id). */
bool mg_site_uninstrumented(const struct mg_site *s);
/* A site without a place to name it by: "(uninstrumented malloc)" for an interposed
 * call, else "site 0xID", which at least tells such sites apart.  Returns buf. */
const char *mg_site_fallback_name(const struct mg_site *s, uint64_t id, char *buf, size_t size);
bool mg_site_id_uninstrumented(uint64_t id, uint32_t flags); /* the same, of a SITE record */
/* The process recorded allocations, yet no code in it was built with the plugin. */
bool mg_process_uninstrumented(const struct mg_process *proc);
uint64_t mg_site_calls(const struct mg_site *s);     /* allocations, or frees for free sites */
uint64_t mg_site_bytes(const struct mg_site *s);     /* bytes allocated, or freed */
const char *mg_api_name(uint32_t api);               /* "malloc", ..., "?" when unknown */

/* Calls the runtime could neither count nor record in a process (busy on the thread in
 * a signal handler, a fork under way, no memory to set the thread up): its threads'
 * THREAD records, plus the status block's count for threads that had no record. */
uint64_t mg_process_dropped_events(const struct mg_process *proc);

#endif

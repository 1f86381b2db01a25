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

/* Counters kept per process, per thread and per site (docs/merge.md says what each
 * means).  Frees count at the thread and site that freed; live blocks count at the thread
 * and site that allocated them. */
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
};

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
};

struct ms_item; /* replay.c's form of an event */

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
};

struct ms_process {
  const char *path; /* the input's name */
  uint64_t version;
  char *program; /* NULL when unknown */
  char *mode;    /* NULL when unknown */
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
void ms_process_add_end(struct ms_profile *p, struct ms_process *proc,
                        const struct ms_end_rec *e);
/* Replays the process's events and adds its counters to the profile's. */
void ms_profile_end_process(struct ms_profile *p, struct ms_process *proc);

/* Presentation helpers shared by the reports. */
bool ms_site_is_free(const struct ms_site *s);       /* a deallocation site */
uint64_t ms_site_calls(const struct ms_site *s);     /* allocations, or frees for free sites */
uint64_t ms_site_bytes(const struct ms_site *s);     /* bytes allocated, or freed */
const char *ms_api_name(uint32_t api);               /* "malloc", ..., "?" when unknown */

#endif

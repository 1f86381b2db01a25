/* Call stacks of sampled allocations: collected while a process is read (stacks.c); then
 * placed in the ELF images its MODULE records list, symbolized and deduplicated into one
 * table for the reports by resolve/stack_resolve.c (docs/merge.md,
 * "Stacks and symbolization").
 *
 * While reading, each process keeps its raw stacks (absolute return addresses, innermost
 * first) deduplicated, its MODULE records, and per (site, stack) the weighted estimates
 * of the samples: calls, bytes, and the blocks still live at exit (the replay reports
 * those).  Addresses mean nothing outside their process (ASLR), so nothing is shared
 * between processes until mg_stacks_resolve (resolve/stack_resolve.h): it maps every
 * address to an image and an address relative to it, symbolizes each distinct (image,
 * address) once, and merges the stacks of all processes that are the same sequence of
 * (image, address). */
#ifndef MEMSCOPE_MERGE_STACKS_H
#define MEMSCOPE_MERGE_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"
#include "strtab.h"

/* --- While reading a process ------------------------------------------------------------ */

/* A sampled allocation at site (its position in profile->sites): interns its stack and
 * counts it.  Returns the stack's number in the process (from 1), 0 when the event has
 * no stack or did not return a block, or when the process has more distinct stacks than
 * MG_STACKS_MAX. */
uint32_t mg_stacks_sample(struct mg_process *proc, uint32_t site, const struct mg_event *ev);
/* The same for a plain batch's allocation (weight 1) whose stack is refs->ref[k] (!= 0;
 * its ptr not 0). */
uint32_t mg_stacks_sample_ref(struct mg_process *proc, uint32_t site,
                              const struct mg_stack_refs *refs, size_t k, uint64_t ts,
                              uint64_t size);
#define MG_STACKS_MAX ((1u << 26) - 1) /* what the replay's items can carry */
/* A block allocated at (site, stack) still live at the end of the replay. */
void mg_stacks_live(struct mg_process *proc, uint32_t site, uint32_t stack, double weight,
                    uint64_t size);
/* A MODULE record. */
void mg_stacks_module(struct mg_process *proc, const struct mg_module_rec *m);
/* The end of the process: its counts are keyed by site id from now on (positions in
 * profile->sites change when profiles are combined). */
void mg_stacks_end_process(const struct mg_profile *p, struct mg_process *proc);
void mg_proc_stacks_free(struct mg_proc_stacks *s);

/* What a process keeps (resolve/stack_resolve.c reads it at the end). */
struct mg_raw_stack {
  uint64_t *addr; /* return addresses, innermost first */
  uint32_t n;
  uint64_t ts;    /* its earliest sample: when its addresses are looked up */
};

/* The samples of one (site, stack): keyed by site position while reading, by id after. */
struct mg_stack_tally {
  uint64_t site;
  uint32_t stack; /* from 1 */
  uint64_t samples;
  struct mg_est calls, bytes, live_blocks, live_bytes;
};

struct mg_proc_module {
  char *path, *build_id;
  uint64_t base;
};

struct mg_module_listing {
  uint64_t ts;
  uint32_t module;
};

struct mg_proc_stacks {
  struct mg_map index; /* addresses' hash, probed -> position + 1 in raw */
  struct mg_raw_stack *raw;
  size_t nraw, raw_cap;
  /* Plain batches' stack references (decode.h) -> their stack here (0: not yet), for
   * the input whose table `memo_source` is: a stack is hashed once, not per event. */
  const void *memo_source;
  struct mg_stack_memo {
    uint32_t stack, site;         /* its stack (0: not yet), the site it was last counted at */
    size_t tally_cap;             /* tally's capacity then: its values have not moved since */
    struct mg_stack_tally *tally; /* the (site, stack) tally */
  } *memo;
  size_t memo_cap;
  struct mg_map tally; /* site << 32 | stack -> struct mg_stack_tally, while reading */
  struct mg_stack_tally *samples; /* after the end of the process */
  size_t nsamples;
  struct mg_proc_module *modules;
  size_t nmodules, modules_cap;
  struct mg_map module_index; /* hash of (path, base), probed -> position + 1 */
  struct mg_module_listing *listings;   /* every MODULE record: (ts, module) */
  size_t nlistings, listings_cap;
};

/* mg_stacks_sample_ref where the reference's stack and its tally at this site are
 * known already (every allocation but each stack's first few): inline, since the replay
 * calls it for every allocation that has a stack (the pool file: 2 M calls, 69
 * instructions each out of line, 4% of its instructions).  The same counts, in the same
 * order. */
static inline uint32_t mg_stacks_sample_ref_hot(struct mg_process *proc, uint32_t site,
                                                const struct mg_stack_refs *refs, size_t k,
                                                uint64_t ts, uint64_t size) {
  struct mg_proc_stacks *s = proc->stacks;
  uint32_t ref = refs->ref[k];
  if (__builtin_expect(s != NULL && s->memo_source == refs->source && ref < s->memo_cap, 1)) {
    struct mg_stack_memo *m = &s->memo[ref];
    if (__builtin_expect(m->stack && m->tally && m->site == site &&
                             m->tally_cap == s->tally.cap, 1)) {
      struct mg_raw_stack *raw = &s->raw[m->stack - 1];
      if (ts < raw->ts)
        raw->ts = ts;
      struct mg_stack_tally *t = m->tally;
      t->samples++;
      mg_est_add(&t->calls, 1.0, 1.0);
      mg_est_add(&t->bytes, 1.0, (double)size);
      return m->stack;
    }
  }
  return mg_stacks_sample_ref(proc, site, refs, k, ts, size);
}


/* One frame of a symbolized stack.  Strings belong to the table. */
struct mg_stack_frame {
  const char *function; /* NULL when unknown */
  const char *file;     /* NULL when unknown */
  uint32_t line, column; /* 0 when unknown */
  const char *module;   /* the image's path as recorded, NULL when no image holds it */
  uint32_t image;       /* position in table->images, UINT32_MAX with module NULL */
  uint64_t address;     /* the address looked up (return address - 1): relative to the
                         * image, or absolute when no image holds it */
  bool inlined;         /* inlined into the next (outer) frame, at the same address */
};

struct mg_stack {
  size_t nframes;
  struct mg_stack_frame *frames; /* innermost first */
};

/* The sampled allocations of one site that had one stack, over all processes.  The
 * estimates are weighted like every other (profile.h): exact in full mode. */
struct mg_stack_site {
  uint64_t site;  /* site id */
  uint32_t stack; /* position in table->stacks */
  uint64_t samples;
  struct mg_est calls, bytes, live_blocks, live_bytes;
  bool estimated; /* some sample came from a sampled process */
};

/* An image that some address fell in. */
struct mg_stack_image {
  const char *path;     /* as recorded ("" for a program whose path was not recorded) */
  const char *build_id; /* as recorded, "" when none */
  const char *file;     /* the file read for it, NULL when none was found */
  uint64_t extent;      /* end of its highest loadable segment (relative), 0 unknown */
  bool symbolized;      /* its addresses went through the symbolizer */
};

struct mg_stack_table {
  struct mg_stack *stacks;
  size_t nstacks;
  struct mg_stack_site *entries; /* by site id, then estimated bytes (descending) */
  size_t nentries;
  struct mg_stack_image *images;
  size_t nimages;
  char **warnings; /* what went wrong, one line each (also on stderr unless quiet) */
  size_t nwarnings;
  const char *symbolizer; /* the symbolizer run, NULL when none */
  struct mg_map site_index; /* site id -> struct mg_stack_span */
  struct mg_strtab *strings; /* names, files, paths */
};

/* A site's entries in table->entries, and the sums of their estimates. */
struct mg_stack_span {
  size_t first, n;
  double calls, bytes, live_blocks, live_bytes;
};

void mg_stack_table_free(struct mg_stack_table *t);

/* --- For the reports ------------------------------------------------------------------- */

/* The site's entries, or NULL when it has none (no table, or no stack for it). */
const struct mg_stack_span *mg_stacks_of_site(const struct mg_profile *p, uint64_t site);
/* Frames of the stack's first address: the function that called the allocation function
 * and what was inlined into it, which an instrumented site's own frames already tell. */
size_t mg_stack_first_frames(const struct mg_stack *s);
/* A frame as one name: its function, else "image+0xoffset", else "0xaddress". */
void mg_stack_frame_name(const struct mg_stack_frame *f, char *buf, size_t size);

/* The figures a site's value can be split by among its stacks (flame graphs, pprof). */
enum mg_stack_value { MG_STACK_CALLS, MG_STACK_BYTES, MG_STACK_LIVE_BLOCKS, MG_STACK_LIVE_BYTES };
/* The site's value split among its stacks, each getting the share its estimate has of the
 * site's (0 when that sum is 0), rounded so that the parts add up to the whole; out has span->n elements.  false (all parts 0) when the stacks have
 * nothing of that figure: then the whole stays with the site's own frames. */
bool mg_stack_split(const struct mg_stack_table *t, const struct mg_stack_span *span,
                    enum mg_stack_value v, uint64_t whole, uint64_t *out);

#endif

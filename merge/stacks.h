/* Call stacks of sampled allocations: collected while a process is read, placed in the
 * ELF images its MODULE records list (elfinfo.c), symbolized with llvm-symbolizer
 * (symbolize.c), and deduplicated into one table for the reports (docs/merge.md,
 * "Stacks and symbolization").
 *
 * While reading, each process keeps its raw stacks (absolute return addresses, innermost
 * first) deduplicated, its MODULE records, and per (site, stack) the weighted estimates
 * of the samples: calls, bytes, and the blocks still live at exit (the replay reports
 * those).  Addresses mean nothing outside their process (ASLR), so nothing is shared
 * between processes until ms_stacks_resolve: it maps every address to an image and an
 * address relative to it, symbolizes each distinct (image, address) once, and merges the
 * stacks of all processes that are the same sequence of (image, address). */
#ifndef MEMSCOPE_MERGE_STACKS_H
#define MEMSCOPE_MERGE_STACKS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "profile.h"
#include "report.h"

/* --- While reading a process ------------------------------------------------------------ */

/* A sampled allocation at site (its position in profile->sites): interns its stack and
 * counts it.  Returns the stack's number in the process (from 1), 0 when the event has
 * no stack or did not return a block, or when the process has more distinct stacks than
 * MS_STACKS_MAX. */
uint32_t ms_stacks_sample(struct ms_process *proc, uint32_t site, const struct ms_event *ev);
#define MS_STACKS_MAX ((1u << 27) - 1) /* what the replay's items can carry */
/* A block allocated at (site, stack) still live at the end of the replay. */
void ms_stacks_live(struct ms_process *proc, uint32_t site, uint32_t stack, double weight,
                    uint64_t size);
/* A MODULE record. */
void ms_stacks_module(struct ms_process *proc, const struct ms_module_rec *m);
/* The end of the process: its counts are keyed by site id from now on (positions in
 * profile->sites change when profiles are combined). */
void ms_stacks_end_process(const struct ms_profile *p, struct ms_process *proc);
void ms_proc_stacks_free(struct ms_proc_stacks *s);

/* --- Resolving and symbolizing ------------------------------------------------------------ */

struct ms_symbolize_options {
  bool no_symbolize;       /* --no-symbolize: images and offsets only */
  const char *symbolizer;  /* --symbolizer PATH; NULL: $MEMSCOPE_SYMBOLIZER, then search */
  const char *symbol_path; /* --symbol-path DIR[:DIR...], or NULL */
  bool quiet;              /* no warnings on stderr (they stay in the table) */
};

/* Builds p->stacks from every process's stacks (nothing when no process has any): reads
 * the images' program headers and build ids, runs the symbolizer once, and warns (once
 * per image) about images that cannot be found or whose build id differs; their frames
 * are shown as image+0xoffset.  Safe to call more than once (later calls do nothing). */
void ms_stacks_resolve(struct ms_profile *p, const struct ms_symbolize_options *o);

/* One frame of a symbolized stack.  Strings belong to the table. */
struct ms_stack_frame {
  const char *function; /* NULL when unknown */
  const char *file;     /* NULL when unknown */
  uint32_t line, column; /* 0 when unknown */
  const char *module;   /* the image's path as recorded, NULL when no image holds it */
  uint32_t image;       /* position in table->images, UINT32_MAX with module NULL */
  uint64_t address;     /* the address looked up (return address - 1): relative to the
                         * image, or absolute when no image holds it */
  bool inlined;         /* inlined into the next (outer) frame, at the same address */
};

struct ms_stack {
  size_t nframes;
  struct ms_stack_frame *frames; /* innermost first */
};

/* The sampled allocations of one site that had one stack, over all processes.  The
 * estimates are weighted like every other (profile.h): exact in full mode. */
struct ms_stack_site {
  uint64_t site;  /* site id */
  uint32_t stack; /* position in table->stacks */
  uint64_t samples;
  struct ms_est calls, bytes, live_blocks, live_bytes;
  bool estimated; /* some sample came from a sampled process */
};

/* An image that some address fell in. */
struct ms_stack_image {
  const char *path;     /* as recorded ("" for a program whose path was not recorded) */
  const char *build_id; /* as recorded, "" when none */
  const char *file;     /* the file read for it, NULL when none was found */
  uint64_t extent;      /* end of its highest loadable segment (relative), 0 unknown */
  bool symbolized;      /* its addresses went through the symbolizer */
};

struct ms_stack_table {
  struct ms_stack *stacks;
  size_t nstacks;
  struct ms_stack_site *entries; /* by site id, then estimated bytes (descending) */
  size_t nentries;
  struct ms_stack_image *images;
  size_t nimages;
  char **warnings; /* what went wrong, one line each (also on stderr unless quiet) */
  size_t nwarnings;
  const char *symbolizer; /* the symbolizer run, NULL when none */
  struct ms_map site_index; /* site id -> struct ms_stack_span */
  struct ms_strpool *strings;
};

/* A site's entries in table->entries, and the sums of their estimates. */
struct ms_stack_span {
  size_t first, n;
  double calls, bytes, live_blocks, live_bytes;
};

void ms_stack_table_free(struct ms_stack_table *t);

/* --- For the reports ------------------------------------------------------------------- */

/* The site's entries, or NULL when it has none (no table, or no stack for it). */
const struct ms_stack_span *ms_stacks_of_site(const struct ms_profile *p, uint64_t site);
/* Frames of the stack's first address: the function that called the allocation function
 * and what was inlined into it, which an instrumented site's own frames already tell. */
size_t ms_stack_first_frames(const struct ms_stack *s);
/* A frame as one name: its function, else "image+0xoffset", else "0xaddress". */
void ms_stack_frame_name(const struct ms_stack_frame *f, char *buf, size_t size);

/* What share of a site's figures goes to one of its stacks (flame graphs, pprof): the
 * entry's estimate over the sum of the site's, for each figure; 0 when that sum is 0. */
enum ms_stack_value { MS_STACK_CALLS, MS_STACK_BYTES, MS_STACK_LIVE_BLOCKS, MS_STACK_LIVE_BYTES };
double ms_stack_share(const struct ms_stack_span *span, const struct ms_stack_site *e,
                      enum ms_stack_value v);
/* The site's value split among its stacks by ms_stack_share, rounded so that the parts add
 * up to the whole; out has span->n elements.  false (all parts 0) when the stacks have
 * nothing of that figure: then the whole stays with the site's own frames. */
bool ms_stack_split(const struct ms_stack_table *t, const struct ms_stack_span *span,
                    enum ms_stack_value v, uint64_t whole, uint64_t *out);

struct ms_json;
/* The JSON report's pieces (docs/json.md): a site's "stacks" array (the value only), and
 * the top-level "symbolization" object (key and value; nothing without stacks). */
void ms_stacks_json_site(struct ms_json *j, const struct ms_profile *p, const struct ms_site *s);
void ms_stacks_json(struct ms_json *j, const struct ms_profile *p);

/* The text report's section "Allocations from uninstrumented code" and the stacks of
 * instrumented sites (nothing when the profile has neither). */
void ms_report_text_stacks(FILE *out, const struct ms_profile *p,
                           const struct ms_report_options *opt);

#endif

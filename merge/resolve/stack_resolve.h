/* Resolving the profile's stacks: every process's return addresses placed in the ELF
 * images its MODULE records list (elfinfo.h), symbolized with llvm-symbolizer
 * (symbolize.h), and merged into one table, p->stacks (model/stacks.h), for the reports. */
#ifndef MEMSCOPE_MERGE_STACK_RESOLVE_H
#define MEMSCOPE_MERGE_STACK_RESOLVE_H

#include <stdbool.h>

#include "profile.h"
#include "stacks.h"

struct mg_symbolize_options {
  bool no_symbolize;       /* --no-symbolize: images and offsets only */
  const char *symbolizer;  /* --symbolizer PATH or $MEMSCOPE_SYMBOLIZER; NULL: search */
  const char *symbol_path; /* --symbol-path DIR[:DIR...], or NULL */
  bool quiet;              /* no warnings on stderr (they stay in the table) */
};

/* Builds p->stacks from every process's stacks (nothing when no process has any): reads
 * the images' program headers and build ids, runs the symbolizer once, and warns (once
 * per image) about images that cannot be found or whose build id differs; their frames
 * are shown as image+0xoffset.  Safe to call more than once (later calls do nothing). */
void mg_stacks_resolve(struct mg_profile *p, const struct mg_symbolize_options *o);

#endif

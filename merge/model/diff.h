/* The comparison of two runs, site by site (diff.c; memscope-merge --diff, written by
 * report/report_diff.c).  Sites pair by their stable id: the pass derives it from the
 * source location, so it is the same site in both builds as long as the code around it
 * did not move. */
#ifndef MEMSCOPE_MERGE_DIFF_H
#define MEMSCOPE_MERGE_DIFF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "profile.h"

struct mg_diff_pair {
  const struct mg_site *base, *new_; /* either may be NULL: the site is in one run only */
  uint64_t id;
  int64_t dcalls, dbytes; /* new - base: calls (frees at free sites) and bytes */
};

struct mg_diff {
  struct mg_diff_pair *changed; /* the sites that changed, biggest change in bytes first
                                 * (either way), then in calls, then by id */
  size_t nchanged;
  size_t both, only_base, only_new; /* sites in both runs, or in one only */
};

/* Pairs the sites of two profiles (only the site `only_site` when not NULL).  Free with
 * mg_diff_free. */
void mg_diff_sites(struct mg_diff *d, const struct mg_profile *base, const struct mg_profile *new_,
                   const uint64_t *only_site);
void mg_diff_free(struct mg_diff *d);

/* Calls and bytes of a site in one run (0 when the site is not in it). */
uint64_t mg_diff_calls(const struct mg_site *s);
uint64_t mg_diff_bytes(const struct mg_site *s);
/* The change from a to b in percent (negative when it shrank); infinite from nothing. */
double mg_diff_growth(uint64_t a, uint64_t b);

/* The CI question "did allocations grow?": false when the total allocations or bytes
 * allocated grew from base to new_ by more than max_percent; *allocs and *bytes get the
 * growth in percent (mg_diff_growth). */
bool mg_diff_within(const struct mg_profile *base, const struct mg_profile *new_,
                    double max_percent, double *allocs, double *bytes);

#endif

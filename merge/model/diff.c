/* The comparison of two runs (diff.h). */
#include "diff.h"

#include <math.h>
#include <stdlib.h>

#include "hashmap.h"
#include "util.h"

uint64_t mg_diff_calls(const struct mg_site *s) { return s ? mg_site_calls(s) : 0; }
uint64_t mg_diff_bytes(const struct mg_site *s) { return s ? mg_site_bytes(s) : 0; }

static bool estimated_free(const struct mg_site *s) {
  return s && mg_site_is_free(s) && s->counts.estimated;
}

static int64_t delta(uint64_t a, uint64_t b) {
  return b >= a ? (int64_t)(b - a) : -(int64_t)(a - b);
}

static uint64_t magnitude(int64_t v) { return v < 0 ? (uint64_t)-v : (uint64_t)v; }

static int by_change(const void *a, const void *b) {
  const struct mg_diff_pair *x = a, *y = b;
  if (magnitude(x->dbytes) != magnitude(y->dbytes))
    return magnitude(x->dbytes) < magnitude(y->dbytes) ? 1 : -1;
  if (magnitude(x->dcalls) != magnitude(y->dcalls))
    return magnitude(x->dcalls) < magnitude(y->dcalls) ? 1 : -1;
  return (x->id > y->id) - (x->id < y->id);
}

double mg_diff_growth(uint64_t a, uint64_t b) {
  if (!a)
    return b ? INFINITY : 0;
  return 100.0 * ((double)b - (double)a) / (double)a;
}

void mg_diff_sites(struct mg_diff *d, const struct mg_profile *base, const struct mg_profile *new_,
                   const uint64_t *only_site) {
  *d = (struct mg_diff){0};
  struct mg_diff_pair *pairs = mg_xmalloc((base->nsites + new_->nsites + 1) * sizeof *pairs);
  size_t n = 0;
  struct mg_map seen;
  mg_map_init(&seen, 1);
  for (size_t i = 0; i < base->nsites; i++) {
    const struct mg_site *s = &base->sites[i];
    if (only_site && s->id != *only_site)
      continue;
    const struct mg_site *t = mg_profile_find_site(new_, s->id);
    pairs[n++] = (struct mg_diff_pair){s, t, s->id, 0, 0};
    mg_map_put(&seen, s->id, NULL);
    if (t)
      d->both++;
    else
      d->only_base++;
  }
  for (size_t i = 0; i < new_->nsites; i++) {
    const struct mg_site *t = &new_->sites[i];
    if ((only_site && t->id != *only_site) || mg_map_get(&seen, t->id))
      continue;
    pairs[n++] = (struct mg_diff_pair){NULL, t, t->id, 0, 0};
    d->only_new++;
  }
  mg_map_destroy(&seen);
  for (size_t i = 0; i < n; i++) {
    struct mg_diff_pair x = pairs[i];
    x.dcalls = delta(mg_diff_calls(x.base), mg_diff_calls(x.new_));
    /* A sampled free site's bytes are an estimate: it changed only if its calls did. */
    x.dbytes = estimated_free(x.base) || estimated_free(x.new_)
                   ? 0 : delta(mg_diff_bytes(x.base), mg_diff_bytes(x.new_));
    if (x.dcalls || x.dbytes)
      pairs[d->nchanged++] = x;
  }
  if (d->nchanged > 1)
    qsort(pairs, d->nchanged, sizeof *pairs, by_change);
  d->changed = pairs;
}

void mg_diff_free(struct mg_diff *d) {
  free(d->changed);
  *d = (struct mg_diff){0};
}

bool mg_diff_within(const struct mg_profile *base, const struct mg_profile *new_,
                    double max_percent, double *allocs, double *bytes) {
  *allocs = mg_diff_growth(base->totals.allocations, new_->totals.allocations);
  *bytes = mg_diff_growth(base->totals.bytes_allocated, new_->totals.bytes_allocated);
  return *allocs <= max_percent && *bytes <= max_percent;
}

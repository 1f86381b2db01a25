/* The comparison of two runs (memscope-merge --diff BASE NEW): totals, then every site by
 * its stable id (the pass derives it from the source location, so it is the same site in
 * both builds as long as the code around it did not move), with the change in calls and
 * bytes.  With a threshold it answers the CI question "did allocations grow?": the
 * totals' allocations or bytes allocated growing by more than the given percentage is a
 * failure (docs/reports.md).  Shape rules of the text summary apply (docs/merge.md). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "hashmap.h"
#include "report.h"
#include "util.h"

struct pair {
  const struct ms_site *base, *new_; /* either may be NULL: the site is in one run only */
  uint64_t id;
  int64_t dcalls, dbytes;
};

static uint64_t calls_of(const struct ms_site *s) { return s ? ms_site_calls(s) : 0; }
static uint64_t bytes_of(const struct ms_site *s) { return s ? ms_site_bytes(s) : 0; }

static int64_t delta(uint64_t a, uint64_t b) {
  return b >= a ? (int64_t)(b - a) : -(int64_t)(a - b);
}

static uint64_t magnitude(int64_t v) { return v < 0 ? (uint64_t)-v : (uint64_t)v; }

/* Biggest change in bytes first (either way), then in calls, then by id. */
static int by_change(const void *a, const void *b) {
  const struct pair *x = a, *y = b;
  if (magnitude(x->dbytes) != magnitude(y->dbytes))
    return magnitude(x->dbytes) < magnitude(y->dbytes) ? 1 : -1;
  if (magnitude(x->dcalls) != magnitude(y->dcalls))
    return magnitude(x->dcalls) < magnitude(y->dcalls) ? 1 : -1;
  return (x->id > y->id) - (x->id < y->id);
}

/* "+12.5%", "-3.0%", "new" (from nothing), "gone" (to nothing), "=" (no change). */
static void change(char *buf, size_t size, uint64_t a, uint64_t b) {
  if (a == b)
    snprintf(buf, size, "=");
  else if (a == 0)
    snprintf(buf, size, "new");
  else if (b == 0)
    snprintf(buf, size, "gone");
  else
    snprintf(buf, size, "%+.1f%%", 100.0 * ((double)b - (double)a) / (double)a);
}

static void signed_cell(FILE *out, int width, int64_t v) {
  char buf[32];
  snprintf(buf, sizeof buf, v > 0 ? "+%" PRId64 : "%" PRId64, v);
  fprintf(out, " %*s", width - 1, buf);
}

static void total_line(FILE *out, const char *label, uint64_t a, uint64_t b) {
  char pct[32];
  change(pct, sizeof pct, a, b);
  fprintf(out, "  %-20s %14" PRIu64 " %14" PRIu64, label, a, b);
  signed_cell(out, 15, delta(a, b));
  fprintf(out, " %9s\n", pct);
}

static void describe(FILE *out, const char *which, const struct ms_profile *p) {
  fprintf(out, "  %s: %zu %s, %zu %s", which, p->nprocesses,
          p->nprocesses == 1 ? "process" : "processes", p->nthreads,
          p->nthreads == 1 ? "thread" : "threads");
  for (size_t i = 0; i < p->ninputs && i < 3; i++)
    fprintf(out, "%s%s", i ? ", " : " (", p->inputs[i].path);
  fputs(p->ninputs > 3 ? ", ...)\n" : p->ninputs ? ")\n" : "\n", out);
}

/* The change from a to b in percent (negative when it shrank); infinite from nothing. */
static double growth(uint64_t a, uint64_t b) {
  if (!a)
    return b ? INFINITY : 0;
  return 100.0 * ((double)b - (double)a) / (double)a;
}

bool ms_report_diff(FILE *out, const struct ms_profile *base, const struct ms_profile *new_,
                    const struct ms_report_options *opt, double fail_percent) {
  struct ms_report_options none = {.top = MS_REPORT_DEFAULT_TOP};
  if (!opt)
    opt = &none;
  fputs("memscope diff: base -> new\n", out);
  describe(out, "base", base);
  describe(out, "new", new_);

  const struct ms_counts *a = &base->totals, *b = &new_->totals;
  fprintf(out, "\nTotals\n  %-20s %14s %14s %15s %9s\n", "", "base", "new", "delta", "change");
  total_line(out, "allocations", a->allocations, b->allocations);
  total_line(out, "bytes allocated", a->bytes_allocated, b->bytes_allocated);
  total_line(out, "frees", a->frees, b->frees);
  total_line(out, "failed allocations", a->failed_allocations, b->failed_allocations);
  total_line(out, "live bytes at exit", ms_counts_figure(a, MS_LIVE_BYTES).value,
             ms_counts_figure(b, MS_LIVE_BYTES).value);
  total_line(out, "peak live bytes", ms_counts_figure(a, MS_PEAK_LIVE_BYTES).value,
             ms_counts_figure(b, MS_PEAK_LIVE_BYTES).value);

  /* Pair the sites by id. */
  struct pair *pairs = ms_xmalloc((base->nsites + new_->nsites + 1) * sizeof *pairs);
  size_t n = 0, both = 0, only_base = 0, only_new = 0;
  struct ms_map seen;
  ms_map_init(&seen, 1);
  for (size_t i = 0; i < base->nsites; i++) {
    const struct ms_site *s = &base->sites[i];
    if (!ms_report_shows_site(opt, s->id))
      continue;
    const struct ms_site *t = ms_profile_find_site(new_, s->id);
    pairs[n++] = (struct pair){s, t, s->id, 0, 0};
    ms_map_put(&seen, s->id, NULL);
    if (t)
      both++;
    else
      only_base++;
  }
  for (size_t i = 0; i < new_->nsites; i++) {
    const struct ms_site *t = &new_->sites[i];
    if (!ms_report_shows_site(opt, t->id) || ms_map_get(&seen, t->id))
      continue;
    pairs[n++] = (struct pair){NULL, t, t->id, 0, 0};
    only_new++;
  }
  ms_map_destroy(&seen);
  /* Only the sites that changed, biggest change first. */
  size_t changed = 0;
  for (size_t i = 0; i < n; i++) {
    struct pair x = pairs[i];
    x.dcalls = delta(calls_of(x.base), calls_of(x.new_));
    x.dbytes = delta(bytes_of(x.base), bytes_of(x.new_));
    if (x.dcalls || x.dbytes)
      pairs[changed++] = x;
  }
  if (changed > 1)
    qsort(pairs, changed, sizeof *pairs, by_change);
  fprintf(out, "\nSites by change (%zu in both runs, %zu only in base, %zu only in new, %zu changed)\n",
          both, only_base, only_new, changed);
  fprintf(out, "%12s%14s%11s%11s%13s%13s%9s  %s\n", "calls-delta", "bytes-delta", "calls-base",
          "calls-new", "bytes-base", "bytes-new", "change", "function location");
  size_t shown = opt->top && changed > opt->top ? opt->top : changed;
  for (size_t i = 0; i < shown; i++) {
    const struct pair *x = &pairs[i];
    const struct ms_site *s = x->new_ ? x->new_ : x->base;
    char pct[32];
    change(pct, sizeof pct, bytes_of(x->base), bytes_of(x->new_));
    signed_cell(out, 12, x->dcalls);
    signed_cell(out, 14, x->dbytes);
    fprintf(out, " %10" PRIu64 " %10" PRIu64 " %12" PRIu64 " %12" PRIu64 " %8s  ", calls_of(x->base),
            calls_of(x->new_), bytes_of(x->base), bytes_of(x->new_), pct);
    /* The description may be in one run only (an undescribed site in the other). */
    const struct ms_site *d = s->described ? s : x->base && x->base->described ? x->base : s;
    if (d->described && d->nframes) {
      const struct ms_frame *f = &d->frames[0];
      fprintf(out, "%s %s", f->function ? f->function : "??", f->file ? f->file : "??");
      if (f->file && f->line)
        fprintf(out, ":%" PRIu32, f->line);
      if (f->file && f->line && f->column)
        fprintf(out, ":%" PRIu32, f->column);
      fputc('\n', out);
    } else {
      fprintf(out, "site 0x%" PRIx64 " ??\n", s->id);
    }
  }
  if (!changed)
    fputs("  (none)\n", out);
  free(pairs);

  if (fail_percent < 0)
    return true;
  double ga = growth(a->allocations, b->allocations), gb = growth(a->bytes_allocated, b->bytes_allocated);
  bool ok = ga <= fail_percent && gb <= fail_percent;
  fprintf(out, "\nThreshold (--fail-if-grows %g%%)\n", fail_percent);
  fprintf(out, "  allocations %+.1f%%, bytes allocated %+.1f%%: %s\n", ga, gb,
          ok ? "ok" : "FAIL (grew beyond the threshold)");
  return ok;
}

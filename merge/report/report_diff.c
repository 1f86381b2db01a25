/* The comparison of two runs as text (memscope-merge --diff BASE NEW): totals, then the
 * sites that changed (model/diff.c pairs them).  With a threshold it answers the CI
 * question "did allocations grow?": the totals' allocations or bytes allocated growing
 * by more than the given percentage is a failure (docs/reports.md).  Shape rules of the
 * text summary apply (docs/merge.md). */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>

#include "diff.h"
#include "report.h"
#include "report_parts.h"

/* "+12.5%", "-3.0%", "new" (from nothing), "gone" (to nothing), "=" (no change). */
static void change(char *buf, size_t size, uint64_t a, uint64_t b) {
  if (a == b)
    snprintf(buf, size, "=");
  else if (a == 0)
    snprintf(buf, size, "new");
  else if (b == 0)
    snprintf(buf, size, "gone");
  else
    snprintf(buf, size, "%+.1f%%", mg_diff_growth(a, b));
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
  signed_cell(out, 15, b >= a ? (int64_t)(b - a) : -(int64_t)(a - b));
  fprintf(out, " %9s\n", pct);
}

/* "N", or "N±E" for an estimate. */
/* A total that may be estimated on either side: each with its ±, the delta with the
 * half-width of its own 95% interval (the two errors are independent). */
static void figure_line(FILE *out, const char *label, struct mg_figure a, struct mg_figure b) {
  if (!a.estimated && !b.estimated) {
    total_line(out, label, a.value, b.value);
    return;
  }
  char ta[64], tb[64], td[48], pct[32];
  mg_figure_format(ta, sizeof ta, a);
  mg_figure_format(tb, sizeof tb, b);
  int64_t d = b.value >= a.value ? (int64_t)(b.value - a.value) : -(int64_t)(a.value - b.value);
  uint64_t e = (uint64_t)llround(sqrt((double)a.error * (double)a.error +
                                      (double)b.error * (double)b.error));
  snprintf(td, sizeof td, d > 0 ? "+%" PRId64 "±%" PRIu64 : "%" PRId64 "±%" PRIu64, d, e);
  change(pct, sizeof pct, a.value, b.value);
  if (a.bounded || b.bounded) /* a bound's 0 is no value to compare with */
    snprintf(pct, sizeof pct, "?");
  fprintf(out, "  %-20s %14s %14s %15s %9s\n", label, ta, tb, td, pct);
}

static void describe(FILE *out, const char *which, const struct mg_profile *p) {
  fprintf(out, "  %s: %zu %s, %zu %s", which, p->nprocesses,
          p->nprocesses == 1 ? "process" : "processes", p->nthreads,
          p->nthreads == 1 ? "thread" : "threads");
  for (size_t i = 0; i < p->ninputs && i < 3; i++)
    fprintf(out, "%s%s", i ? ", " : " (", p->inputs[i].path);
  fputs(p->ninputs > 3 ? ", ...)\n" : p->ninputs ? ")\n" : "\n", out);
}

static void site_line(FILE *out, const struct mg_diff_pair *x) {
  const struct mg_site *s = x->new_ ? x->new_ : x->base;
  uint64_t cb = mg_diff_calls(x->base), cn = mg_diff_calls(x->new_);
  uint64_t bb = mg_diff_bytes(x->base), bn = mg_diff_bytes(x->new_);
  char pct[32];
  change(pct, sizeof pct, bb, bn);
  signed_cell(out, 12, x->dcalls);
  signed_cell(out, 14, x->dbytes);
  fprintf(out, " %10" PRIu64 " %10" PRIu64 " %12" PRIu64 " %12" PRIu64 " %8s  ", cb, cn, bb, bn, pct);
  /* The description may be in one run only (an undescribed site in the other). */
  const struct mg_site *d = s->described ? s : x->base && x->base->described ? x->base : s;
  if (d->described && d->nframes) {
    const struct mg_frame *f = &d->frames[0];
    fprintf(out, "%s %s", f->function ? f->function : "??", f->file ? f->file : "??");
    if (f->file && f->line)
      fprintf(out, ":%" PRIu32, f->line);
    if (f->file && f->line && f->column)
      fprintf(out, ":%" PRIu32, f->column);
    fputc('\n', out);
  } else {
    char name[40];
    fprintf(out, "%s ??\n", mg_site_fallback_name(s, s->id, name, sizeof name));
  }
}

bool mg_report_diff(FILE *out, const struct mg_profile *base, const struct mg_profile *new_,
                    const struct mg_report_options *opt, double fail_percent) {
  struct mg_report_options none = {.top = MG_REPORT_DEFAULT_TOP};
  if (!opt)
    opt = &none;
  fputs("memscope diff: base -> new\n", out);
  describe(out, "base", base);
  describe(out, "new", new_);

  const struct mg_counts *a = &base->totals, *b = &new_->totals;
  fprintf(out, "\nTotals\n  %-20s %14s %14s %15s %9s\n", "", "base", "new", "delta", "change");
  total_line(out, "allocations", a->allocations, b->allocations);
  total_line(out, "bytes allocated", a->bytes_allocated, b->bytes_allocated);
  total_line(out, "frees", a->frees, b->frees);
  total_line(out, "failed allocations", a->failed_allocations, b->failed_allocations);
  figure_line(out, "live bytes at exit", mg_counts_figure(a, MG_LIVE_BYTES),
              mg_counts_figure(b, MG_LIVE_BYTES));
  figure_line(out, "peak live bytes", mg_counts_figure(a, MG_PEAK_LIVE_BYTES),
              mg_counts_figure(b, MG_PEAK_LIVE_BYTES));

  struct mg_diff d;
  mg_diff_sites(&d, base, new_, opt->has_site ? &opt->site : NULL);
  fprintf(out, "\nSites by change (%zu in both runs, %zu only in base, %zu only in new, %zu changed)\n",
          d.both, d.only_base, d.only_new, d.nchanged);
  fprintf(out, "%12s%14s%11s%11s%13s%13s%9s  %s\n", "calls-delta", "bytes-delta", "calls-base",
          "calls-new", "bytes-base", "bytes-new", "change", "function location");
  size_t shown = opt->top && d.nchanged > opt->top ? opt->top : d.nchanged;
  for (size_t i = 0; i < shown; i++)
    site_line(out, &d.changed[i]);
  if (!d.nchanged)
    fputs("  (none)\n", out);
  mg_diff_free(&d);

  if (fail_percent < 0)
    return true;
  double ga, gb;
  bool ok = mg_diff_within(base, new_, fail_percent, &ga, &gb);
  fprintf(out, "\nThreshold (--fail-if-grows %g%%)\n", fail_percent);
  fprintf(out, "  allocations %+.1f%%, bytes allocated %+.1f%%: %s\n", ga, gb,
          ok ? "ok" : "FAIL (grew beyond the threshold)");
  return ok;
}

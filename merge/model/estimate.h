/* Estimates from weighted samples, and numbers as the reports show them (estimate.c).
 * Every estimate of the model is one of these; how they add and how they become a value
 * with an interval is decided here only (docs/merge.md, "Estimates and their intervals"). */
#ifndef MEMSCOPE_MERGE_ESTIMATE_H
#define MEMSCOPE_MERGE_ESTIMATE_H

#include <stdbool.h>
#include <stdint.h>

/* An estimate from weighted samples (Horvitz-Thompson): value = sum of w*x over the
 * samples, var = sum of (w*w - w)*x*x, the unbiased estimate of its variance under
 * independent (Poisson) sampling with inclusion probability 1/w; n = the samples.
 * unit: the most one allocation that no sample saw can add to the value (for bytes under
 * the byte sampler its mean interval R; for blocks 1/p of the smallest size), set by the
 * model once it knows the sampling (mg_est_unit); the interval's upper end rests on it. */
struct mg_est {
  double value, var;
  double n;
  double unit;
  double high; /* an upper end known otherwise (a peak's, replay.c), 0: none */
};

/* One sample of weight w and value x. */
static inline void mg_est_add(struct mg_est *e, double w, double x) {
  e->value += w * x;
  if (w != 1) /* else the term is +0, which changes no variance: skipped for speed */
    e->var += (w * w - w) * x * x;
  e->n += 1;
}

/* Takes back a sample that mg_est_add counted (a running estimate: the live heap). */
static inline void mg_est_remove(struct mg_est *e, double w, double x) {
  e->value -= w * x;
  if (w != 1)
    e->var -= (w * w - w) * x * x;
  e->n -= 1;
}

double mg_est_high(const struct mg_est *e);

/* The estimate of a sum of independent parts. */
static inline void mg_est_sum(struct mg_est *to, const struct mg_est *part) {
  /* Peaks: the sum of their upper ends (a part that holds nothing adds nothing). */
  bool empty = part->n == 0 && part->high == 0 && part->value == 0;
  if ((to->high > 0 || part->high > 0) && !empty)
    to->high = mg_est_high(to) + mg_est_high(part);
  to->value += part->value;
  to->var += part->var;
  to->n += part->n;
  if (part->unit > to->unit)
    to->unit = part->unit;
}

/* Raises the estimate's unit to at least `unit`. */
static inline void mg_est_unit(struct mg_est *e, double unit) {
  if (unit > e->unit)
    e->unit = unit;
}

/* A number as the reports show it, rounded to integers.  Exact (estimated false): value
 * only.  An estimate: value, its 95% interval [low, high] and the samples it rests on;
 * error is the interval's larger half-width (value +- error covers [low, high]).  With
 * no sample (samples 0, bounded) the value is 0 and high a one-sided 95% upper bound:
 * "at most high", never "exactly 0". */
struct mg_figure {
  uint64_t value, error;
  uint64_t low, high, samples;
  bool estimated, bounded;
};

/* Any estimate as a figure (exact when `estimated` is false). */
struct mg_figure mg_est_figure(const struct mg_est *e, bool estimated);
/* An exact number as a figure. */
struct mg_figure mg_exact_figure(uint64_t value);
/* f, its value and interval cut to at most `most` (what exact counts allow). */
struct mg_figure mg_figure_at_most(struct mg_figure f, uint64_t most);

/* The 95% interval of an estimate, unrounded (estimate.c says how it is made). */
struct mg_interval {
  double low, high;
  bool one_sided; /* no sample: [0, high] is a one-sided 95% bound */
};
struct mg_interval mg_est_interval(const struct mg_est *e);

/* A quick upper end of the 95% interval (Wilson-Hilferty's approximation of the gamma),
 * to find where a running estimate's upper end is highest (replay.c). */
double mg_est_quick_high(const struct mg_est *e);

/* The q-quantile of the gamma distribution of shape a and scale 1 (0 < q < 1, a > 0). */
double mg_gamma_quantile(double a, double q);

#endif

/* Estimates from weighted samples, and numbers as the reports show them (estimate.c).
 * Every estimate of the model is one of these; how they add and how they become a value
 * with an interval is decided here only. */
#ifndef MEMSCOPE_MERGE_ESTIMATE_H
#define MEMSCOPE_MERGE_ESTIMATE_H

#include <stdbool.h>
#include <stdint.h>

/* An estimate from weighted samples (Horvitz-Thompson): value = sum of w*x over the
 * samples, var = sum of (w*w - w)*x*x, the unbiased estimate of its variance under
 * independent (Poisson) sampling with inclusion probability 1/w. */
struct mg_est {
  double value, var;
};

/* One sample of weight w and value x. */
static inline void mg_est_add(struct mg_est *e, double w, double x) {
  e->value += w * x;
  e->var += (w * w - w) * x * x;
}

/* The estimate of a sum of independent parts. */
static inline void mg_est_sum(struct mg_est *to, const struct mg_est *part) {
  to->value += part->value;
  to->var += part->var;
}

/* A number as the reports show it: exact, or an estimate with the half-width of its 95%
 * interval (1.96 standard errors), both rounded to integers. */
struct mg_figure {
  uint64_t value, error;
  bool estimated;
};

/* Any estimate as a figure (exact when `estimated` is false: then var is 0 anyway). */
struct mg_figure mg_est_figure(const struct mg_est *e, bool estimated);

#endif

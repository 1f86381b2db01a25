/* Estimates as figures (estimate.h). */
#include "estimate.h"

#include <math.h>

struct mg_figure mg_est_figure(const struct mg_est *e, bool estimated) {
  struct mg_figure f = {.estimated = estimated};
  /* A running sum (the peak's) may end a hair below zero: clamp. */
  f.value = e->value > 0 ? (uint64_t)llround(e->value) : 0;
  f.error = estimated && e->var > 0 ? (uint64_t)llround(1.96 * sqrt(e->var)) : 0;
  return f;
}

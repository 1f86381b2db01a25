/* Estimates as figures (estimate.h).
 *
 * The interval.  A sampled estimate is a weighted sum of a few random inclusions, so the
 * normal approximation (value +- 1.96 standard errors) covers badly when few samples lie
 * behind it: 46-87% for block counts in our tests.  We use the gamma interval that Fay
 * and Feuer (1997) gave for weighted sums of Poisson counts: with value y, variance
 * estimate v and unit u (the most one unseen allocation could add),
 *   low  = the 2.5% point of a gamma of mean y and variance v,
 *   high = the 97.5% point of a gamma of mean y + u and variance v + u^2.
 * It reduces to the exact (Garwood) Poisson interval when every sample has the same
 * weight, and grows to the normal interval with many samples.  With no sample the
 * estimate is 0 and says nothing by itself, but the sampling does: under the byte
 * sampler bytes carry sample points as a Poisson process of rate 1/R, so P(no sample) =
 * exp(-B/R), and B <= R ln 20 (about 3R) holds with 95% confidence.  tests/unit/merge/
 * test_calibration.c measures the coverage (docs/merge.md lists the figures). */
#include "estimate.h"

#include <math.h>

/* P(a, x), the regularized lower incomplete gamma function: a power series below a + 1,
 * a continued fraction (modified Lentz) for its complement above. */
static double lower_gamma_p(double a, double x) {
  if (x <= 0)
    return 0;
  double log_front = a * log(x) - x - lgamma(a);
  if (x < a + 1) {
    double term = 1.0 / a, sum = term;
    for (int i = 1; i < 10000; i++) {
      term *= x / (a + i);
      sum += term;
      if (term < sum * 1e-15)
        break;
    }
    return sum * exp(log_front);
  }
  const double tiny = 1e-300;
  double b = x + 1 - a, c = 1 / tiny, d = 1 / b, h = d;
  for (int i = 1; i < 10000; i++) {
    double an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (fabs(d) < tiny)
      d = tiny;
    c = b + an / c;
    if (fabs(c) < tiny)
      c = tiny;
    d = 1 / d;
    double delta = d * c;
    h *= delta;
    if (fabs(delta - 1) < 1e-15)
      break;
  }
  return 1 - exp(log_front) * h;
}

/* The standard normal's q-quantile, by bisection on erfc (called rarely). */
static double normal_quantile(double q) {
  double lo = -40, hi = 40;
  for (int i = 0; i < 200 && hi - lo > 1e-12; i++) {
    double mid = (lo + hi) / 2;
    if (0.5 * erfc(-mid / sqrt(2.0)) < q)
      lo = mid;
    else
      hi = mid;
  }
  return (lo + hi) / 2;
}

#define Z_975 1.959963984540054 /* the normal's 97.5% point */

/* Wilson-Hilferty's approximation of the gamma's quantile at the normal's point z: exact
 * to 1e-6 for large shapes, a few percent for small ones. */
static double wilson_hilferty(double a, double z) {
  double c = 1.0 / (9 * a), t = 1 - c + z * sqrt(c);
  return a * t * t * t;
}

double mg_gamma_quantile(double a, double q) {
  if (a > 2000) /* far enough out for Wilson-Hilferty */
    return wilson_hilferty(a, q == 0.975 ? Z_975 : q == 0.025 ? -Z_975 : normal_quantile(q));
  double lo = 0, hi = a + 10 * sqrt(a) + 10;
  while (lower_gamma_p(a, hi) < q)
    hi *= 2;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; i++) {
    double mid = (lo + hi) / 2;
    if (lower_gamma_p(a, mid) < q)
      lo = mid;
    else
      hi = mid;
  }
  return (lo + hi) / 2;
}

struct mg_interval mg_est_interval(const struct mg_est *e) {
  double y = e->value > 0 ? e->value : 0, v = e->var > 0 ? e->var : 0;
  if (e->n < 0.5) { /* no sample: a one-sided bound from the sampling alone */
    double high = e->unit * log(20.0);
    return (struct mg_interval){0, high > e->high ? high : e->high, true};
  }
  double u = e->unit; /* 0: no unseen allocation (full mode's events are all there) */
  struct mg_interval r = {y, y, false};
  if (v > 0 && y > 0)
    r.low = mg_gamma_quantile(y * y / v, 0.025) * v / y;
  double vu = v + u * u;
  if (vu > 0 && y + u > 0)
    r.high = mg_gamma_quantile((y + u) * (y + u) / vu, 0.975) * vu / (y + u);
  if (r.low > y)
    r.low = y;
  if (r.high < y)
    r.high = y;
  if (r.high < e->high)
    r.high = e->high;
  return r;
}

double mg_est_high(const struct mg_est *e) { return mg_est_interval(e).high; }

double mg_est_quick_high(const struct mg_est *e) {
  double y = e->value > 0 ? e->value : 0, v = e->var > 0 ? e->var : 0, u = e->unit;
  double vu = v + u * u;
  if (vu <= 0)
    return y;
  return wilson_hilferty((y + u) * (y + u) / vu, Z_975) * vu / (y + u);
}

static uint64_t rounded(double x) {
  return x <= 0 ? 0 : x >= 1.8e19 ? UINT64_MAX : (uint64_t)llround(x);
}

struct mg_figure mg_exact_figure(uint64_t value) {
  return (struct mg_figure){.value = value, .low = value, .high = value};
}

struct mg_figure mg_figure_at_most(struct mg_figure f, uint64_t most) {
  if (f.value > most)
    f.value = most;
  if (f.high > most)
    f.high = most;
  if (f.low > f.value)
    f.low = f.value;
  f.error = f.high - f.value > f.value - f.low ? f.high - f.value : f.value - f.low;
  return f;
}

struct mg_figure mg_est_figure(const struct mg_est *e, bool estimated) {
  if (!estimated)
    return mg_exact_figure(rounded(e->value));
  struct mg_interval in = mg_est_interval(e);
  if (in.one_sided && in.high < 0.5) /* nothing could be there (no unit): exactly 0 */
    return mg_exact_figure(0);
  struct mg_figure f = {.estimated = true, .bounded = in.one_sided};
  f.value = in.one_sided ? 0 : rounded(e->value);
  f.low = rounded(in.low);
  f.high = rounded(in.high);
  f.samples = rounded(e->n);
  uint64_t up = f.high - f.value, down = f.value - f.low;
  f.error = up > down ? up : down;
  return f;
}

/*
 * The leak rule: does a series of samples (after the warm-up, then after each
 * measured iteration) show memory that keeps growing? See docs/DESIGN.md.
 *
 * Two ways to fire, both requiring growth >= min_growth and a least-squares
 * slope >= min_slope:
 *   monotone: at least 3 measured iterations and every step strictly grew.
 *             For exchangeable noise the chance is 1/(n+1)! (n=10: 2.5e-8).
 *   trend:    at least 5 measured iterations, slope/stderr >= trend_t, and
 *             each half of the run carries at least a quarter of the growth
 *             (so a one-time step in the middle is not a trend).
 */
#include "memgate_internal.h"

#include <math.h>
#include <string.h>

int memgate_series_growth(const uint64_t *series, uint32_t count, uint64_t min_growth_bytes,
                          uint64_t min_slope_bytes, double trend_t, memgate_growth *out) {
  if (!series || !out || count == 0) return MEMGATE_EINVAL;
  memset(out, 0, sizeof *out);
  uint32_t n = count - 1; /* measured iterations */
  if (n == 0) return 0;

  /* Work relative to the first sample so doubles keep byte precision. */
  double base = (double)series[0];
  double xm = (double)n / 2.0, ym = 0.0;
  for (uint32_t i = 0; i <= n; i++) ym += (double)series[i] - base;
  ym /= (double)count;
  double sxx = 0.0, sxy = 0.0;
  for (uint32_t i = 0; i <= n; i++) {
    double dx = (double)i - xm;
    sxx += dx * dx;
    sxy += dx * (((double)series[i] - base) - ym);
  }
  double slope = sxy / sxx;
  double sse = 0.0;
  for (uint32_t i = 0; i <= n; i++) {
    double fit = ym + slope * ((double)i - xm);
    double r = ((double)series[i] - base) - fit;
    sse += r * r;
  }
  double t = 0.0;
  if (count > 2) {
    double se = sqrt(sse / (double)(count - 2) / sxx);
    /* Below a thousandth of a byte the residuals are rounding. */
    if (se > 1e-3)
      t = slope / se;
    else
      t = slope > 0 ? INFINITY : 0.0;
  }

  int64_t growth = (int64_t)(series[n] - series[0]);
  out->growth = growth;
  out->slope = slope;
  out->t = t;

  if (growth < 0 || (uint64_t)growth < min_growth_bytes || slope < (double)min_slope_bytes)
    return 0;

  bool monotone = n >= 3;
  for (uint32_t i = 1; monotone && i <= n; i++)
    if (series[i] <= series[i - 1]) monotone = false;
  if (monotone) {
    out->leak = true;
    out->rule = 1;
    return 0;
  }
  if (n >= 5 && t >= trend_t) {
    uint32_t mid = n / 2;
    int64_t g1 = (int64_t)(series[mid] - series[0]);
    int64_t g2 = (int64_t)(series[n] - series[mid]);
    if (g1 * 4 >= growth && g2 * 4 >= growth) {
      out->leak = true;
      out->rule = 2;
    }
  }
  return 0;
}

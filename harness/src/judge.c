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
 *
 * A third rule, memgate_series_regular(), is for the allocator view only:
 *   regular:  at least min_steps measured iterations, at least 3/4 of them
 *             grew by the very same number of bytes, and the net growth is
 *             at least half of what those steps added. Code that leaks the
 *             same objects every iteration does exactly that once the
 *             allocator's cache is filled before each sample; the slow
 *             filling of another thread's cache (records of random sizes)
 *             and a cache flushed every few iterations do not.
 */
#include "state.h"

#include <math.h>
#include <string.h>

/* Least-squares fit of series[0..n] against 0..n: growth, slope, t. */
static void fit(const uint64_t *series, uint32_t n, memgate_growth *out) {
  uint32_t count = n + 1;
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
    double f = ym + slope * ((double)i - xm);
    double r = ((double)series[i] - base) - f;
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
  out->growth = (int64_t)(series[n] - series[0]);
  out->slope = slope;
  out->t = t;
}

int memgate_series_growth(const uint64_t *series, uint32_t count, uint64_t min_growth_bytes,
                          uint64_t min_slope_bytes, double trend_t, memgate_growth *out) {
  if (!series || !out || count == 0) return MEMGATE_EINVAL;
  memset(out, 0, sizeof *out);
  uint32_t n = count - 1; /* measured iterations */
  if (n == 0) return 0;
  fit(series, n, out);
  int64_t growth = out->growth;
  if (growth < 0 || (uint64_t)growth < min_growth_bytes || out->slope < (double)min_slope_bytes)
    return 0;

  bool monotone = n >= 3;
  for (uint32_t i = 1; monotone && i <= n; i++)
    if (series[i] <= series[i - 1]) monotone = false;
  if (monotone) {
    out->leak = true;
    out->rule = 1;
    return 0;
  }
  if (n >= 5 && out->t >= trend_t) {
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

int memgate_series_regular(const uint64_t *series, uint32_t count, uint32_t min_steps,
                           memgate_growth *out) {
  if (!series || !out || count == 0) return MEMGATE_EINVAL;
  memset(out, 0, sizeof *out);
  uint32_t n = count - 1;
  if (n == 0) return 0;
  fit(series, n, out);

  /* The most frequent growing step, if one is a majority (Boyer-Moore
   * vote; no allocation), then its exact count. */
  uint64_t cand = 0;
  uint32_t votes = 0;
  for (uint32_t i = 1; i <= n; i++) {
    uint64_t d = series[i] > series[i - 1] ? series[i] - series[i - 1] : 0;
    if (votes == 0) {
      cand = d;
      votes = 1;
    } else if (d == cand) {
      votes++;
    } else {
      votes--;
    }
  }
  uint32_t same = 0;
  if (cand > 0)
    for (uint32_t i = 1; i <= n; i++)
      if (series[i] > series[i - 1] && series[i] - series[i - 1] == cand) same++;
  out->step_bytes = same * 2u > n ? cand : 0;
  out->step_count = same * 2u > n ? same : 0;

  if (min_steps == 0 || n < min_steps || out->step_count == 0) return 0;
  /* 3/4 of the steps, and the run keeps at least half of what they added
   * (a periodic flush gives it back). */
  uint64_t added = out->step_bytes > UINT64_MAX / out->step_count
                       ? UINT64_MAX
                       : (uint64_t)out->step_count * out->step_bytes;
  if ((uint64_t)out->step_count * 4u >= (uint64_t)n * 3u && out->growth > 0 &&
      (uint64_t)out->growth >= added / 2u) {
    out->leak = true;
    out->rule = 3;
  }
  return 0;
}

/* The whole verdict of a measured repeat: fewer than 3 measured iterations
 * cannot show persistent growth; otherwise a leak when the footprint view
 * fires (monotone or trend) or the allocator view fires (monotone, trend,
 * or, failing those, the regular-step rule). */
void memgate__judge_repeat(const uint64_t *series, const uint64_t *heap, uint32_t n,
                           const memgate_options *o, memgate__repeat_judgement *j) {
  memset(j, 0, sizeof *j);
  memgate_series_growth(series, n + 1, o->min_growth_bytes, o->min_slope_bytes, o->trend_t, &j->fp);
  if (heap) {
    memgate_series_growth(heap, n + 1, o->heap_min_growth_bytes, o->heap_min_slope_bytes,
                          o->trend_t, &j->heap);
    if (!j->heap.leak) memgate_series_regular(heap, n + 1, o->heap_regular_steps, &j->heap);
  }
  j->verdict = MemgateVerdictPass;
  if (n < 3) {
    j->too_short = true;
    return;
  }
  if (j->fp.leak || j->heap.leak) {
    j->verdict = MemgateVerdictLeak;
    j->rule = (memgate_rule)(j->fp.leak ? j->fp.rule : j->heap.rule);
  }
}

memgate_verdict memgate__final_verdict(memgate_verdict measured, bool judged,
                                       memgate_verdict baseline) {
  if (measured != MemgateVerdictPass) return measured;
  return judged ? baseline : MemgateVerdictPass;
}

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
#include <stdlib.h>
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

/* ---- the repeat's verdict ----------------------------------------------- */

/* Step i of a series (i >= 1), signed. */
static int64_t step(const uint64_t *s, uint32_t i) { return (int64_t)(s[i] - s[i - 1]); }

/* The median of the n steps of s[0..n], without scratch memory: a binary
 * search for the smallest value that at least half the steps do not
 * exceed (O(n log range); judging never allocates, it may run between
 * samples during confirmation). */
static int64_t median_step(const uint64_t *s, uint32_t n) {
  int64_t lo = INT64_MAX, hi = INT64_MIN;
  for (uint32_t i = 1; i <= n; i++) {
    int64_t d = step(s, i);
    if (d < lo) lo = d;
    if (d > hi) hi = d;
  }
  while (lo < hi) {
    int64_t mid = lo + (int64_t)(((uint64_t)hi - (uint64_t)lo) / 2u);
    uint32_t at_most = 0;
    for (uint32_t i = 1; i <= n; i++)
      if (step(s, i) <= mid) at_most++;
    if (at_most * 2u >= n) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/*
 * The series with its single largest rise (above the median step) and its
 * single largest fall (below zero and the median) each replaced by the
 * median step, into out[0..n]. One event of another thread — a thread
 * exiting and giving its cache back, a cache growing one more step late —
 * changes one step; judged this way it neither makes a leak nor hides a
 * steady one (docs/DESIGN.md, section 4). Returns true when a fall was
 * replaced: a verdict that rests on that is confirmed by more rounds (a
 * cache flushed now and then flushes again; a thread exits once).
 */
static bool without_outliers(const uint64_t *s, uint32_t n, uint64_t *out) {
  uint32_t up = 0, down = 0;
  for (uint32_t i = 1; i <= n; i++) {
    if (!up || step(s, i) > step(s, up)) up = i;
    if (!down || step(s, i) < step(s, down)) down = i;
  }
  int64_t med = median_step(s, n);
  bool fell = step(s, down) < 0 && step(s, down) < med;
  int64_t at = 0; /* running offset from the original */
  out[0] = s[0];
  for (uint32_t i = 1; i <= n; i++) {
    int64_t d = step(s, i);
    if ((i == up && d > med) || (i == down && fell)) at += med - d;
    out[i] = (uint64_t)((int64_t)s[i] + at);
  }
  return fell;
}

/* The leak rules of one view on series[0..n] (already robust). */
static void view_rules(const uint64_t *s, uint32_t n, uint64_t min_growth, uint64_t min_slope,
                       double trend_t, uint32_t regular_steps, memgate_growth *g) {
  memgate_series_growth(s, n + 1, min_growth, min_slope, trend_t, g);
  if (!g->leak && regular_steps) memgate_series_regular(s, n + 1, regular_steps, g);
}

/*
 * Does the growth persist in the newest part of the run? The last W steps
 * must add at least half of what the fitted slope predicts for them. W is
 * a quarter of the run, at least 3 steps and at least enough for two
 * quanta (a page for the footprint) at the fitted slope, at most the run.
 */
static bool persists(const uint64_t *s, uint32_t n, double slope, uint64_t quantum) {
  if (!(slope > 0)) return false;
  double need = 2.0 * (double)quantum / slope;
  uint32_t w = n / 4 < 3 ? 3 : n / 4;
  if (need > (double)w) w = need > (double)n ? n : (uint32_t)ceil(need);
  if (w > n) w = n;
  double grew = (double)(int64_t)(s[n] - s[n - w]);
  return grew * 2.0 >= slope * (double)w;
}

/* Trailing steps that moved less than quantum (the flat tail). */
static uint32_t flat_tail(const uint64_t *s, uint32_t n, uint64_t quantum) {
  uint32_t k = 0;
  while (k < n && llabs(step(s, n - k)) < (long long)quantum) k++;
  return k;
}

/* What one view says: fires (a leak that persists and rests on no
 * replaced fall), or is suspect (growth to confirm), or neither. */
typedef struct view_thresholds {
  uint64_t min_growth, min_slope, quantum;
  uint32_t regular;
} view_thresholds;

/* Three quarters of the steps are the very same growth, yet the rules did
 * not fire: falls gave it back (several threads exiting one after another,
 * or a cache flushed now and then). Worth one more window, no more: a
 * flush recurs in it, thread exits do not. */
static bool regular_but_given_back(const uint64_t *w, uint32_t n, uint32_t regular) {
  memgate_growth r;
  if (!regular || n < regular) return false;
  memgate_series_regular(w, n + 1, 0, &r);
  return r.step_bytes > 0 && (uint64_t)r.step_count * 4u >= (uint64_t)n * 3u;
}

static void judge_view(const uint64_t *w, uint32_t n, const view_thresholds *t, double trend_t,
                       bool first_window, uint64_t *scratch, memgate_growth *g, bool *fires,
                       bool *suspect, uint32_t *flat) {
  memgate_growth raw = {0};
  bool fell = without_outliers(w, n, scratch);
  view_rules(scratch, n, t->min_growth, t->min_slope, trend_t, t->regular, g);
  *fires = *suspect = false;
  *flat = 0;
  if (!g->leak) {
    *flat = flat_tail(w, n, t->quantum);
    *suspect = first_window && regular_but_given_back(w, n, t->regular);
    return;
  }
  if (fell) view_rules(w, n, t->min_growth, t->min_slope, trend_t, t->regular, &raw);
  *fires = persists(scratch, n, g->slope, t->quantum) && (!fell || raw.leak);
  *suspect = !*fires;
  g->leak = *fires;
}

void memgate__judge_repeat(const uint64_t *series, const uint64_t *heap, uint32_t total,
                           uint32_t n, const memgate_options *o, uint64_t *scratch,
                           memgate__repeat_judgement *j) {
  const uint64_t *fw = series + (total - n), *hw = heap ? heap + (total - n) : NULL;
  view_thresholds ft = {o->min_growth_bytes, o->min_slope_bytes, memgate__page_size(), 0};
  view_thresholds ht = {o->heap_min_growth_bytes, o->heap_min_slope_bytes, 16,
                        o->heap_regular_steps};
  bool fp_on = false, fp_sus = false, heap_on = false, heap_sus = false;
  memset(j, 0, sizeof *j);
  j->verdict = MemgateVerdictPass;
  j->window = n;
  j->confirmed = total - n;
  if (n < 3) { /* too short to judge: figures only */
    memgate_series_growth(fw, n + 1, 0, 0, o->trend_t, &j->fp);
    if (hw) memgate_series_growth(hw, n + 1, 0, 0, o->trend_t, &j->heap);
    j->fp.leak = j->heap.leak = false;
    j->too_short = true;
    return;
  }
  bool first = total == n;
  judge_view(fw, n, &ft, o->trend_t, first, scratch, &j->fp, &fp_on, &fp_sus, &j->flat);
  if (hw)
    judge_view(hw, n, &ht, o->trend_t, first, scratch, &j->heap, &heap_on, &heap_sus,
               &j->heap_flat);
  if (fp_on || heap_on) {
    j->verdict = MemgateVerdictLeak;
    j->rule = (memgate_rule)(fp_on ? j->fp.rule : j->heap.rule);
  }
  j->unconfirmed = j->verdict == MemgateVerdictPass && (fp_sus || heap_sus);
  j->bounded = j->confirmed > 0 && !j->unconfirmed && j->verdict == MemgateVerdictPass;
}

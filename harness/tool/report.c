/*
 * memgate report: the HTML page and the Markdown table (report.h).
 *
 * The page is one file: inline CSS, inline SVG charts, and two one-line
 * scripts that only record whether the page loaded without a script error
 * (data-memgate-ready / data-memgate-error on <html>, read by the browser
 * test). It reads the same with scripts off. A Content-Security-Policy meta
 * tag forbids every network load, so a page that tried one would show it.
 * The markup is also well-formed XML (void elements closed with "/>",
 * attributes quoted, no named entities beyond the XML five), so it can be
 * checked with a strict parser.
 *
 * Charts are drawn from downsampled points when a series has more points
 * than the plot has pixel columns (min and max of each column, in the
 * order they occurred, so one-sample spikes survive); every number printed
 * comes from the item itself.
 */
#include "report.h"

#include "memgate_internal.h"
#include "tool.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Chart geometry (SVG user units, drawn 1:1 at the usual card width). */
#define REPORT_CHART_W 600
#define REPORT_CHART_H 270
#define REPORT_CHART_ML 70 /* left: y-axis labels */
#define REPORT_CHART_MR 16
#define REPORT_CHART_MT 14
#define REPORT_CHART_MB 34 /* bottom: x-axis labels */
/* Series of at most this many points are drawn as steps with a dot per
 * sample; longer ones as a line (downsampled past 2 points per column). */
#define REPORT_STEP_MAX 80
#define REPORT_DOTS_MAX 60
/* Sparklines in the summary table. */
#define REPORT_SPARK_W 120
#define REPORT_SPARK_H 28

/* ------------------------------------------------------------------------
 * Text
 * ------------------------------------------------------------------------ */

static const char *report_str(const char *s) { return s ? s : ""; }

/* An empty table cell: an em dash. */
#define REPORT_NONE "<span class=\"muted\">\xE2\x80\x94</span>"

/* Text for HTML content and attribute values (memgate__esc_html: the five
 * XML specials as entities, line breaks as spaces, other control
 * characters and invalid UTF-8 as U+FFFD). */
static void report_html_esc(FILE *o, const char *s) { memgate__fputs_esc(o, memgate__esc_html, s); }

/* Text for one Markdown table cell (memgate__esc_md). */
static void report_md_esc(FILE *o, const char *s) { memgate__fputs_esc(o, memgate__esc_md, s); }

/* ------------------------------------------------------------------------
 * Numbers
 * ------------------------------------------------------------------------ */

/* A count with thin-space thousands separators: "10 000". */
static void report_fmt_count(char *buf, size_t cap, unsigned long long v) {
  char d[32];
  int n = snprintf(d, sizeof d, "%llu", v);
  size_t j = 0;
  for (int i = 0; i < n && j + 4 < cap; i++) {
    if (i > 0 && (n - i) % 3 == 0) {
      memcpy(buf + j, "\xE2\x80\xAF", 3); /* U+202F narrow no-break space */
      j += 3;
    }
    buf[j++] = d[i];
  }
  buf[j] = '\0';
}

/* A byte figure as HTML: the human form (memgate__bytes_f, the formatter
 * of every output), the exact count in a tooltip. */
static void report_bytes_html(FILE *o, double v, bool sign) {
  char h[48];
  memgate__bytes_f(h, sizeof h, v, sign);
  fprintf(o, "<span title=\"%.0f bytes\">%s</span>", v, h);
}

/* ------------------------------------------------------------------------
 * Order: failures first (leak, regression, error), then by name, platform
 * and input order
 * ------------------------------------------------------------------------ */

typedef struct report_ref {
  const tool_eval *it;
  size_t idx; /* position in the caller's array: anchors and ties */
} report_ref;

static const char *report_verdict(memgate_verdict v) {
  switch (v) {
  case MemgateVerdictPass: return "pass";
  case MemgateVerdictLeak: return "leak";
  case MemgateVerdictRegression: return "regression";
  case MemgateVerdictError: return "error";
  }
  return "error";
}

static bool report_failed(const tool_eval *it) { return it->verdict != MemgateVerdictPass; }

/* Memory findings first (leak, regression), then results that could not
 * be judged (error), then passes. */
static int report_rank(memgate_verdict v) {
  switch (v) {
  case MemgateVerdictLeak: return 0;
  case MemgateVerdictRegression: return 1;
  case MemgateVerdictError: return 2;
  case MemgateVerdictPass: return 3;
  }
  return 2;
}

static int report_ref_cmp(const void *a, const void *b) {
  const report_ref *x = a, *y = b;
  int c = report_rank(x->it->verdict) - report_rank(y->it->verdict);
  if (c) return c;
  c = strcmp(report_str(x->it->result->name), report_str(y->it->result->name));
  if (c) return c;
  c = strcmp(report_str(x->it->result->platform), report_str(y->it->result->platform));
  if (c) return c;
  return x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* The sorted references (caller frees), or NULL when out of memory. */
static report_ref *report_sorted(const tool_eval *items, size_t n) {
  report_ref *r = malloc((n ? n : 1) * sizeof *r);
  if (!r) return NULL;
  for (size_t i = 0; i < n; i++) {
    r[i].it = &items[i];
    r[i].idx = i;
  }
  if (n > 1) qsort(r, n, sizeof *r, report_ref_cmp);
  return r;
}

/* The series to draw: the recorded one, or before/after for an item
 * without (tmp holds those two values). */
static const uint64_t *report_series(const tool_eval *it, uint64_t tmp[2], size_t *n) {
  if (it->result->series && it->result->series_count > 0) {
    *n = it->result->series_count;
    return it->result->series;
  }
  if (it->result->before_bytes == 0 && it->result->after_bytes == 0) {
    *n = 0;
    return NULL;
  }
  tmp[0] = it->result->before_bytes;
  tmp[1] = it->result->after_bytes;
  *n = 2;
  return tmp;
}

/* False for an error that recorded nothing (no samples, no figures):
 * its zero "retained" was never measured. */
static bool report_measured(const tool_eval *it) {
  return !(it->verdict == MemgateVerdictError && (!it->result->series || it->result->series_count == 0) && it->result->before_bytes == 0 &&
           it->result->after_bytes == 0 && it->result->retained_bytes == 0);
}

static const uint64_t *report_heap(const tool_eval *it, size_t n) {
  /* Only drawn when it has the footprint's shape. */
  return it->result->heap_series && it->result->heap_series_count == n && n > 0 ? it->result->heap_series : NULL;
}

/* ------------------------------------------------------------------------
 * Charts
 * ------------------------------------------------------------------------ */

/* A value axis: nice tick values in one binary unit. */
typedef struct report_axis {
  double lo, hi;    /* bytes, multiples of step */
  double step;      /* bytes between ticks */
  double unit;      /* 1, 1024, ... */
  const char *name; /* "B", "KiB", ... */
  int decimals;     /* for tick labels in unit */
} report_axis;

/* Widens a value range narrower than 12 % of its top (and at least 1 KiB)
 * around its middle, so sampling noise on a flat line does not fill the
 * chart. Never below 0. */
static void report_widen(double *lo, double *hi) {
  if (!isfinite(*lo) || !isfinite(*hi) || *hi < *lo) *lo = *hi = 0;
  if (*lo < 0) *lo = 0;
  double min_span = *hi * 0.12 > 1024.0 ? *hi * 0.12 : 1024.0;
  if (*hi - *lo < min_span) {
    double mid = (*lo + *hi) / 2;
    *lo = mid - min_span / 2;
    *hi = mid + min_span / 2;
    if (*lo < 0) {
      *hi -= *lo;
      *lo = 0;
    }
  }
}

/* Fits an axis with nice ticks around [lo, hi] (bytes), widened. */
static void report_axis_fit(report_axis *ax, double lo, double hi) {
  report_widen(&lo, &hi);
  /* Headroom, so no line runs along the frame. */
  double pad = (hi - lo) * 0.04;
  lo = lo - pad < 0 ? 0 : lo - pad;
  hi += pad;
  static const struct {
    double unit;
    const char *name;
  } units[] = {{1024.0 * 1024.0 * 1024.0 * 1024.0, "TiB"},
               {1024.0 * 1024.0 * 1024.0, "GiB"},
               {1024.0 * 1024.0, "MiB"},
               {1024.0, "KiB"},
               {1.0, "B"}};
  size_t u = 0;
  while (u + 1 < sizeof units / sizeof units[0] && hi < units[u].unit) u++;
  ax->unit = units[u].unit;
  ax->name = units[u].name;
  double raw = (hi - lo) / 4.0 / ax->unit;
  double mag = pow(10.0, floor(log10(raw)));
  double f = raw / mag;
  double nice = f <= 1.0 ? 1.0 : f <= 2.0 ? 2.0 : f <= 2.5 ? 2.5 : f <= 5.0 ? 5.0 : 10.0;
  double step_u = nice * mag;
  if (ax->unit == 1.0 && step_u < 1.0) step_u = 1.0;
  ax->step = step_u * ax->unit;
  ax->lo = floor(lo / ax->step) * ax->step;
  ax->hi = ceil(hi / ax->step) * ax->step;
  if (ax->hi <= ax->lo) ax->hi = ax->lo + ax->step;
  ax->decimals = 0;
  while (ax->decimals < 3) {
    double s = step_u * pow(10.0, ax->decimals);
    if (fabs(s - floor(s + 0.5)) < 1e-6) break;
    ax->decimals++;
  }
}

/* Where values and sample indexes land. */
typedef struct report_plot {
  double x0, x1; /* data region (px); the warm-up band sits left of x0 */
  double y0, y1; /* top and bottom of the plot (px) */
  double lo, hi; /* value range (bytes) */
  size_t n;      /* samples */
} report_plot;

static double report_px(const report_plot *p, double i) {
  if (p->n < 2) return (p->x0 + p->x1) / 2;
  return p->x0 + (p->x1 - p->x0) * i / (double)(p->n - 1);
}

static double report_py(const report_plot *p, double v) {
  return p->y1 - (v - p->lo) * (p->y1 - p->y0) / (p->hi - p->lo);
}

/* The points of s[0..n) as an SVG path. step: each value held until the
 * next sample (a count of iterations has nothing in between). Otherwise a
 * line; past two samples per pixel column, each column's minimum and
 * maximum in the order they occurred. */
static void report_path(FILE *o, const report_plot *p, const uint64_t *s, size_t n, bool step) {
  if (n == 0) return;
  fprintf(o, "M%.1f %.1f", report_px(p, 0), report_py(p, (double)s[0]));
  if (step) {
    for (size_t i = 1; i < n; i++)
      fprintf(o, "H%.1fV%.1f", report_px(p, (double)i), report_py(p, (double)s[i]));
    return;
  }
  size_t cols = p->x1 - p->x0 >= 1 ? (size_t)(p->x1 - p->x0) : 1;
  if (n <= 2 * cols) {
    for (size_t i = 1; i < n; i++)
      fprintf(o, "L%.1f %.1f", report_px(p, (double)i), report_py(p, (double)s[i]));
    return;
  }
  for (size_t c = 0; c < cols; c++) {
    size_t a = (size_t)((double)n * (double)c / (double)cols);
    size_t b = (size_t)((double)n * (double)(c + 1) / (double)cols);
    if (b > n) b = n;
    if (a >= b) continue;
    size_t mn = a, mx = a;
    for (size_t i = a + 1; i < b; i++) {
      if (s[i] < s[mn]) mn = i;
      if (s[i] > s[mx]) mx = i;
    }
    size_t first = mn < mx ? mn : mx, second = mn < mx ? mx : mn;
    fprintf(o, "L%.1f %.1f", report_px(p, (double)first), report_py(p, (double)s[first]));
    if (second != first)
      fprintf(o, "L%.1f %.1f", report_px(p, (double)second), report_py(p, (double)s[second]));
  }
}

static void report_minmax(const uint64_t *s, size_t n, double *lo, double *hi) {
  for (size_t i = 0; i < n; i++) {
    double v = (double)s[i];
    if (v < *lo) *lo = v;
    if (v > *hi) *hi = v;
  }
}

static void report_include(double v, double *lo, double *hi) {
  if (v < *lo) *lo = v;
  if (v > *hi) *hi = v;
}

/* A nice step for integer ticks: 1, 2, 5, 10, 20, ... giving at most 8. */
static size_t report_int_step(size_t span) {
  size_t step = 1;
  for (;;) {
    if (span / step <= 7) return step;
    if (span / (step * 2) <= 7) return step * 2;
    if (span / (step * 5) <= 7) return step * 5;
    step *= 10;
  }
}

/* Mean of the series, for the growth line (least squares passes through
 * the mean point). */
static double report_mean(const uint64_t *s, size_t n) {
  double m = 0;
  for (size_t i = 0; i < n; i++) m += ((double)s[i] - m) / (double)(i + 1);
  return m;
}

/* What the chart draws besides the footprint; also drives the legend. */
typedef struct report_layers {
  bool heap, fit, baseline, peak, warmup;
} report_layers;

static report_layers report_layers_of(const tool_eval *it, size_t n) {
  report_layers l;
  l.heap = report_heap(it, n) != NULL;
  l.fit = it->verdict == MemgateVerdictLeak && it->result->has_slope && isfinite(it->result->slope_bytes) && n >= 2;
  l.baseline = it->has_baseline;
  l.peak = it->result->has_peak;
  l.warmup = it->result->kind == MemgateKindRepeat && it->result->warmup > 0 && n > 0;
  return l;
}

static void report_legend(FILE *o, const report_layers *l, const tool_eval *it) {
  fputs("<ul class=\"legend\"><li><span class=\"sw sw-fp\"></span>footprint</li>", o);
  if (l->heap) fputs("<li><span class=\"sw sw-hp\"></span>allocator view</li>", o);
  if (l->fit) fputs("<li><span class=\"sw sw-fit\"></span>growth fit</li>", o);
  if (l->baseline) {
    char e[48], a[48];
    memgate__bytes_f(e, sizeof e, (double)it->j.cmp.expected, true);
    memgate__bytes_f(a, sizeof a, (double)it->j.cmp.allowed, true);
    fprintf(o, "<li><span class=\"sw sw-bl\"></span>baseline %s, allowed up to %s</li>", e, a);
  }
  if (l->peak) fputs("<li><span class=\"sw sw-pk\"></span>peak</li>", o);
  if (l->warmup) fputs("<li><span class=\"sw sw-wu\"></span>warm-up (ends sampled only)</li>", o);
  fputs("</ul>\n", o);
}

/* Everything one chart draws, computed once. */
typedef struct report_chart_ctx {
  const tool_eval *it;
  const uint64_t *s, *h; /* footprint, allocator view (or NULL) */
  size_t n;
  report_layers l;
  report_axis ax;
  report_plot p;
  double px0, px1, py0, py1; /* the frame */
  double band;               /* warm-up band width (0: none) */
  double before, wu_start;   /* bytes */
  double fit0, fit1;         /* growth line at the first and last sample */
} report_chart_ctx;

/* The value axis over the measured part (series, baseline band, fit). */
static void report_chart_range(report_chart_ctx *c) {
  const tool_eval *it = c->it;
  double lo = INFINITY, hi = -INFINITY;
  report_minmax(c->s, c->n, &lo, &hi);
  if (c->h) report_minmax(c->h, c->n, &lo, &hi);
  /* The warm-up start and the peak are annotations, not scale-setters: a
   * pre-warm-up sample far below, or a peak far above, would squeeze the
   * measured staircase into a thin band. They are drawn at the plot's edge
   * when outside it (report_edge_y). */
  if (c->l.baseline) {
    report_include(c->before + (double)it->j.cmp.expected, &lo, &hi);
    report_include(c->before + (double)it->j.cmp.allowed, &lo, &hi);
  }
  if (c->l.fit) {
    report_include(c->fit0, &lo, &hi);
    report_include(c->fit1, &lo, &hi);
  }
  report_axis_fit(&c->ax, lo, hi);
}

/* The warm-up band: proportional to its iterations, but at least wide
 * enough for its label and at most a fifth of the plot (it stands for
 * iterations that were not sampled one by one). */
static double report_band_width(const report_chart_ctx *c) {
  if (!c->l.warmup) return 0;
  double span = (double)(c->n > 1 ? c->n - 1 : 1), w = c->px1 - c->px0;
  double band = w * (double)c->it->result->warmup / ((double)c->it->result->warmup + span);
  if (band < 66) band = 66;
  if (band > w / 5) band = w / 5;
  return band;
}

static void report_chart_init(report_chart_ctx *c, const tool_eval *it, const uint64_t *s, size_t n,
                              const uint64_t *h) {
  memset(c, 0, sizeof *c);
  c->it = it;
  c->s = s;
  c->n = n;
  c->h = h;
  c->l = report_layers_of(it, n);
  c->px0 = REPORT_CHART_ML;
  c->px1 = REPORT_CHART_W - REPORT_CHART_MR;
  c->py0 = REPORT_CHART_MT;
  c->py1 = REPORT_CHART_H - REPORT_CHART_MB;
  c->before = (double)it->result->before_bytes;
  c->wu_start = (double)s[0] - (double)it->result->warmup_bytes;
  double mean = report_mean(s, n), xm = (double)(n - 1) / 2.0;
  c->fit0 = mean - it->result->slope_bytes * xm;
  c->fit1 = mean + it->result->slope_bytes * xm;
  report_chart_range(c);
  c->band = report_band_width(c);
  c->p.x0 = c->px0 + c->band + (c->band > 0 ? 10 : 12);
  c->p.x1 = c->px1 - 12;
  c->p.y0 = c->py0;
  c->p.y1 = c->py1;
  c->p.lo = c->ax.lo;
  c->p.hi = c->ax.hi;
  c->p.n = n;
}

/* Grid lines and y labels. */
static void report_chart_grid(FILE *o, const report_chart_ctx *c) {
  size_t nticks = (size_t)floor((c->ax.hi - c->ax.lo) / c->ax.step + 0.5);
  for (size_t t = 0; t <= nticks; t++) {
    double v = c->ax.lo + c->ax.step * (double)t, y = report_py(&c->p, v);
    fprintf(o, "<line class=\"grid\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.1f\" y2=\"%.1f\"/>", c->px0, c->px1, y, y);
    fprintf(o, "<text class=\"ytick\" x=\"%.0f\" y=\"%.1f\" dy=\"0.32em\" text-anchor=\"end\">%.*f %s</text>",
            c->px0 - 8, y, c->ax.decimals, v / c->ax.unit, c->ax.name);
  }
}

/* The y of v, held inside the plot (an annotation outside the axis sits on
 * its edge); *outside tells whether it was moved. */
static double report_edge_y(const report_chart_ctx *c, double v, bool *outside) {
  double y = report_py(&c->p, v), top = c->py0 + 2, bot = c->py1 - 2;
  *outside = y < top || y > bot;
  return y < top ? top : y > bot ? bot : y;
}

static void report_chart_warmup(FILE *o, const report_chart_ctx *c) {
  double x0 = c->px0, x1 = c->px0 + c->band, xm = (x0 + x1) / 2, py0 = c->py0;
  char b[48];
  fprintf(o, "<rect class=\"wu\" x=\"%.1f\" y=\"%.0f\" width=\"%.1f\" height=\"%.0f\"/>", x0, py0, x1 - x0,
          c->py1 - py0);
  bool out;
  double ys = report_edge_y(c, c->wu_start, &out);
  fprintf(o, "<line class=\"wu-line\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", x0 + 6, ys, c->p.x0,
          report_py(&c->p, (double)c->s[0]));
  fprintf(o, "<circle class=\"wu-dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>", x0 + 6, ys);
  if (out) { /* the start, off the axis: its value as text */
    memgate__bytes_f(b, sizeof b, c->wu_start, false);
    fprintf(o, "<text class=\"wu-t wu-start\" x=\"%.1f\" y=\"%.1f\" dy=\"%s\">start %s %s</text>", x0 + 12, ys,
            ys > (c->py0 + c->py1) / 2 ? "-4" : "12", b, ys > (c->py0 + c->py1) / 2 ? "\xE2\x86\x93" : "\xE2\x86\x91");
  }
  memgate__bytes_f(b, sizeof b, (double)c->it->result->warmup_bytes, true);
  fprintf(o, "<text class=\"wu-t\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">warm-up</text>", xm, py0 + 14);
  fprintf(o, "<text class=\"wu-t\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%u\xC3\x97</text>", xm, py0 + 27,
          (unsigned)c->it->result->warmup);
  fprintf(o, "<text class=\"wu-t\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>", xm, py0 + 40, b);
}

static void report_chart_baseline(FILE *o, const report_chart_ctx *c) {
  const report_plot *p = &c->p;
  double e = report_py(p, c->before + (double)c->it->j.cmp.expected);
  double a = report_py(p, c->before + (double)c->it->j.cmp.allowed);
  double top = a < e ? a : e, bot = a < e ? e : a;
  fprintf(o, "<rect class=\"bl-band\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>", p->x0 - 6, top,
          p->x1 - p->x0 + 12, bot - top < 1 ? 1 : bot - top);
  fprintf(o, "<line class=\"bl\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", p->x0 - 6, p->x1 + 6, e, e);
  fprintf(o, "<line class=\"bl-allowed\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", p->x0 - 6, p->x1 + 6,
          a, a);
}

static double report_peak_y(const report_chart_ctx *c) {
  bool out;
  return report_edge_y(c, c->before + (double)c->it->result->peak_bytes, &out);
}

/* The allocator view, the footprint, its growth line and its dots. */
static void report_chart_series(FILE *o, const report_chart_ctx *c) {
  const report_plot *p = &c->p;
  size_t n = c->n;
  bool step = c->it->result->kind == MemgateKindRepeat && n <= REPORT_STEP_MAX;
  if (c->h) {
    fputs("<path class=\"hp\" d=\"", o);
    report_path(o, p, c->h, n, step);
    fputs("\"/>", o);
  }
  fputs("<path class=\"fp\" d=\"", o);
  report_path(o, p, c->s, n, step);
  fputs("\"/>", o);
  if (c->l.fit)
    fprintf(o, "<line class=\"fit\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>", report_px(p, 0),
            report_py(p, c->fit0), report_px(p, (double)(n - 1)), report_py(p, c->fit1));
  if (n <= REPORT_DOTS_MAX)
    for (size_t i = 0; i < n; i++)
      fprintf(o, "<circle class=\"fp-dot\" cx=\"%.1f\" cy=\"%.1f\" r=\"3\"/>", report_px(p, (double)i),
              report_py(p, (double)c->s[i]));
}

/* Everything inside the plot's clip rectangle. */
static void report_chart_plot(FILE *o, const report_chart_ctx *c, size_t id) {
  fprintf(o, "<clipPath id=\"c%zu\"><rect x=\"%.0f\" y=\"%.0f\" width=\"%.0f\" height=\"%.0f\"/></clipPath>", id,
          c->px0, c->py0 - 4, c->px1 - c->px0, c->py1 - c->py0 + 8);
  fprintf(o, "<g clip-path=\"url(#c%zu)\">", id);
  if (c->l.warmup) report_chart_warmup(o, c);
  if (c->l.baseline) report_chart_baseline(o, c);
  if (c->l.peak) {
    double y = report_peak_y(c);
    fprintf(o, "<line class=\"pk\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.1f\" y2=\"%.1f\"/>", c->p.x0 - 6, c->p.x1 + 6, y, y);
  }
  report_chart_series(o, c);
  fputs("</g>", o);
}

static void report_chart_xaxis(FILE *o, const report_chart_ctx *c) {
  const report_plot *p = &c->p;
  double py1 = c->py1;
  size_t n = c->n;
  fprintf(o, "<line class=\"axis\" x1=\"%.0f\" x2=\"%.0f\" y1=\"%.0f\" y2=\"%.0f\"/>", c->px0, c->px1, py1, py1);
  if (c->it->result->kind == MemgateKindScope && n == 2) {
    static const char *const ends[2] = {"begin", "end"};
    for (size_t i = 0; i < 2; i++)
      fprintf(o, "<text class=\"xtick\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>",
              report_px(p, (double)i), py1 + 16, ends[i]);
    return;
  }
  size_t st = report_int_step(n - 1);
  for (size_t i = 0; i < n; i += st) {
    double x = report_px(p, (double)i);
    char num[48];
    report_fmt_count(num, sizeof num, i);
    fprintf(o, "<line class=\"axis\" x1=\"%.1f\" x2=\"%.1f\" y1=\"%.0f\" y2=\"%.0f\"/>", x, x, py1, py1 + 4);
    fprintf(o, "<text class=\"xtick\" x=\"%.1f\" y=\"%.0f\" text-anchor=\"middle\">%s</text>", x, py1 + 16, num);
    if (n - 1 - i < st) break;
  }
  if (c->it->result->kind == MemgateKindRepeat)
    fprintf(o, "<text class=\"xlabel\" x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">iterations after warm-up</text>",
            c->px1, (double)REPORT_CHART_H - 3);
}

static void report_chart(FILE *o, const tool_eval *it, size_t id) {
  uint64_t tmp[2];
  size_t n;
  const uint64_t *s = report_series(it, tmp, &n);
  report_chart_ctx c;
  char b1[48], b2[48];
  if (n == 0) return; /* the card says so instead */
  report_chart_init(&c, it, s, n, report_heap(it, n));
  memgate__bytes_f(b1, sizeof b1, (double)s[0], false);
  memgate__bytes_f(b2, sizeof b2, (double)s[n - 1], false);
  fprintf(o, "<svg class=\"chart\" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"footprint of ", REPORT_CHART_W,
          REPORT_CHART_H);
  report_html_esc(o, it->result->name);
  fprintf(o, " from %s to %s over %zu samples\">", b1, b2, n);
  report_chart_grid(o, &c);
  report_chart_plot(o, &c, id);
  if (c.l.peak) { /* outside the clip: the label may rise above the plot */
    memgate__bytes_f(b1, sizeof b1, (double)it->result->peak_bytes, true);
    fprintf(o, "<text class=\"pk-t\" x=\"%.1f\" y=\"%.1f\" dy=\"-4\" text-anchor=\"end\">peak %s</text>", c.p.x1,
            report_peak_y(&c), b1);
  }
  report_chart_xaxis(o, &c);
  fputs("</svg>\n", o);
}

/* The small line in the summary table. */
static void report_spark(FILE *o, const tool_eval *it) {
  uint64_t tmp[2];
  size_t n;
  const uint64_t *s = report_series(it, tmp, &n);
  if (n == 0) {
    fputs(REPORT_NONE, o);
    return;
  }
  /* The data range itself (widened as for the charts): no ticks here. */
  double lo = INFINITY, hi = -INFINITY;
  report_minmax(s, n, &lo, &hi);
  report_widen(&lo, &hi);
  report_plot p;
  p.x0 = 3;
  p.x1 = REPORT_SPARK_W - 3;
  p.y0 = 3;
  p.y1 = REPORT_SPARK_H - 3;
  p.lo = lo;
  p.hi = hi;
  p.n = n;
  fprintf(o, "<svg class=\"spark %s\" viewBox=\"0 0 %d %d\" width=\"%d\" height=\"%d\" aria-hidden=\"true\">",
          report_failed(it) ? "spark-fail" : "spark-pass", REPORT_SPARK_W, REPORT_SPARK_H, REPORT_SPARK_W,
          REPORT_SPARK_H);
  fputs("<path d=\"", o);
  report_path(o, &p, s, n, it->result->kind == MemgateKindRepeat && n <= 40);
  fputs("\"/>", o);
  fprintf(o, "<circle cx=\"%.1f\" cy=\"%.1f\" r=\"2\"/></svg>", report_px(&p, (double)(n - 1)),
          report_py(&p, (double)s[n - 1]));
}

/* ------------------------------------------------------------------------
 * The page
 * ------------------------------------------------------------------------ */

static const char report_css[] =
    ":root{color-scheme:light;--fg:#1f2328;--muted:#59636e;--line:#d1d9e0;--bg:#f6f8fa;--card:#fff;"
    "--fp:#2563eb;--hp:#a855f7;--fit:#dc2626;--bl:#15803d;--pk:#6b7280;--wu:#eef1f5}\n"
    "*{box-sizing:border-box}\n"
    "html{-webkit-text-size-adjust:100%}\n"
    "body{margin:0;background:var(--bg);color:var(--fg);font:15px/1.5 system-ui,sans-serif;"
    "font-variant-numeric:tabular-nums}\n"
    ".wrap{max-width:1240px;margin:0 auto;padding:28px 24px 48px}\n"
    "header.top{border-left:6px solid var(--st);padding:2px 0 2px 16px;margin-bottom:22px}\n"
    ".st-fail{--st:#dc2626}.st-pass{--st:#16a34a}\n"
    "h1{font-size:26px;line-height:1.2;margin:0 0 4px;font-weight:700;letter-spacing:-.01em}\n"
    "h1 .verdict{color:var(--st)}\n"
    "h2{font-size:18px;margin:30px 0 12px;font-weight:650}\n"
    ".sub{margin:0;color:var(--muted)}\n"
    ".counts{display:flex;flex-wrap:wrap;gap:8px;margin:10px 0 0;padding:0;list-style:none}\n"
    ".counts li{padding:2px 10px;border-radius:999px;font-size:13px;font-weight:600;border:1px solid transparent}\n"
    ".counts li.zero{background:transparent;color:var(--muted);border-color:var(--line);font-weight:500}\n"
    ".hint{color:var(--muted);font-size:13px;max-width:900px;margin:8px 0 0}\n"
    "code,.mono,.loc{font-family:ui-monospace,monospace;font-size:.92em}\n"
    ".muted{color:var(--muted)}\n"
    ".kept{margin-top:4px;font-size:12px;white-space:normal}\n"
    ".badge{display:inline-block;min-width:52px;text-align:center;padding:1px 8px;border-radius:999px;"
    "font-size:12px;font-weight:700;letter-spacing:.04em;text-transform:uppercase;line-height:18px}\n"
    ".v-pass{background:#dcfce7;color:#166534}.v-leak{background:#fee2e2;color:#991b1b}"
    ".v-regression{background:#ffedd5;color:#9a3412}.v-error{background:#ede9fe;color:#5b21b6}\n"
    ".tablebox{overflow-x:auto;background:var(--card);border:1px solid var(--line);border-radius:10px}\n"
    "table{border-collapse:collapse;width:100%;font-size:14px}\n"
    "th,td{padding:6px 8px;text-align:left;vertical-align:middle;white-space:nowrap}\n"
    "th{font-size:12px;font-weight:600;color:var(--muted);text-transform:uppercase;letter-spacing:.04em;"
    "border-bottom:1px solid var(--line);background:#fbfcfd}\n"
    "td{border-top:1px solid #eaeef2}\n"
    "tr:first-child td{border-top:0}\n"
    "td.num,th.num{text-align:right}\n"
    "tr.fail td:first-child{box-shadow:inset 4px 0 var(--fit)}\n"
    "td.scope{white-space:normal;min-width:140px}\n"
    "td.chg{white-space:normal;min-width:72px}td.srcc{white-space:normal;word-break:break-all;max-width:140px}\n"
    "@media (max-width:1180px){th.spark,td.spark{display:none}}\n"
    "td.scope a{color:var(--fg);font-weight:600;text-decoration:none;word-break:break-all}\n"
    "td.scope a:hover{text-decoration:underline}\n"
    ".kind{color:var(--muted);font-size:12px;margin-left:8px;white-space:nowrap}\n"
    "details.more{margin-top:12px}details.more>summary{cursor:pointer;color:var(--muted);font-weight:600;"
    "margin-bottom:8px}\n"
    ".over{color:#b91c1c;font-weight:600}.under{color:#15803d}\n"
    ".spark{display:block}.spark path{fill:none;stroke-width:1.5;stroke-linejoin:round}\n"
    ".spark-pass path{stroke:var(--fp)}.spark-pass circle{fill:var(--fp)}\n"
    ".spark-fail path{stroke:var(--fit)}.spark-fail circle{fill:var(--fit)}\n"
    ".cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(min(100%,560px),1fr));gap:16px;"
    "align-items:start}\n"
    ".card{background:var(--card);border:1px solid var(--line);border-radius:10px;break-inside:avoid}\n"
    ".card.fail{border-color:#f3b4b4}\n"
    ".card>summary{list-style:none;cursor:pointer;padding:12px 16px 10px;display:flex;flex-wrap:wrap;"
    "align-items:baseline;gap:4px 10px}\n"
    ".card>summary::-webkit-details-marker{display:none}\n"
    ".card>summary::before{content:'\\25B8';color:var(--muted);font-size:12px;width:10px}\n"
    ".card[open]>summary::before{content:'\\25BE'}\n"
    ".card-name{font-weight:650;font-size:16px;word-break:break-all}\n"
    ".card-meta{color:var(--muted);font-size:13px;flex-basis:100%;padding-left:20px}\n"
    ".card-b{padding:0 16px 14px}\n"
    ".msg{margin:0 0 10px;font-size:13.5px;color:var(--muted);overflow-wrap:anywhere}\n"
    ".msg.fail{color:#7f1d1d;background:#fef2f2;border:1px solid #fecaca;border-radius:8px;padding:8px 10px}\n"
    ".msg .loc{display:block;margin-top:3px}.msg.fail .loc{color:#991b1b}\n"
    ".legend{display:flex;flex-wrap:wrap;gap:2px 16px;margin:0 0 2px;padding:0;list-style:none;font-size:12px;"
    "color:var(--muted)}\n"
    ".legend li{display:flex;align-items:center;gap:6px}\n"
    ".sw{display:inline-block;width:18px;height:0;border-top:2px solid}\n"
    ".sw-fp{border-color:var(--fp);border-top-width:3px}.sw-hp{border-color:var(--hp)}"
    ".sw-fit{border-top:2px dashed var(--fit)}.sw-pk{border-top:2px dotted var(--pk)}"
    ".sw-bl{height:10px;border:0;border-top:2px dashed var(--bl);background:rgba(21,128,61,.14)}"
    ".sw-wu{height:12px;border:1px solid #d5dbe3;background:var(--wu)}\n"
    "svg.chart{display:block;width:100%;height:auto;overflow:visible}\n"
    "svg text{font-family:system-ui,sans-serif;font-size:11px;fill:var(--muted)}\n"
    ".grid{stroke:#e8ebef;stroke-width:1}.axis{stroke:#8c959f;stroke-width:1}\n"
    ".fp{fill:none;stroke:var(--fp);stroke-width:2.25;stroke-linejoin:round}\n"
    ".fp-dot{fill:var(--fp);stroke:#fff;stroke-width:1.25}\n"
    ".hp{fill:none;stroke:var(--hp);stroke-width:1.5;stroke-linejoin:round;opacity:.9}\n"
    ".fit{stroke:var(--fit);stroke-width:1.75;stroke-dasharray:7 5}\n"
    ".bl{stroke:var(--bl);stroke-width:1.5;stroke-dasharray:5 4}.bl-allowed{stroke:var(--bl);stroke-width:1}"
    ".bl-band{fill:var(--bl);opacity:.12}\n"
    ".pk{stroke:var(--pk);stroke-width:1.25;stroke-dasharray:2 3}\n"
    ".wu{fill:var(--wu)}.wu-line{stroke:#94a3b8;stroke-width:1.5;stroke-dasharray:2 3}"
    ".wu-dot{fill:#fff;stroke:#94a3b8;stroke-width:1.5}.wu-t{font-size:10.5px}\n"
    ".xlabel{font-size:10.5px}\n"
    ".facts{display:flex;flex-wrap:wrap;gap:6px 22px;margin:10px 0 0;font-size:13px}\n"
    ".facts div{display:flex;flex-direction:column}\n"
    ".facts dt{color:var(--muted);font-size:11px;text-transform:uppercase;letter-spacing:.04em}\n"
    ".facts dd{margin:0;font-weight:600}\n"
    ".src{margin:8px 0 0;font-size:12px;color:var(--muted)}\n"
    ".js-error{background:#fef2f2;color:#991b1b;border:1px solid #fecaca;padding:8px 12px}\n"
    ".nodata{margin:4px 0 0;padding:14px;border:1px dashed var(--line);border-radius:8px;color:var(--muted);"
    "text-align:center;font-size:13px}\n"
    "footer{margin-top:36px;color:var(--muted);font-size:12px}\n"
    "@media print{body{background:#fff;font-size:12px}.wrap{max-width:none;padding:0}"
    ".tablebox,.card{border-color:#bbb}.card{break-inside:avoid}th{background:#fff}"
    ".card>summary::before{content:''}td.scope a{color:inherit}"
    "*{-webkit-print-color-adjust:exact;print-color-adjust:exact}}\n";

/* Records a script error on <html> and says so on the page; the browser
 * test reads the attribute. No '<' or '&' inside (XML-safe). */
/* Records how many visible tables need a horizontal scroll bar (a clipped
 * column) in data-memgate-clipped, for the browser test at 1024 and 1600 px
 * (no '<' or '&': the page stays well-formed XML). */
#define REPORT_JS_CLIP                                                                              \
  "var c=0,t=document.querySelectorAll(\".tablebox\");for(var i=0;i!==t.length;i++)"               \
  "if(t[i].clientWidth>0)if(t[i].scrollWidth>t[i].clientWidth+1)c++;"                               \
  "document.documentElement.setAttribute(\"data-memgate-clipped\",String(c));"

static const char report_js_hook[] =
    "window.addEventListener(\"error\",function(e){var d=document.documentElement;"
    "d.setAttribute(\"data-memgate-error\",String(e.message||\"script error\"));"
    "var b=document.body;if(b){var p=document.createElement(\"p\");p.className=\"js-error\";"
    "p.textContent=\"This page hit a script error: \"+String(e.message||\"\");"
    "b.insertBefore(p,b.firstChild);}});";

static void report_counts(FILE *o, const tool_eval *items, size_t n) {
  size_t c[4] = {0, 0, 0, 0};
  for (size_t i = 0; i < n; i++) c[report_rank(items[i].verdict)]++;
  /* by rank: leak, regression, error, pass */
  static const char *const one[4] = {"leak", "regression", "error", "passed"};
  static const char *const many[4] = {"leaks", "regressions", "errors", "passed"};
  static const char *const cls[4] = {"v-leak", "v-regression", "v-error", "v-pass"};
  fputs("<ul class=\"counts\">", o);
  for (int r = 0; r < 4; r++)
    fprintf(o, "<li class=\"%s\">%zu %s</li>", c[r] ? cls[r] : "zero", c[r], c[r] == 1 ? one[r] : many[r]);
  fputs("</ul>\n", o);
}

/* The first `max` distinct values of a string field, joined, then "and
 * others" if there are more (O(n * max): a results file may be long). */
static void report_distinct(FILE *o, const tool_eval *items, size_t n, bool platform, size_t max) {
  const char *shown[8];
  size_t nshown = 0;
  bool more = false;
  if (max > sizeof shown / sizeof shown[0]) max = sizeof shown / sizeof shown[0];
  for (size_t i = 0; i < n && !more; i++) {
    const char *v = platform ? items[i].result->platform : items[i].result->source;
    if (!v || !*v) continue;
    bool seen = false;
    for (size_t j = 0; j < nshown && !seen; j++) seen = strcmp(v, shown[j]) == 0;
    if (seen) continue;
    if (nshown == max) {
      more = true;
      continue;
    }
    fputs(nshown ? ", " : "", o);
    fputs(platform ? "" : "<span class=\"mono\">", o);
    report_html_esc(o, v);
    fputs(platform ? "" : "</span>", o);
    shown[nshown++] = v;
  }
  if (more) fputs(" and others", o);
  if (!nshown) fputs("unknown", o);
}

static void report_change_html(FILE *o, const tool_eval *it) {
  if (!report_measured(it)) {
    fputs("<span class=\"muted\">not measured</span>", o);
    return;
  }
  if (!it->has_baseline) {
    fputs("<span class=\"muted\">no baseline</span>", o);
    return;
  }
  double d = (double)it->result->retained_bytes - (double)it->j.cmp.expected;
  const char *cls = it->result->retained_bytes > it->j.cmp.allowed ? "over"
                    : it->result->retained_bytes < it->j.cmp.expected ? "under"
                                                                         : "";
  char b[48];
  memgate__bytes_f(b, sizeof b, d, true);
  fprintf(o, "<span class=\"%s\" title=\"%.0f bytes\">%s", cls, d, b);
  if (it->j.cmp.expected > 0)
    fprintf(o, " (%+.0f%%)", d * 100.0 / (double)it->j.cmp.expected);
  fputs("</span>", o);
}

static void report_kind_text(FILE *o, const tool_eval *it) {
  if (it->result->kind == MemgateKindRepeat) {
    char c[48];
    report_fmt_count(c, sizeof c, it->result->iterations);
    fprintf(o, "repeat \xC3\x97%s", c);
  } else {
    fputs("scope", o);
  }
}

/* True when the items come from more than one results file: the tables
 * then get a Source column. */
static bool report_many_sources(const tool_eval *items, size_t n) {
  for (size_t i = 1; i < n; i++)
    if (strcmp(report_str(items[i].result->source), report_str(items[0].result->source)) != 0) return true;
  return false;
}

static const char *report_base_name(const char *p) {
  const char *s = p ? strrchr(p, '/') : NULL;
  return s ? s + 1 : report_str(p);
}

static void report_row(FILE *o, const report_ref *r, bool sources) {
  const tool_eval *it = r->it;
  const char *v = report_verdict(it->verdict);
  fprintf(o, "<tr class=\"%s\"><td class=\"scope\"><a href=\"#s%zu\">", report_failed(it) ? "fail" : "pass",
          r->idx);
  report_html_esc(o, it->result->name);
  fputs("</a><span class=\"kind\">", o);
  report_kind_text(o, it);
  fputs("</span></td><td>", o);
  report_html_esc(o, it->result->platform);
  fprintf(o, "</td><td><span class=\"badge v-%s\">%s</span></td><td class=\"num\">", v, v);
  if (report_measured(it)) report_bytes_html(o, (double)it->result->retained_bytes, true);
  else fputs(REPORT_NONE, o);
  fputs("</td><td class=\"num\">", o);
  if (it->result->has_peak) report_bytes_html(o, (double)it->result->peak_bytes, true);
  else fputs(REPORT_NONE, o);
  fputs("</td><td class=\"num\">", o);
  if (it->has_baseline) report_bytes_html(o, (double)it->j.cmp.expected, true);
  else fputs(REPORT_NONE, o);
  fputs("</td><td class=\"num\">", o);
  if (it->has_baseline) report_bytes_html(o, (double)it->j.cmp.allowed, true);
  else fputs(REPORT_NONE, o);
  fputs("</td><td class=\"num chg\">", o);
  report_change_html(o, it);
  fputs("</td><td class=\"spark\">", o);
  report_spark(o, it);
  if (sources) {
    fputs("</td><td class=\"srcc\"><span title=\"", o);
    report_html_esc(o, it->result->source);
    fputs("\">", o);
    report_html_esc(o, report_base_name(it->result->source));
    fputs("</span>", o);
  }
  fputs("</td></tr>\n", o);
}

static void report_table(FILE *o, const report_ref *refs, size_t from, size_t to, bool sources) {
  fprintf(o, "<div class=\"tablebox\"><table>\n<thead><tr><th>Scope</th><th>Platform</th><th>Verdict</th>"
             "<th class=\"num\">Retained</th><th class=\"num\">Peak</th><th class=\"num\">Baseline</th>"
             "<th class=\"num\">Allowed</th><th class=\"num\">Change</th><th class=\"spark\">Footprint</th>%s</tr></thead>\n<tbody>\n",
          sources ? "<th>Source</th>" : "");
  for (size_t i = from; i < to; i++) report_row(o, &refs[i], sources);
  fputs("</tbody></table></div>\n", o);
}

static void report_fact(FILE *o, const char *label) { fprintf(o, "<div><dt>%s</dt><dd>", label); }

/* The card's one-line summary: badge, name, kind, platform, retained. */
static void report_card_summary(FILE *o, const report_ref *r, bool open) {
  const tool_eval *it = r->it;
  const char *v = report_verdict(it->verdict);
  fprintf(o, "<details class=\"card %s\" id=\"s%zu\"%s>\n<summary><span class=\"badge v-%s\">%s</span>",
          report_failed(it) ? "fail" : "pass", r->idx, open ? " open=\"open\"" : "", v, v);
  fputs("<span class=\"card-name\">", o);
  report_html_esc(o, it->result->name);
  fputs("</span><span class=\"card-meta\">", o);
  report_kind_text(o, it);
  if (it->result->kind == MemgateKindRepeat && it->result->warmup > 0) fprintf(o, " after %u warm-up", (unsigned)it->result->warmup);
  if (it->result->platform && *it->result->platform) {
    fputs(" \xC2\xB7 ", o);
    report_html_esc(o, it->result->platform);
  }
  if (report_measured(it)) {
    fputs(" \xC2\xB7 retained ", o);
    report_bytes_html(o, (double)it->result->retained_bytes, true);
  }
  fputs("</span></summary>\n", o);
}

static bool report_has(const char *s) { return s && *s; }

/* The message, error name and place, when there is any. */
static void report_card_msg(FILE *o, const tool_eval *it) {
  if (!report_has(it->message) && !report_has(it->error) && !report_has(it->result->file)) return;
  fprintf(o, "<p class=\"msg%s\">", report_failed(it) ? " fail" : "");
  report_html_esc(o, it->message);
  if (report_has(it->error)) {
    fputs(" <span class=\"mono\">(", o);
    report_html_esc(o, it->error);
    fputs(")</span>", o);
  }
  if (report_has(it->result->file)) {
    fputs("<span class=\"loc\">", o);
    report_html_esc(o, it->result->file);
    if (it->result->line > 0) fprintf(o, ":%d", it->result->line);
    fputs("</span>", o);
  }
  fputs("</p>\n", o);
}

/* One fact: a label and a byte figure. */
static void report_fact_bytes(FILE *o, const char *label, double v, bool sign) {
  report_fact(o, label);
  report_bytes_html(o, v, sign);
  fputs("</dd></div>", o);
}

static void report_card_facts(FILE *o, const tool_eval *it, const report_layers *l, size_t n) {
  bool repeat = it->result->kind == MemgateKindRepeat;
  char b[48];
  fputs("<dl class=\"facts\">", o);
  if (report_measured(it)) {
    report_fact(o, repeat ? "after warm-up \xE2\x86\x92 end" : "begin \xE2\x86\x92 end");
    report_bytes_html(o, (double)it->result->before_bytes, false);
    fputs(" \xE2\x86\x92 ", o);
    report_bytes_html(o, (double)it->result->after_bytes, false);
    fputs("</dd></div>", o);
    report_fact_bytes(o, "retained", (double)it->result->retained_bytes, true);
  }
  if (it->result->has_peak) report_fact_bytes(o, "peak", (double)it->result->peak_bytes, true);
  if (repeat && it->result->has_slope && n >= 2) report_fact_bytes(o, "growth / iteration", it->result->slope_bytes, true);
  if (repeat && it->result->has_heap_slope && l->heap && n >= 2)
    report_fact_bytes(o, "allocator / iteration", it->result->heap_slope_bytes, true);
  if (l->warmup) {
    report_fact(o, "warm-up");
    fprintf(o, "%u\xC3\x97, ", (unsigned)it->result->warmup);
    report_bytes_html(o, (double)it->result->warmup_bytes, true);
    fputs("</dd></div>", o);
  }
  if (it->has_baseline) {
    report_fact(o, "baseline / allowed");
    report_bytes_html(o, (double)it->j.cmp.expected, true);
    fputs(" / ", o);
    report_bytes_html(o, (double)it->j.cmp.allowed, true);
    fputs("</dd></div>", o);
  }
  report_fact(o, "samples");
  report_fmt_count(b, sizeof b, n);
  fputs(b, o);
  if (n > 2 * (size_t)(REPORT_CHART_W - REPORT_CHART_ML - REPORT_CHART_MR))
    fputs(" <span class=\"muted\">(drawn as min/max per pixel)</span>", o);
  fputs("</dd></div></dl>\n", o);
}

static void report_site_frame(FILE *o, const tool_site_frame *fr) {
  report_html_esc(o, fr->function);
  fputs(" <span class=\"muted\">", o);
  report_html_esc(o, fr->file);
  if (fr->line > 0) fprintf(o, ":%d", fr->line);
  fputs("</span>", o);
}

/* "kept alive by: HOLDER (from CALLER) <- ... <- global NAME" under a site. */
static void report_site_kept(FILE *o, const tool_site *st) {
  if (st->kept_root == NULL) return;
  fputs("<div class=\"kept\">kept alive by: ", o);
  if (strcmp(st->kept_root, "none") == 0) {
    fputs("nothing (unreachable: a leak LeakSanitizer and valgrind report too)</div>", o);
    return;
  }
  for (uint32_t h = 0; h < st->n_holders; h++) {
    const tool_site_holder *x = &st->holders[h];
    if (x->n_frames > 0) report_site_frame(o, &x->frames[0]);
    else fputs("?", o);
    if (x->n_frames > 1) {
      fputs(" (from ", o);
      report_site_frame(o, &x->frames[1]);
      fputs(")", o);
    }
    fputs(" \xE2\x86\x90 ", o);
  }
  if (st->kept_truncated) fputs("\xE2\x80\xA6 \xE2\x86\x90 ", o);
  if (strcmp(st->kept_root, "global") == 0) {
    fputs("global ", o);
    report_html_esc(o, st->kept_symbol);
  } else {
    fputs("a pointer on the measuring thread's stack", o);
  }
  if (st->kept_blocks < st->kept_examined)
    fprintf(o, " <span class=\"muted\">(%lld of %lld blocks)</span>", (long long)st->kept_blocks,
            (long long)st->kept_examined);
  fputs("</div>", o);
}

/* The "where" table: the allocation sites that grew (memgate run --sites). */
static void report_card_sites(FILE *o, const tool_eval *it) {
  if (it->result->n_sites == 0) return;
  bool repeat = it->result->kind == MemgateKindRepeat;
  fprintf(o, "<div class=\"tablebox where\"><table><thead><tr><th>where</th><th class=\"num\">%s</th>"
             "<th class=\"num\">blocks</th><th class=\"num\">share</th></tr></thead><tbody>\n",
          repeat ? "per iteration" : "held");
  for (size_t i = 0; i < it->result->n_sites; i++) {
    const tool_site *st = &it->result->sites[i];
    fputs("<tr><td class=\"scope mono\">", o);
    for (size_t f = 0; f < st->n_frames; f++) {
      fputs(f ? "<br>\xE2\x86\x90 " : "", o);
      report_site_frame(o, &st->frames[f]);
    }
    report_site_kept(o, st);
    fputs("</td><td class=\"num\">", o);
    report_bytes_html(o, st->bytes_per_iteration, true);
    fprintf(o, "</td><td class=\"num\">%.1f</td><td class=\"num\">%.0f %%</td></tr>\n",
            st->blocks_per_iteration, st->share * 100.0);
  }
  fputs("</tbody></table></div>\n", o);
}

static void report_card(FILE *o, const report_ref *r, bool open) {
  const tool_eval *it = r->it;
  uint64_t tmp[2];
  size_t n;
  (void)report_series(it, tmp, &n);
  report_layers l = report_layers_of(it, n);
  report_card_summary(o, r, open);
  fputs("<div class=\"card-b\">\n", o);
  report_card_msg(o, it);
  if (n > 0) {
    report_legend(o, &l, it);
    report_chart(o, it, r->idx);
  } else {
    fputs("<p class=\"nodata\">No footprint samples were recorded.</p>\n", o);
  }
  report_card_sites(o, it);
  report_card_facts(o, it, &l, n);
  if (report_has(it->result->source)) {
    fputs("<p class=\"src\">from <span class=\"mono\">", o);
    report_html_esc(o, it->result->source);
    if (it->result->source_line) fprintf(o, ":%u", (unsigned)it->result->source_line);
    fputs("</span></p>\n", o);
  }
  fputs("</div>\n</details>\n", o);
}

static int report_finish(FILE *out) {
  if (fflush(out) != 0 || ferror(out)) return MEMGATE_EIO;
  return 0;
}

static void report_page_head(FILE *out, const char *title) {
  fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; "
        "style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:\"/>\n",
        out);
  fprintf(out, "<meta name=\"generator\" content=\"memgate %s\"/>\n<title>", memgate_version());
  report_html_esc(out, title);
  fprintf(out, "</title>\n<link rel=\"icon\" href=\"data:,\"/>\n<script>%s</script>\n<style>\n%s</style>\n</head>\n",
          report_js_hook, report_css);
}

void memgate_report_page_open(FILE *out, const char *title) { report_page_head(out, title); }

int memgate_report_page_close(FILE *out) {
  fprintf(out, "<footer>memgate %s \xC2\xB7 this page is self-contained: it loads nothing from the "
               "network.</footer>\n</div>\n<script>" REPORT_JS_CLIP "document.documentElement.setAttribute("
               "\"data-memgate-ready\",\"yes\");</script>\n</body>\n</html>\n",
          memgate_version());
  return report_finish(out);
}

/* The page header: title and verdict, platforms, sources, counts. */
static void report_page_header(FILE *out, const tool_eval *items, size_t n, size_t failed,
                               const char *title) {
  fprintf(out, "<body>\n<div class=\"wrap\">\n<header class=\"top %s\">\n<h1>", failed ? "st-fail" : "st-pass");
  report_html_esc(out, title);
  if (n == 0) fputs(": <span class=\"verdict\">no results</span>", out);
  else if (failed) fprintf(out, ": <span class=\"verdict\">%zu of %zu failed</span>", failed, n);
  else fprintf(out, ": <span class=\"verdict\">all %zu passed</span>", n);
  fputs("</h1>\n<p class=\"sub\">", out);
  fprintf(out, "%zu result%s \xC2\xB7 platform ", n, n == 1 ? "" : "s");
  report_distinct(out, items, n, true, 3);
  bool any_source = false;
  for (size_t i = 0; i < n && !any_source; i++) any_source = report_has(items[i].result->source);
  if (any_source) {
    fputs(" \xC2\xB7 from ", out);
    report_distinct(out, items, n, false, 3);
  }
  fputs("</p>\n", out);
  report_counts(out, items, n);
  fputs("<p class=\"hint\">Each chart is the process footprint measured around one scope: after the "
        "warm-up and after every iteration for a repeated block, at begin and end for a single scope. "
        "A leak climbs like a staircase and the dashed red line is its fitted growth; a green band is "
        "the baseline and its tolerance; the purple line is the allocator\xE2\x80\x99s own count where "
        "it was recorded.</p>\n</header>\n",
        out);
}

/* The summary table and the timelines (refs: failures first). */
static void report_page_sections(FILE *out, const report_ref *refs, size_t n, size_t failed, bool sources) {
  /* In a long report with failures, the passing rows wait behind a
   * <details> of their own. */
  bool split = n > MEMGATE_REPORT_OPEN_PASSES_MAX && failed > 0 && failed < n;
  fputs("<section id=\"summary\">\n<h2>Summary</h2>\n", out);
  report_table(out, refs, 0, split ? failed : n, sources);
  if (split) {
    fprintf(out, "<details class=\"more\"><summary>%zu passing scope%s</summary>\n", n - failed,
            n - failed == 1 ? "" : "s");
    report_table(out, refs, failed, n, sources);
    fputs("</details>\n", out);
  }
  fputs("</section>\n", out);

  /* One grid, failures first, so a failing timeline sits next to a
   * passing one. Passes collapse in a long report. */
  bool open = n <= MEMGATE_REPORT_OPEN_PASSES_MAX;
  fprintf(out, "<section id=\"timelines\">\n<h2>Timelines <span class=\"muted\">\xE2\x80\x94 %s%s</span></h2>\n"
               "<div class=\"cards\">\n",
          failed ? "failures first" : "all passed", open || failed == n ? "" : "; passes collapsed, click to open");
  for (size_t i = 0; i < n; i++) report_card(out, &refs[i], i < failed || open);
  fputs("</div>\n</section>\n", out);
}

int memgate_report_html(FILE *out, const tool_eval *items, size_t n, const char *title) {
  if (!out || (!items && n > 0)) return MEMGATE_EINVAL;
  report_ref *refs = report_sorted(items, n);
  if (!refs) return MEMGATE_ENOMEM;
  if (!title || !*title) title = "memgate report";
  size_t failed = 0;
  for (size_t i = 0; i < n; i++) failed += report_failed(&items[i]);
  report_page_head(out, title);
  report_page_header(out, items, n, failed, title);
  if (n == 0) fputs("<p>No results.</p>\n", out);
  else report_page_sections(out, refs, n, failed, report_many_sources(items, n));
  fprintf(out, "<footer>memgate %s \xC2\xB7 this page is self-contained: it loads nothing from the "
               "network.</footer>\n</div>\n<script>" REPORT_JS_CLIP "document.documentElement.setAttribute("
               "\"data-memgate-ready\",\"yes\");</script>\n</body>\n</html>\n",
          memgate_version());
  free(refs);
  return report_finish(out);
}

/* ------------------------------------------------------------------------
 * Markdown
 * ------------------------------------------------------------------------ */

static void report_md_bytes(FILE *o, double v, bool sign) {
  char b[48];
  memgate__bytes_f(b, sizeof b, v, sign);
  fputs(b, o);
}

static void report_md_row(FILE *out, const tool_eval *it, bool sources) {
  const char *bold = report_failed(it) ? "**" : "";
  fputs("| ", out);
  report_md_esc(out, it->result->name);
  fputs(" | ", out);
  report_md_esc(out, it->result->platform);
  fprintf(out, " | %s%s%s | ", bold, report_verdict(it->verdict), bold);
  report_md_bytes(out, (double)it->result->retained_bytes, true);
  fputs(" | ", out);
  if (it->result->has_peak) report_md_bytes(out, (double)it->result->peak_bytes, true);
  else fputs("\xE2\x80\x94", out);
  fputs(" | ", out);
  if (it->has_baseline) {
    report_md_bytes(out, (double)it->j.cmp.expected, true);
    fputs(" | ", out);
    report_md_bytes(out, (double)it->j.cmp.allowed, true);
    fputs(" | ", out);
    double d = (double)it->result->retained_bytes - (double)it->j.cmp.expected;
    report_md_bytes(out, d, true);
    if (it->j.cmp.expected > 0) fprintf(out, " (%+.0f%%)", d * 100.0 / (double)it->j.cmp.expected);
  } else {
    fputs("\xE2\x80\x94 | \xE2\x80\x94 | no baseline", out);
  }
  if (sources) {
    fputs(" | ", out);
    report_md_esc(out, report_base_name(it->result->source));
  }
  fputs(" |\n", out);
}

/* One line per failure: name, verdict, place, message, error name. */
static void report_md_failure(FILE *out, const tool_eval *it) {
  fputs("- **", out);
  report_md_esc(out, it->result->name);
  fprintf(out, "** (%s", report_verdict(it->verdict));
  if (report_has(it->result->file)) {
    fputs(", ", out);
    report_md_esc(out, it->result->file);
    if (it->result->line > 0) fprintf(out, ":%d", it->result->line);
  }
  fputs("): ", out);
  report_md_esc(out, it->message);
  if (report_has(it->error)) {
    fputs(" (", out);
    report_md_esc(out, it->error);
    fputs(")", out);
  }
  fputs("\n", out);
}

int memgate_report_markdown(FILE *out, const tool_eval *items, size_t n) {
  if (!out || (!items && n > 0)) return MEMGATE_EINVAL;
  report_ref *refs = report_sorted(items, n);
  if (!refs) return MEMGATE_ENOMEM;
  size_t failed = 0;
  for (size_t i = 0; i < n; i++) failed += report_failed(&items[i]);

  if (n == 0) fputs("### memgate: no results\n", out);
  else if (failed) fprintf(out, "### memgate: %zu of %zu failed\n", failed, n);
  else fprintf(out, "### memgate: all %zu passed\n", n);
  if (n > 0) {
    bool sources = report_many_sources(items, n);
    fprintf(out, "\n| Scope | Platform | Verdict | Retained | Peak | Baseline | Allowed | Change |%s\n"
                 "|:--|:--|:--|--:|--:|--:|--:|--:|%s\n",
            sources ? " Source |" : "", sources ? ":--|" : "");
    for (size_t i = 0; i < n; i++) report_md_row(out, refs[i].it, sources);
  }
  if (failed) fputs("\n", out);
  for (size_t i = 0; i < failed; i++) report_md_failure(out, refs[i].it);
  free(refs);
  return report_finish(out);
}

/*
 * memgate diff --html: one self-contained page (the report's frame and
 * style, report.h): the table of every scope, failing rows first, then one
 * chart per scope with the base series and the head series on one axis.
 */
#include "diff.h"
#include "report.h"

#include <math.h>
#include <string.h>

#define DIFF_W 600.0
#define DIFF_H 200.0
#define DIFF_ML 76.0
#define DIFF_MR 12.0
#define DIFF_MT 12.0
#define DIFF_MB 24.0
#define DIFF_MAX_POINTS 1200u /* a longer series is drawn from every k-th sample */

const char *tool_diff_status_name(tool_diff_status s) {
  static const char *const names[] = {"regressed", "new", "vanished", "improved", "unchanged"};
  return s <= TOOL_DIFF_SAME ? names[s] : "?";
}

static void esc(FILE *o, const char *s) { memgate__fputs_esc(o, memgate__esc_html, s); }

/* A side's series: the recorded one, or before/after (tmp). */
static const uint64_t *series_of(const tool_eval *e, uint64_t tmp[2], size_t *n) {
  *n = 0;
  if (!e) return NULL;
  const tool_result *r = e->result;
  if (r->series && r->series_count > 0) {
    *n = r->series_count;
    return r->series;
  }
  if (r->before_bytes == 0 && r->after_bytes == 0) return NULL;
  tmp[0] = r->before_bytes;
  tmp[1] = r->after_bytes;
  *n = 2;
  return tmp;
}

typedef struct axis {
  double lo, hi;
  size_t n; /* x positions: the longer series */
} axis;

static void axis_include(axis *a, const uint64_t *s, size_t n) {
  for (size_t i = 0; i < n; i++) {
    if ((double)s[i] < a->lo) a->lo = (double)s[i];
    if ((double)s[i] > a->hi) a->hi = (double)s[i];
  }
  if (n > a->n) a->n = n;
}

static double px(const axis *a, size_t i) {
  return DIFF_ML + (a->n > 1 ? (DIFF_W - DIFF_ML - DIFF_MR) * (double)i / (double)(a->n - 1) : 0);
}

static double py(const axis *a, double v) {
  return DIFF_H - DIFF_MB - (DIFF_H - DIFF_MT - DIFF_MB) * (v - a->lo) / (a->hi - a->lo);
}

static void path(FILE *o, const axis *a, const char *cls, const uint64_t *s, size_t n) {
  if (!s || n == 0) return;
  size_t step = n > DIFF_MAX_POINTS ? (n + DIFF_MAX_POINTS - 1) / DIFF_MAX_POINTS : 1;
  fprintf(o, "<path class=\"%s\" d=\"", cls);
  for (size_t i = 0; i < n; i += step) fprintf(o, "%s%.1f %.1f", i ? "L" : "M", px(a, i), py(a, (double)s[i]));
  if ((n - 1) % step) fprintf(o, "L%.1f %.1f", px(a, n - 1), py(a, (double)s[n - 1]));
  fputs("\"/>\n", o);
}

static void y_label(FILE *o, const axis *a, double v) {
  char b[32];
  memgate__bytes(b, sizeof b, (int64_t)v, false);
  fprintf(o, "<text class=\"ax\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", DIFF_ML - 6, py(a, v) + 4, b);
}

static void chart(FILE *o, const tool_diff_row *row) {
  uint64_t bt[2], ht[2];
  size_t nb, nh;
  const uint64_t *bs = series_of(row->base, bt, &nb), *hs = series_of(row->head, ht, &nh);
  axis a = {INFINITY, -INFINITY, 0};
  axis_include(&a, bs, nb);
  axis_include(&a, hs, nh);
  if (a.n == 0) {
    fputs("<p class=\"nodata\">No footprint samples were recorded.</p>\n", o);
    return;
  }
  double span = a.hi - a.lo, min_span = a.hi * 0.05 > 4096 ? a.hi * 0.05 : 4096;
  if (span < min_span) {
    a.lo -= (min_span - span) / 2;
    a.hi = a.lo + min_span;
  }
  if (a.lo < 0) {
    a.hi -= a.lo;
    a.lo = 0;
  }
  fprintf(o, "<svg class=\"chart\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"base and head footprint\">\n",
          DIFF_W, DIFF_H);
  fprintf(o, "<rect class=\"plot\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", DIFF_ML, DIFF_MT,
          DIFF_W - DIFF_ML - DIFF_MR, DIFF_H - DIFF_MT - DIFF_MB);
  y_label(o, &a, a.lo);
  y_label(o, &a, a.hi);
  path(o, &a, "base", bs, nb);
  path(o, &a, "head", hs, nh);
  fputs("</svg>\n<ul class=\"legend\"><li><span class=\"sw sw-base\"></span>base</li>"
        "<li><span class=\"sw sw-head\"></span>head</li></ul>\n",
        o);
}

static void bytes_cell(FILE *o, const tool_eval *e, bool peak) {
  char b[32];
  const tool_result *r = e ? e->result : NULL;
  if (!r || (peak && !r->has_peak)) fputs("<td class=\"num\">\xE2\x80\x94</td>", o);
  else {
    memgate__bytes(b, sizeof b, peak ? r->peak_bytes : r->retained_bytes, true);
    fprintf(o, "<td class=\"num\">%s</td>", b);
  }
}

static const tool_result *row_result(const tool_diff_row *row) {
  return row->head ? row->head->result : row->base->result;
}

static void table_row(FILE *o, const tool_diff_row *row, size_t idx) {
  fprintf(o, "<tr class=\"%s\"><td><a href=\"#d%zu\">", row->failed ? "fail" : "pass", idx);
  esc(o, row_result(row)->name);
  fputs("</a></td><td>", o);
  esc(o, row_result(row)->platform);
  fprintf(o, "</td><td><span class=\"badge %s\">%s</span></td>", row->failed ? "v-leak" : "v-pass",
          tool_diff_status_name(row->status));
  bytes_cell(o, row->base, false);
  bytes_cell(o, row->head, false);
  bytes_cell(o, row->base, true);
  bytes_cell(o, row->head, true);
  fprintf(o, "<td>%s \xE2\x86\x92 %s</td></tr>\n", row->base ? tool_eval_status(row->base) : "\xE2\x80\x94",
          row->head ? tool_eval_status(row->head) : "\xE2\x80\x94");
}

static void card(FILE *o, const tool_diff_row *row, size_t idx) {
  fprintf(o, "<details class=\"card %s\" id=\"d%zu\" open=\"open\">\n<summary><span class=\"badge %s\">%s</span>"
             "<span class=\"card-name\">",
          row->failed ? "fail" : "pass", idx, row->failed ? "v-leak" : "v-pass", tool_diff_status_name(row->status));
  esc(o, row_result(row)->name);
  fputs("</span><span class=\"card-meta\">", o);
  esc(o, row_result(row)->platform);
  fputs("</span></summary>\n<div class=\"card-b\">\n", o);
  chart(o, row);
  fputs("</div>\n</details>\n", o);
}

static const char k_style[] = "<style>\npath.base{fill:none;stroke:#9ca3af;stroke-width:2;stroke-dasharray:5 3}\n"
                              "path.head{fill:none;stroke:#2563eb;stroke-width:2}\n"
                              ".sw-base{border-top:2px dashed #9ca3af}.sw-head{border-top:2px solid #2563eb}\n"
                              "rect.plot{fill:#fff;stroke:#d1d9e0}text.ax{font-size:11px;fill:#59636e}\n</style>\n";

int tool_diff_html(FILE *out, const tool_diff *d, const char *title) {
  memgate_report_page_open(out, title);
  fprintf(out, "<body>\n%s<div class=\"wrap\">\n<header class=\"top %s\">\n<h1>", k_style,
          d->failed ? "st-fail" : "st-pass");
  esc(out, title);
  fprintf(out, ": <span class=\"verdict\">%s</span></h1>\n<p class=\"sub\">%zu scopes: %zu regressed, %zu improved, "
               "%zu unchanged, %zu new, %zu vanished</p>\n</header>\n",
          d->failed ? "head regressed" : "no regression", d->n, d->counts[TOOL_DIFF_REGRESSED],
          d->counts[TOOL_DIFF_IMPROVED], d->counts[TOOL_DIFF_SAME], d->counts[TOOL_DIFF_NEW],
          d->counts[TOOL_DIFF_VANISHED]);
  fputs("<section id=\"summary\">\n<div class=\"tablebox\"><table>\n<thead><tr><th>Scope</th><th>Platform</th>"
        "<th>Change</th><th class=\"num\">Base retained</th><th class=\"num\">Head retained</th>"
        "<th class=\"num\">Base peak</th><th class=\"num\">Head peak</th><th>Verdict</th></tr></thead>\n<tbody>\n",
        out);
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < d->n; i++)
      if (d->rows[i].failed == (pass == 0)) table_row(out, &d->rows[i], i);
  fputs("</tbody></table></div>\n</section>\n<section id=\"timelines\">\n<div class=\"cards\">\n", out);
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < d->n; i++)
      if (d->rows[i].failed == (pass == 0)) card(out, &d->rows[i], i);
  fputs("</div>\n</section>\n", out);
  return memgate_report_page_close(out);
}

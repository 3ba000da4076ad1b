/*
 * memgate report --history: one self-contained page in the report's frame
 * (report.h): a table of every scope (failing now first) and one chart per
 * scope and platform: retained, peak and growth per iteration at each
 * commit on a shared commit axis, the baseline band of retained, failing
 * commits in red and a mark at the commit where the scope first failed.
 * Text goes through the one HTML escaper, bytes through the one formatter.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "history.h"
#include "report.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define HW 720.0
#define HH 220.0
#define HML 76.0
#define HMR 14.0
#define HMT 14.0
#define HMB 40.0
#define H_DOTS_MAX 60 /* a dot (with its tooltip) per commit up to this many commits */
#define H_XLABELS 6

static void esc(FILE *o, const char *s) { memgate__fputs_esc(o, memgate__esc_html, s); }

/* "abc1234" (the first 7 digits) or "no commit". */
static void short_commit(char *b, size_t cap, const char *id) {
  if (*id) snprintf(b, cap, "%.7s", id);
  else snprintf(b, cap, "no commit");
}

/* "2026-12-01 12:36" UTC, or "" when unknown. */
static void date_of(char *b, size_t cap, int64_t ms) {
  time_t t = (time_t)(ms / 1000);
  struct tm tm;
  b[0] = '\0';
  if (ms != INT64_MAX && gmtime_r(&t, &tm))
    memgate__msgf(b, cap, "%04d-%02d-%02d %02d:%02d", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
             tm.tm_min);
}

typedef struct hplot {
  double lo, hi;
  size_t ncommits;
} hplot;

static double hx(const hplot *p, size_t commit) {
  double w = HW - HML - HMR;
  return HML + (p->ncommits > 1 ? w * (double)commit / (double)(p->ncommits - 1) : w / 2);
}

static double hy(const hplot *p, double v) { return HH - HMB - (HH - HMT - HMB) * (v - p->lo) / (p->hi - p->lo); }

/* The three figures of a point: 0 retained, 1 peak, 2 growth per iteration. */
static bool figure(const tool_hist_point *pt, int which, double *v) {
  const tool_result *r = pt->r;
  if (which == 0) *v = (double)r->retained_bytes;
  else if (which == 1) *v = (double)r->peak_bytes;
  else *v = r->slope_bytes;
  return which == 0 || (which == 1 ? r->has_peak : r->kind == MemgateKindRepeat && r->has_slope);
}

static void include(hplot *p, double v) {
  if (v < p->lo) p->lo = v;
  if (v > p->hi) p->hi = v;
}

static hplot plot_of(const tool_hist_scope *s, size_t ncommits) {
  hplot p = {0, 0, ncommits};
  for (size_t i = 0; i < s->n; i++) {
    double v;
    for (int w = 0; w < 3; w++)
      if (figure(&s->pts[i], w, &v)) include(&p, v);
    if (s->pts[i].has_band) include(&p, s->pts[i].band_hi), include(&p, s->pts[i].band_lo);
  }
  if (p.hi - p.lo < 4096) p.hi = p.lo + 4096;
  p.hi += (p.hi - p.lo) * 0.06;
  return p;
}

/* Half the distance between two commits: a band step's half width. */
static double half_step(const hplot *p) {
  return p->ncommits > 1 ? (HW - HML - HMR) / (double)(p->ncommits - 1) / 2 : 8;
}

static void band(FILE *o, const hplot *p, const tool_hist_scope *s) {
  bool any = false;
  double d = half_step(p);
  for (size_t i = 0; i < s->n; i++) {
    const tool_hist_point *pt = &s->pts[i];
    if (!pt->has_band) continue;
    if (!any) fputs("<path class=\"hband\" d=\"", o);
    any = true;
    double x = hx(p, pt->commit), l = x - d < HML ? HML : x - d, r = x + d > HW - HMR ? HW - HMR : x + d;
    fprintf(o, "M%.1f %.1fH%.1fV%.1fH%.1fZ", l, hy(p, pt->band_hi), r, hy(p, pt->band_lo), l);
  }
  if (any) fputs("\"/>\n", o);
}

/* One figure across the commits: a path (gaps where a commit lacks it). */
static void series(FILE *o, const hplot *p, const tool_hist_scope *s, int which, const char *cls) {
  bool open = false;
  double v;
  size_t prev = 0;
  for (size_t i = 0; i < s->n; i++) {
    if (!figure(&s->pts[i], which, &v)) {
      prev = SIZE_MAX;
      continue;
    }
    if (!open) fprintf(o, "<path class=\"%s\" d=\"", cls);
    fprintf(o, "%s%.1f %.1f", open && prev != SIZE_MAX ? "L" : "M", hx(p, s->pts[i].commit), hy(p, v));
    open = true;
    prev = i;
  }
  if (open) fputs("\"/>\n", o);
}

/* A dot per commit (with its tooltip) when there are few, else only the
 * failing ones; failing dots red. */
static void dots(FILE *o, const hplot *p, const tool_history *h, const tool_hist_scope *s) {
  char c[16], d[32], ret[32], peak[32];
  for (size_t i = 0; i < s->n; i++) {
    const tool_hist_point *pt = &s->pts[i];
    if (!pt->failed && h->ncommits > H_DOTS_MAX) continue;
    short_commit(c, sizeof c, h->commits[pt->commit].id);
    date_of(d, sizeof d, h->commits[pt->commit].time_ms);
    memgate__bytes(ret, sizeof ret, pt->r->retained_bytes, true);
    if (pt->r->has_peak) memgate__bytes(peak, sizeof peak, pt->r->peak_bytes, true);
    else snprintf(peak, sizeof peak, "none");
    fprintf(o, "<circle class=\"%s\" cx=\"%.1f\" cy=\"%.1f\" r=\"%s\"><title>%s %s: %s, retained %s, peak %s</title>"
               "</circle>\n",
            pt->failed ? "hfail" : "hpt", hx(p, pt->commit), hy(p, (double)pt->r->retained_bytes),
            pt->failed ? "4" : "2.5", c, d, memgate_verdict_name(pt->r->verdict), ret, peak);
  }
}

/* The mark at the commit where the scope first failed. */
static void first_fail(FILE *o, const hplot *p, const tool_history *h, const tool_hist_scope *s) {
  if (s->first_fail == s->n) return;
  char c[16];
  const tool_hist_point *pt = &s->pts[s->first_fail];
  double x = hx(p, pt->commit);
  short_commit(c, sizeof c, h->commits[pt->commit].id);
  fprintf(o, "<line class=\"hfirst\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n"
             "<text class=\"hfirst\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\">first failed: %s</text>\n",
          x, HMT, x, HH - HMB, x > HW / 2 ? x - 4 : x + 4, HMT + 12, x > HW / 2 ? "end" : "start", c);
}

static void axes(FILE *o, const hplot *p, const tool_history *h) {
  char b[32];
  double ys[3] = {p->lo, (p->lo + p->hi) / 2, p->hi};
  fprintf(o, "<rect class=\"hplot\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\"/>\n", HML, HMT,
          HW - HML - HMR, HH - HMT - HMB);
  for (int i = 0; i < 3; i++) {
    memgate__bytes(b, sizeof b, (int64_t)llround(ys[i]), false);
    fprintf(o, "<text class=\"hax\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", HML - 6, hy(p, ys[i]) + 4, b);
  }
  if (p->lo < 0 && p->hi > 0)
    fprintf(o, "<line class=\"hzero\" x1=\"%.1f\" y1=\"%.1f\" x2=\"%.1f\" y2=\"%.1f\"/>\n", HML, hy(p, 0), HW - HMR,
            hy(p, 0));
  size_t k = h->ncommits > H_XLABELS ? (h->ncommits - 1 + H_XLABELS - 1) / (H_XLABELS - 1) : 1;
  for (size_t i = 0; i < h->ncommits; i += k) {
    short_commit(b, sizeof b, h->commits[i].id);
    fprintf(o, "<text class=\"hax\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%s</text>\n", hx(p, i),
            HH - HMB + 16, b);
    date_of(b, sizeof b, h->commits[i].time_ms);
    fprintf(o, "<text class=\"hax hdate\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"middle\">%.10s</text>\n", hx(p, i),
            HH - HMB + 30, b);
  }
}

static void chart(FILE *o, const tool_history *h, const tool_hist_scope *s) {
  hplot p = plot_of(s, h->ncommits);
  fprintf(o, "<svg class=\"hsvg\" viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"retained, peak and growth per "
             "iteration across commits\">\n",
          HW, HH);
  axes(o, &p, h);
  band(o, &p, s);
  series(o, &p, s, 1, "hpeak");
  series(o, &p, s, 2, "hgrowth");
  series(o, &p, s, 0, "hret");
  dots(o, &p, h, s);
  first_fail(o, &p, h, s);
  fputs("</svg>\n<ul class=\"legend\"><li><span class=\"sw sw-hret\"></span>retained</li>"
        "<li><span class=\"sw sw-hpeak\"></span>peak</li><li><span class=\"sw sw-hgrowth\"></span>growth per "
        "iteration</li><li><span class=\"sw sw-hband\"></span>baseline band (expected to allowed)</li>"
        "<li><span class=\"sw sw-hfail\"></span>failed at that commit</li></ul>\n",
        o);
}

static const tool_hist_point *newest(const tool_hist_scope *s) { return s->n ? &s->pts[s->n - 1] : NULL; }

static bool failing(const tool_hist_scope *s) { return s->n && s->pts[s->n - 1].failed; }

static void bytes_td(FILE *o, bool has, double v) {
  char b[32];
  if (!has) {
    fputs("<td class=\"num\">\xE2\x80\x94</td>", o);
    return;
  }
  memgate__bytes_f(b, sizeof b, v, true);
  fprintf(o, "<td class=\"num\">%s</td>", b);
}

static void table_row(FILE *o, const tool_history *h, const tool_hist_scope *s, size_t idx) {
  const tool_hist_point *pt = newest(s);
  char c[16], d[32];
  fprintf(o, "<tr class=\"%s\"><td><a href=\"#h%zu\">", failing(s) ? "fail" : "pass", idx);
  esc(o, s->name);
  fputs("</a></td><td>", o);
  esc(o, s->platform);
  fprintf(o, "</td><td class=\"num\">%zu</td>", s->n);
  bytes_td(o, true, (double)pt->r->retained_bytes);
  bytes_td(o, pt->r->has_peak, (double)pt->r->peak_bytes);
  bytes_td(o, pt->r->kind == MemgateKindRepeat && pt->r->has_slope, pt->r->slope_bytes);
  fprintf(o, "<td><span class=\"badge %s\">%s</span></td><td>", failing(s) ? "v-leak" : "v-pass",
          memgate_verdict_name(pt->r->verdict));
  if (s->first_fail < s->n) {
    short_commit(c, sizeof c, h->commits[s->pts[s->first_fail].commit].id);
    date_of(d, sizeof d, h->commits[s->pts[s->first_fail].commit].time_ms);
    fprintf(o, "<code>%s</code> %s", c, d);
  } else {
    fputs("\xE2\x80\x94", o);
  }
  fputs("</td></tr>\n", o);
}

static void card(FILE *o, const tool_history *h, const tool_hist_scope *s, size_t idx) {
  fprintf(o, "<details class=\"card %s hchart\" id=\"h%zu\" open=\"open\">\n<summary><span class=\"badge %s\">%s</span>"
             "<span class=\"card-name\">",
          failing(s) ? "fail" : "pass", idx, failing(s) ? "v-leak" : "v-pass", failing(s) ? "failing" : "passing");
  esc(o, s->name);
  fputs("</span><span class=\"card-meta\">", o);
  esc(o, s->platform);
  fprintf(o, " \xC2\xB7 %zu of %zu commits</span></summary>\n<div class=\"card-b\">\n", s->n, h->ncommits);
  chart(o, h, s);
  fputs("</div>\n</details>\n", o);
}

static const char k_style[] =
    "<style>\npath.hret{fill:none;stroke:#2563eb;stroke-width:2}\npath.hpeak{fill:none;stroke:#d97706;stroke-width:1.5}\n"
    "path.hgrowth{fill:none;stroke:#7c3aed;stroke-width:1.5;stroke-dasharray:4 3}\npath.hband{fill:#16a34a;"
    "fill-opacity:.14;stroke:none}\ncircle.hpt{fill:#2563eb}circle.hfail{fill:#dc2626}\nline.hfirst{stroke:#dc2626;"
    "stroke-width:1.5;stroke-dasharray:5 3}text.hfirst{font-size:11px;fill:#dc2626;font-weight:600}\n"
    "line.hzero{stroke:#9ca3af;stroke-width:1}rect.hplot{fill:#fff;stroke:#d1d9e0}text.hax{font-size:11px;"
    "fill:#59636e}text.hdate{font-size:10px}\nsvg.hsvg{width:100%;height:auto;display:block}\n"
    ".sw-hret{border-top:2px solid #2563eb}.sw-hpeak{border-top:2px solid #d97706}.sw-hgrowth{border-top:2px dashed "
    "#7c3aed}.sw-hband{background:rgba(22,163,74,.25);height:8px}.sw-hfail{background:#dc2626;height:8px;"
    "border-radius:4px}\n</style>\n";

static void header(FILE *out, const tool_history *h, const char *title) {
  char a[32], b[32];
  date_of(a, sizeof a, h->ncommits ? h->commits[0].time_ms : INT64_MAX);
  date_of(b, sizeof b, h->ncommits ? h->commits[h->ncommits - 1].time_ms : INT64_MAX);
  fprintf(out, "<body>\n%s<div class=\"wrap\">\n<header class=\"top %s\">\n<h1>", k_style,
          h->failing_now ? "st-fail" : "st-pass");
  esc(out, title);
  fprintf(out, ": <span class=\"verdict\">%zu of %zu scopes failing at the newest commit</span></h1>\n"
               "<p class=\"sub\">%zu commits, %s to %s (UTC); one chart per scope and platform</p>\n</header>\n",
          h->failing_now, h->nscopes, h->ncommits, *a ? a : "?", *b ? b : "?");
}

/* The scopes failing at the newest commit first, then the rest, each in
 * name order (the order of the table and of the cards). NULL: no memory. */
static size_t *failing_first(const tool_history *h) {
  size_t *order = malloc((h->nscopes ? h->nscopes : 1) * sizeof *order), nf = 0, k = 0;
  if (!order) return NULL;
  for (size_t i = 0; i < h->nscopes; i++) nf += failing(&h->scopes[i]);
  for (size_t i = 0; i < h->nscopes; i++) order[failing(&h->scopes[i]) ? k++ : nf + (i - k)] = i;
  return order;
}

int tool_history_html(FILE *out, const tool_history *h, const char *title) {
  size_t *order = failing_first(h);
  if (!order) return MEMGATE_ENOMEM;
  if (!title) title = "memgate history";
  memgate_report_page_open(out, title);
  header(out, h, title);
  fputs("<section id=\"summary\">\n<div class=\"tablebox\"><table>\n<thead><tr><th>Scope</th><th>Platform</th>"
        "<th class=\"num\">Commits</th><th class=\"num\">Retained</th><th class=\"num\">Peak</th>"
        "<th class=\"num\">Growth/iter</th><th>Verdict</th><th>First failed</th></tr></thead>\n<tbody>\n",
        out);
  for (size_t k = 0; k < h->nscopes; k++) table_row(out, h, &h->scopes[order[k]], order[k]);
  fputs("</tbody></table></div>\n</section>\n<section id=\"timelines\">\n<div class=\"cards\">\n", out);
  for (size_t k = 0; k < h->nscopes; k++) card(out, h, &h->scopes[order[k]], order[k]);
  fputs("</div>\n</section>\n", out);
  free(order);
  return memgate_report_page_close(out);
}

static void md_bytes(FILE *o, bool has, double v) {
  char b[32];
  memgate__bytes_f(b, sizeof b, v, true);
  fprintf(o, " %s |", has ? b : "\xE2\x80\x94");
}

int tool_history_markdown(FILE *out, const tool_history *h) {
  char c[16];
  fprintf(out, "### memgate history: %zu of %zu scopes failing at the newest commit (%zu commits)\n\n"
               "| Scope | Platform | Commits | Retained | Peak | Growth/iter | Verdict | First failed |\n"
               "|---|---|--:|--:|--:|--:|---|---|\n",
          h->failing_now, h->nscopes, h->ncommits);
  size_t *order = failing_first(h);
  if (!order) return MEMGATE_ENOMEM;
  for (size_t k = 0; k < h->nscopes; k++) {
    const tool_hist_scope *s = &h->scopes[order[k]];
    const tool_result *r = newest(s)->r;
    fputs("| ", out);
    memgate__fputs_esc(out, memgate__esc_md, s->name);
    fputs(" | ", out);
    memgate__fputs_esc(out, memgate__esc_md, s->platform);
    fprintf(out, " | %zu |", s->n);
    md_bytes(out, true, (double)r->retained_bytes);
    md_bytes(out, r->has_peak, (double)r->peak_bytes);
    md_bytes(out, r->kind == MemgateKindRepeat && r->has_slope, r->slope_bytes);
    short_commit(c, sizeof c, s->first_fail < s->n ? h->commits[s->pts[s->first_fail].commit].id : "");
    fprintf(out, " %s | %s |\n", memgate_verdict_name(r->verdict),
            s->first_fail < s->n ? c : "\xE2\x80\x94");
  }
  free(order);
  return fflush(out) != 0 || ferror(out) ? MEMGATE_EIO : 0;
}

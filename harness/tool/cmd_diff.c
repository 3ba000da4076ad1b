/*
 * memgate diff BASE.jsonl... -- HEAD.jsonl...: what a change did to memory,
 * scope by scope (diff.h). Text on standard output, Markdown (--markdown,
 * and appended to $GITHUB_STEP_SUMMARY), an HTML page (--html).
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "diff.h"

#include <stdlib.h>
#include <string.h>

static const char k_about[] =
    "Compares the results of a base run (e.g. the main branch) with those of a head run\n"
    "(e.g. a pull request), scope by scope: retained, peak, growth per iteration and the\n"
    "verdicts of both, the change in bytes and percent, scopes new in head and scopes that\n"
    "vanished. Head regressed when its retained (or peak) is above base by more than the\n"
    "tolerance (the scope's baseline entry's tolerances, else the defaults: 64 KiB or 10 %,\n"
    "peak 256 KiB or 25 %), or when it fails (leak, error) where base passed; a new scope\n"
    "that fails counts too. Options come before `--`.\n";
static const char k_after[] =
    "\nWhen $GITHUB_STEP_SUMMARY is set, the Markdown is appended to it.\n"
    "exit status: 0 head did not regress, 1 it did, 2 bad input or usage\n";

typedef struct diff_opts {
  const char *baselines, *markdown, *html, *title;
} diff_opts;

/* ------------------------------------------------------------------------
 * The model
 * ------------------------------------------------------------------------ */

static bool eval_failed(const tool_eval *e) { return e->verdict != MemgateVerdictPass; }

/* Head against base as the expectation, with the tolerances of the scope's
 * baseline entry when there is one (else the defaults). */
static void diff_compare(tool_diff_row *row) {
  const tool_result *b = row->base->result, *h = row->head->result;
  const memgate__bl_entry *bl = row->head->judged ? row->head->j.entry : NULL;
  memgate__bl_entry e;
  memset(&e, 0, sizeof e);
  e.kind = (int)b->kind;
  e.iterations = b->kind == MemgateKindRepeat && b->iterations ? b->iterations : 1;
  e.retained_bytes = b->retained_bytes > 0 ? b->retained_bytes : 0;
  e.peak_bytes = b->has_peak && b->peak_bytes >= MEMGATE__BL_PEAK_FLOOR_BYTES ? b->peak_bytes : -1;
  e.tolerance_bytes = bl ? bl->tolerance_bytes : -1;
  e.tolerance_percent = bl ? bl->tolerance_percent : -1;
  e.peak_tolerance_bytes = bl ? bl->peak_tolerance_bytes : -1;
  e.peak_tolerance_percent = bl ? bl->peak_tolerance_percent : -1;
  memgate__bl_compare(&e, h->kind, h->iterations, h->retained_bytes, h->has_peak, h->peak_bytes, &row->cmp);
}

static void diff_classify(tool_diff_row *row) {
  if (!row->base) {
    row->status = TOOL_DIFF_NEW;
    row->failed = eval_failed(row->head);
    return;
  }
  if (!row->head) {
    row->status = TOOL_DIFF_VANISHED;
    return;
  }
  diff_compare(row);
  bool bf = eval_failed(row->base), hf = eval_failed(row->head);
  if ((hf && !bf) || row->cmp.outcome == MEMGATE__BL_REGRESSION || row->cmp.outcome == MEMGATE__BL_KIND_MISMATCH)
    row->status = TOOL_DIFF_REGRESSED;
  else if ((bf && !hf) || row->cmp.outcome == MEMGATE__BL_IMPROVEMENT)
    row->status = TOOL_DIFF_IMPROVED;
  else
    row->status = TOOL_DIFF_SAME;
  row->failed = row->status == TOOL_DIFF_REGRESSED;
}

static int group_key_cmp(const tool_group *a, const tool_group *b) {
  int c = strcmp(a->shown->result->name, b->shown->result->name);
  return c ? c : strcmp(a->shown->result->platform, b->shown->result->platform);
}

/* Pairs the groups of both sides (each sorted by scope, platform). 0 or MEMGATE_ENOMEM. */
static int diff_pair(tool_diff *d) {
  size_t i = 0, j = 0;
  d->rows = calloc(d->base.ngroup + d->head.ngroup + 1, sizeof *d->rows);
  if (!d->rows) return MEMGATE_ENOMEM;
  while (i < d->base.ngroup || j < d->head.ngroup) {
    tool_diff_row *row = &d->rows[d->n++];
    int c = i == d->base.ngroup   ? 1
            : j == d->head.ngroup ? -1
                                  : group_key_cmp(&d->base.groups[i], &d->head.groups[j]);
    if (c <= 0) row->base = d->base.groups[i++].shown;
    if (c >= 0) row->head = d->head.groups[j++].shown;
    diff_classify(row);
    d->counts[row->status]++;
    d->failed += row->failed;
  }
  return 0;
}

static void diff_free(tool_diff *d) {
  free(d->rows);
  tool_report_free(&d->base);
  tool_report_free(&d->head);
}

/* ------------------------------------------------------------------------
 * Text and Markdown
 * ------------------------------------------------------------------------ */

static const tool_result *row_result(const tool_diff_row *row) {
  return row->head ? row->head->result : row->base->result;
}

/* "+12.0 KiB, +5%", or "+12.0 KiB from 0". */
static void change_text(char *buf, size_t cap, const tool_diff_row *row) {
  char b[32];
  int64_t base = row->base->result->retained_bytes, d = row->head->result->retained_bytes - base;
  memgate__bytes(b, sizeof b, d, true);
  if (base > 0) snprintf(buf, cap, "%s, %+.0f%%", b, (double)d * 100.0 / (double)base);
  else snprintf(buf, cap, "%s%s", b, d > 0 ? " from 0" : "");
}

/* One side's figures: retained, peak, growth per iteration, verdict. */
typedef struct side_text {
  char retained[32], peak[32], growth[32];
  const char *verdict;
} side_text;

static void side_of(side_text *s, const tool_eval *e) {
  strcpy(s->retained, "-");
  strcpy(s->peak, "-");
  strcpy(s->growth, "-");
  s->verdict = "-";
  if (!e) return;
  const tool_result *r = e->result;
  memgate__bytes(s->retained, sizeof s->retained, r->retained_bytes, true);
  if (r->has_peak) memgate__bytes(s->peak, sizeof s->peak, r->peak_bytes, true);
  if (r->kind == MemgateKindRepeat && r->has_slope) memgate__bytes_f(s->growth, sizeof s->growth, r->slope_bytes, true);
  s->verdict = tool_eval_status(e);
}

static void write_text_row(FILE *out, const tool_diff_row *row) {
  char name[1100], change[64] = "-";
  side_text b, h;
  side_of(&b, row->base);
  side_of(&h, row->head);
  if (row->base && row->head) change_text(change, sizeof change, row);
  memgate__esc_str(name, sizeof name, memgate__esc_term, row_result(row)->name);
  fprintf(out, "%-10s %s [%s]: retained %s -> %s (%s), peak %s -> %s, growth/iteration %s -> %s, verdict %s -> %s\n",
          tool_diff_status_name(row->status), name, row_result(row)->platform, b.retained, h.retained, change,
          b.peak, h.peak, b.growth, h.growth, b.verdict, h.verdict);
}

static void write_text(FILE *out, const tool_diff *d) {
  for (size_t i = 0; i < d->n; i++) write_text_row(out, &d->rows[i]);
  fprintf(out, "memgate diff: %zu scopes: %zu regressed, %zu improved, %zu unchanged, %zu new, %zu vanished: %s\n", d->n,
          d->counts[TOOL_DIFF_REGRESSED], d->counts[TOOL_DIFF_IMPROVED], d->counts[TOOL_DIFF_SAME],
          d->counts[TOOL_DIFF_NEW], d->counts[TOOL_DIFF_VANISHED], d->failed ? "FAIL" : "OK");
}

static void md(memgate__buf *b, const char *s) { memgate__buf_esc(b, memgate__esc_md, s); }

static void md_row(memgate__buf *b, const tool_diff_row *row) {
  char change[64] = "\xE2\x80\x94";
  side_text bs, hs;
  side_of(&bs, row->base);
  side_of(&hs, row->head);
  if (row->base && row->head) change_text(change, sizeof change, row);
  memgate__buf_printf(b, "| %s%s%s | ", row->failed ? "**" : "", tool_diff_status_name(row->status), row->failed ? "**" : "");
  md(b, row_result(row)->name);
  memgate__buf_puts(b, " | ");
  md(b, row_result(row)->platform);
  memgate__buf_printf(b, " | %s | %s | %s | %s \xE2\x86\x92 %s | %s \xE2\x86\x92 %s | %s \xE2\x86\x92 %s |\n", bs.retained,
                      hs.retained, change, bs.peak, hs.peak, bs.growth, hs.growth, bs.verdict, hs.verdict);
}

/* The Markdown (PR comment, step summary), malloc'd, or NULL. */
static char *markdown_of(const tool_diff *d, const char *title) {
  memgate__buf b;
  memset(&b, 0, sizeof b);
  memgate__buf_puts(&b, "### ");
  md(&b, title);
  memgate__buf_printf(&b, ": %s\n\n%zu scopes: %zu regressed, %zu improved, %zu unchanged, %zu new, %zu vanished.\n\n",
                      d->failed ? "head regressed" : "no regression", d->n, d->counts[TOOL_DIFF_REGRESSED],
                      d->counts[TOOL_DIFF_IMPROVED], d->counts[TOOL_DIFF_SAME], d->counts[TOOL_DIFF_NEW],
                      d->counts[TOOL_DIFF_VANISHED]);
  memgate__buf_puts(&b, "| Status | Scope | Platform | Base retained | Head retained | Change | Peak | Growth / iteration | Verdict |\n"
                        "|:--|:--|:--|--:|--:|--:|--:|--:|:--|\n");
  for (int pass = 0; pass < 2; pass++) /* failing rows first */
    for (size_t i = 0; i < d->n; i++)
      if (d->rows[i].failed == (pass == 0)) md_row(&b, &d->rows[i]);
  if (b.oom) {
    memgate__buf_free(&b);
    return NULL;
  }
  return b.p;
}

/* ------------------------------------------------------------------------
 * The command
 * ------------------------------------------------------------------------ */

/* Judges both sides with the baselines and pairs them. 0 or an exit status. */
static int diff_build(tool_diff *d, const tool_results *base, const tool_results *head, const diff_opts *o,
                      memgate__bl_set *set) {
  memgate__bl_policy pol;
  tool_check_opts co;
  memset(&co, 0, sizeof co);
  co.baselines = o->baselines;
  int status = tool_check_policy(&pol, &co);
  if (!status) status = tool_load_baselines(set, o->baselines);
  if (status) return status;
  if (tool_report_build(&d->base, base, set, &pol) || tool_report_build(&d->head, head, set, &pol) || diff_pair(d)) {
    tool_err("diff: out of memory");
    return TOOL_EXIT_USAGE;
  }
  return 0;
}

static int write_md_file(const char *path, const char *text, bool append) {
  char err[1024];
  int rc = append ? tool_append_file(path, text, strlen(text), err, sizeof err)
                  : tool_write_file_atomic(path, text, strlen(text), err, sizeof err);
  if (rc) tool_err("diff: cannot write %s (%s)", path, err);
  return rc ? TOOL_EXIT_USAGE : 0;
}

static int write_html_file(const char *path, const tool_diff *d, const char *title) {
  char err[1024], *data = NULL;
  size_t len = 0;
  FILE *f = open_memstream(&data, &len);
  int rc = f ? tool_diff_html(f, d, title) : MEMGATE_ENOMEM;
  if (f && fclose(f) != 0 && rc == 0) rc = MEMGATE_ENOMEM;
  if (!rc && tool_write_file_atomic(path, data, len, err, sizeof err) != 0) {
    tool_err("diff: cannot write %s (%s)", path, err);
    rc = MEMGATE_EIO;
  } else if (rc) {
    tool_err("diff: cannot write %s: %s", path, memgate_strerror(rc));
  }
  free(data);
  return rc ? TOOL_EXIT_USAGE : 0;
}

static int diff_outputs(const tool_diff *d, const diff_opts *o) {
  const char *title = o->title ? o->title : "memgate diff";
  const char *summary = getenv("GITHUB_STEP_SUMMARY");
  int status = 0;
  write_text(stdout, d);
  fflush(stdout);
  if (o->markdown || (summary && *summary)) {
    char *m = markdown_of(d, title);
    if (!m) {
      tool_err("diff: out of memory");
      return TOOL_EXIT_USAGE;
    }
    if (o->markdown) status = strcmp(o->markdown, "-") == 0 ? (fputs(m, stdout), 0) : write_md_file(o->markdown, m, false);
    if (!status && summary && *summary) status = write_md_file(summary, m, true);
    free(m);
  }
  if (!status && o->html) status = write_html_file(o->html, d, title);
  return status ? status : d->failed ? TOOL_EXIT_FAIL : TOOL_EXIT_OK;
}

/* Splits argv at "--": options and base files before it, head files after.
 * *nbase, *head, *nhead; 0 or an exit status (usage printed). */
static int diff_args(const tool_usage *u, int argc, char **argv, int *nbase, char ***head, int *nhead) {
  int k = 1;
  while (k < argc && strcmp(argv[k], "--") != 0) k++;
  int n = tool_parse_options(u, k, argv);
  if (n < 0) return n;
  if (k == argc || n == 0 || k + 1 == argc) {
    tool_err("diff: give base results, then --, then head results");
    fprintf(stderr, "usage: %s\n", u->synopsis);
    return TOOL_EXIT_USAGE;
  }
  *nbase = n;
  *head = argv + k + 1;
  *nhead = argc - k - 1;
  return 0;
}

int tool_cmd_diff(int argc, char **argv) {
  diff_opts o;
  tool_results base, head;
  tool_diff d;
  memgate__bl_set set;
  char **heads = NULL;
  int nbase = 0, nhead = 0;
  memset(&o, 0, sizeof o);
  memset(&d, 0, sizeof d);
  memset(&set, 0, sizeof set);
  const tool_option opts[] = {
      OPT_STRING(0, "baselines", &o.baselines, "DIR", "baseline directory for the tolerances (default: $MEMGATE_BASELINES or ./baselines)"),
      OPT_STRING(0, "markdown", &o.markdown, "FILE", "write the Markdown table to FILE (- for standard output)"),
      OPT_STRING(0, "html", &o.html, "FILE", "write an HTML page: both series of every scope on one chart"),
      OPT_STRING(0, "title", &o.title, "TEXT", "title of the Markdown and the page (default: memgate diff)"),
      OPT_END()};
  const tool_usage u = {"diff", "memgate diff [options] BASE.jsonl... -- HEAD.jsonl...", k_about, k_after, 0, opts};
  int status = diff_args(&u, argc, argv, &nbase, &heads, &nhead);
  if (status < 0) return tool_parse_exit(status);
  if (status) return status;
  tool_results_init(&base);
  tool_results_init(&head);
  status = tool_load_results(&base, nbase, argv, false);
  if (!status) status = tool_load_results(&head, nhead, heads, false);
  if (!status) status = diff_build(&d, &base, &head, &o, &set);
  if (!status) status = diff_outputs(&d, &o);
  diff_free(&d);
  memgate__bl_set_free(&set);
  tool_results_free(&base);
  tool_results_free(&head);
  return status;
}

/*
 * memgate report: results files -> an HTML page and/or a Markdown table.
 *
 * The results are judged by the one evaluation `memgate check` uses
 * (tool_report_build in evaluate.c, with the same baselines and policy),
 * so the page and the Markdown show the verdicts check gives; the
 * renderers read memgate_report_item views of that evaluation.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "report.h"
#include "tool.h"

#include <stdlib.h>
#include <string.h>

static const char k_about[] =
    "Renders results files (the JSON lines written to $MEMGATE_RESULTS), judged against the\n"
    "baselines exactly as `memgate check` judges them, as one self-contained HTML page (a\n"
    "summary table, failures first, and a chart of the footprint over each scope's run:\n"
    "warm-up, growth fit, baseline and tolerance, allocator view; no network access needed)\n"
    "and/or the summary as a Markdown table (pull-request comments, $GITHUB_STEP_SUMMARY).\n"
    "At least one of --html and --markdown; FILE may be - for standard output.\n";
static const char k_after[] = "exit status: 0 written, 2 bad usage or bad input (the error names file:line:column)\n";

typedef struct report_opts {
  const char *html, *markdown, *title;
  tool_check_opts co;
} report_opts;

/* The output names: at least one, not empty, not the same. 0 or 2. */
static int report_check_outputs(const report_opts *ro) {
  if (!ro->html && !ro->markdown) tool_err("report: nothing to write: give --html FILE and/or --markdown FILE");
  else if ((ro->html && !*ro->html) || (ro->markdown && !*ro->markdown)) tool_err("report: an output file name is empty");
  else if (ro->html && ro->markdown && strcmp(ro->html, ro->markdown) == 0)
    tool_err("report: --html and --markdown both name %s", ro->html);
  else return 0;
  return TOOL_EXIT_USAGE;
}

/* Options and files; the number of results files, or a negative
 * TOOL_PARSE_* / -TOOL_EXIT_USAGE. */
static int report_parse(report_opts *ro, int argc, char **argv) {
  const tool_option opts[] = {
      OPT_STRING(0, "html", &ro->html, "FILE", "write the HTML page to FILE"),
      OPT_STRING(0, "markdown", &ro->markdown, "FILE", "write the Markdown table to FILE"),
      OPT_STRING(0, "title", &ro->title, "TEXT", "page title (default: memgate report)"),
      TOOL_JUDGE_OPTIONS(&ro->co),
      OPT_END()};
  const tool_usage u = {"report", "memgate report RESULTS... [--html FILE] [--markdown FILE] [options]", k_about,
                        k_after, 0, opts};
  int n = tool_parse_options(&u, argc, argv);
  if (n < 0) return n;
  if (n == 0) tool_err("report: no results files given");
  if (n == 0 || report_check_outputs(ro)) {
    fprintf(stderr, "usage: %s\n", u.synopsis);
    return -TOOL_EXIT_USAGE;
  }
  return n;
}

/* The view of one evaluation: the verdict, message and baseline figures of
 * the judgement, the measured figures of its result (all borrowed). */
static void report_item_of(const tool_eval *e, memgate_report_item *it) {
  const tool_result *r = e->result;
  memgate_report_item_init(it);
  it->name = r->name;
  it->kind = r->kind;
  it->platform = r->platform;
  it->verdict = e->verdict;
  it->message = e->message;
  it->error = !e->judged ? r->error : e->j.error ? memgate_err_name(e->j.error) : NULL;
  it->file = r->file;
  it->line = r->line;
  it->source = r->source;
  it->source_line = r->source_line;
  it->before_bytes = r->before_bytes;
  it->after_bytes = r->after_bytes;
  it->retained_bytes = r->retained_bytes;
  it->has_peak = r->has_peak;
  it->peak_bytes = r->peak_bytes;
  it->has_baseline = e->judged && e->j.entry && e->j.status == MEMGATE__BL_COMPARED;
  if (it->has_baseline) {
    it->baseline_retained_bytes = e->j.cmp.expected;
    it->allowed_bytes = e->j.cmp.allowed;
    it->baseline_peak_bytes = e->j.cmp.peak_compared ? e->j.cmp.expected_peak : -1;
  }
  it->warmup = r->warmup;
  it->warmup_bytes = r->warmup_bytes;
  it->iterations = r->iterations;
  it->series = r->series;
  it->series_count = r->series ? r->series_count : 0;
  it->heap_series = r->heap_series;
  it->heap_series_count = r->heap_series ? r->heap_series_count : 0;
  it->has_slope = r->has_slope;
  it->slope_bytes = r->slope_bytes;
  it->has_heap_slope = r->has_heap_slope;
  it->heap_slope_bytes = r->heap_slope_bytes;
}

/* The item's "where" table from the result's sites: one allocation for the
 * sites and their frames (freed by report_sites_free). 0 or MEMGATE_ENOMEM. */
static int report_sites_of(const tool_result *r, memgate_report_item *it) {
  size_t frames = 0;
  if (r->n_sites == 0) return 0;
  for (uint32_t i = 0; i < r->n_sites; i++) frames += r->sites[i].n_frames;
  memgate_report_site *s = calloc(1, r->n_sites * sizeof *s + frames * sizeof(memgate_report_frame));
  if (!s) return MEMGATE_ENOMEM;
  memgate_report_frame *f = (memgate_report_frame *)(void *)(s + r->n_sites);
  for (uint32_t i = 0; i < r->n_sites; i++) {
    const tool_site *t = &r->sites[i];
    s[i].frames = f;
    s[i].n_frames = t->n_frames;
    s[i].bytes_per_iteration = t->bytes_per_iteration;
    s[i].blocks_per_iteration = t->blocks_per_iteration;
    s[i].share = t->share;
    for (uint32_t j = 0; j < t->n_frames; j++, f++) {
      f->function = t->frames[j].function;
      f->file = t->frames[j].file;
      f->line = t->frames[j].line;
    }
  }
  it->sites = s;
  it->n_sites = r->n_sites;
  return 0;
}

static void report_sites_free(memgate_report_item *items, size_t n) {
  for (size_t i = 0; items && i < n; i++) free((void *)(uintptr_t)items[i].sites);
}

/* The evaluation of rs as report items (*items, rep->neval of them). 0 or 2. */
static int report_evaluate(tool_report *rep, const tool_results *rs, const tool_check_opts *co,
                           memgate__bl_set *set, memgate_report_item **items) {
  memgate__bl_policy pol;
  int status = tool_check_policy(&pol, co);
  if (!status) status = tool_load_baselines(set, co->baselines);
  if (status) return status;
  if (tool_report_build(rep, rs, set, &pol) != 0 || !(*items = calloc(rep->neval + 1, sizeof **items))) {
    tool_err("report: out of memory");
    return TOOL_EXIT_USAGE;
  }
  for (size_t i = 0; i < rep->neval; i++) {
    report_item_of(&rep->evals[i], &(*items)[i]);
    if (report_sites_of(rep->evals[i].result, &(*items)[i]) != 0) {
      tool_err("report: out of memory");
      return TOOL_EXIT_USAGE;
    }
  }
  return 0;
}

typedef int (*report_render_fn)(FILE *out, const memgate_report_item *items, size_t n, const char *title);

static int report_html_fn(FILE *out, const memgate_report_item *items, size_t n, const char *title) {
  return memgate_report_html(out, items, n, title);
}

static int report_md_fn(FILE *out, const memgate_report_item *items, size_t n, const char *title) {
  (void)title;
  return memgate_report_markdown(out, items, n);
}

/* Renders into path ("-": standard output); a file is written whole and
 * atomically (tool_write_file_atomic) or not at all. 0 or 2. */
static int report_write(const char *path, report_render_fn fn, const memgate_report_item *items, size_t n,
                        const char *title) {
  char err[1024], *data = NULL;
  size_t len = 0;
  if (strcmp(path, "-") == 0) {
    int rc = fn(stdout, items, n, title);
    if (rc) tool_err("report: cannot write to standard output: %s", memgate_strerror(rc));
    return rc ? TOOL_EXIT_USAGE : 0;
  }
  FILE *f = open_memstream(&data, &len);
  int rc = f ? fn(f, items, n, title) : MEMGATE_ENOMEM;
  if (f && fclose(f) != 0 && rc == 0) rc = MEMGATE_ENOMEM;
  if (rc) tool_err("report: cannot write %s: %s", path, memgate_strerror(rc));
  else if (tool_write_file_atomic(path, data, len, err, sizeof err) != 0) {
    tool_err("report: cannot write %s (%s)", path, err);
    rc = MEMGATE_EIO;
  }
  free(data);
  return rc ? TOOL_EXIT_USAGE : 0;
}

/* Writes the outputs ro names, and says what was written. 0 or 2. */
static int report_outputs(const report_opts *ro, const tool_report *rep, const memgate_report_item *items) {
  size_t failed = 0;
  for (size_t i = 0; i < rep->neval; i++) failed += items[i].verdict != MemgateVerdictPass;
  int status = ro->html ? report_write(ro->html, report_html_fn, items, rep->neval, ro->title) : 0;
  if (!status && ro->markdown) status = report_write(ro->markdown, report_md_fn, items, rep->neval, ro->title);
  if (status) return status;
  if (ro->html && strcmp(ro->html, "-") != 0)
    fprintf(stderr, "memgate report: wrote %s (%zu results, %zu failed)\n", ro->html, rep->neval, failed);
  if (ro->markdown && strcmp(ro->markdown, "-") != 0)
    fprintf(stderr, "memgate report: wrote %s (%zu results, %zu failed)\n", ro->markdown, rep->neval, failed);
  return 0;
}

int memgate__cmd_report(int argc, char **argv) {
  report_opts ro;
  tool_results rs;
  tool_report rep;
  memgate__bl_set set;
  memgate_report_item *items = NULL;
  memset(&ro, 0, sizeof ro);
  memset(&rep, 0, sizeof rep);
  memset(&set, 0, sizeof set);
  int n = report_parse(&ro, argc, argv);
  if (n == TOOL_PARSE_HELP || n == TOOL_PARSE_ERROR) return tool_parse_exit(n);
  if (n < 0) return -n;
  tool_results_init(&rs);
  int status = tool_load_results(&rs, n, argv, false);
  if (!status) status = report_evaluate(&rep, &rs, &ro.co, &set, &items);
  if (!status) status = report_outputs(&ro, &rep, items);
  report_sites_free(items, rep.neval);
  free(items);
  tool_report_free(&rep);
  memgate__bl_set_free(&set);
  tool_results_free(&rs);
  return status;
}

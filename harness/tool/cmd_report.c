/*
 * memgate report: results files -> an HTML page and/or a Markdown table.
 *
 * The results are judged by the one evaluation `memgate check` uses
 * (tool_report_build in evaluate.c, with the same baselines and policy),
 * so the page and the Markdown show the verdicts check gives; the
 * renderers read that evaluation (tool_eval) directly.
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

/* The evaluation of rs (rep->evals: what the renderers read). 0 or 2. */
static int report_evaluate(tool_report *rep, const tool_results *rs, const tool_check_opts *co,
                           memgate__bl_set *set) {
  memgate__bl_policy pol;
  int status = tool_check_policy(&pol, co);
  if (!status) status = tool_load_baselines(set, co->baselines);
  if (status) return status;
  if (tool_report_build(rep, rs, set, &pol) != 0) {
    tool_err("report: out of memory");
    return TOOL_EXIT_USAGE;
  }
  return 0;
}

typedef int (*report_render_fn)(FILE *out, const tool_eval *items, size_t n, const char *title);

static int report_html_fn(FILE *out, const tool_eval *items, size_t n, const char *title) {
  return memgate_report_html(out, items, n, title);
}

static int report_md_fn(FILE *out, const tool_eval *items, size_t n, const char *title) {
  (void)title;
  return memgate_report_markdown(out, items, n);
}

/* Renders into path ("-": standard output); a file is written whole and
 * atomically (tool_write_file_atomic) or not at all. 0 or 2. */
static int report_write(const char *path, report_render_fn fn, const tool_eval *items, size_t n,
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
static int report_outputs(const report_opts *ro, const tool_report *rep) {
  const tool_eval *items = rep->evals;
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
  memset(&ro, 0, sizeof ro);
  memset(&rep, 0, sizeof rep);
  memset(&set, 0, sizeof set);
  int n = report_parse(&ro, argc, argv);
  if (n == TOOL_PARSE_HELP || n == TOOL_PARSE_ERROR) return tool_parse_exit(n);
  if (n < 0) return -n;
  tool_results_init(&rs);
  int status = tool_load_results(&rs, n, argv, false);
  if (!status) status = report_evaluate(&rep, &rs, &ro.co, &set);
  if (!status) status = report_outputs(&ro, &rep);
  tool_report_free(&rep);
  memgate__bl_set_free(&set);
  tool_results_free(&rs);
  return status;
}

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
#include "history.h"
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
    "At least one of --html and --markdown; FILE may be - for standard output.\n"
    "\n"
    "With --history, the arguments are results files, directories of them (their *.jsonl\n"
    "files) or history files (memgate history append), and the page shows one chart per\n"
    "scope and platform of retained, peak and growth per iteration across commits (grouped\n"
    "by each line's \"commit\", ordered by time), with the baseline band (the entries of\n"
    "--baselines DIR when given, else the baseline each run recorded), failing commits in\n"
    "red and a mark where the scope first failed. Verdicts are the ones each run recorded.\n";
static const char k_after[] = "exit status: 0 written, 2 bad usage or bad input (the error names file:line:column)\n";

typedef struct report_opts {
  const char *html, *markdown, *title;
  bool history;
  tool_check_opts co;
} report_opts;

/* What a renderer draws: the evaluation's items, or the history. */
typedef struct report_src {
  const tool_eval *items;
  size_t n;
  const tool_history *hist;
} report_src;

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
      OPT_BOOL(0, "history", &ro->history, "draw the history across commits of the results\n"
                                             "(files, directories, history files) instead"),
      TOOL_JUDGE_OPTIONS(&ro->co),
      OPT_END()};
  const tool_usage u = {"report", "memgate report RESULTS... [--html FILE] [--markdown FILE] [--history] [options]", k_about,
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

typedef int (*report_render_fn)(FILE *out, const report_src *src, const char *title);

static int report_html_fn(FILE *out, const report_src *src, const char *title) {
  if (src->hist) return tool_history_html(out, src->hist, title);
  return memgate_report_html(out, src->items, src->n, title);
}

static int report_md_fn(FILE *out, const report_src *src, const char *title) {
  (void)title;
  if (src->hist) return tool_history_markdown(out, src->hist);
  return memgate_report_markdown(out, src->items, src->n);
}

/* Renders into path ("-": standard output); a file is written whole and
 * atomically (tool_write_file_atomic) or not at all. 0 or 2. */
static int report_write(const char *path, report_render_fn fn, const report_src *src, const char *title) {
  char err[1024], *data = NULL;
  size_t len = 0;
  if (strcmp(path, "-") == 0) {
    int rc = fn(stdout, src, title);
    if (rc) tool_err("report: cannot write to standard output: %s", memgate_strerror(rc));
    return rc ? TOOL_EXIT_USAGE : 0;
  }
  FILE *f = open_memstream(&data, &len);
  int rc = f ? fn(f, src, title) : MEMGATE_ENOMEM;
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
static int report_outputs(const report_opts *ro, const report_src *src, const char *what) {
  int status = ro->html ? report_write(ro->html, report_html_fn, src, ro->title) : 0;
  if (!status && ro->markdown) status = report_write(ro->markdown, report_md_fn, src, ro->title);
  if (status) return status;
  if (ro->html && strcmp(ro->html, "-") != 0) fprintf(stderr, "memgate report: wrote %s (%s)\n", ro->html, what);
  if (ro->markdown && strcmp(ro->markdown, "-") != 0)
    fprintf(stderr, "memgate report: wrote %s (%s)\n", ro->markdown, what);
  return 0;
}

static int report_results(const report_opts *ro, const tool_report *rep) {
  char what[96];
  size_t failed = 0;
  for (size_t i = 0; i < rep->neval; i++) failed += rep->evals[i].verdict != MemgateVerdictPass;
  snprintf(what, sizeof what, "%zu results, %zu failed", rep->neval, failed);
  const report_src src = {rep->evals, rep->neval, NULL};
  return report_outputs(ro, &src, what);
}

/* --history: the band from --baselines DIR only when it is given. 0 or 2. */
static int report_history(const report_opts *ro, const tool_results *rs, tool_report *rep, memgate__bl_set *set) {
  tool_history h;
  char what[128];
  int status = ro->co.baselines ? report_evaluate(rep, rs, &ro->co, set) : 0;
  if (status) return status;
  if (tool_history_build(&h, rs, ro->co.baselines ? rep : NULL) != 0) {
    tool_err("report: out of memory");
    return TOOL_EXIT_USAGE;
  }
  snprintf(what, sizeof what, "history: %zu commits, %zu scopes, %zu failing at the newest", h.ncommits, h.nscopes,
           h.failing_now);
  const report_src src = {NULL, 0, &h};
  status = report_outputs(ro, &src, what);
  tool_history_free(&h);
  return status;
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
  int status = ro.history ? tool_history_load(&rs, n, argv) : tool_load_results(&rs, n, argv, false);
  if (!status && ro.history) status = report_history(&ro, &rs, &rep, &set);
  else if (!status) status = report_evaluate(&rep, &rs, &ro.co, &set);
  if (!status && !ro.history) status = report_results(&ro, &rep);
  tool_report_free(&rep);
  memgate__bl_set_free(&set);
  tool_results_free(&rs);
  return status;
}

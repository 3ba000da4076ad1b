/*
 * memgate report: results files -> an HTML page and/or a Markdown table.
 *
 * Loading goes through the shared results loader (results_load.h); the
 * one function that knows its struct is report_item_from_result().
 */
#ifndef _POSIX_C_SOURCE
#  define _POSIX_C_SOURCE 200809L
#endif
#include "report.h"
#include "results_load.h"

#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void report_usage(FILE *f) {
  fputs("usage: memgate report RESULTS... [--html FILE] [--markdown FILE] [--title TEXT]\n"
        "\n"
        "Renders results files (the JSON lines written to $MEMGATE_RESULTS) as:\n"
        "  --html FILE       one self-contained page: a summary table, failures first, and a\n"
        "                    chart of the footprint over each scope's run (warm-up, growth fit,\n"
        "                    baseline and tolerance, allocator view); no network access needed\n"
        "  --markdown FILE   the summary as a Markdown table (pull-request comments,\n"
        "                    $GITHUB_STEP_SUMMARY)\n"
        "At least one of them; FILE may be - for standard output.\n"
        "\n"
        "options:\n"
        "  --title TEXT      page title (default: memgate report)\n"
        "  -h, --help        this help\n"
        "exit status: 0 written, 2 bad usage or bad input (the error names file:line:column)\n",
        f);
}

static void report_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void report_err(const char *fmt, ...) {
  va_list ap;
  fputs("memgate report: ", stderr);
  va_start(ap, fmt);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  fputc('\n', stderr);
}

/* "--name VALUE" or "--name=VALUE" at argv[*i]: 1 matched, 0 not this
 * option, -1 value missing (message printed). */
static int report_opt(const char *name, int argc, char **argv, int *i, const char **val) {
  const char *a = argv[*i];
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0) return 0;
  if (a[n] == '=') {
    *val = a + n + 1;
    return 1;
  }
  if (a[n] != '\0') return 0;
  if (*i + 1 >= argc) {
    report_err("%s needs a value", name);
    return -1;
  }
  *val = argv[++*i];
  return 1;
}

/* The adapter from the shared loader's result to the report's view-model.
 * Borrows every string and array from r. */
static void report_item_from_result(const tool_result *r, memgate_report_item *it) {
  memgate_report_item_init(it);
  it->name = r->name;
  it->kind = r->kind;
  it->platform = r->platform;
  it->verdict = r->verdict;
  it->message = r->message;
  it->error = r->error;
  it->file = r->file;
  it->line = r->line;
  it->source = r->source;
  it->source_line = r->source_line;
  it->before_bytes = r->before_bytes;
  it->after_bytes = r->after_bytes;
  it->retained_bytes = r->retained_bytes;
  it->has_peak = r->has_peak;
  it->peak_bytes = r->peak_bytes;
  it->has_baseline = r->has_baseline;
  it->baseline_retained_bytes = r->baseline_retained_bytes;
  it->allowed_bytes = r->allowed_bytes;
  it->baseline_peak_bytes = r->has_baseline ? r->baseline_peak_bytes : -1;
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

/* Loads every file into rs; prints the error and returns 2 on bad input or
 * a file without results. */
static int report_load(tool_results *rs, int n, char **paths) {
  char err[1024];
  for (int i = 0; i < n; i++) {
    size_t added = 0;
    if (tool_results_load(rs, paths[i], 0, &added, err, sizeof err) != 0) {
      report_err("%s", err);
      return 2;
    }
    if (added == 0) {
      report_err("%s: no results in this file (empty? was the test built with memgate and "
                 "MEMGATE_RESULTS set?)",
                 paths[i]);
      return 2;
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

/* Renders into path ("-": standard output) through a temporary file in the
 * same directory, renamed into place only when complete. */
static int report_write(const char *path, report_render_fn fn, const memgate_report_item *items, size_t n,
                        const char *title) {
  if (strcmp(path, "-") == 0) {
    int rc = fn(stdout, items, n, title);
    if (rc) report_err("cannot write to standard output: %s", memgate_strerror(rc));
    return rc ? 2 : 0;
  }
  size_t len = strlen(path) + 32;
  char *tmp = malloc(len);
  if (!tmp) {
    report_err("%s: out of memory", path);
    return 2;
  }
  snprintf(tmp, len, "%s.tmp%ld", path, (long)getpid());
  FILE *f = fopen(tmp, "w");
  if (!f) {
    report_err("cannot write %s: %s", path, strerror(errno));
    free(tmp);
    return 2;
  }
  int rc = fn(f, items, n, title);
  int saved = errno;
  if (fclose(f) != 0 && rc == 0) {
    rc = MEMGATE_EIO;
    saved = errno;
  }
  if (rc == 0 && rename(tmp, path) != 0) {
    rc = MEMGATE_EIO;
    saved = errno;
  }
  if (rc != 0) {
    remove(tmp);
    report_err("cannot write %s: %s", path, rc == MEMGATE_EIO ? strerror(saved) : memgate_strerror(rc));
  }
  free(tmp);
  return rc ? 2 : 0;
}

int memgate__cmd_report(int argc, char **argv) {
  const char *html = NULL, *md = NULL, *title = NULL;
  char **paths = calloc(argc > 0 ? (size_t)argc : 1, sizeof *paths);
  int npaths = 0, status = 0;
  bool only_paths = false;
  if (!paths) {
    report_err("out of memory");
    return 2;
  }
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    int m;
    if (!only_paths && (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0)) {
      report_usage(stdout);
      free(paths);
      return 0;
    }
    if (only_paths || a[0] != '-' || a[1] == '\0') {
      paths[npaths++] = argv[i];
      continue;
    }
    if (strcmp(a, "--") == 0) {
      only_paths = true;
      continue;
    }
    if ((m = report_opt("--html", argc, argv, &i, &html)) != 0 ||
        (m = report_opt("--markdown", argc, argv, &i, &md)) != 0 ||
        (m = report_opt("--title", argc, argv, &i, &title)) != 0) {
      if (m < 0) status = 2;
      continue;
    }
    report_err("unknown option %s (see memgate report --help)", a);
    status = 2;
  }
  if (status == 0 && npaths == 0) {
    report_err("no results files given");
    status = 2;
  }
  if (status == 0 && !html && !md) {
    report_err("nothing to write: give --html FILE and/or --markdown FILE");
    status = 2;
  }
  if (status == 0 && ((html && !*html) || (md && !*md))) {
    report_err("an output file name is empty");
    status = 2;
  }
  if (status == 0 && html && md && strcmp(html, md) == 0) {
    report_err("--html and --markdown both name %s", html);
    status = 2;
  }
  if (status != 0) {
    fputs("usage: memgate report RESULTS... [--html FILE] [--markdown FILE] [--title TEXT]\n", stderr);
    free(paths);
    return status;
  }

  tool_results rs;
  tool_results_init(&rs);
  memgate_report_item *items = NULL;
  status = report_load(&rs, npaths, paths);
  if (status == 0) {
    items = calloc(rs.count ? rs.count : 1, sizeof *items);
    if (!items) {
      report_err("out of memory");
      status = 2;
    }
  }
  if (status == 0) {
    size_t failed = 0;
    for (size_t i = 0; i < rs.count; i++) {
      report_item_from_result(&rs.items[i], &items[i]);
      failed += items[i].verdict != MemgateVerdictPass;
    }
    if (html) status = report_write(html, report_html_fn, items, rs.count, title);
    if (status == 0 && md) status = report_write(md, report_md_fn, items, rs.count, title);
    if (status == 0) {
      if (html && strcmp(html, "-") != 0)
        fprintf(stderr, "memgate report: wrote %s (%zu results, %zu failed)\n", html, rs.count, failed);
      if (md && strcmp(md, "-") != 0)
        fprintf(stderr, "memgate report: wrote %s (%zu results, %zu failed)\n", md, rs.count, failed);
    }
  }
  free(items);
  tool_results_free(&rs);
  free(paths);
  return status;
}

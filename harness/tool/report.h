/*
 * memgate report: results rendered as a self-contained HTML page (summary
 * table plus a footprint timeline per scope) or as a Markdown table.
 *
 * The renderers read a view-model, memgate_report_item, that the caller
 * fills from whatever it loaded (cmd_report.c fills it from the evaluation
 * memgate check prints, tool_report in evaluate.c). Everything an item points to is
 * borrowed: the renderers copy nothing and free nothing.
 *
 * Names: memgate_report_* is the renderer API; memgate__cmd_report is the
 * `memgate report` command; file-local helpers in report.c and
 * cmd_report.c start with report_.
 */
#ifndef MEMGATE_TOOL_REPORT_H
#define MEMGATE_TOOL_REPORT_H

#include "memgate.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

/* Passing scopes are shown expanded (chart visible) when the report holds
 * at most this many items; above it they are collapsed (<details>) and
 * failures stay expanded. */
#ifndef MEMGATE_REPORT_OPEN_PASSES_MAX
#  define MEMGATE_REPORT_OPEN_PASSES_MAX 24
#endif

/* One result as the report shows it. Strings are UTF-8 (invalid bytes are
 * shown as U+FFFD); NULL means absent. Byte figures are as recorded: the
 * numbers in the table and the captions are never derived from the
 * downsampled drawing. */
/* One frame of an allocation site (memgate run --sites, docs/SITES.md). */
typedef struct memgate_report_frame {
  const char *function;           /* "?" when unknown */
  const char *file;               /* source file, or the object when line is 0 */
  int line;                       /* 0 when unknown */
} memgate_report_frame;

/* An allocation site that grew: the "where" table under the chart. */
typedef struct memgate_report_site {
  const memgate_report_frame *frames; /* innermost first */
  size_t n_frames;
  double bytes_per_iteration;     /* repeat: per measured iteration; scope: bytes held */
  double blocks_per_iteration;
  double share;                   /* 0..1 of the growth (or memory held) */
} memgate_report_site;

typedef struct memgate_report_item {
  const char *name;               /* scope name */
  memgate_kind kind;              /* MEM_BEGIN/MEM_END scope or MEM_REPEAT */
  const char *platform;           /* platform key, e.g. "linux-x86_64" */
  memgate_verdict verdict;        /* pass, leak, regression, error */
  const char *message;            /* one line, as recorded */
  const char *error;              /* "MEMGATE_E..." name for an error, or NULL */
  const char *file;               /* where MEM_END / MEM_REPEAT ran */
  int line;                       /* its line, 0 if unknown */
  const char *source;             /* results file the item came from, or NULL */
  uint32_t source_line;           /* its line in that file, 0 if unknown */
  uint64_t before_bytes;          /* footprint at BEGIN, or after the warm-up (repeat) */
  uint64_t after_bytes;           /* footprint at END, or after the last iteration */
  int64_t retained_bytes;         /* after - before */
  bool has_peak;
  int64_t peak_bytes;             /* highest footprint above before_bytes, if has_peak */
  bool has_baseline;              /* a baseline entry applied */
  int64_t baseline_retained_bytes; /* expected retained, if has_baseline */
  int64_t allowed_bytes;          /* largest retained that passes, if has_baseline */
  int64_t baseline_peak_bytes;    /* expected peak, -1 if none */
  uint32_t warmup;                /* warm-up iterations run before series[0] (repeat) */
  int64_t warmup_bytes;           /* footprint growth during the warm-up (bytes) */
  uint32_t iterations;            /* measured iterations (1 for a scope) */
  const uint64_t *series;         /* footprint after the warm-up, then after each
                                   * iteration (repeat), or before/after (scope);
                                   * bytes; NULL if none */
  size_t series_count;
  const uint64_t *heap_series;    /* allocator view, same shape, or NULL */
  size_t heap_series_count;
  bool has_slope;
  double slope_bytes;             /* least-squares growth per iteration (bytes) */
  bool has_heap_slope;
  double heap_slope_bytes;        /* the same for the allocator view */
  const memgate_report_site *sites; /* allocation sites, ranked; NULL when none were recorded */
  size_t n_sites;
} memgate_report_item;

/* Sets *it to an empty item (no peak, no baseline, no series). */
void memgate_report_item_init(memgate_report_item *it);

/*
 * Writes the whole HTML page for items[0..n) to out: no network access, no
 * external scripts, fonts or images. Failures are listed first. title may
 * be NULL ("memgate report"). Returns 0, MEMGATE_EINVAL (out NULL, or items
 * NULL with n > 0), MEMGATE_ENOMEM, or MEMGATE_EIO when writing failed.
 */
int memgate_report_html(FILE *out, const memgate_report_item *items, size_t n, const char *title);

/*
 * Writes the summary as a Markdown table (for pull-request comments and
 * $GITHUB_STEP_SUMMARY), failures first, followed by one line per failure
 * with its message and file:line. Same return values.
 */
int memgate_report_markdown(FILE *out, const memgate_report_item *items, size_t n);

/*
 * `memgate report RESULTS... [--html FILE] [--markdown FILE] [--title TEXT]`
 * argv[0] is the command name. Exit status: 0 written, 2 bad usage or bad
 * input (message on stderr naming file:line:column).
 */
int memgate__cmd_report(int argc, char **argv);

#endif

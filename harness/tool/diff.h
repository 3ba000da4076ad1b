/*
 * memgate diff: two sets of results (a base run, e.g. the main branch, and
 * a head run, e.g. a pull request) compared scope by scope. Each side is
 * judged by the one evaluation (tool_report_build); a row pairs the two
 * groups of one (scope, platform) and says what changed. The renderers
 * (cmd_diff.c: text and Markdown; diff_html.c: the page) read this model.
 */
#ifndef MEMGATE_TOOL_DIFF_H
#define MEMGATE_TOOL_DIFF_H

#include "tool.h"

typedef enum tool_diff_status {
  TOOL_DIFF_REGRESSED = 0, /* head above base beyond tolerance, or head fails where base passed */
  TOOL_DIFF_NEW,           /* only in head */
  TOOL_DIFF_VANISHED,      /* only in base */
  TOOL_DIFF_IMPROVED,      /* head far below base, or head passes where base failed */
  TOOL_DIFF_SAME           /* within tolerance of base */
} tool_diff_status;

typedef struct tool_diff_row {
  const tool_eval *base, *head; /* the shown result of each side's group, NULL when absent */
  tool_diff_status status;
  bool failed;                  /* this row fails the diff (exit 1) */
  memgate__bl_cmp cmp;          /* head against base as the expectation (both present) */
} tool_diff_row;

typedef struct tool_diff {
  tool_report base, head;
  tool_diff_row *rows;          /* by scope, then platform */
  size_t n;
  size_t counts[TOOL_DIFF_SAME + 1];
  size_t failed;
} tool_diff;

/* "regressed", "new", "vanished", "improved", "unchanged" (diff_html.c). */
const char *tool_diff_status_name(tool_diff_status s);
/* Writes the HTML page of d to out (diff_html.c): a table and, per row, one
 * chart with the base and head series. 0 or MEMGATE_EIO. */
int tool_diff_html(FILE *out, const tool_diff *d, const char *title);

#endif

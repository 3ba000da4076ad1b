/*
 * memgate report: results rendered as a self-contained HTML page (summary
 * table plus a footprint timeline per scope) or as a Markdown table.
 *
 * The renderers read the evaluation itself (tool_eval, tool.h: what
 * tool_report_build in evaluate.c decided, and through eval->result the
 * figures the loader read), so a new results field reaches the page
 * without any copying adapter. Everything is borrowed: the renderers copy
 * nothing and free nothing. Strings are UTF-8 (invalid bytes are shown as
 * U+FFFD); byte figures are printed as recorded, never derived from the
 * downsampled drawing.
 *
 * Names: memgate_report_* is the renderer API; memgate__cmd_report is the
 * `memgate report` command; file-local helpers in report.c and
 * cmd_report.c start with report_.
 */
#ifndef MEMGATE_TOOL_REPORT_H
#define MEMGATE_TOOL_REPORT_H

#include "memgate.h"
#include "tool.h"

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

/*
 * Writes the whole HTML page for items[0..n) to out: no network access, no
 * external scripts, fonts or images. Failures are listed first. title may
 * be NULL ("memgate report"). Returns 0, MEMGATE_EINVAL (out NULL, or items
 * NULL with n > 0), MEMGATE_ENOMEM, or MEMGATE_EIO when writing failed.
 */
int memgate_report_html(FILE *out, const tool_eval *items, size_t n, const char *title);

/*
 * Writes the summary as a Markdown table (for pull-request comments and
 * $GITHUB_STEP_SUMMARY), failures first, followed by one line per failure
 * with its message and file:line. Same return values.
 */
int memgate_report_markdown(FILE *out, const tool_eval *items, size_t n);

/* The page's frame, for other pages in the same style (memgate diff,
 * memgate report --history): open writes the head (CSS, the script hooks,
 * the offline Content-Security-Policy) and "<body>"-less start; the caller
 * writes "<body>\n<div class=\"wrap\">" and its content; close writes the
 * footer and ends the page (0 or MEMGATE_EIO). */
void memgate_report_page_open(FILE *out, const char *title);
int memgate_report_page_close(FILE *out);

/*
 * `memgate report RESULTS... [--html FILE] [--markdown FILE] [--title TEXT]`
 * argv[0] is the command name. Exit status: 0 written, 2 bad usage or bad
 * input (message on stderr naming file:line:column).
 */
int memgate__cmd_report(int argc, char **argv);

#endif

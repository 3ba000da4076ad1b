/*
 * The history across commits: results of many runs (results files, a
 * directory of them, or a history file kept by `memgate history append`)
 * grouped by commit and by scope (history.c), drawn as one chart per
 * scope and platform (history_html.c: `memgate report --history`), and
 * kept bounded in a file of its own (cmd_history.c: `memgate history`;
 * which runs stay: history_thin.c).
 * docs/CI.md, "History across commits".
 *
 * Everything borrows from the tool_results it was built from.
 */
#ifndef MEMGATE_TOOL_HISTORY_H
#define MEMGATE_TOOL_HISTORY_H

#include "tool.h"

#include <stdio.h>

typedef struct tool_hist_commit {
  const char *id;        /* lowercase hex, "" for results without a commit */
  int64_t time_ms;       /* earliest "time" of its results; INT64_MAX when none has one */
  size_t results;        /* lines measured at this commit */
} tool_hist_commit;

typedef struct tool_hist_point {
  size_t commit;         /* index into tool_history.commits: the x position */
  const tool_result *r;  /* the one shown: the worst verdict, then the latest (as check groups) */
  bool failed;           /* r's recorded verdict is not pass */
  bool has_band;         /* the baseline band for retained: expected .. allowed */
  double band_lo, band_hi;
} tool_hist_point;

typedef struct tool_hist_scope {
  const char *name, *platform;
  const tool_hist_point *pts; /* in commit order, at most one per commit */
  size_t n;
  size_t first_fail;     /* index into pts of the first failing point, or n */
} tool_hist_scope;

typedef struct tool_history {
  tool_hist_commit *commits; /* ordered by time, then id */
  size_t ncommits;
  tool_hist_scope *scopes;   /* by name, then platform */
  size_t nscopes;
  tool_hist_point *points;   /* storage of every scope's pts */
  size_t npoints;
  size_t failing_now;        /* scopes whose newest point failed */
} tool_history;

/*
 * Builds the history of rs (bad lines must have been refused). rep is an
 * evaluation of rs against explicitly given baselines (rep->evals[i] of
 * rs->items[i]), whose entries then give the band; NULL: each line's
 * recorded baseline does. Verdicts are always the recorded ones (what the
 * run said at that commit). O(n log n) in the lines. 0 or MEMGATE_ENOMEM.
 */
int tool_history_build(tool_history *h, const tool_results *rs, const tool_report *rep);
void tool_history_free(tool_history *h);

/* Loads DIR_OR_FILES into rs: a directory means its *.jsonl files (names
 * not starting with '.', in name order). Refuses bad lines (a history must
 * not be drawn from a damaged run). Prints the error; 0 or 2. */
int tool_history_load(tool_results *rs, int n, char **paths);

/* The page (history_html.c): 0 or MEMGATE_EIO. */
int tool_history_html(FILE *out, const tool_history *h, const char *title);
/* The summary as a Markdown table: 0 or MEMGATE_EIO. */
int tool_history_markdown(FILE *out, const tool_history *h);

/* A run of a history file (history_thin.c), oldest first. */
typedef struct tool_hist_run {
  const char *id;        /* its run id */
  int64_t time_ms;       /* its earliest line's time (INT64_MIN when none has one) */
  bool transition;       /* a scope's verdict changed, or a scope first appeared, at this run
                          * (tool_history_transitions) */
  bool keep;             /* set by tool_history_thin */
} tool_hist_run;

/* Marks the runs at which a scope's verdict changed or a scope first
 * appeared: lines[i] belongs to
 * run run_of[i] (an index into runs, in time order). O(n log n). 0 or
 * MEMGATE_ENOMEM. */
int tool_history_transitions(tool_hist_run *runs, const tool_result *const *lines, const size_t *run_of,
                             size_t nlines);
/* Sets keep on runs[0..n) (oldest first): the newest keep_newest, the older
 * ones marked transition and the newest of each UTC day, at most
 * max_runs in all (max_runs >= keep_newest). Returns how many are kept. */
size_t tool_history_thin(tool_hist_run *runs, size_t n, size_t keep_newest, size_t max_runs);

/* `memgate history append HISTORY RESULTS...` (cmd_history.c). */
int tool_cmd_history(int argc, char **argv);

#endif

/*
 * Which runs a history file keeps (memgate history append; docs/CI.md,
 * "History across commits"):
 *   1. the newest `keep` runs, always;
 *   2. of the older runs, every run at which a scope's verdict changed
 *      (pass to fail or back: the commits a reader looks for) or a scope
 *      first appeared, and the newest run of each UTC day (a daily trend);
 *   3. never more than `max` runs: past it, the oldest daily runs go
 *      first, then the oldest verdict changes.
 * Below the cap, thinning a thinned history again changes nothing: a run
 * that is dropped changed no scope's verdict and brought no new scope, so
 * the runs after it compare with a run of the same verdicts as before.
 */
#include "history.h"

#include <stdlib.h>
#include <string.h>

#define DAY_MS 86400000LL

static int64_t day_of(int64_t ms) { return ms >= 0 ? ms / DAY_MS : -1; }

/* Drops the oldest kept runs of [0, old) with transition == which until
 * *kept <= max. */
static void drop_oldest(tool_hist_run *runs, size_t old, bool which, size_t max, size_t *kept) {
  for (size_t i = 0; i < old && *kept > max; i++)
    if (runs[i].keep && runs[i].transition == which) {
      runs[i].keep = false;
      --*kept;
    }
}

size_t tool_history_thin(tool_hist_run *runs, size_t n, size_t keep, size_t max) {
  size_t old = n > keep ? n - keep : 0, kept = 0;
  for (size_t i = 0; i < n; i++) {
    bool last_of_day = i + 1 >= old || day_of(runs[i + 1].time_ms) != day_of(runs[i].time_ms);
    runs[i].keep = i >= old || runs[i].transition || last_of_day;
    kept += runs[i].keep;
  }
  drop_oldest(runs, old, false, max, &kept);
  drop_oldest(runs, old, true, max, &kept);
  return kept;
}

/* ------------------------------------------------------------------------
 * Verdict changes: one sort of the lines by scope, then run order
 * ------------------------------------------------------------------------ */

typedef struct line_ref {
  const tool_result *r;
  size_t run;
} line_ref;

static int by_scope_run(const void *a, const void *b) {
  const line_ref *x = a, *y = b;
  int c = strcmp(x->r->name, y->r->name);
  if (!c) c = strcmp(x->r->platform, y->r->platform);
  return c ? c : x->run < y->run ? -1 : x->run > y->run;
}

int tool_history_transitions(tool_hist_run *runs, const tool_result *const *lines, const size_t *run_of,
                             size_t nlines) {
  line_ref *refs = malloc((nlines ? nlines : 1) * sizeof *refs);
  if (!refs) return MEMGATE_ENOMEM;
  for (size_t i = 0; i < nlines; i++) refs[i] = (line_ref){lines[i], run_of[i]};
  qsort(refs, nlines, sizeof *refs, by_scope_run);
  /* Per scope: the failed state of each run (any of its lines failed),
   * compared with the state of the scope's previous run; a scope's first
   * run counts as a change. */
  bool prev = false;
  for (size_t i = 0; i < nlines;) {
    size_t j = i;
    bool failed = false;
    while (j < nlines && by_scope_run(&refs[i], &refs[j]) == 0) failed |= refs[j++].r->verdict != MemgateVerdictPass;
    bool first = i == 0 || strcmp(refs[i].r->name, refs[i - 1].r->name) != 0 ||
                 strcmp(refs[i].r->platform, refs[i - 1].r->platform) != 0;
    if (first || failed != prev) runs[refs[i].run].transition = true; /* new scope, or changed */
    prev = failed;
    i = j;
  }
  free(refs);
  return 0;
}

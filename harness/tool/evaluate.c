/*
 * Judging loaded results against the baselines, grouped per scope and
 * platform: the model every output format (and any future report) reads.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "tool.h"

#include <stdlib.h>
#include <string.h>

static int severity(const tool_eval *e) {
  switch (e->verdict) {
  case MemgateVerdictError: return 4;
  case MemgateVerdictLeak: return 3;
  case MemgateVerdictRegression: return 2;
  case MemgateVerdictPass: return e->improved ? 1 : 0;
  }
  return 4;
}

const char *tool_eval_status(const tool_eval *e) {
  if (e->verdict == MemgateVerdictPass && e->improved) return "improved";
  return memgate_verdict_name(e->verdict);
}

bool tool_group_failed(const tool_group *g) { return g->shown->verdict != MemgateVerdictPass; }

static int eval_order(const void *a, const void *b) {
  const tool_eval *x = *(const tool_eval *const *)a, *y = *(const tool_eval *const *)b;
  int c = strcmp(x->result->name, y->result->name);
  if (c) return c;
  c = strcmp(x->result->platform, y->result->platform);
  if (c) return c;
  return x < y ? -1 : x > y;
}

void tool_report_free(tool_report *rep) {
  if (!rep) return;
  free(rep->evals);
  free(rep->groups);
  free(rep->obsolete);
  free(rep->obsolete_file);
  memset(rep, 0, sizeof *rep);
}

/* Judges one result: a measuring error stands (there is nothing to
 * compare); anything else is judged against the baselines at hand from its
 * measured verdict (a leak stays a leak). */
static void judge_one(tool_eval *e, const tool_result *r, const memgate__bl_set *set,
                      const memgate__bl_policy *pol) {
  e->result = r;
  e->judged = r->measured_verdict != MemgateVerdictError;
  if (!e->judged) {
    e->verdict = MemgateVerdictError;
    e->message = r->message;
    e->error = r->error;
    return;
  }
  memgate__bl_judge(set, pol, r->name, r->kind, r->platform, r->measured_verdict, r->iterations,
                    r->retained_bytes, r->has_peak, r->peak_bytes, &e->j);
  e->verdict = e->j.verdict;
  e->improved = e->j.status == MEMGATE__BL_COMPARED && e->j.cmp.outcome == MEMGATE__BL_IMPROVEMENT;
  e->no_baseline = e->j.status == MEMGATE__BL_NO_ENTRY;
  e->has_baseline = e->j.entry && e->j.status == MEMGATE__BL_COMPARED;
  e->error = e->j.error ? memgate_err_name(e->j.error) : "";
  e->message = r->measured_verdict == MemgateVerdictLeak ? r->message : e->j.desc;
}

static bool same_scope(const tool_eval *a, const tool_eval *b) {
  return strcmp(a->result->name, b->result->name) == 0 && strcmp(a->result->platform, b->result->platform) == 0;
}

/* The group of order[i..) sharing one (scope, platform): its worst result
 * is shown. Returns the index past it. */
static size_t group_of(tool_group *g, const tool_eval *const *order, size_t i, size_t n) {
  size_t j = i;
  g->shown = order[i];
  for (; j < n && same_scope(order[j], order[i]); j++) {
    const tool_eval *e = order[j];
    int s = severity(e), t = severity(g->shown);
    if (s > t || (s == t && e->result->retained_bytes > g->shown->result->retained_bytes)) g->shown = e;
    g->runs++;
    if (e->verdict != MemgateVerdictPass) g->failed++;
  }
  return j;
}

static void count_group(tool_report *rep, const tool_group *g) {
  const tool_eval *s = g->shown;
  switch (s->verdict) {
  case MemgateVerdictPass:
    rep->passed++;
    if (s->improved) rep->improved++;
    if (s->no_baseline) rep->no_baseline++;
    break;
  case MemgateVerdictLeak: rep->leaks++; break;
  case MemgateVerdictRegression: rep->regressions++; break;
  case MemgateVerdictError: rep->errors++; break;
  }
}

static int key_cmp(const char *n1, const char *p1, const char *n2, const char *p2) {
  int c = strcmp(n1, n2);
  return c ? c : strcmp(p1, p2);
}

static int produced_order(const void *a, const void *b) {
  const tool_result *x = *(const tool_result *const *)a, *y = *(const tool_result *const *)b;
  return key_cmp(x->name, x->platform, y->name, y->platform);
}

int tool_produced_init(tool_produced *p, const tool_results *rs) {
  memset(p, 0, sizeof *p);
  p->keys = calloc(rs->count + 1, sizeof *p->keys);
  p->platforms = calloc(rs->count + 1, sizeof *p->platforms);
  if (!p->keys || !p->platforms) {
    tool_produced_free(p);
    return MEMGATE_ENOMEM;
  }
  for (size_t i = 0; i < rs->count; i++) {
    const tool_result *r = &rs->items[i];
    if (r->bad_line) continue;
    p->keys[p->n++] = r;
    size_t k = 0;
    while (k < p->nplatforms && strcmp(p->platforms[k], r->platform) != 0) k++;
    if (k == p->nplatforms) p->platforms[p->nplatforms++] = r->platform;
  }
  if (p->n > 1) qsort(p->keys, p->n, sizeof *p->keys, produced_order);
  return 0;
}

void tool_produced_free(tool_produced *p) {
  free(p->keys);
  free((void *)p->platforms);
  memset(p, 0, sizeof *p);
}

bool tool_entry_obsolete(const memgate__bl_entry *e, const tool_produced *p) {
  bool measured = false;
  for (size_t k = 0; k < p->nplatforms && !measured; k++) measured = strcmp(p->platforms[k], e->platform) == 0;
  if (!measured) return false;
  size_t lo = 0, hi = p->n;
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    int c = key_cmp(p->keys[mid]->name, p->keys[mid]->platform, e->scope, e->platform);
    if (c == 0) return false;
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return true;
}

/* The set's entries no result produced (rep->obsolete). 0 or MEMGATE_ENOMEM. */
static int find_obsolete(tool_report *rep, const tool_results *rs, const memgate__bl_set *set) {
  tool_produced pr;
  size_t total = 0;
  if (tool_produced_init(&pr, rs) != 0) return MEMGATE_ENOMEM;
  for (size_t i = 0; set && i < set->count; i++) total += set->files[i].file.count;
  rep->obsolete = calloc(total + 1, sizeof *rep->obsolete);
  rep->obsolete_file = calloc(total + 1, sizeof *rep->obsolete_file);
  if (!rep->obsolete || !rep->obsolete_file) {
    tool_produced_free(&pr);
    return MEMGATE_ENOMEM;
  }
  for (size_t i = 0; set && i < set->count; i++)
    for (size_t k = 0; k < set->files[i].file.count; k++)
      if (tool_entry_obsolete(&set->files[i].file.entries[k], &pr)) {
        rep->obsolete[rep->nobsolete] = &set->files[i].file.entries[k];
        rep->obsolete_file[rep->nobsolete++] = set->files[i].name;
      }
  tool_produced_free(&pr);
  return 0;
}

int tool_report_build(tool_report *rep, const tool_results *rs, const memgate__bl_set *set,
                      const memgate__bl_policy *pol) {
  memset(rep, 0, sizeof *rep);
  rep->baselines_dir = set && set->dir ? set->dir : "baselines";
  if (rs->count == 0) return find_obsolete(rep, rs, set);
  rep->evals = calloc(rs->count, sizeof *rep->evals);
  const tool_eval **order = calloc(rs->count, sizeof *order);
  rep->groups = calloc(rs->count, sizeof *rep->groups);
  if (!rep->evals || !order || !rep->groups) {
    free(order);
    tool_report_free(rep);
    return MEMGATE_ENOMEM;
  }
  rep->neval = rs->count;
  for (size_t i = 0; i < rs->count; i++) {
    judge_one(&rep->evals[i], &rs->items[i], set, pol);
    order[i] = &rep->evals[i];
  }
  qsort(order, rs->count, sizeof *order, eval_order);
  for (size_t i = 0; i < rs->count;) {
    tool_group *g = &rep->groups[rep->ngroup++];
    i = group_of(g, order, i, rs->count);
    count_group(rep, g);
  }
  free(order);
  if (find_obsolete(rep, rs, set) != 0) {
    tool_report_free(rep);
    return MEMGATE_ENOMEM;
  }
  return 0;
}

/* ------------------------------------------------------------------------
 * Loading inputs for the commands
 * ------------------------------------------------------------------------ */

int tool_check_policy(memgate__bl_policy *pol, const tool_check_opts *o) {
  char err[256];
  if (memgate__bl_policy_env(pol, err, sizeof err)) {
    fprintf(stderr, "%s\n", err);
    return TOOL_EXIT_USAGE;
  }
  pol->update = false;
  pol->strict = pol->strict || o->strict;
  pol->fail_on_improvement = pol->fail_on_improvement || o->fail_on_improvement;
  return 0;
}

int tool_load_baselines(memgate__bl_set *set, const char *dir) {
  bool explicit_dir = dir != NULL, missing = false;
  char err[1024];
  if (!dir) dir = memgate__bl_dir_env(&explicit_dir);
  int rc = memgate__bl_set_load(set, dir, &missing, err, sizeof err);
  if (rc) {
    fprintf(stderr, "%s\n", err);
    return TOOL_EXIT_USAGE;
  }
  if (missing && explicit_dir) {
    fprintf(stderr, "%s: no such baselines directory\n", dir);
    return TOOL_EXIT_USAGE;
  }
  int status = 0;
  for (size_t i = 0; i < set->count; i++)
    if (set->files[i].error) {
      fprintf(stderr, "%s\n", set->files[i].error);
      status = TOOL_EXIT_USAGE;
    }
  return status;
}

int tool_load_results(tool_results *rs, int n, char **paths, bool allow_empty) {
  char err[1024];
  for (int i = 0; i < n; i++) {
    size_t added = 0;
    if (tool_results_load(rs, paths[i], 0, &added, err, sizeof err) != 0) {
      fprintf(stderr, "%s\n", err);
      return TOOL_EXIT_USAGE;
    }
    if (added == 0 && !allow_empty) {
      fprintf(stderr, "%s: no results in this file (empty? was the test built with memgate and "
                      "MEMGATE_RESULTS set?)\n", paths[i]);
      return TOOL_EXIT_USAGE;
    }
  }
  return 0;
}

/*
 * The history model (history.h): results grouped by commit, ordered by
 * time, and by (scope, platform). Two sorts, no loop over all lines inside
 * another: O(n log n) in the lines.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "history.h"

#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ------------------------------------------------------------------------
 * Loading
 * ------------------------------------------------------------------------ */

static int name_cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool is_jsonl(const char *name) {
  size_t n = strlen(name);
  return name[0] != '.' && n > 6 && strcmp(name + n - 6, ".jsonl") == 0;
}

/* The *.jsonl files of dir, loaded in name order. 0 or 2 (printed). */
static int load_dir(tool_results *rs, const char *dir) {
  DIR *d = opendir(dir);
  if (!d) {
    tool_err("%s: cannot read the directory: %s", dir, strerror(errno));
    return TOOL_EXIT_USAGE;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  int status = 0;
  for (struct dirent *e; !status && (e = readdir(d));) {
    if (!is_jsonl(e->d_name)) continue;
    char **nn = n == cap ? realloc(names, (cap = cap ? cap * 2 : 16) * sizeof *nn) : names;
    char *p = NULL;
    if (!nn || asprintf(&p, "%s/%s", dir, e->d_name) < 0) {
      if (nn) names = nn;
      tool_err("%s: out of memory", dir);
      status = TOOL_EXIT_USAGE;
      break;
    }
    names = nn;
    names[n++] = p;
  }
  closedir(d);
  if (!status && n == 0) {
    tool_err("%s: no *.jsonl results files in this directory", dir);
    status = TOOL_EXIT_USAGE;
  }
  if (n > 1) qsort(names, n, sizeof *names, name_cmp);
  if (!status) status = tool_load_results(rs, (int)n, names, false);
  for (size_t i = 0; i < n; i++) free(names[i]);
  free(names);
  return status;
}

int tool_history_load(tool_results *rs, int n, char **paths) {
  for (int i = 0; i < n; i++) {
    struct stat st;
    int status = stat(paths[i], &st) == 0 && S_ISDIR(st.st_mode) ? load_dir(rs, paths[i])
                                                                   : tool_load_results(rs, 1, &paths[i], false);
    if (status) return status;
  }
  for (size_t i = 0; i < rs->count; i++)
    if (rs->items[i].bad_line) {
      fprintf(stderr, "%s\n", rs->items[i].message);
      tool_err("history: a results line could not be read; a history is not drawn from a damaged run");
      return TOOL_EXIT_USAGE;
    }
  return 0;
}

/* ------------------------------------------------------------------------
 * Building
 * ------------------------------------------------------------------------ */

typedef struct hist_ref {
  const tool_result *r;
  size_t idx;     /* in rs: the evaluation's index, and ties */
  size_t commit;  /* first: the index among distinct commits; then the order */
} hist_ref;

static int64_t time_of(const tool_result *r) { return r->has_time ? r->time_ms : INT64_MAX; }

static int by_commit(const void *a, const void *b) {
  const hist_ref *x = a, *y = b;
  int c = strcmp(x->r->commit, y->r->commit);
  return c ? c : x->idx < y->idx ? -1 : x->idx > y->idx;
}

/* Worst first, as check shows a group's worst result. */
static int rank(memgate_verdict v) {
  return v == MemgateVerdictLeak ? 0 : v == MemgateVerdictRegression ? 1 : v == MemgateVerdictError ? 2 : 3;
}

static int by_scope(const void *a, const void *b) {
  const hist_ref *x = a, *y = b;
  int c = strcmp(x->r->name, y->r->name);
  if (!c) c = strcmp(x->r->platform, y->r->platform);
  if (!c && x->commit != y->commit) c = x->commit < y->commit ? -1 : 1;
  if (!c) c = rank(x->r->verdict) - rank(y->r->verdict);
  if (!c && time_of(x->r) != time_of(y->r)) c = time_of(x->r) > time_of(y->r) ? -1 : 1; /* latest first */
  return c ? c : x->idx > y->idx ? -1 : x->idx < y->idx;
}

typedef struct commit_slot {
  tool_hist_commit c;
  size_t old; /* its index before ordering by time */
} commit_slot;

static int slot_cmp(const void *a, const void *b) {
  const commit_slot *x = a, *y = b;
  if (x->c.time_ms != y->c.time_ms) return x->c.time_ms < y->c.time_ms ? -1 : 1;
  int c = strcmp(x->c.id, y->c.id);
  return c ? c : x->old < y->old ? -1 : x->old > y->old;
}

/* The distinct commits of refs, ordered by time (then id); sets each
 * ref's commit to its position in that order. */
static int build_commits(tool_history *h, hist_ref *refs, size_t n) {
  qsort(refs, n, sizeof *refs, by_commit);
  commit_slot *cs = calloc(n ? n : 1, sizeof *cs);
  size_t *pos = malloc((n ? n : 1) * sizeof *pos), m = 0;
  h->commits = calloc(n ? n : 1, sizeof *h->commits);
  if (!cs || !pos || !h->commits) {
    free(cs);
    free(pos);
    return MEMGATE_ENOMEM;
  }
  for (size_t i = 0; i < n; i++) {
    if (i == 0 || strcmp(refs[i].r->commit, refs[i - 1].r->commit) != 0)
      cs[m] = (commit_slot){{refs[i].r->commit, INT64_MAX, 0}, m}, m++;
    tool_hist_commit *c = &cs[m - 1].c;
    c->results++;
    if (time_of(refs[i].r) < c->time_ms) c->time_ms = time_of(refs[i].r);
    refs[i].commit = m - 1;
  }
  qsort(cs, m, sizeof *cs, slot_cmp);
  for (size_t i = 0; i < m; i++) {
    pos[cs[i].old] = i;
    h->commits[i] = cs[i].c;
  }
  h->ncommits = m;
  for (size_t i = 0; i < n; i++) refs[i].commit = pos[refs[i].commit];
  free(cs);
  free(pos);
  return 0;
}

/* The band of the point shown: the given baselines' entry, else the
 * baseline the run recorded. */
static void band_of(tool_hist_point *p, const tool_report *rep, size_t idx) {
  const tool_eval *e = rep ? &rep->evals[idx] : NULL;
  if (e && e->has_baseline) {
    p->has_band = true;
    p->band_lo = (double)e->j.cmp.expected;
    p->band_hi = (double)e->j.cmp.allowed;
  } else if (!rep && p->r->has_baseline) {
    p->has_band = true;
    p->band_lo = (double)p->r->baseline_retained_bytes;
    p->band_hi = (double)p->r->allowed_bytes;
  }
}

static bool same_scope(const tool_result *a, const tool_result *b) {
  return strcmp(a->name, b->name) == 0 && strcmp(a->platform, b->platform) == 0;
}

/* One walk over refs sorted by scope, commit, worst, latest. */
static int build_scopes(tool_history *h, const hist_ref *refs, size_t n, const tool_report *rep) {
  h->points = calloc(n ? n : 1, sizeof *h->points);
  h->scopes = calloc(n ? n : 1, sizeof *h->scopes);
  if (!h->points || !h->scopes) return MEMGATE_ENOMEM;
  for (size_t i = 0; i < n; i++) {
    bool new_scope = i == 0 || !same_scope(refs[i].r, refs[i - 1].r);
    if (!new_scope && refs[i].commit == refs[i - 1].commit) continue; /* not the shown one */
    if (new_scope) h->scopes[h->nscopes++] = (tool_hist_scope){refs[i].r->name, refs[i].r->platform,
                                                               &h->points[h->npoints], 0, 0};
    tool_hist_scope *s = &h->scopes[h->nscopes - 1];
    tool_hist_point *p = &h->points[h->npoints++];
    p->commit = refs[i].commit;
    p->r = refs[i].r;
    p->failed = p->r->verdict != MemgateVerdictPass;
    band_of(p, rep, refs[i].idx);
    s->n++;
  }
  for (size_t i = 0; i < h->nscopes; i++) {
    tool_hist_scope *s = &h->scopes[i];
    s->first_fail = s->n;
    for (size_t k = 0; k < s->n && s->first_fail == s->n; k++)
      if (s->pts[k].failed) s->first_fail = k;
    h->failing_now += s->n > 0 && s->pts[s->n - 1].failed;
  }
  return 0;
}

int tool_history_build(tool_history *h, const tool_results *rs, const tool_report *rep) {
  memset(h, 0, sizeof *h);
  size_t n = rs->count;
  hist_ref *refs = malloc((n ? n : 1) * sizeof *refs);
  if (!refs) return MEMGATE_ENOMEM;
  for (size_t i = 0; i < n; i++) refs[i] = (hist_ref){&rs->items[i], i, 0};
  int rc = build_commits(h, refs, n);
  if (!rc) {
    qsort(refs, n, sizeof *refs, by_scope);
    rc = build_scopes(h, refs, n, rep);
  }
  free(refs);
  if (rc) tool_history_free(h);
  return rc;
}

void tool_history_free(tool_history *h) {
  if (!h) return;
  free(h->commits);
  free(h->scopes);
  free(h->points);
  memset(h, 0, sizeof *h);
}

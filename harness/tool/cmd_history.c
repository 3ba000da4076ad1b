/*
 * memgate history append HISTORY RESULTS...: adds the runs in RESULTS to
 * the history file HISTORY (created when missing), idempotent by run id,
 * thinned (history_thin.c) and written atomically (file_io.c's writer).
 *
 * A history file is a results file whose lines carry "run": the lines of
 * each run, whole, oldest run first, so `memgate report --history` and
 * `memgate check` read it like any results file. A results line without
 * "run" gets the run id --run-id ID, else COMMIT@TIME (its file's commit
 * and earliest time), so appending the same results again adds nothing;
 * its "series" and "heap_series" are written as null (the history draws
 * retained, peak and growth; the series would make every run 10-100 times
 * larger). docs/CI.md, "History across commits".
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "file_io.h"
#include "history.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char k_about[] =
    "Appends the runs in RESULTS (results files of one run each, or other history files) to\n"
    "HISTORY, a results file whose lines carry their run id. A run already in HISTORY is not\n"
    "added again (the run id of a results file is --run-id ID, else COMMIT@TIME from its\n"
    "lines), so the same append can be retried. HISTORY stays bounded: the newest --keep runs,\n"
    "then of the older ones every run where a scope's verdict changed (or a scope first\n"
    "appeared) and the newest of each UTC day, never more than --max-runs in all. HISTORY is\n"
    "replaced atomically. The series are not kept (null): the history draws retained, peak\n"
    "and growth per iteration.\n";
static const char k_after[] = "exit status: 0 written (or nothing new), 2 bad input or usage, or HISTORY could not be "
                              "written\n";

typedef struct hist_opts {
  const char *keep, *max, *run_id;
  size_t nkeep, nmax;
} hist_opts;

typedef struct hline {
  char *text;         /* the line to write, without its newline (owned) */
  size_t len;
  size_t res;         /* its result in app.rs */
  const char *run;    /* its run id (borrowed: from rs, or app.ids) */
  size_t src;         /* 0: HISTORY; 1..: the RESULTS argument it came from */
  size_t order;       /* input order */
} hline;

typedef struct happ {
  tool_results rs;
  hline *lines;
  size_t n, cap;
  char **ids;         /* run ids made here (owned) */
  size_t nids;
  char *old;          /* HISTORY as it was (NULL: missing) */
  size_t oldlen;
} happ;

/* ------------------------------------------------------------------------
 * Reading
 * ------------------------------------------------------------------------ */

/* The whole of path (*missing when it does not exist and missing_ok). 0 or 2. */
static int read_text(const char *path, bool missing_ok, char **buf, size_t *len, bool *missing) {
  char err[1200];
  int fd = -1;
  *buf = NULL;
  *len = 0;
  int rc = memgate__open_regular(AT_FDCWD, path, path, 0, &fd, NULL, err, sizeof err);
  if (rc == MEMGATE__OPEN_MISSING && missing_ok) {
    *missing = true;
    return 0;
  }
  if (rc == MEMGATE__OPEN_MISSING) snprintf(err, sizeof err, "%s: no such file", path);
  if (rc != MEMGATE__OPEN_OK) {
    tool_err("%s", err);
    return TOOL_EXIT_USAGE;
  }
  rc = memgate__read_fd(fd, TOOL_RESULTS_MAX_FILE, buf, len);
  close(fd);
  if (rc || *len > TOOL_RESULTS_MAX_FILE) {
    tool_err("%s: cannot read: %s", path, rc ? strerror(errno) : "too large");
    free(*buf);
    *buf = NULL;
    return TOOL_EXIT_USAGE;
  }
  return 0;
}

static int add_line(happ *a, const char *s, size_t n, size_t src) {
  if (a->n == a->cap) {
    size_t nc = a->cap ? a->cap * 2 : 256;
    hline *nl = realloc(a->lines, nc * sizeof *nl);
    if (!nl) return MEMGATE_ENOMEM;
    a->lines = nl;
    a->cap = nc;
  }
  char *t = malloc(n + 1);
  if (!t) return MEMGATE_ENOMEM;
  memcpy(t, s, n);
  t[n] = '\0';
  a->lines[a->n] = (hline){t, n, a->rs.count - 1, NULL, src, a->n};
  a->n++;
  return 0;
}

/* Every non-blank line of text, parsed on its own (a bad one is an error
 * naming path:line:column). 0 or 2. */
static int parse_text(happ *a, const char *text, size_t len, const char *path, size_t src) {
  char err[1200];
  uint32_t line = 1;
  for (size_t pos = 0; pos < len; line++) {
    const char *nl = memchr(text + pos, '\n', len - pos);
    size_t end = nl ? (size_t)(nl - text) : len, n = end - pos;
    if (n > 0 && text[pos + n - 1] == '\r') n--;
    size_t sp = 0;
    while (sp < n && (text[pos + sp] == ' ' || text[pos + sp] == '\t')) sp++;
    if (sp < n) {
      if (tool_results_parse(&a->rs, text + pos, n, path, line, NULL, err, sizeof err) != 0) {
        fprintf(stderr, "%s\n", err);
        return TOOL_EXIT_USAGE;
      }
      if (add_line(a, text + pos, n, src) != 0) {
        tool_err("%s: out of memory", path);
        return TOOL_EXIT_USAGE;
      }
    }
    pos = nl ? end + 1 : len;
  }
  return 0;
}

static int load_history(happ *a, const char *path) {
  bool missing = false;
  int status = read_text(path, true, &a->old, &a->oldlen, &missing);
  if (!status && a->old) status = parse_text(a, a->old, a->oldlen, path, 0);
  for (size_t i = 0; !status && i < a->n; i++) {
    const tool_result *r = &a->rs.items[a->lines[i].res];
    if (!*r->run) {
      tool_err("%s:%u: a line without \"run\": not a history file (memgate history append writes them)", path,
               (unsigned)r->source_line);
      status = TOOL_EXIT_USAGE;
    }
    a->lines[i].run = r->run;
  }
  return status;
}

/* ------------------------------------------------------------------------
 * A results file's lines as history lines
 * ------------------------------------------------------------------------ */

/* The run id of lines [from, a->n): --run-id, else COMMIT@TIME. NULL
 * (printed) when the lines have no commit or more than one. */
static const char *make_run_id(happ *a, size_t from, const char *path, const char *given) {
  const char *commit = NULL;
  int64_t t = INT64_MAX;
  for (size_t i = from; i < a->n; i++) {
    const tool_result *r = &a->rs.items[a->lines[i].res];
    if (*r->run) continue;
    if (commit && strcmp(commit, r->commit) != 0 && !given) {
      tool_err("%s: lines of more than one commit (%s, %s): one run measures one commit", path, commit, r->commit);
      return NULL;
    }
    commit = r->commit;
    if (r->has_time && r->time_ms < t) t = r->time_ms;
  }
  if (given) return given;
  if (!commit || !*commit) {
    tool_err("%s: no commit in its lines (set GITHUB_SHA or MEMGATE_COMMIT, or run in a git checkout), or "
             "give --run-id ID",
             path);
    return NULL;
  }
  char *id = NULL;
  if (asprintf(&id, "%s@%" PRId64, commit, t == INT64_MAX ? (int64_t)0 : t) < 0) return NULL;
  char **ni = realloc(a->ids, (a->nids + 1) * sizeof *ni);
  if (!ni) {
    free(id);
    return NULL;
  }
  a->ids = ni;
  a->ids[a->nids++] = id;
  return id;
}

/* Skips the JSON array at s[i] (numbers only: a validated series). */
static size_t skip_array(const char *s, size_t n, size_t i) {
  while (i < n && s[i] != ']') i++;
  return i < n ? i + 1 : n;
}

/* The line with "run":"ID" first and its top-level "series" and
 * "heap_series" arrays as null, scanning strings properly. */
static char *history_text(const hline *l, const char *run, size_t *outlen) {
  const char *s = l->text;
  size_t n = l->len, o = 0, i = 0;
  char *out = malloc(n + strlen(run) + 16);
  if (!out) return NULL;
  while (i < n && s[i] != '{') out[o++] = s[i++];
  o += (size_t)sprintf(out + o, "{\"run\":\"%s\",", run);
  int depth = 1;
  for (i++; i < n; i++) {
    char c = s[i];
    if (c == '"') {
      size_t j = i + 1;
      while (j < n && s[j] != '"') j += s[j] == '\\' ? 2 : 1;
      bool key = depth == 1 && j + 2 < n && s[j + 1] == ':';
      bool series = key && ((j - i - 1 == 6 && memcmp(s + i + 1, "series", 6) == 0) ||
                            (j - i - 1 == 11 && memcmp(s + i + 1, "heap_series", 11) == 0));
      memcpy(out + o, s + i, j + 1 - i);
      o += j + 1 - i;
      i = j;
      if (series && s[j + 2] == '[') {
        memcpy(out + o, ":null", 5);
        o += 5;
        i = skip_array(s, n, j + 2) - 1;
      }
      continue;
    }
    depth += (c == '{' || c == '[') - (c == '}' || c == ']');
    out[o++] = c;
  }
  out[o] = '\0';
  *outlen = o;
  return out;
}

/* Gives the lines of one RESULTS file (from index `from`) their run id
 * and history form, checked by reading it back. 0 or 2. */
static int to_history(happ *a, size_t from, const char *path, const char *given) {
  const char *id = make_run_id(a, from, path, given);
  if (!id) return TOOL_EXIT_USAGE;
  for (size_t i = from; i < a->n; i++) {
    hline *l = &a->lines[i];
    const tool_result *r = &a->rs.items[l->res];
    if (*r->run) {
      l->run = r->run;
      continue;
    }
    size_t len = 0;
    char *t = history_text(l, id, &len), err[1200];
    tool_results check;
    tool_results_init(&check);
    int rc = t ? tool_results_parse(&check, t, len, path, r->source_line, NULL, err, sizeof err) : MEMGATE_ENOMEM;
    tool_results_free(&check);
    if (rc) {
      tool_err("%s:%u: cannot make the history line (%s)", path, (unsigned)r->source_line, t ? err : "out of memory");
      free(t);
      return TOOL_EXIT_USAGE;
    }
    free(l->text);
    l->text = t;
    l->len = len;
    l->run = id;
  }
  return 0;
}

static int load_results(happ *a, int n, char **paths, const char *given) {
  for (int k = 0; k < n; k++) {
    char *buf = NULL;
    size_t len = 0, from = a->n;
    bool missing = false;
    int status = read_text(paths[k], false, &buf, &len, &missing);
    if (!status) status = parse_text(a, buf, len, paths[k], (size_t)k + 1);
    free(buf);
    if (!status && a->n == from) {
      tool_err("%s: no results in this file", paths[k]);
      status = TOOL_EXIT_USAGE;
    }
    if (!status) status = to_history(a, from, paths[k], given);
    if (status) return status;
  }
  return 0;
}

/* ------------------------------------------------------------------------
 * Merging, thinning, writing
 * ------------------------------------------------------------------------ */

static int by_run(const void *x, const void *y) {
  const hline *const *a = x, *const *b = y;
  int c = strcmp((*a)->run, (*b)->run);
  if (!c && (*a)->src != (*b)->src) c = (*a)->src < (*b)->src ? -1 : 1;
  return c ? c : (*a)->order < (*b)->order ? -1 : (*a)->order > (*b)->order;
}

typedef struct hrun {
  tool_hist_run run;
  size_t first, n;     /* its lines: refs[first .. first + n) */
} hrun;

static int by_time(const void *x, const void *y) {
  const hrun *a = x, *b = y;
  if (a->run.time_ms != b->run.time_ms) return a->run.time_ms < b->run.time_ms ? -1 : 1;
  return strcmp(a->run.id, b->run.id);
}

typedef struct hmerge {
  hline **refs;        /* kept lines, grouped by run */
  hrun *runs;          /* by time */
  size_t nruns, nrefs, added, skipped;
} hmerge;

/* Groups lines by run id; a run id met in an earlier source (HISTORY
 * first) keeps that source's lines only: appending is idempotent. */
static int group_runs(const happ *a, hmerge *m) {
  m->refs = malloc((a->n ? a->n : 1) * sizeof *m->refs);
  m->runs = calloc(a->n ? a->n : 1, sizeof *m->runs);
  if (!m->refs || !m->runs) return MEMGATE_ENOMEM;
  hline **all = m->refs;
  for (size_t i = 0; i < a->n; i++) all[i] = &a->lines[i];
  qsort(all, a->n, sizeof *all, by_run);
  for (size_t i = 0; i < a->n; i++) {
    bool first = i == 0 || strcmp(all[i]->run, all[i - 1]->run) != 0;
    if (first) {
      m->runs[m->nruns++] = (hrun){{all[i]->run, INT64_MAX, false, false}, m->nrefs, 0};
      m->added += all[i]->src != 0;
    } else if (all[i]->src != m->refs[m->nrefs - 1]->src) {
      m->skipped += all[i - 1]->src != all[i]->src; /* the same run again */
      continue;
    }
    hrun *r = &m->runs[m->nruns - 1];
    const tool_result *res = &a->rs.items[all[i]->res];
    if (res->has_time && res->time_ms < r->run.time_ms) r->run.time_ms = res->time_ms;
    m->refs[m->nrefs++] = all[i];
    r->n++;
  }
  for (size_t i = 0; i < m->nruns; i++)
    if (m->runs[i].run.time_ms == INT64_MAX) m->runs[i].run.time_ms = INT64_MIN;
  qsort(m->runs, m->nruns, sizeof *m->runs, by_time);
  return 0;
}

static int mark_transitions(const happ *a, hmerge *m) {
  const tool_result **lines = malloc((m->nrefs ? m->nrefs : 1) * sizeof *lines);
  size_t *run_of = malloc((m->nrefs ? m->nrefs : 1) * sizeof *run_of), k = 0;
  tool_hist_run *runs = malloc((m->nruns ? m->nruns : 1) * sizeof *runs);
  int rc = lines && run_of && runs ? 0 : MEMGATE_ENOMEM;
  for (size_t i = 0; !rc && i < m->nruns; i++) {
    runs[i] = m->runs[i].run;
    for (size_t j = 0; j < m->runs[i].n; j++, k++) {
      lines[k] = &a->rs.items[m->refs[m->runs[i].first + j]->res];
      run_of[k] = i;
    }
  }
  if (!rc) rc = tool_history_transitions(runs, lines, run_of, k);
  for (size_t i = 0; !rc && i < m->nruns; i++) m->runs[i].run.transition = runs[i].transition;
  free(lines);
  free(run_of);
  free(runs);
  return rc;
}

/* The kept runs' lines, oldest run first, into a new buffer. */
static char *render(const hmerge *m, size_t *len) {
  size_t total = 1;
  for (size_t i = 0; i < m->nrefs; i++) total += m->refs[i]->len + 1;
  char *out = malloc(total), *p = out;
  if (!out) return NULL;
  for (size_t i = 0; i < m->nruns; i++) {
    if (!m->runs[i].run.keep) continue;
    for (size_t j = 0; j < m->runs[i].n; j++) {
      const hline *l = m->refs[m->runs[i].first + j];
      memcpy(p, l->text, l->len);
      p += l->len;
      *p++ = '\n';
    }
  }
  *len = (size_t)(p - out);
  return out;
}

/* Writes HISTORY when it changed. 0 or 2. */
static int write_history(const char *path, const happ *a, const hmerge *m, size_t kept) {
  char err[1200];
  size_t len = 0;
  char *out = render(m, &len);
  if (!out) {
    tool_err("history: out of memory");
    return TOOL_EXIT_USAGE;
  }
  bool same = a->old && len == a->oldlen && memcmp(out, a->old, len) == 0;
  int status = 0;
  if (!same && tool_write_file_atomic(path, out, len, err, sizeof err) != 0) {
    tool_err("history: cannot write %s (%s); it is left as it was", path, err);
    status = TOOL_EXIT_USAGE;
  }
  free(out);
  if (!status)
    fprintf(stderr, "memgate history: %s: %zu run%s added, %zu already there, %zu kept, %zu thinned out%s\n", path,
            m->added, m->added == 1 ? "" : "s", m->skipped, kept, m->nruns - kept, same ? " (unchanged)" : "");
  return status;
}

/* A count option: 1 .. 1000000. */
static int count_opt(const char *name, const char *v, size_t dflt, size_t *out) {
  char *end = NULL;
  *out = dflt;
  if (!v) return 0;
  errno = 0;
  unsigned long long n = strtoull(v, &end, 10);
  if (errno || !*v || *end || v[0] == '-' || n < 1 || n > 1000000) {
    tool_err("history: --%s must be a whole number from 1 to 1000000, not '%s'", name, v);
    return TOOL_EXIT_USAGE;
  }
  *out = (size_t)n;
  return 0;
}

static int parse(hist_opts *o, int argc, char **argv) {
  const tool_option opts[] = {
      OPT_STRING(0, "keep", &o->keep, "N", "always keep the newest N runs (default 100)"),
      OPT_STRING(0, "max-runs", &o->max, "M", "never keep more than M runs (default 500; at least N)"),
      OPT_STRING(0, "run-id", &o->run_id, "ID",
                 "the run id of RESULTS' lines (default COMMIT@TIME from them);\n"
                 "1 to 128 of A-Z a-z 0-9 . _ : @ + -, e.g. the CI run's id"),
      OPT_END()};
  const tool_usage u = {"history", "memgate history append [options] HISTORY RESULTS...", k_about, k_after, 0, opts};
  int n = tool_parse_options(&u, argc, argv);
  if (n < 0) return n;
  int status = count_opt("keep", o->keep, 100, &o->nkeep);
  if (!status) status = count_opt("max-runs", o->max, 500, &o->nmax);
  if (!status && o->nmax < o->nkeep) {
    tool_err("history: --max-runs %zu is below --keep %zu", o->nmax, o->nkeep);
    status = TOOL_EXIT_USAGE;
  }
  if (!status && o->run_id && !tool_run_id_ok(o->run_id)) {
    tool_err("history: --run-id '%s' must be 1 to %d of A-Z a-z 0-9 . _ : @ + -", o->run_id, TOOL_RUN_ID_MAX);
    status = TOOL_EXIT_USAGE;
  }
  if (!status && (n < 3 || strcmp(argv[0], "append") != 0)) {
    tool_err(n >= 1 && strcmp(argv[0], "append") != 0 ? "history: unknown action '%s' (append is the one)"
                                                       : "history: append needs HISTORY and at least one RESULTS file",
             n >= 1 ? argv[0] : "");
    fprintf(stderr, "usage: %s\n", u.synopsis);
    status = TOOL_EXIT_USAGE;
  }
  return status ? -status : n;
}

static void app_free(happ *a, hmerge *m) {
  for (size_t i = 0; i < a->n; i++) free(a->lines[i].text);
  free(a->lines);
  for (size_t i = 0; i < a->nids; i++) free(a->ids[i]);
  free(a->ids);
  free(a->old);
  tool_results_free(&a->rs);
  free(m->refs);
  free(m->runs);
}

int tool_cmd_history(int argc, char **argv) {
  hist_opts o;
  happ a;
  hmerge m;
  memset(&o, 0, sizeof o);
  memset(&a, 0, sizeof a);
  memset(&m, 0, sizeof m);
  int n = parse(&o, argc, argv);
  if (n == TOOL_PARSE_HELP || n == TOOL_PARSE_ERROR) return tool_parse_exit(n);
  if (n < 0) return -n;
  tool_results_init(&a.rs);
  const char *path = argv[1];
  int status = load_history(&a, path);
  if (!status) status = load_results(&a, n - 2, argv + 2, o.run_id);
  if (!status && (group_runs(&a, &m) != 0 || mark_transitions(&a, &m) != 0)) {
    tool_err("history: out of memory");
    status = TOOL_EXIT_USAGE;
  }
  if (!status) {
    tool_hist_run *runs = malloc((m.nruns ? m.nruns : 1) * sizeof *runs);
    if (!runs) status = TOOL_EXIT_USAGE;
    for (size_t i = 0; runs && i < m.nruns; i++) runs[i] = m.runs[i].run;
    size_t kept = runs ? tool_history_thin(runs, m.nruns, o.nkeep, o.nmax) : 0;
    for (size_t i = 0; runs && i < m.nruns; i++) m.runs[i].run.keep = runs[i].keep;
    free(runs);
    if (!status) status = write_history(path, &a, &m, kept);
  }
  app_free(&a, &m);
  return status;
}

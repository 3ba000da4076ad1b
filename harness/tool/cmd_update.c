/* memgate update RESULTS...: accept measured results as the new baselines. */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "tool.h"

#include <stdlib.h>
#include <string.h>

static const char k_about[] =
    "Records the measured values of results files as the baselines, merging into the\n"
    "baseline files: other scopes and other platforms are kept, and an existing entry\n"
    "keeps its tolerance and note. Each file is updated under a lock and replaced\n"
    "atomically. A measurement within an existing entry's own tolerance leaves the entry\n"
    "byte-identical (a changed value is a reviewed change, not noise); a peak below the\n"
    "peak's accuracy (256 KiB) is not recorded. --dry-run prints the diff instead.\n"
    "Leaking and failed results are not recorded, and a results file with a\n"
    "line that cannot be read records nothing (exit status 2).\n"
    "When a scope has several results, the largest retained and peak among those with\n"
    "the most iterations are recorded.\n";
static const char k_after[] =
    "\n"
    "Refuses to run when the environment variable CI is set (baselines are reviewed\n"
    "changes, recorded on purpose), unless --force is given.\n"
    "exit status: 0 recorded, 1 some results were not recorded (leak or error),\n"
    "             2 bad input or usage (baseline files are then left untouched)\n";

typedef struct pending {
  char file[128];     /* the baseline file */
  size_t order;       /* position among the results: equal keys fold in this order */
  const tool_result *r;
  memgate__bl_entry e; /* scope and platform borrowed */
  /* The spread of the runs behind e (results with e's iterations): runs
   * are told apart by results file and process id. */
  uint32_t runs;
  const tool_result *last; /* the last result folded in */
  int64_t rmin, rmax, pmin, pmax; /* retained and peak (pmax < 0: no peak) */
  char note[200];          /* the note that says the tolerance came from the spread */
} pending;

/* Tolerance from the observed spread: this many times the spread between
 * the runs (largest - smallest), never below the defaults (docs/CI.md). */
#define UPDATE_SPREAD_MARGIN 2

/* By file, scope, platform, then results order: groups each file's entries
 * and each (scope, platform)'s results, in one sort (no search per result). */
static int pending_cmp(const void *a, const void *b) {
  const pending *x = a, *y = b;
  int c = strcmp(x->file, y->file);
  if (!c) c = strcmp(x->e.scope, y->e.scope);
  if (!c) c = strcmp(x->e.platform, y->e.platform);
  return c ? c : x->order < y->order ? -1 : x->order > y->order;
}

static bool wanted(const tool_update_opts *o, const char *name) {
  if (o->nonly == 0) return true;
  for (size_t i = 0; i < o->nonly; i++)
    if (strcmp(o->only[i], name) == 0) return true;
  return false;
}

/* Only what measured fine is recorded: a result the baselines alone failed
 * (a regression, a baseline error) measured a pass; a leak or any other
 * error is not accepted. (The loader derives measured_verdict for format-1
 * lines.) */
static bool measured_ok(const tool_result *r) { return r->measured_verdict == MemgateVerdictPass; }

/* Every string from the results file is escaped for the terminal (the
 * text layer's term escaper): no message can start a line of its own. */
static void say_not_recorded(const tool_result *r) {
  fputs("memgate: update: not recording ", stderr);
  memgate__fputs_esc(stderr, memgate__esc_term, r->name);
  fprintf(stderr, " [%s] (", r->platform);
  memgate__fputs_esc(stderr, memgate__esc_term, r->file);
  fprintf(stderr, ":%d): %s: ", r->line, memgate_verdict_name(r->verdict));
  memgate__fputs_esc(stderr, memgate__esc_term, r->message);
  fputc('\n', stderr);
}

/* Every --only name must be among the results. */
static int check_only(const tool_results *rs, const tool_update_opts *o) {
  for (size_t k = 0; k < o->nonly; k++) {
    bool found = false;
    for (size_t i = 0; i < rs->count && !found; i++) found = strcmp(rs->items[i].name, o->only[k]) == 0;
    if (!found) {
      tool_err("update: no result named '%s' in the results given", o->only[k]);
      return TOOL_EXIT_USAGE;
    }
  }
  return 0;
}

/* Folds r into p's spread; restart: the figures were replaced (first
 * result, or more iterations). Results with fewer iterations (ignored by
 * the record rule) are ignored here too. */
static void spread_add(pending *p, const tool_result *r, bool restart) {
  uint32_t it = r->kind == MemgateKindRepeat && r->iterations ? r->iterations : 1;
  int64_t pk = r->has_peak ? r->peak_bytes : -1;
  if (restart) {
    p->runs = 0;
    p->last = NULL;
    p->rmin = p->rmax = r->retained_bytes;
    p->pmin = p->pmax = pk;
  }
  if (it != p->e.iterations) return;
  if (!p->last || p->last->source != r->source || p->last->pid != r->pid) p->runs++;
  p->last = r;
  if (r->retained_bytes < p->rmin) p->rmin = r->retained_bytes;
  if (r->retained_bytes > p->rmax) p->rmax = r->retained_bytes;
  if (pk >= 0 && (p->pmin < 0 || pk < p->pmin)) p->pmin = pk;
  if (pk > p->pmax) p->pmax = pk;
}

/* With two runs or more: the tolerances from the spread, and a note that
 * says so (unless --note gave one). */
static void spread_tolerance(pending *p, const tool_update_opts *o) {
  char rs[32], ps[32] = "";
  if (p->runs < 2) return;
  int64_t t = UPDATE_SPREAD_MARGIN * (p->rmax - p->rmin);
  p->e.tolerance_bytes = t > MEMGATE__BL_DEFAULT_TOLERANCE_BYTES ? t : MEMGATE__BL_DEFAULT_TOLERANCE_BYTES;
  memgate__bytes(rs, sizeof rs, p->rmax - p->rmin, false);
  if (p->e.peak_bytes >= 0 && p->pmin >= 0) {
    int64_t pt = UPDATE_SPREAD_MARGIN * (p->pmax - p->pmin);
    p->e.peak_tolerance_bytes =
        pt > MEMGATE__BL_DEFAULT_PEAK_TOLERANCE_BYTES ? pt : MEMGATE__BL_DEFAULT_PEAK_TOLERANCE_BYTES;
    memgate__bytes(ps, sizeof ps, p->pmax - p->pmin, false);
  }
  snprintf(p->note, sizeof p->note, "tolerance from %u runs: retained spread %s%s%s, margin %dx the spread, at least the default",
           (unsigned)p->runs, rs, *ps ? ", peak spread " : "", ps, UPDATE_SPREAD_MARGIN);
  if (!o->note) p->e.note = p->note;
}

/* One pending per recordable result, sorted, then folded: one per (scope,
 * platform) with memgate__bl_record_merge. Returns how many remain. */
static size_t collect(const tool_results *rs, const tool_update_opts *o, pending *ps, size_t *skipped) {
  size_t n = 0, np = 0;
  for (size_t i = 0; i < rs->count; i++) {
    const tool_result *r = &rs->items[i];
    if (!wanted(o, r->name)) continue;
    if (!measured_ok(r)) {
      say_not_recorded(r);
      (*skipped)++;
      continue;
    }
    pending *p = &ps[n++];
    p->r = r;
    p->order = i;
    p->e.scope = (char *)(o->as ? o->as : r->name);
    p->e.platform = (char *)(o->platform ? o->platform : r->platform);
    p->e.note = (char *)o->note;
    memgate__bl_file_name(p->e.scope, p->file, sizeof p->file);
  }
  if (n > 1) qsort(ps, n, sizeof *ps, pending_cmp);
  for (size_t i = 0; i < n; i++) {
    const tool_result *r = ps[i].r;
    bool first = np == 0 || strcmp(ps[np - 1].e.scope, ps[i].e.scope) != 0 ||
                 strcmp(ps[np - 1].e.platform, ps[i].e.platform) != 0;
    if (first) ps[np++] = ps[i];
    uint32_t before = first ? 0 : ps[np - 1].e.iterations;
    memgate__bl_record_merge(&ps[np - 1].e, first, r->kind, r->iterations, r->retained_bytes,
                             r->has_peak, r->peak_bytes);
    spread_add(&ps[np - 1], r, first || ps[np - 1].e.iterations != before);
  }
  for (size_t i = 0; i < np; i++) spread_tolerance(&ps[i], o);
  return np;
}

/* Every target file must parse before any is written, so bad input never
 * leaves some files updated and others not. (Each update checks again
 * under its lock.) */
static int check_targets(const char *dir, const pending *ps, size_t np) {
  int status = 0;
  char msg[2048];
  for (size_t i = 0; i < np; i++) {
    if (i > 0 && strcmp(ps[i].file, ps[i - 1].file) == 0) continue;
    memgate__bl_file chk;
    char path[1024];
    bool missing = false;
    snprintf(path, sizeof path, "%s/%s", dir, ps[i].file);
    if (memgate__bl_load(path, &chk, &missing, msg, sizeof msg) != 0) {
      fprintf(stderr, "%s\nmemgate: update: nothing written\n", msg);
      status = TOOL_EXIT_USAGE;
    }
    memgate__bl_free(&chk);
  }
  return status;
}

/* --prune: an entry of a platform the results measured that none produced. */
static bool drop_obsolete(const memgate__bl_entry *e, void *ctx) { return tool_entry_obsolete(e, ctx); }

static void say_recorded(const char *path, const memgate__bl_entry *e, const memgate__bl_file *old,
                         bool changed, bool dry_run) {
  const memgate__bl_entry *was = memgate__bl_find(old, e->scope, e->platform);
  char r1[32], p1[32], r0[32] = "", p0[32] = "-";
  memgate__bytes(r1, sizeof r1, e->retained_bytes, false);
  if (e->peak_bytes >= 0) memgate__bytes(p1, sizeof p1, e->peak_bytes, false);
  else snprintf(p1, sizeof p1, "-");
  if (was) {
    memgate__bytes(r0, sizeof r0, was->retained_bytes, false);
    if (was->peak_bytes >= 0) memgate__bytes(p0, sizeof p0, was->peak_bytes, false);
  }
  bool quiet = was && memgate__bl_within(was, e);
  printf("memgate update%s: %s: %s [%s]: retained %s, peak %s, %u iteration%s (%s%s%s%s%s%s)\n",
         dry_run ? " --dry-run" : "", path, e->scope, e->platform, r1, p1, (unsigned)e->iterations,
         e->iterations == 1 ? "" : "s", was ? "was retained " : "new entry", was ? r0 : "", was ? ", peak " : "",
         was ? p0 : "", quiet ? "; within the entry's tolerance: entry kept" : "",
         changed ? "" : dry_run ? "; file would not change" : "; file unchanged");
}

/* dir/file in buf (the previous values are read from it to show what
 * changes; the update re-reads the file under the lock). */
static const char *path_of(char *buf, size_t cap, const char *dir, const char *file) {
  snprintf(buf, cap, "%s/%s", dir, file);
  return buf;
}

/* Tolerances from the spread replace the entry's, but only widen one that
 * already came from a spread (its note says so): when that is at least as
 * wide, it (and its note) stays, so re-recording several runs of an
 * unchanged test changes nothing. */
static void keep_wider(memgate__bl_entry *e, const memgate__bl_entry *was, const tool_update_opts *o) {
  if (!was || e->tolerance_bytes < 0 || !was->note || strncmp(was->note, "tolerance from ", 15) != 0) return;
  if (was->tolerance_bytes < e->tolerance_bytes ||
      (e->peak_tolerance_bytes >= 0 && was->peak_tolerance_bytes < e->peak_tolerance_bytes))
    return;
  e->tolerance_bytes = e->peak_tolerance_bytes = -1;
  e->note = (char *)o->note;
}

/* Writes ps[0..n) (one file), or under --dry-run prints the diff it would
 * write; prints what changed. 0 or exit status 2. */
static int write_one_file(const char *dir, const pending *ps, size_t n, const tool_update_opts *o) {
  memgate__bl_entry *es = calloc(n ? n : 1, sizeof *es);
  memgate__bl_file old;
  memgate__bl_update_ext ext;
  char path[1024], msg[2048], a[1100], b[1100];
  bool missing = false, changed = false;
  if (!es) {
    tool_err("out of memory");
    return TOOL_EXIT_USAGE;
  }
  memset(&ext, 0, sizeof ext);
  ext.dry_run = o->dry_run;
  if (o->prune) {
    ext.drop = drop_obsolete;
    ext.ctx = (void *)o->produced;
  }
  for (size_t k = 0; k < n; k++) es[k] = ps[k].e;
  if (memgate__bl_load(path_of(path, sizeof path, dir, ps[0].file), &old, &missing, msg, sizeof msg) != 0)
    memset(&old, 0, sizeof old);
  for (size_t k = 0; k < n; k++) keep_wider(&es[k], memgate__bl_find(&old, es[k].scope, es[k].platform), o);
  int rc = memgate__bl_update_ex(dir, ps[0].file, es, n, &ext, &changed, msg, sizeof msg);
  if (rc) fprintf(stderr, "%s\nmemgate: update: %s left unchanged\n", msg, path);
  if (!rc && o->dry_run) {
    snprintf(a, sizeof a, "%s%s", ext.before ? "a/" : "", ext.before ? path : "/dev/null");
    snprintf(b, sizeof b, "b/%s", path);
    if (tool_text_diff(stdout, a, ext.before, ext.before_len, b, ext.after, ext.after_len)) rc = MEMGATE_ENOMEM;
  }
  for (size_t k = 0; k < n && !rc; k++) say_recorded(path, &es[k], &old, changed, o->dry_run);
  if (!rc && ext.dropped)
    printf("memgate update%s: %s: %s %zu obsolete entr%s (no result produced %s)\n", o->dry_run ? " --dry-run" : "",
           path, o->dry_run ? "would remove" : "removed", ext.dropped, ext.dropped == 1 ? "y" : "ies",
           ext.dropped == 1 ? "it" : "them");
  free(ext.before);
  free(ext.after);
  memgate__bl_free(&old);
  free(es);
  return rc ? TOOL_EXIT_USAGE : 0;
}

/* --prune in the files no pending entry touches: each with an obsolete
 * entry is rewritten without it. 0 or 2. */
static int prune_others(const char *dir, const pending *ps, size_t np, const tool_update_opts *o) {
  memgate__bl_set set;
  char err[1024];
  int status = 0;
  memset(&set, 0, sizeof set);
  if (memgate__bl_set_load(&set, dir, NULL, err, sizeof err) != 0) {
    fprintf(stderr, "%s\n", err);
    return TOOL_EXIT_USAGE;
  }
  for (size_t i = 0; i < set.count && !status; i++) {
    bool touched = false, any = false;
    for (size_t k = 0; k < np && !touched; k++) touched = strcmp(ps[k].file, set.files[i].name) == 0;
    for (size_t k = 0; !touched && k < set.files[i].file.count && !any; k++)
      any = tool_entry_obsolete(&set.files[i].file.entries[k], o->produced);
    if (!any) continue;
    pending p;
    memset(&p, 0, sizeof p);
    snprintf(p.file, sizeof p.file, "%s", set.files[i].name);
    status = write_one_file(dir, &p, 0, o);
  }
  memgate__bl_set_free(&set);
  return status;
}

/* A results file with a line that could not be read is a damaged run:
 * `check` judges the rest, but nothing from it becomes a baseline. 0 or 2. */
static int check_no_bad_line(const tool_results *rs) {
  int status = 0;
  for (size_t i = 0; i < rs->count; i++)
    if (rs->items[i].bad_line) {
      fprintf(stderr, "%s\n", rs->items[i].message);
      status = TOOL_EXIT_USAGE;
    }
  if (status) tool_err("update: a results line could not be read: nothing written");
  return status;
}

int tool_update_from_results(const tool_results *rs, const tool_update_opts *o) {
  const char *dir = o->dir ? o->dir : memgate__bl_dir_env(NULL);
  size_t skipped = 0;
  int status = check_no_bad_line(rs);
  if (!status) status = check_only(rs, o);
  if (status) return status;
  pending *ps = calloc(rs->count ? rs->count : 1, sizeof *ps);
  if (!ps) {
    tool_err("out of memory");
    return TOOL_EXIT_USAGE;
  }
  size_t np = collect(rs, o, ps, &skipped);
  status = check_targets(dir, ps, np);
  bool checked_bad = status != 0;
  for (size_t i = 0, j; i < np && !checked_bad; i = j) {
    for (j = i; j < np && strcmp(ps[j].file, ps[i].file) == 0;) j++;
    if (write_one_file(dir, &ps[i], j - i, o)) status = TOOL_EXIT_USAGE;
  }
  if (!status && o->prune) status = prune_others(dir, ps, np, o);
  free(ps);
  if (status) return status;
  if (np == 0 && o->prune) return skipped ? TOOL_EXIT_FAIL : TOOL_EXIT_OK;
  if (np == 0) {
    tool_err("update: nothing recorded");
    return TOOL_EXIT_FAIL;
  }
  return skipped ? TOOL_EXIT_FAIL : TOOL_EXIT_OK;
}

/* --only NAME: appends to the tool_update_opts' list (room for every argument). */
static int opt_only(void *value, const char *arg) {
  tool_update_opts *o = value;
  o->only[o->nonly++] = arg;
  return 0;
}

/* The option values that need checking. 0 or an exit status. */
static int update_validate(const tool_update_opts *o) {
  if (o->as && o->nonly != 1) {
    tool_err("update: --as needs exactly one --only NAME");
    return TOOL_EXIT_USAGE;
  }
  if (o->as && !memgate__bl_scope_ok(o->as)) {
    tool_err("update: --as '%s': not a valid scope name", o->as);
    return TOOL_EXIT_USAGE;
  }
  if (o->platform && !memgate__bl_platform_ok(o->platform)) {
    tool_err("update: --platform '%s': expected 1 to 63 of a-z 0-9 . _ -", o->platform);
    return TOOL_EXIT_USAGE;
  }
  if (o->note && (strlen(o->note) >= MEMGATE__BL_NOTE_CAP || !memgate__text_clean(o->note, strlen(o->note)))) {
    tool_err("update: --note must be one line of at most %d bytes of UTF-8", MEMGATE__BL_NOTE_CAP - 1);
    return TOOL_EXIT_USAGE;
  }
  return 0;
}

int tool_cmd_update(int argc, char **argv) {
  tool_update_opts o;
  tool_results rs;
  bool force = false;
  const char **only = calloc((size_t)argc + 1, sizeof *only);
  if (!only) {
    tool_err("out of memory");
    return TOOL_EXIT_USAGE;
  }
  memset(&o, 0, sizeof o);
  o.only = only;
  const tool_option opts[] = {
      OPT_STRING(0, "baselines", &o.dir, "DIR", "baseline directory (default: $MEMGATE_BASELINES or ./baselines)"),
      OPT_CALLBACK(0, "only", &o, "NAME", "record only the scope NAME (repeatable)", opt_only),
      OPT_STRING(0, "as", &o.as, "NAME", "record the one --only scope under the name NAME instead"),
      OPT_STRING(0, "platform", &o.platform, "KEY", "record under platform KEY (e.g. \"any\") instead of each result's"),
      OPT_STRING(0, "note", &o.note, "TEXT", "set the entries' note"),
      OPT_BOOL(0, "prune", &o.prune, "remove the entries of the platforms the results measured that\n"
                                     "no result produced (never other platforms' entries)"),
      OPT_BOOL(0, "dry-run", &o.dry_run, "print the diff the update would write to each baseline file;\n"
                                         "write nothing (allowed in CI)"),
      OPT_BOOL(0, "force", &force, "update even when CI is set in the environment"),
      OPT_END()};
  const tool_usage u = {"update", "memgate update [options] RESULTS...", k_about, k_after, 0, opts};
  int nfiles = tool_parse_options(&u, argc, argv);
  if (nfiles < 0) {
    free(only);
    return tool_parse_exit(nfiles);
  }
  int status = update_validate(&o);
  if (!status && nfiles == 0) {
    tool_err("update: no results files given");
    tool_usage_print(&u, stderr);
    status = TOOL_EXIT_USAGE;
  }
  if (!status && tool_in_ci() && !force && !o.dry_run) {
    tool_err("update: refusing to change baselines in CI (CI=%s): record them locally and commit "
             "them, or pass --force",
             getenv("CI"));
    status = TOOL_EXIT_USAGE;
  }
  if (status) {
    free(only);
    return status;
  }
  tool_results_init(&rs);
  status = tool_load_results(&rs, nfiles, argv, false);
  tool_produced produced;
  memset(&produced, 0, sizeof produced);
  if (!status && o.prune && tool_produced_init(&produced, &rs) != 0) {
    tool_err("out of memory");
    status = TOOL_EXIT_USAGE;
  }
  o.produced = &produced;
  if (!status) status = tool_update_from_results(&rs, &o);
  tool_produced_free(&produced);
  tool_results_free(&rs);
  free(only);
  return status;
}

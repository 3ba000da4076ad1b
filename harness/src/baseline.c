/*
 * Baselines in the measured process.
 *
 * memgate__baseline_init() runs once, before the first sample: it reads the
 * settings (MEMGATE_BASELINES, MEMGATE_STRICT, MEMGATE_UPDATE,
 * MEMGATE_FAIL_ON_IMPROVEMENT) and parses every baseline file, so no parsing
 * ever lands inside a measurement. memgate__baseline_apply() runs after a
 * result's last sample: it judges the result against its entry with the
 * rules shared with `memgate check` (baseline_set.c), fills the result's
 * baseline fields and rewrites its message. It does not allocate, except in
 * record mode past the storage reserved at init.
 *
 * Record mode (MEMGATE_UPDATE=1): results that do not leak are queued (the
 * largest retained and peak per scope and platform) and written at exit,
 * merged into the files under a lock (memgate__bl_update).
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "baseline_store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Record-mode entries reserved (and touched) at init. */
#define RECORD_RESERVE 64

typedef struct record {
  char scope[MEMGATE__BL_NAME_CAP];
  char platform[MEMGATE__BL_KEY_CAP];
  char file[128];
  int kind;
  uint32_t iterations;
  int64_t retained, peak;
  pid_t pid;
} record;

static struct {
  memgate__bl_set set;
  memgate__bl_policy policy;
  char error[768]; /* a setting or the directory is unusable: every result errs */
  pthread_mutex_t lock;
  record *recs;
  size_t nrec, cap;
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

static int record_cmp(const void *a, const void *b) {
  const record *x = a, *y = b;
  int c = strcmp(x->file, y->file);
  if (c) return c;
  c = strcmp(x->scope, y->scope);
  return c ? c : strcmp(x->platform, y->platform);
}

/* Writes the queued records of this process (runs at exit). */
static void flush_records(void) {
  pid_t self = getpid();
  pthread_mutex_lock(&g.lock);
  size_t n = 0;
  for (size_t i = 0; i < g.nrec; i++)
    if (g.recs[i].pid == self) g.recs[n++] = g.recs[i];
  g.nrec = 0;
  if (n) qsort(g.recs, n, sizeof *g.recs, record_cmp);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && strcmp(g.recs[j].file, g.recs[i].file) == 0) j++;
    memgate__bl_entry *es = calloc(j - i, sizeof *es);
    char err[768];
    bool changed = false;
    int rc = MEMGATE_ENOMEM;
    snprintf(err, sizeof err, "%s/%s: out of memory", g.set.dir, g.recs[i].file);
    if (es) {
      for (size_t k = i; k < j; k++) {
        memgate__bl_entry *e = &es[k - i];
        e->scope = g.recs[k].scope;
        e->platform = g.recs[k].platform;
        e->kind = g.recs[k].kind;
        e->iterations = g.recs[k].iterations;
        e->retained_bytes = g.recs[k].retained;
        e->peak_bytes = g.recs[k].peak;
        e->tolerance_bytes = -1;
        e->tolerance_percent = -1;
        e->peak_tolerance_bytes = -1;
        e->peak_tolerance_percent = -1;
      }
      rc = memgate__bl_update(g.set.dir, g.recs[i].file, es, j - i, &changed, err, sizeof err);
      free(es);
    }
    if (rc)
      fprintf(stderr, "memgate: error: %s (MEMGATE_UPDATE=1: baselines NOT updated)\n", err);
    else if (changed)
      fprintf(stderr, "memgate: MEMGATE_UPDATE=1: updated %s/%s (%zu entr%s)\n", g.set.dir,
              g.recs[i].file, j - i, j - i == 1 ? "y" : "ies");
    i = j;
  }
  pthread_mutex_unlock(&g.lock);
}

void memgate__baseline_init(void) {
  bool explicit_dir = false, missing = false;
  char err[768];
  const char *dir = memgate__bl_dir_env(&explicit_dir);

  if (memgate__bl_policy_env(&g.policy, g.error, sizeof g.error)) return;
  int rc = memgate__bl_set_load(&g.set, dir, &missing, err, sizeof err);
  if (rc) {
    snprintf(g.error, sizeof g.error, "%s", err);
    return;
  }
  if (missing && explicit_dir && !g.policy.update) {
    snprintf(g.error, sizeof g.error,
             "MEMGATE_BASELINES=%.400s: no such directory (unset it to use ./baselines)", dir);
    return;
  }
  if (g.policy.update) {
    g.recs = malloc(RECORD_RESERVE * sizeof *g.recs);
    if (g.recs) {
      memset(g.recs, 0, RECORD_RESERVE * sizeof *g.recs); /* touch the pages now */
      g.cap = RECORD_RESERVE;
    }
    atexit(flush_records);
  }
}

/* Queues a measured result for recording; false when out of memory. */
static bool queue_record(const memgate_result *r, const char *platform) {
  int64_t retained = r->retained_bytes > 0 ? r->retained_bytes : 0;
  int64_t peak = r->has_peak ? (r->peak_bytes > 0 ? r->peak_bytes : 0) : -1;
  uint32_t iterations = r->kind == MemgateKindRepeat && r->iterations ? r->iterations : 1;
  pid_t self = getpid();
  pthread_mutex_lock(&g.lock);
  size_t i = 0;
  for (; i < g.nrec; i++)
    if (g.recs[i].pid == self && strcmp(g.recs[i].scope, r->name) == 0 &&
        strcmp(g.recs[i].platform, platform) == 0)
      break;
  if (i == g.nrec) {
    if (g.nrec == g.cap) {
      size_t cap = g.cap ? g.cap * 2 : RECORD_RESERVE;
      record *nr = realloc(g.recs, cap * sizeof *nr);
      if (!nr) {
        pthread_mutex_unlock(&g.lock);
        return false;
      }
      g.recs = nr;
      g.cap = cap;
    }
    record *n = &g.recs[g.nrec++];
    memset(n, 0, sizeof *n);
    snprintf(n->scope, sizeof n->scope, "%s", r->name);
    snprintf(n->platform, sizeof n->platform, "%s", platform);
    memgate__bl_file_name(r->name, n->file, sizeof n->file);
    n->kind = (int)r->kind;
    n->iterations = iterations;
    n->retained = retained;
    n->peak = peak;
    n->pid = self;
  } else {
    /* The same scope again in this process: keep the largest figures. */
    record *o = &g.recs[i];
    if (o->iterations != iterations || o->kind != (int)r->kind) {
      o->kind = (int)r->kind;
      o->iterations = iterations;
      o->retained = retained;
      o->peak = peak;
    } else {
      if (retained > o->retained) o->retained = retained;
      if (peak > o->peak) o->peak = peak;
    }
  }
  pthread_mutex_unlock(&g.lock);
  return true;
}

void memgate__baseline_apply(const memgate_result *r, memgate__baseline_note *n) {
  memgate__bl_judgement j;
  memset(n, 0, sizeof *n);
  if (!r || !r->name) return;
  if (r->measured_verdict != MemgateVerdictPass && r->measured_verdict != MemgateVerdictLeak) return;
  const char *platform = r->platform && *r->platform ? r->platform : memgate_platform();

  if (g.error[0]) {
    n->judged = true;
    n->verdict = MemgateVerdictError;
    n->error = MEMGATE_EBASELINE;
    snprintf(n->desc, sizeof n->desc, "baselines not applied: %s", g.error);
    return;
  }
  memgate__bl_judge(&g.set, &g.policy, r->name, r->kind, platform, r->measured_verdict,
                    r->iterations, r->retained_bytes, r->has_peak, r->peak_bytes, &j);
  snprintf(n->desc, sizeof n->desc, "%s", j.desc);
  n->judged = memgate__bl_verdict_of(&j, &g.policy, &n->verdict, &n->error);
  if (j.status == MEMGATE__BL_RECORD && !queue_record(r, platform)) {
    n->judged = true;
    n->verdict = MemgateVerdictError;
    n->error = MEMGATE_ENOMEM;
    snprintf(n->desc, sizeof n->desc, "cannot queue the result for recording (out of memory)");
    return;
  }
  if (j.entry && j.status == MEMGATE__BL_COMPARED) {
    n->has_entry = true;
    n->expected_bytes = j.cmp.expected;
    n->peak_bytes = j.entry->peak_bytes;
    n->allowed_bytes = j.cmp.allowed;
    n->platform = j.entry->platform; /* lives as long as the process */
  }
}

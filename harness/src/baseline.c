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
 * Record mode (MEMGATE_UPDATE=1): results that do not leak are queued (one
 * record per scope and platform, merged by memgate__bl_record_merge, the
 * rule `memgate update` uses) and written at exit, merged into the files
 * under a lock (memgate__bl_update). A file that cannot be written is never
 * silent: the message goes to stderr, each scope it held gets an error line
 * in MEMGATE_RESULTS (so `memgate run --update` and `memgate check` fail),
 * and a process that was exiting with status 0 exits with status 1
 * (docs/CI.md, "Recording").
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "baseline_store.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MSG_CAP 1024
/* Record-mode entries reserved (and touched) at init, and their index. */
#define RECORD_RESERVE 64
/* Exit status of a process whose baselines could not be written. */
#define EXIT_NOT_RECORDED 1

typedef struct record {
  char scope[MEMGATE__BL_NAME_CAP];
  char platform[MEMGATE__BL_KEY_CAP];
  char file[128];           /* the baseline file */
  char src[256];            /* where the scope was measured, for messages */
  int line;
  memgate__bl_entry e;      /* the measured figures (scope, platform set at flush) */
} record;

static struct {
  memgate__bl_set set;
  memgate__bl_policy policy;
  char error[768]; /* a setting or the directory is unusable: every result errs */
  pthread_mutex_t lock;
  record *recs;
  size_t nrec, cap;
  size_t *slots; /* open addressing over recs: index + 1, 0 empty */
  size_t nslots; /* a power of two, at least 2 * cap */
  pid_t owner;   /* the process the records belong to */
} g = {.lock = PTHREAD_MUTEX_INITIALIZER};

/* ------------------------------------------------------------------------
 * The queue
 * ------------------------------------------------------------------------ */

static size_t key_hash(const char *scope, const char *platform) {
  uint64_t h = 1469598103934665603ull; /* FNV-1a */
  for (const char *p = scope; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
  h = (h ^ 0xff) * 1099511628211ull;
  for (const char *p = platform; *p; p++) h = (h ^ (unsigned char)*p) * 1099511628211ull;
  return (size_t)h;
}

/* The slot holding (scope, platform), or the empty slot where it goes. */
static size_t slot_of(const char *scope, const char *platform) {
  size_t mask = g.nslots - 1, i = key_hash(scope, platform) & mask;
  for (; g.slots[i]; i = (i + 1) & mask) {
    const record *r = &g.recs[g.slots[i] - 1];
    if (strcmp(r->scope, scope) == 0 && strcmp(r->platform, platform) == 0) break;
  }
  return i;
}

/* Room for one more record (and its index); false when out of memory. */
static bool reserve_one(void) {
  if (g.nrec == g.cap) {
    size_t cap = g.cap ? g.cap * 2 : RECORD_RESERVE;
    record *nr = realloc(g.recs, cap * sizeof *nr);
    if (!nr) return false;
    g.recs = nr;
    g.cap = cap;
  }
  if ((g.nrec + 1) * 2 <= g.nslots) return true;
  size_t n = g.nslots ? g.nslots * 2 : 2 * RECORD_RESERVE;
  size_t *ns = calloc(n, sizeof *ns);
  if (!ns) return false;
  free(g.slots);
  g.slots = ns;
  g.nslots = n;
  for (size_t i = 0; i < g.nrec; i++) g.slots[slot_of(g.recs[i].scope, g.recs[i].platform)] = i + 1;
  return true;
}

/* Queues a measured result for recording; false when out of memory. */
static bool queue_record(const memgate_result *r, const char *platform) {
  pid_t self = getpid();
  bool ok = true;
  pthread_mutex_lock(&g.lock);
  if (g.owner != self) {
    /* A forked child: the records it inherited are its parent's to write. */
    g.nrec = 0;
    if (g.slots) memset(g.slots, 0, g.nslots * sizeof *g.slots);
    g.owner = self;
  }
  size_t at = g.slots ? slot_of(r->name, platform) : 0;
  bool first = !g.slots || !g.slots[at];
  if (first && (ok = reserve_one())) {
    record *n = &g.recs[g.nrec++];
    memset(n, 0, sizeof *n);
    snprintf(n->scope, sizeof n->scope, "%s", r->name);
    snprintf(n->platform, sizeof n->platform, "%s", platform);
    memgate__bl_file_name(r->name, n->file, sizeof n->file);
    at = slot_of(n->scope, n->platform); /* the index may have been rebuilt */
    g.slots[at] = g.nrec;
  }
  if (ok) {
    record *o = &g.recs[g.slots[at] - 1];
    snprintf(o->src, sizeof o->src, "%s", r->file ? r->file : "?");
    o->line = r->line;
    memgate__bl_record_merge(&o->e, first, r->kind, r->iterations, r->retained_bytes, r->has_peak,
                             r->peak_bytes);
  }
  pthread_mutex_unlock(&g.lock);
  return ok;
}

/* ------------------------------------------------------------------------
 * Writing at exit
 * ------------------------------------------------------------------------ */

static int record_cmp(const void *a, const void *b) {
  const record *x = a, *y = b;
  int c = strcmp(x->file, y->file);
  if (c) return c;
  c = strcmp(x->scope, y->scope);
  return c ? c : strcmp(x->platform, y->platform);
}

/* A scope whose baseline could not be written: an error line in the results. */
static void report_unrecorded(const record *rec, const char *why) {
  const char *path = getenv("MEMGATE_RESULTS");
  char msg[MSG_CAP], err[256];
  memgate_result r;
  if (!path || !*path) return;
  memset(&r, 0, sizeof r);
  snprintf(msg, sizeof msg, "not recorded as the baseline (MEMGATE_UPDATE=1): %s", why);
  r.name = rec->scope;
  r.file = r.begin_file = rec->src;
  r.line = r.begin_line = rec->line;
  r.platform = rec->platform;
  r.kind = rec->e.kind == MemgateKindRepeat ? MemgateKindRepeat : MemgateKindScope;
  /* An error of the run itself, like a result that could not be written:
   * no later judging of the baselines can turn it into a pass. */
  r.verdict = r.measured_verdict = MemgateVerdictError;
  r.baseline_verdict = MemgateVerdictPass;
  r.error = MEMGATE_EIO;
  r.message = msg;
  r.retained_bytes = rec->e.retained_bytes;
  r.has_peak = rec->e.peak_bytes >= 0;
  r.peak_bytes = r.has_peak ? rec->e.peak_bytes : 0;
  r.iterations = rec->e.iterations;
  r.baseline_platform = "";
  if (memgate__results_write(path, &r, err, sizeof err) != 0) fprintf(stderr, "%s\n", err);
}

/* Writes recs[i..j) (one baseline file); false when it could not. */
static bool write_file_records(record *recs, size_t n) {
  char err[768];
  bool changed = false;
  int rc = MEMGATE_ENOMEM;
  memgate__bl_entry *es = calloc(n, sizeof *es);
  snprintf(err, sizeof err, "%s/%s: out of memory", g.set.dir, recs[0].file);
  if (es) {
    for (size_t k = 0; k < n; k++) {
      es[k] = recs[k].e;
      es[k].scope = recs[k].scope;
      es[k].platform = recs[k].platform;
    }
    rc = memgate__bl_update(g.set.dir, recs[0].file, es, n, &changed, err, sizeof err);
    free(es);
  }
  if (rc) {
    fprintf(stderr, "memgate: error: %s (MEMGATE_UPDATE=1: %zu baseline entr%s NOT recorded)\n",
            err, n, n == 1 ? "y" : "ies");
    for (size_t k = 0; k < n; k++) report_unrecorded(&recs[k], err);
  } else if (changed) {
    fprintf(stderr, "memgate: MEMGATE_UPDATE=1: updated %s/%s (%zu entr%s)\n", g.set.dir,
            recs[0].file, n, n == 1 ? "y" : "ies");
  }
  return rc == 0;
}

/* Writes the queued records of this process; the number of files that
 * could not be written. */
static size_t flush_records(void) {
  size_t failed = 0;
  pthread_mutex_lock(&g.lock);
  size_t n = g.owner == getpid() ? g.nrec : 0;
  g.nrec = 0;
  if (n) qsort(g.recs, n, sizeof *g.recs, record_cmp);
  for (size_t i = 0; i < n;) {
    size_t j = i;
    while (j < n && strcmp(g.recs[j].file, g.recs[i].file) == 0) j++;
    if (!write_file_records(&g.recs[i], j - i)) failed++;
    i = j;
  }
  if (g.slots) memset(g.slots, 0, g.nslots * sizeof *g.slots);
  pthread_mutex_unlock(&g.lock);
  return failed;
}

/* A process that lost baselines must not exit 0. _exit skips the handlers
 * registered before this one, so stdio is flushed here first; a process
 * already exiting with a failure status keeps it (glibc's on_exit tells). */
static void exit_handler(int status) {
  if (flush_records() == 0 || status != 0) return;
  fprintf(stderr, "memgate: MEMGATE_UPDATE=1: baselines were not recorded: exit status %d\n",
          EXIT_NOT_RECORDED);
  fflush(NULL);
  _exit(EXIT_NOT_RECORDED);
}

#if defined(__GLIBC__)
static void on_exit_records(int status, void *arg) {
  (void)arg;
  exit_handler(status);
}
#else
static void atexit_records(void) { exit_handler(0); }
#endif

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
    g.owner = getpid();
    /* Storage for the first records, touched now, so recording a result
     * allocates nothing inside an enclosing scope. */
    g.recs = calloc(RECORD_RESERVE, sizeof *g.recs);
    g.slots = calloc(2 * RECORD_RESERVE, sizeof *g.slots);
    if (g.recs && g.slots) {
      memset(g.recs, 0, RECORD_RESERVE * sizeof *g.recs);
      g.cap = RECORD_RESERVE;
      g.nslots = 2 * RECORD_RESERVE;
    } else {
      free(g.recs);
      free(g.slots);
      g.recs = NULL;
      g.slots = NULL;
    }
#if defined(__GLIBC__)
    on_exit(on_exit_records, NULL);
#else
    atexit(atexit_records);
#endif
  }
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
  /* A pass says nothing of a missing baseline unless asked (MEMGATE_VERBOSE=1). */
  if (j.status == MEMGATE__BL_NO_ENTRY && r->measured_verdict == MemgateVerdictPass &&
      !g.policy.strict && !g.policy.verbose)
    n->desc[0] = '\0';
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

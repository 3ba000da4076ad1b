/*
 * memgate core: errors, options, sampler dispatch, scopes, repeats,
 * verdicts and reporting.
 *
 * Rule kept throughout: nothing is allocated between the two samples a
 * result compares. Per-thread state and series storage are allocated before
 * the first sample; results are formatted and written after the last.
 */
#ifndef _GNU_SOURCE
#  define _GNU_SOURCE
#endif
#include "memgate_internal.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <stdarg.h>

#define MEMGATE__MAX_DEPTH 32
#define MEMGATE__NAME_CAP 256
#define MEMGATE__FILE_CAP 1024
#define MEMGATE__MSG_CAP 1024
#define MEMGATE__MAX_ITERATIONS 1000000u

#define msgf memgate__msgf

/* ------------------------------------------------------------------------
 * Errors and names
 * ------------------------------------------------------------------------ */

const char *memgate_strerror(int err) {
  switch (err) {
  case 0: return "success";
#define MEMGATE__ERR_STR(name, val, msg) \
  case MEMGATE_E##name: return msg;
    MEMGATE_ERRNO_MAP(MEMGATE__ERR_STR)
#undef MEMGATE__ERR_STR
  default: return "unknown memgate error";
  }
}

const char *memgate_err_name(int err) {
  switch (err) {
  case 0: return "MEMGATE_OK";
#define MEMGATE__ERR_NAME(name, val, msg) \
  case MEMGATE_E##name: return "MEMGATE_E" #name;
    MEMGATE_ERRNO_MAP(MEMGATE__ERR_NAME)
#undef MEMGATE__ERR_NAME
  default: return "MEMGATE_EUNKNOWN";
  }
}

#define MEMGATE__STR2(x) #x
#define MEMGATE__STR(x) MEMGATE__STR2(x)
const char *memgate_version(void) {
  return MEMGATE__STR(MEMGATE_VERSION_MAJOR) "." MEMGATE__STR(MEMGATE_VERSION_MINOR) "." MEMGATE__STR(
      MEMGATE_VERSION_PATCH);
}

const char *memgate_verdict_name(memgate_verdict verdict) {
  switch (verdict) {
  case MemgateVerdictPass: return "pass";
  case MemgateVerdictLeak: return "leak";
  case MemgateVerdictRegression: return "regression";
  case MemgateVerdictError: return "error";
  }
  return "error";
}

/* ------------------------------------------------------------------------
 * Options from the environment
 * ------------------------------------------------------------------------ */

static char config_error[512];

static void config_fail(const char *var, const char *val, const char *want) {
  msgf(config_error, sizeof config_error, "memgate: %s=\"%.64s\": %s", var, val, want);
}

/* Parses a decimal unsigned integer in [lo, hi]; returns false on error. */
static bool parse_u64_in(const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
  if (!s || !*s) return false;
  uint64_t v = 0;
  for (const char *p = s; *p; p++) {
    if (*p < '0' || *p > '9') return false;
    uint64_t d = (uint64_t)(*p - '0');
    if (v > (UINT64_MAX - d) / 10u) return false;
    v = v * 10u + d;
  }
  if (v < lo || v > hi) return false;
  *out = v;
  return true;
}

static int env_u64(const char *var, uint64_t lo, uint64_t hi, uint64_t *field) {
  const char *s = getenv(var);
  uint64_t v;
  if (!s) return 0;
  if (!parse_u64_in(s, lo, hi, &v)) {
    char want[128];
    msgf(want, sizeof want, "expected a whole number from %" PRIu64 " to %" PRIu64, lo, hi);
    config_fail(var, s, want);
    return MEMGATE_ECONFIG;
  }
  *field = v;
  return 0;
}

static uint64_t page_size_bytes(void) {
  static uint64_t ps;
  if (!ps) {
#ifdef _SC_PAGESIZE
    long v = sysconf(_SC_PAGESIZE);
    ps = v > 0 ? (uint64_t)v : 4096u;
#else
    ps = 4096u;
#endif
  }
  return ps;
}

int memgate_options_init(memgate_options *opts) {
  if (!opts) return MEMGATE_EINVAL;
  memgate_options o;
  uint64_t v;
  int rc = 0;

  /* Defaults chosen from measurement (docs/BENCHMARKS.md, False positives
   * and Detection power; docs/DESIGN.md section 4). With the allocator's
   * per-thread cache on, the measuring thread's cache is filled before each
   * sample, but other threads' caches keep growing for hundreds of
   * iterations: hence the longer warm-up and coarser allocator thresholds
   * for the monotone and trend rules (the regular-step rule is immune). */
  o.alloc_cache_active = memgate__platform_alloc_cache_active();
  o.fill_alloc_cache = memgate__platform_alloc_cache_fillable();
  o.warmup = o.alloc_cache_active ? 20 : 2;
  o.iterations = 10;
  /* 10 pages: glibc's own creep (main-heap fragmentation, a worker arena's
   * top that malloc_trim never returns) reached 7 pages in one check. */
  o.min_growth_bytes = 10 * page_size_bytes();
  o.min_slope_bytes = 1024;
  o.heap_min_growth_bytes = o.alloc_cache_active ? 3 * page_size_bytes() : 64;
  o.heap_min_slope_bytes = o.alloc_cache_active ? 1024 : 8;
  o.trend_t = 10.0;
  o.heap_regular_steps = 8;
  o.settle_ms = 0;
  o.release = true;

  v = o.warmup;
  if (env_u64("MEMGATE_WARMUP", 0, MEMGATE__MAX_ITERATIONS, &v)) rc = MEMGATE_ECONFIG;
  o.warmup = (uint32_t)v;
  v = o.iterations;
  if (env_u64("MEMGATE_ITERATIONS", 1, MEMGATE__MAX_ITERATIONS, &v)) rc = MEMGATE_ECONFIG;
  o.iterations = (uint32_t)v;
  if (env_u64("MEMGATE_MIN_GROWTH", 0, UINT64_C(1) << 50, &o.min_growth_bytes)) rc = MEMGATE_ECONFIG;
  if (env_u64("MEMGATE_MIN_SLOPE", 0, UINT64_C(1) << 50, &o.min_slope_bytes)) rc = MEMGATE_ECONFIG;
  if (env_u64("MEMGATE_HEAP_MIN_GROWTH", 0, UINT64_C(1) << 50, &o.heap_min_growth_bytes))
    rc = MEMGATE_ECONFIG;
  if (env_u64("MEMGATE_HEAP_MIN_SLOPE", 0, UINT64_C(1) << 50, &o.heap_min_slope_bytes))
    rc = MEMGATE_ECONFIG;
  v = (uint64_t)o.trend_t;
  if (env_u64("MEMGATE_TREND_T", 1, 1000000, &v)) rc = MEMGATE_ECONFIG;
  o.trend_t = (double)v;
  v = o.heap_regular_steps;
  if (env_u64("MEMGATE_HEAP_REGULAR", 0, MEMGATE__MAX_ITERATIONS, &v)) rc = MEMGATE_ECONFIG;
  o.heap_regular_steps = (uint32_t)v;
  v = o.settle_ms;
  if (env_u64("MEMGATE_SETTLE_MS", 0, 60000, &v)) rc = MEMGATE_ECONFIG;
  o.settle_ms = (uint32_t)v;
  v = o.release ? 1 : 0;
  if (env_u64("MEMGATE_RELEASE", 0, 1, &v)) rc = MEMGATE_ECONFIG;
  o.release = v != 0;
  v = o.fill_alloc_cache ? 1 : 0;
  if (env_u64("MEMGATE_FILL_CACHE", 0, 1, &v)) rc = MEMGATE_ECONFIG;
  o.fill_alloc_cache = v != 0;

  *opts = o;
  return rc;
}

const char *memgate_config_error(void) { return config_error; }

/* Validates options given by a caller; writes a message on error. */
static int check_options(const memgate_options *o, char *msg, size_t cap) {
  if (o->iterations == 0 || o->iterations > MEMGATE__MAX_ITERATIONS ||
      o->warmup > MEMGATE__MAX_ITERATIONS) {
    snprintf(msg, cap, "invalid options: iterations must be 1..%u and warmup 0..%u",
             MEMGATE__MAX_ITERATIONS, MEMGATE__MAX_ITERATIONS);
    return MEMGATE_EINVAL;
  }
  if (!(o->trend_t > 0) || !isfinite(o->trend_t) || o->settle_ms > 60000) {
    snprintf(msg, cap, "invalid options: trend_t must be finite and > 0, settle_ms <= 60000");
    return MEMGATE_EINVAL;
  }
  return 0;
}

/* ------------------------------------------------------------------------
 * Process state
 * ------------------------------------------------------------------------ */

typedef struct frame {
  char name[MEMGATE__NAME_CAP];
  char file[MEMGATE__FILE_CAP];
  int line;
  int begin_error;         /* sample at BEGIN failed with this code */
  bool peak_ok;            /* peak interval started at BEGIN */
  uint64_t peak_seen;      /* highest absolute peak seen before nested resets */
  memgate_footprint before;
  uint64_t t0;
} frame;

typedef struct tstate {
  struct tstate *next; /* registry of live threads, under g_lock */
  int depth;
  frame frames[MEMGATE__MAX_DEPTH];
  /* Storage the last result's borrowed pointers refer to. */
  char r_name[MEMGATE__NAME_CAP];
  char r_file[MEMGATE__FILE_CAP];
  char r_begin_file[MEMGATE__FILE_CAP];
  char r_msg[MEMGATE__MSG_CAP];
  char r_baseline_platform[64];
  uint64_t *series, *heap_series;
  uint32_t series_cap;
  uint64_t scope_series[2], scope_heap_series[2];
} tstate;

static pthread_mutex_t g_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static pthread_key_t g_key;
static bool g_key_ok;
static tstate *g_threads;
static int g_open_frames; /* across all threads, under g_lock */

static memgate_options g_opts;
static int g_opts_rc;
static char g_opts_msg[512];
static const char *g_results_path;

static memgate_sampler g_sampler;
static bool g_custom_sampler;

static memgate_failure_fn g_fail_fn = memgate_default_failure_handler;
static void *g_fail_ctx;
static memgate_failure_fn g_result_fn;
static void *g_result_ctx;
static atomic_uint g_failures;

static int g_platform_rc;
static void report(memgate_result *r);
static void finish_thread(tstate *ts, const char *why);

static void thread_exit(void *p) {
  tstate *ts = p;
  finish_thread(ts, "its thread exited");
  pthread_mutex_lock(&g_lock);
  for (tstate **pp = &g_threads; *pp; pp = &(*pp)->next)
    if (*pp == ts) {
      *pp = ts->next;
      break;
    }
  pthread_mutex_unlock(&g_lock);
  free(ts->series);
  free(ts->heap_series);
  free(ts);
}

static void at_exit(void) { (void)memgate_finish(); }

static void init_once(void) {
  g_key_ok = pthread_key_create(&g_key, thread_exit) == 0;
  g_opts_rc = memgate_options_init(&g_opts);
  if (g_opts_rc) snprintf(g_opts_msg, sizeof g_opts_msg, "%s", memgate_config_error());
  const char *rp = getenv("MEMGATE_RESULTS");
  g_results_path = rp && *rp ? rp : NULL;
  (void)memgate_platform();
  if (g_platform_rc && !g_opts_rc) {
    g_opts_rc = g_platform_rc;
    snprintf(g_opts_msg, sizeof g_opts_msg, "%s", memgate_config_error());
  }
  memgate__results_reserve();
  memgate__baseline_init();
  atexit(at_exit);
}

static void ensure_init(void) { pthread_once(&g_once, init_once); }

static tstate *get_tstate(void) {
  ensure_init();
  if (!g_key_ok) return NULL;
  tstate *ts = pthread_getspecific(g_key);
  if (ts) return ts;
  ts = malloc(sizeof *ts);
  if (!ts) return NULL;
  /* memset, not calloc: fresh pages must be touched before any sample. */
  memset(ts, 0, sizeof *ts);
  if (pthread_setspecific(g_key, ts) != 0) {
    free(ts);
    return NULL;
  }
  pthread_mutex_lock(&g_lock);
  ts->next = g_threads;
  g_threads = ts;
  pthread_mutex_unlock(&g_lock);
  return ts;
}

static uint64_t now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

static void copy_str(char *dst, size_t cap, const char *src) {
  snprintf(dst, cap, "%s", src ? src : "?");
}

/* ------------------------------------------------------------------------
 * Sampling
 * ------------------------------------------------------------------------ */

void memgate_set_sampler(const memgate_sampler *sampler) {
  if (sampler && sampler->read) {
    g_sampler = *sampler;
    g_custom_sampler = true;
  } else {
    memset(&g_sampler, 0, sizeof g_sampler);
    g_custom_sampler = false;
  }
}

int memgate_read_platform(memgate_footprint *out) {
  if (!out) return MEMGATE_EINVAL;
  return memgate__platform_read(out);
}

int memgate_read(memgate_footprint *out) {
  if (!out) return MEMGATE_EINVAL;
  if (!g_custom_sampler) return memgate__platform_read(out);
  memset(out, 0, sizeof *out);
  int rc = g_sampler.read(g_sampler.ctx, out);
  return rc > 0 ? MEMGATE_ESAMPLER : rc;
}

void memgate_release_free_memory(void) {
  if (g_custom_sampler) {
    if (g_sampler.release) g_sampler.release(g_sampler.ctx);
  } else {
    memgate__platform_release();
  }
}

static int reset_peak(void) {
  if (g_custom_sampler)
    return g_sampler.reset_peak ? g_sampler.reset_peak(g_sampler.ctx) : MEMGATE_EUNSUPPORTED;
  return memgate__platform_reset_peak();
}

static uint64_t peak_of(const memgate_footprint *f) {
  uint64_t p = f->footprint_bytes;
  if ((f->valid & MEMGATE_HAS_PEAK) && f->peak_bytes > p) p = f->peak_bytes;
  return p;
}

/* What precedes every sample: top up the allocator's per-thread cache (so
 * it holds the same at every sample; platform sampler only) and give freed
 * memory back to the OS. */
static void prepare_sample(const memgate_options *o) {
  if (o->fill_alloc_cache && !g_custom_sampler) memgate__platform_fill_alloc_cache();
  if (o->release) memgate_release_free_memory();
}

/* Prepare, sample, and optionally wait until two samples agree. */
static int sample(const memgate_options *o, memgate_footprint *fp) {
  prepare_sample(o);
  int rc = memgate_read(fp);
  if (rc != 0 || o->settle_ms == 0) return rc;
  uint64_t deadline = now_ns() + (uint64_t)o->settle_ms * 1000000u;
  for (;;) {
    memgate_footprint next;
    struct timespec ms = {0, 1000000};
    nanosleep(&ms, NULL);
    prepare_sample(o);
    rc = memgate_read(&next);
    if (rc != 0) return rc;
    bool same = next.footprint_bytes == fp->footprint_bytes;
    *fp = next;
    if (same || now_ns() >= deadline) return 0;
  }
}

/* Starts a new peak interval. The reset is process-wide, so first hand the
 * current peak to every open scope (any thread) that would lose it. */
static bool start_peak_interval(void) {
  pthread_mutex_lock(&g_lock);
  int open = g_open_frames;
  pthread_mutex_unlock(&g_lock);
  if (open > 0) {
    memgate_footprint cur;
    if (memgate_read(&cur) == 0) {
      uint64_t p = peak_of(&cur);
      pthread_mutex_lock(&g_lock);
      for (tstate *t = g_threads; t; t = t->next)
        for (int i = 0; i < t->depth; i++)
          if (t->frames[i].peak_seen < p) t->frames[i].peak_seen = p;
      pthread_mutex_unlock(&g_lock);
    }
  }
  return reset_peak() == 0;
}

/* ------------------------------------------------------------------------
 * Reporting
 * ------------------------------------------------------------------------ */

void memgate_set_failure_handler(memgate_failure_fn fn, void *ctx) {
  pthread_mutex_lock(&g_lock);
  g_fail_fn = fn ? fn : memgate_default_failure_handler;
  g_fail_ctx = fn ? ctx : NULL;
  pthread_mutex_unlock(&g_lock);
}

void memgate_set_result_handler(memgate_failure_fn fn, void *ctx) {
  pthread_mutex_lock(&g_lock);
  g_result_fn = fn;
  g_result_ctx = ctx;
  pthread_mutex_unlock(&g_lock);
}

void memgate_default_failure_handler(const memgate_result *r, void *ctx) {
  (void)ctx;
  fprintf(stderr, "%s:%d: error: memgate: %s: %s: %s\n", r->file ? r->file : "?", r->line,
          r->name ? r->name : "?", memgate_verdict_name(r->verdict), r->message ? r->message : "");
}

unsigned memgate_failure_count(void) { return atomic_load(&g_failures); }

void memgate_reset_failure_count(void) { atomic_store(&g_failures, 0); }

static void report(memgate_result *r) {
  if (g_results_path) {
    char err[512];
    if (memgate__results_write(g_results_path, r, err, sizeof err) != 0) {
      /* Lost results would let CI pass on missing data: count it. */
      fprintf(stderr, "%s:%d: error: %s\n", r->file ? r->file : "?", r->line, err);
      atomic_fetch_add(&g_failures, 1);
    }
  }
  pthread_mutex_lock(&g_lock);
  memgate_failure_fn rfn = g_result_fn, ffn = g_fail_fn;
  void *rctx = g_result_ctx, *fctx = g_fail_ctx;
  pthread_mutex_unlock(&g_lock);
  if (r->verdict != MemgateVerdictPass) atomic_fetch_add(&g_failures, 1);
  if (rfn) rfn(r, rctx);
  if (r->verdict != MemgateVerdictPass && ffn) ffn(r, fctx);
}

/* Prepares a result that borrows its strings from ts. */
static void result_init(tstate *ts, memgate_result *r, memgate_kind kind, const char *name,
                        const char *file, int line, const char *begin_file, int begin_line) {
  memset(r, 0, sizeof *r);
  copy_str(ts->r_name, sizeof ts->r_name, name);
  copy_str(ts->r_file, sizeof ts->r_file, file);
  copy_str(ts->r_begin_file, sizeof ts->r_begin_file, begin_file);
  ts->r_msg[0] = '\0';
  ts->r_baseline_platform[0] = '\0';
  r->name = ts->r_name;
  r->file = ts->r_file;
  r->line = line;
  r->begin_file = ts->r_begin_file;
  r->begin_line = begin_line;
  r->platform = memgate_platform();
  r->kind = kind;
  r->message = ts->r_msg;
  r->baseline_platform = ts->r_baseline_platform;
  r->baseline_peak_bytes = -1;
  r->iterations = 1;
}

/* Reports an error result for a misuse or an unreadable footprint. */
static memgate_verdict report_error(tstate *ts, memgate_result *out, memgate_kind kind,
                                    const char *name, const char *file, int line,
                                    const char *begin_file, int begin_line, int err,
                                    const char *fmt, ...) __attribute__((format(printf, 10, 11)));
/* out (optional) receives the error result; its strings borrow from ts, so
 * they are NULL when ts could not be allocated. */
static memgate_verdict report_error(tstate *ts, memgate_result *out, memgate_kind kind,
                                    const char *name, const char *file, int line,
                                    const char *begin_file, int begin_line, int err,
                                    const char *fmt, ...) {
  memgate_result r;
  tstate fallback; /* when thread state could not be allocated */
  if (!ts) {
    memset(&fallback, 0, sizeof fallback);
    ts = &fallback;
  }
  result_init(ts, &r, kind, name, file, line, begin_file, begin_line);
  va_list ap;
  va_start(ap, fmt);
  (void)vsnprintf(ts->r_msg, sizeof ts->r_msg, fmt, ap);
  va_end(ap);
  r.verdict = MemgateVerdictError;
  r.error = err;
  report(&r);
  if (out) {
    *out = r;
    if (ts == &fallback) out->name = out->file = out->begin_file = out->message = NULL;
  }
  return MemgateVerdictError;
}

/* Touches the stack below the caller before its first sample. The sampler
 * and END path use more stack than BEGIN (an 8 KiB read buffer, result
 * formatting); a stack page first touched between two samples would show up
 * as retained memory of the code under test. */
#define MEMGATE__STACK_PRETOUCH (64 * 1024)
__attribute__((noinline)) static void pretouch_stack(void) {
  volatile char pad[MEMGATE__STACK_PRETOUCH];
  for (size_t i = 0; i < sizeof pad; i += 512) pad[i] = 0;
  __asm__ __volatile__("" : : "r"(pad) : "memory");
}

static bool name_ok(const char *name) {
  return name && *name && strlen(name) < MEMGATE__NAME_CAP;
}

/* ------------------------------------------------------------------------
 * Scopes
 * ------------------------------------------------------------------------ */

int memgate_begin(const char *name, const char *file, int line) {
  tstate *ts = get_tstate();
  if (!file) file = "?";
  if (!ts) {
    report_error(NULL, NULL, MemgateKindScope, name, file, line, file, line, MEMGATE_ENOMEM,
                 "cannot allocate per-thread scope state");
    return MEMGATE_ENOMEM;
  }
  if (!name_ok(name)) {
    report_error(ts, NULL, MemgateKindScope, name ? name : "(null)", file, line, file, line,
                 MEMGATE_EINVAL, "MEM_BEGIN needs a non-empty name shorter than %d bytes",
                 MEMGATE__NAME_CAP);
    return MEMGATE_EINVAL;
  }
  if (g_opts_rc != 0) {
    report_error(ts, NULL, MemgateKindScope, name, file, line, file, line, MEMGATE_ECONFIG, "%s",
                 g_opts_msg);
    return MEMGATE_ECONFIG;
  }
  if (ts->depth >= MEMGATE__MAX_DEPTH) {
    const frame *out = &ts->frames[0];
    report_error(ts, NULL, MemgateKindScope, name, file, line, file, line, MEMGATE_EDEPTH,
                 "more than %d nested scopes (outermost '%s' begun at %s:%d)", MEMGATE__MAX_DEPTH,
                 out->name, out->file, out->line);
    return MEMGATE_EDEPTH;
  }
  frame *f = &ts->frames[ts->depth];
  pretouch_stack();
  copy_str(f->name, sizeof f->name, name);
  copy_str(f->file, sizeof f->file, file);
  f->line = line;
  f->peak_seen = 0;
  /* Fill the allocator cache and release once, then start the peak
   * interval from the trimmed heap and sample without doing either again
   * (nothing is left to give back or top up). */
  prepare_sample(&g_opts);
  f->peak_ok = start_peak_interval();
  memgate_options no_release = g_opts;
  no_release.release = false;
  no_release.fill_alloc_cache = false;
  f->begin_error = sample(&no_release, &f->before);
  if (f->begin_error == 0) f->peak_seen = f->before.footprint_bytes;
  pthread_mutex_lock(&g_lock);
  ts->depth++;
  g_open_frames++;
  pthread_mutex_unlock(&g_lock);
  f->t0 = now_ns();
  /* An unreadable footprint is reported once, at END, naming both places. */
  return f->begin_error;
}

/* Pops the top frame of ts. */
static void pop_frame(tstate *ts) {
  pthread_mutex_lock(&g_lock);
  ts->depth--;
  g_open_frames--;
  pthread_mutex_unlock(&g_lock);
}

/* Reports every open frame of ts above index `keep` as never ended. */
static void unwind_to(tstate *ts, int keep, const char *why_file, int why_line, const char *why) {
  while (ts->depth > keep) {
    frame *f = &ts->frames[ts->depth - 1];
    char name[MEMGATE__NAME_CAP], bfile[MEMGATE__FILE_CAP];
    int bline = f->line;
    copy_str(name, sizeof name, f->name);
    copy_str(bfile, sizeof bfile, f->file);
    pop_frame(ts);
    report_error(ts, NULL, MemgateKindScope, name, why_file ? why_file : bfile,
                 why_file ? why_line : bline, bfile, bline, MEMGATE_EUNBALANCED,
                 "scope '%s' begun at %s:%d was never ended (%s)", name, bfile, bline, why);
  }
}

static void finish_thread(tstate *ts, const char *why) {
  unwind_to(ts, 0, NULL, 0, why);
}

unsigned memgate_finish(void) {
  /* Other threads' scopes: report them from here (their frames stay until
   * those threads end them or exit, so take a snapshot under the lock). */
  tstate *self = g_key_ok ? pthread_getspecific(g_key) : NULL;
  if (self) finish_thread(self, "memgate_finish() or exit reached");
  for (;;) {
    char name[MEMGATE__NAME_CAP], bfile[MEMGATE__FILE_CAP];
    int bline = 0;
    bool found = false;
    pthread_mutex_lock(&g_lock);
    for (tstate *t = g_threads; t && !found; t = t->next) {
      if (t == self || t->depth == 0) continue;
      frame *f = &t->frames[t->depth - 1];
      copy_str(name, sizeof name, f->name);
      copy_str(bfile, sizeof bfile, f->file);
      bline = f->line;
      t->depth--;
      g_open_frames--;
      found = true;
    }
    pthread_mutex_unlock(&g_lock);
    if (!found) break;
    report_error(self, NULL, MemgateKindScope, name, bfile, bline, bfile, bline, MEMGATE_EUNBALANCED,
                 "scope '%s' begun at %s:%d on another thread was never ended", name, bfile,
                 bline);
  }
  return memgate_failure_count();
}

/* Finds an open scope called name on another thread; copies its place. */
static bool find_elsewhere(const tstate *self, const char *name, char *file, size_t cap, int *line) {
  bool found = false;
  pthread_mutex_lock(&g_lock);
  for (tstate *t = g_threads; t && !found; t = t->next) {
    if (t == self) continue;
    for (int i = t->depth - 1; i >= 0 && !found; i--)
      if (strcmp(t->frames[i].name, name) == 0) {
        copy_str(file, cap, t->frames[i].file);
        *line = t->frames[i].line;
        found = true;
      }
  }
  pthread_mutex_unlock(&g_lock);
  return found;
}

static void format_bytes(char *buf, size_t cap, int64_t v) { memgate__bytes(buf, cap, v, true); }

static memgate_verdict finish_result(memgate_result *r, memgate_result *out) {
  char *msg = (char *)r->message;
  memgate__baseline_apply(r, msg, MEMGATE__MSG_CAP);
  report(r);
  if (out) *out = *r;
  return r->verdict;
}

memgate_verdict memgate_end(const char *name, const char *file, int line, memgate_result *out) {
  tstate *ts = get_tstate();
  memgate_result r;
  if (!file) file = "?";
  if (!ts)
    return report_error(NULL, out, MemgateKindScope, name, file, line, file, line, MEMGATE_ENOMEM,
                        "cannot allocate per-thread scope state");
  if (!name) name = "(null)";

  int idx = -1;
  for (int i = ts->depth - 1; i >= 0; i--)
    if (strcmp(ts->frames[i].name, name) == 0) {
      idx = i;
      break;
    }
  if (idx < 0) {
    char ofile[MEMGATE__FILE_CAP];
    int oline = 0;
    memgate_verdict v;
    if (find_elsewhere(ts, name, ofile, sizeof ofile, &oline))
      v = report_error(ts, out, MemgateKindScope, name, file, line, ofile, oline, MEMGATE_EUNBALANCED,
                       "MEM_END(\"%s\") at %s:%d is on a different thread than its MEM_BEGIN at "
                       "%s:%d (a scope must end on the thread that began it)",
                       name, file, line, ofile, oline);
    else if (ts->depth > 0) {
      const frame *top = &ts->frames[ts->depth - 1];
      v = report_error(ts, out, MemgateKindScope, name, file, line, top->file, top->line,
                       MEMGATE_EUNBALANCED,
                       "MEM_END(\"%s\") at %s:%d has no matching MEM_BEGIN; innermost open scope "
                       "is '%s' begun at %s:%d",
                       name, file, line, top->name, top->file, top->line);
    } else
      v = report_error(ts, out, MemgateKindScope, name, file, line, file, line, MEMGATE_EUNBALANCED,
                       "MEM_END(\"%s\") at %s:%d has no matching MEM_BEGIN (no scope is open on "
                       "this thread)",
                       name, file, line);
    return v;
  }
  if (idx != ts->depth - 1) {
    char why[MEMGATE__FILE_CAP + 128];
    msgf(why, sizeof why, "MEM_END(\"%s\") at %s:%d closed an enclosing scope first", name,
             file, line);
    unwind_to(ts, idx + 1, file, line, why);
  }

  /* The measurement: sample first, bookkeeping after. */
  frame *f = &ts->frames[idx];
  memgate_footprint after;
  int rc = f->begin_error ? f->begin_error : sample(&g_opts, &after);
  uint64_t t1 = now_ns();

  result_init(ts, &r, MemgateKindScope, f->name, file, line, f->file, f->line);
  r.elapsed_ns = t1 - f->t0;
  if (rc != 0) {
    msgf(ts->r_msg, sizeof ts->r_msg, "could not read the footprint at %s: %s (%s)",
             f->begin_error ? "MEM_BEGIN" : "MEM_END", memgate_strerror(rc), memgate_err_name(rc));
    r.verdict = MemgateVerdictError;
    r.error = rc;
    pop_frame(ts);
    report(&r);
    if (out) *out = r;
    return r.verdict;
  }
  r.before_bytes = f->before.footprint_bytes;
  r.after_bytes = after.footprint_bytes;
  r.retained_bytes = (int64_t)(r.after_bytes - r.before_bytes);
  ts->scope_series[0] = r.before_bytes;
  ts->scope_series[1] = r.after_bytes;
  r.series = ts->scope_series;
  r.series_count = 2;
  r.slope_bytes = (double)r.retained_bytes;
  if (f->peak_ok && (after.valid & MEMGATE_HAS_PEAK)) {
    uint64_t p = peak_of(&after);
    if (f->peak_seen > p) p = f->peak_seen;
    if (r.before_bytes > p) p = r.before_bytes;
    r.peak_bytes = (int64_t)(p - r.before_bytes);
    r.has_peak = true;
  }
  if ((f->before.valid & after.valid & MEMGATE_HAS_HEAP) != 0) {
    r.heap_delta_bytes = (int64_t)(after.heap_bytes - f->before.heap_bytes);
    r.has_heap = true;
    ts->scope_heap_series[0] = f->before.heap_bytes;
    ts->scope_heap_series[1] = after.heap_bytes;
    r.heap_series = ts->scope_heap_series;
    r.heap_slope_bytes = (double)r.heap_delta_bytes;
  }
  pop_frame(ts);

  char ret[32], peak[32], heap[32];
  format_bytes(ret, sizeof ret, r.retained_bytes);
  format_bytes(peak, sizeof peak, r.peak_bytes);
  format_bytes(heap, sizeof heap, r.heap_delta_bytes);
  msgf(ts->r_msg, sizeof ts->r_msg, "retained %s (footprint %" PRIu64 " -> %" PRIu64 " bytes)%s%s%s%s",
           ret, r.before_bytes, r.after_bytes, r.has_peak ? ", peak " : "", r.has_peak ? peak : "",
           r.has_heap ? ", heap " : "", r.has_heap ? heap : "");
  r.verdict = MemgateVerdictPass;
  return finish_result(&r, out);
}

/* ------------------------------------------------------------------------
 * Repeats
 * ------------------------------------------------------------------------ */

static bool reserve_series(tstate *ts, uint32_t count) {
  if (ts->series_cap >= count) return true;
  uint64_t *a = realloc(ts->series, count * sizeof *a);
  if (!a) return false;
  ts->series = a;
  uint64_t *b = realloc(ts->heap_series, count * sizeof *b);
  if (!b) return false;
  ts->heap_series = b;
  ts->series_cap = count;
  /* Touch every page now: a page first written between two samples would
   * show up as growth of the code under test. */
  memset(ts->series, 0, count * sizeof *a);
  memset(ts->heap_series, 0, count * sizeof *b);
  return true;
}

memgate_verdict memgate_repeat(const char *name, uint32_t iterations, memgate_body_fn body,
                               void *ctx, const char *file, int line) {
  return memgate_repeat_opts(name, iterations, body, ctx, NULL, file, line, NULL);
}

memgate_verdict memgate_repeat_opts(const char *name, uint32_t iterations, memgate_body_fn body,
                                    void *ctx, const memgate_options *opts, const char *file,
                                    int line, memgate_result *out) {
  tstate *ts = get_tstate();
  memgate_result r;
  memgate_options o;
  memgate_verdict v;
  if (!file) file = "?";

#define REPEAT_FAIL(err, ...)                                                                   \
  do {                                                                                          \
    v = report_error(ts, out, MemgateKindRepeat, name_ok(name) ? name : "(invalid)", file, line, \
                     file, line, (err), __VA_ARGS__);                                           \
    return v;                                                                                   \
  } while (0)

  if (!ts) REPEAT_FAIL(MEMGATE_ENOMEM, "cannot allocate per-thread state");
  if (!name_ok(name))
    REPEAT_FAIL(MEMGATE_EINVAL, "MEM_REPEAT needs a non-empty name shorter than %d bytes",
                MEMGATE__NAME_CAP);
  if (!body) REPEAT_FAIL(MEMGATE_EINVAL, "MEM_REPEAT(\"%s\") has no body function", name);
  if (opts) {
    char msg[512];
    o = *opts;
    if (o.iterations == 0) o.iterations = g_opts.iterations;
    if (check_options(&o, msg, sizeof msg)) REPEAT_FAIL(MEMGATE_EINVAL, "%s", msg);
  } else {
    if (g_opts_rc) REPEAT_FAIL(MEMGATE_ECONFIG, "%s", g_opts_msg);
    o = g_opts;
  }
  uint32_t n = iterations ? iterations : o.iterations;
  if (n > MEMGATE__MAX_ITERATIONS)
    REPEAT_FAIL(MEMGATE_EINVAL, "MEM_REPEAT(\"%s\", %" PRIu32 "): at most %u iterations", name, n,
                MEMGATE__MAX_ITERATIONS);
  if (!reserve_series(ts, n + 1))
    REPEAT_FAIL(MEMGATE_ENOMEM, "cannot allocate a series of %" PRIu32 " samples", n + 1);

  /* Measurement starts here: no allocation by memgate until the last sample. */
  pretouch_stack();
  int depth0 = ts->depth;
  memgate_footprint pre, s;
  memset(&pre, 0, sizeof pre);
  memset(&s, 0, sizeof s);
  int rc = sample(&o, &pre);
  for (uint32_t w = 0; rc == 0 && w < o.warmup; w++) body(ctx);
  bool peak_ok = false;
  if (rc == 0) {
    peak_ok = start_peak_interval();
    rc = sample(&o, &s);
  }
  uint64_t t0 = now_ns();
  bool heap_ok = rc == 0 && (pre.valid & s.valid & MEMGATE_HAS_HEAP);
  uint64_t peak = 0;
  uint32_t done = 0;
  if (rc == 0) {
    ts->series[0] = s.footprint_bytes;
    ts->heap_series[0] = s.heap_bytes;
    peak = s.footprint_bytes;
    for (uint32_t i = 1; i <= n; i++) {
      body(ctx);
      rc = sample(&o, &s);
      if (rc != 0) break;
      ts->series[i] = s.footprint_bytes;
      ts->heap_series[i] = s.heap_bytes;
      if (!(s.valid & MEMGATE_HAS_HEAP)) heap_ok = false;
      if (peak_of(&s) > peak) peak = peak_of(&s);
      done = i;
    }
  }
  uint64_t t1 = now_ns();
  /* Measurement over. */

  result_init(ts, &r, MemgateKindRepeat, name, file, line, file, line);
  r.warmup = o.warmup;
  r.iterations = done;
  r.elapsed_ns = t1 - t0;
  if (rc != 0) {
    msgf(ts->r_msg, sizeof ts->r_msg,
             "could not read the footprint after %" PRIu32 " of %" PRIu32 " iterations: %s (%s)",
             done, n, memgate_strerror(rc), memgate_err_name(rc));
    r.verdict = MemgateVerdictError;
    r.error = rc;
    report(&r);
    if (out) *out = r;
    return r.verdict;
  }
  r.series = ts->series;
  r.series_count = n + 1;
  r.before_bytes = ts->series[0];
  r.after_bytes = ts->series[n];
  r.retained_bytes = (int64_t)(r.after_bytes - r.before_bytes);
  r.warmup_bytes = (int64_t)(ts->series[0] - pre.footprint_bytes);
  if (peak_ok && (s.valid & MEMGATE_HAS_PEAK)) {
    r.peak_bytes = (int64_t)(peak - r.before_bytes);
    r.has_peak = true;
  }
  memgate_growth fg, hg;
  memset(&hg, 0, sizeof hg);
  memgate_series_growth(ts->series, n + 1, o.min_growth_bytes, o.min_slope_bytes, o.trend_t, &fg);
  r.slope_bytes = fg.slope;
  if (heap_ok) {
    r.heap_series = ts->heap_series;
    r.has_heap = true;
    r.heap_delta_bytes = (int64_t)(ts->heap_series[n] - ts->heap_series[0]);
    memgate_series_growth(ts->heap_series, n + 1, o.heap_min_growth_bytes, o.heap_min_slope_bytes,
                          o.trend_t, &hg);
    if (!hg.leak) memgate_series_regular(ts->heap_series, n + 1, o.heap_regular_steps, &hg);
    r.heap_slope_bytes = hg.slope;
  }

  if (ts->depth != depth0) {
    const frame *f = &ts->frames[ts->depth > 0 ? ts->depth - 1 : 0];
    msgf(ts->r_msg, sizeof ts->r_msg,
             "the body of MEM_REPEAT(\"%s\") left scope '%s' (begun at %s:%d) open or closed a "
             "scope it did not open",
             name, ts->depth > depth0 ? f->name : "?", ts->depth > depth0 ? f->file : "?",
             ts->depth > depth0 ? f->line : 0);
    r.verdict = MemgateVerdictError;
    r.error = MEMGATE_EUNBALANCED;
    report(&r);
    if (out) *out = r;
    return r.verdict;
  }

  char per[32], tot[32], hper[32], htot[32], wu[32];
  format_bytes(per, sizeof per, (int64_t)llround(fg.slope));
  format_bytes(tot, sizeof tot, r.retained_bytes);
  format_bytes(hper, sizeof hper, (int64_t)llround(hg.slope));
  format_bytes(htot, sizeof htot, r.heap_delta_bytes);
  format_bytes(wu, sizeof wu, r.warmup_bytes);
  if (n < 3) {
    r.verdict = MemgateVerdictPass;
    msgf(ts->r_msg, sizeof ts->r_msg,
             "%" PRIu32 " measured iteration%s cannot show persistent growth (need 3 or more); "
             "footprint %s",
             n, n == 1 ? "" : "s", tot);
  } else if (fg.leak || hg.leak) {
    r.verdict = MemgateVerdictLeak;
    const char *by = fg.leak && hg.leak ? "footprint and heap" : fg.leak ? "footprint" : "heap";
    int rule = fg.leak ? fg.rule : hg.rule;
    char how[96];
    if (rule == 3) {
      char step[32];
      format_bytes(step, sizeof step, (int64_t)hg.step_bytes);
      msgf(how, sizeof how, "(the same %s step in %" PRIu32 " of %" PRIu32 " iterations)", step,
           hg.step_count, n);
    } else {
      msgf(how, sizeof how, "%s", rule == 1 ? "(grew every iteration)" : "(steady trend)");
    }
    msgf(ts->r_msg, sizeof ts->r_msg,
             "memory keeps growing: %s per iteration (%s over %" PRIu32
             " iterations after %u warm-up)%s%s%s%s; detected by %s %s",
             fg.leak ? per : hper, fg.leak ? tot : htot, n, (unsigned)o.warmup,
             r.has_heap ? ", heap " : "", r.has_heap ? hper : "", r.has_heap ? " per iteration, " : "",
             r.has_heap ? htot : "", by, how);
  } else {
    r.verdict = MemgateVerdictPass;
    /* Say when small leaks could not have been seen with these settings. */
    char note[160] = "";
    if (o.alloc_cache_active && r.has_heap) {
      if (!o.fill_alloc_cache || o.heap_regular_steps == 0)
        msgf(note, sizeof note, "; glibc per-thread cache on and not filled: leaks below ~1 KiB "
                                "per iteration need `memgate run` to be seen");
      else if (n < o.heap_regular_steps)
        msgf(note, sizeof note, "; leaks below ~1 KiB per iteration need %" PRIu32 " or more "
                                "measured iterations to be seen", o.heap_regular_steps);
    }
    msgf(ts->r_msg, sizeof ts->r_msg,
             "no persistent growth over %" PRIu32 " iterations: footprint %s (%s per iteration)%s%s; "
             "warm-up %s%s",
             n, tot, per, r.has_heap ? ", heap " : "", r.has_heap ? htot : "", wu, note);
  }
  return finish_result(&r, out);
#undef REPEAT_FAIL
}

/* ------------------------------------------------------------------------
 * Platform key
 * ------------------------------------------------------------------------ */

static char g_platform[64];

static void platform_once(void) {
  const char *env = getenv("MEMGATE_PLATFORM");
  snprintf(g_platform, sizeof g_platform, "%s", memgate__platform_key());
  if (!env) return;
  size_t n = strlen(env);
  bool ok = n > 0 && n < sizeof g_platform;
  for (size_t i = 0; ok && i < n; i++) {
    char c = env[i];
    ok = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  }
  if (ok) {
    memcpy(g_platform, env, n + 1);
  } else {
    g_platform_rc = MEMGATE_ECONFIG;
    config_fail("MEMGATE_PLATFORM", env, "expected 1-63 characters from a-z 0-9 . _ -");
  }
}

const char *memgate_platform(void) {
  static pthread_once_t once = PTHREAD_ONCE_INIT;
  pthread_once(&once, platform_once);
  return g_platform;
}

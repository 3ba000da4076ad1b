/*
 * Core unit tests with a scripted sampler: every verdict and error path,
 * nesting, mismatches, threads, results file, options, the leak rule.
 * Deterministic: no real memory is measured here (see test_linux.c).
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "memgate.h"
#include "memgate_internal.h"

/* Some cases pass NULL where the header says non-null, on purpose: the
 * library must still refuse it cleanly at run time. */
#ifdef __clang__
#  pragma clang diagnostic ignored "-Wnonnull"
#endif

/* ------------------------------------------------------------------ script */

#define MAXS 4096
typedef struct script {
  uint64_t fp[MAXS];
  uint64_t heap[MAXS]; /* used when has_heap */
  uint64_t peak[MAXS]; /* used when has_peak (absolute) */
  size_t n, pos;
  int fail_at; /* index whose read fails (-1 none) */
  int fail_code;
  bool has_heap, has_peak;
  int resets, releases;
} script;

static script S;

static int script_read(void *ctx, memgate_footprint *out) {
  script *s = ctx;
  if ((int)s->pos == s->fail_at) {
    s->pos++;
    return s->fail_code;
  }
  size_t i = s->pos < s->n ? s->pos : s->n - 1; /* repeat the last value */
  s->pos++;
  out->footprint_bytes = s->fp[i];
  if (s->has_heap) {
    out->heap_bytes = s->heap[i];
    out->valid |= MEMGATE_HAS_HEAP;
  }
  if (s->has_peak) {
    out->peak_bytes = s->peak[i];
    out->valid |= MEMGATE_HAS_PEAK;
  }
  return 0;
}
static int script_reset(void *ctx) {
  ((script *)ctx)->resets++;
  return 0;
}
static void script_release(void *ctx) { ((script *)ctx)->releases++; }

/* Installs a script of footprint values (terminated by UINT64_MAX). */
static void script_fp(uint64_t first, ...) {
  memset(&S, 0, sizeof S);
  S.fail_at = -1;
  va_list ap;
  va_start(ap, first);
  for (uint64_t v = first; v != UINT64_MAX; v = va_arg(ap, uint64_t)) S.fp[S.n++] = v;
  va_end(ap);
  memgate_sampler sm = {script_read, script_reset, script_release, &S};
  memgate_set_sampler(&sm);
}
#define END_ UINT64_MAX

/* Script for a repeat: pre, warm-up result, then the measured series. */
static void script_series(const uint64_t *fp, const uint64_t *heap, size_t n) {
  memset(&S, 0, sizeof S);
  S.fail_at = -1;
  for (size_t i = 0; i < n; i++) {
    S.fp[i] = fp[i];
    if (heap) S.heap[i] = heap[i];
  }
  S.has_heap = heap != NULL;
  S.n = n;
  memgate_sampler sm = {script_read, script_reset, script_release, &S};
  memgate_set_sampler(&sm);
}

/* ------------------------------------------------------------------ capture */

typedef struct capture {
  int calls;
  memgate_result last;
  char name[256], file[1024], msg[1024], begin_file[1024];
} capture;
static capture F;

static void capture_fail(const memgate_result *r, void *ctx) {
  capture *c = ctx;
  c->calls++;
  c->last = *r;
  snprintf(c->name, sizeof c->name, "%s", r->name);
  snprintf(c->file, sizeof c->file, "%s", r->file);
  snprintf(c->msg, sizeof c->msg, "%s", r->message);
  snprintf(c->begin_file, sizeof c->begin_file, "%s", r->begin_file);
}

static int setup(void **state) {
  (void)state;
  memset(&F, 0, sizeof F);
  memgate_set_failure_handler(capture_fail, &F);
  memgate_reset_failure_count();
  return 0;
}
static int teardown(void **state) {
  (void)state;
  (void)memgate_finish();
  memgate_set_sampler(NULL);
  memgate_set_failure_handler(NULL, NULL);
  memgate_set_result_handler(NULL, NULL);
  return 0;
}

static void noop(void *ctx) { (void)ctx; }
static void count_calls(void *ctx) { (*(int *)ctx)++; }

/* ------------------------------------------------------------------ scopes */

static void test_scope_pass(void **state) {
  (void)state;
  memgate_result r;
  script_fp(1000, 5096, END_);
  assert_int_equal(memgate_begin("s", "a.c", 10), 0);
  assert_int_equal(memgate_end("s", "a.c", 20, &r), MemgateVerdictPass);
  assert_int_equal(r.verdict, MemgateVerdictPass);
  assert_int_equal(r.kind, MemgateKindScope);
  assert_int_equal(r.before_bytes, 1000);
  assert_int_equal(r.after_bytes, 5096);
  assert_int_equal(r.retained_bytes, 4096);
  assert_string_equal(r.name, "s");
  assert_string_equal(r.file, "a.c");
  assert_int_equal(r.line, 20);
  assert_string_equal(r.begin_file, "a.c");
  assert_int_equal(r.begin_line, 10);
  assert_int_equal(r.series_count, 2);
  assert_int_equal(r.series[0], 1000);
  assert_int_equal(r.series[1], 5096);
  assert_false(r.has_peak);
  assert_false(r.has_heap);
  assert_int_equal(F.calls, 0);
  assert_int_equal(memgate_failure_count(), 0);
  assert_non_null(strstr(r.message, "retained +4.0 KiB"));
  assert_true(S.releases >= 2); /* released before each sample */
}

static void test_scope_negative_retained(void **state) {
  (void)state;
  memgate_result r;
  script_fp(9000, 1000, END_);
  memgate_begin("s", "a.c", 1);
  assert_int_equal(memgate_end("s", "a.c", 2, &r), MemgateVerdictPass);
  assert_int_equal(r.retained_bytes, -8000);
}

static void test_scope_peak_and_heap(void **state) {
  (void)state;
  memgate_result r;
  script_fp(1000, 2000, END_);
  S.has_peak = S.has_heap = true;
  S.peak[0] = 1000, S.peak[1] = 50000;
  S.heap[0] = 300, S.heap[1] = 340;
  memgate_begin("p", "a.c", 1);
  memgate_end("p", "a.c", 2, &r);
  assert_true(r.has_peak);
  assert_int_equal(r.peak_bytes, 49000);
  assert_true(r.has_heap);
  assert_int_equal(r.heap_delta_bytes, 40);
  assert_int_equal(S.resets, 1);
}

static void test_nested_scopes(void **state) {
  (void)state;
  memgate_result outer, inner;
  /* outer before, the pre-reset read at the inner BEGIN, inner before,
   * inner after, outer after */
  script_fp(100, 150, 200, 500, 900, END_);
  memgate_begin("outer", "n.c", 1);
  memgate_begin("inner", "n.c", 2);
  assert_int_equal(memgate_end("inner", "n.c", 3, &inner), MemgateVerdictPass);
  assert_int_equal(inner.retained_bytes, 300);
  assert_int_equal(memgate_end("outer", "n.c", 4, &outer), MemgateVerdictPass);
  assert_int_equal(outer.retained_bytes, 800);
  assert_int_equal(F.calls, 0);
}

/* A nested BEGIN resets the (process-wide) peak; the outer scope must keep
 * the peak reached before that reset. */
static void test_nested_peak_kept(void **state) {
  (void)state;
  memgate_result outer;
  script_fp(100, 150, 150, 160, 170, END_);
  S.has_peak = true;
  /* reads: outer before, pre-reset read at inner begin (peak 9000), inner
   * before, inner after, outer after. */
  S.peak[0] = 100, S.peak[1] = 9000, S.peak[2] = 150, S.peak[3] = 160, S.peak[4] = 170;
  memgate_begin("outer", "n.c", 1);
  memgate_begin("inner", "n.c", 2);
  memgate_end("inner", "n.c", 3, NULL);
  memgate_end("outer", "n.c", 4, &outer);
  assert_true(outer.has_peak);
  assert_int_equal(outer.peak_bytes, 8900);
}

static void test_end_without_begin(void **state) {
  (void)state;
  memgate_result r;
  script_fp(1, END_);
  assert_int_equal(memgate_end("ghost", "x.c", 7, &r), MemgateVerdictError);
  assert_int_equal(r.error, MEMGATE_EUNBALANCED);
  /* *out holds the whole error result, not a zeroed struct */
  assert_int_equal(r.verdict, MemgateVerdictError);
  assert_string_equal(r.name, "ghost");
  assert_string_equal(r.file, "x.c");
  assert_int_equal(r.line, 7);
  assert_non_null(strstr(r.message, "no matching MEM_BEGIN"));
  assert_int_equal(F.calls, 1);
  assert_string_equal(F.file, "x.c");
  assert_int_equal(F.last.line, 7);
  assert_non_null(strstr(F.msg, "no matching MEM_BEGIN"));
  assert_int_equal(memgate_failure_count(), 1);
}

static void test_end_wrong_name_names_both_places(void **state) {
  (void)state;
  script_fp(1, 2, 3, END_);
  memgate_begin("a", "m.c", 10);
  assert_int_equal(memgate_end("b", "m.c", 20, NULL), MemgateVerdictError);
  assert_non_null(strstr(F.msg, "m.c:20"));
  assert_non_null(strstr(F.msg, "'a' begun at m.c:10"));
  /* "a" is still open and can be ended normally. */
  assert_int_equal(memgate_end("a", "m.c", 30, NULL), MemgateVerdictPass);
  assert_int_equal(F.calls, 1);
}

static void test_end_closes_enclosing_first(void **state) {
  (void)state;
  memgate_result r;
  script_fp(10, 20, 30, END_);
  memgate_begin("outer", "m.c", 1);
  memgate_begin("inner", "m.c", 2);
  assert_int_equal(memgate_end("outer", "m.c", 3, &r), MemgateVerdictPass);
  assert_int_equal(r.retained_bytes, 20);
  /* inner was reported as never ended, naming both places */
  assert_int_equal(F.calls, 1);
  assert_string_equal(F.name, "inner");
  assert_int_equal(F.last.verdict, MemgateVerdictError);
  assert_non_null(strstr(F.msg, "begun at m.c:2 was never ended"));
  assert_non_null(strstr(F.msg, "m.c:3"));
  assert_int_equal(memgate_finish(), 1);
}

static void test_never_ended(void **state) {
  (void)state;
  script_fp(1, END_);
  memgate_begin("left_open", "o.c", 5);
  assert_int_equal(memgate_finish(), 1);
  assert_string_equal(F.name, "left_open");
  assert_int_equal(F.last.error, MEMGATE_EUNBALANCED);
  assert_non_null(strstr(F.msg, "o.c:5"));
  /* finish is idempotent */
  assert_int_equal(memgate_finish(), 1);
}

static void *end_on_thread(void *arg) {
  (void)arg;
  return (void *)(intptr_t)memgate_end("shared", "t.c", 99, NULL);
}

static void test_end_on_other_thread(void **state) {
  (void)state;
  pthread_t t;
  void *ret;
  script_fp(1, 2, END_);
  memgate_begin("shared", "t.c", 11);
  pthread_create(&t, NULL, end_on_thread, NULL);
  pthread_join(t, &ret);
  assert_int_equal((int)(intptr_t)ret, MemgateVerdictError);
  assert_non_null(strstr(F.msg, "different thread"));
  assert_non_null(strstr(F.msg, "t.c:99"));
  assert_non_null(strstr(F.msg, "t.c:11"));
  assert_int_equal(memgate_end("shared", "t.c", 12, NULL), MemgateVerdictPass);
}

static void *begin_and_exit(void *arg) {
  (void)arg;
  memgate_begin("orphan", "th.c", 3);
  return NULL;
}

static void test_thread_exits_with_open_scope(void **state) {
  (void)state;
  pthread_t t;
  script_fp(1, END_);
  pthread_create(&t, NULL, begin_and_exit, NULL);
  pthread_join(t, NULL);
  assert_int_equal(F.calls, 1);
  assert_string_equal(F.name, "orphan");
  assert_non_null(strstr(F.msg, "thread exited"));
}

static void test_depth_limit(void **state) {
  (void)state;
  char name[32];
  script_fp(1, END_);
  for (int i = 0; i < 32; i++) {
    snprintf(name, sizeof name, "d%d", i);
    assert_int_equal(memgate_begin(name, "d.c", i), 0);
  }
  assert_int_equal(memgate_begin("d32", "d.c", 32), MEMGATE_EDEPTH);
  assert_int_equal(F.last.error, MEMGATE_EDEPTH);
  for (int i = 31; i >= 0; i--) {
    snprintf(name, sizeof name, "d%d", i);
    assert_int_equal(memgate_end(name, "d.c", 100 + i, NULL), MemgateVerdictPass);
  }
  assert_int_equal(F.calls, 1);
}

static void test_unreadable_at_end_is_error(void **state) {
  (void)state;
  memgate_result r;
  script_fp(1, 2, END_);
  S.fail_at = 1;
  S.fail_code = MEMGATE_EIO;
  memgate_begin("u", "u.c", 1);
  assert_int_equal(memgate_end("u", "u.c", 2, &r), MemgateVerdictError);
  assert_int_equal(r.error, MEMGATE_EIO);
  assert_non_null(strstr(r.message, "MEM_END"));
  assert_int_equal(F.calls, 1);
}

static void test_unreadable_at_begin_is_error_once(void **state) {
  (void)state;
  script_fp(1, 2, END_);
  S.fail_at = 0;
  S.fail_code = MEMGATE_EIO;
  assert_int_equal(memgate_begin("u", "u.c", 1), MEMGATE_EIO);
  assert_int_equal(memgate_end("u", "u.c", 2, NULL), MemgateVerdictError);
  assert_int_equal(F.calls, 1);
  assert_non_null(strstr(F.msg, "MEM_BEGIN"));
  assert_int_equal(F.last.begin_line, 1);
  assert_int_equal(F.last.line, 2);
}

static void test_positive_sampler_code_is_sampler_error(void **state) {
  (void)state;
  memgate_result r;
  script_fp(1, 2, END_);
  S.fail_at = 1;
  S.fail_code = 7; /* a sampler that returns a non-memgate code */
  memgate_begin("u", "u.c", 1);
  memgate_end("u", "u.c", 2, &r);
  assert_int_equal(r.error, MEMGATE_ESAMPLER);
}

static void test_bad_names(void **state) {
  (void)state;
  char longname[300];
  memset(longname, 'x', sizeof longname - 1);
  longname[sizeof longname - 1] = '\0';
  script_fp(1, END_);
  assert_int_equal(memgate_begin("", "b.c", 1), MEMGATE_EINVAL);
  assert_int_equal(memgate_begin(longname, "b.c", 2), MEMGATE_EINVAL);
  assert_int_equal(memgate_begin(NULL, "b.c", 3), MEMGATE_EINVAL);
  assert_int_equal(F.calls, 3);
  assert_int_equal(memgate_end(NULL, "b.c", 4, NULL), MemgateVerdictError);
}

/* ------------------------------------------------------------------ repeats */

static void test_repeat_monotone_leak(void **state) {
  (void)state;
  memgate_result r;
  int calls = 0;
  /* pre, after warm-up, then 10 measured samples growing a page each */
  uint64_t fp[12];
  fp[0] = 1000, fp[1] = 2000;
  for (int i = 2; i < 12; i++) fp[i] = 2000 + (uint64_t)(i - 1) * 4096;
  script_series(fp, NULL, 12);
  memgate_options o;
  memgate_options_init(&o);
  assert_int_equal(memgate_repeat_opts("leaky", 10, count_calls, &calls, &o, "r.c", 40, &r),
                   MemgateVerdictLeak);
  assert_int_equal(calls, 12); /* 2 warm-up + 10 measured */
  assert_int_equal(r.iterations, 10);
  assert_int_equal(r.warmup, 2);
  assert_int_equal(r.series_count, 11);
  assert_int_equal(r.series[0], 2000);
  assert_int_equal(r.series[10], 2000 + 10 * 4096);
  assert_int_equal(r.retained_bytes, 40960);
  assert_int_equal(r.warmup_bytes, 1000);
  assert_true(fabs(r.slope_bytes - 4096.0) < 1e-6);
  assert_int_equal(F.calls, 1);
  assert_string_equal(F.file, "r.c");
  assert_int_equal(F.last.line, 40);
  assert_non_null(strstr(F.msg, "+4.0 KiB per iteration"));
  assert_non_null(strstr(F.msg, "footprint"));
}

static void test_repeat_one_time_growth_is_not_leak(void **state) {
  (void)state;
  memgate_result r;
  /* 1 MiB filled during warm-up, flat afterwards */
  uint64_t fp[12] = {1000, 1000 + 1048576};
  for (int i = 2; i < 12; i++) fp[i] = fp[1];
  script_series(fp, NULL, 12);
  assert_int_equal(memgate_repeat_opts("cache", 10, noop, NULL, NULL, "r.c", 1, &r),
                   MemgateVerdictPass);
  assert_int_equal(r.warmup_bytes, 1048576);
  assert_int_equal(r.retained_bytes, 0);
  assert_int_equal(F.calls, 0);
}

static void test_repeat_step_in_middle_is_not_leak(void **state) {
  (void)state;
  memgate_result r;
  /* lazy initialisation on the 6th measured iteration: one 1 MiB step */
  uint64_t fp[12] = {1000, 1000};
  for (int i = 2; i < 12; i++) fp[i] = i >= 7 ? 1000 + 1048576 : 1000;
  script_series(fp, NULL, 12);
  assert_int_equal(memgate_repeat_opts("lazy", 10, noop, NULL, NULL, "r.c", 1, &r),
                   MemgateVerdictPass);
  assert_int_equal(r.retained_bytes, 1048576);
}

static void test_repeat_noisy_trend_is_leak(void **state) {
  (void)state;
  memgate_result r;
  /* 20 iterations of +2 pages with a step missing now and then */
  uint64_t fp[22] = {0, 100000};
  static const int steps[20] = {2, 2, 1, 3, 2, 2, 2, 0, 4, 2, 2, 1, 3, 2, 2, 2, 0, 4, 2, 2};
  for (int i = 2; i < 22; i++) fp[i] = fp[i - 1] + (uint64_t)steps[i - 2] * 4096;
  script_series(fp, NULL, 22);
  assert_int_equal(memgate_repeat_opts("trend", 20, noop, NULL, NULL, "r.c", 1, &r),
                   MemgateVerdictLeak);
  assert_non_null(strstr(F.msg, "steady trend"));
}

static void test_repeat_heap_only_leak(void **state) {
  (void)state;
  memgate_result r;
  uint64_t fp[12], heap[12];
  for (int i = 0; i < 12; i++) fp[i] = 50000, heap[i] = 7000 + (uint64_t)(i > 1 ? i - 1 : 0) * 32;
  script_series(fp, heap, 12);
  assert_int_equal(memgate_repeat_opts("tiny", 10, noop, NULL, NULL, "r.c", 1, &r),
                   MemgateVerdictLeak);
  assert_true(r.has_heap);
  assert_int_equal(r.heap_delta_bytes, 320);
  assert_int_equal(r.retained_bytes, 0);
  assert_non_null(strstr(F.msg, "detected by heap"));
}

static void test_repeat_heap_noise_is_not_leak(void **state) {
  (void)state;
  memgate_result r;
  uint64_t fp[12], heap[12];
  static const int noise[12] = {0, 0, 64, -32, 96, 0, -64, 32, 128, -96, 0, 32};
  for (int i = 0; i < 12; i++) fp[i] = 50000, heap[i] = (uint64_t)(7000 + noise[i]);
  script_series(fp, heap, 12);
  assert_int_equal(memgate_repeat_opts("noise", 10, noop, NULL, NULL, "r.c", 1, &r),
                   MemgateVerdictPass);
}

static void test_repeat_sampler_fails_midway(void **state) {
  (void)state;
  memgate_result r;
  uint64_t fp[12] = {0};
  script_series(fp, NULL, 12);
  S.fail_at = 6; /* pre, warm-up, 4 measured OK, then failure */
  S.fail_code = MEMGATE_EIO;
  assert_int_equal(memgate_repeat_opts("broken", 10, noop, NULL, NULL, "r.c", 9, &r),
                   MemgateVerdictError);
  assert_int_equal(r.error, MEMGATE_EIO);
  assert_string_equal(r.name, "broken");
  assert_int_equal(r.iterations, 4);
  assert_non_null(strstr(r.message, "after 4 of 10"));
  assert_int_equal(F.last.line, 9);
}

static void test_repeat_too_few_iterations(void **state) {
  (void)state;
  memgate_result r;
  uint64_t fp[4] = {0, 0, 4096, 8192};
  script_series(fp, NULL, 4);
  assert_int_equal(memgate_repeat_opts("two", 2, noop, NULL, NULL, "r.c", 1, &r),
                   MemgateVerdictPass);
  assert_non_null(strstr(r.message, "cannot show persistent growth"));
}

static void test_repeat_bad_arguments(void **state) {
  (void)state;
  memgate_options o;
  script_fp(0, END_);
  assert_int_equal(memgate_repeat("x", 10, NULL, NULL, "a.c", 1), MemgateVerdictError);
  assert_int_equal(memgate_repeat("", 10, noop, NULL, "a.c", 2), MemgateVerdictError);
  assert_int_equal(memgate_repeat("x", 2000000, noop, NULL, "a.c", 3), MemgateVerdictError);
  memgate_options_init(&o);
  o.trend_t = NAN;
  memgate_result r;
  assert_int_equal(memgate_repeat_opts("x", 5, noop, NULL, &o, "a.c", 4, &r),
                   MemgateVerdictError);
  assert_int_equal(r.error, MEMGATE_EINVAL);
  assert_non_null(strstr(r.message, "trend_t"));
  assert_int_equal(F.calls, 4);
  assert_int_equal(memgate_failure_count(), 4);
}

static void open_scope_body(void *ctx) {
  (void)ctx;
  static int n;
  if (n++ == 0) memgate_begin("stray", "body.c", 77);
}

static void test_repeat_body_leaves_scope_open(void **state) {
  (void)state;
  memgate_result r;
  uint64_t fp[8] = {0};
  script_series(fp, NULL, 8);
  memgate_options o;
  memgate_options_init(&o);
  o.warmup = 0;
  assert_int_equal(memgate_repeat_opts("rb", 5, open_scope_body, NULL, &o, "r.c", 1, &r),
                   MemgateVerdictError);
  assert_non_null(strstr(r.message, "body.c:77"));
  memgate_end("stray", "body.c", 78, NULL);
}

/* settle_ms: each sample is repeated until two consecutive reads agree, so
 * memory released a moment late is seen at its settled value. */
static void test_repeat_settles(void **state) {
  (void)state;
  memgate_result r;
  /* pre: 0,0  s0: 0,0  it1: 100,150,150  it2: 150,150  it3: 150,150 */
  uint64_t fp[13] = {0, 0, 0, 0, 100, 150, 150, 150, 150, 150, 150};
  script_series(fp, NULL, 11);
  memgate_options o;
  memgate_options_init(&o);
  o.warmup = 0;
  o.settle_ms = 200;
  memgate_repeat_opts("settle", 3, noop, NULL, &o, "s.c", 1, &r);
  assert_int_equal(r.series[1], 150);
  assert_int_equal(r.retained_bytes, 150);
  assert_int_equal(S.pos, 11);
  /* without settling the first read after iteration 1 is taken as is */
  script_series(fp, NULL, 11);
  o.settle_ms = 0;
  memgate_repeat_opts("settle", 3, noop, NULL, &o, "s.c", 1, &r);
  assert_int_equal(r.series[1], 0);
  assert_int_equal(S.pos, 5);
}

/* ------------------------------------------------------------------ leak rule */

static void test_growth_rule_exact(void **state) {
  (void)state;
  memgate_growth g;
  uint64_t lin[6] = {100, 200, 300, 400, 500, 600};
  assert_int_equal(memgate_series_growth(lin, 6, 400, 50, 6.0, &g), 0);
  assert_true(g.leak);
  assert_int_equal(g.rule, 1);
  assert_int_equal(g.growth, 500);
  assert_true(fabs(g.slope - 100.0) < 1e-9);
  assert_true(isinf(g.t));
  /* below min_growth / min_slope: no leak */
  assert_int_equal(memgate_series_growth(lin, 6, 501, 50, 6.0, &g), 0);
  assert_false(g.leak);
  assert_int_equal(memgate_series_growth(lin, 6, 0, 101, 6.0, &g), 0);
  assert_false(g.leak);
  /* fewer than 3 measured steps never fire */
  assert_int_equal(memgate_series_growth(lin, 3, 0, 0, 6.0, &g), 0);
  assert_false(g.leak);
  /* shrinking */
  uint64_t down[4] = {400, 300, 200, 100};
  memgate_series_growth(down, 4, 0, 0, 6.0, &g);
  assert_false(g.leak);
  assert_int_equal(g.growth, -300);
  assert_true(g.slope < 0);
  /* bad arguments */
  assert_int_equal(memgate_series_growth(NULL, 3, 0, 0, 6.0, &g), MEMGATE_EINVAL);
  assert_int_equal(memgate_series_growth(lin, 0, 0, 0, 6.0, &g), MEMGATE_EINVAL);
  assert_int_equal(memgate_series_growth(lin, 3, 0, 0, 6.0, NULL), MEMGATE_EINVAL);
  assert_int_equal(memgate_series_growth(lin, 1, 0, 0, 6.0, &g), 0);
  assert_false(g.leak);
}

static void test_growth_rule_halves(void **state) {
  (void)state;
  memgate_growth g;
  /* growth all in the second half, noisy enough to not be monotone */
  uint64_t late[11] = {0, 0, 0, 0, 0, 0, 4096, 8192, 8192, 12288, 16384};
  memgate_series_growth(late, 11, 0, 0, 1.0, &g);
  assert_false(g.leak);
  uint64_t both[11] = {0, 4096, 4096, 8192, 12288, 12288, 16384, 20480, 20480, 24576, 28672};
  memgate_series_growth(both, 11, 0, 0, 6.0, &g);
  assert_true(g.leak);
  assert_int_equal(g.rule, 2);
}

static void test_regular_rule(void **state) {
  (void)state;
  memgate_growth g;
  uint64_t lin[11];
  for (int i = 0; i < 11; i++) lin[i] = 5000 + 32 * (uint64_t)i;
  assert_int_equal(memgate_series_regular(lin, 11, 8, &g), 0);
  assert_true(g.leak);
  assert_int_equal(g.rule, 3);
  assert_int_equal(g.step_bytes, 32);
  assert_int_equal(g.step_count, 10);
  assert_int_equal(g.growth, 320);
  /* fewer measured iterations than min_steps, or the rule off */
  assert_int_equal(memgate_series_regular(lin, 8, 8, &g), 0); /* 7 steps */
  assert_false(g.leak);
  assert_int_equal(g.step_bytes, 32); /* still reported */
  assert_int_equal(memgate_series_regular(lin, 11, 0, &g), 0);
  assert_false(g.leak);
  assert_int_equal(memgate_series_regular(lin, 9, 8, &g), 0); /* exactly 8 steps */
  assert_true(g.leak);

  /* three quarters exactly: 6 of 8 steps the same, two others */
  uint64_t six[9] = {0, 32, 64, 64, 96, 128, 160, 208, 240};
  assert_int_equal(memgate_series_regular(six, 9, 8, &g), 0);
  assert_int_equal(g.step_count, 6);
  assert_true(g.leak);
  /* 5 of 8: a majority, not three quarters */
  uint64_t five[9] = {0, 32, 64, 64, 96, 128, 160, 208, 256};
  assert_int_equal(memgate_series_regular(five, 9, 8, &g), 0);
  assert_int_equal(g.step_count, 5);
  assert_false(g.leak);
  /* 4 of 8: no majority step at all */
  uint64_t four[9] = {0, 32, 64, 64, 96, 128, 176, 224, 272};
  assert_int_equal(memgate_series_regular(four, 9, 8, &g), 0);
  assert_int_equal(g.step_bytes, 0);
  assert_int_equal(g.step_count, 0);
  assert_false(g.leak);

  /* a bounded cache flushed every 9 iterations: regular steps, but the
   * run keeps less than half of what they added */
  uint64_t flush[11];
  for (int i = 0; i < 11; i++) flush[i] = 1000 + 272 * (uint64_t)(i % 9) + (i >= 9 ? 272u : 0u);
  assert_int_equal(memgate_series_regular(flush, 11, 8, &g), 0);
  assert_int_equal(g.step_bytes, 272);
  assert_false(g.leak);

  /* another thread's cache filling: growth in chunks of varying sizes */
  uint64_t rec[13] = {0, 0, 624, 624, 624, 1120, 1472, 1904, 3024, 3024, 3568, 3840, 5536};
  assert_int_equal(memgate_series_regular(rec, 13, 8, &g), 0);
  assert_false(g.leak);
  /* shrinking by the same step every time is not growth */
  uint64_t down[10];
  for (int i = 0; i < 10; i++) down[i] = 10000 - 64 * (uint64_t)i;
  assert_int_equal(memgate_series_regular(down, 10, 8, &g), 0);
  assert_false(g.leak);
  assert_int_equal(g.step_bytes, 0);

  /* absurd values: no overflow trap, no leak from wrapped arithmetic */
  uint64_t huge[9];
  for (int i = 0; i < 9; i++) huge[i] = (uint64_t)i * (UINT64_MAX / 8);
  assert_int_equal(memgate_series_regular(huge, 9, 8, &g), 0);
  assert_int_equal(g.step_count, 8);

  assert_int_equal(memgate_series_regular(NULL, 3, 8, &g), MEMGATE_EINVAL);
  assert_int_equal(memgate_series_regular(lin, 0, 8, &g), MEMGATE_EINVAL);
  assert_int_equal(memgate_series_regular(lin, 3, 8, NULL), MEMGATE_EINVAL);
  assert_int_equal(memgate_series_regular(lin, 1, 8, &g), 0);
  assert_false(g.leak);
}

/* A repeat whose allocator view grows by the same 32 B in 9 of 10
 * iterations (one step lost) is a leak by the regular-step rule alone when
 * the size thresholds are out of reach, and the message says so. */
static void test_repeat_regular_step_leak(void **state) {
  (void)state;
  memgate_result r;
  uint64_t fp[12], heap[12];
  for (int i = 0; i < 12; i++) {
    fp[i] = 50000;
    int steps = i > 1 ? i - 1 : 0;       /* sample 1 is the baseline */
    if (steps > 5) steps--;              /* no growth in iteration 5 */
    heap[i] = 7000 + (uint64_t)steps * 32;
  }
  script_series(fp, heap, 12);
  memgate_options o;
  assert_int_equal(memgate_options_init(&o), 0);
  o.warmup = 1;
  o.heap_min_growth_bytes = 1u << 20;
  assert_int_equal(memgate_repeat_opts("regular", 10, noop, NULL, &o, "r.c", 1, &r),
                   MemgateVerdictLeak);
  assert_int_equal(r.heap_delta_bytes, 288);
  assert_non_null(strstr(F.msg, "the same +32 B step in 9 of 10 iterations"));
  /* the same series with the rule off passes */
  script_series(fp, heap, 12);
  o.heap_regular_steps = 0;
  assert_int_equal(memgate_repeat_opts("regular", 10, noop, NULL, &o, "r.c", 1, &r),
                   MemgateVerdictPass);
}

/* ------------------------------------------------------------------ misc API */

static void test_error_names(void **state) {
  (void)state;
  assert_string_equal(memgate_strerror(0), "success");
  assert_string_equal(memgate_err_name(MEMGATE_EIO), "MEMGATE_EIO");
  assert_string_equal(memgate_err_name(MEMGATE_EUNSUPPORTED), "MEMGATE_EUNSUPPORTED");
  assert_string_equal(memgate_err_name(-999), "MEMGATE_EUNKNOWN");
  assert_string_equal(memgate_strerror(-999), "unknown memgate error");
  for (int e = MEMGATE_ERESULTS; e <= MEMGATE_EUNSUPPORTED; e++) {
    assert_true(strlen(memgate_strerror(e)) > 5);
    assert_true(strncmp(memgate_err_name(e), "MEMGATE_E", 9) == 0);
  }
  assert_string_equal(memgate_verdict_name(MemgateVerdictPass), "pass");
  assert_string_equal(memgate_verdict_name(MemgateVerdictLeak), "leak");
  assert_string_equal(memgate_verdict_name(MemgateVerdictRegression), "regression");
  assert_string_equal(memgate_verdict_name(MemgateVerdictError), "error");
  assert_int_equal(memgate_read(NULL), MEMGATE_EINVAL);
  assert_int_equal(memgate_options_init(NULL), MEMGATE_EINVAL);
  char v[32];
  snprintf(v, sizeof v, "%d.%d.%d", MEMGATE_VERSION_MAJOR, MEMGATE_VERSION_MINOR,
           MEMGATE_VERSION_PATCH);
  assert_string_equal(memgate_version(), v);
}

static void test_options_env(void **state) {
  (void)state;
  memgate_options o;
  const char *saved_warmup = getenv("MEMGATE_WARMUP");
  char warmup_copy[16];
  snprintf(warmup_copy, sizeof warmup_copy, "%s", saved_warmup ? saved_warmup : "");
  setenv("MEMGATE_ITERATIONS", "25", 1);
  setenv("MEMGATE_WARMUP", "0", 1);
  setenv("MEMGATE_RELEASE", "0", 1);
  assert_int_equal(memgate_options_init(&o), 0);
  assert_int_equal(o.iterations, 25);
  assert_int_equal(o.warmup, 0);
  assert_false(o.release);
  setenv("MEMGATE_ITERATIONS", "12abc", 1);
  assert_int_equal(memgate_options_init(&o), MEMGATE_ECONFIG);
  assert_int_equal(o.iterations, 10); /* default kept */
  assert_non_null(strstr(memgate_config_error(), "MEMGATE_ITERATIONS=\"12abc\""));
  setenv("MEMGATE_ITERATIONS", "0", 1);
  assert_int_equal(memgate_options_init(&o), MEMGATE_ECONFIG);
  setenv("MEMGATE_ITERATIONS", "99999999999999999999999", 1);
  assert_int_equal(memgate_options_init(&o), MEMGATE_ECONFIG);
  setenv("MEMGATE_ITERATIONS", "-3", 1);
  assert_int_equal(memgate_options_init(&o), MEMGATE_ECONFIG);
  unsetenv("MEMGATE_ITERATIONS");
  unsetenv("MEMGATE_WARMUP");
  unsetenv("MEMGATE_RELEASE");
  unsetenv("MEMGATE_HEAP_MIN_GROWTH");
  unsetenv("MEMGATE_HEAP_MIN_SLOPE");
  assert_int_equal(memgate_options_init(&o), 0);
  assert_int_equal(o.iterations, 10);
  assert_true(o.release);
  assert_true(o.trend_t == 10.0);
  assert_int_equal(o.min_growth_bytes, 10 * (uint64_t)sysconf(_SC_PAGESIZE));
  /* the allocator profile decides the allocator-view defaults */
  if (o.alloc_cache_active) {
    assert_int_equal(o.warmup, 20);
    assert_int_equal(o.heap_min_growth_bytes, 3 * (uint64_t)sysconf(_SC_PAGESIZE));
    assert_int_equal(o.heap_min_slope_bytes, 1024);
  } else {
    assert_int_equal(o.warmup, 2);
    assert_int_equal(o.heap_min_growth_bytes, 64);
    assert_int_equal(o.heap_min_slope_bytes, 8);
  }
  assert_int_equal(o.heap_regular_steps, 8);
  /* filling needs a cache that was measured */
  assert_true(!o.fill_alloc_cache || o.alloc_cache_active);
  setenv("MEMGATE_HEAP_REGULAR", "5", 1);
  setenv("MEMGATE_FILL_CACHE", "0", 1);
  assert_int_equal(memgate_options_init(&o), 0);
  assert_int_equal(o.heap_regular_steps, 5);
  assert_false(o.fill_alloc_cache);
  setenv("MEMGATE_HEAP_REGULAR", "eight", 1);
  assert_int_equal(memgate_options_init(&o), MEMGATE_ECONFIG);
  assert_non_null(strstr(memgate_config_error(), "MEMGATE_HEAP_REGULAR=\"eight\""));
  assert_int_equal(o.heap_regular_steps, 8);
  unsetenv("MEMGATE_HEAP_REGULAR");
  setenv("MEMGATE_FILL_CACHE", "2", 1);
  assert_int_equal(memgate_options_init(&o), MEMGATE_ECONFIG);
  assert_non_null(strstr(memgate_config_error(), "MEMGATE_FILL_CACHE=\"2\""));
  unsetenv("MEMGATE_FILL_CACHE");
  setenv("MEMGATE_WARMUP", warmup_copy, 1);
  setenv("MEMGATE_HEAP_MIN_GROWTH", "64", 1);
  setenv("MEMGATE_HEAP_MIN_SLOPE", "8", 1);
}

static int result_calls;
static void count_results(const memgate_result *r, void *ctx) {
  (void)r;
  (void)ctx;
  result_calls++;
}

static void test_result_handler_sees_passes(void **state) {
  (void)state;
  script_fp(1, 1, END_);
  result_calls = 0;
  memgate_set_result_handler(count_results, NULL);
  memgate_begin("a", "h.c", 1);
  memgate_end("a", "h.c", 2, NULL);
  assert_int_equal(result_calls, 1);
  assert_int_equal(F.calls, 0);
}

static void test_default_handler_format(void **state) {
  (void)state;
  char path[] = "/tmp/memgate-stderr-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  int saved = dup(2);
  fflush(stderr);
  dup2(fd, 2);
  script_fp(1, END_);
  memgate_set_failure_handler(NULL, NULL);
  memgate_end("nope", "dir/file.c", 123, NULL);
  fflush(stderr);
  dup2(saved, 2);
  close(saved);
  char buf[1024] = {0};
  ssize_t n = pread(fd, buf, sizeof buf - 1, 0);
  close(fd);
  unlink(path);
  assert_true(n > 0);
  assert_true(strncmp(buf, "dir/file.c:123: error: memgate: nope: error: ", 45) == 0);
}

/* Macro arguments are evaluated exactly once. */
static int evals;
static const char *counted(const char *s) {
  evals++;
  return s;
}
static void test_macros_evaluate_once(void **state) {
  (void)state;
  int calls = 0;
  uint64_t fp[14] = {0};
  script_series(fp, NULL, 14);
  evals = 0;
  MEM_BEGIN(counted("m"));
  assert_int_equal(evals, 1);
  MEM_END(counted("m"));
  assert_int_equal(evals, 2);
  int it = 3;
  MEM_REPEAT(counted("r"), it++, count_calls, &calls);
  assert_int_equal(evals, 3);
  assert_int_equal(it, 4);
  assert_int_equal(calls, 5);
  assert_int_equal(F.calls, 0);
}

static void test_platform_override(void **state) {
  (void)state;
  /* main() set MEMGATE_PLATFORM before the first call */
  assert_string_equal(memgate_platform(), "test-platform_1.0");
}

/* ------------------------------------------------------------------ parser */

static void test_parse_status(void **state) {
  (void)state;
  memgate_footprint f;
  const char *ok = "Name:\tx\nVmHWM:\t    2048 kB\nVmRSS:\t    1024 kB\nRssAnon:\t     512 kB\n"
                   "RssFile:\t     400 kB\nRssShmem:\t     112 kB\nVmSwap:\t       8 kB\n"
                   "VmPTE:\t      16 kB\nThreads:\t1\n";
  memset(&f, 0, sizeof f);
  assert_int_equal(memgate__linux_parse_status(ok, strlen(ok), &f), 0);
  assert_int_equal(f.anon_bytes, 512 * 1024);
  assert_int_equal(f.swap_bytes, 8 * 1024);
  assert_int_equal(f.page_table_bytes, 16 * 1024);
  assert_int_equal(f.footprint_bytes, (512 + 8 + 16) * 1024);
  assert_int_equal(f.resident_bytes, 1024 * 1024);
  assert_int_equal(f.peak_resident_bytes, 2048 * 1024);
  assert_int_equal(f.peak_bytes, (2048 - 400 - 112 + 8 + 16) * 1024);
  assert_true(f.valid & MEMGATE_HAS_PEAK);
  assert_true(f.valid & MEMGATE_HAS_SWAP);

  const char *noswap = "RssAnon:\t 4 kB\nVmPTE:\t 4 kB\n";
  memset(&f, 0, sizeof f);
  assert_int_equal(memgate__linux_parse_status(noswap, strlen(noswap), &f), 0);
  assert_int_equal(f.footprint_bytes, 8192);
  assert_false(f.valid & MEMGATE_HAS_SWAP);
  assert_false(f.valid & MEMGATE_HAS_PEAK);

  static const char *const bad[] = {
      "VmRSS:\t 4 kB\n",                                   /* no RssAnon */
      "RssAnon:\t 4 kB\n",                                 /* no VmPTE */
      "RssAnon:\t x kB\nVmPTE:\t 4 kB\n",                  /* not a number */
      "RssAnon:\t 4 MB\nVmPTE:\t 4 kB\n",                  /* unit */
      "RssAnon:\t 4\nVmPTE:\t 4 kB\n",                     /* truncated */
      "RssAnon:\t 4 kB\nRssAnon:\t 4 kB\nVmPTE:\t 4 kB\n", /* duplicate */
      "RssAnon:\t 99999999999999999999 kB\nVmPTE:\t 4 kB\n", /* overflow */
      "",
  };
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    memset(&f, 0, sizeof f);
    assert_int_equal(memgate__linux_parse_status(bad[i], strlen(bad[i]), &f), MEMGATE_EPARSE);
  }
  assert_int_equal(memgate__linux_parse_status(NULL, 0, &f), MEMGATE_EINVAL);
}

/* ------------------------------------------------------------------ results */

static char results_path[] = "/tmp/memgate-results-XXXXXX";
static char self_path[4096]; /* this test binary, for re-exec with another environment */

static int count_valid_lines(const char *path, const char *name, int *invalid) {
  FILE *fp = fopen(path, "r");
  char *line = NULL;
  size_t cap = 0;
  int n = 0;
  *invalid = 0;
  if (!fp) return -1;
  while (getline(&line, &cap, fp) > 0) {
    cJSON *j = cJSON_Parse(line);
    if (!j) {
      (*invalid)++;
      continue;
    }
    cJSON *nm = cJSON_GetObjectItemCaseSensitive(j, "name");
    if (cJSON_IsString(nm) && strcmp(nm->valuestring, name) == 0) n++;
    cJSON_Delete(j);
  }
  free(line);
  fclose(fp);
  return n;
}

static void test_results_line_fields(void **state) {
  (void)state;
  uint64_t fp[8] = {0, 10, 20, 30, 40, 50, 60, 70};
  uint64_t heap[8] = {5, 5, 5, 5, 5, 5, 5, 5};
  script_series(fp, heap, 8);
  memgate_options o;
  memgate_options_init(&o);
  o.warmup = 1;
  memgate_repeat_opts("json\"name\n<x>\xff", 6, noop, NULL, &o, "res.c", 5, NULL);
  FILE *f = fopen(results_path, "r");
  assert_non_null(f);
  char *line = NULL, *last = NULL;
  size_t cap = 0;
  while (getline(&line, &cap, f) > 0) {
    free(last);
    last = strdup(line);
  }
  free(line);
  fclose(f);
  assert_non_null(last);
  cJSON *j = cJSON_Parse(last);
  free(last);
  assert_non_null(j);
  assert_string_equal(cJSON_GetObjectItem(j, "name")->valuestring, "json\"name\n<x>\xef\xbf\xbd");
  assert_string_equal(cJSON_GetObjectItem(j, "verdict")->valuestring, "pass");
  assert_string_equal(cJSON_GetObjectItem(j, "kind")->valuestring, "repeat");
  assert_string_equal(cJSON_GetObjectItem(j, "file")->valuestring, "res.c");
  assert_int_equal(cJSON_GetObjectItem(j, "line")->valueint, 5);
  assert_int_equal(cJSON_GetObjectItem(j, "iterations")->valueint, 6);
  assert_int_equal(cJSON_GetObjectItem(j, "retained_bytes")->valueint, 60);
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "peak_bytes")));
  assert_string_equal(cJSON_GetObjectItem(j, "platform")->valuestring, "test-platform_1.0");
  cJSON *series = cJSON_GetObjectItem(j, "series");
  assert_int_equal(cJSON_GetArraySize(series), 7);
  assert_int_equal(cJSON_GetArrayItem(series, 6)->valueint, 70);
  assert_int_equal(cJSON_GetArraySize(cJSON_GetObjectItem(j, "heap_series")), 7);
  assert_int_equal(cJSON_GetObjectItem(j, "format")->valueint, 2);
  assert_string_equal(cJSON_GetObjectItem(j, "measured_verdict")->valuestring, "pass");
  assert_true(cJSON_IsNull(cJSON_GetObjectItem(j, "baseline_verdict")));
  cJSON_Delete(j);
}

static void test_results_concurrent_append(void **state) {
  (void)state;
  enum { PROCS = 8, EACH = 40 };
  uint64_t fp[MAXS];
  for (int i = 0; i < 1000; i++) fp[i] = (uint64_t)i % 7; /* long series, noisy */
  for (int p = 0; p < PROCS; p++) {
    pid_t pid = fork();
    if (pid == 0) {
      script_series(fp, NULL, 1000);
      memgate_set_failure_handler(capture_fail, &F);
      for (int k = 0; k < EACH; k++) {
        S.pos = 0;
        memgate_options o;
        memgate_options_init(&o);
        o.warmup = 0;
        memgate_repeat_opts("concurrent", 500, noop, NULL, &o, "c.c", 1, NULL);
      }
      _exit(0);
    }
  }
  for (int p = 0; p < PROCS; p++) {
    int st;
    wait(&st);
    assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  }
  int invalid;
  assert_int_equal(count_valid_lines(results_path, "concurrent", &invalid), PROCS * EACH);
  assert_int_equal(invalid, 0);
}

static void test_results_unwritable_counts_as_failure(void **state) {
  (void)state;
  /* Run in a child: the results path is read once per process. */
  pid_t pid = fork();
  if (pid == 0) {
    char *argv[] = {self_path, (char *)"--child-unwritable", NULL};
    setenv("MEMGATE_RESULTS", "/nonexistent-dir/x/results.jsonl", 1);
    execv(self_path, argv);
    _exit(127);
  }
  int st;
  waitpid(pid, &st, 0);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 41); /* 40 + one failure seen by the child */
}

/* Runs this program in child mode `mode` with MEMGATE_RESULTS=path and,
 * when fsize > 0, a file size limit; returns its exit status (or -1). */
static int run_child(const char *mode, const char *path, long fsize) {
  pid_t pid = fork();
  if (pid == 0) {
    char *argv[] = {self_path, (char *)mode, NULL};
    setenv("MEMGATE_RESULTS", path, 1);
    if (fsize > 0) {
      struct rlimit rl = {(rlim_t)fsize, (rlim_t)fsize};
      signal(SIGXFSZ, SIG_IGN);
      setrlimit(RLIMIT_FSIZE, &rl);
    }
    alarm(20); /* a hang (a FIFO opened for writing) fails the test */
    execv(self_path, argv);
    _exit(127);
  }
  int st;
  if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st)) return -1;
  return WEXITSTATUS(st);
}

static char *slurp(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  static char buf[65536];
  size_t n = fread(buf, 1, sizeof buf - 1, f);
  fclose(f);
  buf[n] = '\0';
  return buf;
}

static void test_results_unrecorded_is_error_not_pass(void **state) {
  (void)state;
  /* 47: MEM_END returned error, the failure handler saw MEMGATE_ERESULTS,
   * and the message says the result was not recorded. */
  assert_int_equal(run_child("--child-unrecorded", "/dev/full", 0), 47);
  char dir[] = "/tmp/memgate-fifo-XXXXXX", fifo[64];
  assert_non_null(mkdtemp(dir));
  snprintf(fifo, sizeof fifo, "%s/r.jsonl", dir);
  assert_int_equal(mkfifo(fifo, 0600), 0);
  assert_int_equal(run_child("--child-unrecorded", fifo, 0), 47); /* no hang */
  unlink(fifo);
  rmdir(dir);
}

static void test_results_cut_line_is_taken_back(void **state) {
  (void)state;
  char path[] = "/tmp/memgate-fsize-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "{\"prior\":1}\n", 12), 12);
  close(fd);
  /* The limit lets 40 bytes of the new line through, then the write fails. */
  assert_int_equal(run_child("--child-unrecorded", path, 12 + 40), 47);
  assert_string_equal(slurp(path), "{\"prior\":1}\n");
  unlink(path);
}

static void test_results_torn_line_does_not_swallow_the_next(void **state) {
  (void)state;
  char path[] = "/tmp/memgate-torn-XXXXXX";
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, "{\"torn", 6), 6); /* a killed writer's fragment */
  close(fd);
  assert_int_equal(run_child("--child-pass", path, 0), 40);
  const char *s = slurp(path);
  assert_memory_equal(s, "{\"torn\n{\"format\":2,", 19);
  assert_non_null(strstr(s, "\"name\":\"p\""));
  unlink(path);
}

/* ------------------------------------------------------------------ re-entry */

static volatile int g_sig_begin = 1, g_sig_end = -1;
static void on_usr1(int sig) {
  (void)sig;
  g_sig_begin = memgate_begin("in.signal", "sig.c", 1);
  g_sig_end = (int)memgate_end("in.signal", "sig.c", 2, NULL);
}
static int raising_read(void *ctx, memgate_footprint *out) {
  (void)ctx;
  out->footprint_bytes = 4096;
  raise(SIGUSR1); /* as if a signal arrived while memgate was sampling */
  return 0;
}

static void test_scope_from_signal_handler_is_refused_not_deadlocked(void **state) {
  (void)state;
  struct sigaction sa, old;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = on_usr1;
  sigaction(SIGUSR1, &sa, &old);
  memgate_sampler sm = {raising_read, NULL, NULL, NULL};
  memgate_set_sampler(&sm);
  alarm(20); /* a deadlock fails the test instead of hanging it */
  memgate_result r;
  assert_int_equal(memgate_begin("outer", "o.c", 1), 0);
  assert_int_equal(memgate_end("outer", "o.c", 2, &r), MemgateVerdictPass);
  alarm(0);
  sigaction(SIGUSR1, &old, NULL);
  assert_int_equal(g_sig_begin, MEMGATE_EREENTRANT);
  assert_int_equal(g_sig_end, MemgateVerdictError);
  assert_int_equal(r.retained_bytes, 0);
  assert_true(memgate_failure_count() >= 4); /* two refusals per sample: counted */
}

static int g_nested_calls;
static void nested_scope_body(void *ctx) {
  (void)ctx;
  memgate_begin("body.scope", "b.c", 1);
  if (memgate_end("body.scope", "b.c", 2, NULL) == MemgateVerdictPass) g_nested_calls++;
}
static void fail_then_measure(const memgate_result *r, void *ctx) {
  (void)r;
  (void)ctx;
  memgate_begin("from.handler", "h.c", 1);
  if (memgate_end("from.handler", "h.c", 2, NULL) == MemgateVerdictPass) g_nested_calls += 100;
}

static void test_bodies_and_handlers_may_call_memgate(void **state) {
  (void)state;
  script_fp(100, END_);
  g_nested_calls = 0;
  assert_int_equal(memgate_repeat("outer.repeat", 4, nested_scope_body, NULL, "o.c", 3),
                   MemgateVerdictPass);
  assert_int_equal(g_nested_calls, 4 + 2); /* 4 measured + 2 warm-up iterations */
  memgate_set_failure_handler(fail_then_measure, NULL);
  memgate_end("never.begun", "o.c", 4, NULL); /* an error: the handler runs a scope */
  assert_int_equal(g_nested_calls, 106);
}

static void test_child_cannot_end_parents_scope(void **state) {
  (void)state;
  script_fp(100, 100, END_);
  assert_int_equal(memgate_begin("forked", "f.c", 1), 0);
  pid_t pid = fork();
  if (pid == 0) {
    memgate_result r;
    int ok = memgate_end("forked", "f.c", 2, &r) == MemgateVerdictError &&
             r.error == MEMGATE_EUNBALANCED && strstr(r.message, "must end in the process") &&
             strstr(r.message, "ran in process");
    _exit(ok ? 0 : 1);
  }
  int st;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  assert_true(WIFEXITED(st) && WEXITSTATUS(st) == 0);
  assert_int_equal(memgate_end("forked", "f.c", 3, NULL), MemgateVerdictPass); /* the parent's own */
}

static void test_bad_env_makes_scopes_error(void **state) {
  (void)state;
  pid_t pid = fork();
  if (pid == 0) {
    char *argv[] = {self_path, (char *)"--child-bad-env", NULL};
    setenv("MEMGATE_WARMUP", "lots", 1);
    execv(self_path, argv);
    _exit(127);
  }
  int st;
  waitpid(pid, &st, 0);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 43);
}

static int child_mode(const char *mode) {
  memgate_set_failure_handler(capture_fail, &F);
  script_fp(1, 1, END_);
  if (strcmp(mode, "--child-unwritable") == 0) {
    memgate_begin("w", "w.c", 1);
    memgate_end("w", "w.c", 2, NULL); /* passes, but results cannot be written */
    return 40 + (int)memgate_failure_count();
  }
  if (strcmp(mode, "--child-unrecorded") == 0) {
    memgate_result r;
    int rc = 0;
    memgate_begin("u", "u.c", 1);
    if (memgate_end("u", "u.c", 2, &r) == MemgateVerdictError) rc |= 1;
    if (F.calls == 1 && F.last.error == MEMGATE_ERESULTS) rc |= 2;
    if (strstr(F.msg, "result not recorded: ") && strstr(F.msg, "; measured pass: retained +0 B"))
      rc |= 4;
    return 40 + rc;
  }
  if (strcmp(mode, "--child-pass") == 0) {
    memgate_begin("p", "p.c", 1);
    memgate_end("p", "p.c", 2, NULL);
    return 40 + (int)memgate_failure_count();
  }
  if (strcmp(mode, "--child-bad-env") == 0) {
    int rc = 0;
    if (memgate_begin("e", "e.c", 1) == MEMGATE_ECONFIG) rc |= 1;
    if (memgate_repeat("e", 5, noop, NULL, "e.c", 2) == MemgateVerdictError &&
        strstr(F.msg, "MEMGATE_WARMUP=\"lots\"") != NULL)
      rc |= 2;
    return 40 + rc;
  }
  return 100;
}

int main(int argc, char **argv) {
  if (argc > 1) return child_mode(argv[1]);
  if (!realpath(argv[0], self_path)) return 98;
  int fd = mkstemp(results_path);
  if (fd < 0) return 99;
  close(fd);
  setenv("MEMGATE_RESULTS", results_path, 1);
  setenv("MEMGATE_PLATFORM", "test-platform_1.0", 1);
  /* Scripted cases assume the allocator-view defaults of a process without
   * glibc's per-thread cache; pin them (the environment overrides the
   * profile) so the suite does not depend on GLIBC_TUNABLES. */
  setenv("MEMGATE_WARMUP", "2", 1);
  setenv("MEMGATE_HEAP_MIN_GROWTH", "64", 1);
  setenv("MEMGATE_HEAP_MIN_SLOPE", "8", 1);

  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_scope_pass, setup, teardown),
      cmocka_unit_test_setup_teardown(test_scope_negative_retained, setup, teardown),
      cmocka_unit_test_setup_teardown(test_scope_peak_and_heap, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nested_scopes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_nested_peak_kept, setup, teardown),
      cmocka_unit_test_setup_teardown(test_end_without_begin, setup, teardown),
      cmocka_unit_test_setup_teardown(test_end_wrong_name_names_both_places, setup, teardown),
      cmocka_unit_test_setup_teardown(test_end_closes_enclosing_first, setup, teardown),
      cmocka_unit_test_setup_teardown(test_never_ended, setup, teardown),
      cmocka_unit_test_setup_teardown(test_end_on_other_thread, setup, teardown),
      cmocka_unit_test_setup_teardown(test_thread_exits_with_open_scope, setup, teardown),
      cmocka_unit_test_setup_teardown(test_depth_limit, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unreadable_at_end_is_error, setup, teardown),
      cmocka_unit_test_setup_teardown(test_unreadable_at_begin_is_error_once, setup, teardown),
      cmocka_unit_test_setup_teardown(test_positive_sampler_code_is_sampler_error, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_names, setup, teardown),
      cmocka_unit_test_setup_teardown(test_repeat_monotone_leak, setup, teardown),
      cmocka_unit_test_setup_teardown(test_repeat_one_time_growth_is_not_leak, setup, teardown),
      cmocka_unit_test_setup_teardown(test_repeat_step_in_middle_is_not_leak, setup, teardown),
      cmocka_unit_test_setup_teardown(test_repeat_noisy_trend_is_leak, setup, teardown),
      cmocka_unit_test_setup_teardown(test_repeat_heap_only_leak, setup, teardown),
      cmocka_unit_test_setup_teardown(test_repeat_heap_noise_is_not_leak, setup, teardown),
      cmocka_unit_test_setup_teardown(test_repeat_sampler_fails_midway, setup, teardown),
      cmocka_unit_test_setup_teardown(test_repeat_too_few_iterations, setup, teardown),
      cmocka_unit_test_setup_teardown(test_repeat_bad_arguments, setup, teardown),
      cmocka_unit_test_setup_teardown(test_repeat_body_leaves_scope_open, setup, teardown),
      cmocka_unit_test_setup_teardown(test_repeat_settles, setup, teardown),
      cmocka_unit_test(test_growth_rule_exact),
      cmocka_unit_test(test_growth_rule_halves),
      cmocka_unit_test(test_regular_rule),
      cmocka_unit_test_setup_teardown(test_repeat_regular_step_leak, setup, teardown),
      cmocka_unit_test_setup_teardown(test_error_names, setup, teardown),
      cmocka_unit_test(test_options_env),
      cmocka_unit_test_setup_teardown(test_result_handler_sees_passes, setup, teardown),
      cmocka_unit_test_setup_teardown(test_default_handler_format, setup, teardown),
      cmocka_unit_test_setup_teardown(test_macros_evaluate_once, setup, teardown),
      cmocka_unit_test(test_platform_override),
      cmocka_unit_test(test_parse_status),
      cmocka_unit_test_setup_teardown(test_results_line_fields, setup, teardown),
      cmocka_unit_test_setup_teardown(test_results_concurrent_append, setup, teardown),
      cmocka_unit_test(test_results_unwritable_counts_as_failure),
      cmocka_unit_test(test_bad_env_makes_scopes_error),
      cmocka_unit_test(test_results_unrecorded_is_error_not_pass),
      cmocka_unit_test_setup_teardown(test_scope_from_signal_handler_is_refused_not_deadlocked, setup,
                                      teardown),
      cmocka_unit_test_setup_teardown(test_bodies_and_handlers_may_call_memgate, setup, teardown),
      cmocka_unit_test_setup_teardown(test_child_cannot_end_parents_scope, setup, teardown),
      cmocka_unit_test(test_results_cut_line_is_taken_back),
      cmocka_unit_test(test_results_torn_line_does_not_swallow_the_next),
  };
  int failed = cmocka_run_group_tests_name("memgate core (scripted sampler)", tests, NULL, NULL);
  unlink(results_path);
  return failed;
}

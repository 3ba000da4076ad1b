/*
 * Repeats (repeat.c): the measured series, warm-up, errors, bodies that call memgate.
 */
#define _GNU_SOURCE
#include "support/scripted.h"

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

/* ------------------------------------------------- confirmation rounds */

static memgate_options confirming(uint32_t budget) {
  memgate_options o;
  memgate_options_init(&o);
  o.warmup = 1;
  o.heap_min_growth_bytes = 64;
  o.heap_min_slope_bytes = 8;
  o.confirm_iterations = budget;
  o.confirm_ms = 60000;
  return o;
}

/* An LRU filling over 48 of 60 measured iterations, then flat: one more
 * window shows it level off, and the pass says so. */
static void test_repeat_bounded_growth_passes_after_confirmation(void **state) {
  (void)state;
  static uint64_t fp[200], heap[200];
  for (int i = 0; i < 200; i++) {
    fp[i] = 1 << 20;
    heap[i] = (1 << 19) + (uint64_t)(i < 2 ? 0 : (i - 2 < 48 ? i - 2 : 48)) * 416;
  }
  script_series(fp, heap, 200);
  memgate_options o = confirming(500);
  memgate_result r;
  assert_int_equal(memgate_repeat_opts("lru", 60, noop, NULL, &o, "c.c", 1, &r), MemgateVerdictPass);
  assert_int_equal(r.confirm_iterations, 60);
  assert_int_equal(r.iterations, 120);
  assert_non_null(strstr(r.message, "bounded growth: footprint +0 B, heap +19.5 KiB over 120 iterations, then flat for the last 60"));
  /* Without confirmation the same run is a pass that says it was not confirmed. */
  o.confirm_iterations = 0;
  script_series(fp, heap, 200);
  assert_int_equal(memgate_repeat_opts("lru", 60, noop, NULL, &o, "c.c", 2, &r), MemgateVerdictPass);
  assert_non_null(strstr(r.message, "growth that did not persist"));
  assert_non_null(strstr(r.message, "confirmation off"));
}

/* A steady leak stays a leak in every newer window; confirmation stops
 * once it grew 1 MiB past the first window. */
static void test_repeat_steady_leak_is_confirmed(void **state) {
  (void)state;
  static uint64_t fp[1000];
  for (int i = 0; i < 1000; i++) fp[i] = (1 << 20) + (uint64_t)i * 4096;
  script_series(fp, NULL, 1000);
  memgate_options o = confirming(2000);
  memgate_result r;
  assert_int_equal(memgate_repeat_opts("steady", 10, noop, NULL, &o, "c.c", 3, &r), MemgateVerdictLeak);
  assert_true(r.confirm_iterations >= 256 && r.confirm_iterations <= 266);
  assert_non_null(strstr(r.message, "still growing in the newest 10 after"));
}

/* Leak-free: nothing to confirm, nothing extra run. */
static void test_repeat_leak_free_pays_no_confirmation(void **state) {
  (void)state;
  script_fp(100, END_);
  memgate_options o = confirming(2000);
  memgate_result r;
  int calls = 0;
  assert_int_equal(memgate_repeat_opts("flat", 10, count_calls, &calls, &o, "c.c", 4, &r),
                   MemgateVerdictPass);
  assert_int_equal(r.confirm_iterations, 0);
  assert_int_equal(calls, 1 + 10);
}

int main(int argc, char **argv) {
#define T_(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
  const struct CMUnitTest tests[] = {
      T_(test_repeat_monotone_leak),
      T_(test_repeat_one_time_growth_is_not_leak),
      T_(test_repeat_step_in_middle_is_not_leak),
      T_(test_repeat_noisy_trend_is_leak),
      T_(test_repeat_heap_only_leak),
      T_(test_repeat_heap_noise_is_not_leak),
      T_(test_repeat_sampler_fails_midway),
      T_(test_repeat_too_few_iterations),
      T_(test_repeat_bad_arguments),
      T_(test_repeat_body_leaves_scope_open),
      T_(test_repeat_settles),
      T_(test_repeat_regular_step_leak),
      T_(test_bodies_and_handlers_may_call_memgate),
      T_(test_repeat_bounded_growth_passes_after_confirmation),
      T_(test_repeat_steady_leak_is_confirmed),
      T_(test_repeat_leak_free_pays_no_confirmation),
  };
#undef T_
  return scripted_main(argc, argv, "memgate repeats (scripted sampler)", tests, sizeof tests / sizeof tests[0]);
}

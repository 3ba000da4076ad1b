/*
 * The leak rules (judge.c) on series given directly: exact thresholds, halves, the regular step.
 */
#define _GNU_SOURCE
#include "support/scripted.h"
#include "state.h"

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

/* ------------------------------------------------- the repeat's verdict */

/* Options of the tuned environment (no allocator cache): the thresholds
 * that made the bounded-growth and late-cache cases fire before. */
static memgate_options tuned(void) {
  memgate_options o;
  memgate_options_init(&o);
  o.warmup = 2;
  o.heap_min_growth_bytes = 64;
  o.heap_min_slope_bytes = 8;
  return o;
}

#define W 240
static uint64_t g_fp[W + 1], g_heap[W + 1], g_scratch[W + 1];

/* Flat footprint; allocator view from steps (absent steps are 0). */
static void heap_from_steps(const int64_t *steps, uint32_t n) {
  g_fp[0] = 1 << 20;
  g_heap[0] = 1 << 19;
  for (uint32_t i = 1; i <= W; i++) {
    g_fp[i] = g_fp[0];
    g_heap[i] = (uint64_t)((int64_t)g_heap[i - 1] + (i <= n ? steps[i - 1] : 0));
  }
}

static memgate__repeat_judgement judge(uint32_t total, uint32_t n, const memgate_options *o) {
  memgate__repeat_judgement j;
  memgate__judge_repeat(g_fp, g_heap, total, n, o, g_scratch, &j);
  return j;
}

/* An LRU of 50 entries of 416 B fills over the first 48 iterations of 60,
 * then stays flat: not a leak, but the rules fired on the window. */
static void test_bounded_cache_is_confirmed_as_bounded(void **state) {
  (void)state;
  memgate_options o = tuned();
  int64_t steps[48];
  for (int i = 0; i < 48; i++) steps[i] = 416;
  heap_from_steps(steps, 48);
  memgate__repeat_judgement j = judge(60, 60, &o);
  assert_int_equal(j.verdict, MemgateVerdictPass);
  assert_true(j.unconfirmed); /* growth that has not persisted: confirm */
  j = judge(120, 60, &o);     /* 60 more, flat */
  assert_int_equal(j.verdict, MemgateVerdictPass);
  assert_false(j.unconfirmed);
  assert_true(j.bounded);
  assert_int_equal(j.confirmed, 60);
  assert_int_equal(j.heap_flat, 60);
}

/* Another thread's cache grows in 1.5-2 KiB steps at iterations 2, 5, 8 ...
 * up to 44, then never again (bounded). */
static void test_late_cache_steps_are_confirmed_as_bounded(void **state) {
  (void)state;
  memgate_options o = tuned();
  int64_t steps[60] = {0};
  for (int i = 1; i < 45; i += 3) steps[i] = 1536 + (i % 5) * 128;
  heap_from_steps(steps, 60);
  memgate__repeat_judgement j = judge(60, 60, &o);
  assert_int_equal(j.verdict, MemgateVerdictPass);
  assert_true(j.unconfirmed);
  assert_true(judge(120, 60, &o).bounded);
}

/* A steady 208 B leak with one 15 KiB drop (a thread exiting, giving its
 * cache back): the drop alone must not hide the leak. It needs one more
 * window to be confirmed (a flush now and then would drop again). */
static void test_one_drop_does_not_hide_a_steady_leak(void **state) {
  (void)state;
  memgate_options o = tuned();
  int64_t steps[W];
  for (int i = 0; i < W; i++) steps[i] = 208;
  steps[30] = -15 * 1024;
  heap_from_steps(steps, W);
  memgate__repeat_judgement j = judge(60, 60, &o);
  assert_int_equal(j.verdict, MemgateVerdictPass);
  assert_true(j.unconfirmed);
  j = judge(120, 60, &o); /* the newest window is past the drop */
  assert_int_equal(j.verdict, MemgateVerdictLeak);
  assert_int_equal(j.rule, MemgateRuleMonotone);
  /* Wherever the drop falls in the window, the window never passes as
   * settled: it is a leak or it asks for confirmation. */
  for (int at = 0; at < 60; at += 7) {
    for (int i = 0; i < W; i++) steps[i] = 208 + (i % 2) * 16;
    steps[at] = -15 * 1024;
    heap_from_steps(steps, W);
    j = judge(60, 60, &o);
    assert_true(j.verdict == MemgateVerdictLeak || j.unconfirmed);
  }
}

/* One late step of 64 KiB in an otherwise flat footprint is not a leak. */
static void test_one_jump_does_not_make_a_leak(void **state) {
  (void)state;
  memgate_options o = tuned();
  heap_from_steps(NULL, 0);
  for (uint32_t i = 30; i <= W; i++) g_fp[i] = g_fp[0] + 64 * 1024;
  memgate__repeat_judgement j = judge(60, 60, &o);
  assert_int_equal(j.verdict, MemgateVerdictPass);
  assert_false(j.unconfirmed);
}

/* A steady footprint leak fires on the first window; judging needs no
 * scratch beyond n + 1 values and never allocates. */
static void test_steady_leak_fires_at_once(void **state) {
  (void)state;
  memgate_options o = tuned();
  heap_from_steps(NULL, 0);
  for (uint32_t i = 0; i <= W; i++) g_fp[i] = g_fp[0] + (uint64_t)i * 4096;
  memgate__repeat_judgement j = judge(10, 10, &o);
  assert_int_equal(j.verdict, MemgateVerdictLeak);
  assert_int_equal(j.rule, MemgateRuleMonotone);
  assert_false(j.unconfirmed);
}

/* Idle pool threads of an earlier test exit one after another during a
 * 32 B/iteration leak (seen with GLib's thread pool): three falls, net
 * growth below zero. Confirmed by the next window, where no thread exits. */
static void test_several_thread_exits_do_not_hide_a_leak(void **state) {
  (void)state;
  memgate_options o = tuned();
  int64_t steps[W];
  for (int i = 0; i < W; i++) steps[i] = 32;
  steps[26] = -2016;
  steps[27] = -10656;
  steps[28] = -3984;
  heap_from_steps(steps, W);
  memgate__repeat_judgement j = judge(60, 60, &o);
  assert_int_equal(j.verdict, MemgateVerdictPass);
  assert_true(j.unconfirmed);
  assert_int_equal(judge(120, 60, &o).verdict, MemgateVerdictLeak);
}

/* A cache that grows 112 B per iteration and is flushed every 8th: the
 * same pattern in the confirmation window, so it passes there. */
static void test_a_flushed_cache_passes_after_one_window(void **state) {
  (void)state;
  memgate_options o = tuned();
  int64_t steps[W];
  for (int i = 0; i < W; i++) steps[i] = i % 8 == 7 ? -7 * 112 : 112;
  heap_from_steps(steps, W);
  memgate__repeat_judgement j = judge(60, 60, &o);
  assert_int_equal(j.verdict, MemgateVerdictPass);
  assert_true(j.unconfirmed);
  j = judge(120, 60, &o);
  assert_int_equal(j.verdict, MemgateVerdictPass);
  assert_false(j.unconfirmed);
}

int main(int argc, char **argv) {
#define T_(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_growth_rule_exact),
      cmocka_unit_test(test_growth_rule_halves),
      cmocka_unit_test(test_regular_rule),
      cmocka_unit_test(test_bounded_cache_is_confirmed_as_bounded),
      cmocka_unit_test(test_late_cache_steps_are_confirmed_as_bounded),
      cmocka_unit_test(test_one_drop_does_not_hide_a_steady_leak),
      cmocka_unit_test(test_one_jump_does_not_make_a_leak),
      cmocka_unit_test(test_steady_leak_fires_at_once),
      cmocka_unit_test(test_several_thread_exits_do_not_hide_a_leak),
      cmocka_unit_test(test_a_flushed_cache_passes_after_one_window),
  };
#undef T_
  return scripted_main(argc, argv, "memgate leak rules", tests, sizeof tests / sizeof tests[0]);
}

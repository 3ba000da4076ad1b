/*
 * The leak rules (judge.c) on series given directly: exact thresholds, halves, the regular step.
 */
#define _GNU_SOURCE
#include "support/scripted.h"

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

int main(int argc, char **argv) {
#define T_(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_growth_rule_exact),
      cmocka_unit_test(test_growth_rule_halves),
      cmocka_unit_test(test_regular_rule)
  };
#undef T_
  return scripted_main(argc, argv, "memgate leak rules", tests, sizeof tests / sizeof tests[0]);
}

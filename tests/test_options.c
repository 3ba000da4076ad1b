/*
 * Options and environment (options.c, platform.c, proc.c).
 */
#define _GNU_SOURCE
#include "support/scripted.h"

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
  /* 40 KiB rounded up to a page: 10 pages of 4 KiB */
  uint64_t ps = (uint64_t)sysconf(_SC_PAGESIZE);
  assert_int_equal(o.min_growth_bytes, (40960 + ps - 1) / ps * ps);
  /* the allocator profile decides the allocator-view defaults */
  if (o.alloc_cache_active) {
    assert_int_equal(o.warmup, 20);
#ifndef __APPLE__ /* Darwin's magazine figures: tests/test_darwin_defaults.c */
    assert_int_equal(o.heap_min_growth_bytes, 3 * ps);
    assert_int_equal(o.heap_min_slope_bytes, 1024);
#endif
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

static void test_platform_override(void **state) {
  (void)state;
  /* main() set MEMGATE_PLATFORM before the first call */
  assert_string_equal(memgate_platform(), "test-platform_1.0");
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

/* The allocator-cache profile must not depend on whether the process had
 * called malloc before (a thread's first malloc also allocates its cache,
 * which once made the probe think mallinfo2() did not track malloc). */
static void test_cache_profile_same_in_a_fresh_process(void **state) {
  (void)state;
  if (getenv("MEMGATE_VALGRIND")) {
    /* The re-executed child runs without valgrind, so its allocator differs. */
    printf("note: under valgrind the child runs natively: profile comparison skipped\n");
    return;
  }
  memgate_options o;
  memgate_options_init(&o);
  int want = 40 + (o.alloc_cache_active ? 1 : 0) + (o.fill_alloc_cache ? 2 : 0);
  assert_int_equal(run_child("--child-cache-profile", results_path, 0), want);
}

int main(int argc, char **argv) {
#define T_(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_options_env),
      cmocka_unit_test(test_platform_override),
      cmocka_unit_test(test_bad_env_makes_scopes_error),
      cmocka_unit_test(test_cache_profile_same_in_a_fresh_process)
  };
#undef T_
  return scripted_main(argc, argv, "memgate options", tests, sizeof tests / sizeof tests[0]);
}

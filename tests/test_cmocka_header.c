/*
 * memgate_cmocka.h: the assertions fail a test with memgate's message at
 * the caller's line; memgate_unit_test_repeat repeats an existing test
 * (setup, test, teardown per iteration); a failed cmocka assertion inside
 * it fails the test as cmocka reports it and memgate names the repeat.
 * Each group runs in a child (tests that must fail), the parent checks its
 * exit status and output.
 */
#define _GNU_SOURCE
#include "support/scripted.h"

#include <memgate_cmocka.h>

static int g_setups, g_teardowns, g_tests;

static int count_setup(void **state) {
  g_setups++;
  *state = &g_tests;
  return 0;
}
static int count_teardown(void **state) {
  assert_ptr_equal(*state, &g_tests);
  g_teardowns++;
  return 0;
}
static void counted_test(void **state) { ++*(int *)*state; }

/* Passes in warm-up iteration 1 and 2 and measured iteration 1 only. */
static void third_fails(void **state) {
  (void)state;
  g_tests++;
  assert_int_equal(g_tests % 4, g_tests); /* 4 % 4 == 0 != 4 */
}

static void flat(void) { script_fp(5000, END_); }

/* 2 warm-up + 10 measured samples growing a page each. */
static void leaking(void) {
  uint64_t fp[12];
  fp[0] = 1000, fp[1] = 2000;
  for (int i = 2; i < 12; i++) fp[i] = 2000 + (uint64_t)(i - 1) * 4096;
  script_series(fp, NULL, 12);
}

static int group_flat(void **state) {
  (void)state;
  flat();
  return 0;
}
static int group_leaking(void **state) {
  (void)state;
  leaking();
  return 0;
}
static void rescript_leak(void **state) {
  (void)state;
  leaking();
}

static void passing_assertions(void **state) {
  (void)state;
  int calls = 0;
  flat();
  assert_memgate_pass(MEM_REPEAT("a.repeat", 4, count_calls, &calls));
  MEM_LOOP("a.loop", 4) calls++;
  assert_memgate_last_pass();
  memgate_result r;
  assert_true(memgate_last_result(&r));
  assert_memgate_result_pass(&r);
  assert_int_equal(calls, 12);
}

static void leaking_repeat_asserted(void **state) {
  (void)state;
  int calls = 0;
  assert_memgate_pass(MEM_REPEAT("asserted.leak", 10, count_calls, &calls)); /* asserted */
}

static void counts_after_pass(void **state) {
  (void)state;
  assert_int_equal(g_setups, 6);   /* 2 warm-up + 4 measured */
  assert_int_equal(g_teardowns, 6);
  assert_int_equal(g_tests, 6);
}

static void counts_after_assert(void **state) {
  (void)state;
  assert_int_equal(g_tests, 4);
  assert_int_equal(g_setups, 4);
  assert_int_equal(g_teardowns, 4); /* the failed iteration's teardown ran too */
  int calls = 0;
  flat();
  assert_memgate_pass(MEM_REPEAT("clean.after", 3, count_calls, &calls));
  assert_int_equal(memgate_failure_count(), 1); /* the abandoned repeat */
}

static void leak_entry_test(void **state) { (void)state; }

static int child(const char *mode) {
  if (strcmp(mode, "--child-pass") == 0) {
    const struct CMUnitTest t[] = {
        memgate_unit_test_repeat_setup_teardown(counted_test, 4, count_setup, count_teardown),
        cmocka_unit_test(counts_after_pass),
        cmocka_unit_test(passing_assertions),
    };
    return cmocka_run_group_tests_name("pass", t, group_flat, NULL);
  }
  if (strcmp(mode, "--child-leak") == 0) {
    const struct CMUnitTest t[] = {
        memgate_unit_test_repeat(leak_entry_test, 10), /* entry leak */
        cmocka_unit_test(rescript_leak),
        cmocka_unit_test(leaking_repeat_asserted),
    };
    return cmocka_run_group_tests_name("leak", t, group_leaking, NULL);
  }
  if (strcmp(mode, "--child-assert") == 0) {
    const struct CMUnitTest t[] = {
        memgate_unit_test_repeat_setup_teardown(third_fails, 10, count_setup, count_teardown), /* entry assert */
        cmocka_unit_test(counts_after_assert),
    };
    return cmocka_run_group_tests_name("assert", t, group_flat, NULL);
  }
  return 100;
}

/* ---- the parent ------------------------------------------------------- */

static char g_log[65536];

/* Runs this binary in mode, output to g_log; returns its exit status. */
static int run_mode(const char *mode) {
  char out[] = "/tmp/memgate-cmocka-XXXXXX";
  int fd = mkstemp(out);
  assert_true(fd >= 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    char *argv[] = {self_path, (char *)mode, NULL};
    execv(self_path, argv);
    _exit(127);
  }
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  close(fd);
  const char *log = slurp(out);
  unlink(out);
  assert_non_null(log);
  snprintf(g_log, sizeof g_log, "%s", log);
  assert_true(WIFEXITED(st));
  return WEXITSTATUS(st);
}

/* The line of this file that carries marker (a comment). */
static int line_of(const char *marker) {
  FILE *f = fopen(__FILE__, "r");
  assert_non_null(f);
  char buf[512];
  int n = 0, found = 0;
  while (!found && fgets(buf, sizeof buf, f)) {
    n++;
    if (strstr(buf, marker) && !strstr(buf, "line_of(")) found = n;
  }
  fclose(f);
  assert_true(found > 0);
  return found;
}

/* cmocka failed the test at this file's line `line` with text. */
static void assert_failed_at(int line, const char *text) {
  char want[256];
  snprintf(want, sizeof want, "[   LINE   ] --- %s:%d: error: Failure!", __FILE__, line);
  if (!strstr(g_log, want) || !strstr(g_log, text)) fail_msg("missing '%s' / '%s' in:\n%s", want, text, g_log);
}

static void test_passing_group_passes(void **state) {
  (void)state;
  if (run_mode("--child-pass") != 0) fail_msg("%s", g_log);
  assert_non_null(strstr(g_log, "[  PASSED  ] 3 test(s)."));
}

static void test_leaks_fail_with_the_message(void **state) {
  (void)state;
  int st = run_mode("--child-leak");
  if (st != 2) fail_msg("exit %d:\n%s", st, g_log);
  assert_failed_at(line_of("/* entry leak */"),
                   "[  ERROR   ] --- memgate: leak_entry_test: leak: memory keeps growing: +4.0 KiB per iteration");
  assert_failed_at(line_of("/* asserted */"),
                   "[  ERROR   ] --- memgate: asserted.leak: leak: memory keeps growing: +4.0 KiB per iteration");
  assert_null(strstr(g_log, "0x1 != 0"));
}

static void test_assert_inside_repeated_test(void **state) {
  (void)state;
  int st = run_mode("--child-assert");
  if (st != 1) fail_msg("exit %d:\n%s", st, g_log);
  assert_non_null(strstr(g_log, "[  ERROR   ] --- 0 != 0x4")); /* cmocka's own failure */
  assert_non_null(strstr(g_log, "[  FAILED  ] third_fails"));
  char want[256];
  snprintf(want, sizeof want, "%s:%d: error: memgate: third_fails: error: MEM_REPEAT(\"third_fails\") "
           "was left by longjmp or an exception (a failed test assertion?) in measured iteration 2 of 10",
           __FILE__, line_of("/* entry assert */"));
  if (!strstr(g_log, want)) fail_msg("missing '%s' in:\n%s", want, g_log);
  assert_non_null(strstr(g_log, "[       OK ] counts_after_assert"));
}

int main(int argc, char **argv) {
  int rc = argc > 1 ? child(argv[1]) : 100;
  if (rc != 100) return rc;
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_passing_group_passes),
      cmocka_unit_test(test_leaks_fail_with_the_message),
      cmocka_unit_test(test_assert_inside_repeated_test),
  };
  return scripted_main(argc, argv, "memgate_cmocka.h (child groups)", tests,
                       sizeof tests / sizeof tests[0]);
}

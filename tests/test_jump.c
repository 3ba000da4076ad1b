/*
 * Bodies left by longjmp (jump.c, state.c): a repeat or loop whose body a
 * test framework's failed assertion jumped out of yields an error result
 * naming it, the thread is clean for the next test (scopes closed, the
 * guard released), and the framework's own failure stands. The last case
 * runs cmocka's real assert_* inside a repeat, in a child process.
 */
#define _GNU_SOURCE
#include "support/scripted.h"

static jmp_buf g_env;
static int g_runs;

static void jumping_body(void *ctx) {
  (void)ctx;
  if (++g_runs == 4) longjmp(g_env, 1); /* warm-up 2, measured iterations 1 and 2 */
}

static void opening_body(void *ctx) {
  (void)ctx;
  memgate_begin("in.body", "b.c", 7);
  longjmp(g_env, 1);
}

/* The thread works as before: a scope and a repeat pass, nothing refused. */
static void assert_clean(void) {
  memset(&F, 0, sizeof F);
  assert_int_equal(memgate_begin("after", "a.c", 1), 0);
  assert_int_equal(memgate_end("after", "a.c", 2, NULL), MemgateVerdictPass);
  int calls = 0;
  assert_int_equal(memgate_repeat("after.repeat", 3, count_calls, &calls, "a.c", 3),
                   MemgateVerdictPass);
  assert_int_equal(F.calls, 0);
  assert_int_equal(memgate_recover("a.c", 4), 0);
}

static void test_longjmp_out_of_repeat_found_at_next_call(void **state) {
  (void)state;
  script_fp(100, END_);
  g_runs = 0;
  if (setjmp(g_env) == 0) {
    memgate_repeat("jumped", 10, jumping_body, NULL, "j.c", 12);
    fail_msg("the body did not jump");
  }
  assert_int_equal(F.calls, 0); /* nothing known yet */
  assert_int_equal(memgate_begin("next", "n.c", 1), 0);
  assert_int_equal(F.calls, 1);
  assert_int_equal(F.last.verdict, MemgateVerdictError);
  assert_int_equal(F.last.error, MEMGATE_EABANDONED);
  assert_int_equal(F.last.kind, MemgateKindRepeat);
  assert_string_equal(F.name, "jumped");
  assert_string_equal(F.file, "j.c");
  assert_int_equal(F.last.line, 12);
  assert_string_equal(F.msg, "MEM_REPEAT(\"jumped\") was left by longjmp or an exception (a failed "
                             "test assertion?) in measured iteration 2 of 10: no verdict");
  assert_int_equal(memgate_end("next", "n.c", 2, NULL), MemgateVerdictPass);
  assert_clean();
}

static void test_longjmp_closes_scopes_of_the_body(void **state) {
  (void)state;
  script_fp(100, END_);
  if (setjmp(g_env) == 0) memgate_repeat("opens", 10, opening_body, NULL, "o.c", 3);
  assert_int_equal(memgate_recover("t.c", 9), 1);
  assert_int_equal(F.calls, 2); /* the scope, then the repeat */
  assert_string_equal(F.name, "opens");
  assert_int_equal(F.last.error, MEMGATE_EABANDONED);
  assert_non_null(strstr(F.msg, "in warm-up iteration 1 of 2: no verdict"));
  /* The scope is gone: ending it now is a misuse of its own. */
  memset(&F, 0, sizeof F);
  assert_int_equal(memgate_end("in.body", "b.c", 8, NULL), MemgateVerdictError);
  assert_int_equal(F.last.error, MEMGATE_EUNBALANCED);
  assert_clean();
}

/* Not inlined: the longjmp lands in a caller of the loop's function (as a
 * framework's does), and the next memgate call comes from there. One that
 * lands in the loop's own function, or whose next call comes from as deep,
 * is found by memgate_recover() (below) or at exit. */
__attribute__((noinline)) static void loop_that_jumps(void) {
  MEM_LOOP("loop.jumped", 10) {
    longjmp(g_env, 1);
  }
}

static void test_longjmp_out_of_loop_found_at_next_call(void **state) {
  (void)state;
  script_fp(100, END_);
  if (setjmp(g_env) == 0) loop_that_jumps();
  assert_int_equal(memgate_begin("next", "n.c", 1), 0);
  assert_int_equal(memgate_end("next", "n.c", 2, NULL), MemgateVerdictPass);
  assert_int_equal(F.calls, 1);
  assert_string_equal(F.name, "loop.jumped");
  assert_int_equal(F.last.error, MEMGATE_EABANDONED);
  assert_non_null(strstr(F.msg, "MEM_LOOP(\"loop.jumped\") was left by longjmp"));
  assert_non_null(strstr(F.msg, "in warm-up iteration 1 of 2"));
  assert_clean();
}

static void test_longjmp_out_of_loop_found_by_recover(void **state) {
  (void)state;
  script_fp(100, END_);
  int runs = 0;
  if (setjmp(g_env) == 0) {
    MEM_LOOP("loop.same.function", 10) {
      if (++runs == 3) longjmp(g_env, 1);
    }
  }
  assert_int_equal(memgate_recover("r.c", 1), 1);
  assert_int_equal(F.calls, 1);
  assert_string_equal(F.name, "loop.same.function");
  assert_non_null(strstr(F.msg, "in measured iteration 1 of 10: no verdict"));
  assert_clean();
}

/* A legitimate memgate call inside a body is not mistaken for a jump. */
static void scoped_body(void *ctx) {
  memgate_begin("inner", "i.c", 1);
  memgate_end("inner", "i.c", 2, NULL);
  (*(int *)ctx)++;
}

static void test_calls_inside_a_body_are_not_a_jump(void **state) {
  (void)state;
  script_fp(100, END_);
  int calls = 0;
  assert_int_equal(memgate_repeat("scoped", 4, scoped_body, &calls, "s.c", 1), MemgateVerdictPass);
  assert_int_equal(calls, 6);
  int runs = 0;
  MEM_LOOP("scoped.loop", 4) {
    memgate_begin("inner", "i.c", 3);
    memgate_end("inner", "i.c", 4, NULL);
    runs++;
  }
  assert_int_equal(runs, 6);
  assert_int_equal(F.calls, 0);
}

static void test_finish_reports_a_run_left_running(void **state) {
  (void)state;
  script_fp(100, END_);
  g_runs = 0;
  if (setjmp(g_env) == 0) memgate_repeat("at.exit", 10, jumping_body, NULL, "e.c", 5);
  memgate_finish();
  assert_int_equal(F.calls, 1);
  assert_string_equal(F.name, "at.exit");
  assert_non_null(strstr(F.msg, "memgate_finish() or exit"));
  assert_clean();
}

/* ---- cmocka's own assertions inside a repeat (child process) ---------- */

static void asserting_body(void *ctx) {
  int *n = ctx;
  ++*n;
  assert_int_equal(*n, 1); /* fails in the second warm-up iteration */
}

static void cm_assert_in_body(void **state) {
  (void)state;
  int n = 0;
  memgate_repeat("cm.asserts", 10, asserting_body, &n, "cm.c", 21);
}

static void cm_next_test_is_clean(void **state) {
  (void)state;
  int calls = 0;
  memgate_verdict v = memgate_repeat("cm.next", 3, count_calls, &calls, "cm.c", 30);
  assert_int_equal(v, MemgateVerdictPass);
  assert_int_equal(memgate_failure_count(), 1); /* the abandoned repeat only */
}

static int cmocka_child(void) {
  script_fp(100, END_);
  const struct CMUnitTest tests[] = {cmocka_unit_test(cm_assert_in_body),
                                     cmocka_unit_test(cm_next_test_is_clean)};
  return cmocka_run_group_tests_name("cmocka asserts in a repeat", tests, NULL, NULL);
}

static void test_cmocka_assert_inside_repeat(void **state) {
  (void)state;
  char out[] = "/tmp/memgate-jump-XXXXXX";
  int fd = mkstemp(out);
  assert_true(fd >= 0);
  pid_t pid = fork();
  if (pid == 0) {
    dup2(fd, 1);
    dup2(fd, 2);
    char *argv[] = {self_path, "--cmocka-child", NULL};
    execv(self_path, argv);
    _exit(127);
  }
  int st = 0;
  assert_int_equal(waitpid(pid, &st, 0), pid);
  close(fd);
  const char *log = slurp(out);
  unlink(out);
  assert_non_null(log);
  assert_true(WIFEXITED(st));
  assert_int_equal(WEXITSTATUS(st), 1); /* cmocka: one test failed */
  /* cmocka's failure, not masked */
  assert_non_null(strstr(log, "0x2 != 0x1"));
  assert_non_null(strstr(log, "[  FAILED  ] cm_assert_in_body"));
  /* memgate's error naming the repeat, at its line */
  assert_non_null(strstr(log, "cm.c:21: error: memgate: cm.asserts: error: MEM_REPEAT(\"cm.asserts\") "
                              "was left by longjmp or an exception"));
  assert_non_null(strstr(log, "[       OK ] cm_next_test_is_clean"));
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "--cmocka-child") == 0) return cmocka_child();
#define T_(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
  const struct CMUnitTest tests[] = {
      T_(test_longjmp_out_of_repeat_found_at_next_call),
      T_(test_longjmp_closes_scopes_of_the_body),
      T_(test_longjmp_out_of_loop_found_at_next_call),
      T_(test_longjmp_out_of_loop_found_by_recover),
      T_(test_calls_inside_a_body_are_not_a_jump),
      T_(test_finish_reports_a_run_left_running),
      T_(test_cmocka_assert_inside_repeat),
  };
#undef T_
  return scripted_main(argc, argv, "memgate bodies left by longjmp (scripted sampler)", tests,
                       sizeof tests / sizeof tests[0]);
}

/*
 * MEM_LOOP (loop.c over repeat.c's iterator): the block is the body, the
 * same measurement and message as MEM_REPEAT, arguments evaluated once,
 * break/return/goto reported as misuse naming the loop, nesting.
 */
#define _GNU_SOURCE
#include "support/scripted.h"

/* 2 warm-up + 10 measured iterations growing a page each: a leak. */
static void script_leak(void) {
  uint64_t fp[12];
  fp[0] = 1000, fp[1] = 2000;
  for (int i = 2; i < 12; i++) fp[i] = 2000 + (uint64_t)(i - 1) * 4096;
  script_series(fp, NULL, 12);
}

static void test_loop_same_verdict_and_message_as_repeat(void **state) {
  (void)state;
  int calls = 0;
  script_leak();
  assert_int_equal(MEM_REPEAT("same", 10, count_calls, &calls), MemgateVerdictLeak);
  char repeat_msg[1024];
  snprintf(repeat_msg, sizeof repeat_msg, "%s", F.msg);
  memset(&F, 0, sizeof F);

  script_leak();
  int runs = 0, line = 0;
  line = __LINE__ + 1;
  MEM_LOOP("same", 10) { runs++; }
  assert_int_equal(runs, 12); /* 2 warm-up + 10 measured */
  assert_int_equal(F.calls, 1);
  assert_int_equal(F.last.verdict, MemgateVerdictLeak);
  assert_int_equal(F.last.kind, MemgateKindRepeat);
  assert_int_equal(F.last.line, line);
  assert_string_equal(F.name, "same");
  assert_non_null(strstr(F.file, "test_loop.c"));
  assert_string_equal(F.msg, repeat_msg);
  memgate_result r;
  assert_true(memgate_last_result(&r));
  assert_int_equal(r.verdict, MemgateVerdictLeak);
  assert_int_equal(r.iterations, 10);
  assert_int_equal(r.series_count, 11);
  assert_int_equal(r.retained_bytes, 40960);
  assert_int_equal(r.warmup_bytes, 1000);
}

static void test_loop_function_twins(void **state) {
  (void)state;
  script_fp(5000, END_);
  int runs = 0;
  memgate_loop l = memgate_loop_begin("twins", 4, NULL, "t.c", 7);
  while (memgate_loop_next(&l)) runs++;
  memgate_loop_end(&l);
  assert_int_equal(runs, 6);
  assert_true(l.finished);
  assert_int_equal(l.verdict, MemgateVerdictPass);
  assert_int_equal(F.calls, 0);
  memgate_result r;
  assert_true(memgate_last_result(&r));
  assert_string_equal(r.name, "twins");
  assert_int_equal(r.line, 7);
  assert_int_equal(r.verdict, MemgateVerdictPass);
  assert_false(memgate_loop_next(&l)); /* finished stays finished */
}

static int g_name_calls, g_iter_calls;
static const char *loop_name(void) {
  g_name_calls++;
  return "side.effects";
}
static uint32_t loop_iterations(void) {
  g_iter_calls++;
  return 5;
}

static void test_loop_arguments_evaluated_once(void **state) {
  (void)state;
  script_fp(100, END_);
  g_name_calls = g_iter_calls = 0;
  int runs = 0;
  MEM_LOOP(loop_name(), loop_iterations()) runs++;
  assert_int_equal(g_name_calls, 1);
  assert_int_equal(g_iter_calls, 1);
  assert_int_equal(runs, 7);
}

static void test_loop_continue_goes_on(void **state) {
  (void)state;
  script_fp(100, END_);
  int runs = 0;
  MEM_LOOP("cont", 4) {
    runs++;
    if (runs % 2) continue;
  }
  assert_int_equal(runs, 6);
  assert_int_equal(F.calls, 0);
}

/* After a loop was left early the thread is clean: a repeat passes. */
static void assert_thread_clean(void) {
  int calls = 0;
  script_fp(100, END_);
  memset(&F, 0, sizeof F);
  assert_int_equal(MEM_REPEAT("after", 3, count_calls, &calls), MemgateVerdictPass);
  assert_int_equal(F.calls, 0);
  assert_int_equal(memgate_recover("t.c", 1), 0);
}

static void test_loop_break_is_misuse(void **state) {
  (void)state;
  script_fp(100, END_);
  int runs = 0, line = __LINE__ + 1;
  MEM_LOOP("brk", 10) {
    if (++runs == 5) break; /* warm-up 2, then measured iteration 3 */
  }
  assert_int_equal(runs, 5);
  assert_int_equal(F.calls, 1);
  assert_int_equal(F.last.verdict, MemgateVerdictError);
  assert_int_equal(F.last.error, MEMGATE_EABANDONED);
  assert_int_equal(F.last.line, line);
  assert_string_equal(F.msg,
                      "MEM_LOOP(\"brk\") was left before it finished (break, return, goto or an "
                      "exception out of its block) in measured iteration 3 of 10: no verdict");
  assert_thread_clean();
}

static int leave_by_return(int *runs) {
  MEM_LOOP("ret", 10) {
    if (++*runs == 1) return 7;
  }
  return 0;
}

static void test_loop_return_is_misuse(void **state) {
  (void)state;
  script_fp(100, END_);
  int runs = 0;
  assert_int_equal(leave_by_return(&runs), 7);
  assert_int_equal(F.calls, 1);
  assert_int_equal(F.last.error, MEMGATE_EABANDONED);
  assert_string_equal(F.name, "ret");
  assert_non_null(strstr(F.msg, "in warm-up iteration 1 of 2: no verdict"));
  assert_thread_clean();
}

static void test_loop_goto_is_misuse(void **state) {
  (void)state;
  script_fp(100, END_);
  MEM_LOOP("jump", 10) {
    goto out;
  }
out:
  assert_int_equal(F.calls, 1);
  assert_int_equal(F.last.error, MEMGATE_EABANDONED);
  assert_string_equal(F.name, "jump");
  assert_thread_clean();
}

static void test_loop_misuse_never_runs_block(void **state) {
  (void)state;
  script_fp(100, END_);
  int runs = 0;
  MEM_LOOP("", 10) runs++;
  MEM_LOOP("big", 2000000) runs++;
  assert_int_equal(runs, 0);
  assert_int_equal(F.calls, 2);
  assert_int_equal(F.last.verdict, MemgateVerdictError);
  assert_non_null(strstr(F.msg, "MEM_LOOP(\"big\", 2000000): at most"));
}

static void test_loop_scope_left_open_is_error(void **state) {
  (void)state;
  script_fp(100, END_);
  int runs = 0;
  MEM_LOOP("opens", 3) {
    if (runs++ == 0) memgate_begin("inner", "i.c", 1);
  }
  assert_int_equal(F.last.verdict, MemgateVerdictError);
  assert_int_equal(F.last.error, MEMGATE_EUNBALANCED);
  assert_non_null(strstr(F.msg, "the body of MEM_LOOP(\"opens\") left scope 'inner'"));
  memgate_end("inner", "i.c", 2, NULL);
}

static void test_loop_and_repeat_nest(void **state) {
  (void)state;
  script_fp(100, END_);
  int inner = 0, outer = 0;
  MEM_LOOP("outer", 3) {
    outer++;
    assert_int_equal(MEM_REPEAT("inner", 3, count_calls, &inner), MemgateVerdictPass);
    MEM_LOOP("inner.loop", 3) inner++;
  }
  assert_int_equal(outer, 5);
  assert_int_equal(inner, 5 * (5 + 5));
  assert_int_equal(F.calls, 0);
  memgate_result r;
  assert_true(memgate_last_result(&r));
  assert_string_equal(r.name, "outer");
  assert_int_equal(r.verdict, MemgateVerdictPass);
}

int main(int argc, char **argv) {
#define T_(t) cmocka_unit_test_setup_teardown(t, setup, teardown)
  const struct CMUnitTest tests[] = {
      T_(test_loop_same_verdict_and_message_as_repeat),
      T_(test_loop_function_twins),
      T_(test_loop_arguments_evaluated_once),
      T_(test_loop_continue_goes_on),
      T_(test_loop_break_is_misuse),
      T_(test_loop_return_is_misuse),
      T_(test_loop_goto_is_misuse),
      T_(test_loop_misuse_never_runs_block),
      T_(test_loop_scope_left_open_is_error),
      T_(test_loop_and_repeat_nest),
  };
#undef T_
  return scripted_main(argc, argv, "memgate loops (scripted sampler)", tests,
                       sizeof tests / sizeof tests[0]);
}

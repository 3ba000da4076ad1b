/*
 * Built with -DMEMGATE_DISABLE and linked WITHOUT libmemgate: the macros
 * must run the code, measure nothing and need no memgate symbol.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "memgate.h"
#include "memgate_cmocka.h"

#ifndef MEMGATE_DISABLE
#error "this test must be compiled with -DMEMGATE_DISABLE"
#endif

static int evals;
static const char *counted(const char *s) {
  evals++;
  return s;
}
static void body(void *ctx) { (*(int *)ctx)++; }

static void test_disabled_macros_run_code(void **state) {
  (void)state;
  int calls = 0, iterations = 10;
  MEM_BEGIN(counted("a")); /* a bare statement compiles warning-free */
  calls += 41;
  MEM_END(counted("a"));
  assert_int_equal(MEM_BEGIN("b"), 0);
  assert_int_equal(MEM_END("b"), MemgateVerdictPass);
  assert_int_equal(MEM_REPEAT(counted("r"), iterations++, body, &calls), MemgateVerdictPass);
  assert_int_equal(calls, 42);    /* body ran once */
  assert_int_equal(iterations, 11); /* argument evaluated once */
  assert_int_equal(evals, 3);
}

/* MEM_LOOP: the block runs once, its arguments are evaluated once, break
 * leaves it, and nothing from memgate is linked. */
static void test_disabled_loop_runs_block_once(void **state) {
  (void)state;
  int runs = 0, iterations = 10;
  evals = 0;
  MEM_LOOP(counted("l"), iterations++) { runs++; }
  assert_int_equal(runs, 1);
  assert_int_equal(iterations, 11);
  assert_int_equal(evals, 1);
  MEM_LOOP("brk", 5) {
    runs++;
    break;
  }
  assert_int_equal(runs, 2);
  for (int i = 0; i < 2; i++) MEM_LOOP("nested", 5) runs++;
  assert_int_equal(runs, 4);
}

/* memgate_cmocka.h: the assertions check nothing, the repeated test runs once. */
static int g_repeated;
static void repeated_test(void **state) {
  (void)state;
  g_repeated++;
  assert_memgate_pass(MEM_REPEAT("r", 5, body, &g_repeated));
  assert_memgate_last_pass();
}
static void test_disabled_cmocka_header(void **state) {
  (void)state;
  assert_int_equal(g_repeated, 2); /* the entry below ran once: its own ++ and the body */
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_disabled_macros_run_code),
                                     cmocka_unit_test(test_disabled_loop_runs_block_once),
                                     memgate_unit_test_repeat(repeated_test, 10),
                                     cmocka_unit_test(test_disabled_cmocka_header)};
  return cmocka_run_group_tests_name("memgate with MEMGATE_DISABLE", tests, NULL, NULL);
}

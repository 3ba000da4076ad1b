/*
 * memgate_cmocka.h - memgate inside cmocka tests. Include it after
 * cmocka.h (which needs <setjmp.h>, <stdarg.h>, <stddef.h>, <stdint.h>):
 *
 *   #include <cmocka.h>
 *   #include <memgate_cmocka.h>
 *
 *   assert_memgate_pass(MEM_REPEAT("room.visit", 10, visit, room));
 *   MEM_LOOP("room.visit", 10) { room_enter(room, "a"); room_leave(room, "a"); }
 *   assert_memgate_last_pass();
 *
 *   const struct CMUnitTest tests[] = {
 *       memgate_unit_test_repeat(test_visit, 10),                  // an existing test
 *       memgate_unit_test_repeat_setup_teardown(test_visit, 10, setup, teardown),
 *   };
 *
 * The assertions fail the test at the caller's line with memgate's own
 * message ("memgate: room.visit: leak: memory keeps growing: ..."), not
 * "0x1 != 0". memgate_unit_test_repeat runs an existing cmocka test
 * function as the body of a repeat named after it: every iteration runs
 * setup, the test and teardown, as cmocka runs the test alone; a leak
 * fails that test with the message, at the line of its entry in the list.
 * A failed cmocka assertion inside the body fails the test as usual and
 * memgate reports the repeat as an error (memgate_recover()).
 *
 * Header only: no symbol of its own, links with libmemgate and cmocka.
 * With -DMEMGATE_DISABLE the assertions check nothing and
 * memgate_unit_test_repeat runs the test once, like cmocka_unit_test.
 */
#ifndef MEMGATE_CMOCKA_H
#define MEMGATE_CMOCKA_H

#ifndef CMOCKA_H_
#  error "include <cmocka.h> before <memgate_cmocka.h>"
#endif

#include <stdio.h>
#include <string.h>

#include "memgate.h"

#ifdef DOXYGEN
/* Fails the test unless verdict (of MEM_END, MEM_REPEAT, ...) is pass, with
 * the message of the thread's last memgate result. */
void assert_memgate_pass(memgate_verdict verdict);
/* Fails the test unless *result passed, with its message. */
void assert_memgate_result_pass(const memgate_result *result);
/* Fails the test unless the thread's last memgate result (e.g. of the
 * MEM_LOOP just above) passed. */
void assert_memgate_last_pass(void);
/* A CMUnitTest entry: test_fn repeated as a repeat of `iterations`
 * measured iterations (0 = the default), each running setup, test_fn,
 * teardown (either may be NULL). */
struct CMUnitTest memgate_unit_test_repeat(CMUnitTestFunction test_fn, uint32_t iterations);
struct CMUnitTest memgate_unit_test_repeat_setup_teardown(CMUnitTestFunction test_fn,
                                                          uint32_t iterations,
                                                          CMFixtureFunction setup,
                                                          CMFixtureFunction teardown);
#endif

#ifndef MEMGATE_DISABLE

/* The function twins of the assertions: fail the current cmocka test at
 * file:line unless the verdict is pass. */
static inline void memgate_cmocka_fail(const memgate_result *r, memgate_verdict v,
                                       const char *file, int line) {
  static char msg[1600];
  if (r && r->name && r->message)
    snprintf(msg, sizeof msg, "memgate: %s: %s: %s", r->name, memgate_verdict_name(r->verdict),
             r->message);
  else
    snprintf(msg, sizeof msg, "memgate: %s (no memgate result on this thread)",
             memgate_verdict_name(v));
  _assert_true(0, msg, file, line);
}

static inline void memgate_cmocka_assert_result_pass(const memgate_result *result,
                                                     const char *file, int line) {
  if (!result) {
    memgate_cmocka_fail(NULL, MemgateVerdictError, file, line);
    return;
  }
  if (result->verdict != MemgateVerdictPass) memgate_cmocka_fail(result, result->verdict, file, line);
}

static inline void memgate_cmocka_assert_pass(memgate_verdict verdict, const char *file, int line) {
  memgate_result last;
  if (verdict == MemgateVerdictPass) return;
  memgate_cmocka_fail(memgate_last_result(&last) ? &last : NULL, verdict, file, line);
}

static inline void memgate_cmocka_assert_last_pass(const char *file, int line) {
  memgate_result last;
  if (!memgate_last_result(&last)) {
    memgate_cmocka_fail(NULL, MemgateVerdictError, file, line);
    return;
  }
  memgate_cmocka_assert_result_pass(&last, file, line);
}

#  define assert_memgate_pass(verdict) memgate_cmocka_assert_pass((verdict), __FILE__, __LINE__)
#  define assert_memgate_result_pass(result) \
     memgate_cmocka_assert_result_pass((result), __FILE__, __LINE__)
#  define assert_memgate_last_pass() memgate_cmocka_assert_last_pass(__FILE__, __LINE__)

/* One repeated test: what memgate_unit_test_repeat puts in initial_state. */
typedef struct memgate_cmocka_case {
  CMUnitTestFunction test;
  CMFixtureFunction setup, teardown; /* the user's, run around every iteration */
  uint32_t iterations;
  const char *name;                  /* the repeat's name: the test function's */
  const char *file;                  /* where the entry is in the list */
  int line;
} memgate_cmocka_case;

/* The case running now and its iteration (cmocka runs one test at a time). */
typedef struct memgate_cmocka_run {
  const memgate_cmocka_case *c;
  void **state;
  int set_up;                        /* setup ran, teardown not yet */
  int failed_setup;
} memgate_cmocka_run;
static memgate_cmocka_run memgate_cmocka__now;

static inline void memgate_cmocka_iteration(void *ctx) {
  memgate_cmocka_run *run = (memgate_cmocka_run *)ctx;
  const memgate_cmocka_case *c = run->c;
  if (run->failed_setup) return;
  *run->state = NULL;
  if (c->setup && c->setup(run->state) != 0) {
    run->failed_setup = 1;
    return;
  }
  run->set_up = 1;
  c->test(run->state);
  run->set_up = 0;
  if (c->teardown) (void)c->teardown(run->state);
}

/* cmocka's setup slot: takes the case from initial_state. */
static inline int memgate_cmocka_setup(void **state) {
  memset(&memgate_cmocka__now, 0, sizeof memgate_cmocka__now);
  memgate_cmocka__now.c = (const memgate_cmocka_case *)*state;
  *state = NULL;
  return 0;
}

static inline void memgate_cmocka_test(void **state) {
  memgate_cmocka_run *run = &memgate_cmocka__now;
  memgate_result r;
  run->state = state;
  memgate_repeat_opts(run->c->name, run->c->iterations, memgate_cmocka_iteration, run, NULL,
                      run->c->file, run->c->line, &r);
  if (run->failed_setup) {
    _assert_true(0, "memgate: the test's setup failed", run->c->file, run->c->line);
    return;
  }
  memgate_cmocka_assert_result_pass(&r, run->c->file, run->c->line);
}

/* cmocka's teardown slot: after a failed assertion jumped out of the body,
 * the user's teardown for that iteration, then memgate reports the repeat
 * (memgate_recover). Returns 0: the test's own failure stands as it is. */
static inline int memgate_cmocka_teardown(void **state) {
  memgate_cmocka_run *run = &memgate_cmocka__now;
  if (run->c && run->set_up && run->c->teardown) (void)run->c->teardown(state);
  run->set_up = 0;
  (void)memgate_recover(run->c ? run->c->file : __FILE__, run->c ? run->c->line : __LINE__);
  return 0;
}

/* A teardown for tests that use MEM_REPEAT or MEM_LOOP themselves (e.g.
 * cmocka_unit_test_teardown(test, memgate_cmocka_recover)): reports a
 * repeat or loop a failed assertion left. */
static inline int memgate_cmocka_recover(void **state) {
  (void)state;
  (void)memgate_recover(__FILE__, __LINE__);
  return 0;
}

#  define memgate_unit_test_repeat_setup_teardown(f, iterations_, setup_, teardown_)              \
     {                                                                                          \
       .name = #f, .test_func = memgate_cmocka_test, .setup_func = memgate_cmocka_setup,        \
       .teardown_func = memgate_cmocka_teardown,                                                \
       .initial_state = (void *)&(memgate_cmocka_case) {                                        \
         .test = (f), .setup = (setup_), .teardown = (teardown_), .iterations = (iterations_),  \
         .name = #f, .file = __FILE__, .line = __LINE__                                         \
       }                                                                                        \
     }
#  define memgate_unit_test_repeat(f, iterations) \
     memgate_unit_test_repeat_setup_teardown(f, iterations, NULL, NULL)

#else /* MEMGATE_DISABLE */

#  define assert_memgate_pass(verdict) ((void)(verdict))
#  define assert_memgate_result_pass(result) ((void)(result))
#  define assert_memgate_last_pass() ((void)0)
#  define memgate_unit_test_repeat_setup_teardown(f, iterations, setup_, teardown_) \
     cmocka_unit_test_setup_teardown(f, setup_, teardown_)
#  define memgate_unit_test_repeat(f, iterations) cmocka_unit_test(f)
static inline int memgate_cmocka_recover(void **state) {
  (void)state;
  return 0;
}

#endif /* MEMGATE_DISABLE */

#endif /* MEMGATE_CMOCKA_H */

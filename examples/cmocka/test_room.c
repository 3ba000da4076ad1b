/*
 * cmocka tests of room.c with a memgate leak gate, three ways: an existing
 * test repeated from the test list (memgate_unit_test_repeat), a repeat
 * with memgate's assertion, and a block repeated in place (MEM_LOOP).
 * Built twice: against room.c (must pass) and with -DROOM_LEAKY (each
 * gated test must fail with memgate's message at its line).
 * Lines marked "gate" are where memgate reports; "fails" where cmocka does.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <memgate_cmocka.h>

#include "room.h"

static int setup(void **state) {
  *state = room_open();
  return *state ? 0 : -1;
}

static int teardown(void **state) {
  room_close(*state);
  return 0;
}

/* An ordinary cmocka test, unchanged: the test list repeats it. */
static void test_visit(void **state) {
  room *r = *state;
  assert_int_equal(room_enter(r, "alice"), 0);
  assert_int_equal(room_count(r), 1);
  assert_int_equal(room_leave(r, "alice"), 0);
}

static void visit(void *ctx) {
  room *r = ctx;
  if (room_enter(r, "bob") == 0) room_leave(r, "bob");
}

/* A repeat around a body function, checked with memgate's assertion. */
static void test_visit_repeat(void **state) {
  assert_memgate_pass(MEM_REPEAT("room.visit", 10, visit, *state)); /* gate, fails */
}

/* The same visit written in place. */
static void test_visit_loop(void **state) {
  room *r = *state;
  MEM_LOOP("room.visit.loop", 10) { /* gate */
    room_enter(r, "carol");
    room_leave(r, "carol");
  }
  assert_memgate_last_pass(); /* fails */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      memgate_unit_test_repeat_setup_teardown(test_visit, 10, setup, teardown), /* gate, fails */
      cmocka_unit_test_setup_teardown(test_visit_repeat, setup, teardown),
      cmocka_unit_test_setup_teardown(test_visit_loop, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

/*
 * cmocka tests of room.c with a memgate leak gate. Built twice: against
 * room.c (must pass) and against room.c with -DROOM_LEAKY (must fail, with
 * memgate's message at the line of the gated test).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>
#include <memgate.h>

#include "room.h"

static int setup(void **state) {
  *state = room_open();
  return *state ? 0 : -1;
}

static int teardown(void **state) {
  room_close(*state);
  return 0;
}

static void visit(void *ctx) {
  room *r = ctx;
  if (room_enter(r, "alice") == 0) room_leave(r, "alice");
}

/* A repeat around a body function. */
static void test_visit_repeat(void **state) {
  assert_int_equal(MEM_REPEAT("room.visit", 10, visit, *state), MemgateVerdictPass); /* gate */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_visit_repeat, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

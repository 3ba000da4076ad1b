/*
 * test_live_room.c - unit tests of the live-room model alone (no memgate).
 *
 * Build (from the repository root):
 *   cc -std=c99 -Wall -Wextra -Wshadow -Wstrict-prototypes -Wmissing-prototypes -Werror \
 *      -Iexamples/live_room tests/test_live_room.c examples/live_room/live_room.c \
 *      $(pkg-config --cflags --libs cmocka) -lpthread -o build/test_live_room
 * With GNU ld, add the out-of-memory tests, which fail each allocation in turn:
 *   ... -DLIVE_ROOM_TEST_WRAP_MALLOC -Wl,--wrap=malloc -Wl,--wrap=calloc -Wl,--wrap=free ...
 * (calloc too: at -O2 gcc turns malloc + a zeroing loop into calloc.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "live_room.h"

#define KIB 1024u

/* A small config so loops over every allocation stay short. */
static live_room_config small_config(bool buggy) {
  live_room_config cfg;
  live_room_config_init(&cfg);
  cfg.pool_frames = 2;
  cfg.pool_frame_bytes = 1000;
  cfg.chat_capacity = 3;
  cfg.gift_frame_bytes = 500;
  cfg.visit_chat_messages = 4; /* more than the ring holds: one drop */
  cfg.visit_gift_frames = 3;
  cfg.buggy = buggy;
  return cfg;
}

static int setup(void **state) {
  (void)state;
  live_room_cache_clear();
  return 0;
}

static int teardown(void **state) {
  (void)state;
  live_room_cache_clear();
  return 0;
}

/* ------------------------------------------------------------------------
 * Configuration
 * ------------------------------------------------------------------------ */

static void test_config_defaults(void **state) {
  (void)state;
  live_room_config cfg;
  memset(&cfg, 0xff, sizeof cfg);
  live_room_config_init(&cfg);
  assert_int_equal(cfg.pool_frames, 8);
  assert_int_equal(cfg.pool_frame_bytes, 64 * KIB);
  assert_int_equal(cfg.chat_capacity, 200);
  assert_int_equal(cfg.gift_frame_bytes, 16 * KIB);
  assert_int_equal(cfg.visit_chat_messages, 5);
  assert_int_equal(cfg.visit_gift_frames, 4);
  assert_false(cfg.buggy);
  assert_int_equal(live_room_config_check(&cfg), LIVE_ROOM_OK);
  assert_int_equal(live_room_config_check(NULL), LIVE_ROOM_OK);

  /* Documented cost of a buggy visit: 4 frames x 16 KiB. */
  assert_int_equal(live_room_visit_retained_bytes(&cfg), 0);
  assert_int_equal(live_room_visit_retained_bytes(NULL), 0);
  cfg.buggy = true;
  assert_int_equal(live_room_visit_retained_bytes(&cfg), 64 * KIB);
}

/* An invalid config is rejected by every entry point. */
static void check_rejected(live_room_config *cfg) {
  assert_int_equal(live_room_config_check(cfg), LIVE_ROOM_EINVAL);
  assert_null(live_room_enter(cfg));
  assert_int_equal(live_room_run_visit(cfg), LIVE_ROOM_EINVAL);
  assert_int_equal(live_room_visit_retained_bytes(cfg), 0);
  live_room_visit(cfg); /* does nothing */
  assert_int_equal(live_room_cache_bytes(), 0);
}

static void test_config_out_of_range(void **state) {
  (void)state;
  /* Offsets of the size fields, zero and above the maximum are invalid
   * (visit_chat_messages accepts zero). */
  struct {
    size_t offset;
    size_t max;
    bool zero_ok;
  } fields[] = {
      {offsetof(live_room_config, pool_frames), LIVE_ROOM_MAX_FRAMES, false},
      {offsetof(live_room_config, pool_frame_bytes), LIVE_ROOM_MAX_FRAME_BYTES, false},
      {offsetof(live_room_config, chat_capacity), LIVE_ROOM_MAX_CHAT, false},
      {offsetof(live_room_config, gift_frame_bytes), LIVE_ROOM_MAX_FRAME_BYTES, false},
      {offsetof(live_room_config, visit_chat_messages), LIVE_ROOM_MAX_CHAT, true},
      {offsetof(live_room_config, visit_gift_frames), LIVE_ROOM_MAX_FRAMES, false},
  };
  for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
    live_room_config cfg = small_config(true);
    size_t *field = (size_t *)(void *)((unsigned char *)&cfg + fields[i].offset);

    *field = 0;
    if (fields[i].zero_ok) {
      assert_int_equal(live_room_config_check(&cfg), LIVE_ROOM_OK);
    } else {
      check_rejected(&cfg);
    }
    *field = fields[i].max + 1;
    check_rejected(&cfg);
    *field = (size_t)-1;
    check_rejected(&cfg);
    *field = fields[i].max;
    assert_int_equal(live_room_config_check(&cfg), LIVE_ROOM_OK);
  }
}

static void test_strerror(void **state) {
  (void)state;
  assert_string_equal(live_room_strerror(LIVE_ROOM_OK), "success");
  assert_string_equal(live_room_strerror(LIVE_ROOM_EINVAL), "invalid argument");
  assert_string_equal(live_room_strerror(LIVE_ROOM_ENOMEM), "out of memory");
  assert_string_equal(live_room_strerror(-99), "unknown error");
}

/* ------------------------------------------------------------------------
 * Rooms
 * ------------------------------------------------------------------------ */

static uint64_t chat_bytes(const live_room *room) {
  uint64_t sum = 0;
  for (size_t i = 0; i < live_room_chat_count(room); i++) sum += strlen(live_room_chat_at(room, i)) + 1;
  return sum;
}

static void test_enter_defaults(void **state) {
  (void)state;
  live_room *room = live_room_enter(NULL);
  assert_non_null(room);
  assert_int_equal(live_room_chat_count(room), 200);
  assert_int_equal(live_room_gift_count(room), 0);

  /* Backlog messages vary in length and are well formed. */
  size_t shortest = SIZE_MAX, longest = 0;
  for (size_t i = 0; i < 200; i++) {
    const char *msg = live_room_chat_at(room, i);
    assert_non_null(msg);
    char prefix[32];
    snprintf(prefix, sizeof prefix, "viewer%zu: ", i);
    assert_memory_equal(msg, prefix, strlen(prefix));
    size_t len = strlen(msg);
    if (len < shortest) shortest = len;
    if (len > longest) longest = len;
  }
  assert_true(shortest >= 16);
  assert_true(longest <= 256);
  assert_true(longest - shortest > 100);
  assert_null(live_room_chat_at(room, 200));

  uint64_t base = 8u * 64u * KIB + chat_bytes(room);
  assert_int_equal(live_room_bytes(room), base);

  assert_int_equal(live_room_send_gift(room, 7, 4), LIVE_ROOM_OK);
  assert_int_equal(live_room_send_gift(room, 7, 2), LIVE_ROOM_OK); /* decoded again */
  assert_int_equal(live_room_gift_count(room), 2);
  assert_int_equal(live_room_bytes(room), base + 6u * 16u * KIB);

  live_room_leave(room);
  assert_int_equal(live_room_cache_bytes(), 0);
  assert_int_equal(live_room_cache_count(), 0);
}

static void test_chat_ring(void **state) {
  (void)state;
  live_room_config cfg = small_config(false);
  live_room *room = live_room_enter(&cfg);
  assert_non_null(room);
  assert_int_equal(live_room_chat_count(room), 3);

  assert_int_equal(live_room_post_chat(room, "first"), LIVE_ROOM_OK);
  assert_int_equal(live_room_post_chat(room, ""), LIVE_ROOM_OK);
  assert_int_equal(live_room_post_chat(room, "third"), LIVE_ROOM_OK);
  assert_int_equal(live_room_post_chat(room, "fourth"), LIVE_ROOM_OK);
  assert_int_equal(live_room_chat_count(room), 3);
  assert_string_equal(live_room_chat_at(room, 0), "");
  assert_string_equal(live_room_chat_at(room, 1), "third");
  assert_string_equal(live_room_chat_at(room, 2), "fourth");
  assert_null(live_room_chat_at(room, 3));
  assert_int_equal(live_room_bytes(room), 2000u + 1u + 6u + 7u);

  /* The text is copied. */
  char text[] = "mutable";
  assert_int_equal(live_room_post_chat(room, text), LIVE_ROOM_OK);
  text[0] = 'X';
  assert_string_equal(live_room_chat_at(room, 2), "mutable");

  assert_int_equal(live_room_post_chat(room, NULL), LIVE_ROOM_EINVAL);
  assert_int_equal(live_room_post_chat(NULL, "x"), LIVE_ROOM_EINVAL);
  live_room_leave(room);
}

static void test_bad_arguments(void **state) {
  (void)state;
  live_room_config cfg = small_config(true);
  live_room *room = live_room_enter(&cfg);
  assert_non_null(room);
  uint64_t before = live_room_bytes(room);
  assert_int_equal(live_room_send_gift(room, 1, 0), LIVE_ROOM_EINVAL);
  assert_int_equal(live_room_send_gift(room, 1, LIVE_ROOM_MAX_FRAMES + 1), LIVE_ROOM_EINVAL);
  assert_int_equal(live_room_send_gift(NULL, 1, 1), LIVE_ROOM_EINVAL);
  assert_int_equal(live_room_gift_count(room), 0);
  assert_int_equal(live_room_bytes(room), before);
  live_room_leave(room);
  assert_int_equal(live_room_cache_bytes(), 0); /* buggy, but no gift sent */

  live_room_leave(NULL);
  assert_int_equal(live_room_chat_count(NULL), 0);
  assert_null(live_room_chat_at(NULL, 0));
  assert_int_equal(live_room_gift_count(NULL), 0);
  assert_int_equal(live_room_bytes(NULL), 0);
}

/* ------------------------------------------------------------------------
 * Visits and the global cache
 * ------------------------------------------------------------------------ */

static void test_correct_visits_keep_nothing(void **state) {
  (void)state;
  live_room_config cfg;
  live_room_config_init(&cfg);
  for (int i = 0; i < 20; i++) {
    assert_int_equal(live_room_run_visit(&cfg), LIVE_ROOM_OK);
    live_room_visit(&cfg);
  }
  assert_int_equal(live_room_run_visit(NULL), LIVE_ROOM_OK);
  live_room_visit(NULL);
  assert_int_equal(live_room_cache_bytes(), 0);
  assert_int_equal(live_room_cache_count(), 0);
}

static void test_buggy_visits_grow_cache(void **state) {
  (void)state;
  live_room_config cfg;
  live_room_config_init(&cfg);
  cfg.buggy = true;
  const uint64_t per_visit = live_room_visit_retained_bytes(&cfg);
  assert_int_equal(per_visit, 64 * KIB);
  for (uint64_t i = 1; i <= 10; i++) {
    live_room_visit(&cfg);
    assert_int_equal(live_room_cache_bytes(), i * per_visit);
    assert_int_equal(live_room_cache_count(), i);
  }
  /* Correct visits in between neither add nor take. */
  live_room_config ok = cfg;
  ok.buggy = false;
  live_room_visit(&ok);
  assert_int_equal(live_room_cache_bytes(), 10 * per_visit);

  live_room_cache_clear();
  assert_int_equal(live_room_cache_bytes(), 0);
  assert_int_equal(live_room_cache_count(), 0);
  live_room_cache_clear(); /* again: harmless */

  live_room_visit(&cfg); /* the cache works again after a clear */
  assert_int_equal(live_room_cache_bytes(), per_visit);
}

static void test_buggy_custom_sizes(void **state) {
  (void)state;
  live_room_config cfg = small_config(true);
  assert_int_equal(live_room_visit_retained_bytes(&cfg), 1500);
  assert_int_equal(live_room_run_visit(&cfg), LIVE_ROOM_OK);
  assert_int_equal(live_room_cache_bytes(), 1500);

  /* Every gift of a buggy room is kept, not only the visit's one. */
  live_room *room = live_room_enter(&cfg);
  assert_non_null(room);
  assert_int_equal(live_room_send_gift(room, 1, 1), LIVE_ROOM_OK);
  assert_int_equal(live_room_send_gift(room, 2, 10), LIVE_ROOM_OK);
  assert_int_equal(live_room_cache_bytes(), 1500); /* only on leave */
  live_room_leave(room);
  assert_int_equal(live_room_cache_bytes(), 1500 + 11 * 500);
  assert_int_equal(live_room_cache_count(), 3);
}

/* ------------------------------------------------------------------------
 * Out of memory: fail the n-th allocation for every n
 * ------------------------------------------------------------------------ */

#ifdef LIVE_ROOM_TEST_WRAP_MALLOC
#include <stdlib.h>

void *__real_malloc(size_t size);
void *__real_calloc(size_t count, size_t size);
void __real_free(void *ptr);
void *__wrap_malloc(size_t size);
void *__wrap_calloc(size_t count, size_t size);
void __wrap_free(void *ptr);

static long alloc_calls;    /* allocations since arm_failure() */
static long fail_at = -1;   /* which one fails (1-based), -1 = none */
static long outstanding;    /* successful allocations minus non-NULL frees */

static bool should_fail(void) { return fail_at >= 0 && ++alloc_calls == fail_at; }

void *__wrap_malloc(size_t size) {
  if (should_fail()) return NULL;
  void *p = __real_malloc(size);
  if (p != NULL) outstanding++;
  return p;
}

void *__wrap_calloc(size_t count, size_t size) {
  if (should_fail()) return NULL;
  void *p = __real_calloc(count, size);
  if (p != NULL) outstanding++;
  return p;
}

void __wrap_free(void *ptr) {
  if (ptr != NULL) outstanding--;
  __real_free(ptr);
}

static void arm_failure(long n) {
  alloc_calls = 0;
  fail_at = n;
}

static void disarm_failure(void) { fail_at = -1; }

static void test_oom_enter(void **state) {
  (void)state;
  live_room_config cfg = small_config(false);
  long n;
  for (n = 1;; n++) {
    long before = outstanding;
    arm_failure(n);
    live_room *room = live_room_enter(&cfg);
    disarm_failure();
    if (room != NULL) {
      live_room_leave(room);
      assert_int_equal(outstanding, before);
      break;
    }
    assert_int_equal(outstanding, before); /* nothing left behind */
  }
  /* room, pool array, 2 frames, chat array, 3 messages = 8 allocations. */
  assert_int_equal(n, 9);
}

static void test_oom_gift_and_chat(void **state) {
  (void)state;
  live_room_config cfg = small_config(true);
  live_room *room = live_room_enter(&cfg);
  assert_non_null(room);
  uint64_t bytes = live_room_bytes(room);
  long before = outstanding;

  /* gift: node, frame array, 3 frames = 5 allocations. */
  for (long n = 1; n <= 5; n++) {
    arm_failure(n);
    assert_int_equal(live_room_send_gift(room, 9, 3), LIVE_ROOM_ENOMEM);
    disarm_failure();
    assert_int_equal(outstanding, before);
    assert_int_equal(live_room_gift_count(room), 0);
    assert_int_equal(live_room_bytes(room), bytes);
  }
  arm_failure(1);
  assert_int_equal(live_room_post_chat(room, "lost"), LIVE_ROOM_ENOMEM);
  disarm_failure();
  assert_int_equal(outstanding, before);
  assert_int_equal(live_room_chat_count(room), 3);
  assert_int_equal(live_room_bytes(room), bytes);

  live_room_leave(room);
  assert_int_equal(live_room_cache_bytes(), 0);
}

static void test_oom_visit(void **state) {
  (void)state;
  live_room_config cfg = small_config(true);
  long base = outstanding;
  long n;
  for (n = 1;; n++) {
    arm_failure(n);
    int rc = live_room_run_visit(&cfg);
    disarm_failure();
    if (rc == LIVE_ROOM_OK) break;
    assert_int_equal(rc, LIVE_ROOM_ENOMEM);
    assert_int_equal(live_room_cache_bytes(), 0); /* no half gift cached */
    assert_int_equal(outstanding, base);
  }
  /* enter 8 + 4 chat posts + gift 5 = 17 allocations; the 18th, the cache
   * entry at leave, may fail without failing the visit: the gift is then
   * freed, not cached. */
  assert_int_equal(n, 18);
  assert_int_equal(live_room_cache_bytes(), 0);
  assert_int_equal(outstanding, base);
  arm_failure(19);
  assert_int_equal(live_room_run_visit(&cfg), LIVE_ROOM_OK);
  disarm_failure();
  assert_int_equal(live_room_cache_bytes(), 1500);
  live_room_cache_clear();
  assert_int_equal(outstanding, base);
}
#endif /* LIVE_ROOM_TEST_WRAP_MALLOC */

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test_setup_teardown(test_config_defaults, setup, teardown),
      cmocka_unit_test_setup_teardown(test_config_out_of_range, setup, teardown),
      cmocka_unit_test_setup_teardown(test_strerror, setup, teardown),
      cmocka_unit_test_setup_teardown(test_enter_defaults, setup, teardown),
      cmocka_unit_test_setup_teardown(test_chat_ring, setup, teardown),
      cmocka_unit_test_setup_teardown(test_bad_arguments, setup, teardown),
      cmocka_unit_test_setup_teardown(test_correct_visits_keep_nothing, setup, teardown),
      cmocka_unit_test_setup_teardown(test_buggy_visits_grow_cache, setup, teardown),
      cmocka_unit_test_setup_teardown(test_buggy_custom_sizes, setup, teardown),
#ifdef LIVE_ROOM_TEST_WRAP_MALLOC
      cmocka_unit_test_setup_teardown(test_oom_enter, setup, teardown),
      cmocka_unit_test_setup_teardown(test_oom_gift_and_chat, setup, teardown),
      cmocka_unit_test_setup_teardown(test_oom_visit, setup, teardown),
#endif
  };
  return cmocka_run_group_tests_name("live_room", tests, NULL, NULL);
}

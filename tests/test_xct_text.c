/*
 * The Objective-C helper's failure text (examples/xctest/MemgateXCTest.h,
 * memgate__xct_keep_failure): the C part of the header, included here with
 * MEMGATE_XCT_TEXT_ONLY. The text becomes an NSString through
 * stringWithUTF8String:, which returns nil for invalid UTF-8, so it must be
 * valid UTF-8 whatever the scope name or message holds, and a cut to fit the
 * buffer must fall between characters.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <string.h>

#define MEMGATE_XCT_TEXT_ONLY
#include "MemgateXCTest.h"

static memgate_result result(const char *name, memgate_verdict verdict, const char *message) {
  memgate_result r;
  memset(&r, 0, sizeof r);
  r.name = name;
  r.verdict = verdict;
  r.message = message;
  return r;
}

static const char *keep(const char *name, const char *message, memgate_xct_failure *f) {
  memgate_result r = result(name, MemgateVerdictLeak, message);
  memset(f, 0, sizeof *f);
  memgate__xct_keep_failure(&r, f);
  assert_true(f->failed);
  return f->text;
}

static void test_ascii_text_is_name_verdict_message(void **state) {
  (void)state;
  memgate_xct_failure f;
  assert_string_equal(keep("room.visit", "memory keeps growing", &f),
                      "memgate: room.visit: leak: memory keeps growing");
}

static void test_non_ascii_names_are_kept_as_written(void **state) {
  (void)state;
  memgate_xct_failure f;
  /* é (2 bytes), 直 (3), 😀 (4) */
  assert_string_equal(keep("caf\xc3\xa9.\xe7\x9b\xb4\xe6\x92\xad.\xf0\x9f\x98\x80", "ok", &f),
                      "memgate: caf\xc3\xa9.\xe7\x9b\xb4\xe6\x92\xad.\xf0\x9f\x98\x80: leak: ok");
}

static void test_invalid_bytes_become_question_marks(void **state) {
  (void)state;
  memgate_xct_failure f;
  assert_string_equal(keep("a\xff" "b", "", &f), "memgate: a?b: leak: ");
  /* overlong '/', a surrogate half, above U+10FFFF, a sequence cut short */
  assert_string_equal(keep("\xc0\xaf", "\xed\xa0\x80", &f), "memgate: ??: leak: ???");
  assert_string_equal(keep("\xf4\x90\x80\x80", "x\xe2\x82", &f), "memgate: ????: leak: x??");
  /* a stray continuation byte, then a valid character */
  assert_string_equal(keep("\x80\xc3\xa9", "", &f), "memgate: ?\xc3\xa9: leak: ");
}

static void test_a_cut_falls_between_characters(void **state) {
  (void)state;
  memgate_xct_failure f;
  char name[1400];
  size_t n = 0;
  /* 300 four-byte characters after the 9-byte "memgate: ": 1023 bytes of
   * room hold 253 of them (1021 bytes); byte 1022 would split the 254th. */
  for (int i = 0; i < 300; i++) {
    memcpy(name + n, "\xf0\x9f\x98\x80", 4);
    n += 4;
  }
  name[n] = '\0';
  const char *t = keep(name, "m", &f);
  assert_int_equal(strlen(t), 9 + 253 * 4);
  assert_memory_equal(t, "memgate: ", 9);
  assert_memory_equal(t + strlen(t) - 4, "\xf0\x9f\x98\x80", 4);
}

static void test_a_long_ascii_text_fills_the_buffer(void **state) {
  (void)state;
  memgate_xct_failure f;
  char msg[2000];
  memset(msg, 'x', sizeof msg - 1);
  msg[sizeof msg - 1] = '\0';
  assert_int_equal(strlen(keep("n", msg, &f)), sizeof f.text - 1);
}

static void test_missing_fields_and_later_failures(void **state) {
  (void)state;
  memgate_xct_failure f;
  assert_string_equal(keep(NULL, NULL, &f), "memgate: ?: leak: ");
  /* only the first failure is kept */
  memgate_result second = result("second", MemgateVerdictError, "later");
  memgate__xct_keep_failure(&second, &f);
  assert_string_equal(f.text, "memgate: ?: leak: ");
  memgate__xct_keep_failure(&second, NULL); /* no ctx: nothing to do */
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_ascii_text_is_name_verdict_message),
      cmocka_unit_test(test_non_ascii_names_are_kept_as_written),
      cmocka_unit_test(test_invalid_bytes_become_question_marks),
      cmocka_unit_test(test_a_cut_falls_between_characters),
      cmocka_unit_test(test_a_long_ascii_text_fills_the_buffer),
      cmocka_unit_test(test_missing_fields_and_later_failures),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}

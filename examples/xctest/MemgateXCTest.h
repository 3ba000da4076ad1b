/*
 * MemgateXCTest.h - memgate assertions for Objective-C XCTest targets
 * (Darwin). Import it after the XCTest umbrella header, then, in a test
 * method:
 *
 *   MEMGATE_XCT_ASSERT_NO_LEAK("live_room.visit", 10, ^{ visit(room); });
 *   MEMGATE_XCT_ASSERT_FOOTPRINT("live_room.gift", ^{ send_big_gift(room); });
 *
 * The block is the macro's last argument and may contain commas
 * (`int a = 1, b = 2;`, `@[a, b]`, `f(x, y)`): the macros are variadic.
 *
 * The same helpers as MemgateXCTest.swift: the block runs under memgate
 * (memgate_repeat_opts, or memgate_begin/memgate_end) inside
 * @autoreleasepool; while it runs, a memgate failure handler keeps the first
 * failed result, and the macro turns it into XCTFail on the line that used
 * the macro (the same __FILE__/__LINE__ memgate reports). The message is
 * kept as UTF-8 (cut only between characters, an invalid byte becomes '?')
 * and handed to XCTFail as an NSString made from UTF-8 (%@), so scope names
 * and messages in any language print as written. Each argument is
 * evaluated once. Like the Swift helper, the handler is process-wide: do not
 * nest the macros or use them from two threads at once. Draining the main run
 * loop is left to the block (CFRunLoopRunInMode(kCFRunLoopDefaultMode, 0,
 * true)), so this header needs nothing beyond memgate.h and Objective-C; the
 * macros use NSString and XCTFail, which XCTest brings.
 *
 * NOT run anywhere yet (no Objective-C XCTest on Linux): `make check-darwin`
 * compiles this header for every Apple target zig can build, and
 * tests/darwin/xct_macros.m, which expands both macros with blocks holding
 * commas and array literals, against stand-in XCTFail/NSString/NSArray
 * declarations where XCTest is missing (zig ships no Foundation or XCTest).
 * The text formatting (memgate__xct_keep_failure) is C and runs in
 * tests/test_xct_text.c, which defines MEMGATE_XCT_TEXT_ONLY to include just
 * that part; user code never defines it.
 */
#ifndef MEMGATE_XCTEST_H
#define MEMGATE_XCTEST_H

#if !defined(__OBJC__) && !defined(MEMGATE_XCT_TEXT_ONLY)
#  error "MemgateXCTest.h is for Objective-C test targets; C code uses memgate.h"
#endif

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "memgate.h"

/* The first failure memgate reported during one assertion. */
typedef struct memgate_xct_failure {
  bool failed;
  char text[1024]; /* "memgate: <name>: <verdict>: <message>": valid UTF-8, cut to fit */
} memgate_xct_failure;

/* Length of the UTF-8 sequence starting at s (at most n bytes available):
 * 1-4, or 0 when it is not a valid, shortest-form sequence of a scalar
 * value (RFC 3629: no surrogates, nothing above U+10FFFF). */
static inline size_t memgate__xct_utf8_len(const unsigned char *s, size_t n) {
  size_t len = s[0] < 0x80 ? 1 : s[0] < 0xC2 ? 0 : s[0] < 0xE0 ? 2 : s[0] < 0xF0 ? 3
               : s[0] < 0xF5 ? 4 : 0;
  if (len == 0 || len > n) return 0;
  for (size_t i = 1; i < len; i++)
    if ((s[i] & 0xC0) != 0x80) return 0;
  if (len == 3 && s[0] == 0xE0 && s[1] < 0xA0) return 0; /* overlong */
  if (len == 3 && s[0] == 0xED && s[1] >= 0xA0) return 0; /* surrogate */
  if (len == 4 && s[0] == 0xF0 && s[1] < 0x90) return 0; /* overlong */
  if (len == 4 && s[0] == 0xF4 && s[1] >= 0x90) return 0; /* above U+10FFFF */
  return len;
}

/* Appends src (NULL: nothing) to dst[*at], keeping dst NUL-terminated valid
 * UTF-8 within cap bytes: an invalid byte becomes '?', and a character
 * that does not fit is left out whole. Returns false when src was cut. */
static inline bool memgate__xct_append(char *dst, size_t cap, size_t *at, const char *src) {
  const unsigned char *s = (const unsigned char *)(src ? src : "");
  size_t n = strlen((const char *)s);
  bool whole = true;
  while (n > 0) {
    size_t len = memgate__xct_utf8_len(s, n);
    size_t take = len ? len : 1;
    if (*at + take >= cap) {
      whole = false;
      break;
    }
    if (len)
      memcpy(dst + *at, s, len);
    else
      dst[*at] = '?';
    *at += take;
    s += take;
    n -= take;
  }
  dst[*at] = '\0';
  return whole;
}

/* memgate_failure_fn that copies the first failed result into ctx, a
 * memgate_xct_failure, as valid UTF-8 (cut at the first part that does not
 * fit). */
static inline void memgate__xct_keep_failure(const memgate_result *result, void *ctx) {
  memgate_xct_failure *failure = (memgate_xct_failure *)ctx;
  const char *parts[6];
  size_t at = 0;
  if (failure == NULL || failure->failed) return;
  failure->failed = true;
  failure->text[0] = '\0';
  parts[0] = "memgate: ";
  parts[1] = result->name ? result->name : "?";
  parts[2] = ": ";
  parts[3] = memgate_verdict_name(result->verdict);
  parts[4] = ": ";
  parts[5] = result->message;
  for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
    if (!memgate__xct_append(failure->text, sizeof failure->text, &at, parts[i])) break;
}

#ifdef __OBJC__

/* memgate_body_fn that runs the block behind ctx in an autorelease pool. */
static inline void memgate__xct_run_block(void *ctx) {
  void (^block)(void) = (__bridge void (^)(void))ctx;
  @autoreleasepool {
    block();
  }
}

/* memgate_repeat_opts over a block, failures kept in *failure. */
static inline memgate_verdict memgate_xct_repeat(const char *name, uint32_t iterations,
                                                 void (^block)(void), const char *file, int line,
                                                 memgate_xct_failure *failure) {
  memgate_set_failure_handler(memgate__xct_keep_failure, failure);
  memgate_verdict verdict = memgate_repeat_opts(name, iterations, memgate__xct_run_block,
                                                (__bridge void *)block, NULL, file, line, NULL);
  memgate_set_failure_handler(NULL, NULL);
  return verdict;
}

/* One memgate scope around a block, failures kept in *failure. */
static inline memgate_verdict memgate_xct_footprint(const char *name, void (^block)(void),
                                                    const char *file, int line,
                                                    memgate_xct_failure *failure) {
  memgate_set_failure_handler(memgate__xct_keep_failure, failure);
  (void)memgate_begin(name, file, line);
  @autoreleasepool {
    block();
  }
  memgate_verdict verdict = memgate_end(name, file, line, NULL);
  memgate_set_failure_handler(NULL, NULL);
  return verdict;
}

#ifdef DOXYGEN
void MEMGATE_XCT_ASSERT_NO_LEAK(const char *name, uint32_t iterations, void (^block)(void));
void MEMGATE_XCT_ASSERT_FOOTPRINT(const char *name, void (^block)(void));
#endif

/* The kept failure text as an NSString (it is valid UTF-8, so never nil). */
#define MEMGATE__XCT_FAILURE_STRING(failure) \
  ([NSString stringWithUTF8String:(failure).text] ?: @"memgate: (message not UTF-8)")

/* Repeats the block (iterations 0: memgate's default) and fails the test on
 * this line when memory keeps growing or memgate cannot measure. The block
 * is everything after the second comma. */
#define MEMGATE_XCT_ASSERT_NO_LEAK(name, iterations, ...)                                 \
  do {                                                                                   \
    memgate_xct_failure memgate__xct_failure = {false, {0}};                             \
    (void)memgate_xct_repeat((name), (iterations), (__VA_ARGS__), __FILE__, __LINE__,    \
                             &memgate__xct_failure);                                     \
    if (memgate__xct_failure.failed)                                                     \
      XCTFail(@"%@", MEMGATE__XCT_FAILURE_STRING(memgate__xct_failure));                 \
  } while (0)

/* Measures one run of the block and fails the test on this line when the
 * scope fails (beyond its baseline, or memgate cannot measure). The block
 * is everything after the first comma. */
#define MEMGATE_XCT_ASSERT_FOOTPRINT(name, ...)                                          \
  do {                                                                                   \
    memgate_xct_failure memgate__xct_failure = {false, {0}};                             \
    (void)memgate_xct_footprint((name), (__VA_ARGS__), __FILE__, __LINE__,               \
                                &memgate__xct_failure);                                  \
    if (memgate__xct_failure.failed)                                                     \
      XCTFail(@"%@", MEMGATE__XCT_FAILURE_STRING(memgate__xct_failure));                 \
  } while (0)

#endif /* __OBJC__ */

#endif /* MEMGATE_XCTEST_H */

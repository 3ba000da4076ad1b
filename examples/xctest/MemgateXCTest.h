/*
 * MemgateXCTest.h - memgate assertions for Objective-C XCTest targets
 * (Darwin). Import it after the XCTest umbrella header, then, in a test
 * method:
 *
 *   MEMGATE_XCT_ASSERT_NO_LEAK("live_room.visit", 10, ^{ visit(room); });
 *   MEMGATE_XCT_ASSERT_FOOTPRINT("live_room.gift", ^{ send_big_gift(room); });
 *
 * The same helpers as MemgateXCTest.swift: the block runs under memgate
 * (memgate_repeat_opts, or memgate_begin/memgate_end) inside
 * @autoreleasepool; while it runs, a memgate failure handler keeps the first
 * failed result, and the macro turns it into XCTFail on the line that used
 * the macro (the same __FILE__/__LINE__ memgate reports). Each argument is
 * evaluated once. Like the Swift helper, the handler is process-wide: do not
 * nest the macros or use them from two threads at once. Draining the main run
 * loop is left to the block (CFRunLoopRunInMode(kCFRunLoopDefaultMode, 0,
 * true)), so this header needs nothing beyond memgate.h and Objective-C.
 *
 * NOT verified on Linux (no Objective-C XCTest there): `make check-darwin`
 * compiles this header as Objective-C with ARC for macOS, which covers the
 * inline functions; the macros expand only in a test file, where XCTFail
 * comes from XCTest, and have not been run.
 */
#ifndef MEMGATE_XCTEST_H
#define MEMGATE_XCTEST_H

#ifndef __OBJC__
#  error "MemgateXCTest.h is for Objective-C test targets; C code uses memgate.h"
#endif

#include <stdio.h>

#include "memgate.h"

/* The first failure memgate reported during one assertion. */
typedef struct memgate_xct_failure {
  bool failed;
  char text[1024]; /* "memgate: <name>: <verdict>: <message>", truncated */
} memgate_xct_failure;

/* memgate_failure_fn that copies the first failed result into ctx, a
 * memgate_xct_failure. */
static inline void memgate__xct_keep_failure(const memgate_result *result, void *ctx) {
  memgate_xct_failure *failure = (memgate_xct_failure *)ctx;
  if (failure == NULL || failure->failed) return;
  failure->failed = true;
  snprintf(failure->text, sizeof failure->text, "memgate: %s: %s: %s",
           result->name ? result->name : "?", memgate_verdict_name(result->verdict),
           result->message ? result->message : "");
}

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

/* Repeats the block (iterations 0: memgate's default) and fails the test on
 * this line when memory keeps growing or memgate cannot measure. */
#define MEMGATE_XCT_ASSERT_NO_LEAK(name, iterations, block)                              \
  do {                                                                                   \
    memgate_xct_failure memgate__xct_failure = {false, {0}};                             \
    (void)memgate_xct_repeat((name), (iterations), (block), __FILE__, __LINE__,          \
                             &memgate__xct_failure);                                     \
    if (memgate__xct_failure.failed) XCTFail(@"%s", memgate__xct_failure.text);          \
  } while (0)

/* Measures one run of the block and fails the test on this line when the
 * scope fails (beyond its baseline, or memgate cannot measure). */
#define MEMGATE_XCT_ASSERT_FOOTPRINT(name, block)                                        \
  do {                                                                                   \
    memgate_xct_failure memgate__xct_failure = {false, {0}};                             \
    (void)memgate_xct_footprint((name), (block), __FILE__, __LINE__,                     \
                                &memgate__xct_failure);                                  \
    if (memgate__xct_failure.failed) XCTFail(@"%s", memgate__xct_failure.text);          \
  } while (0)

#endif /* MEMGATE_XCTEST_H */

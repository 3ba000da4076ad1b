/*
 * Compile test of examples/xctest/MemgateXCTest.h's macros: `make
 * check-darwin` compiles this file as Objective-C with ARC for every Apple
 * target (never linked, never run). The blocks hold what broke the
 * macros before they were variadic: a declaration with a comma, an array
 * literal, a call with two arguments.
 *
 * With XCTest available (Xcode) the real XCTest and Foundation are used.
 * zig ships neither, so otherwise the few declarations the macros need are
 * stand-ins below: XCTFail as a function with NSString format checking,
 * NSString's stringWithUTF8String:, NSArray's array-literal method. That
 * checks the macros' expansion and types, not Apple's declarations of those.
 */
#if __has_include(<XCTest/XCTest.h>)
#  import <XCTest/XCTest.h>
#  define MEMGATE_TEST_BASE XCTestCase
#else
#  import <objc/NSObject.h>
#  define MEMGATE_TEST_BASE NSObject

@interface NSString : NSObject
+ (nullable instancetype)stringWithUTF8String:(const char *_Nonnull)s;
@end

@interface NSArray : NSObject
+ (nonnull instancetype)arrayWithObjects:(const id _Nonnull[_Nullable])objects
                                   count:(unsigned long)count;
- (unsigned long)count;
@end

void memgate_test_fail(NSString *_Nonnull format, ...) __attribute__((format(__NSString__, 1, 2)));
#  define XCTFail(...) memgate_test_fail(__VA_ARGS__)
#endif

#import "MemgateXCTest.h"

int memgate_test_add(int a, int b);
int memgate_test_add(int a, int b) { return a + b; }

@interface MemgateMacroTests : MEMGATE_TEST_BASE
@end

@implementation MemgateMacroTests

- (void)testBlocksWithCommas {
  __block int total = 0;
  MEMGATE_XCT_ASSERT_NO_LEAK("xct.commas", 10, ^{
    int a = 1, b = 2;
    total += a + b;
  });
  MEMGATE_XCT_ASSERT_NO_LEAK("xct.call", 0, ^{ total += memgate_test_add(1, 2); });
  MEMGATE_XCT_ASSERT_FOOTPRINT("xct.commas", ^{
    int a = 3, b = 4;
    total += a * b;
  });
  (void)total;
}

- (void)testArrayLiterals {
  __block unsigned long total = 0;
  id a = self, b = self;
  MEMGATE_XCT_ASSERT_NO_LEAK("xct.array", 10, ^{
    NSArray *pair = @[a, b];
    total += [pair count];
  });
  MEMGATE_XCT_ASSERT_FOOTPRINT("xct.array", ^{ total += [@[a, b, a] count]; });
  (void)total;
}

- (void)testArgumentsEvaluatedOnce {
  __block int runs = 0;
  uint32_t iterations = 10;
  const char *names[] = {"xct.once.caf\xc3\xa9", "unused"};
  const char *const *name = names;
  MEMGATE_XCT_ASSERT_NO_LEAK(*name++, iterations++, ^{ runs++; });
  MEMGATE_XCT_ASSERT_FOOTPRINT(*name++, ^{ runs++; });
  (void)runs;
}

@end

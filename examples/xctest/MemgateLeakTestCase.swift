// MemgateLeakTestCase.swift - an XCTest base class whose test methods each run
// as a memgate repeat. Change an existing class's superclass and every test
// gains a leak gate:
//
//     final class RoomTests: MemgateLeakTestCase {        // was: XCTestCase
//       override class var memgateIterations: UInt32 { 10 }   // optional
//       func testVisit() { room.enter(); room.leave() }
//     }
//
// Each test becomes the body of a repeat named "RoomTests.testVisit" (on
// Apple's XCTest invokeTest: setUp, the test method and tearDown each time; on
// swift-corelibs-xctest the test method between one setUp and one tearDown,
// since invokeTest may run only once there): it runs for memgate's warm-up and then
// `memgateIterations` measured times (0, the default: MEMGATE_ITERATIONS or
// 10), and memory that keeps growing across the measured runs fails the test
// with memgate's message (through assertNoLeak, MemgateXCTest.swift).
//
// The test's own assertions still count (each iteration records its
// failures). Tests of such a class should not call assertNoLeak or
// assertFootprint themselves (the assertions do not nest); set
// memgateRepeatsTests to false in a class whose tests measure on their own.
// MEMGATE_XCTEST_REPEAT=0 runs every test once, unmeasured.

import Foundation
import XCTest

#if canImport(memgate)
import memgate
#endif

open class MemgateLeakTestCase: XCTestCase {
  /// Measured iterations of each test of the class; 0: memgate's default
  /// (MEMGATE_ITERATIONS, else 10).
  open class var memgateIterations: UInt32 { 0 }

  /// false: the class's tests run once, as in a plain XCTestCase.
  open class var memgateRepeatsTests: Bool { true }

  /// One pass of the main run loop after each run of the test, before the
  /// sample (assertNoLeak's drainMainRunLoop).
  open class var memgateDrainsMainRunLoop: Bool { false }

  /// What the last repeat of this test case measured; nil before it ran, or
  /// when the test ran unmeasured.
  public private(set) var memgateOutcome: MemgateOutcome?

  /// The repeat's name for this test: "Class.testMethod" (XCTest's name
  /// "-[Class testMethod]" on Darwin, "Class.testMethod" elsewhere).
  public var memgateTestName: String {
    var n = name
    if n.hasPrefix("-[") && n.hasSuffix("]") {
      n = String(n.dropFirst(2).dropLast()).replacingOccurrences(of: " ", with: ".")
    }
    return n
  }

  /// Whether this test runs as a repeat: the class says so and
  /// MEMGATE_XCTEST_REPEAT is not "0".
  public var memgateShouldRepeat: Bool {
    type(of: self).memgateRepeatsTests
      && ProcessInfo.processInfo.environment["MEMGATE_XCTEST_REPEAT"] != "0"
  }

  /// Runs `body` (the test) as the repeat of this test; an error it throws
  /// (the first) is thrown again after the repeat, as the test's own.
  func memgateRepeatTest(_ body: () throws -> Void) throws {
    var firstError: Error?
    memgateOutcome = assertNoLeak(memgateTestName, iterations: type(of: self).memgateIterations,
                                  drainMainRunLoop: type(of: self).memgateDrainsMainRunLoop) {
      do { try body() } catch { if firstError == nil { firstError = error } }
    }
    if let firstError { throw firstError }
  }

  #if canImport(ObjectiveC)
  // Apple's XCTest: invokeTest (setUp, the test method, tearDown) is the
  // body; XCTest allows invoking it again.
  open override func invokeTest() {
    guard memgateShouldRepeat else { return super.invokeTest() }
    try? memgateRepeatTest { super.invokeTest() } // invokeTest records its own errors
  }
  #else
  // swift-corelibs-xctest: invokeTest may run only once per test (its
  // teardown-block state is final), so the test method itself is the body,
  // between one setUp and one tearDown: the closure XCTMain and SwiftPM hand
  // to this required initializer is wrapped.
  public required init(name: String, testClosure: @escaping XCTestCaseClosure) {
    super.init(name: name, testClosure: { testCase in
      guard let gated = testCase as? MemgateLeakTestCase, gated.memgateShouldRepeat else {
        return try testClosure(testCase)
      }
      try gated.memgateRepeatTest { try testClosure(testCase) }
    })
  }
  #endif
}

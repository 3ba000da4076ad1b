// MemgateXCTest.swift - memgate assertions for XCTest test cases.
//
//     assertNoLeak("live_room.visit", iterations: 10) { room.enter(); room.leave() }
//     assertFootprint("live_room.gift") { ... }
//
// Each assertion runs its block under memgate (memgate_repeat_opts, or
// memgate_begin/memgate_end) and, while it runs, installs a memgate failure
// handler whose ctx is this test case: a failed result (leak, regression or
// error) becomes an XCTest failure on the line that called the assertion
// (#filePath/#line are handed to memgate, which reports them back).
//
// On Darwin the block runs inside autoreleasepool, so objects autoreleased by
// the block are freed before memgate samples; with drainMainRunLoop: true the
// main run loop also gets one pass (timers, sources, main-queue blocks) after
// the block and before the sample, when the assertion runs on the main thread,
// inside an outer autorelease pool that drains before the sample as well.
//
// Use it from a target with a bridging header that includes memgate.h (this
// file and the header are then compiled together), or from the Swift package
// (product MemgateXCTest), which imports the C library as the module memgate.
//
// The first assertion in a process first lets XCTest's own threads finish
// starting (about 50 ms, see memgateTestThreadsStarted).
//
// The failure handler is process-wide: do not nest the assertions, and do not
// call them from two threads at once (XCTest runs one test at a time).

import Foundation
import XCTest

#if canImport(memgate)
import memgate
#endif

/// What one memgate assertion measured, copied out of memgate's result (whose
/// strings are only borrowed).
public struct MemgateOutcome: Sendable, CustomStringConvertible {
  /// Scope name given to the assertion.
  public let name: String
  /// .pass, .leak, .regression or .error.
  public let verdict: MemgateVerdict
  /// memgate's one-line explanation.
  public let message: String
  /// Where the assertion was called (as memgate reported it).
  public let file: String
  public let line: Int
  /// Footprint after minus before, in bytes. For assertNoLeak: after the last
  /// measured iteration minus after the warm-up.
  public let retainedBytes: Int64
  /// Least-squares footprint growth per measured iteration, in bytes
  /// (assertFootprint: the same as retainedBytes).
  public let slopeBytes: Double
  /// Highest footprint above the starting one, in bytes, when the platform
  /// can tell.
  public let peakBytes: Int64?
  /// Change in the C allocator's bytes in use, when the platform can tell.
  public let heapDeltaBytes: Int64?
  /// Measured iterations (1 for assertFootprint).
  public let iterations: UInt32
  /// Footprint samples in bytes: after the warm-up, then after each measured
  /// iteration (assertFootprint: before and after).
  public let series: [UInt64]
  /// Platform key of the measurement, such as "linux-x86_64".
  public let platform: String

  public var passed: Bool { verdict == .pass }

  public var description: String {
    "memgate: \(name): \(verdictName): \(message)"
  }

  var verdictName: String { String(cString: memgate_verdict_name(verdict)) }

  init(_ r: memgate_result) {
    name = r.name.map { String(cString: $0) } ?? ""
    verdict = r.verdict
    message = r.message.map { String(cString: $0) } ?? ""
    file = r.file.map { String(cString: $0) } ?? ""
    line = Int(r.line)
    retainedBytes = r.retained_bytes
    slopeBytes = r.slope_bytes
    peakBytes = r.has_peak ? r.peak_bytes : nil
    heapDeltaBytes = r.has_heap ? r.heap_delta_bytes : nil
    iterations = r.iterations
    if let s = r.series {
      series = Array(UnsafeBufferPointer(start: s, count: Int(r.series_count)))
    } else {
      series = []
    }
    platform = r.platform.map { String(cString: $0) } ?? ""
  }
}

extension XCTestCase {
  /// Runs `body` for memgate's warm-up and then `iterations` measured times
  /// (0: memgate's default, MEMGATE_ITERATIONS or 10), sampling the
  /// footprint after each, and records an XCTest failure on the calling line
  /// when memory keeps growing across the measured iterations (or is beyond
  /// its baseline, or memgate cannot measure). `options` defaults to memgate's (environment
  /// included); to change them, start from memgate_options_init(&opts). The
  /// outcome is returned for further checks.
  @discardableResult
  public func assertNoLeak(
    _ name: String,
    iterations: UInt32 = 0,
    options: memgate_options? = nil,
    drainMainRunLoop: Bool = false,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: () -> Void
  ) -> MemgateOutcome {
    memgateLetTestThreadsStart()
    return withoutActuallyEscaping(body) { body in
      let block = MemgateXCTBlock(body, drainMainRunLoop: drainMainRunLoop)
      var out = memgate_result()
      memgateRecordingFailures(on: self) {
        name.withCString { cName in
          memgateCString(file) { cFile in
            let ctx = Unmanaged.passUnretained(block).toOpaque()
            let cLine = Int32(clamping: line)
            if var opts = options {
              _ = memgate_repeat_opts(cName, iterations, memgateXCTRunBlock, ctx, &opts, cFile,
                                      cLine, &out)
            } else {
              _ = memgate_repeat_opts(cName, iterations, memgateXCTRunBlock, ctx, nil, cFile,
                                      cLine, &out)
            }
          }
        }
      }
      withExtendedLifetime(block) {}
      return MemgateOutcome(out)
    }
  }

  /// Measures one run of `body` in a memgate scope (memgate_begin before it,
  /// memgate_end after it) and records an XCTest failure on the calling line
  /// when the scope fails: beyond its baseline (see docs/SWIFT.md), or when
  /// memgate cannot measure. Without a baseline a single run cannot fail on
  /// size; the outcome still carries the numbers.
  @discardableResult
  public func assertFootprint(
    _ name: String,
    drainMainRunLoop: Bool = false,
    file: StaticString = #filePath,
    line: UInt = #line,
    _ body: () -> Void
  ) -> MemgateOutcome {
    memgateLetTestThreadsStart()
    var out = memgate_result()
    memgateRecordingFailures(on: self) {
      // One C string for both calls, alive across both samples.
      name.withCString { cName in
        memgateCString(file) { cFile in
          let cLine = Int32(clamping: line)
          _ = memgate_begin(cName, cFile, cLine)
          memgateXCTRun(body, drainMainRunLoop: drainMainRunLoop)
          _ = memgate_end(cName, cFile, cLine, &out)
        }
      }
    }
    return MemgateOutcome(out)
  }
}

// MARK: - Before the first measurement

/// Once per process, before the first measurement: swift-corelibs-xctest runs
/// each test's async set-up through Swift concurrency, whose dispatch worker
/// threads start on first use, at the same time as the first test's body.
/// Their start-up (stacks, thread caches, an event thread) would be measured
/// as growth. Running one task to completion and pausing briefly lets them
/// finish starting; later tests find them idle.
private let memgateTestThreadsStarted: Void = {
  let done = DispatchSemaphore(value: 0)
  Task.detached { done.signal() }
  done.wait()
  Thread.sleep(forTimeInterval: 0.05)
}()

private func memgateLetTestThreadsStart() { memgateTestThreadsStarted }

// MARK: - Failure handler

/// The memgate failure handler's ctx: the test case to record failures on.
private final class MemgateXCTRecorder {
  let testCase: XCTestCase

  init(_ testCase: XCTestCase) { self.testCase = testCase }

  func record(_ result: memgate_result) {
    let outcome = MemgateOutcome(result)
    let file = outcome.file.isEmpty ? "?" : outcome.file
    #if canImport(ObjectiveC)
    let location = XCTSourceCodeLocation(filePath: file, lineNumber: outcome.line)
    testCase.record(XCTIssue(type: .assertionFailure, compactDescription: outcome.description,
                             sourceCodeContext: XCTSourceCodeContext(location: location)))
    #else
    testCase.recordFailure(withDescription: outcome.description, inFile: file,
                           atLine: outcome.line, expected: true)
    #endif
  }
}

/// A C function (no captures) with memgate_failure_fn's shape.
private func memgateXCTRecordFailure(_ result: UnsafePointer<memgate_result>,
                                     _ ctx: UnsafeMutableRawPointer?) {
  guard let ctx else { return }
  Unmanaged<MemgateXCTRecorder>.fromOpaque(ctx).takeUnretainedValue().record(result.pointee)
}

/// Runs `body` with memgate's failures recorded on `testCase`, then puts the
/// default handler back.
private func memgateRecordingFailures(on testCase: XCTestCase, _ body: () -> Void) {
  let recorder = MemgateXCTRecorder(testCase)
  withExtendedLifetime(recorder) {
    memgate_set_failure_handler(memgateXCTRecordFailure,
                                Unmanaged.passUnretained(recorder).toOpaque())
    defer { memgate_set_failure_handler(nil, nil) }
    body()
  }
}

// MARK: - The measured block

/// The body of memgate_repeat_opts: a Swift closure behind memgate's void *ctx.
private final class MemgateXCTBlock {
  let body: () -> Void
  let drainMainRunLoop: Bool

  init(_ body: @escaping () -> Void, drainMainRunLoop: Bool) {
    self.body = body
    self.drainMainRunLoop = drainMainRunLoop
  }
}

/// A C function (no captures) with memgate_body_fn's shape.
private func memgateXCTRunBlock(_ ctx: UnsafeMutableRawPointer?) {
  guard let ctx else { return }
  let block = Unmanaged<MemgateXCTBlock>.fromOpaque(ctx).takeUnretainedValue()
  memgateXCTRun(block.body, drainMainRunLoop: block.drainMainRunLoop)
}

/// One run of a measured block, all of it before memgate's next sample. On
/// Darwin: the block in its own autorelease pool (what it autoreleased is
/// freed first, and may schedule work on the main queue), then optionally one
/// pass of the main run loop, all inside an outer pool, so that what the run
/// loop's callouts autorelease is freed before the sample too.
private func memgateXCTRun(_ body: () -> Void, drainMainRunLoop: Bool) {
  #if canImport(ObjectiveC)
  autoreleasepool {
    autoreleasepool { body() }
    memgateXCTRunLoopPass(drainMainRunLoop)
  }
  #else
  body()
  memgateXCTRunLoopPass(drainMainRunLoop)
  #endif
}

/// One pass of the main run loop when asked and on the main thread: handles
/// what is ready (main-queue blocks included) and returns at once when
/// nothing is.
private func memgateXCTRunLoopPass(_ drainMainRunLoop: Bool) {
  if drainMainRunLoop && Thread.isMainThread {
    _ = RunLoop.current.run(mode: .default, before: Date())
  }
}

/// `s` as a NUL-terminated C string, without allocating for the usual case of
/// a #filePath literal.
private func memgateCString<R>(_ s: StaticString, _ body: (UnsafePointer<CChar>) -> R) -> R {
  if s.hasPointerRepresentation {
    return UnsafeRawPointer(s.utf8Start).withMemoryRebound(to: CChar.self,
                                                           capacity: s.utf8CodeUnitCount + 1,
                                                           body)
  }
  return s.description.withCString(body)
}

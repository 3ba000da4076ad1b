// LiveRoomLeakTestCaseTests.swift - MemgateLeakTestCase on the live-room
// model: plain test methods, no memgate call in them; the base class repeats
// each one. The correct room passes; the buggy room's leak is reported as a
// failure of its test, which this file captures and checks (set
// MEMGATE_XCTEST_NO_CAPTURE=1 to let it through and watch the test fail).

import Foundation
import XCTest

#if canImport(MemgateXCTest)
import LiveRoom
import MemgateXCTest
import memgate
#endif

final class CorrectRoomLeakTests: MemgateLeakTestCase {
  override class var memgateIterations: UInt32 { 10 }

  func testVisitDoesNotLeak() {
    let room = LiveRoom(buggy: false)
    XCTAssertTrue(room.enter())
    room.chat()
    room.sendGift()
    room.leave()
  }

  override func invokeTest() {
    super.invokeTest()
    guard let outcome = memgateOutcome else { return XCTFail("the test was not repeated") }
    XCTAssertEqual(outcome.verdict, .pass, outcome.description)
    XCTAssertEqual(outcome.name, "CorrectRoomLeakTests.testVisitDoesNotLeak")
    XCTAssertEqual(outcome.iterations, 10)
  }
}

final class BuggyRoomLeakTests: MemgateLeakTestCase {
  override class var memgateIterations: UInt32 { 10 }
  private var capturing = false
  private var captured: [String] = []
  func testVisitLeaks() {
    let room = LiveRoom(buggy: true)
    XCTAssertTrue(room.enter())
    room.chat()
    room.sendGift()
    room.leave()
  }

  override func invokeTest() {
    capturing = ProcessInfo.processInfo.environment["MEMGATE_XCTEST_NO_CAPTURE"] != "1"
    captured = []
    super.invokeTest()
    capturing = false
    live_room_cache_clear()
    XCTAssertEqual(captured.count, 1, "memgate should have reported one leak, got: \(captured)")
    XCTAssertTrue(captured.first?.contains("memgate: BuggyRoomLeakTests.testVisitLeaks: leak:") ?? false,
                  "\(captured)")
    XCTAssertEqual(memgateOutcome?.verdict, .leak)
    XCTAssertGreaterThanOrEqual(memgateOutcome?.iterations ?? 0, 10) // a leak may run confirmation rounds
  }

  #if canImport(ObjectiveC)
  override func record(_ issue: XCTIssue) {
    guard capturing else { return super.record(issue) }
    captured.append(issue.compactDescription)
  }
  #else
  override func recordFailure(withDescription description: String, inFile filePath: String,
                              atLine lineNumber: Int, expected: Bool) {
    guard capturing else {
      return super.recordFailure(withDescription: description, inFile: filePath,
                                 atLine: lineNumber, expected: expected)
    }
    captured.append(description)
  }
  #endif
}

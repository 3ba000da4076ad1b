// main.swift - entry point of the XCTest executable that `make xctest` builds
// with swiftc on Linux (swift-corelibs-xctest has no test discovery outside
// SwiftPM). Xcode and `swift test` find the tests themselves and do not use
// this file. `make xctest` checks that every `func test` of the test files
// ran, so a test missing here is caught.

import XCTest

XCTMain([
  testCase([
    ("testCorrectRoomVisitsDoNotLeak", LiveRoomMemoryTests.testCorrectRoomVisitsDoNotLeak),
    ("testCorrectRoomGiftScopeKeepsNothing", LiveRoomMemoryTests.testCorrectRoomGiftScopeKeepsNothing),
    ("testBuggyRoomLeakIsRecordedAtTheAssertingLine",
     LiveRoomMemoryTests.testBuggyRoomLeakIsRecordedAtTheAssertingLine),
    ("testBuggyRoomGiftScopeShowsTheKeptFrames",
     LiveRoomMemoryTests.testBuggyRoomGiftScopeShowsTheKeptFrames),
    ("testMisuseIsRecordedAsAnError", LiveRoomMemoryTests.testMisuseIsRecordedAsAnError),
    ("testDrainMainRunLoopRunsMainQueueWork", LiveRoomMemoryTests.testDrainMainRunLoopRunsMainQueueWork),
  ]),
  testCase([("testVisitDoesNotLeak", CorrectRoomLeakTests.testVisitDoesNotLeak)]),
  testCase([("testVisitLeaks", BuggyRoomLeakTests.testVisitLeaks)]),
  testCase([
    ("testScriptedGrowthIsALeakThroughCCallbacks",
     MemgateCAPITests.testScriptedGrowthIsALeakThroughCCallbacks),
    ("testFlatFootprintPassesWithoutCallingTheFailureHandler",
     MemgateCAPITests.testFlatFootprintPassesWithoutCallingTheFailureHandler),
    ("testEnumsAndPlainFunctions", MemgateCAPITests.testEnumsAndPlainFunctions),
  ]),
])

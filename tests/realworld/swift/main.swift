// main.swift - entry point of the real-world Swift suite (XCTMain, as in
// examples/xctest/linux/main.swift). RW_SWIFT_SHUFFLE=SEED runs the tests in
// a shuffled order (the same seed, the same order); unset or empty: the
// order below.

import Foundation
import XCTest

var rwTests: [(String, (RealWorldSwiftTests) -> () throws -> Void)] = [
  ("testDispatchConcurrentPerform", RealWorldSwiftTests.testDispatchConcurrentPerform),
  ("testFoundationJSONCoding", RealWorldSwiftTests.testFoundationJSONCoding),
  ("testGenericTypesFirstUsedMidRun", RealWorldSwiftTests.testGenericTypesFirstUsedMidRun),
  ("testObjectKeptInStaticArray", RealWorldSwiftTests.testObjectKeptInStaticArray),
]

/// SplitMix64: a tiny seeded generator, so an order can be replayed.
struct RWSeeded: RandomNumberGenerator {
  var state: UInt64
  mutating func next() -> UInt64 {
    state &+= 0x9E37_79B9_7F4A_7C15
    var z = state
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
  }
}

if let s = ProcessInfo.processInfo.environment["RW_SWIFT_SHUFFLE"], !s.isEmpty {
  guard let seed = UInt64(s) else {
    FileHandle.standardError.write("RW_SWIFT_SHUFFLE must be a number, not '\(s)'\n".data(using: .utf8)!)
    exit(2)
  }
  var g = RWSeeded(state: seed)
  rwTests.shuffle(using: &g)
}
print("rw-order " + rwTests.map { $0.0 }.joined(separator: " "))
XCTMain([testCase(rwTests)])

// swift-tools-version:5.9
//
// memgate for Swift Package Manager users.
//
//   products  memgate        the C library (import memgate)
//             MemgateXCTest  XCTest helpers: assertNoLeak, assertFootprint, and
//                            the base class MemgateLeakTestCase
//             MemgateTesting Swift Testing helper: expectNoLeak
//   tests     LiveRoomMemoryTests (examples/xctest), driving the C model in
//             examples/live_room
//
// The vendored or system cJSON is the target MemgateCJSON (not CJSON), so a
// package that has its own CJSON target can depend on this one.
//
// cJSON: by default the system's, found with pkg-config (libcjson;
// apt-get install libcjson-dev, brew install cjson). For targets without a
// system cJSON (iOS, tvOS, ...), put cJSON's two files at
//   harness/swiftpm/cjson-vendored/cJSON.c
//   harness/swiftpm/cjson-vendored/include/cjson/cJSON.h
// and the package builds them instead (see docs/SWIFT.md).

import Foundation
import PackageDescription

let vendoredCJSON = "harness/swiftpm/cjson-vendored"
let useVendoredCJSON = FileManager.default.fileExists(
  atPath: Context.packageDirectory + "/" + vendoredCJSON + "/cJSON.c")

let cjson: Target = useVendoredCJSON
  ? .target(
      name: "MemgateCJSON",
      path: vendoredCJSON,
      sources: ["cJSON.c"],
      publicHeadersPath: "include",
      cSettings: [.headerSearchPath("include/cjson")])
  : .systemLibrary(
      name: "MemgateCJSON",
      path: "harness/swiftpm/MemgateCJSON",
      pkgConfig: "libcjson",
      providers: [.apt(["libcjson-dev"]), .brew(["cjson"])])

// examples/xctest holds both Swift targets, and files SwiftPM does not build:
// the bridging header, the Objective-C header, and what `make xctest` uses.
let xctestOtherFiles = ["MemgateBridgingHeader.h", "MemgateXCTest.h", "linux", "run_suite.sh"]
let xctestTestFiles = ["LiveRoomMemoryTests.swift", "MemgateCAPITests.swift",
                       "LiveRoomLeakTestCaseTests.swift"]
let xctestHelperFiles = ["MemgateXCTest.swift", "MemgateLeakTestCase.swift"]

let package = Package(
  name: "memgate",
  products: [
    .library(name: "memgate", targets: ["memgate"]),
    .library(name: "MemgateXCTest", targets: ["MemgateXCTest"]),
    .library(name: "MemgateTesting", targets: ["MemgateTesting"]),
  ],
  targets: [
    cjson,
    // The library: harness/src/*.c, public header harness/include/memgate.h.
    .target(
      name: "memgate",
      dependencies: ["MemgateCJSON"],
      path: "harness",
      exclude: ["tool", "swiftpm", "cmake", "deps.sh", "memgate.pc.in"],
      sources: ["src"],
      publicHeadersPath: "include",
      linkerSettings: [
        .linkedLibrary("m", .when(platforms: [.linux])),
        .linkedLibrary("pthread", .when(platforms: [.linux])),
      ]),
    .target(
      name: "MemgateXCTest",
      dependencies: ["memgate"],
      path: "examples/xctest",
      exclude: xctestTestFiles + xctestOtherFiles,
      sources: xctestHelperFiles),
    // Swift Testing: expectNoLeak (compiles to nothing without the Testing module).
    .target(
      name: "MemgateTesting",
      dependencies: ["memgate"],
      path: "examples/swift-testing",
      exclude: ["LiveRoomSwiftTestingTests.swift"],
      sources: ["MemgateTesting.swift"]),
    .testTarget(
      name: "LiveRoomSwiftTestingTests",
      dependencies: ["MemgateTesting", "memgate", "LiveRoom"],
      path: "examples/swift-testing",
      exclude: ["MemgateTesting.swift"],
      sources: ["LiveRoomSwiftTestingTests.swift"]),
    // The C live-room model, for the tests only.
    .target(
      name: "LiveRoom",
      path: "examples/live_room",
      sources: ["live_room.c"],
      publicHeadersPath: "."),
    .testTarget(
      name: "LiveRoomMemoryTests",
      dependencies: ["MemgateXCTest", "memgate", "LiveRoom"],
      path: "examples/xctest",
      exclude: xctestHelperFiles + xctestOtherFiles,
      sources: xctestTestFiles),
  ],
  cLanguageStandard: .c99
)

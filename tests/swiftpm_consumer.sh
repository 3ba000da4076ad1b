#!/bin/sh
# A Swift package of the user's own (issue 17, item 5), in a directory not
# named memgate, depending on a checkout of this repository that is not
# named memgate either, with a C target of its own called CJSON (the name
# memgate's cJSON target had). Its MemgateLeakTestCase subclasses: the
# correct live room passes under `swift test`, the buggy one fails with
# memgate's leak message. The manifest follows README.md's snippet.
#   tests/swiftpm_consumer.sh [SCRATCH_DIR]       (make swiftpm-consumer)
set -eu
SWIFT=${SWIFT:-swift}
root=$(cd "$(dirname "$0")/.." && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/memgate-spm.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
fail() { echo "swiftpm_consumer: $*" >&2; exit 1; }

# The checkout, under another name (the working tree, without build output).
co=$tmp/vendor/mg-checkout-$$
mkdir -p "$co"
(cd "$root" && tar --exclude=./build --exclude=./.build --exclude=./.git -cf - .) | (cd "$co" && tar -xf -)

app=$tmp/RoomApp
mkdir -p "$app/Sources/CJSON/include" "$app/Sources/LiveRoom/include" "$app/Tests/RoomLeakTests"
cat > "$app/Package.swift" <<SWIFT
// swift-tools-version:5.9
import Foundation
import PackageDescription

// docs/SWIFT.md, "Xcode or SwiftPM, with the package": the package's identity is
// its directory's name, so take it from the path.
let memgatePath = "../vendor/mg-checkout-$$"
let memgate = URL(fileURLWithPath: memgatePath).lastPathComponent

let package = Package(
  name: "RoomApp",
  dependencies: [.package(path: memgatePath)],
  targets: [
    .target(name: "CJSON", path: "Sources/CJSON"),
    .target(name: "LiveRoom", path: "Sources/LiveRoom"),
    .testTarget(
      name: "RoomLeakTests",
      dependencies: ["CJSON", "LiveRoom",
                     .product(name: "memgate", package: memgate),
                     .product(name: "MemgateXCTest", package: memgate)],
      path: "Tests/RoomLeakTests"),
  ]
)
SWIFT
cat > "$app/Sources/CJSON/include/CJSON.h" <<'C'
/* The consumer's own module named CJSON: unrelated to cJSON or memgate. */
int roomapp_cjson_answer(void);
C
printf '#include "CJSON.h"\nint roomapp_cjson_answer(void) { return 42; }\n' > "$app/Sources/CJSON/CJSON.c"
cp "$root/examples/live_room/live_room.c" "$app/Sources/LiveRoom/"
cp "$root/examples/live_room/live_room.h" "$app/Sources/LiveRoom/include/"
cat > "$app/Tests/RoomLeakTests/RoomLeakTests.swift" <<'SWIFT'
import CJSON
import LiveRoom
import MemgateXCTest
import XCTest

private func visit(buggy: Bool) {
  var config = live_room_config()
  live_room_config_init(&config)
  config.buggy = buggy
  let room = live_room_enter(&config)
  for _ in 0..<config.visit_chat_messages { _ = live_room_post_chat(room, "hello") }
  _ = live_room_send_gift(room, 1, config.visit_gift_frames)
  live_room_leave(room)
}

// Existing tests; only the superclass changed (was XCTestCase).
final class CorrectRoomTests: MemgateLeakTestCase {
  override class var memgateIterations: UInt32 { 10 }
  func testVisit() {
    visit(buggy: false)
    XCTAssertEqual(roomapp_cjson_answer(), 42)
  }
}

final class BuggyRoomTests: MemgateLeakTestCase {
  override class var memgateIterations: UInt32 { 10 }
  func testVisit() { visit(buggy: true) }
}
SWIFT

cd "$app"
scratch=${1:-$tmp/scratch}
"$SWIFT" build --build-tests --scratch-path "$scratch" > "$tmp/build.log" 2>&1 ||
  { cat "$tmp/build.log"; fail "the consumer package does not build"; }
"$SWIFT" test --skip-build --scratch-path "$scratch" --filter CorrectRoomTests > "$tmp/pass.log" 2>&1 ||
  { cat "$tmp/pass.log"; fail "the correct room's test does not pass"; }
grep -q "Executed 1 test, with 0 failures" "$tmp/pass.log" || { cat "$tmp/pass.log"; fail "the correct room's test did not run"; }
st=0
"$SWIFT" test --skip-build --scratch-path "$scratch" --filter BuggyRoomTests > "$tmp/leak.log" 2>&1 || st=$?
[ "$st" != 0 ] || { cat "$tmp/leak.log"; fail "the buggy room's test passed"; }
grep -q "memgate: BuggyRoomTests.testVisit: leak: memory keeps growing" "$tmp/leak.log" ||
  { cat "$tmp/leak.log"; fail "the buggy room's test did not fail with memgate's leak"; }
echo "swiftpm_consumer: RoomApp (own CJSON target, checkout named mg-checkout-$$): correct room passes, buggy room fails with memgate's leak"

// LiveRoomSwiftTestingTests.swift - expectNoLeak (MemgateTesting.swift) on the
// live-room model with Swift Testing: the correct room passes; the buggy
// room's leak is recorded as an issue (withKnownIssue: the test fails if it
// is not).

#if canImport(Testing)
import Testing

#if canImport(MemgateTesting)
import LiveRoom
import MemgateTesting
import memgate
#endif

private func visit(buggy: Bool) {
  var config = live_room_config()
  live_room_config_init(&config)
  config.buggy = buggy
  let room = live_room_enter(&config)
  for _ in 0..<config.visit_chat_messages { _ = live_room_post_chat(room, "hello") }
  _ = live_room_send_gift(room, 1, config.visit_gift_frames)
  live_room_leave(room)
}

@Suite(.serialized) struct LiveRoomSwiftTestingTests {
  @Test func correctRoomDoesNotLeak() {
    let outcome = expectNoLeak("swift_testing.live_room.visit", iterations: 10) { visit(buggy: false) }
    #expect(outcome.verdict == .pass, "\(outcome.message)")
    #expect(outcome.iterations == 10)
  }

  @Test func buggyRoomLeakIsAnIssue() {
    withKnownIssue("memgate reports the buggy room's leak") {
      let outcome = expectNoLeak("swift_testing.live_room_buggy.visit", iterations: 10) {
        visit(buggy: true)
      }
      #expect(outcome.verdict == .leak)
    } matching: { issue in
      issue.comments.contains { $0.rawValue.hasPrefix("memgate: swift_testing.live_room_buggy.visit: leak:") }
    }
    live_room_cache_clear()
  }
}
#endif

// MemgateTesting.swift - memgate for Swift Testing (`import Testing`):
//
//     @Test func visitDoesNotLeak() {
//       expectNoLeak("room.visit", iterations: 10) { room.enter(); room.leave() }
//     }
//
// expectNoLeak runs its block as a memgate repeat (warm-up, then `iterations`
// measured runs; 0: MEMGATE_ITERATIONS or 10) and records an Issue at the
// calling line with memgate's message when memory keeps growing, a baseline
// is exceeded or memgate cannot measure. The block is synchronous on purpose:
// a repeat samples on the thread that runs it, and an `await` may resume on
// another thread; for the same reason memgate offers no test trait here (a
// trait's scope is async).

#if canImport(Testing)
import Testing

#if canImport(memgate)
import memgate
#endif

/// What expectNoLeak measured (memgate's verdict and message).
public struct MemgateTestingOutcome: Sendable {
  public let verdict: MemgateVerdict
  public let message: String
  public let iterations: UInt32
  public var passed: Bool { verdict == .pass }
}

/// The block behind memgate's void *ctx.
private final class MemgateTestingBlock {
  let body: () -> Void
  init(_ body: @escaping () -> Void) { self.body = body }
}

private func memgateTestingRun(_ ctx: UnsafeMutableRawPointer?) {
  guard let ctx else { return }
  Unmanaged<MemgateTestingBlock>.fromOpaque(ctx).takeUnretainedValue().body()
}

/// Runs `body` as a memgate repeat named `name` and records an Issue at the
/// caller's source location unless it passes. Returns the outcome.
@discardableResult
public func expectNoLeak(
  _ name: String,
  iterations: UInt32 = 0,
  sourceLocation: SourceLocation = #_sourceLocation,
  _ body: () -> Void
) -> MemgateTestingOutcome {
  withoutActuallyEscaping(body) { body in
    let block = MemgateTestingBlock(body)
    var out = memgate_result()
    let file = sourceLocation.fileID
    let line = Int32(clamping: sourceLocation.line)
    withExtendedLifetime(block) {
      name.withCString { cName in
        file.withCString { cFile in
          _ = memgate_repeat_opts(cName, iterations, memgateTestingRun,
                                  Unmanaged.passUnretained(block).toOpaque(), nil, cFile, line, &out)
        }
      }
    }
    let message = out.message.map { String(cString: $0) } ?? ""
    let outcome = MemgateTestingOutcome(verdict: out.verdict, message: message,
                                        iterations: out.iterations)
    if out.verdict != .pass {
      let verdict = String(cString: memgate_verdict_name(out.verdict))
      Issue.record(Comment(rawValue: "memgate: \(name): \(verdict): \(message)"),
                   sourceLocation: sourceLocation)
    }
    return outcome
  }
}
#endif

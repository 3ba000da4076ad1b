// MemgateCAPITests.swift - memgate.h as Swift sees it, used directly (no
// helper): closed enums with short cases, nullable fields, zero-initialized
// structs as values, and C callbacks that carry a Swift object through
// void *ctx (a scripted sampler and a failure handler).

import XCTest

#if canImport(memgate)
import memgate
#endif

/// Footprint readings scripted by a test: each read adds `step` bytes.
private final class ScriptedFootprint {
  var bytes: UInt64 = 1 << 24
  let step: UInt64
  private(set) var reads = 0

  init(step: UInt64) { self.step = step }

  func read(into out: UnsafeMutablePointer<memgate_footprint>) -> Int32 {
    reads += 1
    bytes += step
    out.pointee.footprint_bytes = bytes
    return 0
  }
}

/// What the failure handler saw.
private final class FailureLog {
  var verdicts: [MemgateVerdict] = []
}

final class MemgateCAPITests: XCTestCase {
  /// Runs memgate_repeat_opts over an empty C body with footprints scripted
  /// by `step`, a failure handler collecting verdicts; returns the result.
  private func scriptedRepeat(step: UInt64,
                              log: FailureLog) -> (MemgateVerdict, memgate_result, Int) {
    let script = ScriptedFootprint(step: step)
    var sampler = memgate_sampler(
      read: { ctx, out in
        Unmanaged<ScriptedFootprint>.fromOpaque(ctx!).takeUnretainedValue().read(into: out)
      },
      reset_peak: nil,
      release: nil,
      ctx: Unmanaged.passUnretained(script).toOpaque())
    var opts = memgate_options()
    XCTAssertEqual(memgate_options_init(&opts), 0)
    opts.warmup = 1
    opts.confirm_iterations = 0  // the scripted growth never ends: judge the 5 iterations as they are
    var out = memgate_result()
    XCTAssertNil(out.name)  // a zeroed result: nullable strings, no init arguments needed
    let verdict = withExtendedLifetime((script, log)) { () -> MemgateVerdict in
      memgate_set_sampler(&sampler)
      memgate_set_failure_handler({ result, ctx in
        let log = Unmanaged<FailureLog>.fromOpaque(ctx!).takeUnretainedValue()
        log.verdicts.append(result.pointee.verdict)
      }, Unmanaged.passUnretained(log).toOpaque())
      defer {
        memgate_set_failure_handler(nil, nil)
        memgate_set_sampler(nil)
      }
      return memgate_repeat_opts("capi.scripted", 5, { _ in }, nil, &opts, #filePath, #line, &out)
    }
    return (verdict, out, script.reads)
  }

  func testScriptedGrowthIsALeakThroughCCallbacks() {
    let log = FailureLog()
    let (verdict, out, reads) = scriptedRepeat(step: 64 * 1024, log: log)
    XCTAssertEqual(verdict, .leak)
    XCTAssertEqual(log.verdicts, [.leak])
    XCTAssertEqual(out.kind, .repeat)
    XCTAssertEqual(out.iterations, 5)
    XCTAssertEqual(out.series_count, 6)
    XCTAssertEqual(out.retained_bytes, 5 * 64 * 1024)
    XCTAssertEqual(out.name.map { String(cString: $0) }, "capi.scripted")
    XCTAssertGreaterThanOrEqual(reads, 7)  // before and after the warm-up, then one per iteration
    if let series = out.series {
      XCTAssertEqual(series[5] - series[0], 5 * 64 * 1024)
    } else {
      XCTFail("a repeat's result has a series")
    }
  }

  func testFlatFootprintPassesWithoutCallingTheFailureHandler() {
    let log = FailureLog()
    let (verdict, out, _) = scriptedRepeat(step: 0, log: log)
    XCTAssertEqual(verdict, .pass)
    XCTAssertEqual(log.verdicts, [])
    XCTAssertEqual(out.retained_bytes, 0)
  }

  func testEnumsAndPlainFunctions() {
    // Closed enums: this switch needs no default.
    func name(_ v: MemgateVerdict) -> String {
      switch v {
      case .pass: return "pass"
      case .leak: return "leak"
      case .regression: return "regression"
      case .error: return "error"
      }
    }
    for v in [MemgateVerdict.pass, .leak, .regression, .error] {
      XCTAssertEqual(String(cString: memgate_verdict_name(v)), name(v))
    }
    XCTAssertEqual(MemgateKind.scope.rawValue, 0)
    XCTAssertEqual(String(cString: memgate_err_name(Int32(MEMGATE_EINVAL))), "MEMGATE_EINVAL")
    XCTAssertEqual(String(cString: memgate_version()),
                   "\(MEMGATE_VERSION_MAJOR).\(MEMGATE_VERSION_MINOR).\(MEMGATE_VERSION_PATCH)")

    var fp = memgate_footprint()
    XCTAssertEqual(memgate_read(&fp), 0)
    XCTAssertGreaterThan(fp.footprint_bytes, 0)
    XCTAssertEqual(memgate_read(nil), Int32(MEMGATE_EINVAL))

    var growth = memgate_growth()
    let series: [UInt64] = [0, 4096, 8192, 12288, 16384]
    XCTAssertEqual(memgate_series_growth(series, UInt32(series.count), 4096, 1024, 6, &growth), 0)
    XCTAssertTrue(growth.leak)
    XCTAssertEqual(growth.growth, 16384)

    // The regular-step rule: 8 of 9 steps add the same 32 bytes.
    let steps: [UInt64] = [0, 32, 64, 96, 96, 128, 160, 192, 224, 256]
    XCTAssertEqual(memgate_series_regular(steps, UInt32(steps.count), 8, &growth), 0)
    XCTAssertTrue(growth.leak)
    XCTAssertEqual(growth.rule, 3)
    XCTAssertEqual(growth.step_bytes, 32)
    XCTAssertEqual(growth.step_count, 8)

    var opts = memgate_options()
    XCTAssertEqual(memgate_options_init(&opts), 0)
    XCTAssertEqual(opts.heap_regular_steps, 8)
  }
}

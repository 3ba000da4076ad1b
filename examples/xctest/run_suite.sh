#!/bin/sh
# run_suite.sh - runs the XCTest executable that `make xctest` built, then
# checks that the suite can fail. Usage:
#   run_suite.sh BINARY MODULE LOG_DIR TEST_FILE...
#
# 1. The whole suite: it must pass, and it must run every `func test` of the
#    TEST_FILEs (the executable's test list is written by hand in
#    linux/main.swift, so a forgotten entry shows up here).
# 2. The buggy-room test with MEMGATE_XCTEST_NO_CAPTURE=1, which lets the
#    failure memgate reports reach XCTest: the test must fail, and the failure
#    must be memgate's leak report on the line of the assertNoLeak call.
# 3. The buggy-room test with memgate's leak thresholds set out of reach: no
#    leak is reported, so the test (which expects one) must fail.
# 4. When SITES_LIB (libmemgate-sites.so) is set in the environment: the
#    buggy-room test under the allocation-site recorder, captured (the test
#    itself then asserts that its failure names the site) and not captured
#    (XCTest's error line must carry "where: alloc_touched ...live_room.c:N"
#    and what keeps the frames alive: the cache entry that live_room_leave
#    inserts, from the global cache_head).
# Prints "xctest: N tests ran, 0 failures" and exits 0 when all of them hold.
set -u
bin=$1 module=$2 logs=$3
shift 3
buggy=LiveRoomMemoryTests/testBuggyRoomLeakIsRecordedAtTheAssertingLine
tests=
for f in "$@"; do case $f in */LiveRoomMemoryTests.swift) tests=$f;; esac; done
mkdir -p "$logs"
fail() { echo "xctest: FAIL: $*" >&2; exit 1; }
[ -n "$tests" ] || fail "LiveRoomMemoryTests.swift is not among the test files: $*"

expected=$(cat "$@" | grep -c '^[[:space:]]*func test[A-Za-z0-9_]*()')
"$bin" > "$logs/suite.log" 2>&1
rc=$?
cat "$logs/suite.log"
summary=$(grep 'Executed [0-9]* tests\{0,1\}, with' "$logs/suite.log" | tail -n 1)
ran=$(echo "$summary" | sed -n 's/.*Executed \([0-9]*\) tests\{0,1\}, with.*/\1/p')
failures=$(echo "$summary" | sed -n 's/.*with \([0-9]*\) failures\{0,1\}.*/\1/p')
[ "$rc" = 0 ] || fail "the suite exited with status $rc (see above)"
[ -n "$ran" ] && [ "$failures" = 0 ] || fail "no passing XCTest summary line in $logs/suite.log"
[ "$ran" = "$expected" ] || \
  fail "$ran tests ran but the test files have $expected; add the missing ones to linux/main.swift"

line=$(grep -n 'assertNoLeak("xctest.live_room_buggy.visit"' "$tests" | head -n 1 | cut -d: -f1)
[ -n "$line" ] || fail "no assertNoLeak(\"xctest.live_room_buggy.visit\" ...) call in $tests"
file=$(basename "$tests")

MEMGATE_XCTEST_NO_CAPTURE=1 "$bin" "$module.$buggy" > "$logs/no-capture.log" 2>&1
rc=$?
grep -q 'Executed 1 test, with' "$logs/no-capture.log" || fail "$buggy did not run (see $logs/no-capture.log)"
[ "$rc" != 0 ] || fail "without the capture, $buggy passed; it must fail (see $logs/no-capture.log)"
grep -q "$file:$line: error: .*memgate: xctest.live_room_buggy.visit: leak:" "$logs/no-capture.log" || \
  fail "without the capture, memgate's leak was not reported at $file:$line (see $logs/no-capture.log)"
echo "xctest: self-check 1: without the capture the buggy-room test fails, with memgate's leak at $file:$line"

far=1125899906842624 # 2^50, the largest threshold memgate accepts
MEMGATE_MIN_GROWTH=$far MEMGATE_MIN_SLOPE=$far MEMGATE_HEAP_MIN_GROWTH=$far MEMGATE_HEAP_MIN_SLOPE=$far \
  MEMGATE_HEAP_REGULAR=0 \
  "$bin" "$module.$buggy" > "$logs/blind.log" 2>&1
rc=$?
grep -q 'Executed 1 test, with' "$logs/blind.log" || fail "$buggy did not run (see $logs/blind.log)"
[ "$rc" != 0 ] || fail "with the leak rule switched off, $buggy passed; it must fail (see $logs/blind.log)"
grep -q 'memgate should have reported one leak' "$logs/blind.log" || \
  fail "with the leak rule switched off, $buggy failed for another reason (see $logs/blind.log)"
echo "xctest: self-check 2: when memgate reports no leak, the buggy-room test fails"

if [ -n "${SITES_LIB:-}" ]; then
  MEMGATE_SITES=1 LD_PRELOAD="$SITES_LIB" "$bin" "$module.$buggy" > "$logs/sites.log" 2>&1 || \
    fail "under the site recorder, $buggy failed: its failure must name the site (see $logs/sites.log)"
  MEMGATE_SITES=1 LD_PRELOAD="$SITES_LIB" MEMGATE_XCTEST_NO_CAPTURE=1 "$bin" "$module.$buggy" \
    > "$logs/sites-no-capture.log" 2>&1
  grep -q "$file:$line: error: .*memgate: xctest.live_room_buggy.visit: leak: .*; where: alloc_touched [^ ]*live_room.c:[0-9]" \
    "$logs/sites-no-capture.log" || \
    fail "under the site recorder, XCTest's failure does not name the site (see $logs/sites-no-capture.log)"
  grep -q "$file:$line: error: .*; kept alive by: .*gift_cache_put [^ ]*live_room.c:[0-9]* (from live_room_leave [^ ]*live_room.c:[0-9]*) <- global cache_head" \
    "$logs/sites-no-capture.log" || \
    fail "under the site recorder, XCTest's failure does not say what keeps the frames (see $logs/sites-no-capture.log)"
  echo "xctest: self-check 3: under the site recorder, XCTest's failure names the site:" \
    "$(grep -o 'where: alloc_touched [^ ]* <- [^ ]* [^ ]*' "$logs/sites-no-capture.log" | head -n 1)" \
    "... kept alive by ... $(grep -o 'gift_cache_put [^ ]* (from live_room_leave [^ ]*) <- global cache_head' \
      "$logs/sites-no-capture.log" | head -n 1)"
fi

echo "xctest: $ran tests ran, 0 failures"

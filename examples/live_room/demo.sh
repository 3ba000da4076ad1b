#!/bin/sh
# make demo: run the live-room example in both versions through
# `memgate run` (the measurement environment, then a check against the
# committed baselines in baselines/) and say plainly whether memgate told
# them apart. Usage: demo.sh BUILD_DIR
B=${1:-build}
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
MG="$B/memgate"
status=0

# The demo stands alone: its own baselines, fresh results, no record mode.
MEMGATE_BASELINES=${MEMGATE_BASELINES:-$root/baselines}
export MEMGATE_BASELINES
unset MEMGATE_RESULTS MEMGATE_UPDATE MEMGATE_STRICT MEMGATE_FAIL_ON_IMPROVEMENT

if [ -x "$MG" ]; then
  run() { "$MG" run -- "$B/live_room_demo" "$@"; }
  how="memgate run, baselines in $MEMGATE_BASELINES"
else
  echo "demo: $MG is not built: running the example without the memgate command"
  run() { "$B/live_room_demo" "$@"; }
  how="the example alone (no baselines)"
fi

out=$(mktemp "${TMPDIR:-/tmp}/memgate-demo.XXXXXX") || exit 1
trap 'rm -f "$out"' EXIT

echo "=== live room, correct version (leaving frees everything) ==="
run --correct
rc_ok=$?
echo
echo "=== live room, buggy version (gift frames kept in a global cache) ==="
run --buggy >"$out" 2>&1
rc_bug=$?
cat "$out"
echo
echo "=== demo outcome ($how) ==="
if [ "$rc_ok" = 0 ]; then
  echo "correct room: PASS (exit 0)"
else
  echo "correct room: unexpected exit $rc_ok (expected 0)"; status=1
fi
# The failure line of the test process ("NAME: leak:") or, under memgate
# run (which keeps the test process quiet), its summary ("LEAK  NAME").
if [ "$rc_bug" = 1 ] && grep -qE 'live_room_buggy\.visit: leak|^LEAK +live_room_buggy\.visit ' "$out"; then
  if [ -x "$MG" ] && ! grep -qE 'live_room_buggy\.gift: regression|^REGRESSION +live_room_buggy\.gift ' "$out"; then
    echo "buggy room:   exit 1, but the gift scope was not reported as a regression of its baseline"; status=1
  else
    echo "buggy room:   FAIL as expected (exit 1): memgate reported the memory kept per visit (leak)"
    [ -x "$MG" ] && echo "              and the gift scope's retained memory above its baseline (regression)"
  fi
else
  echo "buggy room:   unexpected exit $rc_bug (expected 1 with a leak report)"; status=1
fi

# The report: both rooms measured once more in the same environment, one
# self-contained HTML page (docs: README, "Report").
if [ -x "$MG" ]; then
  mkdir -p "$B/report"
  res="$B/report/live_room-results.jsonl"
  rm -f "$res"
  MEMGATE_RESULTS="$res" "$MG" run -- "$B/live_room_demo" --both >/dev/null 2>&1
  if "$MG" report "$res" --html "$B/report/live_room.html" --title "live-room demo"; then
    echo "report:       $B/report/live_room.html"
  else
    echo "report:       could not be written"; status=1
  fi
fi
exit $status

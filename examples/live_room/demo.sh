#!/bin/sh
# make demo: run the live-room example in both versions and say plainly
# whether memgate told them apart. Usage: demo.sh BUILD_DIR
B=${1:-build}
status=0

echo "=== live room, correct version (leaving frees everything) ==="
"$B/live_room_demo" --correct
rc_ok=$?
echo
echo "=== live room, buggy version (gift frames kept in a global cache) ==="
"$B/live_room_demo" --buggy
rc_bug=$?
echo
echo "=== demo outcome ==="
if [ "$rc_ok" = 0 ]; then
  echo "correct room: PASS (exit 0)"
else
  echo "correct room: unexpected exit $rc_ok (expected 0)"; status=1
fi
if [ "$rc_bug" = 1 ]; then
  echo "buggy room:   FAIL as expected (exit 1): memgate reported the memory kept per visit"
else
  echo "buggy room:   unexpected exit $rc_bug (expected 1)"; status=1
fi
exit $status

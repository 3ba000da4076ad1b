#!/bin/sh
# The live-room report: runs build/live_room_demo --both with
# MEMGATE_RESULTS set and renders the results with memgate-report.
# usage: demo_report.sh BUILD_DIR OUT.html
# The results go next to the page (live_room-results.jsonl). Fails unless
# the buggy room's visit is a leak and the correct room's visit passes:
# the page exists to show that difference.
set -eu
B=${1:-build}
out=${2:-$B/report/live_room.html}
dir=$(dirname "$out")
mkdir -p "$dir"
res=$dir/live_room-results.jsonl
log=$dir/live_room_demo.log
rm -f "$res"
rc=0
MEMGATE_RESULTS=$res "$B/live_room_demo" --both >"$log" 2>&1 || rc=$?
if [ "$rc" != 1 ]; then
  echo "demo_report: $B/live_room_demo --both exited $rc (expected 1: the buggy room leaks); see $log" >&2
  exit 1
fi
python3 - "$res" <<'PY'
import json, sys
got = {}
with open(sys.argv[1], encoding="utf-8") as f:
    for line in f:
        if line.strip():
            r = json.loads(line)
            got[r["name"]] = r["verdict"]
want = {"live_room_buggy.visit": "leak", "live_room.visit": "pass"}
bad = ["%s is %s, expected %s" % (k, got.get(k, "missing"), v) for k, v in want.items() if got.get(k) != v]
if bad:
    sys.exit("demo_report: " + "; ".join(bad) + " (" + sys.argv[1] + ")")
PY
"$B/memgate-report" "$res" --html "$out" --title "live-room demo"

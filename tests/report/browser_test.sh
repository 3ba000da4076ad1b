#!/bin/sh
# The report in a real browser (make report-browser; part of make test).
#
# 1. Installs Chromium with apt-get when it is missing and this runs as root
#    (CI: a fresh Debian machine); otherwise fails saying what to install.
#    CHROMIUM names another binary; REPORT_BROWSER=skip skips this test
#    (saying so).
# 2. Renders the live-room report from fresh results (demo_report.sh) and
#    checks it in headless Chromium (browser_check.py): no console message,
#    the page's scripts ran and recorded no error, the screenshot is not
#    blank and shows the footprint blue and the leak red; the 500-scope
#    report (gen_inputs.py) clips no table column at 1024 and 1600 px.
#    The history page over 12 recorded runs renders with one chart per scope
#    at 1024 and 1600 px (see below).
# 3. Proves those checks can fail: a blank page, a page that throws, a page
#    that logs an error, the report with a throwing script added, the report
#    loading an image from the network (blocked by its security policy), and
#    the report cut in half. Each must fail with the expected check.
#
# usage: browser_test.sh BUILD_DIR
set -u
B=${1:-build}
here=$(dirname "$0")
out=$B/report/browser
CHROMIUM=${CHROMIUM:-chromium}
export CHROMIUM

# An explicit opt-out for machines that cannot have a browser; CI never sets it.
if [ "${REPORT_BROWSER:-}" = skip ]; then
  echo "browser test: SKIPPED (REPORT_BROWSER=skip)"
  exit 0
fi

if ! command -v "$CHROMIUM" >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    echo "browser test: $CHROMIUM not found; running apt-get install -y chromium"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq &&
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
  fi
  if ! command -v "$CHROMIUM" >/dev/null 2>&1; then
    echo "browser test: FAIL: $CHROMIUM not found and not installable here (needs root and apt-get)." >&2
    echo "browser test: install the chromium package, or set CHROMIUM=/path/to/chromium" >&2
    exit 1
  fi
fi

rm -rf "$out"
mkdir -p "$out"
sh "$here/demo_report.sh" "$B" "$out/live_room.html" || exit 1

pass=0
fail=0
failed=
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); failed="$failed $1"; echo "FAIL $1: $2"; }

# The real report must pass every check.
if python3 "$here/browser_check.py" --png "$out/live_room.png" --expect-color 2563eb:300 \
    --expect-color dc2626:100 "$out/live_room.html" >"$out/live_room.log" 2>&1; then
  ok "live-room report renders (screenshot $out/live_room.png)"
else
  bad "live-room report" "$(cat "$out/live_room.log")"
fi

# The 500-scope page (two results files: with its Source column) clips no
# column at 1024 and at 1600 px, and the clip check can fail.
python3 "$here/gen_inputs.py" "$out" >/dev/null || exit 1
"$B/memgate-report" "$out/many.jsonl" "$here/inputs/gate.jsonl" --baselines "$out/baselines" \
  --html "$out/many.html" >/dev/null 2>&1 || exit 1
for w in 1024 1600; do
  if python3 "$here/browser_check.py" --no-clip --size "$w,1400" "$out/many.html" >"$out/many-$w.log" 2>&1; then
    ok "500-scope report at $w px: no clipped column"
  else
    bad "500-scope report at $w px" "$(cat "$out/many-$w.log")"
  fi
done
# (the small live-room page with a widened table: cheap to load on a busy machine)
sed 's#</style>#table{min-width:3000px}</style>#' "$out/live_room.html" >"$out/many-wide.html"
if python3 "$here/browser_check.py" --no-clip --size 1024,1400 "$out/many-wide.html" >"$out/many-wide.log" 2>&1; then
  bad "a clipped table" "the browser check passed; it must fail (clip)"
elif grep -q "^FAIL clip:" "$out/many-wide.log"; then
  ok "a clipped table is caught (clip)"
else
  bad "a clipped table" "failed, but not with the 'clip' check: $(cat "$out/many-wide.log")"
fi

# The history page (memgate report --history) over 12 recorded runs of
# tests/history/hist_prog.c, each at its own commit (GITHUB_SHA for some,
# MEMGATE_COMMIT for others), the cache scope leaking from the 8th on: one
# chart per scope (3), the failing commits red, no console error, no
# clipped column at 1024 and 1600 px; and the count check can fail.
mkdir -p "$out/history" "$out/history-bl"
i=1
while [ $i -le 12 ]; do
  c=$(printf 'browser-run-%d' $i | sha1sum | cut -c1-40)
  leak=0; [ $i -ge 8 ] && leak=1
  if [ $((i % 2)) = 0 ]; then set -- GITHUB_SHA="$c"; else set -- MEMGATE_COMMIT="$c"; fi
  env -u MEMGATE_COMMIT -u GITHUB_SHA "$@" HIST_LEAK=$leak MEMGATE_QUIET=1 \
    MEMGATE_RESULTS="$out/history/run$(printf %02d $i).jsonl" "$B/tests/hist_prog" >/dev/null 2>&1
  i=$((i + 1))
done
plat=$(sed -n '1s/.*"platform":"\([^"]*\)".*/\1/p' "$out/history/run01.jsonl")
printf '{"format":1,"scopes":{"hist.cache":{"%s":{"kind":"repeat","iterations":10,"retained_bytes":0}}}}\n' \
  "$plat" >"$out/history-bl/hist.json"
if "$B/memgate-report" --history --baselines "$out/history-bl" "$out/history" --html "$out/history.html" \
    >"$out/history-gen.log" 2>&1 && grep -q "12 commits, 3 scopes" "$out/history-gen.log"; then
  for w in 1024 1600; do
    if python3 "$here/browser_check.py" --no-clip --size "$w,1400" --expect-count hchart:3 \
        --expect-color dc2626:30 --expect-color 2563eb:100 "$out/history.html" >"$out/history-$w.log" 2>&1; then
      ok "history page (12 commits) at $w px: 3 charts, no console error, no clipped column"
    else
      bad "history page at $w px" "$(cat "$out/history-$w.log")"
    fi
  done
  if python3 "$here/browser_check.py" --expect-count hchart:4 "$out/history.html" >"$out/history-count.log" 2>&1; then
    bad "a wrong chart count" "the browser check passed; it must fail (count)"
  elif grep -q "^FAIL count:" "$out/history-count.log"; then
    ok "a wrong chart count is caught (count)"
  else
    bad "a wrong chart count" "failed, but not with the 'count' check: $(cat "$out/history-count.log")"
  fi
else
  bad "history page" "memgate report --history failed: $(cat "$out/history-gen.log")"
fi

# Negative cases: each must fail, with this check named.
negative() { # NAME PAGE CHECK
  if python3 "$here/browser_check.py" "$2" >"$out/$1.log" 2>&1; then
    bad "$1" "the browser check passed; it must fail ($3)"
  elif grep -q "^FAIL $3:" "$out/$1.log"; then
    ok "$1 is caught ($3)"
  else
    bad "$1" "failed, but not with the '$3' check: $(cat "$out/$1.log")"
  fi
}
negative blank-page "$here/pages/blank.html" blank
negative throwing-page "$here/pages/throws.html" console
negative console-error-page "$here/pages/console_error.html" console
sed 's#</body>#<script>window.memgateMissing.x = 1;</script></body>#' "$out/live_room.html" >"$out/report-throws.html"
negative report-that-throws "$out/report-throws.html" dom
sed 's#</body>#<img src="http://192.0.2.1/x.png" alt=""/></body>#' "$out/live_room.html" >"$out/report-network.html"
negative report-loading-from-network "$out/report-network.html" console
head -c "$(($(wc -c <"$out/live_room.html") / 2))" "$out/live_room.html" >"$out/report-truncated.html"
negative truncated-report "$out/report-truncated.html" dom

echo "browser test: $pass passed, $fail failed"
[ "$fail" = 0 ] || { echo "browser test: failed:$failed (logs in $out)" >&2; exit 1; }

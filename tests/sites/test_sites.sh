#!/bin/sh
# Runs tests/sites/sites_prog.c's cases under the preload and prints
# "sites: N passed, N failed".  usage: test_sites.sh LIB.so PROGRAM
# SITES_LIBDW=1 when the library was built with libdw (file:line checked).
# Not run under AddressSanitizer or valgrind: both replace malloc themselves,
# and an interposer preloaded under them would record their allocator, not
# the program's (docs/SITES.md).
lib=$1; prog=$2
case $lib in /*) ;; *) lib=$PWD/$lib ;; esac
pass=0; fail=0
if [ "${SITES_LIBDW:-0}" != 1 ]; then
  echo "test-sites: note: built without libdw (install libdw-dev): file:line not checked, names only"
fi
if [ "${SITES_LIBUNWIND:-0}" != 1 ]; then
  echo "test-sites: note: built without libunwind (install libunwind-dev): unwinding with backtrace()"
fi
run() { # name env... -- case
  name=$1; shift
  echo "== sites: $name"
  if env "$@" LD_PRELOAD="$lib" SITES_LIBDW="${SITES_LIBDW:-0}" "$prog" "$name"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); echo "FAILED: sites $name" >&2
  fi
}
run leaks MEMGATE_SITES=1
run family MEMGATE_SITES=1
run threads MEMGATE_SITES=1
run fork MEMGATE_SITES=1
run holders MEMGATE_SITES=1
# The footprint view: recording must not add to what the program's own
# allocations grow RssAnon by (the tables are touched before main).
echo "== sites: footprint"
with=$(MEMGATE_SITES=1 LD_PRELOAD="$lib" "$prog" footprint) || with=fail
without=$(MEMGATE_SITES=0 LD_PRELOAD="$lib" "$prog" footprint) || without=fail
w=$(echo "$with" | sed -n 's/^rss_anon_growth_kb=//p'); wo=$(echo "$without" | sed -n 's/^rss_anon_growth_kb=//p')
echo "$with" | grep -v '^rss_anon'
echo "  RssAnon growth: ${w:-?} kB recording, ${wo:-?} kB not recording"
if [ -n "$w" ] && [ -n "$wo" ] && [ "$w" -le $((wo + 256)) ]; then pass=$((pass + 1)); else
  fail=$((fail + 1)); echo "FAILED: sites footprint: $with / $without" >&2; fi
run full MEMGATE_SITES=1 MEMGATE_SITES_BLOCKS=1000
# A C++ frame without debug information: named by its demangled symbol.
if [ -n "${SITES_CXX:-}" ]; then
  echo "== sites: C++ names demangled"
  if MEMGATE_SITES=1 LD_PRELOAD="$lib" "$SITES_CXX"; then pass=$((pass + 1)); else
    fail=$((fail + 1)); echo "FAILED: sites C++ names demangled" >&2; fi
fi
run disabled MEMGATE_SITES=0
# A malformed table size: a clear message, the program still runs, not recording.
echo "== sites: bad MEMGATE_SITES_BLOCKS"
out=$(MEMGATE_SITES=1 MEMGATE_SITES_BLOCKS=lots LD_PRELOAD="$lib" "$prog" disabled 2>&1)
if [ $? = 0 ] && echo "$out" | grep -q 'MEMGATE_SITES_BLOCKS="lots" is not a count'; then
  pass=$((pass + 1))
else
  fail=$((fail + 1)); echo "FAILED: sites bad MEMGATE_SITES_BLOCKS: $out" >&2
fi
# libmemgate's side: MEM_REPEAT under `memgate run --sites` names the sites.
if [ -n "${MEMGATE:-}" ] && [ -n "${SITES_REPEAT:-}" ]; then
  echo "== sites: memgate run --sites (MEM_REPEAT)"
  res=$(mktemp "${TMPDIR:-/tmp}/sites-results.XXXXXX")
  MEMGATE_SITES_LIB="$lib" "$MEMGATE" run --sites --results "$res" -- "$SITES_REPEAT" >/dev/null 2>&1
  st=$?
  if [ "$st" = 1 ] && python3 tests/sites/check_sites.py "$res" tests/sites/sites_repeat.c "${SITES_LIBDW:-0}"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); echo "FAILED: sites memgate run --sites (exit $st)" >&2; cat "$res" >&2
  fi
  # The loader reads "sites" strictly: memgate check shows the site; a bad
  # frame or an unknown member is refused at its line:column (exit 2).
  echo "== sites: memgate check reads \"sites\""
  ok=1
  out=$("$MEMGATE" check "$res" 2>&1); st=$?
  [ "$st" = 1 ] && echo "$out" | grep -q 'where: decode_image' || { ok=0; echo "check: exit $st: $out" >&2; }
  decode_line=$(grep -n 'SITE: decode_image' tests/sites/sites_repeat.c | cut -d: -f1)
  # refused LABEL SED_EXPR PATTERN: the line edited by SED_EXPR must exit 2 with PATTERN.
  refused() {
    grep '"sites.two_leaks"' "$res" | sed "$2" > "$res.bad"
    out=$("$MEMGATE" check "$res.bad" 2>&1); st=$?
    [ "$st" = 2 ] && echo "$out" | grep -q "$3" || { ok=0; echo "$1: exit $st: $out" >&2; }
  }
  refused "bad line" "s/\"line\":$decode_line}/\"line\":\"x\"}/" "$res.bad:1:[0-9]*: \"line\""
  refused unknown 's/"share":/"colour":1,"share":/' 'unknown field "colour"'
  refused "kept_by root" 's/"root":"none"/"root":"heap"/' "$res.bad:1:[0-9]*: \"root\" must be"
  refused "kept_by examined" 's/"examined":/"examined":-/' "$res.bad:1:[0-9]*: \"examined\""
  rm -f "$res.bad"
  if [ "$ok" = 1 ]; then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: sites memgate check" >&2; fi
  # The HTML report's "where" table, and the page in the browser when there is one.
  echo "== sites: memgate report \"where\" table"
  html="$res.html"
  "$MEMGATE" report --html "$html" "$res" >/dev/null 2>&1
  if python3 - "$html" "sites_repeat.c:$decode_line" <<'PYEOF'
import re, sys
page = open(sys.argv[1], encoding="utf-8").read()
tables = re.findall(r'<div class="tablebox where">(.*?)</table>', page, re.S)
assert len(tables) == 3, "want 3 where tables (repeat, scope, loop), got %d" % len(tables)
rows = [re.findall(r"<tr><td[^>]*>(.*?)</td>", t, re.S) for t in tables]
two = [r for r in rows if len(r) == 2 and r[0].startswith("decode_image") and r[1].startswith("cache_thumbnail")]
assert len(two) == 1 and sys.argv[2] in two[0][0] and "decode_frame" in two[0][0], rows
assert sum("per iteration" in t for t in tables) == 2 and sum(">held<" in t for t in tables) == 1
kept = re.findall(r'<div class="kept">(.*?)</div>', page, re.S)
assert any("global thumbs" in k for k in kept) and any("nothing (unreachable" in k for k in kept), kept
PYEOF
  then
    if command -v "${CHROMIUM:-chromium}" >/dev/null 2>&1; then
      if python3 tests/report/browser_check.py "$html" > "$res.browser" 2>&1; then pass=$((pass + 1))
      else fail=$((fail + 1)); echo "FAILED: sites report in the browser" >&2; cat "$res.browser" >&2; fi
    else
      echo "  browser check skipped: chromium not installed"; pass=$((pass + 1))
    fi
  else
    fail=$((fail + 1)); echo "FAILED: sites report where table" >&2
  fi
  rm -f "$html" "$res.browser"
  # The buggy live room: the failure names the frames' allocation and what
  # keeps them alive, through the cache entry allocated at the insertion.
  if [ -n "${LIVE_ROOM_DEMO:-}" ] && [ "${SITES_LIBDW:-0}" = 1 ]; then
    echo "== sites: the buggy live room names the gift-cache insertion line"
    lr="$res.live"
    MEMGATE_SITES_LIB="$lib" "$MEMGATE" run --sites --results "$lr" -- "$LIVE_ROOM_DEMO" --buggy >/dev/null 2>&1
    src=examples/live_room/live_room.c
    ins=$(grep -n 'gift_cache_put(room->serial' $src | cut -d: -f1)
    ent=$(grep -n 'cache_entry \*e = malloc' $src | cut -d: -f1)
    if python3 - "$lr" "$ins" "$ent" <<'PYEOF'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
r = [x for x in rows if x["name"] == "live_room_buggy.visit"]
assert len(r) == 1 and r[0]["verdict"] == "leak", [x["name"] + ":" + x["verdict"] for x in rows]
msg = r[0]["message"]
want = "gift_cache_put examples/live_room/live_room.c:%s (from live_room_leave examples/live_room/live_room.c:%s)" % (sys.argv[3], sys.argv[2])
assert "; where: alloc_touched examples/live_room/live_room.c:" in msg and want in msg, msg
assert "<- global cache_head" in msg, msg
k = r[0]["sites"][0]["kept_by"]
assert k["root"] == "global" and k["global"]["symbol"] == "cache_head", k
print("  " + msg[msg.find("kept alive by"):msg.find("; also")])
PYEOF
    then pass=$((pass + 1)); else fail=$((fail + 1)); echo "FAILED: sites live room insertion line" >&2; fi
    rm -f "$lr"
  fi
  # Without --sites: no "sites" field, the same verdict.
  echo "== sites: memgate run without --sites"
  : > "$res"
  "$MEMGATE" run --results "$res" -- "$SITES_REPEAT" >/dev/null 2>&1
  st=$?
  if [ "$st" = 1 ] && ! grep -q '"sites"' "$res" && grep -q '"verdict":"leak"' "$res"; then
    pass=$((pass + 1))
  else
    fail=$((fail + 1)); echo "FAILED: sites memgate run without --sites (exit $st)" >&2
  fi
  rm -f "$res"
fi
echo "sites: $pass passed, $fail failed"
[ "$fail" = 0 ]

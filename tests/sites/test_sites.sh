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

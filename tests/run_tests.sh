#!/bin/sh
# Runs each test binary (optionally under valgrind) and prints one summary
# line "N passed, N failed". Exits non-zero when any binary failed.
vg=""
if [ "${1:-}" = "--valgrind" ]; then
  shift
  vg="valgrind --quiet --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite,indirect --track-fds=no"
fi
pass=0; fail=0; failed=""
for t in "$@"; do
  echo "== $t"
  if $vg "$t"; then pass=$((pass + 1)); else fail=$((fail + 1)); failed="$failed $t"; fi
done
echo "test binaries: $pass passed, $fail failed"
[ "$fail" = 0 ] || { echo "failed:$failed" >&2; exit 1; }

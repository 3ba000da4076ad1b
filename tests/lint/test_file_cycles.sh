#!/bin/sh
# Proves file_cycles.py fails on a circle and passes on a one-way chain.
set -u
here=$(dirname "$0")
t=$(mktemp -d "${TMPDIR:-/tmp}/memgate-cycles.XXXXXX") || exit 2
trap 'rm -rf "$t"' EXIT
mkdir "$t/circle" "$t/chain"
printf 'int a(void) { return b(); }\n' > "$t/circle/a.c"
printf 'static int h(void) { return 1; }\nint b(void) { return a() + h(); }\n' > "$t/circle/b.c"
printf 'int a(void) { return b(); }\n' > "$t/chain/a.c"
printf 'static int a2(void) { return 0; }\nint b(void) { return a2(); }\n' > "$t/chain/b.c"
fail=0
if python3 "$here/file_cycles.py" "$t/circle" >"$t/out" 2>&1; then
  echo "FAIL file_cycles: a circle a.c <-> b.c passed"; fail=1
elif ! grep -q 'a.c -> .*b.c (calls b)' "$t/out"; then
  echo "FAIL file_cycles: the circle report does not name a.c -> b.c"; cat "$t/out"; fail=1
fi
if ! python3 "$here/file_cycles.py" "$t/chain" >"$t/out" 2>&1; then
  echo "FAIL file_cycles: a one-way chain was reported"; cat "$t/out"; fail=1
fi
[ $fail = 0 ] && echo "file_cycles self-test: 2 passed, 0 failed"
exit $fail

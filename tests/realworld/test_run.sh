#!/bin/sh
# test_run.sh - checks run.sh's counting, its report and its gate on fake
# cases (shell scripts that print a verdict), with no library and no
# memgate: a right verdict counts as right, a wrong one and a missing one
# as wrong, in every mode; --gate 1 fails on a wrong verdict, --gate 0
# does not. `make realworld-selftest` runs it; realworld and
# realworld-quick run it first.
set -u
here=$(cd "$(dirname "$0")" && pwd)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/memgate-rw-test.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
fail() { echo "realworld selftest: FAIL: $*" >&2; exit 1; }

b=$tmp/build
mkdir -p "$b"
# fake NAME EXPECTED VERDICT: a case program printing that verdict.
fake() { printf '#!/bin/sh\necho "rw-verdict %s %s %s"\necho "rw-message %s fake"\n' "$1" "$2" "$3" "$1" > "$b/$1"
         chmod +x "$b/$1"; }
fake right_leak leak leak
fake wrong_pass pass leak
printf '#!/bin/sh\necho "no verdict here"\nexit 3\n' > "$b/silent"; chmod +x "$b/silent"
printf '#!/bin/sh\necho "rw-order right_leak wrong_pass silent"\n"%s/right_leak"\n"%s/wrong_pass"\n' "$b" "$b" > "$b/rw_all"
chmod +x "$b/rw_all"
# A stand-in for `memgate run --results F --format text -- CMD...`.
printf '#!/bin/sh\nwhile [ "$1" != "--" ]; do shift; done\nshift\nexec "$@"\n' > "$tmp/memgate"; chmod +x "$tmp/memgate"
cat > "$tmp/cases.list" <<'LIST'
# test cases
right_leak | zlib | fake | leak | right
wrong_pass | zlib | fake | pass | wrong
silent     | zlib | fake | pass | prints nothing
LIST

sh "$here/run.sh" --build "$b" --memgate-cmd "$tmp/memgate" --cases "$tmp/cases.list" --runs 2 --seeds 1 --fixed 1 \
  --no-tools --gate 1 > "$tmp/gate1.md" 2> "$tmp/gate1.err"
rc=$?
[ "$rc" = 1 ] || fail "--gate 1 with wrong verdicts exited $rc, not 1: $(tail -n 3 "$tmp/gate1.err")"
grep -q '^| right_leak | fake | leak | right | 2/2 | 2/2 | 2/2 / 2/2 |' "$tmp/gate1.md" || fail "right_leak not 2/2 everywhere: $(cat "$tmp/gate1.md")"
grep -q '^| wrong_pass | fake | pass | wrong | \*\*0/2\*\* | \*\*0/2\*\* | \*\*0/2\*\* / \*\*0/2\*\* |' "$tmp/gate1.md" || \
  fail "wrong_pass not counted wrong: $(cat "$tmp/gate1.md")"
grep -q '^| silent | fake | pass | prints nothing | \*\*0/2\*\* | \*\*0/2\*\* | \*\*0/2\*\* / \*\*0/2\*\* |' "$tmp/gate1.md" || \
  fail "a case with no verdict not counted wrong: $(cat "$tmp/gate1.md")"
grep -q '^4 of 12 case × mode cells right' "$tmp/gate1.md" || fail "cell count wrong: $(grep cells "$tmp/gate1.md")"
grep -q '^- \*\*wrong_pass\*\* (bare, fresh run 1): expected pass, got leak' "$tmp/gate1.md" || \
  fail "wrong verdict not listed: $(cat "$tmp/gate1.md")"
grep -q 'expected pass, got no-verdict' "$tmp/gate1.md" || fail "missing verdict not listed"

sh "$here/run.sh" --build "$b" --memgate-cmd "$tmp/memgate" --cases "$tmp/cases.list" --runs 1 --seeds 0 --fixed 1 \
  --no-tools --only right_leak --gate 1 > "$tmp/only.md" 2> "$tmp/only.err" || fail "--gate 1 with right verdicts failed: $(cat "$tmp/only.err")"
sh "$here/run.sh" --build "$b" --memgate-cmd "$tmp/memgate" --cases "$tmp/cases.list" --quick \
  > /dev/null 2>&1 || fail "--gate 0 (the default) failed on wrong verdicts"
sh "$here/run.sh" --runs x > /dev/null 2>&1; [ $? = 2 ] || fail "--runs x was not a usage error"
echo "realworld selftest: counting, report and gate OK"

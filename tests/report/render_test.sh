#!/bin/sh
# memgate report on golden inputs (make report-test-render; part of make test).
#
# Renders tests/report/inputs/*.jsonl and the generated large inputs
# (gen_inputs.py: 500 results, a 10 000-point series) with
# $BUILD/memgate-report, then checks the page with check_html.py (well-formed,
# offline, escaped text, downsampled paths) and the Markdown with
# check_markdown.py; compares the Markdown of live_room.jsonl and gate.jsonl
# with their .md.expected files; and checks bad input and bad usage: exit 2
# with a message naming the file (and line), and no output written.
#
# usage: render_test.sh BUILD_DIR
set -u
B=${1:-build}
here=$(dirname "$0")
in=$here/inputs
bin=$B/memgate-report
out=$B/report/render
rm -rf "$out"
mkdir -p "$out"
python3 "$here/gen_inputs.py" "$out" || exit 1
# The baselines the inputs were judged against: memgate report judges them
# again, as memgate check does (tests/report/baselines/ for gate.jsonl).
cp "$here"/baselines/*.json "$out/baselines/" || exit 1

pass=0
fail=0
failed=
ok() { pass=$((pass + 1)); echo "ok   $1"; }
bad() { fail=$((fail + 1)); failed="$failed $1"; echo "FAIL $1"; [ -z "${2:-}" ] || echo "$2" | sed 's/^/     /'; }

# render NAME "INPUT..." [check_html.py options...]  (baselines: $bl)
bl=$out/baselines
render() {
  name=$1 inputs=$2
  shift 2
  # shellcheck disable=SC2086
  if ! "$bin" $inputs --baselines "$bl" --html "$out/$name.html" --markdown "$out/$name.md" \
      >"$out/$name.log" 2>&1; then
    bad "$name: memgate-report failed" "$(cat "$out/$name.log")"
    return
  fi
  if r=$(python3 "$here/check_html.py" "$out/$name.html" "$@" 2>&1); then
    ok "$name: html ($r)"
  else
    bad "$name: html" "$r"
  fi
  if r=$(python3 "$here/check_markdown.py" "$out/$name.md" 2>&1); then
    ok "$name: markdown"
  else
    bad "$name: markdown" "$r"
  fi
}

# refuse NAME EXPECTED-STDERR ARGS...: exit 2, the message, nothing written
refuse() {
  name=$1 want=$2
  shift 2
  rm -f "$out/refused.html"
  rc=0
  "$bin" "$@" >"$out/$name.log" 2>&1 || rc=$?
  if [ "$rc" != 2 ]; then
    bad "$name: exit status $rc, expected 2" "$(cat "$out/$name.log")"
  elif ! grep -qF -- "$want" "$out/$name.log"; then
    bad "$name: message does not contain '$want'" "$(cat "$out/$name.log")"
  elif [ -e "$out/refused.html" ] || ls "$out" | grep -q '\.tmp'; then
    bad "$name: an output file was written"
  else
    ok "$name: exit 2, '$want'"
  fi
}

render one "$in/one.jsonl" --expect-text live_room.gift
render live_room "$in/live_room.jsonl" --failures-first --expect-text live_room_buggy.visit \
  --expect-text "memory keeps growing" --expect-text "examples/live_room/live_room_demo.c:54"
bl=$here/baselines render gate "$in/gate.jsonl" --failures-first --expect-text "+164.0 KiB (+64%)"
bl=$out/baselines
render point "$in/point.jsonl" --expect-text startup.once
render script "$in/script.jsonl" --expect-text "<script>alert(1)</script>" --forbid "<script>alert" \
  --forbid "<b>iteration" --expect-text "tests/<dir>/a&b.c:7" --expect-text "a|b"
render many "$out/many.jsonl" --failures-first --max-path-points 1300 --expect-text "470 passing scopes"
render long "$out/long.jsonl" --max-path-points 1200 --expect-text "long.series"
render two-files "$in/live_room.jsonl $in/gate.jsonl" --failures-first --expect-text "Source"
if grep -q '| Source |' "$out/two-files.md" && ! grep -q '| Source |' "$out/live_room.md"; then
  ok "two-files: a Source column (only when several results files are given)"
else
  bad "two-files: Source column"
fi

for g in live_room gate; do
  if diff -u "$in/$g.md.expected" "$out/$g.md" >"$out/$g.diff" 2>&1; then
    ok "$g: markdown matches $g.md.expected"
  else
    bad "$g: markdown differs from $g.md.expected" "$(cat "$out/$g.diff")"
  fi
done
if python3 "$here/check_markdown.py" --rows 500 "$out/many.md" >/dev/null; then
  ok "many: 500 table rows"
else
  bad "many: row count"
fi

refuse empty-file "$in/empty.jsonl: no results in this file" "$in/empty.jsonl" --html "$out/refused.html"
# A bad line is that line's error result; the rest of the file is shown.
render malformed-line "$in/one.jsonl $in/malformed.jsonl" --expect-text "$in/malformed.jsonl:3:" \
  --expect-text live_room.visit
refuse missing-file "no-such.jsonl" "$in/no-such.jsonl" --html "$out/refused.html"
refuse no-output "nothing to write" "$in/one.jsonl"
refuse no-input "no results files given" --html "$out/refused.html"
refuse unknown-option "unknown option --pdf" "$in/one.jsonl" --pdf "$out/refused.html"
refuse missing-value "--markdown needs a value" "$in/one.jsonl" --markdown
refuse unwritable "cannot write $out/no-such-dir/r.html" "$in/one.jsonl" --html "$out/no-such-dir/r.html"

if "$bin" --help | grep -q "^usage: memgate report RESULTS"; then ok "--help: exit 0, usage"; else bad "--help"; fi

# The checkers have teeth: broken copies of good output must fail them.
# catch SLUG DESCRIPTION CHECK SED-SCRIPT SOURCE [check_html.py options...]
catch() {
  slug=$1 name=$2 check=$3 script=$4 src=$5
  shift 5
  sed "$script" "$src" >"$out/broken-$slug.html"
  if r=$(python3 "$here/check_html.py" "$out/broken-$slug.html" "$@" 2>&1); then
    bad "check_html.py passed a page with $name"
  elif echo "$r" | grep -q "^FAIL $check"; then
    ok "check_html.py catches $name ($check)"
  else
    bad "check_html.py: $name failed other checks than $check" "$r"
  fi
}
catch unclosed "an unclosed div" well-formed '0,/<\/div>/s///' "$out/one.html"
catch selfclosed "a div closed as <div/>" well-formed \
  's#<div class="card-b">#<div class="card-b"/><div>#' "$out/one.html"
catch stylesheet "a stylesheet from the network" offline \
  's#</head>#<link rel="stylesheet" href="https://cdn.example/x.css"/></head>#' "$out/one.html"
catch image "an image from the network" offline \
  's#</footer>#<img src="http://example.com/x.png" alt=""/></footer>#' "$out/one.html"
catch import "an @import" offline 's#</style>#@import "x.css";</style>#' "$out/one.html"
catch nan "a NaN coordinate" numbers '0,/cy="[0-9.]*"/s//cy="nan"/' "$out/one.html"
catch unescaped "the scope name unescaped" forbid \
  's#&lt;script&gt;alert(1)&lt;/script&gt;#<script>alert(1)</script>#' "$out/script.html" --forbid "<script>alert"
catch order "a pass row first" failures-first \
  's/<tr class="fail">/<tr class="x">/;s/<tr class="pass">/<tr class="fail">/;s/<tr class="x">/<tr class="pass">/' \
  "$out/gate.html" --failures-first
printf '| a | b |\n|:--|:--|\n| 1 | 2 | 3 |\n' >"$out/broken.md"
if python3 "$here/check_markdown.py" "$out/broken.md" >/dev/null; then
  bad "check_markdown.py passed a table with a stray cell"
else
  ok "check_markdown.py catches a stray cell"
fi

echo "report render tests: $pass passed, $fail failed"
[ "$fail" = 0 ] || { echo "report render tests failed:$failed (outputs in $out)" >&2; exit 1; }

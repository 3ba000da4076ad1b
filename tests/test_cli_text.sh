#!/bin/sh
# Hostile text in results files through `memgate check` (issue 14, items 4,
# 6 and 9): a path, name or line the library would not write is an error
# naming file:line:column and never reaches the output; a message with
# line breaks cannot start a GitHub workflow command; JUnit XML stays
# well-formed (python3's xml.etree) with markup in paths, names and the
# results file's own name, and keeps the text.
#   BUILD=build tests/test_cli_text.sh       (from any directory)
set -u
cd "$(dirname "$0")/.." || exit 2
B=${BUILD:-build}
M="$B/memgate"
G=tests/cli
fails=0
checks=0
[ -x "$M" ] || { echo "test_cli_text: $M is not built" >&2; exit 2; }
command -v python3 >/dev/null 2>&1 || { echo "test_cli_text: python3 is needed" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/memgate-test-text.XXXXXX") || exit 2
trap 'rm -rf "$T"' EXIT
unset MEMGATE_BASELINES MEMGATE_RESULTS MEMGATE_STRICT MEMGATE_UPDATE MEMGATE_FAIL_ON_IMPROVEMENT \
  MEMGATE_PLATFORM CI GITHUB_ACTIONS GITHUB_STEP_SUMMARY GITHUB_WORKSPACE NO_COLOR

ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); printf "FAIL: %s\n" "$*"; }

# results FILE FIELD=JSON...: the gold.leak line of mixed.jsonl with fields
# replaced (values are JSON).
results() {
  out=$1; shift
  python3 - "$G/mixed.jsonl" "$out" "$@" <<'PY'
import json, sys
src, out, *sets = sys.argv[1:]
line = next(json.loads(l) for l in open(src) if '"gold.leak"' in l)
for s in sets:
    k, v = s.split("=", 1)
    line[k] = json.loads(v)
open(out, "w").write(json.dumps(line) + "\n")
PY
}

# run RC DESCRIPTION ARGS...: memgate check ARGS; stdout+stderr in $T/all.
run() {
  want=$1; what=$2; shift 2
  "$M" check --baselines "$G/baselines" "$@" >"$T/out" 2>"$T/err"
  got=$?
  cat "$T/out" "$T/err" >"$T/all"
  if [ "$got" = "$want" ]; then ok; else bad "$what: exit $got, want $want"; sed 's/^/  /' "$T/all" | head -10; fi
}
has() { # FILE TEXT DESCRIPTION
  if grep -qF -- "$2" "$1"; then ok; else bad "$3: no '$2' in:"; head -10 "$1" | sed 's/^/  /'; fi
}
no_command() { # FILE DESCRIPTION: no line that GitHub would read as a command other than WANT
  n=$(grep -c '^::' "$1")
  if [ "$n" = "$2" ]; then ok; else bad "$3: $n workflow-command lines, want $2:"; grep -n '^::' "$1" | head; fi
  if grep -q 'INJECTED' "$1" && grep -q '^[^:]*::error file=evil' "$1"; then bad "$3: injected annotation"; else ok; fi
  if grep -q "$(printf '\r')" "$1"; then bad "$3: a raw CR in the output"; else ok; fi
}

# ---------------------------------------------------------------- injected file
# The file field of issue 14 item 4, with LF and with CR: the loader rejects
# it (the library never writes it) and says where, under every format.
for nl in n r; do
  results "$T/file_$nl.jsonl" "file=\"x.c\\$nl::error file=evil.c,line=1::INJECTED\""
  for fmt in github text table; do
    run 2 "file with \\$nl, --format $fmt" --format "$fmt" "$T/file_$nl.jsonl"
    has "$T/err" "$T/file_$nl.jsonl:1:" "file with \\$nl, --format $fmt: names the line"
    if [ "$nl" = n ]; then cp=U+000A; else cp=U+000D; fi
    has "$T/err" "\"file\" has the control character $cp at byte offset 3" "file with \\$nl, --format $fmt"
    no_command "$T/all" 0 "file with \\$nl, --format $fmt"
  done
done

# Names, begin_file and lines the library would not write (issue 14 item 9).
results "$T/name.jsonl" 'name="gold.a\nb"'
run 2 "name with LF" --format github "$T/name.jsonl"
has "$T/err" "\"name\" has the control character U+000A" "name with LF"
no_command "$T/all" 0 "name with LF"
results "$T/c1.jsonl" 'name="gold.a\u0085b"'
run 2 "name with C1 (NEL)" "$T/c1.jsonl"
has "$T/err" "\"name\" has the control character U+0085 at byte offset 6" "name with C1"
results "$T/bfile.jsonl" 'begin_file="a\u001b[2J.c"'
run 2 "begin_file with ESC" "$T/bfile.jsonl"
has "$T/err" "\"begin_file\" has the control character U+001B" "begin_file with ESC"
results "$T/line.jsonl" 'line=-1'
run 2 "negative line" "$T/line.jsonl"
has "$T/err" "$T/line.jsonl:1:" "negative line: names the line"
has "$T/err" "\"line\" is -1 (a line is 0 to 2147483647)" "negative line"
results "$T/line2.jsonl" 'begin_line=-2147483648'
run 2 "INT32_MIN begin_line" "$T/line2.jsonl"
has "$T/err" "\"begin_line\" is -2147483648" "INT32_MIN begin_line"
results "$T/long.jsonl" "file=\"$(python3 -c 'print("d/" * 512)')\""
run 2 "1024-byte file" "$T/long.jsonl"
has "$T/err" "\"file\" is too long (a path is 1 to 1023 bytes)" "1024-byte file"

# ---------------------------------------------------------------- injected message
# Messages are free text: line breaks are escaped in text lines (\n) and
# in the annotation (%0A), so GitHub sees exactly one annotation.
for nl in n r; do
  results "$T/msg_$nl.jsonl" "message=\"grew\\$nl::error file=evil.c,line=1::INJECTED\""
  run 1 "message with \\$nl, --format github" --format github "$T/msg_$nl.jsonl"
  no_command "$T/all" 1 "message with \\$nl, --format github"
  if [ "$nl" = n ]; then esc='%0A'; else esc='%0D'; fi
  has "$T/out" "::error file=src/gold_test.c,line=30,title=memgate gold.leak%3A leak::grew$esc::error file=evil.c" \
    "message with \\$nl: one escaped annotation"
  # A leak's line leads with its message (the figure that fired), not with "retained".
  has "$T/out" "LEAK       gold.leak [linux-x86_64] src/gold_test.c:30: grew\\$nl::error" \
    "message with \\$nl: the text line shows \\$nl"
  for fmt in text table; do
    run 1 "message with \\$nl, --format $fmt" --format "$fmt" "$T/msg_$nl.jsonl"
    no_command "$T/all" 0 "message with \\$nl, --format $fmt"
    has "$T/out" "grew\\$nl::error file=evil.c,line=1::INJECTED" "message with \\$nl, --format $fmt"
  done
done

# memgate update says which results it does not record, message included:
# escaped there too (stderr of a CI step is read for workflow commands).
for nl in n r; do
  mkdir -p "$T/upd_$nl"
  "$M" update --baselines "$T/upd_$nl" "$T/msg_$nl.jsonl" >"$T/out" 2>"$T/err"
  no_command "$T/err" 0 "update: not-recorded message with \\$nl"
  has "$T/err" "not recording gold.leak" "update names the result it does not record (\\$nl)"
  has "$T/err" "grew\\$nl::error file=evil.c" "update shows the message's \\$nl escaped"
done

# ---------------------------------------------------------------- JUnit
# Markup in the path, the name and the results file's name: well-formed,
# the text kept exactly.
evil='src/a&b<c>/</failure><testcase name="x">.c'
mkdir -p "$T/d&<x>"
R="$T/d&<x>/r&<\"'>.jsonl"
results "$R" "file=$(python3 -c 'import json,sys; print(json.dumps(sys.argv[1]))' "$evil")" \
  'name="gold.<leak>&\"x\""' 'message="a </failure> & <b>"'
run 1 "junit with markup" --format github --junit "$T/junit.xml" "$R"
no_command "$T/all" 1 "junit with markup (github)"
has "$T/out" "::error file=src/a&b<c>/</failure><testcase name=\"x\">.c,line=30" "github annotation keeps the path"
has "$T/out" "LEAK       gold.<leak>&\"x\" [linux-x86_64] $evil:30:" "text line keeps the path"
if python3 - "$T/junit.xml" "$evil" "$R" <<'PY'
import sys, xml.etree.ElementTree as ET
path, evil, src = sys.argv[1:]
root = ET.parse(path).getroot()
cases = list(root.iter("testcase"))
assert len(cases) == 1, [c.attrib for c in cases]
c = cases[0]
assert c.get("file") == evil, c.get("file")
assert c.get("name") == 'gold.<leak>&"x"', c.get("name")
f = c.find("failure")
assert f is not None and f.get("type") == "leak", f
assert f.get("message") == "a </failure> & <b>", f.get("message")
assert f.text.startswith(evil + ":30: leak: a </failure> & <b>"), f.text
assert ("results: " + src + " line 1") in f.text, f.text
assert root.get("tests") == "1" and root.get("failures") == "1", root.attrib
PY
then ok; else bad "JUnit XML with markup in file, name and source"; fi

echo "test_cli_text: $checks checks, $fails failed"
[ "$fails" = 0 ]

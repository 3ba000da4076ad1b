#!/bin/sh
# The history across commits (make test-history; part of make test):
#   1. every results line says when and what it measured: time, host memory
#      and CPUs; the commit from MEMGATE_COMMIT (over GITHUB_SHA), GITHUB_SHA,
#      a real git checkout (the same as `git rev-parse HEAD`, also from a
#      subdirectory and a linked worktree), null outside one; a malformed
#      MEMGATE_COMMIT makes every result an error;
#   2. memgate history append: idempotent (byte-identical re-append), bounded
#      (thinning keeps the newest N, the verdict change, at most M), atomic
#      (a full or read-only file system, a path under a file: exit 2, the
#      file unchanged, no temporary left), bad input named file:line:col;
#   3. memgate report --history over 12 runs of tests/history/hist_prog.c:
#      one chart per scope, the first failure marked at the right commit, the
#      band from --baselines, strict HTML (check_html.py); bad input exit 2;
#   4. harness/scripts/memgate-history-push.sh on a local bare repository:
#      a push rejected because another job pushed first is retried onto the
#      new tip; two appenders running at once lose no run and double none.
# usage: tests/history/test_history.sh [BUILD_DIR]
set -u
cd "$(dirname "$0")/../.." || exit 2
B=${1:-build}
M=$PWD/$B/memgate
P=$PWD/$B/tests/hist_prog
PUSH=$PWD/harness/scripts/memgate-history-push.sh
CHECK_HTML=$PWD/tests/report/check_html.py
for x in "$M" "$P"; do [ -x "$x" ] || { echo "test_history: $x is not built" >&2; exit 2; }; done
command -v python3 >/dev/null 2>&1 || { echo "test_history: python3 is needed" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/memgate-test-history.XXXXXX") || exit 2
MOUNTS=
cleanup() { for m in $MOUNTS; do umount "$m" 2>/dev/null; done; rm -rf "$T"; }
trap cleanup EXIT
unset MEMGATE_BASELINES MEMGATE_RESULTS MEMGATE_STRICT MEMGATE_UPDATE MEMGATE_PLATFORM MEMGATE_COMMIT GITHUB_SHA \
  GIT_DIR GIT_WORK_TREE CI GITHUB_ACTIONS GITHUB_STEP_SUMMARY GLIBC_TUNABLES
export MEMGATE_QUIET=1
fails=0
checks=0
ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); echo "FAIL: $*"; }
expect() { # RC DESCRIPTION -- COMMAND...
  want=$1; what=$2; shift 3
  "$@" >"$T/out" 2>"$T/err"
  got=$?
  if [ "$got" = "$want" ]; then ok; else
    bad "$what: exit $got, want $want"; sed 's/^/  out: /' "$T/out" | head -10; sed 's/^/  err: /' "$T/err" | head -10
  fi
}
has() { if grep -qF -- "$2" "$1"; then ok; else bad "$3: no '$2' in:"; head -10 "$1" | sed 's/^/  /'; fi; }
same() { if cmp -s "$1" "$2"; then ok; else bad "$3: $1 changed"; fi; }
eq() { if [ "$1" = "$2" ]; then ok; else bad "$3: got '$1', want '$2'"; fi; }
# field FILE KEY: the KEY of the last line of FILE, as JSON.
field() { tail -n 1 "$1" | python3 -c "import json,sys; print(json.dumps(json.loads(sys.stdin.read()).get('$2', 'ABSENT')))"; }
sha() { printf '%s' "$1" | sha1sum | cut -c1-40; }
# run_prog RESULTS [VAR=VALUE...]: one run of the test program.
run_prog() { out=$1; shift; env "$@" MEMGATE_RESULTS="$out" "$P" >/dev/null 2>&1; }
no_temps() { if ls -A "$1" | grep -q 'memgate-tmp'; then bad "$2: temporary files left"; else ok; fi; }

# ------------------------------------------------ 1. the fields of a line
mkdir -p "$T/norepo" "$T/repo/sub"
(cd "$T/norepo" && run_prog "$T/f1.jsonl")
eq "$(field "$T/f1.jsonl" commit)" null "outside a checkout: no commit"
t=$(field "$T/f1.jsonl" time)
case $t in \"20[0-9][0-9]-[01][0-9]-[0-3][0-9]T[0-2][0-9]:[0-5][0-9]:[0-6][0-9].[0-9][0-9][0-9]Z\") ok ;; *) bad "time: $t" ;; esac
eq "$(field "$T/f1.jsonl" host_cpus)" "$(getconf _NPROCESSORS_ONLN)" "host_cpus"
mem=$(( $(getconf _PHYS_PAGES) * $(getconf PAGE_SIZE) ))
eq "$(field "$T/f1.jsonl" host_memory_bytes)" "$mem" "host_memory_bytes"
(cd "$T/norepo" && run_prog "$T/f2.jsonl" GITHUB_SHA="$(sha a)")
eq "$(field "$T/f2.jsonl" commit)" "\"$(sha a)\"" "commit from GITHUB_SHA"
(cd "$T/norepo" && run_prog "$T/f3.jsonl" GITHUB_SHA="$(sha a)" MEMGATE_COMMIT=ABCDEF1)
eq "$(field "$T/f3.jsonl" commit)" '"abcdef1"' "MEMGATE_COMMIT wins over GITHUB_SHA (lowercased)"
(cd "$T/norepo" && run_prog "$T/f4.jsonl" GITHUB_SHA="$(sha a)" MEMGATE_COMMIT=)
eq "$(field "$T/f4.jsonl" commit)" null "MEMGATE_COMMIT= means none"
(cd "$T/norepo" && run_prog "$T/f5.jsonl" GITHUB_SHA="not a sha")
eq "$(field "$T/f5.jsonl" commit)" null "a garbage GITHUB_SHA is no commit"
(cd "$T/norepo" && run_prog "$T/f6.jsonl" MEMGATE_COMMIT="xyz")
eq "$(field "$T/f6.jsonl" verdict)" '"error"' "a malformed MEMGATE_COMMIT: every result errs"
has "$T/f6.jsonl" "MEMGATE_COMMIT" "the error names MEMGATE_COMMIT"
expect 0 "check reads the new fields" -- "$M" check --format text --baselines "$T/norepo" "$T/f2.jsonl"
if command -v git >/dev/null 2>&1; then
  g() { git -C "$T/repo" -c user.name=t -c user.email=t@t "$@" >/dev/null 2>&1; }
  g init -q && g commit -q --allow-empty -m one && g commit -q --allow-empty -m two
  head=$(git -C "$T/repo" rev-parse HEAD)
  (cd "$T/repo/sub" && run_prog "$T/g1.jsonl")
  eq "$(field "$T/g1.jsonl" commit)" "\"$head\"" "the checkout's HEAD, from a subdirectory (loose ref)"
  g pack-refs --all
  (cd "$T/repo" && run_prog "$T/g2.jsonl")
  eq "$(field "$T/g2.jsonl" commit)" "\"$head\"" "a packed ref"
  g worktree add -q --detach "$T/wt" HEAD~1
  (cd "$T/wt" && run_prog "$T/g3.jsonl")
  eq "$(field "$T/g3.jsonl" commit)" "\"$(git -C "$T/wt" rev-parse HEAD)\"" "a linked worktree (detached)"
  (cd "$T/repo" && run_prog "$T/g4.jsonl" GITHUB_SHA="$(sha b)")
  eq "$(field "$T/g4.jsonl" commit)" "\"$(sha b)\"" "GITHUB_SHA wins over the checkout"
else
  echo "test_history: git not installed: the checkout cases are skipped"
fi

# ------------------------------------------------ 2. history append
mkdir -p "$T/runs"
i=1
while [ $i -le 12 ]; do
  leak=0; [ $i -ge 8 ] && leak=1
  run_prog "$T/runs/run$(printf %02d $i).jsonl" HIST_LEAK=$leak MEMGATE_COMMIT="$(sha "c$i")"
  i=$((i + 1))
done
H=$T/h.jsonl
for f in "$T"/runs/run0[1-6].jsonl; do "$M" history append "$H" "$f" 2>/dev/null || bad "append $f"; done
cp "$H" "$T/h6.jsonl"
expect 0 "append the same run again" -- "$M" history append "$H" "$T/runs/run03.jsonl"
has "$T/err" "0 runs added, 1 already there" "the second append says so"
same "$H" "$T/h6.jsonl" "re-appending a run (byte-identical)"
expect 0 "two files of one run, one of them twice" -- "$M" history append "$T/h2.jsonl" "$T/runs/run01.jsonl" \
  "$T/runs/run01.jsonl" "$T/runs/run02.jsonl"
eq "$(grep -c . "$T/h2.jsonl")" 6 "a run given twice is kept once (3 scopes x 2 runs)"
runs() { python3 -c "import json,sys; print(len({json.loads(l)['run'] for l in open(sys.argv[1])}))" "$1"; }
eq "$(runs "$H")" 6 "six runs in the history"
eq "$(field "$H" series)" null "the history drops the series"
expect 0 "append six more, thinned" -- "$M" history append --keep 3 --max-runs 6 "$H" "$T"/runs/run0[7-9].jsonl \
  "$T"/runs/run1[0-2].jsonl
r=$(runs "$H")
[ "$r" -le 6 ] && ok || bad "thinning: $r runs kept, at most 6"
grep -q "$(sha c8)" "$H" && ok || bad "thinning keeps the run where the verdict changed (c8)"
for c in c10 c11 c12; do grep -q "$(sha $c)" "$H" && ok || bad "thinning keeps the newest run $c"; done
cp "$H" "$T/hthin.jsonl"
expect 0 "thinning a thinned history again" -- "$M" history append --keep 3 --max-runs 6 "$H" "$T/runs/run12.jsonl"
same "$H" "$T/hthin.jsonl" "thinning is stable"
expect 2 "a damaged run" -- "$M" history append "$H" tests/cli/badline/negative.jsonl
has "$T/err" "tests/cli/badline/negative.jsonl:" "the bad line is named"
same "$H" "$T/hthin.jsonl" "a damaged run leaves the history as it was"
printf '{"format":2,"name":"x","kind":"scope","verdict":"maybe"}\n' >"$T/bad.jsonl"
expect 2 "a bad results line" -- "$M" history append "$H" "$T/bad.jsonl"
has "$T/err" "bad.jsonl:1:" "file:line:col"
expect 2 "a history line without run" -- "$M" history append "$T/runs/run01.jsonl" "$T/runs/run02.jsonl"
has "$T/err" "without \"run\"" "not a history file"
expect 2 "missing results" -- "$M" history append "$H" "$T/nope.jsonl"
has "$T/err" "nope.jsonl" "the missing file is named"
(cd "$T/norepo" && run_prog "$T/nocommit.jsonl" MEMGATE_COMMIT=)
expect 2 "results without a commit" -- "$M" history append "$T/h3.jsonl" "$T/nocommit.jsonl"
has "$T/err" "no commit" "says what is missing"
expect 0 "--run-id for results without a commit" -- "$M" history append --run-id ci-42.1 "$T/h3.jsonl" "$T/nocommit.jsonl"
has "$T/h3.jsonl" '"run":"ci-42.1"' "the given run id"
expect 2 "a bad --run-id" -- "$M" history append --run-id 'a b' "$T/h3.jsonl" "$T/nocommit.jsonl"
expect 2 "--max-runs below --keep" -- "$M" history append --keep 5 --max-runs 2 "$T/h3.jsonl" "$T/nocommit.jsonl"
expect 2 "unknown action" -- "$M" history frob "$T/h3.jsonl"
: >"$T/afile"
expect 2 "HISTORY under a file" -- "$M" history append "$T/afile/h.jsonl" "$T/runs/run01.jsonl"
has "$T/err" "Not a directory" "says why"
if [ "$(id -u)" = 0 ] && mkdir -p "$T/full" && mount -t tmpfs -o size=64k tmpfs "$T/full" 2>/dev/null; then
  MOUNTS="$T/full $MOUNTS"
  cp "$T/h6.jsonl" "$T/full/h.jsonl"
  dd if=/dev/zero of="$T/full/fill" bs=1024 count=256 2>/dev/null
  expect 2 "a full file system" -- "$M" history append "$T/full/h.jsonl" "$T/runs/run07.jsonl"
  has "$T/err" "No space left on device" "says the disk is full"
  same "$T/full/h.jsonl" "$T/h6.jsonl" "the history on the full disk"
  no_temps "$T/full" "a full disk"
  mkdir -p "$T/ro"
  if mount -t tmpfs -o ro,size=64k tmpfs "$T/ro" 2>/dev/null; then
    MOUNTS="$T/ro $MOUNTS"
    expect 2 "a read-only file system" -- "$M" history append "$T/ro/h.jsonl" "$T/runs/run07.jsonl"
    has "$T/err" "Read-only file system" "says it is read-only"
  fi
else
  echo "test_history: SKIP the full and read-only file systems (needs root to mount a tmpfs)"
fi

# ------------------------------------------------ 3. report --history
expect 0 "report --history over a directory" -- "$M" report --history "$T/runs" --html "$T/page.html" --markdown "$T/page.md"
has "$T/err" "12 commits, 3 scopes, 1 failing" "the command's summary"
if python3 "$CHECK_HTML" "$T/page.html" --expect-text hist.cache --expect-text hist.steady --expect-text hist.once \
    --expect-text "first failed: $(sha c8 | cut -c1-7)" --forbid "$(sha c7 | cut -c1-7)</code>" \
    --failures-first >"$T/chk" 2>&1; then ok; else bad "history page: $(cat "$T/chk")"; fi
eq "$(grep -o 'class="card [a-z]* hchart"' "$T/page.html" | wc -l)" 3 "one chart per scope"
has "$T/page.md" "| hist.cache | linux-x86\\_64 | 12 |" "the Markdown summary"
has "$T/page.md" "$(sha c8 | cut -c1-7)" "the Markdown names the first failing commit"
expect 0 "report --history of the history file" -- "$M" report --history "$T/h6.jsonl" --html "$T/h6.html"
has "$T/err" "6 commits" "six commits"
mkdir -p "$T/bl"
printf '{"format":1,"scopes":{"hist.cache":{"%s":{"kind":"repeat","iterations":10,"retained_bytes":0}}}}\n' \
  "$(field "$T/runs/run01.jsonl" platform | tr -d '"')" >"$T/bl/hist.json"
expect 0 "report --history --baselines" -- "$M" report --history --baselines "$T/bl" "$T/runs" --html "$T/band.html"
has "$T/band.html" 'class="hband"' "the band from the given baselines"
expect 2 "a missing input" -- "$M" report --history "$T/nope" --html "$T/x.html"
has "$T/err" "$T/nope" "names it"
mkdir -p "$T/empty"
expect 2 "a directory without results" -- "$M" report --history "$T/empty" --html "$T/x.html"
has "$T/err" "no *.jsonl" "says so"
cp "$T/runs/run01.jsonl" "$T/empty/a.jsonl"; printf '{"format":2,"name":5}\n' >>"$T/empty/a.jsonl"
expect 2 "a bad line" -- "$M" report --history "$T/empty" --html "$T/x.html"
has "$T/err" "a.jsonl:4:20:" "file:line:col"
[ -e "$T/x.html" ] && bad "no page is written on bad input" || ok

# ------------------------------------------------ 4. the git flow
if command -v git >/dev/null 2>&1; then
  git init -q --bare "$T/remote.git"
  for c in a b; do git init -q "$T/clone-$c" && git -C "$T/clone-$c" remote add origin "$T/remote.git"; done
  export GIT_AUTHOR_NAME=t GIT_AUTHOR_EMAIL=t@t GIT_COMMITTER_NAME=t GIT_COMMITTER_EMAIL=t@t
  push() { (cd "$T/clone-$1" && shift && sh "$PUSH" --memgate "$M" --file history/linux.jsonl "$@"); }
  expect 0 "the first push creates the branch" -- push a "$T/runs/run01.jsonl"
  expect 0 "the same run again: nothing to push" -- push b "$T/runs/run01.jsonl"
  has "$T/out" "already in" "says the run is there"
  # A deterministic race: while a pushes, b pushes first (a's pre-push hook).
  cat >"$T/clone-a/.git/hooks/pre-push" <<EOF
#!/bin/sh
[ -e "$T/raced" ] && exit 0
: >"$T/raced"
cd "$T/clone-b" && sh "$PUSH" --memgate "$M" --file history/linux.jsonl "$T/runs/run02.jsonl" >/dev/null 2>&1
EOF
  chmod +x "$T/clone-a/.git/hooks/pre-push"
  expect 0 "a push that lost the race is retried" -- push a "$T/runs/run03.jsonl"
  has "$T/err" "try 1 of 8 rejected" "the first try was rejected"
  rm -f "$T/clone-a/.git/hooks/pre-push"
  # Two appenders at once, four runs each.
  (for i in 4 6 8 10; do push a "$T/runs/run$(printf %02d $i).jsonl" >/dev/null 2>&1 || echo "a$i" >>"$T/lost"; done) &
  pa=$!
  (for i in 5 7 9 11; do push b "$T/runs/run$(printf %02d $i).jsonl" >/dev/null 2>&1 || echo "b$i" >>"$T/lost"; done) &
  pb=$!
  wait $pa; wait $pb
  [ -e "$T/lost" ] && bad "concurrent appends failed: $(cat "$T/lost")" || ok
  git -C "$T/remote.git" show memgate-history:history/linux.jsonl >"$T/remote.jsonl" 2>/dev/null
  eq "$(runs "$T/remote.jsonl")" 11 "every run is in the history (runs 1 to 11)"
  eq "$(grep -c . "$T/remote.jsonl")" 33 "no run doubled (11 runs x 3 scopes)"
  for i in 1 2 3 4 5 6 7 8 9 10 11; do grep -q "$(sha "c$i")" "$T/remote.jsonl" || bad "run $i lost"; done
  ok
  eq "$(git -C "$T/remote.git" log --format=%s memgate-history | wc -l)" 11 "one commit per run"
  expect 2 "the script's bad usage" -- sh "$PUSH" --file /abs "$T/runs/run01.jsonl"
else
  echo "test_history: SKIP the git flow (git not installed)"
fi

echo "test_history: $checks checks, $fails failed"
[ "$fails" = 0 ]

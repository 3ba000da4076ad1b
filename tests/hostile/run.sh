#!/bin/sh
# The hostile-input suite: inputs and file-system states meant to make the
# gate pass wrongly, hang, lose baselines or slow down (issue 14). Every
# command runs under `timeout`: a hang is a failure, never a stuck `make test`.
#
#   tests/hostile/run.sh [BUILD_DIR]       (from any directory; default build)
#
# Adding a case: write a family function `fam_NAME ARGS...` that uses the
# helpers below (expect / has / hasnt / same / note), then add one line
# "NAME ARGS..." to CASES. Each case runs in a fresh directory $W.
# Families that need root (mounts) skip with a message when they cannot
# mount; the summary counts skips.
set -u
cd "$(dirname "$0")/../.." || exit 2
B=${1:-build}
M="$B/memgate"
DEMO="$B/live_room_demo"
GEN="sh tests/hostile/gen_scale.sh"
TMO=${HOSTILE_TIMEOUT:-30}
[ -x "$M" ] && [ -x "$DEMO" ] || { echo "hostile: build $M and $DEMO first" >&2; exit 2; }
command -v timeout >/dev/null 2>&1 || { echo "hostile: needs timeout (coreutils)" >&2; exit 2; }
T=$(mktemp -d "${TMPDIR:-/tmp}/memgate-hostile.XXXXXX") || exit 2
MOUNTS=""
cleanup() {
  for m in $MOUNTS; do umount "$m" 2>/dev/null; done
  rm -rf "$T"
}
trap cleanup EXIT INT TERM
unset MEMGATE_BASELINES MEMGATE_RESULTS MEMGATE_STRICT MEMGATE_UPDATE MEMGATE_FAIL_ON_IMPROVEMENT \
  MEMGATE_PLATFORM CI GITHUB_ACTIONS GITHUB_STEP_SUMMARY GITHUB_WORKSPACE NO_COLOR

checks=0; fails=0; cases=0; skips=0; case_failed=0; W=""

# ---------------------------------------------------------------- helpers
ok() { checks=$((checks + 1)); }
bad() { checks=$((checks + 1)); fails=$((fails + 1)); case_failed=1; echo "  FAIL: $*"; }
note() { echo "  $*"; }
skip() { skips=$((skips + 1)); echo "  SKIP: $*"; }

# expect RC DESCRIPTION -- COMMAND...: COMMAND under timeout, stdout to
# $W/out, stderr to $W/err. RC "nz" means any non-zero status but a timeout.
expect() {
  want=$1; what=$2; shift 3
  timeout -k 2 "$TMO" "$@" >"$W/out" 2>"$W/err"
  got=$?
  if [ "$got" = 124 ] || [ "$got" = 137 ]; then
    bad "$what: timed out after ${TMO}s (a hang)"
  elif [ "$got" = "$want" ] || { [ "$want" = nz ] && [ "$got" != 0 ]; }; then
    ok
  else
    bad "$what: exit $got, want $want"
    sed 's/^/    out: /' "$W/out" | head -5; sed 's/^/    err: /' "$W/err" | head -5
  fi
}
has() { if grep -qE -- "$2" "$1"; then ok; else bad "$3: no /$2/ in:"; head -5 "$1" | sed 's/^/    /'; fi; }
hasnt() { if grep -qE -- "$2" "$1"; then bad "$3: unexpected /$2/"; grep -E -- "$2" "$1" | head -3; else ok; fi; }
same() { if cmp -s "$1" "$2"; then ok; else bad "$3: $1 changed"; fi; }
no_temps() { # DIR DESCRIPTION
  if ls -A "$1" | grep -q '^\.'; then bad "$2: temporary files left: $(ls -A "$1" | grep '^\.' | tr '\n' ' ')"; else ok; fi
}
now_us() { echo $(( $(date +%s%N) / 1000 )); }

# try_mount DIR OPTIONS: a tmpfs at DIR (root only); false when not possible.
try_mount() {
  mkdir -p "$1"
  if mount -t tmpfs -o "$2" tmpfs "$1" 2>/dev/null; then MOUNTS="$1 $MOUNTS"; return 0; fi
  return 1
}

GOLD=tests/cli/baselines/gold.json
GOLD_RESULTS=tests/cli/pass.jsonl

# ---------------------------------------------------------------- families

# truncate FILE RESULTS: FILE cut at every byte offset: check and show exit 2
# with file:line:column, update (every 8th offset) exits 2, nothing changes.
fam_truncate() {
  src=$1; res=$2; name=$(basename "$src"); size=$(wc -c < "$src"); mkdir -p "$W/b"
  # Cuts after the last byte that is not white space still parse.
  valid_from=$(awk 'BEGIN { RS = "^$" } { sub(/[ \t\r\n]+$/, ""); print length($0) }' "$src")
  off=0; n=0
  while [ "$off" -lt "$size" ]; do
    head -c "$off" "$src" > "$W/b/$name"; cp "$W/b/$name" "$W/cut"
    if [ "$off" -ge "$valid_from" ]; then
      expect 0 "show at offset $off (only trailing white space cut)" -- "$M" show --baselines "$W/b"
      off=$((off + 1)); n=$((n + 1)); continue
    fi
    expect 2 "check at offset $off" -- "$M" check --baselines "$W/b" "$res"
    has "$W/err" "$W/b/$name:[0-9]+:[0-9]+: " "check at offset $off names file:line:column"
    expect 2 "show at offset $off" -- "$M" show --baselines "$W/b"
    if [ $((off % 8)) = 0 ]; then
      expect 2 "update at offset $off" -- "$M" update --baselines "$W/b" "$res"
      no_temps "$W/b" "update at offset $off"
    fi
    same "$W/b/$name" "$W/cut" "offset $off"
    off=$((off + 1)); n=$((n + 1))
  done
  note "$n truncations of $src"
}

# truncate_results RESULTS BASELINES: a results file cut at every byte
# offset (a torn write, a killed test): a cut inside a line is never a
# pass — check exits non-zero naming RESULTS:line:column — and a cut at a
# line boundary is judged as the shorter file it is. Every boundary and its
# neighbours, and every 11th offset between them.
fam_truncate_results() {
  src=$1; base=$2; size=$(wc -c < "$src"); n=0
  ends=$(awk '{ t += length($0) + 1; print t }' "$src" | tr '\n' ' ')
  off=1
  while [ "$off" -lt "$size" ]; do
    head -c "$off" "$src" > "$W/r.jsonl"
    case " $ends " in
      *" $off "*|*" $((off + 1)) "*) # whole lines (the last one may lack its newline)
         expect 0 "check of the first lines (cut at $off)" -- "$M" check --format text --baselines "$base" "$W/r.jsonl" ;;
      *) expect nz "check cut inside a line at $off" -- "$M" check --format text --baselines "$base" "$W/r.jsonl"
         # after good lines the torn line is an error result (stdout); alone, bad input (stderr)
         cat "$W/out" "$W/err" >"$W/all"
         has "$W/all" "$W/r.jsonl:[0-9]+:[0-9]+: " "cut at $off names file:line:column" ;;
    esac
    # every line boundary and its neighbours, and every 3rd offset between
    case " $ends " in *" $((off + 1)) "*|*" $((off + 2)) "*|*" $off "*) step=1 ;; *) step=11 ;; esac
    off=$((off + step)); n=$((n + 1))
  done
  note "$n truncations of $src"
}

# dangling COMMAND: the baseline file is a symbolic link to nothing.
fam_dangling() {
  mkdir -p "$W/b"; ln -s "$W/nowhere.json" "$W/b/gold.json"
  case $1 in
    check) expect 2 "check" -- "$M" check --baselines "$W/b" "$GOLD_RESULTS" ;;
    show) expect 2 "show" -- "$M" show --baselines "$W/b" ;;
    update) expect 2 "update" -- "$M" update --baselines "$W/b" "$GOLD_RESULTS"
            [ -L "$W/b/gold.json" ] && [ ! -e "$W/nowhere.json" ] && ok || bad "update replaced the link" ;;
    run) rm "$W/b/gold.json"; ln -s "$W/nowhere.json" "$W/b/live_room.json"
         expect 2 "run (a bad baseline file is bad input)" -- "$M" run --format text --baselines "$W/b" -- "$DEMO" --correct
         has "$W/err" "live_room.gift: error: .*live_room.json: a symbolic link" "run: the scope is an error" ;;
  esac
  cat "$W/out" "$W/err" > "$W/all"
  has "$W/all" "json: a symbolic link to \"$W/nowhere.json\", which does not exist" "$1 names the file"
}

# fifo COMMAND: the baseline file is a FIFO nobody writes: never a hang.
fam_fifo() {
  mkdir -p "$W/b"; mkfifo "$W/b/gold.json"
  case $1 in
    check) expect 2 "check" -- "$M" check --baselines "$W/b" "$GOLD_RESULTS"; has "$W/err" "gold.json: a FIFO" "check" ;;
    show) expect 2 "show" -- "$M" show --baselines "$W/b"; has "$W/err" "gold.json: a FIFO" "show" ;;
    update) expect 2 "update" -- "$M" update --baselines "$W/b" "$GOLD_RESULTS"; has "$W/err" "gold.json: a FIFO" "update"
            [ -p "$W/b/gold.json" ] && ok || bad "update replaced the FIFO" ;;
    record) rm "$W/b/gold.json"; mkfifo "$W/b/live_room.json"
            expect nz "MEMGATE_UPDATE=1 with a FIFO baseline" -- env MEMGATE_UPDATE=1 MEMGATE_BASELINES="$W/b" "$DEMO" --correct
            has "$W/err" "live_room.json: a FIFO" "record names the FIFO"
            [ -p "$W/b/live_room.json" ] && ok || bad "record replaced the FIFO" ;;
  esac
}

# symlink: updating through a valid link is refused; the target is untouched.
fam_symlink_update() {
  mkdir -p "$W/b" "$W/real"; cp "$GOLD" "$W/real/gold.json"; cp "$GOLD" "$W/orig.json"
  ln -s "$W/real/gold.json" "$W/b/gold.json"
  expect 1 "check through the link still reads it" -- "$M" check --format text --baselines "$W/b" tests/cli/mixed.jsonl
  expect 2 "update through the link" -- "$M" update --baselines "$W/b" "$GOLD_RESULTS"
  has "$W/err" "gold.json: a symbolic link" "update names the link"
  [ -L "$W/b/gold.json" ] && ok || bad "the link was replaced by a file"
  same "$W/real/gold.json" "$W/orig.json" "the target"
}

# readonly MODE: MEMGATE_UPDATE=1 (env) or memgate run --update (run) into a
# read-only baselines directory must fail, never exit 0 or say OK.
fam_readonly() {
  if [ "$(id -u)" = 0 ]; then
    try_mount "$W/ro" ro,size=64k || { skip "cannot mount a read-only tmpfs"; return; }
  else
    mkdir -p "$W/ro"; chmod 555 "$W/ro"
  fi
  case $1 in
    env) expect nz "MEMGATE_UPDATE=1 into a read-only directory" -- \
           env MEMGATE_UPDATE=1 MEMGATE_BASELINES="$W/ro" MEMGATE_RESULTS="$W/r.jsonl" "$DEMO" --correct
         has "$W/err" "NOT recorded" "stderr says the baselines were not recorded"
         has "$W/r.jsonl" "not recorded as the baseline" "the results carry the error" ;;
    run) expect 1 "memgate run --update into a read-only directory" -- \
           "$M" run --update --format text --baselines "$W/ro" -- "$DEMO" --correct
         cat "$W/out" "$W/err" > "$W/all"
         hasnt "$W/all" ": OK$" "run --update prints no OK"
         has "$W/all" "FAIL" "run --update says FAIL"
         has "$W/all" "not recorded as the baseline" "run --update says why" ;;
  esac
}

# fullfs: a 64 KiB tmpfs filled up: update fails, the file is unchanged, no
# temporary file is left.
fam_fullfs() {
  [ "$(id -u)" = 0 ] || { skip "needs root to mount a tmpfs"; return; }
  try_mount "$W/full" size=64k || { skip "cannot mount a tmpfs"; return; }
  mkdir -p "$W/full/b"; cp "$GOLD" "$W/full/b/gold.json"; cp "$GOLD" "$W/orig.json"
  dd if=/dev/zero of="$W/full/fill" bs=1024 count=256 2>/dev/null
  expect 2 "update on a full file system" -- "$M" update --baselines "$W/full/b" "$GOLD_RESULTS"
  has "$W/err" "No space left on device" "update says the disk is full"
  has "$W/err" "the file is unchanged" "update says the file is unchanged"
  same "$W/full/b/gold.json" "$W/orig.json" "gold.json on the full disk"
  no_temps "$W/full/b" "update on a full disk"
  rm -f "$W/full/fill"
  expect 0 "update once there is room" -- "$M" update --baselines "$W/full/b" "$GOLD_RESULTS"
}

# kill9 N ROUNDS: updates of an N-entry baseline killed with SIGKILL at
# varying moments: the file always parses with all N entries; the next
# update removes any temporary file left.
fam_kill9() {
  n=$1; rounds=$2; mkdir -p "$W/b"
  $GEN baseline "$n" "$W/b/scale.json"; $GEN results "$n" "$W/r1.jsonl" 1; $GEN results "$n" "$W/r2.jsonl" 2
  # How long one update takes: the kills are spread over that time.
  t0=$(now_us); "$M" update --baselines "$W/b" "$W/r2.jsonl" >/dev/null; full=$(( $(now_us) - t0 ))
  left=0; i=1
  while [ "$i" -le "$rounds" ]; do
    "$M" update --baselines "$W/b" "$W/r$((i % 2 + 1)).jsonl" >/dev/null 2>&1 &
    pid=$!
    at=$(( full * (i * 7 % rounds + 1) / rounds ))
    sleep "$((at / 1000000)).$(printf '%06d' $((at % 1000000)))"
    kill -9 "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
    ls -A "$W/b" | grep -q '^\.' && left=$((left + 1))
    expect 0 "show after kill $i" -- "$M" show --baselines "$W/b"
    [ "$(grep -c '^scale\.s' "$W/out")" = "$n" ] && ok || bad "kill $i: $(grep -c '^scale\.s' "$W/out") of $n entries"
    i=$((i + 1))
  done
  # What a kill between creating the temporary file and the rename leaves
  # (this one's and an older version's name), should no kill above have hit it.
  printf '{"format": 1, "sco' > "$W/b/.scale.json.memgate-tmp.K9aaaa"
  printf '{"format": 1, "sco' > "$W/b/.scale.json.K9bbbb"
  expect 0 "update after the kills" -- "$M" update --baselines "$W/b" "$W/r1.jsonl"
  no_temps "$W/b" "after the next update"
  note "$rounds kills spread over one update ($((full / 1000)) ms); $left left a temporary file behind; the next update removed every one"
}

# scale SMALL LARGE BOUND: show on a LARGE-entry baseline takes at most BOUND
# times show on a SMALL one (median of 3; linear is about LARGE/SMALL, the
# old quadratic parse was (LARGE/SMALL)^2), and update of LARGE scopes ends.
fam_scale() {
  small=$1; large=$2; bound=$3; mkdir -p "$W/s" "$W/l" "$W/u"
  $GEN baseline "$small" "$W/s/scale.json"; $GEN baseline "$large" "$W/l/scale.json"
  med() { # DIR: median of 3 runs of show, microseconds
    for k in 1 2 3; do t0=$(now_us); "$M" show --baselines "$1" >/dev/null; echo $(( $(now_us) - t0 )); done | sort -n | sed -n 2p
  }
  ts=$(med "$W/s"); tl=$(med "$W/l")
  ratio=$(( tl / (ts > 0 ? ts : 1) ))
  if [ "$ratio" -le "$bound" ]; then ok; else bad "show: ${large} entries took ${ratio}x ${small} (bound ${bound}x)"; fi
  note "show: $small entries $ts us, $large entries $tl us: ${ratio}x (bound ${bound}x)"
  $GEN results "$large" "$W/r.jsonl"
  t0=$(now_us)
  expect 0 "update of $large scopes" -- "$M" update --baselines "$W/u" "$W/r.jsonl"
  note "update of $large scopes: $(( ($(now_us) - t0) / 1000 )) ms"
  expect 0 "check of $large scopes" -- "$M" check --format text --baselines "$W/u" "$W/r.jsonl"
}

# ---------------------------------------------------------------- cases
CASES="
truncate tests/cli/baselines/gold.json tests/cli/pass.jsonl
truncate_results tests/cli/pass.jsonl tests/cli/baselines
dangling check
dangling show
dangling update
dangling run
fifo check
fifo show
fifo update
fifo record
symlink_update
readonly env
readonly run
fullfs
kill9 5000 20
scale 1000 50000 150
"

start=$(date +%s)
IFS_NL='
'
oldifs=$IFS; IFS=$IFS_NL
for line in $CASES; do
  IFS=$oldifs
  set -- $line
  [ $# -gt 0 ] || continue
  fam=$1; shift
  cases=$((cases + 1)); case_failed=0
  W="$T/case$cases"; mkdir -p "$W"
  echo "== $fam $*"
  "fam_$fam" "$@"
  [ "$case_failed" = 0 ] || echo "  (case failed: $fam $*)"
  IFS=$IFS_NL
done
IFS=$oldifs
echo "hostile: $cases cases, $checks checks, $fails failed, $skips skipped, $(( $(date +%s) - start )) s"
[ "$fails" = 0 ]

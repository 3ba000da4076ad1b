#!/bin/sh
# run.sh - judges the real-world corpus and writes its report section.
#
#   run.sh [--quick] [--runs N] [--seeds N] [--fixed N] [--build DIR] [--memgate-cmd PATH]
#          [--swift BIN] [--no-tools] [--gate 0|1] [--summary FILE] [--only NAME...]
#          [--cases FILE] [--swift-cases FILE]
#
# Every case (cases.list, and swift/cases.list when --swift BIN is given) is
# judged N times (--runs, default 20; --quick: 1), each time in a fresh
# process, in two modes:
#   bare     the case's program as is: default glibc, no memgate run
#   memgate  under `memgate run -- PROGRAM` (per-thread cache off, no THP)
# and all cases in one process (build/realworld/rw_all; the whole Swift
# suite), in both modes, --fixed times (default 5; --quick: 1) in the fixed
# order and --seeds times (default 5; --quick: 1) in shuffled orders. Then (unless --no-tools or --quick)
# valgrind memcheck and LeakSanitizer on each C case (12 and 62 iterations
# without memgate: what each tool reports per iteration).
#
# Prints the Markdown section ("## Real-world corpus") on stdout; progress
# and every wrong verdict (with its message and series) on stderr; with
# --summary appends an H| line for gen_benchmarks.sh. --cases and
# --swift-cases replace cases.list and swift/cases.list (test_run.sh). Each case's
# results file and output are kept under DIR/runs/ for wrong verdicts.
#
# Exit status: 0; 1 when a verdict was wrong and --gate 1 (the default is
# 0: report only, until the lead says the verdict rules of issue 12 are in),
# or a program could not run; 2 on bad usage.
set -u
here=$(cd "$(dirname "$0")" && pwd)
build=build/realworld
mcmd=build/memgate
swift=""
runs=20
seeds=5
fixed=5
tools=1
gate=0
summary=""
only=""
quick=0
clist=$here/cases.list
slist=$here/swift/cases.list
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1; runs=1; seeds=1; fixed=1; tools=0 ;;
    --runs) runs=$2; shift ;;
    --seeds) seeds=$2; shift ;;
    --fixed) fixed=$2; shift ;;
    --build) build=$2; shift ;;
    --memgate-cmd) mcmd=$2; shift ;;
    --swift) swift=$2; shift ;;
    --no-tools) tools=0 ;;
    --tools) tools=1 ;;
    --gate) gate=$2; shift ;;
    --summary) summary=$2; shift ;;
    --only) only="$only $2"; shift ;;
    --cases) clist=$2; shift ;;
    --swift-cases) slist=$2; shift ;;
    *) sed -n '3,5p' "$0" | sed 's/^# *//' >&2; exit 2 ;;
  esac
  shift
done
case "$runs$seeds$fixed$gate" in
  *[!0-9]*) echo "run.sh: --runs, --seeds, --fixed and --gate take numbers" >&2; exit 2 ;;
esac
[ -x "$build/rw_all" ] || { echo "run.sh: $build/rw_all not found (tests/realworld/build.sh builds it)" >&2; exit 2; }
[ -x "$mcmd" ] || { echo "run.sh: $mcmd not found (make builds it)" >&2; exit 2; }

out=$build/runs
rm -rf "$out"
mkdir -p "$out/nobaselines"
tally=$out/tally          # CASE MODE ok|wrong
: > "$tally"
wrongs=$out/wrong.txt      # one line per wrong verdict
: > "$wrongs"
status=0
t_start=$(date +%s)
# Results are judged against an empty baseline directory: the corpus is
# about the measured verdict only.
export MEMGATE_BASELINES="$out/nobaselines"

# The cases: NAME|LIBRARY|EXPECTED|KIND|COMMAND|LANG (c or swift; COMMAND has
# no spaces in its paths).
table=$out/cases
sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$clist" | awk -F'|' -v b="$build" '
  { for (i = 1; i <= NF; i++) gsub(/^ +| +$/, "", $i); print $1 "|" $3 "|" $4 "|" $5 "|" b "/" $1 "|c" }' > "$table"
if [ -n "$swift" ]; then
  [ -x "$swift" ] || { echo "run.sh: $swift not found" >&2; exit 2; }
  sed -e 's/#.*//' -e '/^[[:space:]]*$/d' "$slist" | awk -F'|' -v b="$swift" '
    { for (i = 1; i <= NF; i++) gsub(/^ +| +$/, "", $i)
      print $1 "|Swift: " $3 "|" $4 "|" $5 "|" b " RealWorldSwift.RealWorldSwiftTests/" $2 "|swift" }' >> "$table"
fi
if [ -n "$only" ]; then
  awk -F'|' -v only="$only" 'BEGIN { n = split(only, w, " "); for (i = 1; i <= n; i++) k[w[i]] = 1 } $1 in k' \
    "$table" > "$table.only" && mv -f "$table.only" "$table"
fi

# launch MODE RESULTS STDOUT COMMAND...: one process, bare or under memgate run.
launch() {
  lm=$1 lres=$2 lso=$3; shift 3
  if [ "$lm" = memgate ]; then
    "$mcmd" run --results "$lres" --format text -- "$@" > "$lso" 2> "$lso.err"
  else
    MEMGATE_RESULTS=$lres "$@" > "$lso" 2> "$lso.err"
  fi
}

# note NAME EXPECTED MODE LABEL STDOUT RESULTS: tallies the verdict NAME got.
note() {
  nn=$1 ne=$2 nm=$3 nl=$4 nso=$5 nres=$6
  nv=$(awk -v n="$nn" '$1 == "rw-verdict" && $2 == n { print $4; exit }' "$nso")
  npe=$(awk -v n="$nn" '$1 == "rw-verdict" && $2 == n { print $3; exit }' "$nso")
  if [ -z "$nv" ]; then
    nv="no-verdict"
    echo "run.sh: $nn ($nm, $nl) printed no verdict; its stderr:" >&2
    tail -n 5 "$nso.err" >&2
  elif [ "$npe" != "$ne" ]; then
    echo "run.sh: $nn expects $npe in its source but $ne in cases.list" >&2; status=1
  fi
  if [ "$nv" = "$ne" ]; then echo "$nn $nm ok" >> "$tally"; return; fi
  echo "$nn $nm wrong" >> "$tally"
  ndetail=$(python3 "$here/series.py" "$nres" "rw.$nn" 2>/dev/null | head -n 1)
  [ -n "$ndetail" ] || ndetail=$(awk -v n="$nn" '$1 == "rw-message" && $2 == n { $1 = ""; $2 = ""; print; exit }' "$nso")
  echo "$nn|$nm|$nl|expected $ne, got $nv|$ndetail" >> "$wrongs"
  echo "run.sh: WRONG $nn ($nm, $nl): expected $ne, got $nv: $ndetail" >&2
}

# ---------------------------------------------------------------- fresh processes
for m in bare memgate; do
  while IFS='|' read -r name lib exp kind cmd lang; do
    i=1
    while [ "$i" -le "$runs" ]; do
      res=$out/$name.$m.$i.jsonl so=$out/$name.$m.$i.out
      # shellcheck disable=SC2086
      launch "$m" "$res" "$so" $cmd
      note "$name" "$exp" "$m" "fresh run $i" "$so" "$res"
      i=$((i + 1))
    done
    echo "run.sh: $name $m: $(grep -c "^$name $m ok" "$tally")/$runs right" >&2
  done < "$table"
done
t_fresh=$(date +%s)

# ---------------------------------------------------------------- all in one process
# allinone MODE LANG LABEL PREFIX COMMAND...: judges every case of LANG in the run.
allinone() {
  am=$1 alang=$2 al=$3 apre=$4; shift 4
  ares=$out/$apre.jsonl aso=$out/$apre.out
  launch "$am" "$ares" "$aso" "$@"
  order=$(awk '$1 == "rw-order" { $1 = ""; print }' "$aso")
  [ -n "$order" ] && echo "run.sh: $al order:$order" >&2
  while IFS='|' read -r name lib exp kind cmd lang; do
    [ "$lang" = "$alang" ] || continue
    note "$name" "$exp" "all-$am" "$al" "$aso" "$ares"
  done < "$table"
}
# Runs 1..fixed in the fixed order, then seeds 1..seeds shuffled.
for m in bare memgate; do
  k=1
  while [ "$k" -le $((fixed + seeds)) ]; do
    if [ "$k" -le "$fixed" ]; then s=""; label="all-in-one, fixed order (run $k)"; slabel="Swift suite, fixed order (run $k)"
    else s=$((k - fixed)); label="all-in-one, shuffled (seed $s)"; slabel="Swift suite, shuffled (seed $s)"; fi
    # shellcheck disable=SC2086
    allinone "$m" c "$label" "all.$m.$k" "$build/rw_all" ${s:+--shuffle $s}
    if [ -n "$swift" ]; then
      allinone "$m" swift "$slabel" "swift-all.$m.$k" env RW_SWIFT_SHUFFLE="$s" "$swift"
    fi
    k=$((k + 1))
  done
done
t_all=$(date +%s)

# ---------------------------------------------------------------- valgrind and LSan
# Figures at 12 and at 62 iterations: the difference / 50 is what one
# iteration adds to each kind a tool reports.
vg_kinds() { awk '/definitely lost:/ { gsub(",", "", $4); d = $4 } /indirectly lost:/ { gsub(",", "", $4); i = $4 }
  /possibly lost:/ { gsub(",", "", $4); p = $4 } /still reachable:/ { gsub(",", "", $4); r = $4 }
  END { printf "%d %d %d %d\n", d + 0, i + 0, p + 0, r + 0 }' "$1"; }
lsan_bytes() { awk '/^SUMMARY: AddressSanitizer: [0-9]+ byte/ { b = $3 } END { print b + 0 }' "$1"; }
per_iter() { awk -v a="$1" -v b="$2" 'BEGIN { d = (b - a) / 50; if (d < 0.5 && d > -0.5) print "0"; else printf "%+.0f B/iter", d }'; }
tool_col() { # per-iteration figure and what that means
  awk -v a="$1" -v b="$2" 'BEGIN { d = (b - a) / 50; if (d >= 0.5) printf "+%.0f B/iter", d; else if (b > 0) printf "%d B (flat)", b; else print "0" }'; }
tools_out=$out/tools
: > "$tools_out"
if [ "$tools" = 1 ]; then
  while IFS='|' read -r name lib exp kind cmd lang; do
    [ "$lang" = c ] || continue
    vg="not installed" ls="not available"
    if command -v valgrind >/dev/null 2>&1; then
      for k in 12 62; do
        valgrind --leak-check=full --show-leak-kinds=all --errors-for-leak-kinds=none \
          "$build/$name" --plain $k > /dev/null 2> "$out/$name.vg.$k" || true
      done
      set -- $(vg_kinds "$out/$name.vg.12") $(vg_kinds "$out/$name.vg.62")
      vg="definitely lost $(tool_col "$1" "$5"); still reachable $(tool_col "$4" "$8")"
      [ "$2$6" = 00 ] || vg="$vg; indirectly lost $(tool_col "$2" "$6")"
      [ "$3$7" = 00 ] || vg="$vg; possibly lost $(tool_col "$3" "$7")"
    fi
    if [ -x "$build/asan/$name" ]; then
      for k in 12 62; do
        ASAN_OPTIONS=detect_leaks=1 "$build/asan/$name" --plain $k > /dev/null 2> "$out/$name.lsan.$k" || true
      done
      ls="leaked $(tool_col "$(lsan_bytes "$out/$name.lsan.12")" "$(lsan_bytes "$out/$name.lsan.62")")"
    fi
    echo "$name|$vg|$ls" >> "$tools_out"
    echo "run.sh: tools $name: valgrind: $vg; LSan: $ls" >&2
  done < "$table"
fi
t_end=$(date +%s)

# ---------------------------------------------------------------- report
# cost NAME MODE: median (and largest) measured iterations, confirmation included,
# and median time of the fresh runs' repeats.
cost() { python3 "$here/series.py" --cost "rw.$1" "$out/$1.$2".*.jsonl 2>/dev/null || echo "?"; }
count() { awk -v n="$1" -v m="$2" '$1 == n && $2 == m { t++; if ($3 == "ok") k++ } END { printf "%d/%d", k, t }' "$tally"; }
right_all() { awk '{ t++; if ($3 == "ok") k++ } END { printf "%d of %d", k, t }' "$tally"; }
cells_right=$(while IFS='|' read -r name lib exp kind cmd lang; do
  for m in bare memgate all-bare all-memgate; do
    c=$(count "$name" "$m"); [ "${c%%/*}" = "${c#*/}" ] && [ "${c#*/}" != 0 ] && echo ok || echo wrong
  done; done < "$table" | grep -c '^ok')
cells=$(( $(wc -l < "$table") * 4 ))
{
  echo "## Real-world corpus"
  echo
  echo "Ordinary code on real Debian libraries (\`tests/realworld/\`, [REALWORLD.md](REALWORLD.md)), judged"
  echo "by MEM_REPEAT with the library's defaults ($(sed -n 's/^#define RW_ITERATIONS //p' "$here/rw_case.h") measured iterations for C, 30 for the Swift cases"
  echo "through \`assertNoLeak\`). Each figure is right/runs: **bare** = a fresh process, default glibc;"
  echo "**memgate run** = a fresh process under \`memgate run\`; **all-in-one** = every case in one process"
  echo "in sequence (runs in the fixed order: $fixed, in shuffled orders: $seeds), bare / under \`memgate run\`."
  if [ "$tools" = 1 ]; then
    echo "valgrind and LeakSanitizer ran each C case without memgate for 12 and 62 iterations; their columns show"
    echo "what one iteration adds to what they report (\"flat\": the same at both counts: one-time library state)."
  else
    echo "valgrind and LeakSanitizer were not run (quick mode or --no-tools)."
  fi
  echo "**iterations, time**: measured iterations of a fresh run's repeat, median (and largest; confirmation rounds"
  echo "included), and the median time of its measured part."
  echo
  echo "$cells_right of $cells case × mode cells right in every run; $(right_all) verdicts right. Fresh runs: $runs per case and"
  echo "mode ($((t_fresh - t_start)) s); all-in-one: $((t_all - t_fresh)) s; tools: $((t_end - t_all)) s."
  echo
  echo "| case | library | expected | what makes it hard | bare | memgate run | all-in-one bare / memgate run | iterations, time: bare; memgate run | valgrind (memcheck) | LeakSanitizer |"
  echo "|---|---|---|---|---|---|---|---|---|---|"
  while IFS='|' read -r name lib exp kind cmd lang; do
    vg=$(awk -F'|' -v n="$name" '$1 == n { print $2 }' "$tools_out")
    ls=$(awk -F'|' -v n="$name" '$1 == n { print $3 }' "$tools_out")
    if [ "$lang" = c ]; then [ -n "$vg" ] || { vg="not run"; ls="not run"; }; else vg="—"; ls="—"; fi
    mark() { c=$1; [ "${c%%/*}" = "${c#*/}" ] && echo "$c" || echo "**$c**"; }
    echo "| $name | $lib | $exp | $kind | $(mark "$(count "$name" bare)") | $(mark "$(count "$name" memgate)") |" \
         "$(mark "$(count "$name" all-bare)") / $(mark "$(count "$name" all-memgate)") |" \
         "$(cost "$name" bare); $(cost "$name" memgate) | $vg | $ls |"
  done < "$table"
  echo
  if [ -s "$wrongs" ]; then
    echo "### Wrong verdicts"
    echo
    echo "The first two of each case and mode, with memgate's message and the series as steps between"
    echo "samples in bytes (\`0x12\`: twelve steps of 0). All of them: \`$wrongs\`."
    echo
    awk -F'|' '{ k = $1 "|" $2; if (++seen[k] <= 2) printf "- **%s** (%s, %s): %s. `%s`\n", $1, $2, $3, $4, $5 }' "$wrongs"
    echo
  fi
} > "$out/section.md"
cat "$out/section.md"

if [ -n "$summary" ]; then
  echo "H|Real-world corpus|$cells_right of $cells case × mode cells right in every run ($(right_all) verdicts; fresh runs per case and mode: $runs)" >> "$summary"
fi
nwrong=$(grep -c ' wrong$' "$tally")
echo "run.sh: $(right_all) verdicts right; $nwrong wrong; $((t_end - t_start)) s" >&2
if [ "$nwrong" -gt 0 ] && [ "$gate" = 1 ]; then status=1; fi
exit $status

#!/bin/sh
# bench_baselines.sh - baseline files at scale: how `memgate show`, `check`
# and `update` grow with the number of entries (issue 14: parsing must be
# linear, an update of 50k scopes must take seconds).
#
#   bench_baselines.sh [--quick] [--memgate-cmd PATH] [--summary FILE]
#
# Prints its Markdown section on standard output; appends an H| line to the
# summary file. Inputs come from tests/hostile/gen_scale.sh (one file of N
# scopes, every field written out as `memgate update` writes it). Each figure
# is the median of 3 runs (1 with --quick) of the whole command, process
# start included. Exit status: 0, or 1 when a command failed.
set -u
cd "$(dirname "$0")/../.." || exit 2
quick=""; mcmd=build/memgate; summary=/dev/null
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=1 ;;
    --memgate-cmd) mcmd=$2; shift ;;
    --summary) summary=$2; shift ;;
    *) echo "usage: $0 [--quick] [--memgate-cmd PATH] [--summary FILE]" >&2; exit 2 ;;
  esac
  shift
done
[ -x "$mcmd" ] || { echo "bench_baselines: $mcmd is not built" >&2; exit 1; }
if [ -n "$quick" ]; then sizes="1000 10000"; runs=1; else sizes="1000 10000 50000"; runs=3; fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/memgate-bench-bl.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
gen="sh tests/hostile/gen_scale.sh"
status=0
$gen results 1 "$tmp/one.jsonl"

now_us() { echo $(( $(date +%s%N) / 1000 )); }
# med SETUP -- COMMAND...: median wall time (us) of COMMAND over $runs runs;
# SETUP (a shell command, or :) runs before each, untimed.
med() {
  setup=$1; shift 2
  for k in $(seq 1 "$runs"); do
    sh -c "$setup" || status=1
    t0=$(now_us)
    "$@" >/dev/null 2>"$tmp/err" || { status=1; echo "bench_baselines: failed: $* ($(head -n 1 "$tmp/err"))" >&2; }
    echo $(( $(now_us) - t0 ))
  done | sort -n | sed -n "$(( (runs + 1) / 2 ))p"
}
ms() { awk -v u="$1" 'BEGIN { if (u >= 100000) printf "%.2f s", u / 1e6; else printf "%.1f ms", u / 1e3 }'; }

rows=""; first_check=""; first_show=""; first_n=""; last_check=""; last_show=""; last_n=""; last_upd=""
for n in $sizes; do
  mkdir -p "$tmp/b$n" "$tmp/u$n"
  $gen baseline "$n" "$tmp/b$n/scale.json"
  $gen results "$n" "$tmp/r$n.jsonl" 1
  size=$(wc -c < "$tmp/b$n/scale.json")
  show=$(med : -- "$mcmd" show --baselines "$tmp/b$n")
  check=$(med : -- "$mcmd" check --baselines "$tmp/b$n" "$tmp/one.jsonl")
  checkn=$(med : -- "$mcmd" check --baselines "$tmp/b$n" "$tmp/r$n.jsonl")
  upd=$(med "rm -rf '$tmp/u$n'" -- "$mcmd" update --baselines "$tmp/u$n" "$tmp/r$n.jsonl")
  merge=$(med "cp '$tmp/b$n/scale.json' '$tmp/u$n/scale.json'" -- "$mcmd" update --baselines "$tmp/u$n" "$tmp/r$n.jsonl")
  rows="$rows| $n | $(awk -v b="$size" 'BEGIN { printf "%.1f MiB", b / 1048576 }') | $(ms "$check") | $(ms "$show") | $(ms "$checkn") | $(ms "$upd") | $(ms "$merge") |
"
  [ -n "$first_n" ] || { first_n=$n; first_check=$check; first_show=$show; }
  last_n=$n; last_check=$check; last_show=$show; last_upd=$merge
done
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", a / (b > 0 ? b : 1) }'; }
r_check=$(ratio "$last_check" "$first_check"); r_show=$(ratio "$last_show" "$first_show")
linear=$(( last_n / first_n ))
bound=$(( linear * 6 / 5 ))
verdict=$(awk -v r="$r_check" -v b="$bound" 'BEGIN { print (r <= b) ? "met" : "not met" }')

echo "## Baseline files at scale"
echo
echo "How the commands grow with the size of a baseline file (issue 14: parsing must be linear, an"
echo "update of 50k scopes must take seconds). One file of N scopes with every field written out,"
echo "as \`memgate update\` writes it (\`tests/hostile/gen_scale.sh\`); wall time of the whole"
echo "command, process start included, median of $runs run(s)."
echo
echo "| entries | file | \`check\` of 1 result (parse) | \`show\` (parse + table) | \`check\` of N results | \`update\` N scopes, new file | \`update\` N scopes into the file |"
echo "|---|---|---|---|---|---|---|"
printf '%s' "$rows"
echo
echo "- Parsing ${last_n} entries took ${r_check}× the time of ${first_n} (\`check\` of one result;"
echo "  \`show\`: ${r_show}×) for ${linear}× the entries: target ≤ $((linear * 6 / 5))× (linear): **${verdict}**."
echo "  Positions come from one cursor carried through the document, entries are sorted once, and"
echo "  \`update\` groups results with one sort."
echo "- \`update\` of ${last_n} scopes into a ${last_n}-entry file: $(ms "$last_upd") in all (load the"
echo "  results, check the target file, then parse, merge and write it under the directory lock)."
echo "- The hostile suite (\`tests/hostile/run.sh\`, in \`make test\`) checks the ratio of \`show\`"
echo "  on 50k and 1k entries against a generous bound (150×), so a quadratic step cannot come back."
echo
printf 'H|baseline files|parsing %s entries took %s× the time of %s (linear: %s×); update of %s scopes into an existing file %s\n' \
  "$last_n" "$r_check" "$first_n" "$linear" "$last_n" "$(ms "$last_upd")" >> "$summary"
exit $status

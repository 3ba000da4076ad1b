#!/bin/sh
# gen_benchmarks.sh - run the benchmark programs and write the report.
#
#   gen_benchmarks.sh [--quick] --build DIR --out FILE [--memgate-cmd PATH]
#                     [--cc CC] [--asan-cc CC] [--gate candidate|defaults|none]
#                     [--realworld DIR] [--realworld-gate 0|1]
#
# Runs bench_sampling, bench_cost and bench_tools (timed, one process at a time), then
# bench_detect and bench_fp (counts, two processes at a time), then
# bench_baselines.sh (baseline files at scale), then, with --realworld DIR,
# the real-world corpus built in DIR (tests/realworld/run.sh: 20 fresh runs
# per case and mode, or one with --quick; a wrong verdict fails only with
# --realworld-gate 1), collects their
# Markdown sections and summary lines, and writes FILE: machine, kernel, libc,
# date, headline figures, targets, issue 2's acceptance figures,
# recommendations, then the sections. Every figure comes from this run.
#
# Exit status: 0; 1 when a program crashed or failed, or a gated
# false-positive count was not 0 (FILE is written in every case).
set -u

quick=""
build=build/bench
out=docs/BENCHMARKS.md
mcmd=build/memgate
cc=${CC:-cc}
asan_cc=""
gate=candidate
rw_build=""
rw_gate=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) quick=--quick ;;
    --build) build=$2; shift ;;
    --out) out=$2; shift ;;
    --memgate-cmd) mcmd=$2; shift ;;
    --cc) cc=$2; shift ;;
    --asan-cc) asan_cc=$2; shift ;;
    --gate) gate=$2; shift ;;
    --realworld) rw_build=$2; shift ;;
    --realworld-gate) rw_gate=$2; shift ;;
    *) echo "usage: $0 [--quick] --build DIR --out FILE [--memgate-cmd PATH] [--cc CC]" \
            "[--asan-cc CC] [--gate candidate|defaults|none] [--realworld DIR] [--realworld-gate 0|1]" >&2; exit 2 ;;
  esac
  shift
done
[ -n "$asan_cc" ] || asan_cc=$cc

tmp=$(mktemp -d "${TMPDIR:-/tmp}/memgate-bench-gen.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT INT TERM
summary=$tmp/summary.txt
: > "$summary"
status=0
start=$(date +%s)
# The library the programs were just linked against: the commit at the start.
commit=$(git rev-parse --short HEAD 2>/dev/null || echo "?")
if [ -n "$(git status --porcelain 2>/dev/null | head -n 1)" ]; then commit="$commit (with uncommitted changes)"; fi

# run NAME ARGS...: runs $build/NAME, stdout to $tmp/NAME.md; records failures.
run() {
  name=$1; shift
  t0=$(date +%s)
  echo "bench: $name $*" >&2
  "$build/$name" "$@" --summary "$summary" > "$tmp/$name.md"
  rc=$?
  t1=$(date +%s)
  echo "bench: $name finished in $((t1 - t0)) s (exit $rc)" >&2
  case $rc in
    0) ;;
    1) echo "bench: $name: false-positive count not 0 (gate: $gate)" >&2; status=1 ;;
    *) echo "bench: $name FAILED (exit $rc)" >&2; status=1
       printf '\n> **%s failed (exit %s); its figures are missing or partial.**\n\n' "$name" "$rc" \
         >> "$tmp/$name.md" ;;
  esac
}

run bench_sampling $quick --memgate-cmd "$mcmd"
run bench_cost $quick --memgate-cmd "$mcmd"
run bench_tools $quick --memgate-cmd "$mcmd" --asan-cc "$asan_cc"
run bench_detect $quick --memgate-cmd "$mcmd" --jobs 2 --gate "$gate"
run bench_fp $quick --memgate-cmd "$mcmd" --jobs 2 --gate "$gate"
echo "bench: bench_baselines.sh $quick" >&2
if ! sh tests/bench/bench_baselines.sh $quick --memgate-cmd "$mcmd" --summary "$summary" \
    > "$tmp/bench_baselines.md"; then
  echo "bench: bench_baselines.sh FAILED" >&2; status=1
  printf '\n> **bench_baselines.sh failed; its figures are missing or partial.**\n\n' >> "$tmp/bench_baselines.md"
fi
: > "$tmp/realworld.md"
if [ -n "$rw_build" ]; then
  rw_swift=""
  [ -x "$rw_build/swift/RealWorldSwift" ] && rw_swift="--swift $rw_build/swift/RealWorldSwift"
  echo "bench: tests/realworld/run.sh $quick (gate $rw_gate)" >&2
  # shellcheck disable=SC2086
  if ! sh tests/realworld/run.sh $quick --build "$rw_build" --memgate-cmd "$mcmd" --gate "$rw_gate" \
      $rw_swift --summary "$summary" > "$tmp/realworld.md"; then
    echo "bench: real-world corpus: a wrong verdict (gate on) or a failure" >&2; status=1
    printf '\n> **The real-world corpus failed (wrong verdicts with the gate on, or a program failed).**\n\n' \
      >> "$tmp/realworld.md"
  fi
fi
end=$(date +%s)

# ---------------------------------------------------------------- facts
first_line() { "$@" 2>&1 | head -n 1; }
cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo 2>/dev/null | head -n 1)
[ -n "$cpu" ] || cpu=$(uname -m)
cores=$(getconf _NPROCESSORS_ONLN 2>/dev/null || echo "?")
mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo 2>/dev/null)
kernel=$(uname -srm)
libc=$(getconf GNU_LIBC_VERSION 2>/dev/null || first_line ldd --version)
libc_pkg=$(first_line ldd --version)
ccv=$(first_line $cc --version)
asanv=$(first_line $asan_cc --version)
if command -v valgrind >/dev/null 2>&1; then vgv=$(first_line valgrind --version); else vgv="not installed"; fi
thp=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null || echo "?")
page=$(getconf PAGESIZE 2>/dev/null || echo "?")
when=$(date -u '+%Y-%m-%d %H:%M UTC')
load=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || echo "?")
mode="full run"
[ -n "$quick" ] && mode="quick run: fewer processes and iterations, not the published figures"

# Value of key=... on the first "M|" line that has it.
mval() {
  awk -v key="$1" '/^M\|/ { sub(/^M\|/, ""); n = split($0, w, /[ |]/)
    for (i = 1; i <= n; i++) if (index(w[i], key "=") == 1) { print substr(w[i], length(key) + 2); exit } }' \
    "$summary"
}

# ---------------------------------------------------------------- report
{
  echo "# memgate benchmarks"
  echo
  echo "Generated by \`make bench\` on $when ($mode); every figure below comes from that run."
  echo "Regenerate with \`make bench\` (this run took $((end - start)) s); \`make bench-quick\` is the CI"
  echo "variant. The programs are in \`tests/bench/\`; each measurement runs in a fresh process."
  echo
  echo "| | |"
  echo "|---|---|"
  echo "| machine | $cpu, $cores cores, $mem |"
  echo "| kernel | $kernel |"
  echo "| libc | $libc ($libc_pkg) |"
  echo "| page size | $page bytes |"
  echo "| transparent huge pages | $thp |"
  echo "| compiler | $ccv |"
  echo "| sanitizer build | $asanv |"
  echo "| valgrind | $vgv |"
  echo "| memgate | commit $commit |"
  echo "| load average at the end | $load (other work was running on this machine) |"
  echo "| duration | $((end - start)) s |"
  echo
  echo "## Headline figures"
  echo
  awk -F'|' '$1 == "H" { print "- **" $2 "**: " $3 }' "$summary"
  echo
  echo "## Targets (issues 6 and 13)"
  echo
  echo "| target | status | measured | why / what would close it |"
  echo "|---|---|---|---|"
  awk -F'|' '$1 == "T" { print "| " $2 " | " $3 " | " $4 " | " $5 " |" }
             $1 == "TC" { print "| " $2 " *(candidate options)* | " $3 " | " $4 " | " $5 " |" }' "$summary"
  echo
  echo "## Acceptance figures of issue 2 (default settings, Linux x86_64)"
  echo
  echo "| figure | status | measured | note |"
  echo "|---|---|---|---|"
  awk -F'|' '$1 == "A" { print "| " $2 " | " $3 " | " $4 " | " $5 " |" }' "$summary"
  echo
  echo "## Where the remaining cost is"
  echo
  echo "What this run's figures say about the targets still not met (the changes already made are in"
  echo "docs/DESIGN.md; these are the parts left):"
  echo
  read_ns=$(mval read_ns); rus_ns=$(mval rusage_ns); statm_ns=$(mval statm_mi_ns)
  pair=$(mval pair_small_us); pair_nr=$(mval pair_small_norelease_us); trim=$(mval trim_small_us)
  fpair=$(mval pair_frag_ms); fpair_nr=$(mval pair_frag_norelease_ms); ftrim=$(mval trim_frag_ms)
  echo "1. **Samples.** \`memgate_read()\` took ${read_ns:-?} ns against ${rus_ns:-?} ns for \`getrusage\`;"
  echo "   it already reads a kept \`/proc/self/statm\` descriptor plus \`mallinfo2()\` (${statm_ns:-?} ns for the two"
  echo "   alone, $(mval statm_ratio)× getrusage). What is left is the two calls themselves."
  echo "2. **Scope pairs.** The small-heap pair took ${pair:-?} µs (${pair_nr:-?} µs with \`MEMGATE_RELEASE=0\`;"
  echo "   one \`malloc_trim(0)\` ${trim:-?} µs; the peak reset $(mval clear_refs_us) µs). The release and the peak"
  echo "   are most of it: \`MEMGATE_RELEASE=0\` and \`MEMGATE_PEAK=0\` (table above) skip them, at the price"
  echo "   of what each measures (freed memory left in the allocator's caches counts as retained; no peak)."
  echo "3. **Huge fragmented heaps.** There one pair took ${fpair:-?} ms, almost all in \`malloc_trim(0)\`"
  echo "   (${ftrim:-?} ms per call); \`MEMGATE_RELEASE=0\` bounded it to ${fpair_nr:-?} ms. A trim is already skipped"
  echo "   when neither the allocator's free bytes nor RssAnon grew since the last one. \`mallinfo2()\`"
  echo "   walks every free chunk too: an option to skip the allocator view would bound the rest; it"
  echo "   does not exist yet."
  echo "4. **False positives and small leaks.** The library defaults of this run (Profiles under"
  echo "   Detection power: default glibc warm-up $(mval opt0_warmup), footprint min growth $(mval opt0_mg) B,"
  echo "   allocator view $(mval opt0_hmg) B and $(mval opt0_hms) B/iter, t ≥ $(mval opt0_t), regular steps $(mval opt0_reg); tuned warm-up"
  echo "   $(mval opt1_warmup), allocator view $(mval opt1_hmg) B and $(mval opt1_hms) B/iter) gave $(mval fp_default) false leaks under"
  echo "   default glibc ($(mval fp_default_byfp) by the footprint rules, $(mval fp_default_byheap) by the allocator view's monotone/trend"
  echo "   rules, $(mval fp_default_byregular) by the regular-step rule) and $(mval fp_tuned) in the tuned environment."
  echo "   Under default glibc the library tops the measuring thread's per-thread cache up before"
  echo "   every sample, so a leak adds the same step to the allocator view every iteration and the"
  echo "   regular-step rule flags it: median iterations until leak 256 B: $(mval def_256), 16 B: $(mval def_16)."
  echo "   The footprint rule's minimum is 10 pages: at 3 pages glibc's own creep (fragmentation of"
  echo "   the main heap, and a worker thread's arena, whose top \`malloc_trim(0)\` never gives back:"
  echo "   up to $(mval thread_growth_kib) KiB over one check in the tuned environment here) was flagged (21 of 12000"
  echo "   checks under default glibc in an earlier run)."
  fpc=$(mval fp_default_cand)
  if [ "${fpc%%/*}" = 0 ]; then
    echo "   The candidate, a warm-up of 10 instead of 20 under default glibc, had no false leak in"
    echo "   this run ($(mval fp_default_cand)); it would make every repeat 10 iterations shorter, but earlier"
    echo "   exploratory runs of the worker-thread scenario did flag it, so it needs a larger run first."
  else
    echo "   The candidate, a warm-up of 10 instead of 20 under default glibc, gave $(mval fp_default_cand) false"
    echo "   leaks: a worker thread's cache, which the measuring thread cannot fill, still grows fast"
    echo "   enough after 10 iterations to trip the monotone/trend rules. **Keep the warm-up at 20.**"
  fi
  echo "5. **Cost of a long repeat.** Releasing memory before every sample makes the code under test"
  echo "   fault its freed buffers in again on the next iteration: the correct room ran $(mval tools_memgate)× slower"
  echo "   under MEM_REPEAT ($(mval tools_faults_memgate) minor faults against $(mval tools_faults_plain)) but $(mval tools_memgate_norelease)× with"
  echo "   \`MEMGATE_RELEASE=0\`. Keeping a small pad (\`malloc_trim(pad)\`) or releasing only every few"
  echo "   iterations would cut that; measure it against the false-positive table before changing it."
  echo "6. **CI gate.** \`make bench-quick\` fails on a crash or on any false leak with the library's"
  echo "   own defaults (\`BENCH_FP_GATE=defaults\`); the candidate columns are information."
  echo
  for name in bench_sampling bench_cost bench_detect bench_fp bench_tools bench_baselines realworld; do
    cat "$tmp/$name.md"
  done
  # The allocation-site section, written by `make bench-sites` (mk/sites.mk).
  if [ -f "$build/sites.md" ]; then cat "$build/sites.md"; fi
  echo "## Reproducing"
  echo
  echo "\`make bench\` builds \`build/bench/\` from \`tests/bench/\` against \`build/libmemgate.a\` and runs"
  echo "\`tests/bench/gen_benchmarks.sh\`, which writes this file. Each program also runs on its own"
  echo "(\`build/bench/bench_detect --quick\` prints its section). Timings are medians of individual"
  echo "calls or runs and are compared only with a reference measured in the same processes, because"
  echo "other work shared this machine; counts (iterations, verdicts) do not depend on load."
} > "$out.tmp" && mv -f "$out.tmp" "$out"

echo "bench: wrote $out ($mode, $((end - start)) s)" >&2
grep -E '^(T|A)\|' "$summary" | awk -F'|' '{ printf "bench: %-3s %-14s %s\n", $1, $3, $2 }' >&2
exit $status

#!/bin/sh
# bench_sites.sh - `make bench-sites`: the allocation-site recorder side by
# side with heaptrack on the same workloads (tests/sites/sites_bench.c: the
# buggy live room, a churn-heavy body with one small leak). Each workload
# runs in one MEM_REPEAT under `memgate run` three ways: as is, with
# --sites, and under heaptrack; RUNS runs each, interleaved, median time of
# the measured iterations (memgate's own elapsed_ns). Writes a Markdown
# section to OUT.
#   usage: bench_sites.sh MEMGATE SITES_BENCH OUT [RUNS] [LIVE_ITER] [CHURN_ITER]
mg=$1; prog=$2; out=$3; runs=${4:-3}; live_n=${5:-200}; churn_n=${6:-200}
tmp=$(mktemp -d "${TMPDIR:-/tmp}/bench-sites.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
have_ht=0; command -v heaptrack >/dev/null 2>&1 && command -v heaptrack_print >/dev/null 2>&1 && have_ht=1

median() { sort -n | awk '{ a[NR] = $1 } END { if (NR) print a[int((NR + 1) / 2)]; else print "" }'; }
field() { sed -n "s/.*$1=\\([0-9]*\\).*/\\1/p" "$2" | head -1; }

# run WORKLOAD N MODE I: one run; leaves $tmp/W.M.I.{out,res,site}
run() {
  w=$1; n=$2; m=$3; i=$4; base=$tmp/$w.$m.$i
  case $m in
    plain) "$mg" run --allow-empty --results "$base.res" -- "$prog" "$w" "$n" > "$base.out" 2>/dev/null ;;
    sites) "$mg" run --sites --allow-empty --results "$base.res" -- "$prog" "$w" "$n" > "$base.out" 2>/dev/null
           python3 -c 'import json,sys
r=[json.loads(l) for l in open(sys.argv[1]) if l.strip()]
t=(r[0].get("sites") or [{}])[0] if r else {}
s=t.get("frames",[]); k=t.get("kept_by") or {}
fl=lambda f: "%s:%s" % (f["function"], f["line"])
kept=" <- ".join(fl(h["frames"][-1]) for h in k.get("holders", []) if h["frames"])
root={"global": "global " + (k.get("global") or {}).get("symbol", "?"), "stack": "stack", "none": "unreachable"}.get(k.get("root"), "")
tail="; unreachable" if k.get("root") == "none" else ("; kept by " + " <- ".join(x for x in (kept, root) if x) if root else "")
print((" <- ".join(fl(f) for f in s[:4]) or "-") + tail)' "$base.res" > "$base.site" ;;
    heaptrack) "$mg" run --allow-empty --results "$base.res" -- heaptrack -o "$base.ht" "$prog" "$w" "$n" \
                 > "$base.out" 2>/dev/null
           heaptrack_print --print-leaks 1 --print-peaks 0 --print-allocators 0 --print-temporary 0 \
             -f "$base".ht.* 2>/dev/null |
             awk '/^MEMORY LEAKS/ { on = 1; next } on && /leaked over/ { getline f; getline at; sub(/^ *at /, "", at);
                  sub(/.*\//, "", at); print f " " at; exit }' > "$base.site" ;;
  esac
}

modes="plain sites"; [ "$have_ht" = 1 ] && modes="$modes heaptrack"
for i in $(seq 1 "$runs"); do
  for m in $modes; do run live "$live_n" "$m" "$i"; run churn "$churn_n" "$m" "$i"; done
  run heap 20 sites "$i"
done

row() { # WORKLOAD TITLE RIGHT_SITE_REGEX
  w=$1
  p=$(for i in $(seq 1 "$runs"); do field measured_ns "$tmp/$w.plain.$i.out"; done | median)
  s=$(for i in $(seq 1 "$runs"); do field measured_ns "$tmp/$w.sites.$i.out"; done | median)
  tb=$(field table_bytes "$tmp/$w.sites.1.out")
  hw_p=$(field vm_hwm_kb "$tmp/$w.plain.1.out"); hw_s=$(field vm_hwm_kb "$tmp/$w.sites.1.out")
  site_s=$(cat "$tmp/$w.sites.1.site" 2>/dev/null)
  ok_s=no; echo "$site_s" | grep -Eq "$3" && ok_s=yes
  line="| $2 | $((p / 1000000)) ms | $((s / 1000000)) ms ($(awk -v a="$s" -v b="$p" 'BEGIN { printf "%.1f", a / b }')×) |"
  if [ "$have_ht" = 1 ]; then
    h=$(for i in $(seq 1 "$runs"); do field measured_ns "$tmp/$w.heaptrack.$i.out"; done | median)
    hw_h=$(field vm_hwm_kb "$tmp/$w.heaptrack.1.out")
    site_h=$(cat "$tmp/$w.heaptrack.1.site" 2>/dev/null)
    ok_h=no; echo "$site_h" | grep -Eq "$3" && ok_h=yes
    line="$line $((h / 1000000)) ms ($(awk -v a="$h" -v b="$p" 'BEGIN { printf "%.1f", a / b }')×) |"
  else
    line="$line not installed |"
  fi
  line="$line $((tb / 1048576)) MiB tables; peak RSS +$(( (hw_s - hw_p) / 1024 )) MiB |"
  [ "$have_ht" = 1 ] && line="$line peak RSS +$(( (hw_h - hw_p) / 1024 )) MiB |"
  line="$line **$ok_s**: \`$site_s\` |"
  [ "$have_ht" = 1 ] && line="$line $ok_h: \`$site_h\` (its first \"leak\") |"
  echo "$line"
}

walk_row() { # WORKLOAD TITLE
  w=$1
  ns=$(for i in $(seq 1 "$runs"); do field walk_ns "$tmp/$w.sites.$i.out"; done | median)
  b=$(field walk_blocks "$tmp/$w.sites.1.out"); hb=$(field walk_heap_bytes "$tmp/$w.sites.1.out")
  [ -n "$ns" ] && [ -n "$b" ] && [ "$b" -gt 0 ] || { echo "| $2 | - | - | not measured | - |"; return; }
  echo "| $2 | $b | $((hb / 1048576)) MiB | $(awk -v n="$ns" 'BEGIN { printf "%.1f ms", n / 1e6 }') | $(awk -v n="$ns" -v b="$b" 'BEGIN { printf "%.0f ns", n / b }') |"
}

{
  echo "## Allocation sites: memgate run --sites and heaptrack (issue 15)"
  echo
  echo "tests/sites/sites_bench.c, one MEM_REPEAT per workload, under \`memgate run\` (tuned glibc) three"
  echo "ways: as is, with \`--sites\` (libmemgate-sites.so preloaded), and under \`heaptrack\` (without"
  echo "--sites). Time: memgate's own \`elapsed_ns\` of the measured iterations, median of $runs runs,"
  echo "interleaved. *Right site*: the first site the results line lists (\`--sites\`; then what keeps"
  echo "it alive, each holder by its caller's line, and the root), or the first"
  echo "entry of \`heaptrack_print\`'s MEMORY LEAKS (blocks not freed at exit, largest first)."
  echo "Live room: $live_n measured visits; churn: $churn_n iterations of 2000 malloc/free pairs and"
  echo "one lost 512-byte block at \`churn_leak()\`."
  echo
  echo "| workload | measured iterations | with --sites | under heaptrack | memory, --sites | memory, heaptrack | right site, --sites | right site, heaptrack |"
  echo "|---|---:|---:|---:|---|---|---|---|"
  row live "buggy live room" "alloc_touched|gift_decode"
  row churn "churn-heavy body + 512 B leak" "churn_leak"
  echo
  echo "heaptrack answers at exit and by total bytes not freed, so memgate's own start-up buffers"
  echo "(allocated once, never freed) can come first; \`--sites\` lists only stacks whose live bytes"
  echo "grew on every measured iteration, by the repeat's own rules. The tables are allocated and"
  echo "touched once at start-up (docs/SITES.md), so they add to RSS but never to a measured delta."
  echo "Without \`--sites\` nothing is loaded; preloaded with \`MEMGATE_SITES\` unset the library costs"
  echo "about 5 ns per malloc/free pair (docs/SITES.md)."
  echo
  echo "### The \"kept alive by\" heap walk"
  echo
  echo "After a failing repeat's verdict the recorder walks the heap once (docs/SITES.md, \"Who keeps it"
  echo "alive\"). One more walk, timed by the program after its repeat (median of $runs runs):"
  echo
  echo "| workload | live blocks | live heap | one walk | per live block |"
  echo "|---|---:|---:|---:|---:|"
  walk_row live "buggy live room"
  walk_row heap "live room + 200 000 reachable 512 B blocks"
  echo
} > "$out"
echo "bench-sites: wrote $out" >&2

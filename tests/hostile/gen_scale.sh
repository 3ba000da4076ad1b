#!/bin/sh
# gen_scale.sh - large inputs for the scaling checks (hostile suite, bench).
#
#   gen_scale.sh baseline N FILE     a baseline file with N scopes
#                                    ("scale.s000001" ... in scale.json), one
#                                    linux-x86_64 entry each, every field
#                                    written out as `memgate update` does
#   gen_scale.sh results N FILE [SEED]  a results file (format 1) with N
#                                    passing scopes of the same names; SEED
#                                    (default 0) shifts the measured values
#
# Plain awk, so it runs wherever the tests do. The names sort in the order
# written (zero-padded), like a file `memgate update` wrote.
set -eu
what=${1:?usage: gen_scale.sh baseline|results N FILE [SEED]}
n=${2:?N}
out=${3:?FILE}
seed=${4:-0}
case $what in
  baseline)
    awk -v n="$n" 'BEGIN {
      printf "{\n  \"format\": 1,\n  \"scopes\": {\n"
      for (i = 1; i <= n; i++) {
        printf "    \"scale.s%06d\": {\n      \"linux-x86_64\": {\n", i
        printf "        \"iterations\": 1,\n        \"kind\": \"scope\",\n"
        printf "        \"peak_bytes\": %d,\n", 4096 * (i % 97)
        printf "        \"peak_tolerance_bytes\": 262144,\n        \"peak_tolerance_percent\": 25,\n"
        printf "        \"retained_bytes\": %d,\n", 64 * (i % 13)
        printf "        \"tolerance_bytes\": 65536,\n        \"tolerance_percent\": 10\n"
        printf "      }\n    }%s\n", i < n ? "," : ""
      }
      printf "  }\n}\n"
    }' > "$out" ;;
  results)
    awk -v n="$n" -v seed="$seed" 'BEGIN {
      for (i = 1; i <= n; i++) {
        r = 64 * ((i + seed) % 13); p = 4096 * ((i + seed) % 97)
        printf "{\"format\":1,\"name\":\"scale.s%06d\",\"kind\":\"scope\",\"verdict\":\"pass\",", i
        printf "\"message\":\"retained +%d B\",\"error\":null,\"file\":\"scale.c\",\"line\":%d,", r, i
        printf "\"begin_file\":\"scale.c\",\"begin_line\":%d,\"platform\":\"linux-x86_64\",", i
        printf "\"before_bytes\":1000000,\"after_bytes\":%d,\"retained_bytes\":%d,", 1000000 + r, r
        printf "\"peak_bytes\":%d,\"heap_delta_bytes\":null,\"warmup_bytes\":0,\"warmup\":0,", p
        printf "\"iterations\":1,\"series\":[1000000,%d],\"heap_series\":null,", 1000000 + r
        printf "\"slope_bytes\":%d.0,\"heap_slope_bytes\":0.0,\"baseline\":null,", r
        printf "\"elapsed_ns\":1000,\"pid\":4242}\n"
      }
    }' > "$out" ;;
  *) echo "gen_scale.sh: unknown kind '$what' (baseline or results)" >&2; exit 2 ;;
esac

#!/usr/bin/env python3
"""Writes a synthetic history file: RUNS runs x SCOPES scopes, one commit and
run id per run, a minute apart; scope 0 leaks from the middle run on.
Used to measure memgate report --history and history append at scale
(docs/CI.md, "History across commits").

usage: gen_runs.py OUT.jsonl RUNS SCOPES
"""
import hashlib
import json
import sys

out, runs, scopes = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
t0 = 1796000000
with open(out, "w") as f:
    for r in range(runs):
        commit = hashlib.sha1(b"run%d" % r).hexdigest()
        sec = t0 + 60 * r
        tm = "%04d-%02d-%02dT%02d:%02d:%02d.000Z" % (2026, 12, 1 + sec // 86400 % 28, sec // 3600 % 24, sec // 60 % 60, 0)
        for s in range(scopes):
            leak = s == 0 and r >= runs // 2
            ret = 655360 if leak else (s * 37) % 4096
            d = {"run": "%s@%d" % (commit, r), "format": 2, "name": "scale.scope%03d" % s, "kind": "repeat",
                 "verdict": "leak" if leak else "pass", "measured_verdict": "leak" if leak else "pass",
                 "baseline_verdict": None, "message": "synthetic", "error": None, "file": "gen.c", "line": 10 + s,
                 "platform": "linux-x86_64", "before_bytes": 1 << 20, "after_bytes": (1 << 20) + ret,
                 "retained_bytes": ret, "peak_bytes": ret + 8192, "heap_delta_bytes": ret, "warmup_bytes": 0,
                 "warmup": 1, "iterations": 10, "series": None, "heap_series": None,
                 "slope_bytes": ret / 10.0, "heap_slope_bytes": ret / 10.0, "baseline": None,
                 "elapsed_ns": 1000, "pid": 1, "time": tm, "commit": commit,
                 "host_memory_bytes": 8 << 30, "host_cpus": 2}
            f.write(json.dumps(d, separators=(",", ":")) + "\n")

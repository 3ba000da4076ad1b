#!/usr/bin/env python3
"""series.py - one line per MEM_REPEAT result in a MEMGATE_RESULTS file, to
explain a wrong verdict: name, verdict, warm-up, iterations, message, and
the footprint and allocator-view series as steps (differences between
consecutive samples, in bytes; runs of equal steps are folded, "0x12").

    series.py RESULTS.jsonl [NAME]
    series.py --cost NAME RESULTS.jsonl...

--cost prints what NAME's repeats cost over the files: the median and the
largest number of measured iterations (confirmation rounds included) and the
median wall time of the measured part, e.g. "60 (max 120), 4.1 ms" ("-" when
no file has NAME).
"""
import json
import sys


def steps(series):
    if not series:
        return "-"
    d = [b - a for a, b in zip(series, series[1:])]
    out, i = [], 0
    while i < len(d):
        j = i
        while j < len(d) and d[j] == d[i]:
            j += 1
        out.append("%d" % d[i] if j - i == 1 else "%dx%d" % (d[i], j - i))
        i = j
    return " ".join(out)


def repeats(path, want):
    """NAME's repeat results in one results file (a bad line stops the run)."""
    out = []
    with open(path, encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            try:
                r = json.loads(line)
            except ValueError as e:
                raise SystemExit("series.py: %s:%d: %s" % (path, n, e))
            if r.get("kind") == "repeat" and r.get("name") == want:
                out.append(r)
    return out


def cost(want, paths):
    its, ms = [], []
    for p in paths:
        try:
            rs = repeats(p, want)
        except OSError:
            continue
        for r in rs:
            its.append(int(r.get("iterations") or 0))
            ms.append((r.get("elapsed_ns") or 0) / 1e6)
    if not its:
        print("-")
        return 0
    its.sort()
    ms.sort()
    print("%d (max %d), %.1f ms" % (its[len(its) // 2], its[-1], ms[len(ms) // 2]))
    return 0


def main():
    if len(sys.argv) >= 3 and sys.argv[1] == "--cost":
        return cost(sys.argv[2], sys.argv[3:])
    if len(sys.argv) not in (2, 3):
        sys.stderr.write("usage: series.py RESULTS.jsonl [NAME]\n")
        return 2
    want = sys.argv[2] if len(sys.argv) == 3 else None
    try:
        lines = open(sys.argv[1], encoding="utf-8").read().splitlines()
    except OSError as e:
        sys.stderr.write("series.py: %s: %s\n" % (sys.argv[1], e.strerror))
        return 2
    for n, line in enumerate(lines, 1):
        try:
            r = json.loads(line)
        except ValueError as e:
            sys.stderr.write("series.py: %s:%d: %s\n" % (sys.argv[1], n, e))
            return 2
        if r.get("kind") != "repeat" or (want and r.get("name") != want):
            continue
        print("%s: %s (warm-up %s, %s iterations): %s; footprint steps: %s; heap steps: %s" % (
            r.get("name"), r.get("verdict"), r.get("warmup"), r.get("iterations"),
            r.get("message", "").split("; no baseline")[0], steps(r.get("series")), steps(r.get("heap_series"))))
    return 0


if __name__ == "__main__":
    sys.exit(main())

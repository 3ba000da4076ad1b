#!/usr/bin/env python3
"""Writes the large report test inputs (deterministic) into a directory:

  many.jsonl      500 results: passes, leaks, regressions against baselines,
                  errors without samples, scopes and repeats, with and
                  without the allocator view
  long.jsonl      one repeat with a 10 000-point series and a one-sample
                  spike at index 7777 that the drawing must keep
  baselines/      the baseline files many.jsonl's results were judged
                  against (memgate report judges again, like memgate check)

The small inputs are committed under tests/report/inputs/ (script.jsonl:
hostile text in every string field the results format allows).
usage: gen_inputs.py OUTDIR
"""
import json
import os
import random
import sys

KIB = 1024


def slope(ys):
    n = len(ys)
    if n < 2:
        return 0.0
    xm = (n - 1) / 2.0
    ym = sum(ys) / n
    num = sum((i - xm) * (y - ym) for i, y in enumerate(ys))
    den = sum((i - xm) ** 2 for i in range(n))
    return num / den


def result(name, kind, verdict, series, heap=None, warmup=0, warmup_bytes=0, peak=None,
           baseline=None, message="", error=None, platform="linux-x86_64", file="tests/x.c",
           line=10):
    before = series[0] if series else 0
    after = series[-1] if series else 0
    return {
        "format": 1, "name": name, "kind": kind, "verdict": verdict, "message": message,
        "error": error, "file": file, "line": line, "begin_file": file, "begin_line": line,
        "platform": platform, "before_bytes": before, "after_bytes": after,
        "retained_bytes": after - before, "peak_bytes": peak,
        "heap_delta_bytes": (heap[-1] - heap[0]) if heap else None,
        "warmup_bytes": warmup_bytes, "warmup": warmup,
        "iterations": max(len(series) - 1, 0) if kind == "repeat" else 1,
        "series": series if series else None, "heap_series": heap,
        "slope_bytes": round(slope(series), 3) if series else 0.0,
        "heap_slope_bytes": round(slope(heap), 3) if heap else 0.0,
        "baseline": baseline, "elapsed_ns": 123456, "pid": 4242,
    }


def many(rng):
    out = []
    for i in range(500):
        suite, case = i // 50, i % 50
        name = "suite%02d.case%03d" % (suite, i)
        base = (300 + rng.randrange(2000)) * KIB
        repeat = i % 4 != 1 or case == 7
        n = 2 + rng.randrange(30) if repeat else 2
        verdict = "pass"
        grow = 0
        if case == 7:
            verdict, grow = "leak", (4 + rng.randrange(60)) * KIB
            n = max(n, 6)
        ys = [base + grow * k + rng.choice((0, 0, 4096, -4096)) for k in range(n)]
        ys = [max(y, 0) for y in ys]
        heap = [y // 2 for y in ys] if i % 2 == 0 else None
        baseline = None
        if i % 3 == 0 or case == 13:
            exp = max(ys[-1] - ys[0], 0)
            allowed = exp + 64 * KIB
            if case == 13:
                verdict = "regression"
                ys[-1] = ys[0] + allowed + 200 * KIB
                if heap:
                    heap[-1] = ys[-1] // 2
            baseline = {"platform": "linux-x86_64", "retained_bytes": exp, "peak_bytes": None,
                        "allowed_bytes": allowed}
        msg = "%s: case %d" % (verdict, i)
        if case == 29:
            out.append(result(name, "repeat", "error", [], message="could not read the footprint",
                              error="MEMGATE_EIO", line=i + 1))
            continue
        out.append(result(name, "repeat" if repeat else "scope", verdict, ys, heap,
                          warmup=2 if repeat else 0, warmup_bytes=8 * KIB if repeat else 0,
                          peak=(max(ys) - ys[0]) + 16 * KIB, baseline=baseline, message=msg,
                          line=i + 1))
    return out


def long_series(rng):
    ys = []
    for k in range(10000):
        ys.append(64 * 1024 * KIB + k * 40 + (k % 97) * 512 + rng.randrange(8) * 1024)
    ys[7777] += 32 * 1024 * KIB  # one sample, 32 MiB above the rest
    heap = [y - 16 * 1024 * KIB for y in ys]
    return [result("long.series", "repeat", "leak", ys, heap, warmup=5, warmup_bytes=2 * 1024 * KIB,
                   peak=max(ys) - ys[0], message="memory keeps growing over 9999 iterations")]


def write(path, rows):
    with open(path, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, separators=(",", ":")) + "\n")


def write_baselines(d, rows):
    files = {}
    for r in rows:
        if not r["baseline"]:
            continue
        entry = {"iterations": r["iterations"], "kind": r["kind"], "peak_bytes": None,
                 "retained_bytes": r["baseline"]["retained_bytes"],
                 "tolerance_bytes": r["baseline"]["allowed_bytes"] - r["baseline"]["retained_bytes"],
                 "tolerance_percent": 0}
        scopes = files.setdefault(r["name"].split(".")[0] + ".json", {})
        scopes[r["name"]] = {r["platform"]: entry}
    os.makedirs(os.path.join(d, "baselines"), exist_ok=True)
    for name, scopes in files.items():
        with open(os.path.join(d, "baselines", name), "w", encoding="utf-8") as f:
            json.dump({"format": 1, "scopes": scopes}, f, indent=2, sort_keys=True)
            f.write("\n")


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    d = sys.argv[1]
    os.makedirs(d, exist_ok=True)
    rows = many(random.Random(5))
    write(os.path.join(d, "many.jsonl"), rows)
    write_baselines(d, rows)
    write(os.path.join(d, "long.jsonl"), long_series(random.Random(7)))


if __name__ == "__main__":
    main()

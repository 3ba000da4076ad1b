#!/usr/bin/env python3
"""Checks the results line of tests/sites/sites_repeat.c run under
`memgate run --sites`: exactly the two leaking sites, ranked, with the right
bytes per iteration (within 5 %), file:line and callers; neither the churn
site nor the one-time cache. usage: check_sites.py RESULTS SOURCE WITH_LINES"""
import json
import os
import sys

results, source, with_lines = sys.argv[1], sys.argv[2], sys.argv[3] == "1"
lines = {}
for n, text in enumerate(open(source, encoding="utf-8"), 1):
    if "/* SITE: " in text:
        lines[text.split("/* SITE: ")[1].split(" ")[0]] = n
rows = [json.loads(l) for l in open(results, encoding="utf-8") if l.strip()]
bad = []
r = [x for x in rows if x["name"] == "sites.two_leaks"]
if len(r) != 1:
    sys.exit("check_sites: want one sites.two_leaks result, got %d" % len(r))
r = r[0]
if r["verdict"] != "leak":
    bad.append("verdict %s" % r["verdict"])
sites = r.get("sites")
if sites is None:
    sys.exit("check_sites: no \"sites\" in the results line")
want = [("decode_image", "decode_frame", 3000.0), ("cache_thumbnail", "render_thumbnail", 1000.0)]
got = [s["frames"][0]["function"] if s["frames"] else "?" for s in sites]
if got != [w[0] for w in want]:
    bad.append("sites %s, want %s" % (got, [w[0] for w in want]))
for s, (fn, caller, per) in zip(sites, want):
    f = s["frames"]
    if abs(s["bytes_per_iteration"] - per) > 0.05 * per:
        bad.append("%s: %.1f B per iteration, want %.0f" % (fn, s["bytes_per_iteration"], per))
    if abs(s["blocks_per_iteration"] - 1.0) > 0.05:
        bad.append("%s: %.2f blocks per iteration" % (fn, s["blocks_per_iteration"]))
    if len(f) < 3 or f[1]["function"] != caller or f[2]["function"] != "body":
        bad.append("%s: callers %s" % (fn, [x["function"] for x in f]))
        continue
    if with_lines:
        for fr, key in ((f[0], fn), (f[1], caller)):
            if os.path.basename(fr["file"]) != os.path.basename(source) or fr["line"] != lines[key]:
                bad.append("%s at %s:%s, want line %d" % (fr["function"], fr["file"], fr["line"], lines[key]))
# Who keeps them alive: the cache's global array, and nothing for the lost one.
kept = {s["frames"][0]["function"]: s.get("kept_by") for s in sites if s["frames"]}
k = kept.get("cache_thumbnail") or {}
if k.get("root") != "global" or (k.get("global") or {}).get("symbol") != "thumbs" or k.get("holders"):
    bad.append("cache_thumbnail kept_by %s, want the global thumbs directly" % k)
elif k.get("blocks") != k.get("examined") or k.get("examined", 0) < 12:
    bad.append("cache_thumbnail: %s of %s blocks on the path" % (k.get("blocks"), k.get("examined")))
k = kept.get("decode_image") or {}
if k.get("root") != "none" or k.get("holders"):
    bad.append("decode_image kept_by %s, want none (unreachable)" % k)
msg = r["message"]
if "kept alive by: nothing (unreachable" not in msg or "kept by global thumbs" not in msg:
    bad.append("message does not say what keeps the sites alive")
for fn in ("decode_image", "cache_thumbnail"):
    if fn not in msg:
        bad.append("message does not name %s" % fn)
for fn in ("churn_buffer", "fill_once"):
    if fn in msg or fn in got:
        bad.append("%s listed" % fn)
if with_lines and ("sites_repeat.c:%d" % lines["decode_image"]) not in msg:
    bad.append("message lacks decode_image's file:line")
print("  " + msg[msg.find("where:"):])
sc = [x for x in rows if x["name"] == "sites.scope"]
if len(sc) != 1:
    bad.append("want one sites.scope result, got %d" % len(sc))
else:
    ss = sc[0].get("sites") or []
    names = [s["frames"][0]["function"] if s["frames"] else "?" for s in ss]
    if names != ["cache_thumbnail"]:
        bad.append("scope sites %s, want ['cache_thumbnail']" % names)
    elif abs(ss[0]["bytes_per_iteration"] - 2000) > 100 or ss[0]["blocks_per_iteration"] != 2:
        bad.append("scope: %s B in %s blocks, want 2000 B in 2" % (ss[0]["bytes_per_iteration"],
                                                                  ss[0]["blocks_per_iteration"]))
    print("  scope: " + sc[0]["message"][sc[0]["message"].find("held by"):])
outer = [x for x in rows if x["name"] == "sites.outer"]
inner = [x for x in rows if x["name"] == "sites.inner"]
if len(outer) != 1 or not inner:
    bad.append("want one sites.outer and some sites.inner results, got %d and %d" % (len(outer), len(inner)))
else:
    os_ = outer[0].get("sites") or []
    top = [(s["frames"][0]["function"], s["frames"][0]["line"]) for s in os_ if s["frames"]]
    if not top or top[0] != ("decode_image", lines["decode_image"]) or len(os_[0]["frames"]) < 2 \
            or os_[0]["frames"][1]["line"] != lines["outer_decode"]:
        bad.append("outer loop sites %s, want decode_image called at line %d" % (top, lines["outer_decode"]))
    if any(x.get("sites") for x in inner) or any("sites" not in x for x in inner):
        bad.append("inner churn repeats must list no site: %s" % [x.get("sites") for x in inner])
if bad:
    sys.exit("check_sites: " + "; ".join(bad))

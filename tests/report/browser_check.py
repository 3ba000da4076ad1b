#!/usr/bin/env python3
"""Loads a page in headless Chromium and checks that it rendered.

usage: browser_check.py [--png OUT.png] [--size W,H] [--expect-color RRGGBB:N]...
                        [--expect-count CLASS:N]... [--no-ready] PAGE.html

Checks (each failure prints one "FAIL <check>: ..." line; exit 1 if any):
  console   the browser logged no console message for the page (uncaught
            exceptions, console.error/log, refused network loads); the
            report never logs anything
  dom       the page's scripts ran to the end (<html data-memgate-ready="yes">)
            and its error hook recorded nothing (no data-memgate-error);
            --no-ready skips the first half, for pages without the marker
  blank     the screenshot is not blank: at least 16 distinct colours and 2 %
            of the pixels away from the most common colour
  clip      with --no-clip, no visible table needs a horizontal scroll bar at
            the window's width (the page records data-memgate-clipped)
  color     with --expect-color RRGGBB:N, at least N pixels within a small
            distance of that colour (e.g. the footprint line's blue)
  count     with --expect-count CLASS:N, exactly N elements of the rendered
            DOM carry the class CLASS (e.g. one history chart per scope)

The browser is $CHROMIUM (default chromium), run with --no-sandbox (CI runs
as root) and a throw-away profile. PNG decoding uses zlib from the standard
library.
"""
import argparse
import os
import re
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

TIMEOUT = 120


def chromium_run(chromium, profile, extra, url):
    cmd = [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
           "--hide-scrollbars", "--no-first-run", "--no-default-browser-check",
           "--disable-extensions", "--disable-background-networking", "--disable-sync",
           "--force-device-scale-factor=1", "--user-data-dir=" + profile] + extra + [url]
    try:
        return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        sys.exit("FAIL browser: %s did not finish within %d s" % (chromium, TIMEOUT))


def png_pixels(path):
    """(width, height, bytes-per-pixel, rows) of an 8-bit RGB or RGBA PNG."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError("not a PNG file")
    pos, idat, ihdr = 8, [], None
    while pos + 8 <= len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            ihdr = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        elif kind == b"IEND":
            break
        pos += 12 + n
    if not ihdr:
        raise ValueError("no IHDR chunk")
    w, h, depth, ctype, _, _, interlace = ihdr
    if depth != 8 or ctype not in (2, 6) or interlace:
        raise ValueError("unsupported PNG (depth %d, colour type %d, interlace %d)" % (depth, ctype, interlace))
    bpp = 3 if ctype == 2 else 4
    raw = zlib.decompress(b"".join(idat))
    stride = w * bpp
    rows, prev, off = [], bytearray(stride), 0
    for _ in range(h):
        ftype = raw[off]
        line = bytearray(raw[off + 1:off + 1 + stride])
        off += 1 + stride
        if ftype == 1:
            for i in range(bpp, stride):
                line[i] = (line[i] + line[i - bpp]) & 255
        elif ftype == 2:
            line = bytearray((a + b) & 255 for a, b in zip(line, prev))
        elif ftype == 3:
            for i in range(stride):
                left = line[i - bpp] if i >= bpp else 0
                line[i] = (line[i] + ((left + prev[i]) >> 1)) & 255
        elif ftype == 4:
            for i in range(stride):
                a = line[i - bpp] if i >= bpp else 0
                b = prev[i]
                c = prev[i - bpp] if i >= bpp else 0
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                pred = a if pa <= pb and pa <= pc else (b if pb <= pc else c)
                line[i] = (line[i] + pred) & 255
        elif ftype != 0:
            raise ValueError("bad PNG filter type %d" % ftype)
        rows.append(bytes(line))
        prev = line
    return w, h, bpp, rows


def colour_counts(path):
    w, h, bpp, rows = png_pixels(path)
    counts = {}
    for row in rows:
        if bpp == 3:
            it = (row[i:i + 3] for i in range(0, len(row), 3))
        else:
            it = (row[i:i + 3] for i in range(0, len(row), 4))
        for px in it:
            counts[px] = counts.get(px, 0) + 1
    return w * h, counts


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("page")
    ap.add_argument("--png", help="where to keep the screenshot (default: a temporary file)")
    ap.add_argument("--size", default="1280,1400", help="window size W,H (default 1280,1400)")
    ap.add_argument("--expect-color", action="append", default=[], metavar="RRGGBB:N")
    ap.add_argument("--expect-count", action="append", default=[], metavar="CLASS:N")
    ap.add_argument("--no-ready", action="store_true", help="do not require data-memgate-ready")
    ap.add_argument("--no-clip", action="store_true",
                    help="fail when a table needs a horizontal scroll bar at this size (data-memgate-clipped)")
    args = ap.parse_args()

    chromium = os.environ.get("CHROMIUM") or "chromium"
    if not shutil.which(chromium):
        sys.exit("FAIL browser: %s not found (install the chromium package)" % chromium)
    page = os.path.abspath(args.page)
    if not os.path.isfile(page):
        sys.exit("FAIL browser: no such page %s" % page)
    url = "file://" + page
    failures = []
    tmp = tempfile.mkdtemp(prefix="memgate-browser-")
    try:
        png = os.path.abspath(args.png) if args.png else os.path.join(tmp, "shot.png")
        if os.path.exists(png):
            os.remove(png)
        # 1. Screenshot, with the browser's log on stderr.
        r = chromium_run(chromium, os.path.join(tmp, "p1"),
                         ["--enable-logging=stderr", "--v=0", "--window-size=" + args.size,
                          # wait for the page to settle and paint all of it before the capture
                          "--run-all-compositor-stages-before-draw", "--virtual-time-budget=3000",
                          "--screenshot=" + png], url)
        log = r.stderr.decode("utf-8", "replace")
        if r.returncode != 0:
            failures.append("browser: exit status %d taking the screenshot" % r.returncode)
        console = [ln for ln in log.splitlines() if re.search(r":CONSOLE[:(]", ln)]
        for ln in console:
            failures.append("console: " + ln.split("] ", 1)[-1][:300])
        # 2. The DOM after the scripts ran.
        r = chromium_run(chromium, os.path.join(tmp, "p2"), ["--dump-dom", "--window-size=" + args.size], url)
        dom = r.stdout.decode("utf-8", "replace")
        if r.returncode != 0 or "<html" not in dom:
            failures.append("dom: --dump-dom failed (exit status %d)" % r.returncode)
        else:
            m = re.search(r'data-memgate-error="([^"]*)"', dom)
            if m:
                failures.append("dom: the page's error hook recorded a script error: " + m.group(1)[:300])
            m = re.search(r'data-memgate-clipped="([0-9]+)"', dom)
            if args.no_clip and (not m or m.group(1) != "0"):
                failures.append("clip: %s table(s) clipped at %s px (a column needs a scroll bar)"
                                % (m.group(1) if m else "unknown", args.size.split(",")[0]))
            classes = [c.split() for c in re.findall(r'<[a-zA-Z][^>]*?\sclass="([^"]*)"', dom)]
            for spec in args.expect_count:
                cls, _, n = spec.partition(":")
                got = sum(1 for c in classes if cls in c)
                if got != int(n):
                    failures.append("count: %d elements of class %s, expected %s" % (got, cls, n))
            if not args.no_ready and 'data-memgate-ready="yes"' not in dom:
                failures.append("dom: the page's scripts did not run to the end (no data-memgate-ready)")
        # 3. The pixels.
        if not os.path.isfile(png):
            failures.append("blank: no screenshot was written")
        else:
            total, counts = colour_counts(png)
            common = max(counts.values())
            away = 1.0 - common / float(total)
            if len(counts) < 16 or away < 0.02:
                failures.append("blank: the screenshot is blank (%d colours, %.2f %% of pixels off the "
                                "background)" % (len(counts), away * 100))
            for spec in args.expect_color:
                hexc, _, n = spec.partition(":")
                want = tuple(int(hexc[i:i + 2], 16) for i in (0, 2, 4))
                got = sum(c for px, c in counts.items()
                          if sum((px[i] - want[i]) ** 2 for i in range(3)) <= 40 ** 2)
                if got < int(n or 1):
                    failures.append("color: %d pixels near #%s, expected at least %s" % (got, hexc, n))
            print("browser: %s: %d colours, %.1f %% of pixels off the background, %d console lines"
                  % (os.path.basename(page), len(counts), away * 100, len(console)))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    for f in failures:
        print("FAIL " + f)
    if failures:
        return 1
    print("browser: %s: OK%s" % (os.path.basename(page), (" (screenshot " + args.png + ")") if args.png else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Strict checks of a page written by `memgate report --html`.

usage: check_html.py PAGE.html [--expect-text TEXT]... [--forbid TEXT]...
                     [--max-path-points N] [--failures-first]

  well-formed   parses as XML (the page is written XML-compatible) and, with
                HTML rules, every non-void element is closed in order and
                "/>" appears only on void elements and inside <svg>
  offline       nothing can load from elsewhere: href/src-like attributes
                only "#fragment" or "data:", no <img>/<iframe>/<object>/
                <embed>/<base>/<link rel=stylesheet>, CSS without @import or
                url() other than "#id", scripts inline and only the two the
                page writes, a Content-Security-Policy with default-src 'none'
  anchors       ids unique, every href="#id" points at one
  numbers       no NaN or infinity in SVG geometry
  --expect-text the text appears in the page's text (escaped, not markup)
  --forbid      the raw string does not appear in the file
  --max-path-points  no SVG path has more vertices than N
  --failures-first   table rows: every "fail" row before every "pass" row
Prints "FAIL <check>: ..." per problem; exit 1 if any.
"""
import argparse
import re
import sys
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

VOID = {"area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"}
URL_ATTRS = {"href", "src", "xlink:href", "action", "formaction", "poster", "background", "srcset", "data",
             "codebase", "cite", "longdesc", "manifest", "ping", "icon"}
FORBIDDEN_TAGS = {"img", "iframe", "frame", "object", "embed", "base", "audio", "video", "source", "form",
                  "applet", "portal"}
GEOMETRY = {"x", "y", "x1", "x2", "y1", "y2", "cx", "cy", "r", "width", "height", "d", "points", "viewbox",
            "dy"}


class Page(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.stack, self.errors, self.text = [], [], []
        self.ids, self.frags, self.scripts, self.styles = [], [], [], []
        self.paths, self.rows, self.csp = [], [], None
        self._in = None

    def err(self, check, msg):
        line, col = self.getpos()
        self.errors.append("%s: line %d col %d: %s" % (check, line, col + 1, msg))

    def attrs_check(self, tag, attrs):
        d = dict(attrs)
        for k, v in attrs:
            v = v or ""
            if k in URL_ATTRS and not (v.startswith("#") or v.startswith("data:")):
                self.err("offline", "<%s %s=\"%s\"> can load from elsewhere" % (tag, k, v[:80]))
            if k == "style" and re.search(r"@import|url\(\s*['\"]?(?!#)", v):
                self.err("offline", "style attribute loads something: %s" % v[:80])
            if k.startswith("on"):
                self.err("offline", "inline event handler %s on <%s>" % (k, tag))
            if k in GEOMETRY and re.search(r"nan|inf", v, re.I):
                self.err("numbers", "<%s %s=\"%s\">" % (tag, k, v[:80]))
            if k == "id":
                self.ids.append(v)
            if k == "href" and v.startswith("#"):
                self.frags.append(v[1:])
            if k == "clip-path":
                m = re.fullmatch(r"url\(#([^)]+)\)", v)
                if not m:
                    self.err("offline", "clip-path %s" % v)
                else:
                    self.frags.append(m.group(1))
        if tag in FORBIDDEN_TAGS:
            self.err("offline", "<%s> element" % tag)
        if tag == "link" and d.get("rel") != "icon":
            self.err("offline", "<link rel=\"%s\">" % d.get("rel"))
        if tag == "script":
            if "src" in d:
                self.err("offline", "<script src>")
        if tag == "meta" and (d.get("http-equiv") or "").lower() == "content-security-policy":
            self.csp = d.get("content", "")
        if tag == "path":
            self.paths.append(d.get("d", ""))
        if tag == "tr" and d.get("class") in ("fail", "pass"):
            self.rows.append(d["class"])

    def handle_starttag(self, tag, attrs):
        self.attrs_check(tag, attrs)
        if tag not in VOID:
            self.stack.append(tag)
        if tag in ("script", "style"):
            self._in = tag
            if tag == "script":
                self.scripts.append("")
            else:
                self.styles.append("")

    def handle_startendtag(self, tag, attrs):
        self.attrs_check(tag, attrs)
        if tag not in VOID and "svg" not in self.stack:
            self.err("well-formed", "<%s/> is not a void element and not inside <svg>: HTML leaves it open" % tag)

    def handle_endtag(self, tag):
        if tag in VOID:
            self.err("well-formed", "end tag for void element </%s>" % tag)
            return
        if not self.stack:
            self.err("well-formed", "</%s> with nothing open" % tag)
            return
        if self.stack[-1] != tag:
            self.err("well-formed", "</%s> closes <%s> (open: %s)" % (tag, self.stack[-1], " ".join(self.stack[-6:])))
            if tag in self.stack:
                while self.stack and self.stack.pop() != tag:
                    pass
            return
        self.stack.pop()
        if tag in ("script", "style"):
            self._in = None

    def handle_data(self, data):
        if self._in == "script":
            self.scripts[-1] += data
        elif self._in == "style":
            self.styles[-1] += data
        else:
            self.text.append(data)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("page")
    ap.add_argument("--expect-text", action="append", default=[])
    ap.add_argument("--forbid", action="append", default=[])
    ap.add_argument("--max-path-points", type=int)
    ap.add_argument("--failures-first", action="store_true")
    args = ap.parse_args()

    with open(args.page, "rb") as f:
        raw = f.read()
    problems = []
    try:
        src = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        print("FAIL well-formed: not UTF-8: %s" % e)
        return 1
    try:
        ET.fromstring(src)
    except ET.ParseError as e:
        problems.append("well-formed: not well-formed XML: %s" % e)
    if not src.startswith("<!DOCTYPE html>\n"):
        problems.append("well-formed: does not start with <!DOCTYPE html>")

    p = Page()
    p.feed(src)
    p.close()
    problems += p.errors
    if p.stack:
        problems.append("well-formed: still open at the end: %s" % " ".join(p.stack))
    if not p.csp or "default-src 'none'" not in p.csp:
        problems.append("offline: no Content-Security-Policy with default-src 'none'")
    if len(p.scripts) != 2:
        problems.append("offline: %d <script> elements, expected the page's 2" % len(p.scripts))
    for s in p.scripts:
        if "data-memgate" not in s or re.search(r"alert|https?:|//|fetch|XMLHttpRequest|import", s):
            problems.append("offline: unexpected script content: %s" % s[:120])
    for s in p.styles:
        if re.search(r"@import|url\(|https?:", s):
            problems.append("offline: the stylesheet loads something")
    dup = sorted({i for i in p.ids if p.ids.count(i) > 1})
    if dup:
        problems.append("anchors: duplicate ids: %s" % " ".join(dup[:10]))
    missing = sorted(set(p.frags) - set(p.ids))
    if missing:
        problems.append("anchors: links to missing ids: %s" % " ".join(missing[:10]))
    text = "".join(p.text)
    for t in args.expect_text:
        if t not in text:
            problems.append("expect-text: %r is not in the page's text" % t)
    for t in args.forbid:
        if t in src:
            problems.append("forbid: %r appears in the file" % t)
    if args.max_path_points is not None:
        for d in p.paths:
            n = len(re.findall(r"[MLHV]", d))
            if n > args.max_path_points:
                problems.append("max-path-points: a path has %d vertices (> %d)" % (n, args.max_path_points))
    if args.failures_first:
        last_fail = len(p.rows) - 1 - p.rows[::-1].index("fail") if "fail" in p.rows else -1
        if "pass" in p.rows and p.rows.index("pass") < last_fail:
            problems.append("failures-first: a passing row comes before a failing one")
    for pr in problems:
        print("FAIL " + pr)
    if problems:
        return 1
    print("check_html: %s: OK (%d bytes, %d paths, %d rows)" % (args.page, len(raw), len(p.paths), len(p.rows)))
    return 0


if __name__ == "__main__":
    sys.exit(main())

#!/usr/bin/env python3
"""Checks a Markdown summary written by `memgate report --markdown`.

usage: check_markdown.py FILE.md [--rows N]

Every table line has the same number of cells as the header (pipes escaped
with a backslash do not count), the second line is the alignment row, no
cell holds a raw '<' or a line break, and with --rows the table has N rows.
Prints "FAIL ..." per problem; exit 1 if any.
"""
import argparse
import re
import sys


def cells(line):
    out, cur, i = [], "", 0
    while i < len(line):
        c = line[i]
        if c == "\\" and i + 1 < len(line):
            cur += line[i:i + 2]
            i += 2
            continue
        if c == "|":
            out.append(cur)
            cur = ""
        else:
            cur += c
        i += 1
    out.append(cur)
    # "| a | b |" -> ['', ' a ', ' b ', '']
    if out and out[0].strip() == "":
        out = out[1:]
    if out and out[-1].strip() == "":
        out = out[:-1]
    return [c.strip() for c in out]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("file")
    ap.add_argument("--rows", type=int)
    args = ap.parse_args()
    with open(args.file, encoding="utf-8") as f:
        lines = f.read().split("\n")
    problems = []
    table = [(i + 1, ln) for i, ln in enumerate(lines) if ln.startswith("|")]
    if len(table) < 2:
        problems.append("no table")
    else:
        head = cells(table[0][1])
        # 8 columns, plus Source when the results came from several files
        if len(head) != 8 and not (len(head) == 9 and head[8] == "Source"):
            problems.append("line %d: header has %d columns, expected 8 (or 9 ending in Source)" % (table[0][0], len(head)))
        if not all(re.fullmatch(r":?-+:?", c) for c in cells(table[1][1])):
            problems.append("line %d: second line is not the alignment row" % table[1][0])
        for no, ln in table:
            c = cells(ln)
            if len(c) != len(head):
                problems.append("line %d: %d cells, the header has %d: %s" % (no, len(c), len(head), ln[:120]))
            if "<" in ln:
                problems.append("line %d: raw '<' in a cell" % no)
        # the table is one block of consecutive lines
        nos = [no for no, _ in table]
        if nos != list(range(nos[0], nos[0] + len(nos))):
            problems.append("the table lines are not consecutive")
        if args.rows is not None and len(table) - 2 != args.rows:
            problems.append("%d rows, expected %d" % (len(table) - 2, args.rows))
    for p in problems:
        print("FAIL markdown: %s: %s" % (args.file, p))
    if problems:
        return 1
    print("check_markdown: %s: OK (%d rows)" % (args.file, len(table) - 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())

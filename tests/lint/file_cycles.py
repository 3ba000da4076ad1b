#!/usr/bin/env python3
"""Fails when source files call each other in a circle.

Reads every .c file under the given directories, finds the functions each
file defines with external linkage and the functions each file calls, draws
an edge A -> B when A calls a function defined in B, and reports every
strongly connected group of more than one file (Tarjan). Exit 0 when there is
none, 1 otherwise. `make lint` runs it over harness/src and harness/tool.
"""
import re
import sys
from pathlib import Path

IDENT = re.compile(r"[A-Za-z_]\w*")
KEYWORDS = {"if", "for", "while", "switch", "return", "sizeof", "defined", "__attribute__",
            "_Alignof", "__typeof__", "typeof", "__asm__", "asm", "do", "else", "case"}


def strip(text):
    """Removes comments, string and character literals, and preprocessor lines."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    text = re.sub(r"'(\\.|[^'\\\n])*'", "''", text)
    lines = []
    cont = False
    for line in text.split("\n"):
        if cont or line.lstrip().startswith("#"):
            cont = line.rstrip().endswith("\\")
            lines.append("")
        else:
            lines.append(line)
    return "\n".join(lines)


def scan(text):
    """(defined, called): external definitions at depth 0, calls inside bodies."""
    defined, called = set(), set()
    depth = 0
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "{":
            depth += 1
        elif c == "}":
            depth -= 1
        m = IDENT.match(text, i) if (c.isalpha() or c == "_") and (i == 0 or not (text[i - 1].isalnum() or text[i - 1] == "_")) else None
        if not m:
            i += 1
            continue
        name = m.group(0)
        j = m.end()
        while j < n and text[j] in " \t\n":
            j += 1
        if j < n and text[j] == "(" and name not in KEYWORDS:
            if depth == 0:
                # A definition when the matching ')' is followed by '{'.
                k, level = j, 0
                while k < n:
                    if text[k] == "(":
                        level += 1
                    elif text[k] == ")":
                        level -= 1
                        if level == 0:
                            break
                    k += 1
                rest = text[k + 1:k + 200].lstrip()
                rest = re.sub(r"^__attribute__\s*\(\(.*?\)\)\s*", "", rest, flags=re.S)
                if rest.startswith("{"):
                    head = text[text.rfind(";", 0, i) + 1:i]
                    head = head[head.rfind("}") + 1:]
                    if not re.search(r"\bstatic\b", head):
                        defined.add(name)
            else:
                called.add(name)
        i = m.end()
    return defined, called


def sccs(graph):
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on.discard(w)
                group.append(w)
                if w == v:
                    break
            out.append(sorted(group))

    sys.setrecursionlimit(10000)
    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def main(dirs):
    files = sorted(p for d in dirs for p in Path(d).rglob("*.c"))
    if not files:
        print("file_cycles: no .c files under " + " ".join(dirs), file=sys.stderr)
        return 2
    info = {str(p): scan(strip(p.read_text(errors="replace"))) for p in files}
    owner = {}
    for f, (defined, _) in info.items():
        for name in defined:
            owner.setdefault(name, f)
    graph = {f: set() for f in info}
    why = {}
    for f, (_, called) in info.items():
        for name in called:
            g = owner.get(name)
            if g and g != f:
                graph[f].add(g)
                why.setdefault((f, g), name)
    bad = [g for g in sccs(graph) if len(g) > 1]
    for group in bad:
        print("file_cycles: these files call each other in a circle:")
        members = set(group)
        for f in group:
            for g in sorted(graph[f] & members):
                print("  %s -> %s (calls %s)" % (f, g, why[(f, g)]))
    if bad:
        return 1
    edges = sum(len(v) for v in graph.values())
    print("file_cycles: %d files, %d call edges between files, no circle" % (len(files), edges))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["harness/src", "harness/tool"]))

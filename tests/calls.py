#!/usr/bin/env python3
"""tests/calls.py BUILD [DIR...] - calls between the object files of one
directory, from their symbols (nm), must not go in circles; and no layer may
use a symbol of a layer above it.

For every object BUILD/DIR/*.o, `nm` gives the symbols it defines and those it
uses.  File A uses file B when A uses a symbol B defines (a call, or a
function's address taken, as a dispatch table does).  Within one directory
those uses must form no cycle: the files can be ordered bottom-up.  Across
directories, a use must go down the layers (LAYERS, lowest first).

Prints each cycle (the files, and per edge the symbols that make it) and each
upward use; exits 1 when there is any.  DIR defaults to every layer present.
"""
import os
import subprocess
import sys

LAYERS = ["common", "pkcs11", "cert", "plan", "check", "rotate"]


def symbols(obj):
    out = subprocess.run(["nm", "-P", obj], check=True, capture_output=True,
                         text=True).stdout
    defined, used = set(), set()
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2:
            continue
        name, kind = parts[0], parts[1]
        if kind == "U":
            used.add(name)
        elif kind in "TDRBCGSV":  # global definitions
            defined.add(name)
    return defined, used


def cycles(nodes, edges):
    """Strongly connected components with more than one node (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []
    counter = [0]

    def visit(v):
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    sys.setrecursionlimit(10000)
    for v in sorted(nodes):
        if v not in index:
            visit(v)
    return out


def main():
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    build = sys.argv[1]
    dirs = sys.argv[2:] or [d for d in LAYERS if os.path.isdir(os.path.join(build, d))]
    objs = {}  # "dir/file.o" -> (defined, used)
    for d in LAYERS:
        p = os.path.join(build, d)
        if not os.path.isdir(p):
            continue
        for f in sorted(os.listdir(p)):
            if f.endswith(".o"):
                objs[d + "/" + f] = symbols(os.path.join(p, f))
    owner = {}
    for o, (defined, _) in objs.items():
        for s in defined:
            owner.setdefault(s, o)
    bad = 0
    for d in dirs:
        nodes = [o for o in objs if o.startswith(d + "/")]
        edges, why = {}, {}
        for o in nodes:
            for s in objs[o][1]:
                t = owner.get(s)
                if t is None or t == o or not t.startswith(d + "/"):
                    continue
                edges.setdefault(o, set()).add(t)
                why.setdefault((o, t), set()).add(s)
        for comp in cycles(nodes, edges):
            bad += 1
            print("cycle in %s/: %s" % (d, " ".join(c.split("/", 1)[1] for c in comp)))
            for a in comp:
                for b in comp:
                    if (a, b) in why and b in edges.get(a, ()):
                        print("  %s -> %s: %s" % (a, b, ", ".join(sorted(why[(a, b)])[:6])))
    for o, (_, used) in sorted(objs.items()):
        lo = LAYERS.index(o.split("/")[0])
        for s in sorted(used):
            t = owner.get(s)
            if t is not None and LAYERS.index(t.split("/")[0]) > lo:
                bad += 1
                print("upward use: %s uses %s of %s" % (o, s, t))
    n = len([o for o in objs if o.split("/")[0] in dirs])
    print("%d object files in %s: %s" % (n, " ".join(d + "/" for d in dirs),
                                          "%d problem%s" % (bad, "" if bad == 1 else "s")
                                          if bad else "no cycle, no upward use"))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())

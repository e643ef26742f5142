#!/bin/sh
# include-cycles.sh: fails when two modules of kernels/, harness/ or tests/
# include each other, directly or through a chain.  A module is a .c (or .cc)
# file with its .h: harness/run.c and harness/run.h are one node, and an edge
# runs from a module to each module whose header it includes ("..." includes
# only; system headers are leaves).  Prints each cycle found; exit 1 if any.
# Usage: sh harness/tools/include-cycles.sh   (from the repository root; make test runs it)
set -eu
for f in kernels/*.[ch] kernels/*.cc harness/*.[ch] harness/*.cc tests/*.[ch]; do
    [ -f "$f" ] || continue
    dir=${f%/*}
    sed -n 's/^#include "\(.*\)\.[ch]"$/\1/p' "$f" | while read -r inc; do
        for d in "$dir" kernels harness; do
            if [ -f "$d/$inc.h" ]; then
                echo "${f%.*} $d/$inc"
                break
            fi
        done
    done
done | sort -u | awk '
$1 != $2 { succ[$1] = succ[$1] " " $2; node[$1]; node[$2] }
function visit(v, path,    n, i, w, s) {
    state[v] = 1
    n = split(succ[v], s, " ")
    for (i = 1; i <= n; i++) {
        w = s[i]
        if (state[w] == 1) { print "include cycle: " path " -> " w; found = 1 }
        else if (state[w] == 0) visit(w, path " -> " w)
    }
    state[v] = 2
}
END {
    for (v in node) if (state[v] == 0) visit(v, v)
    if (found) exit 1
    print "include-cycles: no cycle among " length(node) " modules"
}'
